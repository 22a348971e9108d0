use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use switchboard_domain::Error;

use crate::problem::Problem;

/// An error of the RingPlan facade, answered as an RFC 7807 problem.
#[derive(Debug)]
pub struct RingPlanError(pub Problem);

impl RingPlanError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self(Problem::new(status, detail))
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }
}

/// The RingPlan mapping of every domain error.
impl From<Error> for RingPlanError {
    fn from(e: Error) -> Self {
        match e {
            Error::Invalid(msg) => Self::new(StatusCode::BAD_REQUEST, msg),
            Error::NotFound(what) => Self::new(StatusCode::NOT_FOUND, format!("The requested {what} does not exist.")),
            Error::Forbidden(msg) => Self::new(StatusCode::FORBIDDEN, msg),
            Error::Unauthenticated => Self::new(
                StatusCode::UNAUTHORIZED,
                "Missing or invalid credentials: send 'Authorization: Bearer <company API key>' and 'X-User-Id: <contact id or primary>'.",
            ),
            Error::RateLimited(msg) => Self::new(StatusCode::TOO_MANY_REQUESTS, msg),
            Error::Conflict(msg) => Self::new(StatusCode::CONFLICT, msg),
            Error::Unavailable(_) => Self::new(StatusCode::SERVICE_UNAVAILABLE, "The service is temporarily unavailable; try again shortly."),
            Error::Internal(msg) => {
                tracing::error!(error = %msg, "internal error");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "An internal error occurred.")
            }
        }
    }
}

impl IntoResponse for RingPlanError {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}
