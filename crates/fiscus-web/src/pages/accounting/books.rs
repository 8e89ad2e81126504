//! The books as read: 总账 (an account's twelve months), 明细账 (its posted lines with the
//! running balance and 借/贷), 科目余额表 / 试算平衡表 (per account: opening, the month's
//! debits and credits, closing, each balance on its 借 or 贷 side, the totals row and a
//! 平衡 / 不平衡 banner), and 月末结账 (the twelve months of a book-year, unposted counts,
//! 结账 of the next open month). Only posted vouchers count.

use std::collections::HashMap;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect};
use fiscus_core::Rejection;
use fiscus_core::accounting::BookType;
use fiscus_store::accounting::{AccountRow, BookKey};
use maud::{Markup, html};

use super::{
    balance_abs, book_fields, book_name, book_of, book_query, direction_of, month_label, sum_fen,
    voucher_href, with_defaults, year_field, yuan, yuan_or_blank,
};
use crate::api::accounting::{number, text, year_of};
use crate::context::{CurrentUser, PageUser, RequestInfo};
use crate::error::describe;
use crate::pages::layout::{self, csrf_field, heading, notice_error, notice_ok, url};
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

/// The book and year of a page's query, or the refusal to show above the filter bar.
fn book_and_year(
    user: &CurrentUser,
    params: &HashMap<String, String>,
) -> Result<(BookKey, i32), Rejection> {
    Ok((book_of(&user.principal, params)?, year_of(params)?))
}

/// The leaf accounts of the book's chart (the ones that take entries).
async fn leaves(
    state: &AppState,
    user: &CurrentUser,
    book: &BookKey,
    year: i32,
) -> Result<Vec<AccountRow>, fiscus_app::AppError> {
    Ok(state
        .app
        .accounting_chart(&user.principal, &book.book_type, year)
        .await?
        .into_iter()
        .filter(|a| a.is_leaf)
        .collect())
}

fn account_field(accounts: &[AccountRow], chosen: &str) -> Markup {
    html! {
        label class="field" { span class="label" { "会计科目" }
            select name="account_code" {
                option value="" { "请选择科目" }
                @for a in accounts {
                    option value=(a.account_code) selected[a.account_code == chosen] { (a.account_code) " " (a.account_name) }
                }
            }
        }
    }
}

/// The filter bar of a ledger page, with the extra fields of that page.
fn filter_bar(
    user: &CurrentUser,
    action: &str,
    params: &HashMap<String, String>,
    extra: Markup,
) -> Markup {
    html! {
        form method="get" action=(action) class="card filters no-print" {
            (book_fields(&user.principal, params, false))
            (year_field(params))
            (extra)
            button type="submit" class="button" { "查询" }
        }
    }
}

fn print_button() -> Markup {
    html! { button type="button" class="button" data-print { "打印" } }
}

/// A refusal of the query (a unit book without a unit, say): the page with the message.
fn refusal(
    user: &CurrentUser,
    title: &str,
    active: &str,
    bar: Markup,
    message: &str,
) -> PageResult {
    let content = html! {
        (heading(&[("", "会计核算")], title, html! {}))
        (bar)
        (notice_error(message))
    };
    let mut response = layout::page(user, title, active, content).into_response();
    *response.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    Ok(response)
}

pub async fn general_ledger(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    ledger_page(state, user, info, params, false).await
}

pub async fn subsidiary_ledger(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    ledger_page(state, user, info, params, true).await
}

