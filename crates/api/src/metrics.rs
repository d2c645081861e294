//! Prometheus metrics: requests and latency by route, method and status, served on a
//! listener of their own (`kbgap serve --metrics-listen`), so that scraping needs no token
//! and the API port exposes nothing unauthenticated beyond the health checks.
//!
//! Hand-written text exposition rather than a metrics crate: two families of series, kept in
//! one map under a mutex that each request holds for a few hundred nanoseconds.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::routes::MatchedRoute;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The metrics of one server.
#[derive(Debug, Default)]
pub struct Metrics {
    series: Mutex<Series>,
}

#[derive(Debug, Default)]
struct Series {
    /// (route, method, status) -> requests.
    requests: BTreeMap<(String, String, u16), u64>,
    /// (route, method) -> latency histogram.
    latency: BTreeMap<(String, String), Histogram>,
}

#[derive(Debug, Default)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Metrics {
    fn record(&self, route: String, method: &str, status: u16, seconds: f64) {
        let mut series = self.series.lock().unwrap_or_else(|e| e.into_inner());
        *series
            .requests
            .entry((route.clone(), method.to_string(), status))
            .or_default() += 1;
        let histogram = series
            .latency
            .entry((route, method.to_string()))
            .or_default();
        for (bound, count) in BUCKETS.iter().zip(histogram.buckets.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        histogram.sum += seconds;
        histogram.count += 1;
    }

    /// The Prometheus text exposition of every series.
    pub fn render(&self) -> String {
        let series = self.series.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        out.push_str("# HELP kbgap_http_requests_total HTTP requests answered, by route, method and status.\n");
        out.push_str("# TYPE kbgap_http_requests_total counter\n");
        for ((route, method, status), count) in &series.requests {
            let _ = writeln!(
                out,
                "kbgap_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {count}"
            );
        }
        out.push_str(
            "# HELP kbgap_http_request_duration_seconds Time to answer, by route and method.\n",
        );
        out.push_str("# TYPE kbgap_http_request_duration_seconds histogram\n");
        for ((route, method), histogram) in &series.latency {
            let labels = format!("route=\"{route}\",method=\"{method}\"");
            for (bound, count) in BUCKETS.iter().zip(histogram.buckets) {
                let _ = writeln!(
                    out,
                    "kbgap_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "kbgap_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                histogram.count
            );
            let _ = writeln!(
                out,
                "kbgap_http_request_duration_seconds_sum{{{labels}}} {}",
                histogram.sum
            );
            let _ = writeln!(
                out,
                "kbgap_http_request_duration_seconds_count{{{labels}}} {}",
                histogram.count
            );
        }
        out
    }
}

/// The route template of a request, so that the number of series stays bounded whatever
/// clients send: under `/api`, the route table's template (`/api/Software/{id}/getmissingkbs`);
/// elsewhere (the token service) the first segment is `{tenant}`. Requests that matched no
/// route share one label.
pub(crate) fn route_label(path: &str, status: u16, matched: Option<MatchedRoute>) -> String {
    if path.starts_with("/api/") {
        return match matched {
            Some(MatchedRoute(template)) => format!("/api{template}"),
            None => "unmatched".into(),
        };
    }
    if status == 404 || status == 405 {
        return "unmatched".into();
    }
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    match segments.next() {
        Some(first @ ("healthz" | "readyz")) => format!("/{first}"),
        Some(_) => {
            let mut label = String::from("/{tenant}");
            for segment in segments {
                label.push('/');
                label.push_str(&literal(segment));
            }
            label
        }
        None => "/".into(),
    }
}

/// A path word as a label value: lower case, and nothing that needs escaping.
fn literal(segment: &str) -> String {
    segment
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '$' | '.'))
        .take(64)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Middleware: counts and times every request.
pub(crate) async fn track(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let matched = response.extensions().get::<MatchedRoute>().copied();
    metrics.record(
        route_label(&path, status, matched),
        method.as_str(),
        status,
        started.elapsed().as_secs_f64(),
    );
    response
}

/// The metrics listener's router: `GET /metrics`.
pub fn metrics_router(metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(|State(metrics): State<Arc<Metrics>>| async move {
                (
                    [(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
                    )],
                    metrics.render(),
                )
                    .into_response()
            }),
        )
        .with_state(metrics)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Method;

    #[test]
    fn labels_name_routes_not_records() {
        let get = Method::GET;
        let cases = [
            (
                "/api/software/microsoft-_-edge/getmissingkbs",
                200,
                "/api/Software/{id}/getmissingkbs",
            ),
            (
                "/api/v1.0/machines/0123abcd/GetMissingKbs",
                404,
                "/api/machines/{id}/getmissingkbs",
            ),
            (
                "/api/machines/0123/getmissingkbs/4540673/explain",
                200,
                "/api/machines/{id}/getmissingkbs/{kb}/explain",
            ),
            ("/api/Machines", 200, "/api/machines"),
            (
                "/api/machines/0123/microsoft.windowsDefenderATP.api.GetMissingKbs",
                200,
                "/api/machines/{id}/getmissingkbs",
            ),
            (
                "/0a1b2c3d-aaaa/oauth2/v2.0/token",
                401,
                "/{tenant}/oauth2/v2.0/token",
            ),
            ("/readyz", 503, "/readyz"),
            ("/api/anything/at/all", 404, "unmatched"),
            ("/api/machines/x/\"}evil", 401, "unmatched"),
            ("/elsewhere/x", 404, "unmatched"),
        ];
        // What dispatch tags a response with: the route the path names, if any.
        let label = |method: &Method, path: &str, status: u16| {
            let matched = path
                .strip_prefix("/api")
                .and_then(|below| crate::routes::find(method, below))
                .map(|(route, _)| MatchedRoute(route.path));
            route_label(path, status, matched)
        };
        for (path, status, expected) in cases {
            assert_eq!(label(&get, path, status), expected, "{path}");
        }
        assert_eq!(
            label(&Method::POST, "/api/Inventory", 200),
            "/api/inventory"
        );
        assert_eq!(label(&Method::POST, "/api/machines", 404), "unmatched");
    }

    #[test]
    fn render_is_prometheus_text() {
        let metrics = Metrics::default();
        metrics.record("/healthz".into(), "GET", 200, 0.0007);
        metrics.record("/healthz".into(), "GET", 200, 0.2);
        let text = metrics.render();
        assert!(text.contains(
            "kbgap_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 2"
        ));
        assert!(text.contains("kbgap_http_request_duration_seconds_bucket{route=\"/healthz\",method=\"GET\",le=\"0.0005\"} 0"));
        assert!(text.contains("kbgap_http_request_duration_seconds_bucket{route=\"/healthz\",method=\"GET\",le=\"0.001\"} 1"));
        assert!(text.contains("kbgap_http_request_duration_seconds_bucket{route=\"/healthz\",method=\"GET\",le=\"+Inf\"} 2"));
        assert!(text.contains(
            "kbgap_http_request_duration_seconds_count{route=\"/healthz\",method=\"GET\"} 2"
        ));
    }
}
