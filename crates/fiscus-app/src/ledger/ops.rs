//! Indicator operations as documents through the flow engine: 录入下达, 分解分配 and 追加 as
//! `indicator_release`; 追减收回, 调剂, 冻结解冻, 核销 and 年终结转结余 as `indicator_adjust`.
//! Each is checked when written and again on each submission (a dry run of the plan on the
//! current balances), and applied in the transaction of its final approval: new indicators,
//! their transfers and the closes happen together or not at all.

use std::collections::BTreeMap;

use fiscus_core::flow::DocType;
use fiscus_core::ledger::operation::{CarryLine, IndicatorFacts};
use fiscus_core::ledger::{
    BgtId, ExeFlag, IndicatorDraft, IndicatorElements, Operation, Plan, PlanFacts, PoolLevel, plan,
};
use fiscus_core::{Action, Fen, Principal, Rejection, Resource};
use fiscus_store::Tx;
use fiscus_store::audit::{AuditEntry, append, now};
use fiscus_store::facts;
use fiscus_store::flow::{self as flow_store, DocumentRow};
use fiscus_store::ledger::{self as store, BatchMeta, NewIndicator};
use fiscus_store::records::Viewer;

use crate::{App, AppError, RequestCtx};

/// The document type an operation runs as.
pub fn doc_type_of(operation: &Operation) -> DocType {
    match operation {
        Operation::Enter { .. } | Operation::Split { .. } | Operation::Supplement { .. } => {
            DocType::IndicatorRelease
        }
        _ => DocType::IndicatorAdjust,
    }
}

pub use fiscus_core::ledger::year_end::CarryRule;

impl App {
    /// Writes an operation document as a draft and submits it (送审) in the same transaction
    /// when `submit` is set. Returns the document id.
    pub async fn create_indicator_op(
        &self,
        who: &Principal,
        operation: &Operation,
        submit: bool,
        ctx: &RequestCtx,
    ) -> Result<String, AppError> {
        if !who.roles.allows(Action::Write, Resource::Indicator) {
            return Err(Rejection::Forbidden.into());
        }
        let payload = serde_json::to_string(operation)
            .map_err(|error| AppError::Internal(format!("indicator op payload: {error}")))?;
        let doc_id = crate::crypto::random_id()?;
        let mut tx = self.db.begin().await?;
        let checked = check_operation(self, &mut tx, who, operation).await?;
        let at = now();
        let document = DocumentRow {
            doc_id: doc_id.clone(),
            doc_type: doc_type_of(operation).code().to_owned(),
            title: checked.title,
            mof_div_code: checked.mof_div_code,
            agency_code: checked.agency_code,
            amount_fen: operation.amount().0,
            payload,
            status: "draft".to_owned(),
            submitter: who.user_name.to_string(),
            created_at: at.clone(),
            updated_at: at,
        };
        flow_store::insert_document(&mut tx, &document).await?;
        if submit {
            crate::flow::engine::submit_new(self, &mut tx, who, &doc_id, ctx).await?;
        }
        tx.commit().await?;
        Ok(doc_id)
    }

    /// Builds the year-end operation of one region and year: every open executable
    /// indicator, carried or lapsed by `rule`, the rest back to the region's 总待分 pool.
    pub async fn year_end_operation(
        &self,
        who: &Principal,
        mof_div_code: &str,
        fiscal_year: i32,
        rule: CarryRule,
    ) -> Result<Operation, AppError> {
        if !who.roles.allows(Action::Write, Resource::Indicator) {
            return Err(Rejection::Forbidden.into());
        }
        let rows = store::query::open_indicators_of_region(
            &self.db,
            Viewer::User(who),
            mof_div_code,
            fiscal_year,
        )
        .await?;
        let pool = rows
            .iter()
            .find(|row| row.elements.pool_level == Some(PoolLevel::Total))
            .ok_or(Rejection::NotFound {
                what: "本年度的总待分指标",
            })?
            .bgt_id
            .clone();
        let lines = rows
            .iter()
            .filter(|row| row.elements.bgt_exe_flag == ExeFlag::Executable)
            .map(|row| CarryLine {
                bgt_id: row.bgt_id.clone(),
                carry: rule.carry_of(
                    &row.elements,
                    row.figures.available_fen + row.figures.frozen_fen,
                ),
            })
            .collect();
        Ok(Operation::YearEnd { pool, lines })
    }
}

/// Where a checked operation belongs and what it is called.
pub(crate) struct Checked {
    pub mof_div_code: String,
    pub agency_code: Option<String>,
    pub title: String,
}

