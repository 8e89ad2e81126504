//! The accounting books (会计核算), pure: book types, charts of accounts, vouchers and their
//! rules (balanced, two lines at least, positive amounts, leaf accounts, open period), red
//! reversal (红字冲销), the voucher states draft → reviewed → posted and the monthly period.
//! The posting rules that turn business events into vouchers are in `rules`.

pub mod close;
pub mod rules;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::{Fen, Rejection};

/// The kind of a book. 财政总会计 is kept per region; a unit keeps 财务会计 and 预算会计 side
/// by side (平行记账: one event, one voucher in each).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookType {
    FiscalGeneral,
    UnitFinancial,
    UnitBudget,
}

impl BookType {
    pub const ALL: [BookType; 3] = [
        BookType::FiscalGeneral,
        BookType::UnitFinancial,
        BookType::UnitBudget,
    ];

    pub fn code(self) -> &'static str {
        match self {
            BookType::FiscalGeneral => "fiscal_general",
            BookType::UnitFinancial => "unit_financial",
            BookType::UnitBudget => "unit_budget",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            BookType::FiscalGeneral => "财政总会计",
            BookType::UnitFinancial => "单位财务会计",
            BookType::UnitBudget => "单位预算会计",
        }
    }

    pub fn parse(text: &str) -> Result<BookType, Rejection> {
        BookType::ALL
            .into_iter()
            .find(|book| book.code() == text || book.name_zh() == text)
            .ok_or(Rejection::FieldInvalid {
                field: "账套类型",
                expected: "fiscal_general、unit_financial 或 unit_budget",
            })
    }

    /// A unit's book (kept per agency) rather than a region's.
    pub fn is_unit(self) -> bool {
        !matches!(self, BookType::FiscalGeneral)
    }
}

/// The normal balance side of an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Debit,
    Credit,
}

impl Direction {
    pub fn parse(text: &str) -> Option<Direction> {
        match text {
            "借" => Some(Direction::Debit),
            "贷" => Some(Direction::Credit),
            _ => None,
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Direction::Debit => "借",
            Direction::Credit => "贷",
        }
    }
}

/// One account of a chart (会计科目).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub direction: Direction,
    pub category: String,
}

/// Parses a chart file (`code,name,parent_code,direction,category`): parents come first, a
/// child's code starts with its parent's, codes are unique. Returns the accounts in file order.
pub fn parse_chart(csv: &str) -> Result<Vec<Account>, String> {
    let mut accounts: Vec<Account> = Vec::new();
    for (index, line) in csv.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        let [code, name, parent_code, direction, category] = fields[..] else {
            return Err(format!("line {}: five fields expected", index + 1));
        };
        let direction = Direction::parse(direction)
            .ok_or_else(|| format!("line {}: direction 借 or 贷", index + 1))?;
        let known = |c: &str| accounts.iter().any(|a| a.code == c);
        if code.is_empty() || name.is_empty() || known(code) {
            return Err(format!("line {}: empty or repeated code {code}", index + 1));
        }
        if !parent_code.is_empty() && (!known(parent_code) || !code.starts_with(parent_code)) {
            return Err(format!(
                "line {}: parent {parent_code} of {code}",
                index + 1
            ));
        }
        accounts.push(Account {
            code: code.to_owned(),
            name: name.to_owned(),
            parent_code: Some(parent_code.to_owned()).filter(|p| !p.is_empty()),
            direction,
            category: category.to_owned(),
        });
    }
    Ok(accounts)
}

/// Is `code` a leaf of `accounts` (an account without children), the only kind that takes
/// entries?
pub fn is_leaf(accounts: &[Account], code: &str) -> bool {
    accounts.iter().any(|a| a.code == code)
        && !accounts
            .iter()
            .any(|a| a.parent_code.as_deref() == Some(code))
}

/// The auxiliary dimensions (辅助核算) a line carries; an empty string is "none".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dimensions {
    pub agency_code: String,
    pub exp_func_code: String,
    pub dep_bgt_eco_code: String,
    pub fund_type_code: String,
    pub pro_code: String,
    pub bgt_id: String,
}

