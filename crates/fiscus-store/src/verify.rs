//! Read-only queries of `fiscus verify` (integrity of the stored trees and sealed fields) and
//! the lookup of the root region for the operator's principal. Every statement is plain SQL
//! that runs as is on SQLite and PostgreSQL (`||` for concatenation, `COALESCE`, `LIMIT`).
//! The indicator-ledger checks live with the ledger (`ledger::verify`) and are reached
//! through [`ledger`] here, so that `fiscus verify` has one entry point in the store.

use sqlx::Row;

use crate::sql::Sql;
use crate::{Db, StoreError, bound_query, on_db};

pub use crate::ledger::verify::{Check as LedgerCheck, LedgerReport, Violation as LedgerViolation};

/// Every ledger balance recomputed from its transfers and every ledger invariant checked, on
/// one read-only snapshot.
pub async fn ledger(db: &Db) -> Result<LedgerReport, StoreError> {
    crate::ledger::verify::verify_ledger(db).await
}

/// The top of the region tree (the corps), if the tree exists.
pub struct RootRegion {
    pub mof_div_code: String,
    pub mof_div_name: String,
    pub region_path: String,
}

pub async fn root_regions(db: &Db) -> Result<Vec<RootRegion>, StoreError> {
    let sql = Sql::new(
        "SELECT mof_div_code, mof_div_name, region_path FROM region \
         WHERE parent_mof_div_code IS NULL ORDER BY mof_div_code",
    );
    let roots = on_db!(db, pool => {
        let rows = bound_query!(&sql).fetch_all(pool).await?;
        let mut roots = Vec::with_capacity(rows.len());
        for row in rows {
            roots.push(RootRegion {
                mof_div_code: row.try_get(0)?,
                mof_div_name: row.try_get(1)?,
                region_path: row.try_get(2)?,
            });
        }
        roots
    });
    Ok(roots)
}

/// `SELECT COUNT(*) FROM <from_where>`.
pub async fn count(db: &Db, from_where: &str) -> Result<i64, StoreError> {
    let sql = Sql::new(&format!("SELECT COUNT(*) FROM {from_where}"));
    let n: i64 = on_db!(db, pool => bound_query!(&sql).fetch_one(pool).await?.try_get(0)?);
    Ok(n)
}

/// The first `limit` values of `key` (a text column) in `<from_where>`, for problem reports.
pub async fn sample_keys(
    db: &Db,
    key: &str,
    from_where: &str,
    limit: u32,
) -> Result<Vec<String>, StoreError> {
    let sql = Sql::new(&format!(
        "SELECT {key} FROM {from_where} ORDER BY {key} LIMIT {limit}"
    ));
    let keys = on_db!(db, pool => {
        let rows = bound_query!(&sql).fetch_all(pool).await?;
        let mut keys = Vec::with_capacity(rows.len());
        for row in rows {
            keys.push(row.try_get::<String, _>(0)?);
        }
        keys
    });
    Ok(keys)
}

/// A stored identity number, as `verify` reads it back.
pub struct SealedIdentity {
    pub per_id: String,
    pub iden_type_code: String,
    pub iden_no_cipher: String,
    pub iden_no_masked: String,
}

/// Up to `limit` persons' sealed identity numbers. `per_id` is random, so ordering by it is
/// a sample spread over every unit.
pub async fn sealed_identities(db: &Db, limit: u32) -> Result<Vec<SealedIdentity>, StoreError> {
    let sql = Sql::new(&format!(
        "SELECT per_id, iden_type_code, iden_no_cipher, iden_no_masked FROM person \
         ORDER BY per_id LIMIT {limit}"
    ));
    let sealed = on_db!(db, pool => {
        let rows = bound_query!(&sql).fetch_all(pool).await?;
        let mut sealed = Vec::with_capacity(rows.len());
        for row in rows {
            sealed.push(SealedIdentity {
                per_id: row.try_get(0)?,
                iden_type_code: row.try_get(1)?,
                iden_no_cipher: row.try_get(2)?,
                iden_no_masked: row.try_get(3)?,
            });
        }
        sealed
    });
    Ok(sealed)
}
