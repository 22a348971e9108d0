//! The Advanced Messaging API (seeds/002) at `/engage/advanced-messaging/v1`: contents and
//! identities, camelCase, `perPage`/`pageToken` paging, RingCentral-platform error bodies.
//! Callers authenticate with `Authorization: Bearer <company API key>`; `X-User-Id` may name
//! the acting user (default: the company owner).

mod auth;
mod contents;
mod error;
mod identities;
mod paging;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::routing::get;
use serde_json::Value;
use switchboard_api::AppState;
use switchboard_api::json::MAX_BODY_BYTES;
use switchboard_api::panic::catch_panics;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) use error::EngageError;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(contents::list_contents, contents::create_content))
        .routes(routes!(identities::list_identities))
        .routes(routes!(identities::get_identity))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(catch_panics(error::panicked))
}

/// A JSON object request body, accepted whatever its content type; anything else is a 400, and
/// a body over [`MAX_BODY_BYTES`] a 413.
pub(crate) struct JsonObject(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = EngageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, EngageError> {
        switchboard_api::json::read_object(req, state).await.map(JsonObject).map_err(EngageError::from)
    }
}

/// The identities URLs as the seed document writes them, with a double slash before `v1`.
pub fn doc_spelling_aliases() -> Router<AppState> {
    Router::new()
        .route("/engage/advanced-messaging//v1/identities", get(identities::list_identities))
        .route("/engage/advanced-messaging//v1/identities/{identity_id}", get(identities::get_identity))
        .layer(catch_panics(error::panicked))
}
