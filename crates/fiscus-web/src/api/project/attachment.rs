//! Attachments of a project in the JSON API: list, upload (`multipart/form-data`, the file in
//! the part `file`; a cookie client sends the CSRF token in the header or a `_csrf` part),
//! download (the stored bytes with the sanitised name) and delete. The use cases check the
//! role, the project's scope and state, and the file rules.

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use fiscus_core::Rejection;
use fiscus_core::project::attachment::FileKind;
use fiscus_store::project::attachment::AttachmentRow;
use serde_json::{Value, json};

use crate::api::ApiResult;
use crate::context::{ApiUser, RequestInfo, percent_encode};
use crate::error::ApiError;
use crate::state::AppState;

/// The name of the multipart part that carries the file.
pub const FILE_FIELD: &str = "file";

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            "/api/v1/projects/{pro_id}/attachments",
            get(list).post(upload),
        )
        .route(
            "/api/v1/projects/{pro_id}/attachments/{att_id}",
            get(download).delete(delete),
        )
}

/// The download path of an attachment (also the link on the detail page).
pub fn download_href(pro_id: &str, att_id: &str) -> String {
    format!(
        "/api/v1/projects/{}/attachments/{}",
        percent_encode(pro_id),
        percent_encode(att_id)
    )
}

pub fn attachment_json(row: &AttachmentRow) -> Value {
    let kind = FileKind::parse(&row.file_kind);
    json!({
        "att_id": row.att_id,
        "pro_id": row.pro_id,
        "file_name": row.file_name,
        "file_kind": row.file_kind,
        "file_kind_label": kind.map_or("", FileKind::label),
        "size_bytes": row.size_bytes,
        "content_sm3": row.content_sm3,
        "uploaded_by": row.uploaded_by,
        "uploaded_at": row.uploaded_at,
        "href": download_href(&row.pro_id, &row.att_id),
    })
}

/// The file of a multipart upload: (file name as sent, bytes), or `None` when the body was
/// no multipart form or carried no file part.
pub async fn uploaded_file(
    multipart: Result<Multipart, MultipartRejection>,
) -> Option<(String, Vec<u8>)> {
    let mut multipart = multipart.ok()?;
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some(FILE_FIELD) {
            let name = field.file_name().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.ok()?;
            return Some((name, bytes.to_vec()));
        }
    }
    None
}

async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path(pro_id): Path<String>,
) -> ApiResult {
    let rid = &info.request_id;
    let rows = state
        .app
        .project_attachments(&user.principal, &pro_id)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    let items: Vec<Value> = rows.iter().map(attachment_json).collect();
    Ok(Json(json!({ "items": items })).into_response())
}

async fn upload(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path(pro_id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult {
    let rid = &info.request_id;
    let (file_name, bytes) = uploaded_file(multipart)
        .await
        .ok_or_else(|| ApiError::new(Rejection::FieldRequired { field: "附件" }, rid))?;
    let row = state
        .app
        .project_attach(&user.principal, &pro_id, &file_name, &bytes, &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok((StatusCode::CREATED, Json(attachment_json(&row))).into_response())
}

async fn download(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path((pro_id, att_id)): Path<(String, String)>,
) -> ApiResult {
    let rid = &info.request_id;
    let (row, bytes) = state
        .app
        .project_attachment(&user.principal, &pro_id, &att_id)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    let kind = FileKind::parse(&row.file_kind);
    let content_type = kind.map_or("application/octet-stream", FileKind::content_type);
    // An ASCII fallback name for old clients, the real one in RFC 5987 form.
    let disposition = format!(
        "attachment; filename=\"attachment.{}\"; filename*=UTF-8''{}",
        kind.map_or("bin", FileKind::code),
        percent_encode(&row.file_name)
    );
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

async fn delete(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path((pro_id, att_id)): Path<(String, String)>,
) -> ApiResult {
    let rid = &info.request_id;
    state
        .app
        .project_detach(&user.principal, &pro_id, &att_id, &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Adds the attachment paths to the OpenAPI document.
pub fn openapi_paths(paths: &mut serde_json::Map<String, Value>, errors: &dyn Fn(Value) -> Value) {
    let tags = json!(["项目库"]);
    let id =
        json!({ "name": "pro_id", "in": "path", "required": true, "schema": { "type": "string" } });
    let att =
        json!({ "name": "att_id", "in": "path", "required": true, "schema": { "type": "string" } });
    let upload_body = json!({ "required": true, "content": { "multipart/form-data": { "schema": {
        "type": "object", "required": ["file"],
        "properties": { "file": { "type": "string", "format": "binary",
            "description": "PDF、Word（doc/docx）、Excel（xls/xlsx）或图片（jpg/png），不超过 5 MB；每个项目最多 20 个" } } } } } });
    paths.insert(
        "/api/v1/projects/{pro_id}/attachments".to_owned(),
        json!({
            "get": { "summary": "项目的附件列表", "tags": tags, "parameters": [id],
                "responses": errors(json!({ "200": { "description": "{items}" } })) },
            "post": { "summary": "上传附件（本单位经办人，草稿项目）", "tags": tags, "parameters": [id], "requestBody": upload_body,
                "responses": errors(json!({ "201": { "description": "上传的附件" }, "413": { "$ref": "#/components/responses/Error" } })) } }),
    );
    paths.insert(
        "/api/v1/projects/{pro_id}/attachments/{att_id}".to_owned(),
        json!({
            "get": { "summary": "下载附件", "tags": tags, "parameters": [id, att],
                "responses": errors(json!({ "200": { "description": "文件内容" } })) },
            "delete": { "summary": "删除附件（本单位经办人，草稿项目）", "tags": tags, "parameters": [id, att],
                "responses": errors(json!({ "204": { "description": "已删除" } })) } }),
    );
}
