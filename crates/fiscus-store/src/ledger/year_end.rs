//! Storage of the region year-end close (年终结转结余, ADR 0011): the open indicators of a
//! region and year read inside the close's transaction, the close written set-based — the
//! planned lines go into a TEMP table by multi-row inserts, then a constant number of
//! statements creates the next year's indicators and accounts from the old rows, inserts every
//! transfer, moves the balances with `UPDATE … FROM` and closes the old indicators — the
//! `year_end_close` record, and the closed-year guard of every other ledger write.

use std::collections::{BTreeMap, BTreeSet};

use fiscus_core::Rejection;
use fiscus_core::ledger::year_end::RegionClose;
use fiscus_core::ledger::{AccountKind, TransferKind, TransferSpec};
use sqlx::Row;

use super::{INDICATOR_SELECT, IndicatorRow, indicator_of};
use crate::sql::{Bind, Sql};
use crate::{Backend, Db, StoreError, Tx, bound_query, on_db, on_tx};

/// The record of one region's close.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CloseRecord {
    pub mof_div_code: String,
    pub mof_div_name: String,
    pub fiscal_year: i64,
    pub carry_rule: String,
    pub status: String,
    pub n_closed: i64,
    pub n_carried: i64,
    pub carried_fen: i64,
    pub lapsed_fen: i64,
    pub released_fen: i64,
    pub n_transfers: i64,
    pub batch_id: String,
    pub started_at: String,
    pub finished_at: String,
    pub closed_by: String,
}

/// Who, when and how, for the record.
#[derive(Clone, Copy, Debug)]
pub struct CloseMeta<'a> {
    pub mof_div_code: &'a str,
    pub batch_id: &'a str,
    pub carry_rule: &'a str,
    pub actor: &'a str,
    pub started_at: &'a str,
    pub at: &'a str,
}

/// Whether (region, year) is closed, inside `tx`.
pub async fn is_closed(
    tx: &mut Tx,
    mof_div_code: &str,
    fiscal_year: i32,
) -> Result<bool, StoreError> {
    let found: Option<i64> = on_tx!(tx, conn => sqlx::query_scalar(
        "SELECT fiscal_year FROM year_end_close WHERE mof_div_code = $1 AND fiscal_year = $2")
        .bind(mof_div_code)
        .bind(i64::from(fiscal_year))
        .fetch_optional(&mut *conn)
        .await?);
    Ok(found.is_some())
}

/// Whether (region, year) is closed, outside a transaction.
pub async fn is_closed_read(
    db: &Db,
    mof_div_code: &str,
    fiscal_year: i32,
) -> Result<bool, StoreError> {
    let found: Option<i64> = on_db!(db, pool => sqlx::query_scalar(
        "SELECT fiscal_year FROM year_end_close WHERE mof_div_code = $1 AND fiscal_year = $2")
        .bind(mof_div_code)
        .bind(i64::from(fiscal_year))
        .fetch_optional(pool)
        .await?);
    Ok(found.is_some())
}

/// The open indicators (every kind, pools too) of one region and year with their figures,
/// read inside the close's transaction (on SQLite it holds the write lock; on PostgreSQL the
/// close checks every balance after writing).
pub async fn open_indicators_in_tx(
    tx: &mut Tx,
    mof_div_code: &str,
    fiscal_year: i32,
) -> Result<Vec<IndicatorRow>, StoreError> {
    let mut sql = Sql::new(INDICATOR_SELECT);
    sql.push(" WHERE i.mof_div_code = ")
        .bind(Bind::text(mof_div_code))
        .push(" AND i.fiscal_year = ")
        .bind(Bind::Int(Some(i64::from(fiscal_year))))
        .push(" AND i.is_closed = FALSE ORDER BY i.bgt_id");
    let mut rows = Vec::new();
    on_tx!(tx, conn => {
        for row in &bound_query!(&sql).fetch_all(&mut *conn).await? {
            rows.push(indicator_of(row)?);
        }
    });
    Ok(rows)
}

