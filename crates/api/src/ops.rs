//! What a running server adds to the API router: throttling per application, the body limit
//! of `POST /api/inventory`, metrics, and the readiness check.
//!
//! [`crate::router`] is the API alone (what tests drive); [`app`] is the API as `kbgap serve`
//! runs it, configured by [`ServerOptions`].

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use kbgap_store::Store;

use crate::inventory::{BodyLimit, DEFAULT_BODY_LIMIT};
use crate::metrics::{Metrics, track};
use crate::throttle::{Limits, Throttle};
use crate::{AppState, router};

/// How `kbgap serve` runs the API.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Calls allowed per application (Defender's defaults: 100 a minute, 1,500 an hour);
    /// `None` turns throttling off.
    pub throttle: Option<Limits>,
    /// The largest `POST /api/inventory` body, in bytes (413 beyond).
    pub body_limit: usize,
    /// Where requests are counted and timed, when metrics are served.
    pub metrics: Option<Arc<Metrics>>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            throttle: Some(Limits::default()),
            body_limit: DEFAULT_BODY_LIMIT,
            metrics: None,
        }
    }
}

/// The API router with the server's options applied.
pub fn app<S: Store>(state: AppState<S>, options: &ServerOptions) -> Router {
    let mut app = router(state).layer(axum::Extension(BodyLimit(options.body_limit)));
    if let Some(limits) = options.throttle {
        app = app.layer(axum::Extension(Arc::new(Throttle::new(limits))));
    }
    if let Some(metrics) = &options.metrics {
        app = app.layer(middleware::from_fn_with_state(metrics.clone(), track));
    }
    app
}

/// `GET /readyz`: 200 when the store answers a query, 503 when it does not (a load balancer
/// then stops sending traffic). `/healthz` only says that the process is up.
pub(crate) async fn readyz<S: Store>(State(state): State<AppState<S>>) -> Response {
    match state.store.setting("readiness-probe").await {
        Ok(_) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: the store does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "the store does not answer").into_response()
        }
    }
}
