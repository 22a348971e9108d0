//! The GWS v2 Interactions API (seeds/004, spec §A) under `/api/v2`: agents sign in with HTTP
//! Basic and keep a `JSESSIONID` session, work their interactions, and hear about them through
//! CometD at `/api/v2/notifications`.
//!
//! Its routes are not in the OpenAPI document: GWS clients are written against Genesys' own
//! documentation, and its errors are GWS bodies, not problems.

mod channels;
mod cometd;
mod error;
mod interactions;
mod me;
mod messages;
mod operations;
mod session;
mod workbins;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::routing::{any, get, post};
use axum::{Extension, Router};
use serde_json::Value;
use switchboard_api::AppState;
use switchboard_api::json::MAX_BODY_BYTES;
use switchboard_api::panic::catch_panics;
use utoipa_axum::router::OpenApiRouter;

pub(crate) use error::GwsError;

/// How the facade behaves; the sessions' own lifetimes are the engine's.
#[derive(Debug, Clone)]
pub struct GwsOptions {
    /// GWS's `enableCsrfProtection` (spec §A.2).
    pub csrf: bool,
    /// How long a CometD `/meta/connect` is held when there is nothing to send.
    pub connect_timeout: Duration,
    /// A CometD client that has not connected for this long is forgotten; it handshakes again.
    pub client_timeout: Duration,
    /// The most messages one `/meta/connect` answer carries; the rest go with the next one.
    pub max_batch: usize,
}

impl Default for GwsOptions {
    fn default() -> Self {
        Self {
            csrf: false,
            connect_timeout: Duration::from_secs(25),
            client_timeout: Duration::from_secs(60),
            max_batch: 100,
        }
    }
}

/// The facade's state beside [`AppState`]: its options and this node's CometD clients.
#[derive(Clone)]
pub struct Gws {
    pub(crate) options: GwsOptions,
    pub(crate) clients: Arc<cometd::Clients>,
}

/// What the application puts around every route, so that the facade has its options.
pub fn layer(options: GwsOptions) -> Extension<Gws> {
    Extension(Gws { clients: Arc::new(cometd::Clients::default()), options })
}

pub fn router() -> OpenApiRouter<AppState> {
    let rest = Router::new()
        .route("/api/v2/me", get(me::get_me).post(me::post_me))
        .route("/api/v2/me/channels/{channel}", post(me::post_channel))
        .route("/api/v2/interactions", get(interactions::list_all))
        .route("/api/v2/interactions/{id}", get(interactions::get_one).put(interactions::put_one))
        .route("/api/v2/me/interactions", get(interactions::list_mine))
        .route("/api/v2/me/interactions/{id}", post(operations::post))
        .route("/api/v2/me/workbins", get(workbins::list))
        .route("/api/v2/me/workbins/{id}", get(workbins::content).post(workbins::post))
        .route("/api/v2/{*rest}", any(unknown_path))
        .route_layer(axum::middleware::from_fn(session::session_headers));
    OpenApiRouter::new().merge(finish(rest).into()).merge(finish(cometd::router()).into())
}

async fn unknown_path() -> GwsError {
    GwsError::new(error::Code::NotFound, "The requested resource does not exist")
}

/// A JSON object request body, whatever its content type.
pub(crate) struct JsonObject(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = GwsError;

    async fn from_request(req: Request, state: &S) -> Result<Self, GwsError> {
        switchboard_api::json::read_object(req, state).await.map(JsonObject).map_err(GwsError::from)
    }
}

/// The body limit and panic answer of every route.
fn finish(router: Router<AppState>) -> Router<AppState> {
    router.layer(DefaultBodyLimit::max(MAX_BODY_BYTES)).layer(catch_panics(GwsError::panicked))
}