/// Regions with open indicators of `fiscal_year` that are not closed yet, deepest first
/// (children before their parents), with their paths.
pub async fn regions_to_close(
    db: &Db,
    fiscal_year: i32,
) -> Result<Vec<(String, String)>, StoreError> {
    let rows: Vec<(String, String)> = on_db!(db, pool => sqlx::query_as(
        "SELECT r.mof_div_code, r.region_path FROM region r \
         WHERE EXISTS (SELECT 1 FROM indicator i WHERE i.mof_div_code = r.mof_div_code AND i.fiscal_year = $1 AND i.is_closed = FALSE) \
         AND NOT EXISTS (SELECT 1 FROM year_end_close c WHERE c.mof_div_code = r.mof_div_code AND c.fiscal_year = $1)")
        .bind(i64::from(fiscal_year))
        .fetch_all(pool)
        .await?);
    let mut rows = rows;
    rows.sort_by(|a, b| {
        let depth = |path: &str| path.matches('/').count();
        depth(&b.1).cmp(&depth(&a.1)).then_with(|| a.0.cmp(&b.0))
    });
    Ok(rows)
}

/// The close records, newest year first, of regions whose path starts with `region_path`.
pub async fn close_records(
    db: &Db,
    fiscal_year: Option<i64>,
    region_path: &str,
) -> Result<Vec<CloseRecord>, StoreError> {
    let mut sql = Sql::new(
        "SELECT c.mof_div_code, r.mof_div_name, c.fiscal_year, c.carry_rule, c.status, c.n_closed, c.n_carried, \
         c.carried_fen, c.lapsed_fen, c.released_fen, c.n_transfers, c.batch_id, c.started_at, c.finished_at, c.closed_by \
         FROM year_end_close c JOIN region r ON r.mof_div_code = c.mof_div_code WHERE r.region_path LIKE ",
    );
    sql.bind(Bind::text(format!(
        "{}%",
        crate::sql::like_escape(region_path)
    )));
    sql.push(" ESCAPE '\\'");
    if let Some(year) = fiscal_year {
        sql.push(" AND c.fiscal_year = ")
            .bind(Bind::Int(Some(year)));
    }
    sql.push(" ORDER BY c.fiscal_year DESC, r.region_path");
    let mut records = Vec::new();
    on_db!(db, pool => {
        for row in &bound_query!(&sql).fetch_all(pool).await? {
            records.push(CloseRecord {
                mof_div_code: row.try_get(0)?,
                mof_div_name: row.try_get(1)?,
                fiscal_year: row.try_get(2)?,
                carry_rule: row.try_get(3)?,
                status: row.try_get(4)?,
                n_closed: row.try_get(5)?,
                n_carried: row.try_get(6)?,
                carried_fen: row.try_get(7)?,
                lapsed_fen: row.try_get(8)?,
                released_fen: row.try_get(9)?,
                n_transfers: row.try_get(10)?,
                batch_id: row.try_get(11)?,
                started_at: row.try_get(12)?,
                finished_at: row.try_get(13)?,
                closed_by: row.try_get(14)?,
            });
        }
    });
    Ok(records)
}

/// Bind parameters per statement of the line inserts. SQLite parses `$N` names linearly
/// (quadratic in the count), but a prepared statement is reused for every full chunk.
fn line_binds_max(backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => 700,
        Backend::Postgres => 30_000,
    }
}

const LINE_COLUMNS: [&str; 7] = [
    "bgt_id",
    "new_bgt_id",
    "frozen_fen",
    "carry_fen",
    "lapse_fen",
    "first_n",
    "avail_after_fen",
];

