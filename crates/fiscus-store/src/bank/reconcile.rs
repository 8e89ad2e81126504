//! The findings of the daily reconciliation (对账): one run per bank and date with its
//! figures, and one row per mismatch. A rerun keeps the mismatches it finds again, adds new
//! ones and marks the ones that are gone resolved, so the page always shows the latest truth.

use sqlx::Row;

use crate::sql::{Bind, Sql};
use crate::{Db, StoreError, Tx, bound_query, on_db, on_tx};

/// One mismatch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReconItemRow {
    pub recon_date: String,
    pub pay_cert_no: String,
    /// missing_at_bank | missing_here | amount_differs | status_differs.
    pub kind: String,
    pub bank_code: String,
    pub ours: String,
    pub theirs: String,
    pub found_at: String,
    pub resolved_at: Option<String>,
}

/// The figures of one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReconRunRow {
    pub recon_date: String,
    pub bank_code: String,
    pub n_ours: i64,
    pub n_theirs: i64,
    pub n_mismatches: i64,
    pub ran_at: String,
}

const ITEM_COLUMNS: &str =
    "recon_date, pay_cert_no, kind, bank_code, ours, theirs, found_at, resolved_at";

fn item_of<R>(row: &R) -> Result<ReconItemRow, sqlx::Error>
where
    R: Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(ReconItemRow {
        recon_date: row.try_get(0)?,
        pay_cert_no: row.try_get(1)?,
        kind: row.try_get(2)?,
        bank_code: row.try_get(3)?,
        ours: row.try_get(4)?,
        theirs: row.try_get(5)?,
        found_at: row.try_get(6)?,
        resolved_at: row.try_get(7)?,
    })
}

/// Saves one run: its figures, its mismatches (kept, added or reopened), and resolves the
/// earlier mismatches of the same bank and date it did not find again.
pub async fn recon_save(
    tx: &mut Tx,
    run: &ReconRunRow,
    items: &[ReconItemRow],
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE reconciliation_item SET resolved_at = ");
    sql.bind(Bind::text(run.ran_at.clone()))
        .push(" WHERE recon_date = ")
        .bind(Bind::text(run.recon_date.clone()))
        .push(" AND bank_code = ")
        .bind(Bind::text(run.bank_code.clone()))
        .push(" AND resolved_at IS NULL");
    on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    for item in items {
        let mut sql = Sql::new(&format!(
            "INSERT INTO reconciliation_item ({ITEM_COLUMNS}) VALUES ("
        ));
        super::push_values(
            &mut sql,
            [
                Bind::text(item.recon_date.clone()),
                Bind::text(item.pay_cert_no.clone()),
                Bind::text(item.kind.clone()),
                Bind::text(item.bank_code.clone()),
                Bind::text(item.ours.clone()),
                Bind::text(item.theirs.clone()),
                Bind::text(item.found_at.clone()),
                Bind::Text(None),
            ],
        );
        // Found again: still open, with today's sides; the first finding's time stays.
        sql.push(" ON CONFLICT (recon_date, pay_cert_no, kind) DO UPDATE SET ours = excluded.ours, theirs = excluded.theirs, bank_code = excluded.bank_code, resolved_at = NULL");
        on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    }
    let mut sql = Sql::new(
        "INSERT INTO reconciliation_run (recon_date, bank_code, n_ours, n_theirs, n_mismatches, ran_at) VALUES (",
    );
    super::push_values(
        &mut sql,
        [
            Bind::text(run.recon_date.clone()),
            Bind::text(run.bank_code.clone()),
            Bind::Int(Some(run.n_ours)),
            Bind::Int(Some(run.n_theirs)),
            Bind::Int(Some(run.n_mismatches)),
            Bind::text(run.ran_at.clone()),
        ],
    );
    sql.push(" ON CONFLICT (recon_date, bank_code) DO UPDATE SET n_ours = excluded.n_ours, n_theirs = excluded.n_theirs, n_mismatches = excluded.n_mismatches, ran_at = excluded.ran_at");
    on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    Ok(())
}

/// Mismatches, open ones only or all, of one date or all dates, by date and voucher number.
pub async fn recon_items(
    db: &Db,
    recon_date: Option<&str>,
    open_only: bool,
    limit: i64,
) -> Result<Vec<ReconItemRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {ITEM_COLUMNS} FROM reconciliation_item WHERE 1 = 1"
    ));
    if let Some(date) = recon_date {
        sql.push(" AND recon_date = ").bind(Bind::text(date));
    }
    if open_only {
        sql.push(" AND resolved_at IS NULL");
    }
    sql.push(" ORDER BY recon_date DESC, pay_cert_no, kind LIMIT ")
        .bind(Bind::Int(Some(limit)));
    let rows = on_db!(db, pool => {
        let rows = bound_query!(&sql).fetch_all(pool).await?;
        rows.iter().map(item_of).collect::<Result<Vec<_>, _>>()?
    });
    Ok(rows)
}

/// The runs, newest date first.
pub async fn recon_runs(db: &Db, limit: i64) -> Result<Vec<ReconRunRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT recon_date, bank_code, n_ours, n_theirs, n_mismatches, ran_at FROM reconciliation_run ORDER BY recon_date DESC, bank_code LIMIT ",
    );
    sql.bind(Bind::Int(Some(limit)));
    let rows = on_db!(db, pool => {
        let rows = bound_query!(&sql).fetch_all(pool).await?;
        rows.iter()
            .map(|row| {
                Ok(ReconRunRow {
                    recon_date: row.try_get(0)?,
                    bank_code: row.try_get(1)?,
                    n_ours: row.try_get(2)?,
                    n_theirs: row.try_get(3)?,
                    n_mismatches: row.try_get(4)?,
                    ran_at: row.try_get(5)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?
    });
    Ok(rows)
}

/// Open mismatches, counted (the flag on the treasury pages).
pub async fn recon_open_count(db: &Db) -> Result<i64, StoreError> {
    let sql = Sql::new("SELECT COUNT(*) FROM reconciliation_item WHERE resolved_at IS NULL");
    let count: i64 = on_db!(db, pool => bound_query!(&sql).fetch_one(pool).await?.try_get(0)?);
    Ok(count)
}
