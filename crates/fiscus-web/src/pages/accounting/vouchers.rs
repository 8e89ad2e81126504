//! 凭证管理: the vouchers of a book the viewer may see, filtered by year-month, state and
//! text (summary or number), sorted by date or number, paged, with the count and the debit
//! and credit totals; and one voucher's printable page with its lines, 大写 total, and the
//! actions its state allows (审核, 记账, 红字冲销). A refused action redraws the page with the
//! server's Chinese message under its status.

use std::collections::HashMap;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use fiscus_app::AppError;
use fiscus_core::Rejection;
use fiscus_core::accounting::{BookType, VoucherState};
use fiscus_store::accounting::{VoucherFilter, VoucherRow, VoucherSort};
use maud::{Markup, html};

use super::{
    book_fields, book_name, book_of, month_label, state_badge, voucher_href, with_defaults, yuan,
    yuan_or_blank,
};
use crate::context::{CurrentUser, PageUser, RequestInfo};
use crate::error::describe;
use crate::pages::layout::{self, csrf_field, heading, notice_error, notice_ok, url};
use crate::pages::payment::pager;
use crate::pages::payment::print::capital_yuan;
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

const PAGE_ROWS: i64 = 20;

/// The filter of the list page: the book (type, and for a bureau user region and unit),
/// year, month, state, text, sort.
fn filter_of(
    user: &CurrentUser,
    params: &HashMap<String, String>,
) -> Result<VoucherFilter, Rejection> {
    use crate::api::accounting::{number, text};
    let principal = &user.principal;
    let book_type = BookType::parse(text(params, "book_type").unwrap_or(""))?;
    let names_book = principal.agency_code().is_none()
        && (text(params, "agency_code").is_some() || text(params, "mof_div_code").is_some());
    let status = match text(params, "status") {
        None => None,
        Some(code) => Some(
            VoucherState::from_code(code)
                .ok_or(Rejection::FieldInvalid {
                    field: "凭证状态",
                    expected: "未审核、已审核或已记账",
                })?
                .code()
                .to_owned(),
        ),
    };
    Ok(VoucherFilter {
        book: if names_book {
            Some(book_of(principal, params)?)
        } else {
            None
        },
        book_type: Some(book_type.code().to_owned()),
        fiscal_year: number(params, "fiscal_year", "会计年度", 2000, 2100)?,
        period: number(params, "period", "会计期间", 1, 12)?,
        status,
        search: text(params, "q").map(str::to_owned),
        sort: VoucherSort::parse(text(params, "sort").unwrap_or("")),
        ..VoucherFilter::default()
    })
}

