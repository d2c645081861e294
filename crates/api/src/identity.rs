//! The built-in identity provider: an Entra-compatible token service, so that MSAL,
//! azure-identity and scripts written for `login.microsoftonline.com` get kbgap tokens when
//! their authority points at kbgap.
//!
//! Served, as Entra serves them (`{tenant}` is kbgap's tenant id):
//! - `POST /{tenant}/oauth2/token` (v1: `resource`) and `POST /{tenant}/oauth2/v2.0/token`
//!   (v2: `scope=<resource>/.default`), client-credentials grant only; the client
//!   authenticates with `client_secret` in the form or HTTP Basic.
//! - `GET /{tenant}/v2.0/.well-known/openid-configuration` and the v1 form without `v2.0`;
//!   `GET /{tenant}/discovery/v2.0/keys` (and `/discovery/keys`): the JWKS.
//!
//! MSAL validates an unknown authority host by asking Microsoft's own instance discovery
//! (`login.microsoftonline.com/common/discovery/instance`), which kbgap cannot answer for:
//! clients turn that off (`instance_discovery=False` in MSAL Python,
//! `disable_instance_discovery=True` in azure-identity), as for any private authority.
//!
//! Every access token is in the format Entra gives Defender's API (v1, `iss` =
//! `https://sts.kbgap.local/<tenant>/`), from either endpoint; its `aud` is the requested
//! resource, which must be one of Defender's API identifiers or kbgap's public URL. Errors
//! use Entra's body (`error`, `error_description` with its AADSTS code, `error_codes`,
//! `timestamp`, `trace_id`, `correlation_id`): 401 for `invalid_client`, 400 otherwise.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use base64::Engine;
use kbgap_store::Store;
use serde_json::{Value, json};

use crate::{AppState, RequestId, base_url};

/// Lifetime of an access token: Entra's default for application tokens (one hour), less
/// the second Entra also takes off.
const TOKEN_LIFETIME: Duration = Duration::from_secs(3599);

/// How stale the loaded signing keys may be before the token service reloads them from the
/// store, so that a `kbgap keys rotate` takes effect in a running server.
const KEYS_MAX_AGE: Duration = Duration::from_secs(60);

/// Client-secret verifications that run at once (argon2id, 19 MiB each).
static VERIFYING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

/// The identity provider's routes, merged into the API router.
pub fn routes<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route(
            "/{tenant}/oauth2/token",
            post(token::<S>).layer(Extension(Version::V1)),
        )
        .route(
            "/{tenant}/oauth2/v2.0/token",
            post(token::<S>).layer(Extension(Version::V2)),
        )
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(openid_configuration::<S>).layer(Extension(Version::V2)),
        )
        .route(
            "/{tenant}/.well-known/openid-configuration",
            get(openid_configuration::<S>).layer(Extension(Version::V1)),
        )
        .route("/{tenant}/discovery/v2.0/keys", get(jwks::<S>))
        .route("/{tenant}/discovery/keys", get(jwks::<S>))
}

/// Reloads the signing keys from the store (after a rotation by another process).
pub(crate) async fn reload_keys<S: Store>(state: &AppState<S>) -> Result<(), String> {
    let stored = state
        .store
        .signing_keys()
        .await
        .map_err(|e| e.to_string())?;
    if stored.is_empty() {
        return Err("the store holds no signing key".into());
    }
    let pems: Vec<&str> = stored.iter().map(|k| k.private_pem.as_str()).collect();
    state.issuer.set_keys(&pems).map_err(|e| e.to_string())
}

/// An Entra error response.
struct EntraError {
    status: StatusCode,
    error: &'static str,
    code: u32,
    description: String,
}

impl EntraError {
    fn bad_request(error: &'static str, code: u32, description: impl Into<String>) -> Self {
        EntraError {
            status: StatusCode::BAD_REQUEST,
            error,
            code,
            description: description.into(),
        }
    }

    fn invalid_client(code: u32, description: impl Into<String>) -> Self {
        EntraError {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            code,
            description: description.into(),
        }
    }

    /// A failure of kbgap's own (logged by the caller), as Entra words a transient one.
    fn unavailable() -> Self {
        EntraError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            error: "temporarily_unavailable",
            code: 90033,
            description: "A transient error has occurred. Please try again.".into(),
        }
    }

    fn missing(parameter: &str) -> Self {
        Self::bad_request(
            "invalid_request",
            900144,
            format!("The request body must contain the following parameter: '{parameter}'."),
        )
    }

    fn unknown_tenant(error: &'static str, tenant: &str) -> Self {
        Self::bad_request(
            error,
            90002,
            format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID \
                 and are signing into the correct cloud."
            ),
        )
    }

    fn respond(self, trace: &RequestId, headers: &HeaderMap) -> Response {
        let correlation = headers
            .get("client-request-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= 64)
            .map_or_else(|| trace.0.clone(), str::to_string);
        let timestamp = timestamp();
        let body = json!({
            "error": self.error,
            "error_description": format!(
                "AADSTS{}: {}\r\nTrace ID: {}\r\nCorrelation ID: {correlation}\r\nTimestamp: {timestamp}",
                self.code, self.description, trace.0
            ),
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": trace.0,
            "correlation_id": correlation,
        });
        let mut response = (self.status, no_store(), Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"kbgap\""),
            );
        }
        response
    }
}

