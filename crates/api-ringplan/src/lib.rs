//! The RingPlan facade (seeds/003): the REST API — company, users (contacts), locations,
//! webhooks and texting — and its socket.io WebSocket API at `/ws`. Errors are RFC 7807 problems; callers
//! authenticate with the company API key and `X-User-Id`.

mod auth;
mod company;
mod contacts;
mod error;
mod locations;
mod socketio;
mod texting;
mod webhooks;

use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use serde_json::Value;
use switchboard_api::AppState;
use switchboard_api::json::MAX_BODY_BYTES;
use switchboard_api::panic::catch_panics;
use switchboard_api::problem::Problem;
use switchboard_domain::Error;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use error::RingPlanError;
pub use socketio::{SocketOptions, layer as socketio_layer};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(company::get_company))
        .routes(routes!(company::update_company))
        .routes(routes!(contacts::list_contacts))
        .routes(routes!(contacts::create_contact))
        .routes(routes!(contacts::update_contact, contacts::delete_contact))
        .routes(routes!(locations::list_locations, locations::create_location))
        .routes(routes!(locations::update_location, locations::delete_location))
        .routes(routes!(webhooks::get_url, webhooks::put_url))
        .routes(routes!(webhooks::list_callbacks, webhooks::subscribe))
        .routes(routes!(webhooks::unsubscribe))
        .routes(routes!(texting::conversations::list_conversations, texting::conversations::create_conversation))
        .routes(routes!(texting::conversations::search_conversations))
        .routes(routes!(texting::conversations::delete_conversation))
        .routes(routes!(texting::conversations::create_conversation_v2))
        .routes(routes!(texting::messages::list_messages, texting::messages::delete_messages))
        .routes(routes!(texting::messages::mark_message))
        .routes(routes!(texting::messages::publish))
        .routes(routes!(texting::messages::publish_v2))
        .routes(routes!(texting::contacts::list_contacts, texting::contacts::create_contact))
        .routes(routes!(texting::contacts::get_contact, texting::contacts::replace_contact))
        .routes(routes!(texting::numbers::list_numbers))
        .routes(routes!(texting::numbers::set_owners))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(catch_panics(Problem::panicked))
}

/// A JSON object request body, accepted whatever its content type; anything else is a 400, and
/// a body over [`MAX_BODY_BYTES`] a 413.
pub(crate) struct JsonObject(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = RingPlanError;

    async fn from_request(req: Request, state: &S) -> Result<Self, RingPlanError> {
        switchboard_api::json::read_object(req, state).await.map(JsonObject).map_err(RingPlanError::from)
    }
}

/// A wire type's nested objects, by dotted path. serde reads a struct from an array too
/// (`[kind, value]`), which the document does not allow, so these are checked to be objects
/// (or `null`) before the conversion.
pub(crate) trait Nested {
    const OBJECTS: &'static [&'static str] = &[];
}

/// Converts a JSON document to a wire type; when it does not fit, an invalid-input error that
/// names the field.
pub(crate) fn parse_wire<T: serde::de::DeserializeOwned + Nested>(mut value: Value) -> Result<T, Error> {
    switchboard_api::json::whole_floats_as_integers(&mut value);
    for path in T::OBJECTS {
        let found = path.split('.').try_fold(&value, |v, key| v.get(key));
        if found.is_some_and(|v| !v.is_object() && !v.is_null()) {
            return Err(Error::invalid_field(*path, "must be an object"));
        }
    }
    switchboard_api::json::from_value(value).map_err(Error::invalid)
}

/// Applies a partial update (a JSON merge patch) to the current wire form of a resource and
/// parses the result. Runs inside the engine's transaction, on the locked current state, so
/// concurrent partial updates of different fields do not undo each other.
pub(crate) fn patched<T: serde::Serialize + serde::de::DeserializeOwned + Nested>(
    current: &T,
    patch: Value,
) -> Result<T, Error> {
    let mut doc = switchboard_api::json::to_value(current);
    switchboard_api::json::merge_patch(&mut doc, patch);
    parse_wire(doc)
}
