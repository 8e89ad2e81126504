//! 控制数 (一下): the budget division sees the department control numbers of a year and
//! issues them (one row per department of its region, the amount in 元); a competent
//! department's reviewer sees its own number, what it has distributed (已分配 / 未分配) and
//! distributes it to the units of its subtree. Both post to the `App` methods; a refusal comes
//! back on the form with its code, Chinese message and what was typed. Other roles read.

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use fiscus_app::AppError;
use fiscus_app::budget::ControlInput;
use fiscus_core::{Fen, Rejection};
use fiscus_store::budget::ControlListRow;
use fiscus_store::tree::AgencyNode;
use maud::{Markup, html};

use super::{
    Pairs, Refusal, default_year, form_pairs, is_budget_division, is_dept_reviewer, money,
    money_or_dash, parse_year, style, value, year_options,
};
use crate::context::{CurrentUser, PageUser, RequestInfo};
use crate::pages::layout::{self, csrf_field, heading, notice_ok, url};
use crate::pages::payment::when;
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

/// What the page shows, read once per request.
struct Controls {
    year: i64,
    /// The department control numbers the viewer may see.
    depts: Vec<ControlListRow>,
    /// The unit control numbers of the viewer's department (dept reviewer).
    units: Vec<ControlListRow>,
    /// The units a form offers: the region's departments, or the department's subtree.
    targets: Vec<AgencyNode>,
}

pub async fn page(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(query): Query<Pairs>,
) -> PageResult {
    let rid = &info.request_id;
    let year = match parse_year(&value(&query, "year")) {
        Some(year) => year,
        None => default_year(&state.app, &user.principal).await,
    };
    let controls = load(&state, &user, year, rid).await?;
    let ok = match value(&query, "ok").as_str() {
        "issued" => Some(format!(
            "部门控制数已下达（{} 个有变化）。",
            value(&query, "n")
        )),
        "distributed" => Some(format!(
            "控制数已分配到单位（{} 个有变化），收到控制数的单位进入二上编制。",
            value(&query, "n")
        )),
        _ => None,
    };
    Ok(render(&user, &controls, None, None, ok.as_deref()))
}

async fn load(
    state: &AppState,
    user: &CurrentUser,
    year: i64,
    rid: &str,
) -> Result<Controls, PageError> {
    let app = &state.app;
    let who = &user.principal;
    let dept_code = who
        .agency_code()
        .filter(|_| is_dept_reviewer(who))
        .map(|code| code.as_str().to_owned());
    let depts = app
        .budget_controls(who, year, "dept", dept_code.as_deref())
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let units = match &dept_code {
        Some(dept) => app
            .budget_controls(who, year, "unit", Some(dept))
            .await
            .map_err(|e| PageError::new(e, rid))?,
        None => Vec::new(),
    };
    let tree = if is_budget_division(who) || dept_code.is_some() {
        app.agency_tree(who, who.mof_div_code().as_str())
            .await
            .map_err(|e| PageError::new(e, rid))?
    } else {
        Vec::new()
    };
    let targets = if let Some(own_path) = who.agency_path.as_deref().filter(|_| dept_code.is_some())
    {
        tree.into_iter()
            .filter(|node| node.is_enabled && node.agency_path.starts_with(own_path))
            .collect()
    } else if is_budget_division(who) {
        tree.into_iter()
            .filter(|node| node.is_enabled && node.parent_agency_code.is_none())
            .collect()
    } else {
        Vec::new()
    };
    Ok(Controls {
        year,
        depts,
        units,
        targets,
    })
}

fn render(
    user: &CurrentUser,
    controls: &Controls,
    typed: Option<&Pairs>,
    refusal: Option<&Refusal>,
    ok: Option<&str>,
) -> Response {
    let who = &user.principal;
    let title = format!("{} 年控制数", controls.year);
    let content = html! {
        (style())
        (heading(&[("/budget", "预算编制")], &title, html! {
            form method="get" action="/budget/controls" class="inline" {
                select name="year" data-autosubmit aria-label="预算年度" {
                    @for year in year_options(controls.year) {
                        option value=(year) selected[year == controls.year] { (year) " 年" }
                    }
                }
                noscript { button type="submit" class="button small" { "切换年度" } }
            }
        }))
        @if let Some(ok) = ok { (notice_ok(ok)) }
        @if let Some(refusal) = refusal { (refusal.notice("控制数未保存，请修改后重新提交")) }
        @if is_dept_reviewer(who) {
            (dept_view(user, controls, typed))
        } @else {
            (dept_table(controls))
            @if is_budget_division(who) { (issue_form(user, controls, typed)) }
        }
    };
    let status = refusal.map_or(StatusCode::OK, |r| r.status);
    (
        status,
        layout::page(user, &title, "/budget/controls", content),
    )
        .into_response()
}

