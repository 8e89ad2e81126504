//! Administration of the flow definitions (审批流程定义), for system administrators: every
//! stored version, one version's nodes as an ordered table, and publishing a new version from
//! JSON. An invalid definition is refused with every problem listed in Chinese.

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use fiscus_app::AppError;
use fiscus_app::flow::definitions::parse_definition;
use fiscus_core::Rejection;
use fiscus_core::flow::{ApproverMode, FlowDefinition, NodeTarget, OrgRelation};
use fiscus_store::flow::DefinitionRow;
use maud::{Markup, html};

use super::doc_type_name;
use crate::context::{CurrentUser, PageUser, RequestInfo};
use crate::error::describe;
use crate::pages::format::beijing_time;
use crate::pages::layout::{self, csrf_field, heading, notice_ok, url};
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

fn status_name(status: &str) -> Markup {
    match status {
        "published" => html! { span class="badge ok" { "使用中" } },
        "retired" => html! { span class="badge off" { "已停用" } },
        "draft" => html! { span class="badge warn" { "草稿" } },
        other => html! { span class="badge off" { (other) } },
    }
}

fn version_href(flow_code: &str, version: i64) -> String {
    format!(
        "/flow/definitions/{}/{version}",
        crate::context::percent_encode(flow_code)
    )
}

