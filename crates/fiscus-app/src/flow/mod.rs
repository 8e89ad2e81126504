//! Use cases of the approval flow engine (流程引擎): acting on a document (送审, 审核通过, 退回,
//! 驳回, 撤回, 作废, 委派, 转办, 加签, 抄送, 催办), batch approval and batch return, the
//! 待办/已办 inbox, a document's page with its history, and the flow definitions.
//!
//! Every action runs in one transaction with the change to its business document (see
//! `engine.rs`). A document is visible to a user when it lies in their data scope, or they
//! submitted it, or they hold or held a task on it; every read and every action filters so.
//!
//! Batch actions are all or nothing: every (document, command) pair runs in ONE transaction,
//! and the first refusal rolls the whole batch back and is reported with its document, so a
//! batch never half-happens and the user retries after removing or fixing that document.

mod apply_unit_change;
pub mod checks;
pub mod definitions;
pub(crate) mod engine;
pub mod resolve;
pub mod unit_change;

use fiscus_core::code::UserName;
use fiscus_core::flow::{
    ActionKind, Actor, Command, FlowDefinition, InstanceState, InstanceStatus, TaskId,
    allowed_actions,
};
use fiscus_core::{Principal, Rejection};
use fiscus_store::audit::now;
use fiscus_store::flow::{
    self as store, DocumentRow, DoneRow, HistoryRow, InboxQuery, InboxRow, NoticeRow, TaskRow,
};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::flow::definitions::parse_definition;
use crate::flow::engine::{Attempt, attempt};
use crate::{App, AppError, RequestCtx};

pub use definitions::DEFAULT_FLOWS;

/// A batch holds at most this many documents.
pub const BATCH_DOCUMENTS_MAX: usize = 500;
/// Attempts of one action when the instance moved between read and write.
const REVISION_ATTEMPTS_MAX: u32 = 3;

/// One call marks at most this many notices by id.
pub const NOTICE_IDS_MAX: usize = 500;
/// One run of the automatic 催办 writes at most this many reminders; the next run continues.
const REMIND_BATCH_MAX: i64 = 10_000;
/// The actor named on reminders the system writes.
pub const SYSTEM_ACTOR: &str = "system";

/// Filters and page of 我的申请.
#[derive(Clone, Debug, Default)]
pub struct MyDocumentsQuery {
    /// draft | returned | in_progress | approved | rejected | cancelled; `None` for all.
    pub status: Option<String>,
    pub doc_type: Option<String>,
    pub search: Option<String>,
    /// 1-based.
    pub page: u32,
    pub page_size: u32,
}

/// A page of 我的申请.
#[derive(Clone, Debug, Serialize)]
pub struct MyDocuments {
    pub rows: Vec<DoneRow>,
    /// Rows matching the filter, all pages.
    pub total: i64,
    /// Every status of `MY_DOCUMENT_STATUSES` with the number of the viewer's documents in it.
    pub counts: Vec<(String, i64)>,
}

/// How a batch ended: all applied, or nothing applied because of one document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BatchOutcome {
    Applied {
        n_documents: usize,
    },
    Refused {
        doc_id: String,
        rejection: Rejection,
    },
}

/// A document's page: its header, where its flow stands, its history and tasks, and the
/// buttons the viewer may press.
#[derive(Clone, Debug, Serialize)]
pub struct DocumentView {
    pub document: DocumentRow,
    /// `None` until the first submission.
    pub flow: Option<FlowView>,
    pub history: Vec<HistoryRow>,
    pub tasks: Vec<TaskRow>,
    /// Commands without a task (submit, withdraw, cancel, copy to) the viewer may give now.
    pub document_actions: Vec<ActionKind>,
    /// For each open task of the viewer: the commands they may give on it.
    pub task_actions: Vec<(u32, Vec<ActionKind>)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FlowView {
    pub flow_code: String,
    pub version: u32,
    pub flow_name: String,
    pub status: InstanceStatus,
    pub current_node: Option<String>,
    pub current_node_name: Option<String>,
}

impl App {
    /// Gives one command on one document, as `who`, in one transaction. A task command whose
    /// task someone else handled first is refused with `task_already_handled`.
    pub async fn flow_act(
        &self,
        who: &Principal,
        doc_id: &str,
        command: Command,
        ctx: &RequestCtx,
    ) -> Result<InstanceStatus, AppError> {
        for _ in 0..REVISION_ATTEMPTS_MAX {
            let mut tx = self.db.begin().await?;
            match attempt(self, &mut tx, who, doc_id, command.clone(), ctx).await? {
                Attempt::Done(status) => {
                    tx.commit().await?;
                    return Ok(status);
                }
                Attempt::RevisionMoved => continue,
            }
        }
        Err(AppError::Internal(format!(
            "flow instance of {doc_id} kept moving"
        )))
    }

