//! The effect of an approved 基础信息变更: the proposed fields are written to the agency record
//! through the same path as an edit (`update_record`'s rules, scope and audit entry), inside
//! the transaction of the final approval — both happen or neither.

use fiscus_core::Principal;
use fiscus_core::schema;
use fiscus_store::Tx;
use fiscus_store::flow::DocumentRow;

use crate::flow::unit_change::payload_input;
use crate::{App, AppError, RequestCtx};

/// Applies the approved change as the final approver (who must be allowed to edit the unit).
pub(crate) async fn apply_approved(
    app: &App,
    tx: &mut Tx,
    approver: &Principal,
    document: &DocumentRow,
    ctx: &RequestCtx,
) -> Result<(), AppError> {
    let agency_code = document
        .agency_code
        .as_deref()
        .ok_or_else(|| AppError::Internal("unit_change without agency_code".into()))?;
    let input = payload_input(&document.payload)?;
    app.update_record_in_tx(tx, approver, &schema::AGENCY, agency_code, &input, ctx)
        .await
}
