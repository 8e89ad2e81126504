//! Storage of the accounting year-end close (年终结账): the opening balances a close writes
//! for the next year (`accounting_opening`, inserted once, never changed), the closed years
//! (`accounting_year_close`), and the facts a close needs: the books in use in a region and
//! year, their balances, the unposted vouchers, and the amounts the ledger carried over (结转)
//! per unit.

use sqlx::Row;

use super::{BookKey, push_book};
use crate::sql::{Bind, Sql};
use crate::{Db, StoreError, Tx, bound_query, on_db, on_tx};

/// The opening balances (debit minus credit) of a book in a year, by account code.
pub async fn openings(
    db: &Db,
    book: &BookKey,
    fiscal_year: i64,
) -> Result<Vec<(String, i64)>, StoreError> {
    let rows: Vec<(String, i64)> = on_db!(db, pool => sqlx::query_as(
        "SELECT account_code, balance_fen FROM accounting_opening WHERE book_type = $1 AND book_owner = $2 AND fiscal_year = $3 ORDER BY account_code")
        .bind(book.book_type.as_str())
        .bind(book.owner())
        .bind(fiscal_year)
        .fetch_all(pool)
        .await?);
    Ok(rows)
}

/// The balances (debit minus credit) of every account of a book at the end of a year, inside
/// a transaction: its opening balances plus all posted lines of the year. Zero balances are
/// left out.
pub async fn closing_balances(
    tx: &mut Tx,
    book: &BookKey,
    fiscal_year: i64,
) -> Result<Vec<(String, i64)>, StoreError> {
    let mut sql = Sql::new(
        "SELECT account_code, CAST(SUM(balance_fen) AS BIGINT) FROM (SELECT o.account_code, o.balance_fen FROM accounting_opening o WHERE o.book_type = ",
    );
    sql.bind(Bind::text(book.book_type.as_str()))
        .push(" AND o.book_owner = ")
        .bind(Bind::text(book.owner()))
        .push(" AND o.fiscal_year = ")
        .bind(Bind::Int(Some(fiscal_year)))
        .push(" UNION ALL SELECT l.account_code, l.debit_fen - l.credit_fen FROM accounting_voucher_line l JOIN accounting_voucher v ON v.voucher_id = l.voucher_id WHERE v.status = 'posted' AND v.fiscal_year = ")
        .bind(Bind::Int(Some(fiscal_year)));
    push_book(&mut sql, book);
    sql.push(") b GROUP BY account_code HAVING SUM(balance_fen) <> 0 ORDER BY account_code");
    let rows = on_tx!(tx, conn => {
        let mut out = Vec::new();
        for row in &bound_query!(&sql).fetch_all(&mut *conn).await? {
            out.push((row.try_get::<String, _>(0)?, row.try_get::<i64, _>(1)?));
        }
        out
    });
    Ok(rows)
}

/// Writes the opening balances of a book for a year. Returns the rows written.
pub async fn insert_openings(
    tx: &mut Tx,
    book: &BookKey,
    fiscal_year: i64,
    balances: &[(String, i64)],
) -> Result<u64, StoreError> {
    let rows = balances
        .iter()
        .map(|(account_code, balance_fen)| {
            vec![
                Bind::text(book.book_type.as_str()),
                Bind::text(book.owner()),
                Bind::text(book.mof_div_code.as_str()),
                Bind::Text(book.agency_code.clone()),
                Bind::Int(Some(fiscal_year)),
                Bind::text(account_code.as_str()),
                Bind::Int(Some(*balance_fen)),
            ]
        })
        .collect();
    crate::bulk::insert_rows(
        tx,
        "accounting_opening",
        &[
            "book_type",
            "book_owner",
            "mof_div_code",
            "agency_code",
            "fiscal_year",
            "account_code",
            "balance_fen",
        ],
        rows,
    )
    .await
}

