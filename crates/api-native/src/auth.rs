use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use switchboard_engine::Actor;

use crate::NativeError;
use switchboard_api::AppState;
use switchboard_api::credentials::{UserHeader, authenticate};

/// The authenticated caller: the company's API key, acting as `X-User-Id` (default `primary`).
pub(crate) struct Caller(pub Actor);

impl FromRequestParts<AppState> for Caller {
    type Rejection = NativeError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, NativeError> {
        Ok(Caller(authenticate(&state.engine, &parts.headers, UserHeader::DefaultPrimary).await?))
    }
}
