//! The accounting year-end close (年终结账), pure: the closing rules as data
//! (`data/accounting/closing.csv`: book type × step × account → target account, with the
//! 财政拨款结转 / 结余 split of the unit budget book), and the closing lines of one book
//! computed from its year-end balances. Each voucher balances by construction; the pair
//! assertion checks it anyway.

use serde::{Deserialize, Serialize};

use super::{BookType, Dimensions, VoucherLine, check_balanced};
use crate::{Fen, Rejection};

/// One row of the closing rules: at `step`, the balance of `account_code` moves to
/// `target_code`. With a `rest_code`, the target takes the carried amount (结转, given by the
/// indicator ledger) and `rest_code` takes the rest (结余).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosingRule {
    pub book_type: BookType,
    pub step: u8,
    pub account_code: String,
    pub target_code: String,
    pub rest_code: Option<String>,
}

/// Parses `book_type,step,account_code,target_code,rest_code,source`.
pub fn parse_closing_rules(csv: &str) -> Result<Vec<ClosingRule>, String> {
    let mut rules = Vec::new();
    for (index, line) in csv.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        let [
            book_type,
            step,
            account_code,
            target_code,
            rest_code,
            _source,
        ] = fields[..]
        else {
            return Err(format!("closing line {}: six fields expected", index + 1));
        };
        let book_type = BookType::parse(book_type)
            .map_err(|_| format!("closing line {}: book type {book_type}", index + 1))?;
        let step: u8 = step
            .parse()
            .map_err(|_| format!("closing line {}: step {step}", index + 1))?;
        rules.push(ClosingRule {
            book_type,
            step,
            account_code: account_code.to_owned(),
            target_code: target_code.to_owned(),
            rest_code: Some(rest_code.to_owned()).filter(|code| !code.is_empty()),
        });
    }
    Ok(rules)
}

/// The categories whose accounts must be empty after the close (revenue, expense and their
/// budget counterparts).
pub const NOMINAL_CATEGORIES: [&str; 5] = ["收入", "费用", "支出", "预算收入", "预算支出"];

/// A balance-side line: a debit balance (positive) is closed by a credit and the reverse.
fn closing_line(account_code: &str, balance_fen: i64) -> VoucherLine {
    let (debit, credit) = if balance_fen > 0 {
        (0, balance_fen)
    } else {
        (-balance_fen, 0)
    };
    VoucherLine {
        account_code: account_code.to_owned(),
        debit: Fen(debit),
        credit: Fen(credit),
        dimensions: Dimensions::default(),
    }
}

/// A target-side line receiving `moved_fen` (the sum of the balances moved into it).
fn receiving_line(account_code: &str, moved_fen: i64) -> Option<VoucherLine> {
    (moved_fen != 0).then(|| VoucherLine {
        account_code: account_code.to_owned(),
        debit: Fen(moved_fen.max(0)),
        credit: Fen((-moved_fen).max(0)),
        dimensions: Dimensions::default(),
    })
}

/// The closing lines of one step of one book, from its balances (debit minus credit, by
/// account). `carried_fen` is the 结转 of the year: on a rule with a rest account, the
/// target takes a credit of `carried_fen` and the rest account the remainder. Returns no
/// lines when nothing is to close. Balances must fit in i64 (they are sums of fen amounts
/// the store already summed).
pub fn closing_lines(
    book_type: BookType,
    step: u8,
    balances: &[(String, i64)],
    rules: &[ClosingRule],
    carried_fen: i64,
) -> Result<Vec<VoucherLine>, Rejection> {
    let mut lines = Vec::new();
    // (target, rest, moved): the sum of balances moved into each target, in first-seen order.
    let mut targets: Vec<(String, Option<String>, i128)> = Vec::new();
    for rule in rules
        .iter()
        .filter(|r| r.book_type == book_type && r.step == step)
    {
        let Some((_, balance_fen)) = balances.iter().find(|(code, _)| *code == rule.account_code)
        else {
            continue;
        };
        if *balance_fen == 0 {
            continue;
        }
        lines.push(closing_line(&rule.account_code, *balance_fen));
        match targets
            .iter_mut()
            .find(|(code, _, _)| *code == rule.target_code)
        {
            Some(target) => target.2 += i128::from(*balance_fen),
            None => targets.push((
                rule.target_code.clone(),
                rule.rest_code.clone(),
                i128::from(*balance_fen),
            )),
        }
    }
    for (target_code, rest_code, moved) in targets {
        let moved_fen = i64::try_from(moved).map_err(|_| Rejection::AmountTooLarge {
            field: "结账金额",
            yuan_max: "92233720368547758.07",
        })?;
        match rest_code {
            // The carried part is a credit on the target (结转); the rest, whatever its side,
            // goes to the rest account (结余).
            Some(rest_code) => {
                lines.extend(receiving_line(&target_code, -carried_fen));
                let rest_fen =
                    moved_fen
                        .checked_add(carried_fen)
                        .ok_or(Rejection::AmountTooLarge {
                            field: "结账金额",
                            yuan_max: "92233720368547758.07",
                        })?;
                lines.extend(receiving_line(&rest_code, rest_fen));
            }
            None => lines.extend(receiving_line(&target_code, moved_fen)),
        }
    }
    check_balanced(&lines)?;
    Ok(lines)
}

/// The accounts of a nominal category (`is_nominal`, see `NOMINAL_CATEGORIES`) that still
/// hold a balance after the close: accounts without a closing rule. Empty when the close is
/// complete.
pub fn left_open(balances: &[(String, i64)], is_nominal: impl Fn(&str) -> bool) -> Vec<String> {
    balances
        .iter()
        .filter(|(code, balance_fen)| *balance_fen != 0 && is_nominal(code))
        .map(|(code, _)| code.clone())
        .collect()
}
