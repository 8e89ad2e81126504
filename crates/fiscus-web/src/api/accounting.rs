//! The accounting books in the JSON API (`/api/v1/accounting/…`): vouchers (list, read,
//! manual entry, review, post, red reversal), the monthly close, and the general ledger,
//! subsidiary ledger and trial balance of a book. The use cases in `fiscus_app::accounting`
//! check roles, scope and the rules. Money is integer fen on the wire, except the 元 text of
//! a manual voucher's lines.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use fiscus_app::accounting::ManualVoucher;
use fiscus_core::accounting::BookType;
use fiscus_core::{Principal, Rejection};
use fiscus_store::accounting::{BookKey, VoucherFilter};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{ApiJson, ApiResult};
use crate::context::{ApiUser, RequestInfo};
use crate::error::ApiError;
use crate::state::AppState;

/// Rows of a voucher page when the request names none.
pub const VOUCHER_PAGE_ROWS_DEFAULT: i64 = 50;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/accounting/vouchers", get(list).post(create))
        .route("/api/v1/accounting/vouchers/{voucher_id}", get(detail))
        .route(
            "/api/v1/accounting/vouchers/{voucher_id}/review",
            post(review),
        )
        .route(
            "/api/v1/accounting/vouchers/{voucher_id}/post",
            post(post_voucher),
        )
        .route(
            "/api/v1/accounting/vouchers/{voucher_id}/reverse",
            post(reverse),
        )
        .route("/api/v1/accounting/periods/close", post(close_period))
        .route("/api/v1/accounting/trial-balance", get(trial_balance))
        .route("/api/v1/accounting/general-ledger", get(general_ledger))
        .route(
            "/api/v1/accounting/subsidiary-ledger",
            get(subsidiary_ledger),
        )
}

pub(crate) fn text<'a>(params: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    params.get(name).map(|t| t.trim()).filter(|t| !t.is_empty())
}

pub(crate) fn number(
    params: &HashMap<String, String>,
    name: &str,
    field: &'static str,
    min: i64,
    max: i64,
) -> Result<Option<i64>, Rejection> {
    match text(params, name) {
        None => Ok(None),
        Some(t) => match t.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(Rejection::NumberOutOfRange { field, min, max }),
        },
    }
}

/// The book a query names: `book_type`, and `mof_div_code` / `agency_code`, which default
/// to the user's own region and unit.
pub(crate) fn book_of(
    who: &Principal,
    params: &HashMap<String, String>,
) -> Result<BookKey, Rejection> {
    let book_type = BookType::parse(text(params, "book_type").unwrap_or(""))?;
    let mof_div_code = text(params, "mof_div_code")
        .map(str::to_owned)
        .unwrap_or_else(|| who.mof_div_code().to_string());
    let agency_code = match book_type.is_unit() {
        false => None,
        true => Some(
            text(params, "agency_code")
                .map(str::to_owned)
                .or_else(|| who.agency_code().map(ToString::to_string))
                .ok_or(Rejection::FieldRequired {
                    field: "单位代码"
                })?,
        ),
    };
    Ok(BookKey {
        book_type: book_type.code().to_owned(),
        mof_div_code,
        agency_code,
    })
}

pub(crate) fn year_of(params: &HashMap<String, String>) -> Result<i32, Rejection> {
    let year =
        number(params, "fiscal_year", "会计年度", 2000, 2100)?.ok_or(Rejection::FieldRequired {
            field: "会计年度",
        })?;
    i32::try_from(year).map_err(|_| Rejection::FiscalYearInvalid {
        value: year.to_string(),
    })
}

async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let parse = || -> Result<(VoucherFilter, i64, i64), Rejection> {
        let book_type = match text(&params, "book_type") {
            None => None,
            Some(t) => Some(BookType::parse(t)?.code().to_owned()),
        };
        let filter = VoucherFilter {
            book_type,
            fiscal_year: number(&params, "fiscal_year", "会计年度", 2000, 2100)?,
            period: number(&params, "period", "会计期间", 1, 12)?,
            status: text(&params, "status").map(str::to_owned),
            ..VoucherFilter::default()
        };
        let page = number(&params, "page", "页码", 1, 1_000_000)?.unwrap_or(1);
        let page_size =
            number(&params, "page_size", "每页行数", 1, 200)?.unwrap_or(VOUCHER_PAGE_ROWS_DEFAULT);
        Ok((filter, page, page_size))
    };
    let (filter, page, page_size) = parse().map_err(|e| ApiError::new(e, rid))?;
    let rows = state
        .app
        .accounting_vouchers(&user.principal, &filter, page, page_size)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(json!({ "items": rows, "page": page, "page_size": page_size })).into_response())
}

