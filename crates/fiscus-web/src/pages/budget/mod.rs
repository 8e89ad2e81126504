//! The 预算编制 pages (二上二下): the list of unit budgets of a year (`list`), one unit's
//! budget with its tables, 勾稽审核表, 版本历史, the clerk's 填报 form and 报送, and a
//! printable view (`sheet`, `edit`), 控制数 issued by the budget division and distributed by a
//! competent department (`controls`), 批复下达 and 预下达 of a region (`approve`), and 调整调剂
//! documents (`adjust`). Every read and write goes through the `App::budget_*` methods, which
//! check role and scope; a refusal comes back beside the form with the stable code and the
//! Chinese message. Shared here: role predicates, navigation, years, stage badges, form input,
//! and the readable card of a budget document on the flow document page (`card`).
//!
//! Excel import/export (`/budget/excel/...`) and the summary reports (`/budget/summary`) are
//! served by other modules; these pages only link to them.

mod adjust;
mod approve;
mod controls;
mod edit;
mod list;
mod sheet;

use axum::extract::Form;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::routing::{get, post};
use fiscus_app::{App, AppError};
use fiscus_core::budget::{SheetStatus, Stage};
use fiscus_core::flow::DocType;
use fiscus_core::{Fen, Principal, Rejection, Role};
use fiscus_store::budget::SheetQuery;
use maud::{Markup, PreEscaped, html};

use crate::context::percent_encode;
use crate::error::describe;
use crate::state::AppState;

pub(crate) type Pairs = Vec<(String, String)>;

/// Rows of one page of the sheet list and of the version history.
const PAGE_ROWS: i64 = 20;
/// The years a page accepts in its path or query.
const YEAR_MIN: i64 = 2000;
const YEAR_MAX: i64 = 2100;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/budget", get(list::list))
        .route("/budget/controls", get(controls::page).post(controls::save))
        .route("/budget/approve", get(approve::page).post(approve::act))
        .route("/budget/adjust", get(adjust::page).post(adjust::create))
        .route("/budget/{year}/{agency_code}", get(sheet::sheet))
        .route("/budget/{year}/{agency_code}/print", get(sheet::print))
        .route("/budget/{year}/{agency_code}/save", post(edit::save))
        .route("/budget/{year}/{agency_code}/submit", post(edit::submit))
}

/// A unit clerk compiles its own unit's budget.
pub fn is_unit_clerk(principal: &Principal) -> bool {
    principal.roles.contains(Role::UnitClerk) && principal.agency_code().is_some()
}

/// A unit-level user (clerk or approver) who sees only its own unit.
fn is_unit_user(principal: &Principal) -> bool {
    principal.agency_code().is_some() && !principal.roles.contains(Role::DeptReviewer)
}

/// The reviewer of a competent department distributes its control number.
pub fn is_dept_reviewer(principal: &Principal) -> bool {
    principal.roles.contains(Role::DeptReviewer) && principal.agency_code().is_some()
}

/// The budget division issues control numbers and approves.
pub fn is_budget_division(principal: &Principal) -> bool {
    principal.roles.contains(Role::BudgetDivision)
}

/// Roles with budget work (compiling, reviewing, approving or querying budgets).
fn has_budget_work(principal: &Principal) -> bool {
    [
        Role::BudgetDivision,
        Role::BusinessDivision,
        Role::PerformanceDivision,
        Role::ReviewCentre,
        Role::UnitClerk,
        Role::UnitApprover,
        Role::DeptReviewer,
        Role::Auditor,
    ]
    .into_iter()
    .any(|role| principal.roles.contains(role))
}

/// The navigation links of the 预算编制 group that `principal` may use.
pub fn nav_links(principal: &Principal) -> Vec<(&'static str, &'static str)> {
    let mut links = Vec::new();
    if !has_budget_work(principal) {
        return links;
    }
    if is_unit_clerk(principal) {
        links.push(("/budget", "本单位预算"));
        links.push(("/budget/adjust", "预算调整调剂"));
        return links;
    }
    if is_unit_user(principal) {
        links.push(("/budget", "本单位预算"));
        return links;
    }
    links.push(("/budget", "单位预算查询"));
    if is_dept_reviewer(principal) {
        links.push(("/budget/controls", "控制数分配"));
        links.push(("/budget/adjust", "预算调整调剂"));
    }
    if is_budget_division(principal) {
        links.push(("/budget/controls", "控制数下达"));
        links.push(("/budget/approve", "批复下达"));
    }
    if principal.agency_code().is_none() {
        // Served by the summary reports module.
        links.push(("/budget/summary", "预算汇总"));
    }
    links
}