/// Entra's timestamp form: `2026-01-31 12:00:00Z`.
fn timestamp() -> String {
    let now = kbgap_store::DateTimeOffset {
        unix_seconds: kbgap_auth::now() as i64,
        nanos: 0,
    };
    now.to_string().replacen('T', " ", 1)
}

fn no_store() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store, no-cache"),
        ),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}

fn request_id(extensions: &axum::http::Extensions) -> RequestId {
    extensions
        .get::<RequestId>()
        .cloned()
        .unwrap_or_else(RequestId::generate)
}

/// Which endpoint family was called (v1 or v2.0): each route carries it as an extension.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Version {
    V1,
    V2,
}

async fn token<S: Store>(
    State(state): State<AppState<S>>,
    Path(tenant): Path<String>,
    Extension(version): Extension<Version>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let trace = request_id(&extensions);
    match grant(&state, &tenant, &headers, form, version).await {
        Ok(body) => (StatusCode::OK, no_store(), Json(body)).into_response(),
        Err(e) => {
            tracing::info!(error = e.error, code = e.code, "token request refused");
            e.respond(&trace, &headers)
        }
    }
}

/// The client id and secret, from the form (`client_secret_post`) or HTTP Basic
/// (`client_secret_basic`, both parts form-urlencoded as RFC 6749 says).
fn client_credentials(
    form: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<(String, Option<String>), EntraError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, encoded)| {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| {
                    EntraError::invalid_client(7000216, "The Authorization header is malformed.")
                })?;
            let (id, secret) = decoded.split_once(':').ok_or_else(|| {
                EntraError::invalid_client(7000216, "The Authorization header is malformed.")
            })?;
            let unescape = |s: &str| -> String {
                form_urlencoded::parse(format!("v={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            Ok((unescape(id), unescape(secret)))
        })
        .transpose()?;
    if let Some((id, secret)) = basic {
        return Ok((id, Some(secret)));
    }
    let id = form
        .get("client_id")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| EntraError::missing("client_id"))?;
    Ok((id.clone(), form.get("client_secret").cloned()))
}

