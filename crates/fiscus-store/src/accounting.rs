//! Storage of the accounting books (会计核算): the charts per year and book type, vouchers
//! and their lines (only inserted; a voucher's status only moves forward), the closed
//! months, and the accounting events still waiting for their vouchers. The reads (lists,
//! ledgers, trial balance) are in `accounting/query.rs`.

pub mod close;
pub mod ledger_book;
pub mod query;

use sqlx::Row;

use crate::sql::{Bind, Sql};
use crate::{StoreError, Tx, bound_query, on_tx};

pub use close::*;
pub use ledger_book::*;
pub use query::*;

/// One book: a region's 财政总会计 (`agency_code` None) or a unit's 财务会计 / 预算会计.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BookKey {
    pub book_type: String,
    pub mof_div_code: String,
    pub agency_code: Option<String>,
}

impl BookKey {
    /// The code a closed month is filed under: the unit's, or the region's.
    pub fn owner(&self) -> &str {
        self.agency_code.as_deref().unwrap_or(&self.mof_div_code)
    }
}

/// Appends ` AND <the book>` on `accounting_voucher v`.
pub fn push_book(sql: &mut Sql, book: &BookKey) {
    sql.push(" AND v.book_type = ")
        .bind(Bind::text(book.book_type.as_str()));
    match &book.agency_code {
        Some(agency_code) => {
            sql.push(" AND v.agency_code = ")
                .bind(Bind::text(agency_code.as_str()));
        }
        None => {
            sql.push(" AND v.agency_code IS NULL AND v.mof_div_code = ")
                .bind(Bind::text(book.mof_div_code.as_str()));
        }
    }
}

/// A voucher header to insert.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoucherInsert {
    pub voucher_id: String,
    pub book: BookKey,
    pub fiscal_year: i64,
    pub period: i64,
    pub voucher_date: String,
    pub summary: String,
    pub total_fen: i64,
    pub event_id: Option<String>,
    pub reverses_voucher_id: Option<String>,
    pub status: String,
    pub created_by: String,
    pub created_at: String,
}

/// One line to insert, or as stored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LineRow {
    pub line_no: i64,
    pub account_code: String,
    pub debit_fen: i64,
    pub credit_fen: i64,
    pub agency_code: String,
    pub exp_func_code: String,
    pub dep_bgt_eco_code: String,
    pub fund_type_code: String,
    pub pro_code: String,
    pub bgt_id: String,
}

/// A stored voucher header.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct VoucherRow {
    pub voucher_id: String,
    pub book_type: String,
    pub mof_div_code: String,
    pub agency_code: Option<String>,
    pub fiscal_year: i64,
    pub period: i64,
    pub voucher_date: String,
    pub summary: String,
    pub total_fen: i64,
    pub event_id: Option<String>,
    pub reverses_voucher_id: Option<String>,
    pub status: String,
    pub created_by: String,
    pub created_at: String,
    pub reviewed_by: Option<String>,
    pub posted_by: Option<String>,
}

impl VoucherRow {
    pub fn book(&self) -> BookKey {
        BookKey {
            book_type: self.book_type.clone(),
            mof_div_code: self.mof_div_code.clone(),
            agency_code: self.agency_code.clone(),
        }
    }
}

pub(crate) const VOUCHER_SELECT: &str = "SELECT v.voucher_id, v.book_type, v.mof_div_code, v.agency_code, v.fiscal_year, v.period, v.voucher_date, v.summary, v.total_fen, v.event_id, v.reverses_voucher_id, v.status, v.created_by, v.created_at, v.reviewed_by, v.posted_by FROM accounting_voucher v";

pub(crate) fn voucher_of<R>(row: &R) -> Result<VoucherRow, StoreError>
where
    R: Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(VoucherRow {
        voucher_id: row.try_get(0)?,
        book_type: row.try_get(1)?,
        mof_div_code: row.try_get(2)?,
        agency_code: row.try_get(3)?,
        fiscal_year: row.try_get(4)?,
        period: row.try_get(5)?,
        voucher_date: row.try_get(6)?,
        summary: row.try_get(7)?,
        total_fen: row.try_get(8)?,
        event_id: row.try_get(9)?,
        reverses_voucher_id: row.try_get(10)?,
        status: row.try_get(11)?,
        created_by: row.try_get(12)?,
        created_at: row.try_get(13)?,
        reviewed_by: row.try_get(14)?,
        posted_by: row.try_get(15)?,
    })
}

