//! Tests of the flow engine: a small world of users and definitions, one `check` helper that
//! applies a command and compares the rejection code or the effects (rendered as short lines),
//! and the invariants asserted after every successful transition.

mod actions;
mod defaults;
mod handover;
mod model;
mod modes;
mod routing;
mod table;
mod validation;

use crate::code::UserName;
use crate::flow::apply;
use crate::flow::command::{Actor, CandidateTable, Command, Effect, NotifyKind, Transition};
use crate::flow::condition::{Condition, DocumentFacts};
use crate::flow::definition::{
    ActorRule, ApproverMode, DocType, Edge, FlowCode, FlowDefinition, NodeCode, NodeDefinition,
    NodeTarget, OrgRelation,
};
use crate::flow::state::{InstanceState, InstanceStatus, TaskId, TaskStatus};
use crate::money::Fen;
use crate::role::Role;

pub fn user(name: &str) -> UserName {
    UserName::parse(name).unwrap_or_else(|rejection| panic!("{name}: {rejection:?}"))
}

pub fn code(text: &str) -> NodeCode {
    NodeCode::parse(text).unwrap_or_else(|rejection| panic!("{text}: {rejection:?}"))
}

pub fn rule(role: Role, relation: OrgRelation) -> ActorRule {
    ActorRule { role, relation }
}

pub fn unit_approvers() -> ActorRule {
    rule(Role::UnitApprover, OrgRelation::SubmitterUnit)
}
pub fn dept_reviewers() -> ActorRule {
    rule(Role::DeptReviewer, OrgRelation::CompetentDepartment)
}
pub fn business_division() -> ActorRule {
    rule(
        Role::BusinessDivision,
        OrgRelation::FinanceBureau { levels_up: 0 },
    )
}
pub fn budget_division() -> ActorRule {
    rule(
        Role::BudgetDivision,
        OrgRelation::FinanceBureau { levels_up: 0 },
    )
}

pub fn to(node_code: &str) -> Edge {
    Edge {
        to: NodeTarget::Node(code(node_code)),
        condition: None,
    }
}
pub fn end() -> Edge {
    Edge {
        to: NodeTarget::End,
        condition: None,
    }
}
pub fn when(edge: Edge, condition: Condition) -> Edge {
    Edge {
        condition: Some(condition),
        ..edge
    }
}

/// A node with one actor rule, no return targets, withdrawal allowed and a 24-hour limit.
pub fn node(
    node_code: &str,
    actor: ActorRule,
    mode: ApproverMode,
    next: Vec<Edge>,
) -> NodeDefinition {
    NodeDefinition {
        node_code: code(node_code),
        name: format!("{node_code}节点"),
        actors: vec![actor],
        mode,
        next,
        return_targets: Vec::new(),
        withdraw_allowed: true,
        pre_checks: Vec::new(),
        due_hours: Some(24),
    }
}

pub fn definition(nodes: Vec<NodeDefinition>, start_node: &str) -> FlowDefinition {
    FlowDefinition {
        flow_code: FlowCode::parse("test_flow").unwrap_or_else(|_| unreachable!()),
        doc_type: DocType::UnitChange,
        version: 1,
        name: "测试流程".into(),
        nodes,
        start_node: code(start_node),
        allow_self_approval: false,
        resubmit_after_reject: false,
    }
}

/// The two-node flow of the command table: 单位审核 (或签 liwei, wuqin) → 主管部门审核 (zhao) → end.
pub fn two_node_flow() -> FlowDefinition {
    let mut dept = node(
        "dept_review",
        dept_reviewers(),
        ApproverMode::AnyOne,
        vec![end()],
    );
    dept.return_targets = vec![code("unit_review")];
    definition(
        vec![
            node(
                "unit_review",
                unit_approvers(),
                ApproverMode::AnyOne,
                vec![to("dept_review")],
            ),
            dept,
        ],
        "unit_review",
    )
}

/// Who holds each rule in the test world. The submitter is always `clerk`.
pub fn people() -> CandidateTable {
    let rows: Vec<(ActorRule, &[&str])> = vec![
        (unit_approvers(), &["liwei", "wuqin"]),
        (dept_reviewers(), &["zhao"]),
        (business_division(), &["qian", "sunli", "zhou"]),
        (budget_division(), &["feng"]),
        (
            rule(
                Role::PerformanceDivision,
                OrgRelation::FinanceBureau { levels_up: 0 },
            ),
            &["jixiao"],
        ),
        (
            rule(
                Role::ReviewCentre,
                OrgRelation::FinanceBureau { levels_up: 0 },
            ),
            &["pingshen"],
        ),
        (
            rule(
                Role::TreasuryDivision,
                OrgRelation::FinanceBureau { levels_up: 0 },
            ),
            &["wang"],
        ),
        (
            rule(
                Role::BudgetDivision,
                OrgRelation::FinanceBureau { levels_up: 1 },
            ),
            &["chen"],
        ),
    ];
    CandidateTable {
        users_by_rule: rows
            .into_iter()
            .map(|(rule, names)| (rule, names.iter().map(|name| user(name)).collect()))
            .collect(),
    }
}

pub fn facts(amount_fen: i64, region_level: i64) -> DocumentFacts {
    DocumentFacts {
        doc_type: DocType::UnitChange,
        amount_fen: Fen(amount_fen),
        region_level,
        attributes: Default::default(),
    }
}

/// One document moving through one definition.
pub struct World {
    pub definition: FlowDefinition,
    pub people: CandidateTable,
    pub facts: DocumentFacts,
    pub state: InstanceState,
}

impl World {
    pub fn new(definition: FlowDefinition) -> World {
        let state = InstanceState::new_draft(&definition, user("clerk"));
        World {
            definition,
            people: people(),
            facts: facts(100, 2),
            state,
        }
    }

