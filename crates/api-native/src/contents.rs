use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use switchboard_domain::conversation::Content;
use switchboard_domain::{ContentId, Error, Resource, Result};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::{JsonObject, NativeError};
use switchboard_api::AppState;
use switchboard_api::json::from_value;
use switchboard_api::problem::Problem;

/// A content as the native API shows it: where it stands with its channel.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ContentWire {
    #[schema(example = "6b021d147e06aad45d323bd8")]
    id: String,
    source_id: String,
    thread_id: String,
    /// The connector's id; null until an outbound content is exported.
    foreign_id: Option<String>,
    /// `message`, `private_message` or `thread`.
    kind: &'static str,
    /// `inbound` or `outbound`.
    direction: &'static str,
    body: Option<String>,
    /// Actions the connector allows on this item.
    actions: Vec<String>,
    /// For outbound contents: `pending`, `exported` or `failed`.
    export_status: Option<&'static str>,
    /// Attempts made at exporting it.
    export_attempts: Option<i32>,
    /// Why the last attempt failed.
    export_error: Option<String>,
    created_at: String,
}

impl From<&Content> for ContentWire {
    fn from(c: &Content) -> Self {
        ContentWire {
            id: c.id.to_string(),
            source_id: c.source_id.to_string(),
            thread_id: c.thread_id.to_string(),
            foreign_id: c.foreign_id.clone(),
            kind: c.kind.as_str(),
            direction: c.direction.as_str(),
            body: c.body.clone(),
            actions: c.details.actions.clone(),
            export_status: c.export.as_ref().map(|e| e.status.as_str()),
            export_attempts: c.export.as_ref().map(|e| e.attempts),
            export_error: c.export.as_ref().and_then(|e| e.last_error.clone()),
            created_at: c.created_at.to_rfc3339_micros(),
        }
    }
}

/// Who performs an action: the connector-side id of the user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ActionWire {
    /// Not blank.
    #[schema(
        max_length = 512,
        pattern = r"^[^\x00-\x08\x0a-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x08\x0a-\x1f\x7f-\x9f]*$",
        example = "42"
    )]
    user_id: String,
}

fn content_id(id: &str) -> Result<ContentId> {
    ContentId::parse(id).map_err(|_| Error::NotFound(Resource::Content))
}

/// Get a content, with its export status.
#[utoipa::path(
    get, path = "/v1/contents/{content_id}", tag = "Native: Contents",
    security(("api_key" = [])),
    params(("content_id" = String, Path, pattern = "^[0-9a-f]{24}$")),
    responses((status = 200, body = ContentWire), (status = 401, body = Problem), (status = 404, body = Problem))
)]
pub(crate) async fn get_content(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<ContentWire>, NativeError> {
    Ok(Json(ContentWire::from(&s.engine.content(&actor, &content_id(&id)?).await?)))
}

/// Ask the connector to perform an action on a content (`delete`/`destroy`, `publish`,
/// `unpublish`, or a custom action). Accepted only when the source declares the action for the
/// content's collection and the content lists it; sent in the background, 3 attempts.
#[utoipa::path(
    post, path = "/v1/contents/{content_id}/actions/{action}", tag = "Native: Contents",
    security(("api_key" = [])),
    params(("content_id" = String, Path, pattern = "^[0-9a-f]{24}$"), ("action" = String, Path, max_length = 255)),
    request_body = ActionWire,
    responses(
        (status = 202, description = "Queued."),
        (status = 400, description = "The action is not allowed on this content.", body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)
    )
)]
pub(crate) async fn perform_action(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path((id, action)): Path<(String, String)>,
    JsonObject(body): JsonObject,
) -> Result<StatusCode, NativeError> {
    let id = content_id(&id)?;
    let w: ActionWire = from_value(body).map_err(NativeError::bad_request)?;
    s.engine.request_action(&actor, &id, &action, &w.user_id).await?;
    Ok(StatusCode::ACCEPTED)
}
