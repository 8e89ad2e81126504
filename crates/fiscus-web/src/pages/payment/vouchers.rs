//! 支付凭证: the vouchers the viewer may see with their send status and what the bank
//! answered (回单: 实际支付金额, 支付日期, 银行流水号; 退回; 退款; 清算), filtered by state,
//! date and text, paged, exported to Excel; and one voucher's page.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use fiscus_app::payment::query::VoucherView;
use fiscus_core::payment::voucher::VoucherState;
use maud::{Markup, html};

use super::{
    or_dash, pager, pay_bus_type_name, set_mode_name, voucher_badge, voucher_href, when, yuan,
};
use crate::api::payment::voucher_filter;
use crate::context::{PageUser, RequestInfo, percent_encode};
use crate::pages::flow::document_href;
use crate::pages::layout::{self, heading, url};
use crate::pages::ledger::indicator_href;
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
    let params: BTreeMap<String, String> = params.into_iter().collect();
    let filter = voucher_filter(&params).map_err(|e| PageError::new(e, rid))?;
    let page = params
        .get("page")
        .and_then(|p| p.parse::<i64>().ok())
        .filter(|p| (1..=100_000).contains(p))
        .unwrap_or(1);
    let found = state
        .app
        .payment_voucher_page(&user.principal, &filter, page, PAGE_ROWS)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let status = filter.status.map_or("", VoucherState::code);
    let date = filter.vou_date.clone().unwrap_or_default();
    let q = filter.search.clone().unwrap_or_default();
    let href = |page: i64| {
        url(
            "/payment-vouchers",
            &[
                ("status", status),
                ("vou_date", &date),
                ("q", &q),
                ("page", &page.to_string()),
            ],
        )
    };
    let export = url(
        "/payment-vouchers/export.xlsx",
        &[("status", status), ("vou_date", &date), ("q", &q)],
    );
    let n_pages = (found.total as i64 + PAGE_ROWS - 1) / PAGE_ROWS;
    let content = html! {
        (heading(&[("", "支付管理")], "支付凭证", html! { a class="button" href=(export) { "导出 Excel" } }))
        form method="get" action="/payment-vouchers" class="filters" {
            label class="field" { span class="label" { "状态" }
                select name="status" {
                    option value="" { "全部" }
                    @for state in VoucherState::ALL {
                        option value=(state.code()) selected[status == state.code()] { (state.label()) }
                    }
                }
            }
            label class="field" { span class="label" { "凭证日期" } input type="date" name="vou_date" value=(date); }
            label class="field" { span class="label" { "查找" } input type="search" name="q" value=(q) placeholder="凭证号、收款人、单位编码"; }
            button type="submit" class="button" { "查询" }
            @if !status.is_empty() || !date.is_empty() || !q.is_empty() { a class="button ghost" href="/payment-vouchers" { "清除条件" } }
        }
        @if found.rows.is_empty() {
            div class="card empty" { p { "没有符合条件的支付凭证。支付申请审核通过后自动生成凭证。" } }
        } @else {
            div class="table-wrap" {
                table class="data vouchers" {
                    thead { tr {
                        th { "凭证号" } th { "凭证日期" } th { "预算单位" } th { "收款人" } th class="num" { "金额（元）" }
                        th { "状态" } th { "发送时间" } th class="num" { "实际支付（元）" } th { "支付日期" } th { "银行流水号" }
                        th class="num" { "退款（元）" } th { "清算" }
                    } }
                    tbody {
                        @for view in &found.rows { (row(view)) }
                    }
                }
            }
            (pager(
                html! { "共 " strong { (found.total) } " 张 · 第 " (page) " / " (n_pages.max(1)) " 页" },
                (page > 1).then(|| href(page - 1)),
                (page < n_pages).then(|| href(page + 1)),
            ))
        }
    };
    Ok(layout::page(&user, "支付凭证", "/payment-vouchers", content).into_response())
}

fn row(view: &VoucherView) -> Markup {
    let row = &view.row;
    html! {
        tr {
            td class="nowrap" { a href=(voucher_href(&row.pay_cert_id)) class="code" { (row.pay_cert_no) } }
            td class="nowrap" { (row.vou_date) }
            td class="code" { (row.agency_code) }
            td { (or_dash(Some(view.payee_name()))) }
            td class="num" { (yuan(row.pay_amt)) }
            td class="nowrap" {
                (voucher_badge(&row.status))
                @if row.status == VoucherState::Approved.code() && row.send_attempts > 0 {
                    br; span class="small negative" title="发送失败，系统会自动重试" { "已重试 " (row.send_attempts) " 次" }
                }
                @if let Some(reason) = &row.return_text { br; span class="small negative" { (reason) } }
            }
            td { (when(row.sent_at.as_deref())) }
            td class="num" { @match row.xpay_amt { Some(fen) => (yuan(fen)), None => span class="muted" { "—" } } }
            td class="nowrap" { (or_dash(row.xpay_date.as_deref())) }
            td class="code" { (or_dash(row.agent_business_no.as_deref())) }
            td class="num" { @if row.refunded_amt > 0 { (yuan(row.refunded_amt)) } @else { span class="muted" { "—" } } }
            td class="small nowrap" {
                @if let Some(no) = &row.lqd_cert_no { "划款 " span class="code" { (no) } br; }
                @if let Some(no) = &row.lqd_quota_notice_no { "通知 " span class="code" { (no) } }
                @if row.lqd_cert_no.is_none() && row.lqd_quota_notice_no.is_none() { span class="muted" { "未清算" } }
            }
        }
    }
}

