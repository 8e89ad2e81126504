//! 我的支付申请 (a unit clerk) / 支付申请查询 (finance): the applications the viewer may
//! see, newest first, with their state, filtered by state and paged, each linked to its flow
//! document and, once approved, to its voucher.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::IntoResponse;
use fiscus_core::payment::application::ApplicationState;
use maud::html;

use super::{application_badge, is_unit_clerk, pager, voucher_href, yuan};
use crate::api::payment::application_status;
use crate::context::{PageUser, RequestInfo};
use crate::pages::flow::document_href;
use crate::pages::layout::{self, heading, url};
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

const PAGE_ROWS: i64 = 20;

pub async fn list(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let rid = &info.request_id;
    let status = application_status(params.get("status")).map_err(|e| PageError::new(e, rid))?;
    let status_text = status.clone().unwrap_or_default();
    let page = params
        .get("page")
        .and_then(|p| p.parse::<i64>().ok())
        .filter(|p| (1..=100_000).contains(p))
        .unwrap_or(1);
    let (rows, has_more) = state
        .app
        .payment_application_page(&user.principal, status.as_deref(), page, PAGE_ROWS)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let clerk = is_unit_clerk(&user.principal);
    let title = if clerk {
        "我的支付申请"
    } else {
        "支付申请查询"
    };
    let href = |page: i64| {
        url(
            "/payments",
            &[("status", &status_text), ("page", &page.to_string())],
        )
    };
    let actions = html! {
        @if clerk || super::is_treasury(&user.principal) {
            a class="button primary" href="/payments/new" { "新增支付申请" }
            " "
            a class="button" href="/payments/batch" { "批量录入" }
        }
    };
    let content = html! {
        (heading(&[("", "支付管理")], title, actions))
        div class="tabs" {
            a href="/payments" class=[status_text.is_empty().then_some("active")] { "全部" }
            @for state in ApplicationState::ALL {
                a href=(url("/payments", &[("status", state.code())])) class=[(status_text == state.code()).then_some("active")] { (state.label()) }
            }
        }
        @if rows.is_empty() {
            div class="card empty" {
                p { @if status_text.is_empty() { "还没有支付申请。" } @else { "没有这个状态的支付申请。" } }
                @if clerk { p { a class="button primary" href="/payments/new" { "录入第一笔支付申请" } } }
            }
        } @else {
            div class="table-wrap" {
                table class="data" {
                    thead { tr {
                        th { "申请编号" } th { "申请日期" } th { "收款人" } th { "用途" } th class="num" { "金额（元）" } th { "状态" } th { "凭证" }
                    } }
                    tbody {
                        @for view in &rows {
                            @let row = &view.row;
                            tr {
                                td class="nowrap" {
                                    a href=(document_href(&row.pay_app_id)) { (row.pay_app_no) }
                                    @if row.is_proxy { " " span class="tag" title="财政代编" { "代编" } }
                                }
                                td class="nowrap" { (row.create_date) }
                                td { (row.payee_acct_name) br; span class="muted small code" { (row.payee_acct_no) } }
                                td { (row.use_des) }
                                td class="num" { (yuan(row.pay_app_amt)) }
                                td { (application_badge(&row.status)) }
                                td class="nowrap" {
                                    @match &row.pay_cert_id {
                                        Some(id) => a href=(voucher_href(id)) { "查看凭证" },
                                        None => span class="muted" { "—" },
                                    }
                                    @if ApplicationState::from_code(&row.status).is_some_and(ApplicationState::is_editable) && row.created_by == user.principal.user_name.as_str() {
                                        " " a href=(format!("/payments/{}/edit", crate::context::percent_encode(&row.pay_app_id))) { "修改" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            (pager(
                html! { "第 " (page) " 页，每页 " (PAGE_ROWS) " 条" },
                (page > 1).then(|| href(page - 1)),
                has_more.then(|| href(page + 1)),
            ))
        }
    };
    Ok(layout::page(&user, title, "/payments", content).into_response())
}