async fn detail(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path(voucher_id): Path<String>,
) -> ApiResult {
    let rid = &info.request_id;
    let (voucher, lines) = state
        .app
        .accounting_voucher(&user.principal, &voucher_id)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(json!({ "voucher": voucher, "lines": lines })).into_response())
}

async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    ApiJson(body): ApiJson<ManualVoucher>,
) -> ApiResult {
    let rid = &info.request_id;
    let voucher_id = state
        .app
        .accounting_voucher_create(&user.principal, &body, &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "voucher_id": voucher_id })),
    )
        .into_response())
}

async fn review(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path(voucher_id): Path<String>,
) -> ApiResult {
    let rid = &info.request_id;
    state
        .app
        .accounting_voucher_review(&user.principal, &voucher_id, &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(json!({ "voucher_id": voucher_id, "status": "reviewed" })).into_response())
}

async fn post_voucher(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path(voucher_id): Path<String>,
) -> ApiResult {
    let rid = &info.request_id;
    state
        .app
        .accounting_voucher_post(&user.principal, &voucher_id, &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(json!({ "voucher_id": voucher_id, "status": "posted" })).into_response())
}

/// The body of `POST …/reverse`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReverseBody {
    /// `YYYY-MM-DD`: the red voucher's date and month.
    pub voucher_date: String,
}

async fn reverse(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path(voucher_id): Path<String>,
    ApiJson(body): ApiJson<ReverseBody>,
) -> ApiResult {
    let rid = &info.request_id;
    let red_id = state
        .app
        .accounting_voucher_reverse(
            &user.principal,
            &voucher_id,
            &body.voucher_date,
            &info.ctx(),
        )
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok((StatusCode::CREATED, Json(json!({ "voucher_id": red_id }))).into_response())
}

/// The body of `POST /accounting/periods/close`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    pub book_type: String,
    pub fiscal_year: i32,
    pub period: u8,
}

async fn close_period(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    ApiJson(body): ApiJson<CloseBody>,
) -> ApiResult {
    let rid = &info.request_id;
    let book_type = BookType::parse(&body.book_type).map_err(|e| ApiError::new(e, rid))?;
    state
        .app
        .accounting_period_close(
            &user.principal,
            book_type,
            body.fiscal_year,
            body.period,
            &info.ctx(),
        )
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(json!({ "book_type": book_type.code(), "fiscal_year": body.fiscal_year, "period": body.period, "status": "closed" })).into_response())
}

async fn trial_balance(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let parse = || -> Result<(BookKey, i32, u8, u8), Rejection> {
        let from = number(&params, "period_from", "起始期间", 1, 12)?.unwrap_or(1);
        let to = number(&params, "period_to", "截止期间", 1, 12)?.unwrap_or(12);
        Ok((
            book_of(&user.principal, &params)?,
            year_of(&params)?,
            u8::try_from(from).unwrap_or(1),
            u8::try_from(to).unwrap_or(12),
        ))
    };
    let (book, year, from, to) = parse().map_err(|e| ApiError::new(e, rid))?;
    let trial = state
        .app
        .accounting_trial_balance(&user.principal, &book, year, from, to)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(json!({ "book": book, "fiscal_year": year, "period_from": from, "period_to": to, "trial_balance": trial })).into_response())
}

fn account_query(
    who: &Principal,
    params: &HashMap<String, String>,
) -> Result<(BookKey, i32, String), Rejection> {
    let account_code = text(params, "account_code")
        .ok_or(Rejection::FieldRequired {
            field: "会计科目"
        })?
        .to_owned();
    Ok((book_of(who, params)?, year_of(params)?, account_code))
}

async fn general_ledger(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let (book, year, account_code) =
        account_query(&user.principal, &params).map_err(|e| ApiError::new(e, rid))?;
    let rows = state
        .app
        .accounting_general_ledger(&user.principal, &book, year, &account_code)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(
        json!({ "book": book, "fiscal_year": year, "account_code": account_code, "months": rows }),
    )
    .into_response())
}

