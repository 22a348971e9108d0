use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::SendApiError;
use switchboard_api::AppState;

pub(crate) const SIGNATURE_HEADER: &str = "x-smccsdk-signature";

/// Push an action to Switchboard (the Channel SDK Send API).
///
/// The body is `{"action": "<collection>.<operation>", "params": {…}}`, signed with the
/// source's access token: lowercase hex HMAC-SHA512 of the exact body bytes, in the
/// `X-SMCCSDK-SIGNATURE` header or the `signature` query parameter. Actions: `messages.create`,
/// `private_messages.create`, `threads.create`, `users.create`, `status.mark_as_read`,
/// `typing.start`, `typing.stop` — each only if the source declares it. The call is committed
/// before `ok` is answered.
#[utoipa::path(
    post, path = "/realtime/sdk/{source_id}", tag = "Channel SDK: Send API",
    params(
        ("source_id" = String, Path, pattern = "^[0-9a-f]{24}$", description = "The source the connector pushes to"),
        ("signature" = Option<String>, Query, nullable = false, pattern = "^[0-9a-f]{128}$", description = "The signature, when it cannot travel in the header"),
        ("X-SMCCSDK-SIGNATURE" = Option<String>, Header, nullable = false, pattern = "^[0-9a-f]{128}$", description = "Hex HMAC-SHA512 of the body, keyed with the source's access token"),
    ),
    request_body(content = PushBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Accepted and committed.", body = String, content_type = "text/plain", example = "ok"),
        (status = 400, description = "`Bad request` (not JSON) or `Invalid request format` (no `action` or `params`).", body = String, content_type = "text/plain"),
        (status = 413, description = "`Invalid request size (max: 20971520 bytes)`", body = String, content_type = "text/plain"),
        (status = 422, description = "`Source not found`, `Invalid signature`, `Invalid action`, `Invalid resource format: …` or a structured-content error.", body = String, content_type = "text/plain"),
        (status = 429, description = "`too many typing requests, please try again in a few seconds`", body = String, content_type = "text/plain"),
    )
)]
pub(crate) async fn push(
    State(s): State<AppState>,
    Path(source_id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, &'static str), SendApiError> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            SendApiError::too_large()
        } else {
            SendApiError::bad_request()
        }
    })?;
    let Ok(Value::Object(mut envelope)) = serde_json::from_slice::<Value>(&body) else {
        return Err(SendApiError::bad_request());
    };
    let action = match envelope.remove("action") {
        Some(Value::String(a)) if !a.is_empty() => a,
        _ => return Err(SendApiError::invalid_request_format("'action' is required")),
    };
    let params = match envelope.remove("params") {
        Some(Value::Object(p)) => p,
        _ => return Err(SendApiError::invalid_request_format("'params' is required and must be an object")),
    };
    let source = s.engine.source_for_push(&source_id).await?;
    let signature = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| query_signature(query.as_deref()));
    s.engine.verify_push(&source, &body, signature.as_deref())?;
    s.engine.push(source, &action, &params).await?;
    Ok((StatusCode::OK, "ok"))
}

fn query_signature(query: Option<&str>) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query?).ok()?;
    pairs.into_iter().find(|(k, _)| k == "signature").map(|(_, v)| v)
}

/// A Send API call: an action and its parameters, the object it creates or names.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct PushBody {
    action: PushAction,
    #[schema(value_type = Object)]
    params: serde_json::Map<String, Value>,
}

/// What a connector may push; each only if its source declares it.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) enum PushAction {
    #[schema(rename = "messages.create")]
    MessagesCreate,
    #[schema(rename = "private_messages.create")]
    PrivateMessagesCreate,
    #[schema(rename = "threads.create")]
    ThreadsCreate,
    #[schema(rename = "users.create")]
    UsersCreate,
    #[schema(rename = "status.mark_as_read")]
    StatusMarkAsRead,
    #[schema(rename = "typing.start")]
    TypingStart,
    #[schema(rename = "typing.stop")]
    TypingStop,
}
