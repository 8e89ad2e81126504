//! Storage of centralized treasury payment (ADR 0009): payment applications, the per
//! region-year number counter, the payee blacklist and accounting events; vouchers are in
//! `payment/voucher.rs`. Lists are scoped like indicators (the table is aliased `i` so that
//! `ledger::push_indicator_scope` applies as is).

pub mod voucher;

use sqlx::Row;

use crate::records::Viewer;
use crate::sql::{Bind, Sql};
use crate::{StoreError, Tx, bound_query, on_db, on_tx};

pub use voucher::*;

/// One payment application as stored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ApplicationRow {
    pub pay_app_id: String,
    pub pay_app_no: String,
    pub fiscal_year: i64,
    pub mof_div_code: String,
    pub agency_code: String,
    pub bgt_id: String,
    pub pay_app_amt: i64,
    pub payee_acct_name: String,
    pub payee_acct_no: String,
    pub payee_acct_bank_name: String,
    pub payee_bank_code: String,
    pub use_des: String,
    pub set_mode_code: String,
    pub pay_bus_type_code: String,
    pub contract_no: String,
    pub pro_code: String,
    pub exp_func_code: String,
    pub gov_bgt_eco_code: String,
    pub dep_bgt_eco_code: String,
    pub fund_type_code: String,
    pub status: String,
    pub is_proxy: bool,
    pub created_by: String,
    pub reserve_no: i64,
    pub reserve_transfer_id: Option<String>,
    pub pay_cert_id: Option<String>,
    pub create_date: String,
    pub created_at: String,
    pub updated_at: String,
}

const APP_COLUMNS: &str = "pay_app_id, pay_app_no, fiscal_year, mof_div_code, agency_code, bgt_id, pay_app_amt, payee_acct_name, payee_acct_no, payee_acct_bank_name, payee_bank_code, use_des, set_mode_code, pay_bus_type_code, contract_no, pro_code, exp_func_code, gov_bgt_eco_code, dep_bgt_eco_code, fund_type_code, status, is_proxy, created_by, reserve_no, reserve_transfer_id, pay_cert_id, create_date, created_at, updated_at";

fn app_of<R>(row: &R) -> Result<ApplicationRow, sqlx::Error>
where
    R: Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(ApplicationRow {
        pay_app_id: row.try_get(0)?,
        pay_app_no: row.try_get(1)?,
        fiscal_year: row.try_get(2)?,
        mof_div_code: row.try_get(3)?,
        agency_code: row.try_get(4)?,
        bgt_id: row.try_get(5)?,
        pay_app_amt: row.try_get(6)?,
        payee_acct_name: row.try_get(7)?,
        payee_acct_no: row.try_get(8)?,
        payee_acct_bank_name: row.try_get(9)?,
        payee_bank_code: row.try_get(10)?,
        use_des: row.try_get(11)?,
        set_mode_code: row.try_get(12)?,
        pay_bus_type_code: row.try_get(13)?,
        contract_no: row.try_get(14)?,
        pro_code: row.try_get(15)?,
        exp_func_code: row.try_get(16)?,
        gov_bgt_eco_code: row.try_get(17)?,
        dep_bgt_eco_code: row.try_get(18)?,
        fund_type_code: row.try_get(19)?,
        status: row.try_get(20)?,
        is_proxy: row.try_get(21)?,
        created_by: row.try_get(22)?,
        reserve_no: row.try_get(23)?,
        reserve_transfer_id: row.try_get(24)?,
        pay_cert_id: row.try_get(25)?,
        create_date: row.try_get(26)?,
        created_at: row.try_get(27)?,
        updated_at: row.try_get(28)?,
    })
}

fn app_binds(row: &ApplicationRow) -> Vec<Bind> {
    let text = |value: &str| Bind::text(value);
    vec![
        text(&row.pay_app_id),
        text(&row.pay_app_no),
        Bind::Int(Some(row.fiscal_year)),
        text(&row.mof_div_code),
        text(&row.agency_code),
        text(&row.bgt_id),
        Bind::Int(Some(row.pay_app_amt)),
        text(&row.payee_acct_name),
        text(&row.payee_acct_no),
        text(&row.payee_acct_bank_name),
        text(&row.payee_bank_code),
        text(&row.use_des),
        text(&row.set_mode_code),
        text(&row.pay_bus_type_code),
        text(&row.contract_no),
        text(&row.pro_code),
        text(&row.exp_func_code),
        text(&row.gov_bgt_eco_code),
        text(&row.dep_bgt_eco_code),
        text(&row.fund_type_code),
        text(&row.status),
        Bind::Bool(Some(row.is_proxy)),
        text(&row.created_by),
        Bind::Int(Some(row.reserve_no)),
        Bind::Text(row.reserve_transfer_id.clone()),
        Bind::Text(row.pay_cert_id.clone()),
        text(&row.create_date),
        text(&row.created_at),
        text(&row.updated_at),
    ]
}

