//! Every command against every state of the document and of the task acted on, the illegal
//! ones included, on the two-node flow: 单位审核 (或签 liwei, wuqin) → 主管部门审核 (zhao) → end.

use super::*;
use crate::flow::command::ReturnTarget;
use crate::flow::state::SignerPosition;

#[derive(Clone, Copy, Debug)]
pub(super) enum Situation {
    Draft,
    /// Submitted: #1 liwei and #2 wuqin open on 单位审核.
    Open,
    /// liwei approved #1 (#2 cancelled), #3 zhao open on 主管部门审核: task #1 is done.
    TaskDone,
    Returned,
    Approved,
    Rejected,
    Cancelled,
}

pub(super) fn world_in(situation: Situation) -> World {
    let mut world = World::new(two_node_flow());
    let to_submitter = || Command::Return {
        task_id: TaskId(3),
        to: ReturnTarget::ToSubmitter,
        opinion: "请补充附件".into(),
    };
    match situation {
        Situation::Draft => {}
        Situation::Open => {
            world.step("clerk", Command::Submit);
        }
        Situation::TaskDone => {
            world
                .step("clerk", Command::Submit)
                .step("liwei", approve(1));
        }
        Situation::Returned => {
            world
                .step("clerk", Command::Submit)
                .step("liwei", approve(1))
                .step("zhao", to_submitter());
        }
        Situation::Approved => {
            world
                .step("clerk", Command::Submit)
                .step("liwei", approve(1))
                .step("zhao", approve(3));
        }
        Situation::Rejected => {
            let reject = Command::Reject {
                task_id: TaskId(3),
                opinion: "不予变更".into(),
            };
            world
                .step("clerk", Command::Submit)
                .step("liwei", approve(1))
                .step("zhao", reject);
        }
        Situation::Cancelled => {
            world.step("clerk", Command::Cancel);
        }
    }
    world
}

/// The commands of the table, each with the user who gives it.
fn command(name: &str) -> (&'static str, Command) {
    let task_id = TaskId(1);
    match name {
        "submit" => ("clerk", Command::Submit),
        "approve" => ("liwei", approve(1)),
        "return" => (
            "liwei",
            Command::Return {
                task_id,
                to: ReturnTarget::ToSubmitter,
                opinion: "请补充".into(),
            },
        ),
        "reject" => (
            "liwei",
            Command::Reject {
                task_id,
                opinion: "不符合".into(),
            },
        ),
        "withdraw" => ("clerk", Command::Withdraw),
        "cancel" => ("clerk", Command::Cancel),
        "delegate" => (
            "liwei",
            Command::Delegate {
                task_id,
                to: user("zheng"),
            },
        ),
        "transfer" => (
            "liwei",
            Command::Transfer {
                task_id,
                to: user("zheng"),
            },
        ),
        "add_signer" => (
            "liwei",
            Command::AddSigner {
                task_id,
                user: user("zheng"),
                position: SignerPosition::Before,
            },
        ),
        "copy_to" => (
            "clerk",
            Command::CopyTo {
                users: vec![user("zheng")],
            },
        ),
        "remind" => (
            "clerk",
            Command::Remind {
                task_id,
                elapsed_hours: 30,
            },
        ),
        _ => unreachable!("{name}"),
    }
}

const STATUS: &str = "flow_status_forbids_action";
const HANDLED: &str = "task_already_handled";
const NO_TASK: &str = "not_found";

