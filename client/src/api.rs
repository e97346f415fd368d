//! Calls to the server's JSON API (`docs/api.md`), with its errors as one type.

use gloo_net::http::{Request, RequestBuilder, Response};
use nido_shared::Problem;
use nido_shared::api::{ApiError, ApiErrorCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why an API call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiFailure {
    /// The server answered with an error.
    Refused { status: u16, error: ApiError },
    /// The server could not be reached, or answered something unreadable.
    Network,
}

impl ApiFailure {
    pub fn code(&self) -> Option<ApiErrorCode> {
        match self {
            Self::Refused { error, .. } => Some(error.code),
            Self::Network => None,
        }
    }

    /// Exactly what to change, when the server said.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Self::Refused { error, .. } => error.problem.as_ref(),
            Self::Network => None,
        }
    }
}

pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiFailure> {
    json(checked(Request::get(path).send().await).await?).await
}

/// Sends `body` and reads a JSON answer.
pub async fn call<B: Serialize, T: DeserializeOwned>(
    builder: RequestBuilder,
    body: &B,
) -> Result<T, ApiFailure> {
    let request = builder.json(body).map_err(|_| ApiFailure::Network)?;
    json(checked(request.send().await).await?).await
}

/// Sends `body` (or nothing) and expects no answer body.
pub async fn act<B: Serialize>(
    builder: RequestBuilder,
    body: Option<&B>,
) -> Result<(), ApiFailure> {
    let sent = match body {
        Some(body) => {
            builder
                .json(body)
                .map_err(|_| ApiFailure::Network)?
                .send()
                .await
        }
        None => builder.send().await,
    };
    checked(sent).await.map(drop)
}

pub fn post(path: &str) -> RequestBuilder {
    Request::post(path)
}

pub fn patch(path: &str) -> RequestBuilder {
    Request::patch(path)
}

pub fn put(path: &str) -> RequestBuilder {
    Request::put(path)
}

pub fn delete(path: &str) -> RequestBuilder {
    Request::delete(path)
}

async fn checked(sent: Result<Response, gloo_net::Error>) -> Result<Response, ApiFailure> {
    let response = sent.map_err(|_| ApiFailure::Network)?;
    if response.ok() {
        return Ok(response);
    }
    let status = response.status();
    let error = response
        .json::<ApiError>()
        .await
        .map_err(|_| ApiFailure::Network)?;
    Err(ApiFailure::Refused { status, error })
}

async fn json<T: DeserializeOwned>(response: Response) -> Result<T, ApiFailure> {
    response.json().await.map_err(|_| ApiFailure::Network)
}
