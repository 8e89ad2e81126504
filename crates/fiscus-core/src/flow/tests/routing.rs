//! Where a document goes: conditional edges on amount and region level, returns to earlier
//! nodes, an edge that matches nothing, and the pinned version of a running instance.

use super::*;
use crate::flow::command::ReturnTarget;
use crate::flow::condition::Comparison;

const MILLION_YUAN_FEN: i64 = 100_000_000;

/// 单位审核 → 国库处审核 only when the amount is 1,000,000 元 or more → end.
fn payment_flow() -> FlowDefinition {
    let treasury = rule(
        Role::TreasuryDivision,
        OrgRelation::FinanceBureau { levels_up: 0 },
    );
    let large = Condition::AmountFen(Comparison::Ge(Fen(MILLION_YUAN_FEN)));
    definition(
        vec![
            node(
                "unit_review",
                unit_approvers(),
                ApproverMode::AnyOne,
                vec![when(to("treasury_review"), large), end()],
            ),
            node(
                "treasury_review",
                treasury,
                ApproverMode::AnyOne,
                vec![end()],
            ),
        ],
        "unit_review",
    )
}

#[test]
fn a_large_amount_passes_an_extra_node() {
    let cases: &[(i64, &str)] = &[
        (MILLION_YUAN_FEN - 1, "document approved"),
        (MILLION_YUAN_FEN, "open #3 treasury_review wang 0"),
        (MILLION_YUAN_FEN * 5, "open #3 treasury_review wang 0"),
    ];
    for (amount_fen, expected_last) in cases {
        let mut world = World::new(payment_flow());
        world.facts = facts(*amount_fen, 2);
        world.step("clerk", Command::Submit);
        let effects = world
            .act("liwei", approve(1))
            .unwrap_or_else(|code| panic!("{code}"));
        assert_eq!(
            effects.last().map(String::as_str),
            Some(*expected_last),
            "{amount_fen} fen"
        );
    }
}

/// 团 (level 3) documents go on to the 师 finance bureau's budget division; others end.
#[test]
fn the_region_level_chooses_the_node_list() {
    let regiment = Condition::RegionLevel(Comparison::Eq(3));
    let division_budget = rule(
        Role::BudgetDivision,
        OrgRelation::FinanceBureau { levels_up: 1 },
    );
    let flow = definition(
        vec![
            node(
                "budget_review",
                budget_division(),
                ApproverMode::AnyOne,
                vec![when(to("division_review"), regiment), end()],
            ),
            node(
                "division_review",
                division_budget,
                ApproverMode::AnyOne,
                vec![end()],
            ),
        ],
        "budget_review",
    );
    for (region_level, expected_last) in [
        (3, "open #2 division_review chen 0"),
        (2, "document approved"),
        (1, "document approved"),
    ] {
        let mut world = World::new(flow.clone());
        world.facts = facts(0, region_level);
        world.step("clerk", Command::Submit);
        let effects = world
            .act("feng", approve(1))
            .unwrap_or_else(|code| panic!("{code}"));
        assert_eq!(
            effects.last().map(String::as_str),
            Some(expected_last),
            "level {region_level}"
        );
    }
}

#[test]
fn an_edge_must_match_at_run_time() {
    let mut flow = payment_flow();
    flow.nodes[0].next.pop();
    let mut world = World::new(flow);
    world.step("clerk", Command::Submit);
    check(&mut world, "liwei", approve(1), Err("no_matching_edge"));
}

/// 单位审核 → 主管部门审核 → 业务处审核 (returns to either) → end.
fn three_step_flow() -> FlowDefinition {
    let mut business = node(
        "business_review",
        business_division(),
        ApproverMode::AnyOne,
        vec![end()],
    );
    business.return_targets = vec![code("dept_review")];
    definition(
        vec![
            node(
                "unit_review",
                unit_approvers(),
                ApproverMode::AnyOne,
                vec![to("dept_review")],
            ),
            node(
                "dept_review",
                dept_reviewers(),
                ApproverMode::AnyOne,
                vec![to("business_review")],
            ),
            business,
        ],
        "unit_review",
    )
}

fn returning(task_id: u32, to: ReturnTarget) -> Command {
    Command::Return {
        task_id: TaskId(task_id),
        to,
        opinion: "请核实".into(),
    }
}

