//! Project library use cases (项目库): a unit clerk writes a draft project of their unit and
//! declares it (申报) through the `project_declaration` flow (主管部门 → 业务处 → 绩效处 →
//! 评审中心), whose final approval puts it in the reserve pool (入库); a rejected one comes
//! back to 草稿 and may be declared again; the budget division terminates a project with a
//! reason; lists and reads are scoped like indicators. Who may write is the role matrix's
//! `Resource::Project`. Attachments are in `attachment.rs`, 基本支出一键测算 in `basic.rs`,
//! the filtered list and its Excel export in `list.rs`.

pub mod attachment;
pub mod basic;
pub(crate) mod flow;
pub mod list;

use fiscus_core::flow::{Command, DocType, InstanceStatus};
use fiscus_core::project::{ProjectInput, ProjectState, pro_code};
use fiscus_core::{Action, FiscalYear, Principal, Rejection, Resource};
use fiscus_store::Tx;
use fiscus_store::audit::{AuditEntry, append, now};
use fiscus_store::flow::{self as flow_store, DocumentRow};
use fiscus_store::project::{
    self as store, PRO_SOURCE_BASIC_CALC, PRO_SOURCE_DECLARE, ProjectQuery, ProjectRow,
};
use fiscus_store::records::Viewer;

use crate::{App, AppError, RequestCtx};

/// A page of the project list holds at most this many rows.
pub const PROJECT_PAGE_ROWS_MAX: i64 = 200;
/// A termination reason holds at most this many characters.
pub const TERMINATE_REASON_CHARS_MAX: usize = 200;

/// A stored project with its parsed tables and state, as reads return it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ProjectView {
    pub row: ProjectRow,
    pub input: ProjectInput,
    pub state_label: &'static str,
}

impl ProjectView {
    /// Was it made by 基本支出一键测算 (refreshed by calculating again, confirmed, not edited)?
    pub fn is_calculated(&self) -> bool {
        self.row.pro_source == PRO_SOURCE_BASIC_CALC
    }
}

impl App {
    /// Writes a new draft project for the clerk's own unit, numbered `pro_code` in the unit's
    /// region and `setup_year`. Returns pro_id (also the declaration's doc_id).
    pub async fn project_create(
        &self,
        who: &Principal,
        input: &ProjectInput,
        setup_year: FiscalYear,
        ctx: &RequestCtx,
    ) -> Result<String, AppError> {
        let input = checked_for_clerk(who, input)?;
        let mut tx = self.db.begin().await?;
        let row = insert_in_tx(&mut tx, who, &input, setup_year, PRO_SOURCE_DECLARE).await?;
        audit(&mut tx, who, "create", &row, ctx).await?;
        tx.commit().await?;
        Ok(row.pro_id)
    }