async fn subsidiary_ledger(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let (book, year, account_code) =
        account_query(&user.principal, &params).map_err(|e| ApiError::new(e, rid))?;
    let rows = state
        .app
        .accounting_subsidiary_ledger(&user.principal, &book, year, &account_code)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(
        json!({ "book": book, "fiscal_year": year, "account_code": account_code, "entries": rows }),
    )
    .into_response())
}

/// Adds the accounting paths to `/api/openapi.json`.
pub fn openapi_paths(paths: &mut Map<String, Value>) {
    let tags = json!(["会计核算"]);
    let errors = json!({ "$ref": "#/components/responses/Error" });
    let responses = |ok: &str| {
        json!({ ok: { "description": "成功" }, "400": errors, "401": errors, "403": errors,
                "404": errors, "409": errors, "422": errors })
    };
    let query = |name: &str, description: &str| json!({ "name": name, "in": "query", "schema": { "type": "string" }, "description": description });
    let id = json!({ "name": "voucher_id", "in": "path", "required": true, "schema": { "type": "string" } });
    let book = vec![
        query("book_type", "fiscal_general | unit_financial | unit_budget"),
        query("mof_div_code", "财政区划，空为本人所在区划"),
        query("agency_code", "单位代码（单位账套），空为本人单位"),
        query("fiscal_year", "会计年度"),
    ];
    let with = |extra: Vec<Value>| {
        let mut all = book.clone();
        all.extend(extra);
        Value::Array(all)
    };
    let body = |description: &str| json!({ "required": true, "description": description, "content": { "application/json": { "schema": { "type": "object" } } } });
    let entries: Vec<(&str, Value)> = vec![
        (
            "/api/v1/accounting/vouchers",
            json!({
            "get": { "tags": tags, "summary": "会计凭证列表（数据范围内）", "parameters": [
                query("book_type", "账套类型"), query("fiscal_year", "会计年度"), query("period", "会计期间 1-12"),
                query("status", "draft | reviewed | posted"), query("page", "页码"), query("page_size", "每页行数，至多 200")],
                "responses": responses("200") },
            "post": { "tags": tags, "summary": "录入手工凭证（借贷平衡、末级科目、期间未结账）",
                "requestBody": body("{book_type, voucher_date, summary, lines: [{account_code, debit_yuan, credit_yuan, dimensions}]}"),
                "responses": responses("201") } }),
        ),
        (
            "/api/v1/accounting/vouchers/{voucher_id}",
            json!({
            "get": { "tags": tags, "summary": "会计凭证及分录", "parameters": [id], "responses": responses("200") } }),
        ),
        (
            "/api/v1/accounting/vouchers/{voucher_id}/review",
            json!({
            "post": { "tags": tags, "summary": "审核凭证", "parameters": [id], "responses": responses("200") } }),
        ),
        (
            "/api/v1/accounting/vouchers/{voucher_id}/post",
            json!({
            "post": { "tags": tags, "summary": "记账（记账人不能是制单人）", "parameters": [id], "responses": responses("200") } }),
        ),
        (
            "/api/v1/accounting/vouchers/{voucher_id}/reverse",
            json!({
            "post": { "tags": tags, "summary": "红字冲销已记账凭证", "parameters": [id],
                "requestBody": body("{voucher_date}"), "responses": responses("201") } }),
        ),
        (
            "/api/v1/accounting/periods/close",
            json!({
            "post": { "tags": tags, "summary": "月末结账（本期凭证须全部记账）",
                "requestBody": body("{book_type, fiscal_year, period}"), "responses": responses("200") } }),
        ),
        (
            "/api/v1/accounting/trial-balance",
            json!({
            "get": { "tags": tags, "summary": "科目余额表", "parameters": with(vec![
                query("period_from", "起始期间，默认 1"), query("period_to", "截止期间，默认 12")]),
                "responses": responses("200") } }),
        ),
        (
            "/api/v1/accounting/general-ledger",
            json!({
            "get": { "tags": tags, "summary": "总账（按月）", "parameters": with(vec![query("account_code", "会计科目")]),
                "responses": responses("200") } }),
        ),
        (
            "/api/v1/accounting/subsidiary-ledger",
            json!({
            "get": { "tags": tags, "summary": "明细账（含余额）", "parameters": with(vec![query("account_code", "会计科目")]),
                "responses": responses("200") } }),
        ),
    ];
    for (path, item) in entries {
        paths.insert(path.to_owned(), item);
    }
}
