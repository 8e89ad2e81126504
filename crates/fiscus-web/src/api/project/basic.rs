//! 基本支出一键测算 in the JSON API: `POST /api/v1/projects/basic-calculation` with the fiscal
//! year (and the unit, which can only be the clerk's own) writes or refreshes the unit's
//! 人员类 and 公用经费 draft projects and answers what happened to each. The unit confirms a
//! draft with `POST /api/v1/projects/{pro_id}/declare`.

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::post;
use fiscus_app::project::basic::{BasicChange, BasicOutcome};
use fiscus_core::{AgencyCode, FiscalYear, Rejection};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{ApiJson, ApiResult};
use crate::context::{ApiUser, RequestInfo};
use crate::error::ApiError;
use crate::state::AppState;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/api/v1/projects/basic-calculation", post(calculate))
}

/// The body of the calculation. Unknown fields are refused.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BasicBody {
    pub fiscal_year: Value,
    /// The unit; empty is the clerk's own.
    pub agency_code: String,
}

/// The stable code of a change on the wire.
pub fn change_code(change: BasicChange) -> &'static str {
    match change {
        BasicChange::Created => "created",
        BasicChange::Refreshed => "refreshed",
        BasicChange::Unchanged => "unchanged",
        BasicChange::Kept(_) => "kept",
        BasicChange::NoLines => "no_lines",
    }
}

pub fn outcome_json(outcome: &BasicOutcome) -> Value {
    json!({
        "fiscal_year": outcome.fiscal_year.0,
        "n_in_service": outcome.n_in_service,
        "uncovered": outcome.uncovered.iter().map(|count| json!({
            "per_ide_code": count.per_ide_code, "per_ide_name": count.per_ide_name, "n_persons": count.n_persons,
        })).collect::<Vec<_>>(),
        "results": outcome.results.iter().map(|result| json!({
            "pro_cat_code": result.category.code(),
            "pro_cat_name": result.category.label(),
            "change": change_code(result.change),
            "change_label": result.change.label(),
            "pro_id": result.pro_id,
            "total_amt": result.total_fen.0,
        })).collect::<Vec<_>>(),
    })
}

/// A fiscal year from a number or its text.
pub fn fiscal_year(value: &Value) -> Result<FiscalYear, Rejection> {
    let invalid = Rejection::FieldInvalid {
        field: "预算年度",
        expected: "四位年度，如 2026",
    };
    let year = match value {
        Value::Null => {
            return Err(Rejection::FieldRequired {
                field: "预算年度"
            });
        }
        Value::Number(number) => number.as_i64().and_then(|y| i32::try_from(y).ok()),
        Value::String(text) if text.trim().is_empty() => {
            return Err(Rejection::FieldRequired {
                field: "预算年度"
            });
        }
        Value::String(text) => text.trim().parse::<i32>().ok(),
        _ => None,
    };
    year.and_then(|y| FiscalYear::new(y).ok()).ok_or(invalid)
}

async fn calculate(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    ApiJson(body): ApiJson<BasicBody>,
) -> ApiResult {
    let rid = &info.request_id;
    let who = &user.principal;
    let parsed = fiscal_year(&body.fiscal_year).and_then(|year| {
        let agency_code = match body.agency_code.trim() {
            "" => who.agency_code().cloned().ok_or(Rejection::Forbidden)?,
            code => AgencyCode::parse(code)?,
        };
        Ok((year, agency_code))
    });
    let (year, agency_code) = parsed.map_err(|e| ApiError::new(e, rid))?;
    let outcome = state
        .app
        .project_basic_calculate(who, &agency_code, year, &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(outcome_json(&outcome)).into_response())
}

/// Adds the calculation path to the OpenAPI document.
pub fn openapi_paths(paths: &mut serde_json::Map<String, Value>, errors: &dyn Fn(Value) -> Value) {
    let body = json!({ "required": true, "content": { "application/json": { "schema": {
        "type": "object", "additionalProperties": false, "required": ["fiscal_year"],
        "properties": {
            "fiscal_year": { "description": "预算年度", "oneOf": [{ "type": "integer" }, { "type": "string" }] },
            "agency_code": { "type": "string", "description": "预算单位编码，空为本人所在单位（只能是本单位）" } } } } } });
    paths.insert(
        "/api/v1/projects/basic-calculation".to_owned(),
        json!({ "post": {
            "summary": "基本支出一键测算：按在职人员和支出标准生成或刷新本单位该年度的人员类、公用经费（运转类）草稿项目",
            "tags": ["项目库"], "requestBody": body,
            "responses": errors(json!({ "200": { "description": "{fiscal_year, n_in_service, uncovered, results: [{pro_cat_code, change: created|refreshed|unchanged|kept|no_lines, pro_id, total_amt}]}" } })) } }),
    );
}
