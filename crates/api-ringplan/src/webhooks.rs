use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use switchboard_domain::outbound::OutboundUrl;
use switchboard_domain::webhook::{Subscription, WebhookEndpoint};
use switchboard_domain::{Error, Resource, SubscriptionId};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::{JsonObject, Nested, RingPlanError, parse_wire};
use switchboard_api::AppState;
use switchboard_api::problem::Problem;

/// The RingPlan webhook URL object. Its `id` is set by the server and ignored in requests.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UrlWire {
    #[schema(example = "6165732029a740a320e8031f")]
    id: Option<String>,
    /// The caller's company. A request may leave it out or repeat it; naming another company
    /// is forbidden (403).
    company_id: Option<String>,
    /// An absolute http(s) URL (at most 2,000 characters).
    #[schema(value_type = String, required = true, max_length = 2048, pattern = r"^https?://(([A-Za-z0-9-]+\.)*[A-Za-z][A-Za-z0-9-]*|((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9]))(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?([/?#][^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*)?$", example = "https://www.example.com")]
    url: Option<String>,
}

impl Nested for UrlWire {}

impl Nested for CallbackWire {}

impl From<&WebhookEndpoint> for UrlWire {
    fn from(e: &WebhookEndpoint) -> Self {
        UrlWire { id: Some(e.id.to_string()), company_id: Some(e.company_id.to_string()), url: Some(e.url.to_string()) }
    }
}

/// The RingPlan webhook event object: a subscription to one event type. Its `id` and
/// `company_id` are set by the server and ignored in requests.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CallbackWire {
    #[schema(example = "6165732029a740a320e8031f")]
    id: Option<String>,
    #[schema(example = "611ced1255c44a89f8df7cc0")]
    company_id: Option<String>,
    #[serde(rename = "type")]
    #[schema(value_type = CallbackType, required = true)]
    kind: Option<String>,
}

/// The event types a subscription may name.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) enum CallbackType {
    #[schema(rename = "dial.action.started")]
    DialActionStarted,
    #[schema(rename = "dial.action.completed")]
    DialActionCompleted,
    #[schema(rename = "call.action.hangup")]
    CallActionHangup,
    #[schema(rename = "texting.message.inbound")]
    TextingMessageInbound,
}

impl From<&Subscription> for CallbackWire {
    fn from(c: &Subscription) -> Self {
        CallbackWire {
            id: Some(c.id.to_string()),
            company_id: Some(c.company_id.to_string()),
            kind: Some(c.event_type.clone()),
        }
    }
}

/// Get the company's webhook callback URL.
#[utoipa::path(
    get, path = "/webhooks/callbacks/url", tag = "RingPlan: Webhooks",
    security(("api_key" = [], "user_id" = [])),
    responses((status = 200, description = "webhook url successfully returned.", body = UrlWire), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, description = "No URL was set yet.", body = Problem))
)]
pub(crate) async fn get_url(State(s): State<AppState>, Caller(actor): Caller) -> Result<Json<UrlWire>, RingPlanError> {
    Ok(Json(UrlWire::from(&s.engine.ringplan_callback_url(&actor).await?)))
}

/// Set the company's webhook callback URL.
#[utoipa::path(
    put, path = "/webhooks/callbacks/url", tag = "RingPlan: Webhooks",
    security(("api_key" = [], "user_id" = [])),
    request_body = UrlWire,
    responses((status = 200, description = "webhook url successfully updated and returned.", body = UrlWire), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem))
)]
pub(crate) async fn put_url(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonObject(body): JsonObject,
) -> Result<Json<UrlWire>, RingPlanError> {
    let w: UrlWire = parse_wire(body)?;
    if w.company_id.as_deref().is_some_and(|c| c != actor.company_id.as_str()) {
        return Err(Error::forbidden("'company_id' must be the caller's company").into());
    }
    let url = OutboundUrl::parse("url", w.url.as_deref().ok_or_else(|| Error::invalid_field("url", "is required"))?)?;
    Ok(Json(UrlWire::from(&s.engine.set_ringplan_callback_url(&actor, url).await?)))
}

/// The subscribed webhook events.
#[utoipa::path(
    get, path = "/webhooks/callbacks", tag = "RingPlan: Webhooks",
    security(("api_key" = [], "user_id" = [])),
    responses((status = 200, description = "An array of webhook events successfully returned.", body = Vec<CallbackWire>), (status = 401, body = Problem), (status = 403, body = Problem))
)]
pub(crate) async fn list_callbacks(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Vec<CallbackWire>>, RingPlanError> {
    Ok(Json(s.engine.ringplan_callbacks(&actor).await?.iter().map(CallbackWire::from).collect()))
}

/// Subscribe to a webhook event.
#[utoipa::path(
    post, path = "/webhooks/callbacks", tag = "RingPlan: Webhooks",
    security(("api_key" = [], "user_id" = [])),
    request_body = CallbackWire,
    responses((status = 201, description = "A webhook event was successfully created and returned.", body = CallbackWire), (status = 400, description = "Not one of the four event types.", body = Problem), (status = 401, body = Problem), (status = 403, body = Problem))
)]
pub(crate) async fn subscribe(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<CallbackWire>), RingPlanError> {
    let w: CallbackWire = parse_wire(body)?;
    let kind = w.kind.ok_or_else(|| Error::invalid_field("type", "is required"))?;
    Ok((StatusCode::CREATED, Json(CallbackWire::from(&s.engine.subscribe_ringplan(&actor, &kind).await?))))
}

/// Unsubscribe from a webhook event.
#[utoipa::path(
    delete, path = "/webhooks/callbacks/{webhook_event_id}", tag = "RingPlan: Webhooks",
    security(("api_key" = [], "user_id" = [])),
    params(("webhook_event_id" = String, Path, pattern = "^[0-9a-f]{24}$", description = "webhook event to unsubscribe from")),
    responses((status = 200, description = "Successfully unsubscribed; the body is the subscription that was.", body = CallbackWire), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem))
)]
pub(crate) async fn unsubscribe(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<CallbackWire>, RingPlanError> {
    let id = SubscriptionId::parse(&id).map_err(|_| Error::NotFound(Resource::Subscription))?;
    Ok(Json(CallbackWire::from(&s.engine.unsubscribe_ringplan(&actor, &id).await?)))
}
