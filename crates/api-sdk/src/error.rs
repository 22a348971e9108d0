use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use switchboard_domain::{Error, Resource};
use switchboard_engine::channels::sdk::messages;

/// A Send API refusal: a status and one of seeds/001's texts (with detail after a colon where
/// the text alone would not say what to fix).
#[derive(Debug)]
pub(crate) struct SendApiError {
    status: StatusCode,
    text: String,
}

impl SendApiError {
    pub(crate) fn bad_request() -> Self {
        Self { status: StatusCode::BAD_REQUEST, text: "Bad request".into() }
    }

    pub(crate) fn invalid_request_format(detail: &str) -> Self {
        Self { status: StatusCode::BAD_REQUEST, text: format!("Invalid request format: {detail}") }
    }

    pub(crate) fn too_large() -> Self {
        Self {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            text: format!("Invalid request size (max: {} bytes)", crate::MAX_BODY),
        }
    }
}

/// The Send API mapping of every domain error.
impl From<Error> for SendApiError {
    fn from(e: Error) -> Self {
        let (status, text) = match e {
            Error::NotFound(Resource::Source) => (StatusCode::UNPROCESSABLE_ENTITY, "Source not found".to_owned()),
            Error::NotFound(what) => {
                (StatusCode::UNPROCESSABLE_ENTITY, format!("{}: unknown {what}", messages::INVALID_RESOURCE_FORMAT))
            }
            e @ Error::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
            Error::Forbidden(msg) | Error::Conflict(msg) => (StatusCode::UNPROCESSABLE_ENTITY, msg),
            Error::Unauthenticated => (StatusCode::UNPROCESSABLE_ENTITY, "Invalid signature".to_owned()),
            Error::RateLimited(msg) => (StatusCode::TOO_MANY_REQUESTS, msg),
            Error::TooLarge(msg) => (StatusCode::PAYLOAD_TOO_LARGE, msg),
            // Never a 503: a connector retries those, and this call would fail the same way forever.
            Error::Unstorable(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("{}: {}", messages::INVALID_RESOURCE_FORMAT, switchboard_api::problem::UNSTORABLE),
            ),
            Error::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "Service unavailable, please retry".to_owned()),
            Error::Internal(msg) => {
                tracing::error!(error = %msg, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "Internal error".to_owned())
            }
        };
        Self { status, text }
    }
}

/// What a panicking handler answers.
pub(crate) fn panicked() -> Response {
    SendApiError { status: StatusCode::INTERNAL_SERVER_ERROR, text: "Internal error".into() }.into_response()
}

impl IntoResponse for SendApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status, self.text).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
        res
    }
}
