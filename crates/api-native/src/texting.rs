//! `/v1/texting/numbers`: the company's texting numbers (sources of kind `sms`), each with its
//! carrier, the carrier's credentials (write-only: stored sealed, never answered), its owners
//! and its sending rate.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use switchboard_domain::email::Email;
use switchboard_domain::source::sms::{CarrierCredentials, CarrierKind, DEFAULT_RATE_PER_MINUTE};
use switchboard_domain::source::{SmsConfig, SmsSetup, Source, SourceConfig, SourceDetails, SourceSetup};
use switchboard_domain::texting::PhoneNumber;
use switchboard_domain::{Error, Resource, Result};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::{JsonObject, NativeError};
use switchboard_api::AppState;
use switchboard_api::json::from_value;
use switchboard_api::problem::Problem;

/// A texting number as the API answers it: never its credentials, only whether it has some.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TextingNumberAdminWire {
    #[schema(example = "6b021d147e06aad45d323bd8")]
    id: String,
    #[schema(example = "Front desk")]
    name: String,
    /// E.164.
    #[schema(example = "+14155550199")]
    number: String,
    /// Who carries its messages: `loopback` (between numbers of this installation).
    #[schema(example = "loopback")]
    carrier: String,
    /// Whether credentials are stored for the carrier (they are never shown).
    has_credentials: bool,
    /// Emails of the users who own the number (they see it in RingPlan's `GET /texting/numbers`).
    owners: Vec<String>,
    /// Messages it may send per minute; the others wait their turn.
    rate_per_minute: u32,
    created_at: String,
    updated_at: String,
}

impl TextingNumberAdminWire {
    fn new(s: &Source) -> Option<Self> {
        let SourceConfig::Sms(c) = &s.config else { return None };
        Some(TextingNumberAdminWire {
            id: s.id.to_string(),
            name: s.name.clone(),
            number: c.number.to_string(),
            carrier: c.carrier.as_str().to_owned(),
            has_credentials: !c.credentials.0.is_empty(),
            owners: c.owners.iter().map(Email::to_string).collect(),
            rate_per_minute: c.rate_per_minute,
            created_at: s.created_at.to_rfc3339_micros(),
            updated_at: s.updated_at.to_rfc3339_micros(),
        })
    }
}

/// A number to add. Left out: `name` is the number, `owners` none, `rate_per_minute` 60 (one a
/// second, a long code's rate).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewTextingNumberWire {
    #[schema(example = "+14155550199")]
    number: String,
    name: Option<String>,
    #[schema(example = "loopback")]
    carrier: String,
    /// The carrier's credentials (write-only).
    #[schema(value_type = Option<Object>)]
    credentials: Option<Map<String, Value>>,
    owners: Option<Vec<String>>,
    #[schema(minimum = 1, maximum = 6000)]
    rate_per_minute: Option<u32>,
}

/// A change: each field given replaces the current one. Credentials left out are kept (while
/// the carrier stays the same).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TextingNumberPatchWire {
    name: Option<String>,
    carrier: Option<String>,
    #[schema(value_type = Option<Object>)]
    credentials: Option<Map<String, Value>>,
    owners: Option<Vec<String>>,
    #[schema(minimum = 1, maximum = 6000)]
    rate_per_minute: Option<u32>,
}

fn owners(list: Vec<String>) -> Result<Vec<Email>> {
    list.iter().enumerate().map(|(i, e)| Email::parse_field(&format!("owners[{i}]"), e)).collect()
}

fn number(path: &str) -> Result<PhoneNumber> {
    PhoneNumber::parse("number", path).map_err(|_| Error::NotFound(Resource::Source))
}

fn answer(source: &Source) -> Result<Json<TextingNumberAdminWire>> {
    TextingNumberAdminWire::new(source).map(Json).ok_or(Error::NotFound(Resource::Source))
}

