//! 预算汇总 (`/budget/summary`): a year's budget lines summed by region (each child region
//! with its whole subtree, plus the base region's own level), department, unit, function
//! class (类/款/项), economic class (类/款) or fund nature, with a totals row, drill-down
//! links from each group to the next level and an Excel export of the same summary.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::routing::get;
use fiscus_app::budget::report::{
    BudgetReport, BudgetReportQuery, FIGURE_HEADINGS, REPORT_DIMENSIONS, by_code, by_label,
    row_label,
};
use fiscus_store::budget::report::{ReportBy, ReportFigures, ReportRow};
use maud::{Markup, html};

use super::ledger::money;
use crate::context::{PageUser, RequestInfo};
use crate::pages::layout::{self, heading, url};
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

/// The page shows at most this many groups; the export has them all.
const PAGE_GROUPS_MAX: usize = 1_000;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/budget/summary", get(summary))
        .route("/budget/summary/export", get(export))
}

fn parse(
    params: HashMap<String, String>,
    rid: &str,
) -> Result<(BudgetReportQuery, BTreeMap<String, String>), PageError> {
    let params: BTreeMap<String, String> = params
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect();
    let query = BudgetReportQuery::parse(&params).map_err(|e| PageError::new(e, rid))?;
    Ok((query, params))
}

async fn export(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let rid = &info.request_id;
    let (query, _) = parse(params, rid)?;
    let bytes = state
        .app
        .export_budget_report(&user.principal, &query)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    Ok(crate::api::xlsx_file_response(
        "budget-summary",
        "预算汇总",
        bytes,
    ))
}

async fn summary(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let rid = &info.request_id;
    let (query, _) = parse(params, rid)?;
    let report = state
        .app
        .budget_report(&user.principal, &query)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let filters = query.filter_params();
    let filter_refs: Vec<(&str, &str)> = filters.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut export_params = filter_refs.clone();
    export_params.push(("by", by_code(query.by)));
    let actions = html! {
        a class="button" href=(url("/budget/summary/export", &export_params)) { "导出 Excel" }
    };
    let tabs: Vec<(String, bool, &str)> = REPORT_DIMENSIONS
        .iter()
        .map(|(code, label)| {
            let mut params = filter_refs.clone();
            params.push(("by", code));
            (
                url("/budget/summary", &params),
                *code == by_code(query.by),
                *label,
            )
        })
        .collect();
    let base_name = report
        .base_region
        .as_ref()
        .map_or(String::new(), |(_, name)| name.clone());
    let content = html! {
        (heading(&[("", "预算编制")], "预算汇总", actions))
        div class="tabs" {
            @for (href, active, label) in &tabs {
                a href=(href) class=[active.then_some("active")] { (label) }
            }
        }
        (filter_form(&query))
        p class="muted small" {
            (report.fiscal_year) " 年度 · 汇总范围：" (base_name)
            @if query.own_level { "（本级）" } @else { "及所辖区划" }
            @for (name, value) in &filters {
                @if *name != "year" && *name != "own" { " · " span class="tag" { (filter_label(name)) "=" (value) } }
            }
            " · "
            a href=(url("/budget/summary", &[("by", by_code(query.by)), ("year", &report.fiscal_year.to_string())])) { "清除条件" }
        }
        (table(&query, &report, &base_name))
    };
    Ok(layout::page(&user, "预算汇总", "/budget/summary", content).into_response())
}

fn filter_label(name: &str) -> &'static str {
    match name {
        "region" => "财政区划",
        "dept" => "主管部门",
        "agency" => "预算单位",
        "func" => "功能分类",
        "eco" => "经济分类",
        "fund" => "资金性质",
        _ => "条件",
    }
}

