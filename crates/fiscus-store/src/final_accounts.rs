//! Storage of final accounts (决算, ADR 0013): the grouped read queries a set is computed
//! from — the ledger's figures of a year's indicators by function class × economic class ×
//! fund nature × basic/project, the 财务会计 book's posted movements, the code names — one
//! statement each over a unit, a department subtree or a region subtree (never one query
//! per unit); and the generated sets (`final_accounts_set`, `final_accounts_cell`).
//! It reads the ledger, project, accounting and payment tables and writes only its own.

use fiscus_core::final_accounts::{BookFact, Fact, Names};
use sqlx::Row;

use crate::sql::{Bind, Sql, like_escape};
use crate::{Db, StoreError, Tx, bound_query, on_db, on_tx};

/// Whose facts: one unit, the units under an agency path, or the units of a region subtree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    Unit { agency_code: String },
    AgencyPath { agency_path: String },
    RegionPath { region_path: String },
}

impl Subject {
    /// ` AND …` limiting rows whose unit is `{agency}` and region `{region}`.
    fn push(&self, sql: &mut Sql, agency: &str, region: &str) {
        match self {
            Subject::Unit { agency_code } => {
                sql.push(&format!(" AND {agency} = "))
                    .bind(Bind::text(agency_code.as_str()));
            }
            Subject::AgencyPath { agency_path } => {
                sql.push(&format!(
                    " AND {agency} IN (SELECT agency_code FROM agency WHERE agency_path LIKE "
                ))
                .bind(Bind::text(format!("{}%", like_escape(agency_path))))
                .push(" ESCAPE '\\')");
            }
            Subject::RegionPath { region_path } => {
                sql.push(&format!(
                    " AND {region} IN (SELECT mof_div_code FROM region WHERE region_path LIKE "
                ))
                .bind(Bind::text(format!("{}%", like_escape(region_path))))
                .push(" ESCAPE '\\')");
            }
        }
    }
}

fn posted(account: &str) -> String {
    format!("({account}.credits_posted - {account}.debits_posted)")
}

fn moved(side: &str, reason: &str) -> String {
    format!(
        "(SELECT COALESCE(SUM(t.amount_fen), 0) FROM ledger_transfer t \
         WHERE t.{side}_account_id = a.account_id AND t.reason = '{reason}' AND t.kind = 'posted')"
    )
}

