use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use switchboard_domain::outbound::OutboundUrl;
use switchboard_domain::webhook::{EventPattern, Secret, WebhookDelivery, WebhookEndpoint, WebhookFormat};
use switchboard_domain::{Error, Resource, Result, SourceId, WebhookDeliveryId, WebhookEndpointId};
use switchboard_engine::webhooks::{NewWebhook, WebhookChange};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::{JsonObject, NativeError};
use switchboard_api::AppState;
use switchboard_api::json::from_value;
use switchboard_api::problem::Problem;

/// A webhook endpoint. `signing_secret` appears only at creation and after a rotation.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WebhookWire {
    #[schema(example = "6b021d147e06aad45d323bd8")]
    id: String,
    #[schema(example = "https://example.com/hooks/switchboard")]
    url: String,
    /// The shape of deliveries: `engage_digital` (the Engage Digital envelope), `native`
    /// (`{id, type, seq, company_id, created_at, data}`), or `ringplan` for the RingPlan
    /// callback URL.
    #[schema(example = "engage_digital")]
    format: &'static str,
    /// Event types, `family.*` patterns or `*`.
    #[schema(example = json!(["content.*", "thread.created"]))]
    events: Vec<String>,
    /// Only events about these sources, when set.
    source_ids: Option<Vec<String>>,
    /// `active`, or `disabled` (by an administrator, or because the receiver answered 410).
    #[schema(example = "active")]
    status: String,
    disabled_reason: Option<String>,
    /// Whether the subscription was verified with a `hub.challenge` handshake.
    verified: bool,
    /// Whether deliveries carry an `X-Dimelo-Secret` header.
    has_secret: bool,
    created_at: String,
    updated_at: String,
    /// The key of the `webhook-signature` header (Standard Webhooks).
    #[serde(skip_serializing_if = "Option::is_none")]
    signing_secret: Option<String>,
}

impl WebhookWire {
    fn new(e: &WebhookEndpoint, with_secret: bool) -> Self {
        WebhookWire {
            id: e.id.to_string(),
            url: e.url.to_string(),
            format: e.format.as_str(),
            events: e.events.iter().map(|p| p.as_str().to_owned()).collect(),
            source_ids: e.source_ids.as_ref().map(|ids| ids.iter().map(ToString::to_string).collect()),
            status: e.status.as_str().to_owned(),
            disabled_reason: e.disabled_reason.clone(),
            verified: e.verify_token.is_some(),
            has_secret: e.secret.is_some(),
            created_at: e.created_at.to_rfc3339_micros(),
            updated_at: e.updated_at.to_rfc3339_micros(),
            signing_secret: with_secret.then(|| e.signing_secret.expose().to_owned()),
        }
    }
}

/// What adding an endpoint takes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewWebhookWire {
    /// An absolute http(s) URL.
    #[schema(
        pattern = r"^https?://(([A-Za-z0-9-]+\.)*[A-Za-z][A-Za-z0-9-]*|((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9]))(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?([/?#][^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*)?$",
        max_length = 2048,
        example = "https://example.com/hooks/switchboard"
    )]
    url: String,
    /// `engage_digital` (default) or `native`.
    #[schema(value_type = Option<WebhookFormatWire>, example = "native")]
    format: Option<String>,
    /// Event types, `family.*` patterns or `*`.
    #[schema(min_items = 1, inline, value_type = Vec<EventPatternWire>, example = json!(["content.imported"]))]
    events: Vec<String>,
    /// Only events about these sources of the company.
    #[schema(value_type = Option<Vec<IdWire>>)]
    source_ids: Option<Vec<String>>,
    /// When set, the URL must answer a `GET ?hub.mode=subscribe&hub.challenge=…&hub.verify_token=…`
    /// with the challenge before the endpoint is accepted. 1 to 255 printable ASCII characters.
    #[schema(max_length = 255, pattern = "^[!-~]{1,255}$")]
    verify_token: Option<String>,
    /// Sent as-is in the `X-Dimelo-Secret` header of every request: 1 to 255 printable ASCII
    /// characters.
    #[schema(max_length = 255, pattern = "^[!-~]{1,255}$")]
    secret: Option<String>,
}

/// What may change on an endpoint; absent fields stay, `null` clears `source_ids` and `secret`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WebhookPatchWire {
    #[schema(
        pattern = r"^https?://(([A-Za-z0-9-]+\.)*[A-Za-z][A-Za-z0-9-]*|((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9]))(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?([/?#][^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*)?$",
        max_length = 2048
    )]
    url: Option<String>,
    #[schema(value_type = Option<WebhookFormatWire>)]
    format: Option<String>,
    #[schema(min_items = 1, value_type = Option<Vec<EventPatternWire>>)]
    events: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<IdWire>>)]
    source_ids: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 255, pattern = "^[!-~]{1,255}$")]
    secret: Option<Option<String>>,
    /// `false` stops deliveries; `true` resumes them (also after a 410).
    active: Option<bool>,
}

