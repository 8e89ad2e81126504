//! The import page of any record kind (`/{entity}/import`): how to fill the template, the
//! link to download it, and the upload form; after an upload, either how many records were
//! imported, or the refused rows (行号 / 字段 / 错误说明) and that nothing was imported.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use fiscus_app::AppError;
use fiscus_app::import::{ImportReport, RowError};
use fiscus_core::Rejection;
use fiscus_core::query::IMPORT_ROWS_MAX;
use fiscus_core::schema::EntitySpec;
use maud::{Markup, html};

use super::{can_write, module_of};
use crate::context::{CurrentUser, PageUser, RequestInfo};
use crate::error::describe;
use crate::pages::layout::{self, csrf_field, heading, notice_error, notice_ok};
use crate::pages::{PageError, PageResult, spec_of};
use crate::state::AppState;

/// The name of the file input of the upload form.
const FILE_FIELD: &str = "file";

pub async fn import_form(
    PageUser(user): PageUser,
    info: RequestInfo,
    Path(entity): Path<String>,
) -> PageResult {
    let spec = writable_spec(&user, &entity, &info.request_id)?;
    Ok(page(
        &user,
        spec,
        html! { (instructions(spec)) (upload_form(&user, spec)) },
    )
    .into_response())
}

pub async fn import_upload(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path(entity): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> PageResult {
    let rid = &info.request_id;
    let spec = writable_spec(&user, &entity, rid)?;
    let bytes = match uploaded_file(multipart).await {
        Some(bytes) => bytes,
        None => {
            let content = html! {
                (notice_error("请选择要上传的 Excel 文件（.xlsx）。"))
                (instructions(spec))
                (upload_form(&user, spec))
            };
            return Ok((StatusCode::BAD_REQUEST, page(&user, spec, content)).into_response());
        }
    };
    match state
        .app
        .import_xlsx(&user.principal, spec, &bytes, &info.ctx())
        .await
    {
        Ok(report) if report.errors.is_empty() => {
            Ok(page(&user, spec, imported(spec, &report)).into_response())
        }
        Ok(report) => {
            let content = html! { (refused_rows(&report.errors)) (upload_form(&user, spec)) };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page(&user, spec, content)).into_response())
        }
        Err(error @ AppError::Rejected(_)) => {
            // The file as a whole was refused (not an .xlsx, an unknown column, too many rows).
            let (status, _, message, _) = describe(&error, rid);
            let content = html! {
                (notice_error(&format!("{message}。文件未导入。")))
                (instructions(spec))
                (upload_form(&user, spec))
            };
            Ok((status, page(&user, spec, content)).into_response())
        }
        Err(error) => Err(PageError::new(error, rid)),
    }
}

fn writable_spec(
    user: &CurrentUser,
    entity: &str,
    request_id: &str,
) -> Result<&'static EntitySpec, PageError> {
    let spec = spec_of(entity, request_id)?;
    if can_write(&user.principal, spec) {
        Ok(spec)
    } else {
        Err(PageError::new(Rejection::Forbidden, request_id))
    }
}

/// The bytes of the uploaded file, or `None` when the form carried none (or was no form).
async fn uploaded_file(multipart: Result<Multipart, MultipartRejection>) -> Option<Vec<u8>> {
    let mut multipart = multipart.ok()?;
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some(FILE_FIELD) {
            let bytes = field.bytes().await.ok()?;
            return (!bytes.is_empty()).then(|| bytes.to_vec());
        }
    }
    None
}

fn page(user: &CurrentUser, spec: &EntitySpec, content: Markup) -> Markup {
    let list_href = format!("/{}", spec.name);
    let title = format!("导入{}", spec.label);
    let template = format!("/api/v1/{}/import-template.xlsx", spec.name);
    let actions = html! { a class="button" href=(template) { "下载导入模板" } };
    let trail = [("", module_of(spec)), (list_href.as_str(), spec.label)];
    layout::page(
        user,
        &title,
        &list_href,
        html! { (heading(&trail, &title, actions)) (content) },
    )
}

fn instructions(spec: &EntitySpec) -> Markup {
    let template = format!("/api/v1/{}/import-template.xlsx", spec.name);
    html! {
        div class="card" {
            h2 { "如何导入" }
            ol class="steps" {
                li { "下载 " a href=(template) { (spec.label) "导入模板" } "（Excel 文件）。" }
                li { "在第 1 张工作表中从第 2 行起每行填写一条" (spec.label) "；表头带 * 的列必须填写，各列的填写要求和示例编码见模板中的「说明」工作表。金额以元为单位。" }
                li { "保存文件，在下方选择该文件并点击「上传并导入」。" }
            }
            p class="hint" {
                "系统逐行检查，与逐条新增的规则相同。只要有一行有错，整个文件都不导入，并列出每一行的错误，修改后重新上传整个文件即可。"
                "一个文件最多 " (IMPORT_ROWS_MAX) " 行数据、不超过 8 MB。"
            }
        }
    }
}

fn upload_form(user: &CurrentUser, spec: &EntitySpec) -> Markup {
    html! {
        // The CSRF field comes first: the server reads it before the file.
        form method="post" action=(format!("/{}/import", spec.name)) enctype="multipart/form-data" class="card record-form" {
            (csrf_field(user))
            div class="field" {
                label class="label" for="f-file" { "Excel 文件" span class="req" { "*" } }
                input type="file" id="f-file" name=(FILE_FIELD) required
                    accept=".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
                span class="hint" { "仅支持 .xlsx 格式（Excel 2007 及以后版本）" }
            }
            div class="form-actions" {
                button type="submit" class="button primary" { "上传并导入" }
                " "
                a class="button ghost" href=(format!("/{}", spec.name)) { "返回列表" }
            }
        }
    }
}

fn imported(spec: &EntitySpec, report: &ImportReport) -> Markup {
    let list_href = format!("/{}", spec.name);
    html! {
        (notice_ok(&format!("成功导入 {} 条{}。", report.n_imported, spec.label)))
        p class="actions" {
            a class="button primary" href=(list_href) { "查看" (spec.label) "列表" }
            a class="button" href=(format!("/{}/import", spec.name)) { "继续导入" }
        }
    }
}

fn refused_rows(errors: &[RowError]) -> Markup {
    html! {
        (notice_error(&format!("文件中有 {} 行错误，全部未导入，请修改后重新上传。", errors.len())))
        div class="card table-card" {
            div class="table-scroll" {
                table class="data" {
                    thead { tr { th class="num" { "行号" } th { "字段" } th { "错误说明" } } }
                    tbody {
                        @for error in errors {
                            tr {
                                td class="num" { (error.row) }
                                td class="nowrap" { (error.rejection.field().unwrap_or("—")) }
                                td { (error.rejection.message()) }
                            }
                        }
                    }
                }
            }
        }
    }
}
