//! The working copy of one transition: a cloned state that handlers change step by step while
//! the effects are written down, plus the moves every handler shares — enter a node, settle a
//! node after a decision, leave it along the first matching edge, end the flow.

use crate::code::UserName;
use crate::flow::command::{ActionKind, CandidateResolver, Effect, HistoryEntry, Transition};
use crate::flow::condition::DocumentFacts;
use crate::flow::definition::{ApproverMode, FlowDefinition, NodeCode, NodeDefinition, NodeTarget};
use crate::flow::mode::{NodeOutcome, next_in_turn, node_outcome};
use crate::flow::state::{
    InstanceState, InstanceStatus, LastAdvance, PathStep, TaskId, TaskOrigin, TaskState, TaskStatus,
};
use crate::flow::validate::DefinitionProblem;
use crate::rejection::Rejection;

/// The most users one node may resolve to; beyond it the definition's rules are too broad.
pub const NODE_CANDIDATES_MAX: usize = 100;

pub struct Step<'a> {
    pub definition: &'a FlowDefinition,
    pub facts: &'a DocumentFacts,
    pub resolver: &'a dyn CandidateResolver,
    pub state: InstanceState,
    pub effects: Vec<Effect>,
}

/// A task to create; its id is the next free one.
pub struct NewTask {
    pub node_code: NodeCode,
    pub visit: u32,
    pub assignee: UserName,
    pub order: u32,
    pub origin: TaskOrigin,
    pub replaces: Option<TaskId>,
}

/// One history line to write.
pub struct Record<'r> {
    pub action: ActionKind,
    pub node_code: Option<NodeCode>,
    pub task_id: Option<TaskId>,
    pub actor: &'r UserName,
    pub opinion: &'r str,
    pub target_users: Vec<UserName>,
    pub to_node: Option<NodeCode>,
}

