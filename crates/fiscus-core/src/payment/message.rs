//! The messages finance exchanges with the agency bank (代理银行) and the PBOC treasury
//! (人民银行国库), as plain data (DOMAIN.md §5.2–5.5, Appendix B). Their XML form, the
//! envelope, SM4 encryption and SM2 signatures are `fiscus_app::bank`; the bank simulator and
//! our handlers both speak these types, so the two sides cannot drift.
//!
//! The `VtCode` of each kind follows the PBOC catalogue where it names one; the numbers of the
//! receipt and return are [I] (DOMAIN.md §5.4 lists 2201/2202 for 申请支付/退回 on TIPS).

use serde::{Deserialize, Serialize};

use crate::money::Fen;

/// What a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// 支付凭证 (finance → bank), one or more vouchers.
    Voucher,
    /// 支付回单 (bank → finance): paid, with the actual amount, date and bank serial.
    Receipt,
    /// 退回 (bank → finance): not paid, with a reason.
    Return,
    /// 收款银行退款通知 (bank → finance): money came back after payment.
    RefundNotice,
    /// 清算额度通知单 (finance → PBOC): the day's paid vouchers per agency bank.
    ClearingNotice,
    /// 申请划款凭证回单 (PBOC → finance): the treasury single account was debited.
    ClearingReceipt,
    /// 直接支付日报 (bank → finance): the day's statement for reconciliation.
    Statement,
}

impl MessageKind {
    pub const ALL: [MessageKind; 7] = [
        MessageKind::Voucher,
        MessageKind::Receipt,
        MessageKind::Return,
        MessageKind::RefundNotice,
        MessageKind::ClearingNotice,
        MessageKind::ClearingReceipt,
        MessageKind::Statement,
    ];

    /// The voucher type code (`VtCode`) on the envelope.
    pub fn vt_code(self) -> &'static str {
        match self {
            MessageKind::Voucher => "5201",
            MessageKind::Receipt => "2201",
            MessageKind::Return => "2202",
            MessageKind::RefundNotice => "2252",
            MessageKind::ClearingNotice => "5108",
            MessageKind::ClearingReceipt => "2301",
            MessageKind::Statement => "2206",
        }
    }

    pub fn from_vt_code(code: &str) -> Option<MessageKind> {
        MessageKind::ALL
            .into_iter()
            .find(|kind| kind.vt_code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            MessageKind::Voucher => "支付凭证",
            MessageKind::Receipt => "支付回单",
            MessageKind::Return => "退回通知",
            MessageKind::RefundNotice => "收款银行退款通知",
            MessageKind::ClearingNotice => "清算额度通知单",
            MessageKind::ClearingReceipt => "划款凭证回单",
            MessageKind::Statement => "直接支付日报",
        }
    }
}

/// One signature on a voucher: who signed at which position of the flow (单位复核, 国库审核 …).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureEntry {
    /// The position code, e.g. `unit_review` (the node that signed).
    pub position: String,
    pub signer: String,
    /// Base64 of the SM2 signature over the SM3 digest of the voucher's business XML.
    pub value: String,
}

/// A payment voucher as the bank receives it (Appendix B element names in the XML).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoucherMsg {
    /// `Id` / `pay_cert_id`.
    pub pay_cert_id: String,
    /// `VoucherNo` / `pay_cert_no`.
    pub pay_cert_no: String,
    /// `AdmDivCode`.
    pub mof_div_code: String,
    /// `StYear`.
    pub fiscal_year: i32,
    /// `VouDate`, `YYYY-MM-DD`.
    pub vou_date: String,
    pub agency_code: String,
    pub fund_type_code: String,
    pub exp_func_code: String,
    pub gov_bgt_eco_code: String,
    pub dep_bgt_eco_code: String,
    /// `DepProCode`.
    pub pro_code: String,
    pub set_mode_code: String,
    pub pay_bus_type_code: String,
    pub pay_acct_name: String,
    pub pay_acct_no: String,
    pub pay_acct_bank_name: String,
    pub payee_acct_name: String,
    pub payee_acct_no: String,
    pub payee_acct_bank_name: String,
    /// `PayAmt`.
    pub pay_amt: Fen,
    /// `PaySummaryName`: the purpose.
    pub use_des: String,
    /// `GovProcurementID` (the procurement contract), empty when none.
    pub contract_no: String,
    pub signatures: Vec<SignatureEntry>,
}

