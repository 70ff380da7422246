//! AuthService: registration, login, the current user, refresh-token rotation, logout.

use std::sync::Arc;

use aetherion_api::v1 as pb;
use aetherion_exchange::{AccountId, Balance};
use aetherion_model::{Amount, Role, UnixMicros};
use aetherion_store::{NewAccount, NewRefreshToken, NewUser, RotateOutcome, UserRecord};
use tonic::{Request, Response, Status};

use crate::auth::tokens::{REFRESH_TOKEN_TTL_SECS, new_refresh_token, refresh_token_hash};
use crate::auth::{Caller, caller_from_metadata};
use crate::clock::{now, timestamp};
use crate::error::ServiceError;
use crate::state::AppState;

const MIN_PASSWORD_CHARS: usize = 8;
const MAX_PASSWORD_CHARS: usize = 1024;
const MAX_DISPLAY_NAME_CHARS: usize = 64;
const MAX_EMAIL_CHARS: usize = 254;

pub struct AuthApi {
    state: Arc<AppState>,
}

impl AuthApi {
    pub fn new(state: Arc<AppState>) -> Self {
        AuthApi { state }
    }

    pub(crate) async fn register_user(&self, req: pb::RegisterRequest) -> Result<pb::AuthResponse, ServiceError> {
        let email = normalize_email(&req.email)?;
        check_password(&req.password)?;
        let display_name = display_name(&req.display_name, &email)?;
        let password_hash = self.state.passwords.hash(req.password).await?;
        let created_at = now();
        let user = NewUser {
            user_id: uuid::Uuid::now_v7().to_string(),
            email,
            display_name,
            password_hash,
            created_at,
        };
        let account = NewAccount {
            quote_asset: self.state.config.quote_asset.clone(),
            starting_cash: self.state.config.starting_cash,
            deposit_id: uuid::Uuid::now_v7().to_string(),
        };
        let record = {
            // Serialised so that exactly one first user becomes the administrator.
            let _guard = self.state.register_lock.lock().await;
            self.state.store.register_user(&user, &account).await?
        };
        let account_no = self
            .state
            .store
            .account_no(&record.user_id)
            .await?
            .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("a new user has no account number")))?;
        let opening = vec![(account.quote_asset.clone(), Balance { free: account.starting_cash, reserved: Amount::ZERO })];
        self.state.market.open_account(&record.user_id, AccountId(account_no), opening).await?;
        tracing::info!(user_id = %record.user_id, role = %record.role, "registered a user");
        self.sign_in(&record, None).await
    }

    pub(crate) async fn login_user(&self, req: pb::LoginRequest) -> Result<pb::AuthResponse, ServiceError> {
        if req.email.trim().is_empty() {
            return Err(ServiceError::invalid("email", "is required"));
        }
        if req.password.is_empty() {
            return Err(ServiceError::invalid("password", "is required"));
        }
        if req.password.chars().count() > MAX_PASSWORD_CHARS {
            return Err(ServiceError::invalid("password", format!("must be at most {MAX_PASSWORD_CHARS} characters")));
        }
        let email = req.email.trim().to_lowercase();
        let throttle = &self.state.throttle;
        if let Err(wait) = throttle.check(&email, now()) {
            return Err(ServiceError::ResourceExhausted(format!(
                "too many failed logins for this email; retry in {wait} seconds"
            )));
        }
        let user = self.state.store.user_by_email(&email).await?;
        let stored_hash = user.as_ref().map(|u| u.password_hash.clone());
        let ok = self.state.passwords.verify(req.password, stored_hash).await?;
        match user {
            Some(user) if ok => {
                throttle.record_success(&email);
                self.sign_in(&user, None).await
            }
            _ => {
                throttle.record_failure(&email, now());
                Err(ServiceError::Unauthenticated("invalid email or password".into()))
            }
        }
    }

    async fn refresh_session(&self, req: pb::RefreshTokenRequest) -> Result<pb::AuthResponse, ServiceError> {
        let presented = req.refresh_token.trim();
        if presented.is_empty() {
            return Err(ServiceError::invalid("refresh_token", "is required"));
        }
        let at = now();
        let next_token = new_refresh_token();
        let next_hash = refresh_token_hash(&next_token);
        let outcome = self
            .state
            .store
            .rotate_refresh_token(
                &refresh_token_hash(presented),
                |family_id, user_id| NewRefreshToken {
                    token_hash: next_hash.clone(),
                    family_id: family_id.to_owned(),
                    user_id: user_id.to_owned(),
                    issued_at: at,
                    expires_at: at.plus_seconds(REFRESH_TOKEN_TTL_SECS),
                },
                at,
            )
            .await?;
        let user_id = match outcome {
            RotateOutcome::Rotated { user_id } => user_id,
            RotateOutcome::Unknown => {
                return Err(ServiceError::Unauthenticated("refresh token is not valid".into()));
            }
            RotateOutcome::Expired => {
                return Err(ServiceError::Unauthenticated("refresh token has expired or was revoked; log in again".into()));
            }
            RotateOutcome::Reused => {
                tracing::warn!("a used refresh token was presented again; its family is revoked");
                return Err(ServiceError::Unauthenticated(
                    "refresh token was already used; every session it belongs to is revoked, log in again".into(),
                ));
            }
        };
        let user = self
            .state
            .store
            .user_by_id(&user_id)
            .await?
            .ok_or_else(|| ServiceError::Unauthenticated("the user of this token no longer exists".into()))?;
        self.sign_in(&user, Some((next_token, at))).await
    }

    async fn end_session(&self, req: pb::LogoutRequest) -> Result<pb::LogoutResponse, ServiceError> {
        let presented = req.refresh_token.trim();
        if presented.is_empty() {
            return Err(ServiceError::invalid("refresh_token", "is required"));
        }
        self.state.store.revoke_refresh_family(&refresh_token_hash(presented), now()).await?;
        Ok(pb::LogoutResponse {})
    }

    async fn current_user(&self, caller: Caller) -> Result<pb::User, ServiceError> {
        let user = self
            .state
            .store
            .user_by_id(&caller.user_id)
            .await?
            .ok_or_else(|| ServiceError::Unauthenticated("the user of this token no longer exists".into()))?;
        Ok(user_message(&user))
    }

    /// Issues an access token and a refresh token. `rotated` carries a refresh token that the
    /// store already saved (rotation); otherwise a new family starts here.
    async fn sign_in(
        &self,
        user: &UserRecord,
        rotated: Option<(String, UnixMicros)>,
    ) -> Result<pb::AuthResponse, ServiceError> {
        let (refresh_token, issued_at) = match rotated {
            Some(pair) => pair,
            None => {
                let token = new_refresh_token();
                let at = now();
                self.state
                    .store
                    .insert_refresh_token(&NewRefreshToken {
                        token_hash: refresh_token_hash(&token),
                        family_id: uuid::Uuid::new_v4().to_string(),
                        user_id: user.user_id.clone(),
                        issued_at: at,
                        expires_at: at.plus_seconds(REFRESH_TOKEN_TTL_SECS),
                    })
                    .await?;
                (token, at)
            }
        };
        let caller = Caller { user_id: user.user_id.clone(), role: user.role };
        let (access_token, expires_at) =
            self.state.keys.issue_access(&caller, issued_at).map_err(ServiceError::internal)?;
        Ok(pb::AuthResponse {
            access_token,
            refresh_token,
            access_token_expires_at: Some(timestamp(expires_at)),
            user: Some(user_message(user)),
            refresh_token_expires_at: Some(timestamp(issued_at.plus_seconds(REFRESH_TOKEN_TTL_SECS))),
        })
    }
}

