//! The reservation interface of the payment module: 预占, 过账 (in full or in part), 撤销
//! and 退款, each idempotent by its client-supplied `transfer_id` (a repeat answers 200 with
//! the first result; the first answers 201).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use fiscus_app::ledger::Reserve;
use fiscus_core::ledger::control::PaymentElements;
use fiscus_core::ledger::{BgtId, TransferId};
use fiscus_core::{Fen, Rejection};
use serde::Deserialize;
use serde_json::json;

use super::body_invalid;
use crate::api::{ApiJson, ApiResult};
use crate::context::{ApiUser, RequestInfo};
use crate::error::ApiError;
use crate::state::AppState;

/// Payment elements on the wire: every field optional, none unknown.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct ElementsWire {
    agency_code: String,
    pro_code: String,
    exp_func_code: String,
    gov_bgt_eco_code: String,
    dep_bgt_eco_code: String,
    fund_type_code: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReserveWire {
    transfer_id: String,
    bgt_id: String,
    amount_fen: i64,
    #[serde(default)]
    elements: ElementsWire,
    #[serde(default)]
    doc_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ResolveWire {
    transfer_id: String,
    #[serde(default)]
    amount_fen: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RefundWire {
    transfer_id: String,
    bgt_id: String,
    amount_fen: i64,
    #[serde(default)]
    doc_id: Option<String>,
}

fn parsed<T>(result: Result<T, Rejection>, rid: &str) -> Result<T, ApiError> {
    result.map_err(|e| ApiError::new(e, rid))
}

pub(super) async fn reserve(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    ApiJson(body): ApiJson<ReserveWire>,
) -> ApiResult {
    let rid = &info.request_id;
    let e = body.elements;
    let request = Reserve {
        transfer_id: parsed(TransferId::parse(&body.transfer_id), rid)?,
        bgt_id: parsed(BgtId::parse(&body.bgt_id), rid)?,
        amount: Fen(body.amount_fen),
        elements: PaymentElements {
            agency_code: e.agency_code,
            pro_code: e.pro_code,
            exp_func_code: e.exp_func_code,
            gov_bgt_eco_code: e.gov_bgt_eco_code,
            dep_bgt_eco_code: e.dep_bgt_eco_code,
            fund_type_code: e.fund_type_code,
        },
        doc_id: body.doc_id.filter(|d| !d.trim().is_empty()),
    };
    let receipt = state
        .app
        .ledger_reserve(
            fiscus_store::records::Viewer::User(&user.principal),
            request,
            &info.ctx(),
        )
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    let status = if receipt.repeat {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(json!(receipt))).into_response())
}

async fn resolve(
    state: AppState,
    user: crate::context::CurrentUser,
    info: RequestInfo,
    pending_id: String,
    body: ResolveWire,
    post: bool,
) -> ApiResult {
    let rid = &info.request_id;
    let pending_id = TransferId::parse(&pending_id)
        .map_err(|_| ApiError::new(Rejection::NotFound { what: "预占" }, rid))?;
    let transfer_id = parsed(TransferId::parse(&body.transfer_id), rid)?;
    let who = fiscus_store::records::Viewer::User(&user.principal);
    let receipt = if post {
        state
            .app
            .ledger_post(
                who,
                transfer_id,
                pending_id,
                body.amount_fen.map(Fen),
                &info.ctx(),
            )
            .await
    } else {
        if body.amount_fen.is_some() {
            return Err(body_invalid(rid));
        }
        state
            .app
            .ledger_void(who, transfer_id, pending_id, &info.ctx())
            .await
    }
    .map_err(|e| ApiError::new(e, rid))?;
    let status = if receipt.repeat {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(json!(receipt))).into_response())
}

pub(super) async fn post_pending(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path(pending_id): Path<String>,
    ApiJson(body): ApiJson<ResolveWire>,
) -> ApiResult {
    resolve(state, user, info, pending_id, body, true).await
}

pub(super) async fn void_pending(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path(pending_id): Path<String>,
    ApiJson(body): ApiJson<ResolveWire>,
) -> ApiResult {
    resolve(state, user, info, pending_id, body, false).await
}

pub(super) async fn refund(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    ApiJson(body): ApiJson<RefundWire>,
) -> ApiResult {
    let rid = &info.request_id;
    let transfer_id = parsed(TransferId::parse(&body.transfer_id), rid)?;
    let bgt_id = parsed(BgtId::parse(&body.bgt_id), rid)?;
    let receipt = state
        .app
        .ledger_refund(
            fiscus_store::records::Viewer::User(&user.principal),
            transfer_id,
            bgt_id,
            Fen(body.amount_fen),
            body.doc_id.as_deref().filter(|d| !d.trim().is_empty()),
            &info.ctx(),
        )
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    let status = if receipt.repeat {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(json!(receipt))).into_response())
}
