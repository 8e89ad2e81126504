//! The region year-end close (年终结转结余) planned in bulk, pure: from the open indicators of
//! one region and year with their figures, every line of the close — the frozen money released
//! first, the carry (结转) into a new indicator of next year, the rest lapsing (结余) back to
//! the region's 总待分 pool — numbered exactly as `plan` numbers an `Operation::YearEnd` of the
//! same lines. The store writes a `RegionClose` with set-based statements; `transfers()`
//! expands it into the specs `plan` would produce, which the tests compare (ADR 0011).

use serde::{Deserialize, Serialize};

use crate::code::FiscalYear;
use crate::ledger::control::CtrlLevel;
use crate::ledger::indicator::{ExeFlag, IndicatorElements, PoolLevel};
use crate::ledger::operation::{CarryLine, IndicatorFacts, Operation, SOURCE_TYPE_CARRY_OVER};
use crate::ledger::{AccountId, AccountKind, BgtId, Reason, TransferId, TransferSpec};
use crate::money::Fen;
use crate::rejection::Rejection;

/// What a year-end carries over (结转) and what lapses (结余).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CarryRule {
    /// Carry every open balance.
    All,
    /// Carry project indicators (with a `pro_code`); lapse the rest (basic expenditure).
    ProjectsOnly,
    /// Lapse everything.
    Nothing,
}

impl CarryRule {
    pub fn code(self) -> &'static str {
        match self {
            CarryRule::All => "all",
            CarryRule::ProjectsOnly => "projects",
            CarryRule::Nothing => "nothing",
        }
    }

    /// Accepts `projects` and `projects_only` for the projects rule.
    pub fn from_code(code: &str) -> Option<CarryRule> {
        match code.trim() {
            "all" => Some(CarryRule::All),
            "projects" | "projects_only" => Some(CarryRule::ProjectsOnly),
            "nothing" => Some(CarryRule::Nothing),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CarryRule::All => "全部结转",
            CarryRule::ProjectsOnly => "项目结转、基本支出结余收回",
            CarryRule::Nothing => "全部结余收回",
        }
    }

    /// What this rule carries of an indicator whose open balance (可用 + 冻结) is `open_fen`.
    pub fn carry_of(self, elements: &IndicatorElements, open_fen: i64) -> Fen {
        let carry = match self {
            CarryRule::All => open_fen,
            CarryRule::ProjectsOnly if !elements.pro_code.is_empty() => open_fen,
            _ => 0,
        };
        Fen(carry.max(0))
    }
}

/// One open indicator of the region and year, as read with its figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenIndicator {
    pub bgt_id: BgtId,
    pub facts: IndicatorFacts,
}

/// The close of one indicator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseLine {
    pub bgt_id: BgtId,
    /// Released from 冻结 back to 可用 first.
    pub frozen_fen: i64,
    pub carry_fen: i64,
    pub lapse_fen: i64,
    /// The next year's indicator, when something is carried.
    pub new_bgt_id: Option<BgtId>,
    /// The number of this line's first transfer (`{batch_id}.{n}`); the others follow in the
    /// order release, carry, lapse, each only when its amount is positive.
    pub first_n: u64,
    /// The 可用 balance this line leaves (0, or the negative balance of an overdrawn
    /// indicator): the store checks it after writing, so a concurrent change is detected.
    pub avail_after_fen: i64,
}

impl CloseLine {
    /// Transfers of this line.
    pub fn n_transfers(&self) -> u64 {
        u64::from(self.frozen_fen > 0)
            + u64::from(self.carry_fen > 0)
            + u64::from(self.lapse_fen > 0)
    }
}

/// The whole close of one region and year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionClose {
    pub fiscal_year: FiscalYear,
    /// The region's 总待分 pool of the year, if it has one.
    pub pool: Option<BgtId>,
    /// Where lapsed money goes (结余收回): the pool's 可用 account, or — for a region whose
    /// indicators were all approved straight from its budget source, without a 总待分 pool —
    /// the region-year's source account (预算来源) it came from.
    pub lapse_to: AccountId,
    pub lines: Vec<CloseLine>,
    pub totals: CloseTotals,
}

