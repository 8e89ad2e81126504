//! 预算编制 list: the unit budgets (sheets) of a year the viewer may see, with a year selector,
//! filters (stage, status, department, unit code or name) and paging; each row shows the
//! unit, its department, the stage label, 支出合计, 收入合计, 控制数 and when it last changed.
//! A unit's own users go straight to their unit's budget.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use fiscus_core::budget::{SheetStatus, Stage};
use fiscus_store::budget::SheetQuery;
use maud::{Markup, html};

use super::{
    PAGE_ROWS, Pairs, default_year, is_budget_division, is_unit_user, money, money_or_dash,
    parse_year, sheet_href, stage_badge, value, year_options,
};
use crate::context::{PageUser, RequestInfo};
use crate::pages::layout::{self, heading, url};
use crate::pages::payment::when;
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

const STATUSES: [SheetStatus; 3] = [
    SheetStatus::Draft,
    SheetStatus::Submitted,
    SheetStatus::Reviewed,
];

pub async fn list(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(query): Query<Pairs>,
) -> PageResult {
    let rid = &info.request_id;
    let app = &state.app;
    let who = &user.principal;
    let year = match parse_year(&value(&query, "year")) {
        Some(year) => year,
        None => default_year(app, who).await,
    };
    if is_unit_user(who)
        && let Some(own) = who.agency_code()
    {
        return Ok(Redirect::to(&sheet_href(year, own.as_str())).into_response());
    }
    let stage = value(&query, "stage");
    let status = value(&query, "status");
    let dept = value(&query, "dept");
    let q = value(&query, "q");
    let page = value(&query, "page")
        .parse::<i64>()
        .ok()
        .filter(|page| (1..=100_000).contains(page))
        .unwrap_or(1);
    let sheet_query = SheetQuery {
        fiscal_year: year,
        dept_code: Some(dept.trim().to_owned()).filter(|d| !d.is_empty()),
        stage: Stage::parse(&stage).map(|s| s.code().to_owned()),
        status: SheetStatus::parse(&status).map(|s| s.code().to_owned()),
        q: Some(q.clone()).filter(|q| !q.trim().is_empty()),
        limit: PAGE_ROWS,
        offset: (page - 1) * PAGE_ROWS,
        ..SheetQuery::default()
    };
    let (rows, total) = app
        .budget_sheets(who, sheet_query)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let year_text = year.to_string();
    let href = |page: i64| {
        url(
            "/budget",
            &[
                ("year", &year_text),
                ("stage", &stage),
                ("status", &status),
                ("dept", &dept),
                ("q", &q),
                (
                    "page",
                    &if page > 1 {
                        page.to_string()
                    } else {
                        String::new()
                    },
                ),
            ],
        )
    };
    let n_pages = ((total + PAGE_ROWS - 1) / PAGE_ROWS).max(1);
    let actions = html! {
        @if is_budget_division(who) {
            a class="button" href="/budget/controls" { "控制数下达" }
            a class="button" href="/budget/approve" { "批复下达" }
        }
        // Excel export of the whole selection: served by the budget Excel module.
        a class="button" href=(url("/budget/excel/export", &[("year", &year_text)])) { "导出 Excel" }
        a class="button ghost" href=(url("/budget/summary", &[("year", &year_text)])) { "预算汇总" }
    };
    let content = html! {
        (heading(&[("", "预算编制")], &format!("{year} 年单位预算"), actions))
        (filters(year, &stage, &status, &dept, &q))
        div class="card table-card" {
            @if rows.is_empty() {
                div class="empty" {
                    div class="empty-title" { "没有符合条件的单位预算" }
                    p { "单位保存第一张预算表后即出现在这里；可换一个年度或 " a href=(url("/budget", &[("year", &year_text)])) { "清除筛选条件" } "。" }
                }
            } @else {
                div class="table-scroll" {
                    table class="data" {
                        thead { tr {
                            th { "预算单位" } th { "主管部门" } th { "阶段·状态" }
                            th class="num" { "支出合计（元）" } th class="num" { "收入合计（元）" } th class="num" { "控制数（元）" }
                            th { "更新时间" }
                        } }
                        tbody {
                            @for row in &rows {
                                @let sheet = &row.sheet;
                                tr {
                                    td { a href=(sheet_href(sheet.fiscal_year, &sheet.agency_code)) { (row.agency_name) } div class="code muted small" { (sheet.agency_code) } }
                                    td { (row.dept_name) div class="code muted small" { (sheet.dept_code) } }
                                    td class="nowrap" { (stage_badge(&sheet.stage, &sheet.status)) }
                                    td class="num" { (money(sheet.expense_fen)) }
                                    td class="num" { (money(sheet.income_fen)) }
                                    td class="num" { (money_or_dash(row.control_fen)) }
                                    td { (when(Some(&sheet.updated_at))) div class="muted small" { (sheet.updated_by) } }
                                }
                            }
                        }
                    }
                }
            }
            div class="pager" {
                span { "共 " strong { (total) } " 个单位 · 第 " (page) " / " (n_pages) " 页 · 金额单位：元" }
                span class="pager-links" {
                    @if page > 1 { a href=(href(page - 1)) rel="prev" { "‹ 上一页" } } @else { span class="disabled" { "‹ 上一页" } }
                    @if page < n_pages { a href=(href(page + 1)) rel="next" { "下一页 ›" } } @else { span class="disabled" { "下一页 ›" } }
                }
            }
        }
    };
    Ok(layout::page(&user, "预算编制", "/budget", content).into_response())
}

fn filters(year: i64, stage: &str, status: &str, dept: &str, q: &str) -> Markup {
    html! {
        form method="get" action="/budget" class="card filters" {
            label class="field" {
                span class="label" { "预算年度" }
                select name="year" data-autosubmit {
                    @for option in year_options(year) {
                        option value=(option) selected[option == year] { (option) " 年" }
                    }
                }
            }
            label class="field" {
                span class="label" { "阶段" }
                select name="stage" data-autosubmit {
                    option value="" { "全部" }
                    @for option in Stage::ALL {
                        option value=(option.code()) selected[option.code() == stage] { (option.label()) }
                    }
                }
            }
            label class="field" {
                span class="label" { "状态" }
                select name="status" data-autosubmit {
                    option value="" { "全部" }
                    @for option in STATUSES {
                        option value=(option.code()) selected[option.code() == status] { (option.label()) }
                    }
                }
            }
            label class="field" {
                span class="label" { "主管部门代码" }
                input type="text" name="dept" value=(dept) size="12" placeholder="一级预算单位代码";
            }
            label class="field grow" {
                span class="label" { "预算单位" }
                input type="search" name="q" value=(q) placeholder="单位代码或名称（部分匹配）";
            }
            div class="filter-actions" {
                button type="submit" class="button primary" { "查询" }
                " "
                a class="button ghost" href=(url("/budget", &[("year", &year.to_string())])) { "重置" }
            }
        }
    }
}