/// The facts of a subject's executable indicators of `fiscal_year`, grouped by
/// classification, and whether every one of them is closed by a year-end.
pub async fn facts(
    db: &Db,
    subject: &Subject,
    fiscal_year: i64,
) -> Result<(Vec<Fact>, FactsSummary), StoreError> {
    // Per indicator first (the carry and lapse transfers through the account indexes), then
    // grouped: one statement whatever the number of units.
    let inner = format!(
        "SELECT i.exp_func_code AS func, i.dep_bgt_eco_code AS eco, i.fund_type_code AS fund, \
         CASE WHEN p.pro_cat_code = '3' OR (i.pro_code <> '' AND p.pro_code IS NULL) THEN 1 ELSE 0 END AS is_project, \
         {a} + {f} + {s} + {w} AS total_fen, {s} AS spent_fen, {w} AS written_off_fen, \
         {opening} AS opening_fen, {carry} AS carry_fen, {lapse} AS lapse_fen, \
         CASE WHEN i.is_closed THEN 0 ELSE 1 END AS n_open, i.agency_code AS agency_code \
         FROM indicator i \
         JOIN ledger_account a ON a.account_id = i.bgt_id || '.a' \
         JOIN ledger_account f ON f.account_id = i.bgt_id || '.f' \
         JOIN ledger_account s ON s.account_id = i.bgt_id || '.s' \
         JOIN ledger_account w ON w.account_id = i.bgt_id || '.w' \
         LEFT JOIN project p ON p.pro_code = i.pro_code \
         WHERE i.bgt_exe_flag = '1' AND i.agency_code IS NOT NULL AND i.fiscal_year = ",
        a = posted("a"),
        f = posted("f"),
        s = posted("s"),
        w = posted("w"),
        opening = moved("credit", "carry_over"),
        carry = moved("debit", "carry_over"),
        lapse = moved("debit", "lapse"),
    );
    let mut sql = Sql::new(
        "SELECT x.func, x.eco, x.fund, CAST(x.is_project AS BIGINT), \
         CAST(SUM(x.total_fen) AS BIGINT), CAST(SUM(x.spent_fen) AS BIGINT), \
         CAST(SUM(x.written_off_fen) AS BIGINT), CAST(SUM(x.opening_fen) AS BIGINT), \
         CAST(SUM(x.carry_fen) AS BIGINT), CAST(SUM(x.lapse_fen) AS BIGINT), \
         CAST(SUM(x.n_open) AS BIGINT), COUNT(*) FROM (",
    );
    sql.push(&inner).bind(Bind::Int(Some(fiscal_year)));
    subject.push(&mut sql, "i.agency_code", "i.mof_div_code");
    sql.push(") x GROUP BY x.func, x.eco, x.fund, x.is_project ORDER BY x.func, x.eco, x.fund, x.is_project");
    let mut facts = Vec::new();
    let mut summary = FactsSummary::default();
    on_db!(db, pool => {
        for row in &bound_query!(&sql).fetch_all(pool).await? {
            facts.push(Fact {
                exp_func_code: row.try_get(0)?,
                dep_bgt_eco_code: row.try_get(1)?,
                fund_type_code: row.try_get(2)?,
                is_project: row.try_get::<i64, _>(3)? != 0,
                total_fen: row.try_get(4)?,
                spent_fen: row.try_get(5)?,
                written_off_fen: row.try_get(6)?,
                opening_fen: row.try_get(7)?,
                carry_out_fen: row.try_get(8)?,
                lapse_out_fen: row.try_get(9)?,
            });
            summary.n_open += row.try_get::<i64, _>(10)?;
            summary.n_indicators += row.try_get::<i64, _>(11)?;
        }
    });
    Ok((facts, summary))
}

/// Counts over the indicators behind a set's facts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FactsSummary {
    pub n_indicators: i64,
    /// Not yet closed by a year-end.
    pub n_open: i64,
}

/// How many enabled units the subject covers.
pub async fn unit_count(db: &Db, subject: &Subject) -> Result<i64, StoreError> {
    let mut sql = Sql::new("SELECT COUNT(*) FROM agency g WHERE g.is_enabled = TRUE");
    subject.push(&mut sql, "g.agency_code", "g.mof_div_code");
    let count = on_db!(db, pool => bound_query!(&sql).fetch_one(pool).await?.try_get::<i64, _>(0)?);
    Ok(count)
}

/// The posted movements of the subject's 财务会计 books in `fiscal_year`, by top-level
/// account (the first four digits) with the chart's name and category.
pub async fn book_facts(
    db: &Db,
    subject: &Subject,
    fiscal_year: i64,
) -> Result<Vec<BookFact>, StoreError> {
    let mut sql = Sql::new(
        "SELECT SUBSTR(l.account_code, 1, 4), COALESCE(MIN(c.account_name), ''), COALESCE(MIN(c.category), ''), \
         CAST(SUM(l.debit_fen) AS BIGINT), CAST(SUM(l.credit_fen) AS BIGINT) \
         FROM accounting_voucher_line l \
         JOIN accounting_voucher v ON v.voucher_id = l.voucher_id \
         LEFT JOIN accounting_account c ON c.fiscal_year = v.fiscal_year AND c.book_type = v.book_type \
              AND c.account_code = SUBSTR(l.account_code, 1, 4) \
         WHERE v.book_type = 'unit_financial' AND v.status = 'posted' AND v.agency_code IS NOT NULL \
         AND v.fiscal_year = ",
    );
    sql.bind(Bind::Int(Some(fiscal_year)));
    subject.push(&mut sql, "v.agency_code", "v.mof_div_code");
    sql.push(" GROUP BY SUBSTR(l.account_code, 1, 4) ORDER BY SUBSTR(l.account_code, 1, 4)");
    let mut facts = Vec::new();
    on_db!(db, pool => {
        for row in &bound_query!(&sql).fetch_all(pool).await? {
            facts.push(BookFact {
                account_code: row.try_get(0)?,
                account_name: row.try_get(1)?,
                category: row.try_get(2)?,
                debit_fen: row.try_get(3)?,
                credit_fen: row.try_get(4)?,
            });
        }
    });
    Ok(facts)
}

