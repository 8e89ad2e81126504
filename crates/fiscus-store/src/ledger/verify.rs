//! The ledger checks of `fiscus verify`: every balance recomputed from its entries and the
//! invariants of the ledger, as read-only SQL aggregates over one snapshot.
//!
//! Each check is one statement (a few full scans of `ledger_transfer` in all, grouped once by
//! debit account and once by credit account), and only the rows that break a rule come back,
//! so the cost grows with the ledger and the answer with the damage. The semantics are those
//! of `fiscus_core::ledger::model`:
//! - posted totals: + amount on `posted` and `post_pending`;
//! - pending totals: + amount on `pending`, − the held amount on `post_pending`/`void_pending`.
//!
//! A non-strict debit (warn / none) may take an available account below zero. The checks that
//! follow from "no overdraft" (an `.a` below zero, reserved + spent beyond what came in, a
//! parent giving more than it got) therefore skip an indicator whose `.a` was ever debited
//! under a non-strict control.

pub mod bench;
mod lineage;

use sqlx::Row;

use crate::{Db, StoreError, Tx, on_tx};

/// The rule a violation breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Check {
    /// An account id that does not follow `{bgt_id}.{a|f|s|w}` / `src.{region}.{year}`, or an
    /// indicator without its four accounts.
    AccountMalformed,
    /// An account's stored totals differ from the sums of its transfers.
    BalanceMismatch,
    /// The stored totals of all accounts do not balance (debits ≠ credits).
    LedgerUnbalanced,
    /// A transfer row that cannot be: negative amount, debit = credit, unknown kind or
    /// control level, pending fields on the wrong kind.
    TransferMalformed,
    /// A strictly controlled account below zero.
    NegativeBalance,
    /// Reserved + spent beyond the net inflow of the indicator.
    Overspent,
    /// A split / carry-over child whose lineage transfers do not add up to its original
    /// amount, or a lineage transfer that does not go from a parent to its child.
    LineageSum,
    /// A parent that gave its children more than its own gross inflow.
    LineageOvergiven,
    /// A pending transfer posted or voided more than once.
    PendingResolvedTwice,
    /// A post or void that does not fit its pending transfer (unknown, other accounts, other
    /// held amount, more than held, or before it).
    PendingResolutionInvalid,
    /// An approved budget line whose indicator is missing or does not name the line back
    /// (`bgt_pman_id`), or an indicator naming a line that does not name it.
    BudgetLineage,
}

impl Check {
    pub const ALL: [Check; 11] = [
        Check::AccountMalformed,
        Check::BalanceMismatch,
        Check::LedgerUnbalanced,
        Check::TransferMalformed,
        Check::NegativeBalance,
        Check::Overspent,
        Check::LineageSum,
        Check::LineageOvergiven,
        Check::PendingResolvedTwice,
        Check::PendingResolutionInvalid,
        Check::BudgetLineage,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Check::AccountMalformed => "account_malformed",
            Check::BalanceMismatch => "balance_mismatch",
            Check::LedgerUnbalanced => "ledger_unbalanced",
            Check::TransferMalformed => "transfer_malformed",
            Check::NegativeBalance => "negative_balance",
            Check::Overspent => "overspent",
            Check::LineageSum => "lineage_sum",
            Check::LineageOvergiven => "lineage_overgiven",
            Check::PendingResolvedTwice => "pending_resolved_twice",
            Check::PendingResolutionInvalid => "pending_resolution_invalid",
            Check::BudgetLineage => "budget_lineage",
        }
    }
}

/// One broken rule on one subject (an account, a transfer, an indicator).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub check: Check,
    pub subject: String,
    pub detail: String,
}

/// What the ledger checks looked at and what they found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LedgerReport {
    pub n_indicators: i64,
    pub n_accounts: i64,
    pub n_transfers: i64,
    pub violations: Vec<Violation>,
}

/// Runs every ledger check on one consistent snapshot (a read-only transaction on a reader).
pub async fn verify_ledger(db: &Db) -> Result<LedgerReport, StoreError> {
    let mut snapshot = read_snapshot(db).await?;
    let tx = &mut snapshot;
    let mut report = LedgerReport {
        n_indicators: count(tx, "indicator").await?,
        n_accounts: count(tx, "ledger_account").await?,
        n_transfers: count(tx, "ledger_transfer").await?,
        violations: Vec::new(),
    };
    let found = &mut report.violations;
    accounts_malformed(tx, found).await?;
    balances_recomputed(tx, found).await?;
    ledger_balanced(tx, found).await?;
    transfers_malformed(tx, found).await?;
    negative_balances(tx, found).await?;
    overspent(tx, found).await?;
    lineage::check(tx, found).await?;
    pending_resolutions(tx, found).await?;
    budget_lineage(tx, found).await?;
    Ok(report)
}