async fn ledger_page(
    state: AppState,
    user: CurrentUser,
    info: RequestInfo,
    params: HashMap<String, String>,
    subsidiary: bool,
) -> PageResult {
    let rid = &info.request_id;
    let params = with_defaults(&user.principal, params);
    let (title, action) = match subsidiary {
        true => ("明细账", "/accounting/ledger/subsidiary"),
        false => ("总账", "/accounting/ledger/general"),
    };
    let chosen = text(&params, "account_code").unwrap_or("").to_owned();
    let (book, year) = match book_and_year(&user, &params) {
        Ok(found) => found,
        Err(rejection) => {
            let bar = filter_bar(&user, action, &params, html! {});
            return refusal(&user, title, action, bar, &rejection.message());
        }
    };
    let accounts = leaves(&state, &user, &book, year)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let account_name = accounts
        .iter()
        .find(|a| a.account_code == chosen)
        .map(|a| a.account_name.clone())
        .unwrap_or_default();
    let bar = filter_bar(&user, action, &params, account_field(&accounts, &chosen));
    let body = if chosen.is_empty() {
        html! { div class="card empty" { p { "请选择账套、年度和会计科目后点击「查询」。" } } }
    } else if subsidiary {
        let rows = state
            .app
            .accounting_subsidiary_ledger(&user.principal, &book, year, &chosen)
            .await
            .map_err(|e| PageError::new(e, rid))?;
        let debit = sum_fen(rows.iter().map(|r| r.entry.debit_fen));
        let credit = sum_fen(rows.iter().map(|r| r.entry.credit_fen));
        let closing = rows.last().map_or(0, |r| r.balance_fen);
        html! {
            div class="table-wrap" {
                table class="data acct-ledger" {
                    thead { tr {
                        th { "日期" } th { "凭证号" } th { "摘要" }
                        th class="num" { "借方（元）" } th class="num" { "贷方（元）" }
                        th { "借或贷" } th class="num" { "余额（元）" }
                    } }
                    tbody {
                        tr class="muted" { td { (year) "-01-01" } td {} td { "年初余额" } td {} td {} td { "平" } td class="num" { "0.00" } }
                        @if rows.is_empty() {
                            tr { td colspan="7" class="muted" { "本年度该科目尚无已记账的分录。" } }
                        }
                        @for r in &rows {
                            tr {
                                td class="nowrap" { (r.entry.voucher_date) }
                                td class="nowrap" { a class="code" href=(voucher_href(&r.entry.voucher_id)) { (r.entry.voucher_id) } }
                                td { (r.entry.summary) }
                                td class="num" { (yuan_or_blank(r.entry.debit_fen)) }
                                td class="num" { (yuan_or_blank(r.entry.credit_fen)) }
                                td { (direction_of(r.balance_fen)) }
                                td class="num" { (balance_abs(r.balance_fen)) }
                            }
                        }
                    }
                    tfoot {
                        tr class="totals-row" {
                            td colspan="3" { "本年累计" }
                            td class="num" { (yuan(debit)) }
                            td class="num" { (yuan(credit)) }
                            td { (direction_of(closing)) }
                            td class="num" { (balance_abs(closing)) }
                        }
                    }
                }
            }
        }
    } else {
        let months = state
            .app
            .accounting_general_ledger(&user.principal, &book, year, &chosen)
            .await
            .map_err(|e| PageError::new(e, rid))?;
        let debit = sum_fen(months.iter().map(|m| m.debit_fen));
        let credit = sum_fen(months.iter().map(|m| m.credit_fen));
        let closing = months.last().map_or(0, |m| m.closing_fen);
        let month_href = |period: i64| {
            let mut query = book_query(&params);
            query.push(("account_code", chosen.clone()));
            let pairs: Vec<(&str, &str)> = query.iter().map(|(n, v)| (*n, v.as_str())).collect();
            format!("{}#m{period}", url("/accounting/ledger/subsidiary", &pairs))
        };
        html! {
            div class="table-wrap" {
                table class="data acct-ledger" {
                    thead { tr {
                        th { "月份" } th { "期初借或贷" } th class="num" { "期初余额（元）" }
                        th class="num" { "本月借方（元）" } th class="num" { "本月贷方（元）" }
                        th { "期末借或贷" } th class="num" { "期末余额（元）" }
                    } }
                    tbody {
                        @for m in &months {
                            tr {
                                td class="nowrap" { a href=(month_href(m.period)) title="查看明细账" { (m.period) " 月" } }
                                td { (direction_of(m.opening_fen)) }
                                td class="num" { (balance_abs(m.opening_fen)) }
                                td class="num" { (yuan_or_blank(m.debit_fen)) }
                                td class="num" { (yuan_or_blank(m.credit_fen)) }
                                td { (direction_of(m.closing_fen)) }
                                td class="num" { (balance_abs(m.closing_fen)) }
                            }
                        }
                    }
                    tfoot {
                        tr class="totals-row" {
                            td colspan="3" { "本年累计" }
                            td class="num" { (yuan(debit)) }
                            td class="num" { (yuan(credit)) }
                            td { (direction_of(closing)) }
                            td class="num" { (balance_abs(closing)) }
                        }
                    }
                }
            }
        }
    };
    let content = html! {
        (heading(&[("", "会计核算")], title, print_button()))
        (bar)
        @if !chosen.is_empty() {
            p class="report-caption" {
                strong { (book_name(&book)) } " · " (year) " 年度 · 科目 "
                span class="code" { (chosen) } " " (account_name)
                span class="muted small" { "（只含已记账凭证；余额为借方减贷方）" }
            }
        }
        (body)
    };
    Ok(layout::page(&user, title, action, content).into_response())
}

