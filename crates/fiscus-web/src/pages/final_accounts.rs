//! 决算 pages: the list of regions and units in scope with the status and check result of
//! their sets (`/final-accounts`), and the report viewer of one set
//! (`/final-accounts/{scope}/{code}/{year}`) with a tab per table (封面, 财决01 … 资产负债简表,
//! 校验结果), amounts in 元, the checks panel and the buttons 生成 / 报送 / 审核 / 导出Excel
//! (forms with the CSRF token). Printing shows the chosen table only.

use std::collections::HashMap;

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use fiscus_app::AppError;
use fiscus_app::final_accounts::{LIST_PAGE_SIZE, SetView};
use fiscus_core::final_accounts::{Scope, SetStatus, table_def};
use fiscus_core::{Action, Principal, Rejection, Resource, Role};
use fiscus_store::final_accounts::ListRow;
use maud::{Markup, PreEscaped, html};

use super::budget::{Refusal, form_pairs};
use super::ledger::money;
use super::ledger::ops_form::Pairs;
use crate::context::{CurrentUser, PageUser, RequestInfo};
use crate::pages::layout::{self, csrf_field, heading, url};
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

/// The year the pages show when none is asked for: the last closed budget year of the demo.
pub const YEAR_DEFAULT: i64 = 2026;

