//! The project library (项目库) in the JSON API: projects listed, read, written as drafts,
//! declared (申报) into the `project_declaration` flow and terminated (终止). Handlers parse
//! the wire body into a `ProjectDraft` (texts, as a form sends them) and that into a
//! `ProjectInput`; the use cases in `fiscus_app::project` check roles, scope and the rules.
//! Money is integer fen on the wire; an amount may also be given as 元 text (`"1234.50"`).
//! The list filters by state, year, category and unit (the reserve pool is `status=reserved`)
//! and exports to Excel; attachments are in `project/attachment.rs`, 一键测算 in
//! `project/basic.rs`.

pub mod attachment;
pub mod basic;

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use fiscus_app::ledger::query::parse_paging;
use fiscus_app::project::list::ProjectFilter;
use fiscus_app::project::{PROJECT_PAGE_ROWS_MAX, ProjectView};
use fiscus_core::project::{
    EstimationLine, PlanLine, ProjectCategory, ProjectInput, ProjectState, TargetLevel1, TargetLine,
};
use fiscus_core::{AgencyCode, Fen, FiscalYear, Principal, Rejection};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiJson, ApiResult, xlsx_file_response};
use crate::context::{ApiUser, RequestInfo};
use crate::error::ApiError;
use crate::state::AppState;

/// Rows of a list page when the request names none.
pub const PROJECT_PAGE_ROWS_DEFAULT: u32 = 20;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/projects", get(list).post(create))
        .route("/api/v1/projects/export.xlsx", get(export))
        .route("/api/v1/projects/{pro_id}", get(detail).put(update))
        .route("/api/v1/projects/{pro_id}/declare", post(declare))
        .route("/api/v1/projects/{pro_id}/terminate", post(terminate))
        .merge(attachment::routes())
        .merge(basic::routes())
}

/// A project as typed: every field text, as a form or the wire gives it.
#[derive(Clone, Debug, Default)]
pub struct ProjectDraft {
    pub pro_name: String,
    pub agency_code: String,
    pub pro_cat_code: String,
    pub start_year: String,
    pub end_year: String,
    /// (year, amount in 元)
    pub plan: Vec<(String, String)>,
    /// (item, quantity, unit price in 元, amount in 元, basis)
    pub estimation: Vec<(String, String, String, String, String)>,
    /// (level1 code, level2, level3, target value, unit)
    pub targets: Vec<(String, String, String, String, String)>,
}

/// 一级指标 codes on the wire and in forms.
pub const TARGET_LEVEL1: [(&str, TargetLevel1); 3] = [
    ("output", TargetLevel1::Output),
    ("effect", TargetLevel1::Effect),
    ("satisfaction", TargetLevel1::Satisfaction),
];

pub fn level1_code(level: TargetLevel1) -> &'static str {
    TARGET_LEVEL1
        .iter()
        .find(|(_, l)| *l == level)
        .map_or("output", |(code, _)| code)
}

fn year(text: &str, field: &'static str) -> Result<FiscalYear, Rejection> {
    text.trim()
        .parse::<i32>()
        .ok()
        .and_then(|y| FiscalYear::new(y).ok())
        .ok_or(Rejection::FieldInvalid {
            field,
            expected: "四位年度，如 2026",
        })
}

