//! Switchboard's use cases. Facades call these with parsed domain values; every write happens
//! in one transaction together with the events it raises.

pub mod auth;
pub mod companies;
pub mod conversations;
pub mod export;
mod http;
pub mod jobs;
pub mod locations;
pub mod realtime;
pub mod sdk;
pub mod sources;
pub mod sync;
pub mod users;
pub mod webhooks;

mod snapshot;

use std::sync::Arc;

use switchboard_store::{Committed, Store};
use tokio::sync::broadcast;

pub use auth::Actor;

/// The entry point to every use case. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    store: Store,
    ingest: sdk::writer::IngestQueue,
    source_cache: std::sync::Arc<sources::SourceCache>,
    connector: sdk::client::Connector,
    webhooks: Arc<webhooks::Webhooks>,
    /// Commits made by other nodes (PostgreSQL NOTIFY).
    remote_commits: broadcast::Sender<Committed>,
    /// Set when the server shuts down, to end live streams (they would hold it open forever).
    closing: Arc<tokio::sync::watch::Sender<bool>>,
}

impl Engine {
    /// Builds the engine and starts its background writer; call within a Tokio runtime.
    pub fn new(store: Store) -> Self {
        let ingest = sdk::writer::IngestQueue::start(store.clone());
        let remote_commits = switchboard_store::notify::relay(&store);
        Self {
            store,
            ingest,
            source_cache: Default::default(),
            connector: sdk::client::Connector::new(sdk::client::SdkOptions::default()),
            webhooks: webhooks::Webhooks::new(Default::default()),
            remote_commits,
            closing: Arc::new(tokio::sync::watch::channel(false).0),
        }
    }

    /// Sets how connectors are called (time-outs, retry delay, sync interval).
    pub fn with_sdk_options(mut self, options: sdk::client::SdkOptions) -> Self {
        self.connector = sdk::client::Connector::new(options);
        self
    }

    /// Connector answers accepted with a wrong or missing signature since start.
    pub fn sdk_signature_mismatches(&self) -> u64 {
        self.connector.signature_mismatches.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Replaces the default webhook delivery settings.
    pub fn with_webhook_options(mut self, options: webhooks::WebhookOptions) -> Self {
        self.webhooks = webhooks::Webhooks::new(options);
        self
    }

    /// Ends every live event stream (socket.io, SSE): the server is shutting down, and clients
    /// will resume from their last seq elsewhere.
    pub fn close_streams(&self) {
        self.closing.send_replace(true);
    }

    /// Resolves once [`Engine::close_streams`] has been called.
    pub async fn streams_closing(&self) {
        let mut closing = self.closing.subscribe();
        let _ = closing.wait_for(|c| *c).await;
    }

    /// Wakes on commits made by other nodes; local ones are [`Store::subscribe_committed`].
    pub fn wakeups(&self) -> broadcast::Receiver<Committed> {
        self.remote_commits.subscribe()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}
