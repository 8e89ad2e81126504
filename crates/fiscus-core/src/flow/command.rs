//! What goes into the machine (the acting user and a command) and what comes out (the next
//! state and the effects the application carries out in the same transaction), plus the
//! resolver that names the users behind a node's actor rules.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::code::UserName;
use crate::flow::definition::{ActorRule, NodeCode};
use crate::flow::state::{InstanceState, SignerPosition, TaskId, TaskStatus};

/// The user acting. The application has already authenticated them and checked that the
/// document is in their scope; the machine checks what the flow itself says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_name: UserName,
}

/// One thing a user asks of the flow. Task commands name the task the user acts on, and the
/// task's assignee must be that user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// 送审, by the submitter, from Draft or Returned. The flow starts again at the start node.
    Submit,
    /// 审核通过.
    Approve { task_id: TaskId, opinion: String },
    /// 退回; the opinion is required.
    Return {
        task_id: TaskId,
        to: ReturnTarget,
        opinion: String,
    },
    /// 驳回, terminal; the opinion is required. In a 票签 node it is a vote against.
    Reject { task_id: TaskId, opinion: String },
    /// 撤回: by the actor whose approval moved the document on, or by the submitter while the
    /// first node has not acted.
    Withdraw,
    /// 作废, by the submitter, from Draft or Returned.
    Cancel,
    /// 委派: `to` works on the task and it comes back to its owner.
    Delegate { task_id: TaskId, to: UserName },
    /// 转办: the task goes to `to` for good.
    Transfer { task_id: TaskId, to: UserName },
    /// 加签: `user` must also approve, before or after the task's assignee.
    AddSigner {
        task_id: TaskId,
        user: UserName,
        position: SignerPosition,
    },
    /// 抄送: a notification to `users`, by anyone who took part in the flow.
    CopyTo { users: Vec<UserName> },
    /// 催办 an overdue open task. `elapsed_hours` since the task opened comes from the caller's
    /// clock; the core reads none.
    Remind { task_id: TaskId, elapsed_hours: u32 },
}

/// Where a return sends the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReturnTarget {
    ToSubmitter,
    /// The node before the current one on the path taken (the submitter when there is none).
    /// It must be one of the node's `return_targets`.
    ToPrevious,
    /// A node the document passed in this round and that is one of the node's `return_targets`.
    ToNode(NodeCode),
}

/// The kinds of command, for history entries and for the buttons of the inbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Submit,
    Approve,
    Return,
    Reject,
    Withdraw,
    Cancel,
    Delegate,
    Transfer,
    AddSigner,
    CopyTo,
    Remind,
}

/// The result of one successful `apply`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    pub new_state: InstanceState,
    pub effects: Vec<Effect>,
}

/// Something the application does in the same transaction as saving `new_state`. The task
/// effects say what changed for whom (inbox, notifications); to persist tasks, save
/// `new_state.tasks_changed_since(&old_state)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// A task became open in `assignee`'s inbox (new, or back from suspension or delegation).
    OpenTask {
        task_id: TaskId,
        node_code: NodeCode,
        assignee: UserName,
        order: u32,
    },
    /// An open task left its assignee's inbox with this status.
    CloseTask {
        task_id: TaskId,
        status: TaskStatus,
    },
    /// Unfinished tasks that are no longer needed.
    CancelTasks {
        task_ids: Vec<TaskId>,
    },
    History(HistoryEntry),
    Notify {
        users: Vec<UserName>,
        kind: NotifyKind,
    },
    DocumentSubmitted,
    /// Withdrawn by the submitter: the document is a draft again.
    DocumentWithdrawn,
    DocumentReturnedToSubmitter,
    /// The last node approved: the document takes effect (post indicators, make the voucher …).
    DocumentApproved,
    DocumentRejected,
    DocumentCancelled,
}