    /// Batch approval or return: every (document, command) pair in ONE transaction, in
    /// document order (so concurrent batches lock in the same order). All or nothing.
    pub async fn flow_batch(
        &self,
        who: &Principal,
        items: &[(String, Command)],
        ctx: &RequestCtx,
    ) -> Result<BatchOutcome, AppError> {
        if items.len() > BATCH_DOCUMENTS_MAX {
            return Err(Rejection::FieldInvalid {
                field: "批量办理",
                expected: "一次不超过 500 份单据",
            }
            .into());
        }
        let mut sorted: Vec<&(String, Command)> = items.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        'retry: for _ in 0..REVISION_ATTEMPTS_MAX {
            let mut tx = self.db.begin().await?;
            for (doc_id, command) in &sorted {
                match attempt(self, &mut tx, who, doc_id, command.clone(), ctx).await {
                    Ok(Attempt::Done(_)) => {}
                    Ok(Attempt::RevisionMoved) => continue 'retry,
                    Err(AppError::Rejected(rejection)) => {
                        return Ok(BatchOutcome::Refused {
                            doc_id: doc_id.clone(),
                            rejection,
                        });
                    }
                    Err(other) => return Err(other),
                }
            }
            tx.commit().await?;
            return Ok(BatchOutcome::Applied {
                n_documents: sorted.len(),
            });
        }
        Err(AppError::Internal(
            "batch kept meeting moved instances".into(),
        ))
    }

    /// 待办: a page of the viewer's open tasks, with the total.
    pub async fn flow_inbox(
        &self,
        who: &Principal,
        mut query: InboxQuery,
    ) -> Result<(Vec<InboxRow>, i64), AppError> {
        query.user_name = who.user_name.to_string();
        Ok(store::open_tasks(&self.db, &query).await?)
    }

    /// Open tasks of the viewer by document type (the counts in the navigation).
    pub async fn flow_inbox_counts(&self, who: &Principal) -> Result<Vec<(String, i64)>, AppError> {
        Ok(store::open_task_counts(&self.db, who.user_name.as_str()).await?)
    }

    /// 已办: documents the viewer acted on or submitted, with the total.
    pub async fn flow_done(
        &self,
        who: &Principal,
        mut query: InboxQuery,
    ) -> Result<(Vec<DoneRow>, i64), AppError> {
        query.user_name = who.user_name.to_string();
        Ok(store::done_documents(&self.db, &query).await?)
    }

    /// The viewer's unread notifications (抄送, 催办).
    pub async fn flow_notices(&self, who: &Principal) -> Result<Vec<NoticeRow>, AppError> {
        Ok(store::unread_notices(&self.db, who.user_name.as_str()).await?)
    }

    /// Marks the viewer's unread notices as read: the given ids (others' ids are ignored), or
    /// all of them for `None`. Returns how many were marked.
    pub async fn flow_mark_notices_read(
        &self,
        who: &Principal,
        notice_ids: Option<&[i64]>,
    ) -> Result<u64, AppError> {
        if notice_ids.is_some_and(|ids| ids.len() > NOTICE_IDS_MAX) {
            return Err(Rejection::FieldInvalid {
                field: "notice_ids",
                expected: "一次不超过 500 条通知",
            }
            .into());
        }
        let mut tx = self.db.begin().await?;
        let marked =
            store::mark_notices_read(&mut tx, who.user_name.as_str(), notice_ids, &now()).await?;
        tx.commit().await?;
        Ok(marked)
    }