/// The formats an endpoint may be given here.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub(crate) enum WebhookFormatWire {
    EngageDigital,
    Native,
}

/// An event type (`content.imported`), a family (`content.*`) or `*`.
#[derive(ToSchema)]
#[schema(pattern = r"^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$", max_length = 100)]
#[allow(dead_code)]
pub(crate) struct EventPatternWire(String);

/// An id: 24 lowercase hex characters.
#[derive(ToSchema)]
#[schema(pattern = "^[0-9a-f]{24}$")]
#[allow(dead_code)]
pub(crate) struct IdWire(String);

/// Tells a field set to `null` (`Some(None)`) from an absent one (`None`).
fn present<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A delivery of one event to the endpoint, with the outcome of its attempts.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DeliveryWire {
    /// Also the `webhook-id` header and the body's `id`: the same on every attempt.
    id: String,
    webhook_id: String,
    event_seq: i64,
    event_type: String,
    /// `pending`, `delivered` or `dead`.
    status: String,
    attempts: i32,
    last_error: Option<String>,
    response_code: Option<i32>,
    created_at: String,
    updated_at: String,
    delivered_at: Option<String>,
}

impl From<&WebhookDelivery> for DeliveryWire {
    fn from(d: &WebhookDelivery) -> Self {
        DeliveryWire {
            id: d.id.to_string(),
            webhook_id: d.endpoint_id.to_string(),
            event_seq: d.event_seq,
            event_type: d.event_type.clone(),
            status: d.status.as_str().to_owned(),
            attempts: d.attempts,
            last_error: d.last_error.clone(),
            response_code: d.response_code,
            created_at: d.created_at.to_rfc3339_micros(),
            updated_at: d.updated_at.to_rfc3339_micros(),
            delivered_at: d.delivered_at.map(|t| t.to_rfc3339_micros()),
        }
    }
}

fn patterns(events: &[String]) -> Result<Vec<EventPattern>> {
    events.iter().map(|e| EventPattern::parse(e)).collect()
}

fn source_ids(ids: Option<Vec<String>>) -> Result<Option<Vec<SourceId>>> {
    ids.map(|ids| {
        ids.iter()
            .map(|s| {
                SourceId::parse(s)
                    .map_err(|_| Error::invalid_field("source_ids", format!("holds '{s}', which is not a source id")))
            })
            .collect()
    })
    .transpose()
}

fn secret(field: &str, s: String) -> Result<Secret> {
    if s.is_empty() || s.len() >= 256 || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid_field(field, "must be 1 to 255 printable ASCII characters"));
    }
    Ok(Secret::new(s))
}

/// The formats an endpoint may be given here; `ringplan` is the RingPlan facade's own.
fn format(s: &str) -> Result<WebhookFormat> {
    match WebhookFormat::parse(s)? {
        WebhookFormat::RingPlan => Err(Error::invalid_field(
            "format",
            "ringplan is the RingPlan callback URL's; here: engage_digital or native",
        )),
        other => Ok(other),
    }
}

fn endpoint_id(id: &str) -> Result<WebhookEndpointId> {
    WebhookEndpointId::parse(id).map_err(|_| Error::NotFound(Resource::Webhook))
}

/// List the company's webhook endpoints.
#[utoipa::path(
    get, path = "/v1/webhooks", tag = "Native: Webhooks",
    security(("api_key" = [])),
    responses((status = 200, body = Vec<WebhookWire>), (status = 401, body = Problem), (status = 403, body = Problem))
)]
pub(crate) async fn list_webhooks(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Vec<WebhookWire>>, NativeError> {
    Ok(Json(s.engine.list_webhooks(&actor).await?.iter().map(|e| WebhookWire::new(e, false)).collect()))
}

/// Add a webhook endpoint. The answer carries its signing secret, shown again only on rotation.
#[utoipa::path(
    post, path = "/v1/webhooks", tag = "Native: Webhooks",
    security(("api_key" = [])),
    request_body = NewWebhookWire,
    responses(
        (status = 201, description = "The new endpoint, with its signing secret.", body = WebhookWire),
        (status = 400, description = "Invalid fields, a private target, or a failed verification.", body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem)
    )
)]
pub(crate) async fn create_webhook(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<WebhookWire>), NativeError> {
    let w: NewWebhookWire = from_value(body).map_err(NativeError::bad_request)?;
    let new = NewWebhook {
        url: OutboundUrl::parse("url", &w.url)?,
        format: w.format.as_deref().map(format).transpose()?.unwrap_or(WebhookFormat::EngageDigital),
        events: patterns(&w.events)?,
        source_ids: source_ids(w.source_ids)?,
        verify_token: w.verify_token.map(|t| secret("verify_token", t)).transpose()?,
        secret: w.secret.map(|t| secret("secret", t)).transpose()?,
    };
    let endpoint = s.engine.create_webhook(&actor, new).await?;
    Ok((StatusCode::CREATED, Json(WebhookWire::new(&endpoint, true))))
}