/// Whether a region's books of a year are closed, inside a transaction.
pub async fn year_closed(
    tx: &mut Tx,
    mof_div_code: &str,
    fiscal_year: i64,
) -> Result<bool, StoreError> {
    let n: i64 = on_tx!(tx, conn => sqlx::query(
        "SELECT COUNT(*) FROM accounting_year_close WHERE mof_div_code = $1 AND fiscal_year = $2")
        .bind(mof_div_code)
        .bind(fiscal_year)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?);
    Ok(n > 0)
}

/// A closed year of a region.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct YearCloseRow {
    pub mof_div_code: String,
    pub fiscal_year: i64,
    pub n_books: i64,
    pub n_vouchers: i64,
    pub closed_by: String,
    pub closed_at: String,
}

/// The close of a region's year, if done.
pub async fn year_close(
    db: &Db,
    mof_div_code: &str,
    fiscal_year: i64,
) -> Result<Option<YearCloseRow>, StoreError> {
    let row: Option<(String, i64, i64, i64, String, String)> = on_db!(db, pool => sqlx::query_as(
        "SELECT mof_div_code, fiscal_year, n_books, n_vouchers, closed_by, closed_at FROM accounting_year_close WHERE mof_div_code = $1 AND fiscal_year = $2")
        .bind(mof_div_code)
        .bind(fiscal_year)
        .fetch_optional(pool)
        .await?);
    Ok(row.map(
        |(mof_div_code, fiscal_year, n_books, n_vouchers, closed_by, closed_at)| YearCloseRow {
            mof_div_code,
            fiscal_year,
            n_books,
            n_vouchers,
            closed_by,
            closed_at,
        },
    ))
}

/// Records a closed year. Returns false when it was closed already.
pub async fn insert_year_close(tx: &mut Tx, row: &YearCloseRow) -> Result<bool, StoreError> {
    let done = on_tx!(tx, conn => sqlx::query(
        "INSERT INTO accounting_year_close (mof_div_code, fiscal_year, n_books, n_vouchers, closed_by, closed_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING")
        .bind(row.mof_div_code.as_str())
        .bind(row.fiscal_year)
        .bind(row.n_books)
        .bind(row.n_vouchers)
        .bind(row.closed_by.as_str())
        .bind(row.closed_at.as_str())
        .execute(&mut *conn)
        .await?
        .rows_affected());
    Ok(done == 1)
}

/// The vouchers of a region's year (any of its books) that are not posted.
pub async fn count_unposted_in_region(
    tx: &mut Tx,
    mof_div_code: &str,
    fiscal_year: i64,
) -> Result<i64, StoreError> {
    let n: i64 = on_tx!(tx, conn => sqlx::query(
        "SELECT COUNT(*) FROM accounting_voucher WHERE mof_div_code = $1 AND fiscal_year = $2 AND status <> 'posted'")
        .bind(mof_div_code)
        .bind(fiscal_year)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?);
    Ok(n)
}

/// The unit books in use in a region's year: those with a voucher of the year or an opening
/// balance for it, by book type and unit.
pub async fn unit_books_in_use(
    tx: &mut Tx,
    mof_div_code: &str,
    fiscal_year: i64,
) -> Result<Vec<BookKey>, StoreError> {
    let rows: Vec<(String, String)> = on_tx!(tx, conn => sqlx::query_as(
        "SELECT book_type, agency_code FROM accounting_voucher WHERE mof_div_code = $1 AND fiscal_year = $2 AND agency_code IS NOT NULL \
         UNION SELECT book_type, agency_code FROM accounting_opening WHERE mof_div_code = $1 AND fiscal_year = $2 AND agency_code IS NOT NULL \
         ORDER BY 2, 1")
        .bind(mof_div_code)
        .bind(fiscal_year)
        .fetch_all(&mut *conn)
        .await?);
    Ok(rows
        .into_iter()
        .map(|(book_type, agency_code)| BookKey {
            book_type,
            mof_div_code: mof_div_code.to_owned(),
            agency_code: Some(agency_code),
        })
        .collect())
}