/// The names of the function and economic classes of `fiscal_year` (or, when that year has
/// no tables yet, of the latest year before it).
pub async fn names(db: &Db, fiscal_year: i64) -> Result<Names, StoreError> {
    let mut names = Names::default();
    for (element, map) in [
        ("exp_func", &mut names.func),
        ("dep_bgt_eco", &mut names.eco),
    ] {
        let mut sql = Sql::new("SELECT code, name FROM code_item WHERE element_code = ");
        sql.bind(Bind::text(element))
            .push(
                " AND fiscal_year = (SELECT MAX(fiscal_year) FROM code_item WHERE element_code = ",
            )
            .bind(Bind::text(element))
            .push(" AND fiscal_year <= ")
            .bind(Bind::Int(Some(fiscal_year)))
            .push(")");
        on_db!(db, pool => {
            for row in &bound_query!(&sql).fetch_all(pool).await? {
                map.insert(row.try_get(0)?, row.try_get(1)?);
            }
        });
    }
    Ok(names)
}

/// Payments posted in `fiscal_year`: the amounts the bank paid less what came back
/// (退款), from the payment vouchers. Returned vouchers (退回) were never paid.
pub async fn payments_posted(db: &Db, fiscal_year: i64) -> Result<(i64, i64), StoreError> {
    let sql = "SELECT CAST(COALESCE(SUM(xpay_amt), 0) AS BIGINT), CAST(COALESCE(SUM(refunded_amt), 0) AS BIGINT) \
               FROM payment_voucher WHERE fiscal_year = $1 AND xpay_amt IS NOT NULL";
    let (paid, refunded) = on_db!(db, pool => {
        let row = sqlx::query(sql).bind(fiscal_year).fetch_one(pool).await?;
        (row.try_get::<i64, _>(0)?, row.try_get::<i64, _>(1)?)
    });
    Ok((paid, refunded))
}

// ---------------------------------------------------------------------------------------------
// Generated sets.

/// A set's header.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SetRow {
    pub set_id: String,
    pub scope: String,
    pub org_code: String,
    pub org_name: String,
    pub mof_div_code: String,
    pub agency_code: Option<String>,
    pub fiscal_year: i64,
    pub status: String,
    pub year_closed: bool,
    pub n_units: i64,
    pub n_checks_failed: i64,
    pub cover_json: String,
    pub generated_by: String,
    pub generated_at: String,
    pub submitted_by: Option<String>,
    pub submitted_at: Option<String>,
    pub accepted_by: Option<String>,
    pub accepted_at: Option<String>,
}

/// One stored cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellRow {
    pub table_code: String,
    pub row_no: i64,
    pub row_code: String,
    pub row_label: String,
    pub row_level: i64,
    pub col_code: String,
    pub fen: i64,
}

const SET_COLUMNS: &str = "set_id, scope, org_code, org_name, mof_div_code, agency_code, fiscal_year, status, \
    year_closed, n_units, n_checks_failed, cover_json, generated_by, generated_at, submitted_by, submitted_at, \
    accepted_by, accepted_at";

fn set_of<R>(row: &R) -> Result<SetRow, sqlx::Error>
where
    R: Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(SetRow {
        set_id: row.try_get(0)?,
        scope: row.try_get(1)?,
        org_code: row.try_get(2)?,
        org_name: row.try_get(3)?,
        mof_div_code: row.try_get(4)?,
        agency_code: row.try_get(5)?,
        fiscal_year: row.try_get(6)?,
        status: row.try_get(7)?,
        year_closed: row.try_get(8)?,
        n_units: row.try_get(9)?,
        n_checks_failed: row.try_get(10)?,
        cover_json: row.try_get(11)?,
        generated_by: row.try_get(12)?,
        generated_at: row.try_get(13)?,
        submitted_by: row.try_get(14)?,
        submitted_at: row.try_get(15)?,
        accepted_by: row.try_get(16)?,
        accepted_at: row.try_get(17)?,
    })
}

