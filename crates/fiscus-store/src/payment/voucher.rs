//! Storage of payment vouchers (支付凭证): insert at approval, lookups by number for the bank's
//! messages (locked on PostgreSQL), the state changes of receipts, returns, refunds and
//! clearing, the sender's queue and the clearing and reconciliation reads.

use sqlx::Row;

use crate::records::Viewer;
use crate::sql::{Bind, Sql};
use crate::{Db, StoreError, Tx, bound_query, on_db, on_tx};

/// One voucher as stored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct VoucherRow {
    pub pay_cert_id: String,
    pub pay_cert_no: String,
    pub mof_div_code: String,
    pub fiscal_year: i64,
    pub pay_app_id: String,
    pub agency_code: String,
    pub bgt_id: String,
    pub vou_date: String,
    pub pay_amt: i64,
    pub status: String,
    pub bank_code: String,
    pub reserve_transfer_id: String,
    pub voucher_json: String,
    pub send_attempts: i64,
    pub next_send_at: String,
    pub sent_at: Option<String>,
    pub xpay_amt: Option<i64>,
    pub xpay_date: Option<String>,
    pub agent_business_no: Option<String>,
    pub return_reason: Option<String>,
    pub return_text: Option<String>,
    pub refunded_amt: i64,
    pub bank_date: Option<String>,
    pub lqd_quota_notice_no: Option<String>,
    pub lqd_cert_no: Option<String>,
    pub act_lqd_date: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

const VOUCHER_COLUMNS: &str = "pay_cert_id, pay_cert_no, mof_div_code, fiscal_year, pay_app_id, agency_code, bgt_id, vou_date, pay_amt, status, bank_code, reserve_transfer_id, voucher_json, send_attempts, next_send_at, sent_at, xpay_amt, xpay_date, agent_business_no, return_reason, return_text, refunded_amt, bank_date, lqd_quota_notice_no, lqd_cert_no, act_lqd_date, created_at, updated_at";

fn voucher_of<R>(row: &R) -> Result<VoucherRow, sqlx::Error>
where
    R: Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(VoucherRow {
        pay_cert_id: row.try_get(0)?,
        pay_cert_no: row.try_get(1)?,
        mof_div_code: row.try_get(2)?,
        fiscal_year: row.try_get(3)?,
        pay_app_id: row.try_get(4)?,
        agency_code: row.try_get(5)?,
        bgt_id: row.try_get(6)?,
        vou_date: row.try_get(7)?,
        pay_amt: row.try_get(8)?,
        status: row.try_get(9)?,
        bank_code: row.try_get(10)?,
        reserve_transfer_id: row.try_get(11)?,
        voucher_json: row.try_get(12)?,
        send_attempts: row.try_get(13)?,
        next_send_at: row.try_get(14)?,
        sent_at: row.try_get(15)?,
        xpay_amt: row.try_get(16)?,
        xpay_date: row.try_get(17)?,
        agent_business_no: row.try_get(18)?,
        return_reason: row.try_get(19)?,
        return_text: row.try_get(20)?,
        refunded_amt: row.try_get(21)?,
        bank_date: row.try_get(22)?,
        lqd_quota_notice_no: row.try_get(23)?,
        lqd_cert_no: row.try_get(24)?,
        act_lqd_date: row.try_get(25)?,
        created_at: row.try_get(26)?,
        updated_at: row.try_get(27)?,
    })
}

/// Inserts a voucher generated at approval.
pub async fn insert_voucher(tx: &mut Tx, row: &VoucherRow) -> Result<(), StoreError> {
    on_tx!(tx, conn => { sqlx::query(
        "INSERT INTO payment_voucher (pay_cert_id, pay_cert_no, mof_div_code, fiscal_year, pay_app_id, agency_code, bgt_id, vou_date, pay_amt, status, bank_code, reserve_transfer_id, voucher_json, next_send_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)")
        .bind(&row.pay_cert_id)
        .bind(&row.pay_cert_no)
        .bind(&row.mof_div_code)
        .bind(row.fiscal_year)
        .bind(&row.pay_app_id)
        .bind(&row.agency_code)
        .bind(&row.bgt_id)
        .bind(&row.vou_date)
        .bind(row.pay_amt)
        .bind(&row.status)
        .bind(&row.bank_code)
        .bind(&row.reserve_transfer_id)
        .bind(&row.voucher_json)
        .bind(&row.next_send_at)
        .bind(&row.created_at)
        .execute(&mut *conn)
        .await?; });
    Ok(())
}

