//! The REST API takes the same Bearer access tokens as gRPC.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::auth::Caller;
use crate::rest::error::ApiError;
use crate::state::AppState;

/// The signed-in caller of a REST request.
pub struct Authenticated(pub Caller);

impl FromRequestParts<Arc<AppState>> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let value = parts.headers.get(axum::http::header::AUTHORIZATION).map(|v| v.to_str().map_err(|_| ()));
        let caller = crate::auth::caller_from_authorization(&state.keys, value, "Authorization", "header")?;
        Ok(Authenticated(caller))
    }
}
