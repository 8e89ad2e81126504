//! 指标查询: the filter form (every standard element, 辖区 regions, function-class prefix,
//! free text), the sortable, paged list with a totals row over every selected indicator (not
//! only the page shown), and 导出 Excel of the same selection.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use fiscus_app::AppError;
use fiscus_app::ledger::query::{IndicatorPage, IndicatorQuery};
use maud::{Markup, html};

use super::{LedgerNames, indicator_href, indicator_title, money, state_badge, totals_figures};
use crate::context::{CurrentUser, PageUser, RequestInfo};
use crate::error::describe;
use crate::pages::layout::{self, heading, notice_error, url};
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

const PAGE_SIZES: [u32; 3] = [20, 50, 100];

/// Sortable columns: (wire name, header).
const SORTABLE: [(&str, &str); 8] = [
    ("bgt_id", "指标编号"),
    ("mof_div_code", "财政区划"),
    ("agency_code", "预算单位"),
    ("exp_func_code", "功能分类"),
    ("total_fen", "指标金额"),
    ("frozen_fen", "冻结"),
    ("spent_fen", "已支出"),
    ("available_fen", "可用余额"),
];

pub async fn list(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Query<Vec<(String, String)>>,
) -> PageResult {
    let rid = &info.request_id;
    let params: BTreeMap<String, String> = params
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect();
    let result = match IndicatorQuery::parse(&params) {
        Ok(query) => state
            .app
            .indicator_list(&user.principal, &query)
            .await
            .map(|page| (query, page)),
        Err(rejection) => Err(AppError::Rejected(rejection)),
    };
    let mut names = LedgerNames::default();
    names.load_codes(&state.app).await;
    let view = ListView { params: &params };
    match result {
        Ok((query, page)) => {
            let rows: Vec<_> = page.rows.iter().collect();
            let (regions, agencies) = super::orgs_of(&rows);
            names
                .load_orgs(&state.app, &user.principal, regions, agencies)
                .await;
            let content = html! {
                (view.filters(&names))
                (totals_figures(&page.totals))
                (view.table(&query, &page, &names))
            };
            Ok(
                layout::page(&user, "指标查询", "/indicators", view.frame(&user, content))
                    .into_response(),
            )
        }
        Err(error @ AppError::Rejected(_)) => {
            let (status, _, message, _) = describe(&error, rid);
            let content = html! {
                (notice_error(&message))
                (view.filters(&names))
                p { a href="/indicators" { "清除全部查询条件" } }
            };
            let status = if status.is_client_error() {
                status
            } else {
                StatusCode::BAD_REQUEST
            };
            Ok((
                status,
                layout::page(&user, "指标查询", "/indicators", view.frame(&user, content)),
            )
                .into_response())
        }
        Err(error) => Err(PageError::new(error, rid)),
    }
}

struct ListView<'a> {
    params: &'a BTreeMap<String, String>,
}

