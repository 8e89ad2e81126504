//! Storage of budget compilation (migration 0007): control numbers, each unit's sheet and
//! tables, the version history. Lists are scoped like indicators (tables aliased `i`, which
//! carry `mof_div_code` and `agency_code`). Summaries are in [`report`].

use sqlx::Row;

use fiscus_core::budget::{
    AssetLine, BudgetTables, IncomeKind, IncomeLine, LineKey, NonTaxLine, ProcurementLine,
};
use fiscus_core::money::Fen;

use crate::bulk::insert_rows;
use crate::records::Viewer;
use crate::sql::{Bind, Sql};
use crate::{Db, StoreError, Tx, bound_query, on_db, on_tx};

pub mod report;

/// Decodes a column or fails with the column's name.
macro_rules! col {
    ($row:expr, $name:literal) => {
        $row.try_get($name)?
    };
}

// ---------------------------------------------------------------------------------------
// Sheets

/// One unit's budget of a year.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SheetRow {
    pub sheet_id: String,
    pub fiscal_year: i64,
    pub mof_div_code: String,
    pub agency_code: String,
    pub dept_code: String,
    pub stage: String,
    pub status: String,
    pub doc_id: Option<String>,
    pub expense_fen: i64,
    pub income_fen: i64,
    pub revision: i64,
    pub updated_by: String,
    pub updated_at: String,
}

const SHEET_COLUMNS: &str = "i.sheet_id, i.fiscal_year, i.mof_div_code, i.agency_code, i.dept_code, i.stage, i.status, i.doc_id, i.expense_fen, i.income_fen, i.revision, i.updated_by, i.updated_at";

fn sheet_of<R>(row: &R) -> Result<SheetRow, sqlx::Error>
where
    R: Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
{
    Ok(SheetRow {
        sheet_id: col!(row, "sheet_id"),
        fiscal_year: col!(row, "fiscal_year"),
        mof_div_code: col!(row, "mof_div_code"),
        agency_code: col!(row, "agency_code"),
        dept_code: col!(row, "dept_code"),
        stage: col!(row, "stage"),
        status: col!(row, "status"),
        doc_id: col!(row, "doc_id"),
        expense_fen: col!(row, "expense_fen"),
        income_fen: col!(row, "income_fen"),
        revision: col!(row, "revision"),
        updated_by: col!(row, "updated_by"),
        updated_at: col!(row, "updated_at"),
    })
}

fn sheet_binds(row: &SheetRow) -> Vec<Bind> {
    vec![
        Bind::text(&row.sheet_id),
        Bind::Int(Some(row.fiscal_year)),
        Bind::text(&row.mof_div_code),
        Bind::text(&row.agency_code),
        Bind::text(&row.dept_code),
        Bind::text(&row.stage),
        Bind::text(&row.status),
        Bind::Text(row.doc_id.clone()),
        Bind::Int(Some(row.expense_fen)),
        Bind::Int(Some(row.income_fen)),
        Bind::Int(Some(row.revision)),
        Bind::text(&row.updated_by),
        Bind::text(&row.updated_at),
    ]
}

const SHEET_INSERT_COLUMNS: [&str; 13] = [
    "sheet_id",
    "fiscal_year",
    "mof_div_code",
    "agency_code",
    "dept_code",
    "stage",
    "status",
    "doc_id",
    "expense_fen",
    "income_fen",
    "revision",
    "updated_by",
    "updated_at",
];

/// Inserts sheets (one statement per chunk).
pub async fn insert_sheets(tx: &mut Tx, rows: &[SheetRow]) -> Result<(), StoreError> {
    insert_rows(
        tx,
        "budget_sheet",
        &SHEET_INSERT_COLUMNS,
        rows.iter().map(sheet_binds).collect(),
    )
    .await?;
    Ok(())
}

/// Rewrites a sheet's stage, status, document, totals and revision.
pub async fn update_sheet(tx: &mut Tx, row: &SheetRow) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE budget_sheet SET stage = ");
    sql.bind(Bind::text(&row.stage))
        .push(", status = ")
        .bind(Bind::text(&row.status))
        .push(", doc_id = ")
        .bind(Bind::Text(row.doc_id.clone()))
        .push(", expense_fen = ")
        .bind(Bind::Int(Some(row.expense_fen)))
        .push(", income_fen = ")
        .bind(Bind::Int(Some(row.income_fen)))
        .push(", revision = ")
        .bind(Bind::Int(Some(row.revision)))
        .push(", updated_by = ")
        .bind(Bind::text(&row.updated_by))
        .push(", updated_at = ")
        .bind(Bind::text(&row.updated_at))
        .push(" WHERE sheet_id = ")
        .bind(Bind::text(&row.sheet_id));
    on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    Ok(())
}

