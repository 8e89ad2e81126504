//! Stored facts that validation needs: does a parent exist, is it enabled, what is its path,
//! is a code in that year's table. Read inside the write transaction that depends on them.

use sqlx::Row;

use crate::sql::{Bind, Sql};
use crate::{StoreError, Tx, bound_query, on_tx};

#[derive(Clone, Debug)]
pub struct RegionFacts {
    pub mof_div_code: String,
    pub mof_div_name: String,
    pub level_num: i64,
    pub region_path: String,
    pub is_enabled: bool,
}

pub async fn region(tx: &mut Tx, mof_div_code: &str) -> Result<Option<RegionFacts>, StoreError> {
    let mut sql = Sql::new(
        "SELECT mof_div_code, mof_div_name, level_num, region_path, is_enabled FROM region WHERE mof_div_code = ",
    );
    sql.bind(Bind::text(mof_div_code));
    let facts = on_tx!(tx, conn => {
        match bound_query!(&sql).fetch_optional(&mut *conn).await? {
            Some(row) => Some(RegionFacts {
                mof_div_code: row.try_get(0)?,
                mof_div_name: row.try_get(1)?,
                level_num: row.try_get(2)?,
                region_path: row.try_get(3)?,
                is_enabled: row.try_get(4)?,
            }),
            None => None,
        }
    });
    Ok(facts)
}

#[derive(Clone, Debug)]
pub struct AgencyFacts {
    pub agency_code: String,
    pub agency_name: String,
    pub mof_div_code: String,
    pub agency_path: String,
    pub region_path: String,
    pub is_enabled: bool,
}

pub async fn agency(tx: &mut Tx, agency_code: &str) -> Result<Option<AgencyFacts>, StoreError> {
    let mut sql = Sql::new(
        "SELECT a.agency_code, a.agency_name, a.mof_div_code, a.agency_path, r.region_path, a.is_enabled \
         FROM agency a JOIN region r ON r.mof_div_code = a.mof_div_code WHERE a.agency_code = ",
    );
    sql.bind(Bind::text(agency_code));
    let facts = on_tx!(tx, conn => {
        match bound_query!(&sql).fetch_optional(&mut *conn).await? {
            Some(row) => Some(AgencyFacts {
                agency_code: row.try_get(0)?,
                agency_name: row.try_get(1)?,
                mof_div_code: row.try_get(2)?,
                agency_path: row.try_get(3)?,
                region_path: row.try_get(4)?,
                is_enabled: row.try_get(5)?,
            }),
            None => None,
        }
    });
    Ok(facts)
}

#[derive(Clone, Debug)]
pub struct ElementFacts {
    pub element_code: String,
    pub element_name: String,
    pub segments: String,
}

pub async fn element(tx: &mut Tx, element_code: &str) -> Result<Option<ElementFacts>, StoreError> {
    let mut sql = Sql::new(
        "SELECT element_code, element_name, segments FROM code_element WHERE element_code = ",
    );
    sql.bind(Bind::text(element_code));
    let facts = on_tx!(tx, conn => {
        match bound_query!(&sql).fetch_optional(&mut *conn).await? {
            Some(row) => Some(ElementFacts { element_code: row.try_get(0)?, element_name: row.try_get(1)?, segments: row.try_get(2)? }),
            None => None,
        }
    });
    Ok(facts)
}

#[derive(Clone, Debug)]
pub struct CodeFacts {
    pub level_num: i64,
    pub is_local: bool,
    pub is_enabled: bool,
}

pub async fn code(
    tx: &mut Tx,
    element_code: &str,
    fiscal_year: i64,
    code: &str,
) -> Result<Option<CodeFacts>, StoreError> {
    let mut sql =
        Sql::new("SELECT level_num, is_local, is_enabled FROM code_item WHERE element_code = ");
    sql.bind(Bind::text(element_code))
        .push(" AND fiscal_year = ")
        .bind(Bind::Int(Some(fiscal_year)));
    sql.push(" AND code = ").bind(Bind::text(code));
    let facts = on_tx!(tx, conn => {
        match bound_query!(&sql).fetch_optional(&mut *conn).await? {
            Some(row) => Some(CodeFacts { level_num: row.try_get(0)?, is_local: row.try_get(1)?, is_enabled: row.try_get(2)? }),
            None => None,
        }
    });
    Ok(facts)
}

/// The latest fiscal year that has a code table for this element (used for records that
/// carry no year of their own, such as units and persons).
pub async fn current_year(tx: &mut Tx, element_code: &str) -> Result<Option<i64>, StoreError> {
    let mut sql = Sql::new("SELECT MAX(fiscal_year) FROM code_item WHERE element_code = ");
    sql.bind(Bind::text(element_code));
    let year: Option<i64> =
        on_tx!(tx, conn => bound_query!(&sql).fetch_one(&mut *conn).await?.try_get(0)?);
    Ok(year)
}

/// Moves an agency subtree: every path under `old_path` is re-rooted at `new_path`.
pub async fn reroot_agency_paths(
    tx: &mut Tx,
    old_path: &str,
    new_path: &str,
) -> Result<u64, StoreError> {
    let mut sql = Sql::new("UPDATE agency SET agency_path = ");
    sql.bind(Bind::text(new_path))
        .push(" || SUBSTR(agency_path, CAST(")
        .bind(Bind::Int(Some(old_path.chars().count() as i64 + 1)));
    sql.push(" AS INTEGER)) WHERE agency_path LIKE ")
        .bind(Bind::text(format!(
            "{}%",
            crate::sql::like_escape(old_path)
        )))
        .push(" ESCAPE '\\'");
    let affected =
        on_tx!(tx, conn => bound_query!(&sql).execute(&mut *conn).await?.rows_affected());
    Ok(affected)
}
