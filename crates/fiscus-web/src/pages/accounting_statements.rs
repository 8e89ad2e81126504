//! 会计报表 pages: the unit's 资产负债表 and 收入费用表 (预算收入支出表 on the budget book) for a
//! month, the 预算执行情况表 of a unit, department or region by function or economic class,
//! and the 指标核算 book of a region (derived from the indicator ledger, read-only, with a
//! drill-down to the indicators and their 账页). Printable; amounts in 元, rates in ‰ shown
//! from integer basis points.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::routing::get;
use fiscus_app::accounting::statements::{ExecutionStatementRow, StatementLine};
use fiscus_core::accounting::BookType;
use fiscus_core::{Action, Principal, Resource};
use maud::{Markup, html};

use super::ledger::money;
use crate::api::accounting_reports::{
    execution_scope_of, group_of, period_of, region_of, unit_book_of, year_of,
};
use crate::context::{PageUser, RequestInfo};
use crate::pages::layout::{self, heading, url};
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/accounting/balance-sheet", get(balance_sheet))
        .route("/accounting/income-statement", get(income_statement))
        .route("/accounting/execution", get(execution))
        .route("/accounting/execution/export", get(execution_export))
        .route("/accounting/indicator-book", get(indicator_book))
}

/// The links of these pages for the navigation, by what `who` may read.
pub fn nav_links(who: &Principal) -> Vec<(&'static str, &'static str)> {
    if !who.can(Action::Read, Resource::Accounting) {
        return Vec::new();
    }
    let mut links = Vec::new();
    if who.agency_code().is_some() {
        links.push(("/accounting/balance-sheet", "资产负债表"));
        links.push(("/accounting/income-statement", "收入费用表"));
    }
    links.push(("/accounting/execution", "预算执行情况表"));
    if who.agency_code().is_none() {
        links.push(("/accounting/indicator-book", "指标核算"));
        links.push(("/accounting/year-close", "年终结账"));
    }
    links
}

/// The query with the current year filled in when absent.
pub fn with_year(mut params: HashMap<String, String>) -> HashMap<String, String> {
    let empty = params
        .get("fiscal_year")
        .is_none_or(|y| y.trim().is_empty());
    if empty {
        let now = fiscus_store::audit::now();
        params.insert(
            "fiscal_year".into(),
            now.get(0..4).unwrap_or("2026").to_owned(),
        );
    }
    params
}

fn value<'a>(params: &'a HashMap<String, String>, name: &str) -> &'a str {
    params.get(name).map_or("", |v| v.trim())
}

/// A GET filter form with the given text fields (name, label, value, size).
fn filter_form(action: &str, fields: &[(&str, &str, &str, u8)], extra: Markup) -> Markup {
    html! {
        form method="get" action=(action) class="card filters no-print" {
            @for (name, label, current, size) in fields {
                label class="field" {
                    span class="label" { (label) }
                    input type="text" name=(name) value=(current) size=(size);
                }
            }
            (extra)
            button type="submit" { "查询" }
            " "
            button type="button" onclick="window.print()" { "打印" }
        }
    }
}

fn lines_table(title: &str, lines: &[StatementLine], total_label: &str, total_fen: i64) -> Markup {
    html! {
        table class="data" {
            thead { tr { th { "科目编码" } th { (title) } th class="num" { "期末余额" } } }
            tbody {
                @for line in lines {
                    tr { td { (line.account_code) } td { (line.account_name) } td class="num" { (money(line.amount_fen)) } }
                }
                @if lines.is_empty() { tr { td colspan="3" class="muted" { "无" } } }
            }
            tfoot { tr class="totals-row" { td {} td { strong { (total_label) } } td class="num" { strong { (money(total_fen)) } } } }
        }
    }
}

