//! Reads of the books: vouchers in the viewer's scope, their lines, the chart, and the
//! posted movements behind the general ledger, the subsidiary ledger and the trial balance.
//! Only posted vouchers count in ledgers.

use super::{BookKey, LineRow, VOUCHER_SELECT, VoucherRow, line_of_tuple, push_book, voucher_of};
use crate::records::Viewer;
use crate::sql::{Bind, Sql, like_escape};
use crate::{Db, StoreError, bound_query, on_db};

/// Limits a query on `accounting_voucher v` to what `viewer` may see: a bureau the books of
/// its region subtree (its own 财政总会计 and its units'), a department its units' books, a
/// unit its own.
pub fn push_book_scope(sql: &mut Sql, viewer: Viewer<'_>) {
    use fiscus_core::DataScope;
    let Viewer::User(principal) = viewer else {
        return;
    };
    match principal.scope() {
        DataScope::RegionSubtree { region_path } => {
            sql.push(
                " AND v.mof_div_code IN (SELECT mof_div_code FROM region WHERE region_path LIKE ",
            )
            .bind(Bind::text(format!("{}%", like_escape(&region_path))))
            .push(" ESCAPE '\\')");
        }
        DataScope::AgencySubtree { agency_path, .. } => {
            sql.push(
                " AND v.agency_code IN (SELECT agency_code FROM agency WHERE agency_path LIKE ",
            )
            .bind(Bind::text(format!("{}%", like_escape(&agency_path))))
            .push(" ESCAPE '\\')");
        }
        DataScope::Agency { agency_code, .. } => {
            sql.push(" AND v.agency_code = ")
                .bind(Bind::text(agency_code.as_str()));
        }
    }
}

/// What a voucher list is filtered on; None is "any".
#[derive(Clone, Debug, Default)]
pub struct VoucherFilter {
    pub book: Option<BookKey>,
    pub book_type: Option<String>,
    pub fiscal_year: Option<i64>,
    pub period: Option<i64>,
    pub status: Option<String>,
    pub event_id: Option<String>,
    /// Part of the summary or of the voucher number.
    pub search: Option<String>,
    /// The order of a page.
    pub sort: VoucherSort,
}

/// How a voucher page is ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum VoucherSort {
    /// By date, then number (the book's order).
    #[default]
    DateAsc,
    DateDesc,
    NoAsc,
    NoDesc,
}

impl VoucherSort {
    pub fn code(self) -> &'static str {
        match self {
            VoucherSort::DateAsc => "date",
            VoucherSort::DateDesc => "-date",
            VoucherSort::NoAsc => "no",
            VoucherSort::NoDesc => "-no",
        }
    }

    /// The sort a query names; anything else is the default.
    pub fn parse(text: &str) -> VoucherSort {
        [
            VoucherSort::DateAsc,
            VoucherSort::DateDesc,
            VoucherSort::NoAsc,
            VoucherSort::NoDesc,
        ]
        .into_iter()
        .find(|sort| sort.code() == text)
        .unwrap_or_default()
    }

    fn order_by(self) -> &'static str {
        match self {
            VoucherSort::DateAsc => " ORDER BY v.voucher_date, v.voucher_id",
            VoucherSort::DateDesc => " ORDER BY v.voucher_date DESC, v.voucher_id DESC",
            VoucherSort::NoAsc => " ORDER BY v.voucher_id",
            VoucherSort::NoDesc => " ORDER BY v.voucher_id DESC",
        }
    }
}

/// Appends the conditions of `filter` and of the viewer's scope.
fn push_voucher_filter(sql: &mut Sql, viewer: Viewer<'_>, filter: &VoucherFilter) {
    if let Some(book) = &filter.book {
        push_book(sql, book);
    }
    let mut equal = |column: &str, bind: Option<Bind>| {
        if let Some(bind) = bind {
            sql.push(" AND ").push(column).push(" = ").bind(bind);
        }
    };
    equal("v.book_type", filter.book_type.clone().map(Bind::text));
    equal(
        "v.fiscal_year",
        filter.fiscal_year.map(|y| Bind::Int(Some(y))),
    );
    equal("v.period", filter.period.map(|p| Bind::Int(Some(p))));
    equal("v.status", filter.status.clone().map(Bind::text));
    equal("v.event_id", filter.event_id.clone().map(Bind::text));
    if let Some(search) = filter.search.as_deref().filter(|s| !s.is_empty()) {
        let pattern = format!("%{}%", like_escape(search));
        sql.push(" AND (v.summary LIKE ")
            .bind(Bind::text(pattern.as_str()))
            .push(" ESCAPE '\\' OR v.voucher_id LIKE ")
            .bind(Bind::text(pattern))
            .push(" ESCAPE '\\')");
    }
    push_book_scope(sql, viewer);
}

