//! A unit's budget submission inside its flow, called by `flow::engine` in the flow's own
//! transaction: on 送审 the cross-checks run again and the sheet is 审核中; on final
//! approval the stage's figure is fixed (一上 → 申报数, 二上 → 财政审核数) and a reviewed 一上
//! whose unit already has a control number opens 二上; when the flow ends otherwise the
//! sheet is a draft again.

use fiscus_core::Principal;
use fiscus_core::budget::{SheetStatus, Stage};
use fiscus_store::Tx;
use fiscus_store::audit::now;
use fiscus_store::budget::{self as store, SheetRow};
use fiscus_store::flow::DocumentRow;

use super::{require_checks, stage_of, version};
use crate::AppError;

async fn sheet(tx: &mut Tx, document: &DocumentRow) -> Result<SheetRow, AppError> {
    store::sheet_of_doc(tx, &document.doc_id)
        .await?
        .ok_or_else(|| AppError::Internal(format!("no budget sheet for {}", document.doc_id)))
}

/// 送审 (first or again after a return): the checks must pass on what is stored now.
pub(crate) async fn on_submit(
    tx: &mut Tx,
    who: &Principal,
    document: &DocumentRow,
) -> Result<(), AppError> {
    let mut sheet = sheet(tx, document).await?;
    let (stage, status) = stage_of(&sheet)?;
    fiscus_core::budget::SheetMove::Submit.check(stage, status)?;
    require_checks(tx, &sheet).await?;
    let at = now();
    sheet.status = SheetStatus::Submitted.code().to_owned();
    sheet.revision += 1;
    sheet.updated_by = who.user_name.to_string();
    sheet.updated_at = at.clone();
    store::update_sheet(tx, &sheet).await?;
    let row = version(
        &sheet,
        "sheet",
        &sheet.sheet_id,
        "submitted",
        None,
        Some(sheet.expense_fen),
        format!("{}报送", stage.label()),
        Some(&document.doc_id),
        who.user_name.as_str(),
        &at,
    );
    store::append_versions(tx, &[row]).await?;
    Ok(())
}

/// Final approval of the stage's submission.
pub(crate) async fn on_approved(
    tx: &mut Tx,
    who: &Principal,
    document: &DocumentRow,
) -> Result<(), AppError> {
    let mut sheet = sheet(tx, document).await?;
    let (stage, _) = stage_of(&sheet)?;
    let at = now();
    for mut line in store::lines_of_sheet_tx(tx, &sheet.sheet_id).await? {
        match stage {
            Stage::OneUp => line.apply_up = line.amount_fen,
            _ => line.fin_audit_money = line.amount_fen,
        }
        line.updated_at = at.clone();
        store::update_line(tx, &line).await?;
    }
    let mut versions = vec![version(
        &sheet,
        "sheet",
        &sheet.sheet_id,
        "reviewed",
        None,
        Some(sheet.expense_fen),
        format!("{}审核通过", stage.label()),
        Some(&document.doc_id),
        who.user_name.as_str(),
        &at,
    )];
    sheet.status = SheetStatus::Reviewed.code().to_owned();
    let has_control = !store::controls_tx(
        tx,
        sheet.fiscal_year,
        "unit",
        Some(&sheet.agency_code),
        None,
        false,
    )
    .await?
    .is_empty();
    if stage == Stage::OneUp && has_control {
        sheet.stage = Stage::TwoUp.code().to_owned();
        sheet.status = SheetStatus::Draft.code().to_owned();
        versions.push(version(
            &sheet,
            "sheet",
            &sheet.sheet_id,
            "opened",
            None,
            Some(sheet.expense_fen),
            "已有控制数，进入二上编制".to_owned(),
            None,
            who.user_name.as_str(),
            &at,
        ));
    }
    sheet.revision += 1;
    sheet.updated_by = who.user_name.to_string();
    sheet.updated_at = at;
    store::update_sheet(tx, &sheet).await?;
    store::append_versions(tx, &versions).await?;
    Ok(())
}

/// Returned, rejected, withdrawn or cancelled: the unit edits again.
pub(crate) async fn on_flow_end(
    tx: &mut Tx,
    who: &Principal,
    document: &DocumentRow,
) -> Result<(), AppError> {
    let mut sheet = sheet(tx, document).await?;
    let at = now();
    sheet.status = SheetStatus::Draft.code().to_owned();
    sheet.revision += 1;
    sheet.updated_by = who.user_name.to_string();
    sheet.updated_at = at.clone();
    store::update_sheet(tx, &sheet).await?;
    let row = version(
        &sheet,
        "sheet",
        &sheet.sheet_id,
        "returned",
        None,
        Some(sheet.expense_fen),
        "退回编制".to_owned(),
        Some(&document.doc_id),
        who.user_name.as_str(),
        &at,
    );
    store::append_versions(tx, &[row]).await?;
    Ok(())
}