/// Writes the close of one region inside `tx`, with its record. Any error leaves partial
/// writes: the caller rolls back. A balance that moved since the indicators were read fails
/// the close with `StoreError::Conflict`-like corruption message (the caller retries).
pub async fn write_close(
    tx: &mut Tx,
    close: &RegionClose,
    meta: CloseMeta<'_>,
) -> Result<(), StoreError> {
    let backend = tx.backend();
    exec(
        tx,
        "CREATE TEMP TABLE IF NOT EXISTS year_end_line (bgt_id TEXT PRIMARY KEY, new_bgt_id TEXT, \
         frozen_fen BIGINT NOT NULL, carry_fen BIGINT NOT NULL, lapse_fen BIGINT NOT NULL, \
         first_n BIGINT NOT NULL, avail_after_fen BIGINT NOT NULL)",
        Vec::new(),
    )
    .await?;
    exec(tx, "DELETE FROM year_end_line", Vec::new()).await?;
    let rows: Vec<Vec<Bind>> = close
        .lines
        .iter()
        .map(|line| {
            vec![
                Bind::text(line.bgt_id.as_str()),
                Bind::Text(line.new_bgt_id.as_ref().map(|id| id.as_str().to_owned())),
                Bind::Int(Some(line.frozen_fen)),
                Bind::Int(Some(line.carry_fen)),
                Bind::Int(Some(line.lapse_fen)),
                Bind::Int(Some(i64::try_from(line.first_n).unwrap_or(i64::MAX))),
                Bind::Int(Some(line.avail_after_fen)),
            ]
        })
        .collect();
    insert_lines(tx, rows, line_binds_max(backend)).await?;
    if backend == Backend::Postgres {
        exec(tx, "ANALYZE year_end_line", Vec::new()).await?;
    }
    let next_year = i64::from(close.fiscal_year.0) + 1;
    // The next year's indicators: the old rows' elements, a year on, 上年结转, with lineage.
    exec(
        tx,
        "INSERT INTO indicator (bgt_id, mof_div_code, fiscal_year, agency_code, pro_code, exp_func_code, \
         gov_bgt_eco_code, dep_bgt_eco_code, fund_type_code, bgt_type_code, pay_type_code, source_type_code, \
         cor_bgt_doc_no, bgt_doc_title, doc_date, bgt_dec, sup_bgt_doc_no, ori_bgt_id, bgt_exe_flag, pool_level, \
         is_direct, is_three_safe, is_three_public, is_gov_pur, is_contrlbyplan, is_not_control_pay, is_closed, \
         orig_amount_fen, doc_id, created_at) \
         SELECT l.new_bgt_id, i.mof_div_code, $1, i.agency_code, i.pro_code, i.exp_func_code, \
         i.gov_bgt_eco_code, i.dep_bgt_eco_code, i.fund_type_code, i.bgt_type_code, i.pay_type_code, $2, \
         i.cor_bgt_doc_no, i.bgt_doc_title, i.doc_date, i.bgt_dec, i.sup_bgt_doc_no, i.bgt_id, i.bgt_exe_flag, i.pool_level, \
         i.is_direct, i.is_three_safe, i.is_three_public, i.is_gov_pur, i.is_contrlbyplan, i.is_not_control_pay, FALSE, \
         l.carry_fen, $3, $4 \
         FROM year_end_line l JOIN indicator i ON i.bgt_id = l.bgt_id \
         WHERE l.new_bgt_id IS NOT NULL ORDER BY l.first_n",
        vec![
            Bind::Int(Some(next_year)),
            Bind::text(fiscus_core::ledger::operation::SOURCE_TYPE_CARRY_OVER),
            Bind::text(meta.batch_id),
            Bind::text(meta.at),
        ],
    )
    .await?;
    // Their four accounts; `.a` opens with the carried money (the carry transfers explain it).
    for kind in AccountKind::OF_INDICATOR {
        let credit = if kind == AccountKind::Avail {
            "l.carry_fen"
        } else {
            "0"
        };
        exec(
            tx,
            &format!(
                "INSERT INTO ledger_account (account_id, kind, bgt_id, mof_div_code, fiscal_year, \
                 debits_posted, credits_posted, debits_pending, credits_pending) \
                 SELECT l.new_bgt_id || $1, $2, l.new_bgt_id, $3, $4, 0, {credit}, 0, 0 \
                 FROM year_end_line l WHERE l.new_bgt_id IS NOT NULL"
            ),
            vec![
                Bind::text(format!(".{}", kind.code())),
                Bind::text(kind.code()),
                Bind::text(meta.mof_div_code),
                Bind::Int(Some(next_year)),
            ],
        )
        .await?;
    }
    // Every transfer, numbered as `plan` numbers them: per line release, carry, lapse.
    let pool_avail = close.lapse_to.clone();
    exec(
        tx,
        "INSERT INTO ledger_transfer (transfer_id, batch_id, debit_account_id, credit_account_id, kind, amount_fen, \
         pending_id, pending_amount_fen, reason, ctrl_level, warned, doc_id, actor, created_at) \
         SELECT $1 || '.' || CAST(t.n AS TEXT), $1, t.debit, t.credit, 'posted', t.amount, NULL, 0, t.reason, 'strict', FALSE, $1, $2, $3 \
         FROM ( \
           SELECT first_n AS n, bgt_id || '.f' AS debit, bgt_id || '.a' AS credit, frozen_fen AS amount, 'unfreeze' AS reason \
             FROM year_end_line WHERE frozen_fen > 0 \
           UNION ALL SELECT first_n + CASE WHEN frozen_fen > 0 THEN 1 ELSE 0 END, bgt_id || '.a', new_bgt_id || '.a', carry_fen, 'carry_over' \
             FROM year_end_line WHERE carry_fen > 0 \
           UNION ALL SELECT first_n + CASE WHEN frozen_fen > 0 THEN 1 ELSE 0 END + CASE WHEN carry_fen > 0 THEN 1 ELSE 0 END, \
             bgt_id || '.a', $4, lapse_fen, 'lapse' FROM year_end_line WHERE lapse_fen > 0 \
         ) t ORDER BY t.n",
        vec![
            Bind::text(meta.batch_id),
            Bind::text(meta.actor),
            Bind::text(meta.at),
            Bind::text(pool_avail.as_str()),
        ],
    )
    .await?;
    // The balances, set-based.
    exec(
        tx,
        "UPDATE ledger_account SET debits_posted = debits_posted + l.frozen_fen \
         FROM year_end_line l WHERE ledger_account.account_id = l.bgt_id || '.f' AND l.frozen_fen > 0",
        Vec::new(),
    )
    .await?;
    exec(
        tx,
        "UPDATE ledger_account SET credits_posted = credits_posted + l.frozen_fen, \
         debits_posted = debits_posted + l.carry_fen + l.lapse_fen \
         FROM year_end_line l WHERE ledger_account.account_id = l.bgt_id || '.a' \
         AND l.frozen_fen + l.carry_fen + l.lapse_fen > 0",
        Vec::new(),
    )
    .await?;
    let touched = exec(
        tx,
        "UPDATE ledger_account SET credits_posted = credits_posted + $1 WHERE account_id = $2",
        vec![
            Bind::Int(Some(close.totals.lapsed_fen)),
            Bind::text(pool_avail.as_str()),
        ],
    )
    .await?;
    if touched != 1 {
        return Err(Rejection::NotFound {
            what: "结余收回账户（总待分指标或预算来源）",
        }
        .into());
    }
    // A balance moved by someone else since it was read (PostgreSQL): refuse the whole close.
    let moved: i64 = on_tx!(tx, conn => sqlx::query_scalar(
        "SELECT COUNT(*) FROM year_end_line l JOIN ledger_account a ON a.account_id = l.bgt_id || '.a' \
         WHERE a.credits_posted - a.debits_posted - a.debits_pending <> l.avail_after_fen")
        .fetch_one(&mut *conn)
        .await?);
    if moved != 0 {
        return Err(StoreError::Corrupt(format!(
            "year-end of {} {}: {moved} balances changed while closing; run it again",
            meta.mof_div_code, close.fiscal_year.0
        )));
    }
    exec(
        tx,
        "UPDATE indicator SET is_closed = TRUE WHERE bgt_id IN (SELECT bgt_id FROM year_end_line)",
        Vec::new(),
    )
    .await?;
    exec(tx, "DELETE FROM year_end_line", Vec::new()).await?;
    let totals = &close.totals;
    exec(
        tx,
        "INSERT INTO year_end_close (mof_div_code, fiscal_year, carry_rule, status, n_closed, n_carried, carried_fen, \
         lapsed_fen, released_fen, n_transfers, batch_id, started_at, finished_at, closed_by) \
         VALUES ($1, $2, $3, 'closed', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        vec![
            Bind::text(meta.mof_div_code),
            Bind::Int(Some(i64::from(close.fiscal_year.0))),
            Bind::text(meta.carry_rule),
            Bind::Int(Some(totals.n_closed)),
            Bind::Int(Some(totals.n_carried)),
            Bind::Int(Some(totals.carried_fen)),
            Bind::Int(Some(totals.lapsed_fen)),
            Bind::Int(Some(totals.released_fen)),
            Bind::Int(Some(totals.n_transfers)),
            Bind::text(meta.batch_id),
            Bind::text(meta.started_at),
            Bind::text(meta.at),
            Bind::text(meta.actor),
        ],
    )
    .await?;
    Ok(())
}

