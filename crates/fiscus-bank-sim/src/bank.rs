//! What the simulated bank and treasury decide, in memory: pay or return each voucher by the
//! deterministic rules, refund some, clear against the treasury, report the day. Pure state
//! changes; `lib.rs` turns them into HTTP answers and deliveries.
//!
//! Rules (deterministic, so tests and demos can steer them by the payee):
//! - a voucher whose position signatures do not verify is returned as `data_error`;
//! - payee account number ending in `0000` → returned, `account_closed`;
//! - payee name containing `不符` → returned, `name_mismatch`;
//! - otherwise paid in full (`XPayAmt` = `PayAmt`) with a bank serial `SIM{n:010}`;
//! - a paid voucher whose payee account ends in `9999` is refunded in full later; others are
//!   refunded in full with probability `refund_ratio`.
//! - a voucher number seen before is ignored (the bank pays a voucher once).

use std::collections::HashMap;

use fiscus_core::money::Fen;
use fiscus_core::payment::message::{
    ClearingNoticeMsg, ClearingReceiptMsg, MessageBody, ReceiptMsg, RefundMsg, ReturnMsg,
    ReturnReason, StatementLine, StatementMsg, VoucherMsg,
};
use serde::Serialize;

/// The treasury single account's opening balance (271), in fen.
pub const TREASURY_OPENING_FEN: i64 = 100_000_000_000_000; // 1 万亿元

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VoucherState {
    Paid,
    Returned(ReturnReason),
    Refunded,
}

#[derive(Clone, Debug)]
pub struct VoucherRecord {
    pub voucher: VoucherMsg,
    pub state: VoucherState,
    pub xpay_amt: Fen,
    pub decided_date: String,
    pub serial: String,
    pub cleared: bool,
}

/// Totals for tests and the benchmark (`GET /sim/v1/state`).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Totals {
    pub n_paid: i64,
    pub paid_fen: i64,
    pub n_returned: i64,
    pub n_refunded: i64,
    pub refunded_fen: i64,
    pub n_cleared: i64,
    pub cleared_fen: i64,
    pub treasury_271_fen: i64,
    pub bank_371_fen: i64,
    pub n_voucher_envelopes: i64,
    pub n_refused_envelopes: i64,
}

#[derive(Debug)]
pub struct BankState {
    pub vouchers: HashMap<String, VoucherRecord>,
    /// The answer to each message id already taken (a repeat gets the same answer).
    pub answered: HashMap<String, String>,
    pub totals: Totals,
    pub next_serial: u64,
}

impl Default for BankState {
    fn default() -> BankState {
        BankState {
            vouchers: HashMap::new(),
            answered: HashMap::new(),
            totals: Totals {
                treasury_271_fen: TREASURY_OPENING_FEN,
                ..Totals::default()
            },
            next_serial: 1,
        }
    }
}

/// What deciding one voucher produced: the message to finance and whether to refund later.
pub struct Decision {
    pub body: MessageBody,
    pub refund_later: bool,
}

impl BankState {
    fn serial(&mut self, prefix: &str) -> String {
        let serial = format!("{prefix}{:010}", self.next_serial);
        self.next_serial += 1;
        serial
    }

    /// Pays or returns one voucher; `None` when its number was seen before.
    pub fn decide(
        &mut self,
        voucher: VoucherMsg,
        signatures_ok: bool,
        today: &str,
        refund_draw: bool,
    ) -> Option<Decision> {
        if self.vouchers.contains_key(&voucher.pay_cert_no) {
            return None;
        }
        let reason = if !signatures_ok {
            Some((ReturnReason::DataError, "凭证签名验证失败"))
        } else if voucher.payee_acct_no.ends_with("0000") {
            Some((ReturnReason::AccountClosed, "收款账户已销户"))
        } else if voucher.payee_acct_name.contains("不符") {
            Some((ReturnReason::NameMismatch, "收款人户名与账号不符"))
        } else {
            None
        };
        let mut record = VoucherRecord {
            voucher,
            state: VoucherState::Paid,
            xpay_amt: Fen(0),
            decided_date: today.to_string(),
            serial: String::new(),
            cleared: false,
        };
        let v = &record.voucher;
        let decision = if let Some((reason, text)) = reason {
            record.state = VoucherState::Returned(reason);
            self.totals.n_returned += 1;
            Decision {
                body: MessageBody::Return(ReturnMsg {
                    pay_cert_no: v.pay_cert_no.clone(),
                    mof_div_code: v.mof_div_code.clone(),
                    fiscal_year: v.fiscal_year,
                    reason,
                    reason_text: text.into(),
                }),
                refund_later: false,
            }
        } else {
            let refund_later = v.payee_acct_no.ends_with("9999") || refund_draw;
            let body = MessageBody::Receipt(ReceiptMsg {
                pay_cert_no: v.pay_cert_no.clone(),
                mof_div_code: v.mof_div_code.clone(),
                fiscal_year: v.fiscal_year,
                xpay_amt: v.pay_amt,
                xpay_date: today.to_string(),
                agent_business_no: String::new(),
            });
            Decision { body, refund_later }
        };
        let mut decision = decision;
        if let MessageBody::Receipt(receipt) = &mut decision.body {
            let serial = self.serial("SIM");
            receipt.agent_business_no = serial.clone();
            record.serial = serial;
            record.xpay_amt = receipt.xpay_amt;
            self.totals.n_paid += 1;
            self.totals.paid_fen += receipt.xpay_amt.0;
        }
        self.vouchers
            .insert(record.voucher.pay_cert_no.clone(), record);
        Some(decision)
    }