async fn balance_sheet(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let rid = &info.request_id;
    let params = with_year(params);
    let who = &user.principal;
    let (book, year, period) = (|| {
        Ok::<_, fiscus_core::Rejection>((
            unit_book_of(who, &params, BookType::UnitFinancial)?,
            year_of(&params)?,
            period_of(&params)?,
        ))
    })()
    .map_err(|e| PageError::new(e, rid))?;
    let sheet = state
        .app
        .accounting_balance_sheet(who, &book, year, period)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let agency = book.agency_code.clone().unwrap_or_default();
    let year_text = year.to_string();
    let period_text = period.to_string();
    let content = html! {
        (heading(&[("", "会计核算"), ("", "会计报表")], "资产负债表", html! {}))
        (filter_form("/accounting/balance-sheet", &[
            ("agency_code", "单位代码", &agency, 10),
            ("fiscal_year", "会计年度", &year_text, 6),
            ("period", "截至月份", &period_text, 3),
        ], html! {}))
        p class="muted small" {
            "单位 " (agency) " · " (year) " 年 " (period) " 月末 · 单位财务会计账套 · 金额单位：元 · 含年初余额"
        }
        @if sheet.balanced {
            p class="notice ok" { "资产合计 = 负债合计 + 净资产合计，报表平衡。" }
        } @else {
            p class="notice error" { "报表不平衡，请检查凭证。" }
        }
        div class="grid-2" {
            div class="card table-card" { (lines_table("资产", &sheet.assets, "资产合计", sheet.assets_fen)) }
            div class="card table-card" {
                (lines_table("负债", &sheet.liabilities, "负债合计", sheet.liabilities_fen))
                (lines_table("净资产", &sheet.net_assets, "净资产合计", sheet.net_assets_fen))
            }
        }
    };
    Ok(layout::page(&user, "资产负债表", "/accounting/balance-sheet", content).into_response())
}

async fn income_statement(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let rid = &info.request_id;
    let params = with_year(params);
    let who = &user.principal;
    let book_type_text = match value(&params, "book_type") {
        "" => "unit_financial",
        other => other,
    };
    let (book, year, period) = (|| {
        let book_type = BookType::parse(book_type_text)?;
        Ok::<_, fiscus_core::Rejection>((
            unit_book_of(who, &params, book_type)?,
            year_of(&params)?,
            period_of(&params)?,
        ))
    })()
    .map_err(|e| PageError::new(e, rid))?;
    let statement = state
        .app
        .accounting_income_statement(who, &book, year, period)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let budget = book.book_type == BookType::UnitBudget.code();
    let title = if budget {
        "预算收入支出表"
    } else {
        "收入费用表"
    };
    let (revenue_label, expense_label) = if budget {
        ("预算收入", "预算支出")
    } else {
        ("收入", "费用")
    };
    let agency = book.agency_code.clone().unwrap_or_default();
    let year_text = year.to_string();
    let period_text = period.to_string();
    let tabs = [
        ("unit_financial", "收入费用表（财务会计）"),
        ("unit_budget", "预算收入支出表（预算会计）"),
    ];
    let rows = |lines: &[(StatementLine, i64)]| {
        html! {
            @for (line, month_fen) in lines {
                tr { td { (line.account_code) } td { (line.account_name) } td class="num" { (money(*month_fen)) } td class="num" { (money(line.amount_fen)) } }
            }
        }
    };
    let content = html! {
        (heading(&[("", "会计核算"), ("", "会计报表")], title, html! {}))
        div class="tabs no-print" {
            @for (code, label) in tabs {
                a class=[(code == book.book_type).then_some("active")]
                    href=(url("/accounting/income-statement", &[("book_type", code), ("agency_code", &agency), ("fiscal_year", &year_text), ("period", &period_text)])) { (label) }
            }
        }
        (filter_form("/accounting/income-statement", &[
            ("agency_code", "单位代码", &agency, 10),
            ("fiscal_year", "会计年度", &year_text, 6),
            ("period", "月份", &period_text, 3),
        ], html! { input type="hidden" name="book_type" value=(book.book_type); }))
        p class="muted small" { "单位 " (agency) " · " (year) " 年 " (period) " 月 · 金额单位：元 · 不含年终结账的结转分录" }
        div class="card table-card" {
            table class="data" {
                thead { tr { th { "科目编码" } th { "项目" } th class="num" { "本月数" } th class="num" { "本年累计数" } } }
                tbody {
                    tr class="group-row" { td colspan="4" { strong { "一、" (revenue_label) } } }
                    (rows(&statement.revenue))
                    tr class="totals-row" { td {} td { strong { (revenue_label) "合计" } } td class="num" { (money(statement.revenue_month_fen)) } td class="num" { strong { (money(statement.revenue_fen)) } } }
                    tr class="group-row" { td colspan="4" { strong { "二、" (expense_label) } } }
                    (rows(&statement.expense))
                    tr class="totals-row" { td {} td { strong { (expense_label) "合计" } } td class="num" { (money(statement.expense_month_fen)) } td class="num" { strong { (money(statement.expense_fen)) } } }
                }
                tfoot {
                    tr class="totals-row" {
                        td {} td { strong { "三、本期盈余（" (revenue_label) "减" (expense_label) "）" } }
                        td class="num" { (money(statement.revenue_month_fen - statement.expense_month_fen)) }
                        td class="num" { strong { (money(statement.surplus_fen)) } }
                    }
                }
            }
        }
    };
    Ok(layout::page(&user, title, "/accounting/income-statement", content).into_response())
}

