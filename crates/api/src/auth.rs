//! Authentication as an extractor: every `/api` handler takes a [`Caller`], so a route
//! cannot forget to check the token. A token signed by a key this process has not loaded
//! yet (rotated in by `kbgap keys rotate` while the server runs) makes it reload the keys
//! from the store once before the token is refused.
//!
//! Tokens of external identity providers (Entra ID, Keycloak, ...; `serve --oidc-issuer`)
//! are told apart by their unverified `iss`: a configured external issuer's go to its
//! verifier ([`ExternalIssuers`], installed with [`with_external_issuers`]), every other
//! token to kbgap's own issuer, which refuses what it did not sign. A delegated token of an
//! external provider carries the user's device groups ([`Caller::device_groups`]).

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use kbgap_auth::external::{ExternalIssuers, ExternalPrincipal, unverified_issuer};
use kbgap_auth::{AuthError, Principal};
use kbgap_store::Store;

use crate::error::{ApiError, ApiErrorKind};
use crate::token_cache::VerifiedTokens;
use crate::{AppState, RequestId};

/// The shortest time between two reloads of the signing keys prompted by an unknown key id.
const KEYS_RELOAD_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// An authenticated caller.
pub struct Caller {
    pub principal: Principal,
    /// The device groups whose machines a delegated caller of an external provider may see;
    /// `None` for every other caller, who sees every machine.
    pub device_groups: Option<BTreeSet<String>>,
    pub request_id: RequestId,
}

/// `router` also accepting the tokens of the external issuers `issuers` trusts.
pub fn with_external_issuers(router: axum::Router, issuers: Arc<ExternalIssuers>) -> axum::Router {
    router.layer(axum::Extension(issuers))
}

/// Verifies a token of a configured external issuer, first fetching the issuer's keys on a
/// blocking thread when the token names a key id the cache lacks (or the keys are old) and
/// the rate limit allows a fetch.
async fn verify_external(
    issuers: Arc<ExternalIssuers>,
    token: &str,
) -> Result<ExternalPrincipal, AuthError> {
    if let Some(refresh) = issuers.refresh_due(token) {
        match tokio::task::spawn_blocking(move || refresh.run()).await {
            Ok(Ok(keys)) => tracing::info!(keys, "external issuer's keys fetched"),
            Ok(Err(e)) => tracing::warn!(error = %e, "external issuer's keys not fetched"),
            Err(e) => tracing::warn!(error = %e, "external issuer's key fetch failed"),
        }
    }
    issuers.verify(token)
}

impl Caller {
    /// 403 unless the caller holds one of `accepted` (Defender's wording).
    pub fn require(&self, accepted: &[&str]) -> Result<(), ApiError> {
        if self.principal.has_any(accepted) {
            return Ok(());
        }
        Err(ApiError::new(
            ApiErrorKind::Forbidden,
            format!(
                "Missing application roles. API required roles: {}",
                accepted.join(", ")
            ),
            &self.request_id,
        ))
    }
}

impl<S: Store> FromRequestParts<AppState<S>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState<S>,
    ) -> Result<Self, Self::Rejection> {
        let request_id = parts
            .extensions
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(|| RequestId(String::new()));
        let unauthorized =
            |message: &str| ApiError::new(ApiErrorKind::Unauthorized, message, &request_id);
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| unauthorized("Authorization header is missing"))?
            .to_str()
            .map_err(|_| unauthorized("Authorization header is not valid text"))?;
        let token = value
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .ok_or_else(|| unauthorized("Authorization header must be 'Bearer <token>'"))?;
        let external = parts
            .extensions
            .get::<Arc<ExternalIssuers>>()
            .filter(|issuers| unverified_issuer(token).is_some_and(|iss| issuers.handles(&iss)))
            .cloned();
        if let Some(issuers) = external {
            let verified = verify_external(issuers, token).await.map_err(|e| {
                tracing::info!(request_id = %request_id.0, reason = %e, "token rejected");
                unauthorized("Invalid or expired token")
            })?;
            let principal = verified.principal;
            crate::throttle::check(&parts.extensions, &principal.app_id, &request_id)?;
            return Ok(Caller {
                principal,
                device_groups: verified.device_groups,
                request_id,
            });
        }
        let verify = |token: &str| match parts.extensions.get::<Arc<VerifiedTokens>>() {
            Some(cache) => cache.verify(&state.issuer, token),
            None => state.issuer.verify(token),
        };
        let verified = match verify(token) {
            // A key rotated in by another process since the keys were loaded: reload them
            // (at most every few seconds, so forged key ids cannot make every request a
            // database read) and try once more.
            Err(AuthError::UnknownKey(_)) if state.issuer.keys_age() > KEYS_RELOAD_INTERVAL => {
                if let Err(e) = crate::identity::reload_keys(state).await {
                    tracing::warn!(error = %e, "signing keys not reloaded");
                }
                verify(token)
            }
            verified => verified,
        };
        let principal = verified.map_err(|e| {
            tracing::info!(request_id = %request_id.0, reason = %e, "token rejected");
            unauthorized("Invalid or expired token")
        })?;
        crate::throttle::check(&parts.extensions, &principal.app_id, &request_id)?;
        Ok(Caller {
            principal,
            device_groups: None,
            request_id,
        })
    }
}
