//! REST errors: one JSON shape, one mapping from `ServiceError` to HTTP status codes.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ServiceError;

/// The body of every 4xx and 5xx answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable code: `invalid_argument`, `unauthenticated`, `not_found`, `unprocessable`, ...
    pub code: &'static str,
    /// What was wrong, in plain words.
    pub message: String,
    /// The field, parameter or column at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The line of an uploaded file at fault (1 = the first line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    detail: ErrorDetail,
}

impl ApiError {
    pub fn unprocessable(message: impl Into<String>, field: Option<String>, line: Option<usize>) -> Self {
        ApiError { status: StatusCode::UNPROCESSABLE_ENTITY, detail: ErrorDetail { code: "unprocessable", message: message.into(), field, line } }
    }

    pub fn bad_request(field: &str, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            detail: ErrorDetail { code: "invalid_argument", message: format!("{field}: {}", message.into()), field: Some(field.to_owned()), line: None },
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let (status, code, field) = match &e {
            ServiceError::InvalidArgument { field, .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_argument", Some(field.to_string())),
            ServiceError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated", None),
            ServiceError::PermissionDenied(_) => (StatusCode::FORBIDDEN, "permission_denied", None),
            ServiceError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", None),
            ServiceError::AlreadyExists(_) => (StatusCode::CONFLICT, "already_exists", None),
            ServiceError::FailedPrecondition(_) => (StatusCode::CONFLICT, "failed_precondition", None),
            ServiceError::ResourceExhausted(_) => (StatusCode::TOO_MANY_REQUESTS, "resource_exhausted", None),
            ServiceError::Internal(source) => {
                tracing::error!(error = ?source, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", None)
            }
        };
        ApiError { status, detail: ErrorDetail { code, message: e.to_string(), field, line: None } }
    }
}

impl From<aetherion_store::StoreError> for ApiError {
    fn from(e: aetherion_store::StoreError) -> Self {
        ServiceError::from(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(ErrorBody { error: self.detail })).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert("www-authenticate", axum::http::HeaderValue::from_static("Bearer"));
        }
        response
    }
}
