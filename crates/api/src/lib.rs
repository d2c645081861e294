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
mod odata;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use kbgap_auth::Issuer;
use kbgap_domain::{MachineId, SoftwareId};
use kbgap_store::{MACHINE_FIELDS, SOFTWARE_FIELDS, Store};
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;

pub use auth::Caller;
pub use dto::{ProductFixDto, missing_kbs_body};
pub use error::{ApiError, ApiErrorKind};
pub use odata::SERVER_PAGE_SIZE;

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
    fn generate() -> RequestId {
        let mut bytes = [0u8; 16];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
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

async fn request_id(mut request: Request, next: Next) -> Response {
    let id = RequestId::generate();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    request.extensions_mut().insert(id.clone());
    let started = std::time::Instant::now();
    let mut response = next.run(request).await;
    tracing::info!(request_id = %id.0, %method, %path, status = response.status().as_u16(),
        micros = started.elapsed().as_micros() as u64, "request");
    if let Ok(value) = HeaderValue::from_str(&id.0) {
        response.headers_mut().insert("request-id", value);
    }
    response
}

/// The API router.
pub fn router<S: Store>(state: AppState<S>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/{*path}", get(dispatch::<S>))
        .fallback(not_found)
        .with_state(state)
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

/// What a path names, after case-insensitive parsing.
enum Resource {
    SoftwareList,
    Software(String),
    SoftwareMissingKbs(String),
    MachineList,
    Machine(String),
    MachineMissingKbs(String),
}

fn parse_path(path: &str) -> Option<Resource> {
    let mut segments: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    if segments
        .first()
        .is_some_and(|s| s.eq_ignore_ascii_case("v1.0"))
    {
        segments.remove(0);
    }
    let function = |name: &str| {
        let name = name.rsplit('.').next().unwrap_or(name);
        name.eq_ignore_ascii_case("getmissingkbs")
    };
    let entity = segments.first()?.to_ascii_lowercase();
    match (entity.as_str(), &segments[1..]) {
        ("software", []) => Some(Resource::SoftwareList),
        ("software", [id]) => Some(Resource::Software(id.to_string())),
        ("software", [id, f]) if function(f) => Some(Resource::SoftwareMissingKbs(id.to_string())),
        ("machines", []) => Some(Resource::MachineList),
        ("machines", [id]) => Some(Resource::Machine(id.to_string())),
        ("machines", [id, f]) if function(f) => Some(Resource::MachineMissingKbs(id.to_string())),
        _ => None,
    }
}

const SOFTWARE_READ: &[&str] = &["Software.Read.All", "Software.Read"];
const MACHINE_READ: &[&str] = &["Machine.Read.All", "Machine.Read"];

async fn dispatch<S: Store>(
    State(state): State<AppState<S>>,
    caller: Caller,
    method: Method,
    headers: HeaderMap,
    request: Request,
) -> Result<Response, ApiError> {
    let id = caller.request_id.clone();
    let uri = request.uri().clone();
    let path = uri.path().strip_prefix("/api").unwrap_or(uri.path());
    let resource = parse_path(path)
        .ok_or_else(|| ApiError::not_found(format!("No route for {}", uri.path()), &id))?;
    debug_assert_eq!(method, Method::GET);
    let base = base_url(&state, &headers);
    let query = odata::ListOptions::parse(uri.query().unwrap_or(""), &id)?;
    let page = request
        .extensions()
        .get::<odata::ServerPage>()
        .copied()
        .unwrap_or(odata::ServerPage(SERVER_PAGE_SIZE));
    let internal = |e: kbgap_store::StoreError| match e {
        // Filters are validated against the same field tables the backends map, so this is
        // a backend that lacks a translation: the client's request is still what is refused.
        kbgap_store::StoreError::UnsupportedFilter(what) => {
            ApiError::odata(format!("$filter: not supported by this store: {what}"), &id)
        }
        e => ApiError::internal(e, &id),
    };
    let response = match resource {
        Resource::SoftwareList => {
            caller.require(SOFTWARE_READ)?;
            let list = query.to_list(SOFTWARE_FIELDS, page, &id)?;
            let items = state
                .store
                .software_list(&list.query)
                .await
                .map_err(internal)?;
            let total = match list.count {
                true => Some(
                    state
                        .store
                        .count_software(list.filter())
                        .await
                        .map_err(internal)?,
                ),
                false => None,
            };
            let items = items.iter().map(dto::SoftwareDto::from).collect();
            list.respond(&base, &uri, "Software", items, total)
        }
        Resource::Software(key) => {
            caller.require(SOFTWARE_READ)?;
            query.reject_any(&id)?;
            let software = software_id(&key, &id)?;
            let found = state.store.software(&software).await.map_err(internal)?;
            let found = found
                .ok_or_else(|| ApiError::not_found(format!("Software {key} was not found"), &id))?;
            dto::entity(&base, "Software/$entity", &dto::SoftwareDto::from(&found))
        }
        Resource::SoftwareMissingKbs(key) => {
            caller.require(SOFTWARE_READ)?;
            query.reject_any(&id)?;
            let software = software_id(&key, &id)?;
            let missing = state
                .store
                .missing_by_software(&software)
                .await
                .map_err(internal)?;
            let missing = missing
                .ok_or_else(|| ApiError::not_found(format!("Software {key} was not found"), &id))?;
            dto::collection(
                &base,
                dto::FIX_COLLECTION,
                missing.iter().map(dto::ProductFixDto::from).collect(),
            )
        }
        Resource::MachineList => {
            caller.require(MACHINE_READ)?;
            let list = query.to_list(MACHINE_FIELDS, page, &id)?;
            let items = state.store.machines(&list.query).await.map_err(internal)?;
            let total = match list.count {
                true => Some(
                    state
                        .store
                        .count_machines(list.filter())
                        .await
                        .map_err(internal)?,
                ),
                false => None,
            };
            let items = items.iter().map(dto::MachineDto::from).collect();
            list.respond(&base, &uri, "Machines", items, total)
        }
        Resource::Machine(key) => {
            caller.require(MACHINE_READ)?;
            query.reject_any(&id)?;
            let found = state.store.machine(&key).await.map_err(internal)?;
            let found = found
                .ok_or_else(|| ApiError::not_found(format!("Machine {key} was not found"), &id))?;
            dto::entity(&base, "Machines/$entity", &dto::MachineDto::from(&found))
        }
        Resource::MachineMissingKbs(key) => {
            caller.require(SOFTWARE_READ)?;
            let as_of = query.as_of(&id)?;
            let not_found = || ApiError::not_found(format!("Machine {key} was not found"), &id);
            let machine = MachineId::parse(&key).ok_or_else(not_found)?;
            let missing = state
                .store
                .missing_by_machine(&machine, as_of)
                .await
                .map_err(internal)?;
            let missing = missing.ok_or_else(not_found)?;
            dto::collection(
                &base,
                dto::FIX_COLLECTION,
                missing.iter().map(dto::ProductFixDto::from).collect(),
            )
        }
    };
    Ok(response)
}

fn software_id(key: &str, id: &RequestId) -> Result<SoftwareId, ApiError> {
    SoftwareId::parse(key)
        .ok_or_else(|| ApiError::not_found(format!("Software {key} was not found"), id))
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