fn dept_table(controls: &Controls) -> Markup {
    html! {
        div class="card table-card" {
            h2 class="card-title" { "部门控制数" }
            @if controls.depts.is_empty() {
                div class="empty" { div class="empty-title" { "本年度还没有下达部门控制数" } }
            } @else {
                table class="data" {
                    thead { tr { th { "主管部门" } th class="num" { "控制数（元）" } th class="num" { "已分配（元）" } th class="num" { "未分配（元）" } th { "版次" } th { "更新时间" } } }
                    tbody {
                        @for row in &controls.depts {
                            @let c = &row.control;
                            tr {
                                td { (row.agency_name) div class="code muted small" { (c.agency_code) } }
                                td class="num" { (money(c.amount_fen)) }
                                td class="num" { (money(row.distributed_fen)) }
                                td class="num" { (money(c.amount_fen.saturating_sub(row.distributed_fen))) }
                                td { "第 " (c.revision) " 版" }
                                td { (when(Some(&c.updated_at))) div class="muted small" { (c.updated_by) } }
                            }
                        }
                    }
                    tfoot { tr class="totals-row" {
                        td { "合计" }
                        td class="num" { (money(controls.depts.iter().map(|r| r.control.amount_fen).sum())) }
                        td class="num" { (money(controls.depts.iter().map(|r| r.distributed_fen).sum())) }
                        td class="num" { (money(controls.depts.iter().map(|r| r.control.amount_fen.saturating_sub(r.distributed_fen)).sum())) }
                        td {} td {}
                    } }
                }
            }
        }
    }
}

/// The amount a form row shows: what was typed, else the current number.
fn row_amount(typed: Option<&Pairs>, index: usize, current: Option<i64>) -> String {
    match typed {
        Some(pairs) => value(pairs, &format!("amt_{index}")),
        None => current
            .map(|fen| Fen(fen).to_yuan_string())
            .unwrap_or_default(),
    }
}

fn issue_form(user: &CurrentUser, controls: &Controls, typed: Option<&Pairs>) -> Markup {
    html! {
        form method="post" action="/budget/controls" class="card record-form" {
            (csrf_field(user))
            input type="hidden" name="year" value=(controls.year);
            input type="hidden" name="action" value="issue";
            h2 { "下达部门控制数（一下）" }
            p class="muted small" { "本区划的主管部门（一级预算单位）各一行，金额以元为单位；不填的部门不变。控制数不能少于部门已分配给单位的金额。" }
            @if controls.targets.is_empty() {
                p class="notice warn" { "本区划没有可下达控制数的主管部门。" }
            } @else {
                div class="table-wrap" {
                    table class="data edit-rows" {
                        thead { tr { th { "主管部门" } th class="num" { "现控制数（元）" } th { "控制数（元）" } } }
                        tbody {
                            @for (index, node) in controls.targets.iter().enumerate() {
                                @let current = controls.depts.iter().find(|r| r.control.agency_code == node.agency_code).map(|r| r.control.amount_fen);
                                tr {
                                    td {
                                        (node.agency_name) div class="code muted small" { (node.agency_code) }
                                        input type="hidden" name=(format!("code_{index}")) value=(node.agency_code);
                                    }
                                    td class="num" { (money_or_dash(current)) }
                                    td { input type="text" class="num" name=(format!("amt_{index}")) value=(row_amount(typed, index, current)) placeholder="金额（元）" aria-label=(format!("{} 控制数", node.agency_name)); }
                                }
                            }
                        }
                    }
                }
                div class="form-actions" {
                    button type="submit" class="button primary" data-confirm="确定下达这些部门控制数吗？" { "下达控制数" }
                }
            }
        }
    }
}

