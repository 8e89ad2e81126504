//! The indicator ledger (指标账), pure: accounts, immutable transfers between them, two-phase
//! reservations and the rules that turn an indicator operation into transfers. The store
//! applies transfers with single-statement conditional updates; `model.rs` is the in-memory
//! reference the property tests compare it with. See ADR 0008.
//!
//! Every indicator owns four accounts: `a` 可用 (what may still be spent or moved; reservations
//! are its pending debits), `f` 冻结, `s` 已支出 and `w` 已核销 (advances only). Money enters
//! the ledger from a region-year source account (预算来源, `src.{mof_div_code}.{year}`) that
//! may go negative, so the sum of all balances is zero after every batch.

pub mod control;
pub mod indicator;
pub mod model;
pub mod operation;
pub mod year_end;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::code::{FiscalYear, MofDivCode};
use crate::money::Fen;
use crate::rejection::Rejection;

pub use control::{ControlPoint, ControlTable, CtrlLevel, EcoRefinement};
pub use indicator::{ExeFlag, IndicatorDraft, IndicatorElements, PoolLevel};
pub use operation::{FreezeBy, Operation, Plan, PlanFacts, plan};

/// One transfer moves at most this much: 10 万亿元. Balances stay far inside `i64`.
pub const AMOUNT_MAX: Fen = Fen(1_000_000_000_000_000);
/// The same bound as shown in messages.
pub const AMOUNT_MAX_YUAN: &str = "10,000,000,000,000.00";
/// One operation document or one API batch carries at most this many transfers.
pub const BATCH_TRANSFERS_MAX: usize = 1_000;

/// Checks that an amount is positive and at most [`AMOUNT_MAX`].
pub fn check_amount(amount: Fen, field: &'static str) -> Result<Fen, Rejection> {
    if amount.0 <= 0 {
        return Err(Rejection::AmountNotPositive { field });
    }
    if amount > AMOUNT_MAX {
        return Err(Rejection::AmountTooLarge {
            field,
            yuan_max: AMOUNT_MAX_YUAN,
        });
    }
    Ok(amount)
}

