//! One unit's budget of a year: the header (stage, status, control number, totals, the flow
//! document while in review), tabs for 支出预算 (with the approval figures and the indicator
//! once approved), 收入预算 with 非税征收计划, 政府采购预算, 资产购置计划, the 勾稽审核表
//! and the paged 版本历史, the clerk's 填报 tab (`edit`), the Excel spot, and the printable
//! view. A clerk whose unit has no sheet yet sees an empty one to start from.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use fiscus_app::AppError;
use fiscus_app::budget::SheetView;
use fiscus_core::budget::{SheetStatus, Stage};
use fiscus_core::project::ProjectState;
use fiscus_core::{Fen, Rejection};
use fiscus_store::budget::{LineRow, VersionRow};
use maud::{Markup, html};

use super::{
    PAGE_ROWS, Pairs, Refusal, is_unit_clerk, money, money_or_dash, parse_year, sheet_href,
    stage_badge, style, value, year_options,
};
use crate::context::{CurrentUser, PageUser, RequestInfo};
use crate::pages::flow::{People, document_href};
use crate::pages::layout::{self, bare_page, csrf_field, heading, notice_ok, url};
use crate::pages::ledger::indicator_href;
use crate::pages::payment::when;
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

/// The code tables a budget line names, by element.
pub(super) const ELEMENTS: [(&str, &str); 4] = [
    ("exp_func", "支出功能分类"),
    ("gov_bgt_eco", "政府预算支出经济分类"),
    ("dep_bgt_eco", "部门预算支出经济分类"),
    ("fund_type", "资金性质"),
];

/// Reserved projects offered to (and named for) a unit, at most this many.
const PROJECTS_SHOWN_MAX: i64 = 200;

/// Everything the sheet page shows, read once per request.
pub(super) struct Loaded {
    pub year: i64,
    pub agency_code: String,
    pub agency_name: String,
    /// `None`: the unit has not saved a sheet for the year yet (only its clerk gets here).
    pub view: Option<SheetView>,
    pub versions: Vec<VersionRow>,
    pub n_versions: i64,
    pub version_page: i64,
    pub people: People,
    /// Code names by element, then code.
    pub codes: HashMap<&'static str, Vec<(String, String)>>,
    /// The unit's reserved projects (pro_code, pro_name).
    pub projects: Vec<(String, String)>,
}

impl Loaded {
    pub fn code_name(&self, element: &str, code: &str) -> Option<&str> {
        self.codes
            .get(element)?
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, n)| n.as_str())
    }

    pub fn project_name(&self, pro_code: &str) -> Option<&str> {
        self.projects
            .iter()
            .find(|(c, _)| c == pro_code)
            .map(|(_, n)| n.as_str())
    }

    /// May the viewer edit and submit this sheet now?
    pub fn editable_by(&self, user: &CurrentUser) -> bool {
        let own = is_unit_clerk(&user.principal)
            && user
                .principal
                .agency_code()
                .is_some_and(|code| code.as_str() == self.agency_code);
        own && self.view.as_ref().is_none_or(|view| {
            view.sheet.sheet.stage != Stage::Approved.code()
                && view.sheet.sheet.status == SheetStatus::Draft.code()
        })
    }

    fn show_code(&self, element: &str, code: &str) -> Markup {
        if code.is_empty() {
            return html! { span class="muted" { "—" } };
        }
        match self.code_name(element, code) {
            Some(name) => html! { span class="code" { (code) } " " (name) },
            None => html! { span class="code" { (code) } },
        }
    }

    fn show_project(&self, pro_code: &str) -> Markup {
        match self.project_name(pro_code) {
            Some(name) => html! { (name) div class="code muted small" { (pro_code) } },
            None => html! { span class="code" { (pro_code) } },
        }
    }
}