/// One line of the document's history. The application adds the time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// 1, 2, 3 … inside the instance.
    pub seq: u32,
    pub action: ActionKind,
    pub node_code: Option<NodeCode>,
    pub task_id: Option<TaskId>,
    pub actor: UserName,
    pub opinion: String,
    /// Who else the action names: the delegate, the new assignee, the added signer, the
    /// people copied or reminded, the owner a delegate hands back to.
    pub target_users: Vec<UserName>,
    /// The node a return or a withdrawal sends the document to (`None`: to the submitter, or
    /// the action moves nothing).
    pub to_node: Option<NodeCode>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotifyKind {
    CopyTo,
    Remind { task_id: TaskId },
}

/// Turns an actor rule into the users who satisfy it for one document, in a stable order
/// (the order of a sequential node). The application builds one per document.
pub trait CandidateResolver {
    fn candidates(&self, rule: &ActorRule) -> Vec<UserName>;
}

/// A resolver from a table, filled beforehand. The application resolves every rule of
/// `FlowDefinition::actor_rules` with its queries and passes the table; tests write it out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CandidateTable {
    pub users_by_rule: BTreeMap<ActorRule, Vec<UserName>>,
}

impl CandidateResolver for CandidateTable {
    fn candidates(&self, rule: &ActorRule) -> Vec<UserName> {
        self.users_by_rule.get(rule).cloned().unwrap_or_default()
    }
}

impl ActionKind {
    pub const ALL: [ActionKind; 11] = [
        ActionKind::Submit,
        ActionKind::Approve,
        ActionKind::Return,
        ActionKind::Reject,
        ActionKind::Withdraw,
        ActionKind::Cancel,
        ActionKind::Delegate,
        ActionKind::Transfer,
        ActionKind::AddSigner,
        ActionKind::CopyTo,
        ActionKind::Remind,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ActionKind::Submit => "submit",
            ActionKind::Approve => "approve",
            ActionKind::Return => "return",
            ActionKind::Reject => "reject",
            ActionKind::Withdraw => "withdraw",
            ActionKind::Cancel => "cancel",
            ActionKind::Delegate => "delegate",
            ActionKind::Transfer => "transfer",
            ActionKind::AddSigner => "add_signer",
            ActionKind::CopyTo => "copy_to",
            ActionKind::Remind => "remind",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            ActionKind::Submit => "送审",
            ActionKind::Approve => "审核通过",
            ActionKind::Return => "退回",
            ActionKind::Reject => "驳回",
            ActionKind::Withdraw => "撤回",
            ActionKind::Cancel => "作废",
            ActionKind::Delegate => "委派",
            ActionKind::Transfer => "转办",
            ActionKind::AddSigner => "加签",
            ActionKind::CopyTo => "抄送",
            ActionKind::Remind => "催办",
        }
    }

    /// Does this kind of command act on a task (and so need a task id)?
    pub fn needs_task(self) -> bool {
        matches!(
            self,
            ActionKind::Approve
                | ActionKind::Return
                | ActionKind::Reject
                | ActionKind::Delegate
                | ActionKind::Transfer
                | ActionKind::AddSigner
                | ActionKind::Remind
        )
    }
}

impl Command {
    pub fn kind(&self) -> ActionKind {
        match self {
            Command::Submit => ActionKind::Submit,
            Command::Approve { .. } => ActionKind::Approve,
            Command::Return { .. } => ActionKind::Return,
            Command::Reject { .. } => ActionKind::Reject,
            Command::Withdraw => ActionKind::Withdraw,
            Command::Cancel => ActionKind::Cancel,
            Command::Delegate { .. } => ActionKind::Delegate,
            Command::Transfer { .. } => ActionKind::Transfer,
            Command::AddSigner { .. } => ActionKind::AddSigner,
            Command::CopyTo { .. } => ActionKind::CopyTo,
            Command::Remind { .. } => ActionKind::Remind,
        }
    }

    pub fn task_id(&self) -> Option<TaskId> {
        match self {
            Command::Approve { task_id, .. }
            | Command::Return { task_id, .. }
            | Command::Reject { task_id, .. }
            | Command::Delegate { task_id, .. }
            | Command::Transfer { task_id, .. }
            | Command::AddSigner { task_id, .. }
            | Command::Remind { task_id, .. } => Some(*task_id),
            Command::Submit | Command::Withdraw | Command::Cancel | Command::CopyTo { .. } => None,
        }
    }
}