/// (h) Budget lineage: each approved line and its indicator name each other.
async fn budget_lineage(tx: &mut Tx, found: &mut Vec<Violation>) -> Result<(), StoreError> {
    let broken: Vec<(String, Option<String>, Option<String>)> = on_tx!(tx, conn => sqlx::query_as(
        "SELECT l.bgt_pman_id, l.bgt_id, i.bgt_pman_id FROM budget_line l LEFT JOIN indicator i ON i.bgt_id = l.bgt_id \
         WHERE l.bgt_id IS NOT NULL AND (i.bgt_id IS NULL OR i.bgt_pman_id IS NULL OR i.bgt_pman_id <> l.bgt_pman_id) \
         ORDER BY l.bgt_pman_id")
        .fetch_all(&mut *conn)
        .await?);
    for (line, bgt_id, back) in broken {
        found.push(Violation {
            check: Check::BudgetLineage,
            subject: line,
            detail: format!(
                "budget line names indicator {} which names line {}",
                bgt_id.unwrap_or_default(),
                back.unwrap_or_else(|| "none".to_owned())
            ),
        });
    }
    let orphans: Vec<(String, String)> = on_tx!(tx, conn => sqlx::query_as(
        "SELECT i.bgt_id, i.bgt_pman_id FROM indicator i LEFT JOIN budget_line l ON l.bgt_pman_id = i.bgt_pman_id \
         WHERE i.bgt_pman_id IS NOT NULL AND (l.bgt_pman_id IS NULL OR l.bgt_id IS NULL OR l.bgt_id <> i.bgt_id) \
         ORDER BY i.bgt_id")
        .fetch_all(&mut *conn)
        .await?);
    for (bgt_id, line) in orphans {
        found.push(Violation {
            check: Check::BudgetLineage,
            subject: bgt_id,
            detail: format!("indicator names budget line {line} which does not name it back"),
        });
    }
    Ok(())
}

/// A read-only transaction, so that every check sees the same ledger while writers go on.
/// Dropping it rolls back.
async fn read_snapshot(db: &Db) -> Result<Tx, StoreError> {
    Ok(match db {
        Db::Sqlite { read, .. } => Tx::Sqlite(read.begin().await?),
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
            Tx::Postgres(tx)
        }
    })
}

async fn count(tx: &mut Tx, table: &str) -> Result<i64, StoreError> {
    crate::bulk::count_rows(tx, table).await
}

/// The posted and pending totals one side of a transfer contributes (model.rs `deltas`).
const POSTED_DELTA: &str =
    "CASE WHEN kind IN ('posted', 'post_pending') THEN amount_fen ELSE 0 END";
const PENDING_DELTA: &str = "CASE WHEN kind = 'pending' THEN amount_fen \
     WHEN kind IN ('post_pending', 'void_pending') THEN -pending_amount_fen ELSE 0 END";

/// `{bgt_id}` of an indicator account id (the kind codes are one letter).
pub(crate) fn owner_of(column: &str) -> String {
    format!("substr({column}, 1, length({column}) - 2)")
}

/// Whether the account's `.a` was ever debited under a non-strict control.
pub(crate) fn lenient(avail_account: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM ledger_transfer l WHERE l.debit_account_id = {avail_account} \
         AND l.ctrl_level <> 'strict')"
    )
}

