//! RFC 7807 problem bodies, the error shape of the RingPlan and native facades. Each facade
//! keeps its own mapping from domain errors; this only writes the body.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// An error: `{"detail", "status", "title", "type"}`.
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
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, Json(self)).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        res
    }
}