pub async fn list(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
) -> PageResult {
    let rid = &info.request_id;
    let rows = state
        .app
        .flow_definitions(&user.principal)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let content = html! {
        (heading(&[("", "系统管理")], "审批流程定义", html! {}))
        p class="muted small" {
            "每类单据按「使用中」的版本送审；发布新版本后，新送审的单据使用新版本，在办单据仍按其送审时的版本办理。"
        }
        div class="card table-card" {
            table class="data" {
                thead { tr {
                    th { "单据类型" } th { "流程名称" } th { "编码" } th class="num" { "版本" }
                    th { "状态" } th class="w-time" { "发布时间" } th { "发布人" }
                } }
                tbody {
                    @for row in &rows {
                        tr {
                            td class="nowrap" { (doc_type_name(&row.doc_type)) }
                            td { a href=(version_href(&row.flow_code, row.version)) { (row.name) } }
                            td class="code" { (row.flow_code) }
                            td class="num" { "第 " (row.version) " 版" }
                            td { (status_name(&row.status)) }
                            td class="nowrap" { (row.published_at.as_deref().map(beijing_time).unwrap_or_default()) }
                            td { (row.published_by.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(&user, "审批流程定义", "/flow/definitions", content).into_response())
}

pub async fn version(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path((flow_code, version)): Path<(String, String)>,
    Query(params): Query<Vec<(String, String)>>,
) -> PageResult {
    let ok = params
        .iter()
        .any(|(key, value)| key == "ok" && value == "published");
    render_version(
        &state,
        &user,
        &info,
        &flow_code,
        &version,
        ok,
        None,
        StatusCode::OK,
    )
    .await
}

/// A refused publication: the message, the problems one per line, and the JSON as sent.
struct Refusal {
    message: String,
    problems: Vec<String>,
    json: String,
}

#[allow(clippy::too_many_arguments)]
async fn render_version(
    state: &AppState,
    user: &CurrentUser,
    info: &RequestInfo,
    flow_code: &str,
    version: &str,
    published: bool,
    refusal: Option<Refusal>,
    status: StatusCode,
) -> PageResult {
    let rid = &info.request_id;
    let rows = state
        .app
        .flow_definitions(&user.principal)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let not_found = || {
        PageError::new(
            Rejection::NotFound {
                what: "流程定义"
            },
            rid,
        )
    };
    let version: i64 = version.parse().map_err(|_| not_found())?;
    let row = rows
        .iter()
        .find(|row| row.flow_code == flow_code && row.version == version)
        .ok_or_else(not_found)?;
    let definition = parse_definition(&row.definition_json).map_err(|e| PageError::new(e, rid))?;
    let pretty = serde_json::to_string_pretty(&definition).unwrap_or_default();
    let versions: Vec<&DefinitionRow> = rows.iter().filter(|r| r.flow_code == flow_code).collect();
    let title = format!("{}（第 {} 版）", row.name, row.version);
    let content = html! {
        (heading(&[("", "系统管理"), ("/flow/definitions", "审批流程定义")], &title, html! {
            a class="button" href="#publish" { "发布新版本" }
        }))
        @if published { (notice_ok("新版本已发布。此后送审的单据将按此版本办理。")) }
        @if refusal.is_some() {
            div class="notice error" role="alert" {
                "未能发布新版本，原因见页面下方「发布新版本」；您填写的内容仍保留在那里，修改后可再次发布。"
            }
        }
        section class="card" {
            dl class="fields" {
                div class="field-line" { dt { "单据类型" } dd { (doc_type_name(&row.doc_type)) } }
                div class="field-line" { dt { "流程编码" } dd class="code" { (row.flow_code) } }
                div class="field-line" { dt { "状态" } dd { (status_name(&row.status)) } }
                div class="field-line" { dt { "发布时间" } dd { (row.published_at.as_deref().map(beijing_time).unwrap_or_default()) " " (row.published_by.as_deref().unwrap_or("")) } }
                div class="field-line" { dt { "送审人可否审核本人单据" } dd { @if definition.allow_self_approval { "可以" } @else { "不可以（不相容岗位分离）" } } }
                div class="field-line" { dt { "其他版本" } dd {
                    @for other in &versions {
                        @if other.version == row.version { strong { "第 " (other.version) " 版" } " " }
                        @else { a href=(version_href(&other.flow_code, other.version)) { "第 " (other.version) " 版" } " " }
                    }
                } }
            }
        }
        (nodes_table(&definition))
        section class="card" id="publish" {
            h2 { "发布新版本" }
            p class="muted small" {
                "在当前版本的基础上修改下方的流程定义（JSON 格式，说明见 data/flows/README.md），点击「发布」。"
                "版本号由系统自动加一；发布前会检查每个环节是否可到达、能否走到结束、是否有人办理。"
            }
            @if let Some(refusal) = &refusal {
                div class="notice error" {
                    p class="notice-title" { "未能发布：" (refusal.message) }
                    @if !refusal.problems.is_empty() {
                        ul class="problems" { @for problem in &refusal.problems { li { (problem) } } }
                    }
                }
            }
            form method="post" action="/flow/definitions/publish#publish" class="publish-form" {
                (csrf_field(user))
                input type="hidden" name="flow_code" value=(row.flow_code);
                input type="hidden" name="version" value=(row.version);
                textarea name="json" rows="24" spellcheck="false" class="code-area" {
                    (refusal.as_ref().map_or(pretty.as_str(), |r| r.json.as_str()))
                }
                div class="form-actions" {
                    button type="submit" class="button primary" data-confirm="发布后，新送审的单据将按新版本办理。确定发布吗？" { "发布" }
                    a class="button ghost" href=(version_href(&row.flow_code, row.version)) { "放弃修改" }
                }
            }
        }
    };
    Ok((
        status,
        layout::page(user, "审批流程定义", "/flow/definitions", content),
    )
        .into_response())
}

fn relation_name(relation: &OrgRelation) -> String {
    match relation {
        OrgRelation::SubmitterUnit => "送审单位".into(),
        OrgRelation::CompetentDepartment => "送审单位的主管部门".into(),
        OrgRelation::FinanceBureau { levels_up: 0 } => "本级财政部门".into(),
        OrgRelation::FinanceBureau { levels_up: 1 } => "上一级财政部门".into(),
        OrgRelation::FinanceBureau { levels_up } => format!("上 {levels_up} 级财政部门"),
        OrgRelation::NamedUser(user) => format!("指定用户 {user}"),
    }
}

fn mode_name(mode: ApproverMode) -> String {
    match mode {
        ApproverMode::Ratio {
            numerator,
            denominator,
        } => format!("票签（{numerator}/{denominator} 同意即通过）"),
        ApproverMode::AnyOne => "或签（一人通过即可）".into(),
        ApproverMode::All => "会签（全部通过）".into(),
        ApproverMode::Sequential => "依次审批".into(),
    }
}

fn nodes_table(definition: &FlowDefinition) -> Markup {
    let name_of = |code: &fiscus_core::flow::NodeCode| {
        definition
            .node(code)
            .map_or_else(|| code.to_string(), |n| n.name.clone())
    };
    html! {
        section class="card table-card" {
            h2 class="card-title" { "审核环节（按顺序）" }
            table class="data nodes" {
                thead { tr {
                    th class="num" { "序号" } th { "环节" } th { "办理人规则" } th { "审批方式" }
                    th { "下一环节（条件）" } th { "可退回至" } th { "可撤回" } th { "时限" }
                } }
                tbody {
                    @for (index, node) in definition.nodes.iter().enumerate() {
                        tr {
                            td class="num" { (index + 1) }
                            td {
                                strong { (node.name) }
                                @if node.node_code == definition.start_node { " " span class="badge info" { "开始" } }
                                br; span class="code muted small" { (node.node_code) }
                            }
                            td {
                                ul class="plain-list" {
                                    @for rule in &node.actors {
                                        li { (relation_name(&rule.relation)) "的" strong { (rule.role.name_zh()) } }
                                    }
                                }
                            }
                            td class="nowrap" { (mode_name(node.mode)) }
                            td {
                                ul class="plain-list" {
                                    @for edge in &node.next {
                                        li {
                                            @match &edge.to {
                                                NodeTarget::Node(code) => (name_of(code)),
                                                NodeTarget::End => strong { "结束（生效）" },
                                            }
                                            @if let Some(condition) = &edge.condition {
                                                span class="muted small" { "（当 " (condition.describe()) "）" }
                                            } @else if node.next.len() > 1 {
                                                span class="muted small" { "（其他情况）" }
                                            }
                                        }
                                    }
                                }
                            }
                            td {
                                "送审人"
                                @for target in &node.return_targets { "、" (name_of(target)) }
                            }
                            td { @if node.withdraw_allowed { "是" } @else { span class="muted" { "否" } } }
                            td class="nowrap" {
                                @match node.due_hours { Some(hours) => { (hours) " 小时" }, None => span class="muted" { "不限" } }
                                @if !node.pre_checks.is_empty() {
                                    br; span class="muted small" { "办理前检查：" (node.pre_checks.join("、")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub async fn publish(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> PageResult {
    let rid = &info.request_id;
    let Ok(Form(pairs)) = form else {
        return Err(PageError::new(
            Rejection::FieldInvalid {
                field: "表单",
                expected: "网页表单提交的内容",
            },
            rid,
        ));
    };
    let value = |name: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (flow_code, version, json) = (value("flow_code"), value("version"), value("json"));
    match state
        .app
        .publish_flow(&user.principal, &json, &info.ctx())
        .await
    {
        Ok(new_version) => {
            // The JSON names its own flow code; show the version just published.
            let code = parse_definition(&json)
                .map(|d| d.flow_code.to_string())
                .unwrap_or(flow_code);
            Ok(Redirect::to(&url(
                &version_href(&code, i64::from(new_version)),
                &[("ok", "published")],
            ))
            .into_response())
        }
        Err(error @ AppError::Rejected(_)) => {
            let (status, _, message, _) = describe(&error, rid);
            let (message, problems) = match &error {
                AppError::Rejected(Rejection::FlowDefinitionInvalid { problems }) => (
                    "流程定义有以下问题，请修改后再发布。".to_owned(),
                    problems.iter().map(|p| p.message()).collect(),
                ),
                _ => (message, Vec::new()),
            };
            render_version(
                &state,
                &user,
                &info,
                &flow_code,
                &version,
                false,
                Some(Refusal {
                    message,
                    problems,
                    json,
                }),
                status,
            )
            .await
        }
        Err(error) => Err(PageError::new(error, rid)),
    }
}
