//! 批量录入: many payees from one Excel sheet through `App::payment_batch`. Every row is
//! created (and sent for approval when asked) or none is; refused rows are listed with their
//! row number and reason.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use fiscus_app::AppError;
use fiscus_app::import::RowError;
use fiscus_core::Rejection;
use fiscus_core::query::IMPORT_ROWS_MAX;
use maud::{Markup, html};

use super::{is_treasury, is_unit_clerk};
use crate::context::{CurrentUser, PageUser, RequestInfo};
use crate::error::describe;
use crate::pages::layout::{self, csrf_field, heading, notice_error, notice_ok};
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

const TEMPLATE: &str = "/api/v1/payments/import-template.xlsx";

fn require_writer(user: &CurrentUser, rid: &str) -> Result<(), PageError> {
    if is_unit_clerk(&user.principal) || is_treasury(&user.principal) {
        Ok(())
    } else {
        Err(PageError::new(Rejection::Forbidden, rid))
    }
}

pub async fn form(PageUser(user): PageUser, info: RequestInfo) -> PageResult {
    require_writer(&user, &info.request_id)?;
    Ok(page(&user, html! { (instructions()) (upload_form(&user)) }).into_response())
}

pub async fn upload(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    multipart: Result<Multipart, MultipartRejection>,
) -> PageResult {
    let rid = &info.request_id;
    require_writer(&user, rid)?;
    let (bytes, submit) = read_form(multipart).await;
    let Some(bytes) = bytes else {
        let content = html! {
            (notice_error("请选择要上传的 Excel 文件（.xlsx）。"))
            (instructions()) (upload_form(&user))
        };
        return Ok((StatusCode::BAD_REQUEST, page(&user, content)).into_response());
    };
    let result = match fiscus_app::payment::read_payment_sheet(&bytes) {
        Ok(rows) => {
            state
                .app
                .payment_batch(&user.principal, rows, submit, &info.ctx())
                .await
        }
        Err(rejection) => Err(rejection.into()),
    };
    match result {
        Ok(report) if report.errors.is_empty() => {
            let done = if submit {
                "已全部送审"
            } else {
                "已保存为草稿，可在「我的支付申请」中逐笔送审"
            };
            let content = html! {
                (notice_ok(&format!("已录入 {} 笔支付申请，{done}。", report.pay_app_ids.len())))
                p { a class="button primary" href="/payments" { "查看我的支付申请" } " " a class="button" href="/payments/batch" { "继续批量录入" } }
            };
            Ok(page(&user, content).into_response())
        }
        Ok(report) => {
            let content = html! { (refused_rows(&report.errors)) (upload_form(&user)) };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page(&user, content)).into_response())
        }
        Err(error @ AppError::Rejected(_)) => {
            let (status, _, message, _) = describe(&error, rid);
            let content = html! {
                (notice_error(&format!("{message}。文件未录入。")))
                (instructions()) (upload_form(&user))
            };
            Ok((status, page(&user, content)).into_response())
        }
        Err(error) => Err(PageError::new(error, rid)),
    }
}

/// The file's bytes (`None` when no file came) and whether to send everything for approval.
async fn read_form(multipart: Result<Multipart, MultipartRejection>) -> (Option<Vec<u8>>, bool) {
    let Ok(mut multipart) = multipart else {
        return (None, false);
    };
    let (mut bytes, mut submit) = (None, false);
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name() {
            Some("file") => {
                bytes = field
                    .bytes()
                    .await
                    .ok()
                    .filter(|b| !b.is_empty())
                    .map(|b| b.to_vec());
            }
            Some("submit") => submit = field.text().await.is_ok_and(|t| t == "1"),
            _ => {}
        }
    }
    (bytes, submit)
}

fn page(user: &CurrentUser, content: Markup) -> Markup {
    let actions = html! { a class="button" href=(TEMPLATE) { "下载录入模板" } };
    layout::page(
        user,
        "批量录入支付申请",
        "/payments/batch",
        html! { (heading(&[("/payments", "支付管理")], "批量录入支付申请", actions)) (content) },
    )
}

fn instructions() -> Markup {
    html! {
        div class="card" {
            h2 { "如何批量录入" }
            ol class="steps" {
                li { "下载 " a href=(TEMPLATE) { "支付申请批量录入模板" } "（Excel 文件）。" }
                li { "从第 2 行起每行填写一笔：指标主键（在「支付申请录入」页的指标列表中可见）、收款人全称、账号、开户银行、金额（元）、用途；结算方式和支付业务类型填代码，不填为 1（电子转账支付 / 普通业务）；政府采购指标须填采购合同编号。" }
                li { "保存文件，在下方选择该文件并点击「上传并录入」。" }
            }
            p class="hint" {
                "规则与逐笔录入相同。只要有一行有错，整个文件都不录入，并列出每一行的错误；修改后重新上传整个文件即可。"
                "一个文件最多 " (IMPORT_ROWS_MAX) " 行、不超过 8 MB。"
            }
        }
    }
}

fn upload_form(user: &CurrentUser) -> Markup {
    html! {
        form method="post" action="/payments/batch" enctype="multipart/form-data" class="card record-form" {
            (csrf_field(user))
            label class="field" {
                span class="label" { "Excel 文件（.xlsx）" span class="req" { " *" } }
                input type="file" name="file" accept=".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
            }
            label class="check" { input type="checkbox" name="submit" value="1"; " 录入后全部送审（预占指标）" }
            div class="form-actions" {
                button type="submit" class="button primary" { "上传并录入" }
                " " a class="button ghost" href="/payments" { "取消" }
            }
        }
    }
}

fn refused_rows(errors: &[RowError]) -> Markup {
    html! {
        (notice_error(&format!("有 {} 行未通过检查，整个文件都没有录入。请修改下列各行后重新上传。", errors.len())))
        div class="table-wrap" {
            table class="data" {
                thead { tr { th { "行号" } th { "字段" } th { "错误说明" } } }
                tbody {
                    @for error in errors {
                        tr {
                            td class="num" { (error.row) }
                            td { (error.rejection.field().unwrap_or("—")) }
                            td { (error.rejection.message()) }
                        }
                    }
                }
            }
        }
    }
}
