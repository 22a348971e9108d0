use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use switchboard_domain::Error;
use switchboard_domain::texting::{PhoneNumber, TextConversation};
use switchboard_engine::texting::ContactRef;
use utoipa::ToSchema;

use super::{Pairs, contact_id, conversation_id, created_or_found, paging};
use crate::auth::Caller;
use crate::{JsonObject, Nested, RingPlanError, parse_wire};
use switchboard_api::AppState;
use switchboard_api::problem::Problem;

/// What creates a conversation: the company's number it is from and the texting contact it is
/// with. The server's fields of a Conversation object are not taken.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewConversationWire {
    /// ID of the texting contact.
    #[schema(example = "615717df4b8fa06267cd2f6f")]
    contact_id: String,
    /// One of the company's texting numbers, in any usual writing (E.164 or national).
    #[schema(example = "1235551234")]
    from_number: String,
    /// Only `direct` conversations are made by this form.
    #[schema(example = "direct")]
    conversation_type: Option<String>,
}

/// A recipient of a v2 conversation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RecipientWire {
    #[schema(example = "8586881740")]
    number: String,
}

/// RingPlan's v2 form: the conversation between a number and the recipients' numbers, their
/// texting contacts made if the company has none.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewConversationV2Wire {
    /// Exactly one: only direct conversations are offered.
    #[schema(min_items = 1, max_items = 1)]
    recipients: Vec<RecipientWire>,
    #[schema(example = "8584314411")]
    from_number: String,
    #[schema(example = "direct")]
    conversation_type: Option<String>,
    /// A name for the conversation (kept by group conversations only).
    name: Option<String>,
}

impl Nested for NewConversationWire {}
impl Nested for NewConversationV2Wire {}

/// Only direct conversations (one contact) exist here.
fn direct_only(conversation_type: Option<&str>) -> Result<(), Error> {
    match conversation_type {
        None | Some("direct") => Ok(()),
        Some(other) => Err(Error::invalid_field(
            "conversation_type",
            format!("must be 'direct' (group conversations are not offered), got '{other}'"),
        )),
    }
}

/// Get the company's conversations, the latest active first.
#[utoipa::path(
    get, path = "/texting/conversations", tag = "RingPlan: Texting",
    security(("api_key" = [], "user_id" = [])),
    params(
        ("page" = Option<u32>, Query, minimum = 1, description = "Index of the page of conversations"),
        ("per_page" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Conversations per page (default 50)"),
    ),
    responses(
        (status = 200, description = "A page of conversations.", body = Vec<TextConversation>, headers(
            ("X-Pagination-Total-Count" = u64, description = "Total number of conversations"),
            ("X-Pagination-Page-Count" = u64, description = "Number of pages"),
            ("X-Pagination-Current-Page" = u32, description = "Index of the current page"),
            ("X-Pagination-Per-Page" = u32, description = "Conversations per page"),
        )),
        (status = 400, body = Problem), (status = 401, body = Problem)
    )
)]
pub(crate) async fn list_conversations(
    State(s): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, RingPlanError> {
    let page = Pairs::of(query)?.page()?;
    let paged = s.engine.list_text_conversations(&actor, page).await?;
    Ok((paging(&paged), Json(paged.items)).into_response())
}

/// Search the company's messages: the conversations whose messages hold every word of `text`
/// (the last word also as a prefix), the best match first.
#[utoipa::path(
    get, path = "/texting/conversations/search", tag = "RingPlan: Texting",
    security(("api_key" = [], "user_id" = [])),
    params(("text" = Option<String>, Query, max_length = 200, description = "Search query")),
    responses(
        (status = 200, description = "The matching conversations.", body = Vec<TextConversation>),
        (status = 400, body = Problem), (status = 401, body = Problem)
    )
)]
pub(crate) async fn search_conversations(
    State(s): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<Vec<TextConversation>>, RingPlanError> {
    let pairs = Pairs::of(query)?;
    let text = pairs.one("text")?.unwrap_or_default();
    switchboard_domain::text::TextRule::NAME.check("text", text)?;
    Ok(Json(s.engine.search_text_conversations(&actor, text).await?))
}

/// Create a conversation between one of the company's numbers and a texting contact: 200 with
/// the existing one when the two numbers already have one, 201 when new.
#[utoipa::path(
    post, path = "/texting/conversations", tag = "RingPlan: Texting",
    security(("api_key" = [], "user_id" = [])),
    request_body = NewConversationWire,
    responses(
        (status = 200, description = "A conversation already exists for the two numbers.", body = TextConversation),
        (status = 201, description = "The new conversation.", body = TextConversation),
        (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, description = "No such texting contact, or `from_number` is not a number of the company.", body = Problem)
    )
)]
pub(crate) async fn create_conversation(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<TextConversation>), RingPlanError> {
    let w: NewConversationWire = parse_wire(body)?;
    direct_only(w.conversation_type.as_deref())?;
    let from = PhoneNumber::parse("from_number", &w.from_number)?;
    let contact = contact_id(&w.contact_id)?;
    let (conversation, created) = s.engine.start_text_conversation(&actor, &from, ContactRef::Id(contact)).await?;
    Ok((created_or_found(created), Json(conversation)))
}

/// Create or get the conversation between a number and a recipient's number (RingPlan's v2).
#[utoipa::path(
    post, path = "/texting/v2/conversations", tag = "RingPlan: Texting",
    security(("api_key" = [], "user_id" = [])),
    request_body = NewConversationV2Wire,
    responses(
        (status = 200, description = "A conversation already exists for the two numbers.", body = TextConversation),
        (status = 201, description = "The new conversation.", body = TextConversation),
        (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, description = "`from_number` is not a number of the company.", body = Problem)
    )
)]
pub(crate) async fn create_conversation_v2(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<TextConversation>), RingPlanError> {
    let w: NewConversationV2Wire = parse_wire(body)?;
    direct_only(w.conversation_type.as_deref())?;
    if let Some(name) = &w.name {
        switchboard_domain::text::TextRule::NAME.check("name", name)?;
    }
    let [recipient] = w.recipients.as_slice() else {
        return Err(
            Error::invalid_field("recipients", "must hold exactly one recipient (a direct conversation)").into()
        );
    };
    let from = PhoneNumber::parse("from_number", &w.from_number)?;
    let to = PhoneNumber::parse("recipients.number", &recipient.number)?;
    let (conversation, created) = s.engine.start_text_conversation(&actor, &from, ContactRef::Number(to)).await?;
    Ok((created_or_found(created), Json(conversation)))
}

/// Delete a conversation with all its messages.
#[utoipa::path(
    delete, path = "/texting/conversations/{conversation_id}", tag = "RingPlan: Texting",
    security(("api_key" = [], "user_id" = [])),
    params(("conversation_id" = String, Path, pattern = "^[0-9a-f]{24}$", description = "ID of the target conversation")),
    responses(
        (status = 204, description = "The conversation and its messages were deleted."),
        (status = 401, body = Problem),
        (status = 404, description = "No such conversation.", body = Problem)
    )
)]
pub(crate) async fn delete_conversation(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, RingPlanError> {
    s.engine.delete_text_conversation(&actor, &conversation_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