/// Inserts a voucher with its lines. Returns false, and writes nothing, when a voucher with
/// the same id, or for the same event and book, is already there.
pub async fn insert_voucher(
    tx: &mut Tx,
    voucher: &VoucherInsert,
    lines: &[LineRow],
) -> Result<bool, StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO accounting_voucher (voucher_id, book_type, mof_div_code, agency_code, fiscal_year, period, voucher_date, summary, total_fen, event_id, reverses_voucher_id, status, created_by, created_at) VALUES (",
    );
    let binds = [
        Bind::text(voucher.voucher_id.as_str()),
        Bind::text(voucher.book.book_type.as_str()),
        Bind::text(voucher.book.mof_div_code.as_str()),
        Bind::Text(voucher.book.agency_code.clone()),
        Bind::Int(Some(voucher.fiscal_year)),
        Bind::Int(Some(voucher.period)),
        Bind::text(voucher.voucher_date.as_str()),
        Bind::text(voucher.summary.as_str()),
        Bind::Int(Some(voucher.total_fen)),
        Bind::Text(voucher.event_id.clone()),
        Bind::Text(voucher.reverses_voucher_id.clone()),
        Bind::text(voucher.status.as_str()),
        Bind::text(voucher.created_by.as_str()),
        Bind::text(voucher.created_at.as_str()),
    ];
    for (index, bind) in binds.into_iter().enumerate() {
        if index > 0 {
            sql.push(", ");
        }
        sql.bind(bind);
    }
    sql.push(") ON CONFLICT DO NOTHING");
    let inserted =
        on_tx!(tx, conn => bound_query!(&sql).execute(&mut *conn).await?.rows_affected());
    if inserted == 0 {
        return Ok(false);
    }
    let rows = lines
        .iter()
        .map(|line| {
            vec![
                Bind::text(voucher.voucher_id.as_str()),
                Bind::Int(Some(line.line_no)),
                Bind::text(line.account_code.as_str()),
                Bind::Int(Some(line.debit_fen)),
                Bind::Int(Some(line.credit_fen)),
                Bind::text(line.agency_code.as_str()),
                Bind::text(line.exp_func_code.as_str()),
                Bind::text(line.dep_bgt_eco_code.as_str()),
                Bind::text(line.fund_type_code.as_str()),
                Bind::text(line.pro_code.as_str()),
                Bind::text(line.bgt_id.as_str()),
            ]
        })
        .collect();
    crate::bulk::insert_rows(
        tx,
        "accounting_voucher_line",
        &[
            "voucher_id",
            "line_no",
            "account_code",
            "debit_fen",
            "credit_fen",
            "agency_code",
            "exp_func_code",
            "dep_bgt_eco_code",
            "fund_type_code",
            "pro_code",
            "bgt_id",
        ],
        rows,
    )
    .await?;
    Ok(true)
}

/// A voucher by id, inside the writing transaction (locked on PostgreSQL).
pub async fn voucher_for_update(
    tx: &mut Tx,
    voucher_id: &str,
) -> Result<Option<VoucherRow>, StoreError> {
    let mut sql = Sql::new(VOUCHER_SELECT);
    sql.push(" WHERE v.voucher_id = ")
        .bind(Bind::text(voucher_id));
    if tx.backend() == crate::Backend::Postgres {
        sql.push(" FOR UPDATE");
    }
    let row = on_tx!(tx, conn => match bound_query!(&sql).fetch_optional(&mut *conn).await? {
        Some(row) => Some(voucher_of(&row)?),
        None => None,
    });
    Ok(row)
}

/// The lines of a voucher, in order, inside a transaction.
pub async fn lines_in_tx(tx: &mut Tx, voucher_id: &str) -> Result<Vec<LineRow>, StoreError> {
    let rows = on_tx!(tx, conn => sqlx::query_as::<_, (i64, String, i64, i64, String, String, String, String, String, String)>(
        "SELECT line_no, account_code, debit_fen, credit_fen, agency_code, exp_func_code, dep_bgt_eco_code, fund_type_code, pro_code, bgt_id FROM accounting_voucher_line WHERE voucher_id = $1 ORDER BY line_no")
        .bind(voucher_id)
        .fetch_all(&mut *conn)
        .await?);
    Ok(rows.into_iter().map(line_of_tuple).collect())
}