#[tonic::async_trait]
impl pb::auth_service_server::AuthService for AuthApi {
    async fn register(&self, request: Request<pb::RegisterRequest>) -> Result<Response<pb::AuthResponse>, Status> {
        Ok(Response::new(self.register_user(request.into_inner()).await?))
    }

    async fn login(&self, request: Request<pb::LoginRequest>) -> Result<Response<pb::AuthResponse>, Status> {
        Ok(Response::new(self.login_user(request.into_inner()).await?))
    }

    async fn get_user(&self, request: Request<pb::GetUserRequest>) -> Result<Response<pb::User>, Status> {
        let caller = caller_from_metadata(&self.state.keys, request.metadata())?;
        Ok(Response::new(self.current_user(caller).await?))
    }

    async fn refresh_token(
        &self,
        request: Request<pb::RefreshTokenRequest>,
    ) -> Result<Response<pb::AuthResponse>, Status> {
        Ok(Response::new(self.refresh_session(request.into_inner()).await?))
    }

    async fn logout(&self, request: Request<pb::LogoutRequest>) -> Result<Response<pb::LogoutResponse>, Status> {
        Ok(Response::new(self.end_session(request.into_inner()).await?))
    }
}

fn user_message(user: &UserRecord) -> pb::User {
    pb::User {
        user_id: user.user_id.clone(),
        email: user.email.clone(),
        display_name: user.display_name.clone(),
        role: match user.role {
            Role::User => pb::Role::User,
            Role::Admin => pb::Role::Admin,
        } as i32,
        created_at: Some(timestamp(user.created_at)),
    }
}