/// Vouchers in scope, one page in the order `filter.sort`.
pub async fn list_vouchers(
    db: &Db,
    viewer: Viewer<'_>,
    filter: &VoucherFilter,
    page: i64,
    page_size: i64,
) -> Result<Vec<VoucherRow>, StoreError> {
    let mut sql = Sql::new(VOUCHER_SELECT);
    sql.push(" WHERE 1 = 1");
    push_voucher_filter(&mut sql, viewer, filter);
    sql.push(filter.sort.order_by())
        .push(" LIMIT ")
        .bind(Bind::Int(Some(page_size)))
        .push(" OFFSET ")
        .bind(Bind::Int(Some((page.max(1) - 1) * page_size)));
    let rows = on_db!(db, pool => {
        let mut out = Vec::new();
        for row in &bound_query!(&sql).fetch_all(pool).await? {
            out.push(voucher_of(row)?);
        }
        out
    });
    Ok(rows)
}

/// How many vouchers in scope match `filter`, and the sum of their amounts (fen).
pub async fn count_vouchers(
    db: &Db,
    viewer: Viewer<'_>,
    filter: &VoucherFilter,
) -> Result<(i64, i64), StoreError> {
    let mut sql = Sql::new(
        "SELECT COUNT(*), CAST(COALESCE(SUM(v.total_fen), 0) AS BIGINT) FROM accounting_voucher v WHERE 1 = 1",
    );
    push_voucher_filter(&mut sql, viewer, filter);
    let counts = on_db!(db, pool => {
        use sqlx::Row;
        let row = bound_query!(&sql).fetch_one(pool).await?;
        (row.try_get(0)?, row.try_get(1)?)
    });
    Ok(counts)
}

/// One voucher in scope.
pub async fn voucher(
    db: &Db,
    viewer: Viewer<'_>,
    voucher_id: &str,
) -> Result<Option<VoucherRow>, StoreError> {
    let mut sql = Sql::new(VOUCHER_SELECT);
    sql.push(" WHERE v.voucher_id = ")
        .bind(Bind::text(voucher_id));
    push_book_scope(&mut sql, viewer);
    let row = on_db!(db, pool => match bound_query!(&sql).fetch_optional(pool).await? {
        Some(row) => Some(voucher_of(&row)?),
        None => None,
    });
    Ok(row)
}

/// The lines of a voucher, in order.
pub async fn voucher_lines(db: &Db, voucher_id: &str) -> Result<Vec<LineRow>, StoreError> {
    let rows = on_db!(db, pool => sqlx::query_as::<_, (i64, String, i64, i64, String, String, String, String, String, String)>(
        "SELECT line_no, account_code, debit_fen, credit_fen, agency_code, exp_func_code, dep_bgt_eco_code, fund_type_code, pro_code, bgt_id FROM accounting_voucher_line WHERE voucher_id = $1 ORDER BY line_no")
        .bind(voucher_id)
        .fetch_all(pool)
        .await?);
    Ok(rows.into_iter().map(line_of_tuple).collect())
}

/// One account of a chart as stored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AccountRow {
    pub account_code: String,
    pub account_name: String,
    pub parent_code: Option<String>,
    pub direction: String,
    pub category: String,
    pub is_leaf: bool,
}

