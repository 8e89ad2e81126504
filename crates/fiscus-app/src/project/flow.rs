//! The project declaration inside its flow: what happens in the flow's own transaction on
//! 申报 (the draft is checked again and becomes 申报中), on final approval (入库, the reserve
//! pool) and when the flow ends otherwise (back to 草稿). Called by `flow::engine`.

use fiscus_core::Principal;
use fiscus_core::project::{ProjectInput, ProjectState};
use fiscus_store::Tx;
use fiscus_store::audit::now;
use fiscus_store::flow::DocumentRow;
use fiscus_store::project::{self as store, ProjectRow};

use crate::{AppError, RequestCtx};

/// 申报: only a draft may be declared, and its stored tables must still meet the rules.
pub(crate) async fn on_submit(tx: &mut Tx, document: &DocumentRow) -> Result<(), AppError> {
    let mut row = project(tx, &document.doc_id).await?;
    let state = super::state_of(&row)?;
    if !state.is_editable() {
        return Err(fiscus_core::Rejection::ProjectStateForbids {
            action: "申报",
            state: state.label(),
        }
        .into());
    }
    let input: ProjectInput = serde_json::from_str(&document.payload)
        .map_err(|error| AppError::Internal(format!("project payload: {error}")))?;
    input.check()?;
    row.status = ProjectState::Declared.code().to_owned();
    row.updated_at = now();
    store::update_project(tx, &row).await?;
    Ok(())
}

/// The flow ended: approved → 入库; rejected, cancelled, returned or withdrawn → 草稿.
pub(crate) async fn on_flow_end(
    tx: &mut Tx,
    actor: &Principal,
    document: &DocumentRow,
    state: ProjectState,
    ctx: &RequestCtx,
) -> Result<(), AppError> {
    let mut row = project(tx, &document.doc_id).await?;
    row.status = state.code().to_owned();
    row.updated_at = now();
    store::update_project(tx, &row).await?;
    if state == ProjectState::Reserved {
        super::audit(tx, actor, "reserve", &row, ctx).await?;
    }
    Ok(())
}

async fn project(tx: &mut Tx, pro_id: &str) -> Result<ProjectRow, AppError> {
    store::project_for_update(tx, pro_id)
        .await?
        .ok_or_else(|| AppError::Internal(format!("project {pro_id} missing")))
}
