//! Budget compilation (预算编制, 二上二下) in the JSON API: control numbers issued and
//! distributed (一下), a unit's tables read and saved whole, its cross-check results, 报送
//! into the `budget_submission` flow (reviews use the generic flow API), the version history,
//! the region's approval (批复) and pre-release (预下达) into indicators, adjustments, and the
//! line search. Amounts are integer fen on the wire; scope and roles are the use cases'.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use fiscus_app::budget::{BUDGET_PAGE_ROWS_MAX, ControlInput};
use fiscus_app::ledger::query::parse_paging;
use fiscus_core::Rejection;
use fiscus_core::budget::BudgetTables;
use fiscus_core::budget::adjust::Adjustment;
use fiscus_store::budget::{LineQuery, SheetQuery};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiJson, ApiResult};
use crate::context::{ApiUser, RequestInfo};
use crate::error::ApiError;
use crate::state::AppState;

/// Rows of a list page when the request names none.
pub const BUDGET_PAGE_ROWS_DEFAULT: u32 = 50;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/budget/sheets", get(sheets))
        .route(
            "/api/v1/budget/sheets/{year}/{agency_code}",
            get(sheet).put(save),
        )
        .route(
            "/api/v1/budget/sheets/{year}/{agency_code}/submit",
            post(submit),
        )
        .route(
            "/api/v1/budget/sheets/{year}/{agency_code}/versions",
            get(versions),
        )
        .route("/api/v1/budget/lines", get(lines))
        .route("/api/v1/budget/controls", get(controls))
        .route("/api/v1/budget/controls/{year}", post(issue))
        .route(
            "/api/v1/budget/controls/{year}/{dept_code}",
            post(distribute),
        )
        .route(
            "/api/v1/budget/approve/{year}/{mof_div_code}",
            post(approve),
        )
        .route(
            "/api/v1/budget/pre-release/{year}/{mof_div_code}",
            post(pre_release),
        )
        .route("/api/v1/budget/adjustments", post(adjust))
}

fn year_of(text: &str) -> Result<i64, Rejection> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|year| (2000..=2100).contains(year))
        .ok_or(Rejection::FiscalYearInvalid {
            value: text.to_owned(),
        })
}

fn param(params: &BTreeMap<String, String>, name: &str) -> Option<String> {
    params
        .get(name)
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

async fn sheets(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<BTreeMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let run = async {
        let (page, page_size) = parse_paging(&params, BUDGET_PAGE_ROWS_DEFAULT)?;
        let page_size = i64::from(page_size).min(BUDGET_PAGE_ROWS_MAX);
        let query = SheetQuery {
            fiscal_year: year_of(&param(&params, "year").unwrap_or_default())?,
            agency_code: param(&params, "agency_code"),
            mof_div_code: param(&params, "mof_div_code"),
            dept_code: param(&params, "dept_code"),
            stage: param(&params, "stage"),
            status: param(&params, "status"),
            q: param(&params, "q"),
            limit: page_size,
            offset: (i64::from(page) - 1) * page_size,
            ..SheetQuery::default()
        };
        let (rows, total) = state.app.budget_sheets(&user.principal, query).await?;
        Ok::<_, fiscus_app::AppError>(json!({ "total": total, "page": page, "rows": rows }))
    };
    let body = run.await.map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(body).into_response())
}

async fn sheet_json(
    state: &AppState,
    user: &fiscus_core::Principal,
    year: i64,
    agency_code: &str,
) -> Result<Value, fiscus_app::AppError> {
    let view = state.app.budget_sheet(user, year, agency_code).await?;
    Ok(json!({
        "sheet": view.sheet,
        "stage_label": view.stage_label,
        "lines": view.lines,
        "tables": view.tables,
        "checks": view.checks,
        "checks_passed": view.checks.iter().all(|check| check.ok),
    }))
}

async fn sheet(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path((year, agency_code)): Path<(String, String)>,
) -> ApiResult {
    let rid = &info.request_id;
    let year = year_of(&year).map_err(|e| ApiError::new(fiscus_app::AppError::from(e), rid))?;
    let body = sheet_json(&state, &user.principal, year, &agency_code)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(body).into_response())
}

async fn save(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path((year, agency_code)): Path<(String, String)>,
    ApiJson(tables): ApiJson<BudgetTables>,
) -> ApiResult {
    let rid = &info.request_id;
    let year = year_of(&year).map_err(|e| ApiError::new(fiscus_app::AppError::from(e), rid))?;
    state
        .app
        .budget_save(&user.principal, year, &agency_code, &tables, &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    let body = sheet_json(&state, &user.principal, year, &agency_code)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(body).into_response())
}

