//! 委派, 转办 and 加签 on the two-node flow, and separation of duties.

use super::*;
use crate::flow::state::{SignerPosition, TaskOrigin};

fn submitted() -> World {
    let mut world = World::new(two_node_flow());
    world.step("clerk", Command::Submit);
    world
}

fn delegate_to(task_id: u32, to: &str) -> Command {
    Command::Delegate {
        task_id: TaskId(task_id),
        to: user(to),
    }
}

fn add_signer(task_id: u32, signer: &str, position: SignerPosition) -> Command {
    Command::AddSigner {
        task_id: TaskId(task_id),
        user: user(signer),
        position,
    }
}

#[test]
fn a_delegated_task_comes_back_to_its_owner() {
    let mut world = submitted();
    world.step("liwei", delegate_to(1, "zheng"));
    check(&mut world, "liwei", approve(1), Err("task_already_handled"));
    let refuse = Command::Reject {
        task_id: TaskId(3),
        opinion: "不同意".into(),
    };
    check(
        &mut world,
        "zheng",
        refuse,
        Err("delegated_task_only_hands_back"),
    );
    check(
        &mut world,
        "zheng",
        Command::Transfer {
            task_id: TaskId(3),
            to: user("qian"),
        },
        Err("delegated_task_only_hands_back"),
    );
    check(
        &mut world,
        "zheng",
        approve(3),
        Ok(&[
            "history 3 approve unit_review #3 zheng 「同意」 → liwei",
            "close #3 approved",
            "open #1 unit_review liwei 0",
        ]),
    );
    assert_eq!(
        world.state.current_node,
        Some(code("unit_review")),
        "nothing advanced"
    );
    assert_eq!(world.open_tasks(), ["#1 liwei", "#2 wuqin"]);
    check(
        &mut world,
        "liwei",
        approve(1),
        Ok(&[
            "history 4 approve unit_review #1 liwei 「同意」",
            "close #1 approved",
            "cancel #2",
            "open #4 dept_review zhao 0",
        ]),
    );
}

#[test]
fn a_sibling_approval_cancels_a_delegation_in_flight() {
    let mut world = submitted();
    world.step("liwei", delegate_to(1, "zheng"));
    check(
        &mut world,
        "wuqin",
        approve(2),
        Ok(&[
            "history 3 approve unit_review #2 wuqin 「同意」",
            "close #2 approved",
            "cancel #1 #3",
            "open #4 dept_review zhao 0",
        ]),
    );
    check(&mut world, "zheng", approve(3), Err("task_already_handled"));
}

#[test]
fn a_transfer_is_for_good() {
    let mut world = submitted();
    world.step(
        "liwei",
        Command::Transfer {
            task_id: TaskId(1),
            to: user("zheng"),
        },
    );
    check(&mut world, "liwei", approve(1), Err("task_already_handled"));
    check(&mut world, "liwei", approve(3), Err("not_task_assignee"));
    let task = world.state.task(TaskId(3)).cloned();
    assert_eq!(
        task.map(|t| (t.replaces, t.origin)),
        Some((Some(TaskId(1)), TaskOrigin::Candidate))
    );
    check(
        &mut world,
        "zheng",
        approve(3),
        Ok(&[
            "history 3 approve unit_review #3 zheng 「同意」",
            "close #3 approved",
            "cancel #2",
            "open #4 dept_review zhao 0",
        ]),
    );
}

#[test]
fn hand_over_targets_are_checked() {
    let cases: &[(&str, &str)] = &[
        ("liwei", "handover_target_invalid"),
        ("wuqin", "handover_target_invalid"),
        ("clerk", "self_approval_forbidden"),
    ];
    for (target, expected) in cases {
        let mut world = submitted();
        for command in [
            Command::Transfer {
                task_id: TaskId(1),
                to: user(target),
            },
            delegate_to(1, target),
            add_signer(1, target, SignerPosition::After),
        ] {
            check(&mut world, "liwei", command, Err(expected));
        }
    }
}

#[test]
fn a_signer_added_before_acts_first() {
    let mut world = submitted();
    world.step("liwei", add_signer(1, "zheng", SignerPosition::Before));
    check(&mut world, "liwei", approve(1), Err("task_already_handled"));
    check(
        &mut world,
        "zheng",
        approve(3),
        Ok(&[
            "history 3 approve unit_review #3 zheng 「同意」",
            "close #3 approved",
            "open #1 unit_review liwei 0",
        ]),
    );
    check(
        &mut world,
        "liwei",
        approve(1),
        Ok(&[
            "history 4 approve unit_review #1 liwei 「同意」",
            "close #1 approved",
            "cancel #2",
            "open #4 dept_review zhao 0",
        ]),
    );
}

