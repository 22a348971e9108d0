use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use switchboard_domain::{Error, Resource};

use switchboard_api::json::BodyError;
use switchboard_api::problem::Problem;

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
        Self(Problem::from_error(
            e.rename_field(|f| parameter(f).to_owned()),
            "Missing or invalid credentials: send 'Authorization: Bearer <company API key>' and 'X-User-Id: <contact id or primary>'.",
            resource,
        ))
    }
}

/// What RingPlan calls a resource.
fn resource(r: Resource) -> &'static str {
    match r {
        Resource::User => "contact",
        Resource::Subscription => "webhook event",
        Resource::Thread => "conversation",
        Resource::Content => "message",
        Resource::Identity => "texting contact",
        Resource::Source => "texting number",
        other => other.name(),
    }
}

/// What RingPlan calls an input the core names `field`.
fn parameter(field: &str) -> &str {
    match field {
        "per_page" => "items_per_page",
        other => other,
    }
}

/// A body the facade could not take.
impl From<BodyError> for RingPlanError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge => Self(Problem::body_too_large()),
            BodyError::Invalid(e) => e.into(),
        }
    }
}

impl IntoResponse for RingPlanError {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}
