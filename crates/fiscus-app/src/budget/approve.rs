//! 二下: the budget division approves (批复) a region's budget, and may pre-release (预下达)
//! a share of it before. Both turn budget lines into ledger indicators in one transaction:
//! each line gets one indicator (`bgt_pman_id` on the indicator, `bgt_id` on the line); a
//! pre-released line's indicator is topped up (or cut) to the approved figure at approval.

use fiscus_core::budget::{SheetMove, SheetStatus, Stage};
use fiscus_core::ledger::BgtId;
use fiscus_core::ledger::indicator::IndicatorDraft;
use fiscus_core::ledger::operation::{Operation, Plan, PlanFacts, plan};
use fiscus_core::{Fen, Principal, Rejection, Role};
use fiscus_store::Tx;
use fiscus_store::audit::now;
use fiscus_store::budget::{self as store, LineRow, SheetRow, VersionRow};

use super::{audit, stage_of, version};
use crate::{App, AppError, RequestCtx};

/// A pre-release gives at most this share of each line, in basis points (10000 = all).
pub const PRE_RELEASE_BP_MAX: i64 = 10_000;
/// Lines planned per ledger write.
const LINES_PER_WRITE: usize = 500;
/// 指标类型 正式指标 and 指标来源 年初预算 (data/codes/2026) [I].
const BGT_TYPE_FORMAL: &str = "12";
const SOURCE_TYPE_ANNUAL: &str = "1";

/// What an approval or pre-release did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ApprovalSummary {
    pub units: usize,
    pub lines: usize,
    pub indicators_created: usize,
    pub indicators_changed: usize,
    pub total_fen: i64,
}

/// The document behind an approval's indicators.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
pub struct ApprovalDoc {
    /// 批复文号, e.g. 兵财预〔2027〕1号.
    pub doc_no: String,
    pub doc_title: String,
}

fn draft_of(line: &LineRow, doc: &ApprovalDoc, dec: &str, today: &str) -> IndicatorDraft {
    IndicatorDraft {
        mof_div_code: line.mof_div_code.clone(),
        fiscal_year: line.fiscal_year.to_string(),
        agency_code: line.agency_code.clone(),
        pro_code: line.pro_code.clone(),
        exp_func_code: line.exp_func_code.clone(),
        gov_bgt_eco_code: line.gov_bgt_eco_code.clone(),
        dep_bgt_eco_code: line.dep_bgt_eco_code.clone(),
        fund_type_code: line.fund_type_code.clone(),
        bgt_type_code: BGT_TYPE_FORMAL.to_owned(),
        pay_type_code: "1".to_owned(),
        source_type_code: SOURCE_TYPE_ANNUAL.to_owned(),
        cor_bgt_doc_no: doc.doc_no.clone(),
        bgt_doc_title: doc.doc_title.clone(),
        doc_date: today.to_owned(),
        bgt_dec: dec.to_owned(),
        bgt_exe_flag: "1".to_owned(),
        is_gov_pur: line.is_gov_pur,
        ..IndicatorDraft::default()
    }
}

/// One line's change in the ledger: a new indicator for `amount`, or a change of the
/// line's indicator by `delta`.
pub(crate) enum LedgerMove<'a> {
    Enter { line: &'a LineRow, amount: Fen },
    Change { bgt_id: BgtId, delta: i64 },
}

