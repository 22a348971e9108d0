use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use switchboard_domain::Error;
use utoipa::ToSchema;

/// The RingPlan error body (RFC 7807 fields), the one error shape of this facade.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// What went wrong, for a person.
    #[schema(example = "The requested URL was not found on the server.")]
    pub detail: String,
    #[schema(example = 404)]
    pub status: u16,
    #[schema(example = "Not Found")]
    pub title: String,
    #[serde(rename = "type")]
    #[schema(example = "about:blank")]
    pub kind: String,
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            detail: detail.into(),
            status: status.as_u16(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            kind: "about:blank".to_owned(),
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }
}

impl From<Error> for Problem {
    fn from(e: Error) -> Self {
        match e {
            Error::Invalid(msg) => Problem::new(StatusCode::BAD_REQUEST, msg),
            Error::NotFound(what) => Problem::new(StatusCode::NOT_FOUND, format!("The requested {what} does not exist.")),
            Error::Forbidden(msg) => Problem::new(StatusCode::FORBIDDEN, msg),
            Error::Unauthenticated => Problem::new(
                StatusCode::UNAUTHORIZED,
                "Missing or invalid credentials: send 'Authorization: Bearer <company API key>' and 'X-User-Id: <contact id or primary>'.",
            ),
            Error::Conflict(msg) => Problem::new(StatusCode::CONFLICT, msg),
            Error::Unavailable(_) => Problem::new(StatusCode::SERVICE_UNAVAILABLE, "The service is temporarily unavailable; try again shortly."),
            Error::Internal(msg) => {
                tracing::error!(error = %msg, "internal error");
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "An internal error occurred.")
            }
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, Json(self)).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        res
    }
}
