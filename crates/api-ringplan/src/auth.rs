use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use switchboard_engine::Actor;

use crate::RingPlanError;
use switchboard_api::AppState;
use switchboard_api::credentials::{UserHeader, authenticate};

/// The authenticated RingPlan caller: `Authorization: Bearer <key>` and `X-User-Id`.
pub(crate) struct Caller(pub Actor);

impl FromRequestParts<AppState> for Caller {
    type Rejection = RingPlanError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, RingPlanError> {
        Ok(Caller(authenticate(&state.engine, &parts.headers, UserHeader::Required).await?))
    }
}
