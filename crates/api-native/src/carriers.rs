//! `POST /carriers/{kind}/{number_or_account}/inbound`: where a carrier posts what it has for
//! this installation (an inbound message, a delivery status), in its own format. The engine's
//! SMS channel reads and stores it (`engine/src/channels/sms/carriers.rs`); the answer is the
//! one the carrier expects.
//!
//! `loopback` is the only carrier so far: `{kind}` is `loopback`, `{number_or_account}` the
//! company's number that receives, the body `{"id", "from", "text"}`, and the caller
//! authenticates with the company's API key (nothing signs loopback's webhooks).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use switchboard_engine::channels::sms::carriers::InboundRequest;
use utoipa::ToSchema;

use crate::NativeError;
use crate::auth::Caller;
use switchboard_api::AppState;
use switchboard_api::problem::Problem;

/// A message texted to one of the company's numbers, as the loopback carrier takes it.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub(crate) struct LoopbackInboundWire {
    /// The carrier's id of the message: the same id delivered again is stored once.
    #[schema(max_length = 512, example = "m-1")]
    id: Option<String>,
    /// Who texted, a phone number.
    #[schema(example = "+14155550100")]
    from: String,
    #[schema(max_length = 20000, example = "STOP")]
    text: String,
}

/// A carrier's webhook: an inbound message (STOP, START and HELP are acted upon) or a delivery
/// status.
#[utoipa::path(
    post, path = "/carriers/{kind}/{number_or_account}/inbound", tag = "Native: Texting",
    security(("api_key" = [])),
    params(
        ("kind" = String, Path, description = "The carrier: `loopback`"),
        ("number_or_account" = String, Path, description = "The number that receives (loopback)"),
    ),
    request_body = LoopbackInboundWire,
    responses(
        (status = 200, description = "Stored (or already known by its id)."),
        (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, description = "No such carrier, or the number is not one of the company's on this carrier.", body = Problem),
        (status = 409, description = "The same message is being stored by another delivery of it.", body = Problem)
    )
)]
pub(crate) async fn inbound(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path((kind, number_or_account)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, NativeError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let request = InboundRequest { number_or_account: &number_or_account, content_type, body: &body };
    let answer = s.engine.carrier_inbound(&kind, &request, Some(&actor.company_id)).await?;
    let mut response = answer.body.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(answer.content_type));
    Ok(response)
}