pub async fn export(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let rid = &info.request_id;
    let params: BTreeMap<String, String> = params.into_iter().collect();
    let filter = voucher_filter(&params).map_err(|e| PageError::new(e, rid))?;
    let bytes = state
        .app
        .payment_voucher_export(&user.principal, &filter)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    Ok(crate::api::xlsx_file_response(
        "payment-vouchers",
        "支付凭证",
        bytes,
    ))
}

pub async fn detail(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path(pay_cert_id): Path<String>,
) -> PageResult {
    let rid = &info.request_id;
    let view = state
        .app
        .payment_voucher(&user.principal, &pay_cert_id)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let row = &view.row;
    let msg = view.msg.as_ref();
    let title = format!("支付凭证 {}", row.pay_cert_no);
    let line = |label: &str, value: Markup| html! { div class="field-line" { dt { (label) } dd { (value) } } };
    let text = |value: Option<&str>| or_dash(value);
    let actions = html! {
        a class="button primary" href=(format!("/payment-vouchers/{}/print", percent_encode(&row.pay_cert_id))) target="_blank" { "凭证打印" }
        " " a class="button" href=(document_href(&row.pay_app_id)) { "查看支付申请" }
        " " a class="button ghost" href="/payment-vouchers" { "返回凭证列表" }
    };
    let content = html! {
        (heading(&[("/payment-vouchers", "支付凭证")], &title, actions))
        div class="stats" {
            div class="stat" { div class="stat-label" { "凭证金额" } div class="stat-value" { (yuan(row.pay_amt)) } div class="stat-unit" { "元" } }
            div class="stat" { div class="stat-label" { "状态" } div class="stat-value" { (voucher_badge(&row.status)) } }
            div class="stat" { div class="stat-label" { "实际支付金额" } div class="stat-value" { @match row.xpay_amt { Some(fen) => (yuan(fen)), None => span class="muted" { "—" } } } div class="stat-unit" { "元" } }
            @if row.refunded_amt > 0 {
                div class="stat" { div class="stat-label" { "已退款" } div class="stat-value" { (yuan(row.refunded_amt)) } div class="stat-unit" { "元" } }
            }
        }
        div class="card" {
            h2 { "凭证内容" }
            dl class="fields" {
                (line("凭证号", html! { span class="code" { (row.pay_cert_no) } }))
                (line("凭证日期", html! { (row.vou_date) }))
                (line("财政区划 / 年度", html! { (row.mof_div_code) " / " (row.fiscal_year) }))
                (line("预算单位", html! { span class="code" { (row.agency_code) } }))
                (line("指标", html! { a class="code" href=(indicator_href(&row.bgt_id)) { (row.bgt_id) } }))
                (line("付款人", text(msg.map(|m| m.pay_acct_name.as_str()))))
                (line("付款账号 / 开户行", html! { (text(msg.map(|m| m.pay_acct_no.as_str()))) " " (text(msg.map(|m| m.pay_acct_bank_name.as_str()))) }))
                (line("收款人全称", text(msg.map(|m| m.payee_acct_name.as_str()))))
                (line("收款人账号", html! { span class="code" { (text(msg.map(|m| m.payee_acct_no.as_str()))) } }))
                (line("收款人开户银行", text(msg.map(|m| m.payee_acct_bank_name.as_str()))))
                (line("用途", text(msg.map(|m| m.use_des.as_str()))))
                (line("结算方式 / 支付业务类型", html! { (msg.map(|m| set_mode_name(&m.set_mode_code)).unwrap_or_default()) " / " (msg.map(|m| pay_bus_type_name(&m.pay_bus_type_code)).unwrap_or_default()) }))
                (line("采购合同编号", text(msg.map(|m| m.contract_no.as_str()))))
                (line("代理银行", html! { span class="code" { (row.bank_code) } }))
            }
        }
        div class="card" {
            h2 { "发送与银行回单" }
            dl class="fields" {
                (line("发送时间", when(row.sent_at.as_deref())))
                (line("发送次数", html! { (row.send_attempts) }))
                (line("实际支付金额（元）", html! { @match row.xpay_amt { Some(fen) => (yuan(fen)), None => span class="muted" { "—" } } }))
                (line("支付日期", text(row.xpay_date.as_deref())))
                (line("银行交易流水号", html! { span class="code" { (text(row.agent_business_no.as_deref())) } }))
                (line("退回原因", text(row.return_text.as_deref())))
                (line("退款金额（元）", html! { @if row.refunded_amt > 0 { (yuan(row.refunded_amt)) } @else { span class="muted" { "—" } } }))
                (line("清算额度通知单号", text(row.lqd_quota_notice_no.as_deref())))
                (line("划款凭证号", text(row.lqd_cert_no.as_deref())))
                (line("清算日期", text(row.act_lqd_date.as_deref())))
            }
        }
        @if let Some(msg) = msg {
            div class="card" {
                h2 { "电子签章" }
                @if msg.signatures.is_empty() {
                    p class="muted" { "尚无签章。" }
                } @else {
                    table class="data" {
                        thead { tr { th { "签章位置" } th { "签章人" } } }
                        tbody { @for s in &msg.signatures { tr { td { (super::print::position_name(&s.position)) } td { (s.signer) } } } }
                    }
                }
            }
        }
    };
    Ok(layout::page(&user, &title, "/payment-vouchers", content).into_response())
}
