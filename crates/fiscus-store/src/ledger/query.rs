//! Read queries of the ledger: indicator lists with totals, one indicator, its 账页, roll-ups.

use crate::ledger::{INDICATOR_SELECT, IndicatorRow, indicator_of, push_indicator_scope};
use crate::records::Viewer;
use crate::sql::{Bind, Sql};
use crate::{Db, StoreError, bound_query, on_db};

/// Every open indicator of one region and year that `viewer` may see (a year-end's lines).
pub async fn open_indicators_of_region(
    db: &Db,
    viewer: Viewer<'_>,
    mof_div_code: &str,
    fiscal_year: i32,
) -> Result<Vec<IndicatorRow>, StoreError> {
    let mut sql = Sql::new(INDICATOR_SELECT);
    sql.push(" WHERE i.mof_div_code = ")
        .bind(Bind::text(mof_div_code))
        .push(" AND i.fiscal_year = ")
        .bind(Bind::Int(Some(i64::from(fiscal_year))))
        .push(" AND i.is_closed = FALSE");
    push_indicator_scope(&mut sql, viewer);
    sql.push(" ORDER BY i.bgt_id");
    let mut rows = Vec::new();
    on_db!(db, pool => {
        for row in &bound_query!(&sql).fetch_all(pool).await? {
            rows.push(indicator_of(row)?);
        }
    });
    Ok(rows)
}

/// The indicators a document created, in creation order.
pub async fn indicators_of_document(
    db: &Db,
    doc_id: &str,
) -> Result<Vec<fiscus_core::ledger::BgtId>, StoreError> {
    let ids: Vec<String> = on_db!(db, pool => sqlx::query_scalar("SELECT bgt_id FROM indicator WHERE doc_id = $1 ORDER BY created_at, bgt_id")
        .bind(doc_id)
        .fetch_all(pool)
        .await?);
    ids.into_iter()
        .map(|id| {
            fiscus_core::ledger::BgtId::parse(&id)
                .map_err(|_| StoreError::Corrupt(format!("indicator id {id}")))
        })
        .collect()
}
