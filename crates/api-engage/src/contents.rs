use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use switchboard_domain::conversation::{Attachment, Content};
use switchboard_domain::{ContentId, IdentityId, SourceId};
use switchboard_engine::conversations::Compose;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::error::ErrorBody;
use crate::paging::{self, Paging};
use crate::{EngageError, JsonObject};
use switchboard_api::AppState;

/// A content: a message, private message or thread opener, from the channel or from an agent.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ContentRecord {
    #[schema(example = "6b021d147e06aad45d323bd8")]
    id: String,
    source_id: String,
    thread_id: String,
    /// The channel's id of the content; null until an agent's content is exported.
    foreign_id: Option<String>,
    author_identity_id: Option<String>,
    recipient_identity_id: Option<String>,
    in_reply_to_id: Option<String>,
    body: Option<String>,
    /// `text` or `html`.
    body_format: &'static str,
    /// `message`, `private_message` or `thread`.
    #[serde(rename = "type")]
    #[schema(example = "message")]
    kind: &'static str,
    /// `inbound` (from the channel) or `outbound` (written by an agent).
    direction: &'static str,
    /// `received` for inbound contents; `pending`, `exported` or `failed` for outbound ones.
    #[schema(example = "received")]
    status: &'static str,
    /// Why the last export attempt failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    export_error: Option<String>,
    /// Whether the customer read it (the connector's `status.mark_as_read`).
    read: bool,
    #[schema(example = "2026-11-21T22:37:08.145Z")]
    creation_time: String,
    #[schema(value_type = Vec<Object>)]
    attachments: Vec<Attachment>,
    structured_content: Option<Value>,
    categories: Vec<String>,
}

impl From<&Content> for ContentRecord {
    fn from(c: &Content) -> Self {
        ContentRecord {
            id: c.id.to_string(),
            source_id: c.source_id.to_string(),
            thread_id: c.thread_id.to_string(),
            foreign_id: c.foreign_id.clone(),
            author_identity_id: c.author_identity_id.as_ref().map(ToString::to_string),
            recipient_identity_id: c.recipient_identity_id.as_ref().map(ToString::to_string),
            in_reply_to_id: c.in_reply_to_id.as_ref().map(ToString::to_string),
            body: c.body.clone(),
            body_format: c.format.as_str(),
            kind: c.kind.as_str(),
            direction: c.direction.as_str(),
            status: c.export.as_ref().map_or("received", |e| e.status.as_str()),
            export_error: c.export.as_ref().and_then(|e| e.last_error.clone()),
            read: c.read,
            creation_time: c.created_at.to_rfc3339_millis(),
            attachments: c.attachments.clone(),
            structured_content: c.structured_content.clone(),
            categories: c.details.categories.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ContentsPage {
    records: Vec<ContentRecord>,
    paging: Paging,
}

/// The list's query, for the OpenAPI document: the handler reads the raw pairs so that each
/// bad value gets its own error.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, non_snake_case)]
struct ListParams {
    /// Only contents of this source.
    #[param(pattern = "^[0-9a-f]{24}$")]
    source: Option<String>,
    /// Records per page, 1 to 100 (default 30).
    #[param(minimum = 1, maximum = 100)]
    perPage: Option<u32>,
    /// `nextPageToken` of the previous page.
    pageToken: Option<String>,
}

fn id_param<T: TryFrom<String>>(name: &str, value: Option<&String>) -> Result<Option<T>, EngageError> {
    value
        .map(|v| T::try_from(v.clone()).map_err(|_| EngageError::parameter(name, format!("'{v}' is not an id"))))
        .transpose()
}

/// List contents, newest first, optionally of one source.
#[utoipa::path(
    get, path = "/engage/advanced-messaging/v1/contents", tag = "Advanced Messaging",
    security(("api_key" = [])),
    params(ListParams),
    responses((status = 200, body = ContentsPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody))
)]
pub(crate) async fn list_contents(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<ContentsPage>, EngageError> {
    let per_page = paging::per_page(q.get("perPage").map(String::as_str))?;
    let after = q.get("pageToken").map(|t| paging::decode(t)).transpose()?;
    let source: Option<SourceId> = id_param("source", q.get("source"))?;
    let page = s.engine.list_contents(&actor, source.as_ref(), after, per_page).await?;
    Ok(Json(ContentsPage {
        records: page.items.iter().map(ContentRecord::from).collect(),
        paging: Paging::new(per_page, q.get("pageToken").cloned(), page.next.as_ref()),
    }))
}

/// A reply (`inReplyToId`) or a new discussion (`sourceId`), written by the acting user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct NewContent {
    /// Not blank; at most 20,000 characters.
    #[schema(
        pattern = r"[^\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]",
        max_length = 20000,
        example = "Thanks, we are on it."
    )]
    body: String,
    /// The content replied to.
    #[schema(pattern = "^[0-9a-f]{24}$")]
    in_reply_to_id: Option<String>,
    /// The source of a new discussion (or, with `inReplyToId`, that content's source).
    #[schema(pattern = "^[0-9a-f]{24}$")]
    source_id: Option<String>,
    /// A puppetizable identity of the source to publish as.
    #[schema(pattern = "^[0-9a-f]{24}$")]
    author_identity_id: Option<String>,
}

switchboard_api::request_schema!(
    /// A new content names what it replies to (`inReplyToId`) or where it starts (`sourceId`).
    NewContentBody = NewContent, &[&["inReplyToId"], &["sourceId"]]
);

/// Create a content: stored at once as outbound and pushed to the source asynchronously.
#[utoipa::path(
    post, path = "/engage/advanced-messaging/v1/contents", tag = "Advanced Messaging",
    security(("api_key" = [])),
    request_body = NewContentBody,
    responses(
        (status = 201, description = "Stored; its export to the source is pending.", body = ContentRecord),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "The content replied to, the source or the author identity does not exist.", body = ErrorBody),
        (status = 409, description = "What is named does not allow it: the source starts no discussions or takes no replies, the content may not be replied to (or is not exported yet), the source is not the content's, the identity is not a puppetizable one of the source.", body = ErrorBody)
    )
)]
pub(crate) async fn create_content(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<ContentRecord>), EngageError> {
    let new: NewContent = switchboard_api::json::from_value(body).map_err(EngageError::bad_request)?;
    let compose = Compose {
        body: new.body,
        in_reply_to: id_param::<ContentId>("inReplyToId", new.in_reply_to_id.as_ref())?,
        source_id: id_param::<SourceId>("sourceId", new.source_id.as_ref())?,
        author_identity_id: id_param::<IdentityId>("authorIdentityId", new.author_identity_id.as_ref())?,
    };
    let content = s.engine.compose(&actor, compose).await?;
    Ok((StatusCode::CREATED, Json((&content).into())))
}