/// Trims and lower-cases an email, and checks that it looks like `local@domain.tld`.
fn normalize_email(raw: &str) -> Result<String, ServiceError> {
    let email = raw.trim().to_lowercase();
    let invalid = || ServiceError::invalid("email", format!("{raw:?} is not an email address (expected name@domain)"));
    if email.is_empty() {
        return Err(ServiceError::invalid("email", "is required"));
    }
    if email.chars().count() > MAX_EMAIL_CHARS {
        return Err(ServiceError::invalid("email", format!("must be at most {MAX_EMAIL_CHARS} characters")));
    }
    let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
    let bad_char = |c: char| c.is_whitespace() || c.is_control() || c == '@' || c == ',' || c == '<' || c == '>';
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !domain.chars().any(bad_char);
    if local.is_empty() || local.chars().any(bad_char) || !domain_ok {
        return Err(invalid());
    }
    Ok(email)
}

fn check_password(password: &str) -> Result<(), ServiceError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(ServiceError::invalid("password", format!("must be at least {MIN_PASSWORD_CHARS} characters")));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(ServiceError::invalid("password", format!("must be at most {MAX_PASSWORD_CHARS} characters")));
    }
    Ok(())
}

fn display_name(raw: &str, email: &str) -> Result<String, ServiceError> {
    let name = raw.trim();
    if name.chars().count() > MAX_DISPLAY_NAME_CHARS {
        return Err(ServiceError::invalid("display_name", format!("must be at most {MAX_DISPLAY_NAME_CHARS} characters")));
    }
    if name.chars().any(char::is_control) {
        return Err(ServiceError::invalid("display_name", "must not contain control characters"));
    }
    if name.is_empty() {
        return Ok(email.split('@').next().unwrap_or(email).to_owned());
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(normalize_email("  Ada@Example.COM ").unwrap(), "ada@example.com");
        for bad in ["", "ada", "ada@", "@example.com", "ada@example", "ada@.com", "ada@example.com.", "a da@x.io", "a@b@c.io", "ada@ex..com"] {
            assert!(normalize_email(bad).is_err(), "{bad:?}");
        }
        assert!(normalize_email(&format!("{}@x.io", "a".repeat(260))).is_err());
    }

    #[test]
    fn passwords_need_eight_characters() {
        assert!(check_password("1234567").is_err());
        assert!(check_password("12345678").is_ok());
        assert!(check_password("ééééééé").is_err(), "counted in characters, not bytes");
        assert!(check_password(&"x".repeat(1025)).is_err());
    }

    #[test]
    fn display_names_default_to_the_email_name() {
        assert_eq!(display_name("  ", "ada@example.com").unwrap(), "ada");
        assert_eq!(display_name(" Ada L. ", "ada@example.com").unwrap(), "Ada L.");
        assert!(display_name(&"x".repeat(65), "a@b.io").is_err());
        assert!(display_name("a\u{0}b", "a@b.io").is_err());
    }
}
