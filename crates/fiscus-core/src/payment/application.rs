//! A payment application (支付申请, DOMAIN.md §2.4): the wire draft, its parsed form with
//! the data-quality rules of DOMAIN.md §3.7, the procurement-contract rule, and its states.

use serde::{Deserialize, Serialize};

use crate::Rejection;
use crate::code::{AccountNo, BankCode};
use crate::ledger::{AMOUNT_MAX, BgtId, check_amount};
use crate::money::Fen;

/// A payee name (收款人全称) holds at most this many characters.
pub const PAYEE_NAME_CHARS_MAX: usize = 100;
/// A bank name (开户银行) holds at most this many characters.
pub const BANK_NAME_CHARS_MAX: usize = 100;
/// A purpose (用途) holds at most this many characters.
pub const USE_DES_CHARS_MAX: usize = 200;
/// A procurement contract number holds at most this many characters.
pub const CONTRACT_NO_CHARS_MAX: usize = 60;

/// Purposes that say nothing: refused by the data-quality rules.
const PLACEHOLDER_PURPOSES: [&str; 10] = [
    "无",
    "其他",
    "其它",
    "略",
    "见附件",
    "支付",
    "付款",
    "费用",
    "暂无",
    "同上",
];

/// Characters that never belong in a name or a purpose: markup, quotes, shell and SQL
/// metacharacters (DOMAIN.md §3.7 "包含特殊字符").
const SPECIAL_CHARS: [char; 14] = [
    '<', '>', '&', '"', '\'', '\\', ';', '`', '$', '|', '{', '}', '^', '~',
];

/// 结算方式 codes accepted (DOMAIN.md §3.6): 1 电子转账支付, 2 现金支票, 3 转账支票, 4 公务卡 [I].
pub const SET_MODE_CODES: [(&str, &str); 4] = [
    ("1", "电子转账支付"),
    ("2", "现金支票"),
    ("3", "转账支票"),
    ("4", "公务卡"),
];
/// 支付业务类型 codes (DOMAIN.md §3.6): 1 普通业务, 3 工资, 4 批量.
pub const PAY_BUS_TYPE_CODES: [(&str, &str); 3] = [("1", "普通业务"), ("3", "工资"), ("4", "批量")];

/// An application as typed (form, JSON or one Excel row): text, parsed by [`PaymentDraft::parse`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PaymentDraft {
    pub bgt_id: String,
    pub payee_acct_name: String,
    pub payee_acct_no: String,
    pub payee_acct_bank_name: String,
    /// 收款行行号, optional.
    pub payee_bank_code: String,
    /// 支付申请金额 in 元, e.g. `1234.50`.
    pub pay_app_amt: String,
    pub use_des: String,
    /// Empty: 1 电子转账支付.
    pub set_mode_code: String,
    /// Empty: 1 普通业务.
    pub pay_bus_type_code: String,
    pub contract_no: String,
    /// The payment's classification; empty takes the indicator's (a payment may refine the
    /// economic classes one level, ADR 0008).
    pub exp_func_code: String,
    pub gov_bgt_eco_code: String,
    pub dep_bgt_eco_code: String,
}

/// A valid application: every field parsed once (STYLE.md practice 10).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentApplication {
    pub bgt_id: BgtId,
    pub payee_acct_name: String,
    pub payee_acct_no: AccountNo,
    pub payee_acct_bank_name: String,
    pub payee_bank_code: Option<BankCode>,
    pub pay_app_amt: Fen,
    pub use_des: String,
    pub set_mode_code: String,
    pub pay_bus_type_code: String,
    /// Empty when none.
    pub contract_no: String,
    pub exp_func_code: String,
    pub gov_bgt_eco_code: String,
    pub dep_bgt_eco_code: String,
}

