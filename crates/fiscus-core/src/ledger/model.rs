//! The reference ledger: an in-memory replay of the same transfer semantics the store applies
//! in SQL, small enough to trust by reading. Property tests drive random operations through
//! both and assert equal balances (STYLE.md practice 24).
//!
//! Semantics, shared with `fiscus_store::ledger`:
//! - a batch applies entirely or not at all;
//! - a transfer id seen before with the same content is a repeat: nothing changes and the
//!   first outcome stands; with different content it is refused;
//! - a debit that is strict may not take the account's available balance
//!   (credits − debits − pending debits) below zero; a warned one may, and says so;
//! - a pending transfer is resolved at most once, by a post of at most its amount (the rest
//!   is released) or by a void; a post or void moves between the pending transfer's accounts.

use std::collections::BTreeMap;

use crate::ledger::{AccountId, Balances, TransferId, TransferKind, TransferSpec};
use crate::money::Fen;
use crate::rejection::Rejection;

/// How one transfer of an accepted batch ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Applied; `warned` when a non-strict debit took the available balance below zero.
    Applied { warned: bool },
    /// The same transfer was applied before; nothing changed.
    Repeat,
}

/// A stored transfer as the model remembers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredTransfer {
    pub spec: TransferSpec,
    /// For a pending transfer: whether a post or void has resolved it.
    pub resolved: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Model {
    pub accounts: BTreeMap<AccountId, Balances>,
    pub transfers: BTreeMap<TransferId, StoredTransfer>,
}

/// The balance changes of one transfer: (account, delta of its four totals).
pub fn deltas(spec: &TransferSpec, pending_amount: Fen) -> [(AccountId, Balances); 2] {
    let amount = spec.amount.0;
    let pending = pending_amount.0;
    let (debit, credit) = match spec.kind {
        TransferKind::Posted => (
            Balances {
                debits_posted: amount,
                ..Balances::default()
            },
            Balances {
                credits_posted: amount,
                ..Balances::default()
            },
        ),
        TransferKind::Pending => (
            Balances {
                debits_pending: amount,
                ..Balances::default()
            },
            Balances {
                credits_pending: amount,
                ..Balances::default()
            },
        ),
        TransferKind::PostPending => (
            Balances {
                debits_posted: amount,
                debits_pending: -pending,
                ..Balances::default()
            },
            Balances {
                credits_posted: amount,
                credits_pending: -pending,
                ..Balances::default()
            },
        ),
        TransferKind::VoidPending => (
            Balances {
                debits_pending: -pending,
                ..Balances::default()
            },
            Balances {
                credits_pending: -pending,
                ..Balances::default()
            },
        ),
    };
    [(spec.debit.clone(), debit), (spec.credit.clone(), credit)]
}

fn add(balances: &mut Balances, delta: &Balances) {
    balances.debits_posted += delta.debits_posted;
    balances.credits_posted += delta.credits_posted;
    balances.debits_pending += delta.debits_pending;
    balances.credits_pending += delta.credits_pending;
}

/// Whether two specs are the same request (a post or void compares without its accounts,
/// which come from the pending transfer).
pub fn same_request(first: &TransferSpec, again: &TransferSpec) -> bool {
    let resolves = matches!(
        again.kind,
        TransferKind::PostPending | TransferKind::VoidPending
    );
    first.kind == again.kind
        && first.pending_id == again.pending_id
        && first.reason == again.reason
        && (again.kind == TransferKind::VoidPending || first.amount == again.amount)
        && (resolves || (first.debit == again.debit && first.credit == again.credit))
}

impl Model {
    pub fn balances(&self, account: &AccountId) -> Balances {
        self.accounts.get(account).copied().unwrap_or_default()
    }

    /// Applies a batch, all or nothing.
    pub fn apply(&mut self, batch: &[TransferSpec]) -> Result<Vec<Outcome>, Rejection> {
        // `apply_one` changes nothing when it refuses, so a single transfer needs no trial
        // copy (bulk seeds replay hundreds of thousands of them).
        if let [spec] = batch {
            return Ok(vec![self.apply_one(spec)?]);
        }
        let mut trial = self.clone();
        let mut outcomes = Vec::with_capacity(batch.len());
        for spec in batch {
            outcomes.push(trial.apply_one(spec)?);
        }
        *self = trial;
        Ok(outcomes)
    }