/// A set's header in a write transaction (to decide on regeneration or a status move).
pub async fn set_in_tx(tx: &mut Tx, set_id: &str) -> Result<Option<SetRow>, StoreError> {
    let sql = format!("SELECT {SET_COLUMNS} FROM final_accounts_set WHERE set_id = $1");
    let row = on_tx!(tx, conn => match sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(set_id).fetch_optional(&mut *conn).await? {
        Some(row) => Some(set_of(&row)?),
        None => None,
    });
    Ok(row)
}

/// A set's header.
pub async fn set(db: &Db, set_id: &str) -> Result<Option<SetRow>, StoreError> {
    let sql = format!("SELECT {SET_COLUMNS} FROM final_accounts_set WHERE set_id = $1");
    let row = on_db!(db, pool => match sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(set_id).fetch_optional(pool).await? {
        Some(row) => Some(set_of(&row)?),
        None => None,
    });
    Ok(row)
}

/// A set's cells in table and row order.
pub async fn cells(db: &Db, set_id: &str) -> Result<Vec<CellRow>, StoreError> {
    let sql = "SELECT table_code, row_no, row_code, row_label, row_level, col_code, fen \
               FROM final_accounts_cell WHERE set_id = $1 ORDER BY table_code, row_no, col_code";
    let mut cells = Vec::new();
    on_db!(db, pool => {
        for row in &sqlx::query(sql).bind(set_id).fetch_all(pool).await? {
            cells.push(CellRow {
                table_code: row.try_get(0)?,
                row_no: row.try_get(1)?,
                row_code: row.try_get(2)?,
                row_label: row.try_get(3)?,
                row_level: row.try_get(4)?,
                col_code: row.try_get(5)?,
                fen: row.try_get(6)?,
            });
        }
    });
    Ok(cells)
}

/// Writes a set in the caller's transaction: the old cells and header of the same set go
/// first (the caller has checked that the set may be regenerated).
pub async fn replace_set(tx: &mut Tx, set: &SetRow, cells: Vec<CellRow>) -> Result<(), StoreError> {
    on_tx!(tx, conn => {
        sqlx::query("DELETE FROM final_accounts_cell WHERE set_id = $1").bind(&set.set_id).execute(&mut *conn).await?;
        sqlx::query("DELETE FROM final_accounts_set WHERE set_id = $1").bind(&set.set_id).execute(&mut *conn).await?;
    });
    let header = vec![vec![
        Bind::text(set.set_id.as_str()),
        Bind::text(set.scope.as_str()),
        Bind::text(set.org_code.as_str()),
        Bind::text(set.org_name.as_str()),
        Bind::text(set.mof_div_code.as_str()),
        Bind::Text(set.agency_code.clone()),
        Bind::Int(Some(set.fiscal_year)),
        Bind::text(set.status.as_str()),
        Bind::Bool(Some(set.year_closed)),
        Bind::Int(Some(set.n_units)),
        Bind::Int(Some(set.n_checks_failed)),
        Bind::text(set.cover_json.as_str()),
        Bind::text(set.generated_by.as_str()),
        Bind::text(set.generated_at.as_str()),
        Bind::Text(None),
        Bind::Text(None),
        Bind::Text(None),
        Bind::Text(None),
    ]];
    let columns: Vec<&str> = SET_COLUMNS.split(", ").map(str::trim).collect();
    crate::bulk::insert_rows(tx, "final_accounts_set", &columns, header).await?;
    let rows = cells
        .into_iter()
        .map(|cell| {
            vec![
                Bind::text(set.set_id.as_str()),
                Bind::text(cell.table_code),
                Bind::Int(Some(cell.row_no)),
                Bind::text(cell.row_code),
                Bind::text(cell.row_label),
                Bind::Int(Some(cell.row_level)),
                Bind::text(cell.col_code),
                Bind::Int(Some(cell.fen)),
            ]
        })
        .collect();
    crate::bulk::insert_rows(
        tx,
        "final_accounts_cell",
        &[
            "set_id",
            "table_code",
            "row_no",
            "row_code",
            "row_label",
            "row_level",
            "col_code",
            "fen",
        ],
        rows,
    )
    .await?;
    Ok(())
}

