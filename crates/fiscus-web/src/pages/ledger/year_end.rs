//! 年终结转: the region year-end close of the indicator ledger (ADR 0011) for the user's
//! region and a chosen year — a preview (open indicators, amounts to carry and to lapse, frozen
//! money released, blocking 在途 reservations), the confirm form (CSRF) for the budget
//! division of that region, and the history of closes in the user's subtree with their
//! figures.

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect};
use fiscus_app::ledger::ops::CarryRule;
use fiscus_app::ledger::year_end::YearEndPreview;
use fiscus_core::{Rejection, Role};
use fiscus_store::ledger::year_end::CloseRecord;
use maud::{Markup, html};

use super::money;
use super::ops_form::{Pairs, value};
use crate::context::{CurrentUser, PageUser, RequestInfo};
use crate::error::describe;
use crate::pages::layout::{self, csrf_field, heading, notice_error, notice_ok};
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

const PATH: &str = "/indicators/year-end";
const RULES: [CarryRule; 3] = [CarryRule::ProjectsOnly, CarryRule::All, CarryRule::Nothing];

/// The year shown: `?year=`, else the latest year with a closable or closed record, else
/// the current year of the ledger (2026 in the shipped code tables).
fn year_of(pairs: &Pairs) -> Result<i32, Rejection> {
    let text = value(pairs, "year");
    if text.is_empty() {
        return Ok(fiscus_app::codes::SHIPPED_YEAR);
    }
    match text.parse::<i32>() {
        Ok(year) if (2000..=2100).contains(&year) => Ok(year),
        _ => Err(Rejection::FieldInvalid {
            field: "预算年度",
            expected: "四位年份",
        }),
    }
}

fn rule_of(pairs: &Pairs) -> CarryRule {
    CarryRule::from_code(&value(pairs, "rule")).unwrap_or(CarryRule::ProjectsOnly)
}

pub async fn page(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(query): Query<Pairs>,
) -> PageResult {
    let rid = &info.request_id;
    let year = year_of(&query).map_err(|e| PageError::new(e, rid))?;
    let rule = rule_of(&query);
    let done = value(&query, "ok") == "1";
    let content = render_for(&state, &user, year, rule, done, None, rid).await?;
    Ok(layout::page(&user, "年终结转", PATH, content).into_response())
}

pub async fn confirm(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    form: Result<Form<Pairs>, FormRejection>,
) -> PageResult {
    let rid = &info.request_id;
    let Form(pairs) = form.map_err(|_| {
        PageError::new(
            Rejection::FieldInvalid {
                field: "表单",
                expected: "网页表单提交的内容",
            },
            rid,
        )
    })?;
    let year = year_of(&pairs).map_err(|e| PageError::new(e, rid))?;
    let rule = rule_of(&pairs);
    let region = user.principal.mof_div_code().as_str().to_owned();
    let result = state
        .app
        .year_end_close(&user.principal, &region, year, rule, None, &info.ctx())
        .await;
    match result {
        Ok(_) => Ok(
            Redirect::to(&format!("{PATH}?year={year}&rule={}&ok=1", rule.code())).into_response(),
        ),
        Err(error) => {
            let (status, _, message, _) = describe(&error, rid);
            let content = render_for(&state, &user, year, rule, false, Some(&message), rid).await?;
            Ok((status, layout::page(&user, "年终结转", PATH, content)).into_response())
        }
    }
}

async fn render_for(
    state: &AppState,
    user: &CurrentUser,
    year: i32,
    rule: CarryRule,
    done: bool,
    error: Option<&str>,
    rid: &str,
) -> Result<Markup, PageError> {
    let region = user.principal.mof_div_code().as_str().to_owned();
    let preview = state
        .app
        .year_end_preview(&user.principal, &region, year, rule)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let records = state
        .app
        .year_end_records(&user.principal, None)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    Ok(render(user, year, rule, &preview, &records, done, error))
}