    /// Applies one transfer; on refusal nothing has changed (the pending is marked resolved
    /// only on paths that cannot fail afterwards).
    fn apply_one(&mut self, spec: &TransferSpec) -> Result<Outcome, Rejection> {
        check_shape(spec)?;
        if let Some(first) = self.transfers.get(&spec.transfer_id) {
            if same_request(&first.spec, spec) {
                return Ok(Outcome::Repeat);
            }
            return Err(Rejection::IdempotencyKeyReused {
                key: spec.transfer_id.to_string(),
            });
        }
        let mut spec = spec.clone();
        let mut pending_amount = Fen::ZERO;
        if matches!(
            spec.kind,
            TransferKind::PostPending | TransferKind::VoidPending
        ) {
            let pending_id = spec
                .pending_id
                .clone()
                .ok_or(Rejection::NotFound { what: "预占" })?;
            let pending = self
                .transfers
                .get_mut(&pending_id)
                .filter(|stored| stored.spec.kind == TransferKind::Pending)
                .ok_or(Rejection::NotFound { what: "预占" })?;
            if pending.resolved {
                return Err(Rejection::PendingAlreadyResolved {
                    transfer_id: pending_id.to_string(),
                });
            }
            pending_amount = pending.spec.amount;
            if spec.kind == TransferKind::VoidPending {
                spec.amount = pending_amount;
            } else if spec.amount > pending_amount {
                return Err(Rejection::ExceedsPendingAmount {
                    pending_fen: pending_amount.0,
                });
            }
            spec.debit = pending.spec.debit.clone();
            spec.credit = pending.spec.credit.clone();
            spec.ctrl = pending.spec.ctrl;
            pending.resolved = true;
        }
        let [(debit, debit_delta), (credit, credit_delta)] = deltas(&spec, pending_amount);
        let mut debit_after = self.balances(&debit);
        add(&mut debit_after, &debit_delta);
        let goes_negative = debit_after.available() < 0
            && matches!(spec.kind, TransferKind::Posted | TransferKind::Pending);
        if goes_negative && spec.debit_is_strict() {
            let before = self.balances(&debit).available();
            return Err(overdraw(&spec, before));
        }
        self.accounts.insert(debit, debit_after);
        add(self.accounts.entry(credit).or_default(), &credit_delta);
        self.transfers.insert(
            spec.transfer_id.clone(),
            StoredTransfer {
                spec: spec.clone(),
                resolved: false,
            },
        );
        Ok(Outcome::Applied {
            warned: goes_negative && spec.ctrl == crate::ledger::CtrlLevel::Warn,
        })
    }
}

/// The rules of a transfer on its own, checked before anything is read: a posted or pending
/// amount is not negative and at most `AMOUNT_MAX`, between two different accounts; a post
/// is not negative. (Zero is the caller's business: the use cases refuse it with
/// `amount_not_positive`; the ledger itself can carry it.)
pub fn check_shape(spec: &TransferSpec) -> Result<(), Rejection> {
    match spec.kind {
        TransferKind::Posted | TransferKind::Pending => {
            if spec.amount.0 < 0 {
                return Err(Rejection::AmountNegative { field: "金额" });
            }
            if spec.amount > crate::ledger::AMOUNT_MAX {
                return Err(Rejection::AmountTooLarge {
                    field: "金额",
                    yuan_max: crate::ledger::AMOUNT_MAX_YUAN,
                });
            }
            if spec.debit == spec.credit {
                return Err(Rejection::IndicatorSameOnBothSides);
            }
        }
        TransferKind::PostPending if spec.amount.0 < 0 => {
            return Err(Rejection::AmountNegative {
                field: "过账金额"
            });
        }
        TransferKind::PostPending | TransferKind::VoidPending => {}
    }
    Ok(())
}

/// The rejection of a strict debit beyond the balance, by the kind of account overdrawn.
pub fn overdraw(spec: &TransferSpec, available_fen: i64) -> Rejection {
    use crate::ledger::AccountKind;
    let (kind, bgt_id) = spec.debit.split().unwrap_or((AccountKind::Avail, None));
    let bgt_id = bgt_id.unwrap_or_default().to_owned();
    match kind {
        AccountKind::Frozen => Rejection::ExceedsFrozenAmount {
            bgt_id,
            frozen_fen: available_fen,
        },
        AccountKind::Spent | AccountKind::WrittenOff => Rejection::ExceedsSpentAmount {
            bgt_id,
            spent_fen: available_fen,
        },
        AccountKind::Avail | AccountKind::Source => Rejection::ExceedsAvailableBalance {
            bgt_id,
            available_fen,
        },
    }
}
