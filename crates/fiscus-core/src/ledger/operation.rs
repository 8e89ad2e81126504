//! Indicator operations (DOMAIN.md §4.5) and `plan`, which turns one operation plus the facts
//! of the indicators it touches into new indicators and linked transfers. The plan checks
//! every rule it can see; the store still applies each debit with a conditional update, so a
//! balance that moved since the facts were read cannot be overdrawn.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ledger::control::{ControlPoint, ControlTable, CtrlLevel};
use crate::ledger::indicator::{IndicatorDraft, IndicatorElements};
use crate::ledger::{
    AccountId, AccountKind, BATCH_TRANSFERS_MAX, BgtId, Figures, Reason, TransferSpec, check_amount,
};
use crate::money::Fen;
use crate::rejection::Rejection;

mod builder;

use builder::{Builder, distinct, reason_text, same_year};

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