async fn submit(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path((year, agency_code)): Path<(String, String)>,
) -> ApiResult {
    let rid = &info.request_id;
    let year = year_of(&year).map_err(|e| ApiError::new(fiscus_app::AppError::from(e), rid))?;
    let doc_id = state
        .app
        .budget_submit(&user.principal, year, &agency_code, &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    let mut body = sheet_json(&state, &user.principal, year, &agency_code)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    body["doc_id"] = json!(doc_id);
    Ok(Json(body).into_response())
}

async fn versions(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path((year, agency_code)): Path<(String, String)>,
    Query(params): Query<BTreeMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let run = async {
        let year = year_of(&year)?;
        let (page, page_size) = parse_paging(&params, BUDGET_PAGE_ROWS_DEFAULT)?;
        let (rows, total) = state
            .app
            .budget_versions(
                &user.principal,
                year,
                &agency_code,
                i64::from(page),
                i64::from(page_size),
            )
            .await?;
        Ok::<_, fiscus_app::AppError>(json!({ "total": total, "page": page, "rows": rows }))
    };
    let body = run.await.map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(body).into_response())
}

async fn lines(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<BTreeMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let run = async {
        let (page, page_size) = parse_paging(&params, BUDGET_PAGE_ROWS_DEFAULT)?;
        let page_size = i64::from(page_size).min(BUDGET_PAGE_ROWS_MAX);
        let query = LineQuery {
            fiscal_year: year_of(&param(&params, "year").unwrap_or_default())?,
            agency_code: param(&params, "agency_code"),
            mof_div_code: param(&params, "mof_div_code"),
            pro_code: param(&params, "pro_code"),
            approved_only: param(&params, "approved").is_some_and(|v| v == "true" || v == "1"),
            limit: page_size,
            offset: (i64::from(page) - 1) * page_size,
        };
        let (rows, total) = state.app.budget_lines(&user.principal, query).await?;
        Ok::<_, fiscus_app::AppError>(json!({ "total": total, "page": page, "rows": rows }))
    };
    let body = run.await.map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(body).into_response())
}

async fn controls(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<BTreeMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let run = async {
        let year = year_of(&param(&params, "year").unwrap_or_default())?;
        let kind = param(&params, "kind").unwrap_or_else(|| "dept".to_owned());
        let rows = state
            .app
            .budget_controls(
                &user.principal,
                year,
                &kind,
                param(&params, "dept_code").as_deref(),
            )
            .await?;
        Ok::<_, fiscus_app::AppError>(json!({ "rows": rows }))
    };
    let body = run.await.map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(body).into_response())
}

/// The body of issuing or distributing control numbers.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlsBody {
    pub items: Vec<ControlInput>,
}

async fn issue(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path(year): Path<String>,
    ApiJson(body): ApiJson<ControlsBody>,
) -> ApiResult {
    let rid = &info.request_id;
    let run = async {
        let year = year_of(&year)?;
        let changed = state
            .app
            .budget_issue_controls(&user.principal, year, &body.items, &info.ctx())
            .await?;
        Ok::<_, fiscus_app::AppError>(json!({ "changed": changed }))
    };
    let body = run.await.map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(body).into_response())
}

async fn distribute(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path((year, dept_code)): Path<(String, String)>,
    ApiJson(body): ApiJson<ControlsBody>,
) -> ApiResult {
    let rid = &info.request_id;
    let run = async {
        let year = year_of(&year)?;
        let changed = state
            .app
            .budget_distribute_controls(&user.principal, year, &dept_code, &body.items, &info.ctx())
            .await?;
        Ok::<_, fiscus_app::AppError>(json!({ "changed": changed }))
    };
    let body = run.await.map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(body).into_response())
}

/// The body of 批复 and 预下达.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    pub doc_no: String,
    pub doc_title: String,
    /// 预下达 only: basis points of each line (3000 = 30%).
    #[serde(default)]
    pub ratio_bp: Option<i64>,
}

async fn approve(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path((year, mof_div_code)): Path<(String, String)>,
    ApiJson(body): ApiJson<ApproveBody>,
) -> ApiResult {
    let rid = &info.request_id;
    let run = async {
        let year = year_of(&year)?;
        let doc = fiscus_app::budget::ApprovalDoc {
            doc_no: body.doc_no,
            doc_title: body.doc_title,
        };
        let summary = state
            .app
            .budget_approve_region(&user.principal, year, &mof_div_code, &doc, &info.ctx())
            .await?;
        Ok::<_, fiscus_app::AppError>(json!(summary))
    };
    let body = run.await.map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(body).into_response())
}

