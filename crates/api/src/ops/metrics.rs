//! A small Prometheus registry of our own: per-application rather than process-global, so that
//! several servers in one process (as in tests) each count their own requests.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Registry {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<(String, String), Histogram>,
}

#[derive(Default)]
pub struct Metrics {
    registry: Mutex<Registry>,
    pub connections: Connections,
}

/// What the server's connections went through, counted by the accept loop and the request
/// time-outs.
#[derive(Default)]
pub struct Connections {
    pub accepted: AtomicU64,
    pub closed: AtomicU64,
    /// Refused because `http.max_connections` were open.
    pub refused: AtomicU64,
    /// Closed because a request head did not arrive in time.
    pub header_timeouts: AtomicU64,
    /// Answered 408 because a request body did not arrive in time.
    pub body_timeouts: AtomicU64,
    /// Keep-alive connections closed after waiting for a next request that did not come.
    pub idle_closed: AtomicU64,
    /// Closed because the client took nothing of what was sent to it for too long.
    pub write_stalls: AtomicU64,
}

impl Connections {
    /// Appends the connection metrics in the Prometheus text format.
    fn render(&self, out: &mut String) {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut metric = |name: &str, kind: &str, help: &str, samples: &[(&str, u64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, value) in samples {
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        };
        let open = get(&self.accepted).saturating_sub(get(&self.closed));
        metric(
            "http_connections_open",
            "gauge",
            "Client connections open, websockets and event streams included.",
            &[("", open)],
        );
        metric(
            "http_connections_accepted_total",
            "counter",
            "Client connections accepted.",
            &[("", get(&self.accepted))],
        );
        metric(
            "http_connections_refused_total",
            "counter",
            "Connections answered 503 and closed because http.max_connections were open.",
            &[("", get(&self.refused))],
        );
        metric(
            "http_request_timeouts_total",
            "counter",
            "Requests cut off because their head (the connection is closed) or body (answered 408) did not arrive in time.",
            &[("{phase=\"headers\"}", get(&self.header_timeouts)), ("{phase=\"body\"}", get(&self.body_timeouts))],
        );
        metric(
            "http_write_stalls_total",
            "counter",
            "Connections closed because the client took nothing sent to it for http.write_stall_timeout_ms.",
            &[("", get(&self.write_stalls))],
        );
        metric(
            "http_idle_connections_closed_total",
            "counter",
            "Keep-alive connections closed after http.header_read_timeout_ms without a next request.",
            &[("", get(&self.idle_closed))],
        );
    }
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut r = self.registry.lock().unwrap_or_else(|e| e.into_inner());
        *r.requests.entry((method.to_owned(), route.to_owned(), status)).or_default() += 1;
        let h = r.latency.entry((method.to_owned(), route.to_owned())).or_default();
        for (i, le) in BUCKETS.iter().enumerate() {
            if seconds <= *le {
                h.counts[i] += 1;
            }
        }
        h.sum += seconds;
        h.count += 1;
    }

    pub fn render(&self) -> String {
        let r = self.registry.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        out.push_str("# HELP http_requests_total HTTP requests answered, by method, route and status.\n");
        out.push_str("# TYPE http_requests_total counter\n");
        for ((method, route, status), n) in &r.requests {
            let _ = writeln!(
                out,
                "http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        out.push_str("# HELP http_request_duration_seconds Time to answer HTTP requests, by method and route.\n");
        out.push_str("# TYPE http_request_duration_seconds histogram\n");
        for ((method, route), h) in &r.latency {
            let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
            for (le, n) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(out, "http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {n}");
            }
            let _ = writeln!(out, "http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(out, "http_request_duration_seconds_sum{{{labels}}} {}", h.sum);
            let _ = writeln!(out, "http_request_duration_seconds_count{{{labels}}} {}", h.count);
        }
        self.connections.render(&mut out);
        out
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Middleware: counts each request under its route template (never the raw path, which would
/// make one series per id).
pub async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let start = Instant::now();
    let response = next.run(req).await;
    state.metrics.observe(&method, &route, response.status().as_u16(), start.elapsed().as_secs_f64());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_histogram_buckets() {
        let m = Metrics::default();
        m.observe("GET", "/system/company", 200, 0.003);
        m.observe("GET", "/system/company", 200, 0.2);
        m.observe("GET", "/system/company", 401, 0.001);
        let text = m.render();
        assert!(
            text.contains("http_requests_total{method=\"GET\",route=\"/system/company\",status=\"200\"} 2"),
            "{text}"
        );
        assert!(text.contains("http_requests_total{method=\"GET\",route=\"/system/company\",status=\"401\"} 1"));
        assert!(
            text.contains(
                "http_request_duration_seconds_bucket{method=\"GET\",route=\"/system/company\",le=\"0.005\"} 2"
            )
        );
        assert!(
            text.contains(
                "http_request_duration_seconds_bucket{method=\"GET\",route=\"/system/company\",le=\"+Inf\"} 3"
            )
        );
        assert!(text.contains("http_request_duration_seconds_count{method=\"GET\",route=\"/system/company\"} 3"));
    }
}
