use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use switchboard_api::json::{BodyError, MAX_BODY_BYTES};
use switchboard_domain::Error;
use utoipa::ToSchema;

/// The RingCentral platform's error body, which Advanced Messaging clients already handle.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ErrorBody {
    #[schema(example = "CMN-101")]
    error_code: &'static str,
    #[schema(example = "Parameter [perPage] value is invalid: must be between 1 and 100")]
    message: String,
    errors: Vec<ErrorItem>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ErrorItem {
    error_code: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameter_name: Option<String>,
}

#[derive(Debug)]
pub(crate) struct EngageError {
    status: StatusCode,
    code: &'static str,
    message: String,
    parameter: Option<String>,
}

impl EngageError {
    /// A query or body parameter with a bad value.
    pub(crate) fn parameter(name: &str, why: impl std::fmt::Display) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "CMN-101",
            message: format!("Parameter [{name}] value is invalid: {why}"),
            parameter: Some(name.to_owned()),
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, code: "CMN-101", message: message.into(), parameter: None }
    }
}

/// The Advanced Messaging mapping of every domain error.
impl From<Error> for EngageError {
    fn from(e: Error) -> Self {
        let e = e.rename_field(camel_case);
        let parameter = match &e {
            Error::Invalid { field, .. } => field.clone(),
            _ => None,
        };
        let (status, code, message) = match e {
            e @ Error::Invalid { .. } => (StatusCode::BAD_REQUEST, "CMN-101", e.to_string()),
            Error::NotFound(what) => (
                StatusCode::NOT_FOUND,
                "CMN-102",
                format!("Resource for parameter [{}Id] is not found", what.name().replace(' ', "")),
            ),
            Error::Forbidden(msg) => (StatusCode::FORBIDDEN, "CMN-408", msg),
            Error::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "OAU-149",
                "Invalid token: send 'Authorization: Bearer <company API key>'".to_owned(),
            ),
            Error::RateLimited(msg) => (StatusCode::TOO_MANY_REQUESTS, "CMN-301", msg),
            Error::Conflict(msg) => (StatusCode::CONFLICT, "CMN-409", msg),
            Error::TooLarge(msg) => (StatusCode::PAYLOAD_TOO_LARGE, "CMN-101", msg),
            Error::Unstorable(_) => {
                (StatusCode::BAD_REQUEST, "CMN-101", switchboard_api::problem::UNSTORABLE.to_owned())
            }
            Error::Unavailable(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "CMN-211", "Service temporarily unavailable, please retry".to_owned())
            }
            Error::Internal(msg) => {
                tracing::error!(error = %msg, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "CMN-201", "Internal error".to_owned())
            }
        };
        Self { status, code, message, parameter }
    }
}

/// A body the facade could not take.
impl From<BodyError> for EngageError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge => Self {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                code: "CMN-101",
                message: format!("Request body is too large (max: {MAX_BODY_BYTES} bytes)"),
                parameter: None,
            },
            BodyError::Invalid(e) => e.into(),
        }
    }
}

/// Advanced Messaging names fields in camelCase (`in_reply_to_id` is `inReplyToId`).
fn camel_case(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

/// What a panicking handler answers.
pub(crate) fn panicked() -> Response {
    EngageError {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        code: "CMN-201",
        message: "Internal error".into(),
        parameter: None,
    }
    .into_response()
}

impl IntoResponse for EngageError {
    fn into_response(self) -> Response {
        let item = ErrorItem { error_code: self.code, message: self.message.clone(), parameter_name: self.parameter };
        (self.status, Json(ErrorBody { error_code: self.code, message: self.message, errors: vec![item] }))
            .into_response()
    }
}
