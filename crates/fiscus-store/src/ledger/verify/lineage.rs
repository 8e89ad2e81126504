//! (e) Lineage sums of `fiscus verify`: a split or carried-over indicator got exactly its
//! original amount from its parent's `.a`, and no parent gave its children more than its own
//! gross inflow (unless a non-strict control let its `.a` go below zero).

use std::collections::BTreeMap;

use super::{Check, Violation, lenient, owner_of};
use crate::{StoreError, Tx, on_tx};

/// The reasons of the transfers that create a child from its parent.
const LINEAGE_REASONS: &str = "('split', 'carry_over')";

struct Child {
    parent: String,
    orig_amount_fen: i64,
    received_fen: i128,
}

pub(super) async fn check(tx: &mut Tx, found: &mut Vec<Violation>) -> Result<(), StoreError> {
    let children: Vec<(String, String, i64)> = on_tx!(tx, conn => sqlx::query_as(
        "SELECT bgt_id, ori_bgt_id, orig_amount_fen FROM indicator WHERE ori_bgt_id IS NOT NULL")
        .fetch_all(&mut *conn)
        .await?);
    let mut children: BTreeMap<String, Child> = children
        .into_iter()
        .map(|(bgt_id, parent, orig_amount_fen)| {
            let child = Child {
                parent,
                orig_amount_fen,
                received_fen: 0,
            };
            (bgt_id, child)
        })
        .collect();
    let sql = format!(
        "SELECT debit_account_id, credit_account_id, CAST(SUM(amount_fen) AS BIGINT) FROM ledger_transfer \
         WHERE reason IN {LINEAGE_REASONS} AND kind = 'posted' \
         GROUP BY debit_account_id, credit_account_id ORDER BY debit_account_id, credit_account_id"
    );
    let moves: Vec<(String, String, i64)> = on_tx!(tx, conn => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?);
    let mut given: BTreeMap<String, i128> = BTreeMap::new();
    for (debit, credit, amount) in moves {
        let child = credit
            .strip_suffix(".a")
            .and_then(|child| children.get_mut(child));
        match child {
            Some(child) if debit.strip_suffix(".a") == Some(child.parent.as_str()) => {
                child.received_fen += i128::from(amount);
                *given.entry(child.parent.clone()).or_default() += i128::from(amount);
            }
            _ => found.push(Violation {
                check: Check::LineageSum,
                subject: credit.clone(),
                detail: format!(
                    "split / carry-over of {amount} from {debit} to {credit}, which is not its child"
                ),
            }),
        }
    }
    for (bgt_id, child) in &children {
        if child.received_fen != i128::from(child.orig_amount_fen) {
            found.push(Violation {
                check: Check::LineageSum,
                subject: bgt_id.clone(),
                detail: format!(
                    "created with {} but received {} from its parent {}",
                    child.orig_amount_fen, child.received_fen, child.parent
                ),
            });
        }
    }
    overgiven(tx, &given, found).await
}

/// Parents whose children received more than the parent's gross inflow.
async fn overgiven(
    tx: &mut Tx,
    given: &BTreeMap<String, i128>,
    found: &mut Vec<Violation>,
) -> Result<(), StoreError> {
    if given.is_empty() {
        return Ok(());
    }
    // One grouped scan of the inflows, joined to the parents by equality: a join on "credit
    // account is one of the parent's four" would leave the planner a nested loop over every
    // transfer for each parent.
    let crosses = format!(
        "kind IN ('posted', 'post_pending') AND {} <> {}",
        owner_of("credit_account_id"),
        owner_of("debit_account_id")
    );
    let sql = format!(
        "SELECT p.bgt_id, CAST(COALESCE(g.gross, 0) AS BIGINT), \
         CASE WHEN {lenient} THEN TRUE ELSE FALSE END \
         FROM (SELECT DISTINCT ori_bgt_id AS bgt_id FROM indicator WHERE ori_bgt_id IS NOT NULL) p \
         LEFT JOIN (SELECT {credit_owner} AS bgt_id, SUM(amount_fen) AS gross FROM ledger_transfer \
             WHERE {crosses} GROUP BY {credit_owner}) g ON g.bgt_id = p.bgt_id \
         ORDER BY p.bgt_id",
        lenient = lenient("p.bgt_id || '.a'"),
        credit_owner = owner_of("credit_account_id"),
    );
    let parents: Vec<(String, i64, bool)> = on_tx!(tx, conn => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?);
    for (bgt_id, gross_inflow, lenient) in parents {
        let given = given.get(&bgt_id).copied().unwrap_or_default();
        if !lenient && given > i128::from(gross_inflow) {
            found.push(Violation {
                check: Check::LineageOvergiven,
                subject: bgt_id,
                detail: format!(
                    "gave its children {given} but received only {gross_inflow} in all"
                ),
            });
        }
    }
    Ok(())
}