async fn one_sheet(
    tx: &mut Tx,
    filter: &str,
    binds: Vec<Bind>,
) -> Result<Option<SheetRow>, StoreError> {
    let lock = tx.row_lock();
    let mut sql = Sql::new(&format!(
        "SELECT {SHEET_COLUMNS} FROM budget_sheet i WHERE "
    ));
    let mut parts = filter.split('?');
    let mut binds = binds.into_iter();
    if let Some(first) = parts.next() {
        sql.push(first);
    }
    for part in parts {
        if let Some(bind) = binds.next() {
            sql.bind(bind);
        }
        sql.push(part);
    }
    sql.push(lock);
    let row = on_tx!(tx, conn => match bound_query!(&sql).fetch_optional(&mut *conn).await? {
        Some(row) => Some(sheet_of(&row)?),
        None => None,
    });
    Ok(row)
}

/// A unit's sheet of a year inside a transaction (locked on PostgreSQL).
pub async fn sheet_of_agency(
    tx: &mut Tx,
    fiscal_year: i64,
    agency_code: &str,
) -> Result<Option<SheetRow>, StoreError> {
    one_sheet(
        tx,
        "i.fiscal_year = ? AND i.agency_code = ?",
        vec![Bind::Int(Some(fiscal_year)), Bind::text(agency_code)],
    )
    .await
}

/// A sheet by id inside a transaction (locked on PostgreSQL).
pub async fn sheet_for_update(tx: &mut Tx, sheet_id: &str) -> Result<Option<SheetRow>, StoreError> {
    one_sheet(tx, "i.sheet_id = ?", vec![Bind::text(sheet_id)]).await
}

/// The sheet whose current submission is `doc_id` (locked on PostgreSQL).
pub async fn sheet_of_doc(tx: &mut Tx, doc_id: &str) -> Result<Option<SheetRow>, StoreError> {
    one_sheet(tx, "i.doc_id = ?", vec![Bind::text(doc_id)]).await
}

/// The sheets of one region and year inside a transaction (locked on PostgreSQL).
pub async fn sheets_of_region(
    tx: &mut Tx,
    fiscal_year: i64,
    mof_div_code: &str,
) -> Result<Vec<SheetRow>, StoreError> {
    let lock = tx.row_lock();
    let mut sql = Sql::new(&format!(
        "SELECT {SHEET_COLUMNS} FROM budget_sheet i WHERE i.fiscal_year = "
    ));
    sql.bind(Bind::Int(Some(fiscal_year)))
        .push(" AND i.mof_div_code = ")
        .bind(Bind::text(mof_div_code))
        .push(" ORDER BY i.agency_code")
        .push(lock);
    let mut rows = Vec::new();
    on_tx!(tx, conn => {
        for row in bound_query!(&sql).fetch_all(&mut *conn).await? {
            rows.push(sheet_of(&row)?);
        }
    });
    Ok(rows)
}

/// A sheet in a list, with its unit's name and control number.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SheetListRow {
    #[serde(flatten)]
    pub sheet: SheetRow,
    pub agency_name: String,
    pub dept_name: String,
    pub control_fen: Option<i64>,
}

/// Filters of the sheet list.
#[derive(Clone, Debug, Default)]
pub struct SheetQuery {
    pub fiscal_year: i64,
    pub sheet_id: Option<String>,
    pub agency_code: Option<String>,
    pub mof_div_code: Option<String>,
    pub dept_code: Option<String>,
    pub stage: Option<String>,
    pub status: Option<String>,
    /// Unit code or name contains.
    pub q: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

fn push_sheet_filters(sql: &mut Sql, viewer: Viewer<'_>, query: &SheetQuery) {
    sql.push(" WHERE i.fiscal_year = ")
        .bind(Bind::Int(Some(query.fiscal_year)));
    crate::ledger::push_indicator_scope(sql, viewer);
    for (column, value) in [
        ("i.sheet_id", &query.sheet_id),
        ("i.agency_code", &query.agency_code),
        ("i.mof_div_code", &query.mof_div_code),
        ("i.dept_code", &query.dept_code),
        ("i.stage", &query.stage),
        ("i.status", &query.status),
    ] {
        if let Some(value) = value {
            sql.push(" AND ")
                .push(column)
                .push(" = ")
                .bind(Bind::text(value));
        }
    }
    if let Some(q) = query.q.as_deref().filter(|q| !q.trim().is_empty()) {
        let pattern = format!("%{}%", crate::sql::like_escape(q.trim()));
        sql.push(" AND (i.agency_code LIKE ")
            .bind(Bind::text(pattern.clone()))
            .push(" ESCAPE '\\' OR a.agency_name LIKE ")
            .bind(Bind::text(pattern))
            .push(" ESCAPE '\\')");
    }
}

/// The sheets `viewer` may see, by unit code, with the number that match.
pub async fn sheets(
    db: &Db,
    viewer: Viewer<'_>,
    query: &SheetQuery,
) -> Result<(Vec<SheetListRow>, i64), StoreError> {
    let from = " FROM budget_sheet i JOIN agency a ON a.agency_code = i.agency_code JOIN agency d ON d.agency_code = i.dept_code LEFT JOIN budget_control c ON c.fiscal_year = i.fiscal_year AND c.agency_code = i.agency_code AND c.kind = 'unit'";
    let mut sql = Sql::new(&format!(
        "SELECT {SHEET_COLUMNS}, a.agency_name, d.agency_name AS dept_name, c.amount_fen AS control_fen{from}"
    ));
    push_sheet_filters(&mut sql, viewer, query);
    sql.push(" ORDER BY i.agency_code LIMIT ")
        .bind(Bind::Int(Some(query.limit)))
        .push(" OFFSET ")
        .bind(Bind::Int(Some(query.offset)));
    let mut count_sql = Sql::new(&format!("SELECT COUNT(*){from}"));
    push_sheet_filters(&mut count_sql, viewer, query);
    let mut rows = Vec::new();
    let total: i64;
    on_db!(db, pool => {
        for row in bound_query!(&sql).fetch_all(pool).await? {
            rows.push(SheetListRow {
                sheet: sheet_of(&row)?,
                agency_name: row.try_get("agency_name")?,
                dept_name: row.try_get("dept_name")?,
                control_fen: row.try_get("control_fen")?,
            });
        }
        total = bound_query!(&count_sql).fetch_one(pool).await?.try_get(0)?;
    });
    Ok((rows, total))
}

// ---------------------------------------------------------------------------------------
// Expenditure lines

/// One expenditure line with every figure of its year (BGT_PM_ANNUAL).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LineRow {
    pub bgt_pman_id: String,
    pub sheet_id: String,
    pub fiscal_year: i64,
    pub mof_div_code: String,
    pub agency_code: String,
    pub dept_code: String,
    pub pro_code: String,
    pub pro_kind_code: String,
    pub exp_func_code: String,
    pub gov_bgt_eco_code: String,
    pub dep_bgt_eco_code: String,
    pub fund_type_code: String,
    pub is_gov_pur: bool,
    pub remark: String,
    pub amount_fen: i64,
    pub apply_up: i64,
    pub fin_audit_money: i64,
    pub pre_amt: i64,
    pub reply_amt: i64,
    pub adj_amt: i64,
    pub dis_amt: i64,
    pub cur_amt: i64,
    pub bgt_id: Option<String>,
    pub updated_by: String,
    pub updated_at: String,
}