    /// Rewrites a draft project (a clerk of its unit; its code and unit stay).
    pub async fn project_update(
        &self,
        who: &Principal,
        pro_id: &str,
        input: &ProjectInput,
        ctx: &RequestCtx,
    ) -> Result<(), AppError> {
        let input = checked_for_clerk(who, input)?;
        let mut tx = self.db.begin().await?;
        let mut row = visible_for_update(&mut tx, who, pro_id).await?;
        if row.agency_code != input.agency_code.as_str() {
            return Err(Rejection::Forbidden.into());
        }
        let state = state_of(&row)?;
        if !state.is_editable() {
            return Err(Rejection::ProjectStateForbids {
                action: "修改",
                state: state.label(),
            }
            .into());
        }
        if row.pro_source == PRO_SOURCE_BASIC_CALC {
            return Err(Rejection::ProjectCalculatedNotEditable.into());
        }
        row = rewrite_in_tx(&mut tx, &row, &input).await?;
        audit(&mut tx, who, "update", &row, ctx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// 申报 (for a calculated project: 项目确认): submits the draft to the
    /// `project_declaration` flow (its writer only), also again after a rejection. The rules
    /// are checked again inside the flow's transaction (`flow::on_submit`).
    pub async fn project_declare(
        &self,
        who: &Principal,
        pro_id: &str,
        ctx: &RequestCtx,
    ) -> Result<InstanceStatus, AppError> {
        if !who.can(Action::Write, Resource::Project) || who.agency_code().is_none() {
            return Err(Rejection::Forbidden.into());
        }
        self.flow_act(who, pro_id, Command::Submit, ctx).await
    }

    /// 终止: the budget division takes a draft or reserved project out of the library.
    pub async fn project_terminate(
        &self,
        who: &Principal,
        pro_id: &str,
        reason: &str,
        ctx: &RequestCtx,
    ) -> Result<(), AppError> {
        // The matrix gives `Project` writes to the unit clerk and the budget division; of
        // the two, the finance bureau's terminates.
        if !who.can(Action::Write, Resource::Project) || who.agency_code().is_some() {
            return Err(Rejection::Forbidden.into());
        }
        let reason = fiscus_core::payment::application::check_text(
            "终止原因",
            reason,
            TERMINATE_REASON_CHARS_MAX,
        )?;
        let mut tx = self.db.begin().await?;
        let mut row = visible_for_update(&mut tx, who, pro_id).await?;
        let state = state_of(&row)?;
        if !state.may_terminate() {
            return Err(Rejection::ProjectStateForbids {
                action: "终止",
                state: state.label(),
            }
            .into());
        }
        row.status = ProjectState::Terminated.code().to_owned();
        row.terminate_reason = Some(reason);
        row.updated_at = now();
        store::update_project(&mut tx, &row).await?;
        audit(&mut tx, who, "terminate", &row, ctx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The projects the viewer may see, newest first (`status`: a `ProjectState` code). The
    /// filtered list with its count is `project_list`.
    pub async fn projects(
        &self,
        who: &Principal,
        status: Option<&str>,
        page: i64,
        page_rows: i64,
    ) -> Result<Vec<ProjectView>, AppError> {
        let filter = list::ProjectFilter {
            status: status.and_then(ProjectState::parse),
            ..list::ProjectFilter::default()
        };
        Ok(self.project_list(who, &filter, page, page_rows).await?.rows)
    }

    /// One project the viewer may see.
    pub async fn project(&self, who: &Principal, pro_id: &str) -> Result<ProjectView, AppError> {
        may_read(who)?;
        let query = ProjectQuery {
            pro_id: Some(pro_id.to_owned()),
            limit: 1,
            ..ProjectQuery::default()
        };
        let row = store::projects(&self.db, Viewer::User(who), &query)
            .await?
            .into_iter()
            .next()
            .ok_or(Rejection::NotFound { what: "项目" })?;
        view_of(row)
    }
}

/// Every role reads projects inside its scope; the matrix says so once.
pub(crate) fn may_read(who: &Principal) -> Result<(), AppError> {
    if who.can(Action::Read, Resource::Project) {
        Ok(())
    } else {
        Err(Rejection::Forbidden.into())
    }
}

/// A unit's writer (the clerk, by the matrix) writes for their own unit only.
pub(crate) fn may_write_for(
    who: &Principal,
    agency_code: &fiscus_core::AgencyCode,
) -> Result<(), AppError> {
    if !who.can(Action::Write, Resource::Project) || who.agency_code() != Some(agency_code) {
        return Err(Rejection::Forbidden.into());
    }
    Ok(())
}

/// A clerk writes for their own unit only, and the project must meet the core's rules.
fn checked_for_clerk(who: &Principal, input: &ProjectInput) -> Result<ProjectInput, AppError> {
    may_write_for(who, &input.agency_code)?;
    Ok(input.check()?)
}

/// Inserts a new draft project with its declaration document, numbered `pro_code` in the
/// writer's region and `setup_year`. The caller audits and commits.
pub(crate) async fn insert_in_tx(
    tx: &mut Tx,
    who: &Principal,
    input: &ProjectInput,
    setup_year: FiscalYear,
    pro_source: &str,
) -> Result<ProjectRow, AppError> {
    let mof_div_code = who.mof_div_code().clone();
    let seq_kind = format!("pro_code_{}", input.pro_cat_code.letter());
    let seq = fiscus_store::payment::next_seq(
        tx,
        mof_div_code.as_str(),
        i64::from(setup_year.0),
        &seq_kind,
    )
    .await?;
    let pro_id = crate::crypto::random_id()?;
    let at = now();
    let row = ProjectRow {
        pro_id: pro_id.clone(),
        pro_code: pro_code(&mof_div_code, setup_year, input.pro_cat_code, seq),
        agency_code: input.agency_code.as_str().to_owned(),
        mof_div_code: mof_div_code.as_str().to_owned(),
        setup_year: i64::from(setup_year.0),
        status: ProjectState::Draft.code().to_owned(),
        terminate_reason: None,
        created_by: who.user_name.to_string(),
        created_at: at.clone(),
        updated_at: at.clone(),
        pro_source: pro_source.to_owned(),
        ..fill_row(input)?
    };
    let document = DocumentRow {
        doc_id: pro_id,
        doc_type: DocType::ProjectDeclaration.code().to_owned(),
        title: title_of(input),
        mof_div_code: row.mof_div_code.clone(),
        agency_code: Some(row.agency_code.clone()),
        amount_fen: row.pro_total_amt,
        payload: payload_of(input)?,
        status: "draft".to_owned(),
        submitter: who.user_name.to_string(),
        created_at: at.clone(),
        updated_at: at,
    };
    flow_store::insert_document(tx, &document).await?;
    store::insert_project(tx, &row).await?;
    Ok(row)
}

/// Rewrites a draft's tables and its declaration document from `input`. The caller checked
/// the state and audits.
pub(crate) async fn rewrite_in_tx(
    tx: &mut Tx,
    row: &ProjectRow,
    input: &ProjectInput,
) -> Result<ProjectRow, AppError> {
    let at = now();
    let row = ProjectRow {
        updated_at: at.clone(),
        ..fill_row_onto(row, input)?
    };
    store::update_project(tx, &row).await?;
    store::set_declaration_header(
        tx,
        &row.pro_id,
        &title_of(input),
        row.pro_total_amt,
        &payload_of(input)?,
        &at,
    )
    .await?;
    Ok(row)
}

/// The project if the viewer may see it, locked for the rest of `tx`.
pub(crate) async fn visible_for_update(
    tx: &mut Tx,
    who: &Principal,
    pro_id: &str,
) -> Result<ProjectRow, AppError> {
    let row = store::project_for_update(tx, pro_id)
        .await?
        .ok_or(Rejection::NotFound { what: "项目" })?;
    let visible = fiscus_store::facts::agency(tx, &row.agency_code)
        .await?
        .is_some_and(|agency| {
            who.scope()
                .contains_agency(&agency.region_path, &row.agency_code, &agency.agency_path)
        });
    if !visible {
        return Err(Rejection::NotFound { what: "项目" }.into());
    }
    Ok(row)
}

/// The columns that come from the input (the rest are filled by the caller).
fn fill_row(input: &ProjectInput) -> Result<ProjectRow, AppError> {
    let empty = ProjectRow {
        pro_id: String::new(),
        pro_code: String::new(),
        pro_name: String::new(),
        agency_code: String::new(),
        mof_div_code: String::new(),
        pro_cat_code: String::new(),
        setup_year: 0,
        pro_start_year: 0,
        pro_end_year: 0,
        pro_total_amt: 0,
        plan_json: String::new(),
        estimation_json: String::new(),
        targets_json: String::new(),
        status: String::new(),
        terminate_reason: None,
        created_by: String::new(),
        created_at: String::new(),
        updated_at: String::new(),
        pro_source: String::new(),
    };
    fill_row_onto(&empty, input)
}

fn fill_row_onto(row: &ProjectRow, input: &ProjectInput) -> Result<ProjectRow, AppError> {
    Ok(ProjectRow {
        pro_name: input.pro_name.clone(),
        pro_cat_code: input.pro_cat_code.code().to_owned(),
        pro_start_year: i64::from(input.start_year.0),
        pro_end_year: i64::from(input.end_year.0),
        pro_total_amt: input.total_fen().0,
        plan_json: json(&input.plan)?,
        estimation_json: json(&input.estimation)?,
        targets_json: json(&input.targets)?,
        ..row.clone()
    })
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, AppError> {
    serde_json::to_string(value).map_err(|error| AppError::Internal(format!("project: {error}")))
}

fn payload_of(input: &ProjectInput) -> Result<String, AppError> {
    json(input)
}

fn title_of(input: &ProjectInput) -> String {
    format!(
        "项目申报：{}（{}），{} 元",
        input.pro_name,
        input.pro_cat_code.label(),
        input.total_fen().to_yuan_string()
    )
}

pub(crate) fn state_of(row: &ProjectRow) -> Result<ProjectState, AppError> {
    ProjectState::parse(&row.status)
        .ok_or_else(|| AppError::Internal(format!("project status {}", row.status)))
}

/// The stored row with its tables parsed back (they were checked before they were written).
pub(crate) fn view_of(row: ProjectRow) -> Result<ProjectView, AppError> {
    let parse_error = |error: serde_json::Error| AppError::Internal(format!("project: {error}"));
    let input = ProjectInput {
        pro_name: row.pro_name.clone(),
        agency_code: fiscus_core::AgencyCode::parse(&row.agency_code)?,
        pro_cat_code: fiscus_core::project::ProjectCategory::parse(&row.pro_cat_code)?,
        start_year: FiscalYear::new(i32::try_from(row.pro_start_year).unwrap_or(0))?,
        end_year: FiscalYear::new(i32::try_from(row.pro_end_year).unwrap_or(0))?,
        plan: serde_json::from_str(&row.plan_json).map_err(parse_error)?,
        estimation: serde_json::from_str(&row.estimation_json).map_err(parse_error)?,
        targets: serde_json::from_str(&row.targets_json).map_err(parse_error)?,
    };
    let state_label = state_of(&row)?.label();
    Ok(ProjectView {
        row,
        input,
        state_label,
    })
}

pub(crate) async fn audit(
    tx: &mut Tx,
    who: &Principal,
    action: &'static str,
    row: &ProjectRow,
    ctx: &RequestCtx,
) -> Result<(), AppError> {
    let mut entry = AuditEntry::by(Some(who), action);
    entry.entity = Some("project");
    entry.entity_key = Some(row.pro_id.clone());
    entry.changes = Some(json(row)?);
    entry.ip = ctx.ip.clone();
    entry.request_id = ctx.request_id.clone();
    append(tx, &entry).await?;
    Ok(())
}