/// 执行率 from basis points: `12.34%`.
pub fn rate_text(rate_bp: i64) -> String {
    format!("{}.{:02}%", rate_bp / 100, rate_bp % 100)
}

fn execution_cells(row: &ExecutionStatementRow) -> Markup {
    html! {
        td class="num" { (row.n_indicators) }
        td class="num" { (money(row.initial_fen)) }
        td class="num" { (money(row.adjusted_fen)) }
        td class="num" { strong { (money(row.total_fen)) } }
        td class="num" { (money(row.spent_fen)) }
        td class="num" { (money(row.reserved_fen)) }
        td class="num" { (money(row.frozen_fen)) }
        td class="num" { (money(row.available_fen)) }
        td class="num" { (rate_text(row.rate_bp)) }
    }
}

async fn execution(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let rid = &info.request_id;
    let params = with_year(params);
    let who = &user.principal;
    let (year, group) =
        (|| Ok::<_, fiscus_core::Rejection>((year_of(&params)?, group_of(&params)?)))()
            .map_err(|e| PageError::new(e, rid))?;
    let scope = execution_scope_of(who, &params);
    let statement = state
        .app
        .accounting_execution_statement(who, &scope, year, group)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let by = match value(&params, "by") {
        "" => "func3",
        other => other,
    };
    let year_text = year.to_string();
    let (scope_label, agency, region) = match &scope {
        fiscus_store::accounting::ExecutionScope::AgencySubtree { agency_code } => (
            format!("单位（含下级）{agency_code}"),
            agency_code.clone(),
            String::new(),
        ),
        fiscus_store::accounting::ExecutionScope::RegionSubtree { mof_div_code } => (
            format!("区划（含下级）{mof_div_code}"),
            String::new(),
            mof_div_code.clone(),
        ),
    };
    let tabs = [
        ("func3", "功能分类（类）"),
        ("func5", "功能分类（款）"),
        ("eco3", "经济分类（类）"),
        ("eco5", "经济分类（款）"),
    ];
    let key_label = tabs
        .iter()
        .find(|(c, _)| *c == by)
        .map_or("分类", |(_, l)| *l);
    let content = html! {
        (heading(&[("", "会计核算"), ("", "会计报表")], "预算执行情况表", html! {
            a class="button no-print" href=(url("/accounting/execution/export", &[("by", by), ("agency_code", &agency), ("mof_div_code", &region), ("fiscal_year", &year_text)])) { "导出 Excel" }
        }))
        div class="tabs no-print" {
            @for (code, label) in tabs {
                a class=[(code == by).then_some("active")]
                    href=(url("/accounting/execution", &[("by", code), ("agency_code", &agency), ("mof_div_code", &region), ("fiscal_year", &year_text)])) { (label) }
            }
        }
        (filter_form("/accounting/execution", &[
            ("agency_code", "单位或部门代码", &agency, 10),
            ("mof_div_code", "财政区划代码", &region, 10),
            ("fiscal_year", "预算年度", &year_text, 6),
        ], html! { input type="hidden" name="by" value=(by); }))
        p class="muted small" {
            (year) " 年度 · " (scope_label) " · 数据来自指标账（不含待分指标） · 金额单位：元 · 执行率 = 已支出 ÷ 指标合计"
        }
        div class="card table-card" {
            table class="data" {
                thead { tr {
                    th { (key_label) } th class="num" { "指标数" } th class="num" { "年初预算" } th class="num" { "调整" }
                    th class="num" { "指标合计" } th class="num" { "已支出" } th class="num" { "在途" }
                    th class="num" { "冻结" } th class="num" { "可用" } th class="num" { "执行率" }
                } }
                tbody {
                    @for row in &statement.rows {
                        tr { td { (if row.key.is_empty() { "（未填）" } else { row.key.as_str() }) } (execution_cells(row)) }
                    }
                    @if statement.rows.is_empty() { tr { td colspan="10" class="muted" { "没有符合条件的指标。" } } }
                }
                tfoot { tr class="totals-row" { td { strong { "合计" } } (execution_cells(&statement.total)) } }
            }
        }
    };
    Ok(layout::page(&user, "预算执行情况表", "/accounting/execution", content).into_response())
}

