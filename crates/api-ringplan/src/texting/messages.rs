use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use switchboard_domain::texting::TextMessage;
use switchboard_domain::{ContentId, Error, Resource};
use utoipa::ToSchema;

use super::{Pairs, conversation_id, message_ids, paging};
use crate::auth::Caller;
use crate::{JsonObject, Nested, RingPlanError, parse_wire};
use switchboard_api::AppState;
use switchboard_api::problem::Problem;

/// `PATCH …/messages/{message_id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReadWire {
    /// Whether the message should be marked as read.
    is_read: bool,
}

/// A message to send. `files` are not taken yet: attachments (MMS) come with the file store.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PublishWire {
    /// Something to send: not empty, not only white space.
    #[schema(example = "Hello world!", min_length = 1, pattern = r"\S")]
    text: String,
    /// The caller's id for the message (a UUID, say): publishing again with the same
    /// `stamp_id` on the same number gives back the message it made, and sends nothing more.
    #[schema(example = "b44c10de-1d7b-4914-ac68-6af475bc3236", max_length = 512)]
    stamp_id: Option<String>,
    /// Files to attach: must be empty (MMS is not offered yet).
    #[schema(value_type = Option<Vec<Object>>, max_items = 0)]
    files: Option<Vec<serde_json::Value>>,
}

/// RingPlan's v2 publish body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PublishV2Wire {
    /// Something to send: not empty, not only white space.
    #[schema(example = "Hello world!", min_length = 1, pattern = r"\S")]
    text: String,
    /// Accepted for RingPlan's guide, and without effect: nothing here warns without refusing
    /// (an opted-out contact is a 409 either way).
    #[serde(rename = "with_warning")]
    _with_warning: Option<bool>,
    /// As in the v1 publish.
    #[schema(max_length = 512)]
    stamp_id: Option<String>,
}

impl Nested for ReadWire {}
impl Nested for PublishWire {}
impl Nested for PublishV2Wire {}

fn message_id(id: &str) -> Result<ContentId, Error> {
    ContentId::parse(id).map_err(|_| Error::NotFound(Resource::Content))
}

/// Get a page of a conversation's messages, the latest first.
#[utoipa::path(
    get, path = "/texting/conversations/{conversation_id}/messages", tag = "RingPlan: Texting",
    security(("api_key" = [], "user_id" = [])),
    params(
        ("conversation_id" = String, Path, pattern = "^[0-9a-f]{24}$"),
        ("page" = Option<u32>, Query, minimum = 1, description = "Index of the page of messages"),
        ("per_page" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Messages per page (default 50)"),
    ),
    responses(
        (status = 200, description = "A page of messages.", body = Vec<TextMessage>, headers(
            ("X-Pagination-Total-Count" = u64, description = "Total number of messages in the conversation"),
            ("X-Pagination-Page-Count" = u64, description = "Number of pages"),
            ("X-Pagination-Current-Page" = u32, description = "Index of the current page"),
            ("X-Pagination-Per-Page" = u32, description = "Messages per page"),
        )),
        (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, description = "No such conversation.", body = Problem)
    )
)]
pub(crate) async fn list_messages(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, RingPlanError> {
    let page = Pairs::of(query)?.page()?;
    let paged = s.engine.list_text_messages(&actor, &conversation_id(&id)?, page).await?;
    Ok((paging(&paged), Json(paged.items)).into_response())
}

/// Delete messages of a conversation: every id must be one of its messages, or nothing is
/// deleted (404).
#[utoipa::path(
    delete, path = "/texting/conversations/{conversation_id}/messages", tag = "RingPlan: Texting",
    security(("api_key" = [], "user_id" = [])),
    params(
        ("conversation_id" = String, Path, pattern = "^[0-9a-f]{24}$"),
        ("ids" = Vec<String>, Query, description = "IDs of the messages to delete (`ids=a&ids=b` or `ids=a,b`)"),
    ),
    responses(
        (status = 204, description = "The messages were deleted."),
        (status = 400, description = "No `ids`, or a value that is not a message id.", body = Problem),
        (status = 401, body = Problem),
        (status = 404, description = "No such conversation, or a message of it.", body = Problem)
    )
)]
pub(crate) async fn delete_messages(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<StatusCode, RingPlanError> {
    let pairs = Pairs::of(query)?;
    let ids = message_ids("ids", pairs.all("ids"))?;
    if ids.is_empty() {
        return Err(Error::invalid_field("ids", "is required: the IDs of the messages to delete").into());
    }
    s.engine.delete_texts(&actor, &conversation_id(&id)?, &ids).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mark a message of a conversation as read (or unread).
#[utoipa::path(
    patch, path = "/texting/conversations/{conversation_id}/messages/{message_id}", tag = "RingPlan: Texting",
    security(("api_key" = [], "user_id" = [])),
    params(
        ("conversation_id" = String, Path, pattern = "^[0-9a-f]{24}$"),
        ("message_id" = String, Path, pattern = "^[0-9a-f]{24}$"),
    ),
    request_body = ReadWire,
    responses(
        (status = 200, description = "The updated message.", body = TextMessage),
        (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, description = "No such conversation, or message in it.", body = Problem)
    )
)]
pub(crate) async fn mark_message(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path((id, message)): Path<(String, String)>,
    JsonObject(body): JsonObject,
) -> Result<Json<TextMessage>, RingPlanError> {
    let w: ReadWire = parse_wire(body)?;
    let conversation = conversation_id(&id)?;
    let message = message_id(&message)?;
    let mut updated = s.engine.mark_texts_read(&actor, &conversation, &[message], w.is_read).await?;
    Ok(Json(updated.pop().ok_or(Error::NotFound(Resource::Content))?))
}

