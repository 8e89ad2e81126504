//! The approval flow engine (流程引擎), pure: flow definitions as versioned data, their
//! validation for publishing, and the state machine that moves one document through them.
//!
//! How the application uses it, inside one database transaction per document:
//!
//! 1. Load the instance's `InstanceState` and the definition it is pinned to (its
//!    `flow_code` and `version`, never the newest one), build `DocumentFacts` from the
//!    document and a `CandidateTable` by resolving `FlowDefinition::actor_rules`.
//! 2. Run the checks named by `pre_checks_for` (monitoring rules); a blocking failure stops here.
//! 3. Call `apply`. A `Rejection` aborts the transaction (`no_candidate_for_node` included).
//! 4. Save `new_state` where the stored `revision` is still the one read (else reload and
//!    apply again: the loser of a race then gets `task_already_handled`), upsert
//!    `new_state.tasks_changed_since(&old)`, append the `History` effects, send the `Notify`
//!    ones and change the document on `DocumentApproved` and the other document effects.
//!
//! Batch approval and batch return are that loop over many documents in one transaction.
//! The inbox shows the buttons `allowed_actions` returns.

pub mod command;
pub mod condition;
pub mod definition;
mod handover;
mod machine;
mod mode;
mod permit;
mod progress;
pub mod state;
pub mod validate;

#[cfg(test)]
mod tests;

pub use command::{
    ActionKind, Actor, CandidateResolver, CandidateTable, Command, Effect, HistoryEntry,
    NotifyKind, ReturnTarget, Transition,
};
pub use condition::{Comparison, Condition, DocumentFacts};
pub use definition::{
    ActorRule, ApproverMode, DocType, Edge, FlowCode, FlowDefinition, NodeCode, NodeDefinition,
    NodeTarget, OrgRelation,
};
pub use handover::COPY_TO_USERS_MAX;
pub use machine::{apply, pre_checks_for};
pub use permit::allowed_actions;
pub use progress::NODE_CANDIDATES_MAX;
pub use state::{
    Decision, InstanceState, InstanceStatus, LastAdvance, PathStep, SignerPosition, TaskId,
    TaskOrigin, TaskState, TaskStatus,
};
pub use validate::{DefinitionProblem, FLOW_NODES_MAX, validate};