/// One line of a voucher: one side carries the amount, the other is zero. A red reversal's
/// lines carry negative amounts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoucherLine {
    pub account_code: String,
    pub debit: Fen,
    pub credit: Fen,
    pub dimensions: Dimensions,
}

/// A voucher before it is stored: the book it belongs to is given beside it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoucherDraft {
    pub book_type: BookType,
    pub fiscal_year: i32,
    /// The month, 1 to 12.
    pub period: u8,
    /// `YYYY-MM-DD`.
    pub voucher_date: String,
    pub summary: String,
    pub lines: Vec<VoucherLine>,
}

/// The most lines one voucher may have.
pub const VOUCHER_LINES_MAX: usize = 200;

/// The fiscal year and month of a `YYYY-MM-DD` date.
pub fn period_of(date: &str) -> Option<(i32, u8)> {
    let bytes = date.as_bytes();
    if bytes.len() < 7 || bytes[4] != b'-' {
        return None;
    }
    let year: i32 = date.get(0..4)?.parse().ok()?;
    let month: u8 = date.get(5..7)?.parse().ok()?;
    (1..=12).contains(&month).then_some((year, month))
}

/// `2026-03`.
pub fn period_label(fiscal_year: i32, period: u8) -> String {
    format!("{fiscal_year}-{period:02}")
}

/// The totals of a voucher's two sides, summed in i128.
pub fn totals(lines: &[VoucherLine]) -> (i128, i128) {
    lines.iter().fold((0, 0), |(debit, credit), line| {
        (
            debit + i128::from(line.debit.0),
            credit + i128::from(line.credit.0),
        )
    })
}

/// The rules of a new voucher, in order of precedence: the period is open; two lines at
/// least and at most `VOUCHER_LINES_MAX`; on each line exactly one side is non-zero and it is
/// positive; every account is a leaf of the chart (`is_postable`); debits equal credits.
pub fn check_voucher(
    draft: &VoucherDraft,
    period_state: PeriodState,
    is_postable: impl Fn(&str) -> bool,
) -> Result<(), Rejection> {
    if period_state == PeriodState::Closed {
        return Err(Rejection::PeriodClosed {
            period: period_label(draft.fiscal_year, draft.period),
        });
    }
    if draft.lines.len() < 2 {
        return Err(Rejection::VoucherInvalid {
            detail: "至少需要两行分录",
        });
    }
    if draft.lines.len() > VOUCHER_LINES_MAX {
        return Err(Rejection::VoucherInvalid {
            detail: "分录超过 200 行",
        });
    }
    for line in &draft.lines {
        let one_side = (line.debit.0 == 0) != (line.credit.0 == 0);
        if !one_side || line.debit.0 < 0 || line.credit.0 < 0 {
            return Err(Rejection::VoucherInvalid {
                detail: "每行分录只能在借方或贷方之一填写正数金额",
            });
        }
    }
    if let Some(line) = draft.lines.iter().find(|l| !is_postable(&l.account_code)) {
        return Err(Rejection::AccountNotPostable {
            account_code: line.account_code.clone(),
        });
    }
    check_balanced(&draft.lines)
}

/// Debits equal credits.
pub fn check_balanced(lines: &[VoucherLine]) -> Result<(), Rejection> {
    let (debit, credit) = totals(lines);
    if debit != credit {
        return Err(Rejection::VoucherUnbalanced {
            debit_fen: i64::try_from(debit).unwrap_or(i64::MAX),
            credit_fen: i64::try_from(credit).unwrap_or(i64::MAX),
        });
    }
    Ok(())
}

