//! One test per kind of definition problem, each starting from the valid two-node flow and
//! breaking one thing, plus the mapping to the `flow_definition_invalid` rejection.

use super::*;
use crate::flow::condition::Comparison;
use crate::flow::validate::{DefinitionProblem, FLOW_NODES_MAX};
use crate::rejection::Rejection;

fn problems(flow: &FlowDefinition) -> Vec<DefinitionProblem> {
    validate(flow).err().unwrap_or_default()
}

fn large_amount() -> Condition {
    Condition::AmountFen(Comparison::Ge(Fen(100_000_000)))
}

use crate::flow::validate;
use DefinitionProblem::*;

#[test]
fn the_valid_flow_passes() {
    assert_eq!(validate(&two_node_flow()), Ok(()));
}

#[test]
fn no_nodes() {
    let mut flow = two_node_flow();
    flow.nodes.clear();
    assert_eq!(problems(&flow), [NoNodes]);
}

#[test]
fn too_many_nodes() {
    let mut flow = two_node_flow();
    flow.nodes = (0..=FLOW_NODES_MAX)
        .map(|n| {
            let next = if n == FLOW_NODES_MAX {
                end()
            } else {
                to(&format!("n{}", n + 1))
            };
            node(
                &format!("n{n}"),
                unit_approvers(),
                ApproverMode::AnyOne,
                vec![next],
            )
        })
        .collect();
    flow.start_node = code("n0");
    assert_eq!(
        problems(&flow),
        [TooManyNodes {
            n_nodes: 51,
            nodes_max: 50
        }]
    );
}

#[test]
fn unknown_start_node() {
    let mut flow = two_node_flow();
    flow.start_node = code("nowhere");
    assert_eq!(
        problems(&flow),
        [UnknownStartNode {
            start_node: code("nowhere")
        }]
    );
}

#[test]
fn duplicate_node_codes() {
    let mut flow = two_node_flow();
    flow.nodes.push(flow.nodes[1].clone());
    assert_eq!(
        problems(&flow),
        [DuplicateNodeCode {
            node: code("dept_review")
        }]
    );
}

#[test]
fn edge_to_unknown_node() {
    let mut flow = two_node_flow();
    flow.nodes[1]
        .next
        .insert(0, when(to("ghost"), large_amount()));
    assert_eq!(
        problems(&flow),
        [EdgeToUnknownNode {
            node: code("dept_review"),
            to: code("ghost")
        }]
    );
}

#[test]
fn unreachable_node() {
    let mut flow = two_node_flow();
    flow.nodes.push(node(
        "island",
        budget_division(),
        ApproverMode::AnyOne,
        vec![end()],
    ));
    assert_eq!(
        problems(&flow),
        [UnreachableNode {
            node: code("island")
        }]
    );
}

#[test]
fn no_end_at_all() {
    let mut flow = two_node_flow();
    flow.nodes[1].next = vec![to("unit_review")];
    let found = problems(&flow);
    assert!(found.contains(&NoEnd), "{found:?}");
    assert!(
        found.contains(&EdgeCycle {
            node: code("unit_review")
        }),
        "{found:?}"
    );
}

#[test]
fn no_path_to_end_from_a_node() {
    let mut flow = two_node_flow();
    flow.nodes[0].next = vec![when(to("dept_review"), large_amount()), to("trap")];
    flow.nodes.push(node(
        "trap",
        budget_division(),
        ApproverMode::AnyOne,
        vec![to("pit")],
    ));
    flow.nodes
        .push(node("pit", budget_division(), ApproverMode::AnyOne, vec![]));
    assert_eq!(
        problems(&flow),
        [
            NoOutgoingEdge { node: code("pit") },
            NoPathToEnd { node: code("trap") }
        ]
    );
}

#[test]
fn edge_cycle() {
    let mut flow = two_node_flow();
    flow.nodes[1]
        .next
        .insert(0, when(to("unit_review"), large_amount()));
    assert_eq!(
        problems(&flow),
        [
            EdgeCycle {
                node: code("unit_review")
            },
            EdgeCycle {
                node: code("dept_review")
            }
        ]
    );
}

#[test]
fn a_node_nobody_may_act_on() {
    let mut flow = two_node_flow();
    flow.nodes[1].actors.clear();
    assert_eq!(
        problems(&flow),
        [NoActors {
            node: code("dept_review")
        }]
    );
}

#[test]
fn return_target_unknown_or_not_earlier() {
    let mut flow = two_node_flow();
    flow.nodes[0].return_targets = vec![code("dept_review"), code("unit_review")];
    flow.nodes[1].return_targets.push(code("ghost"));
    assert_eq!(
        problems(&flow),
        [
            ReturnTargetUnknown {
                node: code("dept_review"),
                target: code("ghost")
            },
            ReturnTargetNotEarlier {
                node: code("unit_review"),
                target: code("dept_review")
            },
            ReturnTargetNotEarlier {
                node: code("unit_review"),
                target: code("unit_review")
            },
        ]
    );
}

#[test]
fn ratio_invalid() {
    for (numerator, denominator) in [(0, 3), (4, 3), (1, 0)] {
        let mut flow = two_node_flow();
        flow.nodes[0].mode = ApproverMode::Ratio {
            numerator,
            denominator,
        };
        assert_eq!(
            problems(&flow),
            [RatioInvalid {
                node: code("unit_review"),
                numerator,
                denominator
            }]
        );
    }
    let mut flow = two_node_flow();
    flow.nodes[0].mode = ApproverMode::Ratio {
        numerator: 3,
        denominator: 3,
    };
    assert_eq!(validate(&flow), Ok(()));
}

#[test]
fn conditional_edges_only() {
    let mut flow = two_node_flow();
    flow.nodes[0].next = vec![when(to("dept_review"), large_amount())];
    assert_eq!(
        problems(&flow),
        [NoFallbackEdge {
            node: code("unit_review")
        }]
    );
}

#[test]
fn an_edge_after_the_fallback_is_dead() {
    let mut flow = two_node_flow();
    flow.nodes[1]
        .next
        .push(when(to("dept_review"), large_amount()));
    let found = problems(&flow);
    assert_eq!(
        found[0],
        DeadEdge {
            node: code("dept_review"),
            to: "dept_review".into()
        }
    );
}

#[test]
fn every_problem_reads_in_chinese_and_maps_to_one_rejection() {
    let mut flow = two_node_flow();
    flow.nodes[1].actors.clear();
    flow.nodes[0].mode = ApproverMode::Ratio {
        numerator: 0,
        denominator: 0,
    };
    let found = problems(&flow);
    assert_eq!(found.len(), 2);
    let rejection = Rejection::from(found);
    assert_eq!(rejection.code(), "flow_definition_invalid");
    assert_eq!(
        rejection.message(),
        "流程定义有误：节点「unit_review」的票签比例 0/0 不正确：分母须大于 0，分子须在 1 到分母之间；\
         节点「dept_review」没有配置办理人规则，无人可以办理"
    );
}
