//! Who may do what, right now: the checks of a command that need neither its payload nor the
//! document facts. `apply` runs them first; `allowed_actions` runs them for every kind of
//! command to decide which buttons the inbox shows.
//!
//! Order of precedence, as for every rejection: the pinned version, then the existence of the
//! task, then authorization (the submitter, the assignee, separation of duties), then the
//! state (the task already handled, the document's status), then the flow's business rules.

use crate::flow::command::{ActionKind, Actor};
use crate::flow::definition::FlowDefinition;
use crate::flow::state::{
    InstanceState, InstanceStatus, LastAdvance, TaskId, TaskOrigin, TaskState, TaskStatus,
};
use crate::flow::validate::DefinitionProblem;
use crate::rejection::Rejection;

/// Which withdrawal a `Withdraw` is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Withdrawal {
    /// The actor whose approval moved the document on takes it back to their node.
    ByLastActor(LastAdvance),
    /// The submitter takes the document back before the first node has acted.
    BySubmitter,
}

/// The buttons to show: every kind of command the actor may give now on this document (and on
/// `task_id`, for the task commands). Remind is offered on any open task of a node with a time
/// limit; whether it is overdue needs the caller's clock, so `apply` may still refuse it.
pub fn allowed_actions(
    definition: &FlowDefinition,
    state: &InstanceState,
    task_id: Option<TaskId>,
    actor: &Actor,
) -> Vec<ActionKind> {
    ActionKind::ALL
        .into_iter()
        .filter(|kind| !kind.needs_task() || task_id.is_some())
        .filter(|kind| permit(definition, state, actor, *kind, task_id).is_ok())
        .collect()
}

/// The checks of one kind of command that need no payload. Returns the task acted on.
pub fn permit(
    definition: &FlowDefinition,
    state: &InstanceState,
    actor: &Actor,
    kind: ActionKind,
    task_id: Option<TaskId>,
) -> Result<Option<TaskState>, Rejection> {
    check_pinned(definition, state)?;
    match kind {
        ActionKind::Submit | ActionKind::Cancel => {
            if actor.user_name != state.submitter {
                return Err(Rejection::NotSubmitter);
            }
            let resubmit = kind == ActionKind::Submit && definition.resubmit_after_reject;
            let allowed: &[InstanceStatus] = if resubmit {
                &[
                    InstanceStatus::Draft,
                    InstanceStatus::Returned,
                    InstanceStatus::Rejected,
                ]
            } else {
                &[InstanceStatus::Draft, InstanceStatus::Returned]
            };
            check_status(kind, state, allowed)?;
            Ok(None)
        }
        ActionKind::Withdraw => withdrawal(definition, state, actor).map(|_| None),
        ActionKind::CopyTo => {
            let participant = actor.user_name == state.submitter
                || state
                    .tasks
                    .iter()
                    .any(|task| task.assignee == actor.user_name);
            if !participant {
                return Err(Rejection::NotFlowParticipant);
            }
            if matches!(
                state.status,
                InstanceStatus::Draft | InstanceStatus::Cancelled
            ) {
                return Err(status_forbids(kind, state.status));
            }
            Ok(None)
        }
        ActionKind::Remind => {
            let task = find_task(state, task_id)?;
            if task.status != TaskStatus::Open {
                return Err(Rejection::TaskAlreadyHandled);
            }
            let due_hours = definition
                .node(&task.node_code)
                .and_then(|node| node.due_hours);
            if due_hours.is_none() {
                return Err(Rejection::TaskNotOverdue { due_hours });
            }
            Ok(Some(task.clone()))
        }
        ActionKind::Approve
        | ActionKind::Return
        | ActionKind::Reject
        | ActionKind::Delegate
        | ActionKind::Transfer
        | ActionKind::AddSigner => task_permit(definition, state, actor, kind, task_id).map(Some),
    }
}