/// Reads the sheet, its history page, code names and the unit's reserved projects.
pub(super) async fn load(
    state: &AppState,
    user: &CurrentUser,
    year: i64,
    agency_code: &str,
    version_page: i64,
    rid: &str,
) -> Result<Loaded, PageError> {
    let app = &state.app;
    let who = &user.principal;
    let own_clerk =
        is_unit_clerk(who) && who.agency_code().is_some_and(|c| c.as_str() == agency_code);
    let view = match app.budget_sheet(who, year, agency_code).await {
        Ok(view) => Some(view),
        Err(AppError::Rejected(Rejection::NotFound { .. })) if own_clerk => None,
        Err(error) => return Err(PageError::new(error, rid)),
    };
    let (versions, n_versions) = app
        .budget_versions(who, year, agency_code, version_page, PAGE_ROWS)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let mut actors: Vec<String> = versions.iter().map(|v| v.actor.clone()).collect();
    if let Some(view) = &view {
        actors.push(view.sheet.sheet.updated_by.clone());
    }
    let people = People::fetch(app, actors).await;
    let mut codes = HashMap::new();
    for (element, _) in ELEMENTS {
        let pairs = app
            .code_names(element, Some(year))
            .await
            .unwrap_or_default();
        codes.insert(element, pairs);
    }
    let agency_name = match &view {
        Some(view) => view.sheet.agency_name.clone(),
        None => who.org_name.clone(),
    };
    let filter = fiscus_app::project::list::ProjectFilter {
        status: Some(ProjectState::Reserved),
        agency_code: fiscus_core::AgencyCode::parse(agency_code).ok(),
        ..Default::default()
    };
    // Project names are a convenience: a viewer who may not read projects sees bare codes.
    let projects = app
        .project_list(who, &filter, 1, PROJECTS_SHOWN_MAX)
        .await
        .map(|page| {
            page.rows
                .into_iter()
                .map(|view| (view.row.pro_code, view.row.pro_name))
                .collect()
        })
        .unwrap_or_default();
    Ok(Loaded {
        year,
        agency_code: agency_code.to_owned(),
        agency_name,
        view,
        versions,
        n_versions,
        version_page,
        people,
        codes,
        projects,
    })
}

pub(super) fn year_of(text: &str, rid: &str) -> Result<i64, PageError> {
    parse_year(text).ok_or_else(|| {
        PageError::new(
            Rejection::NotFound {
                what: "单位预算"
            },
            rid,
        )
    })
}

fn version_page_of(query: &Pairs) -> i64 {
    value(query, "vpage")
        .parse::<i64>()
        .ok()
        .filter(|page| (1..=100_000).contains(page))
        .unwrap_or(1)
}

pub async fn sheet(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path((year_text, agency_code)): Path<(String, String)>,
    Query(query): Query<Pairs>,
) -> PageResult {
    let rid = &info.request_id;
    let year = year_of(&year_text, rid)?;
    let loaded = load(
        &state,
        &user,
        year,
        &agency_code,
        version_page_of(&query),
        rid,
    )
    .await?;
    let tab = value(&query, "tab");
    Ok(render(&user, &loaded, &tab, &query, None, None))
}

/// The tabs of the page: (code, label).
fn tabs(loaded: &Loaded, editable: bool) -> Vec<(&'static str, String)> {
    let failed = loaded
        .view
        .as_ref()
        .map_or(0, |view| view.checks.iter().filter(|c| !c.ok).count());
    let mut tabs = Vec::new();
    if editable {
        tabs.push(("edit", "填报".to_owned()));
    }
    tabs.push(("expenses", "支出预算".to_owned()));
    tabs.push(("incomes", "收入预算".to_owned()));
    tabs.push(("procurement", "政府采购预算".to_owned()));
    tabs.push(("assets", "资产购置计划".to_owned()));
    tabs.push((
        "checks",
        if failed > 0 {
            format!("勾稽审核表（{failed} 项未通过）")
        } else {
            "勾稽审核表".to_owned()
        },
    ));
    tabs.push(("versions", format!("版本历史（{}）", loaded.n_versions)));
    tabs
}

