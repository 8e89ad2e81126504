//! The rules of single commands beyond the table: withdrawal, required opinions, reminders,
//! copy-to lists, and the buttons `allowed_actions` offers in each situation.

use super::table::{Situation, world_in};
use super::*;
use crate::flow::command::ReturnTarget;

#[test]
fn the_last_actor_withdraws_while_the_next_node_has_not_acted() {
    let mut world = world_in(Situation::TaskDone);
    check(
        &mut world,
        "liwei",
        Command::Withdraw,
        Ok(&[
            "history 3 withdraw dept_review #1 liwei ⇒ unit_review",
            "cancel #3",
            "open #4 unit_review liwei 0",
        ]),
    );
    assert_eq!(
        world.state.task(TaskId(1)).map(|t| t.status),
        Some(TaskStatus::Withdrawn)
    );
    assert_eq!(
        world.open_tasks(),
        ["#4 liwei"],
        "the sibling's cancelled task stays cancelled"
    );
    check(
        &mut world,
        "liwei",
        Command::Withdraw,
        Err("not_last_actor"),
    );
    check(
        &mut world,
        "liwei",
        approve(4),
        Ok(&[
            "history 4 approve unit_review #4 liwei 「同意」",
            "close #4 approved",
            "open #5 dept_review zhao 0",
        ]),
    );
}

#[test]
fn no_withdrawal_once_the_next_node_acted_or_when_the_node_forbids_it() {
    let mut world = world_in(Situation::TaskDone);
    world.step(
        "zhao",
        Command::Transfer {
            task_id: TaskId(3),
            to: user("zheng"),
        },
    );
    check(
        &mut world,
        "liwei",
        Command::Withdraw,
        Err("withdraw_too_late"),
    );

    let mut flow = two_node_flow();
    flow.nodes[0].withdraw_allowed = false;
    let mut world = World::new(flow);
    world
        .step("clerk", Command::Submit)
        .step("liwei", approve(1));
    check(
        &mut world,
        "liwei",
        Command::Withdraw,
        Err("withdraw_not_enabled"),
    );

    let mut world = world_in(Situation::Open);
    world.step(
        "liwei",
        Command::Delegate {
            task_id: TaskId(1),
            to: user("zheng"),
        },
    );
    check(
        &mut world,
        "clerk",
        Command::Withdraw,
        Err("withdraw_too_late"),
    );
}

#[test]
fn return_and_reject_need_an_opinion() {
    let mut world = world_in(Situation::Open);
    let blank = Command::Return {
        task_id: TaskId(1),
        to: ReturnTarget::ToSubmitter,
        opinion: " ".into(),
    };
    check(&mut world, "liwei", blank, Err("field_required"));
    let blank = Command::Reject {
        task_id: TaskId(1),
        opinion: String::new(),
    };
    check(&mut world, "liwei", blank, Err("field_required"));
}

#[test]
fn remind_only_when_overdue() {
    let mut world = world_in(Situation::Open);
    check(
        &mut world,
        "clerk",
        Command::Remind {
            task_id: TaskId(1),
            elapsed_hours: 23,
        },
        Err("task_not_overdue"),
    );
    let mut flow = two_node_flow();
    flow.nodes[0].due_hours = None;
    let mut world = World::new(flow);
    world.step("clerk", Command::Submit);
    check(
        &mut world,
        "clerk",
        Command::Remind {
            task_id: TaskId(1),
            elapsed_hours: 999,
        },
        Err("task_not_overdue"),
    );
}

#[test]
fn copy_to_checks_its_list() {
    let mut world = world_in(Situation::Open);
    check(
        &mut world,
        "clerk",
        Command::CopyTo { users: vec![] },
        Err("field_required"),
    );
    let many: Vec<UserName> = (0..51).map(|n| user(&format!("user{n}"))).collect();
    check(
        &mut world,
        "clerk",
        Command::CopyTo { users: many },
        Err("number_out_of_range"),
    );
    let twice = vec![user("zheng"), user("zheng"), user("liwei")];
    check(
        &mut world,
        "liwei",
        Command::CopyTo { users: twice },
        Ok(&[
            "history 2 copy_to unit_review - liwei → zheng,liwei",
            "notify copy_to zheng,liwei",
        ]),
    );
}

