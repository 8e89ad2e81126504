//! The approval flow in the JSON API, under `/api/v1/flow`: the 待办/已办 inbox and its counts,
//! 我的申请 (`/mine`), notifications and marking them read, 基础信息变更申请 documents (create, correct, read, history), every flow command
//! on a document, batch approval and return, and the flow definitions.
//!
//! Handlers parse; the use cases in `fiscus_app::flow` decide (scope, who may act, what the
//! flow allows). A document outside the viewer's scope does not exist (404).

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use fiscus_app::flow::{BatchOutcome, DocumentView, MyDocumentsQuery};
use fiscus_core::code::UserName;
use fiscus_core::flow::{ActionKind, Command, NodeCode, ReturnTarget, SignerPosition, TaskId};
use fiscus_core::{Rejection, schema};
use fiscus_store::flow::{DefinitionRow, InboxQuery};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiJson, ApiResult, json_input};
use crate::context::{ApiUser, RequestInfo};
use crate::error::{ApiError, describe};
use crate::state::AppState;

/// Page size of the inbox lists when the request names none.
const INBOX_PAGE_SIZE: u32 = 20;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/flow/inbox", get(inbox))
        .route("/api/v1/flow/inbox/counts", get(inbox_counts))
        .route("/api/v1/flow/done", get(done))
        .route("/api/v1/flow/notices", get(notices))
        .route("/api/v1/flow/notices/read", post(mark_notices_read))
        .route("/api/v1/flow/mine", get(mine))
        .route("/api/v1/flow/documents", post(create_document))
        .route(
            "/api/v1/flow/documents/{doc_id}",
            get(read_document).patch(update_document),
        )
        .route("/api/v1/flow/documents/{doc_id}/history", get(history))
        .route("/api/v1/flow/documents/{doc_id}/actions", post(act))
        .route("/api/v1/flow/batch", post(batch))
        .route(
            "/api/v1/flow/definitions",
            get(definitions).post(publish_definition),
        )
        .route(
            "/api/v1/flow/definitions/{flow_code}/{version}",
            get(read_definition),
        )
}

// ---------------------------------------------------------------------------------------------
// Inbox

/// `doc_type`, `q`, `page`, `page_size` of an inbox list.
fn inbox_query(params: &HashMap<String, String>) -> InboxQuery {
    let non_empty = |name: &str| {
        params
            .get(name)
            .map(|value| value.trim())
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    let number = |name: &str| params.get(name).and_then(|value| value.trim().parse().ok());
    InboxQuery {
        user_name: String::new(),
        doc_type: non_empty("doc_type"),
        search: non_empty("q"),
        page: number("page").unwrap_or(1).max(1),
        page_size: number("page_size")
            .unwrap_or(INBOX_PAGE_SIZE)
            .clamp(1, fiscus_core::query::PAGE_SIZE_MAX),
    }
}

async fn inbox(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let query = inbox_query(&params);
    let (page, page_size) = (query.page, query.page_size);
    let (rows, total) = state
        .app
        .flow_inbox(&user.principal, query)
        .await
        .map_err(|e| ApiError::new(e, &info.request_id))?;
    Ok(
        Json(json!({ "items": rows, "total": total, "page": page, "page_size": page_size }))
            .into_response(),
    )
}

async fn inbox_counts(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
) -> ApiResult {
    let counts = state
        .app
        .flow_inbox_counts(&user.principal)
        .await
        .map_err(|e| ApiError::new(e, &info.request_id))?;
    let total: i64 = counts.iter().map(|(_, count)| count).sum();
    let by_doc_type: serde_json::Map<String, Value> = counts
        .into_iter()
        .map(|(doc_type, count)| (doc_type, json!(count)))
        .collect();
    Ok(Json(json!({ "by_doc_type": by_doc_type, "total": total })).into_response())
}

async fn done(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let query = inbox_query(&params);
    let (page, page_size) = (query.page, query.page_size);
    let (rows, total) = state
        .app
        .flow_done(&user.principal, query)
        .await
        .map_err(|e| ApiError::new(e, &info.request_id))?;
    Ok(
        Json(json!({ "items": rows, "total": total, "page": page, "page_size": page_size }))
            .into_response(),
    )
}

async fn notices(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
) -> ApiResult {
    let rows = state
        .app
        .flow_notices(&user.principal)
        .await
        .map_err(|e| ApiError::new(e, &info.request_id))?;
    Ok(Json(json!({ "items": rows })).into_response())
}

/// Which notices to mark read: the listed ids, or all with `all: true`.
#[derive(Deserialize)]
struct MarkReadBody {
    #[serde(default)]
    notice_ids: Option<Vec<i64>>,
    #[serde(default)]
    all: bool,
}

async fn mark_notices_read(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    ApiJson(body): ApiJson<MarkReadBody>,
) -> ApiResult {
    let rid = &info.request_id;
    let ids = match (body.all, body.notice_ids) {
        (true, _) => None,
        (false, Some(ids)) => Some(ids),
        (false, None) => {
            return Err(ApiError::new(
                Rejection::FieldRequired {
                    field: "notice_ids",
                },
                rid,
            ));
        }
    };
    let marked = state
        .app
        .flow_mark_notices_read(&user.principal, ids.as_deref())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(json!({ "n_marked": marked })).into_response())
}