pub async fn list(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let rid = &info.request_id;
    let params = with_defaults(&user.principal, params);
    let filter = filter_of(&user, &params).map_err(|e| PageError::new(e, rid))?;
    let page = crate::api::accounting::number(&params, "page", "页码", 1, 100_000)
        .map_err(|e| PageError::new(e, rid))?
        .unwrap_or(1);
    let (n_total, sum_fen) = state
        .app
        .accounting_voucher_totals(&user.principal, &filter)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let rows = state
        .app
        .accounting_vouchers(&user.principal, &filter, page, PAGE_ROWS)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let value = |name: &str| params.get(name).cloned().unwrap_or_default();
    let keep = |page: i64, sort: &str| {
        let mut query: Vec<(&str, String)> = super::book_query(&params);
        for name in ["period", "status", "q"] {
            query.push((name, value(name)));
        }
        query.push(("sort", sort.to_owned()));
        query.push((
            "page",
            if page > 1 {
                page.to_string()
            } else {
                String::new()
            },
        ));
        let pairs: Vec<(&str, &str)> = query.iter().map(|(n, v)| (*n, v.as_str())).collect();
        url("/accounting/vouchers", &pairs)
    };
    let sort = filter.sort;
    let sort_link = |label: &str, ascending: VoucherSort, descending: VoucherSort| {
        let (next, mark) = if sort == ascending {
            (descending, " ↑")
        } else if sort == descending {
            (ascending, " ↓")
        } else {
            (ascending, "")
        };
        html! { a href=(keep(1, next.code())) title="点击排序" { (label) (mark) } }
    };
    let n_pages = (n_total + PAGE_ROWS - 1) / PAGE_ROWS;
    let period = value("period");
    let status = value("status");
    let writer = super::is_writer(&user.principal);
    // A bureau user's list may hold several units' books.
    let bureau = user.principal.agency_code().is_none();
    let actions = html! {
        @if writer { a class="button primary" href="/accounting/vouchers/new" { "新增凭证" } }
    };
    let content = html! {
        (heading(&[("", "会计核算")], "凭证管理", actions))
        @if let Ok(book_type) = BookType::parse(&value("book_type")) {
            p class="report-caption" { strong { (book_type.name_zh()) } " · " (value("fiscal_year")) " 年度"
                @if !period.is_empty() { " " (period) " 月" }
                span class="muted small" { "（金额单位：元；红字凭证金额为负数）" }
            }
        }
        form method="get" action="/accounting/vouchers" class="card filters" {
            (book_fields(&user.principal, &params, false))
            (super::year_field(&params))
            label class="field" { span class="label" { "月份" }
                select name="period" {
                    option value="" { "全年" }
                    @for month in 1..=12 {
                        option value=(month) selected[period == month.to_string()] { (month) " 月" }
                    }
                }
            }
            label class="field" { span class="label" { "状态" }
                select name="status" {
                    option value="" { "全部" }
                    @for state in [VoucherState::Draft, VoucherState::Reviewed, VoucherState::Posted] {
                        option value=(state.code()) selected[status == state.code()] { (state.name_zh()) }
                    }
                }
            }
            label class="field grow" { span class="label" { "查找" }
                input type="search" name="q" value=(value("q")) placeholder="摘要或凭证号";
            }
            input type="hidden" name="sort" value=(sort.code());
            button type="submit" class="button" { "查询" }
            a class="button ghost" href="/accounting/vouchers" { "清除条件" }
        }
        @if rows.is_empty() {
            div class="card empty" { p { "没有符合条件的会计凭证。支付业务完成后系统自动生成凭证；也可点击「新增凭证」手工录入。" } }
        } @else {
            div class="table-wrap" {
                table class="data acct-vouchers" {
                    thead { tr {
                        th { (sort_link("凭证日期", VoucherSort::DateAsc, VoucherSort::DateDesc)) }
                        th { (sort_link("凭证号", VoucherSort::NoAsc, VoucherSort::NoDesc)) }
                        @if bureau { th { "单位 / 区划" } }
                        th { "摘要" }
                        th class="num" { "借方金额（元）" } th class="num" { "贷方金额（元）" }
                        th { "状态" } th { "制单人" } th { "来源" }
                    } }
                    tbody {
                        @for row in &rows { (list_row(row, bureau)) }
                    }
                    tfoot {
                        tr class="totals-row" {
                            td colspan=(if bureau { 4 } else { 3 }) { "合计（符合条件的 " (n_total) " 张凭证）" }
                            td class="num" { (yuan(sum_fen)) }
                            td class="num" { (yuan(sum_fen)) }
                            td colspan="3" {}
                        }
                    }
                }
            }
            (pager(
                html! { "共 " strong { (n_total) } " 张 · 第 " (page) " / " (n_pages.max(1)) " 页" },
                (page > 1).then(|| keep(page - 1, sort.code())),
                (page < n_pages).then(|| keep(page + 1, sort.code())),
            ))
        }
    };
    Ok(layout::page(&user, "凭证管理", "/accounting/vouchers", content).into_response())
}

fn list_row(row: &VoucherRow, bureau: bool) -> Markup {
    let red = row.reverses_voucher_id.is_some();
    html! {
        tr class=[red.then_some("red-voucher")] {
            td class="nowrap" { (row.voucher_date) }
            td class="nowrap small" { a class="code" href=(voucher_href(&row.voucher_id)) { (row.voucher_id) } }
            @if bureau { td class="code small" { (row.agency_code.as_deref().unwrap_or(&row.mof_div_code)) } }
            td { @if red { span class="tag danger" { "红字" } " " } (row.summary) }
            td class="num" { (yuan(row.total_fen)) }
            td class="num" { (yuan(row.total_fen)) }
            td class="nowrap" { (state_badge(&row.status)) }
            td class="nowrap" { (row.created_by) }
            td class="nowrap small" {
                @if row.event_id.is_some() { "自动生成" } @else if red { "红字冲销" } @else { "手工录入" }
            }
        }
    }
}

/// What happened just before the page was drawn.
enum Notice {
    Done(&'static str),
    Refused(String),
}

fn done_message(ok: &str) -> Option<&'static str> {
    match ok {
        "created" => Some("凭证已保存，状态为未审核。请由审核人审核后记账。"),
        "reviewed" => Some("凭证已审核。"),
        "posted" => Some("凭证已记账，已计入总账、明细账和科目余额表。"),
        "reversed" => Some("红字冲销凭证已生成（未审核），审核、记账后冲销生效。"),
        _ => None,
    }
}

