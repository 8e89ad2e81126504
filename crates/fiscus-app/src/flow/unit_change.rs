//! 基础信息变更申请, the first document type end to end: a unit clerk proposes new values for
//! fields of their own unit; the proposal is checked with the rules of an agency edit when it
//! is written and again on each submission, and applied on the final approval
//! (`apply_unit_change.rs`).

use std::collections::BTreeMap;

use fiscus_core::flow::DocType;
use fiscus_core::masterdata::{Input, Mode, check_record, parse_fields};
use fiscus_core::{Principal, Rejection, Role, schema};
use fiscus_store::audit::now;
use fiscus_store::facts;
use fiscus_store::flow::{self as store, DocumentRow};

use crate::{App, AppError, RequestCtx};

/// The proposed values, field name → new value as entered.
pub fn payload_input(payload: &str) -> Result<Input, AppError> {
    let map: BTreeMap<String, String> = serde_json::from_str(payload)
        .map_err(|error| AppError::Internal(format!("unit_change payload: {error}")))?;
    Ok(Input(map))
}

/// Checks a proposal with the rules of an agency edit: at least one field, every field one a
/// unit may edit after creation, every value valid.
pub fn check_input(input: &Input) -> Result<(), Rejection> {
    let not_editable = Rejection::FieldInvalid {
        field: "变更字段",
        expected: "单位信息中可修改的字段（至少一项）",
    };
    if input.0.is_empty() {
        return Err(not_editable);
    }
    let mut record = parse_fields(&schema::AGENCY, input, Mode::Update)?;
    if input
        .0
        .keys()
        .any(|name| !record.contains_key(name.as_str()))
    {
        return Err(not_editable);
    }
    check_record(&schema::AGENCY, &mut record)
}

pub(crate) fn check_payload(payload: &str) -> Result<(), AppError> {
    Ok(check_input(&payload_input(payload)?)?)
}

impl App {
    /// Writes a 基础信息变更申请 of the clerk's own unit as a draft, and submits it (送审) in
    /// the same transaction when `submit` is set. Returns the document id.
    pub async fn create_unit_change(
        &self,
        who: &Principal,
        input: &Input,
        submit: bool,
        ctx: &RequestCtx,
    ) -> Result<String, AppError> {
        let agency_code = who
            .agency_code()
            .filter(|_| who.roles.contains(Role::UnitClerk))
            .ok_or(Rejection::Forbidden)?
            .to_string();
        check_input(input)?;
        let payload = serde_json::to_string(&input.0)
            .map_err(|error| AppError::Internal(format!("unit_change payload: {error}")))?;
        let labels: Vec<&str> = input
            .0
            .keys()
            .filter_map(|name| schema::AGENCY.field(name).map(|field| field.label))
            .collect();
        let doc_id = crate::crypto::random_id()?;
        let mut tx = self.db.begin().await?;
        let agency = facts::agency(&mut tx, &agency_code)
            .await?
            .ok_or(Rejection::NotFound { what: "单位" })?;
        let at = now();
        let document = DocumentRow {
            doc_id: doc_id.clone(),
            doc_type: DocType::UnitChange.code().to_owned(),
            title: format!("{}：变更{}", agency.agency_name, labels.join("、")),
            mof_div_code: agency.mof_div_code.clone(),
            agency_code: Some(agency_code.clone()),
            amount_fen: 0,
            payload,
            status: "draft".to_owned(),
            submitter: who.user_name.to_string(),
            created_at: at.clone(),
            updated_at: at,
        };
        store::insert_document(&mut tx, &document).await?;
        if submit {
            crate::flow::engine::submit_new(self, &mut tx, who, &doc_id, ctx).await?;
        }
        tx.commit().await?;
        Ok(doc_id)
    }

    /// Corrects the proposal of a draft or returned 基础信息变更申请 (by its submitter).
    pub async fn update_unit_change(
        &self,
        who: &Principal,
        doc_id: &str,
        input: &Input,
    ) -> Result<(), AppError> {
        check_input(input)?;
        let payload = serde_json::to_string(&input.0)
            .map_err(|error| AppError::Internal(format!("unit_change payload: {error}")))?;
        let mut tx = self.db.begin().await?;
        let scope = who.scope();
        let document =
            store::document_for_update(&mut tx, doc_id, Some((&scope, who.user_name.as_str())))
                .await?
                .filter(|document| document.doc_type == DocType::UnitChange.code())
                .ok_or(Rejection::NotFound { what: "单据" })?;
        if document.submitter != who.user_name.as_str() {
            return Err(Rejection::NotSubmitter.into());
        }
        if document.status != "draft" && document.status != "returned" {
            return Err(Rejection::FlowStatusForbidsAction {
                action: "修改",
                status: "审核中或已办结",
            }
            .into());
        }
        store::update_document(&mut tx, doc_id, &document.status, Some(&payload), &now()).await?;
        tx.commit().await?;
        Ok(())
    }
}
