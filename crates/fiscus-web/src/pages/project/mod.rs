//! The 项目库 pages: the list and the 储备库 (`list.rs`), 新建项目 / 修改 (basic fields, then
//! the multi-year plan, estimation detail and performance targets as a fixed number of
//! editable table rows; on a refusal the form comes back with the Chinese message and what
//! was typed, nothing written), 项目详情 with 申报 (确认并申报 for a calculated project), 终止
//! and the 附件 section (`attachment.rs`), 基本支出一键测算 (`basic.rs`), and the readable
//! card of a `project_declaration` on the flow document page (`card`).

mod attachment;
mod basic;
mod list;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use fiscus_app::AppError;
use fiscus_app::project::ProjectView;
use fiscus_core::project::{ProjectCategory, ProjectState};
use fiscus_core::{Fen, Principal, Rejection, Role};
use maud::{Markup, html};

use crate::api::project::{ProjectDraft, TARGET_LEVEL1};
use crate::context::{CurrentUser, PageUser, RequestInfo, percent_encode};
use crate::error::describe;
use crate::pages::flow::document_href;
use crate::pages::layout::{self, csrf_field, heading, notice_error, notice_ok};
use crate::pages::payment::{or_dash, when, yuan};
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

type Pairs = Vec<(String, String)>;

const PLAN_ROWS: usize = 5;
const ESTIMATION_ROWS: usize = 8;
const TARGET_ROWS: usize = 8;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/projects", get(list::list))
        .route("/projects/new", get(new_form).post(create))
        .route("/projects/basic", get(basic::form).post(basic::calculate))
        .route("/projects/{pro_id}", get(detail))
        .route("/projects/{pro_id}/edit", get(edit_form).post(update))
        .route("/projects/{pro_id}/declare", post(declare))
        .route("/projects/{pro_id}/terminate", post(terminate))
        .route("/projects/{pro_id}/attachments", post(attachment::upload))
        .route(
            "/projects/{pro_id}/attachments/{att_id}/delete",
            post(attachment::delete),
        )
}

/// A unit clerk of a unit writes and declares its projects.
pub fn is_unit_clerk(principal: &Principal) -> bool {
    principal.roles.contains(Role::UnitClerk) && principal.agency_code().is_some()
}

/// The budget division terminates projects.
pub fn is_budget(principal: &Principal) -> bool {
    principal.roles.contains(Role::BudgetDivision)
}

/// The finance divisions that review and query projects.
fn is_finance(principal: &Principal) -> bool {
    principal.agency_code().is_none()
        && [
            Role::BudgetDivision,
            Role::BusinessDivision,
            Role::PerformanceDivision,
            Role::ReviewCentre,
            Role::TreasuryDivision,
        ]
        .into_iter()
        .any(|role| principal.roles.contains(role))
}

/// The navigation links of the 项目库 group that `principal` may use.
pub fn nav_links(principal: &Principal) -> Vec<(&'static str, &'static str)> {
    if is_unit_clerk(principal) {
        vec![
            ("/projects", "项目库"),
            ("/projects/new", "新建项目"),
            ("/projects/basic", "基本支出一键测算"),
            ("/projects?status=reserved", "储备库"),
        ]
    } else if is_finance(principal) {
        vec![
            ("/projects", "项目库"),
            ("/projects?status=reserved", "储备库"),
        ]
    } else {
        Vec::new()
    }
}

pub fn project_href(pro_id: &str) -> String {
    format!("/projects/{}", percent_encode(pro_id))
}

pub fn state_badge(code: &str) -> Markup {
    let Some(state) = ProjectState::parse(code) else {
        return html! { span class="badge off" { (code) } };
    };
    let class = match state {
        ProjectState::Draft => "badge off",
        ProjectState::Declared => "badge info",
        ProjectState::Reserved => "badge ok",
        ProjectState::Terminated => "badge danger",
    };
    html! { span class=(class) { (state.label()) } }
}

