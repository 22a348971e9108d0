use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::Value;
use switchboard_domain::email::Email;
use switchboard_domain::source::{Source, SourceConfig};
use switchboard_domain::texting::{NumberFormat, PhoneNumber};
use switchboard_domain::{Error, Resource};
use utoipa::ToSchema;

use super::Pairs;
use crate::RingPlanError;
use crate::auth::Caller;
use switchboard_api::AppState;
use switchboard_api::problem::Problem;

/// The Texting Number.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TextingNumberWire {
    #[schema(example = "61254e814b8fa062670a3e14")]
    id: String,
    #[schema(example = "611ced1255c44a89f8df7cc0")]
    company_id: String,
    /// E.164, or as `numformat` asks.
    #[schema(example = "+18273717273")]
    number: String,
    /// Emails of the users who own the number.
    #[schema(example = json!(["janedoe@example.com"]))]
    ownership: Vec<String>,
}

impl TextingNumberWire {
    fn new(s: &Source, format: NumberFormat) -> Option<Self> {
        let SourceConfig::Sms(c) = &s.config else { return None };
        Some(TextingNumberWire {
            id: s.id.to_string(),
            company_id: s.company_id.to_string(),
            number: c.number.format(format),
            ownership: c.owners.iter().map(Email::to_string).collect(),
        })
    }
}

/// Get the texting numbers the acting user owns; the primary user gets all of the company's.
#[utoipa::path(
    get, path = "/texting/numbers", tag = "RingPlan: Texting",
    security(("api_key" = [], "user_id" = [])),
    params(("numformat" = Option<String>, Query, pattern = "^(international|national)$", description = "How to write the numbers: `international` or `national` (default E.164)")),
    responses(
        (status = 200, description = "The texting numbers.", body = Vec<TextingNumberWire>),
        (status = 400, body = Problem), (status = 401, body = Problem)
    )
)]
pub(crate) async fn list_numbers(
    State(s): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<Vec<TextingNumberWire>>, RingPlanError> {
    let pairs = Pairs::of(query)?;
    let format = pairs.one("numformat")?.map(|f| NumberFormat::parse("numformat", f)).transpose()?.unwrap_or_default();
    let numbers = s.engine.texting_numbers(&actor).await?;
    Ok(Json(numbers.iter().filter_map(|n| TextingNumberWire::new(n, format)).collect()))
}

/// Set the emails that own a texting number (the company owner or an administrator).
#[utoipa::path(
    put, path = "/texting/numbers/{number}", tag = "RingPlan: Texting",
    security(("api_key" = [], "user_id" = [])),
    params(("number" = String, Path, description = "The texting number, in any usual writing")),
    request_body(content = Vec<String>, description = "Emails to own the number", example = json!(["janedoe@example.com", "johnsmith@example.com"])),
    responses(
        (status = 200, description = "The updated texting number.", body = TextingNumberWire),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, description = "The company has no such texting number.", body = Problem)
    )
)]
pub(crate) async fn set_owners(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(number): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<TextingNumberWire>, RingPlanError> {
    actor.require_admin("change who owns a texting number")?;
    let number = PhoneNumber::parse("number", &number).map_err(|_| Error::NotFound(Resource::Source))?;
    let body = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => RingPlanError(Problem::body_too_large()),
        _ => RingPlanError::bad_request(e.body_text()),
    })?;
    let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(&body) else {
        return Err(Error::invalid("the body must be a JSON array of email addresses").into());
    };
    let owners = items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let field = format!("[{i}]");
            v.as_str()
                .ok_or_else(|| Error::invalid_field(field.clone(), "must be an email address"))
                .and_then(|e| Email::parse_field(&field, e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let source = s.engine.set_number_owners(&actor, &number, owners).await?;
    TextingNumberWire::new(&source, NumberFormat::E164)
        .map(Json)
        .ok_or_else(|| Error::NotFound(Resource::Source).into())
}
