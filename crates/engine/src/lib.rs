//! Switchboard's use cases. Facades call these with parsed domain values; every write happens
//! in one transaction together with the events it raises.

pub mod auth;
pub mod companies;
pub mod conversations;
pub mod export;
pub mod jobs;
pub mod locations;
pub mod sdk;
pub mod sources;
pub mod sync;
pub mod users;

mod snapshot;

use switchboard_store::Store;

pub use auth::Actor;

/// The entry point to every use case. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    store: Store,
    ingest: sdk::writer::IngestQueue,
    source_cache: std::sync::Arc<sources::SourceCache>,
    connector: sdk::client::Connector,
}

impl Engine {
    /// Builds the engine and starts its background writer; call within a Tokio runtime.
    pub fn new(store: Store) -> Self {
        let ingest = sdk::writer::IngestQueue::start(store.clone());
        Self { store, ingest, source_cache: Default::default(), connector: sdk::client::Connector::new(sdk::client::SdkOptions::default()) }
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

    pub fn store(&self) -> &Store {
        &self.store
    }
}