async fn pre_release(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path((year, mof_div_code)): Path<(String, String)>,
    ApiJson(body): ApiJson<ApproveBody>,
) -> ApiResult {
    let rid = &info.request_id;
    let run = async {
        let year = year_of(&year)?;
        let ratio_bp = body.ratio_bp.ok_or(Rejection::FieldRequired {
            field: "预下达比例",
        })?;
        let doc = fiscus_app::budget::ApprovalDoc {
            doc_no: body.doc_no,
            doc_title: body.doc_title,
        };
        let summary = state
            .app
            .budget_pre_release(
                &user.principal,
                year,
                &mof_div_code,
                ratio_bp,
                &doc,
                &info.ctx(),
            )
            .await?;
        Ok::<_, fiscus_app::AppError>(json!(summary))
    };
    let body = run.await.map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(body).into_response())
}

/// The body of a new adjustment: the document plus whether to submit it at once.
#[derive(Debug, Deserialize)]
pub struct AdjustBody {
    #[serde(flatten)]
    pub adjustment: Adjustment,
    #[serde(default)]
    pub submit: bool,
}

async fn adjust(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    ApiJson(body): ApiJson<AdjustBody>,
) -> ApiResult {
    let rid = &info.request_id;
    let doc_id = state
        .app
        .budget_adjust_create(&user.principal, &body.adjustment, body.submit, &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(json!({ "doc_id": doc_id })).into_response())
}

