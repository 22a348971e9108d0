//! The GWS v2 Interactions API (seeds/004, spec §A) under `/api/v2`: agents sign in with HTTP
//! Basic and keep a `JSESSIONID` session, work their interactions, and hear about them through
//! CometD at `/api/v2/notifications`.

use switchboard_api::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
