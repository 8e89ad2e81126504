//! Storage of the project library (项目库): one `project` row per project, its plan,
//! estimation and targets as JSON columns (migration 0006 says why). Lists are scoped like
//! indicators (the table is aliased `i` so that `ledger::push_indicator_scope` applies).
//! Attachments are in `project/attachment.rs`, the facts of 一键测算 in `project/basic.rs`.

pub mod attachment;
pub mod basic;

use sqlx::Row;

use crate::records::Viewer;
use crate::sql::{Bind, Sql};
use crate::{StoreError, Tx, bound_query, on_db, on_tx};

/// One project as stored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ProjectRow {
    pub pro_id: String,
    pub pro_code: String,
    pub pro_name: String,
    pub agency_code: String,
    pub mof_div_code: String,
    pub pro_cat_code: String,
    pub setup_year: i64,
    pub pro_start_year: i64,
    pub pro_end_year: i64,
    pub pro_total_amt: i64,
    pub plan_json: String,
    pub estimation_json: String,
    pub targets_json: String,
    pub status: String,
    pub terminate_reason: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    /// 项目来源: `declare` (written by the unit) or `basic_calc` (一键测算).
    pub pro_source: String,
}

/// 项目来源 of a project the unit writes.
pub const PRO_SOURCE_DECLARE: &str = "declare";
/// 项目来源 of a project of 基本支出一键测算.
pub const PRO_SOURCE_BASIC_CALC: &str = "basic_calc";

pub(crate) const COLUMNS: &str = "pro_id, pro_code, pro_name, agency_code, mof_div_code, pro_cat_code, setup_year, pro_start_year, pro_end_year, pro_total_amt, plan_json, estimation_json, targets_json, status, terminate_reason, created_by, created_at, updated_at, pro_source";

/// The columns an update leaves alone: the key, the code, the unit, the region, the source.
const COLUMNS_FIXED: [&str; 5] = [
    "pro_id",
    "pro_code",
    "agency_code",
    "mof_div_code",
    "pro_source",
];

pub(crate) fn row_of<R>(row: &R) -> Result<ProjectRow, sqlx::Error>
where
    R: Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(ProjectRow {
        pro_id: row.try_get(0)?,
        pro_code: row.try_get(1)?,
        pro_name: row.try_get(2)?,
        agency_code: row.try_get(3)?,
        mof_div_code: row.try_get(4)?,
        pro_cat_code: row.try_get(5)?,
        setup_year: row.try_get(6)?,
        pro_start_year: row.try_get(7)?,
        pro_end_year: row.try_get(8)?,
        pro_total_amt: row.try_get(9)?,
        plan_json: row.try_get(10)?,
        estimation_json: row.try_get(11)?,
        targets_json: row.try_get(12)?,
        status: row.try_get(13)?,
        terminate_reason: row.try_get(14)?,
        created_by: row.try_get(15)?,
        created_at: row.try_get(16)?,
        updated_at: row.try_get(17)?,
        pro_source: row.try_get(18)?,
    })
}

fn binds(row: &ProjectRow) -> Vec<Bind> {
    vec![
        Bind::text(&row.pro_id),
        Bind::text(&row.pro_code),
        Bind::text(&row.pro_name),
        Bind::text(&row.agency_code),
        Bind::text(&row.mof_div_code),
        Bind::text(&row.pro_cat_code),
        Bind::Int(Some(row.setup_year)),
        Bind::Int(Some(row.pro_start_year)),
        Bind::Int(Some(row.pro_end_year)),
        Bind::Int(Some(row.pro_total_amt)),
        Bind::text(&row.plan_json),
        Bind::text(&row.estimation_json),
        Bind::text(&row.targets_json),
        Bind::text(&row.status),
        Bind::Text(row.terminate_reason.clone()),
        Bind::text(&row.created_by),
        Bind::text(&row.created_at),
        Bind::text(&row.updated_at),
        Bind::text(&row.pro_source),
    ]
}

/// Inserts a new project (its flow document first: the key references it).
pub async fn insert_project(tx: &mut Tx, row: &ProjectRow) -> Result<(), StoreError> {
    let mut sql = Sql::new(&format!("INSERT INTO project ({COLUMNS}) VALUES ("));
    for (index, bind) in binds(row).into_iter().enumerate() {
        if index > 0 {
            sql.push(", ");
        }
        sql.bind(bind);
    }
    sql.push(")");
    on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    Ok(())
}