async fn execution_export(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let rid = &info.request_id;
    let params = with_year(params);
    let who = &user.principal;
    let (year, group) =
        (|| Ok::<_, fiscus_core::Rejection>((year_of(&params)?, group_of(&params)?)))()
            .map_err(|e| PageError::new(e, rid))?;
    let scope = execution_scope_of(who, &params);
    let bytes = state
        .app
        .export_execution_statement(who, &scope, year, group)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    Ok(crate::api::xlsx_file_response(
        "execution-statement",
        "预算执行情况表",
        bytes,
    ))
}

async fn indicator_book(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let rid = &info.request_id;
    let params = with_year(params);
    let who = &user.principal;
    let year = year_of(&params).map_err(|e| PageError::new(e, rid))?;
    let region = region_of(who, &params);
    let book = state
        .app
        .accounting_indicator_book(who, &region, year)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let year_text = year.to_string();
    let side = |fen: i64| {
        if fen > 0 {
            "借"
        } else if fen < 0 {
            "贷"
        } else {
            "平"
        }
    };
    let content = html! {
        (heading(&[("", "会计核算")], "指标核算", html! {}))
        (filter_form("/accounting/indicator-book", &[
            ("mof_div_code", "财政区划代码", &region, 10),
            ("fiscal_year", "预算年度", &year_text, 6),
        ], html! {}))
        p class="muted small" {
            (region) " · " (year) " 年度 · 由指标账自动生成，只读 · 金额单位：元 · 余额 = 借方 − 贷方（可用、冻结、已支出为贷方余额）"
        }
        @if book.balanced {
            p class="notice ok" { "借方合计 = 贷方合计，期末余额合计为零，试算平衡。" }
        } @else {
            p class="notice error" { "试算不平衡，请运行 fiscus verify 检查指标账。" }
        }
        div class="card table-card" {
            table class="data" {
                thead { tr {
                    th { "指标账户类别" } th class="num" { "期初余额" } th class="num" { "本期借方" }
                    th class="num" { "本期贷方" } th { "方向" } th class="num" { "期末余额" } th class="no-print" { "明细" }
                } }
                tbody {
                    @for row in &book.rows {
                        tr {
                            td { (row.name) }
                            td class="num" { (money(row.opening_fen)) }
                            td class="num" { (money(row.debit_fen)) }
                            td class="num" { (money(row.credit_fen)) }
                            td { (side(row.closing_fen)) }
                            td class="num" { (money(row.closing_fen.abs())) }
                            td class="no-print" {
                                @if row.kind != "src" && row.kind != "other" {
                                    a href=(url("/indicators", &[("mof_div_code", &region), ("fiscal_year", &year_text)])) { "指标及账页" }
                                }
                            }
                        }
                    }
                    @if book.rows.is_empty() { tr { td colspan="7" class="muted" { "本年度没有指标账记录。" } } }
                }
                tfoot { tr class="totals-row" {
                    td { strong { "合计" } } td class="num" { (money(book.total.opening_fen)) }
                    td class="num" { strong { (money(book.total.debit_fen)) } } td class="num" { strong { (money(book.total.credit_fen)) } }
                    td { (side(book.total.closing_fen)) } td class="num" { (money(book.total.closing_fen)) } td class="no-print" {}
                } }
            }
        }
    };
    Ok(layout::page(&user, "指标核算", "/accounting/indicator-book", content).into_response())
}