impl PaymentDraft {
    /// Parses every field; the first rule broken, in field order, is the answer.
    pub fn parse(&self) -> Result<PaymentApplication, Rejection> {
        if self.bgt_id.trim().is_empty() {
            return Err(Rejection::FieldRequired { field: "指标" });
        }
        let bgt_id = BgtId::parse(self.bgt_id.trim())?;
        let payee_acct_name = check_payee_name(&self.payee_acct_name)?;
        let payee_acct_no = parse_account_no(&self.payee_acct_no)?;
        let payee_acct_bank_name = check_text(
            "收款人开户银行",
            &self.payee_acct_bank_name,
            BANK_NAME_CHARS_MAX,
        )?;
        if payee_acct_bank_name.chars().all(|c| c.is_ascii_digit()) {
            return Err(Rejection::FieldInvalid {
                field: "收款人开户银行",
                expected: "银行名称，不能全部为数字",
            });
        }
        let payee_bank_code = match self.payee_bank_code.trim() {
            "" => None,
            code => Some(BankCode::parse(code)?),
        };
        let pay_app_amt = parse_amount(&self.pay_app_amt)?;
        let use_des = check_purpose(&self.use_des)?;
        let set_mode_code = pick_code(&self.set_mode_code, &SET_MODE_CODES, "结算方式")?;
        let pay_bus_type_code =
            pick_code(&self.pay_bus_type_code, &PAY_BUS_TYPE_CODES, "支付业务类型")?;
        let contract_no = match self.contract_no.trim() {
            "" => String::new(),
            text => check_text("采购合同编号", text, CONTRACT_NO_CHARS_MAX)?,
        };
        Ok(PaymentApplication {
            bgt_id,
            payee_acct_name,
            payee_acct_no,
            payee_acct_bank_name,
            payee_bank_code,
            pay_app_amt,
            use_des,
            set_mode_code,
            pay_bus_type_code,
            contract_no,
            exp_func_code: class_code("支出功能分类", &self.exp_func_code)?,
            gov_bgt_eco_code: class_code("政府预算支出经济分类", &self.gov_bgt_eco_code)?,
            dep_bgt_eco_code: class_code("部门预算支出经济分类", &self.dep_bgt_eco_code)?,
        })
    }
}

impl PaymentApplication {
    /// A government-procurement indicator (`is_gov_pur`) pays only against a contract.
    pub fn check_contract(&self, indicator_is_gov_pur: bool) -> Result<(), Rejection> {
        if indicator_is_gov_pur && self.contract_no.is_empty() {
            return Err(Rejection::ProcurementContractRequired);
        }
        Ok(())
    }

    /// The draft this application was parsed from (for editing and for storage).
    pub fn to_draft(&self) -> PaymentDraft {
        PaymentDraft {
            bgt_id: self.bgt_id.to_string(),
            payee_acct_name: self.payee_acct_name.clone(),
            payee_acct_no: self.payee_acct_no.as_str().to_owned(),
            payee_acct_bank_name: self.payee_acct_bank_name.clone(),
            payee_bank_code: self
                .payee_bank_code
                .as_ref()
                .map(|code| code.as_str().to_owned())
                .unwrap_or_default(),
            pay_app_amt: self.pay_app_amt.to_yuan_string(),
            use_des: self.use_des.clone(),
            set_mode_code: self.set_mode_code.clone(),
            pay_bus_type_code: self.pay_bus_type_code.clone(),
            contract_no: self.contract_no.clone(),
            exp_func_code: self.exp_func_code.clone(),
            gov_bgt_eco_code: self.gov_bgt_eco_code.clone(),
            dep_bgt_eco_code: self.dep_bgt_eco_code.clone(),
        }
    }
}

/// Where an application stands. Before approval it follows its flow document; afterwards its
/// voucher (paid, or reopened after a bank return).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationState {
    /// Written, not yet submitted (or withdrawn).
    Draft,
    /// Submitted: the amount is reserved on the indicator.
    InReview,
    /// Back with the submitter for correction (by a reviewer, or after a bank return).
    Returned,
    /// Approved: the voucher exists.
    Approved,
    /// The bank paid the voucher.
    Paid,
    Rejected,
    Cancelled,
}