/// Adds the budget paths to the OpenAPI document.
pub fn openapi_paths(paths: &mut serde_json::Map<String, Value>) {
    let tags = json!(["预算编制"]);
    let ok = |description: &str| {
        let mut responses = json!({ "200": { "description": description } });
        if let Some(target) = responses.as_object_mut() {
            for status in ["400", "401", "403", "404", "409", "422"] {
                target.insert(
                    status.to_owned(),
                    json!({ "$ref": "#/components/responses/Error" }),
                );
            }
        }
        responses
    };
    let path_param = |name: &str, description: &str| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" }, "description": description });
    let query = |name: &str, description: &str| json!({ "name": name, "in": "query", "schema": { "type": "string" }, "description": description });
    let year = path_param("year", "预算年度");
    let agency = path_param("agency_code", "单位代码");
    let fen = json!({ "type": "integer", "format": "int64", "description": "金额（分）" });
    let key = json!({ "type": "object", "properties": {
        "pro_code": { "type": "string" }, "exp_func_code": { "type": "string" },
        "gov_bgt_eco_code": { "type": "string" }, "dep_bgt_eco_code": { "type": "string" },
        "fund_type_code": { "type": "string" } } });
    let tables = json!({ "type": "object", "description": "单位预算表（整体保存）", "properties": {
        "expenses": { "type": "array", "description": "支出预算", "items": { "type": "object", "properties": {
            "key": key.clone(), "amount": fen.clone(), "is_gov_pur": { "type": "boolean" }, "remark": { "type": "string" } } } },
        "incomes": { "type": "array", "description": "收入预算", "items": { "type": "object", "properties": {
            "kind": { "type": "string", "enum": ["appropriation", "non_tax", "business", "operating", "other", "carry_over"] },
            "fund_type_code": { "type": "string" }, "amount": fen.clone(), "remark": { "type": "string" } } } },
        "non_tax": { "type": "array", "description": "非税征收计划", "items": { "type": "object", "properties": {
            "item_code": { "type": "string" }, "item_name": { "type": "string" }, "amount": fen.clone() } } },
        "procurement": { "type": "array", "description": "政府采购预算", "items": { "type": "object", "properties": {
            "pro_code": { "type": "string" }, "item_code": { "type": "string" }, "item_name": { "type": "string" },
            "quantity": { "type": "integer" }, "amount": fen.clone() } } },
        "assets": { "type": "array", "description": "资产购置计划", "items": { "type": "object", "properties": {
            "pro_code": { "type": "string" }, "asset_class": { "type": "string" }, "asset_name": { "type": "string" },
            "quantity": { "type": "integer" }, "unit_price": fen.clone(), "amount": fen.clone() } } } } });
    let controls = json!({ "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["items"], "properties": {
        "items": { "type": "array", "items": { "type": "object", "required": ["agency_code", "amount"], "properties": {
            "agency_code": { "type": "string" }, "amount": fen.clone() } } } } } } } });
    let approve_body = json!({ "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["doc_no", "doc_title"], "properties": {
        "doc_no": { "type": "string", "description": "批复文号" }, "doc_title": { "type": "string" },
        "ratio_bp": { "type": "integer", "minimum": 1, "maximum": 10000, "description": "预下达比例（万分比，仅预下达）" } } } } } });
    let region = path_param("mof_div_code", "财政区划代码");
    let entries = [
        (
            "/api/v1/budget/sheets",
            json!({ "get": { "tags": tags, "summary": "单位预算列表", "parameters": [query("year", "预算年度（必填）"), query("stage", "one_up | two_up | approved"), query("status", "draft | submitted | reviewed"), query("dept_code", "主管部门"), query("agency_code", "单位"), query("q", "单位代码或名称"), query("page", "页码"), query("page_size", "每页行数")], "responses": ok("单位预算及总数") } }),
        ),
        (
            "/api/v1/budget/sheets/{year}/{agency_code}",
            json!({
            "get": { "tags": tags, "summary": "单位预算（含勾稽审核结果）", "parameters": [year.clone(), agency.clone()], "responses": ok("单位预算") },
            "put": { "tags": tags, "summary": "整体保存单位预算表（编制中）", "parameters": [year.clone(), agency.clone()], "requestBody": { "required": true, "content": { "application/json": { "schema": tables } } }, "responses": ok("保存后的单位预算") } }),
        ),
        (
            "/api/v1/budget/sheets/{year}/{agency_code}/submit",
            json!({ "post": { "tags": tags, "summary": "报送（一上或二上），勾稽审核须全部通过", "parameters": [year.clone(), agency.clone()], "responses": ok("报送后的单位预算与流程单据号") } }),
        ),
        (
            "/api/v1/budget/sheets/{year}/{agency_code}/versions",
            json!({ "get": { "tags": tags, "summary": "版本历史（谁在哪个阶段改了哪个数）", "parameters": [year.clone(), agency.clone(), query("page", "页码")], "responses": ok("历史") } }),
        ),
        (
            "/api/v1/budget/lines",
            json!({ "get": { "tags": tags, "summary": "预算明细查询（BGT_PM_ANNUAL）", "parameters": [query("year", "预算年度（必填）"), query("agency_code", "单位"), query("mof_div_code", "区划"), query("pro_code", "项目"), query("approved", "仅已批复"), query("page", "页码")], "responses": ok("明细及总数") } }),
        ),
        (
            "/api/v1/budget/controls",
            json!({ "get": { "tags": tags, "summary": "控制数", "parameters": [query("year", "预算年度"), query("kind", "dept | unit"), query("dept_code", "主管部门")], "responses": ok("控制数") } }),
        ),
        (
            "/api/v1/budget/controls/{year}",
            json!({ "post": { "tags": tags, "summary": "预算处下达部门控制数（一下）", "parameters": [year.clone()], "requestBody": controls.clone(), "responses": ok("变更条数") } }),
        ),
        (
            "/api/v1/budget/controls/{year}/{dept_code}",
            json!({ "post": { "tags": tags, "summary": "主管部门分配单位控制数", "parameters": [year.clone(), path_param("dept_code", "主管部门代码")], "requestBody": controls, "responses": ok("变更条数") } }),
        ),
        (
            "/api/v1/budget/approve/{year}/{mof_div_code}",
            json!({ "post": { "tags": tags, "summary": "批复区划预算并生成指标（二下）", "parameters": [year.clone(), region.clone()], "requestBody": approve_body.clone(), "responses": ok("批复结果") } }),
        ),
        (
            "/api/v1/budget/pre-release/{year}/{mof_div_code}",
            json!({ "post": { "tags": tags, "summary": "预下达", "parameters": [year, region], "requestBody": approve_body, "responses": ok("预下达结果") } }),
        ),
        (
            "/api/v1/budget/adjustments",
            json!({ "post": { "tags": tags, "summary": "预算调整调剂单（追加、追减、调剂、预算调整）", "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["kind", "fiscal_year", "reason", "legs"], "properties": {
            "kind": { "type": "string", "enum": ["supplement", "cut", "reallocate", "formal"] }, "fiscal_year": { "type": "integer" },
            "doc_no": { "type": "string" }, "reason": { "type": "string" }, "submit": { "type": "boolean" },
            "legs": { "type": "array", "items": { "type": "object", "required": ["delta"], "properties": {
                "bgt_pman_id": { "type": "string" }, "delta": { "type": "integer", "description": "增减金额（分，负数为调减）" },
                "new_line": { "type": "object", "properties": { "agency_code": { "type": "string" }, "key": key, "is_gov_pur": { "type": "boolean" } } } } } } } } } } }, "responses": ok("单据号") } }),
        ),
    ];
    for (path, item) in entries {
        paths.insert(path.to_owned(), item);
    }
}
