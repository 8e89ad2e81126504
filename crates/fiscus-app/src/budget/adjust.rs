//! Budget adjustments after approval (预算调整调剂) as `adjustment` flow documents: a unit
//! clerk drafts legs on its own unit's approved lines, a competent department on any unit of
//! its subtree (调剂 between units); on final approval each leg changes its line (调整 or
//! 调剂 column and 变动后预算数) and its indicator (追加 from a new document, 追减 out of
//! the budget, a new line gets a new indicator) in the approval's transaction.

use std::collections::BTreeMap;

use fiscus_core::budget::Stage;
use fiscus_core::budget::adjust::{AdjustLeg, Adjustment};
use fiscus_core::flow::DocType;
use fiscus_core::ledger::BgtId;
use fiscus_core::project::ProjectState;
use fiscus_core::{Fen, Principal, Rejection, Role};
use fiscus_store::Tx;
use fiscus_store::audit::now;
use fiscus_store::budget::{self as store, LineRow, VersionRow};
use fiscus_store::flow::{self as flow_store, DocumentRow};

use super::approve::{ApprovalDoc, LedgerMove, write_moves};
use super::{audit, stage_of, visible_agency};
use crate::{App, AppError, RequestCtx};

/// The checked facts of an adjustment: its place.
struct Checked {
    mof_div_code: String,
}

fn invalid(detail: &'static str) -> AppError {
    Rejection::AdjustmentInvalid { detail }.into()
}

async fn check_legs(
    tx: &mut Tx,
    who: &Principal,
    adjustment: &Adjustment,
) -> Result<Checked, AppError> {
    let ids: Vec<String> = adjustment
        .legs
        .iter()
        .filter_map(|leg| leg.bgt_pman_id.clone())
        .collect();
    let lines: BTreeMap<String, LineRow> = store::lines_by_ids(tx, &ids)
        .await?
        .into_iter()
        .map(|line| (line.bgt_pman_id.clone(), line))
        .collect();
    let mut regions = std::collections::BTreeSet::new();
    for leg in &adjustment.legs {
        let (agency_code, fiscal_year) = match (&leg.bgt_pman_id, &leg.new_line) {
            (Some(id), _) => {
                let line = lines.get(id).ok_or(Rejection::NotFound {
                    what: "预算明细"
                })?;
                if line.bgt_id.is_none() {
                    return Err(invalid("只能调整已批复的预算明细"));
                }
                if line.cur_amt + leg.delta.0 < 0 {
                    return Err(invalid("调减金额超过预算明细的当前预算数"));
                }
                (line.agency_code.clone(), line.fiscal_year)
            }
            (None, Some(new_line)) => (
                new_line.agency_code.clone(),
                i64::from(adjustment.fiscal_year),
            ),
            (None, None) => {
                return Err(invalid("每条明细须指定一条已批复的预算明细或一条新增明细"));
            }
        };
        if fiscal_year != i64::from(adjustment.fiscal_year) {
            return Err(Rejection::IndicatorYearMismatch.into());
        }
        let agency = visible_agency(tx, who, &agency_code).await?;
        regions.insert(agency.mof_div_code.clone());
        if let Some(new_line) = &leg.new_line {
            let sheet = store::sheet_of_agency(tx, fiscal_year, &agency_code)
                .await?
                .ok_or(Rejection::NotFound {
                    what: "单位预算"
                })?;
            if stage_of(&sheet)?.0 != Stage::Approved {
                return Err(invalid("新增明细的单位预算须已批复"));
            }
            let project =
                store::project_facts(tx, std::slice::from_ref(&new_line.key.pro_code)).await?;
            let owned = project.iter().any(|(_, _, status, owner)| {
                status == ProjectState::Reserved.code() && owner == &agency_code
            });
            if !owned {
                return Err(invalid("新增明细的项目须已入库且属于该单位"));
            }
            let tables = fiscus_core::budget::BudgetTables {
                expenses: vec![fiscus_core::budget::ExpenseLine {
                    key: new_line.key.clone(),
                    amount: leg.delta,
                    is_gov_pur: new_line.is_gov_pur,
                    remark: String::new(),
                }],
                ..Default::default()
            };
            super::check_codes(tx, fiscal_year, &tables).await?;
            let existing = store::lines_of_sheet_tx(tx, &sheet.sheet_id).await?;
            if existing.iter().any(|line| line.key() == new_line.key) {
                return Err(invalid("该单位已有相同分类的预算明细，请直接调整该明细"));
            }
        }
    }
    if regions.len() != 1 {
        return Err(invalid("一张调整单只能调整同一财政区划的预算"));
    }
    Ok(Checked {
        mof_div_code: regions.into_iter().next().unwrap_or_default(),
    })
}

