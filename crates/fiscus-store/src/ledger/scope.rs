//! What a viewer may see of the ledger: the data-scope predicate on `indicator i` and the
//! scoped reads of indicators by id, outside and inside a transaction.

use super::indicator::{INDICATOR_SELECT, IndicatorRow, indicator_of};
use fiscus_core::ledger::BgtId;

use crate::sql::{Bind, Sql};
use crate::{Db, StoreError, Tx, bound_query, on_db, on_tx};

/// Limits a query on `indicator i` to what `viewer` may see: a bureau its region subtree
/// (pools included), a department its unit subtree, a unit its own indicators.
pub fn push_indicator_scope(sql: &mut Sql, viewer: crate::records::Viewer<'_>) {
    use fiscus_core::DataScope;

    use crate::sql::like_escape;
    let crate::records::Viewer::User(principal) = viewer else {
        return;
    };
    match principal.scope() {
        DataScope::RegionSubtree { region_path } => {
            sql.push(
                " AND i.mof_div_code IN (SELECT mof_div_code FROM region WHERE region_path LIKE ",
            )
            .bind(Bind::text(format!("{}%", like_escape(&region_path))))
            .push(" ESCAPE '\\')");
        }
        DataScope::AgencySubtree { agency_path, .. } => {
            sql.push(
                " AND i.agency_code IN (SELECT agency_code FROM agency WHERE agency_path LIKE ",
            )
            .bind(Bind::text(format!("{}%", like_escape(&agency_path))))
            .push(" ESCAPE '\\')");
        }
        DataScope::Agency { agency_code, .. } => {
            sql.push(" AND i.agency_code = ")
                .bind(Bind::text(agency_code.as_str()));
        }
    }
}

/// At most this many ids go into one `IN (…)` list.
const IDS_PER_STATEMENT: usize = 200;

/// The SELECT of the indicators among `chunk` that `viewer` may see.
fn select_by_ids(chunk: &[BgtId], viewer: crate::records::Viewer<'_>) -> Sql {
    let mut sql = Sql::new(INDICATOR_SELECT);
    sql.push(" WHERE i.bgt_id IN (");
    for (index, bgt_id) in chunk.iter().enumerate() {
        if index > 0 {
            sql.push(", ");
        }
        sql.bind(Bind::text(bgt_id.as_str()));
    }
    sql.push(")");
    push_indicator_scope(&mut sql, viewer);
    sql
}

/// The indicators among `bgt_ids` that `viewer` may see (outside a transaction).
pub async fn visible_indicators(
    db: &Db,
    viewer: crate::records::Viewer<'_>,
    bgt_ids: &[BgtId],
) -> Result<Vec<IndicatorRow>, StoreError> {
    let mut rows = Vec::new();
    for chunk in bgt_ids.chunks(IDS_PER_STATEMENT) {
        let sql = select_by_ids(chunk, viewer);
        on_db!(db, pool => {
            for row in &bound_query!(&sql).fetch_all(pool).await? {
                rows.push(indicator_of(row)?);
            }
        });
    }
    Ok(rows)
}

/// The same inside a transaction: a use case that holds one connection must not wait for a
/// second from the pool (under load the pool can run dry with every holder waiting).
pub async fn visible_indicators_in_tx(
    tx: &mut Tx,
    viewer: crate::records::Viewer<'_>,
    bgt_ids: &[BgtId],
) -> Result<Vec<IndicatorRow>, StoreError> {
    let mut rows = Vec::new();
    for chunk in bgt_ids.chunks(IDS_PER_STATEMENT) {
        let sql = select_by_ids(chunk, viewer);
        on_tx!(tx, conn => {
            for row in &bound_query!(&sql).fetch_all(&mut *conn).await? {
                rows.push(indicator_of(row)?);
            }
        });
    }
    Ok(rows)
}
