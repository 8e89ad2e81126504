//! The state machine: `apply` takes the pinned definition, the current state, the document
//! facts, the acting user and one command, and returns the next state with its effects, or
//! the rejection. Pure and deterministic: no clock, no IO, nothing but its arguments.
//!
//! This file holds the decisions (submit, approve, return, reject, withdraw, cancel); the
//! hand-overs and notifications (delegate, transfer, add signer, copy to, remind) are in
//! `handover.rs`.

use crate::code::UserName;
use crate::flow::command::{
    ActionKind, Actor, CandidateResolver, Command, Effect, ReturnTarget, Transition,
};
use crate::flow::condition::DocumentFacts;
use crate::flow::definition::{ApproverMode, FlowDefinition, NodeCode};
use crate::flow::handover;
use crate::flow::mode::after_signers;
use crate::flow::permit::{Withdrawal, permit, withdrawal};
use crate::flow::progress::{NewTask, Record, Step};
use crate::flow::state::{
    Decision, InstanceState, InstanceStatus, SignerPosition, TaskId, TaskOrigin, TaskState,
    TaskStatus,
};
use crate::rejection::Rejection;

/// Applies one command. The caller runs the node's `pre_checks` (see `pre_checks_for`) before,
/// saves `new_state` and carries out the effects in the same transaction as the change to the
/// business document, and passes the definition the state is pinned to.
pub fn apply(
    definition: &FlowDefinition,
    state: &InstanceState,
    facts: &DocumentFacts,
    actor: &Actor,
    command: Command,
    resolver: &dyn CandidateResolver,
) -> Result<Transition, Rejection> {
    let task = permit(definition, state, actor, command.kind(), command.task_id())?;
    let mut step = Step::new(definition, facts, resolver, state);
    let user = &actor.user_name;
    match (command, task) {
        (Command::Submit, _) => submit(&mut step, actor)?,
        (Command::Withdraw, _) => withdraw(&mut step, actor)?,
        (Command::Cancel, _) => {
            step.record(record(ActionKind::Cancel, None, None, user, ""));
            step.end(InstanceStatus::Cancelled, Effect::DocumentCancelled);
        }
        (Command::CopyTo { users }, _) => handover::copy_to(&mut step, actor, users)?,
        (Command::Approve { opinion, .. }, Some(task)) => {
            approve(&mut step, actor, &task, &opinion)?
        }
        (Command::Return { to, opinion, .. }, Some(task)) => {
            return_document(&mut step, actor, &task, &to, &opinion)?
        }
        (Command::Reject { opinion, .. }, Some(task)) => reject(&mut step, actor, &task, &opinion)?,
        (Command::Delegate { to, .. }, Some(task)) => {
            handover::delegate(&mut step, actor, &task, to)?
        }
        (Command::Transfer { to, .. }, Some(task)) => {
            handover::transfer(&mut step, actor, &task, to)?
        }
        (Command::AddSigner { user, position, .. }, Some(task)) => {
            handover::add_signer(&mut step, actor, &task, user, position)?
        }
        (Command::Remind { elapsed_hours, .. }, Some(task)) => {
            handover::remind(&mut step, actor, &task, elapsed_hours)?
        }
        // `permit` returns the task of every task command.
        (_, None) => {
            return Err(Rejection::NotFound {
                what: "待办任务"
            });
        }
    }
    Ok(step.finish())
}

/// The checks the application must run before applying `command`: the `pre_checks` of the
/// node an approval is given on. A blocking check failing means `apply` is not called.
pub fn pre_checks_for<'d>(
    definition: &'d FlowDefinition,
    state: &InstanceState,
    command: &Command,
) -> &'d [String] {
    let node = match command {
        Command::Approve { task_id, .. } => state
            .task(*task_id)
            .and_then(|task| definition.node(&task.node_code)),
        _ => None,
    };
    node.map(|node| node.pre_checks.as_slice())
        .unwrap_or_default()
}

pub(crate) fn record<'r>(
    action: ActionKind,
    node_code: Option<&NodeCode>,
    task_id: Option<TaskId>,
    actor: &'r UserName,
    opinion: &'r str,
) -> Record<'r> {
    Record {
        action,
        node_code: node_code.cloned(),
        task_id,
        actor,
        opinion,
        target_users: Vec::new(),
        to_node: None,
    }
}

/// 送审: a new round from the start node.
fn submit(step: &mut Step<'_>, actor: &Actor) -> Result<(), Rejection> {
    step.state.path.clear();
    step.state.last_advance = None;
    step.record(record(ActionKind::Submit, None, None, &actor.user_name, ""));
    let start_node = step.definition.start_node.clone();
    step.enter(&start_node)?;
    step.effects.push(Effect::DocumentSubmitted);
    Ok(())
}

fn approve(
    step: &mut Step<'_>,
    actor: &Actor,
    task: &TaskState,
    opinion: &str,
) -> Result<(), Rejection> {
    let mut entry = record(
        ActionKind::Approve,
        Some(&task.node_code),
        Some(task.task_id),
        &actor.user_name,
        opinion,
    );
    if let TaskOrigin::Delegated { owner_task } = task.origin {
        // A delegate's approval is advice: the task goes back to its owner, nothing advances.
        let owner = step
            .state
            .task(owner_task)
            .map(|owner| owner.assignee.clone());
        entry.target_users.extend(owner);
        step.record(entry);
        step.set_status(task.task_id, TaskStatus::Done(Decision::Approve));
        step.set_status(owner_task, TaskStatus::Open);
        return Ok(());
    }
    step.record(entry);
    step.set_status(task.task_id, TaskStatus::Done(Decision::Approve));
    if let TaskOrigin::AddedSigner {
        for_task,
        position: SignerPosition::Before,
    } = task.origin
    {
        step.set_status(for_task, TaskStatus::Open);
    }
    let visit_tasks: Vec<TaskState> = step.state.current_tasks().cloned().collect();
    let waiting_signers: Vec<TaskId> = after_signers(task.task_id, &visit_tasks)
        .filter(|signer| signer.status == TaskStatus::Pending)
        .map(|signer| signer.task_id)
        .collect();
    for signer in waiting_signers {
        step.set_status(signer, TaskStatus::Open);
    }
    step.settle(&actor.user_name, task.task_id)
}