/// List the company's texting numbers.
#[utoipa::path(
    get, path = "/v1/texting/numbers", tag = "Native: Texting",
    security(("api_key" = [])),
    responses((status = 200, body = Vec<TextingNumberAdminWire>), (status = 401, body = Problem), (status = 403, body = Problem))
)]
pub(crate) async fn list_numbers(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Vec<TextingNumberAdminWire>>, NativeError> {
    actor.require_admin("manage texting numbers")?;
    Ok(Json(s.engine.list_sources(&actor).await?.iter().filter_map(TextingNumberAdminWire::new).collect()))
}

/// Add a texting number to the company. A number belongs to one company of the installation.
#[utoipa::path(
    post, path = "/v1/texting/numbers", tag = "Native: Texting",
    security(("api_key" = [])),
    request_body = NewTextingNumberWire,
    responses(
        (status = 201, description = "The new number.", body = TextingNumberAdminWire),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, description = "The number is already in use.", body = Problem)
    )
)]
pub(crate) async fn add_number(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<TextingNumberAdminWire>), NativeError> {
    let w: NewTextingNumberWire = from_value(body).map_err(NativeError::bad_request)?;
    let setup = SmsSetup {
        number: PhoneNumber::parse("number", &w.number)?,
        carrier: CarrierKind::parse("carrier", &w.carrier)?,
        credentials: w.credentials.map(CarrierCredentials),
        owners: owners(w.owners.unwrap_or_default())?,
        rate_per_minute: w.rate_per_minute.unwrap_or(DEFAULT_RATE_PER_MINUTE),
    };
    let name = w.name.unwrap_or_else(|| setup.number.to_string());
    let source = s.engine.add_texting_number(&actor, name, setup).await?;
    Ok((StatusCode::CREATED, answer(&source)?))
}

/// Get a texting number.
#[utoipa::path(
    get, path = "/v1/texting/numbers/{number}", tag = "Native: Texting",
    security(("api_key" = [])),
    params(("number" = String, Path, description = "The number, E.164 (`%2B` for the `+`) or national")),
    responses((status = 200, body = TextingNumberAdminWire), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem))
)]
pub(crate) async fn get_number(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
) -> Result<Json<TextingNumberAdminWire>, NativeError> {
    actor.require_admin("manage texting numbers")?;
    Ok(answer(&s.engine.texting_number(&actor, &number(&n)?).await?)?)
}

/// Change a texting number's name, carrier, credentials, owners or rate.
#[utoipa::path(
    patch, path = "/v1/texting/numbers/{number}", tag = "Native: Texting",
    security(("api_key" = [])),
    params(("number" = String, Path)),
    request_body = TextingNumberPatchWire,
    responses(
        (status = 200, body = TextingNumberAdminWire), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)
    )
)]
pub(crate) async fn update_number(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<TextingNumberAdminWire>, NativeError> {
    actor.require_admin("manage texting numbers")?;
    let number = number(&n)?;
    let w: TextingNumberPatchWire = from_value(body).map_err(NativeError::bad_request)?;
    let carrier = w.carrier.as_deref().map(|c| CarrierKind::parse("carrier", c)).transpose()?;
    let new_owners = w.owners.map(owners).transpose()?;
    let source = s
        .engine
        .update_texting_number(&actor, &number, |current: &Source, c: &SmsConfig| {
            let setup = SmsSetup {
                number: c.number.clone(),
                carrier: carrier.unwrap_or(c.carrier),
                credentials: w.credentials.clone().map(CarrierCredentials),
                owners: new_owners.clone().unwrap_or_else(|| c.owners.clone()),
                rate_per_minute: w.rate_per_minute.unwrap_or(c.rate_per_minute),
            };
            let name = w.name.clone().unwrap_or_else(|| current.name.clone());
            Ok(SourceDetails { name, setup: SourceSetup::Sms(setup) })
        })
        .await?;
    Ok(answer(&source)?)
}

/// Remove a texting number. Its conversations stay readable; nothing more is sent or received
/// on it.
#[utoipa::path(
    delete, path = "/v1/texting/numbers/{number}", tag = "Native: Texting",
    security(("api_key" = [])),
    params(("number" = String, Path)),
    responses((status = 204, description = "Removed."), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem))
)]
pub(crate) async fn remove_number(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
) -> Result<StatusCode, NativeError> {
    actor.require_admin("manage texting numbers")?;
    s.engine.remove_texting_number(&actor, &number(&n)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