/// 我的申请: `status` plus the inbox parameters.
async fn mine(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let inbox = inbox_query(&params);
    let (page, page_size) = (inbox.page, inbox.page_size);
    let query = MyDocumentsQuery {
        status: params.get("status").cloned(),
        doc_type: inbox.doc_type,
        search: inbox.search,
        page,
        page_size,
    };
    let mine = state
        .app
        .flow_my_documents(&user.principal, query)
        .await
        .map_err(|e| ApiError::new(e, &info.request_id))?;
    let by_status: serde_json::Map<String, Value> = mine
        .counts
        .into_iter()
        .map(|(status, count)| (status, json!(count)))
        .collect();
    Ok(Json(json!({
        "items": mine.rows,
        "total": mine.total,
        "page": page,
        "page_size": page_size,
        "by_status": by_status,
    }))
    .into_response())
}

// ---------------------------------------------------------------------------------------------
// Documents

/// A document's page as JSON: the payload as an object, the allowed actions as codes.
fn view_json(view: &DocumentView) -> Value {
    let mut document = serde_json::to_value(&view.document).unwrap_or(Value::Null);
    if let Some(object) = document.as_object_mut() {
        let payload = serde_json::from_str::<Value>(&view.document.payload)
            .unwrap_or_else(|_| json!(view.document.payload));
        object.insert("payload".into(), payload);
    }
    let codes = |kinds: &[ActionKind]| -> Vec<&'static str> {
        kinds.iter().map(|kind| kind.code()).collect()
    };
    let task_actions: Vec<Value> = view
        .task_actions
        .iter()
        .map(|(task_id, kinds)| json!({ "task_id": task_id, "actions": codes(kinds) }))
        .collect();
    json!({
        "document": document,
        "flow": view.flow,
        "tasks": view.tasks,
        "history": view.history,
        "document_actions": codes(&view.document_actions),
        "task_actions": task_actions,
    })
}

#[derive(Deserialize)]
struct CreateBody {
    doc_type: String,
    // A `title` is accepted and ignored: a 基础信息变更申请 is titled after its unit and the
    // fields it changes.
    changes: Value,
    #[serde(default)]
    submit: bool,
}

#[derive(Deserialize)]
struct UpdateBody {
    changes: Value,
}

async fn document_reply(
    state: &AppState,
    user: &crate::context::CurrentUser,
    doc_id: &str,
    request_id: &str,
) -> Result<Value, ApiError> {
    let view = state
        .app
        .flow_document(&user.principal, doc_id)
        .await
        .map_err(|e| ApiError::new(e, request_id))?;
    Ok(view_json(&view))
}

