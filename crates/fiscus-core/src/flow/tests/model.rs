//! A property-style test: random walks of commands (mostly buttons `allowed_actions` offers,
//! some arbitrary) over several definitions, checked against two reference models replayed
//! from the effects alone — the inbox (open tasks) and the document status — and against
//! `allowed_actions` itself.

use std::collections::BTreeSet;

use super::*;
use crate::flow::command::{ActionKind, ReturnTarget};
use crate::flow::state::SignerPosition;
use crate::flow::{Effect, allowed_actions};
use crate::rng::DemoRng;

const USERS: [&str; 12] = [
    "clerk", "liwei", "wuqin", "zhao", "qian", "sunli", "zhou", "feng", "wang", "chen", "zheng",
    "hanmei",
];

/// Rejections a permitted button may still meet because of its payload.
const PAYLOAD_REJECTIONS: [&str; 6] = [
    "handover_target_invalid",
    "self_approval_forbidden",
    "return_target_not_allowed",
    "task_not_overdue",
    "field_required",
    "no_candidate_for_node",
];

fn pick<'a, T>(rng: &mut DemoRng, items: &'a [T]) -> &'a T {
    &items[(rng.next_u64() % items.len() as u64) as usize]
}

fn flows() -> Vec<FlowDefinition> {
    let mut flows: Vec<FlowDefinition> = super::defaults::default_files()
        .into_iter()
        .map(|(_, text)| super::defaults::parse(text))
        .collect();
    flows.push(two_node_flow());
    for mode in [
        ApproverMode::All,
        ApproverMode::Sequential,
        ApproverMode::Ratio {
            numerator: 2,
            denominator: 3,
        },
    ] {
        let mut budget = node(
            "budget_review",
            budget_division(),
            ApproverMode::AnyOne,
            vec![end()],
        );
        budget.return_targets = vec![code("unit_review"), code("business_review")];
        flows.push(definition(
            vec![
                node(
                    "unit_review",
                    unit_approvers(),
                    ApproverMode::AnyOne,
                    vec![to("business_review")],
                ),
                node(
                    "business_review",
                    business_division(),
                    mode,
                    vec![to("budget_review")],
                ),
                budget,
            ],
            "unit_review",
        ));
    }
    flows
}

fn command(rng: &mut DemoRng, world: &World, kind: ActionKind, task_id: TaskId) -> Command {
    let someone = || user(USERS[0]);
    let other_name = *pick(rng, &USERS[..]);
    let other = user(other_name);
    let node_codes: Vec<NodeCode> = world
        .definition
        .nodes
        .iter()
        .map(|n| n.node_code.clone())
        .collect();
    match kind {
        ActionKind::Submit => Command::Submit,
        ActionKind::Approve => Command::Approve {
            task_id,
            opinion: "同意".into(),
        },
        ActionKind::Return => {
            let to = match rng.next_u64() % 3 {
                0 => ReturnTarget::ToSubmitter,
                1 => ReturnTarget::ToPrevious,
                _ => ReturnTarget::ToNode(pick(rng, &node_codes).clone()),
            };
            Command::Return {
                task_id,
                to,
                opinion: "请修改".into(),
            }
        }
        ActionKind::Reject => Command::Reject {
            task_id,
            opinion: "不同意".into(),
        },
        ActionKind::Withdraw => Command::Withdraw,
        ActionKind::Cancel => Command::Cancel,
        ActionKind::Delegate => Command::Delegate { task_id, to: other },
        ActionKind::Transfer => Command::Transfer { task_id, to: other },
        ActionKind::AddSigner => {
            let position = if rng.next_u64().is_multiple_of(2) {
                SignerPosition::Before
            } else {
                SignerPosition::After
            };
            Command::AddSigner {
                task_id,
                user: other,
                position,
            }
        }
        ActionKind::CopyTo => Command::CopyTo {
            users: vec![other, someone()],
        },
        ActionKind::Remind => Command::Remind {
            task_id,
            elapsed_hours: (rng.next_u64() % 72) as u32,
        },
    }
}

/// Every button of every user on the document and on each task.
fn buttons(world: &World) -> Vec<(&'static str, ActionKind, Option<TaskId>)> {
    let mut task_ids: Vec<Option<TaskId>> = vec![None];
    task_ids.extend(world.state.tasks.iter().map(|task| Some(task.task_id)));
    let mut found = Vec::new();
    for name in USERS {
        let actor = Actor {
            user_name: user(name),
        };
        for task_id in &task_ids {
            for kind in allowed_actions(&world.definition, &world.state, *task_id, &actor) {
                if kind.needs_task() == task_id.is_some() {
                    found.push((name, kind, *task_id));
                }
            }
        }
    }
    found
}

