//! Posting rules as data (`data/accounting/rules.csv`): event type × fund nature prefix ×
//! economic class prefix → one entry per book; and the pure function that turns a business
//! event into its vouchers.

use serde::{Deserialize, Serialize};

use super::{BookType, Dimensions, VoucherDraft, VoucherLine, check_balanced, period_of};
use crate::{Fen, Rejection};

/// The business events that drive the books (以业务驱动核算).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    PaymentPosted,
    Refund,
    Clearing,
    TransferAllocation,
    Revenue,
}

impl EventType {
    pub const ALL: [EventType; 5] = [
        EventType::PaymentPosted,
        EventType::Refund,
        EventType::Clearing,
        EventType::TransferAllocation,
        EventType::Revenue,
    ];

    pub fn code(self) -> &'static str {
        match self {
            EventType::PaymentPosted => "payment_posted",
            EventType::Refund => "refund",
            EventType::Clearing => "clearing",
            EventType::TransferAllocation => "transfer_allocation",
            EventType::Revenue => "revenue",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            EventType::PaymentPosted => "支付",
            EventType::Refund => "退款",
            EventType::Clearing => "清算",
            EventType::TransferAllocation => "转移支付拨款",
            EventType::Revenue => "收入入库",
        }
    }

    pub fn from_code(code: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|kind| kind.code() == code)
    }
}

/// One row of the rules file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostingRule {
    pub event_type: EventType,
    /// A prefix of `fund_type_code`; empty matches every fund.
    pub fund_prefix: String,
    /// A prefix of `dep_bgt_eco_code`; empty matches every class.
    pub eco_prefix: String,
    pub book_type: BookType,
    pub debit_code: String,
    pub credit_code: String,
}

/// Parses `event_type,fund_prefix,eco_prefix,book_type,debit_code,credit_code,source`.
pub fn parse_rules(csv: &str) -> Result<Vec<PostingRule>, String> {
    let mut rules = Vec::new();
    for (index, line) in csv.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        let [
            event_type,
            fund_prefix,
            eco_prefix,
            book_type,
            debit_code,
            credit_code,
            _source,
        ] = fields[..]
        else {
            return Err(format!("rules line {}: seven fields expected", index + 1));
        };
        let event_type = EventType::from_code(event_type)
            .ok_or_else(|| format!("rules line {}: event type {event_type}", index + 1))?;
        let book_type = BookType::parse(book_type)
            .map_err(|_| format!("rules line {}: book type {book_type}", index + 1))?;
        rules.push(PostingRule {
            event_type,
            fund_prefix: fund_prefix.to_owned(),
            eco_prefix: eco_prefix.to_owned(),
            book_type,
            debit_code: debit_code.to_owned(),
            credit_code: credit_code.to_owned(),
        });
    }
    Ok(rules)
}

/// A business event as the books see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessEvent {
    pub event_id: String,
    pub event_type: EventType,
    pub amount: Fen,
    pub fiscal_year: i32,
    /// `YYYY-MM-DD`: the voucher's date and period.
    pub event_date: String,
    pub summary: String,
    pub dimensions: Dimensions,
}

/// The rule of `book_type` that fits `event` best: the longest fund prefix, then the
/// longest economic-class prefix.
pub fn rule_for<'a>(
    rules: &'a [PostingRule],
    event: &BusinessEvent,
    book_type: BookType,
) -> Option<&'a PostingRule> {
    rules
        .iter()
        .filter(|rule| {
            rule.event_type == event.event_type
                && rule.book_type == book_type
                && event
                    .dimensions
                    .fund_type_code
                    .starts_with(&rule.fund_prefix)
                && event
                    .dimensions
                    .dep_bgt_eco_code
                    .starts_with(&rule.eco_prefix)
        })
        .max_by_key(|rule| (rule.fund_prefix.len(), rule.eco_prefix.len()))
}

/// The vouchers of one event, one per book that has a rule for it (two for a unit's
/// payment: parallel bookkeeping). Each is balanced by construction; the pair assertion
/// checks it anyway.
pub fn vouchers_for_event(
    event: &BusinessEvent,
    rules: &[PostingRule],
) -> Result<Vec<VoucherDraft>, Rejection> {
    if event.amount.0 <= 0 {
        return Err(Rejection::AmountNotPositive { field: "金额" });
    }
    let (_, period) = period_of(&event.event_date).ok_or(Rejection::FieldInvalid {
        field: "业务日期",
        expected: "YYYY-MM-DD",
    })?;
    let mut vouchers = Vec::new();
    for book_type in BookType::ALL {
        let Some(rule) = rule_for(rules, event, book_type) else {
            continue;
        };
        let line = |account_code: &str, debit: i64, credit: i64| VoucherLine {
            account_code: account_code.to_owned(),
            debit: Fen(debit),
            credit: Fen(credit),
            dimensions: event.dimensions.clone(),
        };
        let lines = vec![
            line(&rule.debit_code, event.amount.0, 0),
            line(&rule.credit_code, 0, event.amount.0),
        ];
        check_balanced(&lines)?;
        vouchers.push(VoucherDraft {
            book_type,
            // A payment of year Y paid in January of Y+1 still belongs to Y's books.
            fiscal_year: event.fiscal_year,
            period,
            voucher_date: event.event_date.clone(),
            summary: format!("{}：{}", event.event_type.name_zh(), event.summary),
            lines,
        });
    }
    Ok(vouchers)
}
