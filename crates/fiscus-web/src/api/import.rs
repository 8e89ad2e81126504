//! Excel import in the JSON API: `GET /api/v1/{entity}/import-template.xlsx` gives the
//! template to fill, `POST /api/v1/{entity}/import` takes the filled file as the raw body.
//! Every row is imported (200) or none is (422, with the reason of each refused row).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use fiscus_app::import::ImportReport;
use fiscus_core::Rejection;
use serde_json::json;

use super::{ApiResult, spec_of, xlsx_file_response};
use crate::context::{ApiUser, RequestInfo};
use crate::error::ApiError;
use crate::state::AppState;

pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

// The refusal of a too-large upload names the limit in words.
const _: () = assert!(crate::REQUEST_BODY_BYTES_MAX == 8 * 1024 * 1024);

/// Body types an upload may declare: the .xlsx type, or "some bytes" as many tools send.
const UPLOAD_CONTENT_TYPES: [&str; 2] = [XLSX_CONTENT_TYPE, "application/octet-stream"];

pub async fn template(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path(entity): Path<String>,
) -> ApiResult {
    let rid = &info.request_id;
    let spec = spec_of(&entity, rid)?;
    let bytes = state
        .app
        .import_template(&user.principal, spec)
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(xlsx_file_response(
        &format!("{}-import-template", spec.name),
        &format!("{}导入模板", spec.label),
        bytes,
    ))
}

pub async fn upload(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path(entity): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let rid = &info.request_id;
    let spec = spec_of(&entity, rid)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if !UPLOAD_CONTENT_TYPES.contains(&content_type.as_str()) {
        return Err(ApiError::new(
            Rejection::FieldInvalid {
                field: "Content-Type",
                expected: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet 或 application/octet-stream",
            },
            rid,
        ));
    }
    // Only a body over the size limit fails to read here.
    let bytes = body.map_err(|_| {
        ApiError::new(
            Rejection::FieldInvalid {
                field: "文件",
                expected: "不超过 8 MB 的 Excel .xlsx 文件",
            },
            rid,
        )
    })?;
    let report = state
        .app
        .import_xlsx(&user.principal, spec, &bytes, &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    let status = if report.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Json(report_json(&report))).into_response())
}

/// `{n_imported, errors: [{row, field, code, message}]}`.
pub fn report_json(report: &ImportReport) -> serde_json::Value {
    let errors: Vec<serde_json::Value> = report
        .errors
        .iter()
        .map(|error| {
            json!({
                "row": error.row,
                "field": error.rejection.field(),
                "code": error.rejection.code(),
                "message": error.rejection.message(),
            })
        })
        .collect();
    json!({ "n_imported": report.n_imported, "errors": errors })
}