impl<'a> Step<'a> {
    pub fn new(
        definition: &'a FlowDefinition,
        facts: &'a DocumentFacts,
        resolver: &'a dyn CandidateResolver,
        state: &InstanceState,
    ) -> Step<'a> {
        let mut state = state.clone();
        state.revision = state.revision.saturating_add(1);
        Step {
            definition,
            facts,
            resolver,
            state,
            effects: Vec::new(),
        }
    }

    pub fn finish(self) -> Transition {
        Transition {
            new_state: self.state,
            effects: self.effects,
        }
    }

    pub fn record(&mut self, record: Record<'_>) {
        self.state.history_len = self.state.history_len.saturating_add(1);
        self.effects.push(Effect::History(HistoryEntry {
            seq: self.state.history_len,
            action: record.action,
            node_code: record.node_code,
            task_id: record.task_id,
            actor: record.actor.clone(),
            opinion: record.opinion.to_owned(),
            target_users: record.target_users,
            to_node: record.to_node,
        }));
    }

    pub fn node(&self, node_code: &NodeCode) -> Result<&'a NodeDefinition, Rejection> {
        let definition: &'a FlowDefinition = self.definition;
        definition.node(node_code).ok_or_else(|| {
            Rejection::from(vec![DefinitionProblem::UnknownNode {
                node: node_code.clone(),
            }])
        })
    }

    /// Changes a task's status, writing the inbox effect when it enters or leaves `Open`.
    pub fn set_status(&mut self, task_id: TaskId, status: TaskStatus) {
        let Some(task) = self
            .state
            .tasks
            .iter_mut()
            .find(|task| task.task_id == task_id)
        else {
            return;
        };
        let was = std::mem::replace(&mut task.status, status);
        if was == TaskStatus::Open && status != TaskStatus::Open {
            self.effects.push(Effect::CloseTask { task_id, status });
        } else if was != TaskStatus::Open && status == TaskStatus::Open {
            self.effects.push(Effect::OpenTask {
                task_id,
                node_code: task.node_code.clone(),
                assignee: task.assignee.clone(),
                order: task.order,
            });
        }
    }

    pub fn add_task(&mut self, new_task: NewTask, status: TaskStatus) -> TaskId {
        let task_id = TaskId(u32::try_from(self.state.tasks.len() + 1).unwrap_or(u32::MAX));
        self.state.tasks.push(TaskState {
            task_id,
            node_code: new_task.node_code,
            visit: new_task.visit,
            assignee: new_task.assignee,
            status: TaskStatus::Pending,
            order: new_task.order,
            origin: new_task.origin,
            replaces: new_task.replaces,
        });
        self.set_status(task_id, status);
        task_id
    }

    /// Cancels every unfinished task of the current visit.
    pub fn cancel_unfinished(&mut self) {
        let task_ids: Vec<TaskId> = self
            .state
            .current_tasks()
            .filter(|task| task.status.is_unfinished())
            .map(|task| task.task_id)
            .collect();
        if task_ids.is_empty() {
            return;
        }
        for task in &mut self.state.tasks {
            if task_ids.contains(&task.task_id) {
                task.status = TaskStatus::Cancelled;
            }
        }
        self.effects.push(Effect::CancelTasks { task_ids });
    }

    /// Enters a new visit of a node and opens its tasks (only the first, in a sequential node).
    pub fn enter(&mut self, node_code: &NodeCode) -> Result<(), Rejection> {
        let node = self.node(node_code)?;
        let candidates = self.candidates(node)?;
        self.state.visits_entered = self.state.visits_entered.saturating_add(1);
        let visit = self.state.visits_entered;
        self.state.status = InstanceStatus::InProgress;
        self.state.current_node = Some(node_code.clone());
        self.state.current_visit = visit;
        self.state.path.push(PathStep {
            node_code: node_code.clone(),
            visit,
        });
        for (order, assignee) in (0u32..).zip(candidates) {
            let waits_turn = node.mode == ApproverMode::Sequential && order > 0;
            let status = if waits_turn {
                TaskStatus::Pending
            } else {
                TaskStatus::Open
            };
            let new_task = NewTask {
                node_code: node_code.clone(),
                visit,
                assignee,
                order,
                origin: TaskOrigin::Candidate,
                replaces: None,
            };
            self.add_task(new_task, status);
        }
        Ok(())
    }

    /// The users of a node's rules, in rule order, each once, without the submitter unless the
    /// definition allows self-approval (so no task is opened that its assignee may not decide).
    fn candidates(&self, node: &NodeDefinition) -> Result<Vec<UserName>, Rejection> {
        let mut users: Vec<UserName> = Vec::new();
        for rule in &node.actors {
            for user in self.resolver.candidates(rule) {
                let own_document = user == self.state.submitter;
                if !users.contains(&user) && (self.definition.allow_self_approval || !own_document)
                {
                    users.push(user);
                }
            }
        }
        if users.is_empty() {
            return Err(Rejection::NoCandidateForNode {
                node: node.name.clone(),
            });
        }
        if users.len() > NODE_CANDIDATES_MAX {
            return Err(Rejection::NodeCandidatesExceeded {
                node: node.name.clone(),
                candidates_max: NODE_CANDIDATES_MAX,
            });
        }
        Ok(users)
    }

    /// After a decision on the current node: advance, reject, open the next turn, or wait.
    pub fn settle(&mut self, actor: &UserName, task_id: TaskId) -> Result<(), Rejection> {
        let Some(node_code) = self.state.current_node.clone() else {
            return Ok(());
        };
        let node = self.node(&node_code)?;
        let visit_tasks: Vec<TaskState> = self.state.current_tasks().cloned().collect();
        match node_outcome(node.mode, &visit_tasks) {
            NodeOutcome::Approved => {
                self.cancel_unfinished();
                self.leave(node, actor, task_id)
            }
            NodeOutcome::Unreachable => {
                self.cancel_unfinished();
                self.end(InstanceStatus::Rejected, Effect::DocumentRejected);
                Ok(())
            }
            NodeOutcome::Waiting => {
                if node.mode == ApproverMode::Sequential
                    && let Some(next) = next_in_turn(&visit_tasks)
                {
                    self.set_status(next, TaskStatus::Open);
                }
                Ok(())
            }
        }
    }

    /// Leaves an approved node along its first matching edge.
    fn leave(
        &mut self,
        node: &NodeDefinition,
        actor: &UserName,
        task_id: TaskId,
    ) -> Result<(), Rejection> {
        let edge = node
            .next
            .iter()
            .find(|edge| {
                edge.condition
                    .as_ref()
                    .is_none_or(|c| c.matches(self.facts))
            })
            .ok_or_else(|| Rejection::NoMatchingEdge {
                node: node.name.clone(),
            })?;
        let advance = LastAdvance {
            from_node: node.node_code.clone(),
            from_visit: self.state.current_visit,
            actor: actor.clone(),
            task_id,
        };
        match &edge.to {
            NodeTarget::End => {
                self.end(InstanceStatus::Approved, Effect::DocumentApproved);
            }
            NodeTarget::Node(next) => {
                self.enter(next)?;
                self.state.last_advance = Some(advance);
            }
        }
        Ok(())
    }

    /// Ends the current round (approved, rejected, returned to the submitter, withdrawn,
    /// cancelled). The caller has cancelled the unfinished tasks.
    pub fn end(&mut self, status: InstanceStatus, effect: Effect) {
        self.state.status = status;
        self.state.current_node = None;
        self.state.current_visit = 0;
        self.state.last_advance = None;
        self.effects.push(effect);
    }
}