fn render(
    user: &CurrentUser,
    year: i32,
    rule: CarryRule,
    preview: &YearEndPreview,
    records: &[CloseRecord],
    done: bool,
    error: Option<&str>,
) -> Markup {
    let principal = &user.principal;
    let may_close =
        principal.roles.contains(Role::BudgetDivision) && principal.agency_code().is_none();
    let blocked = preview.n_blocking > 0;
    html! {
        (heading(&[("", "指标管理")], "年终结转", html! {
            button type="button" class="button ghost" onclick="window.print()" { "打印" }
        }))
        @if done { (notice_ok("年终结转已完成，该年度指标从此只能查询。")) }
        @if let Some(message) = error { (notice_error(message)) }
        p class="muted" {
            "年终结转结余：本区划本年度执行中的指标先解除冻结，按结转规则把余额结转为下一年度的指标（资金来源「上年结转」，保留原指标编号的追溯关系），"
            "其余结余收回本区划的总待分指标（没有总待分指标的区划收回到本年度预算来源）；原指标关闭，该年度此后只能查询，不能再录入、调整或支付。结转只能进行一次。"
        }
        form method="get" action=(PATH) class="card filters" {
            label class="field" {
                span class="label" { "预算年度" }
                input type="number" name="year" value=(year) min="2000" max="2100";
            }
            label class="field" {
                span class="label" { "结转规则" }
                select name="rule" {
                    @for option in RULES { option value=(option.code()) selected[option == rule] { (option.label()) } }
                }
            }
            div class="form-actions" { button type="submit" class="button" { "预览" } }
        }
        div class="card" {
            h2 { (principal.org_name) " " (year) " 年度" }
            @if let Some(record) = &preview.closed {
                p { span class="badge" { "已结转" } " " (record.finished_at) " 由 " (record.closed_by) " 完成（" (rule_label(&record.carry_rule)) "）。" }
            }
            table class="data" {
                tbody {
                    tr { th { "执行中的指标" } td class="num" { (preview.n_open) " 个" } }
                    tr { th { "待分指标（保留在原年度）" } td class="num" { (preview.n_pools) " 个" } }
                    tr { th { "拟结转到下年度" } td { (money(preview.carry_fen)) " 元" } }
                    tr {
                        th { @if preview.has_total_pool { "拟结余收回总待分" } @else { "拟结余收回预算来源" } }
                        td { (money(preview.lapse_fen)) " 元" }
                    }
                    tr { th { "其中解除冻结" } td { (money(preview.frozen_fen)) " 元" } }
                    tr {
                        th { "在途支付（阻止结转）" }
                        td class=[(preview.n_blocking > 0).then_some("negative")] {
                            (preview.n_blocking) " 个指标，" (money(preview.blocking_fen)) " 元"
                        }
                    }
                }
            }
            @if preview.closed.is_none() {
                @if preview.n_blocking > 0 {
                    (notice_error(&format!("还有 {} 个指标存在在途支付，请先办结或撤销后再结转。", preview.n_blocking)))
                }
                @if may_close {
                    form method="post" action=(PATH) class="confirm-form"
                        onsubmit="return confirm('确认对本区划本年度进行年终结转？结转后该年度指标只能查询，且不能撤销。')" {
                        (csrf_field(user))
                        input type="hidden" name="year" value=(year);
                        input type="hidden" name="rule" value=(rule.code());
                        div class="form-actions" {
                            button type="submit" class="button primary" disabled[blocked] { "确认年终结转" }
                        }
                    }
                } @else {
                    p class="muted small" { "只有本级预算处室可以确认年终结转。" }
                }
            }
        }
        div class="card" {
            h2 { "结转记录" }
            @if records.is_empty() {
                p class="muted" { "暂无结转记录。" }
            } @else {
                table class="data" {
                    thead { tr {
                        th { "财政区划" } th { "年度" } th { "结转规则" } th { "关闭指标" } th { "结转指标" }
                        th { "结转金额（元）" } th { "结余收回（元）" } th { "解除冻结（元）" } th { "完成时间" } th { "操作人" }
                    } }
                    tbody {
                        @for record in records {
                            tr {
                                td { (record.mof_div_name) " " span class="muted small" { (record.mof_div_code) } }
                                td class="num" { (record.fiscal_year) }
                                td { (rule_label(&record.carry_rule)) }
                                td class="num" { (record.n_closed) }
                                td class="num" { (record.n_carried) }
                                td { (money(record.carried_fen)) }
                                td { (money(record.lapsed_fen)) }
                                td { (money(record.released_fen)) }
                                td { (record.finished_at) }
                                td { (record.closed_by) }
                            }
                        }
                    }
                    tfoot { tr {
                        th colspan="3" { "合计 " (records.len()) " 个区划" }
                        th class="num" { (records.iter().map(|r| r.n_closed).sum::<i64>()) }
                        th class="num" { (records.iter().map(|r| r.n_carried).sum::<i64>()) }
                        th { (money(sum(records, |r| r.carried_fen))) }
                        th { (money(sum(records, |r| r.lapsed_fen))) }
                        th { (money(sum(records, |r| r.released_fen))) }
                        th {} th {}
                    } }
                }
            }
        }
    }
}

fn sum(records: &[CloseRecord], field: impl Fn(&CloseRecord) -> i64) -> i64 {
    let total: i128 = records.iter().map(|r| i128::from(field(r))).sum();
    i64::try_from(total).unwrap_or(i64::MAX)
}

fn rule_label(code: &str) -> &'static str {
    CarryRule::from_code(code).map_or("", CarryRule::label)
}