    /// Applies a command; on success keeps the new state and returns the rendered effects,
    /// on rejection returns its code.
    pub fn act(&mut self, actor: &str, command: Command) -> Result<Vec<String>, String> {
        let actor = Actor {
            user_name: user(actor),
        };
        let result = apply(
            &self.definition,
            &self.state,
            &self.facts,
            &actor,
            command,
            &self.people,
        );
        match result {
            Ok(transition) => {
                assert_invariants(&self.state, &transition);
                self.state = transition.new_state;
                Ok(transition.effects.iter().map(render).collect())
            }
            Err(rejection) => {
                assert!(!rejection.message().is_empty());
                Err(rejection.code())
            }
        }
    }

    /// Like `act`, for set-up steps that must succeed.
    pub fn step(&mut self, actor: &str, command: Command) -> &mut World {
        if let Err(code) = self.act(actor, command) {
            panic!("set-up step by {actor} refused: {code}");
        }
        self
    }

    /// Open tasks as `#id assignee`, in id order.
    pub fn open_tasks(&self) -> Vec<String> {
        self.state
            .tasks
            .iter()
            .filter(|task| task.status == TaskStatus::Open)
            .map(|task| format!("#{} {}", task.task_id.0, task.assignee))
            .collect()
    }
}

/// Applies `command` and compares the outcome with `expected` (the effect lines, or the code).
pub fn check(world: &mut World, actor: &str, command: Command, expected: Result<&[&str], &str>) {
    let label = format!("{actor} {command:?}");
    let outcome = world.act(actor, command);
    let expected = expected.map(|lines| {
        lines
            .iter()
            .map(|line| line.to_string())
            .collect::<Vec<_>>()
    });
    assert_eq!(outcome, expected.map_err(str::to_owned), "{label}");
}

pub fn approve(task_id: u32) -> Command {
    Command::Approve {
        task_id: TaskId(task_id),
        opinion: "同意".into(),
    }
}

pub fn render(effect: &Effect) -> String {
    let users = |users: &[UserName]| {
        users
            .iter()
            .map(|u| u.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    match effect {
        Effect::OpenTask {
            task_id,
            node_code,
            assignee,
            order,
        } => {
            format!("open #{} {node_code} {assignee} {order}", task_id.0)
        }
        Effect::CloseTask { task_id, status } => format!("close #{} {}", task_id.0, status.code()),
        Effect::CancelTasks { task_ids } => {
            let ids: Vec<String> = task_ids.iter().map(|id| format!("#{}", id.0)).collect();
            format!("cancel {}", ids.join(" "))
        }
        Effect::History(entry) => {
            let node = entry
                .node_code
                .as_ref()
                .map_or("-".to_owned(), |n| n.to_string());
            let task = entry
                .task_id
                .map_or("-".to_owned(), |id| format!("#{}", id.0));
            let opinion = if entry.opinion.is_empty() {
                String::new()
            } else {
                format!(" 「{}」", entry.opinion)
            };
            let targets = if entry.target_users.is_empty() {
                String::new()
            } else {
                format!(" → {}", users(&entry.target_users))
            };
            let to_node = entry
                .to_node
                .as_ref()
                .map_or(String::new(), |n| format!(" ⇒ {n}"));
            format!(
                "history {} {} {node} {task} {}{opinion}{targets}{to_node}",
                entry.seq,
                entry.action.code(),
                entry.actor
            )
        }
        Effect::Notify {
            users: to,
            kind: NotifyKind::CopyTo,
        } => format!("notify copy_to {}", users(to)),
        Effect::Notify {
            users: to,
            kind: NotifyKind::Remind { task_id },
        } => {
            format!("notify remind #{} {}", task_id.0, users(to))
        }
        Effect::DocumentSubmitted => "document submitted".into(),
        Effect::DocumentWithdrawn => "document withdrawn".into(),
        Effect::DocumentReturnedToSubmitter => "document returned_to_submitter".into(),
        Effect::DocumentApproved => "document approved".into(),
        Effect::DocumentRejected => "document rejected".into(),
        Effect::DocumentCancelled => "document cancelled".into(),
    }
}

/// What must hold after every transition (pair assertions of TigerStyle).
pub fn assert_invariants(old: &InstanceState, transition: &Transition) {
    let new = &transition.new_state;
    assert_eq!(new.revision, old.revision + 1, "revision grows by one");
    let n_history = transition
        .effects
        .iter()
        .filter(|e| matches!(e, Effect::History(_)))
        .count();
    assert_eq!(
        new.history_len as usize,
        old.history_len as usize + n_history,
        "one seq per entry"
    );
    for (index, task) in new.tasks.iter().enumerate() {
        assert_eq!(
            task.task_id,
            TaskId(index as u32 + 1),
            "task ids are positions"
        );
        let in_current =
            Some(&task.node_code) == new.current_node.as_ref() && task.visit == new.current_visit;
        assert!(
            !task.status.is_unfinished() || in_current,
            "unfinished task #{} outside the current visit",
            index + 1
        );
    }
    assert_eq!(
        new.status == InstanceStatus::InProgress,
        new.current_node.is_some(),
        "current node iff in progress"
    );
    if new.status == InstanceStatus::InProgress {
        assert!(
            new.current_tasks()
                .any(|task| task.status == TaskStatus::Open),
            "someone has the document"
        );
        let last = new.path.last().map(|step| (&step.node_code, step.visit));
        assert_eq!(
            last,
            new.current_node
                .as_ref()
                .map(|node| (node, new.current_visit)),
            "path ends here"
        );
    }
    assert!(
        new.tasks.len() >= old.tasks.len(),
        "tasks are never removed"
    );
}