pub(crate) fn line_of_tuple(
    (
        line_no,
        account_code,
        debit_fen,
        credit_fen,
        agency_code,
        exp_func_code,
        dep_bgt_eco_code,
        fund_type_code,
        pro_code,
        bgt_id,
    ): (
        i64,
        String,
        i64,
        i64,
        String,
        String,
        String,
        String,
        String,
        String,
    ),
) -> LineRow {
    LineRow {
        line_no,
        account_code,
        debit_fen,
        credit_fen,
        agency_code,
        exp_func_code,
        dep_bgt_eco_code,
        fund_type_code,
        pro_code,
        bgt_id,
    }
}

/// Moves a voucher's status forward from `from` to `to`, recording who and when in the
/// matching column (`reviewed` or `posted`). Returns false when the voucher had moved.
pub async fn advance_voucher(
    tx: &mut Tx,
    voucher_id: &str,
    from: &str,
    to: &str,
    by: &str,
    at: &str,
) -> Result<bool, StoreError> {
    let text = match to {
        "reviewed" => {
            "UPDATE accounting_voucher SET status = $1, reviewed_by = $2, reviewed_at = $3 WHERE voucher_id = $4 AND status = $5"
        }
        "posted" => {
            "UPDATE accounting_voucher SET status = $1, posted_by = $2, posted_at = $3 WHERE voucher_id = $4 AND status = $5"
        }
        _ => return Ok(false),
    };
    let done = on_tx!(tx, conn => sqlx::query(text)
        .bind(to)
        .bind(by)
        .bind(at)
        .bind(voucher_id)
        .bind(from)
        .execute(&mut *conn)
        .await?
        .rows_affected());
    Ok(done == 1)
}

/// Whether a month of a book is closed.
pub async fn period_closed(
    tx: &mut Tx,
    book: &BookKey,
    fiscal_year: i64,
    period: i64,
) -> Result<bool, StoreError> {
    let n: i64 = on_tx!(tx, conn => sqlx::query(
        "SELECT COUNT(*) FROM accounting_period WHERE book_type = $1 AND book_owner = $2 AND fiscal_year = $3 AND period = $4")
        .bind(book.book_type.as_str())
        .bind(book.owner())
        .bind(fiscal_year)
        .bind(period)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?);
    Ok(n > 0)
}

/// The vouchers of a month of a book that are not posted yet.
pub async fn count_unposted(
    tx: &mut Tx,
    book: &BookKey,
    fiscal_year: i64,
    period: i64,
) -> Result<i64, StoreError> {
    let mut sql = Sql::new("SELECT COUNT(*) FROM accounting_voucher v WHERE v.status <> 'posted'");
    push_book(&mut sql, book);
    sql.push(" AND v.fiscal_year = ")
        .bind(Bind::Int(Some(fiscal_year)))
        .push(" AND v.period = ")
        .bind(Bind::Int(Some(period)));
    let n: i64 = on_tx!(tx, conn => bound_query!(&sql).fetch_one(&mut *conn).await?.try_get(0)?);
    Ok(n)
}

/// Closes a month (inserts its row). Returns false when it was closed already.
pub async fn insert_period_close(
    tx: &mut Tx,
    book: &BookKey,
    fiscal_year: i64,
    period: i64,
    by: &str,
    at: &str,
) -> Result<bool, StoreError> {
    let done = on_tx!(tx, conn => sqlx::query(
        "INSERT INTO accounting_period (book_type, book_owner, fiscal_year, period, closed_by, closed_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING")
        .bind(book.book_type.as_str())
        .bind(book.owner())
        .bind(fiscal_year)
        .bind(period)
        .bind(by)
        .bind(at)
        .execute(&mut *conn)
        .await?
        .rows_affected());
    Ok(done == 1)
}

/// The leaf accounts (the only ones that take entries) of a book type in a year.
pub async fn leaf_accounts(
    tx: &mut Tx,
    fiscal_year: i64,
    book_type: &str,
) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String,)> = on_tx!(tx, conn => sqlx::query_as(
        "SELECT account_code FROM accounting_account WHERE fiscal_year = $1 AND book_type = $2 AND is_leaf = TRUE ORDER BY account_code")
        .bind(fiscal_year)
        .bind(book_type)
        .fetch_all(&mut *conn)
        .await?);
    Ok(rows.into_iter().map(|(code,)| code).collect())
}

