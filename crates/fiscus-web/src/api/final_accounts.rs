//! Final accounts (决算) in the JSON API (`/api/v1/final-accounts/…`): the list of units and
//! regions in scope with their sets, one set with its tables and checks, generation,
//! submission, acceptance and the Excel workbook. The use cases in
//! `fiscus_app::final_accounts` check roles, scope and the rules. Money is integer fen.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use fiscus_app::final_accounts::SetView;
use fiscus_core::Rejection;
use fiscus_core::final_accounts::{Scope, table_def};
use serde_json::{Map, Value, json};

use super::ApiResult;
use crate::context::{ApiUser, RequestInfo};
use crate::error::ApiError;
use crate::state::AppState;

pub fn routes() -> axum::Router<AppState> {
    let base = "/api/v1/final-accounts/{scope}/{code}/{year}";
    axum::Router::new()
        .route("/api/v1/final-accounts", get(list))
        .route(base, get(report))
        .route(&format!("{base}/checks"), get(checks))
        .route(&format!("{base}/generate"), post(generate))
        .route(&format!("{base}/submit"), post(submit))
        .route(&format!("{base}/accept"), post(accept))
        .route(&format!("{base}/export.xlsx"), get(export))
}

fn parse_path(scope: &str, year: &str) -> Result<(Scope, i64), Rejection> {
    let scope = Scope::parse(scope)?;
    let year = year
        .parse::<i64>()
        .ok()
        .filter(|year| (2000..=2100).contains(year))
        .ok_or(Rejection::FieldInvalid {
            field: "决算年度",
            expected: "四位年份",
        })?;
    Ok((scope, year))
}

/// A set on the wire: the header, cover, each table with its definition (number, title,
/// columns) and rows, and the checks.
pub fn set_json(view: &SetView) -> Value {
    let tables: Vec<Value> = view
        .set
        .tables
        .iter()
        .filter_map(|table| {
            let def = table_def(&table.code)?;
            Some(json!({
                "code": def.code,
                "number": def.number,
                "title": def.title,
                "columns": def.columns.iter().map(|c| json!({"code": c.code, "label": c.label})).collect::<Vec<_>>(),
                "rows": table.rows,
            }))
        })
        .collect();
    json!({
        "header": view.header,
        "cover": view.cover.lines,
        "tables": tables,
        "checks": { "passed": view.checks.passed(), "n_failed": view.checks.n_failed(), "rules": view.checks.rules },
    })
}

async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let number = |name: &str, default: i64| {
        params
            .get(name)
            .map(|t| t.trim())
            .filter(|t| !t.is_empty())
            .map_or(Ok(default), |t| {
                t.parse::<i64>().map_err(|_| Rejection::FieldInvalid {
                    field: "查询参数",
                    expected: "整数",
                })
            })
    };
    let year = number("fiscal_year", 2026).map_err(|e| ApiError::new(e, rid))?;
    let page = number("page", 1).map_err(|e| ApiError::new(e, rid))?;
    let view = state
        .app
        .final_accounts_list(&user.principal, year, page)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(json!(view)).into_response())
}

macro_rules! set_handler {
    ($name:ident, $method:ident) => {
        async fn $name(
            State(state): State<AppState>,
            ApiUser(user): ApiUser,
            info: RequestInfo,
            Path((scope, code, year)): Path<(String, String, String)>,
        ) -> ApiResult {
            let rid = &info.request_id;
            let (scope, year) = parse_path(&scope, &year).map_err(|e| ApiError::new(e, rid))?;
            let view = state
                .app
                .$method(&user.principal, scope, &code, year)
                .await
                .map_err(|e| ApiError::new(e, rid))?;
            Ok(Json(set_json(&view)).into_response())
        }
    };
}

set_handler!(report, final_accounts_report);
set_handler!(generate, final_accounts_generate);
set_handler!(submit, final_accounts_submit);
set_handler!(accept, final_accounts_accept);

async fn checks(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path((scope, code, year)): Path<(String, String, String)>,
) -> ApiResult {
    let rid = &info.request_id;
    let (scope, year) = parse_path(&scope, &year).map_err(|e| ApiError::new(e, rid))?;
    let report = state
        .app
        .final_accounts_checks(&user.principal, scope, &code, year)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(
        json!({ "passed": report.passed(), "n_failed": report.n_failed(), "rules": report.rules }),
    )
    .into_response())
}

async fn export(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path((scope, code, year)): Path<(String, String, String)>,
) -> ApiResult {
    let rid = &info.request_id;
    let (scope, year) = parse_path(&scope, &year).map_err(|e| ApiError::new(e, rid))?;
    let bytes = state
        .app
        .final_accounts_export_xlsx(&user.principal, scope, &code, year)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(super::xlsx_file_response(
        &format!("final-accounts-{}-{code}-{year}", scope.code()),
        &format!("决算报表-{code}-{year}"),
        bytes,
    ))
}

/// The OpenAPI entries of these routes.
pub fn openapi_paths(paths: &mut Map<String, Value>) {
    let tags = json!(["决算"]);
    let errors = json!({ "$ref": "#/components/responses/Error" });
    let responses = json!({ "200": { "description": "成功" }, "400": errors, "401": errors, "403": errors,
                            "404": errors, "409": errors, "422": errors });
    let params = json!([
        { "name": "scope", "in": "path", "required": true, "schema": { "type": "string", "enum": ["unit", "department", "region"] }, "description": "unit 单位决算 | department 部门汇总 | region 区划汇总" },
        { "name": "code", "in": "path", "required": true, "schema": { "type": "string" }, "description": "单位代码或财政区划代码" },
        { "name": "year", "in": "path", "required": true, "schema": { "type": "integer" }, "description": "决算年度" },
    ]);
    let base = "/api/v1/final-accounts/{scope}/{code}/{year}";
    let entries: Vec<(String, Value)> = vec![
        (
            "/api/v1/final-accounts".to_owned(),
            json!({ "get": { "tags": tags, "summary": "数据范围内的区划和单位及其决算报表状态",
            "parameters": [
                { "name": "fiscal_year", "in": "query", "schema": { "type": "integer" }, "description": "决算年度" },
                { "name": "page", "in": "query", "schema": { "type": "integer" }, "description": "单位页码（每页 50）" }],
            "responses": responses } }),
        ),
        (
            base.to_owned(),
            json!({ "get": { "tags": tags, "summary": "一套决算报表：封面、各表（行、列、金额为分）和表内/表间校验结果", "parameters": params, "responses": responses } }),
        ),
        (
            format!("{base}/checks"),
            json!({ "get": { "tags": tags, "summary": "表内/表间校验结果", "parameters": params, "responses": responses } }),
        ),
        (
            format!("{base}/generate"),
            json!({ "post": { "tags": tags, "summary": "由指标账和会计账生成（已生成的重新生成，已报送的拒绝）", "parameters": params, "responses": responses } }),
        ),
        (
            format!("{base}/submit"),
            json!({ "post": { "tags": tags, "summary": "报送（校验全部通过才可报送）", "parameters": params, "responses": responses } }),
        ),
        (
            format!("{base}/accept"),
            json!({ "post": { "tags": tags, "summary": "审核（上级预算处）", "parameters": params, "responses": responses } }),
        ),
        (
            format!("{base}/export.xlsx"),
            json!({ "get": { "tags": tags, "summary": "导出 Excel（每表一页，金额为元，末页为校验结果）", "parameters": params, "responses": responses } }),
        ),
    ];
    for (path, entry) in entries {
        paths.insert(path, entry);
    }
}