/// A balance split onto its 借 and 贷 columns.
fn sides(balance_fen: i64) -> (i64, i64) {
    if balance_fen >= 0 {
        (balance_fen, 0)
    } else {
        (0, balance_fen.saturating_neg())
    }
}

pub async fn trial_balance(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let rid = &info.request_id;
    let params = with_defaults(&user.principal, params);
    let action = "/accounting/trial-balance";
    let title = "科目余额表";
    let month_text = text(&params, "period").unwrap_or("").to_owned();
    let month_select = html! {
        label class="field" { span class="label" { "月份" }
            select name="period" {
                option value="" { "全年（1—12 月）" }
                @for month in 1..=12 {
                    option value=(month) selected[month_text == month.to_string()] { (month) " 月" }
                }
            }
        }
    };
    let bar = filter_bar(&user, action, &params, month_select);
    let parsed = book_and_year(&user, &params).and_then(|(book, year)| {
        let month = number(&params, "period", "会计期间", 1, 12)?;
        Ok((book, year, month))
    });
    let (book, year, month) = match parsed {
        Ok(found) => found,
        Err(rejection) => return refusal(&user, title, action, bar, &rejection.message()),
    };
    let (from, to) = match month.and_then(|m| u8::try_from(m).ok()) {
        Some(m) => (m, m),
        None => (1, 12),
    };
    let trial = state
        .app
        .accounting_trial_balance(&user.principal, &book, year, from, to)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let chart = state
        .app
        .accounting_chart(&user.principal, &book.book_type, year)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let direction_of_account = |code: &str| {
        chart
            .iter()
            .find(|a| a.account_code == code)
            .map(|a| a.direction.clone())
            .unwrap_or_default()
    };
    let split = |f: fn(&fiscus_core::accounting::TrialBalanceRow) -> i64| {
        let debit = sum_fen(trial.rows.iter().map(|r| sides(f(r)).0));
        let credit = sum_fen(trial.rows.iter().map(|r| sides(f(r)).1));
        (debit, credit)
    };
    let (opening_debit, opening_credit) = split(|r| r.opening_fen);
    let (closing_debit, closing_credit) = split(|r| r.closing_fen);
    let period_text = match month {
        Some(m) => format!("{year} 年 {m} 月"),
        None => format!("{year} 年 1—12 月"),
    };
    let ledger_href = |code: &str| {
        let mut query = book_query(&params);
        query.push(("account_code", code.to_owned()));
        let pairs: Vec<(&str, &str)> = query.iter().map(|(n, v)| (*n, v.as_str())).collect();
        url("/accounting/ledger/subsidiary", &pairs)
    };
    let content = html! {
        (heading(&[("", "会计核算")], "科目余额表（试算平衡表）", print_button()))
        (bar)
        p class="report-caption" {
            strong { (book_name(&book)) } " · " (period_text)
            span class="muted small" { "（只含已记账凭证；单位：元）" }
        }
        @if trial.rows.is_empty() {
            div class="notice warn" { "所选期间还没有已记账的凭证。凭证审核、记账后才计入科目余额表。" }
        } @else if trial.balanced {
            div class="notice ok trial-banner" role="status" { strong { "试算平衡" } "：期初、期末借方余额合计等于贷方余额合计，本期借方发生额等于贷方发生额。" }
        } @else {
            div class="notice error trial-banner" role="alert" { strong { "试算不平衡" } "：借贷合计不相等，请检查本期凭证。" }
        }
        div class="table-wrap" {
            table class="data acct-trial" {
                thead {
                    tr {
                        th rowspan="2" { "科目编码" } th rowspan="2" { "科目名称" } th rowspan="2" { "余额方向" }
                        th colspan="2" class="group" { "期初余额" }
                        th colspan="2" class="group" { "本期发生额" }
                        th colspan="2" class="group" { "期末余额" }
                    }
                    tr {
                        th class="num" { "借方" } th class="num" { "贷方" }
                        th class="num" { "借方" } th class="num" { "贷方" }
                        th class="num" { "借方" } th class="num" { "贷方" }
                    }
                }
                tbody {
                    @for r in &trial.rows {
                        @let (od, oc) = sides(r.opening_fen);
                        @let (cd, cc) = sides(r.closing_fen);
                        tr {
                            td { a class="code" href=(ledger_href(&r.account_code)) title="查看明细账" { (r.account_code) } }
                            td { (r.account_name) }
                            td { (direction_of_account(&r.account_code)) }
                            td class="num" { (yuan_or_blank(od)) }
                            td class="num" { (yuan_or_blank(oc)) }
                            td class="num" { (yuan_or_blank(r.debit_fen)) }
                            td class="num" { (yuan_or_blank(r.credit_fen)) }
                            td class="num" { (yuan_or_blank(cd)) }
                            td class="num" { (yuan_or_blank(cc)) }
                        }
                    }
                }
                tfoot {
                    tr class="totals-row" {
                        td colspan="3" { "合计" }
                        td class="num" { (yuan(opening_debit)) }
                        td class="num" { (yuan(opening_credit)) }
                        td class="num" { (yuan(trial.total.debit_fen)) }
                        td class="num" { (yuan(trial.total.credit_fen)) }
                        td class="num" { (yuan(closing_debit)) }
                        td class="num" { (yuan(closing_credit)) }
                    }
                }
            }
        }
    };
    Ok(layout::page(&user, title, action, content).into_response())
}