/// Send a text in a conversation. It is stored at once and sent by the number's carrier in its
/// turn: `success` is `null` while it waits, then `true`, or `false` with the carrier's error.
#[utoipa::path(
    post, path = "/texting/conversations/{conversation_id}/messages/publish", tag = "RingPlan: Texting",
    security(("api_key" = [], "user_id" = [])),
    params(("conversation_id" = String, Path, pattern = "^[0-9a-f]{24}$")),
    request_body = PublishWire,
    responses(
        (status = 201, description = "The message, queued for sending.", body = TextMessage),
        (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, description = "No such conversation.", body = Problem),
        (status = 409, description = "The contact opted out (STOP) of messages from this number: nothing was sent.", body = Problem)
    )
)]
pub(crate) async fn publish(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<TextMessage>), RingPlanError> {
    let w: PublishWire = parse_wire(body)?;
    if w.files.as_ref().is_some_and(|f| !f.is_empty()) {
        return Err(Error::invalid_field("files", "must be empty: attachments (MMS) are not offered yet").into());
    }
    let (message, _) = s.engine.publish_text(&actor, &conversation_id(&id)?, &w.text, w.stamp_id.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(message)))
}

/// Send a text in a conversation (RingPlan's v2): the answer is an array of messages.
#[utoipa::path(
    post, path = "/texting/v2/conversations/{conversation_id}/messages/publish", tag = "RingPlan: Texting",
    security(("api_key" = [], "user_id" = [])),
    params(("conversation_id" = String, Path, pattern = "^[0-9a-f]{24}$")),
    request_body = PublishV2Wire,
    responses(
        (status = 201, description = "The message, queued for sending.", body = Vec<TextMessage>),
        (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, description = "No such conversation.", body = Problem),
        (status = 409, description = "The contact opted out (STOP) of messages from this number: nothing was sent.", body = Problem)
    )
)]
pub(crate) async fn publish_v2(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<Vec<TextMessage>>), RingPlanError> {
    let PublishV2Wire { text, stamp_id, .. } = parse_wire(body)?;
    let (message, _) = s.engine.publish_text(&actor, &conversation_id(&id)?, &text, stamp_id.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(vec![message])))
}
