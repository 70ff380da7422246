//! Signing in over REST, so that the interactive docs need no other tool: the same accounts,
//! passwords, throttling and tokens as the gRPC AuthService.

use std::sync::Arc;

use aetherion_api::v1 as pb;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::rest::error::{ApiError, ErrorBody};
use crate::services::auth::AuthApi;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct Credentials {
    pub email: String,
    /// At least 8 characters.
    pub password: String,
    /// Only for registration; empty = the part of the email before "@".
    #[serde(default)]
    pub display_name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    /// Send as `Authorization: Bearer <access_token>` (in Swagger UI: the Authorize button).
    pub access_token: String,
    /// For the gRPC AuthService.RefreshToken.
    pub refresh_token: String,
    pub user_id: String,
    pub email: String,
    /// `ROLE_USER` or `ROLE_ADMIN`.
    pub role: String,
}

fn session(r: pb::AuthResponse) -> Session {
    let user = r.user.unwrap_or_default();
    Session {
        access_token: r.access_token,
        refresh_token: r.refresh_token,
        user_id: user.user_id,
        email: user.email,
        role: pb::Role::try_from(user.role).map(|r| r.as_str_name()).unwrap_or("ROLE_UNSPECIFIED").to_owned(),
    }
}

/// Create an account (a paper trading account with the starting cash comes with it).
#[utoipa::path(post, path = "/api/v1/auth/register", request_body = Credentials, responses((status = 201, body = Session), (status = 409, description = "Email already registered", body = ErrorBody), (status = 422, body = ErrorBody)), tag = "auth")]
pub async fn register(State(state): State<Arc<AppState>>, Json(c): Json<Credentials>) -> Result<(StatusCode, Json<Session>), ApiError> {
    let r = AuthApi::new(state).register_user(pb::RegisterRequest { email: c.email, password: c.password, display_name: c.display_name }).await?;
    Ok((StatusCode::CREATED, Json(session(r))))
}

/// Sign in; answers an access token for the other endpoints.
#[utoipa::path(post, path = "/api/v1/auth/login", request_body = Credentials, responses((status = 200, body = Session), (status = 401, body = ErrorBody), (status = 429, description = "Too many failed attempts", body = ErrorBody)), tag = "auth")]
pub async fn login(State(state): State<Arc<AppState>>, Json(c): Json<Credentials>) -> Result<Json<Session>, ApiError> {
    let r = AuthApi::new(state).login_user(pb::LoginRequest { email: c.email, password: c.password }).await?;
    Ok(Json(session(r)))
}
