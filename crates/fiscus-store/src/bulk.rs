//! Multi-row inserts for bulk loads (demo data, code tables): rows are sent in chunks that
//! stay under both backends' bind-parameter limits, inside the caller's transaction.

use crate::sql::{Bind, Sql};
use crate::{StoreError, Tx, bound_query, on_tx};

/// Bind parameters per statement on PostgreSQL (its limit is 65,535): few round trips.
pub const POSTGRES_BIND_PARAMETERS_MAX: usize = 30_000;
/// Bind parameters per statement on SQLite. Far below its limit (32,766) on purpose: SQLite
/// looks `$N` names up linearly while parsing, so parse time grows with the square of the
/// parameter count (30,000 take seconds); 250–500 measured fastest for the demo load.
pub const SQLITE_BIND_PARAMETERS_MAX: usize = 300;

pub async fn insert_rows(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Bind>>,
) -> Result<u64, StoreError> {
    if rows.is_empty() {
        return Ok(0);
    }
    let binds_max = match tx.backend() {
        crate::Backend::Sqlite => SQLITE_BIND_PARAMETERS_MAX,
        crate::Backend::Postgres => POSTGRES_BIND_PARAMETERS_MAX,
    };
    let rows_per_statement = (binds_max / columns.len()).max(1);
    let head = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut inserted = 0;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut sql = Sql::new(&head);
        for (row_index, row) in rows.by_ref().take(rows_per_statement).enumerate() {
            debug_assert_eq!(row.len(), columns.len());
            sql.push(if row_index == 0 { "(" } else { ", (" });
            for (column_index, bind) in row.into_iter().enumerate() {
                if column_index > 0 {
                    sql.push(", ");
                }
                sql.bind(bind);
            }
            sql.push(")");
        }
        inserted +=
            on_tx!(tx, conn => bound_query!(&sql).execute(&mut *conn).await?.rows_affected());
    }
    Ok(inserted)
}

/// Counts the rows of a table (demo summary, readiness checks).
pub async fn count_rows(tx: &mut Tx, table: &str) -> Result<i64, StoreError> {
    use sqlx::Row;
    let sql = Sql::new(&format!("SELECT COUNT(*) FROM {table}"));
    let count: i64 =
        on_tx!(tx, conn => bound_query!(&sql).fetch_one(&mut *conn).await?.try_get(0)?);
    Ok(count)
}
