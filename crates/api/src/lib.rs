//! What every HTTP facade shares: the state handlers reach, RFC 7807 problems, JSON body
//! helpers, API-key credentials, and the operations endpoints. Each facade is a crate of its own
//! over this one (`switchboard-api-ringplan`, `-engage`, `-sdk`, `-native`), so that a facade
//! cannot reach into another.

pub mod credentials;
pub mod files;
pub mod json;
pub mod ops;
pub mod panic;
pub mod problem;
pub mod schema;

use std::sync::Arc;

use switchboard_engine::Engine;

use crate::ops::metrics::Metrics;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
    pub metrics: Arc<Metrics>,
}

impl AppState {
    pub fn new(engine: Engine) -> Self {
        Self { engine, metrics: Arc::new(Metrics::default()) }
    }
}