impl ListView<'_> {
    fn param(&self, name: &str) -> &str {
        self.params.get(name).map_or("", String::as_str)
    }

    fn href_with(&self, changes: &[(&str, &str)]) -> String {
        let mut params: Vec<(&str, &str)> = self
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .filter(|(k, _)| !changes.iter().any(|(name, _)| name == k))
            .collect();
        params.extend(changes.iter().copied());
        url("/indicators", &params)
    }

    fn frame(&self, user: &CurrentUser, content: Markup) -> Markup {
        let selection: Vec<(&str, &str)> = self
            .params
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "page" | "page_size"))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let export = url("/api/v1/indicators/export", &selection);
        let summary = url("/indicators/summary", &selection);
        let can_write = user
            .principal
            .can(fiscus_core::Action::Write, fiscus_core::Resource::Indicator);
        let actions = html! {
            a class="button" href=(summary) { "按条件汇总" }
            " "
            a class="button" href=(export) title="按当前查询条件导出全部指标（含合计行）" { "导出 Excel" }
            @if can_write {
                " "
                a class="button primary" href="/indicators/ops/enter" { "指标录入" }
            }
        };
        html! {
            (heading(&[("", "指标管理")], "指标查询", actions))
            (content)
        }
    }

    fn text_field(&self, name: &str, label: &str, size: u32, hint: &str) -> Markup {
        html! {
            label class="field" {
                span class="label" { (label) }
                input type="text" name=(name) value=(self.param(name)) size=(size) title=(hint) placeholder=(hint);
            }
        }
    }

    fn select(&self, name: &str, label: &str, options: &[(&str, &str)]) -> Markup {
        let current = self.param(name);
        html! {
            label class="field" {
                span class="label" { (label) }
                select name=(name) data-autosubmit {
                    option value="" { "全部" }
                    @for (value, text) in options {
                        option value=(value) selected[current == *value] { (text) }
                    }
                }
            }
        }
    }

    fn code_select(&self, names: &LedgerNames, name: &str, label: &str, max_len: usize) -> Markup {
        let options: Vec<(String, String)> = names
            .options(name)
            .into_iter()
            .filter(|(code, _)| code.len() <= max_len)
            .map(|(code, text)| (code.to_owned(), format!("{code} {text}")))
            .collect();
        let refs: Vec<(&str, &str)> = options
            .iter()
            .map(|(c, t)| (c.as_str(), t.as_str()))
            .collect();
        self.select(name, label, &refs)
    }

    fn filters(&self, names: &LedgerNames) -> Markup {
        html! {
            form method="get" action="/indicators" class="card filters" {
                label class="field grow" {
                    span class="label" { "查询" }
                    input type="search" name="q" value=(self.param("q")) placeholder="指标文标题、文号或指标编号（部分匹配）";
                }
                (self.text_field("mof_div_code", "财政区划", 11, "9 位代码；998 结尾含下级"))
                (self.text_field("fiscal_year", "预算年度", 6, "如 2026"))
                (self.text_field("agency_code", "预算单位代码", 10, "单位代码"))
                (self.text_field("exp_func_code", "功能分类", 9, "201 或 20101…"))
                (self.text_field("pro_code", "项目代码", 10, ""))
                (self.text_field("cor_bgt_doc_no", "指标文号", 14, ""))
                (self.code_select(names, "gov_bgt_eco_code", "政府经济分类", 3))
                (self.code_select(names, "dep_bgt_eco_code", "部门经济分类", 3))
                (self.code_select(names, "fund_type_code", "资金性质", 3))
                (self.code_select(names, "bgt_type_code", "指标类型", 2))
                (self.select("bgt_exe_flag", "可执行标志", &[("1", "可执行"), ("2", "待分")]))
                (self.select("pool_level", "待分级次", &[("total", "总待分"), ("division", "处室待分"), ("department", "部门待分")]))
                (self.select("closed", "指标状态", &[("open", "执行中"), ("closed", "已结转关闭")]))
                label class="field" {
                    span class="label" { "每页" }
                    select name="page_size" data-autosubmit {
                        @for size in PAGE_SIZES {
                            option value=(size) selected[self.param("page_size") == size.to_string()] { (size) " 条" }
                        }
                    }
                }
                @if !self.param("sort").is_empty() {
                    input type="hidden" name="sort" value=(self.param("sort"));
                    input type="hidden" name="dir" value=(self.param("dir"));
                }
                div class="filter-actions" {
                    button type="submit" class="button primary" { "查询" }
                    " "
                    a class="button ghost" href="/indicators" { "重置" }
                }
            }
        }
    }

    fn sort_header(&self, name: &str, query: &IndicatorQuery) -> Markup {
        let Some((_, label)) = SORTABLE.iter().find(|(wire, _)| *wire == name) else {
            return html! {};
        };
        let current = query.sort == name;
        let next_dir = if current && !query.descending {
            "desc"
        } else {
            "asc"
        };
        let arrow = match (current, query.descending) {
            (false, _) => "",
            (true, false) => " ▲",
            (true, true) => " ▼",
        };
        let href = self.href_with(&[("sort", name), ("dir", next_dir), ("page", "")]);
        html! { a class={ "sort" @if current { " current" } } href=(href) title="点击排序" { (label) (arrow) } }
    }

    fn table(&self, query: &IndicatorQuery, page: &IndicatorPage, names: &LedgerNames) -> Markup {
        let t = &page.totals;
        html! {
            div class="card table-card" {
                @if page.rows.is_empty() {
                    div class="empty" {
                        div class="empty-title" { "没有符合条件的指标" }
                        p { "请调整查询条件，或 " a href="/indicators" { "清除全部条件" } "。" }
                    }
                } @else {
                    div class="table-scroll" {
                        table class="data ledger-list" {
                            thead { tr {
                                th { (self.sort_header("bgt_id", query)) " / 指标文标题" }
                                th { (self.sort_header("mof_div_code", query)) }
                                th { (self.sort_header("agency_code", query)) }
                                th { (self.sort_header("exp_func_code", query)) }
                                th { "经济分类" }
                                th { "资金性质" }
                                th { "状态" }
                                th class="num" { (self.sort_header("total_fen", query)) }
                                th class="num" { (self.sort_header("frozen_fen", query)) }
                                th class="num" { "在途" }
                                th class="num" { (self.sort_header("spent_fen", query)) }
                                th class="num" { (self.sort_header("available_fen", query)) }
                            } }
                            tbody {
                                @for row in &page.rows {
                                    @let e = &row.elements;
                                    @let f = &row.figures;
                                    tr {
                                        td {
                                            a href=(indicator_href(row.bgt_id.as_str())) { (indicator_title(row)) }
                                            div class="code muted small" { (row.bgt_id) @if !e.cor_bgt_doc_no.is_empty() { " · " (e.cor_bgt_doc_no) } }
                                        }
                                        td { (names.show_region(e.mof_div_code.as_str())) }
                                        td { (names.show_agency(e.agency_code.as_ref().map(|c| c.as_str()))) }
                                        td { (names.show_code("exp_func_code", &e.exp_func_code)) }
                                        td class="nowrap" { span class="code" { (e.gov_bgt_eco_code) } " / " span class="code" { (e.dep_bgt_eco_code) } }
                                        td { (names.show_code("fund_type_code", &e.fund_type_code)) }
                                        td class="nowrap" { (state_badge(row)) }
                                        td class="num" { (money(f.total_fen)) }
                                        td class="num" { (money(f.frozen_fen)) }
                                        td class="num" { (money(f.reserved_fen)) }
                                        td class="num" { (money(f.spent_fen)) }
                                        td class="num" { strong { (money(f.available_fen)) } }
                                    }
                                }
                            }
                            tfoot {
                                tr class="totals-row" {
                                    td colspan="7" { strong { "合计" } span class="muted small" { "（全部 " (t.count) " 条符合条件的指标，不只本页）" } }
                                    td class="num" { (money(t.total_fen)) }
                                    td class="num" { (money(t.frozen_fen)) }
                                    td class="num" { (money(t.reserved_fen)) }
                                    td class="num" { (money(t.spent_fen)) }
                                    td class="num" { strong { (money(t.available_fen)) } }
                                }
                            }
                        }
                    }
                }
                (self.pager(query, t.count))
            }
        }
    }

    fn pager(&self, query: &IndicatorQuery, total: i64) -> Markup {
        let page_size = i64::from(query.page_size);
        let n_pages = ((total + page_size - 1) / page_size).max(1);
        let current = i64::from(query.page);
        let page_href = |page: i64| self.href_with(&[("page", &page.to_string())]);
        html! {
            div class="pager" {
                span { "共 " strong { (total) } " 条 · 第 " (current) " / " (n_pages) " 页 · 金额单位：元" }
                span class="pager-links" {
                    @if current > 1 {
                        a href=(page_href(1)) { "首页" }
                        a href=(page_href(current - 1)) rel="prev" { "‹ 上一页" }
                    } @else {
                        span class="disabled" { "首页" } span class="disabled" { "‹ 上一页" }
                    }
                    @if current < n_pages {
                        a href=(page_href(current + 1)) rel="next" { "下一页 ›" }
                        a href=(page_href(n_pages)) { "末页" }
                    } @else {
                        span class="disabled" { "下一页 ›" } span class="disabled" { "末页" }
                    }
                }
            }
        }
    }
}
