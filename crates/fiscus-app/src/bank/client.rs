//! The HTTP client that posts envelopes to the bank (and the PBOC front-end). It tells a
//! failure worth retrying (no connection, timeout, 5xx) from a refusal (4xx: the peer read the
//! envelope and will not take it; sending it again changes nothing).

use std::time::Duration;

use thiserror::Error;

/// Why a send did not get a 2xx answer.
#[derive(Debug, Error)]
pub enum SendError {
    /// Connection refused or reset, timeout, or a 5xx: try again later.
    #[error("retryable: {0}")]
    Retryable(String),
    /// A 4xx: the peer refused the envelope; the body says why.
    #[error("refused with {status}: {body}")]
    Refused { status: u16, body: String },
}

impl SendError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, SendError::Retryable(_))
    }
}

/// Timeouts of the bank client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientTimeouts {
    pub connect: Duration,
    /// The whole request, answer included.
    pub request: Duration,
}

impl Default for ClientTimeouts {
    fn default() -> ClientTimeouts {
        ClientTimeouts {
            connect: Duration::from_secs(5),
            request: Duration::from_secs(30),
        }
    }
}

/// Answers larger than this are cut off and treated as a retryable failure.
pub const RESPONSE_BYTES_MAX: usize = 32 * 1024 * 1024;

/// Posts envelopes (`Content-Type: application/xml; charset=utf-8`). Cheap to clone.
#[derive(Clone, Debug)]
pub struct BankClient {
    http: reqwest::Client,
}

impl BankClient {
    pub fn new(timeouts: ClientTimeouts) -> Result<BankClient, crate::AppError> {
        let http = reqwest::Client::builder()
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.request)
            .build()
            .map_err(|e| crate::AppError::Internal(format!("bank client: {e}")))?;
        Ok(BankClient { http })
    }

    /// POSTs one envelope and returns the answer's body on a 2xx.
    pub async fn send(&self, url: &str, envelope: String) -> Result<String, SendError> {
        let response = self
            .http
            .post(url)
            .header("content-type", "application/xml; charset=utf-8")
            .body(envelope)
            .send()
            .await
            .map_err(|e| SendError::Retryable(error_chain(&e)))?;
        let status = response.status();
        let body = response
            .text()
            .await
            .map_err(|e| SendError::Retryable(error_chain(&e)))?;
        if body.len() > RESPONSE_BYTES_MAX {
            return Err(SendError::Retryable("answer too large".into()));
        }
        if status.is_success() {
            Ok(body)
        } else if status.is_client_error() {
            Err(SendError::Refused {
                status: status.as_u16(),
                body,
            })
        } else {
            Err(SendError::Retryable(format!("{status}: {body}")))
        }
    }

    /// GETs a URL (the bank's statement) with the same retryable/refused split.
    pub async fn get(&self, url: &str) -> Result<String, SendError> {
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| SendError::Retryable(error_chain(&e)))?;
        let status = response.status();
        let body = response
            .text()
            .await
            .map_err(|e| SendError::Retryable(error_chain(&e)))?;
        match status.as_u16() {
            200..=299 => Ok(body),
            400..=499 => Err(SendError::Refused {
                status: status.as_u16(),
                body,
            }),
            _ => Err(SendError::Retryable(format!("{status}: {body}"))),
        }
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
