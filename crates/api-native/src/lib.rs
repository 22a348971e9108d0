//! Switchboard's own API at `/v1`: sources (channels), queues, agents and interactions (routing),
//! webhook endpoints and the event stream. Errors are RFC 7807 problems; callers authenticate
//! with `Authorization: Bearer <company API key>` and may act as a user with `X-User-Id`
//! (default: the company owner).

mod agents;
mod auth;
mod carriers;
mod contents;
mod error;
mod events;
mod files;
mod interactions;
mod queues;
mod sources;
mod texting;
mod users;
mod webhooks;

use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use serde_json::Value;
use switchboard_api::AppState;
use switchboard_api::json::MAX_BODY_BYTES;
use switchboard_api::panic::catch_panics;
use switchboard_api::problem::Problem;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) use error::NativeError;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sources::list_sources, sources::create_source))
        .routes(routes!(sources::get_source, sources::update_source, sources::delete_source))
        .routes(routes!(sources::rotate_token))
        .routes(routes!(sources::start_sync))
        .routes(routes!(sources::get_sync))
        .routes(routes!(contents::get_content))
        .routes(routes!(contents::perform_action))
        .routes(routes!(webhooks::list_webhooks, webhooks::create_webhook))
        .routes(routes!(webhooks::get_webhook, webhooks::update_webhook, webhooks::delete_webhook))
        .routes(routes!(webhooks::rotate_secret))
        .routes(routes!(webhooks::list_deliveries))
        .routes(routes!(webhooks::redeliver))
        .routes(routes!(events::stream_events))
        .routes(routes!(files::upload_file))
        .routes(routes!(files::get_file))
        .routes(routes!(users::set_password))
        .routes(routes!(users::set_role))
        .routes(routes!(queues::list_queues, queues::create_queue))
        .routes(routes!(queues::get_queue, queues::update_queue, queues::delete_queue))
        .routes(routes!(agents::list_agents))
        .routes(routes!(agents::get_agent))
        .routes(routes!(agents::update_agent_channel))
        .routes(routes!(interactions::list_interactions))
        .routes(routes!(interactions::get_interaction))
        .routes(routes!(texting::list_numbers, texting::add_number))
        .routes(routes!(carriers::inbound))
        .routes(routes!(texting::get_number, texting::update_number, texting::remove_number))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(catch_panics(Problem::panicked))
}

/// A JSON object request body, accepted whatever its content type; anything else is a 400, and
/// a body over [`MAX_BODY_BYTES`] a 413.
pub(crate) struct JsonObject(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = NativeError;

    async fn from_request(req: Request, state: &S) -> Result<Self, NativeError> {
        switchboard_api::json::read_object(req, state).await.map(JsonObject).map_err(NativeError::from)
    }
}