#[test]
fn returns_go_to_allowed_earlier_nodes_only() {
    let mut world = World::new(three_step_flow());
    world
        .step("clerk", Command::Submit)
        .step("liwei", approve(1))
        .step("zhao", approve(3));
    assert_eq!(world.open_tasks(), ["#4 qian", "#5 sunli", "#6 zhou"]);
    check(
        &mut world,
        "qian",
        returning(4, ReturnTarget::ToNode(code("unit_review"))),
        Err("return_target_not_allowed"),
    );
    check(
        &mut world,
        "qian",
        returning(4, ReturnTarget::ToNode(code("business_review"))),
        Err("return_target_not_allowed"),
    );
    check(
        &mut world,
        "qian",
        returning(4, ReturnTarget::ToPrevious),
        Ok(&[
            "history 4 return business_review #4 qian 「请核实」 ⇒ dept_review",
            "close #4 returned",
            "cancel #5 #6",
            "open #7 dept_review zhao 0",
        ]),
    );
    // From the node returned to, its own previous node is not among its return targets.
    check(
        &mut world,
        "zhao",
        returning(7, ReturnTarget::ToPrevious),
        Err("return_target_not_allowed"),
    );
    world.step("zhao", approve(7));
    check(
        &mut world,
        "sunli",
        returning(9, ReturnTarget::ToNode(code("dept_review"))),
        Ok(&[
            "history 6 return business_review #9 sunli 「请核实」 ⇒ dept_review",
            "close #9 returned",
            "cancel #8 #10",
            "open #11 dept_review zhao 0",
        ]),
    );
    let path: Vec<String> = world
        .state
        .path
        .iter()
        .map(|s| format!("{}@{}", s.node_code, s.visit))
        .collect();
    assert_eq!(path, ["unit_review@1", "dept_review@6"]);
}

#[test]
fn return_to_previous_from_the_first_node_goes_to_the_submitter() {
    let mut world = World::new(three_step_flow());
    world.step("clerk", Command::Submit);
    check(
        &mut world,
        "wuqin",
        returning(2, ReturnTarget::ToPrevious),
        Ok(&[
            "history 2 return unit_review #2 wuqin 「请核实」 → clerk",
            "close #2 returned",
            "cancel #1",
            "document returned_to_submitter",
        ]),
    );
    // Resubmission starts from the start node again.
    check(
        &mut world,
        "clerk",
        Command::Submit,
        Ok(&[
            "history 3 submit - - clerk",
            "open #3 unit_review liwei 0",
            "open #4 unit_review wuqin 1",
            "document submitted",
        ]),
    );
}

#[test]
fn a_running_instance_keeps_its_version() {
    let version_1 = two_node_flow();
    let mut version_2 = two_node_flow();
    version_2.version = 2;
    version_2.nodes[0].next = vec![end()];
    let mut world = World::new(version_1.clone());
    world.step("clerk", Command::Submit);

    let actor = Actor {
        user_name: user("liwei"),
    };
    let refused = apply(
        &version_2,
        &world.state,
        &world.facts,
        &actor,
        approve(1),
        &world.people,
    );
    assert_eq!(
        refused.map_err(|r| r.code()).err().as_deref(),
        Some("flow_version_mismatch")
    );
    let buttons = crate::flow::allowed_actions(&version_2, &world.state, Some(TaskId(1)), &actor);
    assert!(
        buttons.is_empty(),
        "no button for a definition the state is not pinned to"
    );

    // With its own version the instance still goes through 主管部门审核, and the same inputs
    // always give the same output: `apply` looks at nothing but its arguments.
    let first = apply(
        &version_1,
        &world.state,
        &world.facts,
        &actor,
        approve(1),
        &world.people,
    );
    let second = apply(
        &version_1,
        &world.state,
        &world.facts,
        &actor,
        approve(1),
        &world.people,
    );
    assert_eq!(first, second);
    let effects: Vec<String> = first
        .map(|t| t.effects.iter().map(render).collect())
        .unwrap_or_default();
    assert_eq!(
        effects.last().map(String::as_str),
        Some("open #3 dept_review zhao 0")
    );

    let mut renamed = version_1;
    renamed.flow_code = FlowCode::parse("other_flow").unwrap_or_else(|_| unreachable!());
    let refused = apply(
        &renamed,
        &world.state,
        &world.facts,
        &actor,
        approve(1),
        &world.people,
    );
    assert_eq!(
        refused.map_err(|r| r.code()).err().as_deref(),
        Some("flow_version_mismatch")
    );
}

#[test]
fn pre_checks_are_named_for_approvals() {
    let mut flow = payment_flow();
    flow.nodes[0].pre_checks = vec!["payment_warning_rules".into()];
    let mut world = World::new(flow);
    world.step("clerk", Command::Submit);
    let checks = crate::flow::pre_checks_for(&world.definition, &world.state, &approve(1));
    assert_eq!(checks, ["payment_warning_rules"]);
    let checks = crate::flow::pre_checks_for(&world.definition, &world.state, &Command::Withdraw);
    assert!(checks.is_empty());
}