async fn accounts_malformed(tx: &mut Tx, found: &mut Vec<Violation>) -> Result<(), StoreError> {
    let rows: Vec<(String, String)> = on_tx!(tx, conn => sqlx::query_as(
        "SELECT account_id, kind FROM ledger_account \
         WHERE (kind IN ('a', 'f', 's', 'w') AND (bgt_id IS NULL OR account_id <> bgt_id || '.' || kind)) \
            OR (kind = 'src' AND (bgt_id IS NOT NULL \
                OR account_id <> 'src.' || mof_div_code || '.' || CAST(fiscal_year AS TEXT))) \
            OR kind NOT IN ('a', 'f', 's', 'w', 'src') \
         ORDER BY account_id")
        .fetch_all(&mut *conn)
        .await?);
    for (account_id, kind) in rows {
        found.push(Violation {
            check: Check::AccountMalformed,
            subject: account_id,
            detail: format!("account of kind {kind:?} does not follow the account naming"),
        });
    }
    let missing: Vec<String> = on_tx!(tx, conn => sqlx::query_scalar(
        "SELECT i.bgt_id FROM indicator i WHERE \
            NOT EXISTS (SELECT 1 FROM ledger_account x WHERE x.account_id = i.bgt_id || '.a') \
         OR NOT EXISTS (SELECT 1 FROM ledger_account x WHERE x.account_id = i.bgt_id || '.f') \
         OR NOT EXISTS (SELECT 1 FROM ledger_account x WHERE x.account_id = i.bgt_id || '.s') \
         OR NOT EXISTS (SELECT 1 FROM ledger_account x WHERE x.account_id = i.bgt_id || '.w') \
         ORDER BY i.bgt_id")
        .fetch_all(&mut *conn)
        .await?);
    for bgt_id in missing {
        found.push(Violation {
            check: Check::AccountMalformed,
            subject: bgt_id,
            detail: "indicator lacks one of its four accounts (a, f, s, w)".into(),
        });
    }
    Ok(())
}

/// (a) Each account's four totals equal the sums recomputed from its transfers.
async fn balances_recomputed(tx: &mut Tx, found: &mut Vec<Violation>) -> Result<(), StoreError> {
    let side = |column: &str| {
        format!(
            "SELECT {column} AS account_id, CAST(SUM({POSTED_DELTA}) AS BIGINT) AS posted, \
             CAST(SUM({PENDING_DELTA}) AS BIGINT) AS pending FROM ledger_transfer GROUP BY {column}"
        )
    };
    let sql = format!(
        "SELECT a.account_id, a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending, \
         COALESCE(d.posted, 0), COALESCE(c.posted, 0), COALESCE(d.pending, 0), COALESCE(c.pending, 0) \
         FROM ledger_account a \
         LEFT JOIN ({}) d ON d.account_id = a.account_id \
         LEFT JOIN ({}) c ON c.account_id = a.account_id \
         WHERE a.debits_posted <> COALESCE(d.posted, 0) OR a.credits_posted <> COALESCE(c.posted, 0) \
            OR a.debits_pending <> COALESCE(d.pending, 0) OR a.credits_pending <> COALESCE(c.pending, 0) \
         ORDER BY a.account_id",
        side("debit_account_id"),
        side("credit_account_id"),
    );
    on_tx!(tx, conn => {
        for row in sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *conn).await? {
            let stored: [i64; 4] = [row.try_get(1)?, row.try_get(2)?, row.try_get(3)?, row.try_get(4)?];
            let entries: [i64; 4] = [row.try_get(5)?, row.try_get(6)?, row.try_get(7)?, row.try_get(8)?];
            found.push(Violation {
                check: Check::BalanceMismatch,
                subject: row.try_get(0)?,
                detail: format!(
                    "stored (debits posted, credits posted, debits pending, credits pending) = {stored:?}, \
                     its transfers sum to {entries:?}"
                ),
            });
        }
    });
    Ok(())
}

/// (b) The stored totals of all accounts balance. Every transfer row is one debit and one
/// credit of the same amount, so a batch balances when its rows are well formed (checked in
/// `transfers_malformed`); what can drift is a stored total, which this sum catches.
async fn ledger_balanced(tx: &mut Tx, found: &mut Vec<Violation>) -> Result<(), StoreError> {
    let sums: (i64, i64, i64, i64) = on_tx!(tx, conn => sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(debits_posted), 0) AS BIGINT), CAST(COALESCE(SUM(credits_posted), 0) AS BIGINT), \
         CAST(COALESCE(SUM(debits_pending), 0) AS BIGINT), CAST(COALESCE(SUM(credits_pending), 0) AS BIGINT) \
         FROM ledger_account")
        .fetch_one(&mut *conn)
        .await?);
    let (debits_posted, credits_posted, debits_pending, credits_pending) = sums;
    if debits_posted != credits_posted {
        found.push(Violation {
            check: Check::LedgerUnbalanced,
            subject: "posted".into(),
            detail: format!(
                "all accounts: debits posted {debits_posted} ≠ credits posted {credits_posted}"
            ),
        });
    }
    if debits_pending != credits_pending {
        found.push(Violation {
            check: Check::LedgerUnbalanced,
            subject: "pending".into(),
            detail: format!(
                "all accounts: debits pending {debits_pending} ≠ credits pending {credits_pending}"
            ),
        });
    }
    Ok(())
}

