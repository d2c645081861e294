//! Authentication as an extractor: every `/api` handler takes a [`Caller`], so a route
//! cannot forget to check the token.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use kbgap_auth::Principal;

use crate::error::{ApiError, ApiErrorKind};
use crate::{AppState, RequestId};

/// An authenticated caller.
pub struct Caller {
    pub principal: Principal,
    pub request_id: RequestId,
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

impl<S: Send + Sync> FromRequestParts<AppState<S>> for Caller {
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
        let principal = state.issuer.verify(token).map_err(|e| {
            tracing::info!(request_id = %request_id.0, reason = %e, "token rejected");
            unauthorized("Invalid or expired token")
        })?;
        Ok(Caller {
            principal,
            request_id,
        })
    }
}