impl LineRow {
    pub fn key(&self) -> LineKey {
        LineKey {
            pro_code: self.pro_code.clone(),
            exp_func_code: self.exp_func_code.clone(),
            gov_bgt_eco_code: self.gov_bgt_eco_code.clone(),
            dep_bgt_eco_code: self.dep_bgt_eco_code.clone(),
            fund_type_code: self.fund_type_code.clone(),
        }
    }
}

pub const LINE_COLUMNS: [&str; 25] = [
    "bgt_pman_id",
    "sheet_id",
    "fiscal_year",
    "mof_div_code",
    "agency_code",
    "dept_code",
    "pro_code",
    "pro_kind_code",
    "exp_func_code",
    "gov_bgt_eco_code",
    "dep_bgt_eco_code",
    "fund_type_code",
    "is_gov_pur",
    "remark",
    "amount_fen",
    "apply_up",
    "fin_audit_money",
    "pre_amt",
    "reply_amt",
    "adj_amt",
    "dis_amt",
    "cur_amt",
    "bgt_id",
    "updated_by",
    "updated_at",
];

fn line_of<R>(row: &R) -> Result<LineRow, sqlx::Error>
where
    R: Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
{
    Ok(LineRow {
        bgt_pman_id: col!(row, "bgt_pman_id"),
        sheet_id: col!(row, "sheet_id"),
        fiscal_year: col!(row, "fiscal_year"),
        mof_div_code: col!(row, "mof_div_code"),
        agency_code: col!(row, "agency_code"),
        dept_code: col!(row, "dept_code"),
        pro_code: col!(row, "pro_code"),
        pro_kind_code: col!(row, "pro_kind_code"),
        exp_func_code: col!(row, "exp_func_code"),
        gov_bgt_eco_code: col!(row, "gov_bgt_eco_code"),
        dep_bgt_eco_code: col!(row, "dep_bgt_eco_code"),
        fund_type_code: col!(row, "fund_type_code"),
        is_gov_pur: col!(row, "is_gov_pur"),
        remark: col!(row, "remark"),
        amount_fen: col!(row, "amount_fen"),
        apply_up: col!(row, "apply_up"),
        fin_audit_money: col!(row, "fin_audit_money"),
        pre_amt: col!(row, "pre_amt"),
        reply_amt: col!(row, "reply_amt"),
        adj_amt: col!(row, "adj_amt"),
        dis_amt: col!(row, "dis_amt"),
        cur_amt: col!(row, "cur_amt"),
        bgt_id: col!(row, "bgt_id"),
        updated_by: col!(row, "updated_by"),
        updated_at: col!(row, "updated_at"),
    })
}

