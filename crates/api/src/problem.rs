//! RFC 7807 problem bodies, the error shape of the RingPlan and native facades. Each facade
//! keeps its own mapping from domain errors; this only writes the body.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use switchboard_domain::{Error, Resource};
use utoipa::ToSchema;
use utoipa::openapi::{OpenApi, RefOr};

/// What every facade tells a caller whose value the database refused ([`Error::Unstorable`]).
pub const UNSTORABLE: &str =
    "a value of the request cannot be stored: it is too long, or holds a character (such as NUL) that is not allowed";

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
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        res
    }
}

impl Problem {
    /// The problem for a domain error, as both problem-speaking facades answer it. Each tells
    /// its own words: what it calls a resource, and what a caller who failed to authenticate
    /// must send.
    pub fn from_error(e: Error, unauthenticated: &str, resource: fn(Resource) -> &'static str) -> Self {
        match e {
            e @ Error::Invalid { .. } => Self::new(StatusCode::BAD_REQUEST, e.to_string()),
            Error::NotFound(what) => {
                Self::new(StatusCode::NOT_FOUND, format!("The requested {} does not exist.", resource(what)))
            }
            Error::Forbidden(msg) => Self::new(StatusCode::FORBIDDEN, msg),
            Error::Unauthenticated => Self::new(StatusCode::UNAUTHORIZED, unauthenticated),
            Error::RateLimited(msg) => Self::new(StatusCode::TOO_MANY_REQUESTS, msg),
            Error::Conflict(msg) => Self::new(StatusCode::CONFLICT, msg),
            Error::TooLarge(msg) => Self::new(StatusCode::PAYLOAD_TOO_LARGE, msg),
            Error::Unstorable(_) => Self::new(StatusCode::BAD_REQUEST, UNSTORABLE),
            Error::Unavailable(_) => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "The service is temporarily unavailable; try again shortly.")
            }
            Error::Internal(msg) => {
                tracing::error!(error = %msg, "internal error");
                Self::internal()
            }
        }
    }

    /// A request body over the facade's limit (413).
    pub fn body_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The request body is larger than the limit of {} bytes.", crate::json::MAX_BODY_BYTES),
        )
    }

    /// A failure of the server, told without its details (they are logged).
    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "An internal error occurred.")
    }

    /// What a panicking handler answers, in the problem-speaking facades and elsewhere.
    pub fn panicked() -> Response {
        Self::internal().into_response()
    }
}

/// The media type of every problem body (RFC 7807).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Says in the OpenAPI document that problems are sent as `application/problem+json`: every
/// response documented with a `Problem` body gets that media type instead of
/// `application/json`. Applied to the assembled document, after every facade's routes.
pub fn document_problem_media_type(openapi: &mut OpenApi) {
    for operation in crate::schema::operations_mut(openapi) {
        for response in operation.responses.responses.values_mut() {
            let RefOr::T(response) = response else { continue };
            let is_problem = |c: &RefOr<utoipa::openapi::Content>| matches!(c, RefOr::T(c) if matches!(&c.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/Problem")));
            if response.content.get("application/json").is_some_and(is_problem) {
                let content = response.content.shift_remove("application/json").expect("checked above");
                response.content.insert(PROBLEM_JSON.to_owned(), content);
            }
        }
    }
}
