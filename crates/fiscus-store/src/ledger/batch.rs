//! Group application of many independent requests in one transaction, with a constant number
//! of statements per group instead of several per transfer: the accounts and transfers the
//! group touches are read once (locked on PostgreSQL; on SQLite the transaction already holds
//! the write lock), each request is applied to a `fiscus_core::ledger::model::Model` of that
//! state — so the semantics are the reference model's by construction — and the result is
//! written back with multi-row inserts and compare-and-set updates.
//!
//! The write-back is still a single-statement conditional update per chunk of accounts: each
//! row changes only where all four totals are still the values read. If any row does not
//! match, the group fails with an error and the caller rolls back and applies the requests
//! one by one (`apply_transfers`); nothing half-happens.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use fiscus_core::Rejection;
use fiscus_core::ledger::model::{Model, Outcome, StoredTransfer};
use fiscus_core::ledger::{AccountId, AccountKind, Balances, TransferKind, TransferSpec};
use sqlx::Row;

use crate::ledger::{Applied, BatchMeta, TRANSFER_COLUMNS, ensure_source_account, transfer_of};
use crate::sql::{Bind, Sql};
use crate::{Backend, StoreError, Tx, bound_query, on_tx};

/// One request of a group: its transfers succeed or fail together.
#[derive(Clone, Copy, Debug)]
pub struct GroupRequest<'a> {
    pub transfers: &'a [TransferSpec],
    pub meta: BatchMeta<'a>,
}

/// Binds per statement of the group's reads and writes: below SQLite's limit and its
/// quadratic parse cost, few enough statements on PostgreSQL.
fn binds_max(backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => 900,
        Backend::Postgres => 20_000,
    }
}

