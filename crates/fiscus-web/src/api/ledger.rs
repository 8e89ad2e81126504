//! The indicator ledger in the JSON API: indicator lists with totals, one indicator with its
//! lineage and 账页, roll-ups, Excel export, operation documents (`/indicator-ops`), the
//! reservation interface of the payment module (`/ledger/reservations`, `/ledger/refunds`)
//! and the control levels. Handlers parse wire input into typed values; the use cases in
//! `fiscus_app::ledger` check roles and scope. Money is integer fen on the wire.

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use fiscus_app::ledger::ops::CarryRule;
use fiscus_app::ledger::query::{IndicatorQuery, SummaryBy, parse_paging};
use fiscus_core::Rejection;
use fiscus_core::ledger::{BgtId, ControlPoint, ControlTable, Operation};
use fiscus_store::ledger::IndicatorRow;
use serde::Deserialize;
use serde_json::{Value, json};

mod openapi;
mod reserve;
mod year_end;

pub use openapi::openapi_paths;

use super::{ApiJson, ApiResult, xlsx_file_response};
use crate::context::{ApiUser, RequestInfo};
use crate::error::ApiError;
use crate::state::AppState;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/indicators", get(list))
        .route("/api/v1/indicators/export", get(export))
        .route("/api/v1/indicators/summary", get(summary))
        .route("/api/v1/indicators/summary/export", get(summary_export))
        .route("/api/v1/indicators/{bgt_id}", get(detail))
        .route("/api/v1/indicators/{bgt_id}/entries", get(entries))
        .route("/api/v1/indicator-ops", post(create_op))
        .route("/api/v1/indicator-ops/year-end", get(year_end_preview))
        .route("/api/v1/ledger/reservations", post(reserve::reserve))
        .route(
            "/api/v1/ledger/reservations/{pending_id}/post",
            post(reserve::post_pending),
        )
        .route(
            "/api/v1/ledger/reservations/{pending_id}/void",
            post(reserve::void_pending),
        )
        .route("/api/v1/ledger/refunds", post(reserve::refund))
        .route("/api/v1/ledger/controls", get(controls).put(set_control))
        .route(
            "/api/v1/ledger/year-end",
            get(year_end::records).post(year_end::close),
        )
        .route("/api/v1/ledger/year-end/preview", get(year_end::preview))
}

fn params_of(params: HashMap<String, String>) -> BTreeMap<String, String> {
    params.into_iter().collect()
}

/// An indicator as JSON: its elements, figures (fen) and lineage fields.
pub fn indicator_json(row: &IndicatorRow) -> Value {
    json!({
        "bgt_id": row.bgt_id,
        "elements": row.elements,
        "figures": row.figures,
        "closed": row.closed,
        "orig_amount_fen": row.orig_amount_fen,
        "doc_id": row.doc_id,
        "created_at": row.created_at,
    })
}

/// A `bgt_id` from the path: a malformed one names no indicator (404).
fn path_bgt_id(text: &str, rid: &str) -> Result<BgtId, ApiError> {
    BgtId::parse(text).map_err(|_| ApiError::new(Rejection::NotFound { what: "指标" }, rid))
}

async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let query = IndicatorQuery::parse(&params_of(params)).map_err(|e| ApiError::new(e, rid))?;
    let page = state
        .app
        .indicator_list(&user.principal, &query)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    let items: Vec<Value> = page.rows.iter().map(indicator_json).collect();
    Ok(Json(json!({
        "items": items,
        "total": page.totals.count,
        "totals": page.totals,
        "page": query.page,
        "page_size": query.page_size,
    }))
    .into_response())
}

async fn export(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let query = IndicatorQuery::parse(&params_of(params)).map_err(|e| ApiError::new(e, rid))?;
    let bytes = state
        .app
        .export_indicators(&user.principal, &query)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(xlsx_file_response("indicators", "指标查询", bytes))
}

fn summary_request(
    params: HashMap<String, String>,
    rid: &str,
) -> Result<(IndicatorQuery, SummaryBy), ApiError> {
    let by = SummaryBy::parse(
        params.get("by").map(String::as_str),
        params.get("level").map(String::as_str),
    )
    .map_err(|e| ApiError::new(e, rid))?;
    let query = IndicatorQuery::parse(&params_of(params)).map_err(|e| ApiError::new(e, rid))?;
    Ok((query, by))
}

async fn summary(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let (query, by) = summary_request(params, rid)?;
    let (rows, totals) = state
        .app
        .indicator_summary(&user.principal, &query.filter, by)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(
        Json(json!({ "by": by.code(), "label": by.label(), "rows": rows, "totals": totals }))
            .into_response(),
    )
}

async fn summary_export(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let (query, by) = summary_request(params, rid)?;
    let bytes = state
        .app
        .export_indicator_summary(&user.principal, &query.filter, by)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(xlsx_file_response("indicator-summary", "指标汇总", bytes))
}