/// The page; `edit_pairs` and `refusal` redraw the 填报 form after a refused save.
pub(super) fn render(
    user: &CurrentUser,
    loaded: &Loaded,
    tab: &str,
    query: &Pairs,
    edit_pairs: Option<&Pairs>,
    refusal: Option<(&Refusal, &str)>,
) -> Response {
    let editable = loaded.editable_by(user);
    let has_lines = loaded
        .view
        .as_ref()
        .is_some_and(|view| !view.lines.is_empty());
    let tabs = tabs(loaded, editable);
    let tab = if tabs.iter().any(|(code, _)| *code == tab) {
        tab
    } else if editable && !has_lines {
        "edit"
    } else {
        "expenses"
    };
    let href = sheet_href(loaded.year, &loaded.agency_code);
    let ok = match value(query, "ok").as_str() {
        "saved" => Some("预算表已保存。请查看勾稽审核表，全部通过后即可报送。"),
        "submitted" => Some("预算已报送，进入审核流程。审核期间不能修改。"),
        _ => None,
    };
    let title = format!("{} {} 年预算", loaded.agency_name, loaded.year);
    let content = html! {
        (style())
        (heading(&[("/budget", "预算编制")], &title, header_actions(user, loaded, editable)))
        @if let Some(ok) = ok { (notice_ok(ok)) }
        @if let Some((refusal, tail)) = refusal { (refusal.notice(tail)) }
        (header_card(loaded))
        nav class="tabs" aria-label="预算表" {
            @for (code, label) in &tabs {
                a href=(url(&href, &[("tab", code)])) class=[(*code == tab).then_some("active")] { (label) }
            }
        }
        div class="card table-card" {
            @match tab {
                "edit" => (super::edit::form(user, loaded, edit_pairs)),
                "incomes" => (incomes(loaded)),
                "procurement" => (procurement(loaded)),
                "assets" => (assets(loaded)),
                "checks" => (checks(user, loaded, editable)),
                "versions" => (versions(loaded)),
                _ => (expenses(loaded)),
            }
        }
        (excel_spot(user, loaded, editable))
    };
    let status = refusal.map_or(StatusCode::OK, |(refusal, _)| refusal.status);
    (status, layout::page(user, &title, "/budget", content)).into_response()
}

fn header_actions(user: &CurrentUser, loaded: &Loaded, editable: bool) -> Markup {
    let href = sheet_href(loaded.year, &loaded.agency_code);
    let doc_id = loaded
        .view
        .as_ref()
        .and_then(|view| view.sheet.sheet.doc_id.clone());
    html! {
        form method="get" action="/budget" class="inline" {
            select name="year" data-autosubmit aria-label="预算年度" {
                @for year in year_options(loaded.year) {
                    option value=(year) selected[year == loaded.year] { (year) " 年" }
                }
            }
            noscript { button type="submit" class="button small" { "切换年度" } }
        }
        @if let Some(doc_id) = &doc_id {
            a class="button" href=(document_href(doc_id)) { "审核流程单据" }
        }
        a class="button ghost" href=(format!("{href}/print")) { "打印" }
        @if editable && loaded.view.as_ref().is_some_and(|view| !view.lines.is_empty() && view.checks.iter().all(|c| c.ok)) {
            form method="post" action=(format!("{href}/submit")) class="inline" {
                (csrf_field(user))
                button type="submit" class="button primary" data-confirm="确定报送本单位预算吗？报送后审核期间不能修改。" { "报送" }
            }
        }
    }
}

