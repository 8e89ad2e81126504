//! Storage of the indicator ledger: indicators, their accounts and the immutable transfers.
//! Architecture invariant: no code outside this module writes `ledger_account`,
//! `ledger_transfer` or `indicator` rows.
//!
//! A transfer is applied in the caller's transaction as: the idempotency check, then each
//! account's totals by one conditional UPDATE (a strict debit carries its balance condition
//! in the WHERE clause, so nothing is read and then written), then the transfer row. On
//! error the caller rolls back (the transaction, or its savepoint): a batch is all or nothing.
//! The semantics are those of `fiscus_core::ledger::model`, which the tests compare.

pub mod batch;
mod control;
mod indicator;
pub mod query;
mod scope;
pub mod seed;
pub mod verify;
pub mod year_end;

pub use control::*;
pub use indicator::*;
pub use scope::*;

use std::collections::BTreeMap;

use fiscus_core::ledger::model::{overdraw, same_request};
use fiscus_core::ledger::{
    AccountId, AccountKind, Balances, CtrlLevel, Reason, TransferId, TransferKind, TransferSpec,
};
use fiscus_core::{Fen, Rejection};
use sqlx::Row;

use crate::sql::{Bind, Sql};
use crate::{Db, StoreError, Tx, bound_query, on_db, on_tx};

/// Who and why, for every transfer of one batch.
#[derive(Clone, Copy, Debug)]
pub struct BatchMeta<'a> {
    /// The request or document whose transfers succeed or fail together.
    pub batch_id: &'a str,
    pub doc_id: Option<&'a str>,
    pub actor: &'a str,
    pub at: &'a str,
}

/// How one transfer ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// Written now, at position `seq`. `warned`: a warned debit went below zero.
    New { seq: i64, warned: bool },
    /// Written before with the same content: nothing changed.
    Repeat { seq: i64 },
}

impl Applied {
    pub fn seq(self) -> i64 {
        match self {
            Applied::New { seq, .. } | Applied::Repeat { seq } => seq,
        }
    }
}

/// Applies the transfers in order. Any error leaves partial writes in `tx`: the caller must
/// roll back. A `StoreError::UniqueViolation` means a concurrent request inserted the same
/// transfer id first; rolling back and applying again reports it as a repeat.
pub async fn apply_transfers(
    tx: &mut Tx,
    transfers: &[TransferSpec],
    meta: BatchMeta<'_>,
) -> Result<Vec<Applied>, StoreError> {
    let mut outcomes = Vec::with_capacity(transfers.len());
    for spec in transfers {
        outcomes.push(apply_one(tx, spec, meta).await?);
    }
    // The closed-year guard (ADR 0011), after the account updates: on PostgreSQL their row
    // locks make this read see a close that committed meanwhile. Repeats are not new writes.
    let new = transfers
        .iter()
        .zip(&outcomes)
        .filter(|(_, outcome)| matches!(outcome, Applied::New { .. }))
        .map(|(spec, _)| spec);
    let accounts = year_end::opened_accounts(new);
    if let Some((_, rejection)) = year_end::first_closed_account(tx, &accounts).await? {
        return Err(rejection.into());
    }
    Ok(outcomes)
}

pub(crate) const TRANSFER_COLUMNS: &str = "seq, transfer_id, batch_id, debit_account_id, credit_account_id, kind, amount_fen, pending_id, pending_amount_fen, reason, ctrl_level, warned, doc_id, actor, created_at";

/// One stored transfer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TransferRow {
    pub seq: i64,
    pub transfer_id: String,
    pub batch_id: String,
    pub debit_account_id: String,
    pub credit_account_id: String,
    pub kind: String,
    pub amount_fen: i64,
    pub pending_id: Option<String>,
    pub pending_amount_fen: i64,
    pub reason: String,
    pub ctrl_level: String,
    pub warned: bool,
    pub doc_id: Option<String>,
    pub actor: String,
    pub created_at: String,
}

pub(crate) fn transfer_of<R>(row: &R) -> Result<TransferRow, sqlx::Error>
where
    R: Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(TransferRow {
        seq: row.try_get(0)?,
        transfer_id: row.try_get(1)?,
        batch_id: row.try_get(2)?,
        debit_account_id: row.try_get(3)?,
        credit_account_id: row.try_get(4)?,
        kind: row.try_get(5)?,
        amount_fen: row.try_get(6)?,
        pending_id: row.try_get(7)?,
        pending_amount_fen: row.try_get(8)?,
        reason: row.try_get(9)?,
        ctrl_level: row.try_get(10)?,
        warned: row.try_get(11)?,
        doc_id: row.try_get(12)?,
        actor: row.try_get(13)?,
        created_at: row.try_get(14)?,
    })
}