/// The reference models, replayed from effects only.
struct Replay {
    inbox: BTreeSet<TaskId>,
    status: InstanceStatus,
}

impl Replay {
    fn apply(&mut self, effects: &[Effect]) {
        for effect in effects {
            match effect {
                Effect::OpenTask { task_id, .. } => {
                    assert!(self.inbox.insert(*task_id), "opened twice")
                }
                Effect::CloseTask { task_id, .. } => {
                    assert!(self.inbox.remove(task_id), "closed unopened")
                }
                Effect::CancelTasks { task_ids } => task_ids.iter().for_each(|id| {
                    self.inbox.remove(id);
                }),
                Effect::DocumentSubmitted => self.status = InstanceStatus::InProgress,
                Effect::DocumentWithdrawn => self.status = InstanceStatus::Draft,
                Effect::DocumentReturnedToSubmitter => self.status = InstanceStatus::Returned,
                Effect::DocumentApproved => self.status = InstanceStatus::Approved,
                Effect::DocumentRejected => self.status = InstanceStatus::Rejected,
                Effect::DocumentCancelled => self.status = InstanceStatus::Cancelled,
                Effect::History(_) | Effect::Notify { .. } => {}
            }
        }
    }
}

#[test]
fn random_walks_agree_with_the_reference_models() {
    let flows = flows();
    let mut n_applied = 0;
    for seed in 0..400u64 {
        let mut rng = DemoRng::new(seed);
        let mut world = World::new(pick(&mut rng, &flows).clone());
        world.facts = facts(
            (rng.next_u64() % 300_000_000) as i64,
            1 + (rng.next_u64() % 3) as i64,
        );
        let mut replay = Replay {
            inbox: BTreeSet::new(),
            status: InstanceStatus::Draft,
        };
        for _ in 0..40 {
            let offered = buttons(&world);
            let arbitrary = offered.is_empty() || rng.next_u64().is_multiple_of(4);
            let (actor, kind, task_id) = if arbitrary {
                let n_tasks = world.state.tasks.len() as u64 + 1;
                let task_id = TaskId(1 + (rng.next_u64() % n_tasks) as u32);
                (
                    *pick(&mut rng, &USERS),
                    *pick(&mut rng, &ActionKind::ALL),
                    Some(task_id),
                )
            } else {
                *pick(&mut rng, &offered)
            };
            let is_offered = offered
                .iter()
                .any(|b| b.0 == actor && b.1 == kind && (!kind.needs_task() || b.2 == task_id));
            let command = command(&mut rng, &world, kind, task_id.unwrap_or(TaskId(1)));
            let label = format!("seed {seed}: {actor} {command:?}");
            let old_state = world.state.clone();
            let actor_value = Actor {
                user_name: user(actor),
            };
            let result = apply(
                &world.definition,
                &old_state,
                &world.facts,
                &actor_value,
                command,
                &world.people,
            );
            match result {
                Ok(transition) => {
                    assert!(is_offered, "{label}: applied without a button");
                    assert_invariants(&old_state, &transition);
                    replay.apply(&transition.effects);
                    world.state = transition.new_state;
                    n_applied += 1;
                }
                Err(rejection) => {
                    let code = rejection.code();
                    assert!(
                        !is_offered || PAYLOAD_REJECTIONS.contains(&code.as_str()),
                        "{label}: {code}"
                    );
                }
            }
            let open: BTreeSet<TaskId> = world.state.open_tasks_all().collect();
            assert_eq!(replay.inbox, open, "{label}: inbox");
            assert_eq!(replay.status, world.state.status, "{label}: status");
        }
        // The store may keep the state as JSON: it must come back unchanged.
        let stored = serde_json::to_string(&world.state).unwrap_or_default();
        let loaded: Result<InstanceState, _> = serde_json::from_str(&stored);
        assert_eq!(
            loaded.ok().as_ref(),
            Some(&world.state),
            "seed {seed}: state round trip"
        );
    }
    assert!(n_applied > 4000, "the walks mostly move: {n_applied}");
}

impl InstanceState {
    fn open_tasks_all(&self) -> impl Iterator<Item = TaskId> + '_ {
        self.tasks
            .iter()
            .filter(|t| t.status == TaskStatus::Open)
            .map(|t| t.task_id)
    }
}