macro_rules! ledger_id {
    ($(#[$meta:meta])* $name:ident, $field:literal, $len_max:literal, $extra:literal, $expected:literal) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const LEN_MAX: usize = $len_max;

            pub fn parse(text: &str) -> Result<$name, Rejection> {
                let text = text.trim();
                let ok = !text.is_empty()
                    && text.len() <= Self::LEN_MAX
                    && text
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || $extra.as_bytes().contains(&b));
                if !ok {
                    return Err(Rejection::FieldInvalid {
                        field: $field,
                        expected: $expected,
                    });
                }
                Ok($name(text.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// An id the system generated itself (random hex, numbered placeholders): valid
            /// by construction, so it skips the parse.
            pub fn generated(text: String) -> $name {
                debug_assert!($name::parse(&text).is_ok(), "{text}");
                $name(text)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Rejection;
            fn try_from(text: String) -> Result<$name, Rejection> {
                $name::parse(&text)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

ledger_id!(
    /// `bgt_id`, the indicator's key (VARCHAR 38 in the standard).
    BgtId,
    "指标主键",
    38,
    "-_",
    "1–38 位字母、数字、- 或 _"
);
ledger_id!(
    /// A client-supplied transfer id: the idempotency key of one transfer.
    TransferId,
    "交易编号",
    64,
    "-_.:",
    "1–64 位字母、数字或 - _ . :"
);

/// The accounts an indicator owns, plus the source every region-year has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// 可用: released money not yet frozen or spent; reservations are its pending debits.
    Avail,
    /// 冻结.
    Frozen,
    /// 已支出.
    Spent,
    /// 已核销 (on an advance, 预拨).
    WrittenOff,
    /// 预算来源: where newly entered money comes from; may go negative.
    Source,
}

impl AccountKind {
    pub const OF_INDICATOR: [AccountKind; 4] = [
        AccountKind::Avail,
        AccountKind::Frozen,
        AccountKind::Spent,
        AccountKind::WrittenOff,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AccountKind::Avail => "a",
            AccountKind::Frozen => "f",
            AccountKind::Spent => "s",
            AccountKind::WrittenOff => "w",
            AccountKind::Source => "src",
        }
    }

    pub fn from_code(code: &str) -> Option<AccountKind> {
        [
            AccountKind::Avail,
            AccountKind::Frozen,
            AccountKind::Spent,
            AccountKind::WrittenOff,
            AccountKind::Source,
        ]
        .into_iter()
        .find(|kind| kind.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            AccountKind::Avail => "可用",
            AccountKind::Frozen => "冻结",
            AccountKind::Spent => "已支出",
            AccountKind::WrittenOff => "已核销",
            AccountKind::Source => "预算来源",
        }
    }

    /// Whether a debit may take the account below zero at all. Frozen, spent and written-off
    /// amounts can only give back what they hold; the source is unbounded; the available
    /// account follows the control level of the operation.
    pub fn always_strict(self) -> bool {
        matches!(
            self,
            AccountKind::Frozen | AccountKind::Spent | AccountKind::WrittenOff
        )
    }
}

/// `{bgt_id}.{kind}` for an indicator's account, `src.{mof_div_code}.{year}` for a source.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AccountId(String);

impl AccountId {
    pub fn of(bgt_id: &BgtId, kind: AccountKind) -> AccountId {
        AccountId(format!("{}.{}", bgt_id.as_str(), kind.code()))
    }

    pub fn source(mof_div_code: &MofDivCode, fiscal_year: FiscalYear) -> AccountId {
        AccountId(format!("src.{}.{}", mof_div_code.as_str(), fiscal_year.0))
    }

    /// The account's kind and, for an indicator account, its `bgt_id`.
    pub fn split(&self) -> Option<(AccountKind, Option<&str>)> {
        if self.0.starts_with("src.") {
            return Some((AccountKind::Source, None));
        }
        let (bgt_id, kind) = self.0.rsplit_once('.')?;
        Some((AccountKind::from_code(kind)?, Some(bgt_id)))
    }

    pub fn kind(&self) -> Option<AccountKind> {
        self.split().map(|(kind, _)| kind)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A stored id, as read back from the database.
    pub fn from_stored(text: String) -> AccountId {
        AccountId(text)
    }
}

impl std::fmt::Display for AccountId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Two-phase semantics, as in TigerBeetle: a transfer is posted at once, or held as pending
/// and later posted (in full or in part, releasing the rest) or voided — once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferKind {
    Posted,
    Pending,
    PostPending,
    VoidPending,
}

impl TransferKind {
    pub fn code(self) -> &'static str {
        match self {
            TransferKind::Posted => "posted",
            TransferKind::Pending => "pending",
            TransferKind::PostPending => "post_pending",
            TransferKind::VoidPending => "void_pending",
        }
    }

    pub fn from_code(code: &str) -> Option<TransferKind> {
        [
            TransferKind::Posted,
            TransferKind::Pending,
            TransferKind::PostPending,
            TransferKind::VoidPending,
        ]
        .into_iter()
        .find(|kind| kind.code() == code)
    }
}

/// Why money moved: the operation behind a transfer (shown on the 账页).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// 录入 / 下达 from a new document.
    Enter,
    /// 分解 / 分配 to a unit or sub-unit.
    Split,
    /// 追加.
    Supplement,
    /// 追减 / 收回.
    Cut,
    /// 调剂, one leg of a linked batch.
    Reallocate,
    Freeze,
    Unfreeze,
    /// 核销 of an advance by a formal indicator.
    WriteOff,
    /// 结转 into next year's indicator.
    CarryOver,
    /// 结余 back to the region's pool.
    Lapse,
    /// A payment's reservation (预占) and its post or void.
    Payment,
    /// 退款: money back from the payee within the year.
    Refund,
}

impl Reason {
    pub const ALL: [Reason; 12] = [
        Reason::Enter,
        Reason::Split,
        Reason::Supplement,
        Reason::Cut,
        Reason::Reallocate,
        Reason::Freeze,
        Reason::Unfreeze,
        Reason::WriteOff,
        Reason::CarryOver,
        Reason::Lapse,
        Reason::Payment,
        Reason::Refund,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Reason::Enter => "enter",
            Reason::Split => "split",
            Reason::Supplement => "supplement",
            Reason::Cut => "cut",
            Reason::Reallocate => "reallocate",
            Reason::Freeze => "freeze",
            Reason::Unfreeze => "unfreeze",
            Reason::WriteOff => "write_off",
            Reason::CarryOver => "carry_over",
            Reason::Lapse => "lapse",
            Reason::Payment => "payment",
            Reason::Refund => "refund",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Reason::Enter => "录入下达",
            Reason::Split => "分解",
            Reason::Supplement => "追加",
            Reason::Cut => "追减收回",
            Reason::Reallocate => "调剂",
            Reason::Freeze => "冻结",
            Reason::Unfreeze => "解冻",
            Reason::WriteOff => "核销",
            Reason::CarryOver => "结转",
            Reason::Lapse => "结余收回",
            Reason::Payment => "支付",
            Reason::Refund => "退款",
        }
    }

    pub fn from_code(code: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|reason| reason.code() == code)
    }
}

/// One transfer to apply. `debit` loses, `credit` gains. For `PostPending` the amount is what
/// is posted (≤ the pending amount; the rest is released); for `VoidPending` it is ignored and
/// stored as the pending amount.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferSpec {
    pub transfer_id: TransferId,
    pub debit: AccountId,
    pub credit: AccountId,
    pub amount: Fen,
    pub kind: TransferKind,
    /// The pending transfer a post or void resolves.
    pub pending_id: Option<TransferId>,
    pub reason: Reason,
    /// How the available account of the debit side is controlled for this transfer.
    pub ctrl: CtrlLevel,
}

