//! The one error of the GWS facade: `{"statusCode":N,"statusMessage":"…"}` (spec §A.3), with the
//! HTTP status the spec suggests for each code. An error means nothing was changed.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use switchboard_api::json::BodyError;
use switchboard_domain::{Error, Resource};

/// GWS's `statusCode` values used here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub(crate) enum Code {
    MissingParameter = 1,
    InvalidForState = 2,
    Forbidden = 3,
    Internal = 4,
    NotFound = 6,
    OutOfRange = 10,
    NotAuthenticated = 20,
}

impl Code {
    /// The HTTP status answered with the code (spec §A.3, "our choice").
    fn status(self) -> StatusCode {
        match self {
            Code::MissingParameter | Code::InvalidForState | Code::OutOfRange => StatusCode::BAD_REQUEST,
            Code::Forbidden => StatusCode::FORBIDDEN,
            Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::NotAuthenticated => StatusCode::UNAUTHORIZED,
        }
    }
}

/// How an error body is written: most operations answer `{statusCode, statusMessage}`; the
/// seeds/004 operations that answer `{"status":"ok"}` fail with `{status: "error",
/// errorDescription}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    StatusCode,
    StatusText,
}

#[derive(Debug)]
pub(crate) struct GwsError {
    status: StatusCode,
    code: Code,
    message: String,
    style: Style,
}

/// What a caller without a session or valid credentials is told.
const NOT_AUTHENTICATED: &str =
    "Not authenticated: sign in with HTTP Basic (email and password), then send the JSESSIONID cookie.";

/// GWS's text for a write without the session's CSRF token.
pub(crate) const CSRF_MESSAGE: &str = "Missing or invalid Csrf token";

impl GwsError {
    pub(crate) fn new(code: Code, message: impl Into<String>) -> Self {
        Self { status: code.status(), code, message: message.into(), style: Style::StatusCode }
    }

    pub(crate) fn missing(parameter: &str) -> Self {
        Self::new(Code::MissingParameter, format!("Required parameter '{parameter}' is missing"))
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(Code::InvalidForState, message)
    }

    pub(crate) fn unauthenticated() -> Self {
        Self::new(Code::NotAuthenticated, NOT_AUTHENTICATED)
    }

    pub(crate) fn csrf() -> Self {
        Self::new(Code::Forbidden, CSRF_MESSAGE)
    }

    /// The same error, written in `style`.
    pub(crate) fn styled(self, style: Style) -> Self {
        Self { style, ..self }
    }

    pub(crate) fn panicked() -> Response {
        Self::new(Code::Internal, "Internal error").into_response()
    }
}

fn resource_name(r: Resource) -> &'static str {
    match r {
        Resource::User => "user",
        other => other.name(),
    }
}

/// The GWS mapping of every domain error.
impl From<Error> for GwsError {
    fn from(e: Error) -> Self {
        match e {
            e @ Error::Invalid { .. } => Self::new(Code::OutOfRange, e.to_string()),
            Error::NotFound(what) => Self::new(Code::NotFound, format!("The {} does not exist", resource_name(what))),
            Error::Forbidden(msg) => Self::new(Code::Forbidden, msg),
            Error::Unauthenticated => Self::unauthenticated(),
            Error::RateLimited(msg) => {
                Self { status: StatusCode::TOO_MANY_REQUESTS, ..Self::new(Code::Forbidden, msg) }
            }
            Error::Conflict(msg) => Self::new(Code::InvalidForState, msg),
            Error::TooLarge(msg) => Self { status: StatusCode::PAYLOAD_TOO_LARGE, ..Self::new(Code::OutOfRange, msg) },
            Error::Unstorable(_) => Self::new(Code::OutOfRange, "A value of the request cannot be stored"),
            Error::Unavailable(_) => Self {
                status: StatusCode::SERVICE_UNAVAILABLE,
                ..Self::new(Code::Internal, "The service is temporarily unavailable; try again shortly")
            },
            Error::Internal(msg) => {
                tracing::error!(error = %msg, "internal error");
                Self::new(Code::Internal, "Internal error")
            }
        }
    }
}

impl From<BodyError> for GwsError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge => Self {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                ..Self::new(
                    Code::OutOfRange,
                    format!(
                        "The request body is larger than the limit of {} bytes",
                        switchboard_api::json::MAX_BODY_BYTES
                    ),
                )
            },
            BodyError::Invalid(e) => Self::new(Code::OutOfRange, e.to_string()),
        }
    }
}

impl IntoResponse for GwsError {
    fn into_response(self) -> Response {
        let body = match self.style {
            Style::StatusCode => json!({ "statusCode": self.code as u16, "statusMessage": self.message }),
            Style::StatusText => json!({ "status": "error", "errorDescription": self.message }),
        };
        let mut res = (self.status, Json(body)).into_response();
        if self.code == Code::NotAuthenticated {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"Switchboard\""));
        }
        res
    }
}