/// The figures of a close (its record).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseTotals {
    /// Executable indicators closed.
    pub n_closed: i64,
    /// New indicators of next year (one per carried line).
    pub n_carried: i64,
    pub carried_fen: i64,
    pub lapsed_fen: i64,
    pub released_fen: i64,
    pub n_transfers: i64,
}

/// The elements of the next year's indicator that carries `old`'s money (上年结转).
pub fn carried_elements(old_id: &BgtId, old: &IndicatorElements) -> IndicatorElements {
    let mut elements = old.clone();
    elements.fiscal_year = FiscalYear(old.fiscal_year.0 + 1);
    elements.ori_bgt_id = Some(old_id.clone());
    elements.source_type_code = SOURCE_TYPE_CARRY_OVER.to_owned();
    elements
}

/// The region's 总待分 pool among its open indicators.
pub fn total_pool(indicators: &[OpenIndicator]) -> Result<&OpenIndicator, Rejection> {
    indicators
        .iter()
        .find(|row| {
            row.facts.elements.pool_level == Some(PoolLevel::Total)
                && row.facts.elements.bgt_exe_flag == ExeFlag::Pool
        })
        .ok_or(Rejection::NotFound {
            what: "本年度的总待分指标",
        })
}

/// The carry lines `rule` gives the open executable indicators (the `Operation::YearEnd` the
/// flow path would approve).
pub fn carry_lines(indicators: &[OpenIndicator], rule: CarryRule) -> Vec<CarryLine> {
    indicators
        .iter()
        .filter(|row| row.facts.elements.bgt_exe_flag == ExeFlag::Executable && !row.facts.closed)
        .map(|row| CarryLine {
            bgt_id: row.bgt_id.clone(),
            carry: rule.carry_of(
                &row.facts.elements,
                row.facts.figures.available_fen + row.facts.figures.frozen_fen,
            ),
        })
        .collect()
}

/// The year-end operation of the region, for the flow path and for comparisons.
pub fn operation_of(indicators: &[OpenIndicator], rule: CarryRule) -> Result<Operation, Rejection> {
    Ok(Operation::YearEnd {
        pool: total_pool(indicators)?.bgt_id.clone(),
        lines: carry_lines(indicators, rule),
    })
}