fn filter_form(query: &BudgetReportQuery) -> Markup {
    let field = |name: &str, label: &str, value: &Option<String>, hint: &str| {
        html! {
            label class="field" {
                span class="label" { (label) }
                input type="text" name=(name) value=(value.clone().unwrap_or_default()) size="11" placeholder=(hint) title=(hint);
            }
        }
    };
    html! {
        form method="get" action="/budget/summary" class="card filters" {
            input type="hidden" name="by" value=(by_code(query.by));
            label class="field" {
                span class="label" { "预算年度" }
                input type="text" name="year" value=(query.fiscal_year) size="6";
            }
            (field("region", "财政区划", &query.region, "9 位代码，含下级"))
            (field("dept", "主管部门", &query.dept_code, "部门代码"))
            (field("agency", "预算单位", &query.agency_code, "单位代码"))
            (field("func", "功能分类", &query.exp_func, "201 或 20101…"))
            (field("eco", "经济分类", &query.dep_bgt_eco, "301 或 30101…"))
            (field("fund", "资金性质", &query.fund_type, "如 111"))
            button type="submit" { "查询" }
        }
    }
}

/// Where a group's name leads: the next level down of the same kind, or the units.
fn drill(query: &BudgetReportQuery, row: &ReportRow) -> String {
    let mut next = query.clone();
    let by = match query.by {
        ReportBy::Region if row.key.is_empty() => {
            next.own_level = true;
            ReportBy::Unit
        }
        ReportBy::Region => {
            next.region = Some(row.key.clone());
            next.own_level = false;
            ReportBy::Region
        }
        ReportBy::Dept => {
            next.dept_code = Some(row.key.clone());
            ReportBy::Unit
        }
        ReportBy::Unit => {
            next.agency_code = Some(row.key.clone());
            ReportBy::Func(7)
        }
        ReportBy::Func(level) => {
            next.exp_func = Some(row.key.clone());
            if level < 7 {
                ReportBy::Func(level + 2)
            } else {
                ReportBy::Unit
            }
        }
        ReportBy::Eco(level) => {
            next.dep_bgt_eco = Some(row.key.clone());
            if level < 5 {
                ReportBy::Eco(5)
            } else {
                ReportBy::Unit
            }
        }
        ReportBy::Fund => {
            next.fund_type = Some(row.key.clone());
            ReportBy::Unit
        }
    };
    let params = next.filter_params();
    let mut refs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    refs.push(("by", by_code(by)));
    url("/budget/summary", &refs)
}

fn figure_cells(figures: &ReportFigures, strong: bool) -> Markup {
    html! {
        td class="num" { (figures.n_units) }
        td class="num" { (money(figures.apply_up_fen)) }
        td class="num" { (money(figures.fin_audit_fen)) }
        td class="num" { (money(figures.reply_fen)) }
        td class="num" { (money(figures.adjust_fen)) }
        td class="num" { (money(figures.current_fen)) }
        td class="num" {
            @if strong { strong { (money(figures.amount_fen)) } } @else { (money(figures.amount_fen)) }
        }
    }
}

fn table(query: &BudgetReportQuery, report: &BudgetReport, base_name: &str) -> Markup {
    let shown = report.rows.len().min(PAGE_GROUPS_MAX);
    html! {
        div class="card table-card" {
            table class="data" {
                thead { tr {
                    th { (by_label(query.by)) }
                    @for heading in FIGURE_HEADINGS { th class="num" { (heading) } }
                } }
                tbody {
                    @for row in report.rows.iter().take(PAGE_GROUPS_MAX) {
                        tr {
                            td { a href=(drill(query, row)) title="下钻查看明细" { (row_label(query.by, row, base_name)) } }
                            (figure_cells(&row.figures, true))
                        }
                    }
                    @if report.rows.is_empty() {
                        tr { td colspan="8" class="muted" { "没有符合条件的预算数据。" } }
                    }
                }
                tfoot {
                    tr class="totals-row" {
                        td { strong { "合计" } }
                        (figure_cells(&report.totals, true))
                    }
                }
            }
            div class="pager" {
                span {
                    "金额单位：元 · 点击名称下钻 · 调整调剂 = 调整数 + 调剂数"
                    @if shown < report.rows.len() {
                        " · 仅显示前 " (shown) " 组（共 " (report.rows.len()) " 组），请导出 Excel 查看全部"
                    }
                }
            }
        }
    }
}