/// The page of one unit's budget of a year.
pub fn sheet_href(fiscal_year: i64, agency_code: &str) -> String {
    format!("/budget/{fiscal_year}/{}", percent_encode(agency_code))
}

/// A stage and status as a coloured badge: 一上·编制中, 二上·审核中, 已批复 ….
pub fn stage_badge(stage_code: &str, status_code: &str) -> Markup {
    let (Some(stage), Some(status)) = (Stage::parse(stage_code), SheetStatus::parse(status_code))
    else {
        return html! { span class="badge off" { (stage_code) "/" (status_code) } };
    };
    let class = match (stage, status) {
        (Stage::Approved, _) => "badge ok",
        (_, SheetStatus::Draft) => "badge off",
        (_, SheetStatus::Submitted) => "badge info",
        (_, SheetStatus::Reviewed) => "badge warn",
    };
    html! { span class=(class) { (fiscus_core::budget::sheet_label(stage, status)) } }
}

/// 元 with two decimals; negative in red, zero muted.
pub fn money(fen: i64) -> Markup {
    crate::pages::ledger::money(fen)
}

/// An optional amount (a control number not yet received) as 元 or a dash.
pub fn money_or_dash(fen: Option<i64>) -> Markup {
    match fen {
        Some(fen) => html! { span class="num" { (Fen(fen).to_yuan_string()) } },
        None => html! { span class="muted" { "—" } },
    }
}

/// The year of now (Beijing time), for defaults.
pub fn current_year() -> i64 {
    let now = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+8));
    i64::from(now.year())
}

/// A year typed in a path or a query, or `None`.
pub fn parse_year(text: &str) -> Option<i64> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|year| (YEAR_MIN..=YEAR_MAX).contains(year))
}

/// The year a page opens on: next year when it has sheets the viewer may see, else this year.
pub async fn default_year(app: &App, who: &Principal) -> i64 {
    let this_year = current_year();
    let query = SheetQuery {
        fiscal_year: this_year + 1,
        limit: 1,
        ..SheetQuery::default()
    };
    match app.budget_sheets(who, query).await {
        Ok((_, n_sheets)) if n_sheets > 0 => this_year + 1,
        _ => this_year,
    }
}

/// The years offered by a year selector: two back, two ahead of this year, and `year`.
pub fn year_options(year: i64) -> Vec<i64> {
    let this_year = current_year();
    let mut years: Vec<i64> = (this_year - 2..=this_year + 2).collect();
    if !years.contains(&year) {
        years.push(year);
        years.sort_unstable();
    }
    years
}

