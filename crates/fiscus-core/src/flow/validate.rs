//! Validation of a flow definition before it is published: every node reachable, every node
//! able to reach the end, someone to act on each node, edges without cycles, return targets
//! that really lie earlier, and sane 票签 ratios. Each problem has a Chinese message.

use std::collections::{BTreeMap, BTreeSet};

use crate::flow::definition::{ApproverMode, FlowDefinition, NodeCode, NodeTarget};
use crate::rejection::Rejection;

/// The most nodes one definition may have. Real chains have 4 to 11 (DOMAIN.md §1.4).
pub const FLOW_NODES_MAX: usize = 50;

/// One thing wrong with a definition. The admin page lists them all at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DefinitionProblem {
    NoNodes,
    TooManyNodes {
        n_nodes: usize,
        nodes_max: usize,
    },
    UnknownStartNode {
        start_node: NodeCode,
    },
    DuplicateNodeCode {
        node: NodeCode,
    },
    /// A running instance points at a node its definition does not have.
    UnknownNode {
        node: NodeCode,
    },
    EdgeToUnknownNode {
        node: NodeCode,
        to: NodeCode,
    },
    NoOutgoingEdge {
        node: NodeCode,
    },
    /// Every edge has a condition: when none holds, the document would be stuck.
    NoFallbackEdge {
        node: NodeCode,
    },
    /// An edge listed after an unconditional one can never be chosen.
    DeadEdge {
        node: NodeCode,
        to: String,
    },
    UnreachableNode {
        node: NodeCode,
    },
    NoEnd,
    NoPathToEnd {
        node: NodeCode,
    },
    /// Edges go forward only; going back is what `return_targets` are for.
    EdgeCycle {
        node: NodeCode,
    },
    NoActors {
        node: NodeCode,
    },
    ReturnTargetUnknown {
        node: NodeCode,
        target: NodeCode,
    },
    ReturnTargetNotEarlier {
        node: NodeCode,
        target: NodeCode,
    },
    RatioInvalid {
        node: NodeCode,
        numerator: u32,
        denominator: u32,
    },
    /// A pre-check the application does not know (found by the application at publication:
    /// the core does not know the registry of checks).
    PreCheckUnknown {
        node: NodeCode,
        check: String,
    },
}

impl DefinitionProblem {
    pub fn message(&self) -> String {
        use DefinitionProblem::*;
        match self {
            NoNodes => "流程没有任何审核节点".into(),
            TooManyNodes { n_nodes, nodes_max } => {
                format!("流程有 {n_nodes} 个节点，超过上限 {nodes_max}")
            }
            UnknownStartNode { start_node } => format!("开始节点「{start_node}」不存在"),
            DuplicateNodeCode { node } => format!("节点编码「{node}」重复"),
            UnknownNode { node } => format!("流程定义中不存在节点「{node}」"),
            EdgeToUnknownNode { node, to } => {
                format!("节点「{node}」的流向指向不存在的节点「{to}」")
            }
            NoOutgoingEdge { node } => format!("节点「{node}」没有任何流向"),
            NoFallbackEdge { node } => format!(
                "节点「{node}」的流向都带条件，缺少一条无条件的兜底流向，条件都不满足时单据将无法继续"
            ),
            DeadEdge { node, to } => {
                format!("节点「{node}」流向「{to}」排在无条件流向之后，永远不会被选中")
            }
            UnreachableNode { node } => format!("节点「{node}」从开始节点无法到达"),
            NoEnd => "没有任何流向指向结束（end），流程无法办结".into(),
            NoPathToEnd { node } => format!("节点「{node}」之后无法到达结束"),
            EdgeCycle { node } => {
                format!("节点「{node}」处在循环流向中；流向只能向前，退回请配置可退回节点")
            }
            NoActors { node } => format!("节点「{node}」没有配置办理人规则，无人可以办理"),
            ReturnTargetUnknown { node, target } => {
                format!("节点「{node}」的可退回节点「{target}」不存在")
            }
            ReturnTargetNotEarlier { node, target } => {
                format!("节点「{node}」的可退回节点「{target}」不在它之前的任何路径上")
            }
            RatioInvalid {
                node,
                numerator,
                denominator,
            } => format!(
                "节点「{node}」的票签比例 {numerator}/{denominator} 不正确：分母须大于 0，分子须在 1 到分母之间"
            ),
            PreCheckUnknown { node, check } => {
                format!("节点「{node}」的办理前检查「{check}」不存在")
            }
        }
    }
}

impl From<Vec<DefinitionProblem>> for Rejection {
    fn from(problems: Vec<DefinitionProblem>) -> Rejection {
        Rejection::FlowDefinitionInvalid { problems }
    }
}

