//! Statements specific to code tables that the generic record storage does not cover.

use crate::sql::{Bind, Sql};
use crate::{StoreError, Tx, bound_query, on_tx};

/// Copies every code of `from_year` into `to_year` (if `to_year` has none) and records an
/// identity mapping for each. Returns the number of codes copied (0 when `to_year` existed).
pub async fn copy_year(
    tx: &mut Tx,
    from_year: i64,
    to_year: i64,
    now: &str,
    by: &str,
) -> Result<u64, StoreError> {
    let mut exists = Sql::new("SELECT COUNT(*) FROM code_item WHERE fiscal_year = ");
    exists.bind(Bind::Int(Some(to_year)));
    let existing: i64 = on_tx!(tx, conn => {
        use sqlx::Row;
        bound_query!(&exists).fetch_one(&mut *conn).await?.try_get(0)?
    });
    if existing > 0 {
        return Ok(0);
    }
    let mut copy = Sql::new(
        "INSERT INTO code_item (item_id, element_code, fiscal_year, code, name, parent_code, level_num, is_local, is_enabled, created_at, updated_at, updated_by) SELECT element_code || ':' || ",
    );
    copy.bind(Bind::text(to_year.to_string()))
        .push(" || ':' || code, element_code, ")
        .bind(Bind::Int(Some(to_year)));
    copy.push(", code, name, parent_code, level_num, is_local, is_enabled, ")
        .bind(Bind::text(now))
        .push(", ")
        .bind(Bind::text(now));
    copy.push(", ")
        .bind(Bind::text(by))
        .push(" FROM code_item WHERE fiscal_year = ")
        .bind(Bind::Int(Some(from_year)));
    let mut mapping = Sql::new(
        "INSERT INTO code_mapping (mapping_id, element_code, from_year, from_code, to_year, to_code, remark, is_enabled, created_at, updated_at, updated_by) SELECT element_code || ':' || ",
    );
    mapping
        .bind(Bind::text(format!("{from_year}:{to_year}")))
        .push(" || ':' || code, element_code, ")
        .bind(Bind::Int(Some(from_year)));
    mapping
        .push(", code, ")
        .bind(Bind::Int(Some(to_year)))
        .push(", code, ")
        .bind(Bind::text("逐年复制生成的同码对照"));
    mapping
        .push(", ")
        .bind(Bind::Bool(Some(true)))
        .push(", ")
        .bind(Bind::text(now))
        .push(", ")
        .bind(Bind::text(now));
    mapping
        .push(", ")
        .bind(Bind::text(by))
        .push(" FROM code_item WHERE fiscal_year = ")
        .bind(Bind::Int(Some(from_year)));
    let copied = on_tx!(tx, conn => {
        let copied = bound_query!(&copy).execute(&mut *conn).await?.rows_affected();
        bound_query!(&mapping).execute(&mut *conn).await?;
        copied
    });
    Ok(copied)
}