/// Moves a set from `from` to `to`, recording who and when; false when its status was no
/// longer `from` (a concurrent move).
pub async fn move_status(
    tx: &mut Tx,
    set_id: &str,
    from: &str,
    to: &str,
    by: &str,
    at: &str,
) -> Result<bool, StoreError> {
    let (by_column, at_column) = match to {
        "submitted" => ("submitted_by", "submitted_at"),
        _ => ("accepted_by", "accepted_at"),
    };
    let sql = format!(
        "UPDATE final_accounts_set SET status = $1, {by_column} = $2, {at_column} = $3 \
         WHERE set_id = $4 AND status = $5"
    );
    let n = on_tx!(tx, conn => sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(to).bind(by).bind(at).bind(set_id).bind(from)
        .execute(&mut *conn).await?.rows_affected());
    Ok(n == 1)
}

/// One organisation of a list page with its set of the year, if any.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ListRow {
    pub scope: String,
    pub org_code: String,
    pub org_name: String,
    pub mof_div_code: String,
    pub set: Option<SetRow>,
}

/// The regions of a subtree (by path) and their region sets of the year, in code order.
pub async fn regions_with_sets(
    db: &Db,
    region_path: &str,
    fiscal_year: i64,
) -> Result<Vec<ListRow>, StoreError> {
    let mut sql =
        Sql::new("SELECT r.mof_div_code, r.mof_div_name FROM region r WHERE r.region_path LIKE ");
    sql.bind(Bind::text(format!("{}%", like_escape(region_path))))
        .push(" ESCAPE '\\' ORDER BY r.region_path");
    list_with_sets(db, &sql, "region", fiscal_year).await
}

/// One unit as a department (the unit and its sub-units) with its department set of the year.
pub async fn department_with_set(
    db: &Db,
    agency_code: &str,
    fiscal_year: i64,
) -> Result<Vec<ListRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT g.agency_code, g.agency_name, g.mof_div_code FROM agency g WHERE g.agency_code = ",
    );
    sql.bind(Bind::text(agency_code));
    list_with_sets(db, &sql, "department", fiscal_year).await
}

/// The enabled units a subject covers (at most `limit`, from `offset`, in code order) with
/// their unit sets of the year, and how many there are.
pub async fn units_with_sets(
    db: &Db,
    subject: &Subject,
    fiscal_year: i64,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ListRow>, i64), StoreError> {
    let mut sql = Sql::new(
        "SELECT g.agency_code, g.agency_name, g.mof_div_code FROM agency g WHERE g.is_enabled = TRUE",
    );
    subject.push(&mut sql, "g.agency_code", "g.mof_div_code");
    sql.push(" ORDER BY g.agency_code LIMIT ")
        .bind(Bind::Int(Some(limit)))
        .push(" OFFSET ")
        .bind(Bind::Int(Some(offset)));
    let rows = list_with_sets(db, &sql, "unit", fiscal_year).await?;
    Ok((rows, unit_count(db, subject).await?))
}

async fn list_with_sets(
    db: &Db,
    sql: &Sql,
    scope: &str,
    fiscal_year: i64,
) -> Result<Vec<ListRow>, StoreError> {
    let mut rows = Vec::new();
    on_db!(db, pool => {
        for row in &bound_query!(sql).fetch_all(pool).await? {
            let org_code: String = row.try_get(0)?;
            let mof_div_code = if scope == "region" { org_code.clone() } else { row.try_get(2)? };
            rows.push(ListRow {
                scope: scope.to_owned(),
                org_name: row.try_get(1)?,
                mof_div_code,
                org_code,
                set: None,
            });
        }
    });
    if rows.is_empty() {
        return Ok(rows);
    }
    // The sets of the listed organisations, in one query.
    let mut sql = Sql::new(&format!(
        "SELECT {SET_COLUMNS} FROM final_accounts_set WHERE fiscal_year = "
    ));
    sql.bind(Bind::Int(Some(fiscal_year)))
        .push(" AND scope IN (")
        .bind(Bind::text(scope))
        .push(") AND org_code IN (");
    for (index, row) in rows.iter().enumerate() {
        if index > 0 {
            sql.push(", ");
        }
        sql.bind(Bind::text(row.org_code.as_str()));
    }
    sql.push(")");
    let mut sets = Vec::new();
    on_db!(db, pool => {
        for row in &bound_query!(&sql).fetch_all(pool).await? {
            sets.push(set_of(row)?);
        }
    });
    for set in sets {
        if let Some(row) = rows.iter_mut().find(|row| row.org_code == set.org_code) {
            row.set = Some(set);
        }
    }
    Ok(rows)
}