/// Get a webhook endpoint.
#[utoipa::path(
    get, path = "/v1/webhooks/{webhook_id}", tag = "Native: Webhooks",
    security(("api_key" = [])),
    params(("webhook_id" = String, Path, pattern = "^[0-9a-f]{24}$")),
    responses((status = 200, body = WebhookWire), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem))
)]
pub(crate) async fn get_webhook(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<WebhookWire>, NativeError> {
    Ok(Json(WebhookWire::new(&s.engine.webhook(&actor, &endpoint_id(&id)?).await?, false)))
}

/// Change a webhook endpoint: `url`, `format`, `events`, `source_ids`, `secret`, `active`.
#[utoipa::path(
    patch, path = "/v1/webhooks/{webhook_id}", tag = "Native: Webhooks",
    security(("api_key" = [])),
    params(("webhook_id" = String, Path, pattern = "^[0-9a-f]{24}$")),
    request_body = WebhookPatchWire,
    responses(
        (status = 200, body = WebhookWire), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The RingPlan callback URL's format cannot change.", body = Problem)
    )
)]
pub(crate) async fn update_webhook(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<WebhookWire>, NativeError> {
    let id = endpoint_id(&id)?;
    let w: WebhookPatchWire = from_value(body).map_err(NativeError::bad_request)?;
    let change = WebhookChange {
        url: w.url.as_deref().map(|u| OutboundUrl::parse("url", u)).transpose()?,
        format: w.format.as_deref().map(format).transpose()?,
        events: w.events.as_deref().map(patterns).transpose()?,
        source_ids: w.source_ids.map(source_ids).transpose()?,
        secret: w.secret.map(|s| s.map(|t| secret("secret", t)).transpose()).transpose()?,
        active: w.active,
    };
    Ok(Json(WebhookWire::new(&s.engine.update_webhook(&actor, &id, change).await?, false)))
}

/// Delete a webhook endpoint and its deliveries.
#[utoipa::path(
    delete, path = "/v1/webhooks/{webhook_id}", tag = "Native: Webhooks",
    security(("api_key" = [])),
    params(("webhook_id" = String, Path, pattern = "^[0-9a-f]{24}$")),
    responses((status = 204, description = "Deleted."), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem))
)]
pub(crate) async fn delete_webhook(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, NativeError> {
    s.engine.delete_webhook(&actor, &endpoint_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace the signing secret. The old one keeps signing, as a second signature, for 24 hours.
#[utoipa::path(
    post, path = "/v1/webhooks/{webhook_id}/rotate-secret", tag = "Native: Webhooks",
    security(("api_key" = [])),
    params(("webhook_id" = String, Path, pattern = "^[0-9a-f]{24}$")),
    responses((status = 200, description = "The endpoint, with its new signing secret.", body = WebhookWire), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem))
)]
pub(crate) async fn rotate_secret(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<WebhookWire>, NativeError> {
    Ok(Json(WebhookWire::new(&s.engine.rotate_webhook_secret(&actor, &endpoint_id(&id)?).await?, true)))
}

/// The endpoint's most recent deliveries, newest first.
#[utoipa::path(
    get, path = "/v1/webhooks/{webhook_id}/deliveries", tag = "Native: Webhooks",
    security(("api_key" = [])),
    params(("webhook_id" = String, Path, pattern = "^[0-9a-f]{24}$"), ("limit" = Option<i64>, Query, minimum = 1, maximum = 500, description = "How many, newest first (1–500, default 100).")),
    responses((status = 200, body = Vec<DeliveryWire>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem))
)]
pub(crate) async fn list_deliveries(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Vec<DeliveryWire>>, NativeError> {
    let limit = match q.get("limit") {
        Some(l) => l.parse::<i64>().map_err(|_| NativeError::bad_request("'limit' must be a number"))?,
        None => 100,
    };
    if !(1..=500).contains(&limit) {
        return Err(NativeError::bad_request("'limit' must be between 1 and 500"));
    }
    Ok(Json(
        s.engine.webhook_deliveries(&actor, &endpoint_id(&id)?, limit).await?.iter().map(DeliveryWire::from).collect(),
    ))
}

/// Send a delivered or dead delivery again, with the same id.
#[utoipa::path(
    post, path = "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", tag = "Native: Webhooks",
    security(("api_key" = [])),
    params(("webhook_id" = String, Path, pattern = "^[0-9a-f]{24}$"), ("delivery_id" = String, Path, pattern = "^[0-9a-f]{24}$")),
    responses(
        (status = 202, description = "Queued again.", body = DeliveryWire),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The delivery is still being attempted.", body = Problem)
    )
)]
pub(crate) async fn redeliver(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path((id, delivery)): Path<(String, String)>,
) -> Result<(StatusCode, Json<DeliveryWire>), NativeError> {
    let delivery = WebhookDeliveryId::parse(&delivery).map_err(|_| Error::NotFound(Resource::WebhookDelivery))?;
    let d = s.engine.redeliver(&actor, &endpoint_id(&id)?, &delivery).await?;
    Ok((StatusCode::ACCEPTED, Json(DeliveryWire::from(&d))))
}