/// (b) Every transfer row is possible: amounts ≥ 0, two different accounts, a known kind and
/// control level, a pending reference exactly on posts and voids.
async fn transfers_malformed(tx: &mut Tx, found: &mut Vec<Violation>) -> Result<(), StoreError> {
    type Malformed = (
        String,
        String,
        i64,
        i64,
        String,
        String,
        Option<String>,
        String,
    );
    let rows: Vec<Malformed> = on_tx!(tx, conn => sqlx::query_as(
        "SELECT transfer_id, kind, amount_fen, pending_amount_fen, debit_account_id, credit_account_id, \
         pending_id, ctrl_level FROM ledger_transfer \
         WHERE amount_fen < 0 OR pending_amount_fen < 0 OR debit_account_id = credit_account_id \
            OR kind NOT IN ('posted', 'pending', 'post_pending', 'void_pending') \
            OR ctrl_level NOT IN ('strict', 'warn', 'none') \
            OR (kind IN ('posted', 'pending') AND (pending_id IS NOT NULL OR pending_amount_fen <> 0)) \
            OR (kind IN ('post_pending', 'void_pending') AND pending_id IS NULL) \
         ORDER BY seq")
        .fetch_all(&mut *conn)
        .await?);
    for (transfer_id, kind, amount, pending_amount, debit, credit, pending_id, ctrl) in rows {
        let mut what = Vec::new();
        if amount < 0 || pending_amount < 0 {
            what.push(format!("negative amount ({amount}, held {pending_amount})"));
        }
        if debit == credit {
            what.push(format!("debits and credits the same account {debit}"));
        }
        if !matches!(
            kind.as_str(),
            "posted" | "pending" | "post_pending" | "void_pending"
        ) {
            what.push(format!("unknown kind {kind:?}"));
        } else if matches!(kind.as_str(), "posted" | "pending")
            == (pending_id.is_some() || pending_amount != 0)
        {
            what.push(format!("pending reference does not fit kind {kind}"));
        }
        if !matches!(ctrl.as_str(), "strict" | "warn" | "none") {
            what.push(format!("unknown control level {ctrl:?}"));
        }
        found.push(Violation {
            check: Check::TransferMalformed,
            subject: transfer_id,
            detail: what.join("; "),
        });
    }
    Ok(())
}

/// (c) Frozen, spent and written-off accounts are never below zero; an available account
/// only when a non-strict control let it.
async fn negative_balances(tx: &mut Tx, found: &mut Vec<Violation>) -> Result<(), StoreError> {
    let sql = format!(
        "SELECT a.account_id, a.credits_posted - a.debits_posted - a.debits_pending FROM ledger_account a \
         WHERE a.credits_posted - a.debits_posted - a.debits_pending < 0 \
           AND (a.kind IN ('f', 's', 'w') OR (a.kind = 'a' AND NOT {})) \
         ORDER BY a.account_id",
        lenient("a.account_id")
    );
    let rows: Vec<(String, i64)> = on_tx!(tx, conn => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?);
    for (account_id, available) in rows {
        found.push(Violation {
            check: Check::NegativeBalance,
            subject: account_id,
            detail: format!(
                "balance {available} below zero although every debit of it was strictly controlled"
            ),
        });
    }
    Ok(())
}