fn adjustment_of(document: &DocumentRow) -> Result<Adjustment, AppError> {
    serde_json::from_str(&document.payload)
        .map_err(|error| AppError::Internal(format!("adjustment payload: {error}")))
}

impl App {
    /// Writes an adjustment document as a draft and submits it when `submit` is set.
    pub async fn budget_adjust_create(
        &self,
        who: &Principal,
        adjustment: &Adjustment,
        submit: bool,
        ctx: &RequestCtx,
    ) -> Result<String, AppError> {
        super::may_write(who)?;
        if !(who.roles.contains(Role::UnitClerk) || who.roles.contains(Role::DeptReviewer)) {
            return Err(Rejection::Forbidden.into());
        }
        let adjustment = adjustment.checked()?;
        let mut tx = self.db.begin().await?;
        let checked = check_legs(&mut tx, who, &adjustment).await?;
        let doc_id = crate::crypto::random_id()?;
        let at = now();
        let document = DocumentRow {
            doc_id: doc_id.clone(),
            doc_type: DocType::Adjustment.code().to_owned(),
            title: format!(
                "{}：{}（{} 条）",
                adjustment.kind.label(),
                adjustment.reason,
                adjustment.legs.len()
            ),
            mof_div_code: checked.mof_div_code,
            agency_code: who.agency_code().map(|code| code.as_str().to_owned()),
            amount_fen: adjustment.gross().0,
            payload: serde_json::to_string(&adjustment)
                .map_err(|error| AppError::Internal(format!("adjustment payload: {error}")))?,
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
}

/// On each submission the legs must still hold, as the submitter sees them.
pub(crate) async fn on_submit(
    tx: &mut Tx,
    who: &Principal,
    document: &DocumentRow,
) -> Result<(), AppError> {
    let adjustment = adjustment_of(document)?.checked()?;
    check_legs(tx, who, &adjustment).await?;
    Ok(())
}

/// Final approval: lines and indicators change together, or nothing does.
pub(crate) async fn apply_approved(
    tx: &mut Tx,
    approver: &Principal,
    document: &DocumentRow,
    ctx: &RequestCtx,
) -> Result<(), AppError> {
    let adjustment = adjustment_of(document)?.checked()?;
    let ids: Vec<String> = adjustment
        .legs
        .iter()
        .filter_map(|leg| leg.bgt_pman_id.clone())
        .collect();
    let lines: BTreeMap<String, LineRow> = store::lines_by_ids(tx, &ids)
        .await?
        .into_iter()
        .map(|line| (line.bgt_pman_id.clone(), line))
        .collect();
    let at = now();
    let actor = approver.user_name.to_string();
    let mut changed: Vec<LineRow> = Vec::new();
    let mut added: Vec<LineRow> = Vec::new();
    for leg in &adjustment.legs {
        apply_leg(
            tx,
            &adjustment,
            leg,
            &lines,
            &mut changed,
            &mut added,
            &actor,
            &at,
        )
        .await?;
    }
    let mut moves = Vec::new();
    for line in &changed {
        let delta = adjustment
            .legs
            .iter()
            .find(|leg| leg.bgt_pman_id.as_deref() == Some(line.bgt_pman_id.as_str()))
            .map_or(0, |leg| leg.delta.0);
        let bgt_id = line
            .bgt_id
            .clone()
            .ok_or_else(|| invalid("只能调整已批复的预算明细"))?;
        moves.push(LedgerMove::Change {
            bgt_id: BgtId::generated(bgt_id),
            delta,
        });
    }
    for line in &added {
        moves.push(LedgerMove::Enter {
            line,
            amount: Fen(line.cur_amt),
        });
    }
    let doc = ApprovalDoc {
        doc_no: if adjustment.doc_no.is_empty() {
            document.doc_id.clone()
        } else {
            adjustment.doc_no.clone()
        },
        doc_title: document.title.chars().take(100).collect(),
    };
    let created = write_moves(
        tx,
        &moves,
        &doc,
        adjustment.kind.label(),
        &document.doc_id,
        &actor,
    )
    .await?;
    drop(moves);
    for (line, bgt_id) in added.iter_mut().zip(&created) {
        line.bgt_id = Some(bgt_id.to_string());
    }
    store::insert_lines(tx, &added).await?;
    for line in &added {
        if let Some(bgt_id) = &line.bgt_id {
            store::set_indicator_pman(tx, bgt_id, &line.bgt_pman_id).await?;
        }
    }
    for line in &changed {
        store::update_line(tx, line).await?;
    }
    let versions: Vec<VersionRow> = changed
        .iter()
        .chain(&added)
        .map(|line| {
            let delta = adjustment
                .legs
                .iter()
                .find(|leg| leg.bgt_pman_id.as_deref() == Some(line.bgt_pman_id.as_str()))
                .map_or(line.cur_amt, |leg| leg.delta.0);
            VersionRow {
                version_id: 0,
                fiscal_year: line.fiscal_year,
                agency_code: line.agency_code.clone(),
                entity: "line".to_owned(),
                entity_key: line.key().text(),
                stage: Stage::Approved.code().to_owned(),
                change_kind: "adjusted".to_owned(),
                old_fen: Some(line.cur_amt - delta),
                new_fen: Some(line.cur_amt),
                detail: format!("{}：{}", adjustment.kind.label(), adjustment.reason),
                doc_id: Some(document.doc_id.clone()),
                actor: actor.clone(),
                at: at.clone(),
            }
        })
        .collect();
    store::append_versions(tx, &versions).await?;
    audit(
        tx,
        approver,
        "budget_adjust",
        &document.doc_id,
        serde_json::json!({ "kind": adjustment.kind.code(), "legs": adjustment.legs.len(), "net_fen": adjustment.net().map(|fen| fen.0) }),
        ctx,
    )
    .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn apply_leg(
    tx: &mut Tx,
    adjustment: &Adjustment,
    leg: &AdjustLeg,
    lines: &BTreeMap<String, LineRow>,
    changed: &mut Vec<LineRow>,
    added: &mut Vec<LineRow>,
    actor: &str,
    at: &str,
) -> Result<(), AppError> {
    let realloc = adjustment.kind.is_reallocation();
    match (&leg.bgt_pman_id, &leg.new_line) {
        (Some(id), _) => {
            let mut line = lines.get(id).cloned().ok_or(Rejection::NotFound {
                what: "预算明细",
            })?;
            if line.cur_amt + leg.delta.0 < 0 {
                return Err(invalid("调减金额超过预算明细的当前预算数"));
            }
            if realloc {
                line.dis_amt += leg.delta.0;
            } else {
                line.adj_amt += leg.delta.0;
            }
            line.cur_amt += leg.delta.0;
            line.updated_by = actor.to_owned();
            line.updated_at = at.to_owned();
            changed.push(line);
        }
        (None, Some(new_line)) => {
            let sheet = store::sheet_of_agency(
                tx,
                i64::from(adjustment.fiscal_year),
                &new_line.agency_code,
            )
            .await?
            .ok_or(Rejection::NotFound {
                what: "单位预算"
            })?;
            let kind = store::project_facts(tx, std::slice::from_ref(&new_line.key.pro_code))
                .await?
                .into_iter()
                .next()
                .map(|(_, category, _, _)| category)
                .unwrap_or_default();
            added.push(LineRow {
                bgt_pman_id: crate::crypto::random_id()?,
                sheet_id: sheet.sheet_id.clone(),
                fiscal_year: sheet.fiscal_year,
                mof_div_code: sheet.mof_div_code.clone(),
                agency_code: sheet.agency_code.clone(),
                dept_code: sheet.dept_code.clone(),
                pro_code: new_line.key.pro_code.clone(),
                pro_kind_code: kind,
                exp_func_code: new_line.key.exp_func_code.clone(),
                gov_bgt_eco_code: new_line.key.gov_bgt_eco_code.clone(),
                dep_bgt_eco_code: new_line.key.dep_bgt_eco_code.clone(),
                fund_type_code: new_line.key.fund_type_code.clone(),
                is_gov_pur: new_line.is_gov_pur,
                remark: adjustment.kind.label().to_owned(),
                amount_fen: 0,
                apply_up: 0,
                fin_audit_money: 0,
                pre_amt: 0,
                reply_amt: 0,
                adj_amt: if realloc { 0 } else { leg.delta.0 },
                dis_amt: if realloc { leg.delta.0 } else { 0 },
                cur_amt: leg.delta.0,
                bgt_id: None,
                updated_by: actor.to_owned(),
                updated_at: at.to_owned(),
            });
        }
        (None, None) => return Err(invalid("每条明细须指定一条已批复的预算明细或一条新增明细")),
    }
    Ok(())
}
