//! One error type for every service, mapped once to gRPC status codes (Google AIP-193).

use std::borrow::Cow;

use aetherion_store::StoreError;
use tonic::{Code, Status};

/// A failed request, as the client should see it. Messages are plain words naming the field.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{field}: {message}")]
    /// `field` is a request field's name, or a path such as `positions[2].quantity`.
    InvalidArgument { field: Cow<'static, str>, message: String },
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    PermissionDenied(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("{0}")]
    FailedPrecondition(String),
    #[error("{0}")]
    ResourceExhausted(String),
    /// A bug or an infrastructure failure; the details are logged, not sent.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ServiceError {
    pub fn invalid(field: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        ServiceError::InvalidArgument { field: field.into(), message: message.into() }
    }

    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        ServiceError::Internal(err.into())
    }
}

impl From<StoreError> for ServiceError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::DuplicateEmail => {
                ServiceError::AlreadyExists("a user with this email already exists".into())
            }
            StoreError::DuplicateSymbol => ServiceError::AlreadyExists("a symbol with this name already exists".into()),
            StoreError::DuplicateBotName => ServiceError::AlreadyExists("you already have a bot with this name".into()),
            other => ServiceError::internal(other),
        }
    }
}

impl From<ServiceError> for Status {
    fn from(err: ServiceError) -> Self {
        let code = match &err {
            ServiceError::InvalidArgument { .. } => Code::InvalidArgument,
            ServiceError::Unauthenticated(_) => Code::Unauthenticated,
            ServiceError::PermissionDenied(_) => Code::PermissionDenied,
            ServiceError::NotFound(_) => Code::NotFound,
            ServiceError::AlreadyExists(_) => Code::AlreadyExists,
            ServiceError::FailedPrecondition(_) => Code::FailedPrecondition,
            ServiceError::ResourceExhausted(_) => Code::ResourceExhausted,
            ServiceError::Internal(source) => {
                tracing::error!(error = ?source, "internal error");
                Code::Internal
            }
        };
        Status::new(code, err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_to_status_codes_with_field_names() {
        let status = Status::from(ServiceError::invalid("email", "is not an email address"));
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), "email: is not an email address");
        let status = Status::from(ServiceError::from(StoreError::DuplicateEmail));
        assert_eq!(status.code(), Code::AlreadyExists);
        let status = Status::from(ServiceError::internal(anyhow::anyhow!("disk on fire")));
        assert_eq!((status.code(), status.message()), (Code::Internal, "internal error"));
    }
}