fn header_card(loaded: &Loaded) -> Markup {
    let stat = |label: &str, value: Markup, hint: &str| {
        html! {
            div class="stat" title=(hint) {
                div class="stat-label" { (label) }
                div class="stat-value" { (value) }
                div class="stat-unit" { "元" }
            }
        }
    };
    match &loaded.view {
        None => html! {
            div class="card budget-head" {
                p { strong { "本单位 " (loaded.year) " 年预算尚未开始编制。" } }
                p class="muted" { "在下方「填报」中录入支出、收入等预算表并保存；保存后可查看勾稽审核表，全部通过后报送。" }
            }
        },
        Some(view) => {
            let sheet = &view.sheet.sheet;
            let failed = view.checks.iter().filter(|c| !c.ok).count();
            let difference = view
                .sheet
                .control_fen
                .map(|control| Fen(sheet.expense_fen.saturating_sub(control)));
            html! {
                div class="card budget-head" {
                    dl class="fields" {
                        div class="field-line" { dt { "预算单位" } dd { (view.sheet.agency_name) " " span class="code muted small" { (sheet.agency_code) } } }
                        div class="field-line" { dt { "主管部门" } dd { (view.sheet.dept_name) " " span class="code muted small" { (sheet.dept_code) } } }
                        div class="field-line" { dt { "阶段·状态" } dd { (stage_badge(&sheet.stage, &sheet.status)) } }
                        div class="field-line" { dt { "勾稽审核" } dd {
                            @if failed == 0 { span class="badge ok" { "全部通过" } }
                            @else { a href=(url(&sheet_href(loaded.year, &loaded.agency_code), &[("tab", "checks")])) { span class="badge danger" { (failed) " 项未通过" } } }
                        } }
                        div class="field-line" { dt { "最后修改" } dd { (when(Some(&sheet.updated_at))) " · " (loaded.people.show(&sheet.updated_by)) } }
                    }
                    @if sheet.status == SheetStatus::Submitted.code() {
                        p class="notice warn" { "本单位预算正在审核中，审核期间不能修改。审核进度见「审核流程单据」；被退回后可修改并重新报送。" }
                    }
                    div class="stats" {
                        (stat("支出合计", html! { (Fen(sheet.expense_fen).to_yuan_string()) }, "支出预算各行金额之和"))
                        (stat("收入合计", html! { (Fen(sheet.income_fen).to_yuan_string()) }, "收入预算各行金额之和"))
                        (stat("控制数", money_or_dash(view.sheet.control_fen), "主管部门分配的控制数（一下）"))
                        @if let Some(difference) = difference {
                            (stat("支出合计 − 控制数", html! { (difference.to_yuan_string()) }, "二上时须为 0"))
                        }
                    }
                }
            }
        }
    }
}

/// Do the lines carry approval figures (pre-released or approved)?
fn shows_approval(view: &SheetView) -> bool {
    view.sheet.sheet.stage == Stage::Approved.code()
        || view.lines.iter().any(|line| line.bgt_id.is_some())
}

fn empty(message: &str) -> Markup {
    html! { div class="empty" { div class="empty-title" { (message) } } }
}

fn expenses(loaded: &Loaded) -> Markup {
    let Some(view) = loaded.view.as_ref().filter(|v| !v.lines.is_empty()) else {
        return empty("还没有支出预算明细");
    };
    let approval = shows_approval(view);
    let sum = |figure: fn(&LineRow) -> i64| view.lines.iter().map(figure).sum::<i64>();
    html! {
        div class="table-scroll" {
            table class="data ledger-list" {
                thead { tr {
                    th { "项目" } th { "支出功能分类" } th { "政府经济分类" } th { "部门经济分类" } th { "资金性质" } th { "政府采购" }
                    th class="num" { "预算金额" }
                    @if approval {
                        th class="num" { "申报数" } th class="num" { "财政审核数" } th class="num" { "预下达" } th class="num" { "年初批复" }
                        th class="num" { "调整" } th class="num" { "调剂" } th class="num" { "变动后" } th { "指标" }
                    }
                    th { "备注" }
                } }
                tbody {
                    @for line in &view.lines {
                        tr {
                            td { (loaded.show_project(&line.pro_code)) }
                            td { (loaded.show_code("exp_func", &line.exp_func_code)) }
                            td { (loaded.show_code("gov_bgt_eco", &line.gov_bgt_eco_code)) }
                            td { (loaded.show_code("dep_bgt_eco", &line.dep_bgt_eco_code)) }
                            td { (loaded.show_code("fund_type", &line.fund_type_code)) }
                            td { @if line.is_gov_pur { "是" } @else { span class="muted" { "否" } } }
                            td class="num" { (money(line.amount_fen)) }
                            @if approval {
                                td class="num" { (money(line.apply_up)) }
                                td class="num" { (money(line.fin_audit_money)) }
                                td class="num" { (money(line.pre_amt)) }
                                td class="num" { (money(line.reply_amt)) }
                                td class="num" { (money(line.adj_amt)) }
                                td class="num" { (money(line.dis_amt)) }
                                td class="num" { strong { (money(line.cur_amt)) } }
                                td { @if let Some(bgt_id) = &line.bgt_id { a class="code small" href=(indicator_href(bgt_id)) { (bgt_id) } } @else { span class="muted" { "—" } } }
                            }
                            td { (line.remark) }
                        }
                    }
                }
                tfoot { tr class="totals-row" {
                    td colspan="6" { "合计（" (view.lines.len()) " 行，金额单位：元）" }
                    td class="num" { (money(sum(|l| l.amount_fen))) }
                    @if approval {
                        td class="num" { (money(sum(|l| l.apply_up))) }
                        td class="num" { (money(sum(|l| l.fin_audit_money))) }
                        td class="num" { (money(sum(|l| l.pre_amt))) }
                        td class="num" { (money(sum(|l| l.reply_amt))) }
                        td class="num" { (money(sum(|l| l.adj_amt))) }
                        td class="num" { (money(sum(|l| l.dis_amt))) }
                        td class="num" { (money(sum(|l| l.cur_amt))) }
                        td {}
                    }
                    td {}
                } }
            }
        }
    }
}