fn line_binds(row: &LineRow) -> Vec<Bind> {
    vec![
        Bind::text(&row.bgt_pman_id),
        Bind::text(&row.sheet_id),
        Bind::Int(Some(row.fiscal_year)),
        Bind::text(&row.mof_div_code),
        Bind::text(&row.agency_code),
        Bind::text(&row.dept_code),
        Bind::text(&row.pro_code),
        Bind::text(&row.pro_kind_code),
        Bind::text(&row.exp_func_code),
        Bind::text(&row.gov_bgt_eco_code),
        Bind::text(&row.dep_bgt_eco_code),
        Bind::text(&row.fund_type_code),
        Bind::Bool(Some(row.is_gov_pur)),
        Bind::text(&row.remark),
        Bind::Int(Some(row.amount_fen)),
        Bind::Int(Some(row.apply_up)),
        Bind::Int(Some(row.fin_audit_money)),
        Bind::Int(Some(row.pre_amt)),
        Bind::Int(Some(row.reply_amt)),
        Bind::Int(Some(row.adj_amt)),
        Bind::Int(Some(row.dis_amt)),
        Bind::Int(Some(row.cur_amt)),
        Bind::Text(row.bgt_id.clone()),
        Bind::text(&row.updated_by),
        Bind::text(&row.updated_at),
    ]
}

/// Inserts lines (multi-row statements).
pub async fn insert_lines(tx: &mut Tx, rows: &[LineRow]) -> Result<(), StoreError> {
    insert_rows(
        tx,
        "budget_line",
        &LINE_COLUMNS,
        rows.iter().map(line_binds).collect(),
    )
    .await?;
    Ok(())
}

/// Rewrites every column of a line but its key and place.
pub async fn update_line(tx: &mut Tx, row: &LineRow) -> Result<(), StoreError> {
    let fixed = [
        "bgt_pman_id",
        "sheet_id",
        "fiscal_year",
        "mof_div_code",
        "agency_code",
        "dept_code",
    ];
    let mut sql = Sql::new("UPDATE budget_line SET ");
    let pairs = LINE_COLUMNS
        .iter()
        .zip(line_binds(row))
        .filter(|(column, _)| !fixed.contains(column));
    for (index, (column, bind)) in pairs.enumerate() {
        if index > 0 {
            sql.push(", ");
        }
        sql.push(column).push(" = ").bind(bind);
    }
    sql.push(" WHERE bgt_pman_id = ")
        .bind(Bind::text(&row.bgt_pman_id));
    on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    Ok(())
}

/// Deletes lines by id (only lines never approved: the caller checks).
pub async fn delete_lines(tx: &mut Tx, ids: &[String]) -> Result<(), StoreError> {
    for chunk in ids.chunks(200) {
        let mut sql = Sql::new("DELETE FROM budget_line WHERE bgt_pman_id IN (");
        for (index, id) in chunk.iter().enumerate() {
            if index > 0 {
                sql.push(", ");
            }
            sql.bind(Bind::text(id));
        }
        sql.push(")");
        on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    }
    Ok(())
}

fn line_select() -> String {
    format!(
        "SELECT {} FROM budget_line i",
        LINE_COLUMNS.map(|c| format!("i.{c}")).join(", ")
    )
}

/// A sheet's lines inside a transaction, by key.
pub async fn lines_of_sheet_tx(tx: &mut Tx, sheet_id: &str) -> Result<Vec<LineRow>, StoreError> {
    let mut sql = Sql::new(&line_select());
    sql.push(" WHERE i.sheet_id = ")
        .bind(Bind::text(sheet_id))
        .push(" ORDER BY i.pro_code, i.exp_func_code, i.dep_bgt_eco_code, i.gov_bgt_eco_code, i.fund_type_code");
    let mut rows = Vec::new();
    on_tx!(tx, conn => {
        for row in bound_query!(&sql).fetch_all(&mut *conn).await? {
            rows.push(line_of(&row)?);
        }
    });
    Ok(rows)
}

/// A sheet's lines (reads), by key.
pub async fn lines_of_sheet(db: &Db, sheet_id: &str) -> Result<Vec<LineRow>, StoreError> {
    let mut sql = Sql::new(&line_select());
    sql.push(" WHERE i.sheet_id = ")
        .bind(Bind::text(sheet_id))
        .push(" ORDER BY i.pro_code, i.exp_func_code, i.dep_bgt_eco_code, i.gov_bgt_eco_code, i.fund_type_code");
    let mut rows = Vec::new();
    on_db!(db, pool => {
        for row in bound_query!(&sql).fetch_all(pool).await? {
            rows.push(line_of(&row)?);
        }
    });
    Ok(rows)
}

/// Lines by id inside a transaction (locked on PostgreSQL).
pub async fn lines_by_ids(tx: &mut Tx, ids: &[String]) -> Result<Vec<LineRow>, StoreError> {
    let lock = tx.row_lock();
    let mut rows = Vec::new();
    for chunk in ids.chunks(200) {
        let mut sql = Sql::new(&line_select());
        sql.push(" WHERE i.bgt_pman_id IN (");
        for (index, id) in chunk.iter().enumerate() {
            if index > 0 {
                sql.push(", ");
            }
            sql.bind(Bind::text(id));
        }
        sql.push(")").push(lock);
        on_tx!(tx, conn => {
            for row in bound_query!(&sql).fetch_all(&mut *conn).await? {
                rows.push(line_of(&row)?);
            }
        });
    }
    Ok(rows)
}

