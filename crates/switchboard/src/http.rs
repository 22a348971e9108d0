//! The HTTP application: every facade's routes and the OpenAPI document describing them, behind
//! what every request goes through (request ids, tracing, metrics, a caught panic).

use std::time::Duration;

use axum::Router;
use axum::http::{Request, StatusCode};
use axum::response::IntoResponse;
use switchboard_api::panic::catch_panics;
use switchboard_api::problem::Problem;
use switchboard_api::{AppState, ops};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Config;
use crate::serve;

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
pub(crate) fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(ops::router())
        .merge(switchboard_api::files::router())
        .merge(switchboard_api_ringplan::router())
        .merge(switchboard_api_sdk::router())
        .merge(switchboard_api_engage::router())
        .merge(switchboard_api_native::router())
        .merge(switchboard_api_gws::router())
        .split_for_parts();
    switchboard_api::problem::document_problem_media_type(&mut openapi);
    switchboard_api::schema::document_single_line_text(&mut openapi);
    (router.merge(switchboard_api_engage::doc_spelling_aliases()), openapi)
}

/// The whole HTTP application.
pub(crate) fn app(state: AppState, config: &Config) -> Router {
    let (router, openapi) = routes();
    let router = router
        .merge(SwaggerUi::new("/docs").url("/openapi.json", openapi))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    // A panic is caught inside the metrics, so that it is counted like any other 500. The
    // facades answer their own routes' panics in their own format.
    let router = router
        .layer(catch_panics(Problem::panicked))
        .layer(axum::middleware::from_fn_with_state(state.clone(), ops::metrics::record))
        .layer(switchboard_api_gws::layer(config.gws.options()));
    // The body deadline is outside socket.io, whose long-polling requests have bodies too.
    let body_read_timeout = Duration::from_millis(config.http.body_read_timeout_ms.max(1));
    let router = router
        .layer(switchboard_api_ringplan::socketio_layer(state.engine.clone(), config.realtime.socket_options()))
        .layer(axum::middleware::from_fn_with_state((body_read_timeout, state.metrics.clone()), serve::body_deadline));
    traced(router).with_state(state)
}

/// Every request has an id (the caller's `X-Request-Id`, or a new one) before its span is made,
/// and its answer carries the id back. The span names the path only (query strings may carry
/// signatures, and headers keys) and, once the caller is authenticated, its company.
fn traced<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req.extensions().get::<RequestId>().and_then(|id| id.header_value().to_str().ok());
            tracing::info_span!(
                "http",
                method = %req.method(),
                path = %req.uri().path(),
                request_id = id.unwrap_or_default(),
                company = tracing::field::Empty,
            )
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// Unknown paths answer with an RFC 7807 problem, as the RingPlan and native facades do.
async fn not_found() -> impl IntoResponse {
    Problem::new(StatusCode::NOT_FOUND, "The requested URL was not found on the server.")
}

async fn method_not_allowed() -> impl IntoResponse {
    Problem::new(StatusCode::METHOD_NOT_ALLOWED, "The method is not allowed for the requested URL.")
}

#[cfg(test)]
mod tests {
    use axum::body::{Body, to_bytes};
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    fn boom() -> Router {
        traced(
            Router::new()
                .route("/boom", get(|| async { panic!("boom") as &str }))
                .route("/ok", get(|| async { "ok" }))
                .layer(catch_panics(Problem::panicked)),
        )
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_500_with_a_problem_and_a_request_id() {
        let res = boom().oneshot(Request::get("/boom").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(res.headers().contains_key("x-request-id"));
        let body: serde_json::Value = serde_json::from_slice(&to_bytes(res.into_body(), 4096).await.unwrap()).unwrap();
        assert_eq!(
            (body["status"].as_u64(), body["detail"].as_str()),
            (Some(500), Some("An internal error occurred."))
        );
    }

    #[tokio::test]
    async fn the_callers_request_id_comes_back_and_a_missing_one_is_made() {
        let req = Request::get("/ok").header("x-request-id", "abc-123").body(Body::empty()).unwrap();
        let res = boom().oneshot(req).await.unwrap();
        assert_eq!(res.headers()["x-request-id"], "abc-123");
        let res = boom().oneshot(Request::get("/ok").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(res.headers()["x-request-id"].len(), 36, "a UUID");
    }
}
