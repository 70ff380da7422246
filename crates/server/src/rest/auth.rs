//! The REST API takes the same Bearer access tokens as gRPC.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::auth::Caller;
use crate::error::ServiceError;
use crate::rest::error::ApiError;
use crate::state::AppState;

/// The signed-in caller of a REST request.
pub struct Authenticated(pub Caller);

impl FromRequestParts<Arc<AppState>> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(axum::http::header::AUTHORIZATION).ok_or_else(|| {
            ApiError::from(ServiceError::Unauthenticated("missing Authorization header: send 'Authorization: Bearer <access token>'".into()))
        })?;
        let value = header.to_str().map_err(|_| ApiError::from(ServiceError::Unauthenticated("Authorization header is not text".into())))?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::from(ServiceError::Unauthenticated("Authorization header must be 'Bearer <access token>'".into())))?;
        let caller = state.keys.verify_access(token).map_err(|e| ApiError::from(ServiceError::Unauthenticated(e.to_string())))?;
        Ok(Authenticated(caller))
    }
}