fn incomes(loaded: &Loaded) -> Markup {
    let Some(view) = &loaded.view else {
        return empty("还没有收入预算");
    };
    let tables = &view.tables;
    let non_tax_total: i64 = tables.non_tax.iter().map(|l| l.amount.0).sum();
    html! {
        h3 class="card-title" { "收入预算" }
        @if tables.incomes.is_empty() { (empty("还没有收入预算")) } @else {
            table class="data" {
                thead { tr { th { "收入类型" } th { "资金性质" } th class="num" { "金额（元）" } th { "备注" } } }
                tbody {
                    @for line in &tables.incomes {
                        tr {
                            td { (line.kind.label()) }
                            td { (loaded.show_code("fund_type", &line.fund_type_code)) }
                            td class="num" { (money(line.amount.0)) }
                            td { (line.remark) }
                        }
                    }
                }
                tfoot { tr class="totals-row" { td colspan="2" { "合计" } td class="num" { (money(tables.income_total().0)) } td {} } }
            }
        }
        h3 class="card-title" { "非税征收计划" }
        @if tables.non_tax.is_empty() { (empty("没有非税征收计划")) } @else {
            table class="data" {
                thead { tr { th { "非税收入项目代码" } th { "项目名称" } th class="num" { "征收计划（元）" } } }
                tbody {
                    @for line in &tables.non_tax {
                        tr { td class="code" { (line.item_code) } td { (line.item_name) } td class="num" { (money(line.amount.0)) } }
                    }
                }
                tfoot { tr class="totals-row" { td colspan="2" { "合计" } td class="num" { (money(non_tax_total)) } } }
            }
        }
    }
}

fn procurement(loaded: &Loaded) -> Markup {
    let Some(view) = loaded
        .view
        .as_ref()
        .filter(|v| !v.tables.procurement.is_empty())
    else {
        return empty("没有政府采购预算");
    };
    let lines = &view.tables.procurement;
    html! {
        table class="data" {
            thead { tr { th { "项目" } th { "采购品目" } th { "品目名称" } th class="num" { "数量" } th class="num" { "金额（元）" } } }
            tbody {
                @for line in lines {
                    tr {
                        td { (loaded.show_project(&line.pro_code)) }
                        td class="code" { (line.item_code) }
                        td { (line.item_name) }
                        td class="num" { (line.quantity) }
                        td class="num" { (money(line.amount.0)) }
                    }
                }
            }
            tfoot { tr class="totals-row" { td colspan="4" { "合计" } td class="num" { (money(lines.iter().map(|l| l.amount.0).sum())) } } }
        }
    }
}

fn assets(loaded: &Loaded) -> Markup {
    let Some(view) = loaded.view.as_ref().filter(|v| !v.tables.assets.is_empty()) else {
        return empty("没有资产购置计划");
    };
    let lines = &view.tables.assets;
    html! {
        table class="data" {
            thead { tr { th { "项目" } th { "资产分类" } th { "资产名称" } th class="num" { "数量" } th class="num" { "单价（元）" } th class="num" { "金额（元）" } } }
            tbody {
                @for line in lines {
                    tr {
                        td { (loaded.show_project(&line.pro_code)) }
                        td class="code" { (line.asset_class) }
                        td { (line.asset_name) }
                        td class="num" { (line.quantity) }
                        td class="num" { (money(line.unit_price.0)) }
                        td class="num" { (money(line.amount.0)) }
                    }
                }
            }
            tfoot { tr class="totals-row" { td colspan="5" { "合计" } td class="num" { (money(lines.iter().map(|l| l.amount.0).sum())) } } }
        }
    }
}