/// Checks an operation as `who` would run it now: the indicators it names are in their scope,
/// the units and codes exist, and the plan holds on the current balances.
pub(crate) async fn check_operation(
    _app: &App,
    tx: &mut Tx,
    who: &Principal,
    operation: &Operation,
) -> Result<Checked, AppError> {
    let referenced = operation.referenced();
    // Read inside the transaction: it already holds a connection.
    let visible =
        store::visible_indicators_in_tx(tx, Viewer::User(who), &dedup(&referenced)).await?;
    if visible.len() != dedup(&referenced).len() {
        return Err(Rejection::NotFound { what: "指标" }.into());
    }
    let facts = plan_facts(tx, operation).await?;
    check_open_years(tx, operation, &facts).await?;
    check_drafts(tx, who, operation).await?;
    let mut counter = 0_u32;
    let mut new_id = || {
        counter += 1;
        BgtId::generated(format!("CHECK{counter}"))
    };
    let planned = plan(operation, &facts, "check", &mut new_id)?;
    let (mof_div_code, agency_code, subject) = match planned.new_indicators.first() {
        Some((_, elements)) if referenced.is_empty() => place_of(elements),
        _ => {
            let first = visible
                .first()
                .ok_or(Rejection::NotFound { what: "指标" })?;
            place_of(&first.elements)
        }
    };
    let title = format!(
        "{}：{}，{} 元",
        operation.label(),
        subject,
        operation.amount().to_yuan_string()
    );
    Ok(Checked {
        mof_div_code,
        agency_code,
        title,
    })
}

/// The region-years the operation touches are not closed by a year-end close (ADR 0011):
/// one lookup per distinct region and year. The store checks again when it writes.
async fn check_open_years(
    tx: &mut Tx,
    operation: &Operation,
    facts: &PlanFacts,
) -> Result<(), AppError> {
    let mut years: Vec<(String, i32)> = facts
        .indicators
        .values()
        .map(|facts| {
            (
                facts.elements.mof_div_code.as_str().to_owned(),
                facts.elements.fiscal_year.0,
            )
        })
        .collect();
    let drafts: Vec<&IndicatorDraft> = match operation {
        Operation::Enter { indicator, .. } => vec![indicator],
        Operation::Split { children, .. } => {
            children.iter().map(|child| &child.indicator).collect()
        }
        _ => Vec::new(),
    };
    for draft in drafts {
        if let Ok(elements) = draft.parse() {
            years.push((
                elements.mof_div_code.as_str().to_owned(),
                elements.fiscal_year.0,
            ));
        }
    }
    years.sort();
    years.dedup();
    for (mof_div_code, fiscal_year) in years {
        if store::year_end::is_closed(tx, &mof_div_code, fiscal_year).await? {
            return Err(Rejection::YearClosed {
                mof_div_code,
                fiscal_year,
            }
            .into());
        }
    }
    Ok(())
}

fn place_of(elements: &IndicatorElements) -> (String, Option<String>, String) {
    (
        elements.mof_div_code.as_str().to_owned(),
        elements
            .agency_code
            .as_ref()
            .map(|code| code.as_str().to_owned()),
        elements.bgt_doc_title.clone(),
    )
}

fn dedup(ids: &[BgtId]) -> Vec<BgtId> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    ids
}

/// The facts `plan` needs, read inside `tx`.
pub(crate) async fn plan_facts(tx: &mut Tx, operation: &Operation) -> Result<PlanFacts, AppError> {
    let referenced = dedup(&operation.referenced());
    let rows = store::indicators_in_tx(tx, &referenced).await?;
    let mut indicators = BTreeMap::new();
    let mut agency_paths = BTreeMap::new();
    for row in rows {
        if let Some(code) = &row.elements.agency_code
            && let Some(agency) = facts::agency(tx, code.as_str()).await?
        {
            agency_paths.insert(agency.agency_code, agency.agency_path);
        }
        indicators.insert(row.bgt_id.clone(), row.facts());
    }
    for code in operation.named_agencies() {
        if let Some(agency) = facts::agency(tx, &code).await? {
            agency_paths.insert(agency.agency_code, agency.agency_path);
        }
    }
    Ok(PlanFacts {
        indicators,
        agency_paths,
        controls: store::controls(tx).await?,
    })
}

/// The new indicators of an operation: their region in the user's subtree, their unit in
/// that region, their codes in the year's tables.
async fn check_drafts(tx: &mut Tx, who: &Principal, operation: &Operation) -> Result<(), AppError> {
    let drafts: Vec<&IndicatorDraft> = match operation {
        Operation::Enter { indicator, .. } => vec![indicator],
        Operation::Split { children, .. } => {
            children.iter().map(|child| &child.indicator).collect()
        }
        _ => Vec::new(),
    };
    for draft in drafts {
        let elements = draft.parse()?;
        let region = facts::region(tx, elements.mof_div_code.as_str())
            .await?
            .filter(|region| region.region_path.starts_with(&who.region_path))
            .ok_or(Rejection::NotFound {
                what: "财政区划"
            })?;
        if let Some(code) = &elements.agency_code {
            let agency = facts::agency(tx, code.as_str())
                .await?
                .ok_or(Rejection::NotFound {
                    what: "预算单位"
                })?;
            if agency.mof_div_code != region.mof_div_code {
                return Err(Rejection::ElementMismatch {
                    field: "预算单位"
                }
                .into());
            }
        }
        check_codes(tx, &elements).await?;
    }
    Ok(())
}