fn category_name(code: &str) -> &'static str {
    ProjectCategory::parse(code).map_or("—", ProjectCategory::label)
}

fn page_param(query: &Pairs) -> i64 {
    value(query, "page")
        .parse::<i64>()
        .ok()
        .filter(|p| (1..=100_000).contains(p))
        .unwrap_or(1)
}

fn value(pairs: &Pairs, name: &str) -> String {
    pairs
        .iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

fn draft_of(pairs: &Pairs) -> ProjectDraft {
    let v = |name: String| value(pairs, &name);
    ProjectDraft {
        pro_name: value(pairs, "pro_name"),
        agency_code: String::new(),
        pro_cat_code: value(pairs, "pro_cat_code"),
        start_year: value(pairs, "start_year"),
        end_year: value(pairs, "end_year"),
        plan: (0..PLAN_ROWS * 4)
            .map(|i| (v(format!("plan_year_{i}")), v(format!("plan_amt_{i}"))))
            .collect(),
        estimation: (0..ESTIMATION_ROWS * 4)
            .map(|i| {
                (
                    v(format!("est_item_{i}")),
                    v(format!("est_qty_{i}")),
                    v(format!("est_price_{i}")),
                    v(format!("est_amt_{i}")),
                    v(format!("est_basis_{i}")),
                )
            })
            .collect(),
        targets: (0..TARGET_ROWS * 4)
            .map(|i| {
                (
                    v(format!("tgt_l1_{i}")),
                    v(format!("tgt_l2_{i}")),
                    v(format!("tgt_l3_{i}")),
                    v(format!("tgt_val_{i}")),
                    v(format!("tgt_unit_{i}")),
                )
            })
            .collect(),
    }
}

fn pairs_of(draft: &ProjectDraft) -> Pairs {
    let mut pairs: Pairs = vec![
        ("pro_name".into(), draft.pro_name.clone()),
        ("pro_cat_code".into(), draft.pro_cat_code.clone()),
        ("start_year".into(), draft.start_year.clone()),
        ("end_year".into(), draft.end_year.clone()),
    ];
    for (i, (year, amount)) in draft.plan.iter().enumerate() {
        pairs.push((format!("plan_year_{i}"), year.clone()));
        pairs.push((format!("plan_amt_{i}"), amount.clone()));
    }
    for (i, (item, qty, price, amount, basis)) in draft.estimation.iter().enumerate() {
        pairs.push((format!("est_item_{i}"), item.clone()));
        pairs.push((format!("est_qty_{i}"), qty.clone()));
        pairs.push((format!("est_price_{i}"), price.clone()));
        pairs.push((format!("est_amt_{i}"), amount.clone()));
        pairs.push((format!("est_basis_{i}"), basis.clone()));
    }
    for (i, (l1, l2, l3, val, unit)) in draft.targets.iter().enumerate() {
        pairs.push((format!("tgt_l1_{i}"), l1.clone()));
        pairs.push((format!("tgt_l2_{i}"), l2.clone()));
        pairs.push((format!("tgt_l3_{i}"), l3.clone()));
        pairs.push((format!("tgt_val_{i}"), val.clone()));
        pairs.push((format!("tgt_unit_{i}"), unit.clone()));
    }
    pairs
}

/// How many rows a table of the form shows: the fixed number, or more when more are filled.
fn n_rows(pairs: &Pairs, prefix: &str, fixed: usize) -> usize {
    let filled = pairs
        .iter()
        .filter(|(key, v)| !v.trim().is_empty() && key.starts_with(prefix))
        .filter_map(|(key, _)| key.rsplit('_').next()?.parse::<usize>().ok())
        .max()
        .map_or(0, |i| i + 2);
    filled.clamp(fixed, fixed * 4)
}

fn form_pairs(form: Result<Form<Pairs>, FormRejection>, rid: &str) -> Result<Pairs, PageError> {
    form.map(|Form(pairs)| pairs).map_err(|_| {
        PageError::new(
            Rejection::FieldInvalid {
                field: "表单",
                expected: "网页表单提交的内容",
            },
            rid,
        )
    })
}

fn require_clerk(user: &CurrentUser, rid: &str) -> Result<(), PageError> {
    if is_unit_clerk(&user.principal) {
        Ok(())
    } else {
        Err(PageError::new(Rejection::Forbidden, rid))
    }
}

fn input_cell(pairs: &Pairs, name: String, hint: &str, class: &str) -> Markup {
    html! { td { input type="text" class=(class) name=(name.clone()) value=(value(pairs, &name)) placeholder=(hint) aria-label=(hint); } }
}

/// The form; `edit` names the project being corrected (pro_id, pro_code).
fn form_page(
    user: &CurrentUser,
    edit: Option<(&str, &str)>,
    pairs: &Pairs,
    error: Option<(StatusCode, String)>,
) -> axum::response::Response {
    let (status, message) = match error {
        Some((status, message)) => (status, Some(message)),
        None => (StatusCode::OK, None),
    };
    let (title, action) = match edit {
        Some((pro_id, pro_code)) => (
            format!("修改项目 {pro_code}"),
            format!("{}/edit", project_href(pro_id)),
        ),
        None => ("新建项目".to_owned(), "/projects/new".to_owned()),
    };
    let category = value(pairs, "pro_cat_code");
    let n_plan = n_rows(pairs, "plan_", PLAN_ROWS);
    let n_est = n_rows(pairs, "est_", ESTIMATION_ROWS);
    let n_tgt = n_rows(pairs, "tgt_l2_", TARGET_ROWS)
        .max(n_rows(pairs, "tgt_l3_", TARGET_ROWS))
        .max(n_rows(pairs, "tgt_val_", TARGET_ROWS));
    let content = html! {
        (heading(&[("/projects", "项目库")], &title, html! { a class="button ghost" href="/projects" { "返回项目库" } }))
        @if let Some(message) = &message { (notice_error(message)) }
        form method="post" action=(action) class="card record-form project-form" {
            (csrf_field(user))
            h2 { "① 基本信息" }
            div class="form-grid" {
                label class="field wide" {
                    span class="label" { "项目名称" span class="req" { " *" } }
                    input type="text" name="pro_name" value=(value(pairs, "pro_name")) placeholder="如：高标准农田建设项目";
                }
                label class="field" {
                    span class="label" { "项目类别" span class="req" { " *" } }
                    select name="pro_cat_code" {
                        @for cat in ProjectCategory::ALL {
                            option value=(cat.code()) selected[cat.code() == category || (category.is_empty() && cat == ProjectCategory::SpecificTarget)] { (cat.code()) " " (cat.label()) }
                        }
                    }
                }
                label class="field" {
                    span class="label" { "开始年度" span class="req" { " *" } }
                    input type="text" inputmode="numeric" name="start_year" value=(value(pairs, "start_year")) placeholder="如 2026";
                }
                label class="field" {
                    span class="label" { "结束年度" span class="req" { " *" } }
                    input type="text" inputmode="numeric" name="end_year" value=(value(pairs, "end_year")) placeholder="如 2027";
                }
            }
            h2 { "② 分年支出计划" }
            p class="muted small" { "每个年度一行，金额以元为单位；合计须等于测算明细合计。空行不保存。" }
            div class="table-wrap" {
                table class="data edit-rows" {
                    thead { tr { th { "年度" } th { "金额（元）" } } }
                    tbody {
                        @for i in 0..n_plan {
                            tr {
                                (input_cell(pairs, format!("plan_year_{i}"), "年度", "short"))
                                (input_cell(pairs, format!("plan_amt_{i}"), "金额（元）", "num"))
                            }
                        }
                    }
                }
            }
            h2 { "③ 测算明细" }
            p class="muted small" { "数量×单价=金额；金额不填时按数量×单价计算。" }
            div class="table-wrap" {
                table class="data edit-rows" {
                    thead { tr { th { "测算项目" } th { "数量" } th { "单价（元）" } th { "金额（元）" } th { "测算依据" } } }
                    tbody {
                        @for i in 0..n_est {
                            tr {
                                (input_cell(pairs, format!("est_item_{i}"), "测算项目", ""))
                                (input_cell(pairs, format!("est_qty_{i}"), "数量", "short num"))
                                (input_cell(pairs, format!("est_price_{i}"), "单价（元）", "num"))
                                (input_cell(pairs, format!("est_amt_{i}"), "金额（元）", "num"))
                                (input_cell(pairs, format!("est_basis_{i}"), "测算依据", ""))
                            }
                        }
                    }
                }
            }
            h2 { "④ 绩效目标" }
            p class="muted small" { "特定目标类项目至少填写一项产出指标和一项效益指标。" }
            div class="table-wrap" {
                table class="data edit-rows" {
                    thead { tr { th { "一级指标" } th { "二级指标" } th { "三级指标" } th { "指标值" } th { "计量单位" } } }
                    tbody {
                        @for i in 0..n_tgt {
                            @let l1 = value(pairs, &format!("tgt_l1_{i}"));
                            tr {
                                td {
                                    select name=(format!("tgt_l1_{i}")) aria-label="一级指标" {
                                        @for (code, level) in TARGET_LEVEL1 {
                                            option value=(code) selected[l1 == code] { (level.label()) }
                                        }
                                    }
                                }
                                (input_cell(pairs, format!("tgt_l2_{i}"), "如 数量指标", ""))
                                (input_cell(pairs, format!("tgt_l3_{i}"), "如 培训人次", ""))
                                (input_cell(pairs, format!("tgt_val_{i}"), "如 ≥500", "short"))
                                (input_cell(pairs, format!("tgt_unit_{i}"), "如 人次", "short"))
                            }
                        }
                    }
                }
            }
            div class="form-actions" {
                button type="submit" name="action" value="declare" class="button primary" { "保存并申报" }
                " "
                button type="submit" name="action" value="draft" class="button" { "保存草稿" }
                " "
                a class="button ghost" href="/projects" { "取消" }
            }
        }
    };
    (status, layout::page(user, &title, "/projects/new", content)).into_response()
}

async fn new_form(PageUser(user): PageUser, info: RequestInfo) -> PageResult {
    require_clerk(&user, &info.request_id)?;
    Ok(form_page(&user, None, &Vec::new(), None))
}

fn refused(error: &AppError, rid: &str, tail: &str) -> (StatusCode, String) {
    let (status, _, message, _) = describe(error, rid);
    (status, format!("{message}。{tail}"))
}

async fn create(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    form: Result<Form<Pairs>, FormRejection>,
) -> PageResult {
    let rid = &info.request_id;
    require_clerk(&user, rid)?;
    let pairs = form_pairs(form, rid)?;
    let declare = value(&pairs, "action") == "declare";
    let app = &state.app;
    let result = async {
        let input = draft_of(&pairs).input(&user.principal)?;
        let pro_id = app
            .project_create(&user.principal, &input, input.start_year, &info.ctx())
            .await?;
        if declare {
            // A refused declaration leaves the saved draft; its page says why.
            if let Err(error @ AppError::Rejected(_)) = app
                .project_declare(&user.principal, &pro_id, &info.ctx())
                .await
            {
                let (_, _, message, _) = describe(&error, rid);
                return Ok(format!(
                    "{}?error={}",
                    project_href(&pro_id),
                    percent_encode(&message)
                ));
            }
        }
        let ok = if declare { "declared" } else { "created" };
        Ok::<String, AppError>(format!("{}?ok={ok}", project_href(&pro_id)))
    }
    .await;
    match result {
        Ok(to) => Ok(Redirect::to(&to).into_response()),
        Err(error @ AppError::Rejected(_)) => Ok(form_page(
            &user,
            None,
            &pairs,
            Some(refused(&error, rid, "项目未保存，请修改后重新提交。")),
        )),
        Err(error) => Err(PageError::new(error, rid)),
    }
}

/// The project if the viewer is a clerk who may still change it.
async fn editable(
    state: &AppState,
    user: &CurrentUser,
    pro_id: &str,
    rid: &str,
) -> Result<ProjectView, PageError> {
    require_clerk(user, rid)?;
    let view = state
        .app
        .project(&user.principal, pro_id)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let project_state = ProjectState::parse(&view.row.status).unwrap_or(ProjectState::Terminated);
    if !project_state.is_editable() {
        return Err(PageError::new(
            Rejection::ProjectStateForbids {
                action: "修改",
                state: project_state.label(),
            },
            rid,
        ));
    }
    Ok(view)
}

async fn edit_form(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path(pro_id): Path<String>,
) -> PageResult {
    let rid = &info.request_id;
    let view = editable(&state, &user, &pro_id, rid).await?;
    let pairs = pairs_of(&ProjectDraft::of(&view.input));
    Ok(form_page(
        &user,
        Some((&view.row.pro_id, &view.row.pro_code)),
        &pairs,
        None,
    ))
}

async fn update(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path(pro_id): Path<String>,
    form: Result<Form<Pairs>, FormRejection>,
) -> PageResult {
    let rid = &info.request_id;
    let view = editable(&state, &user, &pro_id, rid).await?;
    let pairs = form_pairs(form, rid)?;
    let declare = value(&pairs, "action") == "declare";
    let app = &state.app;
    let result = async {
        let input = draft_of(&pairs).input(&user.principal)?;
        app.project_update(&user.principal, &pro_id, &input, &info.ctx())
            .await?;
        if declare {
            app.project_declare(&user.principal, &pro_id, &info.ctx())
                .await?;
        }
        Ok::<(), AppError>(())
    }
    .await;
    match result {
        Ok(()) => {
            let ok = if declare { "declared" } else { "saved" };
            Ok(Redirect::to(&format!("{}?ok={ok}", project_href(&pro_id))).into_response())
        }
        Err(error @ AppError::Rejected(_)) => Ok(form_page(
            &user,
            Some((&view.row.pro_id, &view.row.pro_code)),
            &pairs,
            Some(refused(&error, rid, "修改未保存（或未申报）。")),
        )),
        Err(error) => Err(PageError::new(error, rid)),
    }
}

fn line(label: &str, value: Markup) -> Markup {
    html! { div class="field-line" { dt { (label) } dd { (value) } } }
}

/// The tables of a project, shared by the detail page and the flow document card.
fn tables(view: &ProjectView) -> Markup {
    let input = &view.input;
    html! {
        h3 { "分年支出计划" }
        div class="table-wrap" {
            table class="data" {
                thead { tr { th { "年度" } th class="num" { "金额（元）" } } }
                tbody {
                    @for l in &input.plan { tr { td { (l.year) } td class="num" { (yuan(l.amount_fen.0)) } } }
                    tr class="total" { td { "合计" } td class="num" { strong { (yuan(input.total_fen().0)) } } }
                }
            }
        }
        h3 { "测算明细" }
        div class="table-wrap" {
            table class="data" {
                thead { tr { th { "测算项目" } th class="num" { "数量" } th class="num" { "单价（元）" } th class="num" { "金额（元）" } th { "测算依据" } } }
                tbody {
                    @for l in &input.estimation {
                        tr { td { (l.item) } td class="num" { (l.quantity) } td class="num" { (yuan(l.unit_price_fen.0)) } td class="num" { (yuan(l.amount_fen.0)) } td { (l.basis) } }
                    }
                }
            }
        }
        h3 { "绩效目标" }
        div class="table-wrap" {
            table class="data" {
                thead { tr { th { "一级指标" } th { "二级指标" } th { "三级指标" } th { "指标值" } th { "计量单位" } } }
                tbody {
                    @for l in &input.targets {
                        tr { td { (l.level1.label()) } td { (l.level2) } td { (l.level3) } td { (l.target_value) } td { (or_dash(Some(&l.unit))) } }
                    }
                }
            }
        }
    }
}

fn fields(view: &ProjectView) -> Markup {
    let row = &view.row;
    html! {
        dl class="fields" {
            (line("项目编码", html! { span class="code" { (row.pro_code) } }))
            (line("项目名称", html! { strong { (row.pro_name) } }))
            (line("预算单位", html! { span class="code" { (row.agency_code) } }))
            (line("项目类别", html! { (view.input.pro_cat_code.label()) }))
            (line("立项年度 / 期限", html! { (row.setup_year) " / " (row.pro_start_year) "–" (row.pro_end_year) " 年" }))
            (line("项目总额", html! { span class="num" { (Fen(row.pro_total_amt).to_yuan_string()) } " 元" }))
            (line("状态", state_badge(&row.status)))
            @if let Some(reason) = &row.terminate_reason { (line("终止原因", html! { (reason) })) }
        }
    }
}

async fn detail(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path(pro_id): Path<String>,
    Query(query): Query<Pairs>,
) -> PageResult {
    let rid = &info.request_id;
    let view = state
        .app
        .project(&user.principal, &pro_id)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let attachments = state
        .app
        .project_attachments(&user.principal, &pro_id)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    Ok(detail_page(
        &user,
        &view,
        &attachments,
        &query,
        StatusCode::OK,
        None,
    ))
}

/// The detail page after a refused action: the project as it is now, with the reason.
async fn render_detail(
    state: &AppState,
    user: &CurrentUser,
    pro_id: &str,
    rid: &str,
    status: StatusCode,
    error: Option<String>,
) -> PageResult {
    let app = &state.app;
    let view = app
        .project(&user.principal, pro_id)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let attachments = app
        .project_attachments(&user.principal, pro_id)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    Ok(detail_page(
        user,
        &view,
        &attachments,
        &Vec::new(),
        status,
        error,
    ))
}

fn detail_page(
    user: &CurrentUser,
    view: &ProjectView,
    attachments: &[fiscus_store::project::attachment::AttachmentRow],
    query: &Pairs,
    status: StatusCode,
    error: Option<String>,
) -> axum::response::Response {
    let row = &view.row;
    let project_state = ProjectState::parse(&row.status).unwrap_or(ProjectState::Terminated);
    let clerk = is_unit_clerk(&user.principal)
        && user.principal.agency_code().map(|c| c.as_str()) == Some(row.agency_code.as_str());
    let may_declare = clerk && project_state.is_editable();
    let may_edit = may_declare && !view.is_calculated();
    let may_terminate = is_budget(&user.principal) && project_state.may_terminate();
    let ok = match value(query, "ok").as_str() {
        "created" => Some("项目已保存为草稿。"),
        "saved" => Some("修改已保存。"),
        "declared" => Some("项目已申报，进入审核流程。"),
        "terminated" => Some("项目已终止。"),
        "attached" => Some("附件已上传。"),
        "detached" => Some("附件已删除。"),
        _ => None,
    };
    let error = error.or_else(|| Some(value(query, "error")).filter(|e| !e.is_empty()));
    let (declare_label, declare_confirm) = if view.is_calculated() {
        ("确认并申报", "确认测算结果并申报吗？申报后不能再重新测算。")
    } else {
        ("申报", "确定申报这个项目吗？申报后不能再修改。")
    };
    let actions = html! {
        @if may_edit {
            a class="button" href=(format!("{}/edit", project_href(&row.pro_id))) { "修改" }
            " "
        }
        @if may_declare && view.is_calculated() {
            a class="button" href="/projects/basic" { "重新测算" }
            " "
        }
        @if may_declare {
            form method="post" action=(format!("{}/declare", project_href(&row.pro_id))) class="inline" {
                (csrf_field(user))
                button type="submit" class="button primary" data-confirm=(declare_confirm) { (declare_label) }
            }
        }
        " "
        a class="button ghost" href=(document_href(&row.pro_id)) { "审核流程单据" }
    };
    let content = html! {
        (heading(&[("/projects", "项目库")], &row.pro_name, actions))
        @if let Some(ok) = ok { (notice_ok(ok)) }
        @if let Some(error) = &error { (notice_error(error)) }
        div class="card" {
            h2 { "项目信息" }
            (fields(view))
            p class="muted small" { "创建：" (row.created_by) " · " (when(Some(&row.created_at))) " · 最后修改：" (when(Some(&row.updated_at))) }
        }
        @if view.is_calculated() && may_declare {
            p class="hint" { "本项目由基本支出一键测算生成：测算明细为在职人数×支出标准。人员或标准有变化时请重新测算；核对无误后点击「确认并申报」。" }
        }
        div class="card" { (tables(view)) }
        (attachment::section(user, &row.pro_id, attachments, may_declare))
        @if may_terminate {
            form method="post" action=(format!("{}/terminate", project_href(&row.pro_id))) class="card record-form" {
                (csrf_field(user))
                h2 { "终止项目" }
                label class="field wide" {
                    span class="label" { "终止原因" span class="req" { " *" } }
                    input type="text" name="reason" placeholder="写明终止的原因";
                }
                div class="form-actions" {
                    button type="submit" class="button danger" data-confirm="确定终止这个项目吗？" { "终止" }
                }
            }
        }
    };
    (
        status,
        layout::page(user, &row.pro_name, "/projects", content),
    )
        .into_response()
}

async fn declare(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path(pro_id): Path<String>,
) -> PageResult {
    let rid = &info.request_id;
    let app = &state.app;
    match app
        .project_declare(&user.principal, &pro_id, &info.ctx())
        .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("{}?ok=declared", project_href(&pro_id))).into_response())
        }
        Err(error @ AppError::Rejected(_)) => {
            let (status, message) = refused(&error, rid, "项目未申报。");
            render_detail(&state, &user, &pro_id, rid, status, Some(message)).await
        }
        Err(error) => Err(PageError::new(error, rid)),
    }
}

