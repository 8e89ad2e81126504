//! The 基本支出一键测算 page: a unit clerk picks the fiscal year and calculates; the page then
//! says what happened to the 人员类 and 公用经费 projects (generated, recalculated, unchanged,
//! already declared), links to each, and names the persons no standard covers. A refusal
//! comes back on the same page with its Chinese message.

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use fiscus_app::AppError;
use fiscus_app::project::basic::{BasicChange, BasicOutcome};
use fiscus_core::Rejection;
use maud::{Markup, html};

use super::{Pairs, form_pairs, project_href, require_clerk, value};
use crate::api::project::basic::fiscal_year;
use crate::context::{CurrentUser, PageUser, RequestInfo};
use crate::error::describe;
use crate::pages::layout::{self, csrf_field, heading, notice_error, notice_ok};
use crate::pages::payment::yuan;
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

pub async fn form(PageUser(user): PageUser, info: RequestInfo) -> PageResult {
    require_clerk(&user, &info.request_id)?;
    Ok(page(
        &user,
        &this_year().to_string(),
        None,
        None,
        StatusCode::OK,
    ))
}

pub async fn calculate(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    form: Result<Form<Pairs>, FormRejection>,
) -> PageResult {
    let rid = &info.request_id;
    require_clerk(&user, rid)?;
    let pairs = form_pairs(form, rid)?;
    let year_text = value(&pairs, "fiscal_year");
    let who = &user.principal;
    let result = async {
        let year = fiscal_year(&serde_json::Value::String(year_text.clone()))?;
        let agency_code = who.agency_code().cloned().ok_or(Rejection::Forbidden)?;
        state
            .app
            .project_basic_calculate(who, &agency_code, year, &info.ctx())
            .await
    }
    .await;
    match result {
        Ok(outcome) => Ok(page(
            &user,
            &year_text,
            Some(&outcome),
            None,
            StatusCode::OK,
        )),
        Err(error @ AppError::Rejected(_)) => {
            let (status, _, message, _) = describe(&error, rid);
            let message = format!("{message}。没有生成或修改任何项目。");
            Ok(page(&user, &year_text, None, Some(&message), status))
        }
        Err(error) => Err(PageError::new(error, rid)),
    }
}

/// The calendar year in Beijing: the default fiscal year of the calculation.
fn this_year() -> i32 {
    time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+8))
        .year()
}

fn page(
    user: &CurrentUser,
    year_text: &str,
    outcome: Option<&BasicOutcome>,
    error: Option<&str>,
    status: StatusCode,
) -> axum::response::Response {
    let title = "基本支出一键测算";
    let content = html! {
        (heading(&[("/projects", "项目库")], title, html! { a class="button ghost" href="/projects" { "返回项目库" } }))
        @if let Some(error) = error { (notice_error(error)) }
        @if let Some(outcome) = outcome { (results(outcome)) }
        form method="post" action="/projects/basic" class="card record-form" {
            (csrf_field(user))
            h2 { "测算本单位的人员类和公用经费项目" }
            ol class="steps" {
                li { "系统按本单位" strong { "在职人员" } "的人员身份（公务员、事业人员、工勤人员等）统计人数，乘以该年度的" strong { "人员经费标准" } "，生成「人员类」项目。" }
                li { "按在职人数乘以适用于本单位类型的" strong { "公用经费标准" } "（办公费、差旅费等），生成「运转类」公用经费项目。" }
                li { "测算结果保存为草稿。请在项目详情中核对测算明细，无误后点击「确认并申报」，进入与其他项目相同的审核流程。" }
            }
            p class="hint" { "人员或标准有变化时，再次测算即可按最新数据刷新草稿；已申报或已入库的项目不会被改动。支出标准由财政部门在「支出标准」中维护，人员信息在「人员」中维护。" }
            div class="form-grid" {
                label class="field" {
                    span class="label" { "预算年度" span class="req" { " *" } }
                    input type="text" inputmode="numeric" name="fiscal_year" value=(year_text) placeholder="如 2026";
                }
            }
            div class="form-actions" {
                button type="submit" class="button primary" { "一键测算" }
                " "
                a class="button ghost" href="/projects" { "取消" }
            }
        }
    };
    (
        status,
        layout::page(user, title, "/projects/basic", content),
    )
        .into_response()
}

fn results(outcome: &BasicOutcome) -> Markup {
    let any_draft = outcome.results.iter().any(|result| {
        matches!(
            result.change,
            BasicChange::Created | BasicChange::Refreshed | BasicChange::Unchanged
        )
    });
    html! {
        (notice_ok(&format!("{} 年度测算完成：本单位在职 {} 人。", outcome.fiscal_year.0, outcome.n_in_service)))
        div class="card" {
            h2 { "测算结果" }
            div class="table-wrap" {
                table class="data" {
                    thead { tr { th { "项目类别" } th class="num" { "测算金额（元）" } th { "结果" } th { "" } } }
                    tbody {
                        @for result in &outcome.results {
                            tr {
                                td { (result.category.label()) @if result.category != fiscus_core::project::ProjectCategory::Personnel { "（公用经费）" } }
                                td class="num" { @if result.change == BasicChange::NoLines { "—" } @else { (yuan(result.total_fen.0)) } }
                                td { (result.change.label()) }
                                td { @if let Some(pro_id) = &result.pro_id { a href=(project_href(pro_id)) { "查看测算明细" } } }
                            }
                        }
                    }
                }
            }
            @if !outcome.uncovered.is_empty() {
                p class="hint" {
                    "以下在职人员没有适用的人员经费标准，未计入人员类项目（仍计入公用经费人数）："
                    @for (index, count) in outcome.uncovered.iter().enumerate() {
                        @if index > 0 { "、" }
                        (count.per_ide_name) " " (count.n_persons) " 人"
                    }
                    "。如需计入，请财政部门补充相应标准。"
                }
            }
            @if any_draft { p { "请打开各项目核对测算明细，无误后点击「确认并申报」。" } }
        }
    }
}
