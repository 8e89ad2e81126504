//! 基本支出一键测算 as a use case: for the clerk's unit and a fiscal year, read the unit's
//! in-service persons and the year's standards on its region path, let the core calculate the
//! 人员类 and 公用经费 (运转类) projects, and write them as draft projects of the unit (项目来源
//! `basic_calc`) — or refresh the unit's draft ones of that year, one per category, so that
//! calculating twice changes nothing. A calculated project already declared or in the pool is
//! left alone. The unit then confirms (项目确认) a draft: `project_declare`, the same flow.

use fiscus_core::project::basic::{self, BasicFacts, Headcount, PER_STA_IN_SERVICE, StandardFact};
use fiscus_core::project::{ProjectCategory, ProjectInput, ProjectState};
use fiscus_core::{AgencyCode, Fen, FiscalYear, Principal, Rejection};
use fiscus_store::Tx;
use fiscus_store::project::PRO_SOURCE_BASIC_CALC;
use fiscus_store::project::basic as store;

use super::{audit, insert_in_tx, may_write_for, rewrite_in_tx, state_of, view_of};
use crate::{App, AppError, RequestCtx};

/// What calculating did to the project of one category.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BasicChange {
    /// A new draft project was written.
    Created,
    /// The draft of this year was rewritten with new figures.
    Refreshed,
    /// The draft of this year already had these figures.
    Unchanged,
    /// The project of this year is already declared or in the pool: left as it is.
    Kept(ProjectState),
    /// Nothing to calculate in this category (no persons or no standard); a draft of this
    /// year, if any, is left as it is.
    NoLines,
}

impl BasicChange {
    pub fn label(self) -> &'static str {
        match self {
            BasicChange::Created => "已生成草稿",
            BasicChange::Refreshed => "已按最新数据重新测算",
            BasicChange::Unchanged => "数据无变化",
            BasicChange::Kept(ProjectState::Declared) => "已申报，未重新测算",
            BasicChange::Kept(ProjectState::Reserved) => "已入库，未重新测算",
            BasicChange::Kept(_) => "未重新测算",
            BasicChange::NoLines => "没有适用的人员或标准",
        }
    }
}

/// The outcome for one category.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BasicResult {
    pub category: ProjectCategory,
    pub change: BasicChange,
    /// The project of this category and year, if there is one.
    pub pro_id: Option<String>,
    /// Its amount as calculated now (zero when nothing was calculated).
    pub total_fen: Fen,
}

/// The outcome of one calculation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BasicOutcome {
    pub fiscal_year: FiscalYear,
    pub n_in_service: i64,
    /// In-service persons of an identity no personnel standard applies to.
    pub uncovered: Vec<Headcount>,
    /// 人员类 first, then 运转类 (公用经费).
    pub results: Vec<BasicResult>,
}

impl App {
    /// 一键测算 for the clerk's own unit `agency_code` and `fiscal_year`, in one transaction.
    pub async fn project_basic_calculate(
        &self,
        who: &Principal,
        agency_code: &AgencyCode,
        fiscal_year: FiscalYear,
        ctx: &RequestCtx,
    ) -> Result<BasicOutcome, AppError> {
        may_write_for(who, agency_code)?;
        let mut tx = self.db.begin().await?;
        let facts = facts(&mut tx, agency_code, fiscal_year).await?;
        let calculation = basic::calculate(&facts)?;
        let mut results = Vec::new();
        for (category, input) in [
            (ProjectCategory::Personnel, &calculation.personnel),
            (ProjectCategory::Operation, &calculation.public_use),
        ] {
            let existing = store::basic_project_for_update(
                &mut tx,
                agency_code.as_str(),
                i64::from(fiscal_year.0),
                category.code(),
            )
            .await?;
            let result = match input {
                Some(input) => write(&mut tx, who, existing, input, ctx).await?,
                None => BasicResult {
                    category,
                    change: BasicChange::NoLines,
                    pro_id: existing.map(|row| row.pro_id),
                    total_fen: Fen::ZERO,
                },
            };
            results.push(BasicResult { category, ..result });
        }
        tx.commit().await?;
        Ok(BasicOutcome {
            fiscal_year,
            n_in_service: calculation.n_in_service,
            uncovered: calculation.uncovered,
            results,
        })
    }
}

/// Creates, refreshes or keeps the project of one category.
async fn write(
    tx: &mut Tx,
    who: &Principal,
    existing: Option<fiscus_store::project::ProjectRow>,
    input: &ProjectInput,
    ctx: &RequestCtx,
) -> Result<BasicResult, AppError> {
    let result = |change, pro_id: &str| BasicResult {
        category: input.pro_cat_code,
        change,
        pro_id: Some(pro_id.to_owned()),
        total_fen: input.total_fen(),
    };
    let Some(row) = existing else {
        let row = insert_in_tx(tx, who, input, input.start_year, PRO_SOURCE_BASIC_CALC).await?;
        audit(tx, who, "basic_calc", &row, ctx).await?;
        return Ok(result(BasicChange::Created, &row.pro_id));
    };
    let state = state_of(&row)?;
    if !state.is_editable() {
        return Ok(result(BasicChange::Kept(state), &row.pro_id));
    }
    if view_of(row.clone())?.input == *input {
        return Ok(result(BasicChange::Unchanged, &row.pro_id));
    }
    let row = rewrite_in_tx(tx, &row, input).await?;
    audit(tx, who, "basic_recalc", &row, ctx).await?;
    Ok(result(BasicChange::Refreshed, &row.pro_id))
}

/// The facts of the calculation, read in the calculation's transaction.
async fn facts(
    tx: &mut Tx,
    agency_code: &AgencyCode,
    fiscal_year: FiscalYear,
) -> Result<BasicFacts, AppError> {
    let agency = fiscus_store::facts::agency(tx, agency_code.as_str())
        .await?
        .ok_or(Rejection::NotFound { what: "单位" })?;
    let year = i64::from(fiscal_year.0);
    let headcounts =
        store::in_service_headcounts(tx, agency_code.as_str(), PER_STA_IN_SERVICE, year)
            .await?
            .into_iter()
            .map(|(per_ide_code, per_ide_name, n_persons)| Headcount {
                per_ide_code,
                per_ide_name,
                n_persons,
            })
            .collect();
    let standards = store::standards_on_path(tx, &agency.region_path, year)
        .await?
        .into_iter()
        .map(|row| StandardFact {
            std_code: row.std_code,
            std_name: row.std_name,
            std_type_code: row.std_type_code,
            dep_bgt_eco_code: row.dep_bgt_eco_code,
            agency_type: row.agency_type,
            per_ide_code: row.per_ide_code,
            amount_fen: Fen(row.amount_fen),
            region_path: row.region_path,
        })
        .collect();
    Ok(BasicFacts {
        agency_code: agency_code.clone(),
        agency_type: store::agency_type(tx, agency_code.as_str()).await?,
        fiscal_year,
        headcounts,
        standards,
    })
}