/// Filters of the line search (all of a year's lines `viewer` may see).
#[derive(Clone, Debug, Default)]
pub struct LineQuery {
    pub fiscal_year: i64,
    pub agency_code: Option<String>,
    pub mof_div_code: Option<String>,
    pub pro_code: Option<String>,
    /// Only lines approved into indicators.
    pub approved_only: bool,
    pub limit: i64,
    pub offset: i64,
}

fn push_line_filters(sql: &mut Sql, viewer: Viewer<'_>, query: &LineQuery) {
    sql.push(" WHERE i.fiscal_year = ")
        .bind(Bind::Int(Some(query.fiscal_year)));
    crate::ledger::push_indicator_scope(sql, viewer);
    for (column, value) in [
        ("i.agency_code", &query.agency_code),
        ("i.mof_div_code", &query.mof_div_code),
        ("i.pro_code", &query.pro_code),
    ] {
        if let Some(value) = value {
            sql.push(" AND ")
                .push(column)
                .push(" = ")
                .bind(Bind::text(value));
        }
    }
    if query.approved_only {
        sql.push(" AND i.bgt_id IS NOT NULL");
    }
}

/// The lines `viewer` may see, with the number that match.
pub async fn lines(
    db: &Db,
    viewer: Viewer<'_>,
    query: &LineQuery,
) -> Result<(Vec<LineRow>, i64), StoreError> {
    let mut sql = Sql::new(&line_select());
    push_line_filters(&mut sql, viewer, query);
    sql.push(" ORDER BY i.agency_code, i.pro_code, i.exp_func_code, i.dep_bgt_eco_code, i.bgt_pman_id LIMIT ")
        .bind(Bind::Int(Some(query.limit)))
        .push(" OFFSET ")
        .bind(Bind::Int(Some(query.offset)));
    let mut count_sql = Sql::new("SELECT COUNT(*) FROM budget_line i");
    push_line_filters(&mut count_sql, viewer, query);
    let mut rows = Vec::new();
    let total: i64;
    on_db!(db, pool => {
        for row in bound_query!(&sql).fetch_all(pool).await? {
            rows.push(line_of(&row)?);
        }
        total = bound_query!(&count_sql).fetch_one(pool).await?.try_get(0)?;
    });
    Ok((rows, total))
}