#[test]
fn a_signer_added_after_must_approve_too() {
    let mut world = submitted();
    world.step("liwei", add_signer(1, "zheng", SignerPosition::After));
    assert_eq!(
        world.open_tasks(),
        ["#1 liwei", "#2 wuqin"],
        "the signer waits"
    );
    check(
        &mut world,
        "liwei",
        approve(1),
        Ok(&[
            "history 3 approve unit_review #1 liwei 「同意」",
            "close #1 approved",
            "open #3 unit_review zheng 0",
        ]),
    );
    check(
        &mut world,
        "zheng",
        approve(3),
        Ok(&[
            "history 4 approve unit_review #3 zheng 「同意」",
            "close #3 approved",
            "cancel #2",
            "open #4 dept_review zhao 0",
        ]),
    );
    // The withdrawal reopens the task that completed the node: the signer's.
    check(
        &mut world,
        "zheng",
        Command::Withdraw,
        Ok(&[
            "history 5 withdraw dept_review #3 zheng ⇒ unit_review",
            "cancel #4",
            "open #5 unit_review zheng 0",
        ]),
    );
}

#[test]
fn a_signer_added_after_follows_a_transfer() {
    let mut world = submitted();
    world
        .step("liwei", add_signer(1, "zheng", SignerPosition::After))
        .step(
            "liwei",
            Command::Transfer {
                task_id: TaskId(1),
                to: user("qian"),
            },
        );
    check(
        &mut world,
        "qian",
        approve(4),
        Ok(&[
            "history 4 approve unit_review #4 qian 「同意」",
            "close #4 approved",
            "open #3 unit_review zheng 0",
        ]),
    );
}

#[test]
fn separation_of_duties_on_and_off() {
    let mut people = people();
    people
        .users_by_rule
        .insert(unit_approvers(), vec![user("clerk"), user("liwei")]);

    // Off (the default): the submitter gets no task, and cannot decide one that reached them.
    let mut world = World::new(two_node_flow());
    world.people = people.clone();
    world.step("clerk", Command::Submit);
    assert_eq!(world.open_tasks(), ["#1 liwei"]);
    let mut legacy = world.state.clone();
    legacy.tasks[0].assignee = user("clerk");
    world.state = legacy;
    check(
        &mut world,
        "clerk",
        approve(1),
        Err("self_approval_forbidden"),
    );
    check(
        &mut world,
        "clerk",
        Command::Transfer {
            task_id: TaskId(1),
            to: user("wuqin"),
        },
        Ok(&[
            "history 2 transfer unit_review #1 clerk → wuqin",
            "close #1 transferred",
            "open #2 unit_review wuqin 0",
        ]),
    );

    // Allowed by the definition: the submitter is a candidate like any other.
    let mut flow = two_node_flow();
    flow.allow_self_approval = true;
    let mut world = World::new(flow);
    world.people = people;
    world.step("clerk", Command::Submit);
    assert_eq!(world.open_tasks(), ["#1 clerk", "#2 liwei"]);
    check(
        &mut world,
        "clerk",
        approve(1),
        Ok(&[
            "history 2 approve unit_review #1 clerk 「同意」",
            "close #1 approved",
            "cancel #2",
            "open #3 dept_review zhao 0",
        ]),
    );
}

#[test]
fn no_candidate_is_a_clear_rejection() {
    let mut world = World::new(two_node_flow());
    world.people.users_by_rule.remove(&dept_reviewers());
    world.step("clerk", Command::Submit);
    check(
        &mut world,
        "liwei",
        approve(1),
        Err("no_candidate_for_node"),
    );
    assert_eq!(
        world.open_tasks(),
        ["#1 liwei", "#2 wuqin"],
        "the refused transition changed nothing"
    );
    world
        .people
        .users_by_rule
        .insert(unit_approvers(), vec![user("clerk")]);
    let mut fresh = World::new(two_node_flow());
    fresh.people = world.people.clone();
    check(
        &mut fresh,
        "clerk",
        Command::Submit,
        Err("no_candidate_for_node"),
    );
    let crowd: Vec<UserName> = (0..101).map(|n| user(&format!("user{n}"))).collect();
    fresh.people.users_by_rule.insert(unit_approvers(), crowd);
    check(
        &mut fresh,
        "clerk",
        Command::Submit,
        Err("node_candidates_exceeded"),
    );
}