/// 支付回单: the bank paid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptMsg {
    pub pay_cert_no: String,
    pub mof_div_code: String,
    pub fiscal_year: i32,
    /// `XPayAmt`: what was actually paid (≤ the voucher's amount).
    pub xpay_amt: Fen,
    /// `XPayDate`.
    pub xpay_date: String,
    /// `XAgentBusinessNo`: the bank's serial.
    pub agent_business_no: String,
}

/// 退回: the bank did not pay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnMsg {
    pub pay_cert_no: String,
    pub mof_div_code: String,
    pub fiscal_year: i32,
    pub reason: ReturnReason,
    /// The bank's own words.
    pub reason_text: String,
}

/// Why a voucher came back. Decides whether the application reopens for correction or ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnReason {
    /// 账户已销户: nothing to correct on this application — it is cancelled.
    AccountClosed,
    /// 户名不符: the clerk corrects the payee and submits again.
    NameMismatch,
    /// 签名验证失败 or other data errors: corrected and sent again.
    DataError,
}

impl ReturnReason {
    pub fn code(self) -> &'static str {
        match self {
            ReturnReason::AccountClosed => "account_closed",
            ReturnReason::NameMismatch => "name_mismatch",
            ReturnReason::DataError => "data_error",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReturnReason::AccountClosed => "收款账户已销户",
            ReturnReason::NameMismatch => "收款人户名与账号不符",
            ReturnReason::DataError => "凭证数据有误",
        }
    }
}

/// 收款银行退款通知: money paid came back (the XML shows the amount negative).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundMsg {
    pub pay_cert_no: String,
    pub mof_div_code: String,
    pub fiscal_year: i32,
    /// The bank's number of this refund: one voucher may see several.
    pub refund_no: String,
    /// Positive fen returned.
    pub refund_amt: Fen,
    pub refund_date: String,
    pub reason_text: String,
}

/// 清算额度通知单: what finance asks the treasury to reimburse one agency bank for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClearingNoticeMsg {
    /// `lqd_quota_notice_no`.
    pub notice_no: String,
    pub mof_div_code: String,
    pub fiscal_year: i32,
    pub clear_date: String,
    /// The agency bank being reimbursed.
    pub bank_code: String,
    pub total_amt: Fen,
    pub pay_cert_nos: Vec<String>,
}

/// 划款凭证回单: the treasury debited its single account and credited the bank.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClearingReceiptMsg {
    pub notice_no: String,
    /// `lqd_cert_no`.
    pub lqd_cert_no: String,
    /// `act_lqd_date`.
    pub act_lqd_date: String,
    /// `XPayAmt` of the 2301 receipt.
    pub clear_amt: Fen,
}

/// 直接支付日报: what the bank paid on one day, for reconciliation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementMsg {
    pub statement_date: String,
    pub bank_code: String,
    pub lines: Vec<StatementLine>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    pub pay_cert_no: String,
    pub xpay_amt: Fen,
    pub agent_business_no: String,
    /// paid | returned | refunded.
    pub status: String,
}

/// A message with its header. `msg_id` is the sender's idempotency key: a receiver applies a
/// message id once and answers a repeat with its first result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub msg_id: String,
    pub sender: String,
    pub receiver: String,
    /// RFC 3339.
    pub created_at: String,
    pub body: MessageBody,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MessageBody {
    Voucher { vouchers: Vec<VoucherMsg> },
    Receipt(ReceiptMsg),
    Return(ReturnMsg),
    RefundNotice(RefundMsg),
    ClearingNotice(ClearingNoticeMsg),
    ClearingReceipt(ClearingReceiptMsg),
    Statement(StatementMsg),
}

impl MessageBody {
    pub fn kind(&self) -> MessageKind {
        match self {
            MessageBody::Voucher { .. } => MessageKind::Voucher,
            MessageBody::Receipt(_) => MessageKind::Receipt,
            MessageBody::Return(_) => MessageKind::Return,
            MessageBody::RefundNotice(_) => MessageKind::RefundNotice,
            MessageBody::ClearingNotice(_) => MessageKind::ClearingNotice,
            MessageBody::ClearingReceipt(_) => MessageKind::ClearingReceipt,
            MessageBody::Statement(_) => MessageKind::Statement,
        }
    }
}
