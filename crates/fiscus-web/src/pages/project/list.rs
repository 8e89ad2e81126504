//! The 项目库 list and the 储备库 (the 已入库 projects): status tabs, filters by year, category
//! and unit, the count and total of every match, paging, and the Excel export of the same
//! selection (`/api/v1/projects/export.xlsx`).

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::response::IntoResponse;
use fiscus_app::project::list::ProjectFilter;
use fiscus_core::Fen;
use fiscus_core::project::{ProjectCategory, ProjectState};
use maud::html;

use super::{Pairs, category_name, is_unit_clerk, page_param, project_href, state_badge, value};
use crate::context::{PageUser, RequestInfo};
use crate::pages::layout::{self, heading, url};
use crate::pages::payment::{pager, yuan};
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

const PAGE_ROWS: i64 = 20;

pub async fn list(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(query): Query<Pairs>,
) -> PageResult {
    let rid = &info.request_id;
    let params: BTreeMap<String, String> = query.iter().cloned().collect();
    let filter = ProjectFilter::parse(&params).map_err(|e| PageError::new(e, rid))?;
    let page = page_param(&query);
    let found = state
        .app
        .project_list(&user.principal, &filter, page, PAGE_ROWS)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let clerk = is_unit_clerk(&user.principal);
    let pool = filter.status == Some(ProjectState::Reserved);
    let title = if pool { "储备库" } else { "项目库" };
    let kept = filter.params();
    let with = |extra: &[(&'static str, String)]| {
        let mut params: Vec<(&str, String)> = kept
            .iter()
            .filter(|(name, _)| !extra.iter().any(|(other, _)| other == name))
            .cloned()
            .collect();
        params.extend(extra.iter().cloned());
        params
    };
    let href = |path: &str, params: &[(&str, String)]| {
        let pairs: Vec<(&str, &str)> = params.iter().map(|(n, v)| (*n, v.as_str())).collect();
        url(path, &pairs)
    };
    let tab = |status: &str| href("/projects", &with(&[("status", status.to_owned())]));
    let page_href = |page: i64| href("/projects", &with(&[("page", page.to_string())]));
    let export = href("/api/v1/projects/export.xlsx", &kept);
    let status_text = filter.status.map_or("", ProjectState::code);
    let category_text = filter.category.map_or("", ProjectCategory::code);
    let actions = html! {
        a class="button" href=(export) title="按当前查询条件导出全部项目（含合计行）" { "导出 Excel" }
        @if clerk {
            " " a class="button" href="/projects/basic" { "基本支出一键测算" }
            " " a class="button primary" href="/projects/new" { "新建项目" }
        }
    };
    let content = html! {
        (heading(&[("", "项目库")], title, actions))
        @if pool { p class="muted" { "储备库是审核通过、已入库的项目，编制预算时从这里选取。" } }
        div class="tabs" {
            a href=(tab("")) class=[filter.status.is_none().then_some("active")] { "全部" }
            @for state in ProjectState::ALL {
                a href=(tab(state.code())) class=[(filter.status == Some(state)).then_some("active")] {
                    @if state == ProjectState::Reserved { "已入库（储备库）" } @else { (state.label()) }
                }
            }
        }
        form method="get" action="/projects" class="card filters" {
            input type="hidden" name="status" value=(status_text);
            label class="field" {
                span class="label" { "年度" }
                input type="text" inputmode="numeric" name="year" size="6" value=(value(&query, "year")) placeholder="如 2026" title="项目期限包含该年度";
            }
            label class="field" {
                span class="label" { "项目类别" }
                select name="pro_cat_code" data-autosubmit {
                    option value="" selected[category_text.is_empty()] { "全部类别" }
                    @for category in ProjectCategory::ALL {
                        option value=(category.code()) selected[category_text == category.code()] { (category.label()) }
                    }
                }
            }
            @if !clerk {
                label class="field" {
                    span class="label" { "预算单位代码" }
                    input type="text" name="agency_code" size="14" value=(value(&query, "agency_code")) placeholder="单位代码";
                }
            }
            div class="filter-actions" {
                button type="submit" class="button primary" { "查询" }
                " "
                a class="button ghost" href=(tab(status_text)) { "重置" }
            }
        }
        @if found.rows.is_empty() {
            div class="card empty" {
                p { @if kept.is_empty() { "项目库中还没有项目。" } @else { "没有符合条件的项目。" } }
                @if clerk && kept.is_empty() {
                    p {
                        a class="button primary" href="/projects/new" { "新建第一个项目" }
                        " " a class="button" href="/projects/basic" { "基本支出一键测算" }
                    }
                }
            }
        } @else {
            p class="muted small" { "共 " strong { (found.count) } " 个项目，项目总额合计 " strong { (Fen(found.total_fen.0).to_yuan_string()) } " 元。" }
            div class="table-wrap" {
                table class="data" {
                    thead { tr {
                        th { "项目编码" } th { "项目名称" } th { "预算单位" } th { "类别" } th { "期限" } th class="num" { "项目总额（元）" } th { "状态" }
                    } }
                    tbody {
                        @for view in &found.rows {
                            @let row = &view.row;
                            tr {
                                td class="nowrap code" { a href=(project_href(&row.pro_id)) { (row.pro_code) } }
                                td {
                                    a href=(project_href(&row.pro_id)) { (row.pro_name) }
                                    @if view.is_calculated() { " " span class="badge info" title="由基本支出一键测算生成" { "一键测算" } }
                                }
                                td class="code" { (row.agency_code) }
                                td class="nowrap" { (category_name(&row.pro_cat_code)) }
                                td class="nowrap" { (row.pro_start_year) "–" (row.pro_end_year) }
                                td class="num" { (yuan(row.pro_total_amt)) }
                                td { (state_badge(&row.status)) }
                            }
                        }
                    }
                }
            }
            (pager(
                html! { "第 " (page) " 页，每页 " (PAGE_ROWS) " 条" },
                (page > 1).then(|| page_href(page - 1)),
                found.has_more(page, PAGE_ROWS).then(|| page_href(page + 1)),
            ))
        }
    };
    Ok(layout::page(&user, title, "/projects", content).into_response())
}
