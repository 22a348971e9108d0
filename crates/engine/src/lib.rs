//! Switchboard's use cases. Facades call these with parsed domain values; every write happens
//! in one transaction together with the events it raises.

pub mod auth;
pub mod companies;
pub mod conversations;
pub mod jobs;
pub mod locations;
pub mod sdk;
pub mod sources;
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
}

impl Engine {
    /// Builds the engine and starts its background writer; call within a Tokio runtime.
    pub fn new(store: Store) -> Self {
        let ingest = sdk::writer::IngestQueue::start(store.clone());
        Self { store, ingest, source_cache: Default::default() }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}