    /// 我的申请: a page of the documents the viewer submitted (drafts included), newest first,
    /// of one status or all, with the total and the count of each status.
    pub async fn flow_my_documents(
        &self,
        who: &Principal,
        query: MyDocumentsQuery,
    ) -> Result<MyDocuments, AppError> {
        let status = match query.status.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(status) => Some(
                store::MY_DOCUMENT_STATUSES
                    .into_iter()
                    .find(|known| *known == status)
                    .ok_or(Rejection::FieldInvalid {
                        field: "status",
                        expected: "draft、returned、in_progress、approved、rejected 或 cancelled",
                    })?,
            ),
        };
        let inbox = InboxQuery {
            user_name: who.user_name.to_string(),
            doc_type: query.doc_type,
            search: query.search,
            page: query.page,
            page_size: query.page_size,
        };
        let (rows, total) = store::my_documents(&self.db, &inbox, status).await?;
        let stored = store::my_document_counts(&self.db, who.user_name.as_str()).await?;
        let counts = store::MY_DOCUMENT_STATUSES
            .into_iter()
            .map(|status| {
                let n = stored
                    .iter()
                    .find(|(known, _)| known == status)
                    .map_or(0, |(_, n)| *n);
                (status.to_owned(), n)
            })
            .collect();
        Ok(MyDocuments {
            rows,
            total,
            counts,
        })
    }

    /// 催办 by the system: one reminder notice to the assignee of each open task whose due
    /// time lies before `now` and who has not been reminded of it yet, all in one
    /// transaction. Running it again writes nothing new. Returns how many were written.
    pub async fn flow_remind_overdue(&self, now: OffsetDateTime) -> Result<usize, AppError> {
        let at = now
            .replace_nanosecond(0)
            .unwrap_or(now)
            .to_offset(time::UtcOffset::UTC)
            .format(&Rfc3339)
            .map_err(|error| AppError::Internal(format!("time: {error}")))?;
        let mut tx = self.db.begin().await?;
        let tasks = store::overdue_unreminded_tasks(&mut tx, &at, REMIND_BATCH_MAX).await?;
        let notices: Vec<NoticeRow> = tasks
            .iter()
            .map(|task| NoticeRow {
                notice_id: 0,
                user_name: task.assignee.clone(),
                doc_id: task.doc_id.clone(),
                kind: "remind".to_owned(),
                actor: SYSTEM_ACTOR.to_owned(),
                at: at.clone(),
                read_at: None,
            })
            .collect();
        store::insert_notices(&mut tx, &notices).await?;
        tx.commit().await?;
        Ok(notices.len())
    }

    /// A document's history, if the viewer may see the document.
    pub async fn flow_history(
        &self,
        who: &Principal,
        doc_id: &str,
    ) -> Result<Vec<HistoryRow>, AppError> {
        self.visible_document(who, doc_id).await?;
        Ok(store::history(&self.db, doc_id).await?)
    }

    /// A document's page, if the viewer may see the document.
    pub async fn flow_document(
        &self,
        who: &Principal,
        doc_id: &str,
    ) -> Result<DocumentView, AppError> {
        let document = self.visible_document(who, doc_id).await?;
        let history = store::history(&self.db, doc_id).await?;
        let tasks = store::document_tasks(&self.db, doc_id).await?;
        let actor = Actor {
            user_name: who.user_name.clone(),
        };
        let Some(instance) = store::instance(&self.db, doc_id).await? else {
            let document_actions = if document.submitter == who.user_name.as_str() {
                vec![ActionKind::Submit, ActionKind::Cancel]
            } else {
                Vec::new()
            };
            return Ok(DocumentView {
                document,
                flow: None,
                history,
                tasks,
                document_actions,
                task_actions: Vec::new(),
            });
        };
        let state: InstanceState = serde_json::from_str(&instance.state_json)
            .map_err(|error| AppError::Internal(format!("instance state: {error}")))?;
        let definition = self
            .stored_definition(&instance.flow_code, instance.version)
            .await?;
        let document_actions = allowed_actions(&definition, &state, None, &actor);
        let task_actions = state
            .open_tasks_of(&who.user_name)
            .map(|task| {
                let actions = allowed_actions(&definition, &state, Some(task.task_id), &actor)
                    .into_iter()
                    .filter(|kind| kind.needs_task())
                    .collect();
                (task.task_id.0, actions)
            })
            .collect();
        let current_node_name = state
            .current_node
            .as_ref()
            .and_then(|node| definition.node(node))
            .map(|node| node.name.clone());
        Ok(DocumentView {
            document,
            flow: Some(FlowView {
                flow_code: definition.flow_code.to_string(),
                version: definition.version,
                flow_name: definition.name.clone(),
                status: state.status,
                current_node: state.current_node.as_ref().map(ToString::to_string),
                current_node_name,
            }),
            history,
            tasks,
            document_actions,
            task_actions,
        })
    }

    /// One stored version of a flow, parsed.
    pub async fn stored_definition(
        &self,
        flow_code: &str,
        version: i64,
    ) -> Result<FlowDefinition, AppError> {
        let row = store::definition_read(&self.db, flow_code, version)
            .await?
            .ok_or(Rejection::NotFound {
                what: "流程定义"
            })?;
        Ok(parse_definition(&row.definition_json)?)
    }

    async fn visible_document(
        &self,
        who: &Principal,
        doc_id: &str,
    ) -> Result<DocumentRow, AppError> {
        let scope = who.scope();
        store::document(&self.db, doc_id, Some((&scope, who.user_name.as_str())))
            .await?
            .ok_or_else(|| Rejection::NotFound { what: "单据" }.into())
    }
}

/// The task id of a task row, as the core names it.
pub fn task_id_of(row: &InboxRow) -> Result<TaskId, AppError> {
    u32::try_from(row.task_id)
        .map(TaskId)
        .map_err(|_| AppError::Internal("task id out of range".into()))
}

/// Parses a user name typed into a hand-over form (委派, 转办, 加签, 抄送).
pub fn user_name(text: &str) -> Result<UserName, AppError> {
    Ok(UserName::parse(text)?)
}
