//! A payment voucher (支付凭证, DOMAIN.md §2.5): its states and what each bank message may do
//! in each state, its number, and the accounting entries its events generate (DOMAIN.md §5.6).

use serde::{Deserialize, Serialize};

use crate::code::{FiscalYear, MofDivCode};

/// Where a voucher stands. Every bank message is judged against this state alone, so that
/// messages arriving late, twice or out of order cannot corrupt anything (ADR 0009).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoucherState {
    /// Generated at final approval; ready to send.
    Approved,
    /// Sent to the agency bank, not yet answered.
    Sent,
    Paid,
    /// 被退回: the bank did not pay; the reservation is released.
    Returned,
    /// Everything paid came back.
    Refunded,
    /// Part of what was paid came back.
    PartlyRefunded,
}

/// What a bank message does to a voucher in its current state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Apply the message's effect.
    Apply,
    /// The effect happened before: change nothing.
    Repeat,
    /// The message contradicts the voucher (a receipt for a returned voucher …): record it
    /// for the treasury division, change nothing.
    Conflict(String),
    /// The message came before the one it follows (a refund before its receipt): refuse it
    /// without recording it, so the sender delivers it again later.
    NotYet(String),
}

impl VoucherState {
    pub const ALL: [VoucherState; 6] = [
        VoucherState::Approved,
        VoucherState::Sent,
        VoucherState::Paid,
        VoucherState::Returned,
        VoucherState::Refunded,
        VoucherState::PartlyRefunded,
    ];

    pub fn code(self) -> &'static str {
        match self {
            VoucherState::Approved => "approved",
            VoucherState::Sent => "sent",
            VoucherState::Paid => "paid",
            VoucherState::Returned => "returned",
            VoucherState::Refunded => "refunded",
            VoucherState::PartlyRefunded => "partly_refunded",
        }
    }

    pub fn from_code(code: &str) -> Option<VoucherState> {
        VoucherState::ALL
            .into_iter()
            .find(|state| state.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            VoucherState::Approved => "待发送",
            VoucherState::Sent => "已发送",
            VoucherState::Paid => "已支付",
            VoucherState::Returned => "已退回",
            VoucherState::Refunded => "已退款",
            VoucherState::PartlyRefunded => "部分退款",
        }
    }

    /// Not yet answered by the bank: the reservation is still pending.
    pub fn is_open(self) -> bool {
        matches!(self, VoucherState::Approved | VoucherState::Sent)
    }

    /// The bank paid it (whatever came back since).
    pub fn was_paid(self) -> bool {
        matches!(
            self,
            VoucherState::Paid | VoucherState::Refunded | VoucherState::PartlyRefunded
        )
    }

    /// A 支付回单.
    pub fn on_receipt(self) -> Verdict {
        match self {
            state if state.is_open() => Verdict::Apply,
            state if state.was_paid() => Verdict::Repeat,
            state => Verdict::Conflict(format!("凭证{}，又收到支付回单", state.label())),
        }
    }

    /// A 退回通知.
    pub fn on_return(self) -> Verdict {
        match self {
            state if state.is_open() => Verdict::Apply,
            VoucherState::Returned => Verdict::Repeat,
            state => Verdict::Conflict(format!("凭证{}，又收到退回通知", state.label())),
        }
    }

    /// A 收款银行退款通知 of `refund_fen`, when `refunded_fen` of `paid_fen` came back before
    /// and `seen` says whether this refund number was applied already.
    pub fn on_refund(
        self,
        paid_fen: i64,
        refunded_fen: i64,
        refund_fen: i64,
        seen: bool,
    ) -> Verdict {
        if seen {
            return Verdict::Repeat;
        }
        if self.is_open() {
            // The receipt has not arrived yet (reordered delivery): try again later.
            return Verdict::NotYet(format!("凭证{}，尚未收到支付回单", self.label()));
        }
        if !self.was_paid() {
            return Verdict::Conflict(format!("凭证{}，不能退款", self.label()));
        }
        if refund_fen <= 0
            || i128::from(refunded_fen) + i128::from(refund_fen) > i128::from(paid_fen)
        {
            return Verdict::Conflict(format!(
                "退款金额 {refund_fen} 分超出可退金额 {} 分",
                paid_fen - refunded_fen
            ));
        }
        Verdict::Apply
    }

    /// The state after refunds totalling `refunded_fen` of `paid_fen`.
    pub fn after_refunds(paid_fen: i64, refunded_fen: i64) -> VoucherState {
        if refunded_fen >= paid_fen {
            VoucherState::Refunded
        } else {
            VoucherState::PartlyRefunded
        }
    }
}

/// The voucher number: `{mof_div_code}{year}{seq:08}`, gapless per region and year.
pub fn voucher_no(mof_div_code: &MofDivCode, fiscal_year: FiscalYear, seq: i64) -> String {
    format!("{}{}{seq:08}", mof_div_code.as_str(), fiscal_year.0)
}

/// The kinds of accounting event a voucher generates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountingKind {
    /// The bank paid: the unit books the spending (parallel bookkeeping).
    PaymentPosted,
    /// Money came back in the same year: the unit reverses.
    Refund,
    /// The treasury cleared the bank: the finance general ledger books the spending.
    Clearing,
}

/// One line of an accounting event: a debit and a credit in one book.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// 财务会计 | 预算会计 (the unit) | 财政总会计 (finance).
    pub book: String,
    pub debit: String,
    pub credit: String,
}

impl AccountingKind {
    pub fn code(self) -> &'static str {
        match self {
            AccountingKind::PaymentPosted => "payment_posted",
            AccountingKind::Refund => "refund",
            AccountingKind::Clearing => "clearing",
        }
    }

    /// The entries of DOMAIN.md §5.6 [K]: a centralised payment of an expense on the unit's
    /// two books; its reversal on a same-year refund; the clearing on the finance books.
    pub fn entries(self) -> Vec<Entry> {
        let entry = |book: &str, debit: &str, credit: &str| Entry {
            book: book.to_owned(),
            debit: debit.to_owned(),
            credit: credit.to_owned(),
        };
        match self {
            AccountingKind::PaymentPosted => vec![
                entry("财务会计", "业务活动费用", "财政拨款收入"),
                entry("预算会计", "行政支出—财政拨款支出", "财政拨款预算收入"),
            ],
            AccountingKind::Refund => vec![
                entry("财务会计", "财政拨款收入", "业务活动费用"),
                entry("预算会计", "财政拨款预算收入", "行政支出—财政拨款支出"),
            ],
            AccountingKind::Clearing => {
                vec![entry("财政总会计", "一般公共预算本级支出", "国库存款")]
            }
        }
    }
}
