//! The organization trees for browsing: regions with their unit counts, and the
//! competent-department tree of the units of one region, both filtered by scope.

use fiscus_core::schema::{AGENCY, REGION};
use serde::Serialize;
use sqlx::Row;

use crate::records::{Viewer, push_scope};
use crate::sql::{Bind, Sql};
use crate::{Db, StoreError, bound_query, on_db};

#[derive(Clone, Debug, Serialize)]
pub struct RegionNode {
    pub mof_div_code: String,
    pub mof_div_name: String,
    pub parent_mof_div_code: Option<String>,
    pub level_num: i64,
    pub region_path: String,
    pub is_enabled: bool,
    /// Units registered at this region itself (本级) that the viewer may see.
    pub units_own_level: i64,
}

/// Visible regions in path order (parents before children).
pub async fn regions(db: &Db, viewer: Viewer<'_>) -> Result<Vec<RegionNode>, StoreError> {
    let mut sql = Sql::new(
        "SELECT r.mof_div_code, r.mof_div_name, r.parent_mof_div_code, r.level_num, r.region_path, r.is_enabled, \
         (SELECT COUNT(*) FROM agency a WHERE a.mof_div_code = r.mof_div_code",
    );
    // The count obeys the viewer's scope too: a reviewer counts only the units it may open.
    // Unqualified columns of the scope predicate resolve to the inner `agency a`.
    push_scope(&mut sql, &AGENCY, viewer);
    sql.push(") FROM region r WHERE 1 = 1");
    push_scope(&mut sql, &REGION, viewer);
    sql.push(" ORDER BY r.region_path");
    let nodes = on_db!(db, pool => {
        let rows = bound_query!(&sql).fetch_all(pool).await?;
        let mut nodes = Vec::with_capacity(rows.len());
        for row in &rows {
            nodes.push(RegionNode {
                mof_div_code: row.try_get(0)?,
                mof_div_name: row.try_get(1)?,
                parent_mof_div_code: row.try_get(2)?,
                level_num: row.try_get(3)?,
                region_path: row.try_get(4)?,
                is_enabled: row.try_get(5)?,
                units_own_level: row.try_get(6)?,
            });
        }
        nodes
    });
    Ok(nodes)
}

#[derive(Clone, Debug, Serialize)]
pub struct AgencyNode {
    pub agency_code: String,
    pub agency_name: String,
    pub parent_agency_code: Option<String>,
    pub agency_path: String,
    pub agency_type: String,
    pub is_enabled: bool,
}

/// Bound on one region's unit tree (the corps level has a few hundred units).
pub const AGENCY_TREE_NODES_MAX: i64 = 5_000;

/// Visible units of one region in path order (departments before their sub-units).
pub async fn agencies(
    db: &Db,
    viewer: Viewer<'_>,
    mof_div_code: &str,
) -> Result<Vec<AgencyNode>, StoreError> {
    let mut sql = Sql::new(
        "SELECT agency_code, agency_name, parent_agency_code, agency_path, agency_type, is_enabled FROM agency WHERE mof_div_code = ",
    );
    sql.bind(Bind::text(mof_div_code));
    push_scope(&mut sql, &AGENCY, viewer);
    sql.push(" ORDER BY agency_path LIMIT ")
        .bind(Bind::Int(Some(AGENCY_TREE_NODES_MAX)));
    let nodes = on_db!(db, pool => {
        let rows = bound_query!(&sql).fetch_all(pool).await?;
        let mut nodes = Vec::with_capacity(rows.len());
        for row in &rows {
            nodes.push(AgencyNode {
                agency_code: row.try_get(0)?,
                agency_name: row.try_get(1)?,
                parent_agency_code: row.try_get(2)?,
                agency_path: row.try_get(3)?,
                agency_type: row.try_get(4)?,
                is_enabled: row.try_get(5)?,
            });
        }
        nodes
    });
    Ok(nodes)
}

/// Names of the codes of one element and year, for showing `1` as `全额拨款`.
pub async fn code_names(
    db: &Db,
    element_code: &str,
    fiscal_year: Option<i64>,
) -> Result<Vec<(String, String)>, StoreError> {
    let mut sql = Sql::new("SELECT code, name FROM code_item WHERE element_code = ");
    sql.bind(Bind::text(element_code))
        .push(" AND fiscal_year = ");
    match fiscal_year {
        Some(year) => {
            sql.bind(Bind::Int(Some(year)));
        }
        None => {
            sql.push("(SELECT MAX(fiscal_year) FROM code_item WHERE element_code = ")
                .bind(Bind::text(element_code))
                .push(")");
        }
    }
    sql.push(" AND is_enabled = ")
        .bind(Bind::Bool(Some(true)))
        .push(" ORDER BY code");
    let pairs = on_db!(db, pool => {
        let rows = bound_query!(&sql).fetch_all(pool).await?;
        rows.iter().map(|row| Ok::<_, sqlx::Error>((row.try_get(0)?, row.try_get(1)?))).collect::<Result<Vec<_>, _>>()?
    });
    Ok(pairs)
}