/// Plans and writes the moves in chunks inside `tx`. Returns the new indicator of each
/// `Enter`, in order.
pub(crate) async fn write_moves(
    tx: &mut Tx,
    moves: &[LedgerMove<'_>],
    doc: &ApprovalDoc,
    dec: &str,
    batch_id: &str,
    actor: &str,
) -> Result<Vec<BgtId>, AppError> {
    let today = now().get(..10).unwrap_or_default().to_owned();
    let mut created = Vec::new();
    let mut counter = 0_usize;
    // A new indicator's plan needs only the control table: read it once, not per line.
    let enter_facts = PlanFacts {
        controls: fiscus_store::ledger::controls(tx).await?,
        ..PlanFacts::default()
    };
    for chunk in moves.chunks(LINES_PER_WRITE) {
        let mut merged = Plan::default();
        for ledger_move in chunk {
            counter += 1;
            let operation = match ledger_move {
                LedgerMove::Enter { line, amount } => Operation::Enter {
                    indicator: draft_of(line, doc, dec, &today),
                    amount: *amount,
                },
                LedgerMove::Change { bgt_id, delta } if *delta > 0 => Operation::Supplement {
                    to: bgt_id.clone(),
                    from: None,
                    amount: Fen(*delta),
                },
                LedgerMove::Change { bgt_id, delta } => Operation::Cut {
                    from: bgt_id.clone(),
                    to: None,
                    amount: Fen(-*delta),
                },
            };
            let changed_facts;
            let facts = match ledger_move {
                LedgerMove::Enter { .. } => &enter_facts,
                LedgerMove::Change { .. } => {
                    changed_facts = crate::ledger::ops::plan_facts(tx, &operation).await?;
                    &changed_facts
                }
            };
            let mut id_error = None;
            let mut new_id = || match crate::crypto::random_id() {
                Ok(id) => BgtId::generated(id),
                Err(error) => {
                    id_error = Some(error);
                    BgtId::generated("UNUSED".to_owned())
                }
            };
            let planned = plan(
                &operation,
                facts,
                &format!("{batch_id}-{counter}"),
                &mut new_id,
            )?;
            if let Some(error) = id_error {
                return Err(error);
            }
            if let LedgerMove::Enter { .. } = ledger_move {
                created.extend(planned.new_indicators.iter().map(|(id, _)| id.clone()));
            }
            merged.new_indicators.extend(planned.new_indicators);
            merged.transfers.extend(planned.transfers);
        }
        crate::ledger::ops::write_plan(tx, &merged, batch_id, actor).await?;
    }
    Ok(created)
}

fn check_doc(doc: &ApprovalDoc) -> Result<ApprovalDoc, Rejection> {
    Ok(ApprovalDoc {
        doc_no: fiscus_core::payment::application::check_text("批复文号", &doc.doc_no, 60)?,
        doc_title: fiscus_core::payment::application::check_text("批复标题", &doc.doc_title, 100)?,
    })
}

/// The region `who` approves for: the budget division of exactly that region.
fn require_region_budget_division(who: &Principal, mof_div_code: &str) -> Result<(), AppError> {
    super::may_write(who)?;
    if !who.roles.contains(Role::BudgetDivision) || who.mof_div_code().as_str() != mof_div_code {
        return Err(Rejection::Forbidden.into());
    }
    Ok(())
}

impl App {
    /// 批复: every unit budget of the region and year must have passed its 二上 review; then
    /// every line's 财政审核数 becomes its 年初批复数 and an indicator, all in one
    /// transaction. A second approval finds nothing reviewed and is refused.
    pub async fn budget_approve_region(
        &self,
        who: &Principal,
        fiscal_year: i64,
        mof_div_code: &str,
        doc: &ApprovalDoc,
        ctx: &RequestCtx,
    ) -> Result<ApprovalSummary, AppError> {
        require_region_budget_division(who, mof_div_code)?;
        let doc = check_doc(doc)?;
        let mut tx = self.db.begin().await?;
        let sheets = store::sheets_of_region(&mut tx, fiscal_year, mof_div_code).await?;
        let mut pending = 0_i64;
        let mut ready: Vec<SheetRow> = Vec::new();
        for sheet in sheets {
            let (stage, status) = stage_of(&sheet)?;
            if stage == Stage::Approved {
                continue;
            }
            if SheetMove::Approve.check(stage, status).is_ok() {
                ready.push(sheet);
            } else {
                pending += 1;
            }
        }
        if pending > 0 {
            return Err(Rejection::BudgetRegionNotReady { pending }.into());
        }
        if ready.is_empty() {
            return Err(Rejection::BudgetStageForbids {
                action: "批复",
                state: "没有待批复的单位预算（已全部批复或尚未编制）".to_owned(),
            }
            .into());
        }
        let batch_id = crate::crypto::random_id()?;
        let at = now();
        let mut lines = Vec::new();
        for sheet in &ready {
            lines.extend(store::lines_of_sheet_tx(&mut tx, &sheet.sheet_id).await?);
        }
        let mut summary = ApprovalSummary {
            units: ready.len(),
            lines: lines.len(),
            ..ApprovalSummary::default()
        };
        let mut moves = Vec::new();
        let mut enter_lines = Vec::new();
        for line in &lines {
            let reply = line.fin_audit_money;
            summary.total_fen += reply;
            match &line.bgt_id {
                Some(bgt_id) if reply != line.pre_amt => {
                    summary.indicators_changed += 1;
                    moves.push(LedgerMove::Change {
                        bgt_id: BgtId::generated(bgt_id.clone()),
                        delta: reply - line.pre_amt,
                    });
                }
                Some(_) => {}
                None if reply > 0 => {
                    enter_lines.push(line.bgt_pman_id.clone());
                    moves.push(LedgerMove::Enter {
                        line,
                        amount: Fen(reply),
                    });
                }
                None => {}
            }
        }
        let created = write_moves(
            &mut tx,
            &moves,
            &doc,
            "年初预算批复",
            &batch_id,
            who.user_name.as_str(),
        )
        .await?;
        summary.indicators_created = created.len();
        let new_ids: std::collections::BTreeMap<&str, &BgtId> = enter_lines
            .iter()
            .map(String::as_str)
            .zip(created.iter())
            .collect();
        let mut versions: Vec<VersionRow> = Vec::new();
        let by_sheet: std::collections::BTreeMap<&str, &SheetRow> = ready
            .iter()
            .map(|sheet| (sheet.sheet_id.as_str(), sheet))
            .collect();
        for line in &lines {
            let mut line = line.clone();
            line.reply_amt = line.fin_audit_money;
            line.cur_amt = line.reply_amt;
            if let Some(bgt_id) = new_ids.get(line.bgt_pman_id.as_str()) {
                line.bgt_id = Some(bgt_id.to_string());
                store::set_indicator_pman(&mut tx, bgt_id.as_str(), &line.bgt_pman_id).await?;
            }
            line.updated_by = who.user_name.to_string();
            line.updated_at = at.clone();
            store::update_line(&mut tx, &line).await?;
            if let Some(sheet) = by_sheet.get(line.sheet_id.as_str()) {
                versions.push(version(
                    sheet,
                    "line",
                    &line.key().text(),
                    "approved",
                    Some(line.fin_audit_money),
                    Some(line.reply_amt),
                    doc.doc_no.clone(),
                    None,
                    who.user_name.as_str(),
                    &at,
                ));
            }
        }
        for sheet in &ready {
            let mut sheet = sheet.clone();
            sheet.stage = Stage::Approved.code().to_owned();
            sheet.status = SheetStatus::Reviewed.code().to_owned();
            sheet.revision += 1;
            sheet.updated_by = who.user_name.to_string();
            sheet.updated_at = at.clone();
            store::update_sheet(&mut tx, &sheet).await?;
            versions.push(version(
                &sheet,
                "sheet",
                &sheet.sheet_id,
                "approved",
                None,
                Some(sheet.expense_fen),
                format!("批复：{}", doc.doc_no),
                None,
                who.user_name.as_str(),
                &at,
            ));
        }
        store::append_versions(&mut tx, &versions).await?;
        audit(
            &mut tx,
            who,
            "budget_approve",
            &format!("{mof_div_code}/{fiscal_year}"),
            serde_json::to_value(&summary).unwrap_or_default(),
            ctx,
        )
        .await?;
        tx.commit().await?;
        Ok(summary)
    }

    /// 预下达: before approval, `ratio_bp` basis points of every 二上 line of the region not
    /// yet pre-released become an indicator now (rounded down to the fen).
    pub async fn budget_pre_release(
        &self,
        who: &Principal,
        fiscal_year: i64,
        mof_div_code: &str,
        ratio_bp: i64,
        doc: &ApprovalDoc,
        ctx: &RequestCtx,
    ) -> Result<ApprovalSummary, AppError> {
        require_region_budget_division(who, mof_div_code)?;
        if !(1..=PRE_RELEASE_BP_MAX).contains(&ratio_bp) {
            return Err(Rejection::NumberOutOfRange {
                field: "预下达比例",
                min: 1,
                max: PRE_RELEASE_BP_MAX,
            }
            .into());
        }
        let doc = check_doc(doc)?;
        let mut tx = self.db.begin().await?;
        let sheets: Vec<SheetRow> = store::sheets_of_region(&mut tx, fiscal_year, mof_div_code)
            .await?
            .into_iter()
            .filter(|sheet| {
                stage_of(sheet)
                    .is_ok_and(|(stage, status)| SheetMove::PreRelease.check(stage, status).is_ok())
            })
            .collect();
        let mut lines = Vec::new();
        for sheet in &sheets {
            lines.extend(
                store::lines_of_sheet_tx(&mut tx, &sheet.sheet_id)
                    .await?
                    .into_iter()
                    .filter(|line| line.bgt_id.is_none()),
            );
        }
        let shares: Vec<i64> = lines
            .iter()
            .map(|line| {
                i64::try_from(i128::from(line.amount_fen) * i128::from(ratio_bp) / 10_000)
                    .unwrap_or(0)
            })
            .collect();
        let moves: Vec<LedgerMove<'_>> = lines
            .iter()
            .zip(&shares)
            .filter(|(_, share)| **share > 0)
            .map(|(line, share)| LedgerMove::Enter {
                line,
                amount: Fen(*share),
            })
            .collect();
        if moves.is_empty() {
            return Err(Rejection::BudgetStageForbids {
                action: "预下达",
                state: "没有可预下达的二上预算明细".to_owned(),
            }
            .into());
        }
        let batch_id = crate::crypto::random_id()?;
        let created = write_moves(
            &mut tx,
            &moves,
            &doc,
            "预算预下达",
            &batch_id,
            who.user_name.as_str(),
        )
        .await?;
        let at = now();
        let mut summary = ApprovalSummary {
            units: sheets.len(),
            lines: created.len(),
            indicators_created: created.len(),
            ..ApprovalSummary::default()
        };
        let by_sheet: std::collections::BTreeMap<&str, &SheetRow> = sheets
            .iter()
            .map(|sheet| (sheet.sheet_id.as_str(), sheet))
            .collect();
        let mut versions = Vec::new();
        let released = lines.iter().zip(&shares).filter(|(_, share)| **share > 0);
        for ((line, share), bgt_id) in released.zip(&created) {
            let mut line = line.clone();
            line.pre_amt = *share;
            line.bgt_id = Some(bgt_id.to_string());
            line.updated_by = who.user_name.to_string();
            line.updated_at = at.clone();
            store::update_line(&mut tx, &line).await?;
            store::set_indicator_pman(&mut tx, bgt_id.as_str(), &line.bgt_pman_id).await?;
            summary.total_fen += share;
            if let Some(sheet) = by_sheet.get(line.sheet_id.as_str()) {
                versions.push(version(
                    sheet,
                    "line",
                    &line.key().text(),
                    "pre_released",
                    None,
                    Some(*share),
                    doc.doc_no.clone(),
                    None,
                    who.user_name.as_str(),
                    &at,
                ));
            }
        }
        store::append_versions(&mut tx, &versions).await?;
        audit(
            &mut tx,
            who,
            "budget_pre_release",
            &format!("{mof_div_code}/{fiscal_year}"),
            serde_json::json!({ "ratio_bp": ratio_bp, "lines": summary.lines, "total_fen": summary.total_fen }),
            ctx,
        )
        .await?;
        tx.commit().await?;
        Ok(summary)
    }
}
