//! One document: its header and content (for a 基础信息变更申请 the fields with their present
//! and proposed values), where its flow stands, the buttons the viewer may press, and its
//! history. Also the form that writes or corrects a 基础信息变更申请.

use std::collections::{BTreeMap, HashMap};

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use fiscus_app::AppError;
use fiscus_app::flow::DocumentView;
use fiscus_app::flow::unit_change::payload_input;
use fiscus_core::flow::{
    ActionKind, Command, DocType, FlowDefinition, ReturnTarget, SignerPosition, TaskId,
};
use fiscus_core::masterdata::{Input, Record, Value};
use fiscus_core::schema::{self, Edit, FieldKind, FieldSpec};
use fiscus_core::{AgencyCode, Fen, Principal, Rejection, Role};
use fiscus_store::flow::HistoryRow;
use maud::{Markup, html};

use super::{People, amount_cell, doc_type_name, document_href, overdue, status_badge};
use crate::context::{CurrentUser, PageUser, RequestInfo};
use crate::error::describe;
use crate::pages::format::{Names, beijing_time, code_with_name, plain};
use crate::pages::layout::{self, csrf_field, heading, notice_error, notice_ok, record_href};
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

type Pairs = Vec<(String, String)>;

fn form_pairs(
    form: Result<Form<Pairs>, FormRejection>,
    request_id: &str,
) -> Result<Pairs, PageError> {
    form.map(|Form(pairs)| pairs).map_err(|_| {
        PageError::new(
            Rejection::FieldInvalid {
                field: "表单",
                expected: "网页表单提交的内容",
            },
            request_id,
        )
    })
}

fn value_of(pairs: &Pairs, name: &str) -> String {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default()
}

/// Messages after a redirect (`?ok=…`); only these fixed texts are ever shown.
fn done_message(ok: &str) -> Option<&'static str> {
    Some(match ok {
        "created" => "草稿已保存。核对无误后请点击「送审」。",
        "saved" => "修改已保存。",
        "submit" => "已送审，单据已送达第一个审核环节。",
        "approve" => "已审核通过，单据已送往下一环节（最后一个环节通过后即生效）。",
        "return" => "已退回。",
        "reject" => "已驳回，该单据的审批到此结束。",
        "withdraw" => "已撤回。",
        "cancel" => "已作废。",
        "delegate" => "已委派，对方办理后会交回给您。",
        "transfer" => "已转办。",
        "add_signer" => "已加签。",
        "copy_to" => "已抄送。",
        "remind" => "已催办。",
        _ => return None,
    })
}

