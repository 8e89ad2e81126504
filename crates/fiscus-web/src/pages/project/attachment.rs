//! The 附件 section of the project detail page: the list with download links, and for the
//! unit's clerk while the project is a draft, the upload form (multipart, the `_csrf` part
//! first) and a delete button per file. Uploads and deletes redirect back to the detail page
//! with a message; a refused file comes back there with the Chinese reason.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect};
use fiscus_app::AppError;
use fiscus_core::Rejection;
use fiscus_core::project::attachment::{
    ATTACHMENT_BYTES_MAX, ATTACHMENTS_PER_PROJECT_MAX, FileKind,
};
use fiscus_store::project::attachment::AttachmentRow;
use maud::{Markup, html};

use super::{project_href, render_detail};
use crate::api::project::attachment::{FILE_FIELD, download_href, uploaded_file};
use crate::context::{CurrentUser, PageUser, RequestInfo, percent_encode};
use crate::error::describe;
use crate::pages::layout::csrf_field;
use crate::pages::payment::when;
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

/// The file types the file picker offers (the server checks the content again).
const ACCEPT: &str = ".pdf,.doc,.docx,.xls,.xlsx,.jpg,.jpeg,.png";

pub async fn upload(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path(pro_id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> PageResult {
    let rid = &info.request_id;
    let result = match uploaded_file(multipart).await {
        None => Err(AppError::Rejected(Rejection::FieldRequired {
            field: "附件",
        })),
        Some((file_name, bytes)) => state
            .app
            .project_attach(&user.principal, &pro_id, &file_name, &bytes, &info.ctx())
            .await
            .map(|_| ()),
    };
    finish(
        &state,
        &user,
        &pro_id,
        rid,
        result,
        "attached",
        "附件未上传。",
    )
    .await
}

pub async fn delete(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path((pro_id, att_id)): Path<(String, String)>,
) -> PageResult {
    let rid = &info.request_id;
    let result = state
        .app
        .project_detach(&user.principal, &pro_id, &att_id, &info.ctx())
        .await;
    finish(
        &state,
        &user,
        &pro_id,
        rid,
        result,
        "detached",
        "附件未删除。",
    )
    .await
}

/// Back to the detail page: with `?ok=` on success, or the page itself with the reason.
async fn finish(
    state: &AppState,
    user: &CurrentUser,
    pro_id: &str,
    rid: &str,
    result: Result<(), AppError>,
    ok: &str,
    tail: &str,
) -> PageResult {
    match result {
        Ok(()) => Ok(
            Redirect::to(&format!("{}?ok={ok}#attachments", project_href(pro_id))).into_response(),
        ),
        Err(error @ AppError::Rejected(_)) => {
            let (status, _, message, _) = describe(&error, rid);
            render_detail(
                state,
                user,
                pro_id,
                rid,
                status,
                Some(format!("{message}。{tail}")),
            )
            .await
        }
        Err(error) => Err(PageError::new(error, rid)),
    }
}

fn size_text(size_bytes: i64) -> String {
    if size_bytes >= 1024 * 1024 {
        // Tenths of a MB in integers: no float for a size either.
        let tenths = size_bytes * 10 / (1024 * 1024);
        format!("{}.{} MB", tenths / 10, tenths % 10)
    } else {
        format!("{} KB", (size_bytes + 1023) / 1024)
    }
}

/// The section: the files, and the upload form when `may_edit`.
pub fn section(user: &CurrentUser, pro_id: &str, rows: &[AttachmentRow], may_edit: bool) -> Markup {
    let href = project_href(pro_id);
    html! {
        div class="card" id="attachments" {
            h2 { "附件" }
            @if rows.is_empty() {
                p class="muted" { "还没有附件。" @if may_edit { "可上传可行性研究报告、报价单、测算表、现场照片等。" } }
            } @else {
                div class="table-wrap" {
                    table class="data" {
                        thead { tr { th { "文件名" } th { "类型" } th class="num" { "大小" } th { "上传人" } th { "上传时间" } @if may_edit { th { "" } } } }
                        tbody {
                            @for row in rows {
                                tr {
                                    td { a href=(download_href(&row.pro_id, &row.att_id)) download=(row.file_name) { (row.file_name) } }
                                    td class="nowrap" { (FileKind::parse(&row.file_kind).map_or("—", FileKind::label)) }
                                    td class="num nowrap" { (size_text(row.size_bytes)) }
                                    td class="nowrap" { (row.uploaded_by) }
                                    td { (when(Some(&row.uploaded_at))) }
                                    @if may_edit {
                                        td {
                                            form method="post" action=(format!("{href}/attachments/{}/delete", percent_encode(&row.att_id))) class="inline" {
                                                (csrf_field(user))
                                                button type="submit" class="button small danger" data-confirm=(format!("确定删除附件「{}」吗？", row.file_name)) { "删除" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if may_edit {
                form method="post" action=(format!("{href}/attachments")) enctype="multipart/form-data" class="filters upload-form" {
                    (csrf_field(user))
                    label class="field grow" {
                        span class="label" { "选择文件" }
                        input type="file" name=(FILE_FIELD) accept=(ACCEPT) required;
                    }
                    div class="filter-actions" { button type="submit" class="button primary" { "上传附件" } }
                }
                p class="muted small" {
                    "可上传 PDF、Word、Excel 或图片（JPG、PNG），单个文件不超过 " (ATTACHMENT_BYTES_MAX / (1024 * 1024)) " MB，每个项目最多 "
                    (ATTACHMENTS_PER_PROJECT_MAX) " 个。申报后不能再增删附件。"
                }
            }
        }
    }
}
