//! `AppError`: every way an HTTP request can fail, answered as JSON with a stable code.
//! Internal errors are logged with their cause and answered without it.

use std::time::Duration;

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nido_shared::Problem;
use nido_shared::api::{ApiError, ApiErrorCode};
use serde::de::DeserializeOwned;

use crate::auth::password::PasswordError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("log in first")]
    Unauthenticated,
    #[error("wrong username or password")]
    InvalidCredentials,
    #[error("too many failed logins; try again later")]
    TooManyAttempts { retry_after: Duration },
    #[error("you may not do this")]
    Forbidden,
    #[error("enter the code from your authenticator app")]
    SecondFactorNeeded,
    #[error("the code is not right or was already used")]
    WrongSecondFactor,
    #[error("set up two-step sign-in first; your account page has it")]
    SecondFactorSetupNeeded,
    #[error("requests must come from Nido's own pages")]
    ForeignOrigin,
    #[error("not found")]
    NotFound,
    #[error("this invite expired, was used up or was revoked")]
    InviteUnavailable,
    /// Something the person can change, said precisely.
    #[error("{0}")]
    Invalid(Problem),
    /// A body or query that could not be read at all; the text says where (for developers).
    #[error("{0}")]
    Malformed(String),
    #[error("{0}")]
    Conflict(Problem),
    /// The server is too busy for this now (password checks queue up); try again.
    #[error("the server is busy; try again in a moment")]
    Busy,
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    fn code(&self) -> (StatusCode, ApiErrorCode) {
        match self {
            Self::Unauthenticated => (StatusCode::UNAUTHORIZED, ApiErrorCode::Unauthenticated),
            Self::InvalidCredentials => {
                (StatusCode::UNAUTHORIZED, ApiErrorCode::InvalidCredentials)
            }
            Self::TooManyAttempts { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, ApiErrorCode::TooManyAttempts)
            }
            Self::Forbidden => (StatusCode::FORBIDDEN, ApiErrorCode::Forbidden),
            Self::SecondFactorNeeded => {
                (StatusCode::UNAUTHORIZED, ApiErrorCode::SecondFactorNeeded)
            }
            Self::WrongSecondFactor => (StatusCode::UNAUTHORIZED, ApiErrorCode::WrongSecondFactor),
            Self::SecondFactorSetupNeeded => {
                (StatusCode::FORBIDDEN, ApiErrorCode::SecondFactorSetupNeeded)
            }
            Self::ForeignOrigin => (StatusCode::FORBIDDEN, ApiErrorCode::ForeignOrigin),
            Self::NotFound => (StatusCode::NOT_FOUND, ApiErrorCode::NotFound),
            Self::InviteUnavailable => (StatusCode::GONE, ApiErrorCode::InviteUnavailable),
            Self::Invalid(_) | Self::Malformed(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, ApiErrorCode::InvalidInput)
            }
            Self::Conflict(_) => (StatusCode::CONFLICT, ApiErrorCode::Conflict),
            Self::Busy => (StatusCode::SERVICE_UNAVAILABLE, ApiErrorCode::Busy),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, ApiErrorCode::Internal),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.code();
        if let Self::Internal(cause) = &self {
            tracing::error!(%cause, "request failed");
        }
        let problem = match &self {
            Self::Invalid(problem) | Self::Conflict(problem) => Some(problem.clone()),
            Self::Malformed(_) => Some(Problem::MalformedRequest),
            _ => None,
        };
        let body = ApiError {
            code,
            problem,
            message: self.to_string(),
        };
        let mut response = (status, Json(body)).into_response();
        let retry_after = match self {
            Self::TooManyAttempts { retry_after } => Some(retry_after),
            Self::Busy => Some(Duration::from_secs(1)),
            _ => None,
        };
        if let Some(retry_after) = retry_after {
            let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        }
        response
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict => Self::Conflict(Problem::UsernameTaken),
            StoreError::Refused(
                problem @ (Problem::AlreadyCheckedIn
                | Problem::NotCheckedIn
                | Problem::NothingToUndo),
            ) => Self::Conflict(problem),
            StoreError::Refused(problem) => Self::Invalid(problem),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<Problem> for AppError {
    fn from(problem: Problem) -> Self {
        Self::Invalid(problem)
    }
}

impl From<PasswordError> for AppError {
    fn from(error: PasswordError) -> Self {
        match error {
            PasswordError::Busy => Self::Busy,
            other => Self::Internal(other.to_string()),
        }
    }
}

/// A JSON request body whose rejection is an [`AppError`] like every other failure.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        Json::<T>::from_request(request, state)
            .await
            .map(|Json(value)| Self(value))
            .map_err(|rejection: JsonRejection| AppError::Malformed(rejection.body_text()))
    }
}

/// Query parameters whose rejection is an [`AppError`].
pub struct QueryParams<T>(pub T);

impl<S, T> FromRequestParts<S> for QueryParams<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| Self(value))
            .map_err(|rejection: QueryRejection| AppError::Malformed(rejection.body_text()))
    }
}