async fn exec(tx: &mut Tx, text: &str, binds: Vec<Bind>) -> Result<u64, StoreError> {
    let mut sql = Sql::new(text);
    sql.binds = binds;
    let affected =
        on_tx!(tx, conn => bound_query!(&sql).execute(&mut *conn).await?.rows_affected());
    Ok(affected)
}

async fn insert_lines(
    tx: &mut Tx,
    rows: Vec<Vec<Bind>>,
    binds_max: usize,
) -> Result<(), StoreError> {
    let rows_per_statement = (binds_max / LINE_COLUMNS.len()).max(1);
    let head = format!(
        "INSERT INTO year_end_line ({}) VALUES ",
        LINE_COLUMNS.join(", ")
    );
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut sql = Sql::new(&head);
        for (row_index, row) in rows.by_ref().take(rows_per_statement).enumerate() {
            sql.push(if row_index == 0 { "(" } else { ", (" });
            for (column_index, bind) in row.into_iter().enumerate() {
                if column_index > 0 {
                    sql.push(", ");
                }
                sql.bind(bind);
            }
            sql.push(")");
        }
        on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    }
    Ok(())
}

/// The closed-year guard: among `account_ids`, the first whose region and year are closed.
pub async fn first_closed_account(
    tx: &mut Tx,
    account_ids: &BTreeSet<String>,
) -> Result<Option<(String, Rejection)>, StoreError> {
    let closed = closed_accounts(tx, account_ids).await?;
    Ok(closed.into_iter().next())
}