/// Rewrites every column of a project but its key, code, unit and region.
pub async fn update_project(tx: &mut Tx, row: &ProjectRow) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE project SET ");
    let pairs = COLUMNS
        .split(", ")
        .zip(binds(row))
        .filter(|(column, _)| !COLUMNS_FIXED.contains(column));
    for (index, (column, bind)) in pairs.enumerate() {
        if index > 0 {
            sql.push(", ");
        }
        sql.push(column).push(" = ").bind(bind);
    }
    sql.push(" WHERE pro_id = ").bind(Bind::text(&row.pro_id));
    on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    Ok(())
}

/// One project inside a transaction (locked on PostgreSQL), whoever may see it.
pub async fn project_for_update(
    tx: &mut Tx,
    pro_id: &str,
) -> Result<Option<ProjectRow>, StoreError> {
    let lock = tx.row_lock();
    let sql = format!("SELECT {COLUMNS} FROM project WHERE pro_id = $1{lock}");
    let row = on_tx!(tx, conn => match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(pro_id).fetch_optional(&mut *conn).await? {
        Some(row) => Some(row_of(&row)?),
        None => None,
    });
    Ok(row)
}

/// Filters of the project list.
#[derive(Clone, Debug, Default)]
pub struct ProjectQuery {
    /// Only this project.
    pub pro_id: Option<String>,
    pub status: Option<String>,
    pub pro_cat_code: Option<String>,
    /// Projects whose period (start..=end) includes this year.
    pub year: Option<i64>,
    /// Projects of this unit only.
    pub agency_code: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// The scoped `FROM … WHERE` of a list with its filters (paging not included).
fn filtered(select: &str, viewer: Viewer<'_>, query: &ProjectQuery) -> Sql {
    let mut sql = Sql::new(&format!("SELECT {select} FROM project i WHERE 1 = 1"));
    crate::ledger::push_indicator_scope(&mut sql, viewer);
    if let Some(pro_id) = &query.pro_id {
        sql.push(" AND i.pro_id = ").bind(Bind::text(pro_id));
    }
    if let Some(status) = &query.status {
        sql.push(" AND i.status = ").bind(Bind::text(status));
    }
    if let Some(pro_cat_code) = &query.pro_cat_code {
        sql.push(" AND i.pro_cat_code = ")
            .bind(Bind::text(pro_cat_code));
    }
    if let Some(year) = query.year {
        sql.push(" AND i.pro_start_year <= ")
            .bind(Bind::Int(Some(year)))
            .push(" AND i.pro_end_year >= ")
            .bind(Bind::Int(Some(year)));
    }
    if let Some(agency_code) = &query.agency_code {
        sql.push(" AND i.agency_code = ")
            .bind(Bind::text(agency_code));
    }
    sql
}

/// How many projects `viewer` may see match the filters, and their total amount.
pub async fn count_projects(
    db: &crate::Db,
    viewer: Viewer<'_>,
    query: &ProjectQuery,
) -> Result<(i64, i64), StoreError> {
    let sql = filtered(
        "COUNT(*), CAST(COALESCE(SUM(i.pro_total_amt), 0) AS BIGINT)",
        viewer,
        query,
    );
    let (count, total): (i64, i64) = on_db!(db, pool => {
        let row = bound_query!(&sql).fetch_one(pool).await?;
        (row.try_get(0)?, row.try_get(1)?)
    });
    Ok((count, total))
}

/// The projects `viewer` may see (a unit its own, a department its subtree, a bureau its
/// region subtree), newest first.
pub async fn projects(
    db: &crate::Db,
    viewer: Viewer<'_>,
    query: &ProjectQuery,
) -> Result<Vec<ProjectRow>, StoreError> {
    let mut sql = filtered(COLUMNS, viewer, query);
    sql.push(" ORDER BY i.created_at DESC, i.pro_id LIMIT ")
        .bind(Bind::Int(Some(query.limit)))
        .push(" OFFSET ")
        .bind(Bind::Int(Some(query.offset)));
    let mut rows = Vec::new();
    on_db!(db, pool => {
        for row in &bound_query!(&sql).fetch_all(pool).await? {
            rows.push(row_of(row)?);
        }
    });
    Ok(rows)
}

/// Rewrites the title, amount and payload of a project's declaration document after an edit.
pub async fn set_declaration_header(
    tx: &mut Tx,
    doc_id: &str,
    title: &str,
    amount_fen: i64,
    payload: &str,
    at: &str,
) -> Result<(), StoreError> {
    on_tx!(tx, conn => { sqlx::query(
        "UPDATE flow_document SET title = $1, amount_fen = $2, payload = $3, updated_at = $4 WHERE doc_id = $5 AND doc_type = 'project_declaration'")
        .bind(title)
        .bind(amount_fen)
        .bind(payload)
        .bind(at)
        .bind(doc_id)
        .execute(&mut *conn)
        .await?; });
    Ok(())
}
