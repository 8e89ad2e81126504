//! Indicator operations (DOMAIN.md §4.5) and `plan`, which turns one operation plus the facts
//! of the indicators it touches into new indicators and linked transfers. The plan checks
//! every rule it can see; the store still applies each debit with a conditional update, so a
//! balance that moved since the facts were read cannot be overdrawn.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::code::FiscalYear;
use crate::ledger::control::{ControlPoint, ControlTable, CtrlLevel};
use crate::ledger::indicator::{CLASSIFICATION_FIELDS, ExeFlag, IndicatorDraft, IndicatorElements};
use crate::ledger::{
    AccountId, AccountKind, BATCH_TRANSFERS_MAX, BgtId, Figures, Reason, TransferId, TransferSpec,
    check_amount,
};
use crate::money::Fen;
use crate::rejection::Rejection;

/// `source_type_code` of an indicator carried over from last year (上年结转) [I: DOMAIN.md §3.5
/// names the label, not its code].
pub const SOURCE_TYPE_CARRY_OVER: &str = "2";
/// Basis points in a whole: a ratio of 10000 freezes everything available.
pub const RATIO_BASIS_POINTS: u32 = 10_000;

/// One indicator operation. Amounts are fen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Operation {
    /// 录入 / 下达: a new indicator from a new document (money from the region's source).
    Enter {
        indicator: IndicatorDraft,
        amount: Fen,
    },
    /// 分解 / 分配: new child indicators from a pool or an indicator, refining its
    /// classification.
    Split {
        from: BgtId,
        children: Vec<SplitChild>,
    },
    /// 追加: more money for an indicator, from a pool or (no `from`) a new document.
    Supplement {
        to: BgtId,
        from: Option<BgtId>,
        amount: Fen,
    },
    /// 追减 / 收回: back to a pool or (no `to`) out of the budget.
    Cut {
        from: BgtId,
        to: Option<BgtId>,
        amount: Fen,
    },
    /// 调剂: legs that succeed or fail together.
    Reallocate { legs: Vec<ReallocateLeg> },
    /// 冻结, by amount or by ratio of what is available, with a reason.
    Freeze {
        bgt_id: BgtId,
        by: FreezeBy,
        reason: String,
    },
    /// 解冻.
    Unfreeze {
        bgt_id: BgtId,
        amount: Fen,
        reason: String,
    },
    /// 核销: a formal indicator absorbs what an advance (预拨) spent.
    WriteOff {
        formal: BgtId,
        advance: BgtId,
        amount: Fen,
    },
    /// 结转 / 结余: each line's carry goes into a new indicator of next year; the rest lapses
    /// back to `pool`, and the old indicators close.
    YearEnd { pool: BgtId, lines: Vec<CarryLine> },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitChild {
    pub indicator: IndicatorDraft,
    pub amount: Fen,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReallocateLeg {
    pub from: BgtId,
    pub to: BgtId,
    pub amount: Fen,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FreezeBy {
    Amount(Fen),
    /// Basis points of the available balance, 1–10000 (2500 = 25%).
    Ratio(u32),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarryLine {
    pub bgt_id: BgtId,
    /// Carried into next year; the rest of the available balance lapses.
    pub carry: Fen,
}

/// What `plan` needs to know about an existing indicator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndicatorFacts {
    pub elements: IndicatorElements,
    pub figures: Figures,
    pub closed: bool,
}

/// The stored facts of one operation.
#[derive(Clone, Debug, Default)]
pub struct PlanFacts {
    pub indicators: BTreeMap<BgtId, IndicatorFacts>,
    /// `agency_code → agency_path` of every unit the operation names.
    pub agency_paths: BTreeMap<String, String>,
    pub controls: ControlTable,
}

/// The writes of one operation, applied in one transaction by the store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub new_indicators: Vec<(BgtId, IndicatorElements)>,
    pub transfers: Vec<TransferSpec>,
    /// Indicators closed by a year-end.
    pub closes: Vec<BgtId>,
}

impl Operation {
    pub fn label(&self) -> &'static str {
        match self {
            Operation::Enter { .. } => "指标录入下达",
            Operation::Split { .. } => "指标分解",
            Operation::Supplement { .. } => "指标追加",
            Operation::Cut { .. } => "指标追减收回",
            Operation::Reallocate { .. } => "指标调剂",
            Operation::Freeze { .. } => "指标冻结",
            Operation::Unfreeze { .. } => "指标解冻",
            Operation::WriteOff { .. } => "预拨核销",
            Operation::YearEnd { .. } => "年终结转结余",
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Operation::Enter { .. } => "enter",
            Operation::Split { .. } => "split",
            Operation::Supplement { .. } => "supplement",
            Operation::Cut { .. } => "cut",
            Operation::Reallocate { .. } => "reallocate",
            Operation::Freeze { .. } => "freeze",
            Operation::Unfreeze { .. } => "unfreeze",
            Operation::WriteOff { .. } => "write_off",
            Operation::YearEnd { .. } => "year_end",
        }
    }

    /// Every existing indicator the operation names, for the facts to load.
    pub fn referenced(&self) -> Vec<BgtId> {
        match self {
            Operation::Enter { .. } => Vec::new(),
            Operation::Split { from, .. } => vec![from.clone()],
            Operation::Supplement { to, from, .. } => {
                std::iter::once(to.clone()).chain(from.clone()).collect()
            }
            Operation::Cut { from, to, .. } => {
                std::iter::once(from.clone()).chain(to.clone()).collect()
            }
            Operation::Reallocate { legs } => legs
                .iter()
                .flat_map(|leg| [leg.from.clone(), leg.to.clone()])
                .collect(),
            Operation::Freeze { bgt_id, .. } | Operation::Unfreeze { bgt_id, .. } => {
                vec![bgt_id.clone()]
            }
            Operation::WriteOff {
                formal, advance, ..
            } => vec![formal.clone(), advance.clone()],
            Operation::YearEnd { pool, lines } => std::iter::once(pool.clone())
                .chain(lines.iter().map(|line| line.bgt_id.clone()))
                .collect(),
        }
    }

    /// The units the operation names (their paths are facts for the split rule).
    pub fn named_agencies(&self) -> Vec<String> {
        match self {
            Operation::Enter { indicator, .. } => vec![indicator.agency_code.trim().to_owned()],
            Operation::Split { children, .. } => children
                .iter()
                .map(|child| child.indicator.agency_code.trim().to_owned())
                .collect(),
            _ => Vec::new(),
        }
        .into_iter()
        .filter(|code| !code.is_empty())
        .collect()
    }

    /// The document amount the flow's conditions see: the money the operation moves.
    pub fn amount(&self) -> Fen {
        let sum = |amounts: &mut dyn Iterator<Item = Fen>| {
            let total: i128 = amounts.map(|fen| i128::from(fen.0)).sum();
            Fen(i64::try_from(total).unwrap_or(i64::MAX))
        };
        match self {
            Operation::Enter { amount, .. }
            | Operation::Supplement { amount, .. }
            | Operation::Cut { amount, .. }
            | Operation::Unfreeze { amount, .. }
            | Operation::WriteOff { amount, .. } => *amount,
            Operation::Freeze { by, .. } => match by {
                FreezeBy::Amount(amount) => *amount,
                FreezeBy::Ratio(_) => Fen::ZERO,
            },
            Operation::Split { children, .. } => {
                sum(&mut children.iter().map(|child| child.amount))
            }
            Operation::Reallocate { legs } => sum(&mut legs.iter().map(|leg| leg.amount)),
            Operation::YearEnd { lines, .. } => sum(&mut lines.iter().map(|line| line.carry)),
        }
    }
}