/// The 勾稽审核表: every check with ✓ or ✗ and what it compared.
pub(super) fn check_table(view: &SheetView) -> Markup {
    html! {
        table class="data check-table" {
            thead { tr { th { "序号" } th { "审核项" } th { "结果" } th { "说明" } } }
            tbody {
                @for (index, check) in view.checks.iter().enumerate() {
                    tr class=[(!check.ok).then_some("check-failed")] data-check=(check.code) {
                        td { (index + 1) }
                        td { (check.name) }
                        @if check.ok { td class="check-ok" title="通过" { "✓ 通过" } }
                        @else { td class="check-fail" title="未通过" { "✗ 未通过" } }
                        td { (check.detail) }
                    }
                }
            }
        }
    }
}

fn checks(user: &CurrentUser, loaded: &Loaded, editable: bool) -> Markup {
    let Some(view) = &loaded.view else {
        return empty("保存预算表后即可看到勾稽审核结果");
    };
    let failed = view.checks.iter().filter(|c| !c.ok).count();
    let href = sheet_href(loaded.year, &loaded.agency_code);
    html! {
        div class="table-toolbar" {
            @if failed == 0 {
                p class="notice ok" { "全部 " (view.checks.len()) " 项勾稽审核通过。" @if editable { "可以报送。" } }
            } @else {
                p class="notice warn" { (failed) " 项勾稽审核未通过，报送前须修正。" @if editable { " " a href=(url(&href, &[("tab", "edit")])) { "去修改" } } }
            }
        }
        (check_table(view))
        @if editable && failed == 0 {
            form method="post" action=(format!("{href}/submit")) class="form-actions" {
                (csrf_field(user))
                button type="submit" class="button primary" data-confirm="确定报送本单位预算吗？报送后审核期间不能修改。" { "报送" }
            }
        }
    }
}

/// What a history row's stage code means.
fn stage_name(code: &str) -> String {
    match (code, Stage::parse(code)) {
        ("one_down", _) => "一下".to_owned(),
        (_, Some(stage)) => stage.label().to_owned(),
        (other, None) => other.to_owned(),
    }
}

fn entity_name(code: &str) -> &str {
    match code {
        "line" => "支出明细",
        "income" => "收入预算",
        "nontax" => "非税征收计划",
        "procurement" => "政府采购预算",
        "asset" => "资产购置计划",
        "control" => "控制数",
        "sheet" => "预算表",
        other => other,
    }
}

fn change_name(code: &str) -> &str {
    match code {
        "added" => "新增",
        "changed" => "修改",
        "removed" => "删除",
        "issued" => "下达",
        "opened" => "进入二上",
        "submitted" => "报送",
        "reviewed" => "审核通过",
        "returned" => "退回",
        "approved" => "批复",
        "pre_released" => "预下达",
        "adjusted" => "调整调剂",
        other => other,
    }
}

fn versions(loaded: &Loaded) -> Markup {
    if loaded.versions.is_empty() {
        return empty("还没有修改记录");
    }
    let href = sheet_href(loaded.year, &loaded.agency_code);
    let page = loaded.version_page;
    let n_pages = ((loaded.n_versions + PAGE_ROWS - 1) / PAGE_ROWS).max(1);
    let page_href = |page: i64| url(&href, &[("tab", "versions"), ("vpage", &page.to_string())]);
    html! {
        table class="data" {
            thead { tr { th { "时间" } th { "操作人" } th { "阶段" } th { "内容" } th class="num" { "原金额（元）" } th { "" } th class="num" { "新金额（元）" } th { "说明" } } }
            tbody {
                @for row in &loaded.versions {
                    tr {
                        td { (when(Some(&row.at))) }
                        td { (loaded.people.show(&row.actor)) }
                        td class="nowrap" { (stage_name(&row.stage)) }
                        td { (change_name(&row.change_kind)) " " (entity_name(&row.entity)) div class="code muted small" { (row.entity_key) } }
                        td class="num" { (money_or_dash(row.old_fen)) }
                        td { "→" }
                        td class="num" { (money_or_dash(row.new_fen)) }
                        td {
                            (row.detail)
                            @if let Some(doc_id) = &row.doc_id { " " a class="small" href=(document_href(doc_id)) { "单据" } }
                        }
                    }
                }
            }
        }
        div class="pager" {
            span { "共 " strong { (loaded.n_versions) } " 条 · 第 " (page) " / " (n_pages) " 页" }
            span class="pager-links" {
                @if page > 1 { a href=(page_href(page - 1)) rel="prev" { "‹ 上一页" } } @else { span class="disabled" { "‹ 上一页" } }
                @if page < n_pages { a href=(page_href(page + 1)) rel="next" { "下一页 ›" } } @else { span class="disabled" { "下一页 ›" } }
            }
        }
    }
}

