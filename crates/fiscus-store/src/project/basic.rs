//! The stored facts of 基本支出一键测算: a unit's type, its in-service persons by 人员身份 (with
//! the identity's name from the year's code table), the enabled standards of a year on a
//! region path, and the calculated project of a unit, year and category.

use sqlx::Row;

use crate::project::{COLUMNS, PRO_SOURCE_BASIC_CALC, ProjectRow, row_of};
use crate::sql::{Bind, Sql};
use crate::{StoreError, Tx, bound_query, on_tx};

/// One enabled standard, as the core's `StandardFact` needs it (amount in fen).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StandardRow {
    pub std_code: String,
    pub std_name: String,
    pub std_type_code: String,
    pub dep_bgt_eco_code: String,
    pub agency_type: Option<String>,
    pub per_ide_code: Option<String>,
    pub amount_fen: i64,
    pub region_path: String,
}

/// 单位类型 of a unit (`None` when not recorded or the unit is unknown).
pub async fn agency_type(tx: &mut Tx, agency_code: &str) -> Result<Option<String>, StoreError> {
    let mut sql = Sql::new("SELECT agency_type FROM agency WHERE agency_code = ");
    sql.bind(Bind::text(agency_code));
    let agency_type = on_tx!(tx, conn => match bound_query!(&sql).fetch_optional(&mut *conn).await? {
        Some(row) => row.try_get::<Option<String>, _>(0)?,
        None => None,
    });
    Ok(agency_type)
}

/// (人员身份 code, its name in the year's table or the code, in-service persons), by code.
pub async fn in_service_headcounts(
    tx: &mut Tx,
    agency_code: &str,
    per_sta_in_service: &str,
    fiscal_year: i64,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    let mut sql = Sql::new(
        "SELECT p.per_ide_code, COALESCE(MAX(c.name), p.per_ide_code), COUNT(*) FROM person p \
         LEFT JOIN code_item c ON c.element_code = 'per_ide' AND c.code = p.per_ide_code AND c.fiscal_year = ",
    );
    sql.bind(Bind::Int(Some(fiscal_year)))
        .push(" WHERE p.agency_code = ")
        .bind(Bind::text(agency_code))
        .push(" AND p.is_enabled = ")
        .bind(Bind::Bool(Some(true)))
        .push(" AND p.per_sta_code = ")
        .bind(Bind::text(per_sta_in_service))
        .push(" GROUP BY p.per_ide_code ORDER BY p.per_ide_code");
    let mut counts = Vec::new();
    on_tx!(tx, conn => {
        for row in bound_query!(&sql).fetch_all(&mut *conn).await? {
            counts.push((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?));
        }
    });
    Ok(counts)
}

/// The enabled standards of `fiscal_year` set by the region of `region_path` or one above it.
pub async fn standards_on_path(
    tx: &mut Tx,
    region_path: &str,
    fiscal_year: i64,
) -> Result<Vec<StandardRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT std_code, std_name, std_type_code, dep_bgt_eco_code, agency_type, per_ide_code, amount_fen, region_path \
         FROM exp_standard WHERE fiscal_year = ",
    );
    sql.bind(Bind::Int(Some(fiscal_year)))
        .push(" AND is_enabled = ")
        .bind(Bind::Bool(Some(true)))
        .push(" AND ")
        .bind(Bind::text(region_path))
        .push(" LIKE region_path || '%' ORDER BY region_path, std_code");
    let mut rows = Vec::new();
    on_tx!(tx, conn => {
        for row in bound_query!(&sql).fetch_all(&mut *conn).await? {
            rows.push(StandardRow {
                std_code: row.try_get(0)?,
                std_name: row.try_get(1)?,
                std_type_code: row.try_get(2)?,
                dep_bgt_eco_code: row.try_get(3)?,
                agency_type: row.try_get(4)?,
                per_ide_code: row.try_get(5)?,
                amount_fen: row.try_get(6)?,
                region_path: row.try_get(7)?,
            });
        }
    });
    Ok(rows)
}

/// The calculated project of a unit, year and category that is not terminated (at most one:
/// a unique index says so), locked for the rest of `tx`.
pub async fn basic_project_for_update(
    tx: &mut Tx,
    agency_code: &str,
    setup_year: i64,
    pro_cat_code: &str,
) -> Result<Option<ProjectRow>, StoreError> {
    let lock = tx.row_lock();
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM project WHERE pro_source = "
    ));
    sql.bind(Bind::text(PRO_SOURCE_BASIC_CALC))
        .push(" AND status <> 'terminated' AND agency_code = ")
        .bind(Bind::text(agency_code))
        .push(" AND setup_year = ")
        .bind(Bind::Int(Some(setup_year)))
        .push(" AND pro_cat_code = ")
        .bind(Bind::text(pro_cat_code))
        .push(lock);
    let row = on_tx!(tx, conn => match bound_query!(&sql).fetch_optional(&mut *conn).await? {
        Some(row) => Some(row_of(&row)?),
        None => None,
    });
    Ok(row)
}
