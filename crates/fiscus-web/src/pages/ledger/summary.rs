//! 指标汇总: the selected indicators summed by region, unit, function class (类 / 款 / 项)
//! or fund nature, with counts and a grand total; each group links to 指标查询 filtered to it.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Query, State};
use axum::response::IntoResponse;
use fiscus_app::ledger::query::{IndicatorQuery, SummaryBy};
use maud::{Markup, html};

use super::{LedgerNames, money, totals_figures};
use crate::context::{PageUser, RequestInfo};
use crate::pages::layout::{self, heading, url};
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

const GROUPINGS: [(&str, &str, &str); 6] = [
    ("region", "", "按财政区划"),
    ("agency", "", "按预算单位"),
    ("func", "3", "按功能分类（类）"),
    ("func", "5", "按功能分类（款）"),
    ("func", "7", "按功能分类（项）"),
    ("fund", "", "按资金性质"),
];

pub async fn summary(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let rid = &info.request_id;
    let by = SummaryBy::parse(
        params.get("by").map(String::as_str),
        params.get("level").map(String::as_str),
    )
    .map_err(|e| PageError::new(e, rid))?;
    let params: BTreeMap<String, String> = params
        .into_iter()
        .filter(|(k, v)| {
            !v.trim().is_empty() && !matches!(k.as_str(), "page" | "page_size" | "sort" | "dir")
        })
        .collect();
    let query = IndicatorQuery::parse(&params).map_err(|e| PageError::new(e, rid))?;
    let (rows, totals) = state
        .app
        .indicator_summary(&user.principal, &query.filter, by)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let mut names = LedgerNames::default();
    names.load_codes(&state.app).await;
    let keys: Vec<String> = rows.iter().map(|r| r.key.clone()).collect();
    match by {
        SummaryBy::Region => {
            names
                .load_orgs(&state.app, &user.principal, keys, Vec::new())
                .await
        }
        SummaryBy::Agency => {
            names
                .load_orgs(&state.app, &user.principal, Vec::new(), keys)
                .await
        }
        _ => {}
    }
    let filters: Vec<(&str, &str)> = params
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "by" | "level"))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let level = match by {
        SummaryBy::Func(level) => level.to_string(),
        _ => String::new(),
    };
    let mut export_params = filters.clone();
    export_params.push(("by", by.code()));
    export_params.push(("level", &level));
    let actions = html! {
        a class="button" href=(url("/indicators", &filters)) { "查看明细" }
        " "
        a class="button" href=(url("/api/v1/indicators/summary/export", &export_params)) { "导出 Excel" }
    };
    let drill = |key: &str| -> String {
        let mut params: Vec<(&str, &str)> = filters
            .iter()
            .filter(|(k, _)| *k != by.filter_param())
            .copied()
            .collect();
        params.push((by.filter_param(), key));
        url("/indicators", &params)
    };
    let tabs: Vec<(String, bool, &str)> = GROUPINGS
        .iter()
        .map(|(code, lvl, label)| {
            let mut p = filters.clone();
            p.push(("by", code));
            p.push(("level", lvl));
            let active = by.code() == *code && (*code != "func" || level == *lvl);
            (url("/indicators/summary", &p), active, *label)
        })
        .collect();
    let content = html! {
        (heading(&[("", "指标管理")], "指标汇总", actions))
        div class="tabs" {
            @for (href, active, label) in &tabs {
                a href=(href) class=[active.then_some("active")] { (label) }
            }
        }
        @if !filters.is_empty() {
            p class="muted small" { "已按查询条件筛选：" @for (k, v) in &filters { span class="tag" { (k) "=" (v) } " " } a href=(url("/indicators/summary", &[("by", by.code()), ("level", &level)])) { "清除条件" } }
        }
        (totals_figures(&totals))
        div class="card table-card" {
            table class="data" {
                thead { tr {
                    th { (by.label()) } th class="num" { "指标数" } th class="num" { "指标金额" } th class="num" { "冻结" }
                    th class="num" { "在途" } th class="num" { "已支出" } th class="num" { "可用余额" }
                } }
                tbody {
                    @for row in &rows {
                        tr {
                            td { a href=(drill(&row.key)) title="查看该组的指标明细" { (group_name(by, &row.key, &names)) } }
                            td class="num" { (row.totals.count) }
                            td class="num" { (money(row.totals.total_fen)) }
                            td class="num" { (money(row.totals.frozen_fen)) }
                            td class="num" { (money(row.totals.reserved_fen)) }
                            td class="num" { (money(row.totals.spent_fen)) }
                            td class="num" { strong { (money(row.totals.available_fen)) } }
                        }
                    }
                    @if rows.is_empty() {
                        tr { td colspan="7" class="muted" { "没有符合条件的指标。" } }
                    }
                }
                tfoot {
                    tr class="totals-row" {
                        td { strong { "合计" } }
                        td class="num" { (totals.count) }
                        td class="num" { (money(totals.total_fen)) }
                        td class="num" { (money(totals.frozen_fen)) }
                        td class="num" { (money(totals.reserved_fen)) }
                        td class="num" { (money(totals.spent_fen)) }
                        td class="num" { strong { (money(totals.available_fen)) } }
                    }
                }
            }
            div class="pager" { span { "金额单位：元 · 点击分组名称查看明细" } }
        }
    };
    Ok(layout::page(&user, "指标汇总", "/indicators/summary", content).into_response())
}

fn group_name(by: SummaryBy, key: &str, names: &LedgerNames) -> Markup {
    if key.is_empty() {
        let text = match by {
            SummaryBy::Agency => "（财政待分，未分配到单位）",
            _ => "（未填写）",
        };
        return html! { span class="muted" { (text) } };
    }
    match by {
        SummaryBy::Region => names.show_region(key),
        SummaryBy::Agency => names.show_agency(Some(key)),
        SummaryBy::Func(_) => names.show_code("exp_func_code", key),
        SummaryBy::Fund => names.show_code("fund_type_code", key),
    }
}