impl ProjectDraft {
    /// The parsed project; rows left wholly blank (as in a form) are skipped. The unit is the
    /// typed one, or the writer's own when none is typed.
    pub fn input(&self, who: &Principal) -> Result<ProjectInput, Rejection> {
        let agency_code = match self.agency_code.trim() {
            "" => who.agency_code().cloned().ok_or(Rejection::FieldRequired {
                field: "预算单位",
            })?,
            code => AgencyCode::parse(code)?,
        };
        let blank = |texts: &[&String]| texts.iter().all(|t| t.trim().is_empty());
        let mut plan = Vec::new();
        for (y, amount) in &self.plan {
            if blank(&[y, amount]) {
                continue;
            }
            plan.push(PlanLine {
                year: year(y, "分年支出计划年度")?.0,
                amount_fen: Fen::parse_yuan(amount, "分年支出计划金额")?,
            });
        }
        let mut estimation = Vec::new();
        for (item, quantity, price, amount, basis) in &self.estimation {
            if blank(&[item, quantity, price, amount, basis]) {
                continue;
            }
            let unit_price_fen = Fen::parse_yuan(price, "测算单价")?;
            let quantity: i64 = quantity
                .trim()
                .parse()
                .map_err(|_| Rejection::FieldInvalid {
                    field: "测算数量",
                    expected: "正整数",
                })?;
            let amount_fen = if amount.trim().is_empty() {
                unit_price_fen
                    .checked_mul(quantity)
                    .ok_or(Rejection::AmountInvalid {
                        field: "测算金额"
                    })?
            } else {
                Fen::parse_yuan(amount, "测算金额")?
            };
            estimation.push(EstimationLine {
                item: item.clone(),
                quantity,
                unit_price_fen,
                amount_fen,
                basis: basis.clone(),
            });
        }
        let mut targets = Vec::new();
        for (level1, level2, level3, value, unit) in &self.targets {
            if blank(&[level2, level3, value, unit]) {
                continue;
            }
            let level1 = TARGET_LEVEL1
                .iter()
                .find(|(code, _)| *code == level1.trim())
                .map(|(_, l)| *l)
                .ok_or(Rejection::FieldInvalid {
                    field: "一级指标",
                    expected: "output（产出指标）、effect（效益指标）或 satisfaction（满意度指标）",
                })?;
            targets.push(TargetLine {
                level1,
                level2: level2.clone(),
                level3: level3.clone(),
                target_value: value.clone(),
                unit: unit.clone(),
            });
        }
        Ok(ProjectInput {
            pro_name: self.pro_name.clone(),
            agency_code,
            pro_cat_code: ProjectCategory::parse(&self.pro_cat_code)?,
            start_year: year(&self.start_year, "开始年度")?,
            end_year: year(&self.end_year, "结束年度")?,
            plan,
            estimation,
            targets,
        })
    }