/// The voucher a bank message names, locked until the caller's transaction ends.
pub async fn voucher_by_no_for_update(
    tx: &mut Tx,
    mof_div_code: &str,
    fiscal_year: i64,
    pay_cert_no: &str,
) -> Result<Option<VoucherRow>, StoreError> {
    let sql = format!(
        "SELECT {VOUCHER_COLUMNS} FROM payment_voucher WHERE mof_div_code = $1 AND fiscal_year = $2 AND pay_cert_no = $3{}",
        tx.row_lock()
    );
    let row = on_tx!(tx, conn => match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(mof_div_code).bind(fiscal_year).bind(pay_cert_no).fetch_optional(&mut *conn).await? {
        Some(row) => Some(voucher_of(&row)?),
        None => None,
    });
    Ok(row)
}

/// The vouchers of one clearing notice, locked.
pub async fn vouchers_of_notice_for_update(
    tx: &mut Tx,
    notice_no: &str,
) -> Result<Vec<VoucherRow>, StoreError> {
    let sql = format!(
        "SELECT {VOUCHER_COLUMNS} FROM payment_voucher WHERE lqd_quota_notice_no = $1 ORDER BY pay_cert_no{}",
        tx.row_lock()
    );
    let mut rows = Vec::new();
    on_tx!(tx, conn => {
        for row in &sqlx::query(sqlx::AssertSqlSafe(sql)).bind(notice_no).fetch_all(&mut *conn).await? {
            rows.push(voucher_of(row)?);
        }
    });
    Ok(rows)
}

/// Sets the columns a bank message changes on one voucher (`None` leaves a column as is).
#[derive(Clone, Debug, Default)]
pub struct VoucherChange<'a> {
    pub status: Option<&'a str>,
    pub xpay_amt: Option<i64>,
    pub xpay_date: Option<&'a str>,
    pub agent_business_no: Option<&'a str>,
    pub return_reason: Option<&'a str>,
    pub return_text: Option<&'a str>,
    pub refunded_amt: Option<i64>,
    pub bank_date: Option<&'a str>,
    pub lqd_cert_no: Option<&'a str>,
    pub act_lqd_date: Option<&'a str>,
}

pub async fn change_voucher(
    tx: &mut Tx,
    pay_cert_id: &str,
    change: &VoucherChange<'_>,
    at: &str,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE payment_voucher SET updated_at = ");
    sql.bind(Bind::text(at));
    let texts = [
        ("status", change.status),
        ("xpay_date", change.xpay_date),
        ("agent_business_no", change.agent_business_no),
        ("return_reason", change.return_reason),
        ("return_text", change.return_text),
        ("bank_date", change.bank_date),
        ("lqd_cert_no", change.lqd_cert_no),
        ("act_lqd_date", change.act_lqd_date),
    ];
    for (column, value) in texts {
        if let Some(value) = value {
            sql.push(", ")
                .push(column)
                .push(" = ")
                .bind(Bind::text(value));
        }
    }
    for (column, value) in [
        ("xpay_amt", change.xpay_amt),
        ("refunded_amt", change.refunded_amt),
    ] {
        if let Some(value) = value {
            sql.push(", ")
                .push(column)
                .push(" = ")
                .bind(Bind::Int(Some(value)));
        }
    }
    sql.push(" WHERE pay_cert_id = ")
        .bind(Bind::text(pay_cert_id));
    on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    Ok(())
}

/// The JSON of vouchers ready to send (approved, `next_send_at` ≤ now), oldest first.
pub async fn ready_to_send(tx: &mut Tx, limit: i64, now: &str) -> Result<Vec<String>, StoreError> {
    let rows: Vec<String> = on_tx!(tx, conn => sqlx::query_scalar(
        "SELECT voucher_json FROM payment_voucher WHERE status = 'approved' AND next_send_at <= $1 ORDER BY created_at, pay_cert_no LIMIT $2")
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?);
    Ok(rows)
}