async fn grant<S: Store>(
    state: &AppState<S>,
    tenant: &str,
    headers: &HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
    version: Version,
) -> Result<Value, EntraError> {
    let issuer = &state.issuer;
    if !tenant.eq_ignore_ascii_case(issuer.tenant()) {
        return Err(EntraError::unknown_tenant("invalid_request", tenant));
    }
    let Form(form) = form.map_err(|_| {
        EntraError::bad_request(
            "invalid_request",
            900144,
            "The request body must be application/x-www-form-urlencoded and contain the \
             following parameter: 'grant_type'.",
        )
    })?;
    let grant_type = form
        .get("grant_type")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| EntraError::missing("grant_type"))?;
    if grant_type != "client_credentials" {
        return Err(EntraError::bad_request(
            "unsupported_grant_type",
            70003,
            format!(
                "The app requested an unsupported grant type '{grant_type}'. kbgap issues \
                 application tokens only (grant_type=client_credentials)."
            ),
        ));
    }
    let (client_id, secret) = client_credentials(&form, headers)?;
    // The resource comes before the client check, as in Entra, so that a request that
    // could never succeed says why without a secret being tried.
    let resource = match version {
        Version::V1 => form
            .get("resource")
            .filter(|s| !s.is_empty())
            .ok_or_else(|| EntraError::missing("resource"))?
            .clone(),
        Version::V2 => {
            let scope = form
                .get("scope")
                .filter(|s| !s.is_empty())
                .ok_or_else(|| EntraError::missing("scope"))?;
            let mut scopes = scope.split_whitespace();
            match (
                scopes.next().and_then(|s| s.strip_suffix("/.default")),
                scopes.next(),
            ) {
                (Some(resource), None) => resource.to_string(),
                _ => {
                    return Err(EntraError::bad_request(
                        "invalid_scope",
                        1002012,
                        format!(
                            "The provided value for scope {scope} is not valid. Client credential \
                             flows must have a scope value with /.default suffixed to the \
                             resource identifier (application ID URI)."
                        ),
                    ));
                }
            }
        }
    };
    let audience = issuer
        .audience_for(&resource)
        .ok_or_else(|| {
            EntraError::bad_request(
                "invalid_resource",
                500011,
                format!(
                    "The resource principal named {resource} was not found in the tenant named \
                     {tenant}. kbgap issues tokens for Defender's API identifiers and its own URL."
                ),
            )
        })?
        .to_string();
    let secret = secret.filter(|s| !s.is_empty()).ok_or_else(|| {
        EntraError::invalid_client(
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or \
             'client_secret'.",
        )
    })?;
    let app = state
        .store
        .application(&client_id)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "application lookup failed");
            EntraError::unavailable()
        })?
        .ok_or_else(|| {
            EntraError::bad_request(
                "unauthorized_client",
                700016,
                format!(
                    "Application with identifier '{client_id}' was not found in the directory \
                     '{tenant}'."
                ),
            )
        })?;
    let stored = app.secret_hash.clone();
    // Each verification holds 19 MiB for tens of milliseconds: a burst of token requests
    // queues here instead of filling memory.
    let _permit = VERIFYING
        .acquire()
        .await
        .map_err(|_| EntraError::unavailable())?;
    let matches =
        tokio::task::spawn_blocking(move || kbgap_auth::secrets::verify(&secret, &stored))
            .await
            .unwrap_or(false);
    if !matches {
        return Err(EntraError::invalid_client(
            7000215,
            format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is \
                 the client secret value, not the client secret ID, for a secret added to app \
                 '{client_id}'."
            ),
        ));
    }
    if issuer.keys_age() > KEYS_MAX_AGE
        && let Err(e) = reload_keys(state).await
    {
        tracing::warn!(error = %e, "signing keys not reloaded");
    }
    let token = issuer
        .issue(&app.client_id, &app.roles, TOKEN_LIFETIME, &audience)
        .map_err(|e| {
            tracing::error!(error = %e, "token signing failed");
            EntraError::unavailable()
        })?;
    let lifetime = TOKEN_LIFETIME.as_secs();
    let now = kbgap_auth::now();
    Ok(match version {
        // v1 answers with numbers as strings, as Entra's does.
        Version::V1 => json!({
            "token_type": "Bearer",
            "expires_in": lifetime.to_string(),
            "ext_expires_in": lifetime.to_string(),
            "expires_on": (now + lifetime).to_string(),
            "not_before": now.to_string(),
            "resource": resource,
            "access_token": token,
        }),
        Version::V2 => json!({
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": token,
        }),
    })
}

/// Whether `tenant` names kbgap's tenant; the discovery documents also answer to Entra's
/// `common` and `organizations` aliases.
fn known_tenant(issuer: &kbgap_auth::Issuer, tenant: &str, aliases: bool) -> bool {
    tenant.eq_ignore_ascii_case(issuer.tenant())
        || (aliases && ["common", "organizations"].contains(&tenant.to_ascii_lowercase().as_str()))
}

async fn openid_configuration<S: Store>(
    State(state): State<AppState<S>>,
    Path(tenant): Path<String>,
    Extension(version): Extension<Version>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
) -> Response {
    if !known_tenant(&state.issuer, &tenant, false) {
        return EntraError::unknown_tenant("invalid_tenant", &tenant)
            .respond(&request_id(&extensions), &headers);
    }
    let base = base_url(&state, &headers);
    let tid = state.issuer.tenant();
    let (prefix, issuer) = match version {
        Version::V2 => ("/v2.0", format!("{base}/{tid}/v2.0")),
        Version::V1 => ("", state.issuer.issuer().to_string()),
    };
    let body = json!({
        "token_endpoint": format!("{base}/{tid}/oauth2{prefix}/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "jwks_uri": format!("{base}/{tid}/discovery{prefix}/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "grant_types_supported": ["client_credentials"],
        "response_types_supported": ["code", "id_token", "code id_token", "token id_token", "token"],
        "scopes_supported": ["openid"],
        "issuer": issuer,
        // Named because MSAL requires the member; kbgap serves no interactive sign-in, so
        // the endpoint does not exist.
        "authorization_endpoint": format!("{base}/{tid}/oauth2{prefix}/authorize"),
        "claims_supported": ["aud", "iss", "iat", "nbf", "exp", "appid", "tid", "roles", "ver"],
        "tenant_region_scope": null,
        "cloud_instance_name": "kbgap",
    });
    (StatusCode::OK, Json(body)).into_response()
}

async fn jwks<S: Store>(
    State(state): State<AppState<S>>,
    Path(tenant): Path<String>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
) -> Response {
    if !known_tenant(&state.issuer, &tenant, true) {
        return EntraError::unknown_tenant("invalid_tenant", &tenant)
            .respond(&request_id(&extensions), &headers);
    }
    if state.issuer.keys_age() > KEYS_MAX_AGE
        && let Err(e) = reload_keys(&state).await
    {
        tracing::warn!(error = %e, "signing keys not reloaded");
    }
    (StatusCode::OK, Json(state.issuer.jwks())).into_response()
}
