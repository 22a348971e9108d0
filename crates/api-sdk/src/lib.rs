//! The Channel SDK Send API (seeds/001): connectors push content to
//! `POST /realtime/sdk/{source_id}`, signed with the source's access token. Answers are plain
//! text: `ok`, or the error texts of seeds/001 verbatim.

mod error;
mod send_api;

use axum::extract::DefaultBodyLimit;
use switchboard_api::AppState;
use switchboard_api::panic::catch_panics;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The Send API's documented request size limit (20 MiB).
pub const MAX_BODY: usize = 20_971_520;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send_api::push))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(catch_panics(error::panicked))
}
