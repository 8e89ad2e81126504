//! The 会计核算 pages: 凭证管理 (list, detail with 审核 / 记账 / 红字冲销, print) in
//! `vouchers`, 新增凭证 in `entry`, and 总账, 明细账, 科目余额表 and 月末结账 in `books`.
//! Shared here: which books a user keeps or may read, the book chooser of every filter bar,
//! money in 元 with 借/贷 direction, state badges, navigation.

mod books;
mod entry;
mod vouchers;

use std::collections::HashMap;

use axum::routing::{get, post};
use fiscus_core::accounting::{BookType, VoucherState};
use fiscus_core::{Action, Fen, Principal, Rejection, Resource};
use fiscus_store::accounting::BookKey;
use maud::{Markup, html};

use crate::context::percent_encode;
use crate::state::AppState;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/accounting/vouchers", get(vouchers::list))
        .route(
            "/accounting/vouchers/new",
            get(entry::new_form).post(entry::create),
        )
        .route("/accounting/vouchers/{voucher_id}", get(vouchers::detail))
        .route(
            "/accounting/vouchers/{voucher_id}/review",
            post(vouchers::review),
        )
        .route(
            "/accounting/vouchers/{voucher_id}/post",
            post(vouchers::post_voucher),
        )
        .route(
            "/accounting/vouchers/{voucher_id}/reverse",
            post(vouchers::reverse),
        )
        .route("/accounting/ledger/general", get(books::general_ledger))
        .route(
            "/accounting/ledger/subsidiary",
            get(books::subsidiary_ledger),
        )
        .route("/accounting/trial-balance", get(books::trial_balance))
        .route("/accounting/periods", get(books::periods))
        .route("/accounting/periods/close", post(books::close_period))
}

/// The books `principal` writes: a unit clerk its unit's two, the treasury division its
/// region's 财政总会计.
pub fn own_book_types(principal: &Principal) -> Vec<BookType> {
    BookType::ALL
        .into_iter()
        .filter(|book_type| fiscus_app::accounting::book_for_writer(principal, *book_type).is_ok())
        .collect()
}

/// Whether `principal` keeps any book (may enter vouchers and close months).
pub fn is_writer(principal: &Principal) -> bool {
    !own_book_types(principal).is_empty()
}

/// The navigation links of the 会计核算 group that `principal` may use.
pub fn nav_links(principal: &Principal) -> Vec<(&'static str, &'static str)> {
    if !principal.can(Action::Read, Resource::Accounting) {
        return Vec::new();
    }
    let mut links = vec![("/accounting/vouchers", "凭证管理")];
    if is_writer(principal) {
        links.push(("/accounting/vouchers/new", "新增凭证"));
    }
    links.push(("/accounting/ledger/general", "总账"));
    links.push(("/accounting/ledger/subsidiary", "明细账"));
    links.push(("/accounting/trial-balance", "科目余额表"));
    links.push(("/accounting/periods", "月末结账"));
    links
}

/// The book types offered in a chooser: a unit user's two books; a bureau user (the
/// treasury, an auditor) every type, the unit books then naming a unit.
pub fn book_types_offered(principal: &Principal) -> Vec<BookType> {
    if principal.agency_code().is_some() {
        vec![BookType::UnitFinancial, BookType::UnitBudget]
    } else {
        BookType::ALL.to_vec()
    }
}

/// The book type a page shows when the request names none: the user's first own book, or
/// the first offered.
pub fn default_book_type(principal: &Principal) -> BookType {
    own_book_types(principal)
        .into_iter()
        .next()
        .or_else(|| book_types_offered(principal).into_iter().next())
        .unwrap_or(BookType::FiscalGeneral)
}

/// The query with the default book type filled in.
pub fn with_defaults(
    principal: &Principal,
    mut params: HashMap<String, String>,
) -> HashMap<String, String> {
    if params.get("book_type").is_none_or(|t| t.trim().is_empty()) {
        params.insert(
            "book_type".to_owned(),
            default_book_type(principal).code().to_owned(),
        );
    }
    if params
        .get("fiscal_year")
        .is_none_or(|t| t.trim().is_empty())
    {
        params.insert("fiscal_year".to_owned(), this_year().to_string());
    }
    params
}

/// The book a page's query names (see `api::accounting::book_of`).
pub fn book_of(
    principal: &Principal,
    params: &HashMap<String, String>,
) -> Result<BookKey, Rejection> {
    crate::api::accounting::book_of(principal, params)
}

