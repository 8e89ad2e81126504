//! The state of one running flow instance: its status, where it stands, and every task it has
//! ever opened. The store keeps it (as columns plus a task table, or as JSON); `apply` turns
//! one state into the next.

use serde::{Deserialize, Serialize};

use crate::code::UserName;
use crate::flow::definition::{FlowCode, FlowDefinition, NodeCode};

/// Everything the machine needs to decide the next step of one document.
///
/// Invariants: `tasks[i].task_id == TaskId(i + 1)` (tasks are never removed, so the next id is
/// `tasks.len() + 1`); tasks are unfinished only in the current visit of `current_node`;
/// `current_node` is `Some` exactly when `status` is `InProgress`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceState {
    /// The definition this instance is pinned to: `apply` refuses any other.
    pub flow_code: FlowCode,
    pub version: u32,
    pub status: InstanceStatus,
    pub submitter: UserName,
    pub current_node: Option<NodeCode>,
    /// Which visit of `current_node` is under way (a node is visited again after a return).
    pub current_visit: u32,
    /// The nodes passed since the last submission, the current one last. Returns and
    /// withdrawals cut it back.
    pub path: Vec<PathStep>,
    pub tasks: Vec<TaskState>,
    /// The approval that moved the document to the current node, for withdrawal.
    pub last_advance: Option<LastAdvance>,
    /// Visits numbered so far (the next visit is `visits_entered + 1`).
    pub visits_entered: u32,
    /// History entries written so far; the next entry's `seq` is `history_len + 1`.
    pub history_len: u32,
    /// Grows by one with every transition. The store updates the row only where it still holds
    /// the revision it read, so of two concurrent actions exactly one wins; the loser reloads,
    /// applies again and gets `task_already_handled`.
    pub revision: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstanceStatus {
    /// Being written, or withdrawn by the submitter: only the submitter may act.
    Draft,
    InProgress,
    /// Returned to the submitter for correction.
    Returned,
    Approved,
    /// 驳回: refused for good.
    Rejected,
    /// 作废 by the submitter.
    Cancelled,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathStep {
    pub node_code: NodeCode,
    pub visit: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastAdvance {
    pub from_node: NodeCode,
    pub from_visit: u32,
    pub actor: UserName,
    /// The task whose approval completed the node; a withdrawal reopens a copy of it.
    pub task_id: TaskId,
}

/// A task id, numbered from 1 inside its instance; the store keys tasks by (instance, task id).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TaskId(pub u32);

/// One user's piece of work on one visit of a node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskState {
    pub task_id: TaskId,
    pub node_code: NodeCode,
    pub visit: u32,
    pub assignee: UserName,
    pub status: TaskStatus,
    /// Position among the node's candidates (the turn in a sequential node).
    pub order: u32,
    pub origin: TaskOrigin,
    /// The task this one takes over from (after a transfer or a withdrawal).
    pub replaces: Option<TaskId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Waiting for its turn (sequential node, or a signer added after someone).
    Pending,
    /// In the assignee's inbox.
    Open,
    /// Waiting for a signer added before it to approve.
    Suspended,
    /// Handed to a delegate; comes back Open when the delegate acts.
    Delegated,
    Done(Decision),
    /// Handed over for good to the task that `replaces` it.
    Transferred,
    /// Withdrawn after approval; a new task `replaces` it.
    Withdrawn,
    /// No longer needed (a sibling approved, the document moved on or was returned).
    Cancelled,
}

/// What an assignee decided on a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Return,
    Reject,
}

/// Why a task exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskOrigin {
    /// Resolved from the node's actor rules; counts toward the node's mode.
    Candidate,
    /// 加签: an extra approval required of this signer, before or after `for_task`.
    AddedSigner {
        for_task: TaskId,
        position: SignerPosition,
    },
    /// 委派: works on behalf of `owner_task`, which reopens when this one is done.
    Delegated { owner_task: TaskId },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignerPosition {
    /// The signer acts first; the original task waits (Suspended).
    Before,
    /// The original assignee acts first; the approval counts once the signer approves too.
    After,
}

impl InstanceState {
    /// A new document, pinned to `definition`'s code and version.
    pub fn new_draft(definition: &FlowDefinition, submitter: UserName) -> InstanceState {
        InstanceState {
            flow_code: definition.flow_code.clone(),
            version: definition.version,
            status: InstanceStatus::Draft,
            submitter,
            current_node: None,
            current_visit: 0,
            path: Vec::new(),
            tasks: Vec::new(),
            last_advance: None,
            visits_entered: 0,
            history_len: 0,
            revision: 0,
        }
    }

    pub fn task(&self, task_id: TaskId) -> Option<&TaskState> {
        let index = usize::try_from(task_id.0).ok()?.checked_sub(1)?;
        self.tasks.get(index).filter(|task| task.task_id == task_id)
    }

    /// The tasks of the current visit of the current node.
    pub fn current_tasks(&self) -> impl Iterator<Item = &TaskState> {
        self.tasks.iter().filter(|task| {
            Some(&task.node_code) == self.current_node.as_ref() && task.visit == self.current_visit
        })
    }

    /// The open tasks of one user (their inbox entries for this document).
    pub fn open_tasks_of<'s>(&'s self, user: &'s UserName) -> impl Iterator<Item = &'s TaskState> {
        self.tasks
            .iter()
            .filter(move |task| task.status == TaskStatus::Open && &task.assignee == user)
    }

    /// The tasks that are new or changed since `old`: what the store inserts or updates.
    pub fn tasks_changed_since<'s>(&'s self, old: &InstanceState) -> Vec<&'s TaskState> {
        self.tasks
            .iter()
            .filter(|task| old.task(task.task_id) != Some(*task))
            .collect()
    }
}

impl InstanceStatus {
    pub fn code(self) -> &'static str {
        match self {
            InstanceStatus::Draft => "draft",
            InstanceStatus::InProgress => "in_progress",
            InstanceStatus::Returned => "returned",
            InstanceStatus::Approved => "approved",
            InstanceStatus::Rejected => "rejected",
            InstanceStatus::Cancelled => "cancelled",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            InstanceStatus::Draft => "未送审",
            InstanceStatus::InProgress => "审核中",
            InstanceStatus::Returned => "已退回",
            InstanceStatus::Approved => "已审核",
            InstanceStatus::Rejected => "已驳回",
            InstanceStatus::Cancelled => "已作废",
        }
    }
}

impl TaskStatus {
    /// Still waiting for someone: pending, open, suspended or delegated.
    pub fn is_unfinished(self) -> bool {
        matches!(
            self,
            TaskStatus::Pending | TaskStatus::Open | TaskStatus::Suspended | TaskStatus::Delegated
        )
    }

    /// Replaced by another task (transferred or withdrawn): no longer counts as a voter.
    pub fn is_replaced(self) -> bool {
        matches!(self, TaskStatus::Transferred | TaskStatus::Withdrawn)
    }

    /// The code stored in the task table, where the inbox filters on `open`.
    pub fn code(self) -> &'static str {
        match self {
            TaskStatus::Pending => "pending",
            TaskStatus::Open => "open",
            TaskStatus::Suspended => "suspended",
            TaskStatus::Delegated => "delegated",
            TaskStatus::Done(Decision::Approve) => "approved",
            TaskStatus::Done(Decision::Return) => "returned",
            TaskStatus::Done(Decision::Reject) => "rejected",
            TaskStatus::Transferred => "transferred",
            TaskStatus::Withdrawn => "withdrawn",
            TaskStatus::Cancelled => "cancelled",
        }
    }
}