const STYLE: &str = r#"
.fa-status { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: .84rem; }
.fa-status.generated { background: #eef2ff; color: #3730a3; }
.fa-status.submitted { background: #fff7e6; color: #9a5b00; }
.fa-status.accepted { background: #e8f6ec; color: #1a7f37; }
.fa-status.none { background: #f3f4f6; color: #6b7280; }
.fa-ok { color: #1a7f37; }
.fa-bad { color: #b42318; font-weight: 600; }
table.fa td.label { white-space: nowrap; }
table.fa tr.strong td { font-weight: 600; background: #f5f7fa; }
table.fa td.code { color: #6b7280; font-size: .86rem; white-space: nowrap; }
.fa-title { text-align: center; margin: 4px 0 2px; font-size: 1.15rem; }
.fa-sub { display: flex; justify-content: space-between; color: #6b7280; font-size: .88rem; margin-bottom: 6px; }
.fa-actions form { display: inline; }
@media print { .sidenav, .topbar, .tabs, .fa-actions, .no-print { display: none !important; } }
"#;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/final-accounts", get(list))
        .route("/final-accounts/{scope}/{code}/{year}", get(viewer))
        .route("/final-accounts/{scope}/{code}/{year}/export", get(export))
        .route("/final-accounts/{scope}/{code}/{year}/{action}", post(act))
}

/// The navigation link, for roles that may read final accounts.
pub fn nav_links(principal: &Principal) -> Vec<(&'static str, &'static str)> {
    if principal.can(Action::Read, Resource::FinalAccounts) {
        vec![("/final-accounts", "决算")]
    } else {
        Vec::new()
    }
}

fn status_tag(status: Option<&str>) -> Markup {
    match status.and_then(SetStatus::from_code) {
        Some(status) => {
            html! { span class=(format!("fa-status {}", status.code())) { (status.label()) } }
        }
        None => html! { span class="fa-status none" { "未生成" } },
    }
}

fn checks_tag(n_failed: Option<i64>) -> Markup {
    match n_failed {
        None => html! { span class="muted" { "—" } },
        Some(0) => html! { span class="fa-ok" { "✓ 全部通过" } },
        Some(n) => html! { span class="fa-bad" { (n) " 处未通过" } },
    }
}

/// A stored UTC time as people read it: `2026-11-28 01:19 UTC`.
fn time_text(at: &str) -> String {
    match at.get(..16) {
        Some(minutes) => format!("{} UTC", minutes.replace('T', " ")),
        None => at.to_owned(),
    }
}

fn set_href(scope: &str, code: &str, year: i64) -> String {
    format!("/final-accounts/{scope}/{code}/{year}")
}

fn parse_year(text: Option<&String>) -> Option<i64> {
    match text.map(|t| t.trim()).filter(|t| !t.is_empty()) {
        None => Some(YEAR_DEFAULT),
        Some(t) => t.parse::<i64>().ok().filter(|y| (2000..=2100).contains(y)),
    }
}

async fn list(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let rid = &info.request_id;
    let year = parse_year(params.get("year")).ok_or_else(|| {
        PageError::new(
            Rejection::FieldInvalid {
                field: "决算年度",
                expected: "四位年份",
            },
            rid,
        )
    })?;
    let page = params
        .get("page")
        .and_then(|p| p.trim().parse::<i64>().ok())
        .unwrap_or(1)
        .max(1);
    let view = state
        .app
        .final_accounts_list(&user.principal, year, page)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let n_pages = (view.n_units + LIST_PAGE_SIZE - 1) / LIST_PAGE_SIZE;
    let year_text = year.to_string();
    let row = |row: &ListRow, scope_label: &str| {
        let set = row.set.as_ref();
        html! {
            tr {
                td { (scope_label) }
                td class="code" { (row.org_code) }
                td { a href=(set_href(&row.scope, &row.org_code, year)) { (row.org_name) } }
                td { (status_tag(set.map(|s| s.status.as_str()))) }
                td { (checks_tag(set.map(|s| s.n_checks_failed))) }
                td class="muted small" { (set.map_or(String::new(), |s| time_text(&s.generated_at))) }
            }
        }
    };
    let content = html! {
        style { (PreEscaped(STYLE)) }
        (heading(&[("", "决算")], "决算报表", html! {}))
        form method="get" action="/final-accounts" class="card filters no-print" {
            label class="field" {
                span class="label" { "决算年度" }
                input type="text" name="year" value=(year) size="6";
            }
            button type="submit" class="button" { "查询" }
            span class="muted small" { "单位决算由单位经办生成并报送，区划汇总由预算处生成，上级预算处审核。校验未通过的报表可以查看，不能报送。" }
        }
        @if !view.regions.is_empty() {
            div class="card" {
                h2 { "区划汇总（含所辖区划全部单位）" }
                table class="data fa" {
                    thead { tr { th { "范围" } th { "代码" } th { "名称" } th { "状态" } th { "校验" } th { "生成时间" } } }
                    tbody { @for r in &view.regions { (row(r, "区划汇总")) } }
                }
            }
        }
        @if !view.departments.is_empty() {
            div class="card" {
                h2 { "部门汇总（含所属单位）" }
                table class="data fa" {
                    thead { tr { th { "范围" } th { "代码" } th { "名称" } th { "状态" } th { "校验" } th { "生成时间" } } }
                    tbody { @for r in &view.departments { (row(r, "部门汇总")) } }
                }
            }
        }
        div class="card" {
            h2 { "单位决算" span class="muted small" { " 共 " (view.n_units) " 个单位" } }
            table class="data fa" {
                thead { tr { th { "范围" } th { "代码" } th { "名称" } th { "状态" } th { "校验" } th { "生成时间" } } }
                tbody {
                    @for r in &view.units { (row(r, "单位")) }
                    @if view.units.is_empty() { tr { td colspan="6" class="muted" { "没有可查看的单位" } } }
                }
            }
            @if n_pages > 1 {
                p class="pager no-print" {
                    @if view.page > 1 { a href=(url("/final-accounts", &[("year", &year_text), ("page", &(view.page - 1).to_string())])) { "上一页" } " " }
                    "第 " (view.page) " / " (n_pages) " 页"
                    @if view.page < n_pages { " " a href=(url("/final-accounts", &[("year", &year_text), ("page", &(view.page + 1).to_string())])) { "下一页" } }
                }
            }
        }
    };
    Ok(layout::page(&user, "决算报表", "/final-accounts", content).into_response())
}

fn parse_target(scope: &str, year: &str, rid: &str) -> Result<(Scope, i64), PageError> {
    let scope = Scope::parse(scope).map_err(|e| PageError::new(e, rid))?;
    let year = parse_year(Some(&year.to_owned())).ok_or_else(|| {
        PageError::new(
            Rejection::FieldInvalid {
                field: "决算年度",
                expected: "四位年份",
            },
            rid,
        )
    })?;
    Ok((scope, year))
}

async fn viewer(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path((scope, code, year)): Path<(String, String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let rid = &info.request_id;
    let (scope, year) = parse_target(&scope, &year, rid)?;
    let tab = params
        .get("table")
        .cloned()
        .unwrap_or_else(|| "cj01".to_owned());
    let done = params.get("done").cloned().unwrap_or_default();
    render(&state, &user, rid, scope, &code, year, &tab, &done, None).await
}

#[allow(clippy::too_many_arguments)]
async fn render(
    state: &AppState,
    user: &CurrentUser,
    rid: &str,
    scope: Scope,
    code: &str,
    year: i64,
    tab: &str,
    done: &str,
    refusal: Option<Refusal>,
) -> PageResult {
    let who = &user.principal;
    let view = match state
        .app
        .final_accounts_report(who, scope, code, year)
        .await
    {
        Ok(view) => Some(view),
        Err(AppError::Rejected(Rejection::NotFound { .. })) => None,
        Err(error) => return Err(PageError::new(error, rid)),
    };
    let base = set_href(scope.code(), code, year);
    let title = view.as_ref().map_or_else(
        || format!("{code} {year} 年度决算"),
        |v| format!("{} {year} 年度决算", v.header.org_name),
    );
    let status = view.as_ref().map(|v| v.header.status.clone());
    let content = html! {
        style { (PreEscaped(STYLE)) }
        (heading(&[("/final-accounts", "决算"), ("", scope.label())], &title, actions(user, scope, code, &base, view.as_ref())))
        @if let Some(refusal) = &refusal { (refusal.notice("")) }
        @match done {
            "generate" => { div class="notice ok" { "已生成。" } }
            "submit" => { div class="notice ok" { "已报送，等待上级预算处审核。" } }
            "accept" => { div class="notice ok" { "已审核。" } }
            _ => {}
        }
        @match &view {
            None => {
                div class="card" {
                    p { "本年度的决算报表尚未生成。" }
                    p class="muted small" { "生成时从指标账（指标金额、已支出、结转结余）和本单位财务会计账取数，汇总报表按所辖单位汇总。" }
                }
            }
            Some(view) => { (summary(view, status.as_deref())) (tabs(view, &base, tab)) (tab_body(view, tab)) }
        }
    };
    let status_code = refusal
        .as_ref()
        .map_or(axum::http::StatusCode::OK, |r| r.status);
    Ok((
        status_code,
        layout::page(user, &title, "/final-accounts", content),
    )
        .into_response())
}

fn actions(
    user: &CurrentUser,
    scope: Scope,
    code: &str,
    base: &str,
    view: Option<&SetView>,
) -> Markup {
    let who = &user.principal;
    let writer = who.can(Action::Write, Resource::FinalAccounts);
    let status = view.and_then(|v| SetStatus::from_code(&v.header.status));
    let may_generate = writer
        && matches!(status, None | Some(SetStatus::Generated))
        && (scope != Scope::Region || who.roles.contains(Role::BudgetDivision));
    let may_submit = writer
        && status == Some(SetStatus::Generated)
        && match scope {
            Scope::Region => {
                who.roles.contains(Role::BudgetDivision) && who.mof_div_code().as_str() == code
            }
            _ => who.roles.contains(Role::UnitClerk) || who.roles.contains(Role::DeptReviewer),
        };
    let may_accept = writer
        && status == Some(SetStatus::Submitted)
        && who.roles.contains(Role::BudgetDivision)
        && !(scope == Scope::Region && who.mof_div_code().as_str() == code);
    let failed = view.map_or(0, |v| v.checks.n_failed());
    let button = |action: &str, label: &str, primary: bool, confirm: &str| {
        html! {
            form method="post" action=(format!("{base}/{action}")) {
                (csrf_field(user))
                button type="submit" class=(if primary { "button primary" } else { "button" }) data-confirm=(confirm) { (label) }
            }
        }
    };
    html! {
        span class="fa-actions" {
            @if may_generate { (button("generate", if view.is_some() { "重新生成" } else { "生成" }, view.is_none(), "从指标账和会计账重新取数生成本套报表吗？")) " " }
            @if may_submit {
                @if failed == 0 { (button("submit", "报送", true, "确定报送本套决算报表吗？报送后不能重新生成。")) " " }
                @else { button type="button" class="button" disabled title="校验未通过，不能报送" { "报送（校验未通过）" } " " }
            }
            @if may_accept { (button("accept", "审核通过", true, "确定审核通过本套决算报表吗？")) " " }
            @if view.is_some() { a class="button" href=(format!("{base}/export")) { "导出Excel" } " " }
            button type="button" class="button no-print" onclick="window.print()" { "打印" }
        }
    }
}

fn summary(view: &SetView, status: Option<&str>) -> Markup {
    let header = &view.header;
    let set = &view.set;
    html! {
        div class="card" {
            div class="stats" {
                @for (label, fen) in [
                    ("本年收入合计", set.cell("cj01", "in.total", "amount")),
                    ("本年支出合计", set.cell("cj01", "ex.total", "amount")),
                    ("年初结转和结余", set.cell("cj01", "open", "amount")),
                    ("年末结转和结余", set.cell("cj01", "close", "amount")),
                ] {
                    div class="stat" { div class="stat-label" { (label) } div class="stat-value" { (fiscus_core::Fen(fen).to_yuan_string()) } div class="stat-unit" { "元" } }
                }
            }
            p class="small" {
                "状态：" (status_tag(status))
                " · 校验：" (checks_tag(Some(i64::try_from(view.checks.n_failed()).unwrap_or(i64::MAX))))
                " · 汇总单位数：" (header.n_units)
                " · 生成：" (time_text(&header.generated_at)) "（" (header.generated_by) "）"
                @if let Some(at) = &header.submitted_at { " · 报送：" (time_text(at)) }
                @if let Some(at) = &header.accepted_at { " · 审核：" (time_text(at)) }
            }
            @if !header.year_closed {
                p class="notice warn small" { "本年度尚未年终结转：年末结转和结余为指标未用余额（可用、冻结和在途之和），年终结转后重新生成即按结转、结余数列示。" }
            }
        }
    }
}

fn tabs(view: &SetView, base: &str, active: &str) -> Markup {
    let failed = view.checks.n_failed();
    html! {
        div class="tabs" role="tablist" {
            a href=(url(base, &[("table", "cover")])) class=[(active == "cover").then_some("active")] { "封面" }
            @for table in &view.set.tables {
                @if let Some(def) = table_def(&table.code) {
                    a href=(url(base, &[("table", def.code)])) class=[(active == def.code).then_some("active")] title=(def.title) { (def.number) }
                }
            }
            a href=(url(base, &[("table", "checks")])) class=[(active == "checks").then_some("active")] {
                "校验结果"
                @if failed > 0 { " " span class="tab-count" { (failed) } }
            }
        }
    }
}

fn tab_body(view: &SetView, tab: &str) -> Markup {
    if tab == "cover" {
        return html! {
            div class="card" {
                h2 class="fa-title" { (view.header.org_name) " " (view.header.fiscal_year) " 年度部门决算报表" }
                table class="data fa" { tbody { @for (label, value) in &view.cover.lines { tr { td class="label" { (label) } td { (value) } } } } }
            }
        };
    }
    if tab == "checks" {
        return checks_panel(view);
    }
    let Some(table) = view.set.table(tab).or_else(|| view.set.tables.first()) else {
        return html! { div class="card" { p class="muted" { "没有报表" } } };
    };
    let Some(def) = table_def(&table.code) else {
        return html! {};
    };
    let with_code = table
        .rows
        .iter()
        .any(|r| !fiscus_app::final_accounts::excel::row_class_code(&r.code).is_empty());
    html! {
        div class="card" {
            h2 class="fa-title" { (def.number) " " (def.title) }
            div class="fa-sub" { span { "编制单位：" (view.header.org_name) } span { (view.header.fiscal_year) " 年度" } span { "金额单位：元" } }
            table class="data fa" {
                thead { tr {
                    th { "项目" }
                    @if with_code { th { "科目编码" } }
                    @for column in def.columns { th class="num" { (column.label) } }
                } }
                tbody {
                    @for row in &table.rows {
                        @let strong = row.code == "total" || row.code.ends_with("total") || row.code.ends_with("grand") || (row.level == 0 && (row.code.starts_with("f.") || row.code.starts_with("e.")));
                        tr class=[strong.then_some("strong")] {
                            td class="label" style=(format!("padding-left: {}px", 10 + 18 * u32::from(row.level))) { (row.label) }
                            @if with_code { td class="code" { (fiscus_app::final_accounts::excel::row_class_code(&row.code)) } }
                            @for fen in &row.cells { td class="num" { (money(*fen)) } }
                        }
                    }
                    @if table.rows.is_empty() { tr { td colspan="9" class="muted" { "本表无数据" } } }
                }
            }
        }
    }
}

fn checks_panel(view: &SetView) -> Markup {
    let checks = &view.checks;
    html! {
        div class="card" {
            @if checks.passed() {
                p class="notice ok" { "表内、表间校验共 " (checks.rules.len()) " 条规则，全部通过。" }
            } @else {
                p class="notice error" { "有 " (checks.n_failed()) " 处校验未通过：报表可以查看，但不能报送。请核对指标账和会计账后重新生成。" }
            }
            table class="data fa" {
                thead { tr { th { "规则代码" } th { "类别" } th { "规则" } th { "结果" } } }
                tbody {
                    @for rule in &checks.rules {
                        tr {
                            td class="code" { (rule.code) }
                            td { (rule.kind.label()) }
                            td { (rule.title) }
                            td {
                                @if rule.failures.is_empty() { span class="fa-ok" { "通过" } }
                                @else {
                                    span class="fa-bad" { "未通过" }
                                    ul class="small" { @for failure in &rule.failures { li { (failure) } } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn export(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path((scope, code, year)): Path<(String, String, String)>,
) -> PageResult {
    let rid = &info.request_id;
    let (scope, year) = parse_target(&scope, &year, rid)?;
    let bytes = state
        .app
        .final_accounts_export_xlsx(&user.principal, scope, &code, year)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    Ok(crate::api::xlsx_file_response(
        &format!("final-accounts-{}-{code}-{year}", scope.code()),
        &format!("决算报表-{code}-{year}"),
        bytes,
    ))
}

async fn act(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path((scope, code, year, action)): Path<(String, String, String, String)>,
    form: Result<Form<Pairs>, FormRejection>,
) -> PageResult {
    let rid = &info.request_id;
    let (scope, year) = parse_target(&scope, &year, rid)?;
    form_pairs(form, rid)?;
    let who = &user.principal;
    let app = &state.app;
    let outcome = match action.as_str() {
        "generate" => app.final_accounts_generate(who, scope, &code, year).await,
        "submit" => app.final_accounts_submit(who, scope, &code, year).await,
        "accept" => app.final_accounts_accept(who, scope, &code, year).await,
        _ => return Err(PageError::new(Rejection::NotFound { what: "页面" }, rid)),
    };
    match outcome {
        Ok(_) => Ok(Redirect::to(&url(
            &set_href(scope.code(), &code, year),
            &[("done", &action)],
        ))
        .into_response()),
        Err(error @ AppError::Rejected(_)) => {
            let refusal = Refusal::of(&error, rid);
            let tab = if matches!(
                error,
                AppError::Rejected(Rejection::FinalAccountsChecksFailed { .. })
            ) {
                "checks"
            } else {
                "cj01"
            };
            render(
                &state,
                &user,
                rid,
                scope,
                &code,
                year,
                tab,
                "",
                Some(refusal),
            )
            .await
        }
        Err(error) => Err(PageError::new(error, rid)),
    }
}