enum Notice {
    Done(&'static str),
    /// The reason, and the opinion the user typed (kept in the form).
    Refused(String, String),
}

pub async fn document(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path(doc_id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let notice = params
        .get("ok")
        .and_then(|ok| done_message(ok))
        .map(Notice::Done);
    render(&state, &user, &info, &doc_id, notice, StatusCode::OK).await
}

fn action_of(code: &str) -> Option<ActionKind> {
    ActionKind::ALL.into_iter().find(|kind| kind.code() == code)
}

fn task_status_name(code: &str) -> &str {
    match code {
        "open" => "待办理",
        "pending" => "等待前一位办理",
        "suspended" => "等待加签人办理",
        "delegated" => "已委派他人",
        "approved" => "已通过",
        "returned" => "已退回",
        "rejected" => "已驳回",
        "transferred" => "已转办",
        "withdrawn" => "已撤回",
        "cancelled" => "已取消",
        other => other,
    }
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    info: &RequestInfo,
    doc_id: &str,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let rid = &info.request_id;
    let principal = &user.principal;
    let app = &state.app;
    let view = app
        .flow_document(principal, doc_id)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let definition = match &view.flow {
        Some(flow) => app
            .stored_definition(&flow.flow_code, i64::from(flow.version))
            .await
            .ok(),
        None => None,
    };
    let node_name = |code: &str| -> String {
        definition
            .as_ref()
            .and_then(|d| d.nodes.iter().find(|n| n.node_code.as_str() == code))
            .map_or_else(|| code.to_owned(), |n| n.name.clone())
    };
    let document = &view.document;
    let mut user_names: Vec<String> = vec![document.submitter.clone()];
    user_names.extend(view.history.iter().map(|h| h.actor.clone()));
    user_names.extend(view.tasks.iter().map(|t| t.assignee.clone()));
    let people = People::fetch(app, user_names).await;

    // A 基础信息变更申请: the unit's present values beside the proposed ones.
    let mut names = Names::default();
    let mut record = None;
    let proposal = if document.doc_type == DocType::UnitChange.code() {
        payload_input(&document.payload).ok()
    } else {
        None
    };
    if let Some(code) = document.agency_code.as_deref() {
        if let Some(field) = schema::AGENCY.field("agency_code") {
            names.want(field, code);
        }
        if proposal.is_some() {
            record = app.get_record(principal, &schema::AGENCY, code).await.ok();
        }
    }
    if let Some(record) = &record {
        names.want_record(schema::AGENCY.fields.iter(), record);
    }
    if let Some(input) = &proposal {
        for (name, value) in &input.0 {
            if let Some(field) = schema::AGENCY.field(name) {
                names.want(field, value);
            }
        }
    }
    names.fetch(app, principal).await;

    let typed_opinion = match &notice {
        Some(Notice::Refused(_, opinion)) => opinion.as_str(),
        _ => "",
    };
    // Someone with an open task came from 待办; the submitter and earlier actors from 已办.
    let (list_href, list_name) = if view.task_actions.is_empty() {
        ("/flow/done", "已办事项")
    } else {
        ("/flow/inbox", "待办事项")
    };
    let editable = document.doc_type == DocType::UnitChange.code()
        && document.submitter == principal.user_name.as_str()
        && matches!(document.status.as_str(), "draft" | "returned");
    let payment_editable = crate::pages::payment::render::is_payment_document(&document.doc_type)
        && document.submitter == principal.user_name.as_str()
        && matches!(document.status.as_str(), "draft" | "returned");
    let payment_card = if crate::pages::payment::render::is_payment_document(&document.doc_type) {
        crate::pages::payment::render::payment_card(
            &state.app,
            principal,
            doc_id,
            &document.payload,
        )
        .await
    } else {
        None
    };
    let project_card = if crate::pages::project::is_project_document(&document.doc_type) {
        crate::pages::project::card(&state.app, principal, doc_id).await
    } else if crate::pages::budget::is_budget_document(&document.doc_type) {
        crate::pages::budget::card(&state.app, principal, doc_id).await
    } else {
        None
    };
    let head_actions = html! {
        @if editable {
            a class="button" href=(format!("{}/edit", document_href(doc_id))) { "修改申请内容" }
        }
        @if payment_editable {
            a class="button" href=(format!("/payments/{}/edit", crate::context::percent_encode(doc_id))) { "修改支付申请" }
        }
        a class="button ghost" href=(list_href) { "返回" (list_name) }
    };
    let content = html! {
        (heading(&[(list_href, list_name)], &document.title, head_actions))
        @match &notice {
            Some(Notice::Done(message)) => (notice_ok(message)),
            Some(Notice::Refused(message, _)) => (notice_error(message)),
            None => {},
        }
        @if document.status == "returned" && document.submitter == principal.user_name.as_str() {
            div class="notice warn" {
                "该单据已退回给您，请按退回意见修改后再次送审，或作废。"
                @if let Some(row) = view.history.iter().rev().find(|row| row.action == "return") {
                    br;
                    strong { "退回意见：" } (row.opinion)
                    span class="small" { "（" (people.show(&row.actor)) " · " (beijing_time(&row.at)) "）" }
                }
            }
        }
        div class="grid-2 doc-grid" {
            section class="card" {
                h2 { "单据信息" " " (status_badge(&document.status)) }
                dl class="fields one-col" {
                    div class="field-line" { dt { "单据编号" } dd class="code" { (super::doc_number(&document.doc_id)) } }
                    div class="field-line" { dt { "单据类型" } dd { (doc_type_name(&document.doc_type)) } }
                    @if let Some(code) = document.agency_code.as_deref() {
                        div class="field-line" { dt { "单位" } dd {
                            @match schema::AGENCY.field("agency_code").and_then(|f| names.name_of(f, code)) {
                                Some(name) => { a href=(record_href(&schema::AGENCY, code)) { (name) } " " span class="code muted small" { (code) } },
                                None => span class="code" { (code) },
                            }
                        } }
                    }
                    @if document.amount_fen != 0 {
                        div class="field-line" { dt { "金额（元）" } dd { (amount_cell(document.amount_fen)) } }
                    }
                    div class="field-line" { dt { "经办人" } dd { (people.show(&document.submitter)) } }
                    div class="field-line" { dt { "创建时间" } dd { (beijing_time(&document.created_at)) } }
                    div class="field-line" { dt { "最近变动" } dd { (beijing_time(&document.updated_at)) } }
                }
            }
            section class="card" {
                h2 { "审批进度" }
                @match &view.flow {
                    None => p class="muted" { "尚未送审。经办人点击「送审」后，单据进入审批流程。" },
                    Some(flow) => {
                        dl class="fields one-col" {
                            div class="field-line" { dt { "审批流程" } dd { (flow.flow_name) span class="muted small" { "（第 " (flow.version) " 版）" } } }
                            div class="field-line" { dt { "当前环节" } dd {
                                @match &flow.current_node_name {
                                    Some(name) => strong { (name) },
                                    None => span class="muted" { "—（" (flow.status.name_zh()) "）" },
                                }
                            } }
                            @let current: Vec<_> = view.tasks.iter().filter(|t| matches!(t.status.as_str(), "open" | "pending" | "suspended" | "delegated")).collect();
                            @if !current.is_empty() {
                                div class="field-line" { dt { "当前办理人" } dd {
                                    ul class="plain-list" {
                                        @for task in &current {
                                            li {
                                                (people.show(&task.assignee)) " "
                                                span class="muted small" { (task_status_name(&task.status)) }
                                                @if task.status == "open" && overdue(task.due_at.as_deref()) {
                                                    " " span class="badge danger" { "已超时" }
                                                }
                                            }
                                        }
                                    }
                                } }
                            }
                        }
                        @if let Some(definition) = &definition {
                            (steps(definition, flow.current_node.as_deref()))
                        }
                    },
                }
            }
        }
        @if let Some(input) = &proposal {
            (proposal_table(input, record.as_ref(), &names, &document.status))
        }
        @if let Some(card) = &payment_card { (card) }
        @if let Some(card) = &project_card { (card) }
        @if crate::pages::ledger::render::is_operation_document(&document.doc_type) {
            @if let Some(card) = crate::pages::ledger::render::operation_card(&document.payload) { (card) }
        }
        (actions_card(user, &view, definition.as_ref(), &people, typed_opinion))
        (history_table(&view.history, &people, &node_name))
    };
    Ok((
        status,
        layout::page(user, &document.title, list_href, content),
    )
        .into_response())
}

/// The flow's nodes in order, the current one marked.
fn steps(definition: &FlowDefinition, current: Option<&str>) -> Markup {
    html! {
        ol class="flow-steps" {
            li class="step done" { "经办人送审" }
            @for node in &definition.nodes {
                li class={ "step" @if Some(node.node_code.as_str()) == current { " current" } } { (node.name) }
            }
            li class="step" { "生效" }
        }
    }
}

fn proposal_table(input: &Input, record: Option<&Record>, names: &Names, status: &str) -> Markup {
    let approved = status == "approved";
    html! {
        section class="card table-card" {
            h2 class="card-title" { "申请变更的内容" }
            @if approved {
                p class="muted small pad" { "本申请已审核通过，新值已写入单位信息。" }
            }
            table class="data" {
                thead { tr {
                    th { "字段" }
                    @if !approved { th { "原值（单位信息现值）" } }
                    th { "新值" }
                } }
                tbody {
                    @for (name, new) in &input.0 {
                        @let field = schema::AGENCY.field(name);
                        tr {
                            td { (field.map_or(name.as_str(), |f| f.label)) }
                            @if !approved {
                                td class="old-value" {
                                    @match (field, record.and_then(|r| r.get(name.as_str()))) {
                                        (Some(field), Some(value)) if *value != Value::Null => (plain(field, value, names)),
                                        _ => span class="muted" { "（空）" },
                                    }
                                }
                            }
                            td class="new-value" {
                                @match field {
                                    Some(field) if !new.is_empty() => (code_with_name(field, new, names)),
                                    _ if new.is_empty() => span class="muted" { "（清空）" },
                                    _ => (new),
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The forms of every action the viewer may take now.
fn actions_card(
    user: &CurrentUser,
    view: &DocumentView,
    definition: Option<&FlowDefinition>,
    people: &People,
    typed_opinion: &str,
) -> Markup {
    let doc_id = &view.document.doc_id;
    let action = format!("{}/act", document_href(doc_id));
    let has = |kind: ActionKind| view.document_actions.contains(&kind);
    let me = user.principal.user_name.as_str();
    let remindable: Vec<_> = view
        .tasks
        .iter()
        .filter(|t| t.status == "open" && t.assignee != me && overdue(t.due_at.as_deref()))
        .collect();
    let current_node = view.flow.as_ref().and_then(|f| f.current_node.clone());
    let return_nodes: Vec<(String, String)> = definition
        .zip(current_node.as_deref())
        .and_then(|(d, code)| {
            d.nodes
                .iter()
                .find(|n| n.node_code.as_str() == code)
                .map(|n| (d, n))
        })
        .map(|(d, node)| {
            node.return_targets
                .iter()
                .map(|target| {
                    let name = d
                        .node(target)
                        .map_or_else(|| target.to_string(), |n| n.name.clone());
                    (target.to_string(), name)
                })
                .collect()
        })
        .unwrap_or_default();
    let nothing = view.task_actions.iter().all(|(_, kinds)| kinds.is_empty())
        && view.document_actions.is_empty()
        && remindable.is_empty();
    html! {
        section class="card actions-card" {
            h2 { "办理" }
            @if nothing {
                p class="muted" { "您当前对该单据没有可办理的操作。" }
            }
            @for (task_id, kinds) in &view.task_actions {
                @let task_has = |kind: ActionKind| kinds.contains(&kind);
                @if task_has(ActionKind::Approve) || task_has(ActionKind::Return) || task_has(ActionKind::Reject) {
                    form method="post" action=(action) class="act-form" {
                        (csrf_field(user))
                        input type="hidden" name="task_id" value=(task_id);
                        label class="field" for=(format!("opinion-{task_id}")) {
                            span class="label" { "审核意见" }
                        }
                        textarea id=(format!("opinion-{task_id}")) name="opinion" rows="3" maxlength="500" placeholder="审核通过可不填（默认“同意”）；退回、驳回必须填写原因" { (typed_opinion) }
                        @if task_has(ActionKind::Return) {
                            label class="field inline-field" {
                                span class="label" { "退回至" }
                                select name="return_to" {
                                    option value="submitter" { "送审人（经办人）" }
                                    option value="previous" { "上一环节" }
                                    @for (code, name) in &return_nodes {
                                        option value=(format!("node:{code}")) { (name) }
                                    }
                                }
                            }
                        }
                        div class="form-actions" {
                            @if task_has(ActionKind::Approve) {
                                button type="submit" name="action" value="approve" class="button primary" { "审核通过" }
                            }
                            @if task_has(ActionKind::Return) {
                                button type="submit" name="action" value="return" class="button" { "退回" }
                            }
                            @if task_has(ActionKind::Reject) {
                                button type="submit" name="action" value="reject" class="button danger" data-confirm="驳回后该单据的审批即告结束，不能再送审。确定驳回吗？" { "驳回" }
                            }
                        }
                    }
                }
                @if task_has(ActionKind::Delegate) || task_has(ActionKind::Transfer) || task_has(ActionKind::AddSigner) {
                    details class="more-actions" {
                        summary { "委派、转办或加签" }
                        form method="post" action=(action) class="row-form" {
                            (csrf_field(user))
                            input type="hidden" name="task_id" value=(task_id);
                            label class="field" {
                                span class="label" { "交给（用户名）" }
                                input type="text" name="user" maxlength="40" autocomplete="off" placeholder="如 zhangsan";
                            }
                            @if task_has(ActionKind::AddSigner) {
                                label class="field" {
                                    span class="label" { "加签人审核顺序" }
                                    select name="position" {
                                        option value="after" { "在我之后审核" }
                                        option value="before" { "在我之前审核" }
                                    }
                                }
                            }
                            div class="filter-actions" {
                                @if task_has(ActionKind::Delegate) {
                                    button type="submit" name="action" value="delegate" class="button" title="对方办理后交回给您" { "委派" }
                                }
                                @if task_has(ActionKind::Transfer) {
                                    button type="submit" name="action" value="transfer" class="button" title="此待办从此由对方办理" { "转办" }
                                }
                                @if task_has(ActionKind::AddSigner) {
                                    button type="submit" name="action" value="add_signer" class="button" title="增加一位审核人" { "加签" }
                                }
                            }
                        }
                        p class="hint" { "委派：对方办理后交回给您；转办：此待办从此由对方办理；加签：增加一位审核人，与您共同审核。" }
                    }
                }
            }
            @if has(ActionKind::Submit) || has(ActionKind::Withdraw) || has(ActionKind::Cancel) {
                div class="doc-actions" {
                    @if has(ActionKind::Submit) {
                        (simple_form(user, &action, "submit", "送审", "button primary", None))
                    }
                    @if has(ActionKind::Withdraw) {
                        (simple_form(user, &action, "withdraw", "撤回", "button", Some("撤回后单据回到您手中，下一环节将看不到它。确定撤回吗？")))
                    }
                    @if has(ActionKind::Cancel) {
                        (simple_form(user, &action, "cancel", "作废", "button danger", Some("作废后该单据不能再送审。确定作废吗？")))
                    }
                }
            }
            @for task in &remindable {
                form method="post" action=(action) class="inline remind-form" {
                    (csrf_field(user))
                    input type="hidden" name="task_id" value=(task.task_id);
                    button type="submit" name="action" value="remind" class="button" { "催办 " (people.show(&task.assignee)) }
                }
            }
            @if has(ActionKind::CopyTo) {
                details class="more-actions" {
                    summary { "抄送给其他人" }
                    form method="post" action=(action) class="row-form" {
                        (csrf_field(user))
                        label class="field grow" {
                            span class="label" { "抄送给（用户名，多人用逗号分隔）" }
                            input type="text" name="users" maxlength="400" autocomplete="off" placeholder="如 zhangsan, lisi";
                        }
                        div class="filter-actions" {
                            button type="submit" name="action" value="copy_to" class="button" { "抄送" }
                        }
                    }
                }
            }
        }
    }
}

fn simple_form(
    user: &CurrentUser,
    action: &str,
    value: &str,
    label: &str,
    class: &str,
    confirm: Option<&str>,
) -> Markup {
    html! {
        form method="post" action=(action) class="inline" {
            (csrf_field(user))
            button type="submit" name="action" value=(value) class=(class) data-confirm=[confirm] { (label) }
        }
    }
}

fn history_table(
    history: &[HistoryRow],
    people: &People,
    node_name: &dyn Fn(&str) -> String,
) -> Markup {
    html! {
        section class="card table-card" {
            h2 class="card-title" { "审批记录" }
            @if history.is_empty() {
                div class="empty" { div class="empty-title" { "暂无审批记录" } p { "送审后，每一步办理都会记录在这里。" } }
            } @else {
                table class="data history" {
                    thead { tr {
                        th class="w-time" { "时间" } th class="nowrap" { "环节" } th class="w-person" { "处理人" }
                        th class="w-action" { "动作" } th { "意见" }
                    } }
                    tbody {
                        @for row in history {
                            tr {
                                td class="nowrap" { (beijing_time(&row.at)) }
                                td class="nowrap" {
                                    @match &row.node_code { Some(code) => (node_name(code)), None => span class="muted" { "经办人" } }
                                }
                                td { (people.show(&row.actor)) }
                                td class="nowrap" {
                                    span class=(action_class(&row.action)) { (action_of(&row.action).map_or(row.action.as_str(), |kind| kind.name_zh())) }
                                }
                                td {
                                    (row.opinion)
                                    @if !row.target_users.is_empty() {
                                        span class="muted small" { " → " (row.target_users.replace(',', "、")) }
                                    }
                                    @if let Some(to) = &row.to_node {
                                        span class="muted small" { " （至「" (node_name(to)) "」）" }
                                    } @else if row.action == "return" {
                                        span class="muted small" { " （至送审人）" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn action_class(action: &str) -> &'static str {
    match action {
        "approve" => "tag ok",
        "return" | "withdraw" => "tag warn",
        "reject" | "cancel" => "tag danger",
        _ => "tag",
    }
}

fn required_opinion(opinion: &str) -> Result<String, Rejection> {
    if opinion.is_empty() {
        Err(Rejection::FieldRequired {
            field: "审核意见"
        })
    } else {
        Ok(opinion.to_owned())
    }
}

/// The command a submitted action form asks for.
fn command_of(pairs: &Pairs) -> Result<Command, AppError> {
    let action = value_of(pairs, "action");
    let opinion = value_of(pairs, "opinion");
    let task_id = || -> Result<TaskId, Rejection> {
        value_of(pairs, "task_id")
            .parse::<u32>()
            .map(TaskId)
            .map_err(|_| Rejection::FieldInvalid {
                field: "待办",
                expected: "本页列出的待办",
            })
    };
    let user = || -> Result<fiscus_core::code::UserName, AppError> {
        let text = value_of(pairs, "user");
        if text.is_empty() {
            return Err(Rejection::FieldRequired {
                field: "交给（用户名）",
            }
            .into());
        }
        fiscus_app::flow::user_name(&text)
    };
    Ok(match action.as_str() {
        "submit" => Command::Submit,
        "withdraw" => Command::Withdraw,
        "cancel" => Command::Cancel,
        "approve" => Command::Approve {
            task_id: task_id()?,
            opinion: if opinion.is_empty() {
                "同意".into()
            } else {
                opinion
            },
        },
        "return" => {
            let target = value_of(pairs, "return_to");
            let to = match target.as_str() {
                "previous" => ReturnTarget::ToPrevious,
                _ => match target.strip_prefix("node:") {
                    Some(code) => ReturnTarget::ToNode(fiscus_core::flow::NodeCode::parse(code)?),
                    None => ReturnTarget::ToSubmitter,
                },
            };
            Command::Return {
                task_id: task_id()?,
                to,
                opinion: required_opinion(&opinion)?,
            }
        }
        "reject" => Command::Reject {
            task_id: task_id()?,
            opinion: required_opinion(&opinion)?,
        },
        "delegate" => Command::Delegate {
            task_id: task_id()?,
            to: user()?,
        },
        "transfer" => Command::Transfer {
            task_id: task_id()?,
            to: user()?,
        },
        "add_signer" => Command::AddSigner {
            task_id: task_id()?,
            user: user()?,
            position: if value_of(pairs, "position") == "before" {
                SignerPosition::Before
            } else {
                SignerPosition::After
            },
        },
        "copy_to" => {
            let text = value_of(pairs, "users");
            let mut users = Vec::new();
            for name in text
                .split([',', '，', '、', ' ', ';', '；'])
                .map(str::trim)
                .filter(|n| !n.is_empty())
            {
                users.push(fiscus_app::flow::user_name(name)?);
            }
            if users.is_empty() {
                return Err(Rejection::FieldRequired {
                    field: "抄送给（用户名）",
                }
                .into());
            }
            Command::CopyTo { users }
        }
        "remind" => Command::Remind {
            task_id: task_id()?,
            elapsed_hours: 0,
        },
        _ => {
            return Err(Rejection::FieldInvalid {
                field: "操作",
                expected: "页面上的办理按钮",
            }
            .into());
        }
    })
}

pub async fn act(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path(doc_id): Path<String>,
    form: Result<Form<Pairs>, FormRejection>,
) -> PageResult {
    let rid = &info.request_id;
    let pairs = form_pairs(form, rid)?;
    let result = match command_of(&pairs) {
        Ok(command) => {
            let kind = command.kind();
            state
                .app
                .flow_act(&user.principal, &doc_id, command, &info.ctx())
                .await
                .map(|_| kind)
        }
        Err(error) => Err(error),
    };
    match result {
        Ok(kind) => Ok(
            Redirect::to(&format!("{}?ok={}", document_href(&doc_id), kind.code())).into_response(),
        ),
        Err(error @ AppError::Rejected(_)) => {
            let (status, _, message, _) = describe(&error, rid);
            render(
                &state,
                &user,
                &info,
                &doc_id,
                Some(Notice::Refused(
                    format!("未能办理：{message}"),
                    value_of(&pairs, "opinion"),
                )),
                status,
            )
            .await
        }
        Err(error) => Err(PageError::new(error, rid)),
    }
}

// ---------------------------------------------------------------------------------------------
// 基础信息变更申请: new and edit

/// Agency fields a unit may propose to change.
fn changeable_fields() -> impl Iterator<Item = &'static FieldSpec> {
    schema::AGENCY
        .fields
        .iter()
        .filter(|f| f.edit == Edit::Always && f.kind != FieldKind::Secret)
}

/// A stored value as the text of a form input.
fn form_text(field: &FieldSpec, value: &Value) -> String {
    match (field.kind, value) {
        (FieldKind::Money, Value::Int(fen)) => Fen(*fen).to_yuan_string().replace(',', ""),
        (_, Value::Bool(true)) => "1".into(),
        (_, Value::Bool(false)) => String::new(),
        _ => value.display(),
    }
}

fn current_values(record: &Record) -> BTreeMap<String, String> {
    changeable_fields()
        .map(|field| {
            (
                field.name.to_owned(),
                record
                    .get(field.name)
                    .map(|v| form_text(field, v))
                    .unwrap_or_default(),
            )
        })
        .collect()
}

/// What the clerk changed: the submitted values that differ from the unit's present ones.
fn changes_of(pairs: &Pairs, current: &BTreeMap<String, String>) -> Input {
    let mut changes = BTreeMap::new();
    for field in changeable_fields() {
        if let Some((_, value)) = pairs.iter().find(|(key, _)| key == field.name) {
            let value = value.trim();
            if current.get(field.name).map(String::as_str).unwrap_or("") != value {
                changes.insert(field.name.to_owned(), value.to_owned());
            }
        }
    }
    Input(changes)
}

struct ChangeForm<'a> {
    user: &'a CurrentUser,
    /// `None`: a new document.
    doc_id: Option<&'a str>,
    agency_name: String,
    current: BTreeMap<String, String>,
    values: BTreeMap<String, String>,
    options: HashMap<&'static str, Vec<(String, String)>>,
    error: Option<(String, Option<&'static str>)>,
}

impl ChangeForm<'_> {
    fn render(&self) -> Markup {
        let (title, action) = match self.doc_id {
            None => (
                "单位信息变更申请".to_owned(),
                "/flow/unit-change/new".to_owned(),
            ),
            Some(doc_id) => (
                "修改变更申请".to_owned(),
                format!("{}/edit", document_href(doc_id)),
            ),
        };
        let cancel = self.doc_id.map_or("/".to_owned(), document_href);
        let trail: Vec<(&str, &str)> = match self.doc_id {
            None => vec![("/", "工作台")],
            Some(_) => vec![("/flow/done", "已办事项"), (cancel.as_str(), "申请单")],
        };
        html! {
            (heading(&trail, &title, html! {}))
            @if let Some((message, _)) = &self.error { (notice_error(message)) }
            div class="card intro" {
                p { "单位：" strong { (self.agency_name) } }
                p class="muted small" {
                    "请直接修改下方需要变更的项目（已填入单位信息的现值），未改动的项目不会提交。"
                    "送审后按审批流程逐级审核（单位、主管部门、财政部门），全部审核通过后新值才写入单位信息。"
                }
            }
            form method="post" action=(action) class="card record-form change-form" novalidate {
                (csrf_field(self.user))
                div class="form-grid" {
                    @for field in changeable_fields() { (self.field(field)) }
                }
                div class="form-actions" {
                    button type="submit" name="submit" value="1" class="button primary" { "送审" }
                    button type="submit" name="submit" value="" class="button" { "保存草稿" }
                    a class="button ghost" href=(cancel) { "取消" }
                }
            }
        }
    }

    fn field(&self, field: &'static FieldSpec) -> Markup {
        let value = self.values.get(field.name).map_or("", String::as_str);
        let current = self.current.get(field.name).map_or("", String::as_str);
        let changed = value.trim() != current;
        let error = self
            .error
            .as_ref()
            .filter(|(_, name)| *name == Some(field.name))
            .map(|(message, _)| message.as_str());
        let id = format!("f-{}", field.name);
        let wide = field.kind == FieldKind::Text && field.length_max >= 200;
        html! {
            div class={ "field" @if error.is_some() { " has-error" } @if changed { " changed" } @if wide { " wide" } } {
                label class="label" for=(id) {
                    (field.label)
                    " " span class="badge warn changed-mark" { "已修改" }
                }
                @match field.kind {
                    FieldKind::Code(element) => {
                        select id=(id) name=(field.name) data-current=(current) {
                            @if !field.required || value.is_empty() { option value="" { "（不填）" } }
                            @for (code, name) in self.options.get(element).map(Vec::as_slice).unwrap_or_default() {
                                option value=(code) selected[code == value] { (code) " " (name) }
                            }
                        }
                    }
                    FieldKind::Text if wide => {
                        textarea id=(id) name=(field.name) rows="2" maxlength=(field.length_max) data-current=(current) { (value) }
                    }
                    FieldKind::Int => {
                        input type="text" id=(id) name=(field.name) value=(value) inputmode="numeric" autocomplete="off" data-current=(current);
                    }
                    _ => {
                        input type="text" id=(id) name=(field.name) value=(value) maxlength=(field.length_max) autocomplete="off" data-current=(current);
                    }
                }
                span class="hint" {
                    "现值："
                    @if current.is_empty() { "（空）" }
                    @else {
                        (current)
                        @if let FieldKind::Code(element) = field.kind {
                            @if let Some((_, name)) = self.options.get(element).and_then(|o| o.iter().find(|(c, _)| c == current)) { " " (name) }
                        }
                    }
                }
                @if let Some(error) = error { span class="field-error" { (error) } }
            }
        }
    }
}

fn require_clerk(principal: &Principal, request_id: &str) -> Result<AgencyCode, PageError> {
    principal
        .agency_code()
        .filter(|_| principal.roles.contains(Role::UnitClerk))
        .cloned()
        .ok_or_else(|| PageError::new(Rejection::Forbidden, request_id))
}

async fn change_form<'a>(
    state: &AppState,
    user: &'a CurrentUser,
    doc_id: Option<&'a str>,
    agency_code: &str,
    values: Option<BTreeMap<String, String>>,
    request_id: &str,
) -> Result<ChangeForm<'a>, PageError> {
    let record = state
        .app
        .get_record(&user.principal, &schema::AGENCY, agency_code)
        .await
        .map_err(|e| PageError::new(e, request_id))?;
    let current = current_values(&record);
    let mut options = HashMap::new();
    for field in changeable_fields() {
        if let FieldKind::Code(element) = field.kind {
            options.insert(
                element,
                state
                    .app
                    .code_names(element, None)
                    .await
                    .unwrap_or_default(),
            );
        }
    }
    let agency_name = record
        .get("agency_name")
        .map(Value::display)
        .unwrap_or_else(|| agency_code.to_owned());
    Ok(ChangeForm {
        user,
        doc_id,
        agency_name: format!("{agency_name}（{agency_code}）"),
        values: values.unwrap_or_else(|| current.clone()),
        current,
        options,
        error: None,
    })
}

fn form_page(form: &ChangeForm<'_>) -> Markup {
    layout::page(
        form.user,
        "单位信息变更申请",
        "/flow/unit-change/new",
        form.render(),
    )
}

/// The form again with what the clerk typed and the reason.
fn refused_form(mut form: ChangeForm<'_>, error: AppError, request_id: &str) -> PageResult {
    let (status, _, message, label) = describe(&error, request_id);
    if !status.is_client_error() {
        return Err(PageError::new(error, request_id));
    }
    let field = label.and_then(|label| {
        changeable_fields()
            .find(|f| f.label == label || label.contains(f.label))
            .map(|f| f.name)
    });
    form.error = Some((message, field));
    Ok((status, form_page(&form)).into_response())
}

fn submitted_values(pairs: &Pairs) -> BTreeMap<String, String> {
    changeable_fields()
        .filter_map(|field| {
            pairs
                .iter()
                .find(|(key, _)| key == field.name)
                .map(|(_, v)| (field.name.to_owned(), v.clone()))
        })
        .collect()
}

pub async fn new_form(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
) -> PageResult {
    let rid = &info.request_id;
    let agency_code = require_clerk(&user.principal, rid)?;
    let form = change_form(&state, &user, None, agency_code.as_str(), None, rid).await?;
    Ok(form_page(&form).into_response())
}

pub async fn create(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    form: Result<Form<Pairs>, FormRejection>,
) -> PageResult {
    let rid = &info.request_id;
    let agency_code = require_clerk(&user.principal, rid)?;
    let pairs = form_pairs(form, rid)?;
    let submit = value_of(&pairs, "submit") == "1";
    let form = change_form(
        &state,
        &user,
        None,
        agency_code.as_str(),
        Some(submitted_values(&pairs)),
        rid,
    )
    .await?;
    let changes = changes_of(&pairs, &form.current);
    match state
        .app
        .create_unit_change(&user.principal, &changes, submit, &info.ctx())
        .await
    {
        Ok(doc_id) => Ok(Redirect::to(&format!(
            "{}?ok={}",
            document_href(&doc_id),
            if submit { "submit" } else { "created" }
        ))
        .into_response()),
        Err(error) => refused_form(form, error, rid),
    }
}

/// The document, if it is a 基础信息变更申请 the viewer wrote and may still correct.
async fn own_draft(
    state: &AppState,
    user: &CurrentUser,
    doc_id: &str,
    request_id: &str,
) -> Result<(DocumentView, String), PageError> {
    let view = state
        .app
        .flow_document(&user.principal, doc_id)
        .await
        .map_err(|e| PageError::new(e, request_id))?;
    let document = &view.document;
    if document.doc_type != DocType::UnitChange.code() {
        return Err(PageError::new(
            Rejection::NotFound { what: "单据" },
            request_id,
        ));
    }
    if document.submitter != user.principal.user_name.as_str() {
        return Err(PageError::new(Rejection::NotSubmitter, request_id));
    }
    if !matches!(document.status.as_str(), "draft" | "returned") {
        return Err(PageError::new(
            Rejection::FlowStatusForbidsAction {
                action: "修改",
                status: "审核中或已办结",
            },
            request_id,
        ));
    }
    let agency_code = document
        .agency_code
        .clone()
        .ok_or_else(|| PageError::new(Rejection::NotFound { what: "单位" }, request_id))?;
    Ok((view, agency_code))
}

pub async fn edit_form(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path(doc_id): Path<String>,
) -> PageResult {
    let rid = &info.request_id;
    let (view, agency_code) = own_draft(&state, &user, &doc_id, rid).await?;
    let mut form = change_form(&state, &user, Some(&doc_id), &agency_code, None, rid).await?;
    if let Ok(input) = payload_input(&view.document.payload) {
        for (name, value) in input.0 {
            form.values.insert(name, value);
        }
    }
    Ok(form_page(&form).into_response())
}

pub async fn update(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path(doc_id): Path<String>,
    form: Result<Form<Pairs>, FormRejection>,
) -> PageResult {
    let rid = &info.request_id;
    let pairs = form_pairs(form, rid)?;
    let submit = value_of(&pairs, "submit") == "1";
    let (_, agency_code) = own_draft(&state, &user, &doc_id, rid).await?;
    let form = change_form(
        &state,
        &user,
        Some(&doc_id),
        &agency_code,
        Some(submitted_values(&pairs)),
        rid,
    )
    .await?;
    let changes = changes_of(&pairs, &form.current);
    let result = match state
        .app
        .update_unit_change(&user.principal, &doc_id, &changes)
        .await
    {
        Ok(()) if submit => state
            .app
            .flow_act(&user.principal, &doc_id, Command::Submit, &info.ctx())
            .await
            .map(|_| "submit"),
        Ok(()) => Ok("saved"),
        Err(error) => Err(error),
    };
    match result {
        Ok(ok) => Ok(Redirect::to(&format!("{}?ok={ok}", document_href(&doc_id))).into_response()),
        Err(error) => refused_form(form, error, rid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Pairs {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn code(result: Result<Command, AppError>) -> String {
        match result {
            Ok(command) => command.kind().code().to_owned(),
            Err(AppError::Rejected(rejection)) => rejection.code(),
            Err(AppError::Internal(cause)) => cause,
        }
    }

    #[test]
    fn action_forms_become_commands() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("action", "submit")], "submit"),
            (&[("action", "approve"), ("task_id", "3")], "approve"),
            (&[("action", "approve")], "field_invalid"),
            (&[("action", "return"), ("task_id", "3")], "field_required"),
            (
                &[
                    ("action", "return"),
                    ("task_id", "3"),
                    ("opinion", "金额有误"),
                ],
                "return",
            ),
            (
                &[("action", "reject"), ("task_id", "1"), ("opinion", " ")],
                "field_required",
            ),
            (
                &[("action", "delegate"), ("task_id", "1")],
                "field_required",
            ),
            (
                &[
                    ("action", "transfer"),
                    ("task_id", "1"),
                    ("user", "zhangsan"),
                ],
                "transfer",
            ),
            (
                &[("action", "copy_to"), ("users", "zhangsan，lisi")],
                "copy_to",
            ),
            (&[("action", "copy_to"), ("users", " ")], "field_required"),
            (&[("action", "drop_table")], "field_invalid"),
        ];
        for (form, expected) in cases {
            assert_eq!(code(command_of(&pairs(form))), *expected, "{form:?}");
        }
        let Ok(Command::Approve { opinion, .. }) =
            command_of(&pairs(&[("action", "approve"), ("task_id", "2")]))
        else {
            panic!("an approval");
        };
        assert_eq!(opinion, "同意", "an empty opinion on approval reads 同意");
        let Ok(Command::Return { to, .. }) = command_of(&pairs(&[
            ("action", "return"),
            ("task_id", "2"),
            ("opinion", "退回"),
            ("return_to", "node:unit_review"),
        ])) else {
            panic!("a return");
        };
        assert!(matches!(to, ReturnTarget::ToNode(node) if node.as_str() == "unit_review"));
    }

    #[test]
    fn only_changed_fields_are_proposed() {
        let current: BTreeMap<String, String> = [("zip", "830002"), ("agency_add", "建设路6号")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let changes = changes_of(
            &pairs(&[
                ("_csrf", "t"),
                ("zip", " 832001 "),
                ("agency_add", "建设路6号"),
                ("agency_code", "999"),
            ]),
            &current,
        );
        assert_eq!(
            changes.0.into_iter().collect::<Vec<_>>(),
            vec![("zip".to_owned(), "832001".to_owned())],
            "unchanged, unknown and fixed fields are left out"
        );
    }
}
