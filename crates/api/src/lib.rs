//! kbgap's HTTP API, shaped like Defender for Endpoint's so that existing scripts work by
//! changing the base URL (CONTRACT.md).
//!
//! `router(state)` and `serve(listener, router, shutdown)` are library functions; the binary
//! only parses configuration and calls them. Paths are matched case-insensitively and with
//! or without the `v1.0` segment, as Defender does, so routing is done on parsed segments
//! rather than by the framework's case-sensitive matcher.

mod auth;
mod dto;
mod error;
mod identity;
mod inventory;
mod metadata;
mod metrics;
mod odata;
mod openapi;
mod ops;
mod routes;
mod scope;
mod throttle;
mod tls;
mod token_cache;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use kbgap_auth::Issuer;
use kbgap_store::Store;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;

pub use auth::{Caller, with_external_issuers};
pub use dto::{ProductFixDto, missing_kbs_body};
pub use error::{ApiError, ApiErrorKind};
pub use inventory::DEFAULT_BODY_LIMIT;
pub use metrics::{Metrics, metrics_router};
pub use odata::SERVER_PAGE_SIZE;
pub use ops::{ServerOptions, app};
pub use throttle::Limits;
pub use tls::{TlsConfig, TlsError, serve_tls, tls_config};

/// Shared state of the API.
pub struct AppState<S> {
    pub store: S,
    pub issuer: Arc<Issuer>,
    /// The configured public base URL (`https://kbgap.example.com`); when absent, the
    /// scheme and Host of each request are used.
    pub public_url: Option<String>,
}

impl<S: Clone> Clone for AppState<S> {
    fn clone(&self) -> Self {
        AppState {
            store: self.store.clone(),
            issuer: self.issuer.clone(),
            public_url: self.public_url.clone(),
        }
    }
}

/// The id of one request: in the error `target`, the `request-id` header and the logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    /// A new id in GUID form: a random per-process prefix and a counter, so that ids are
    /// unique without a system call per request.
    fn generate() -> RequestId {
        use std::sync::OnceLock;
        use std::sync::atomic::{AtomicU64, Ordering};
        static PREFIX: OnceLock<u64> = OnceLock::new();
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let prefix = *PREFIX.get_or_init(|| rand_core::RngCore::next_u64(&mut rand_core::OsRng));
        let count = COUNTER.fetch_add(1, Ordering::Relaxed);
        let hex = format!("{prefix:016x}{count:016x}");
        RequestId(format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        ))
    }
}

/// Gives every request its id, and every log line written while answering it that id (the
/// `request` span), then logs the outcome.
async fn request_id(mut request: Request, next: Next) -> Response {
    use tracing::Instrument;
    let id = RequestId::generate();
    let span = tracing::info_span!("request", request_id = %id.0);
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    request.extensions_mut().insert(id.clone());
    let started = std::time::Instant::now();
    let mut response = async move {
        let response = next.run(request).await;
        tracing::info!(%method, %path, status = response.status().as_u16(),
            micros = started.elapsed().as_micros() as u64, "request");
        response
    }
    .instrument(span)
    .await;
    if let Ok(value) = HeaderValue::from_str(&id.0) {
        response.headers_mut().insert("request-id", value);
    }
    response
}

/// The API router.
pub fn router<S: Store>(state: AppState<S>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ops::readyz::<S>))
        .route(
            "/api/{*path}",
            get(routes::dispatch::<S>).post(routes::dispatch::<S>),
        )
        .merge(identity::routes::<S>())
        .fallback(not_found)
        .with_state(state)
        .layer(axum::Extension(Arc::new(
            token_cache::VerifiedTokens::default(),
        )))
        .layer(middleware::from_fn(request_id))
        .layer(CompressionLayer::new())
}

/// The API router with another server page size than [`SERVER_PAGE_SIZE`]: the rows a
/// list returns without `$top` before it links to the next page (tests use a small one).
pub fn router_with_page_size<S: Store>(state: AppState<S>, page_size: u64) -> Router {
    router(state).layer(axum::Extension(odata::ServerPage(page_size)))
}

async fn not_found(request: Request) -> Response {
    let id = request
        .extensions()
        .get::<RequestId>()
        .cloned()
        .unwrap_or_else(RequestId::generate);
    ApiError::not_found(format!("No route for {}", request.uri().path()), &id).into_response()
}

/// Serves `router` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

/// `<base>` of `@odata.context`: the configured public URL, else scheme and Host.
fn base_url<S>(state: &AppState<S>, headers: &HeaderMap) -> String {
    if let Some(url) = &state.public_url {
        return url.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("http");
    format!("{scheme}://{host}")
}

/// Content type and OData version of every successful API answer.
pub(crate) fn odata_headers() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static(
                "application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8",
            ),
        ),
        (
            header::HeaderName::from_static("odata-version"),
            HeaderValue::from_static("4.0"),
        ),
    ]
}

pub(crate) fn json_response(body: Vec<u8>) -> Response {
    (StatusCode::OK, odata_headers(), body).into_response()
}