impl TransferRow {
    /// The spec this row was written from (for the idempotency comparison).
    pub fn spec(&self) -> Result<TransferSpec, StoreError> {
        let corrupt =
            |what: &str| StoreError::Corrupt(format!("transfer {}: {what}", self.transfer_id));
        Ok(TransferSpec {
            transfer_id: TransferId::parse(&self.transfer_id).map_err(|_| corrupt("id"))?,
            debit: AccountId::from_stored(self.debit_account_id.clone()),
            credit: AccountId::from_stored(self.credit_account_id.clone()),
            amount: Fen(self.amount_fen),
            kind: TransferKind::from_code(&self.kind).ok_or_else(|| corrupt("kind"))?,
            pending_id: match &self.pending_id {
                Some(id) => Some(TransferId::parse(id).map_err(|_| corrupt("pending_id"))?),
                None => None,
            },
            reason: Reason::from_code(&self.reason).ok_or_else(|| corrupt("reason"))?,
            ctrl: CtrlLevel::from_code(&self.ctrl_level).ok_or_else(|| corrupt("ctrl_level"))?,
        })
    }
}

/// One transfer by id.
pub async fn transfer(tx: &mut Tx, transfer_id: &str) -> Result<Option<TransferRow>, StoreError> {
    let sql = format!("SELECT {TRANSFER_COLUMNS} FROM ledger_transfer WHERE transfer_id = $1");
    let row = on_tx!(tx, conn => match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(transfer_id).fetch_optional(&mut *conn).await? {
        Some(row) => Some(transfer_of(&row)?),
        None => None,
    });
    Ok(row)
}

/// One transfer by id, outside a transaction.
pub async fn transfer_read(db: &Db, transfer_id: &str) -> Result<Option<TransferRow>, StoreError> {
    let sql = format!("SELECT {TRANSFER_COLUMNS} FROM ledger_transfer WHERE transfer_id = $1");
    let row = on_db!(db, pool => match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(transfer_id).fetch_optional(pool).await? {
        Some(row) => Some(transfer_of(&row)?),
        None => None,
    });
    Ok(row)
}

async fn apply_one(
    tx: &mut Tx,
    spec: &TransferSpec,
    meta: BatchMeta<'_>,
) -> Result<Applied, StoreError> {
    fiscus_core::ledger::model::check_shape(spec)?;
    if let Some(first) = transfer(tx, spec.transfer_id.as_str()).await? {
        if same_request(&first.spec()?, spec) {
            return Ok(Applied::Repeat { seq: first.seq });
        }
        return Err(Rejection::IdempotencyKeyReused {
            key: spec.transfer_id.to_string(),
        }
        .into());
    }
    let mut spec = spec.clone();
    let mut pending_amount = 0_i64;
    // A post or void without a document of its own belongs to its reservation's.
    let mut doc_id = meta.doc_id.map(str::to_owned);
    if matches!(
        spec.kind,
        TransferKind::PostPending | TransferKind::VoidPending
    ) {
        let pending_id = spec
            .pending_id
            .clone()
            .ok_or(Rejection::NotFound { what: "预占" })?;
        let pending = transfer(tx, pending_id.as_str())
            .await?
            .filter(|row| row.kind == TransferKind::Pending.code())
            .ok_or(Rejection::NotFound { what: "预占" })?;
        let resolved: Option<i64> = on_tx!(tx, conn => sqlx::query_scalar("SELECT seq FROM ledger_transfer WHERE pending_id = $1")
            .bind(pending_id.as_str())
            .fetch_optional(&mut *conn)
            .await?);
        if resolved.is_some() {
            return Err(Rejection::PendingAlreadyResolved {
                transfer_id: pending_id.to_string(),
            }
            .into());
        }
        pending_amount = pending.amount_fen;
        if doc_id.is_none() {
            doc_id.clone_from(&pending.doc_id);
        }
        if spec.kind == TransferKind::VoidPending {
            spec.amount = Fen(pending_amount);
        } else if spec.amount.0 > pending_amount {
            return Err(Rejection::ExceedsPendingAmount {
                pending_fen: pending_amount,
            }
            .into());
        }
        let pending_spec = pending.spec()?;
        spec.debit = pending_spec.debit;
        spec.credit = pending_spec.credit;
        spec.ctrl = pending_spec.ctrl;
    }
    for account in [&spec.debit, &spec.credit] {
        if account.kind() == Some(AccountKind::Source) {
            ensure_source_account(tx, account).await?;
        }
    }
    let [(debit, debit_delta), (credit, credit_delta)] =
        fiscus_core::ledger::model::deltas(&spec, Fen(pending_amount));
    let opens_debit = matches!(spec.kind, TransferKind::Posted | TransferKind::Pending);
    let condition = (opens_debit && spec.debit_is_strict()).then_some(spec.amount.0);
    let available_after = add_to_account(tx, &debit, &debit_delta, condition).await?;
    let Some(available_after) = available_after else {
        let available = account_balances(tx, &debit)
            .await?
            .ok_or(Rejection::NotFound {
                what: "指标账户"
            })?
            .available();
        return Err(overdraw(&spec, available).into());
    };
    add_to_account(tx, &credit, &credit_delta, None)
        .await?
        .ok_or(Rejection::NotFound {
            what: "指标账户"
        })?;
    let warned = opens_debit && spec.ctrl == CtrlLevel::Warn && available_after < 0;
    let seq: i64 = on_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO ledger_transfer (transfer_id, batch_id, debit_account_id, credit_account_id, kind, amount_fen, pending_id, pending_amount_fen, reason, ctrl_level, warned, doc_id, actor, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING seq")
        .bind(spec.transfer_id.as_str())
        .bind(meta.batch_id)
        .bind(debit.as_str())
        .bind(credit.as_str())
        .bind(spec.kind.code())
        .bind(spec.amount.0)
        .bind(spec.pending_id.as_ref().map(|id| id.as_str().to_owned()))
        .bind(pending_amount)
        .bind(spec.reason.code())
        .bind(spec.ctrl.code())
        .bind(warned)
        .bind(doc_id)
        .bind(meta.actor)
        .bind(meta.at)
        .fetch_one(&mut *conn)
        .await?);
    Ok(Applied::New { seq, warned })
}