/// (d) Reserved + spent never exceed the net inflow of the indicator: what was posted into
/// its four accounts from elsewhere, less what was posted out of them to elsewhere.
async fn overspent(tx: &mut Tx, found: &mut Vec<Violation>) -> Result<(), StoreError> {
    let crosses = format!(
        "kind IN ('posted', 'post_pending') AND {} <> {}",
        owner_of("credit_account_id"),
        owner_of("debit_account_id")
    );
    // One grouped pass over the transfers and the indicators (a join of the indicators to a
    // grouped subquery has no index on SQLite and is quadratic: minutes at corps scale).
    let sql = format!(
        "SELECT x.bgt_id, x.released, x.reserved, x.spent FROM ( \
           SELECT bgt_id, CAST(SUM(released) AS BIGINT) AS released, CAST(SUM(reserved) AS BIGINT) AS reserved, \
             CAST(SUM(spent) AS BIGINT) AS spent, SUM(is_indicator) AS is_indicator FROM ( \
             SELECT {credit_owner} AS bgt_id, amount_fen AS released, 0 AS reserved, 0 AS spent, 0 AS is_indicator \
               FROM ledger_transfer WHERE {crosses} \
             UNION ALL \
             SELECT {debit_owner}, -amount_fen, 0, 0, 0 FROM ledger_transfer WHERE {crosses} \
             UNION ALL \
             SELECT i.bgt_id, 0, a.debits_pending, s.credits_posted - s.debits_posted, 1 FROM indicator i \
               JOIN ledger_account a ON a.account_id = i.bgt_id || '.a' \
               JOIN ledger_account s ON s.account_id = i.bgt_id || '.s' \
           ) flows GROUP BY bgt_id \
         ) x \
         WHERE x.is_indicator > 0 AND x.reserved + x.spent > x.released AND NOT {lenient} \
         ORDER BY x.bgt_id",
        credit_owner = owner_of("credit_account_id"),
        debit_owner = owner_of("debit_account_id"),
        lenient = lenient("x.bgt_id || '.a'"),
    );
    let rows: Vec<(String, i64, i64, i64)> = on_tx!(tx, conn => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?);
    for (bgt_id, released, reserved, spent) in rows {
        found.push(Violation {
            check: Check::Overspent,
            subject: bgt_id,
            detail: format!(
                "reserved {reserved} + spent {spent} exceed the {released} released into it"
            ),
        });
    }
    Ok(())
}

/// (f) Each pending transfer is resolved at most once, and each post or void fits the
/// pending transfer it names.
async fn pending_resolutions(tx: &mut Tx, found: &mut Vec<Violation>) -> Result<(), StoreError> {
    let twice: Vec<(String, i64)> = on_tx!(tx, conn => sqlx::query_as(
        "SELECT pending_id, COUNT(*) FROM ledger_transfer WHERE pending_id IS NOT NULL \
         GROUP BY pending_id HAVING COUNT(*) > 1 ORDER BY pending_id")
        .fetch_all(&mut *conn)
        .await?);
    for (pending_id, n) in twice {
        found.push(Violation {
            check: Check::PendingResolvedTwice,
            subject: pending_id,
            detail: format!("resolved {n} times"),
        });
    }
    type Resolution = (
        String,
        String,
        i64,
        i64,
        Option<String>,
        Option<i64>,
        bool,
        bool,
    );
    let rows: Vec<Resolution> = on_tx!(tx, conn => sqlx::query_as(
        "SELECT r.transfer_id, r.kind, r.amount_fen, r.pending_amount_fen, p.kind, p.amount_fen, \
         CASE WHEN p.debit_account_id = r.debit_account_id AND p.credit_account_id = r.credit_account_id THEN TRUE ELSE FALSE END, \
         CASE WHEN p.seq < r.seq THEN TRUE ELSE FALSE END \
         FROM ledger_transfer r LEFT JOIN ledger_transfer p ON p.transfer_id = r.pending_id \
         WHERE r.pending_id IS NOT NULL AND r.kind IN ('post_pending', 'void_pending') \
           AND (p.seq IS NULL OR p.kind <> 'pending' OR p.seq > r.seq \
             OR p.debit_account_id <> r.debit_account_id OR p.credit_account_id <> r.credit_account_id \
             OR r.pending_amount_fen <> p.amount_fen OR r.amount_fen > p.amount_fen \
             OR (r.kind = 'void_pending' AND r.amount_fen <> p.amount_fen)) \
         ORDER BY r.seq")
        .fetch_all(&mut *conn)
        .await?);
    for (transfer_id, kind, amount, held, pending_kind, pending_amount, same_accounts, after) in
        rows
    {
        let detail = match (pending_kind.as_deref(), pending_amount) {
            (Some("pending"), Some(pending_amount)) => {
                let mut what = Vec::new();
                if !same_accounts {
                    what.push("moves between other accounts than its pending transfer".to_owned());
                }
                if !after {
                    what.push("comes before its pending transfer".to_owned());
                }
                if held != pending_amount {
                    what.push(format!(
                        "records {held} held, the pending transfer held {pending_amount}"
                    ));
                }
                if amount > pending_amount || (kind == "void_pending" && amount != pending_amount) {
                    what.push(format!("{kind} of {amount} against {pending_amount} held"));
                }
                what.join("; ")
            }
            (Some(other), _) => format!("resolves a transfer of kind {other}, not a pending one"),
            (None, _) => "resolves a pending transfer that does not exist".to_owned(),
        };
        found.push(Violation {
            check: Check::PendingResolutionInvalid,
            subject: transfer_id,
            detail,
        });
    }
    Ok(())
}
