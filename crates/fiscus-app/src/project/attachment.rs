//! Attachments (附件) of a project: the unit's clerk uploads and deletes them while the project
//! is a draft; whoever may see the project lists and downloads them. Each upload and delete is
//! one transaction with its audit row (entity `project_attachment`: name, kind, size, SM3).
//! The file rules are the core's (`fiscus_core::project::attachment`).

use fiscus_core::project::attachment::{ATTACHMENTS_PER_PROJECT_MAX, check_upload};
use fiscus_core::{AgencyCode, Principal, Rejection};
use fiscus_store::Tx;
use fiscus_store::audit::{AuditEntry, append, now};
use fiscus_store::project::attachment::{self as store, AttachmentRow};
use sm3::{Digest, Sm3};

use super::{may_write_for, state_of, visible_for_update};
use crate::{App, AppError, RequestCtx};

impl App {
    /// Stores an uploaded file on a draft project of the clerk's unit; returns its row.
    pub async fn project_attach(
        &self,
        who: &Principal,
        pro_id: &str,
        file_name: &str,
        bytes: &[u8],
        ctx: &RequestCtx,
    ) -> Result<AttachmentRow, AppError> {
        let own = own_unit(who)?;
        // Formats first (name, size, kind); the number per project once the project is read.
        let upload = check_upload(file_name, bytes, 0)?;
        let mut tx = self.db.begin().await?;
        editable_project(&mut tx, who, &own, pro_id, "上传附件").await?;
        let n_existing = store::count_attachments(&mut tx, pro_id).await?;
        if usize::try_from(n_existing).unwrap_or(usize::MAX) >= ATTACHMENTS_PER_PROJECT_MAX {
            return Err(Rejection::AttachmentsExceeded {
                n_max: ATTACHMENTS_PER_PROJECT_MAX,
            }
            .into());
        }
        let row = AttachmentRow {
            att_id: crate::crypto::random_id()?,
            pro_id: pro_id.to_owned(),
            file_name: upload.file_name,
            file_kind: upload.kind.code().to_owned(),
            size_bytes: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            content_sm3: sm3_hex(bytes),
            uploaded_by: who.user_name.to_string(),
            uploaded_at: now(),
        };
        store::insert_attachment(&mut tx, &row, bytes).await?;
        audit(&mut tx, who, "attach", &row, ctx).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Deletes an attachment of a draft project of the clerk's unit.
    pub async fn project_detach(
        &self,
        who: &Principal,
        pro_id: &str,
        att_id: &str,
        ctx: &RequestCtx,
    ) -> Result<(), AppError> {
        let own = own_unit(who)?;
        let mut tx = self.db.begin().await?;
        editable_project(&mut tx, who, &own, pro_id, "删除附件").await?;
        let row = store::delete_attachment(&mut tx, pro_id, att_id)
            .await?
            .ok_or(Rejection::NotFound { what: "附件" })?;
        audit(&mut tx, who, "detach", &row, ctx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The attachments of a project the viewer may see, oldest first.
    pub async fn project_attachments(
        &self,
        who: &Principal,
        pro_id: &str,
    ) -> Result<Vec<AttachmentRow>, AppError> {
        self.project(who, pro_id).await?;
        Ok(store::attachments(&self.db, pro_id).await?)
    }

    /// One attachment with its bytes, of a project the viewer may see. The bytes are checked
    /// against the SM3 recorded at upload.
    pub async fn project_attachment(
        &self,
        who: &Principal,
        pro_id: &str,
        att_id: &str,
    ) -> Result<(AttachmentRow, Vec<u8>), AppError> {
        self.project(who, pro_id).await?;
        let (row, bytes) = store::attachment_content(&self.db, pro_id, att_id)
            .await?
            .ok_or(Rejection::NotFound { what: "附件" })?;
        if sm3_hex(&bytes) != row.content_sm3 {
            return Err(AppError::Internal(format!(
                "attachment {att_id} does not match its SM3"
            )));
        }
        Ok((row, bytes))
    }
}

/// Attachments are written by a unit's writer of projects (the clerk, by the matrix).
fn own_unit(who: &Principal) -> Result<AgencyCode, AppError> {
    let own = who.agency_code().cloned().ok_or(Rejection::Forbidden)?;
    may_write_for(who, &own)?;
    Ok(own)
}

/// The project, in scope, of the writer's own unit, and still a draft.
async fn editable_project(
    tx: &mut Tx,
    who: &Principal,
    own: &AgencyCode,
    pro_id: &str,
    action: &'static str,
) -> Result<(), AppError> {
    let row = visible_for_update(tx, who, pro_id).await?;
    if row.agency_code != own.as_str() {
        return Err(Rejection::Forbidden.into());
    }
    let state = state_of(&row)?;
    if !state.is_editable() {
        return Err(Rejection::ProjectStateForbids {
            action,
            state: state.label(),
        }
        .into());
    }
    Ok(())
}

fn sm3_hex(bytes: &[u8]) -> String {
    hex::encode(Sm3::digest(bytes))
}

async fn audit(
    tx: &mut Tx,
    who: &Principal,
    action: &'static str,
    row: &AttachmentRow,
    ctx: &RequestCtx,
) -> Result<(), AppError> {
    let mut entry = AuditEntry::by(Some(who), action);
    entry.entity = Some("project_attachment");
    entry.entity_key = Some(row.att_id.clone());
    entry.changes = Some(
        serde_json::to_string(row)
            .map_err(|error| AppError::Internal(format!("attachment: {error}")))?,
    );
    entry.ip = ctx.ip.clone();
    entry.request_id = ctx.request_id.clone();
    append(tx, &entry).await?;
    Ok(())
}