pub async fn detail(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path(voucher_id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let notice = params
        .get("ok")
        .and_then(|ok| done_message(ok))
        .map(Notice::Done);
    render(&state, &user, &info.request_id, &voucher_id, notice).await
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    rid: &str,
    voucher_id: &str,
    notice: Option<Notice>,
) -> PageResult {
    let principal = &user.principal;
    let (voucher, lines) = state
        .app
        .accounting_voucher(principal, voucher_id)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let chart = state
        .app
        .accounting_chart(
            principal,
            &voucher.book_type,
            i32::try_from(voucher.fiscal_year).unwrap_or_default(),
        )
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let account_name = |code: &str| {
        chart
            .iter()
            .find(|a| a.account_code == code)
            .map(|a| a.account_name.clone())
            .unwrap_or_default()
    };
    // A posted voucher is reversed once its red voucher exists.
    let red_id = format!("{voucher_id}.red");
    let reversed_by = match voucher.status == VoucherState::Posted.code()
        && voucher.reverses_voucher_id.is_none()
    {
        true => state.app.accounting_voucher(principal, &red_id).await.ok(),
        false => None,
    };
    let writer = fiscus_app::accounting::check_writer(principal, &voucher.book()).is_ok();
    let red = voucher.reverses_voucher_id.is_some();
    let debit_total = super::sum_fen(lines.iter().map(|l| l.debit_fen));
    let credit_total = super::sum_fen(lines.iter().map(|l| l.credit_fen));
    let title = format!("会计凭证 {}", voucher.voucher_id);
    let line = |label: &str, value: Markup| html! { div class="field-line" { dt { (label) } dd { (value) } } };
    let person = |name: Option<&str>| match name.filter(|n| !n.is_empty()) {
        Some(name) => html! { (name) },
        None => html! { span class="muted" { "—" } },
    };
    let href = voucher_href(voucher_id);
    let actions = html! {
        button type="button" class="button" data-print { "打印" }
        " " a class="button ghost" href=(super::super::layout::url("/accounting/vouchers", &[("book_type", &voucher.book_type), ("fiscal_year", &voucher.fiscal_year.to_string())])) { "返回凭证列表" }
    };
    let content = html! {
        (heading(&[("/accounting/vouchers", "凭证管理")], &title, actions))
        @match &notice {
            Some(Notice::Done(message)) => (notice_ok(message)),
            Some(Notice::Refused(message)) => (notice_error(message)),
            None => {},
        }
        div class=(if red { "card acct-voucher red-voucher" } else { "card acct-voucher" }) {
            div class="voucher-title" {
                h2 { @if red { "红字冲销凭证" } @else { "记账凭证" } }
                div class="voucher-sub" {
                    span { (book_name(&voucher.book())) }
                    span { "会计期间 " (month_label(voucher.fiscal_year, voucher.period)) }
                    span { "凭证日期 " (voucher.voucher_date) }
                    span { "凭证号 " span class="code" { (voucher.voucher_id) } }
                }
            }
            dl class="fields" {
                (line("状态", html! {
                    (state_badge(&voucher.status))
                    @if let Some((red_row, _)) = &reversed_by {
                        " " span class="badge danger" { "已冲销" } " "
                        a href=(voucher_href(&red_row.voucher_id)) { "查看红字凭证" }
                    }
                }))
                (line("摘要", html! { (voucher.summary) }))
                (line("来源", html! {
                    @match (&voucher.event_id, &voucher.reverses_voucher_id) {
                        (Some(event_id), _) => { "由支付业务自动生成 · 会计事件 " span class="code" { (event_id) } },
                        (None, Some(original)) => { "冲销凭证 " a class="code" href=(voucher_href(original)) { (original) } },
                        _ => "手工录入",
                    }
                }))
                (line("制单人", person(Some(voucher.created_by.as_str()))))
                (line("审核人", person(voucher.reviewed_by.as_deref())))
                (line("记账人", person(voucher.posted_by.as_deref())))
            }
            div class="table-wrap" {
                table class="data acct-lines" {
                    thead { tr {
                        th { "序号" } th { "会计科目" } th { "摘要" } th { "辅助核算" }
                        th class="num" { "借方金额（元）" } th class="num" { "贷方金额（元）" }
                    } }
                    tbody {
                        @for l in &lines {
                            tr {
                                td { (l.line_no) }
                                td { span class="code" { (l.account_code) } " " (account_name(&l.account_code)) }
                                td { (voucher.summary) }
                                td class="small" { (dimensions(l)) }
                                td class="num" { (yuan_or_blank(l.debit_fen)) }
                                td class="num" { (yuan_or_blank(l.credit_fen)) }
                            }
                        }
                    }
                    tfoot {
                        tr class="totals-row" {
                            td colspan="4" { "合计：人民币 " (capital_yuan(debit_total)) @if debit_total < 0 { "（红字）" } }
                            td class="num" { (yuan(debit_total)) }
                            td class="num" { (yuan(credit_total)) }
                        }
                    }
                }
            }
            div class="voucher-signs" {
                span { "制单：" (voucher.created_by) }
                span { "审核：" (voucher.reviewed_by.as_deref().unwrap_or("")) }
                span { "记账：" (voucher.posted_by.as_deref().unwrap_or("")) }
            }
        }
        @if writer {
            div class="card actions-card no-print" {
                h2 { "办理" }
                @match VoucherState::from_code(&voucher.status) {
                    Some(VoucherState::Draft) => {
                        form method="post" action=(format!("{href}/review")) class="inline" {
                            (csrf_field(user))
                            button type="submit" class="button primary" { "审核" }
                        }
                        p class="muted small" { "审核后由制单人以外的人员记账。" }
                    },
                    Some(VoucherState::Reviewed) => {
                        form method="post" action=(format!("{href}/post")) class="inline" {
                            (csrf_field(user))
                            button type="submit" class="button primary" { "记账" }
                        }
                        p class="muted small" { "记账人不能是制单人（" (voucher.created_by) "）；本月结账后不能再记账。" }
                    },
                    Some(VoucherState::Posted) if !red && reversed_by.is_none() => {
                        form method="post" action=(format!("{href}/reverse")) class="row-form" {
                            (csrf_field(user))
                            label class="field" { span class="label" { "冲销日期" }
                                input type="date" name="voucher_date" value=(super::today()) required;
                            }
                            button type="submit" class="button danger" data-confirm="确定生成红字冲销凭证？原凭证保持不变。" { "红字冲销" }
                        }
                        p class="muted small" { "生成一张金额为负数的红字凭证，冲销本凭证；红字凭证审核、记账后生效。" }
                    },
                    _ => p class="muted" { "本凭证已记账，无需办理。" },
                }
            }
        }
    };
    Ok(layout::page(user, &title, "/accounting/vouchers", content).into_response())
}

/// The dimensions of a line that are filled in.
fn dimensions(line: &fiscus_store::accounting::LineRow) -> Markup {
    let parts: Vec<(&str, &str)> = [
        ("单位", line.agency_code.as_str()),
        ("功能分类", line.exp_func_code.as_str()),
        ("经济分类", line.dep_bgt_eco_code.as_str()),
        ("资金性质", line.fund_type_code.as_str()),
        ("项目", line.pro_code.as_str()),
        ("指标", line.bgt_id.as_str()),
    ]
    .into_iter()
    .filter(|(_, value)| !value.is_empty())
    .collect();
    html! {
        @if parts.is_empty() { span class="muted" { "—" } }
        @for (index, (label, value)) in parts.iter().enumerate() {
            @if index > 0 { br; }
            span class="muted" { (label) " " } span class="code" { (value) }
        }
    }
}

/// Redraws the voucher with the reason an action was refused, under that reason's status;
/// a voucher out of reach is the error page.
async fn refused(
    state: &AppState,
    user: &CurrentUser,
    rid: &str,
    voucher_id: &str,
    error: AppError,
) -> PageResult {
    let (status, _, message, _) = describe(&error, rid);
    if !status.is_client_error() || status == StatusCode::NOT_FOUND {
        return Err(PageError::new(error, rid));
    }
    let mut response = render(state, user, rid, voucher_id, Some(Notice::Refused(message))).await?;
    *response.status_mut() = status;
    Ok(response)
}

fn done(voucher_id: &str, ok: &str) -> PageResult {
    Ok(Redirect::to(&url(&voucher_href(voucher_id), &[("ok", ok)])).into_response())
}

pub async fn review(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path(voucher_id): Path<String>,
) -> PageResult {
    let rid = &info.request_id;
    match state
        .app
        .accounting_voucher_review(&user.principal, &voucher_id, &info.ctx())
        .await
    {
        Ok(()) => done(&voucher_id, "reviewed"),
        Err(error) => refused(&state, &user, rid, &voucher_id, error).await,
    }
}

pub async fn post_voucher(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path(voucher_id): Path<String>,
) -> PageResult {
    let rid = &info.request_id;
    match state
        .app
        .accounting_voucher_post(&user.principal, &voucher_id, &info.ctx())
        .await
    {
        Ok(()) => done(&voucher_id, "posted"),
        Err(error) => refused(&state, &user, rid, &voucher_id, error).await,
    }
}

pub async fn reverse(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path(voucher_id): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> PageResult {
    let rid = &info.request_id;
    let date = form
        .ok()
        .and_then(|Form(pairs)| {
            pairs
                .into_iter()
                .find(|(name, _)| name == "voucher_date")
                .map(|(_, value)| value.trim().to_owned())
        })
        .unwrap_or_default();
    match state
        .app
        .accounting_voucher_reverse(&user.principal, &voucher_id, &date, &info.ctx())
        .await
    {
        Ok(red_id) => done(&red_id, "reversed"),
        Err(error) => refused(&state, &user, rid, &voucher_id, error).await,
    }
}
