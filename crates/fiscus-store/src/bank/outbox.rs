//! The outbox (`bank_outbox`): every message we send, sealed once and stored in the
//! transaction that decided to send it, then delivered at least once — a retry after a
//! failure or a crash sends the same envelope with the same msg_id.

use sqlx::Row;

use super::push_values;
use crate::sql::{Bind, Sql};
use crate::{Db, StoreError, Tx, bound_query, on_db, on_tx};

/// One message as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxRow {
    pub msg_id: String,
    /// The `MessageKind` code: voucher | clearing_notice.
    pub kind: String,
    /// bank | pboc.
    pub destination: String,
    /// What the message carries: the pay_cert_ids of a voucher envelope (JSON) or a notice
    /// number.
    pub subject: String,
    pub envelope: String,
    /// pending | sent | failed.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub last_error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
}

const OUTBOX_COLUMNS: &str = "msg_id, kind, destination, subject, envelope, status, attempts, next_attempt_at, last_error, created_at, sent_at";

fn outbox_of<R>(row: &R) -> Result<OutboxRow, sqlx::Error>
where
    R: Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(OutboxRow {
        msg_id: row.try_get(0)?,
        kind: row.try_get(1)?,
        destination: row.try_get(2)?,
        subject: row.try_get(3)?,
        envelope: row.try_get(4)?,
        status: row.try_get(5)?,
        attempts: row.try_get(6)?,
        next_attempt_at: row.try_get(7)?,
        last_error: row.try_get(8)?,
        created_at: row.try_get(9)?,
        sent_at: row.try_get(10)?,
    })
}

pub async fn outbox_insert(tx: &mut Tx, row: &OutboxRow) -> Result<(), StoreError> {
    let mut sql = Sql::new(&format!(
        "INSERT INTO bank_outbox ({OUTBOX_COLUMNS}) VALUES ("
    ));
    push_values(
        &mut sql,
        [
            Bind::text(row.msg_id.clone()),
            Bind::text(row.kind.clone()),
            Bind::text(row.destination.clone()),
            Bind::text(row.subject.clone()),
            Bind::text(row.envelope.clone()),
            Bind::text(row.status.clone()),
            Bind::Int(Some(row.attempts)),
            Bind::text(row.next_attempt_at.clone()),
            Bind::Text(row.last_error.clone()),
            Bind::text(row.created_at.clone()),
            Bind::Text(row.sent_at.clone()),
        ],
    );
    on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    Ok(())
}

/// Pending messages whose next attempt is due, oldest first.
pub async fn outbox_due(db: &Db, now: &str, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {OUTBOX_COLUMNS} FROM bank_outbox WHERE status = 'pending' AND next_attempt_at <= "
    ));
    sql.bind(Bind::text(now))
        .push(" ORDER BY next_attempt_at, created_at, msg_id LIMIT ")
        .bind(Bind::Int(Some(limit)));
    let rows = on_db!(db, pool => {
        let rows = bound_query!(&sql).fetch_all(pool).await?;
        rows.iter().map(outbox_of).collect::<Result<Vec<_>, _>>()?
    });
    Ok(rows)
}

/// Marks a pending message delivered. Returns false when it was not pending any more (another
/// worker delivered it first), so the caller does not apply the delivery twice.
pub async fn outbox_mark_sent(tx: &mut Tx, msg_id: &str, at: &str) -> Result<bool, StoreError> {
    let mut sql = Sql::new(
        "UPDATE bank_outbox SET status = 'sent', attempts = attempts + 1, last_error = NULL, sent_at = ",
    );
    sql.bind(Bind::text(at))
        .push(" WHERE msg_id = ")
        .bind(Bind::text(msg_id))
        .push(" AND status = 'pending'");
    let changed = on_tx!(tx, conn => bound_query!(&sql).execute(&mut *conn).await?.rows_affected());
    Ok(changed == 1)
}

/// Records a failed attempt: the next one at `next_attempt_at`, or none (`give_up`: status
/// `failed`). Returns false when the message was not pending any more.
pub async fn outbox_mark_attempt_failed(
    tx: &mut Tx,
    msg_id: &str,
    next_attempt_at: &str,
    error: &str,
    give_up: bool,
) -> Result<bool, StoreError> {
    let mut sql = Sql::new("UPDATE bank_outbox SET attempts = attempts + 1, status = ");
    sql.bind(Bind::text(if give_up { "failed" } else { "pending" }))
        .push(", next_attempt_at = ")
        .bind(Bind::text(next_attempt_at))
        .push(", last_error = ")
        .bind(Bind::text(error))
        .push(" WHERE msg_id = ")
        .bind(Bind::text(msg_id))
        .push(" AND status = 'pending'");
    let changed = on_tx!(tx, conn => bound_query!(&sql).execute(&mut *conn).await?.rows_affected());
    Ok(changed == 1)
}

/// One message by id.
pub async fn outbox_message(db: &Db, msg_id: &str) -> Result<Option<OutboxRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {OUTBOX_COLUMNS} FROM bank_outbox WHERE msg_id = "
    ));
    sql.bind(Bind::text(msg_id));
    let row = on_db!(db, pool => match bound_query!(&sql).fetch_optional(pool).await? {
        Some(row) => Some(outbox_of(&row)?),
        None => None,
    });
    Ok(row)
}

/// Messages of a kind by status, counted: `[(status, n)]`.
pub async fn outbox_counts(db: &Db, kind: &str) -> Result<Vec<(String, i64)>, StoreError> {
    let mut sql = Sql::new("SELECT status, COUNT(*) FROM bank_outbox WHERE kind = ");
    sql.bind(Bind::text(kind))
        .push(" GROUP BY status ORDER BY status");
    let rows = on_db!(db, pool => {
        let rows = bound_query!(&sql).fetch_all(pool).await?;
        rows.iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect::<Result<Vec<_>, sqlx::Error>>()?
    });
    Ok(rows)
}

/// How many messages of a kind have a subject starting with `prefix` (the notices of one bank
/// and day, to number the next one).
pub async fn outbox_count_subject_prefix(
    tx: &mut Tx,
    kind: &str,
    prefix: &str,
) -> Result<i64, StoreError> {
    let mut sql = Sql::new("SELECT COUNT(*) FROM bank_outbox WHERE kind = ");
    sql.bind(Bind::text(kind))
        .push(" AND subject LIKE ")
        .bind(Bind::text(format!("{}%", crate::sql::like_escape(prefix))))
        .push(" ESCAPE '\\'");
    let count: i64 =
        on_tx!(tx, conn => bound_query!(&sql).fetch_one(&mut *conn).await?.try_get(0)?);
    Ok(count)
}
