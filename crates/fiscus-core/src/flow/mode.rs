//! How the tasks of one node visit combine into the node's decision under its approver mode
//! (或签, 会签, 票签, sequential), counting signers added after an approver.

use crate::flow::definition::ApproverMode;
use crate::flow::state::{Decision, SignerPosition, TaskId, TaskOrigin, TaskState, TaskStatus};

/// Where a node visit stands after the latest decision on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeOutcome {
    Waiting,
    Approved,
    /// Not enough candidates can still approve: the document is rejected.
    Unreachable,
}

/// The voters of a visit: candidate tasks not replaced by a transfer or withdrawal.
fn voters(visit_tasks: &[TaskState]) -> impl Iterator<Item = &TaskState> {
    visit_tasks
        .iter()
        .filter(|task| task.origin == TaskOrigin::Candidate && !task.status.is_replaced())
}

/// A task's approval counts once it is approved and every signer added after it has approved
/// in the same sense. `depth_left` bounds the walk even over a malformed state.
pub fn effectively_approved(
    task: &TaskState,
    visit_tasks: &[TaskState],
    depth_left: usize,
) -> bool {
    if task.status != TaskStatus::Done(Decision::Approve) || depth_left == 0 {
        return false;
    }
    after_signers(task.task_id, visit_tasks)
        .all(|signer| effectively_approved(signer, visit_tasks, depth_left - 1))
}

/// The signers added after `task_id`, not replaced.
pub fn after_signers(
    task_id: TaskId,
    visit_tasks: &[TaskState],
) -> impl Iterator<Item = &TaskState> {
    visit_tasks.iter().filter(move |task| {
        task.origin
            == TaskOrigin::AddedSigner {
                for_task: task_id,
                position: SignerPosition::After,
            }
            && !task.status.is_replaced()
    })
}

pub fn node_outcome(mode: ApproverMode, visit_tasks: &[TaskState]) -> NodeOutcome {
    let depth = visit_tasks.len();
    let total = voters(visit_tasks).count() as u64;
    let approvals = voters(visit_tasks)
        .filter(|task| effectively_approved(task, visit_tasks, depth))
        .count() as u64;
    // An approval still waiting for its after-signers may yet count.
    let possible = voters(visit_tasks)
        .filter(|task| {
            task.status.is_unfinished() || task.status == TaskStatus::Done(Decision::Approve)
        })
        .count() as u64;
    let (numerator, denominator) = match mode {
        ApproverMode::AnyOne => (1, total.max(1)),
        ApproverMode::All | ApproverMode::Sequential => (1, 1),
        ApproverMode::Ratio {
            numerator,
            denominator,
        } => (u64::from(numerator), u64::from(denominator)),
    };
    // approvals / total ≥ numerator / denominator, in integers.
    if total > 0 && approvals * denominator >= numerator * total {
        NodeOutcome::Approved
    } else if possible * denominator < numerator * total {
        NodeOutcome::Unreachable
    } else {
        NodeOutcome::Waiting
    }
}

/// In a sequential node: the pending candidate whose turn has come, if any.
pub fn next_in_turn(visit_tasks: &[TaskState]) -> Option<TaskId> {
    let mut in_order: Vec<&TaskState> = voters(visit_tasks).collect();
    in_order.sort_by_key(|task| task.order);
    in_order
        .into_iter()
        .find(|task| !effectively_approved(task, visit_tasks, visit_tasks.len()))
        .filter(|task| task.status == TaskStatus::Pending)
        .map(|task| task.task_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::UserName;
    use crate::flow::definition::NodeCode;

    fn task(id: u32, status: TaskStatus, origin: TaskOrigin) -> TaskState {
        TaskState {
            task_id: TaskId(id),
            node_code: NodeCode::parse("n").unwrap_or_else(|_| unreachable!()),
            visit: 1,
            assignee: UserName::parse(&format!("user{id}")).unwrap_or_else(|_| unreachable!()),
            status,
            order: id,
            origin,
            replaces: None,
        }
    }

    const APPROVED: TaskStatus = TaskStatus::Done(Decision::Approve);
    const REJECTED: TaskStatus = TaskStatus::Done(Decision::Reject);
    const OPEN: TaskStatus = TaskStatus::Open;
    const CANDIDATE: TaskOrigin = TaskOrigin::Candidate;

    #[test]
    fn outcome_per_mode() {
        use NodeOutcome::*;
        let ratio = |numerator, denominator| ApproverMode::Ratio {
            numerator,
            denominator,
        };
        let cases: &[(ApproverMode, &[TaskStatus], NodeOutcome)] = &[
            (ApproverMode::AnyOne, &[OPEN, OPEN], Waiting),
            (ApproverMode::AnyOne, &[OPEN, APPROVED], Approved),
            (ApproverMode::AnyOne, &[REJECTED, REJECTED], Unreachable),
            (ApproverMode::All, &[APPROVED, OPEN], Waiting),
            (ApproverMode::All, &[APPROVED, APPROVED], Approved),
            (
                ApproverMode::All,
                &[APPROVED, TaskStatus::Transferred, APPROVED],
                Approved,
            ),
            (
                ApproverMode::Sequential,
                &[APPROVED, TaskStatus::Pending],
                Waiting,
            ),
            (ratio(2, 3), &[APPROVED, OPEN, OPEN], Waiting),
            (ratio(2, 3), &[APPROVED, APPROVED, OPEN], Approved),
            (ratio(2, 3), &[REJECTED, OPEN, OPEN], Waiting),
            (ratio(2, 3), &[REJECTED, REJECTED, OPEN], Unreachable),
            (ratio(1, 2), &[APPROVED, REJECTED], Approved),
            (ratio(3, 4), &[APPROVED, APPROVED, REJECTED, OPEN], Waiting),
            (
                ratio(3, 4),
                &[APPROVED, REJECTED, REJECTED, OPEN],
                Unreachable,
            ),
            (ratio(3, 4), &[APPROVED, APPROVED, APPROVED, OPEN], Approved),
        ];
        for (mode, statuses, expected) in cases {
            let tasks: Vec<TaskState> = statuses
                .iter()
                .enumerate()
                .map(|(index, status)| task(index as u32 + 1, *status, CANDIDATE))
                .collect();
            assert_eq!(
                node_outcome(*mode, &tasks),
                *expected,
                "{mode:?} {statuses:?}"
            );
        }
    }

    #[test]
    fn an_approval_counts_once_its_after_signers_approve() {
        let after = TaskOrigin::AddedSigner {
            for_task: TaskId(1),
            position: SignerPosition::After,
        };
        let waiting = [task(1, APPROVED, CANDIDATE), task(2, OPEN, after)];
        assert_eq!(
            node_outcome(ApproverMode::AnyOne, &waiting),
            NodeOutcome::Waiting
        );
        let done = [task(1, APPROVED, CANDIDATE), task(2, APPROVED, after)];
        assert_eq!(
            node_outcome(ApproverMode::AnyOne, &done),
            NodeOutcome::Approved
        );
        let sequence = [
            task(1, APPROVED, CANDIDATE),
            task(2, TaskStatus::Pending, CANDIDATE),
            task(3, OPEN, after),
        ];
        assert_eq!(
            next_in_turn(&sequence),
            None,
            "the first approval does not count yet"
        );
        let sequence = [
            task(1, APPROVED, CANDIDATE),
            task(2, TaskStatus::Pending, CANDIDATE),
        ];
        assert_eq!(next_in_turn(&sequence), Some(TaskId(2)));
    }
}