/// Marks an indicator with the budget line it was approved from (its lineage).
pub async fn set_indicator_pman(
    tx: &mut Tx,
    bgt_id: &str,
    bgt_pman_id: &str,
) -> Result<(), StoreError> {
    on_tx!(tx, conn => { sqlx::query("UPDATE indicator SET bgt_pman_id = $1 WHERE bgt_id = $2")
        .bind(bgt_pman_id)
        .bind(bgt_id)
        .execute(&mut *conn)
        .await?; });
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The other tables of a sheet

/// Reads the income, non-tax, procurement and asset tables of `$sheet_id` on executor
/// `$exec` (a pool or a connection) into a `BudgetTables` with no expenditure lines.
macro_rules! side_tables_on {
    ($exec:expr, $sheet_id:expr) => {{
        let mut tables = BudgetTables::default();
        for row in sqlx::query("SELECT income_kind, fund_type_code, amount_fen, remark FROM budget_income WHERE sheet_id = $1 ORDER BY line_no")
            .bind($sheet_id)
            .fetch_all($exec)
            .await?
        {
            let kind: String = row.try_get(0)?;
            tables.incomes.push(IncomeLine {
                kind: IncomeKind::parse(&kind)
                    .map_err(|_| StoreError::Corrupt(format!("income kind {kind}")))?,
                fund_type_code: row.try_get(1)?,
                amount: Fen(row.try_get(2)?),
                remark: row.try_get(3)?,
            });
        }
        for row in sqlx::query("SELECT item_code, item_name, amount_fen FROM budget_nontax WHERE sheet_id = $1 ORDER BY line_no")
            .bind($sheet_id)
            .fetch_all($exec)
            .await?
        {
            tables.non_tax.push(NonTaxLine {
                item_code: row.try_get(0)?,
                item_name: row.try_get(1)?,
                amount: Fen(row.try_get(2)?),
            });
        }
        for row in sqlx::query("SELECT pro_code, item_code, item_name, quantity, amount_fen FROM budget_procurement WHERE sheet_id = $1 ORDER BY line_no")
            .bind($sheet_id)
            .fetch_all($exec)
            .await?
        {
            tables.procurement.push(ProcurementLine {
                pro_code: row.try_get(0)?,
                item_code: row.try_get(1)?,
                item_name: row.try_get(2)?,
                quantity: row.try_get(3)?,
                amount: Fen(row.try_get(4)?),
            });
        }
        for row in sqlx::query("SELECT pro_code, asset_class, asset_name, quantity, unit_price_fen, amount_fen FROM budget_asset WHERE sheet_id = $1 ORDER BY line_no")
            .bind($sheet_id)
            .fetch_all($exec)
            .await?
        {
            tables.assets.push(AssetLine {
                pro_code: row.try_get(0)?,
                asset_class: row.try_get(1)?,
                asset_name: row.try_get(2)?,
                quantity: row.try_get(3)?,
                unit_price: Fen(row.try_get(4)?),
                amount: Fen(row.try_get(5)?),
            });
        }
        tables
    }};
}

/// The income, non-tax, procurement and asset tables of a sheet (expenditure lines are
/// [`lines_of_sheet`]'s), in line order.
pub async fn side_tables(db: &Db, sheet_id: &str) -> Result<BudgetTables, StoreError> {
    let tables = on_db!(db, pool => side_tables_on!(pool, sheet_id));
    Ok(tables)
}

/// [`side_tables`] inside a transaction.
pub async fn side_tables_tx(tx: &mut Tx, sheet_id: &str) -> Result<BudgetTables, StoreError> {
    let tables = on_tx!(tx, conn => side_tables_on!(&mut *conn, sheet_id));
    Ok(tables)
}

/// Replaces the income, non-tax, procurement and asset tables of a sheet.
pub async fn replace_side_tables(
    tx: &mut Tx,
    sheet_id: &str,
    tables: &BudgetTables,
) -> Result<(), StoreError> {
    for table in [
        "budget_income",
        "budget_nontax",
        "budget_procurement",
        "budget_asset",
    ] {
        let sql = format!("DELETE FROM {table} WHERE sheet_id = $1");
        on_tx!(tx, conn => { sqlx::query(sqlx::AssertSqlSafe(sql)).bind(sheet_id).execute(&mut *conn).await?; });
    }
    let no = |index: usize| Bind::Int(Some(i64::try_from(index).unwrap_or(i64::MAX)));
    insert_rows(
        tx,
        "budget_income",
        &[
            "sheet_id",
            "line_no",
            "income_kind",
            "fund_type_code",
            "amount_fen",
            "remark",
        ],
        tables
            .incomes
            .iter()
            .enumerate()
            .map(|(index, line)| {
                vec![
                    Bind::text(sheet_id),
                    no(index),
                    Bind::text(line.kind.code()),
                    Bind::text(&line.fund_type_code),
                    Bind::Int(Some(line.amount.0)),
                    Bind::text(&line.remark),
                ]
            })
            .collect(),
    )
    .await?;
    insert_rows(
        tx,
        "budget_nontax",
        &[
            "sheet_id",
            "line_no",
            "item_code",
            "item_name",
            "amount_fen",
        ],
        tables
            .non_tax
            .iter()
            .enumerate()
            .map(|(index, line)| {
                vec![
                    Bind::text(sheet_id),
                    no(index),
                    Bind::text(&line.item_code),
                    Bind::text(&line.item_name),
                    Bind::Int(Some(line.amount.0)),
                ]
            })
            .collect(),
    )
    .await?;
    insert_rows(
        tx,
        "budget_procurement",
        &[
            "sheet_id",
            "line_no",
            "pro_code",
            "item_code",
            "item_name",
            "quantity",
            "amount_fen",
        ],
        tables
            .procurement
            .iter()
            .enumerate()
            .map(|(index, line)| {
                vec![
                    Bind::text(sheet_id),
                    no(index),
                    Bind::text(&line.pro_code),
                    Bind::text(&line.item_code),
                    Bind::text(&line.item_name),
                    Bind::Int(Some(line.quantity)),
                    Bind::Int(Some(line.amount.0)),
                ]
            })
            .collect(),
    )
    .await?;
    insert_rows(
        tx,
        "budget_asset",
        &[
            "sheet_id",
            "line_no",
            "pro_code",
            "asset_class",
            "asset_name",
            "quantity",
            "unit_price_fen",
            "amount_fen",
        ],
        tables
            .assets
            .iter()
            .enumerate()
            .map(|(index, line)| {
                vec![
                    Bind::text(sheet_id),
                    no(index),
                    Bind::text(&line.pro_code),
                    Bind::text(&line.asset_class),
                    Bind::text(&line.asset_name),
                    Bind::Int(Some(line.quantity)),
                    Bind::Int(Some(line.unit_price.0)),
                    Bind::Int(Some(line.amount.0)),
                ]
            })
            .collect(),
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Control numbers

/// A control number (控制数).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ControlRow {
    pub fiscal_year: i64,
    pub agency_code: String,
    /// dept | unit
    pub kind: String,
    pub mof_div_code: String,
    pub dept_code: String,
    pub amount_fen: i64,
    pub revision: i64,
    pub updated_by: String,
    pub updated_at: String,
}

const CONTROL_COLUMNS: &str = "i.fiscal_year, i.agency_code, i.kind, i.mof_div_code, i.dept_code, i.amount_fen, i.revision, i.updated_by, i.updated_at";

fn control_of<R>(row: &R) -> Result<ControlRow, sqlx::Error>
where
    R: Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
{
    Ok(ControlRow {
        fiscal_year: col!(row, "fiscal_year"),
        agency_code: col!(row, "agency_code"),
        kind: col!(row, "kind"),
        mof_div_code: col!(row, "mof_div_code"),
        dept_code: col!(row, "dept_code"),
        amount_fen: col!(row, "amount_fen"),
        revision: col!(row, "revision"),
        updated_by: col!(row, "updated_by"),
        updated_at: col!(row, "updated_at"),
    })
}

/// Writes a control number (insert, or replace amount and revision).
pub async fn upsert_control(tx: &mut Tx, row: &ControlRow) -> Result<(), StoreError> {
    on_tx!(tx, conn => { sqlx::query(
        "INSERT INTO budget_control (fiscal_year, agency_code, kind, mof_div_code, dept_code, amount_fen, revision, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (fiscal_year, agency_code, kind) DO UPDATE SET amount_fen = excluded.amount_fen, revision = excluded.revision, updated_by = excluded.updated_by, updated_at = excluded.updated_at")
        .bind(row.fiscal_year)
        .bind(&row.agency_code)
        .bind(&row.kind)
        .bind(&row.mof_div_code)
        .bind(&row.dept_code)
        .bind(row.amount_fen)
        .bind(row.revision)
        .bind(&row.updated_by)
        .bind(&row.updated_at)
        .execute(&mut *conn)
        .await?; });
    Ok(())
}

/// Control numbers inside a transaction: of a year and kind, optionally one agency or one
/// department's; `lock` locks them on PostgreSQL (writers), reads leave it off.
pub async fn controls_tx(
    tx: &mut Tx,
    fiscal_year: i64,
    kind: &str,
    agency_code: Option<&str>,
    dept_code: Option<&str>,
    lock: bool,
) -> Result<Vec<ControlRow>, StoreError> {
    let lock = if lock { tx.row_lock() } else { "" };
    let mut sql = Sql::new(&format!(
        "SELECT {CONTROL_COLUMNS} FROM budget_control i WHERE i.fiscal_year = "
    ));
    sql.bind(Bind::Int(Some(fiscal_year)))
        .push(" AND i.kind = ")
        .bind(Bind::text(kind));
    if let Some(agency_code) = agency_code {
        sql.push(" AND i.agency_code = ")
            .bind(Bind::text(agency_code));
    }
    if let Some(dept_code) = dept_code {
        sql.push(" AND i.dept_code = ").bind(Bind::text(dept_code));
    }
    sql.push(" ORDER BY i.agency_code").push(lock);
    let mut rows = Vec::new();
    on_tx!(tx, conn => {
        for row in bound_query!(&sql).fetch_all(&mut *conn).await? {
            rows.push(control_of(&row)?);
        }
    });
    Ok(rows)
}

/// A control number in a list, with its agency's name and (for a department) what it has
/// distributed to its units.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ControlListRow {
    pub control: ControlRow,
    pub agency_name: String,
    pub distributed_fen: i64,
}

/// The control numbers `viewer` may see of a year and kind, optionally of one department.
pub async fn controls(
    db: &Db,
    viewer: Viewer<'_>,
    fiscal_year: i64,
    kind: &str,
    dept_code: Option<&str>,
) -> Result<Vec<ControlListRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {CONTROL_COLUMNS}, a.agency_name, CAST(COALESCE((SELECT SUM(u.amount_fen) FROM budget_control u WHERE u.fiscal_year = i.fiscal_year AND u.dept_code = i.agency_code AND u.kind = 'unit'), 0) AS BIGINT) AS distributed_fen FROM budget_control i JOIN agency a ON a.agency_code = i.agency_code WHERE i.fiscal_year = "
    ));
    sql.bind(Bind::Int(Some(fiscal_year)))
        .push(" AND i.kind = ")
        .bind(Bind::text(kind));
    crate::ledger::push_indicator_scope(&mut sql, viewer);
    if let Some(dept_code) = dept_code {
        sql.push(" AND i.dept_code = ").bind(Bind::text(dept_code));
    }
    sql.push(" ORDER BY i.agency_code");
    let mut rows = Vec::new();
    on_db!(db, pool => {
        for row in bound_query!(&sql).fetch_all(pool).await? {
            rows.push(ControlListRow {
                control: control_of(&row)?,
                agency_name: row.try_get("agency_name")?,
                distributed_fen: row.try_get("distributed_fen")?,
            });
        }
    });
    Ok(rows)
}