/// Builds the transfers of `operation`. `doc_id` prefixes the transfer ids (`{doc_id}.{n}`),
/// so applying the same approved document twice is recognised as a repeat; `new_id` names
/// each indicator the operation creates.
pub fn plan(
    operation: &Operation,
    facts: &PlanFacts,
    doc_id: &str,
    new_id: &mut dyn FnMut() -> BgtId,
) -> Result<Plan, Rejection> {
    let mut builder = Builder {
        facts,
        doc_id,
        plan: Plan::default(),
    };
    match operation {
        Operation::Enter { indicator, amount } => {
            check_amount(*amount, "金额")?;
            let elements = indicator.parse()?;
            let source = AccountId::source(&elements.mof_div_code, elements.fiscal_year);
            let bgt_id = new_id();
            builder.transfer(
                source,
                &bgt_id,
                AccountKind::Avail,
                *amount,
                Reason::Enter,
                CtrlLevel::None,
            )?;
            builder.plan.new_indicators.push((bgt_id, elements));
        }
        Operation::Split { from, children } => builder.split(from, children, new_id)?,
        Operation::Supplement { to, from, amount } => {
            check_amount(*amount, "追加金额")?;
            let target = builder.open(to)?;
            let (debit, ctrl) = match from {
                Some(pool) => {
                    let source = builder.open(pool)?;
                    same_year(source, target)?;
                    distinct(pool, to)?;
                    let ctrl = builder.ctrl(source, ControlPoint::Allocate);
                    builder.check_available(pool, source, *amount, ctrl)?;
                    (AccountId::of(pool, AccountKind::Avail), ctrl)
                }
                None => (
                    AccountId::source(&target.elements.mof_div_code, target.elements.fiscal_year),
                    CtrlLevel::None,
                ),
            };
            builder.transfer(
                debit,
                to,
                AccountKind::Avail,
                *amount,
                Reason::Supplement,
                ctrl,
            )?;
        }
        Operation::Cut { from, to, amount } => {
            check_amount(*amount, "追减金额")?;
            let source = builder.open(from)?;
            builder.check_available(from, source, *amount, CtrlLevel::Strict)?;
            let credit = match to {
                Some(pool) => {
                    let target = builder.open(pool)?;
                    same_year(source, target)?;
                    distinct(from, pool)?;
                    AccountId::of(pool, AccountKind::Avail)
                }
                None => {
                    AccountId::source(&source.elements.mof_div_code, source.elements.fiscal_year)
                }
            };
            builder.push(
                AccountId::of(from, AccountKind::Avail),
                credit,
                *amount,
                Reason::Cut,
                CtrlLevel::Strict,
            )?;
        }
        Operation::Reallocate { legs } => builder.reallocate(legs)?,
        Operation::Freeze { bgt_id, by, reason } => {
            reason_text(reason)?;
            let facts = builder.open(bgt_id)?;
            let ctrl = builder.ctrl(facts, ControlPoint::Freeze);
            let amount = match by {
                FreezeBy::Amount(amount) => check_amount(*amount, "冻结金额")?,
                FreezeBy::Ratio(basis_points) => {
                    if *basis_points == 0 || *basis_points > RATIO_BASIS_POINTS {
                        return Err(Rejection::NumberOutOfRange {
                            field: "冻结比例（万分比）",
                            min: 1,
                            max: i64::from(RATIO_BASIS_POINTS),
                        });
                    }
                    let available = i128::from(facts.figures.available_fen.max(0));
                    let share =
                        available * i128::from(*basis_points) / i128::from(RATIO_BASIS_POINTS);
                    check_amount(Fen(i64::try_from(share).unwrap_or(i64::MAX)), "冻结金额")?
                }
            };
            builder.check_available(bgt_id, facts, amount, ctrl)?;
            builder.push(
                AccountId::of(bgt_id, AccountKind::Avail),
                AccountId::of(bgt_id, AccountKind::Frozen),
                amount,
                Reason::Freeze,
                ctrl,
            )?;
        }
        Operation::Unfreeze {
            bgt_id,
            amount,
            reason,
        } => {
            reason_text(reason)?;
            check_amount(*amount, "解冻金额")?;
            let facts = builder.open(bgt_id)?;
            if amount.0 > facts.figures.frozen_fen {
                return Err(Rejection::ExceedsFrozenAmount {
                    bgt_id: bgt_id.to_string(),
                    frozen_fen: facts.figures.frozen_fen,
                });
            }
            builder.push(
                AccountId::of(bgt_id, AccountKind::Frozen),
                AccountId::of(bgt_id, AccountKind::Avail),
                *amount,
                Reason::Unfreeze,
                CtrlLevel::Strict,
            )?;
        }
        Operation::WriteOff {
            formal,
            advance,
            amount,
        } => builder.write_off(formal, advance, *amount)?,
        Operation::YearEnd { pool, lines } => builder.year_end(pool, lines, new_id)?,
    }
    if builder.plan.transfers.len() > BATCH_TRANSFERS_MAX
        && !matches!(operation, Operation::YearEnd { .. })
    {
        return Err(Rejection::NumberOutOfRange {
            field: "明细行数",
            min: 1,
            max: BATCH_TRANSFERS_MAX as i64,
        });
    }
    Ok(builder.plan)
}