/// Per unit of the region, what the indicator ledger carried over (结转) from the unit's
/// indicators of `fiscal_year` into the next year: the posted `carry_over` transfers debited
/// to those indicators' accounts.
pub async fn carried_over_by_agency(
    tx: &mut Tx,
    mof_div_code: &str,
    fiscal_year: i64,
) -> Result<Vec<(String, i64)>, StoreError> {
    let rows: Vec<(String, i64)> = on_tx!(tx, conn => sqlx::query_as(
        "SELECT i.agency_code, CAST(SUM(t.amount_fen) AS BIGINT) FROM ledger_transfer t \
         JOIN ledger_account da ON da.account_id = t.debit_account_id \
         JOIN indicator i ON i.bgt_id = da.bgt_id \
         WHERE t.reason = 'carry_over' AND t.kind IN ('posted', 'post_pending') \
         AND i.mof_div_code = $1 AND i.fiscal_year = $2 AND i.agency_code IS NOT NULL \
         GROUP BY i.agency_code ORDER BY i.agency_code")
        .bind(mof_div_code)
        .bind(fiscal_year)
        .fetch_all(&mut *conn)
        .await?);
    Ok(rows)
}

/// The chart of a book type in a year, by code, inside a transaction.
pub async fn accounts_in_tx(
    tx: &mut Tx,
    fiscal_year: i64,
    book_type: &str,
) -> Result<Vec<super::AccountRow>, StoreError> {
    let rows: Vec<(String, String, Option<String>, String, String, bool)> = on_tx!(tx, conn => sqlx::query_as(
        "SELECT account_code, account_name, parent_code, direction, category, is_leaf FROM accounting_account WHERE fiscal_year = $1 AND book_type = $2 ORDER BY account_code")
        .bind(fiscal_year)
        .bind(book_type)
        .fetch_all(&mut *conn)
        .await?);
    Ok(rows
        .into_iter()
        .map(
            |(account_code, account_name, parent_code, direction, category, is_leaf)| {
                super::AccountRow {
                    account_code,
                    account_name,
                    parent_code,
                    direction,
                    category,
                    is_leaf,
                }
            },
        )
        .collect())
}

/// The id prefix of the closing entries (结转本年收支) a year-end close writes; the income
/// statements leave them out, so that December still shows the year's revenue and expense.
pub const CLOSING_VOUCHER_PREFIX: &str = "close";

/// Like `account_movements`, without the closing entries of the year-end close.
pub async fn movements_before_closing(
    db: &Db,
    book: &BookKey,
    fiscal_year: i64,
    period_from: i64,
    period_to: i64,
) -> Result<Vec<super::AccountMovement>, StoreError> {
    let mut sql = Sql::new("SELECT l.account_code, CAST(SUM(CASE WHEN v.period < ");
    sql.bind(Bind::Int(Some(period_from)))
        .push(" THEN l.debit_fen - l.credit_fen ELSE 0 END) AS BIGINT), CAST(SUM(CASE WHEN v.period >= ")
        .bind(Bind::Int(Some(period_from)))
        .push(" THEN l.debit_fen ELSE 0 END) AS BIGINT), CAST(SUM(CASE WHEN v.period >= ")
        .bind(Bind::Int(Some(period_from)))
        .push(" THEN l.credit_fen ELSE 0 END) AS BIGINT) FROM accounting_voucher_line l JOIN accounting_voucher v ON v.voucher_id = l.voucher_id WHERE v.status = 'posted' AND v.fiscal_year = ")
        .bind(Bind::Int(Some(fiscal_year)))
        .push(" AND v.period <= ")
        .bind(Bind::Int(Some(period_to)))
        .push(" AND v.voucher_id NOT LIKE ")
        .bind(Bind::text(format!("{CLOSING_VOUCHER_PREFIX}%")));
    push_book(&mut sql, book);
    sql.push(" GROUP BY l.account_code ORDER BY l.account_code");
    let rows = on_db!(db, pool => {
        let mut out = Vec::new();
        for row in &bound_query!(&sql).fetch_all(pool).await? {
            out.push(super::AccountMovement {
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
