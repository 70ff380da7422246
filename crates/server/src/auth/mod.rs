//! Authentication: passwords, tokens, the signing secret, login throttling, and the
//! interceptor that admits a request only with a valid `authorization: Bearer` token.

pub mod password;
pub mod secret;
pub mod throttle;
pub mod tokens;

use std::sync::Arc;

use aetherion_model::Role;
use tonic::metadata::MetadataMap;
use tonic::{Request, Status};

use crate::error::ServiceError;
pub use tokens::{Caller, TokenError, TokenKeys};

/// Reads the caller from request metadata.
pub fn caller_from_metadata(keys: &TokenKeys, metadata: &MetadataMap) -> Result<Caller, ServiceError> {
    let value = metadata.get("authorization").map(|v| v.to_str().map_err(|_| ()));
    caller_from_authorization(keys, value, "authorization", "metadata")
}

/// Reads the caller from an `authorization` value (`None`: missing; `Err`: not text) of gRPC
/// metadata or an HTTP header; `header` and `kind` name it in the messages.
pub fn caller_from_authorization(keys: &TokenKeys, value: Option<Result<&str, ()>>, header: &str, kind: &str) -> Result<Caller, ServiceError> {
    let value = value
        .ok_or_else(|| ServiceError::Unauthenticated(format!("missing {header} {kind}: send '{header}: Bearer <access token>'")))?
        .map_err(|()| ServiceError::Unauthenticated(format!("{header} {kind} is not text")))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ServiceError::Unauthenticated(format!("{header} {kind} must be 'Bearer <access token>'")))?;
    keys.verify_access(token).map_err(|e| ServiceError::Unauthenticated(e.to_string()))
}

/// The tonic interceptor in front of every service that needs a signed-in caller. It puts
/// the [`Caller`] into the request's extensions.
#[derive(Clone, Debug)]
pub struct RequireAuth {
    keys: Arc<TokenKeys>,
}

impl RequireAuth {
    pub fn new(keys: Arc<TokenKeys>) -> Self {
        RequireAuth { keys }
    }
}

impl tonic::service::Interceptor for RequireAuth {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let caller = caller_from_metadata(&self.keys, request.metadata())?;
        request.extensions_mut().insert(caller);
        Ok(request)
    }
}

/// The caller that [`RequireAuth`] established for this request.
pub fn caller<T>(request: &Request<T>) -> Result<&Caller, ServiceError> {
    request
        .extensions()
        .get::<Caller>()
        .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("service reached without the auth interceptor")))
}

/// Refuses callers that are not administrators.
pub fn require_admin(caller: &Caller) -> Result<(), ServiceError> {
    match caller.role {
        Role::Admin => Ok(()),
        Role::User => Err(ServiceError::PermissionDenied("this RPC needs the ROLE_ADMIN role".into())),
    }
}
