//! The 支付管理 pages: 支付申请录入 with the indicator picker (`entry`), 批量录入 (`batch`),
//! 我的支付申请 (`applications`), 支付凭证 with the printable voucher (`vouchers`, `print`),
//! 对账 (`reconciliation`), and the readable card of a payment application on the flow
//! document page and in 待办 (`render`). Shared here: state badges, money, navigation.

mod applications;
mod batch;
mod entry;
pub(crate) mod print;
mod reconciliation;
pub(crate) mod render;
mod vouchers;

use axum::routing::get;
use fiscus_core::payment::application::{ApplicationState, PAY_BUS_TYPE_CODES, SET_MODE_CODES};
use fiscus_core::payment::voucher::VoucherState;
use fiscus_core::{Fen, Principal, Role};
use maud::{Markup, html};

use crate::context::percent_encode;
use crate::state::AppState;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/payments", get(applications::list))
        .route("/payments/new", get(entry::new_form).post(entry::create))
        .route("/payments/batch", get(batch::form).post(batch::upload))
        .route(
            "/payments/reconciliation",
            get(reconciliation::page).post(reconciliation::run_now),
        )
        .route(
            "/payments/{pay_app_id}/edit",
            get(entry::edit_form).post(entry::update),
        )
        .route("/payment-vouchers", get(vouchers::list))
        .route("/payment-vouchers/export.xlsx", get(vouchers::export))
        .route("/payment-vouchers/{pay_cert_id}", get(vouchers::detail))
        .route("/payment-vouchers/{pay_cert_id}/print", get(print::page))
}

/// A unit clerk of a unit enters applications for it.
pub fn is_unit_clerk(principal: &Principal) -> bool {
    principal.roles.contains(Role::UnitClerk) && principal.agency_code().is_some()
}

/// The treasury division (国库处) writes on a unit's behalf (代编) and sends and reconciles.
pub fn is_treasury(principal: &Principal) -> bool {
    principal.roles.contains(Role::TreasuryDivision)
}

/// The navigation links of the 支付管理 group that `principal` may use.
pub fn nav_links(principal: &Principal) -> Vec<(&'static str, &'static str)> {
    let mut links = Vec::new();
    if is_unit_clerk(principal) {
        links.push(("/payments/new", "支付申请录入"));
        links.push(("/payments/batch", "批量录入"));
        links.push(("/payments", "我的支付申请"));
        links.push(("/payment-vouchers", "支付凭证"));
    } else if is_treasury(principal) {
        links.push(("/payments", "支付申请查询"));
        links.push(("/payments/new", "代编支付申请"));
        links.push(("/payment-vouchers", "支付凭证"));
        links.push(("/payments/reconciliation", "对账"));
    }
    links
}

pub fn voucher_href(pay_cert_id: &str) -> String {
    format!("/payment-vouchers/{}", percent_encode(pay_cert_id))
}

/// 元 with two decimals and the unit.
pub fn yuan(fen: i64) -> Markup {
    html! { span class="num" { (Fen(fen).to_yuan_string()) } }
}

pub fn application_badge(code: &str) -> Markup {
    let Some(state) = ApplicationState::from_code(code) else {
        return html! { span class="badge off" { (code) } };
    };
    let class = match state {
        ApplicationState::Draft => "badge off",
        ApplicationState::InReview => "badge info",
        ApplicationState::Returned => "badge warn",
        ApplicationState::Approved => "badge info",
        ApplicationState::Paid => "badge ok",
        ApplicationState::Rejected | ApplicationState::Cancelled => "badge danger",
    };
    html! { span class=(class) { (state.label()) } }
}

pub fn voucher_badge(code: &str) -> Markup {
    let Some(state) = VoucherState::from_code(code) else {
        return html! { span class="badge off" { (code) } };
    };
    let class = match state {
        VoucherState::Approved => "badge off",
        VoucherState::Sent => "badge info",
        VoucherState::Paid => "badge ok",
        VoucherState::Returned => "badge danger",
        VoucherState::Refunded | VoucherState::PartlyRefunded => "badge warn",
    };
    html! { span class=(class) { (state.label()) } }
}

/// `1 电子转账支付`, or the bare code.
pub fn set_mode_name(code: &str) -> String {
    code_name(&SET_MODE_CODES, code)
}

pub fn pay_bus_type_name(code: &str) -> String {
    code_name(&PAY_BUS_TYPE_CODES, code)
}

fn code_name(codes: &[(&str, &str)], code: &str) -> String {
    codes
        .iter()
        .find(|(c, _)| *c == code)
        .map_or_else(|| code.to_owned(), |(_, name)| (*name).to_owned())
}

/// A stored time as Beijing time, or a dash.
pub fn when(stamp: Option<&str>) -> Markup {
    match stamp.filter(|s| !s.is_empty()) {
        Some(stamp) => {
            html! { span class="nowrap" { (crate::pages::format::beijing_time(stamp)) } }
        }
        None => html! { span class="muted" { "—" } },
    }
}

/// Text or a dash.
pub fn or_dash(text: Option<&str>) -> Markup {
    match text.filter(|s| !s.is_empty()) {
        Some(text) => html! { (text) },
        None => html! { span class="muted" { "—" } },
    }
}

/// 上一页 / 下一页 links under a list.
pub fn pager(summary: Markup, prev: Option<String>, next: Option<String>) -> Markup {
    html! {
        div class="pager" {
            span { (summary) }
            span class="pager-links" {
                @if let Some(href) = prev { a href=(href) rel="prev" { "‹ 上一页" } } @else { span class="disabled" { "‹ 上一页" } }
                @if let Some(href) = next { a href=(href) rel="next" { "下一页 ›" } } @else { span class="disabled" { "下一页 ›" } }
            }
        }
    }
}
