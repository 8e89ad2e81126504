//! The commands that move work between people without deciding the document: 委派 (delegate,
//! the task comes back), 转办 (transfer, for good), 加签 (add a signer before or after), and the
//! notifications 抄送 (copy to) and 催办 (remind an overdue task).

use crate::code::UserName;
use crate::flow::command::{ActionKind, Actor, Effect, NotifyKind};
use crate::flow::machine::record;
use crate::flow::progress::{NewTask, Step};
use crate::flow::state::{SignerPosition, TaskOrigin, TaskState, TaskStatus};
use crate::rejection::Rejection;

/// The most people one copy-to may name.
pub const COPY_TO_USERS_MAX: usize = 50;

pub fn delegate(
    step: &mut Step<'_>,
    actor: &Actor,
    task: &TaskState,
    to: UserName,
) -> Result<(), Rejection> {
    check_target(step, actor, &to)?;
    let mut entry = record(
        ActionKind::Delegate,
        Some(&task.node_code),
        Some(task.task_id),
        &actor.user_name,
        "",
    );
    entry.target_users.push(to.clone());
    step.record(entry);
    step.set_status(task.task_id, TaskStatus::Delegated);
    let delegated = NewTask {
        node_code: task.node_code.clone(),
        visit: task.visit,
        assignee: to,
        order: task.order,
        origin: TaskOrigin::Delegated {
            owner_task: task.task_id,
        },
        replaces: None,
    };
    step.add_task(delegated, TaskStatus::Open);
    Ok(())
}

pub fn transfer(
    step: &mut Step<'_>,
    actor: &Actor,
    task: &TaskState,
    to: UserName,
) -> Result<(), Rejection> {
    check_target(step, actor, &to)?;
    let mut entry = record(
        ActionKind::Transfer,
        Some(&task.node_code),
        Some(task.task_id),
        &actor.user_name,
        "",
    );
    entry.target_users.push(to.clone());
    step.record(entry);
    step.set_status(task.task_id, TaskStatus::Transferred);
    let transferred = NewTask {
        node_code: task.node_code.clone(),
        visit: task.visit,
        assignee: to,
        order: task.order,
        origin: task.origin,
        replaces: Some(task.task_id),
    };
    let new_task_id = step.add_task(transferred, TaskStatus::Open);
    // Signers added after the old task now wait for the new one.
    for other in &mut step.state.tasks {
        if let TaskOrigin::AddedSigner { for_task, position } = other.origin
            && for_task == task.task_id
        {
            other.origin = TaskOrigin::AddedSigner {
                for_task: new_task_id,
                position,
            };
        }
    }
    Ok(())
}

pub fn add_signer(
    step: &mut Step<'_>,
    actor: &Actor,
    task: &TaskState,
    user: UserName,
    position: SignerPosition,
) -> Result<(), Rejection> {
    check_target(step, actor, &user)?;
    let mut entry = record(
        ActionKind::AddSigner,
        Some(&task.node_code),
        Some(task.task_id),
        &actor.user_name,
        "",
    );
    entry.target_users.push(user.clone());
    step.record(entry);
    let signer = NewTask {
        node_code: task.node_code.clone(),
        visit: task.visit,
        assignee: user,
        order: task.order,
        origin: TaskOrigin::AddedSigner {
            for_task: task.task_id,
            position,
        },
        replaces: None,
    };
    match position {
        SignerPosition::Before => {
            step.set_status(task.task_id, TaskStatus::Suspended);
            step.add_task(signer, TaskStatus::Open);
        }
        SignerPosition::After => {
            step.add_task(signer, TaskStatus::Pending);
        }
    }
    Ok(())
}

pub fn copy_to(step: &mut Step<'_>, actor: &Actor, users: Vec<UserName>) -> Result<(), Rejection> {
    if users.is_empty() {
        return Err(Rejection::FieldRequired { field: "抄送人" });
    }
    if users.len() > COPY_TO_USERS_MAX {
        return Err(Rejection::NumberOutOfRange {
            field: "抄送人数",
            min: 1,
            max: COPY_TO_USERS_MAX as i64,
        });
    }
    let mut distinct: Vec<UserName> = Vec::with_capacity(users.len());
    for user in users {
        if !distinct.contains(&user) {
            distinct.push(user);
        }
    }
    let current = step.state.current_node.clone();
    let mut entry = record(
        ActionKind::CopyTo,
        current.as_ref(),
        None,
        &actor.user_name,
        "",
    );
    entry.target_users = distinct.clone();
    step.record(entry);
    step.effects.push(Effect::Notify {
        users: distinct,
        kind: NotifyKind::CopyTo,
    });
    Ok(())
}

pub fn remind(
    step: &mut Step<'_>,
    actor: &Actor,
    task: &TaskState,
    elapsed_hours: u32,
) -> Result<(), Rejection> {
    let due_hours = step.node(&task.node_code)?.due_hours;
    if due_hours.is_none_or(|due_hours| elapsed_hours < due_hours) {
        return Err(Rejection::TaskNotOverdue { due_hours });
    }
    let mut entry = record(
        ActionKind::Remind,
        Some(&task.node_code),
        Some(task.task_id),
        &actor.user_name,
        "",
    );
    entry.target_users.push(task.assignee.clone());
    step.record(entry);
    step.effects.push(Effect::Notify {
        users: vec![task.assignee.clone()],
        kind: NotifyKind::Remind {
            task_id: task.task_id,
        },
    });
    Ok(())
}

/// A task may go to someone else who is not yet working on this node, and not to the
/// submitter unless the definition allows self-approval. The application has checked that
/// the user exists and may see the document.
fn check_target(step: &Step<'_>, actor: &Actor, to: &UserName) -> Result<(), Rejection> {
    if *to == step.state.submitter && !step.definition.allow_self_approval {
        return Err(Rejection::SelfApprovalForbidden);
    }
    let busy = step
        .state
        .current_tasks()
        .any(|task| task.status.is_unfinished() && task.assignee == *to);
    if *to == actor.user_name || busy {
        return Err(Rejection::HandoverTargetInvalid {
            user: to.to_string(),
        });
    }
    Ok(())
}