/// Inserts a new application (its flow document first: the key references it).
pub async fn insert_application(tx: &mut Tx, row: &ApplicationRow) -> Result<(), StoreError> {
    let mut sql = Sql::new(&format!(
        "INSERT INTO payment_application ({APP_COLUMNS}) VALUES ("
    ));
    for (index, bind) in app_binds(row).into_iter().enumerate() {
        if index > 0 {
            sql.push(", ");
        }
        sql.bind(bind);
    }
    sql.push(")");
    on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    Ok(())
}

/// Rewrites every column of an application from `row` (its key and number stay).
pub async fn update_application(tx: &mut Tx, row: &ApplicationRow) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE payment_application SET ");
    let binds = app_binds(row);
    for (index, (column, bind)) in APP_COLUMNS.split(", ").zip(binds).enumerate().skip(2) {
        if index > 2 {
            sql.push(", ");
        }
        sql.push(column).push(" = ").bind(bind);
    }
    sql.push(" WHERE pay_app_id = ")
        .bind(Bind::text(&row.pay_app_id));
    on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    Ok(())
}

/// One application inside a transaction (locked on PostgreSQL).
pub async fn application_for_update(
    tx: &mut Tx,
    pay_app_id: &str,
) -> Result<Option<ApplicationRow>, StoreError> {
    let lock = tx.row_lock();
    let sql = format!("SELECT {APP_COLUMNS} FROM payment_application WHERE pay_app_id = $1{lock}");
    let row = on_tx!(tx, conn => match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(pay_app_id).fetch_optional(&mut *conn).await? {
        Some(row) => Some(app_of(&row)?),
        None => None,
    });
    Ok(row)
}

/// Filters of the application list.
#[derive(Clone, Debug, Default)]
pub struct ApplicationQuery {
    pub status: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// The applications `viewer` may see, newest first.
pub async fn applications(
    db: &crate::Db,
    viewer: Viewer<'_>,
    query: &ApplicationQuery,
) -> Result<Vec<ApplicationRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {APP_COLUMNS} FROM payment_application i WHERE 1 = 1"
    ));
    crate::ledger::push_indicator_scope(&mut sql, viewer);
    if let Some(status) = &query.status {
        sql.push(" AND i.status = ").bind(Bind::text(status));
    }
    sql.push(" ORDER BY i.created_at DESC, i.pay_app_id LIMIT ")
        .bind(Bind::Int(Some(query.limit)))
        .push(" OFFSET ")
        .bind(Bind::Int(Some(query.offset)));
    let mut rows = Vec::new();
    on_db!(db, pool => {
        for row in &bound_query!(&sql).fetch_all(pool).await? {
            rows.push(app_of(row)?);
        }
    });
    Ok(rows)
}

/// The next number of `seq_kind` (pay_cert | pay_app) for a region and year, gapless: the
/// counter row is created at 0 if missing, then advanced by one conditional UPDATE …
/// RETURNING that holds the row until the caller's transaction ends.
pub async fn next_seq(
    tx: &mut Tx,
    mof_div_code: &str,
    fiscal_year: i64,
    seq_kind: &str,
) -> Result<i64, StoreError> {
    let next: i64 = on_tx!(tx, conn => {
        sqlx::query("INSERT INTO voucher_seq (mof_div_code, fiscal_year, seq_kind, last_no) VALUES ($1, $2, $3, 0) ON CONFLICT (mof_div_code, fiscal_year, seq_kind) DO NOTHING")
            .bind(mof_div_code)
            .bind(fiscal_year)
            .bind(seq_kind)
            .execute(&mut *conn)
            .await?;
        sqlx::query_scalar("UPDATE voucher_seq SET last_no = last_no + 1 WHERE mof_div_code = $1 AND fiscal_year = $2 AND seq_kind = $3 RETURNING last_no")
            .bind(mof_div_code)
            .bind(fiscal_year)
            .bind(seq_kind)
            .fetch_one(&mut *conn)
            .await?
    });
    Ok(next)
}