struct Builder<'a> {
    facts: &'a PlanFacts,
    doc_id: &'a str,
    plan: Plan,
}

impl<'a> Builder<'a> {
    /// The facts of an existing, open indicator.
    fn open(&self, bgt_id: &BgtId) -> Result<&'a IndicatorFacts, Rejection> {
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

    fn ctrl(&self, facts: &IndicatorFacts, point: ControlPoint) -> CtrlLevel {
        self.facts.controls.level_for(&facts.elements, point)
    }

    /// Refuses a strictly controlled debit the facts already show to be too large.
    fn check_available(
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

    fn next_id(&self) -> Result<TransferId, Rejection> {
        TransferId::parse(&format!(
            "{}.{}",
            self.doc_id,
            self.plan.transfers.len() + 1
        ))
    }

    fn push(
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

    fn transfer(
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

    fn split(
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
    fn check_child(
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

    fn reallocate(&mut self, legs: &[ReallocateLeg]) -> Result<(), Rejection> {
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

    fn write_off(&mut self, formal: &BgtId, advance: &BgtId, amount: Fen) -> Result<(), Rejection> {
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

    fn year_end(
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

fn same_year(a: &IndicatorFacts, b: &IndicatorFacts) -> Result<(), Rejection> {
    if a.elements.fiscal_year != b.elements.fiscal_year {
        return Err(Rejection::IndicatorYearMismatch);
    }
    Ok(())
}

fn distinct(a: &BgtId, b: &BgtId) -> Result<(), Rejection> {
    if a == b {
        return Err(Rejection::IndicatorSameOnBothSides);
    }
    Ok(())
}

fn reason_text(reason: &str) -> Result<(), Rejection> {
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
