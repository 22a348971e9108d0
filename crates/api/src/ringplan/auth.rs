use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use switchboard_domain::Error;
use switchboard_engine::Actor;
use switchboard_engine::auth::UserRef;

use super::Problem;
use crate::AppState;
use crate::credentials::bearer_token;

/// The authenticated RingPlan caller: `Authorization: Bearer <key>` and `X-User-Id`.
pub(crate) struct Caller(pub Actor);

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let key = bearer_token(&parts.headers).ok_or(Error::Unauthenticated)?;
        let user = parts.headers.get("x-user-id").and_then(|v| v.to_str().ok()).ok_or(Error::Unauthenticated)?;
        let user = UserRef::parse(user.trim())?;
        Ok(Caller(state.engine.authenticate(key, &user).await?))
    }
}