async fn detail(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path(bgt_id): Path<String>,
) -> ApiResult {
    let rid = &info.request_id;
    let bgt_id = path_bgt_id(&bgt_id, rid)?;
    let detail = state
        .app
        .indicator_detail(&user.principal, &bgt_id)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(json!({
        "indicator": indicator_json(&detail.row),
        "parent": detail.parent.as_ref().map(indicator_json),
        "children": detail.children.iter().map(indicator_json).collect::<Vec<_>>(),
        "documents": detail.documents,
    }))
    .into_response())
}

async fn entries(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path(bgt_id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let bgt_id = path_bgt_id(&bgt_id, rid)?;
    let (page, page_size) = parse_paging(
        &params_of(params),
        fiscus_app::ledger::query::ENTRY_PAGE_SIZE_DEFAULT,
    )
    .map_err(|e| ApiError::new(e, rid))?;
    let entries = state
        .app
        .indicator_entries(&user.principal, &bgt_id, page, page_size)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(json!({
        "items": entries.lines,
        "total": entries.total,
        "page": entries.page,
        "page_size": entries.page_size,
    }))
    .into_response())
}

pub(super) fn body_invalid(rid: &str) -> ApiError {
    ApiError::new(
        Rejection::FieldInvalid {
            field: "请求体",
            expected: "符合接口说明的 JSON",
        },
        rid,
    )
}

/// The body of `POST /indicator-ops`: an `Operation` (tagged by `op`) plus `submit`.
fn operation_of(mut body: Value, rid: &str) -> Result<(Operation, bool), ApiError> {
    let object = body.as_object_mut().ok_or_else(|| body_invalid(rid))?;
    let submit = match object.remove("submit") {
        None => false,
        Some(Value::Bool(flag)) => flag,
        Some(_) => {
            return Err(ApiError::new(
                Rejection::FieldInvalid {
                    field: "submit",
                    expected: "true 或 false",
                },
                rid,
            ));
        }
    };
    let operation: Operation = serde_json::from_value(body).map_err(|_| body_invalid(rid))?;
    Ok((operation, submit))
}

async fn create_op(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult {
    let rid = &info.request_id;
    let (operation, submit) = operation_of(body, rid)?;
    let doc_id = state
        .app
        .create_indicator_op(&user.principal, &operation, submit, &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "doc_id": doc_id, "submitted": submit, "op": operation.code() })),
    )
        .into_response())
}

/// `rule` of a year-end: all | projects_only | nothing.
pub fn carry_rule(text: Option<&str>) -> Result<CarryRule, Rejection> {
    match text.map(str::trim).unwrap_or("all") {
        "" => Ok(CarryRule::All),
        code => CarryRule::from_code(code).ok_or(Rejection::FieldInvalid {
            field: "结转规则",
            expected: "all、projects（projects_only）或 nothing",
        }),
    }
}

async fn year_end_preview(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let rule =
        carry_rule(params.get("rule").map(String::as_str)).map_err(|e| ApiError::new(e, rid))?;
    let region = params
        .get("mof_div_code")
        .map(|r| r.trim())
        .unwrap_or_default();
    let year = params
        .get("fiscal_year")
        .and_then(|y| y.trim().parse::<i32>().ok())
        .ok_or_else(|| {
            ApiError::new(
                Rejection::FieldInvalid {
                    field: "预算年度",
                    expected: "四位年份",
                },
                rid,
            )
        })?;
    let operation = state
        .app
        .year_end_operation(&user.principal, region, year, rule)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(json!({ "operation": operation, "amount_fen": operation.amount() })).into_response())
}

/// The control table as rows: every stored (type, point) level plus the defaults.
pub fn controls_json(table: &ControlTable) -> Value {
    let rows: Vec<Value> = table
        .levels
        .iter()
        .map(|((bgt_type_code, point), level)| {
            json!({
                "bgt_type_code": bgt_type_code,
                "control_point": point.code(),
                "control_point_label": point.label(),
                "ctrl_level": level.code(),
                "ctrl_level_label": level.label(),
            })
        })
        .collect();
    let points: Vec<Value> = ControlPoint::ALL
        .iter()
        .map(|point| json!({ "code": point.code(), "label": point.label() }))
        .collect();
    json!({ "items": rows, "eco_refinement": table.eco_refinement, "control_points": points, "default_level": "strict" })
}

async fn controls(
    State(state): State<AppState>,
    ApiUser(_user): ApiUser,
    info: RequestInfo,
) -> ApiResult {
    let table = state
        .app
        .ledger_controls()
        .await
        .map_err(|e| ApiError::new(e, &info.request_id))?;
    Ok(Json(controls_json(&table)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ControlWire {
    bgt_type_code: String,
    control_point: String,
    ctrl_level: String,
}

async fn set_control(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    ApiJson(body): ApiJson<ControlWire>,
) -> ApiResult {
    let rid = &info.request_id;
    state
        .app
        .set_ledger_control(
            &user.principal,
            &body.bgt_type_code,
            body.control_point.trim(),
            body.ctrl_level.trim(),
            &info.ctx(),
        )
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    let table = state
        .app
        .ledger_controls()
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(controls_json(&table)).into_response())
}