/// Marks vouchers sent (only those still approved: a fast receipt may have come first).
pub async fn mark_sent(tx: &mut Tx, pay_cert_ids: &[String], at: &str) -> Result<(), StoreError> {
    for pay_cert_id in pay_cert_ids {
        on_tx!(tx, conn => { sqlx::query(
            "UPDATE payment_voucher SET status = 'sent', sent_at = $1, send_attempts = send_attempts + 1, updated_at = $1 WHERE pay_cert_id = $2 AND status = 'approved'")
            .bind(at)
            .bind(pay_cert_id)
            .execute(&mut *conn)
            .await?; });
    }
    Ok(())
}

/// Counts a failed send and sets when to try again.
pub async fn mark_send_failed(
    tx: &mut Tx,
    pay_cert_ids: &[String],
    next_send_at: &str,
) -> Result<(), StoreError> {
    for pay_cert_id in pay_cert_ids {
        on_tx!(tx, conn => { sqlx::query(
            "UPDATE payment_voucher SET send_attempts = send_attempts + 1, next_send_at = $1 WHERE pay_cert_id = $2 AND status = 'approved'")
            .bind(next_send_at)
            .bind(pay_cert_id)
            .execute(&mut *conn)
            .await?; });
    }
    Ok(())
}

/// Paid vouchers not yet on a clearing notice, paid on or before `clear_date`:
/// (bank_code, pay_cert_no, xpay_amt), by bank then number.
pub async fn paid_uncleared(
    tx: &mut Tx,
    clear_date: &str,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    let rows = on_tx!(tx, conn => sqlx::query_as(
        "SELECT bank_code, pay_cert_no, xpay_amt FROM payment_voucher \
         WHERE status IN ('paid', 'refunded', 'partly_refunded') AND lqd_quota_notice_no IS NULL AND xpay_date <= $1 \
         ORDER BY bank_code, pay_cert_no")
        .bind(clear_date)
        .fetch_all(&mut *conn)
        .await?);
    Ok(rows)
}

/// Puts vouchers on a clearing notice (only those not on one yet).
pub async fn mark_notice(
    tx: &mut Tx,
    notice_no: &str,
    pay_cert_nos: &[String],
) -> Result<(), StoreError> {
    for pay_cert_no in pay_cert_nos {
        on_tx!(tx, conn => { sqlx::query(
            "UPDATE payment_voucher SET lqd_quota_notice_no = $1 WHERE pay_cert_no = $2 AND lqd_quota_notice_no IS NULL")
            .bind(notice_no)
            .bind(pay_cert_no)
            .execute(&mut *conn)
            .await?; });
    }
    Ok(())
}

/// The vouchers the bank had its last word on at `date` (paid, returned or refunded that
/// day), for reconciliation with its statement.
pub async fn vouchers_of_bank_date(db: &Db, date: &str) -> Result<Vec<VoucherRow>, StoreError> {
    let sql = format!(
        "SELECT {VOUCHER_COLUMNS} FROM payment_voucher WHERE bank_date = $1 OR xpay_date = $1 ORDER BY pay_cert_no"
    );
    let mut rows = Vec::new();
    on_db!(db, pool => {
        for row in &sqlx::query(sqlx::AssertSqlSafe(sql)).bind(date).fetch_all(pool).await? {
            rows.push(voucher_of(row)?);
        }
    });
    Ok(rows)
}

/// The vouchers `viewer` may see, newest first, optionally of one status.
pub async fn vouchers(
    db: &Db,
    viewer: Viewer<'_>,
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<VoucherRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {VOUCHER_COLUMNS} FROM payment_voucher i WHERE 1 = 1"
    ));
    crate::ledger::push_indicator_scope(&mut sql, viewer);
    if let Some(status) = status {
        sql.push(" AND i.status = ").bind(Bind::text(status));
    }
    sql.push(" ORDER BY i.created_at DESC, i.pay_cert_no DESC LIMIT ")
        .bind(Bind::Int(Some(limit)))
        .push(" OFFSET ")
        .bind(Bind::Int(Some(offset)));
    let mut rows = Vec::new();
    on_db!(db, pool => {
        for row in &bound_query!(&sql).fetch_all(pool).await? {
            rows.push(voucher_of(row)?);
        }
    });
    Ok(rows)
}