/// An accounting event with the facts of its payment that the posting rules need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventFacts {
    pub event_id: String,
    pub kind: String,
    pub amount_fen: i64,
    pub mof_div_code: String,
    pub fiscal_year: i64,
    pub agency_code: String,
    pub bgt_id: String,
    /// The date of the business: paid (receipt), cleared, or refunded (the bank date).
    pub event_date: String,
    pub pay_cert_no: String,
    pub exp_func_code: String,
    pub dep_bgt_eco_code: String,
    pub fund_type_code: String,
    pub pro_code: String,
}

// A refund is dated by the voucher's last bank date, which is its refund date while the
// voucher has one refund; with several, an earlier refund generated late takes the last date.
const EVENT_SELECT: &str = "SELECT e.event_id, e.kind, e.amount_fen, pv.mof_div_code, pv.fiscal_year, pv.agency_code, pv.bgt_id, \
     CASE WHEN e.kind = 'payment_posted' THEN COALESCE(pv.xpay_date, SUBSTR(e.created_at, 1, 10)) \
          WHEN e.kind = 'clearing' THEN COALESCE(pv.act_lqd_date, SUBSTR(e.created_at, 1, 10)) \
          ELSE COALESCE(pv.bank_date, SUBSTR(e.created_at, 1, 10)) END AS event_date, \
     pv.pay_cert_no, pa.exp_func_code, pa.dep_bgt_eco_code, pa.fund_type_code, pa.pro_code \
     FROM accounting_event e \
     JOIN payment_voucher pv ON pv.pay_cert_id = e.pay_cert_id \
     JOIN payment_application pa ON pa.pay_app_id = pv.pay_app_id";

type EventTuple = (
    String,
    String,
    i64,
    String,
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

fn event_of(t: EventTuple) -> EventFacts {
    EventFacts {
        event_id: t.0,
        kind: t.1,
        amount_fen: t.2,
        mof_div_code: t.3,
        fiscal_year: t.4,
        agency_code: t.5,
        bgt_id: t.6,
        event_date: t.7,
        pay_cert_no: t.8,
        exp_func_code: t.9,
        dep_bgt_eco_code: t.10,
        fund_type_code: t.11,
        pro_code: t.12,
    }
}

/// Events without any voucher yet, oldest first, at most `n_max`.
pub async fn pending_events(tx: &mut Tx, n_max: i64) -> Result<Vec<EventFacts>, StoreError> {
    let text = format!(
        "{EVENT_SELECT} WHERE NOT EXISTS (SELECT 1 FROM accounting_voucher av WHERE av.event_id = e.event_id) ORDER BY e.created_at, e.event_id LIMIT $1"
    );
    let rows: Vec<EventTuple> = on_tx!(tx, conn => sqlx::query_as(sqlx::AssertSqlSafe(text))
        .bind(n_max)
        .fetch_all(&mut *conn)
        .await?);
    Ok(rows.into_iter().map(event_of).collect())
}

/// One event by id.
pub async fn event_by_id(tx: &mut Tx, event_id: &str) -> Result<Option<EventFacts>, StoreError> {
    let text = format!("{EVENT_SELECT} WHERE e.event_id = $1");
    let row: Option<EventTuple> = on_tx!(tx, conn => sqlx::query_as(sqlx::AssertSqlSafe(text))
        .bind(event_id)
        .fetch_optional(&mut *conn)
        .await?);
    Ok(row.map(event_of))
}

/// The materialized paths of a book's owner, for the data scope: the region's path, and the
/// unit's path when the book is a unit's. None when the region or unit does not exist.
pub async fn book_paths(
    tx: &mut Tx,
    book: &BookKey,
) -> Result<Option<(String, Option<String>)>, StoreError> {
    let region: Option<(String,)> = on_tx!(tx, conn => sqlx::query_as(
        "SELECT region_path FROM region WHERE mof_div_code = $1")
        .bind(book.mof_div_code.as_str())
        .fetch_optional(&mut *conn)
        .await?);
    let Some((region_path,)) = region else {
        return Ok(None);
    };
    let Some(agency_code) = &book.agency_code else {
        return Ok(Some((region_path, None)));
    };
    let agency: Option<(String,)> = on_tx!(tx, conn => sqlx::query_as(
        "SELECT agency_path FROM agency WHERE agency_code = $1 AND mof_div_code = $2")
        .bind(agency_code.as_str())
        .bind(book.mof_div_code.as_str())
        .fetch_optional(&mut *conn)
        .await?);
    Ok(agency.map(|(agency_path,)| (region_path, Some(agency_path))))
}