/// The blacklist reason of an account, if it is on the list.
pub async fn blacklisted(tx: &mut Tx, payee_acct_no: &str) -> Result<Option<String>, StoreError> {
    let reason: Option<String> = on_tx!(tx, conn => sqlx::query_scalar("SELECT reason FROM payee_blacklist WHERE payee_acct_no = $1")
        .bind(payee_acct_no)
        .fetch_optional(&mut *conn)
        .await?);
    Ok(reason)
}

/// Puts an account on the blacklist (again: the reason is replaced).
pub async fn blacklist_add(
    tx: &mut Tx,
    payee_acct_no: &str,
    reason: &str,
    created_by: &str,
    at: &str,
) -> Result<(), StoreError> {
    on_tx!(tx, conn => { sqlx::query(
        "INSERT INTO payee_blacklist (payee_acct_no, reason, created_by, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (payee_acct_no) DO UPDATE SET reason = $2, created_by = $3, created_at = $4")
        .bind(payee_acct_no)
        .bind(reason)
        .bind(created_by)
        .bind(at)
        .execute(&mut *conn)
        .await?; });
    Ok(())
}

/// A unit's enabled account of `acc_type_code`: (account_no, account_name, bank_name, bank_code).
pub async fn unit_account(
    tx: &mut Tx,
    agency_code: &str,
    acc_type_code: &str,
) -> Result<Option<(String, String, String, String)>, StoreError> {
    let row: Option<(String, String, String, Option<String>)> = on_tx!(tx, conn => sqlx::query_as(
        "SELECT account_no, account_name, bank_name, bank_code FROM agency_account \
         WHERE agency_code = $1 AND acc_type_code = $2 AND is_enabled = TRUE ORDER BY account_id LIMIT 1")
        .bind(agency_code)
        .bind(acc_type_code)
        .fetch_optional(&mut *conn)
        .await?);
    Ok(row.map(|(no, name, bank, code)| (no, name, bank, code.unwrap_or_default())))
}

/// Records an accounting event once: a repeat of `event_id` changes nothing. Returns whether
/// it was new.
pub async fn insert_accounting_event(
    tx: &mut Tx,
    event_id: &str,
    kind: &str,
    pay_cert_id: Option<&str>,
    amount_fen: i64,
    entries_json: &str,
    at: &str,
) -> Result<bool, StoreError> {
    let done = on_tx!(tx, conn => sqlx::query(
        "INSERT INTO accounting_event (event_id, kind, pay_cert_id, amount_fen, entries, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (event_id) DO NOTHING")
        .bind(event_id)
        .bind(kind)
        .bind(pay_cert_id)
        .bind(amount_fen)
        .bind(entries_json)
        .bind(at)
        .execute(&mut *conn)
        .await?
        .rows_affected());
    Ok(done == 1)
}

/// The accounting events of one voucher: (event_id, kind, amount_fen), oldest first.
pub async fn accounting_events(
    db: &crate::Db,
    pay_cert_id: &str,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    let rows = on_db!(db, pool => sqlx::query_as("SELECT event_id, kind, amount_fen FROM accounting_event WHERE pay_cert_id = $1 ORDER BY created_at, event_id")
        .bind(pay_cert_id)
        .fetch_all(pool)
        .await?);
    Ok(rows)
}

/// Rewrites the title, amount and payload of a payment's flow document after a correction.
pub async fn set_document_header(
    tx: &mut Tx,
    doc_id: &str,
    title: &str,
    amount_fen: i64,
    payload: &str,
    at: &str,
) -> Result<(), StoreError> {
    on_tx!(tx, conn => { sqlx::query(
        "UPDATE flow_document SET title = $1, amount_fen = $2, payload = $3, updated_at = $4 WHERE doc_id = $5 AND doc_type = 'payment_application'")
        .bind(title)
        .bind(amount_fen)
        .bind(payload)
        .bind(at)
        .bind(doc_id)
        .execute(&mut *conn)
        .await?; });
    Ok(())
}