async fn terminate(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path(pro_id): Path<String>,
    form: Result<Form<Pairs>, FormRejection>,
) -> PageResult {
    let rid = &info.request_id;
    let pairs = form_pairs(form, rid)?;
    let app = &state.app;
    let reason = value(&pairs, "reason");
    match app
        .project_terminate(&user.principal, &pro_id, &reason, &info.ctx())
        .await
    {
        Ok(()) => {
            Ok(Redirect::to(&format!("{}?ok=terminated", project_href(&pro_id))).into_response())
        }
        Err(error @ AppError::Rejected(_)) => {
            let (status, message) = refused(&error, rid, "项目未终止。");
            render_detail(&state, &user, &pro_id, rid, status, Some(message)).await
        }
        Err(error) => Err(PageError::new(error, rid)),
    }
}

pub fn is_project_document(doc_type: &str) -> bool {
    doc_type == fiscus_core::flow::DocType::ProjectDeclaration.code()
}

/// The card of a project declaration on the flow document page, or `None` when the viewer
/// cannot read the project.
pub async fn card(app: &fiscus_app::App, who: &Principal, doc_id: &str) -> Option<Markup> {
    let view = app.project(who, doc_id).await.ok()?;
    Some(html! {
        div class="card project-card" {
            h2 { "项目申报内容" }
            div class="payment-amount" {
                span class="label" { "项目总额" }
                span class="num big" { (Fen(view.row.pro_total_amt).to_yuan_string()) } " 元"
                " " (state_badge(&view.row.status))
            }
            (fields(&view))
            (tables(&view))
            p { a href=(project_href(&view.row.pro_id)) { "查看项目详情" } }
        }
    })
}