/// The vouchers of one application, oldest first (unscoped: the caller checked the application).
pub async fn vouchers_of_application(
    db: &Db,
    pay_app_id: &str,
) -> Result<Vec<VoucherRow>, StoreError> {
    let sql = format!(
        "SELECT {VOUCHER_COLUMNS} FROM payment_voucher WHERE pay_app_id = $1 ORDER BY created_at, pay_cert_no"
    );
    let mut rows = Vec::new();
    on_db!(db, pool => {
        for row in &sqlx::query(sqlx::AssertSqlSafe(sql)).bind(pay_app_id).fetch_all(pool).await? {
            rows.push(voucher_of(row)?);
        }
    });
    Ok(rows)
}

/// What the voucher list selects; every `None` selects everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct VoucherSearch<'a> {
    pub pay_cert_id: Option<&'a str>,
    pub status: Option<&'a str>,
    /// `YYYY-MM-DD`.
    pub vou_date: Option<&'a str>,
    /// Substring of the voucher number, the unit code or the payee's name.
    pub search: Option<&'a str>,
    pub limit: i64,
    pub offset: i64,
}

/// One page of the vouchers `viewer` may see that `query` selects, newest first, and how many
/// it selects in all.
pub async fn search_vouchers(
    db: &Db,
    viewer: Viewer<'_>,
    query: &VoucherSearch<'_>,
) -> Result<(Vec<VoucherRow>, i64), StoreError> {
    let mut filter = Sql::new(" WHERE 1 = 1");
    crate::ledger::push_indicator_scope(&mut filter, viewer);
    if let Some(pay_cert_id) = query.pay_cert_id {
        filter
            .push(" AND i.pay_cert_id = ")
            .bind(Bind::text(pay_cert_id));
    }
    if let Some(status) = query.status {
        filter.push(" AND i.status = ").bind(Bind::text(status));
    }
    if let Some(vou_date) = query.vou_date {
        filter.push(" AND i.vou_date = ").bind(Bind::text(vou_date));
    }
    if let Some(search) = query.search.map(str::trim).filter(|text| !text.is_empty()) {
        let pattern = format!("%{}%", crate::sql::like_escape(search));
        filter
            .push(" AND (i.pay_cert_no LIKE ")
            .bind(Bind::text(pattern.clone()))
            .push(" ESCAPE '\\' OR i.agency_code LIKE ")
            .bind(Bind::text(pattern.clone()))
            .push(" ESCAPE '\\' OR i.pay_app_id IN (SELECT pay_app_id FROM payment_application WHERE payee_acct_name LIKE ")
            .bind(Bind::text(pattern))
            .push(" ESCAPE '\\'))");
    }
    let mut count = Sql::new("SELECT COUNT(*) FROM payment_voucher i");
    count.text.push_str(&filter.text);
    count.binds.extend(filter.binds.iter().cloned());
    let mut select = Sql::new(&format!("SELECT {VOUCHER_COLUMNS} FROM payment_voucher i"));
    select.text.push_str(&filter.text);
    select.binds.extend(filter.binds.iter().cloned());
    select
        .push(" ORDER BY i.created_at DESC, i.pay_cert_no DESC LIMIT ")
        .bind(Bind::Int(Some(query.limit)))
        .push(" OFFSET ")
        .bind(Bind::Int(Some(query.offset)));
    let mut rows = Vec::new();
    let total: i64 = on_db!(db, pool => {
        for row in &bound_query!(&select).fetch_all(pool).await? {
            rows.push(voucher_of(row)?);
        }
        bound_query!(&count).fetch_one(pool).await?.try_get(0)?
    });
    Ok((rows, total))
}