/// Among `account_ids`, those of a closed region-year, with the rejection each earns. One
/// statement per chunk of ids; nothing at all to read when no year was ever closed.
pub async fn closed_accounts(
    tx: &mut Tx,
    account_ids: &BTreeSet<String>,
) -> Result<BTreeMap<String, Rejection>, StoreError> {
    let mut closed = BTreeMap::new();
    if account_ids.is_empty() {
        return Ok(closed);
    }
    let ids: Vec<&String> = account_ids.iter().collect();
    let per_statement = match tx.backend() {
        Backend::Sqlite => 500,
        Backend::Postgres => 10_000,
    };
    for chunk in ids.chunks(per_statement) {
        let mut sql = Sql::new(
            "SELECT a.account_id, a.mof_div_code, a.fiscal_year FROM year_end_close c \
             JOIN ledger_account a ON a.mof_div_code = c.mof_div_code AND a.fiscal_year = c.fiscal_year \
             WHERE a.account_id IN (",
        );
        for (index, id) in chunk.iter().enumerate() {
            if index > 0 {
                sql.push(", ");
            }
            sql.bind(Bind::text(id.as_str()));
        }
        sql.push(")");
        on_tx!(tx, conn => {
            for row in &bound_query!(&sql).fetch_all(&mut *conn).await? {
                let year: i64 = row.try_get(2)?;
                closed.insert(
                    row.try_get::<String, _>(0)?,
                    Rejection::YearClosed {
                        mof_div_code: row.try_get(1)?,
                        fiscal_year: i32::try_from(year).unwrap_or_default(),
                    },
                );
            }
        });
    }
    Ok(closed)
}

/// The accounts a batch's new postings and reservations touch (a post or void moves between
/// the accounts of its reservation, made before any close).
pub fn opened_accounts<'a>(
    transfers: impl IntoIterator<Item = &'a TransferSpec>,
) -> BTreeSet<String> {
    transfers
        .into_iter()
        .filter(|spec| matches!(spec.kind, TransferKind::Posted | TransferKind::Pending))
        .flat_map(|spec| {
            [
                spec.debit.as_str().to_owned(),
                spec.credit.as_str().to_owned(),
            ]
        })
        .collect()
}
