//! The one API error type, mapped to Defender's error body
//! `{"error": {"code", "message", "target"}}` where `target` is the request id.
//!
//! Internal errors are logged with their detail and answered with a generic message: a
//! database path or SQL text never reaches a client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::RequestId;

#[derive(Debug)]
pub enum ApiErrorKind {
    BadRequest,
    /// A query option that cannot be honoured (Defender's `ODataError`, a 400).
    ODataError,
    Unauthorized,
    Forbidden,
    NotFound,
    /// The body is larger than the server accepts (413).
    PayloadTooLarge,
    /// The application used up its calls; it may retry after this many seconds (429).
    TooManyRequests {
        retry_after: u64,
    },
    Internal,
}

#[derive(Debug)]
pub struct ApiError {
    kind: ApiErrorKind,
    message: String,
    target: RequestId,
}

impl ApiError {
    pub fn new(kind: ApiErrorKind, message: impl Into<String>, target: &RequestId) -> Self {
        ApiError {
            kind,
            message: message.into(),
            target: target.clone(),
        }
    }

    pub fn bad_request(message: impl Into<String>, target: &RequestId) -> Self {
        Self::new(ApiErrorKind::BadRequest, message, target)
    }

    /// 400 `ODataError`: an invalid OData query option, `message` saying what and where.
    pub fn odata(message: impl Into<String>, target: &RequestId) -> Self {
        Self::new(ApiErrorKind::ODataError, message, target)
    }

    pub fn not_found(message: impl Into<String>, target: &RequestId) -> Self {
        Self::new(ApiErrorKind::NotFound, message, target)
    }

    /// Logs `detail` and answers 500 without it.
    pub fn internal(detail: impl std::fmt::Display, target: &RequestId) -> Self {
        tracing::error!(request_id = %target.0, error = %detail, "internal error");
        Self::new(
            ApiErrorKind::Internal,
            "An internal error occurred.",
            target,
        )
    }
}

#[derive(serde::Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(serde::Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
    target: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = match self.kind {
            ApiErrorKind::BadRequest => (StatusCode::BAD_REQUEST, "BadRequest"),
            ApiErrorKind::ODataError => (StatusCode::BAD_REQUEST, "ODataError"),
            ApiErrorKind::Unauthorized => (StatusCode::UNAUTHORIZED, "Unauthorized"),
            ApiErrorKind::Forbidden => (StatusCode::FORBIDDEN, "Forbidden"),
            ApiErrorKind::NotFound => (StatusCode::NOT_FOUND, "ResourceNotFound"),
            ApiErrorKind::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLarge"),
            ApiErrorKind::TooManyRequests { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "TooManyRequests")
            }
            ApiErrorKind::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError"),
        };
        let body = Body {
            error: Inner {
                code,
                message: &self.message,
                target: &self.target.0,
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        match self.kind {
            ApiErrorKind::Unauthorized => {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiErrorKind::TooManyRequests { retry_after } => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            }
            _ => {}
        }
        response
    }
}
