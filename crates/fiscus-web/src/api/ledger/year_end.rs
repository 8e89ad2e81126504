//! The region year-end close (年终结转结余, ADR 0011) in the JSON API: `POST
//! /api/v1/ledger/year-end` closes one region's year, `GET /api/v1/ledger/year-end?year=`
//! lists the close records in the caller's subtree, and `GET
//! /api/v1/ledger/year-end/preview` shows what a close would do now. Money is integer fen.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use fiscus_core::Rejection;
use serde::Deserialize;
use serde_json::json;

use super::carry_rule;
use crate::api::{ApiJson, ApiResult};
use crate::context::{ApiUser, RequestInfo};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseWire {
    pub mof_div_code: String,
    pub fiscal_year: i32,
    /// all | projects (projects_only) | nothing; default projects.
    #[serde(default)]
    pub rule: Option<String>,
}

fn year_of(params: &HashMap<String, String>) -> Result<Option<i32>, Rejection> {
    let text = params
        .get("year")
        .or_else(|| params.get("fiscal_year"))
        .map(|y| y.trim())
        .unwrap_or_default();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<i32>() {
        Ok(year) if (2000..=2100).contains(&year) => Ok(Some(year)),
        _ => Err(Rejection::FieldInvalid {
            field: "预算年度",
            expected: "四位年份",
        }),
    }
}

pub async fn close(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    ApiJson(body): ApiJson<CloseWire>,
) -> ApiResult {
    let rid = &info.request_id;
    let rule = carry_rule(Some(body.rule.as_deref().unwrap_or("projects")))
        .map_err(|e| ApiError::new(e, rid))?;
    let summary = state
        .app
        .year_end_close(
            &user.principal,
            body.mof_div_code.trim(),
            body.fiscal_year,
            rule,
            None,
            &info.ctx(),
        )
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok((StatusCode::CREATED, Json(json!(summary))).into_response())
}

pub async fn records(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let year = year_of(&params).map_err(|e| ApiError::new(e, rid))?;
    let items = state
        .app
        .year_end_records(&user.principal, year.map(i64::from))
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(json!({ "items": items, "total": items.len() })).into_response())
}

pub async fn preview(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let rule = carry_rule(Some(
        params.get("rule").map(String::as_str).unwrap_or("projects"),
    ))
    .map_err(|e| ApiError::new(e, rid))?;
    let year = year_of(&params)
        .map_err(|e| ApiError::new(e, rid))?
        .ok_or_else(|| {
            ApiError::new(
                Rejection::FieldRequired {
                    field: "预算年度"
                },
                rid,
            )
        })?;
    let region = params
        .get("mof_div_code")
        .map(|code| code.trim().to_owned())
        .unwrap_or_else(|| user.principal.mof_div_code().as_str().to_owned());
    let preview = state
        .app
        .year_end_preview(&user.principal, &region, year, rule)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(json!(preview)).into_response())
}
