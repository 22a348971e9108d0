use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use switchboard_domain::texting::{PhoneNumber, TextContact};
use switchboard_engine::texting::ContactDetails;
use utoipa::ToSchema;

use super::{Pairs, contact_id, created_or_found};
use crate::auth::Caller;
use crate::{JsonObject, Nested, RingPlanError, parse_wire};
use switchboard_api::AppState;
use switchboard_api::problem::Problem;

/// The Texting Contact as a request writes it. `id` and `company_id` are set by the server and
/// ignored when sent back.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TextingContactWire {
    #[serde(rename = "id")]
    _id: Option<String>,
    #[serde(rename = "company_id")]
    _company_id: Option<String>,
    /// A phone number, stored in E.164; one texting contact per number in a company.
    #[schema(example = "+12340009999")]
    number: String,
    #[schema(max_length = 200, example = "John")]
    first_name: Option<String>,
    #[schema(max_length = 200, example = "Smith")]
    last_name: Option<String>,
}

impl Nested for TextingContactWire {}

impl TextingContactWire {
    fn details(self) -> switchboard_domain::Result<ContactDetails> {
        let TextingContactWire { number, first_name, last_name, .. } = self;
        Ok(ContactDetails { number: Some(PhoneNumber::parse("number", &number)?), first_name, last_name })
    }
}

/// Create a texting contact: 200 with the company's contact of that number when it has one,
/// 201 when new.
#[utoipa::path(
    post, path = "/texting/contacts", tag = "RingPlan: Texting",
    security(("api_key" = [], "user_id" = [])),
    request_body = TextingContactWire,
    responses(
        (status = 200, description = "The company already has a texting contact with this number.", body = TextContact),
        (status = 201, description = "The new texting contact.", body = TextContact),
        (status = 400, body = Problem), (status = 401, body = Problem)
    )
)]
pub(crate) async fn create_contact(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<TextContact>), RingPlanError> {
    let details = parse_wire::<TextingContactWire>(body)?.details()?;
    let (contact, created) = s.engine.create_text_contact(&actor, details).await?;
    Ok((created_or_found(created), Json(contact)))
}

/// The company's texting contacts, those whose name or number holds `search` when given.
#[utoipa::path(
    get, path = "/texting/contacts", tag = "RingPlan: Texting",
    security(("api_key" = [], "user_id" = [])),
    params(("search" = Option<String>, Query, max_length = 200, description = "Search query")),
    responses(
        (status = 200, description = "The texting contacts.", body = Vec<TextContact>),
        (status = 400, body = Problem), (status = 401, body = Problem)
    )
)]
pub(crate) async fn list_contacts(
    State(s): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<Vec<TextContact>>, RingPlanError> {
    let pairs = Pairs::of(query)?;
    let search = pairs.one("search")?;
    switchboard_domain::text::TextRule::NAME.check_opt("search", search)?;
    Ok(Json(s.engine.text_contacts(&actor, search).await?))
}

/// Get a texting contact.
#[utoipa::path(
    get, path = "/texting/contacts/{texting_contact_id}", tag = "RingPlan: Texting",
    security(("api_key" = [], "user_id" = [])),
    params(("texting_contact_id" = String, Path, pattern = "^[0-9a-f]{24}$")),
    responses(
        (status = 200, body = TextContact), (status = 401, body = Problem),
        (status = 404, description = "No such texting contact.", body = Problem)
    )
)]
pub(crate) async fn get_contact(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<TextContact>, RingPlanError> {
    Ok(Json(s.engine.text_contact(&actor, &contact_id(&id)?).await?))
}

/// Replace a texting contact: its number and names are those sent (names left out are
/// removed). The number of a contact that has conversations cannot change (409).
#[utoipa::path(
    put, path = "/texting/contacts/{texting_contact_id}", tag = "RingPlan: Texting",
    security(("api_key" = [], "user_id" = [])),
    params(("texting_contact_id" = String, Path, pattern = "^[0-9a-f]{24}$")),
    request_body = TextingContactWire,
    responses(
        (status = 200, description = "The updated texting contact.", body = TextContact),
        (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, description = "No such texting contact.", body = Problem),
        (status = 409, description = "Another contact has the number, or this one has conversations under its old number.", body = Problem)
    )
)]
pub(crate) async fn replace_contact(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<TextContact>, RingPlanError> {
    let id = contact_id(&id)?;
    let details = parse_wire::<TextingContactWire>(body)?.details()?;
    Ok(Json(s.engine.replace_text_contact(&actor, &id, details).await?))
}