/// A command on a task: the task exists, is the actor's, may be decided by them, is open.
fn task_permit(
    definition: &FlowDefinition,
    state: &InstanceState,
    actor: &Actor,
    kind: ActionKind,
    task_id: Option<TaskId>,
) -> Result<TaskState, Rejection> {
    let task = find_task(state, task_id)?;
    if task.assignee != actor.user_name {
        return Err(Rejection::NotTaskAssignee);
    }
    // Only decisions are barred: a task that reached its submitter (older data) can still be
    // transferred or delegated away, so it is never stuck.
    let decision = matches!(
        kind,
        ActionKind::Approve | ActionKind::Return | ActionKind::Reject
    );
    if decision && actor.user_name == state.submitter && !definition.allow_self_approval {
        return Err(Rejection::SelfApprovalForbidden);
    }
    if task.status != TaskStatus::Open {
        return Err(Rejection::TaskAlreadyHandled);
    }
    check_status(kind, state, &[InstanceStatus::InProgress])?;
    if matches!(task.origin, TaskOrigin::Delegated { .. }) && kind != ActionKind::Approve {
        return Err(Rejection::DelegatedTaskOnlyHandsBack);
    }
    if definition.node(&task.node_code).is_none() {
        return Err(vec![DefinitionProblem::UnknownNode {
            node: task.node_code.clone(),
        }]
        .into());
    }
    Ok(task.clone())
}

/// Whether and how `actor` may withdraw. The status comes first here: who may withdraw
/// depends on where the document stands.
pub fn withdrawal(
    definition: &FlowDefinition,
    state: &InstanceState,
    actor: &Actor,
) -> Result<Withdrawal, Rejection> {
    check_status(ActionKind::Withdraw, state, &[InstanceStatus::InProgress])?;
    let node_name = |index: usize| {
        state
            .path
            .get(index)
            .and_then(|step| definition.node(&step.node_code))
            .map(|node| node.name.clone())
            .unwrap_or_default()
    };
    // Anything beyond the tasks opened on entry means the current node has acted.
    let current_acted = state.current_tasks().any(|task| {
        !matches!(task.status, TaskStatus::Open | TaskStatus::Pending)
            || task.origin != TaskOrigin::Candidate
    });
    let current_index = state.path.len().saturating_sub(1);
    if let Some(advance) = &state.last_advance
        && advance.actor == actor.user_name
    {
        let from = definition.node(&advance.from_node).ok_or_else(|| {
            Rejection::from(vec![DefinitionProblem::UnknownNode {
                node: advance.from_node.clone(),
            }])
        })?;
        if !from.withdraw_allowed {
            return Err(Rejection::WithdrawNotEnabled {
                node: from.name.clone(),
            });
        }
        if current_acted {
            return Err(Rejection::WithdrawTooLate {
                node: node_name(current_index),
            });
        }
        return Ok(Withdrawal::ByLastActor(advance.clone()));
    }
    if actor.user_name == state.submitter {
        if state.path.len() > 1 {
            return Err(Rejection::WithdrawTooLate { node: node_name(0) });
        }
        if current_acted {
            return Err(Rejection::WithdrawTooLate {
                node: node_name(current_index),
            });
        }
        return Ok(Withdrawal::BySubmitter);
    }
    Err(Rejection::NotLastActor)
}

/// The running instance must be given the definition it is pinned to, never a newer one.
fn check_pinned(definition: &FlowDefinition, state: &InstanceState) -> Result<(), Rejection> {
    if definition.flow_code != state.flow_code || definition.version != state.version {
        return Err(Rejection::FlowVersionMismatch {
            flow_code: state.flow_code.to_string(),
            pinned_version: state.version,
            given_version: definition.version,
        });
    }
    Ok(())
}

fn check_status(
    kind: ActionKind,
    state: &InstanceState,
    allowed: &[InstanceStatus],
) -> Result<(), Rejection> {
    if allowed.contains(&state.status) {
        Ok(())
    } else {
        Err(status_forbids(kind, state.status))
    }
}

fn status_forbids(kind: ActionKind, status: InstanceStatus) -> Rejection {
    Rejection::FlowStatusForbidsAction {
        action: kind.name_zh(),
        status: status.name_zh(),
    }
}

fn find_task(state: &InstanceState, task_id: Option<TaskId>) -> Result<&TaskState, Rejection> {
    task_id
        .and_then(|task_id| state.task(task_id))
        .ok_or(Rejection::NotFound {
            what: "待办任务"
        })
}