    /// The payee bank sent the money back: the whole amount, once.
    pub fn refund(&mut self, pay_cert_no: &str, today: &str) -> Option<MessageBody> {
        let refund_no = self.serial("RF");
        let record = self.vouchers.get_mut(pay_cert_no)?;
        if record.state != VoucherState::Paid {
            return None;
        }
        record.state = VoucherState::Refunded;
        let amount = record.xpay_amt;
        self.totals.n_refunded += 1;
        self.totals.refunded_fen += amount.0;
        if record.cleared {
            // 2302: the bank returns the refunded money to the treasury.
            self.totals.bank_371_fen -= amount.0;
            self.totals.treasury_271_fen += amount.0;
        }
        let v = &record.voucher;
        Some(MessageBody::RefundNotice(RefundMsg {
            pay_cert_no: v.pay_cert_no.clone(),
            mof_div_code: v.mof_div_code.clone(),
            fiscal_year: v.fiscal_year,
            refund_no,
            refund_amt: amount,
            refund_date: today.to_string(),
            reason_text: "收款行退回：收款账户状态异常".into(),
        }))
    }

    /// 5108 → 2301: every listed voucher must be paid (or refunded) by this bank and not yet
    /// cleared, and the total must be what the bank paid for them. On success the treasury
    /// (271) is debited and the bank (371) credited.
    pub fn clear(
        &mut self,
        notice: &ClearingNoticeMsg,
        today: &str,
    ) -> Result<ClearingReceiptMsg, &'static str> {
        let mut total = 0i128;
        let mut seen = std::collections::HashSet::new();
        for no in &notice.pay_cert_nos {
            let record = self
                .vouchers
                .get(no)
                .ok_or("清算额度通知单含本行未支付的凭证")?;
            if matches!(record.state, VoucherState::Returned(_)) {
                return Err("清算额度通知单含已退回的凭证");
            }
            if record.cleared || !seen.insert(no.as_str()) {
                return Err("清算额度通知单含已清算的凭证");
            }
            total += i128::from(record.xpay_amt.0);
        }
        if notice.pay_cert_nos.is_empty() || total != i128::from(notice.total_amt.0) {
            return Err("清算金额与本行已支付未清算金额不符");
        }
        let amount = notice.total_amt.0;
        for no in &notice.pay_cert_nos {
            if let Some(record) = self.vouchers.get_mut(no) {
                record.cleared = true;
                if record.state == VoucherState::Refunded {
                    // Refunded before clearing: the 2302 return follows the 2301 at once.
                    self.totals.bank_371_fen -= record.xpay_amt.0;
                    self.totals.treasury_271_fen += record.xpay_amt.0;
                }
            }
        }
        self.totals.n_cleared += i64::try_from(notice.pay_cert_nos.len()).unwrap_or(i64::MAX);
        self.totals.cleared_fen += amount;
        self.totals.treasury_271_fen -= amount;
        self.totals.bank_371_fen += amount;
        Ok(ClearingReceiptMsg {
            notice_no: notice.notice_no.clone(),
            lqd_cert_no: self.serial("LQD"),
            act_lqd_date: today.to_string(),
            clear_amt: notice.total_amt,
        })
    }

    /// The 直接支付日报 of one day: every voucher decided that day, in number order.
    pub fn statement(&self, date: &str, bank_code: &str) -> StatementMsg {
        let mut lines: Vec<StatementLine> = self
            .vouchers
            .values()
            .filter(|record| record.decided_date == date)
            .map(|record| StatementLine {
                pay_cert_no: record.voucher.pay_cert_no.clone(),
                xpay_amt: record.xpay_amt,
                agent_business_no: record.serial.clone(),
                status: match record.state {
                    VoucherState::Paid => "paid",
                    VoucherState::Returned(_) => "returned",
                    VoucherState::Refunded => "refunded",
                }
                .into(),
            })
            .collect();
        lines.sort_by(|a, b| a.pay_cert_no.cmp(&b.pay_cert_no));
        StatementMsg {
            statement_date: date.to_string(),
            bank_code: bank_code.to_string(),
            lines,
        }
    }
}