/// Applies each request on its own terms (all or nothing per request) inside `tx`. The outer
/// error means the group could not be applied; roll back and go one by one.
pub async fn apply_group(
    tx: &mut Tx,
    requests: &[GroupRequest<'_>],
) -> Result<Vec<Result<Vec<Applied>, Rejection>>, StoreError> {
    let mut transfer_ids = BTreeSet::new();
    let mut pending_ids = BTreeSet::new();
    let mut account_ids = BTreeSet::new();
    for request in requests {
        for spec in request.transfers {
            transfer_ids.insert(spec.transfer_id.as_str().to_owned());
            match spec.kind {
                TransferKind::Posted | TransferKind::Pending => {
                    for account in [&spec.debit, &spec.credit] {
                        if account.kind() == Some(AccountKind::Source) {
                            ensure_source_account(tx, account).await?;
                        }
                        account_ids.insert(account.as_str().to_owned());
                    }
                }
                TransferKind::PostPending | TransferKind::VoidPending => {
                    if let Some(pending_id) = &spec.pending_id {
                        pending_ids.insert(pending_id.as_str().to_owned());
                    }
                }
            }
        }
    }
    let mut model = Model::default();
    let mut first_seq: HashMap<String, i64> = HashMap::new();
    // Each pending transfer's document: a post or void without one of its own takes it.
    let mut pending_docs: HashMap<String, Option<String>> = HashMap::new();
    let wanted: Vec<String> = transfer_ids.union(&pending_ids).cloned().collect();
    let resolved = resolved_pendings(tx, &pending_ids).await?;
    for row in transfers_by_id(tx, &wanted).await? {
        let spec = row.spec()?;
        if spec.kind == TransferKind::Pending {
            account_ids.insert(spec.debit.as_str().to_owned());
            account_ids.insert(spec.credit.as_str().to_owned());
        }
        first_seq.insert(row.transfer_id.clone(), row.seq);
        if spec.kind == TransferKind::Pending {
            pending_docs.insert(row.transfer_id.clone(), row.doc_id.clone());
        }
        model.transfers.insert(
            spec.transfer_id.clone(),
            StoredTransfer {
                resolved: resolved.contains(&row.transfer_id),
                spec,
            },
        );
    }
    let read = accounts_by_id(tx, &account_ids).await?;
    model.accounts = read.clone();
    // The closed-year guard (ADR 0011), after the accounts are locked.
    let closed = super::year_end::closed_accounts(tx, &account_ids).await?;

    let mut outcomes = Vec::with_capacity(requests.len());
    let mut new_rows: Vec<NewRow<'_>> = Vec::new();
    for request in requests {
        if let Some(missing) = missing_account(request.transfers, &read) {
            outcomes.push(Err(missing));
            continue;
        }
        if !closed.is_empty()
            && let Some(rejection) = request
                .transfers
                .iter()
                .filter(|spec| !model.transfers.contains_key(&spec.transfer_id))
                .flat_map(|spec| super::year_end::opened_accounts([spec]))
                .find_map(|account| closed.get(&account).cloned())
        {
            outcomes.push(Err(rejection));
            continue;
        }
        match model.apply(request.transfers) {
            Ok(applied) => {
                for (spec, outcome) in request.transfers.iter().zip(&applied) {
                    if let Outcome::Applied { warned } = outcome {
                        let stored = model
                            .transfers
                            .get(&spec.transfer_id)
                            .map_or_else(|| spec.clone(), |stored| stored.spec.clone());
                        let pending_amount = pending_amount_of(&model, &stored);
                        let doc_id = match (&request.meta.doc_id, &stored.pending_id) {
                            (Some(doc_id), _) => Some((*doc_id).to_owned()),
                            (None, Some(pending_id)) => {
                                pending_docs.get(pending_id.as_str()).cloned().flatten()
                            }
                            (None, None) => None,
                        };
                        if stored.kind == TransferKind::Pending {
                            pending_docs
                                .insert(stored.transfer_id.as_str().to_owned(), doc_id.clone());
                        }
                        new_rows.push(NewRow {
                            spec: stored,
                            pending_amount,
                            warned: *warned,
                            meta: request.meta,
                            doc_id,
                        });
                    }
                }
                outcomes.push(Ok(applied));
            }
            Err(rejection) => outcomes.push(Err(rejection)),
        }
    }
    write_accounts(tx, &read, &model.accounts).await?;
    for (transfer_id, seq) in insert_transfers(tx, &new_rows).await? {
        first_seq.insert(transfer_id, seq);
    }
    let mut results = Vec::with_capacity(requests.len());
    for (request, outcome) in requests.iter().zip(outcomes) {
        results.push(outcome.and_then(|applied| {
            request
                .transfers
                .iter()
                .zip(applied)
                .map(|(spec, outcome)| {
                    let seq = first_seq.get(spec.transfer_id.as_str()).copied().ok_or(
                        Rejection::NotFound {
                            what: "记账记录"
                        },
                    )?;
                    Ok(match outcome {
                        Outcome::Applied { warned } => Applied::New { seq, warned },
                        Outcome::Repeat => Applied::Repeat { seq },
                    })
                })
                .collect()
        }));
    }
    Ok(results)
}

/// A posted or pending transfer naming an account that does not exist (the model would
/// create it on the fly; the store refuses).
fn missing_account(
    transfers: &[TransferSpec],
    read: &BTreeMap<AccountId, Balances>,
) -> Option<Rejection> {
    transfers
        .iter()
        .filter(|spec| matches!(spec.kind, TransferKind::Posted | TransferKind::Pending))
        .flat_map(|spec| [&spec.debit, &spec.credit])
        .any(|account| !read.contains_key(account))
        .then_some(Rejection::NotFound {
            what: "指标账户"
        })
}

fn pending_amount_of(model: &Model, stored: &TransferSpec) -> i64 {
    match (stored.kind, &stored.pending_id) {
        (TransferKind::PostPending | TransferKind::VoidPending, Some(pending_id)) => model
            .transfers
            .get(pending_id)
            .map_or(0, |pending| pending.spec.amount.0),
        _ => 0,
    }
}

fn in_list(sql: &mut Sql, values: &[String]) {
    sql.push("(");
    for (index, value) in values.iter().enumerate() {
        if index > 0 {
            sql.push(", ");
        }
        sql.bind(Bind::text(value.as_str()));
    }
    sql.push(")");
}

async fn transfers_by_id(
    tx: &mut Tx,
    ids: &[String],
) -> Result<Vec<super::TransferRow>, StoreError> {
    let mut rows = Vec::new();
    for chunk in ids.chunks(binds_max(tx.backend())) {
        let mut sql = Sql::new(&format!(
            "SELECT {TRANSFER_COLUMNS} FROM ledger_transfer WHERE transfer_id IN "
        ));
        in_list(&mut sql, chunk);
        on_tx!(tx, conn => {
            for row in &bound_query!(&sql).fetch_all(&mut *conn).await? {
                rows.push(transfer_of(row)?);
            }
        });
    }
    Ok(rows)
}

async fn resolved_pendings(
    tx: &mut Tx,
    pending_ids: &BTreeSet<String>,
) -> Result<BTreeSet<String>, StoreError> {
    let ids: Vec<String> = pending_ids.iter().cloned().collect();
    let mut resolved = BTreeSet::new();
    for chunk in ids.chunks(binds_max(tx.backend())) {
        let mut sql = Sql::new("SELECT pending_id FROM ledger_transfer WHERE pending_id IN ");
        in_list(&mut sql, chunk);
        on_tx!(tx, conn => {
            for row in &bound_query!(&sql).fetch_all(&mut *conn).await? {
                resolved.insert(row.try_get::<String, _>(0)?);
            }
        });
    }
    Ok(resolved)
}

/// The accounts by id, locked for this transaction on PostgreSQL.
async fn accounts_by_id(
    tx: &mut Tx,
    ids: &BTreeSet<String>,
) -> Result<BTreeMap<AccountId, Balances>, StoreError> {
    let ids: Vec<String> = ids.iter().cloned().collect();
    let lock = match tx.backend() {
        Backend::Postgres => " ORDER BY account_id FOR UPDATE",
        Backend::Sqlite => "",
    };
    let mut accounts = BTreeMap::new();
    for chunk in ids.chunks(binds_max(tx.backend())) {
        let mut sql = Sql::new(
            "SELECT account_id, debits_posted, credits_posted, debits_pending, credits_pending \
             FROM ledger_account WHERE account_id IN ",
        );
        in_list(&mut sql, chunk);
        sql.push(lock);
        on_tx!(tx, conn => {
            for row in &bound_query!(&sql).fetch_all(&mut *conn).await? {
                accounts.insert(
                    AccountId::from_stored(row.try_get::<String, _>(0)?),
                    Balances {
                        debits_posted: row.try_get(1)?,
                        credits_posted: row.try_get(2)?,
                        debits_pending: row.try_get(3)?,
                        credits_pending: row.try_get(4)?,
                    },
                );
            }
        });
    }
    Ok(accounts)
}

/// Compare-and-set of every changed account, in chunks: a row changes only where its four
/// totals are still the ones read, and every row must change.
async fn write_accounts(
    tx: &mut Tx,
    read: &BTreeMap<AccountId, Balances>,
    after: &BTreeMap<AccountId, Balances>,
) -> Result<(), StoreError> {
    let changed: Vec<(&AccountId, &Balances, &Balances)> = after
        .iter()
        .filter_map(|(id, new)| {
            let old = read.get(id)?;
            (old != new).then_some((id, old, new))
        })
        .collect();
    if after.keys().any(|id| !read.contains_key(id)) {
        return Err(StoreError::Corrupt(
            "ledger group touched an account it did not read".into(),
        ));
    }
    const COLUMNS: usize = 9;
    let rows_per_statement = (binds_max(tx.backend()) / COLUMNS).max(1);
    for chunk in changed.chunks(rows_per_statement) {
        let mut sql =
            Sql::new("WITH d (account_id, odp, ocp, odpe, ocpe, ndp, ncp, ndpe, ncpe) AS (VALUES ");
        for (index, (id, old, new)) in chunk.iter().enumerate() {
            sql.push(if index == 0 { "(" } else { ", (" });
            sql.bind(Bind::text(id.as_str()));
            for value in [
                old.debits_posted,
                old.credits_posted,
                old.debits_pending,
                old.credits_pending,
                new.debits_posted,
                new.credits_posted,
                new.debits_pending,
                new.credits_pending,
            ] {
                sql.push(", ").bind(Bind::Int(Some(value)));
            }
            sql.push(")");
        }
        sql.push(
            ") UPDATE ledger_account SET debits_posted = d.ndp, credits_posted = d.ncp, \
             debits_pending = d.ndpe, credits_pending = d.ncpe FROM d \
             WHERE ledger_account.account_id = d.account_id \
             AND ledger_account.debits_posted = d.odp AND ledger_account.credits_posted = d.ocp \
             AND ledger_account.debits_pending = d.odpe AND ledger_account.credits_pending = d.ocpe",
        );
        let updated =
            on_tx!(tx, conn => bound_query!(&sql).execute(&mut *conn).await?.rows_affected());
        if updated != chunk.len() as u64 {
            return Err(StoreError::Corrupt(format!(
                "ledger group: {updated} of {} accounts still as read",
                chunk.len()
            )));
        }
    }
    Ok(())
}

/// A transfer the group writes.
struct NewRow<'a> {
    spec: TransferSpec,
    pending_amount: i64,
    warned: bool,
    meta: BatchMeta<'a>,
    doc_id: Option<String>,
}

