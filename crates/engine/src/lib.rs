//! Switchboard's use cases. Facades call these with parsed domain values; every write happens
//! in one transaction together with the events it raises.

pub mod auth;
pub mod channels;
pub mod companies;
pub mod conversations;
mod http;
pub mod jobs;
pub mod locations;
pub mod outbound;
pub mod realtime;
pub mod sources;
pub mod texting;
pub mod users;
pub mod webhooks;

use std::sync::Arc;

use switchboard_domain::Result;
use switchboard_store::{Committed, Store};
use tokio::sync::broadcast;

pub use auth::Actor;

/// How the engine calls the outside world. Defaults suit production; tests shorten delays.
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    pub sdk: channels::sdk::client::SdkOptions,
    pub webhooks: webhooks::WebhookOptions,
    pub outbound: outbound::OutboundOptions,
    pub realtime: realtime::RealtimeOptions,
}

/// The entry point to every use case. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    store: Store,
    sdk: channels::sdk::Runtime,
    webhooks: Arc<webhooks::Webhooks>,
    /// Checks every URL this server is given to call.
    outbound: outbound::Guard,
    /// Commits made by other nodes (PostgreSQL NOTIFY).
    remote_commits: broadcast::Sender<Committed>,
    realtime: realtime::Hub,
    /// Set when the server shuts down, to end live streams (they would hold it open forever).
    closing: Arc<tokio::sync::watch::Sender<bool>>,
}

impl Engine {
    /// Builds the engine and starts its background writer; call within a Tokio runtime. Fails
    /// when an HTTP client cannot be built: better at start-up than at the first delivery.
    pub fn new(store: Store, options: EngineOptions) -> Result<Self> {
        let outbound = outbound::Guard::new(&options.outbound);
        let sdk = channels::sdk::Runtime::start(&store, options.sdk, &outbound)?;
        let webhooks = webhooks::Webhooks::new(options.webhooks, &outbound)?;
        let remote_commits = switchboard_store::notify::relay(&store);
        let realtime = realtime::Hub::start(store.subscribe_committed(), remote_commits.subscribe(), options.realtime);
        let closing = Arc::new(tokio::sync::watch::channel(false).0);
        Ok(Self { store, sdk, webhooks, outbound, remote_commits, realtime, closing })
    }

    /// Connector answers accepted with a wrong or missing signature since start.
    pub fn sdk_signature_mismatches(&self) -> u64 {
        self.sdk.connector.signature_mismatches.load(std::sync::atomic::Ordering::Relaxed)
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
