//! The approver modes on a node of three candidates (业务处: qian, sunli, zhou) followed by
//! 预算处 (feng): 或签, 会签, 票签 and sequential.

use super::*;
use crate::flow::command::ReturnTarget;

fn three_candidates(mode: ApproverMode) -> World {
    let flow = definition(
        vec![
            node(
                "business_review",
                business_division(),
                mode,
                vec![to("budget_review")],
            ),
            node(
                "budget_review",
                budget_division(),
                ApproverMode::AnyOne,
                vec![end()],
            ),
        ],
        "business_review",
    );
    let mut world = World::new(flow);
    world.step("clerk", Command::Submit);
    world
}

fn reject(task_id: u32) -> Command {
    Command::Reject {
        task_id: TaskId(task_id),
        opinion: "不同意".into(),
    }
}

#[test]
fn any_one_advances_on_the_first_approval_and_cancels_the_others() {
    let mut world = three_candidates(ApproverMode::AnyOne);
    assert_eq!(world.open_tasks(), ["#1 qian", "#2 sunli", "#3 zhou"]);
    check(
        &mut world,
        "sunli",
        approve(2),
        Ok(&[
            "history 2 approve business_review #2 sunli 「同意」",
            "close #2 approved",
            "cancel #1 #3",
            "open #4 budget_review feng 0",
        ]),
    );
    check(&mut world, "qian", approve(1), Err("task_already_handled"));
}

#[test]
fn all_advances_when_everyone_approved() {
    let mut world = three_candidates(ApproverMode::All);
    check(
        &mut world,
        "qian",
        approve(1),
        Ok(&[
            "history 2 approve business_review #1 qian 「同意」",
            "close #1 approved",
        ]),
    );
    check(
        &mut world,
        "zhou",
        approve(3),
        Ok(&[
            "history 3 approve business_review #3 zhou 「同意」",
            "close #3 approved",
        ]),
    );
    check(
        &mut world,
        "sunli",
        approve(2),
        Ok(&[
            "history 4 approve business_review #2 sunli 「同意」",
            "close #2 approved",
            "open #4 budget_review feng 0",
        ]),
    );
}

#[test]
fn all_is_ended_by_one_rejection() {
    let mut world = three_candidates(ApproverMode::All);
    world.step("qian", approve(1));
    check(
        &mut world,
        "sunli",
        reject(2),
        Ok(&[
            "history 3 reject business_review #2 sunli 「不同意」",
            "close #2 rejected",
            "cancel #3",
            "document rejected",
        ]),
    );
}

#[test]
fn ratio_advances_at_the_share_and_cancels_the_rest() {
    let mut world = three_candidates(ApproverMode::Ratio {
        numerator: 2,
        denominator: 3,
    });
    check(
        &mut world,
        "qian",
        reject(1),
        Ok(&[
            "history 2 reject business_review #1 qian 「不同意」",
            "close #1 rejected",
        ]),
    );
    check(
        &mut world,
        "sunli",
        approve(2),
        Ok(&[
            "history 3 approve business_review #2 sunli 「同意」",
            "close #2 approved",
        ]),
    );
    check(
        &mut world,
        "zhou",
        approve(3),
        Ok(&[
            "history 4 approve business_review #3 zhou 「同意」",
            "close #3 approved",
            "open #4 budget_review feng 0",
        ]),
    );

    let mut world = three_candidates(ApproverMode::Ratio {
        numerator: 1,
        denominator: 2,
    });
    world.step("qian", approve(1));
    check(
        &mut world,
        "sunli",
        approve(2),
        Ok(&[
            "history 3 approve business_review #2 sunli 「同意」",
            "close #2 approved",
            "cancel #3",
            "open #4 budget_review feng 0",
        ]),
    );
}

#[test]
fn ratio_rejects_when_the_share_can_no_longer_be_reached() {
    let mut world = three_candidates(ApproverMode::Ratio {
        numerator: 2,
        denominator: 3,
    });
    world.step("qian", reject(1));
    check(
        &mut world,
        "zhou",
        reject(3),
        Ok(&[
            "history 3 reject business_review #3 zhou 「不同意」",
            "close #3 rejected",
            "cancel #2",
            "document rejected",
        ]),
    );
}

#[test]
fn ratio_voter_may_still_return_at_once() {
    let mut world = three_candidates(ApproverMode::Ratio {
        numerator: 2,
        denominator: 3,
    });
    let back = Command::Return {
        task_id: TaskId(2),
        to: ReturnTarget::ToSubmitter,
        opinion: "数据有误".into(),
    };
    check(
        &mut world,
        "sunli",
        back,
        Ok(&[
            "history 2 return business_review #2 sunli 「数据有误」 → clerk",
            "close #2 returned",
            "cancel #1 #3",
            "document returned_to_submitter",
        ]),
    );
}

#[test]
fn sequential_opens_the_next_candidate_after_each_approval() {
    let mut world = three_candidates(ApproverMode::Sequential);
    assert_eq!(world.open_tasks(), ["#1 qian"]);
    check(&mut world, "sunli", approve(2), Err("task_already_handled"));
    check(
        &mut world,
        "qian",
        approve(1),
        Ok(&[
            "history 2 approve business_review #1 qian 「同意」",
            "close #1 approved",
            "open #2 business_review sunli 1",
        ]),
    );
    // A transfer keeps the turn: the new task takes the old one's place in the order.
    check(
        &mut world,
        "sunli",
        Command::Transfer {
            task_id: TaskId(2),
            to: user("zheng"),
        },
        Ok(&[
            "history 3 transfer business_review #2 sunli → zheng",
            "close #2 transferred",
            "open #4 business_review zheng 1",
        ]),
    );
    check(
        &mut world,
        "zheng",
        approve(4),
        Ok(&[
            "history 4 approve business_review #4 zheng 「同意」",
            "close #4 approved",
            "open #3 business_review zhou 2",
        ]),
    );
    check(
        &mut world,
        "zhou",
        approve(3),
        Ok(&[
            "history 5 approve business_review #3 zhou 「同意」",
            "close #3 approved",
            "open #5 budget_review feng 0",
        ]),
    );
    check(
        &mut world,
        "feng",
        approve(5),
        Ok(&[
            "history 6 approve budget_review #5 feng 「同意」",
            "close #5 approved",
            "document approved",
        ]),
    );
    assert_eq!(world.state.status, InstanceStatus::Approved);
}