async fn create_document(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    ApiJson(body): ApiJson<CreateBody>,
) -> ApiResult {
    let rid = &info.request_id;
    if body.doc_type != "unit_change" {
        return Err(ApiError::new(
            Rejection::FieldInvalid {
                field: "单据类型",
                expected: "unit_change（基础信息变更申请）",
            },
            rid,
        ));
    }
    let input = json_input(&schema::AGENCY, &body.changes).map_err(|e| ApiError::new(e, rid))?;
    let doc_id = state
        .app
        .create_unit_change(&user.principal, &input, body.submit, &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    let view = document_reply(&state, &user, &doc_id, rid).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

async fn update_document(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path(doc_id): Path<String>,
    ApiJson(body): ApiJson<UpdateBody>,
) -> ApiResult {
    let rid = &info.request_id;
    let input = json_input(&schema::AGENCY, &body.changes).map_err(|e| ApiError::new(e, rid))?;
    state
        .app
        .update_unit_change(&user.principal, &doc_id, &input)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(document_reply(&state, &user, &doc_id, rid).await?).into_response())
}

async fn read_document(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path(doc_id): Path<String>,
) -> ApiResult {
    Ok(Json(document_reply(&state, &user, &doc_id, &info.request_id).await?).into_response())
}

async fn history(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path(doc_id): Path<String>,
) -> ApiResult {
    let rows = state
        .app
        .flow_history(&user.principal, &doc_id)
        .await
        .map_err(|e| ApiError::new(e, &info.request_id))?;
    Ok(Json(json!({ "items": rows })).into_response())
}

// ---------------------------------------------------------------------------------------------
// Commands

/// One command as the client sends it. Parsed into a `Command`; the flow validates it.
#[derive(Deserialize)]
struct ActionBody {
    action: String,
    task_id: Option<u32>,
    opinion: Option<String>,
    /// Return target: `submitter`, `previous` or a node code.
    to: Option<String>,
    user: Option<String>,
    users: Option<Vec<String>>,
    /// `before` | `after` (加签).
    position: Option<String>,
}

const ACTION_EXPECTED: &str = "submit、approve、return、reject、withdraw、cancel、delegate、transfer、add_signer、copy_to、remind 之一";

fn task_of(task_id: Option<u32>) -> Result<TaskId, Rejection> {
    task_id.map(TaskId).ok_or(Rejection::FieldRequired {
        field: "任务编号"
    })
}

fn return_target(to: Option<&str>) -> Result<ReturnTarget, Rejection> {
    match to.map(str::trim) {
        None | Some("") | Some("submitter") => Ok(ReturnTarget::ToSubmitter),
        Some("previous") => Ok(ReturnTarget::ToPrevious),
        Some(node) => NodeCode::parse(node).map(ReturnTarget::ToNode),
    }
}

fn one_user(text: Option<&str>) -> Result<UserName, Rejection> {
    let text = text
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .ok_or(Rejection::FieldRequired { field: "办理人" })?;
    UserName::parse(text)
}

fn command_of(body: ActionBody) -> Result<Command, Rejection> {
    let opinion = body.opinion.unwrap_or_default();
    Ok(match body.action.trim() {
        "submit" => Command::Submit,
        "approve" => Command::Approve {
            task_id: task_of(body.task_id)?,
            opinion,
        },
        "return" => Command::Return {
            task_id: task_of(body.task_id)?,
            to: return_target(body.to.as_deref())?,
            opinion,
        },
        "reject" => Command::Reject {
            task_id: task_of(body.task_id)?,
            opinion,
        },
        "withdraw" => Command::Withdraw,
        "cancel" => Command::Cancel,
        "delegate" => Command::Delegate {
            task_id: task_of(body.task_id)?,
            to: one_user(body.user.as_deref().or(body.to.as_deref()))?,
        },
        "transfer" => Command::Transfer {
            task_id: task_of(body.task_id)?,
            to: one_user(body.user.as_deref().or(body.to.as_deref()))?,
        },
        "add_signer" => Command::AddSigner {
            task_id: task_of(body.task_id)?,
            user: one_user(body.user.as_deref())?,
            position: match body.position.as_deref().map(str::trim) {
                Some("before") => SignerPosition::Before,
                Some("after") => SignerPosition::After,
                Some(_) => {
                    return Err(Rejection::FieldInvalid {
                        field: "加签位置",
                        expected: "before（之前）或 after（之后）",
                    });
                }
                None => {
                    return Err(Rejection::FieldRequired {
                        field: "加签位置"
                    });
                }
            },
        },
        "copy_to" => {
            let names = body.users.unwrap_or_default();
            if names.is_empty() {
                return Err(Rejection::FieldRequired { field: "抄送人" });
            }
            Command::CopyTo {
                users: names
                    .iter()
                    .map(|name| UserName::parse(name))
                    .collect::<Result<_, _>>()?,
            }
        }
        "remind" => Command::Remind {
            task_id: task_of(body.task_id)?,
            // The application measures the time since the task opened.
            elapsed_hours: 0,
        },
        _ => {
            return Err(Rejection::FieldInvalid {
                field: "操作",
                expected: ACTION_EXPECTED,
            });
        }
    })
}

async fn act(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path(doc_id): Path<String>,
    ApiJson(body): ApiJson<ActionBody>,
) -> ApiResult {
    let rid = &info.request_id;
    let command = command_of(body).map_err(|e| ApiError::new(e, rid))?;
    let status = state
        .app
        .flow_act(&user.principal, &doc_id, command, &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(json!({ "doc_id": doc_id, "status": status.code() })).into_response())
}

#[derive(Deserialize)]
struct BatchItem {
    doc_id: String,
    task_id: u32,
}

#[derive(Deserialize)]
struct BatchBody {
    action: String,
    items: Vec<BatchItem>,
    opinion: Option<String>,
    /// Return target of a batch return (the submitter when absent).
    to: Option<String>,
}

fn batch_commands(body: BatchBody) -> Result<Vec<(String, Command)>, Rejection> {
    if body.items.is_empty() {
        return Err(Rejection::FieldRequired {
            field: "批量办理的单据",
        });
    }
    let opinion = body.opinion.unwrap_or_default();
    let returning = match body.action.trim() {
        "approve" => false,
        "return" => true,
        _ => {
            return Err(Rejection::FieldInvalid {
                field: "批量操作",
                expected: "approve（审核通过）或 return（退回）",
            });
        }
    };
    let to = return_target(body.to.as_deref())?;
    Ok(body
        .items
        .into_iter()
        .map(|item| {
            let task_id = TaskId(item.task_id);
            let command = if returning {
                Command::Return {
                    task_id,
                    to: to.clone(),
                    opinion: opinion.clone(),
                }
            } else {
                Command::Approve {
                    task_id,
                    opinion: opinion.clone(),
                }
            };
            (item.doc_id, command)
        })
        .collect())
}

async fn batch(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    ApiJson(body): ApiJson<BatchBody>,
) -> ApiResult {
    let rid = &info.request_id;
    let items = batch_commands(body).map_err(|e| ApiError::new(e, rid))?;
    let outcome = state
        .app
        .flow_batch(&user.principal, &items, &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    match outcome {
        BatchOutcome::Applied { n_documents } => {
            Ok(Json(json!({ "n_done": n_documents })).into_response())
        }
        BatchOutcome::Refused { doc_id, rejection } => {
            let (status, code, message, field) = describe(&rejection.into(), rid);
            let body = json!({
                "error": { "code": code, "message": message, "field": field, "request_id": rid },
                "doc_id": doc_id,
            });
            Ok((status, Json(body)).into_response())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Definitions

fn definition_summary(row: &DefinitionRow) -> Value {
    json!({
        "flow_code": row.flow_code,
        "version": row.version,
        "doc_type": row.doc_type,
        "name": row.name,
        "status": row.status,
        "published_at": row.published_at,
        "published_by": row.published_by,
    })
}

async fn definitions(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
) -> ApiResult {
    let rows = state
        .app
        .flow_definitions(&user.principal)
        .await
        .map_err(|e| ApiError::new(e, &info.request_id))?;
    let items: Vec<Value> = rows.iter().map(definition_summary).collect();
    Ok(Json(json!({ "items": items })).into_response())
}

async fn read_definition(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path((flow_code, version)): Path<(String, String)>,
) -> ApiResult {
    let rid = &info.request_id;
    let version: i64 = version
        .trim()
        .parse()
        .ok()
        .filter(|version| *version >= 1)
        .ok_or_else(|| {
            ApiError::new(
                Rejection::FieldInvalid {
                    field: "版本",
                    expected: "正整数",
                },
                rid,
            )
        })?;
    // Definitions are administered by system administrators; so are they read here.
    let rows = state
        .app
        .flow_definitions(&user.principal)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    let row = rows
        .iter()
        .find(|row| row.flow_code == flow_code && row.version == version)
        .ok_or_else(|| {
            ApiError::new(
                Rejection::NotFound {
                    what: "流程定义"
                },
                rid,
            )
        })?;
    let definition = state
        .app
        .stored_definition(&flow_code, version)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    let mut reply = definition_summary(row);
    if let Some(object) = reply.as_object_mut() {
        object.insert(
            "definition".into(),
            serde_json::to_value(&definition).unwrap_or(Value::Null),
        );
    }
    Ok(Json(reply).into_response())
}

async fn publish_definition(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult {
    let rid = &info.request_id;
    let version = state
        .app
        .publish_flow(&user.principal, &body.to_string(), &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    let flow_code = body.get("flow_code").cloned().unwrap_or(Value::Null);
    Ok((
        StatusCode::CREATED,
        Json(json!({ "flow_code": flow_code, "version": version })),
    )
        .into_response())
}