/// The chart of a book type in a year, by code.
pub async fn accounts(
    db: &Db,
    fiscal_year: i64,
    book_type: &str,
) -> Result<Vec<AccountRow>, StoreError> {
    let rows: Vec<(String, String, Option<String>, String, String, bool)> = on_db!(db, pool => sqlx::query_as(
        "SELECT account_code, account_name, parent_code, direction, category, is_leaf FROM accounting_account WHERE fiscal_year = $1 AND book_type = $2 ORDER BY account_code")
        .bind(fiscal_year)
        .bind(book_type)
        .fetch_all(pool)
        .await?);
    Ok(rows
        .into_iter()
        .map(
            |(account_code, account_name, parent_code, direction, category, is_leaf)| AccountRow {
                account_code,
                account_name,
                parent_code,
                direction,
                category,
                is_leaf,
            },
        )
        .collect())
}

/// The posted movement of one account over months `period_from..=period_to`, with its
/// balance (debit minus credit) before `period_from`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct AccountMovement {
    pub account_code: String,
    pub opening_fen: i64,
    pub debit_fen: i64,
    pub credit_fen: i64,
}

/// The movements of every account of a book that has posted lines up to `period_to`.
pub async fn account_movements(
    db: &Db,
    book: &BookKey,
    fiscal_year: i64,
    period_from: i64,
    period_to: i64,
) -> Result<Vec<AccountMovement>, StoreError> {
    let mut sql = Sql::new("SELECT l.account_code, CAST(SUM(CASE WHEN v.period < ");
    sql.bind(Bind::Int(Some(period_from)))
        .push(" THEN l.debit_fen - l.credit_fen ELSE 0 END) AS BIGINT), CAST(SUM(CASE WHEN v.period >= ")
        .bind(Bind::Int(Some(period_from)))
        .push(" THEN l.debit_fen ELSE 0 END) AS BIGINT), CAST(SUM(CASE WHEN v.period >= ")
        .bind(Bind::Int(Some(period_from)))
        .push(" THEN l.credit_fen ELSE 0 END) AS BIGINT) FROM accounting_voucher_line l JOIN accounting_voucher v ON v.voucher_id = l.voucher_id WHERE v.status = 'posted' AND v.fiscal_year = ")
        .bind(Bind::Int(Some(fiscal_year)))
        .push(" AND v.period <= ")
        .bind(Bind::Int(Some(period_to)));
    push_book(&mut sql, book);
    sql.push(" GROUP BY l.account_code ORDER BY l.account_code");
    let rows = on_db!(db, pool => {
        use sqlx::Row;
        let mut out = Vec::new();
        for row in &bound_query!(&sql).fetch_all(pool).await? {
            out.push(AccountMovement {
                account_code: row.try_get(0)?,
                opening_fen: row.try_get(1)?,
                debit_fen: row.try_get(2)?,
                credit_fen: row.try_get(3)?,
            });
        }
        out
    });
    Ok(rows)
}

/// One posted line of an account, for the subsidiary ledger (明细账).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct EntryRow {
    pub voucher_id: String,
    pub voucher_date: String,
    pub period: i64,
    pub summary: String,
    pub debit_fen: i64,
    pub credit_fen: i64,
}

/// The posted lines of one account of a book in a year, by date.
pub async fn account_entries(
    db: &Db,
    book: &BookKey,
    fiscal_year: i64,
    account_code: &str,
) -> Result<Vec<EntryRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT v.voucher_id, v.voucher_date, v.period, v.summary, l.debit_fen, l.credit_fen FROM accounting_voucher_line l JOIN accounting_voucher v ON v.voucher_id = l.voucher_id WHERE v.status = 'posted' AND v.fiscal_year = ",
    );
    sql.bind(Bind::Int(Some(fiscal_year)))
        .push(" AND l.account_code = ")
        .bind(Bind::text(account_code));
    push_book(&mut sql, book);
    sql.push(" ORDER BY v.period, v.voucher_date, v.voucher_id, l.line_no");
    let rows = on_db!(db, pool => {
        use sqlx::Row;
        let mut out = Vec::new();
        for row in &bound_query!(&sql).fetch_all(pool).await? {
            out.push(EntryRow {
                voucher_id: row.try_get(0)?,
                voucher_date: row.try_get(1)?,
                period: row.try_get(2)?,
                summary: row.try_get(3)?,
                debit_fen: row.try_get(4)?,
                credit_fen: row.try_get(5)?,
            });
        }
        out
    });
    Ok(rows)
}