fn closed_message(ok: &str) -> Option<&'static str> {
    (ok == "closed").then_some("已结账。该月不能再录入、记账或冲销凭证。")
}

pub async fn periods(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let notice = params
        .get("ok")
        .and_then(|ok| closed_message(ok))
        .map(notice_ok);
    periods_page(&state, &user, &info.request_id, params, notice, None).await
}

async fn periods_page(
    state: &AppState,
    user: &CurrentUser,
    rid: &str,
    params: HashMap<String, String>,
    notice: Option<Markup>,
    status: Option<axum::http::StatusCode>,
) -> PageResult {
    let params = with_defaults(&user.principal, params);
    let action = "/accounting/periods";
    let title = "月末结账";
    let bar = filter_bar(user, action, &params, html! {});
    let (book, year) = match book_and_year(user, &params) {
        Ok(found) => found,
        Err(rejection) => return refusal(user, title, action, bar, &rejection.message()),
    };
    let months = state
        .app
        .accounting_periods(&user.principal, &book, year)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let own = BookType::parse(&book.book_type)
        .ok()
        .and_then(|t| fiscus_app::accounting::book_for_writer(&user.principal, t).ok())
        .is_some_and(|own| own == book);
    let next_open = months.iter().find(|m| !m.closed).map(|m| m.period);
    let list_href = |period: i64, status: &str| {
        let mut query = book_query(&params);
        query.push(("period", period.to_string()));
        query.push(("status", status.to_owned()));
        let pairs: Vec<(&str, &str)> = query.iter().map(|(n, v)| (*n, v.as_str())).collect();
        url("/accounting/vouchers", &pairs)
    };
    let content = html! {
        (heading(&[("", "会计核算")], title, html! {}))
        (bar)
        @if let Some(notice) = &notice { (notice) }
        p class="report-caption" { strong { (book_name(&book)) } " · " (year) " 年度" }
        div class="table-wrap" {
            table class="data acct-periods" {
                thead { tr { th { "会计期间" } th { "状态" } th class="num" { "未记账凭证" } th { "操作" } } }
                tbody {
                    @for m in &months {
                        tr {
                            td class="nowrap" { (month_label(i64::from(year), m.period)) }
                            td { @if m.closed { span class="badge ok" { "已结账" } } @else { span class="badge off" { "未结账" } } }
                            td class="num" {
                                @if m.n_unposted > 0 { a href=(list_href(m.period, "")) { (m.n_unposted) " 张" } } @else { span class="muted" { "0" } }
                            }
                            td {
                                @if own && Some(m.period) == next_open {
                                    form method="post" action="/accounting/periods/close" class="inline" {
                                        (csrf_field(user))
                                        input type="hidden" name="book_type" value=(book.book_type);
                                        input type="hidden" name="fiscal_year" value=(year);
                                        input type="hidden" name="period" value=(m.period);
                                        button type="submit" class="button small primary"
                                            data-confirm=(format!("确定对 {} 结账？结账后该月不能再录入、记账或冲销凭证。", month_label(i64::from(year), m.period))) { "结账" }
                                    }
                                    @if m.n_unposted > 0 { " " span class="small negative" { "须先将本月凭证全部记账" } }
                                }
                            }
                        }
                    }
                }
            }
        }
        p class="muted small" { "按月份顺序结账：只有最早一个未结账的月份可以结账。结账前本月凭证须全部审核、记账。" }
    };
    let mut response = layout::page(user, title, action, content).into_response();
    if let Some(status) = status {
        *response.status_mut() = status;
    }
    Ok(response)
}