/// Adds `delta` to the account's totals in one statement; with `condition = Some(amount)`
/// only when `amount` is still available. Returns the available balance after, or `None`
/// when no row matched (no such account, or the condition failed).
async fn add_to_account(
    tx: &mut Tx,
    account: &AccountId,
    delta: &Balances,
    condition: Option<i64>,
) -> Result<Option<i64>, StoreError> {
    let mut sql = Sql::new(
        "UPDATE ledger_account SET debits_posted = debits_posted + $1, credits_posted = credits_posted + $2, \
         debits_pending = debits_pending + $3, credits_pending = credits_pending + $4 WHERE account_id = $5",
    );
    sql.binds = vec![
        Bind::Int(Some(delta.debits_posted)),
        Bind::Int(Some(delta.credits_posted)),
        Bind::Int(Some(delta.debits_pending)),
        Bind::Int(Some(delta.credits_pending)),
        Bind::text(account.as_str()),
    ];
    if let Some(amount) = condition {
        sql.push(" AND credits_posted - debits_posted - debits_pending >= ")
            .bind(Bind::Int(Some(amount)));
    }
    sql.push(" RETURNING credits_posted - debits_posted - debits_pending");
    let available = on_tx!(tx, conn => match bound_query!(&sql).fetch_optional(&mut *conn).await? {
        Some(row) => Some(row.try_get::<i64, _>(0)?),
        None => None,
    });
    Ok(available)
}

pub(crate) async fn ensure_source_account(
    tx: &mut Tx,
    account: &AccountId,
) -> Result<(), StoreError> {
    let mut parts = account.as_str().split('.');
    let (Some(_), Some(region), Some(year)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(StoreError::Corrupt(format!("source account {account}")));
    };
    let year: i64 = year
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("source account {account}")))?;
    on_tx!(tx, conn => { sqlx::query(
        "INSERT INTO ledger_account (account_id, kind, bgt_id, mof_div_code, fiscal_year) VALUES ($1, 'src', NULL, $2, $3) ON CONFLICT (account_id) DO NOTHING")
        .bind(account.as_str())
        .bind(region)
        .bind(year)
        .execute(&mut *conn)
        .await?; });
    Ok(())
}

/// The four totals of one account.
pub async fn account_balances(
    tx: &mut Tx,
    account: &AccountId,
) -> Result<Option<Balances>, StoreError> {
    let row = on_tx!(tx, conn => match sqlx::query("SELECT debits_posted, credits_posted, debits_pending, credits_pending FROM ledger_account WHERE account_id = $1")
        .bind(account.as_str())
        .fetch_optional(&mut *conn)
        .await? {
        Some(row) => Some(Balances {
            debits_posted: row.try_get(0)?,
            credits_posted: row.try_get(1)?,
            debits_pending: row.try_get(2)?,
            credits_pending: row.try_get(3)?,
        }),
        None => None,
    });
    Ok(row)
}

/// The four totals of every account, by id (tests and the reference-model comparison).
pub async fn all_balances(db: &Db) -> Result<BTreeMap<String, Balances>, StoreError> {
    let rows = on_db!(db, pool => {
        let rows = sqlx::query("SELECT account_id, debits_posted, credits_posted, debits_pending, credits_pending FROM ledger_account")
            .fetch_all(pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok::<_, sqlx::Error>((row.try_get::<String, _>(0)?, Balances {
                    debits_posted: row.try_get(1)?,
                    credits_posted: row.try_get(2)?,
                    debits_pending: row.try_get(3)?,
                    credits_pending: row.try_get(4)?,
                }))
            })
            .collect::<Result<BTreeMap<_, _>, _>>()?
    });
    Ok(rows)
}