/// Checks a definition for publication. `Err` holds every problem found, in node order.
pub fn validate(definition: &FlowDefinition) -> Result<(), Vec<DefinitionProblem>> {
    let mut problems = Vec::new();
    if definition.nodes.is_empty() {
        return Err(vec![DefinitionProblem::NoNodes]);
    }
    if definition.nodes.len() > FLOW_NODES_MAX {
        problems.push(DefinitionProblem::TooManyNodes {
            n_nodes: definition.nodes.len(),
            nodes_max: FLOW_NODES_MAX,
        });
    }
    let mut index: BTreeMap<&NodeCode, usize> = BTreeMap::new();
    for (position, node) in definition.nodes.iter().enumerate() {
        if index.insert(&node.node_code, position).is_some() {
            problems.push(DefinitionProblem::DuplicateNodeCode {
                node: node.node_code.clone(),
            });
        }
    }
    if !index.contains_key(&definition.start_node) {
        problems.push(DefinitionProblem::UnknownStartNode {
            start_node: definition.start_node.clone(),
        });
    }
    problems.extend(node_problems(definition, &index));
    let graph = Graph::new(definition, &index);
    problems.extend(graph_problems(definition, &index, &graph));
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Problems visible on one node alone: actors, ratio, edges, return targets that do not exist.
fn node_problems(
    definition: &FlowDefinition,
    index: &BTreeMap<&NodeCode, usize>,
) -> Vec<DefinitionProblem> {
    use DefinitionProblem::*;
    let mut problems = Vec::new();
    for node in &definition.nodes {
        let code = || node.node_code.clone();
        if node.actors.is_empty() {
            problems.push(NoActors { node: code() });
        }
        if let ApproverMode::Ratio {
            numerator,
            denominator,
        } = node.mode
            && (denominator == 0 || numerator == 0 || numerator > denominator)
        {
            problems.push(RatioInvalid {
                node: code(),
                numerator,
                denominator,
            });
        }
        if node.next.is_empty() {
            problems.push(NoOutgoingEdge { node: code() });
        } else if node.next.iter().all(|edge| edge.condition.is_some()) {
            problems.push(NoFallbackEdge { node: code() });
        }
        let mut fallback_seen = false;
        for edge in &node.next {
            if fallback_seen {
                let to = match &edge.to {
                    NodeTarget::Node(to) => to.to_string(),
                    NodeTarget::End => "end".into(),
                };
                problems.push(DeadEdge { node: code(), to });
            }
            fallback_seen |= edge.condition.is_none();
            if let NodeTarget::Node(to) = &edge.to
                && !index.contains_key(to)
            {
                problems.push(EdgeToUnknownNode {
                    node: code(),
                    to: to.clone(),
                });
            }
        }
        for target in &node.return_targets {
            if !index.contains_key(target) {
                problems.push(ReturnTargetUnknown {
                    node: code(),
                    target: target.clone(),
                });
            }
        }
    }
    problems
}

/// The edges as positions: `successors[i]` are the nodes node `i` may go to; `ends[i]` says
/// whether node `i` has an edge to the end.
struct Graph {
    successors: Vec<Vec<usize>>,
    ends: Vec<bool>,
}

impl Graph {
    fn new(definition: &FlowDefinition, index: &BTreeMap<&NodeCode, usize>) -> Graph {
        let successors = definition
            .nodes
            .iter()
            .map(|node| {
                node.next
                    .iter()
                    .filter_map(|edge| match &edge.to {
                        NodeTarget::Node(to) => index.get(to).copied(),
                        NodeTarget::End => None,
                    })
                    .collect()
            })
            .collect();
        let ends = definition
            .nodes
            .iter()
            .map(|node| node.next.iter().any(|edge| edge.to == NodeTarget::End))
            .collect();
        Graph { successors, ends }
    }

    /// The nodes reachable from `from` by one or more edges.
    fn reachable_from(&self, from: usize) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<usize> = self.successors[from].clone();
        while let Some(node) = stack.pop() {
            if seen.insert(node) {
                stack.extend(&self.successors[node]);
            }
        }
        seen
    }
}

/// Problems of the whole graph: reachability, the end, cycles and earlier return targets.
fn graph_problems(
    definition: &FlowDefinition,
    index: &BTreeMap<&NodeCode, usize>,
    graph: &Graph,
) -> Vec<DefinitionProblem> {
    use DefinitionProblem::*;
    let mut problems = Vec::new();
    let reach: Vec<BTreeSet<usize>> = (0..definition.nodes.len())
        .map(|node| graph.reachable_from(node))
        .collect();
    let start = index.get(&definition.start_node).copied();
    let any_end = graph.ends.iter().any(|end| *end);
    if !any_end {
        problems.push(NoEnd);
    }
    for (position, node) in definition.nodes.iter().enumerate() {
        let code = || node.node_code.clone();
        // A duplicate code shadows the node: its problems are reported once, on the first.
        if index.get(&node.node_code) != Some(&position) {
            continue;
        }
        let reachable =
            start.is_some_and(|start| start == position || reach[start].contains(&position));
        if start.is_some() && !reachable {
            problems.push(UnreachableNode { node: code() });
        }
        let reaches_end =
            graph.ends[position] || reach[position].iter().any(|next| graph.ends[*next]);
        if any_end && !reaches_end && !node.next.is_empty() {
            problems.push(NoPathToEnd { node: code() });
        }
        if reach[position].contains(&position) {
            problems.push(EdgeCycle { node: code() });
        }
        for target in &node.return_targets {
            let earlier = index
                .get(target)
                .is_some_and(|target| *target != position && reach[*target].contains(&position));
            if index.contains_key(target) && !earlier {
                problems.push(ReturnTargetNotEarlier {
                    node: code(),
                    target: target.clone(),
                });
            }
        }
    }
    problems
}