pub async fn close_period(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> PageResult {
    let rid = &info.request_id;
    let params: HashMap<String, String> = form
        .map(|Form(pairs)| {
            pairs
                .into_iter()
                .filter(|(name, _)| name != "_csrf")
                .collect()
        })
        .map_err(|_| {
            PageError::new(
                Rejection::FieldInvalid {
                    field: "表单",
                    expected: "网页表单提交的内容",
                },
                rid,
            )
        })?;
    let parsed = (|| -> Result<(BookType, i32, u8), Rejection> {
        let book_type = BookType::parse(text(&params, "book_type").unwrap_or(""))?;
        let year = year_of(&params)?;
        let period = number(&params, "period", "会计期间", 1, 12)?
            .and_then(|p| u8::try_from(p).ok())
            .ok_or(Rejection::FieldRequired {
                field: "会计期间"
            })?;
        Ok((book_type, year, period))
    })();
    let (book_type, year, period) = parsed.map_err(|e| PageError::new(e, rid))?;
    let back: HashMap<String, String> = [
        ("book_type".to_owned(), book_type.code().to_owned()),
        ("fiscal_year".to_owned(), year.to_string()),
    ]
    .into_iter()
    .collect();
    match state
        .app
        .accounting_period_close(&user.principal, book_type, year, period, &info.ctx())
        .await
    {
        Ok(()) => {
            let year = year.to_string();
            Ok(Redirect::to(&url(
                "/accounting/periods",
                &[
                    ("book_type", book_type.code()),
                    ("fiscal_year", &year),
                    ("ok", "closed"),
                ],
            ))
            .into_response())
        }
        Err(error) => {
            let (status, _, message, _) = describe(&error, rid);
            if !status.is_client_error() || status == axum::http::StatusCode::NOT_FOUND {
                return Err(PageError::new(error, rid));
            }
            periods_page(
                &state,
                &user,
                rid,
                back,
                Some(notice_error(&message)),
                Some(status),
            )
            .await
        }
    }
}
