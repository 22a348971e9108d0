//! Operations endpoints: liveness, readiness and Prometheus metrics.

pub mod metrics;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz)).routes(routes!(metrics_text))
}

#[derive(Serialize, ToSchema)]
struct Health {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

/// Liveness: the process is up and serving HTTP.
#[utoipa::path(get, path = "/healthz", tag = "Operations", responses((status = 200, body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok", detail: None })
}

/// Readiness: the database answers.
#[utoipa::path(get, path = "/readyz", tag = "Operations", responses((status = 200, body = Health), (status = 503, body = Health)))]
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    match state.engine.store().ping().await {
        Ok(()) => (StatusCode::OK, Json(Health { status: "ready", detail: None })),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health { status: "unavailable", detail: Some("the database does not answer".into()) }),
        ),
    }
}

/// Prometheus text exposition: requests by route and status, request latency, connections
/// (open, refused over the cap, cut off by a time-out), and connector answers with bad
/// signatures.
#[utoipa::path(get, path = "/metrics", tag = "Operations", responses((status = 200, content_type = "text/plain", body = String)))]
async fn metrics_text(State(state): State<AppState>) -> impl IntoResponse {
    let mut text = state.metrics.render();
    text.push_str("# HELP sdk_response_signature_mismatches_total Connector answers accepted with a wrong or missing signature (lenient sources).\n");
    text.push_str("# TYPE sdk_response_signature_mismatches_total counter\n");
    text.push_str(&format!("sdk_response_signature_mismatches_total {}\n", state.engine.sdk_signature_mismatches()));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text)
}