// ---------------------------------------------------------------------------------------
// Version history

/// One change of one number.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct VersionRow {
    /// 0 on insert.
    pub version_id: i64,
    pub fiscal_year: i64,
    pub agency_code: String,
    pub entity: String,
    pub entity_key: String,
    pub stage: String,
    pub change_kind: String,
    pub old_fen: Option<i64>,
    pub new_fen: Option<i64>,
    pub detail: String,
    pub doc_id: Option<String>,
    pub actor: String,
    pub at: String,
}

/// Appends history rows.
pub async fn append_versions(tx: &mut Tx, rows: &[VersionRow]) -> Result<(), StoreError> {
    insert_rows(
        tx,
        "budget_version",
        &[
            "fiscal_year",
            "agency_code",
            "entity",
            "entity_key",
            "stage",
            "change_kind",
            "old_fen",
            "new_fen",
            "detail",
            "doc_id",
            "actor",
            "at",
        ],
        rows.iter()
            .map(|row| {
                vec![
                    Bind::Int(Some(row.fiscal_year)),
                    Bind::text(&row.agency_code),
                    Bind::text(&row.entity),
                    Bind::text(&row.entity_key),
                    Bind::text(&row.stage),
                    Bind::text(&row.change_kind),
                    Bind::Int(row.old_fen),
                    Bind::Int(row.new_fen),
                    Bind::text(&row.detail),
                    Bind::Text(row.doc_id.clone()),
                    Bind::text(&row.actor),
                    Bind::text(&row.at),
                ]
            })
            .collect(),
    )
    .await?;
    Ok(())
}