/// Today in UTC, `YYYY-MM-DD`.
pub fn today() -> String {
    fiscus_store::audit::now().chars().take(10).collect()
}

pub fn this_year() -> i32 {
    today()
        .get(0..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or(fiscus_app::accounting::SHIPPED_CHART_YEAR)
}

/// The name of a book: `单位预算会计 · 660100101001`.
pub fn book_name(book: &BookKey) -> String {
    let type_name =
        BookType::parse(&book.book_type).map_or(book.book_type.as_str(), |t| t.name_zh());
    match &book.agency_code {
        Some(agency_code) => format!("{type_name} · 单位 {agency_code}"),
        None => format!("{type_name} · 区划 {}", book.mof_div_code),
    }
}

/// The filter-bar fields that choose a book: its type and, for a bureau user, the region
/// and the unit (empty: the user's own region).
pub fn book_fields(
    principal: &Principal,
    params: &HashMap<String, String>,
    autosubmit: bool,
) -> Markup {
    let chosen = params
        .get("book_type")
        .map(String::as_str)
        .unwrap_or_default();
    let value = |name: &str| params.get(name).cloned().unwrap_or_default();
    html! {
        label class="field" { span class="label" { "账套" }
            select name="book_type" data-autosubmit[autosubmit] {
                @for book_type in book_types_offered(principal) {
                    option value=(book_type.code()) selected[chosen == book_type.code()] { (book_type.name_zh()) }
                }
            }
        }
        @if principal.agency_code().is_none() {
            label class="field" { span class="label" { "财政区划" }
                input type="text" name="mof_div_code" value=(value("mof_div_code")) placeholder=(principal.mof_div_code().to_string()) size="10";
            }
            label class="field" { span class="label" { "单位代码（单位账套）" }
                input type="text" name="agency_code" value=(value("agency_code")) placeholder="查单位账套时必填" size="14";
            }
        }
    }
}

/// The year field of a filter bar.
pub fn year_field(params: &HashMap<String, String>) -> Markup {
    let year = params.get("fiscal_year").cloned().unwrap_or_default();
    html! {
        label class="field" { span class="label" { "会计年度" }
            input type="number" name="fiscal_year" value=(year) min="2000" max="2100" class="w-year";
        }
    }
}

/// The book's part of a link: type, region and unit as the query named them.
pub fn book_query(params: &HashMap<String, String>) -> Vec<(&'static str, String)> {
    ["book_type", "mof_div_code", "agency_code", "fiscal_year"]
        .into_iter()
        .map(|name| (name, params.get(name).cloned().unwrap_or_default()))
        .collect()
}

pub fn voucher_href(voucher_id: &str) -> String {
    format!("/accounting/vouchers/{}", percent_encode(voucher_id))
}

/// 元 with two decimals; a negative amount in red (红字).
pub fn yuan(fen: i64) -> Markup {
    html! { span class=(if fen < 0 { "num negative" } else { "num" }) { (Fen(fen).to_yuan_string()) } }
}

/// An amount cell that stays empty when zero (the other side of a line).
pub fn yuan_or_blank(fen: i64) -> Markup {
    if fen == 0 {
        html! {}
    } else {
        yuan(fen)
    }
}

/// A balance as 借 / 贷 / 平 and its size.
pub fn direction_of(balance_fen: i64) -> &'static str {
    match balance_fen {
        0 => "平",
        b if b > 0 => "借",
        _ => "贷",
    }
}

pub fn balance_abs(balance_fen: i64) -> Markup {
    html! { span class="num" { (Fen(balance_fen.saturating_abs()).to_yuan_string()) } }
}

pub fn state_badge(code: &str) -> Markup {
    match VoucherState::from_code(code) {
        Some(VoucherState::Draft) => html! { span class="badge off" { "未审核" } },
        Some(VoucherState::Reviewed) => html! { span class="badge info" { "已审核" } },
        Some(VoucherState::Posted) => html! { span class="badge ok" { "已记账" } },
        None => html! { span class="badge off" { (code) } },
    }
}

/// `2026 年 3 月`.
pub fn month_label(fiscal_year: i64, period: i64) -> String {
    format!("{fiscal_year} 年 {period} 月")
}

/// A column's sum, computed in i128; beyond i64 it shows as the largest amount.
pub fn sum_fen(amounts: impl IntoIterator<Item = i64>) -> i64 {
    let sum: i128 = amounts.into_iter().map(i128::from).sum();
    i64::try_from(sum).unwrap_or(if sum < 0 { i64::MIN } else { i64::MAX })
}