    /// The draft of a stored project (amounts as 元 text without separators).
    pub fn of(input: &ProjectInput) -> ProjectDraft {
        let yuan = |fen: Fen| fen.to_yuan_string().replace(',', "");
        ProjectDraft {
            pro_name: input.pro_name.clone(),
            agency_code: input.agency_code.as_str().to_owned(),
            pro_cat_code: input.pro_cat_code.code().to_owned(),
            start_year: input.start_year.0.to_string(),
            end_year: input.end_year.0.to_string(),
            plan: input
                .plan
                .iter()
                .map(|l| (l.year.to_string(), yuan(l.amount_fen)))
                .collect(),
            estimation: input
                .estimation
                .iter()
                .map(|l| {
                    (
                        l.item.clone(),
                        l.quantity.to_string(),
                        yuan(l.unit_price_fen),
                        yuan(l.amount_fen),
                        l.basis.clone(),
                    )
                })
                .collect(),
            targets: input
                .targets
                .iter()
                .map(|l| {
                    (
                        level1_code(l.level1).to_owned(),
                        l.level2.clone(),
                        l.level3.clone(),
                        l.target_value.clone(),
                        l.unit.clone(),
                    )
                })
                .collect(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlanBody {
    pub year: Value,
    /// Integer fen, or 元 as text.
    pub amount: Value,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EstimationBody {
    pub item: String,
    pub quantity: Value,
    pub unit_price: Value,
    /// Integer fen, or 元 as text; empty is quantity × unit price.
    pub amount: Value,
    pub basis: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TargetBody {
    pub level1: String,
    pub level2: String,
    pub level3: String,
    pub target_value: String,
    pub unit: String,
}

/// The body of `POST /projects` and `PUT /projects/{id}`. Unknown fields are refused.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProjectBody {
    pub pro_name: String,
    pub agency_code: String,
    pub pro_cat_code: Value,
    pub start_year: Value,
    pub end_year: Value,
    /// 立项年度 (numbering); the start year when absent. Only on create.
    pub setup_year: Value,
    pub plan: Vec<PlanBody>,
    pub estimation: Vec<EstimationBody>,
    pub targets: Vec<TargetBody>,
    /// Declare (申报) in the same request.
    pub declare: bool,
}

/// An amount: integer fen, or 元 text; anything else is refused.
fn money(value: &Value, field: &'static str) -> Result<String, Rejection> {
    match value {
        Value::Null => Ok(String::new()),
        Value::String(text) => Ok(text.clone()),
        Value::Number(number) => match number.as_i64() {
            Some(fen) => Ok(fiscus_core::ledger::check_amount(Fen(fen), field)?
                .to_yuan_string()
                .replace(',', "")),
            None => Err(Rejection::AmountInvalid { field }),
        },
        _ => Err(Rejection::AmountInvalid { field }),
    }
}

/// A whole number or its text.
fn integer(
    value: &Value,
    field: &'static str,
    expected: &'static str,
) -> Result<String, Rejection> {
    match value {
        Value::Null => Ok(String::new()),
        Value::String(text) => Ok(text.clone()),
        Value::Number(number) if number.is_i64() => Ok(number.to_string()),
        _ => Err(Rejection::FieldInvalid { field, expected }),
    }
}

impl ProjectBody {
    pub fn draft(&self) -> Result<ProjectDraft, Rejection> {
        let year_text = |value: &Value, field| integer(value, field, "四位年度，如 2026");
        Ok(ProjectDraft {
            pro_name: self.pro_name.clone(),
            agency_code: self.agency_code.clone(),
            pro_cat_code: integer(
                &self.pro_cat_code,
                "项目类别",
                "1（人员类）、2（运转类）或 3（特定目标类）",
            )?,
            start_year: year_text(&self.start_year, "开始年度")?,
            end_year: year_text(&self.end_year, "结束年度")?,
            plan: self
                .plan
                .iter()
                .map(|l| {
                    Ok((
                        year_text(&l.year, "分年支出计划年度")?,
                        money(&l.amount, "分年支出计划金额")?,
                    ))
                })
                .collect::<Result<_, Rejection>>()?,
            estimation: self
                .estimation
                .iter()
                .map(|l| {
                    Ok((
                        l.item.clone(),
                        integer(&l.quantity, "测算数量", "正整数")?,
                        money(&l.unit_price, "测算单价")?,
                        money(&l.amount, "测算金额")?,
                        l.basis.clone(),
                    ))
                })
                .collect::<Result<_, Rejection>>()?,
            targets: self
                .targets
                .iter()
                .map(|l| {
                    (
                        l.level1.clone(),
                        l.level2.clone(),
                        l.level3.clone(),
                        l.target_value.clone(),
                        l.unit.clone(),
                    )
                })
                .collect(),
        })
    }

    fn setup_year(&self, input: &ProjectInput) -> Result<FiscalYear, Rejection> {
        let text = integer(&self.setup_year, "立项年度", "四位年度，如 2026")?;
        if text.trim().is_empty() {
            Ok(input.start_year)
        } else {
            year(&text, "立项年度")
        }
    }
}

/// A project as JSON: its columns (money in fen), its tables and its state's Chinese name.
pub fn project_json(view: &ProjectView) -> Value {
    let row = &view.row;
    json!({
        "pro_id": row.pro_id,
        "pro_code": row.pro_code,
        "pro_name": row.pro_name,
        "agency_code": row.agency_code,
        "mof_div_code": row.mof_div_code,
        "pro_cat_code": row.pro_cat_code,
        "pro_cat_name": view.input.pro_cat_code.label(),
        "setup_year": row.setup_year,
        "start_year": row.pro_start_year,
        "end_year": row.pro_end_year,
        "pro_total_amt": row.pro_total_amt,
        "status": row.status,
        "status_label": view.state_label,
        "pro_source": row.pro_source,
        "terminate_reason": row.terminate_reason,
        "plan": view.input.plan.iter().map(|l| json!({ "year": l.year, "amount": l.amount_fen.0 })).collect::<Vec<_>>(),
        "estimation": view.input.estimation.iter().map(|l| json!({
            "item": l.item, "quantity": l.quantity, "unit_price": l.unit_price_fen.0,
            "amount": l.amount_fen.0, "basis": l.basis })).collect::<Vec<_>>(),
        "targets": view.input.targets.iter().map(|l| json!({
            "level1": level1_code(l.level1), "level1_label": l.level1.label(), "level2": l.level2,
            "level3": l.level3, "target_value": l.target_value, "unit": l.unit })).collect::<Vec<_>>(),
        "created_by": row.created_by,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "document_href": format!("/api/v1/flow/documents/{}", row.pro_id),
    })
}

/// A project status from a query: a known code or nothing.
pub fn project_status(text: Option<&String>) -> Result<Option<String>, Rejection> {
    match text.map(|t| t.trim()).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(code) => ProjectState::parse(code)
            .map(|state| Some(state.code().to_owned()))
            .ok_or(Rejection::FieldInvalid {
                field: "状态",
                expected: "draft、declared、reserved 或 terminated",
            }),
    }
}

/// `page` and `page_size`, the size bounded by the project list's own limit.
fn paging(params: &BTreeMap<String, String>) -> Result<(i64, i64), Rejection> {
    let (page, page_size) = parse_paging(params, PROJECT_PAGE_ROWS_DEFAULT)?;
    if i64::from(page_size) > PROJECT_PAGE_ROWS_MAX {
        return Err(Rejection::PageSizeExceeded {
            page_size_max: PROJECT_PAGE_ROWS_MAX as u32,
        });
    }
    Ok((i64::from(page), i64::from(page_size)))
}

async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let params: BTreeMap<String, String> = params.into_iter().collect();
    let (page, page_size) = paging(&params).map_err(|e| ApiError::new(e, rid))?;
    let filter = ProjectFilter::parse(&params).map_err(|e| ApiError::new(e, rid))?;
    let found = state
        .app
        .project_list(&user.principal, &filter, page, page_size)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    let items: Vec<Value> = found.rows.iter().map(project_json).collect();
    Ok(Json(json!({
        "items": items,
        "page": page,
        "page_size": page_size,
        "has_more": found.has_more(page, page_size),
        "total": found.count,
        "total_amt": found.total_fen.0,
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
    let params: BTreeMap<String, String> = params.into_iter().collect();
    let filter = ProjectFilter::parse(&params).map_err(|e| ApiError::new(e, rid))?;
    let bytes = state
        .app
        .export_projects(&user.principal, &filter)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(xlsx_file_response("projects", "项目库", bytes))
}

async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    ApiJson(body): ApiJson<ProjectBody>,
) -> ApiResult {
    let rid = &info.request_id;
    let parsed = body
        .draft()
        .and_then(|draft| draft.input(&user.principal))
        .and_then(|input| Ok((body.setup_year(&input)?, input)));
    let (setup_year, input) = parsed.map_err(|e| ApiError::new(e, rid))?;
    let app = &state.app;
    let pro_id = app
        .project_create(&user.principal, &input, setup_year, &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    if body.declare {
        app.project_declare(&user.principal, &pro_id, &info.ctx())
            .await
            .map_err(|e| ApiError::new(e, rid))?;
    }
    let view = app
        .project(&user.principal, &pro_id)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok((StatusCode::CREATED, Json(project_json(&view))).into_response())
}

async fn update(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path(pro_id): Path<String>,
    ApiJson(body): ApiJson<ProjectBody>,
) -> ApiResult {
    let rid = &info.request_id;
    let input = body
        .draft()
        .and_then(|draft| draft.input(&user.principal))
        .map_err(|e| ApiError::new(e, rid))?;
    let app = &state.app;
    app.project_update(&user.principal, &pro_id, &input, &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    if body.declare {
        app.project_declare(&user.principal, &pro_id, &info.ctx())
            .await
            .map_err(|e| ApiError::new(e, rid))?;
    }
    let view = app
        .project(&user.principal, &pro_id)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(project_json(&view)).into_response())
}

async fn detail(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path(pro_id): Path<String>,
) -> ApiResult {
    let rid = &info.request_id;
    let view = state
        .app
        .project(&user.principal, &pro_id)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(project_json(&view)).into_response())
}

async fn declare(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path(pro_id): Path<String>,
) -> ApiResult {
    let rid = &info.request_id;
    let app = &state.app;
    app.project_declare(&user.principal, &pro_id, &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    let view = app
        .project(&user.principal, &pro_id)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(project_json(&view)).into_response())
}

/// The body of `POST /projects/{id}/terminate`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TerminateBody {
    pub reason: String,
}

async fn terminate(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path(pro_id): Path<String>,
    ApiJson(body): ApiJson<TerminateBody>,
) -> ApiResult {
    let rid = &info.request_id;
    let app = &state.app;
    app.project_terminate(&user.principal, &pro_id, &body.reason, &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    let view = app
        .project(&user.principal, &pro_id)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(project_json(&view)).into_response())
}

/// Adds the project paths to the OpenAPI document.
pub fn openapi_paths(paths: &mut serde_json::Map<String, Value>) {
    let tags = json!(["项目库"]);
    let errors = |mut responses: Value| {
        if let Some(target) = responses.as_object_mut() {
            for status in ["400", "401", "403", "404", "409", "422"] {
                target
                    .entry(status)
                    .or_insert(json!({ "$ref": "#/components/responses/Error" }));
            }
        }
        responses
    };
    let ok = |description: &str| errors(json!({ "200": { "description": description } }));
    let text = |description: &str| json!({ "type": "string", "description": description });
    let amount = |description: &str| json!({ "description": format!("{description}：整数为分，字符串为元（如 \"1234.50\"）"), "oneOf": [{ "type": "integer", "format": "int64" }, { "type": "string" }] });
    let year = |description: &str| json!({ "description": description, "oneOf": [{ "type": "integer" }, { "type": "string" }] });
    let id =
        json!({ "name": "pro_id", "in": "path", "required": true, "schema": { "type": "string" } });
    let body = json!({ "required": true, "content": { "application/json": { "schema": {
        "type": "object", "additionalProperties": false,
        "required": ["pro_name", "pro_cat_code", "start_year", "end_year", "plan", "estimation", "targets"],
        "properties": {
            "pro_name": text("项目名称"),
            "agency_code": text("预算单位编码，空为本人所在单位"),
            "pro_cat_code": text("项目类别：1 人员类、2 运转类、3 特定目标类"),
            "start_year": year("开始年度"),
            "end_year": year("结束年度"),
            "setup_year": year("立项年度（项目编码用），空为开始年度；仅新建时"),
            "plan": { "type": "array", "description": "分年支出计划", "items": { "type": "object", "additionalProperties": false, "properties": {
                "year": year("年度"), "amount": amount("金额") } } },
            "estimation": { "type": "array", "description": "测算明细：数量×单价=金额", "items": { "type": "object", "additionalProperties": false, "properties": {
                "item": text("测算项目"), "quantity": { "type": "integer" }, "unit_price": amount("单价"), "amount": amount("金额，空为数量×单价"), "basis": text("测算依据") } } },
            "targets": { "type": "array", "description": "绩效目标", "items": { "type": "object", "additionalProperties": false, "properties": {
                "level1": text("一级指标：output 产出、effect 效益、satisfaction 满意度"), "level2": text("二级指标"), "level3": text("三级指标"),
                "target_value": text("指标值，如 ≥500"), "unit": text("计量单位") } } },
            "declare": { "type": "boolean", "description": "同时申报" },
        } } } } });
    let page =
        json!({ "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 } });
    let page_size = json!({ "name": "page_size", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": PROJECT_PAGE_ROWS_MAX } });
    let status = json!({ "name": "status", "in": "query", "schema": { "type": "string" }, "description": "draft | declared | reserved（储备库）| terminated" });
    let category = json!({ "name": "pro_cat_code", "in": "query", "schema": { "type": "string" }, "description": "1 人员类 | 2 运转类 | 3 特定目标类" });
    let year_param = json!({ "name": "year", "in": "query", "schema": { "type": "integer" }, "description": "项目期限包含该年度" });
    let unit = json!({ "name": "agency_code", "in": "query", "schema": { "type": "string" }, "description": "预算单位编码" });
    let entries: Vec<(&str, Value)> = vec![
        (
            "/api/v1/projects",
            json!({
                "get": { "summary": "项目库列表（本人可见范围），新的在前；储备库为 status=reserved", "tags": tags, "parameters": [status, category, year_param, unit, page, page_size],
                    "responses": ok("{items, page, page_size, has_more, total, total_amt}") },
                "post": { "summary": "新建项目（单位经办人，本单位），可同时申报", "tags": tags, "requestBody": body,
                    "responses": errors(json!({ "201": { "description": "新建的项目" } })) } }),
        ),
        (
            "/api/v1/projects/export.xlsx",
            json!({ "get": { "summary": "按查询条件导出项目（Excel，含合计行）", "tags": tags, "parameters": [status, category, year_param, unit],
                "responses": ok("Excel 文件") } }),
        ),
        (
            "/api/v1/projects/{pro_id}",
            json!({
                "get": { "summary": "一个项目，含分年支出计划、测算明细和绩效目标", "tags": tags, "parameters": [id], "responses": ok("项目") },
                "put": { "summary": "修改草稿项目，可同时申报", "tags": tags, "parameters": [id], "requestBody": body, "responses": ok("修改后的项目") } }),
        ),
        (
            "/api/v1/projects/{pro_id}/declare",
            json!({ "post": { "summary": "申报：送入项目申报审核流程", "tags": tags, "parameters": [id], "responses": ok("申报后的项目") } }),
        ),
        (
            "/api/v1/projects/{pro_id}/terminate",
            json!({ "post": { "summary": "终止项目（预算处），须写明原因", "tags": tags, "parameters": [id],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false,
                    "required": ["reason"], "properties": { "reason": text("终止原因") } } } } },
                "responses": ok("终止后的项目") } }),
        ),
    ];
    for (path, item) in entries {
        paths.insert(path.to_owned(), item);
    }
    attachment::openapi_paths(paths, &errors);
    basic::openapi_paths(paths, &errors);
}