fn dept_view(user: &CurrentUser, controls: &Controls, typed: Option<&Pairs>) -> Markup {
    let Some(dept) = controls.depts.first() else {
        return html! {
            div class="card empty" {
                div class="empty-title" { "本部门 " (controls.year) " 年的控制数尚未下达" }
                p { "预算处下达部门控制数后，即可在这里分配到所属单位。" }
            }
        };
    };
    let amount = dept.control.amount_fen;
    let distributed: i64 = controls.units.iter().map(|r| r.control.amount_fen).sum();
    let stat = |label: &str, fen: i64| {
        html! { div class="stat" { div class="stat-label" { (label) } div class="stat-value" { (Fen(fen).to_yuan_string()) } div class="stat-unit" { "元" } } }
    };
    html! {
        div class="card budget-head" {
            h2 class="card-title" { (dept.agency_name) " 部门控制数（第 " (dept.control.revision) " 版）" }
            div class="stats" {
                (stat("部门控制数", amount))
                (stat("已分配", distributed))
                (stat("未分配", amount.saturating_sub(distributed)))
            }
        }
        form method="post" action="/budget/controls" class="card record-form" {
            (csrf_field(user))
            input type="hidden" name="year" value=(controls.year);
            input type="hidden" name="action" value="distribute";
            input type="hidden" name="dept" value=(dept.control.agency_code);
            h2 { "分配到单位" }
            p class="muted small" { "本部门及所属单位各一行，金额以元为单位；不填的单位不变。合计不能超过部门控制数。收到控制数的单位进入二上编制。" }
            div class="table-wrap" {
                table class="data edit-rows" {
                    thead { tr { th { "预算单位" } th class="num" { "已分配（元）" } th { "控制数（元）" } } }
                    tbody {
                        @for (index, node) in controls.targets.iter().enumerate() {
                            @let current = controls.units.iter().find(|r| r.control.agency_code == node.agency_code).map(|r| r.control.amount_fen);
                            tr {
                                td {
                                    (node.agency_name) div class="code muted small" { (node.agency_code) }
                                    input type="hidden" name=(format!("code_{index}")) value=(node.agency_code);
                                }
                                td class="num" { (money_or_dash(current)) }
                                td { input type="text" class="num" name=(format!("amt_{index}")) value=(row_amount(typed, index, current)) placeholder="金额（元）" aria-label=(format!("{} 控制数", node.agency_name)); }
                            }
                        }
                    }
                }
            }
            div class="form-actions" {
                button type="submit" class="button primary" { "分配控制数" }
            }
        }
    }
}

/// The rows of the form with an amount; a bad amount names its row.
fn items_of(pairs: &Pairs) -> Result<Vec<ControlInput>, (String, Rejection)> {
    let mut items = Vec::new();
    for (key, code) in pairs {
        let Some(index) = key.strip_prefix("code_") else {
            continue;
        };
        let text = value(pairs, &format!("amt_{index}"));
        if text.trim().is_empty() {
            continue;
        }
        let amount = Fen::parse_yuan(&text, "控制数").map_err(|rejection| {
            let row = index.parse::<usize>().map_or(0, |i| i + 1);
            (format!("第 {row} 行（{code}）"), rejection)
        })?;
        items.push(ControlInput {
            agency_code: code.trim().to_owned(),
            amount,
        });
    }
    Ok(items)
}

pub async fn save(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    form: Result<Form<Pairs>, FormRejection>,
) -> PageResult {
    let rid = &info.request_id;
    let pairs = form_pairs(form, rid)?;
    let year = parse_year(&value(&pairs, "year")).ok_or_else(|| {
        PageError::new(
            Rejection::FieldInvalid {
                field: "预算年度",
                expected: "四位年份",
            },
            rid,
        )
    })?;
    let action = value(&pairs, "action");
    let app = &state.app;
    let who = &user.principal;
    let result = match items_of(&pairs) {
        Err((place, rejection)) => Err(Refusal::at(&place, rejection, rid)),
        Ok(items) => {
            let outcome = if action == "distribute" {
                let dept = value(&pairs, "dept");
                app.budget_distribute_controls(who, year, &dept, &items, &info.ctx())
                    .await
            } else {
                app.budget_issue_controls(who, year, &items, &info.ctx())
                    .await
            };
            match outcome {
                Ok(n_changed) => Ok(n_changed),
                Err(error @ AppError::Rejected(_)) => Err(Refusal::of(&error, rid)),
                Err(error) => return Err(PageError::new(error, rid)),
            }
        }
    };
    match result {
        Ok(n_changed) => {
            let ok = if action == "distribute" {
                "distributed"
            } else {
                "issued"
            };
            let to = url(
                "/budget/controls",
                &[
                    ("year", &year.to_string()),
                    ("ok", ok),
                    ("n", &n_changed.to_string()),
                ],
            );
            Ok(Redirect::to(&to).into_response())
        }
        Err(refusal) => {
            let controls = load(&state, &user, year, rid).await?;
            Ok(render(&user, &controls, Some(&pairs), Some(&refusal), None))
        }
    }
}
