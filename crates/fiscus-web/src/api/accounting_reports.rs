//! The statements and the year-end close of the books in the JSON API: the balance sheet,
//! the income and expense statement, the budget execution statement, the indicator
//! accounting book, and `/api/v1/accounting/year-close` (GET: the status and a preview;
//! POST: the close). The use cases in `fiscus_app::accounting` check roles, scope and rules.
//! Money is integer fen, rates integer basis points.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::routing::get;
use fiscus_core::accounting::BookType;
use fiscus_core::{Principal, Rejection};
use fiscus_store::accounting::{BookKey, ExecutionGroup, ExecutionScope};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{ApiJson, ApiResult};
use crate::context::{ApiUser, RequestInfo};
use crate::error::ApiError;
use crate::state::AppState;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/accounting/balance-sheet", get(balance_sheet))
        .route("/api/v1/accounting/income-statement", get(income_statement))
        .route(
            "/api/v1/accounting/execution-statement",
            get(execution_statement),
        )
        .route("/api/v1/accounting/indicator-book", get(indicator_book))
        .route(
            "/api/v1/accounting/year-close",
            get(year_close_status).post(year_close),
        )
}

fn text<'a>(params: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    params.get(name).map(|t| t.trim()).filter(|t| !t.is_empty())
}

fn number(
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

/// The fiscal year of a query (required).
pub fn year_of(params: &HashMap<String, String>) -> Result<i32, Rejection> {
    let year =
        number(params, "fiscal_year", "会计年度", 2000, 2100)?.ok_or(Rejection::FieldRequired {
            field: "会计年度",
        })?;
    i32::try_from(year).map_err(|_| Rejection::FiscalYearInvalid {
        value: year.to_string(),
    })
}

/// The month of a query, 12 when absent.
pub fn period_of(params: &HashMap<String, String>) -> Result<u8, Rejection> {
    let period = number(params, "period", "会计期间", 1, 12)?.unwrap_or(12);
    Ok(u8::try_from(period).unwrap_or(12))
}

/// A unit's book of `book_type`: `agency_code` (default: the user's unit) in its region
/// (`mof_div_code`, default: the user's region).
pub fn unit_book_of(
    who: &Principal,
    params: &HashMap<String, String>,
    book_type: BookType,
) -> Result<BookKey, Rejection> {
    let agency_code = text(params, "agency_code")
        .map(str::to_owned)
        .or_else(|| who.agency_code().map(ToString::to_string))
        .ok_or(Rejection::FieldRequired {
            field: "单位代码"
        })?;
    let mof_div_code = text(params, "mof_div_code")
        .map(str::to_owned)
        .unwrap_or_else(|| who.mof_div_code().to_string());
    Ok(BookKey {
        book_type: book_type.code().to_owned(),
        mof_div_code,
        agency_code: Some(agency_code),
    })
}

/// The region of a query, default the user's.
pub fn region_of(who: &Principal, params: &HashMap<String, String>) -> String {
    text(params, "mof_div_code")
        .map(str::to_owned)
        .unwrap_or_else(|| who.mof_div_code().to_string())
}

/// `by` = func3 | func5 | eco3 | eco5 (default func3).
pub fn group_of(params: &HashMap<String, String>) -> Result<ExecutionGroup, Rejection> {
    match text(params, "by").unwrap_or("func3") {
        "func3" => Ok(ExecutionGroup::Func(3)),
        "func5" => Ok(ExecutionGroup::Func(5)),
        "eco3" => Ok(ExecutionGroup::Eco(3)),
        "eco5" => Ok(ExecutionGroup::Eco(5)),
        _ => Err(Rejection::FieldInvalid {
            field: "汇总方式",
            expected: "func3、func5、eco3 或 eco5",
        }),
    }
}

/// The scope of an execution statement: `agency_code` (a unit or a department, with its
/// subtree), else `mof_div_code` (a region subtree), else the user's unit or region.
pub fn execution_scope_of(who: &Principal, params: &HashMap<String, String>) -> ExecutionScope {
    match (text(params, "agency_code"), text(params, "mof_div_code")) {
        (Some(agency_code), _) => ExecutionScope::AgencySubtree {
            agency_code: agency_code.to_owned(),
        },
        (None, Some(mof_div_code)) => ExecutionScope::RegionSubtree {
            mof_div_code: mof_div_code.to_owned(),
        },
        (None, None) => match who.agency_code() {
            Some(agency_code) => ExecutionScope::AgencySubtree {
                agency_code: agency_code.to_string(),
            },
            None => ExecutionScope::RegionSubtree {
                mof_div_code: who.mof_div_code().to_string(),
            },
        },
    }
}

async fn balance_sheet(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let parse = || -> Result<(BookKey, i32, u8), Rejection> {
        Ok((
            unit_book_of(&user.principal, &params, BookType::UnitFinancial)?,
            year_of(&params)?,
            period_of(&params)?,
        ))
    };
    let (book, year, period) = parse().map_err(|e| ApiError::new(e, rid))?;
    let sheet = state
        .app
        .accounting_balance_sheet(&user.principal, &book, year, period)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(json!({ "balance_sheet": sheet })).into_response())
}