/// What a set's cover and scope checks need to know about a unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgencyFacts {
    pub agency_code: String,
    pub agency_name: String,
    pub mof_div_code: String,
    pub mof_div_name: String,
    pub agency_path: String,
    pub region_path: String,
    pub unifsoc_cred_code: String,
    pub agency_type: String,
    pub fund_guar: String,
    pub agency_leader_per_name: String,
    pub agency_add: String,
    pub actu_staf_num: i64,
    pub parent_agency_code: Option<String>,
}

/// A unit with its region.
pub async fn agency_facts(db: &Db, agency_code: &str) -> Result<Option<AgencyFacts>, StoreError> {
    let sql = "SELECT g.agency_code, g.agency_name, g.mof_div_code, r.mof_div_name, g.agency_path, r.region_path, \
               COALESCE(g.unifsoc_cred_code, ''), g.agency_type, g.fund_guar, COALESCE(g.agency_leader_per_name, ''), \
               COALESCE(g.agency_add, ''), COALESCE(g.actu_staf_num, 0), g.parent_agency_code \
               FROM agency g JOIN region r ON r.mof_div_code = g.mof_div_code WHERE g.agency_code = $1";
    let row = on_db!(db, pool => match sqlx::query(sql).bind(agency_code).fetch_optional(pool).await? {
        Some(row) => Some(AgencyFacts {
            agency_code: row.try_get(0)?,
            agency_name: row.try_get(1)?,
            mof_div_code: row.try_get(2)?,
            mof_div_name: row.try_get(3)?,
            agency_path: row.try_get(4)?,
            region_path: row.try_get(5)?,
            unifsoc_cred_code: row.try_get(6)?,
            agency_type: row.try_get(7)?,
            fund_guar: row.try_get(8)?,
            agency_leader_per_name: row.try_get(9)?,
            agency_add: row.try_get(10)?,
            actu_staf_num: row.try_get(11)?,
            parent_agency_code: row.try_get(12)?,
        }),
        None => None,
    });
    Ok(row)
}

/// A region: (name, path).
pub async fn region_facts(
    db: &Db,
    mof_div_code: &str,
) -> Result<Option<(String, String)>, StoreError> {
    let sql = "SELECT mof_div_name, region_path FROM region WHERE mof_div_code = $1";
    let row = on_db!(db, pool => match sqlx::query(sql).bind(mof_div_code).fetch_optional(pool).await? {
        Some(row) => Some((row.try_get(0)?, row.try_get(1)?)),
        None => None,
    });
    Ok(row)
}

/// Overwrites one stored cell. No use case calls it: tests use it to stand for a set
/// damaged outside the application, which the checks must catch before a submission.
pub async fn overwrite_cell_for_tests(
    db: &Db,
    set_id: &str,
    table_code: &str,
    row_code: &str,
    col_code: &str,
    fen: i64,
) -> Result<u64, StoreError> {
    let mut tx = db.begin().await?;
    let n = on_tx!(&mut tx, conn => sqlx::query(
        "UPDATE final_accounts_cell SET fen = $1 WHERE set_id = $2 AND table_code = $3 AND row_code = $4 AND col_code = $5")
        .bind(fen).bind(set_id).bind(table_code).bind(row_code).bind(col_code)
        .execute(&mut *conn).await?.rows_affected());
    tx.commit().await?;
    Ok(n)
}
