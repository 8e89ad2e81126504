//! `POST /api/bank/v1/messages`: where the agency bank and the PBOC treasury deliver their
//! signed envelopes (receipts, returns, refund notices, clearing receipts, statements). No
//! session and no CSRF token: the envelope's SM2 signature is the authentication (context.rs
//! exempts this path). 403 `signature_invalid` or 400 `message_invalid` with nothing written;
//! 200 once applied (or recognised as a repeat); 500 when applying failed, so the sender
//! retries.

use axum::Json;
use axum::extract::State;
use axum::routing::post;
use serde_json::{Value, json};

use crate::context::RequestInfo;
use crate::error::ApiError;
use crate::state::AppState;

/// The path of the inbound endpoint.
pub const BANK_MESSAGES_PATH: &str = "/api/bank/v1/messages";

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route(BANK_MESSAGES_PATH, post(receive))
}

async fn receive(
    State(state): State<AppState>,
    info: RequestInfo,
    envelope: String,
) -> Result<Json<Value>, ApiError> {
    let received = state
        .app
        .bank_receive(&envelope)
        .await
        .map_err(|e| ApiError::new(e, &info.request_id))?;
    Ok(Json(json!({
        "msg_id": received.msg_id,
        "outcome": received.outcome,
        "detail": received.detail,
        "repeat": received.repeat,
    })))
}