fn return_document(
    step: &mut Step<'_>,
    actor: &Actor,
    task: &TaskState,
    to: &ReturnTarget,
    opinion: &str,
) -> Result<(), Rejection> {
    if opinion.trim().is_empty() {
        return Err(Rejection::FieldRequired {
            field: "退回意见"
        });
    }
    let target = return_target(step, task, to)?;
    let mut entry = record(
        ActionKind::Return,
        Some(&task.node_code),
        Some(task.task_id),
        &actor.user_name,
        opinion,
    );
    match &target {
        None => entry.target_users.push(step.state.submitter.clone()),
        Some((_, node_code)) => entry.to_node = Some(node_code.clone()),
    }
    step.record(entry);
    step.set_status(task.task_id, TaskStatus::Done(Decision::Return));
    step.cancel_unfinished();
    match target {
        None => step.end(
            InstanceStatus::Returned,
            Effect::DocumentReturnedToSubmitter,
        ),
        Some((path_index, node_code)) => {
            step.state.path.truncate(path_index);
            step.state.last_advance = None;
            step.enter(&node_code)?;
        }
    }
    Ok(())
}

/// The node a return goes to with its place on the path, or `None` for the submitter.
fn return_target(
    step: &Step<'_>,
    task: &TaskState,
    to: &ReturnTarget,
) -> Result<Option<(usize, NodeCode)>, Rejection> {
    let node = step.node(&task.node_code)?;
    let earlier = step.state.path.len().saturating_sub(1);
    let wanted = match to {
        ReturnTarget::ToSubmitter => return Ok(None),
        ReturnTarget::ToPrevious => match earlier.checked_sub(1) {
            None => return Ok(None),
            Some(index) => step.state.path[index].node_code.clone(),
        },
        ReturnTarget::ToNode(node_code) => node_code.clone(),
    };
    let passed = step.state.path[..earlier]
        .iter()
        .rposition(|passed| passed.node_code == wanted);
    match passed {
        Some(index) if node.return_targets.contains(&wanted) => Ok(Some((index, wanted))),
        _ => {
            let name = step
                .definition
                .node(&wanted)
                .map_or(wanted.to_string(), |n| n.name.clone());
            Err(Rejection::ReturnTargetNotAllowed { node: name })
        }
    }
}

/// 驳回. In a 票签 node a candidate's rejection is a vote; elsewhere it ends the flow.
fn reject(
    step: &mut Step<'_>,
    actor: &Actor,
    task: &TaskState,
    opinion: &str,
) -> Result<(), Rejection> {
    if opinion.trim().is_empty() {
        return Err(Rejection::FieldRequired {
            field: "驳回意见"
        });
    }
    let node = step.node(&task.node_code)?;
    step.record(record(
        ActionKind::Reject,
        Some(&task.node_code),
        Some(task.task_id),
        &actor.user_name,
        opinion,
    ));
    step.set_status(task.task_id, TaskStatus::Done(Decision::Reject));
    let vote =
        matches!(node.mode, ApproverMode::Ratio { .. }) && task.origin == TaskOrigin::Candidate;
    if vote {
        return step.settle(&actor.user_name, task.task_id);
    }
    step.cancel_unfinished();
    step.end(InstanceStatus::Rejected, Effect::DocumentRejected);
    Ok(())
}

/// 撤回, by the last actor (back to their node, their task reopened) or by the submitter.
fn withdraw(step: &mut Step<'_>, actor: &Actor) -> Result<(), Rejection> {
    let current = step.state.current_node.clone();
    match withdrawal(step.definition, &step.state, actor)? {
        Withdrawal::BySubmitter => {
            step.record(record(
                ActionKind::Withdraw,
                current.as_ref(),
                None,
                &actor.user_name,
                "",
            ));
            step.cancel_unfinished();
            step.state.path.clear();
            step.end(InstanceStatus::Draft, Effect::DocumentWithdrawn);
        }
        Withdrawal::ByLastActor(advance) => {
            let approved =
                step.state
                    .task(advance.task_id)
                    .cloned()
                    .ok_or(Rejection::NotFound {
                        what: "待办任务"
                    })?;
            let mut entry = record(
                ActionKind::Withdraw,
                current.as_ref(),
                Some(advance.task_id),
                &actor.user_name,
                "",
            );
            entry.to_node = Some(advance.from_node.clone());
            step.record(entry);
            step.cancel_unfinished();
            step.state.path.pop();
            step.state.current_node = Some(advance.from_node.clone());
            step.state.current_visit = advance.from_visit;
            step.state.last_advance = None;
            step.set_status(approved.task_id, TaskStatus::Withdrawn);
            let reopened = NewTask {
                node_code: approved.node_code,
                visit: approved.visit,
                assignee: approved.assignee,
                order: approved.order,
                origin: approved.origin,
                replaces: Some(approved.task_id),
            };
            step.add_task(reopened, TaskStatus::Open);
        }
    }
    Ok(())
}
