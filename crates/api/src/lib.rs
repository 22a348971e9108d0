//! Switchboard's HTTP surface: one module per facade, each a thin translation between its wire
//! format and the engine, plus the operations endpoints. A facade never uses another's module.

mod credentials;
pub mod engage;
mod json;
pub mod native;
pub mod ops;
pub mod problem;
pub mod ringplan;
pub mod sdk;
mod socketio;

use std::sync::Arc;

use axum::Router;
use axum::http::{Request, StatusCode};
use axum::response::IntoResponse;
use switchboard_engine::Engine;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::ops::metrics::Metrics;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
    pub metrics: Arc<Metrics>,
}

impl AppState {
    pub fn new(engine: Engine) -> Self {
        Self { engine, metrics: Arc::new(Metrics::default()) }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Switchboard",
        description = "Self-hosted customer-communications hub. Speaks the RingPlan REST API, the Channel SDK \
                       Send API, the Advanced Messaging contents API and its own native API."
    ),
    modifiers(&SecuritySchemes)
)]
struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("The company's API key.")).build(),
            ),
        );
        components.add_security_scheme(
            "user_id",
            SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Header(
                utoipa::openapi::security::ApiKeyValue::with_description(
                    "X-User-Id",
                    "The acting user's id, or `primary` for the company owner.",
                ),
            )),
        );
    }
}

/// The documented routes of every facade and the OpenAPI document describing them.
pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(ops::router())
        .merge(ringplan::router())
        .merge(sdk::router())
        .merge(engage::router())
        .merge(native::router())
        .split_for_parts();
    (router.merge(engage::doc_spelling_aliases()), openapi)
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let (router, openapi) = routes();
    router
        .merge(SwaggerUi::new("/docs").url("/openapi.json", openapi))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(state.clone(), ops::metrics::record))
        .layer(socketio::layer(state.engine.clone()))
        .layer(
            // The path only: query strings may carry signatures, and headers carry keys.
            TraceLayer::new_for_http().make_span_with(
                |req: &Request<_>| tracing::info_span!("http", method = %req.method(), path = %req.uri().path()),
            ),
        )
        .with_state(state)
}

/// Unknown paths answer with an RFC 7807 problem, as the RingPlan and native facades do.
async fn not_found() -> impl IntoResponse {
    problem::Problem::new(StatusCode::NOT_FOUND, "The requested URL was not found on the server.")
}

async fn method_not_allowed() -> impl IntoResponse {
    problem::Problem::new(StatusCode::METHOD_NOT_ALLOWED, "The method is not allowed for the requested URL.")
}