#[test]
fn every_command_in_every_state() {
    use Situation::*;
    type Row = (
        Situation,
        &'static str,
        Result<&'static [&'static str], &'static str>,
    );
    let rows: &[Row] = &[
        (
            Draft,
            "submit",
            Ok(&[
                "history 1 submit - - clerk",
                "open #1 unit_review liwei 0",
                "open #2 unit_review wuqin 1",
                "document submitted",
            ]),
        ),
        (Draft, "approve", Err(NO_TASK)),
        (Draft, "return", Err(NO_TASK)),
        (Draft, "reject", Err(NO_TASK)),
        (Draft, "withdraw", Err(STATUS)),
        (
            Draft,
            "cancel",
            Ok(&["history 1 cancel - - clerk", "document cancelled"]),
        ),
        (Draft, "delegate", Err(NO_TASK)),
        (Draft, "transfer", Err(NO_TASK)),
        (Draft, "add_signer", Err(NO_TASK)),
        (Draft, "copy_to", Err(STATUS)),
        (Draft, "remind", Err(NO_TASK)),
        (Open, "submit", Err(STATUS)),
        (
            Open,
            "approve",
            Ok(&[
                "history 2 approve unit_review #1 liwei 「同意」",
                "close #1 approved",
                "cancel #2",
                "open #3 dept_review zhao 0",
            ]),
        ),
        (
            Open,
            "return",
            Ok(&[
                "history 2 return unit_review #1 liwei 「请补充」 → clerk",
                "close #1 returned",
                "cancel #2",
                "document returned_to_submitter",
            ]),
        ),
        (
            Open,
            "reject",
            Ok(&[
                "history 2 reject unit_review #1 liwei 「不符合」",
                "close #1 rejected",
                "cancel #2",
                "document rejected",
            ]),
        ),
        (
            Open,
            "withdraw",
            Ok(&[
                "history 2 withdraw unit_review - clerk",
                "cancel #1 #2",
                "document withdrawn",
            ]),
        ),
        (Open, "cancel", Err(STATUS)),
        (
            Open,
            "delegate",
            Ok(&[
                "history 2 delegate unit_review #1 liwei → zheng",
                "close #1 delegated",
                "open #3 unit_review zheng 0",
            ]),
        ),
        (
            Open,
            "transfer",
            Ok(&[
                "history 2 transfer unit_review #1 liwei → zheng",
                "close #1 transferred",
                "open #3 unit_review zheng 0",
            ]),
        ),
        (
            Open,
            "add_signer",
            Ok(&[
                "history 2 add_signer unit_review #1 liwei → zheng",
                "close #1 suspended",
                "open #3 unit_review zheng 0",
            ]),
        ),
        (
            Open,
            "copy_to",
            Ok(&[
                "history 2 copy_to unit_review - clerk → zheng",
                "notify copy_to zheng",
            ]),
        ),
        (
            Open,
            "remind",
            Ok(&[
                "history 2 remind unit_review #1 clerk → liwei",
                "notify remind #1 liwei",
            ]),
        ),
        (TaskDone, "submit", Err(STATUS)),
        (TaskDone, "approve", Err(HANDLED)),
        (TaskDone, "return", Err(HANDLED)),
        (TaskDone, "reject", Err(HANDLED)),
        (TaskDone, "withdraw", Err("withdraw_too_late")),
        (TaskDone, "cancel", Err(STATUS)),
        (TaskDone, "delegate", Err(HANDLED)),
        (TaskDone, "transfer", Err(HANDLED)),
        (TaskDone, "add_signer", Err(HANDLED)),
        (
            TaskDone,
            "copy_to",
            Ok(&[
                "history 3 copy_to dept_review - clerk → zheng",
                "notify copy_to zheng",
            ]),
        ),
        (TaskDone, "remind", Err(HANDLED)),
        (
            Returned,
            "submit",
            Ok(&[
                "history 4 submit - - clerk",
                "open #4 unit_review liwei 0",
                "open #5 unit_review wuqin 1",
                "document submitted",
            ]),
        ),
        (Returned, "approve", Err(HANDLED)),
        (Returned, "return", Err(HANDLED)),
        (Returned, "reject", Err(HANDLED)),
        (Returned, "withdraw", Err(STATUS)),
        (
            Returned,
            "cancel",
            Ok(&["history 4 cancel - - clerk", "document cancelled"]),
        ),
        (Returned, "delegate", Err(HANDLED)),
        (Returned, "transfer", Err(HANDLED)),
        (Returned, "add_signer", Err(HANDLED)),
        (
            Returned,
            "copy_to",
            Ok(&[
                "history 4 copy_to - - clerk → zheng",
                "notify copy_to zheng",
            ]),
        ),
        (Returned, "remind", Err(HANDLED)),
        (Approved, "submit", Err(STATUS)),
        (Approved, "approve", Err(HANDLED)),
        (Approved, "return", Err(HANDLED)),
        (Approved, "reject", Err(HANDLED)),
        (Approved, "withdraw", Err(STATUS)),
        (Approved, "cancel", Err(STATUS)),
        (Approved, "delegate", Err(HANDLED)),
        (Approved, "transfer", Err(HANDLED)),
        (Approved, "add_signer", Err(HANDLED)),
        (
            Approved,
            "copy_to",
            Ok(&[
                "history 4 copy_to - - clerk → zheng",
                "notify copy_to zheng",
            ]),
        ),
        (Approved, "remind", Err(HANDLED)),
        (Rejected, "submit", Err(STATUS)),
        (Rejected, "approve", Err(HANDLED)),
        (Rejected, "return", Err(HANDLED)),
        (Rejected, "reject", Err(HANDLED)),
        (Rejected, "withdraw", Err(STATUS)),
        (Rejected, "cancel", Err(STATUS)),
        (Rejected, "delegate", Err(HANDLED)),
        (Rejected, "transfer", Err(HANDLED)),
        (Rejected, "add_signer", Err(HANDLED)),
        (
            Rejected,
            "copy_to",
            Ok(&[
                "history 4 copy_to - - clerk → zheng",
                "notify copy_to zheng",
            ]),
        ),
        (Rejected, "remind", Err(HANDLED)),
        (Cancelled, "submit", Err(STATUS)),
        (Cancelled, "approve", Err(NO_TASK)),
        (Cancelled, "return", Err(NO_TASK)),
        (Cancelled, "reject", Err(NO_TASK)),
        (Cancelled, "withdraw", Err(STATUS)),
        (Cancelled, "cancel", Err(STATUS)),
        (Cancelled, "delegate", Err(NO_TASK)),
        (Cancelled, "transfer", Err(NO_TASK)),
        (Cancelled, "add_signer", Err(NO_TASK)),
        (Cancelled, "copy_to", Err(STATUS)),
        (Cancelled, "remind", Err(NO_TASK)),
    ];
    assert_eq!(
        rows.len(),
        7 * crate::flow::ActionKind::ALL.len(),
        "every pair once"
    );
    for (situation, name, expected) in rows {
        let mut world = world_in(*situation);
        let (actor, command) = command(name);
        let label = format!("{situation:?} {name}");
        let outcome = world.act(actor, command);
        let expected =
            expected.map(|lines| lines.iter().map(|l| l.to_string()).collect::<Vec<_>>());
        assert_eq!(outcome, expected.map_err(str::to_owned), "{label}");
    }
}

