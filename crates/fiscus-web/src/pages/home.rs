//! The home page: the user's first open tasks (待办) with a link to the inbox, quick links,
//! and how many records the user can see.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use fiscus_core::query::ListQuery;
use fiscus_core::schema::{self, EntitySpec};
use fiscus_core::{Action, OrgNode};
use maud::html;

use super::layout::{self, heading};
use crate::context::PageUser;
use crate::state::AppState;

/// Record kinds counted on the home page, with the measure word after each count.
const COUNTED: [(&EntitySpec, &str); 4] = [
    (&schema::AGENCY, "户"),
    (&schema::PERSON, "人"),
    (&schema::AGENCY_ACCOUNT, "个"),
    (&schema::STANDARD, "项"),
];

/// Open tasks listed on the home page.
const HOME_TASKS_MAX: u32 = 5;

pub async fn home(State(state): State<AppState>, PageUser(user): PageUser) -> Response {
    let principal = &user.principal;
    let (tasks, n_tasks, nodes) =
        super::flow::inbox::first_tasks(&state, principal, HOME_TASKS_MAX).await;
    let (returned, n_returned) = super::flow::inbox::returned_to_me(&state, principal).await;
    let mut counts = Vec::new();
    for (spec, unit) in COUNTED {
        if !principal.can(Action::Read, spec.resource) {
            continue;
        }
        let mut query = ListQuery::first_page(spec);
        query.page_size = 1;
        // A count that cannot be read is left out rather than failing the home page.
        if let Ok(page) = state.app.list_records(principal, spec, &query).await {
            counts.push((spec, unit, page.total));
        }
    }
    let scope_note = match &principal.org {
        OrgNode::FinanceBureau { .. } => "您可查看本级及下级区划的全部数据。",
        OrgNode::Agency { .. } if principal.roles.contains(fiscus_core::Role::DeptReviewer) => {
            "您可查看本部门及所属下级单位的数据。"
        }
        OrgNode::Agency { .. } => "您可查看本单位的数据。",
    };
    let mut links: Vec<(String, &str)> = Vec::new();
    if principal.can(Action::Read, fiscus_core::Resource::Region) {
        links.push(("/tree".into(), "区划树与单位树"));
    }
    if let Some(agency_code) = principal.agency_code() {
        links.push((
            layout::record_href(&schema::AGENCY, agency_code.as_str()),
            "本单位信息",
        ));
        links.push((
            layout::url("/persons", &[("agency_code", agency_code.as_str())]),
            "本单位人员",
        ));
    }
    for spec in [&schema::AGENCY, &schema::PERSON, &schema::STANDARD] {
        if principal.can(Action::Write, spec.resource) {
            links.push((format!("/{}/new", spec.name), new_label(spec)));
        }
    }
    links.push(("/codes".into(), "查询要素编码"));
    links.push(("/account/password".into(), "修改密码"));
    let content = html! {
        (heading(&[], &format!("您好，{}", principal.display_name), html! {}))
        p class="muted" { (principal.org_name) " · " (principal.roles.names_zh()) " · " (scope_note) }
        div class="grid-2" {
            section class="card" {
                h2 { "待办事项" }
                @if !returned.is_empty() {
                    (super::flow::inbox::returned_card(&returned, n_returned))
                }
                @if tasks.is_empty() && returned.is_empty() {
                    div class="empty" {
                        div class="empty-title" { "暂无待办事项" }
                        p { "需要您审核的单据将在这里列出，点击即可办理。" }
                    }
                } @else if !tasks.is_empty() {
                    (super::flow::inbox::home_tasks(&tasks, n_tasks, &nodes))
                }
            }
            section class="card" {
                h2 { "快捷入口" }
                ul class="quick-links" {
                    @for (href, label) in &links { li { a href=(href) { (label) } } }
                }
            }
        }
        section class="card" {
            h2 { "数据概况" }
            p class="muted small" { "以下为您的数据范围内的记录数（含已停用）。" }
            div class="stats" {
                @for (spec, unit, total) in &counts {
                    a class="stat" href=(format!("/{}", spec.name)) {
                        div class="stat-label" { (spec.label) }
                        div class="stat-value" { (total) span class="stat-unit" { (unit) } }
                    }
                }
            }
        }
    };
    layout::page(&user, "首页", "/", content).into_response()
}

fn new_label(spec: &EntitySpec) -> &'static str {
    match spec.name {
        "agencies" => "新增预算单位",
        "persons" => "新增人员",
        "standards" => "新增支出标准",
        _ => "新增",
    }
}