/// The history of one unit's year (or of one entity key), newest first, with the count.
pub async fn versions(
    db: &Db,
    fiscal_year: i64,
    agency_code: &str,
    entity_key: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<VersionRow>, i64), StoreError> {
    let filter = |sql: &mut Sql| {
        sql.push(" WHERE fiscal_year = ")
            .bind(Bind::Int(Some(fiscal_year)))
            .push(" AND agency_code = ")
            .bind(Bind::text(agency_code));
        if let Some(key) = entity_key {
            sql.push(" AND entity_key = ").bind(Bind::text(key));
        }
    };
    let mut sql = Sql::new(
        "SELECT version_id, fiscal_year, agency_code, entity, entity_key, stage, change_kind, old_fen, new_fen, detail, doc_id, actor, at FROM budget_version",
    );
    filter(&mut sql);
    sql.push(" ORDER BY version_id DESC LIMIT ")
        .bind(Bind::Int(Some(limit)))
        .push(" OFFSET ")
        .bind(Bind::Int(Some(offset)));
    let mut count_sql = Sql::new("SELECT COUNT(*) FROM budget_version");
    filter(&mut count_sql);
    let mut rows = Vec::new();
    let total: i64;
    on_db!(db, pool => {
        for row in bound_query!(&sql).fetch_all(pool).await? {
            rows.push(VersionRow {
                version_id: row.try_get(0)?,
                fiscal_year: row.try_get(1)?,
                agency_code: row.try_get(2)?,
                entity: row.try_get(3)?,
                entity_key: row.try_get(4)?,
                stage: row.try_get(5)?,
                change_kind: row.try_get(6)?,
                old_fen: row.try_get(7)?,
                new_fen: row.try_get(8)?,
                detail: row.try_get(9)?,
                doc_id: row.try_get(10)?,
                actor: row.try_get(11)?,
                at: row.try_get(12)?,
            });
        }
        total = bound_query!(&count_sql).fetch_one(pool).await?.try_get(0)?;
    });
    Ok((rows, total))
}

// ---------------------------------------------------------------------------------------
// Facts the compilation checks read

/// What the cross-checks need of a project: (pro_code, pro_cat_code, status, agency_code).
pub async fn project_facts(
    tx: &mut Tx,
    pro_codes: &[String],
) -> Result<Vec<(String, String, String, String)>, StoreError> {
    let mut rows = Vec::new();
    for chunk in pro_codes.chunks(200) {
        let mut sql = Sql::new(
            "SELECT pro_code, pro_cat_code, status, agency_code FROM project WHERE pro_code IN (",
        );
        for (index, code) in chunk.iter().enumerate() {
            if index > 0 {
                sql.push(", ");
            }
            sql.bind(Bind::text(code));
        }
        sql.push(")");
        on_tx!(tx, conn => {
            for row in bound_query!(&sql).fetch_all(&mut *conn).await? {
                rows.push((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?));
            }
        });
    }
    Ok(rows)
}

/// The enabled codes of an element in the code table of `fiscal_year`, or of the latest
/// earlier year when that year has no table yet (compilation runs ahead of the new tables).
pub async fn enabled_codes(
    tx: &mut Tx,
    element_code: &str,
    fiscal_year: i64,
) -> Result<std::collections::HashSet<String>, StoreError> {
    let year: Option<i64> = on_tx!(tx, conn => sqlx::query(
        "SELECT MAX(fiscal_year) FROM code_item WHERE element_code = $1 AND fiscal_year <= $2")
        .bind(element_code)
        .bind(fiscal_year)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?);
    let mut codes = std::collections::HashSet::new();
    let Some(year) = year else {
        return Ok(codes);
    };
    on_tx!(tx, conn => {
        for row in sqlx::query("SELECT code FROM code_item WHERE element_code = $1 AND fiscal_year = $2 AND is_enabled = TRUE")
            .bind(element_code)
            .bind(year)
            .fetch_all(&mut *conn)
            .await?
        {
            codes.insert(row.try_get::<String, _>(0)?);
        }
    });
    Ok(codes)
}