/// Inserts the new transfers in order; returns each one's `seq`.
async fn insert_transfers(
    tx: &mut Tx,
    rows: &[NewRow<'_>],
) -> Result<Vec<(String, i64)>, StoreError> {
    const COLUMNS: usize = 14;
    let rows_per_statement = (binds_max(tx.backend()) / COLUMNS).max(1);
    let mut seqs = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(rows_per_statement) {
        let mut sql = Sql::new(
            "INSERT INTO ledger_transfer (transfer_id, batch_id, debit_account_id, credit_account_id, kind, \
             amount_fen, pending_id, pending_amount_fen, reason, ctrl_level, warned, doc_id, actor, created_at) VALUES ",
        );
        for (index, row) in chunk.iter().enumerate() {
            let NewRow {
                spec,
                pending_amount,
                warned,
                meta,
                doc_id,
            } = row;
            sql.push(if index == 0 { "(" } else { ", (" });
            let binds = [
                Bind::text(spec.transfer_id.as_str()),
                Bind::text(meta.batch_id),
                Bind::text(spec.debit.as_str()),
                Bind::text(spec.credit.as_str()),
                Bind::text(spec.kind.code()),
                Bind::Int(Some(spec.amount.0)),
                Bind::Text(spec.pending_id.as_ref().map(|id| id.as_str().to_owned())),
                Bind::Int(Some(*pending_amount)),
                Bind::text(spec.reason.code()),
                Bind::text(spec.ctrl.code()),
                Bind::Bool(Some(*warned)),
                Bind::Text(doc_id.clone()),
                Bind::text(meta.actor),
                Bind::text(meta.at),
            ];
            for (column, bind) in binds.into_iter().enumerate() {
                if column > 0 {
                    sql.push(", ");
                }
                sql.bind(bind);
            }
            sql.push(")");
        }
        sql.push(" RETURNING transfer_id, seq");
        on_tx!(tx, conn => {
            for row in &bound_query!(&sql).fetch_all(&mut *conn).await? {
                seqs.push((row.try_get::<String, _>(0)?, row.try_get::<i64, _>(1)?));
            }
        });
    }
    if seqs.len() != rows.len() {
        return Err(StoreError::Corrupt(format!(
            "ledger group: {} of {} transfers inserted",
            seqs.len(),
            rows.len()
        )));
    }
    Ok(seqs)
}