/// The same commands given by the wrong person: authorization comes before the state.
#[test]
fn the_wrong_person() {
    type Row = (Situation, &'static str, &'static str, &'static str);
    let rows: &[Row] = &[
        (Situation::Draft, "submit", "liwei", "not_submitter"),
        (Situation::Approved, "submit", "liwei", "not_submitter"),
        (Situation::Returned, "cancel", "zhao", "not_submitter"),
        (Situation::Open, "approve", "wuqin", "not_task_assignee"),
        (Situation::Open, "approve", "clerk", "not_task_assignee"),
        (Situation::TaskDone, "approve", "zhao", "not_task_assignee"),
        (Situation::Open, "reject", "zhao", "not_task_assignee"),
        (Situation::Open, "transfer", "wuqin", "not_task_assignee"),
        (Situation::Open, "withdraw", "liwei", "not_last_actor"),
        (Situation::TaskDone, "withdraw", "wuqin", "not_last_actor"),
        (Situation::Open, "copy_to", "zheng", "not_flow_participant"),
    ];
    for (situation, name, actor, expected) in rows {
        let mut world = world_in(*situation);
        let (_, command) = command(name);
        assert_eq!(
            world.act(actor, command),
            Err(expected.to_string()),
            "{situation:?} {name} by {actor}"
        );
    }
}