/// Excel 导入导出: links and the upload form served by the budget Excel module
/// (`/budget/excel/...`). The import form posts `_csrf`, `year`, `agency_code` and `file`.
fn excel_spot(user: &CurrentUser, loaded: &Loaded, editable: bool) -> Markup {
    let year = loaded.year.to_string();
    let dept = loaded
        .view
        .as_ref()
        .map(|view| view.sheet.sheet.dept_code.clone())
        .unwrap_or_default();
    html! {
        div class="card excel-spot no-print" id="excel" {
            h2 class="card-title" { "Excel 导入导出" }
            p class="page-actions" {
                a class="button" href="/budget/excel/template" { "下载预算表模板" }
                a class="button" href=(url("/budget/excel/export", &[("year", &year), ("agency", &loaded.agency_code)])) { "导出本单位预算" }
                @if !dept.is_empty() {
                    a class="button ghost" href=(url("/budget/excel/disclosure", &[("year", &year), ("dept", &dept)])) { "部门预算公开表" }
                }
            }
            @if editable {
                form method="post" action="/budget/excel/import" enctype="multipart/form-data" class="filters" {
                    (csrf_field(user))
                    input type="hidden" name="year" value=(year);
                    input type="hidden" name="agency_code" value=(loaded.agency_code);
                    label class="field grow" {
                        span class="label" { "从 Excel 导入（整表覆盖本单位预算表）" }
                        input type="file" name="file" accept=".xlsx";
                    }
                    div class="filter-actions" { button type="submit" class="button" { "导入" } }
                }
            }
        }
    }
}

pub async fn print(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path((year_text, agency_code)): Path<(String, String)>,
) -> PageResult {
    let rid = &info.request_id;
    let year = year_of(&year_text, rid)?;
    let loaded = load(&state, &user, year, &agency_code, 1, rid).await?;
    let title = format!("{} {} 年部门预算", loaded.agency_name, year);
    let stage = loaded
        .view
        .as_ref()
        .map_or_else(|| "尚未编制".to_owned(), |view| view.stage_label.clone());
    let content = html! {
        (style())
        div class="print-toolbar no-print" {
            a class="button ghost" href=(sheet_href(year, &agency_code)) { "‹ 返回单位预算" }
            span class="muted" { "按 Ctrl+P（Mac 为 ⌘+P）打印，纸张选 A4 横向。" }
        }
        article class="budget-print" {
            h1 { (title) }
            p { "预算单位：" (loaded.agency_name) "（" (agency_code) "） · 阶段：" (stage) " · 金额单位：元" }
            @if let Some(view) = &loaded.view {
                p {
                    "支出合计 " strong { (Fen(view.sheet.sheet.expense_fen).to_yuan_string()) }
                    " · 收入合计 " strong { (Fen(view.sheet.sheet.income_fen).to_yuan_string()) }
                    " · 控制数 " (money_or_dash(view.sheet.control_fen))
                }
            }
            h2 { "一、支出预算" } (expenses(&loaded))
            h2 { "二、收入预算" } (incomes(&loaded))
            h2 { "三、政府采购预算" } (procurement(&loaded))
            h2 { "四、资产购置计划" } (assets(&loaded))
            @if let Some(view) = &loaded.view {
                h2 { "五、勾稽审核表" } (check_table(view))
            }
        }
    };
    Ok(bare_page(&title, Some(&user), content).into_response())
}
