//! One transition inside the caller's transaction, in the order `fiscus_core::flow` prescribes:
//! load the document (in the actor's scope) and its instance, the pinned definition, the facts
//! and the candidates; run the pre-checks; `apply`; save the state where the revision is still
//! the one read; then write the changed tasks, the history, the notices and the change to the
//! business document.

use fiscus_core::code::UserName;
use fiscus_core::flow::{
    Actor, Command, DocType, DocumentFacts, Effect, FlowDefinition, InstanceState, InstanceStatus,
    NotifyKind, TaskState, apply, pre_checks_for,
};
use fiscus_core::payment::application::ApplicationState;
use fiscus_core::project::ProjectState;
use fiscus_core::{Fen, Principal, Rejection};
use fiscus_store::Tx;
use fiscus_store::audit::now;
use fiscus_store::facts;
use fiscus_store::flow::{
    self as store, DocumentRow, HistoryRow, InstanceRow, InstanceUpdate, NoticeRow, TaskRow,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::flow::definitions::parse_definition;
use crate::flow::resolve::{DocumentPlace, candidate_table};
use crate::flow::{apply_unit_change, checks, unit_change};
use crate::{App, AppError, RequestCtx};

/// How one attempt ended.
pub(crate) enum Attempt {
    Done(InstanceStatus),
    /// The stored revision moved between read and write: roll back, reload, apply again.
    RevisionMoved,
}

/// Runs one command on one document inside `tx`.
pub(crate) async fn attempt(
    app: &App,
    tx: &mut Tx,
    who: &Principal,
    doc_id: &str,
    mut command: Command,
    ctx: &RequestCtx,
) -> Result<Attempt, AppError> {
    let scope = who.scope();
    let document = store::document_for_update(tx, doc_id, Some((&scope, who.user_name.as_str())))
        .await?
        .ok_or(Rejection::NotFound { what: "单据" })?;
    let doc_type = doc_type_of(&document)?;
    let (instance, state, definition) = match store::instance_for_update(tx, doc_id).await? {
        Some(instance) => {
            let state: InstanceState = serde_json::from_str(&instance.state_json)
                .map_err(|error| AppError::Internal(format!("instance state: {error}")))?;
            let definition = pinned_definition(tx, &instance.flow_code, instance.version).await?;
            (instance, state, definition)
        }
        None => start_instance(tx, &document, doc_type).await?,
    };
    let place = place_of(tx, &document).await?;
    let facts = DocumentFacts {
        doc_type,
        amount_fen: Fen(document.amount_fen),
        region_level: region_level(&place),
        attributes: [(
            "agency_code".to_owned(),
            document.agency_code.clone().unwrap_or_default(),
        )]
        .into_iter()
        .collect(),
    };
    let candidates = candidate_table(tx, &definition, &place).await?;
    checks::run(pre_checks_for(&definition, &state, &command), &document)?;
    if let Command::Remind {
        task_id,
        elapsed_hours,
    } = &mut command
    {
        let opened_at =
            store::task_created_at(tx, &instance.instance_id, i64::from(task_id.0)).await?;
        *elapsed_hours = opened_at.as_deref().map_or(0, hours_since);
    }
    if matches!(command, Command::Submit) && doc_type == DocType::UnitChange {
        // The proposal is checked again on every submission: the rules may have changed.
        unit_change::check_payload(&document.payload)?;
    }
    if matches!(command, Command::Submit) && is_indicator_op(doc_type) {
        // So are indicator operations, on the balances of now.
        crate::ledger::ops::check_on_submit(app, tx, who, &document).await?;
    }
    if matches!(command, Command::Submit) && doc_type == DocType::PaymentApplication {
        // A payment is checked and reserved on its indicator on every submission.
        crate::payment::flow::on_submit(app, tx, who, &document).await?;
    }
    if matches!(command, Command::Submit) && doc_type == DocType::ProjectDeclaration {
        // A project is checked again and becomes 申报中 on every declaration.
        crate::project::flow::on_submit(tx, &document).await?;
    }
    if matches!(command, Command::Submit) && doc_type == DocType::BudgetSubmission {
        // A unit budget passes its cross-checks again and is 审核中 on every submission.
        crate::budget::flow::on_submit(tx, who, &document).await?;
    }
    if matches!(command, Command::Submit) && doc_type == DocType::Adjustment {
        // An adjustment's legs must still hold on every submission.
        crate::budget::adjust::on_submit(tx, who, &document).await?;
    }
    let actor = Actor {
        user_name: who.user_name.clone(),
    };
    let transition = apply(&definition, &state, &facts, &actor, command, &candidates)?;
    let new_state = transition.new_state;
    let at = now();
    let update = InstanceUpdate {
        status: new_state.status.code(),
        current_node: new_state.current_node.as_ref().map(|node| node.as_str()),
        state_json: serde_json::to_string(&new_state)
            .map_err(|error| AppError::Internal(format!("instance state: {error}")))?,
        submitted_at: transition
            .effects
            .contains(&Effect::DocumentSubmitted)
            .then(|| at.clone()),
        finished_at: matches!(
            new_state.status,
            InstanceStatus::Approved | InstanceStatus::Rejected | InstanceStatus::Cancelled
        )
        .then(|| at.clone()),
    };
    if !store::save_instance(tx, &instance.instance_id, instance.revision, &update).await? {
        return Ok(Attempt::RevisionMoved);
    }
    let tasks: Vec<TaskRow> = new_state
        .tasks_changed_since(&state)
        .into_iter()
        .map(|task| task_row(&instance, &document, &definition, task, &at))
        .collect();
    store::upsert_tasks(tx, &tasks).await?;
    let mut history = Vec::new();
    let mut notices = Vec::new();
    for effect in &transition.effects {
        match effect {
            Effect::History(entry) => history.push(HistoryRow {
                instance_id: instance.instance_id.clone(),
                doc_id: document.doc_id.clone(),
                seq: i64::from(entry.seq),
                at: at.clone(),
                node_code: entry.node_code.as_ref().map(ToString::to_string),
                task_id: entry.task_id.map(|id| i64::from(id.0)),
                actor: entry.actor.to_string(),
                action: entry.action.code().to_owned(),
                opinion: entry.opinion.clone(),
                target_users: join_users(&entry.target_users),
                to_node: entry.to_node.as_ref().map(ToString::to_string),
            }),
            Effect::Notify { users, kind } => {
                let kind = match kind {
                    NotifyKind::CopyTo => "copy_to",
                    NotifyKind::Remind { .. } => "remind",
                };
                notices.extend(users.iter().map(|user| NoticeRow {
                    notice_id: 0,
                    user_name: user.to_string(),
                    doc_id: document.doc_id.clone(),
                    kind: kind.to_owned(),
                    actor: who.user_name.to_string(),
                    at: at.clone(),
                    read_at: None,
                }));
            }
            // The other document types plug in here as their modules arrive.
            Effect::DocumentApproved if doc_type == DocType::UnitChange => {
                apply_unit_change::apply_approved(app, tx, who, &document, ctx).await?
            }
            Effect::DocumentApproved if is_indicator_op(doc_type) => {
                crate::ledger::ops::apply_approved(app, tx, who, &document, ctx).await?
            }
            Effect::DocumentApproved if doc_type == DocType::PaymentApplication => {
                crate::payment::flow::on_approved(app, tx, who, &document, &new_state, ctx).await?
            }
            Effect::DocumentRejected
            | Effect::DocumentCancelled
            | Effect::DocumentReturnedToSubmitter
            | Effect::DocumentWithdrawn
                if doc_type == DocType::PaymentApplication =>
            {
                let state = match effect {
                    Effect::DocumentRejected => ApplicationState::Rejected,
                    Effect::DocumentCancelled => ApplicationState::Cancelled,
                    Effect::DocumentReturnedToSubmitter => ApplicationState::Returned,
                    _ => ApplicationState::Draft,
                };
                crate::payment::flow::on_flow_end(tx, who, &document, state).await?
            }
            Effect::DocumentApproved if doc_type == DocType::BudgetSubmission => {
                crate::budget::flow::on_approved(tx, who, &document).await?
            }
            Effect::DocumentRejected
            | Effect::DocumentCancelled
            | Effect::DocumentReturnedToSubmitter
            | Effect::DocumentWithdrawn
                if doc_type == DocType::BudgetSubmission =>
            {
                crate::budget::flow::on_flow_end(tx, who, &document).await?
            }
            Effect::DocumentApproved if doc_type == DocType::Adjustment => {
                crate::budget::adjust::apply_approved(tx, who, &document, ctx).await?
            }
            Effect::DocumentApproved if doc_type == DocType::ProjectDeclaration => {
                let reserved = ProjectState::Reserved;
                crate::project::flow::on_flow_end(tx, who, &document, reserved, ctx).await?
            }
            Effect::DocumentRejected
            | Effect::DocumentCancelled
            | Effect::DocumentReturnedToSubmitter
            | Effect::DocumentWithdrawn
                if doc_type == DocType::ProjectDeclaration =>
            {
                let draft = ProjectState::Draft;
                crate::project::flow::on_flow_end(tx, who, &document, draft, ctx).await?
            }
            _ => {}
        }
    }
    store::append_history(tx, &history).await?;
    store::insert_notices(tx, &notices).await?;
    if new_state.status != state.status || !tasks.is_empty() {
        store::update_document(tx, doc_id, new_state.status.code(), None, &at).await?;
    }
    Ok(Attempt::Done(new_state.status))
}

fn is_indicator_op(doc_type: DocType) -> bool {
    matches!(
        doc_type,
        DocType::IndicatorRelease | DocType::IndicatorAdjust
    )
}

/// 送审 of a document inserted in this same transaction. Nothing else can hold its instance
/// yet, so a moved revision would be a bug, not a race to retry.
pub(crate) async fn submit_new(
    app: &App,
    tx: &mut Tx,
    who: &Principal,
    doc_id: &str,
    ctx: &RequestCtx,
) -> Result<(), AppError> {
    match attempt(app, tx, who, doc_id, Command::Submit, ctx).await? {
        Attempt::Done(_) => Ok(()),
        Attempt::RevisionMoved => Err(AppError::Internal(format!(
            "new document {doc_id} moved while it was submitted"
        ))),
    }
}

pub(crate) fn doc_type_of(document: &DocumentRow) -> Result<DocType, AppError> {
    DocType::ALL
        .into_iter()
        .find(|doc_type| doc_type.code() == document.doc_type)
        .ok_or_else(|| AppError::Internal(format!("unknown doc_type {}", document.doc_type)))
}

pub(crate) async fn pinned_definition(
    tx: &mut Tx,
    flow_code: &str,
    version: i64,
) -> Result<FlowDefinition, AppError> {
    let row = store::definition(tx, flow_code, version)
        .await?
        .ok_or_else(|| AppError::Internal(format!("flow {flow_code}@{version} missing")))?;
    Ok(parse_definition(&row.definition_json)?)
}

/// The first submission: a new instance pinned to the newest published flow of the type.
async fn start_instance(
    tx: &mut Tx,
    document: &DocumentRow,
    doc_type: DocType,
) -> Result<(InstanceRow, InstanceState, FlowDefinition), AppError> {
    let row = store::latest_published(tx, doc_type.code())
        .await?
        .ok_or(Rejection::NotFound {
            what: "已发布的审批流程",
        })?;
    let definition = parse_definition(&row.definition_json)?;
    let submitter = UserName::parse(&document.submitter)
        .map_err(|_| AppError::Internal("stored submitter is invalid".into()))?;
    let state = InstanceState::new_draft(&definition, submitter);
    let instance = InstanceRow {
        instance_id: crate::crypto::random_id()?,
        doc_id: document.doc_id.clone(),
        flow_code: row.flow_code,
        version: row.version,
        state_json: serde_json::to_string(&state)
            .map_err(|error| AppError::Internal(format!("instance state: {error}")))?,
        revision: 0,
    };
    store::insert_instance(tx, &instance, state.status.code()).await?;
    Ok((instance, state, definition))
}

async fn place_of(tx: &mut Tx, document: &DocumentRow) -> Result<DocumentPlace, AppError> {
    let region = facts::region(tx, &document.mof_div_code)
        .await?
        .ok_or_else(|| AppError::Internal("document region missing".into()))?;
    let agency_path = match &document.agency_code {
        Some(code) => facts::agency(tx, code)
            .await?
            .map(|agency| agency.agency_path),
        None => None,
    };
    Ok(DocumentPlace {
        agency_code: document.agency_code.clone(),
        agency_path,
        region_path: region.region_path,
    })
}

fn region_level(place: &DocumentPlace) -> i64 {
    place
        .region_path
        .split('/')
        .filter(|code| !code.is_empty())
        .count() as i64
}

fn task_row(
    instance: &InstanceRow,
    document: &DocumentRow,
    definition: &FlowDefinition,
    task: &TaskState,
    at: &str,
) -> TaskRow {
    let due_hours = definition
        .node(&task.node_code)
        .and_then(|node| node.due_hours);
    TaskRow {
        instance_id: instance.instance_id.clone(),
        task_id: i64::from(task.task_id.0),
        node_code: task.node_code.to_string(),
        assignee: task.assignee.to_string(),
        status: task.status.code().to_owned(),
        due_at: due_hours.and_then(|hours| timestamp_after(at, hours)),
        created_at: at.to_owned(),
        done_at: (!task.status.is_unfinished()).then(|| at.to_owned()),
        doc_type: document.doc_type.clone(),
        doc_id: document.doc_id.clone(),
        title: document.title.clone(),
        mof_div_code: document.mof_div_code.clone(),
        agency_code: document.agency_code.clone(),
        amount_fen: document.amount_fen,
    }
}

fn join_users(users: &[UserName]) -> String {
    users
        .iter()
        .map(UserName::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

fn timestamp_after(at: &str, hours: u32) -> Option<String> {
    let start = OffsetDateTime::parse(at, &Rfc3339).ok()?;
    (start + time::Duration::hours(i64::from(hours)))
        .format(&Rfc3339)
        .ok()
}

/// Whole hours from a stored timestamp until now (0 if it cannot be read).
fn hours_since(at: &str) -> u32 {
    OffsetDateTime::parse(at, &Rfc3339).map_or(0, |start| {
        let hours = (OffsetDateTime::now_utc() - start).whole_hours();
        u32::try_from(hours.max(0)).unwrap_or(u32::MAX)
    })
}