async fn income_statement(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let parse = || -> Result<(BookKey, i32, u8), Rejection> {
        let book_type = BookType::parse(text(&params, "book_type").unwrap_or("unit_financial"))?;
        Ok((
            unit_book_of(&user.principal, &params, book_type)?,
            year_of(&params)?,
            period_of(&params)?,
        ))
    };
    let (book, year, period) = parse().map_err(|e| ApiError::new(e, rid))?;
    let statement = state
        .app
        .accounting_income_statement(&user.principal, &book, year, period)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(json!({ "income_statement": statement })).into_response())
}

async fn execution_statement(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let parse = || -> Result<(i32, ExecutionGroup), Rejection> {
        Ok((year_of(&params)?, group_of(&params)?))
    };
    let (year, group) = parse().map_err(|e| ApiError::new(e, rid))?;
    let scope = execution_scope_of(&user.principal, &params);
    let statement = state
        .app
        .accounting_execution_statement(&user.principal, &scope, year, group)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(json!({ "execution_statement": statement })).into_response())
}

async fn indicator_book(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let year = year_of(&params).map_err(|e| ApiError::new(e, rid))?;
    let region = region_of(&user.principal, &params);
    let book = state
        .app
        .accounting_indicator_book(&user.principal, &region, year)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(json!({ "indicator_book": book })).into_response())
}

async fn year_close_status(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let year = year_of(&params).map_err(|e| ApiError::new(e, rid))?;
    let region = region_of(&user.principal, &params);
    let closed = state
        .app
        .accounting_year_close_status(&user.principal, &region, year)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    // The preview only for the one who may close, and only while the year is open.
    let preview = match (
        &closed,
        fiscus_app::accounting::close::check_closer(&user.principal, &region),
    ) {
        (None, Ok(())) => match state
            .app
            .accounting_year_close_preview(&user.principal, &region, year)
            .await
        {
            Ok(summary) => json!({ "ok": true, "summary": summary }),
            Err(fiscus_app::AppError::Rejected(rejection)) => {
                json!({ "ok": false, "code": rejection.code(), "message": rejection.message() })
            }
            Err(error) => return Err(ApiError::new(error, rid)),
        },
        _ => Value::Null,
    };
    Ok(Json(json!({ "mof_div_code": region, "fiscal_year": year, "closed": closed, "preview": preview }))
        .into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearCloseBody {
    #[serde(default)]
    pub mof_div_code: Option<String>,
    pub fiscal_year: i32,
}

async fn year_close(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    ApiJson(body): ApiJson<YearCloseBody>,
) -> ApiResult {
    let rid = &info.request_id;
    let region = body
        .mof_div_code
        .clone()
        .filter(|code| !code.trim().is_empty())
        .unwrap_or_else(|| user.principal.mof_div_code().to_string());
    let summary = state
        .app
        .accounting_year_close_with(&user.principal, &region, body.fiscal_year, &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(json!({ "year_close": summary })).into_response())
}

/// Adds the paths of the statements and the year-end close to `/api/openapi.json`.
pub fn openapi_paths(paths: &mut Map<String, Value>) {
    let tags = json!(["会计核算"]);
    let errors = json!({ "$ref": "#/components/responses/Error" });
    let responses = |ok: &str| {
        json!({ ok: { "description": "成功" }, "400": errors, "401": errors, "403": errors,
                "404": errors, "409": errors, "422": errors })
    };
    let query = |name: &str, description: &str| json!({ "name": name, "in": "query", "schema": { "type": "string" }, "description": description });
    let year = query("fiscal_year", "会计年度");
    let entries: Vec<(&str, Value)> = vec![
        (
            "/api/v1/accounting/balance-sheet",
            json!({ "get": { "tags": tags, "summary": "资产负债表（单位财务会计）", "parameters": [
                query("agency_code", "单位代码，空为本人单位"), query("mof_div_code", "财政区划"), year, query("period", "截至月份，默认 12")],
                "responses": responses("200") } }),
        ),
        (
            "/api/v1/accounting/income-statement",
            json!({ "get": { "tags": tags, "summary": "收入费用表（unit_financial）或预算收入支出表（unit_budget）", "parameters": [
                query("book_type", "unit_financial | unit_budget"), query("agency_code", "单位代码"), query("mof_div_code", "财政区划"), year, query("period", "月份，默认 12")],
                "responses": responses("200") } }),
        ),
        (
            "/api/v1/accounting/execution-statement",
            json!({ "get": { "tags": tags, "summary": "预算执行情况表（单位、部门或区划，按功能或经济分类）", "parameters": [
                query("agency_code", "单位或部门（含下级）"), query("mof_div_code", "财政区划（含下级）"), year, query("by", "func3 | func5 | eco3 | eco5")],
                "responses": responses("200") } }),
        ),
        (
            "/api/v1/accounting/indicator-book",
            json!({ "get": { "tags": tags, "summary": "指标核算（由指标账生成，只读）", "parameters": [query("mof_div_code", "财政区划"), year],
                "responses": responses("200") } }),
        ),
        (
            "/api/v1/accounting/year-close",
            json!({
                "get": { "tags": tags, "summary": "年终结账状态与预览", "parameters": [query("mof_div_code", "财政区划"), year], "responses": responses("200") },
                "post": { "tags": tags, "summary": "年终结账（本区划国库处）",
                    "requestBody": { "required": true, "description": "{mof_div_code, fiscal_year}", "content": { "application/json": { "schema": { "type": "object" } } } },
                    "responses": responses("200") } }),
        ),
    ];
    for (path, item) in entries {
        paths.insert(path.to_owned(), item);
    }
}
