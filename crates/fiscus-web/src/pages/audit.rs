//! The audit log page (审计日志) for administrators and auditors: logins and every change in
//! the viewer's part of the tree, filtered by user, action and record kind, newest first.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::IntoResponse;
use fiscus_core::schema::{ALL, EntitySpec};
use fiscus_core::{Action, Rejection, Resource};
use maud::{Markup, html};

use super::format::{ACTIONS, Names, action_name, beijing_time};
use super::layout::{self, heading, record_href, url};
use super::records::history::{changes_markup, changes_of, want_names};
use super::{PageError, PageResult};
use crate::context::{PageUser, RequestInfo};
use crate::state::AppState;

/// Raw change text of entries outside the record kinds is cut to this many characters.
const RAW_CHANGES_CHARS_MAX: usize = 160;

pub async fn audit_log(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let rid = &info.request_id;
    let principal = &user.principal;
    if !principal.can(Action::Read, Resource::AuditLog) {
        return Err(PageError::new(Rejection::Forbidden, rid));
    }
    let query = crate::api::audit_query(&params);
    let (page, page_size) = (query.page, query.page_size);
    let (rows, total) = state
        .app
        .audit_log(principal, query)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let specs: Vec<Option<&'static EntitySpec>> = rows
        .iter()
        .map(|row| row.entity.as_deref().and_then(EntitySpec::by_name))
        .collect();
    let changes: Vec<_> = rows
        .iter()
        .zip(&specs)
        .map(|(row, spec)| spec.map(|spec| changes_of(spec, row)).unwrap_or_default())
        .collect();
    let mut names = Names::default();
    want_names(&changes, &mut names);
    names.fetch(&state.app, principal).await;

    let param = |name: &str| {
        params
            .get(name)
            .map(|v| v.trim())
            .unwrap_or_default()
            .to_owned()
    };
    let n_pages = ((total + i64::from(page_size) - 1) / i64::from(page_size)).max(1);
    let page_href = |target: i64| {
        let target = target.to_string();
        url(
            "/audit-log",
            &[
                ("user_name", &param("user_name")),
                ("action", &param("action")),
                ("entity", &param("entity")),
                ("entity_key", &param("entity_key")),
                ("page", &target),
            ],
        )
    };
    let content = html! {
        (heading(&[("", "系统管理")], "审计日志", html! {}))
        p class="muted small" { "登录、退出和每一次新增、修改、停用、启用、查看证件号码都记录在此，不能修改或删除。时间为北京时间。" }
        form method="get" action="/audit-log" class="card filters" {
            label class="field" { span class="label" { "用户名" } input type="text" name="user_name" value=(param("user_name")) size="14"; }
            label class="field" {
                span class="label" { "操作" }
                select name="action" data-autosubmit {
                    option value="" { "全部" }
                    @for action in ACTIONS { option value=(action) selected[param("action") == action] { (action_name(action)) } }
                }
            }
            label class="field" {
                span class="label" { "对象" }
                select name="entity" data-autosubmit {
                    option value="" { "全部" }
                    @for spec in ALL { option value=(spec.name) selected[param("entity") == spec.name] { (spec.label) } }
                }
            }
            label class="field" { span class="label" { "记录标识" } input type="text" name="entity_key" value=(param("entity_key")) size="16"; }
            div class="filter-actions" {
                button type="submit" class="button primary" { "查询" }
                " "
                a class="button ghost" href="/audit-log" { "重置" }
            }
        }
        div class="card table-card" {
            @if rows.is_empty() {
                div class="empty" { div class="empty-title" { "没有符合条件的日志" } }
            } @else {
                div class="table-scroll" {
                    table class="data history" {
                        thead { tr {
                            th class="w-time" { "时间" } th class="w-user" { "操作人" } th class="w-action" { "操作" }
                            th { "对象" } th { "内容" } th { "IP 地址" } th { "请求编号" }
                        } }
                        tbody {
                            @for ((row, spec), row_changes) in rows.iter().zip(&specs).zip(&changes) {
                                tr {
                                    td class="nowrap" { (beijing_time(&row.at)) }
                                    td { (row.user_name) }
                                    td { span class="tag" { (action_name(&row.action)) } }
                                    td { (target(*spec, row.entity.as_deref(), row.entity_key.as_deref())) }
                                    td {
                                        @if spec.is_some() { (changes_markup(row_changes, &names)) }
                                        @else if let Some(raw) = &row.changes { span class="muted small" { (raw.chars().take(RAW_CHANGES_CHARS_MAX).collect::<String>()) } }
                                    }
                                    td class="nowrap small" { (row.ip.as_deref().unwrap_or("")) }
                                    td class="code small" { (row.request_id.as_deref().unwrap_or("")) }
                                }
                            }
                        }
                    }
                }
            }
            div class="pager" {
                span { "共 " strong { (total) } " 条 · 第 " (page) " / " (n_pages) " 页" }
                span class="pager-links" {
                    @if i64::from(page) > 1 { a href=(page_href(i64::from(page) - 1)) rel="prev" { "‹ 上一页" } } @else { span class="disabled" { "‹ 上一页" } }
                    @if i64::from(page) < n_pages { a href=(page_href(i64::from(page) + 1)) rel="next" { "下一页 ›" } } @else { span class="disabled" { "下一页 ›" } }
                }
            }
        }
    };
    Ok(layout::page(&user, "审计日志", "/audit-log", content).into_response())
}

/// The record an entry is about, linked when it is a record kind with pages.
fn target(spec: Option<&'static EntitySpec>, entity: Option<&str>, key: Option<&str>) -> Markup {
    match (spec, key) {
        (Some(spec), Some(key)) => {
            html! { span class="muted" { (spec.label) } " " a href=(record_href(spec, key)) class="code" { (key) } }
        }
        (Some(spec), None) => html! { (spec.label) },
        (None, _) => html! { (entity.unwrap_or("")) " " (key.unwrap_or("")) },
    }
}