impl TransferSpec {
    /// A posted transfer under `ctrl`.
    pub fn posted(
        transfer_id: TransferId,
        debit: AccountId,
        credit: AccountId,
        amount: Fen,
        reason: Reason,
        ctrl: CtrlLevel,
    ) -> TransferSpec {
        TransferSpec {
            transfer_id,
            debit,
            credit,
            amount,
            kind: TransferKind::Posted,
            pending_id: None,
            reason,
            ctrl,
        }
    }

    /// Whether the debit side must not go below zero.
    pub fn debit_is_strict(&self) -> bool {
        match self.debit.kind() {
            Some(AccountKind::Source) | None => false,
            Some(kind) if kind.always_strict() => true,
            Some(_) => self.ctrl == CtrlLevel::Strict,
        }
    }
}

/// The four running totals of an account. Posted and pending amounts are kept apart.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balances {
    pub debits_posted: i64,
    pub credits_posted: i64,
    pub debits_pending: i64,
    pub credits_pending: i64,
}

impl Balances {
    /// Credits less debits, pending debits included: what may still leave the account.
    pub fn available(&self) -> i64 {
        self.credits_posted - self.debits_posted - self.debits_pending
    }

    /// Credits less debits, posted only.
    pub fn posted(&self) -> i64 {
        self.credits_posted - self.debits_posted
    }
}

/// What a finance user reads off an indicator (DOMAIN.md §4.4: aviamt, frozenamt, useamt …).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    /// 指标金额: everything that came in from outside the indicator, net of what left it.
    pub total_fen: i64,
    pub frozen_fen: i64,
    /// 在途 (已申请未支付): pending reservations.
    pub reserved_fen: i64,
    pub spent_fen: i64,
    pub written_off_fen: i64,
    /// 可用余额.
    pub available_fen: i64,
}

impl Figures {
    /// From the four accounts of one indicator.
    pub fn of(
        avail: &Balances,
        frozen: &Balances,
        spent: &Balances,
        written_off: &Balances,
    ) -> Figures {
        let available_fen = avail.available();
        let reserved_fen = avail.debits_pending;
        let frozen_fen = frozen.posted();
        let spent_fen = spent.posted();
        let written_off_fen = written_off.posted();
        Figures {
            total_fen: available_fen + reserved_fen + frozen_fen + spent_fen + written_off_fen,
            frozen_fen,
            reserved_fen,
            spent_fen,
            written_off_fen,
            available_fen,
        }
    }
}
