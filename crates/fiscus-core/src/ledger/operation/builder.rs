//! The builder behind `plan`: the rules of each operation on the facts of its indicators, and
//! the transfers they produce, numbered after the document.

use std::collections::BTreeMap;

use crate::code::FiscalYear;
use crate::ledger::control::{ControlPoint, CtrlLevel};
use crate::ledger::indicator::{CLASSIFICATION_FIELDS, ExeFlag, IndicatorElements};
use crate::ledger::operation::{
    CarryLine, IndicatorFacts, Plan, PlanFacts, ReallocateLeg, SOURCE_TYPE_CARRY_OVER, SplitChild,
};
use crate::ledger::{
    AccountId, AccountKind, BgtId, Reason, TransferId, TransferSpec, check_amount,
};
use crate::money::Fen;
use crate::rejection::Rejection;

pub(super) struct Builder<'a> {
    pub(super) facts: &'a PlanFacts,
    pub(super) doc_id: &'a str,
    pub(super) plan: Plan,
}

impl<'a> Builder<'a> {
    /// The facts of an existing, open indicator.
    pub(super) fn open(&self, bgt_id: &BgtId) -> Result<&'a IndicatorFacts, Rejection> {
        let facts = self
            .facts
            .indicators
            .get(bgt_id)
            .ok_or(Rejection::NotFound { what: "指标" })?;
        if facts.closed {
            return Err(Rejection::IndicatorClosed {
                bgt_id: bgt_id.to_string(),
            });
        }
        Ok(facts)
    }

    pub(super) fn ctrl(&self, facts: &IndicatorFacts, point: ControlPoint) -> CtrlLevel {
        self.facts.controls.level_for(&facts.elements, point)
    }

    /// Refuses a strictly controlled debit the facts already show to be too large.
    pub(super) fn check_available(
        &self,
        bgt_id: &BgtId,
        facts: &IndicatorFacts,
        amount: Fen,
        ctrl: CtrlLevel,
    ) -> Result<(), Rejection> {
        if ctrl == CtrlLevel::Strict && amount.0 > facts.figures.available_fen {
            return Err(Rejection::ExceedsAvailableBalance {
                bgt_id: bgt_id.to_string(),
                available_fen: facts.figures.available_fen,
            });
        }
        Ok(())
    }

    pub(super) fn next_id(&self) -> Result<TransferId, Rejection> {
        TransferId::parse(&format!(
            "{}.{}",
            self.doc_id,
            self.plan.transfers.len() + 1
        ))
    }

    pub(super) fn push(
        &mut self,
        debit: AccountId,
        credit: AccountId,
        amount: Fen,
        reason: Reason,
        ctrl: CtrlLevel,
    ) -> Result<(), Rejection> {
        let transfer_id = self.next_id()?;
        self.plan.transfers.push(TransferSpec::posted(
            transfer_id,
            debit,
            credit,
            amount,
            reason,
            ctrl,
        ));
        Ok(())
    }

    pub(super) fn transfer(
        &mut self,
        debit: AccountId,
        credit: &BgtId,
        kind: AccountKind,
        amount: Fen,
        reason: Reason,
        ctrl: CtrlLevel,
    ) -> Result<(), Rejection> {
        self.push(debit, AccountId::of(credit, kind), amount, reason, ctrl)
    }

    pub(super) fn split(
        &mut self,
        from: &BgtId,
        children: &[SplitChild],
        new_id: &mut dyn FnMut() -> BgtId,
    ) -> Result<(), Rejection> {
        let parent = self.open(from)?;
        if children.is_empty() {
            return Err(Rejection::FieldRequired {
                field: "分配明细"
            });
        }
        let ctrl = self.ctrl(parent, ControlPoint::Allocate);
        let mut total = Fen::ZERO;
        for child in children {
            let amount = check_amount(child.amount, "分配金额")?;
            let mut elements = child.indicator.parse()?;
            self.check_child(parent, &mut elements)?;
            elements.ori_bgt_id = Some(from.clone());
            total = total.checked_add(amount).ok_or(Rejection::AmountTooLarge {
                field: "分配金额合计",
                yuan_max: crate::ledger::AMOUNT_MAX_YUAN,
            })?;
            let bgt_id = new_id();
            self.transfer(
                AccountId::of(from, AccountKind::Avail),
                &bgt_id,
                AccountKind::Avail,
                amount,
                Reason::Split,
                ctrl,
            )?;
            self.plan.new_indicators.push((bgt_id, elements));
        }
        self.check_available(from, parent, total, ctrl)
    }

    /// A child stays in its parent's region and year, belongs to the parent's unit or one
    /// below it, and keeps or refines every classification; empty document fields inherit.
    pub(super) fn check_child(
        &self,
        parent: &IndicatorFacts,
        child: &mut IndicatorElements,
    ) -> Result<(), Rejection> {
        let parent = &parent.elements;
        if child.mof_div_code != parent.mof_div_code {
            return Err(Rejection::ElementMismatch {
                field: "财政区划"
            });
        }
        if child.fiscal_year != parent.fiscal_year {
            return Err(Rejection::IndicatorYearMismatch);
        }
        if let Some(parent_agency) = &parent.agency_code {
            let under = child.agency_code.as_ref().is_some_and(|code| {
                code == parent_agency || {
                    let path = |code: &str| self.facts.agency_paths.get(code);
                    match (path(parent_agency.as_str()), path(code.as_str())) {
                        (Some(parent_path), Some(child_path)) => {
                            child_path.starts_with(parent_path.as_str())
                        }
                        _ => false,
                    }
                }
            });
            if !under {
                return Err(Rejection::ElementMismatch {
                    field: "预算单位"
                });
            }
        }
        for (field, label) in CLASSIFICATION_FIELDS {
            let parent_code = parent.classification(field);
            if !parent_code.is_empty() && !child.classification(field).starts_with(parent_code) {
                return Err(Rejection::ClassificationNotRefinement { field: label });
            }
        }
        for (mine, inherited) in [
            (&mut child.cor_bgt_doc_no, &parent.cor_bgt_doc_no),
            (&mut child.sup_bgt_doc_no, &parent.sup_bgt_doc_no),
            (&mut child.doc_date, &parent.doc_date),
        ] {
            if mine.is_empty() {
                mine.clone_from(inherited);
            }
        }
        Ok(())
    }

    pub(super) fn reallocate(&mut self, legs: &[ReallocateLeg]) -> Result<(), Rejection> {
        if legs.is_empty() {
            return Err(Rejection::FieldRequired {
                field: "调剂明细"
            });
        }
        let mut out_of: BTreeMap<&BgtId, i128> = BTreeMap::new();
        let mut year: Option<FiscalYear> = None;
        for leg in legs {
            check_amount(leg.amount, "调剂金额")?;
            distinct(&leg.from, &leg.to)?;
            let source = self.open(&leg.from)?;
            let target = self.open(&leg.to)?;
            same_year(source, target)?;
            if year.is_some_and(|year| year != source.elements.fiscal_year) {
                return Err(Rejection::IndicatorYearMismatch);
            }
            year = Some(source.elements.fiscal_year);
            *out_of.entry(&leg.from).or_default() += i128::from(leg.amount.0);
            self.transfer(
                AccountId::of(&leg.from, AccountKind::Avail),
                &leg.to,
                AccountKind::Avail,
                leg.amount,
                Reason::Reallocate,
                CtrlLevel::Strict,
            )?;
        }
        for (bgt_id, total) in out_of {
            let facts = self.open(bgt_id)?;
            if total > i128::from(facts.figures.available_fen) {
                return Err(Rejection::ExceedsAvailableBalance {
                    bgt_id: bgt_id.to_string(),
                    available_fen: facts.figures.available_fen,
                });
            }
        }
        Ok(())
    }

    pub(super) fn write_off(
        &mut self,
        formal: &BgtId,
        advance: &BgtId,
        amount: Fen,
    ) -> Result<(), Rejection> {
        check_amount(amount, "核销金额")?;
        distinct(formal, advance)?;
        let formal_facts = self.open(formal)?;
        let advance_facts = self.open(advance)?;
        same_year(formal_facts, advance_facts)?;
        if !advance_facts.elements.is_advance() || formal_facts.elements.is_advance() {
            return Err(Rejection::NotAnAdvance {
                bgt_id: advance.to_string(),
            });
        }
        if amount.0 > advance_facts.figures.spent_fen {
            return Err(Rejection::ExceedsSpentAmount {
                bgt_id: advance.to_string(),
                spent_fen: advance_facts.figures.spent_fen,
            });
        }
        let ctrl = self.ctrl(formal_facts, ControlPoint::WriteOff);
        self.check_available(formal, formal_facts, amount, ctrl)?;
        self.push(
            AccountId::of(formal, AccountKind::Avail),
            AccountId::of(formal, AccountKind::Spent),
            amount,
            Reason::WriteOff,
            ctrl,
        )?;
        self.push(
            AccountId::of(advance, AccountKind::Spent),
            AccountId::of(advance, AccountKind::WrittenOff),
            amount,
            Reason::WriteOff,
            CtrlLevel::Strict,
        )
    }

    pub(super) fn year_end(
        &mut self,
        pool: &BgtId,
        lines: &[CarryLine],
        new_id: &mut dyn FnMut() -> BgtId,
    ) -> Result<(), Rejection> {
        if lines.is_empty() {
            return Err(Rejection::FieldRequired {
                field: "结转明细（区划内没有执行中的指标）",
            });
        }
        let pool_facts = self.open(pool)?;
        if pool_facts.elements.bgt_exe_flag != ExeFlag::Pool {
            return Err(Rejection::FieldInvalid {
                field: "结余收回指标",
                expected: "本年度的待分指标",
            });
        }
        for line in lines {
            distinct(&line.bgt_id, pool)?;
            let facts = self.open(&line.bgt_id)?;
            same_year(facts, pool_facts)?;
            if facts.figures.reserved_fen != 0 {
                return Err(Rejection::IndicatorHasReservations {
                    bgt_id: line.bgt_id.to_string(),
                });
            }
            if line.carry.0 < 0 {
                return Err(Rejection::AmountNegative {
                    field: "结转金额"
                });
            }
            let avail = AccountId::of(&line.bgt_id, AccountKind::Avail);
            if facts.figures.frozen_fen > 0 {
                self.push(
                    AccountId::of(&line.bgt_id, AccountKind::Frozen),
                    avail.clone(),
                    Fen(facts.figures.frozen_fen),
                    Reason::Unfreeze,
                    CtrlLevel::Strict,
                )?;
            }
            let open_fen = facts.figures.available_fen + facts.figures.frozen_fen;
            if line.carry.0 > open_fen {
                return Err(Rejection::ExceedsAvailableBalance {
                    bgt_id: line.bgt_id.to_string(),
                    available_fen: open_fen,
                });
            }
            if line.carry.0 > 0 {
                let mut elements = facts.elements.clone();
                elements.fiscal_year = FiscalYear(facts.elements.fiscal_year.0 + 1);
                elements.ori_bgt_id = Some(line.bgt_id.clone());
                elements.source_type_code = SOURCE_TYPE_CARRY_OVER.to_owned();
                let bgt_id = new_id();
                self.transfer(
                    avail.clone(),
                    &bgt_id,
                    AccountKind::Avail,
                    line.carry,
                    Reason::CarryOver,
                    CtrlLevel::Strict,
                )?;
                self.plan.new_indicators.push((bgt_id, elements));
            }
            let lapse = open_fen - line.carry.0;
            if lapse > 0 {
                self.transfer(
                    avail,
                    pool,
                    AccountKind::Avail,
                    Fen(lapse),
                    Reason::Lapse,
                    CtrlLevel::Strict,
                )?;
            }
            self.plan.closes.push(line.bgt_id.clone());
        }
        Ok(())
    }
}

pub(super) fn same_year(a: &IndicatorFacts, b: &IndicatorFacts) -> Result<(), Rejection> {
    if a.elements.fiscal_year != b.elements.fiscal_year {
        return Err(Rejection::IndicatorYearMismatch);
    }
    Ok(())
}

pub(super) fn distinct(a: &BgtId, b: &BgtId) -> Result<(), Rejection> {
    if a == b {
        return Err(Rejection::IndicatorSameOnBothSides);
    }
    Ok(())
}

pub(super) fn reason_text(reason: &str) -> Result<(), Rejection> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Rejection::FieldRequired { field: "原因" });
    }
    if reason.chars().count() > 200 {
        return Err(Rejection::FieldTooLong {
            field: "原因",
            length_max: 200,
        });
    }
    Ok(())
}