impl ApplicationState {
    pub const ALL: [ApplicationState; 7] = [
        ApplicationState::Draft,
        ApplicationState::InReview,
        ApplicationState::Returned,
        ApplicationState::Approved,
        ApplicationState::Paid,
        ApplicationState::Rejected,
        ApplicationState::Cancelled,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ApplicationState::Draft => "draft",
            ApplicationState::InReview => "in_review",
            ApplicationState::Returned => "returned",
            ApplicationState::Approved => "approved",
            ApplicationState::Paid => "paid",
            ApplicationState::Rejected => "rejected",
            ApplicationState::Cancelled => "cancelled",
        }
    }

    pub fn from_code(code: &str) -> Option<ApplicationState> {
        ApplicationState::ALL
            .into_iter()
            .find(|state| state.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            ApplicationState::Draft => "未送审",
            ApplicationState::InReview => "审核中",
            ApplicationState::Returned => "已退回",
            ApplicationState::Approved => "已生成凭证",
            ApplicationState::Paid => "已支付",
            ApplicationState::Rejected => "已驳回",
            ApplicationState::Cancelled => "已作废",
        }
    }

    /// The submitter may still edit the application.
    pub fn is_editable(self) -> bool {
        matches!(self, ApplicationState::Draft | ApplicationState::Returned)
    }
}

fn parse_account_no(text: &str) -> Result<AccountNo, Rejection> {
    if text.trim().is_empty() {
        return Err(Rejection::FieldRequired {
            field: "收款人账号",
        });
    }
    AccountNo::parse(text)
}

fn parse_amount(text: &str) -> Result<Fen, Rejection> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Rejection::FieldRequired {
            field: "支付申请金额",
        });
    }
    let amount = match Fen::parse_yuan(text, "支付申请金额") {
        Ok(amount) => amount,
        // Whole 元 too many to fit in i64 fen are too large, not malformed.
        Err(_) if text.len() > 15 && text.chars().all(|c| c.is_ascii_digit()) => {
            Fen(AMOUNT_MAX.0.saturating_add(1))
        }
        Err(rejection) => return Err(rejection),
    };
    check_amount(amount, "支付申请金额")
}

/// A required free text: trimmed, bounded, without control or special characters.
pub fn check_text(field: &'static str, text: &str, chars_max: usize) -> Result<String, Rejection> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Rejection::FieldRequired { field });
    }
    if text.chars().count() > chars_max {
        return Err(Rejection::FieldTooLong {
            field,
            length_max: chars_max,
        });
    }
    if text
        .chars()
        .any(|c| c.is_control() || SPECIAL_CHARS.contains(&c))
    {
        return Err(Rejection::TextHasSpecialChars { field });
    }
    Ok(text.to_owned())
}

/// 收款人全称: a name, not a number (DOMAIN.md §3.7 "全部为数字").
fn check_payee_name(text: &str) -> Result<String, Rejection> {
    let name = check_text("收款人全称", text, PAYEE_NAME_CHARS_MAX)?;
    if !name.chars().any(char::is_alphabetic) {
        return Err(Rejection::FieldInvalid {
            field: "收款人全称",
            expected: "单位或个人的名称，不能全部为数字或符号",
        });
    }
    Ok(name)
}

/// 用途: says what is paid for — some Chinese, not only digits, not a placeholder.
fn check_purpose(text: &str) -> Result<String, Rejection> {
    let purpose = check_text("用途", text, USE_DES_CHARS_MAX)?;
    let has_han = purpose
        .chars()
        .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    if !has_han || PLACEHOLDER_PURPOSES.contains(&purpose.as_str()) {
        return Err(Rejection::FieldInvalid {
            field: "用途",
            expected: "具体的支付用途（含汉字），不能只写“无”“其他”或数字",
        });
    }
    Ok(purpose)
}

fn pick_code(text: &str, codes: &[(&str, &str)], field: &'static str) -> Result<String, Rejection> {
    let text = text.trim();
    if text.is_empty() {
        return Ok("1".to_owned());
    }
    codes
        .iter()
        .find(|(code, label)| *code == text || *label == text)
        .map(|(code, _)| (*code).to_owned())
        .ok_or(Rejection::FieldInvalid {
            field,
            expected: "代码表中的代码",
        })
}

fn class_code(field: &'static str, text: &str) -> Result<String, Rejection> {
    let text = text.trim();
    if text.len() > 20 || !text.chars().all(|c| c.is_ascii_digit()) {
        return Err(Rejection::FieldInvalid {
            field,
            expected: "分类代码（数字），或留空沿用指标的分类",
        });
    }
    Ok(text.to_owned())
}