/// The red reversal (红字冲销) of a posted voucher: a new voucher in the same book, dated
/// `voucher_date`, with every line of the original negated. The original is never edited.
pub fn reversal_of(
    original: &VoucherDraft,
    original_state: VoucherState,
    voucher_date: &str,
) -> Result<VoucherDraft, Rejection> {
    if original_state != VoucherState::Posted {
        return Err(Rejection::VoucherStateForbids {
            action: "红字冲销",
            state: original_state.name_zh(),
        });
    }
    let (fiscal_year, period) = period_of(voucher_date).ok_or(Rejection::FieldInvalid {
        field: "凭证日期",
        expected: "YYYY-MM-DD",
    })?;
    let lines: Vec<VoucherLine> = original
        .lines
        .iter()
        .map(|line| VoucherLine {
            account_code: line.account_code.clone(),
            debit: Fen(-line.debit.0),
            credit: Fen(-line.credit.0),
            dimensions: line.dimensions.clone(),
        })
        .collect();
    check_balanced(&lines)?;
    Ok(VoucherDraft {
        book_type: original.book_type,
        fiscal_year,
        period,
        voucher_date: voucher_date.to_owned(),
        summary: format!("红字冲销：{}", original.summary),
        lines,
    })
}

/// The life of a voucher: entered (draft), reviewed (审核), posted (记账). Only forward.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoucherState {
    Draft,
    Reviewed,
    Posted,
}

impl VoucherState {
    pub fn code(self) -> &'static str {
        match self {
            VoucherState::Draft => "draft",
            VoucherState::Reviewed => "reviewed",
            VoucherState::Posted => "posted",
        }
    }

    pub fn from_code(code: &str) -> Option<VoucherState> {
        [
            VoucherState::Draft,
            VoucherState::Reviewed,
            VoucherState::Posted,
        ]
        .into_iter()
        .find(|state| state.code() == code)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            VoucherState::Draft => "未审核",
            VoucherState::Reviewed => "已审核",
            VoucherState::Posted => "已记账",
        }
    }

    /// 审核: a draft becomes reviewed.
    pub fn review(self) -> Result<VoucherState, Rejection> {
        match self {
            VoucherState::Draft => Ok(VoucherState::Reviewed),
            _ => Err(Rejection::VoucherStateForbids {
                action: "审核",
                state: self.name_zh(),
            }),
        }
    }

    /// 记账: a reviewed voucher becomes posted, by someone other than its creator, into an
    /// open period.
    pub fn post(
        self,
        created_by: &str,
        posted_by: &str,
        period_state: PeriodState,
        period: &str,
    ) -> Result<VoucherState, Rejection> {
        if self != VoucherState::Reviewed {
            return Err(Rejection::VoucherStateForbids {
                action: "记账",
                state: self.name_zh(),
            });
        }
        if created_by == posted_by {
            return Err(Rejection::PosterIsCreator);
        }
        if period_state == PeriodState::Closed {
            return Err(Rejection::PeriodClosed {
                period: period.to_owned(),
            });
        }
        Ok(VoucherState::Posted)
    }
}

/// A month of one book: open until closed (结账), closed for good.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodState {
    Open,
    Closed,
}

impl PeriodState {
    /// 结账: refused while vouchers of the period are not posted, or when already closed.
    pub fn close(self, period: &str, n_unposted: i64) -> Result<PeriodState, Rejection> {
        if self == PeriodState::Closed {
            return Err(Rejection::PeriodClosed {
                period: period.to_owned(),
            });
        }
        if n_unposted > 0 {
            return Err(Rejection::PeriodHasUnposted { n_unposted });
        }
        Ok(PeriodState::Closed)
    }
}

/// One row of a trial balance (科目余额表): balances as debit minus credit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrialBalanceRow {
    pub account_code: String,
    pub account_name: String,
    pub opening_fen: i64,
    pub debit_fen: i64,
    pub credit_fen: i64,
    pub closing_fen: i64,
}

/// A trial balance balances: opening and closing balances net to zero and the period's
/// debits equal its credits.
pub fn trial_balance_balances(rows: &[TrialBalanceRow]) -> bool {
    let sum = |f: fn(&TrialBalanceRow) -> i64| rows.iter().map(|r| i128::from(f(r))).sum::<i128>();
    sum(|r| r.opening_fen) == 0
        && sum(|r| r.closing_fen) == 0
        && sum(|r| r.debit_fen) == sum(|r| r.credit_fen)
}