/// The last value of a form or query field, or empty.
pub fn value(pairs: &Pairs, name: &str) -> String {
    pairs
        .iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// The fields of a posted form, or the form refusal.
pub fn form_pairs(
    form: Result<Form<Pairs>, FormRejection>,
    rid: &str,
) -> Result<Pairs, crate::pages::PageError> {
    form.map(|Form(pairs)| pairs).map_err(|_| {
        crate::pages::PageError::new(
            Rejection::FieldInvalid {
                field: "表单",
                expected: "网页表单提交的内容",
            },
            rid,
        )
    })
}

/// A refusal shown beside a form: its status, Chinese message and stable code.
pub struct Refusal {
    pub status: StatusCode,
    pub message: String,
    pub code: String,
}

impl Refusal {
    pub fn of(error: &AppError, rid: &str) -> Refusal {
        let (status, code, message, _) = describe(error, rid);
        Refusal {
            status,
            message,
            code,
        }
    }

    /// A rejection found while reading the form, placed (`支出预算第 3 行：`).
    pub fn at(place: &str, rejection: Rejection, rid: &str) -> Refusal {
        let mut refusal = Refusal::of(&AppError::Rejected(rejection), rid);
        if !place.is_empty() {
            refusal.message = format!("{place}：{}", refusal.message);
        }
        refusal
    }

    pub fn notice(&self, tail: &str) -> Markup {
        html! {
            div class="notice error" role="alert" {
                (self.message) @if !tail.is_empty() { "。" (tail) }
                " " span class="muted small code" { "（" (self.code) "）" }
            }
        }
    }
}

/// The small style sheet of the budget pages (tab bar of a sheet, the check table, the
/// print view); kept beside the pages that use it.
pub const STYLE: &str = r#"
.budget-head .stats { margin-top: 8px; }
.budget-head .stat-value { font-size: 1.3rem; }
table.data td.check-ok { color: var(--ok); font-weight: 600; text-align: center; }
table.data td.check-fail { color: var(--danger); font-weight: 600; text-align: center; }
table.data tr.check-failed td { background: var(--danger-bg); }
.budget-form h2 { font-size: 1rem; margin: 14px 0 6px; }
.budget-form table.edit-rows input[type=checkbox] { width: auto; min-width: 0; }
.budget-form .add-row { margin: 4px 0 10px; }
.excel-spot { border-style: dashed; }
.budget-print { background: #fff; color: #000; max-width: 297mm; margin: 0 auto; padding: 10mm; }
.budget-print table.data th, .budget-print table.data td { border: 1px solid #000; }
.budget-print h1 { text-align: center; font-size: 20px; }
@media print {
  .budget-print { padding: 0; }
  @page { size: A4 landscape; margin: 10mm; }
}
"#;

pub fn style() -> Markup {
    html! { style { (PreEscaped(STYLE)) } }
}

/// Is this a document the budget pages can show on the flow document page?
pub fn is_budget_document(doc_type: &str) -> bool {
    doc_type == DocType::BudgetSubmission.code() || doc_type == DocType::Adjustment.code()
}

/// The card of a budget submission (a link to the unit's budget with its figures) or of an
/// adjustment (its legs) on the flow document page; `None` when the viewer cannot read it.
pub async fn card(app: &App, who: &Principal, doc_id: &str) -> Option<Markup> {
    let view = app.flow_document(who, doc_id).await.ok()?;
    let document = &view.document;
    if document.doc_type == DocType::Adjustment.code() {
        return adjust::card(&document.payload);
    }
    if document.doc_type != DocType::BudgetSubmission.code() {
        return None;
    }
    let payload: serde_json::Value = serde_json::from_str(&document.payload).ok()?;
    let agency_code = document.agency_code.as_deref()?;
    let sheet_id = payload.get("sheet_id")?.as_str()?;
    let query = SheetQuery {
        sheet_id: Some(sheet_id.to_owned()),
        agency_code: Some(agency_code.to_owned()),
        limit: 1,
        ..SheetQuery::default()
    };
    // The payload names the year (older documents did not: then look around this year).
    let years = match payload
        .get("fiscal_year")
        .and_then(serde_json::Value::as_i64)
    {
        Some(year) => year..=year,
        None => (current_year() - 2)..=(current_year() + 2),
    };
    for year in years {
        let query = SheetQuery {
            fiscal_year: year,
            ..query.clone()
        };
        if let Ok((rows, _)) = app.budget_sheets(who, query).await
            && let Some(row) = rows.into_iter().next()
        {
            let sheet = &row.sheet;
            return Some(html! {
                div class="card" {
                    h2 { "单位预算送审内容" }
                    dl class="fields" {
                        div class="field-line" { dt { "预算单位" } dd { (row.agency_name) " " span class="code muted small" { (sheet.agency_code) } } }
                        div class="field-line" { dt { "预算年度" } dd { (sheet.fiscal_year) } }
                        div class="field-line" { dt { "阶段" } dd { (stage_badge(&sheet.stage, &sheet.status)) } }
                        div class="field-line" { dt { "支出合计（元）" } dd { (money(sheet.expense_fen)) } }
                        div class="field-line" { dt { "收入合计（元）" } dd { (money(sheet.income_fen)) } }
                        div class="field-line" { dt { "控制数（元）" } dd { (money_or_dash(row.control_fen)) } }
                    }
                    p { a class="button" href=(sheet_href(sheet.fiscal_year, &sheet.agency_code)) { "查看单位预算（支出、收入、勾稽审核表）" } }
                }
            });
        }
    }
    None
}