#[test]
fn allowed_actions_are_the_buttons() {
    use crate::flow::{ActionKind::*, allowed_actions};
    let cases: &[(Situation, Option<u32>, &str, &[crate::flow::ActionKind])] = &[
        (Situation::Draft, None, "clerk", &[Submit, Cancel]),
        (Situation::Draft, None, "liwei", &[]),
        (
            Situation::Open,
            Some(1),
            "liwei",
            &[
                Approve, Return, Reject, Delegate, Transfer, AddSigner, CopyTo, Remind,
            ],
        ),
        (
            Situation::Open,
            Some(1),
            "clerk",
            &[Withdraw, CopyTo, Remind],
        ),
        (Situation::Open, Some(1), "wuqin", &[CopyTo, Remind]),
        (Situation::Open, None, "clerk", &[Withdraw, CopyTo]),
        (Situation::TaskDone, Some(1), "liwei", &[Withdraw, CopyTo]),
        (
            Situation::TaskDone,
            Some(3),
            "zhao",
            &[
                Approve, Return, Reject, Delegate, Transfer, AddSigner, CopyTo, Remind,
            ],
        ),
        (
            Situation::Returned,
            None,
            "clerk",
            &[Submit, Cancel, CopyTo],
        ),
        (Situation::Approved, Some(3), "zhao", &[CopyTo]),
        (Situation::Cancelled, None, "clerk", &[]),
    ];
    for (situation, task_id, actor, expected) in cases {
        let world = world_in(*situation);
        let actor = Actor {
            user_name: user(actor),
        };
        let found = allowed_actions(&world.definition, &world.state, task_id.map(TaskId), &actor);
        assert_eq!(
            found, *expected,
            "{situation:?} #{task_id:?} {}",
            actor.user_name
        );
    }
    let mut world = world_in(Situation::Open);
    world.step(
        "liwei",
        Command::Delegate {
            task_id: TaskId(1),
            to: user("zheng"),
        },
    );
    let zheng = Actor {
        user_name: user("zheng"),
    };
    assert_eq!(
        allowed_actions(&world.definition, &world.state, Some(TaskId(3)), &zheng),
        [Approve, CopyTo, Remind]
    );
}

#[test]
#[allow(clippy::expect_used, reason = "a test: expect is the assertion")]
fn a_rejected_document_is_submitted_again_only_where_the_flow_allows_it() {
    // Off by default: a rejection ends the document.
    let mut world = world_in(Situation::Rejected);
    check(
        &mut world,
        "clerk",
        Command::Submit,
        Err("flow_status_forbids_action"),
    );
    // Turned on (as for project declarations): a new round from the start node, by the
    // submitter only; cancelling stays refused.
    let mut world = world_in(Situation::Rejected);
    world.definition.resubmit_after_reject = true;
    let n_tasks = world.state.tasks.len() as u32;
    check(&mut world, "liwei", Command::Submit, Err("not_submitter"));
    check(
        &mut world,
        "clerk",
        Command::Cancel,
        Err("flow_status_forbids_action"),
    );
    let opened_first = format!("open #{} unit_review liwei 0", n_tasks + 1);
    let Ok(outcome) = world.act("clerk", Command::Submit) else {
        panic!("submitted again");
    };
    assert!(
        outcome.contains(&"document submitted".to_owned()),
        "{outcome:?}"
    );
    assert!(outcome.contains(&opened_first), "{outcome:?}");
    assert_eq!(world.state.status, InstanceStatus::InProgress);
    assert_eq!(
        world.state.current_node.as_ref().map(|n| n.to_string()),
        Some("unit_review".to_owned())
    );
    // The new round runs to approval like the first.
    world.step("liwei", approve(n_tasks + 1));
    let task = world
        .state
        .current_tasks()
        .find(|t| t.status == TaskStatus::Open)
        .cloned()
        .expect("dept task");
    world.step("zhao", approve(task.task_id.0));
    assert_eq!(world.state.status, InstanceStatus::Approved);
    // An approved document is not submitted again.
    check(
        &mut world,
        "clerk",
        Command::Submit,
        Err("flow_status_forbids_action"),
    );
}