/// The code table of each classification element.
const CODED_ELEMENTS: [(&str, &str); 7] = [
    ("exp_func", "exp_func_code"),
    ("gov_bgt_eco", "gov_bgt_eco_code"),
    ("dep_bgt_eco", "dep_bgt_eco_code"),
    ("fund_type", "fund_type_code"),
    ("bgt_type", "bgt_type_code"),
    ("pay_type", "pay_type_code"),
    ("source_type", "source_type_code"),
];

async fn check_codes(tx: &mut Tx, elements: &IndicatorElements) -> Result<(), AppError> {
    let year = i64::from(elements.fiscal_year.0);
    for (element_code, field) in CODED_ELEMENTS {
        let code = match field {
            "exp_func_code" => &elements.exp_func_code,
            "gov_bgt_eco_code" => &elements.gov_bgt_eco_code,
            "dep_bgt_eco_code" => &elements.dep_bgt_eco_code,
            "fund_type_code" => &elements.fund_type_code,
            "bgt_type_code" => &elements.bgt_type_code,
            "pay_type_code" => &elements.pay_type_code,
            _ => &elements.source_type_code,
        };
        if code.is_empty() {
            continue;
        }
        let known = facts::code(tx, element_code, year, code)
            .await?
            .is_some_and(|code| code.is_enabled);
        if !known {
            let element_name = facts::element(tx, element_code)
                .await?
                .map_or_else(|| element_code.to_owned(), |element| element.element_name);
            return Err(Rejection::CodeNotInYearTable {
                element_name,
                code: code.clone(),
                fiscal_year: elements.fiscal_year.0,
            }
            .into());
        }
    }
    Ok(())
}

/// The operation a document carries.
pub(crate) fn operation_of(document: &DocumentRow) -> Result<Operation, AppError> {
    serde_json::from_str(&document.payload)
        .map_err(|error| AppError::Internal(format!("indicator op payload: {error}")))
}

/// On each submission: the operation must still hold, as its submitter.
pub(crate) async fn check_on_submit(
    app: &App,
    tx: &mut Tx,
    who: &Principal,
    document: &DocumentRow,
) -> Result<(), AppError> {
    let operation = operation_of(document)?;
    check_operation(app, tx, who, &operation).await?;
    Ok(())
}

/// Applies the approved operation in the approval's transaction. A balance that moved since
/// submission refuses the approval with the rule it breaks; nothing is written.
pub(crate) async fn apply_approved(
    _app: &App,
    tx: &mut Tx,
    approver: &Principal,
    document: &DocumentRow,
    ctx: &RequestCtx,
) -> Result<(), AppError> {
    let operation = operation_of(document)?;
    let facts = plan_facts(tx, &operation).await?;
    let mut id_error = None;
    let mut new_id = || match crate::crypto::random_id() {
        Ok(id) => BgtId::generated(id),
        Err(error) => {
            id_error = Some(error);
            BgtId::generated("UNUSED".to_owned())
        }
    };
    let planned = plan(&operation, &facts, &document.doc_id, &mut new_id)?;
    if let Some(error) = id_error {
        return Err(error);
    }
    write_plan(tx, &planned, &document.doc_id, approver.user_name.as_str()).await?;
    let mut entry = AuditEntry::by(Some(approver), "indicator_op");
    entry.entity = Some("flow_document");
    entry.entity_key = Some(document.doc_id.clone());
    entry.changes = Some(
        serde_json::json!({
            "op": operation.code(),
            "new_indicators": planned.new_indicators.iter().map(|(id, _)| id.to_string()).collect::<Vec<_>>(),
            "n_transfers": planned.transfers.len(),
            "closed": planned.closes.len(),
        })
        .to_string(),
    );
    entry.ip = ctx.ip.clone();
    entry.request_id = ctx.request_id.clone();
    append(tx, &entry).await?;
    Ok(())
}

/// Writes a plan inside `tx`: new indicators with their accounts, the transfers, the closes.
pub async fn write_plan(
    tx: &mut Tx,
    planned: &Plan,
    doc_id: &str,
    actor: &str,
) -> Result<(), AppError> {
    let at = now();
    let amounts: BTreeMap<String, i64> = planned
        .transfers
        .iter()
        .filter_map(|transfer| {
            let (_, bgt_id) = transfer.credit.split()?;
            Some((bgt_id?.to_owned(), transfer.amount.0))
        })
        .collect();
    let new: Vec<NewIndicator<'_>> = planned
        .new_indicators
        .iter()
        .map(|(bgt_id, elements)| NewIndicator {
            bgt_id,
            elements,
            orig_amount: Fen(amounts.get(bgt_id.as_str()).copied().unwrap_or(0)),
            doc_id: Some(doc_id),
            at: &at,
        })
        .collect();
    store::insert_indicators(tx, &new).await?;
    let meta = BatchMeta {
        batch_id: doc_id,
        doc_id: Some(doc_id),
        actor,
        at: &at,
    };
    store::apply_transfers(tx, &planned.transfers, meta).await?;
    store::close_indicators(tx, &planned.closes).await?;
    Ok(())
}

/// The facts of one indicator for callers that plan outside a document (tests, demo).
pub fn facts_of(row: &store::IndicatorRow) -> IndicatorFacts {
    row.facts()
}
