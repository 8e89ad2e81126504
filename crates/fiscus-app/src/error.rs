//! Errors of the use cases: a business rejection (shown to the user as is) or an internal
//! failure (logged with its cause, shown as a generic message with the request id).

use fiscus_core::Rejection;
use fiscus_store::StoreError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum AppError {
    #[error("{0}")]
    Rejected(Rejection),
    #[error("internal: {0}")]
    Internal(String),
}

impl From<Rejection> for AppError {
    fn from(rejection: Rejection) -> Self {
        AppError::Rejected(rejection)
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Rejected(rejection) => AppError::Rejected(rejection),
            other => AppError::Internal(other.to_string()),
        }
    }
}
