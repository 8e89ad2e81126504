//! 对账 (the treasury division): the mismatches between our vouchers and the agency bank's
//! daily statement for one date (all open ones by default) — kind, our side, the bank's side —
//! and the bank messages that contradicted a voucher (inbox conflicts) awaiting a decision.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::IntoResponse;
use maud::{Markup, html};

use super::when;
use crate::api::payment::is_date;
use crate::context::{PageUser, RequestInfo};
use crate::pages::layout::{self, csrf_field, heading, notice_error};
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

/// 立即对账: reconciles one date now, then shows it.
pub async fn run_now(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    axum::extract::Form(form): axum::extract::Form<HashMap<String, String>>,
) -> PageResult {
    let rid = &info.request_id;
    let date = form
        .get("date")
        .map(|d| d.trim().to_owned())
        .unwrap_or_default();
    if !is_date(&date) {
        return Err(PageError::new(
            fiscus_core::Rejection::FieldInvalid {
                field: "对账日期",
                expected: "YYYY-MM-DD",
            },
            rid,
        ));
    }
    state
        .app
        .payment_reconcile_now(&user.principal, &date)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    Ok(
        axum::response::Redirect::to(&format!("/payments/reconciliation?date={date}"))
            .into_response(),
    )
}

/// The Chinese name of a mismatch kind.
fn kind_name(kind: &str) -> &str {
    match kind {
        "missing_at_bank" => "银行无此笔",
        "missing_here" => "财政无此笔",
        "amount_differs" => "金额不符",
        "status_differs" => "状态不符",
        other => other,
    }
}

fn message_kind_name(kind: &str) -> &str {
    match kind {
        "receipt" => "支付回单",
        "return" => "退回通知",
        "refund_notice" | "refund" => "退款通知",
        "clearing_receipt" => "清算回单",
        "statement" => "对账单",
        other => other,
    }
}

pub async fn page(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let rid = &info.request_id;
    let date = params
        .get("date")
        .map(|d| d.trim().to_owned())
        .unwrap_or_default();
    let bad_date = !date.is_empty() && !is_date(&date);
    let wanted = (!date.is_empty() && !bad_date).then_some(date.as_str());
    let found = state
        .app
        .payment_reconciliation(&user.principal, wanted)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let content = html! {
        (heading(&[("", "支付管理")], "对账", html! {}))
        p class="muted" { "每日将财政的支付凭证与代理银行的对账单逐笔核对。下列为核对不一致的记录；重新对账后已一致的记录会自动消除。" }
        form method="get" action="/payments/reconciliation" class="filters" {
            label class="field" { span class="label" { "对账日期" } input type="date" name="date" value=(date); }
            button type="submit" class="button" { "查询" }
            @if !date.is_empty() { a class="button ghost" href="/payments/reconciliation" { "全部未处理" } }
        }
        @if wanted.is_some() {
            form method="post" action="/payments/reconciliation" class="filters" {
                (csrf_field(&user))
                input type="hidden" name="date" value=(date);
                button type="submit" class="button" { "立即对账" }
                span class="muted small" { " 向代理银行取 " (date) " 的对账单并逐笔核对（每日凌晨自动核对前一日）。" }
            }
        }
        @if bad_date { (notice_error("对账日期的格式应为 YYYY-MM-DD，已显示全部未处理的不一致记录。")) }
        div class="card" {
            h2 { "不一致记录" @if let Some(d) = wanted { "（" (d) "）" } @else { "（全部未处理）" } }
            (items(&found.items))
        }
        div class="card" {
            h2 { "银行报文冲突" }
            p class="muted small" { "银行发来的报文与凭证当前状态矛盾（如已退回的凭证又收到支付回单），系统未作处理，请与代理银行核实。" }
            (conflicts(&found.conflicts))
        }
    };
    Ok(layout::page(&user, "对账", "/payments/reconciliation", content).into_response())
}

fn items(items: &[fiscus_store::bank::ReconItemRow]) -> Markup {
    html! {
        @if items.is_empty() {
            p class="empty-state" { "没有不一致的记录。" }
        } @else {
            div class="table-wrap" {
                table class="data" {
                    thead { tr { th { "对账日期" } th { "凭证号" } th { "不一致类型" } th { "财政记录" } th { "银行记录" } th { "代理银行" } th { "发现时间" } th { "状态" } } }
                    tbody {
                        @for item in items {
                            tr {
                                td class="nowrap" { (item.recon_date) }
                                td class="code" { (item.pay_cert_no) }
                                td { span class="badge danger" { (kind_name(&item.kind)) } }
                                td { (item.ours) }
                                td { (item.theirs) }
                                td class="code" { (item.bank_code) }
                                td { (when(Some(&item.found_at))) }
                                td { @if item.resolved_at.is_some() { span class="badge ok" { "已消除" } } @else { span class="badge warn" { "未处理" } } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn conflicts(rows: &[fiscus_store::bank::InboxRow]) -> Markup {
    html! {
        @if rows.is_empty() {
            p class="empty-state" { "没有待核实的冲突报文。" }
        } @else {
            div class="table-wrap" {
                table class="data" {
                    thead { tr { th { "收到时间" } th { "报文类型" } th { "凭证 / 单号" } th { "发送方" } th { "说明" } th { "报文编号" } } }
                    tbody {
                        @for row in rows {
                            tr {
                                td { (when(Some(&row.received_at))) }
                                td { (message_kind_name(&row.kind)) }
                                td class="code" { (row.subject) }
                                td class="code" { (row.sender) }
                                td { (row.detail) }
                                td class="code small muted" { (row.msg_id) }
                            }
                        }
                    }
                }
            }
        }
    }
}