/// Plans the close of one region and year from its open indicators (all of one region and
/// year, the pools among them). Refuses when any indicator still holds a reservation (in one
/// rejection that counts them), when the region has neither a 总待分 pool nor an executable
/// indicator, or when the indicators are of different years. Lapsed money goes to the 总待分
/// pool, or to the region-year's source account when there is no pool. `new_id` names each
/// next-year indicator.
pub fn plan_region(
    indicators: &[OpenIndicator],
    rule: CarryRule,
    new_id: &mut dyn FnMut() -> BgtId,
) -> Result<RegionClose, Rejection> {
    let pool = total_pool(indicators).ok();
    let executable: Vec<&OpenIndicator> = indicators
        .iter()
        .filter(|row| row.facts.elements.bgt_exe_flag == ExeFlag::Executable && !row.facts.closed)
        .collect();
    let anchor = match (pool, executable.first()) {
        (Some(pool), _) => &pool.facts.elements,
        (None, Some(first)) => &first.facts.elements,
        (None, None) => {
            return Err(Rejection::NotFound {
                what: "本年度的总待分指标",
            });
        }
    };
    let fiscal_year = anchor.fiscal_year;
    let lapse_to = match pool {
        Some(pool) => AccountId::of(&pool.bgt_id, AccountKind::Avail),
        None => AccountId::source(&anchor.mof_div_code, fiscal_year),
    };
    if executable
        .iter()
        .any(|row| row.facts.elements.fiscal_year != fiscal_year)
    {
        return Err(Rejection::IndicatorYearMismatch);
    }
    let blocked = executable
        .iter()
        .filter(|row| row.facts.figures.reserved_fen != 0)
        .count();
    if blocked > 0 {
        return Err(Rejection::YearEndOpenReservations {
            n_indicators: i64::try_from(blocked).unwrap_or(i64::MAX),
        });
    }
    let mut totals = CloseTotals::default();
    let (mut carried, mut lapsed, mut released) = (0_i128, 0_i128, 0_i128);
    let mut next_n = 1_u64;
    let mut lines = Vec::with_capacity(executable.len());
    for row in executable {
        let figures = &row.facts.figures;
        let open_fen = figures.available_fen + figures.frozen_fen;
        let carry_fen = rule.carry_of(&row.facts.elements, open_fen).0;
        let lapse_fen = (open_fen - carry_fen).max(0);
        let frozen_fen = figures.frozen_fen.max(0);
        let new_bgt_id = (carry_fen > 0).then(&mut *new_id);
        let line = CloseLine {
            bgt_id: row.bgt_id.clone(),
            frozen_fen,
            carry_fen,
            lapse_fen,
            new_bgt_id,
            first_n: next_n,
            avail_after_fen: figures.available_fen + frozen_fen - carry_fen - lapse_fen,
        };
        next_n += line.n_transfers();
        totals.n_closed += 1;
        totals.n_carried += i64::from(carry_fen > 0);
        carried += i128::from(carry_fen);
        lapsed += i128::from(lapse_fen);
        released += i128::from(frozen_fen);
        lines.push(line);
    }
    let too_large = || Rejection::AmountTooLarge {
        field: "结转结余合计",
        yuan_max: crate::ledger::AMOUNT_MAX_YUAN,
    };
    totals.carried_fen = i64::try_from(carried).map_err(|_| too_large())?;
    totals.lapsed_fen = i64::try_from(lapsed).map_err(|_| too_large())?;
    totals.released_fen = i64::try_from(released).map_err(|_| too_large())?;
    totals.n_transfers = i64::try_from(next_n - 1).unwrap_or(i64::MAX);
    Ok(RegionClose {
        fiscal_year,
        pool: pool.map(|pool| pool.bgt_id.clone()),
        lapse_to,
        lines,
        totals,
    })
}

impl RegionClose {
    /// The transfers of the close as `plan` would build them for `batch_id` (tests, and the
    /// reference of what the store writes set-based).
    pub fn transfers(&self, batch_id: &str) -> Result<Vec<TransferSpec>, Rejection> {
        let mut out = Vec::new();
        let pool_avail = self.lapse_to.clone();
        for line in &self.lines {
            let avail = AccountId::of(&line.bgt_id, AccountKind::Avail);
            let mut n = line.first_n;
            let mut push = |debit: AccountId, credit: AccountId, amount: i64, reason: Reason| {
                let transfer_id = TransferId::parse(&format!("{batch_id}.{n}"))?;
                n += 1;
                out.push(TransferSpec::posted(
                    transfer_id,
                    debit,
                    credit,
                    Fen(amount),
                    reason,
                    CtrlLevel::Strict,
                ));
                Ok::<(), Rejection>(())
            };
            if line.frozen_fen > 0 {
                push(
                    AccountId::of(&line.bgt_id, AccountKind::Frozen),
                    avail.clone(),
                    line.frozen_fen,
                    Reason::Unfreeze,
                )?;
            }
            if let (true, Some(new_bgt_id)) = (line.carry_fen > 0, &line.new_bgt_id) {
                push(
                    avail.clone(),
                    AccountId::of(new_bgt_id, AccountKind::Avail),
                    line.carry_fen,
                    Reason::CarryOver,
                )?;
            }
            if line.lapse_fen > 0 {
                push(avail, pool_avail.clone(), line.lapse_fen, Reason::Lapse)?;
            }
        }
        Ok(out)
    }
}
