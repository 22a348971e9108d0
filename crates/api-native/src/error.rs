use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use switchboard_domain::{Error, Resource};

use switchboard_api::json::BodyError;
use switchboard_api::problem::Problem;

/// An error of the native API, answered as an RFC 7807 problem.
#[derive(Debug)]
pub(crate) struct NativeError(Problem);

impl NativeError {
    pub(crate) fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self(Problem::new(status, detail))
    }

    pub(crate) fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }
}

/// The native mapping of every domain error.
impl From<Error> for NativeError {
    fn from(e: Error) -> Self {
        Self(Problem::from_error(
            e,
            "Missing or invalid credentials: send 'Authorization: Bearer <company API key>' (and optionally 'X-User-Id').",
            Resource::name,
        ))
    }
}

/// A body the facade could not take.
impl From<BodyError> for NativeError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge => Self(Problem::body_too_large()),
            BodyError::Invalid(e) => e.into(),
        }
    }
}

impl IntoResponse for NativeError {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}
