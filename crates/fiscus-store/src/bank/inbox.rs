//! The inbox (`bank_inbox`): one row per message id received and applied. Its primary key
//! makes a repeat visible inside the transaction that would apply it a second time.

use sqlx::Row;

use super::push_values;
use crate::sql::{Bind, Sql};
use crate::{Db, StoreError, Tx, bound_query, on_db, on_tx};

/// One received message as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboxRow {
    pub msg_id: String,
    pub kind: String,
    pub sender: String,
    pub subject: String,
    pub received_at: String,
    /// applied | conflict.
    pub outcome: String,
    pub detail: String,
    pub resolved_at: Option<String>,
}

const INBOX_COLUMNS: &str =
    "msg_id, kind, sender, subject, received_at, outcome, detail, resolved_at";

fn inbox_of<R>(row: &R) -> Result<InboxRow, sqlx::Error>
where
    R: Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(InboxRow {
        msg_id: row.try_get(0)?,
        kind: row.try_get(1)?,
        sender: row.try_get(2)?,
        subject: row.try_get(3)?,
        received_at: row.try_get(4)?,
        outcome: row.try_get(5)?,
        detail: row.try_get(6)?,
        resolved_at: row.try_get(7)?,
    })
}

/// Inserts the row unless its msg_id is there already; returns whether it was inserted. On
/// PostgreSQL a concurrent insert of the same id waits for the other transaction and then
/// reports the repeat.
pub async fn inbox_insert(tx: &mut Tx, row: &InboxRow) -> Result<bool, StoreError> {
    let mut sql = Sql::new(&format!(
        "INSERT INTO bank_inbox ({INBOX_COLUMNS}) VALUES ("
    ));
    push_values(
        &mut sql,
        [
            Bind::text(row.msg_id.clone()),
            Bind::text(row.kind.clone()),
            Bind::text(row.sender.clone()),
            Bind::text(row.subject.clone()),
            Bind::text(row.received_at.clone()),
            Bind::text(row.outcome.clone()),
            Bind::text(row.detail.clone()),
            Bind::Text(row.resolved_at.clone()),
        ],
    );
    sql.push(" ON CONFLICT (msg_id) DO NOTHING");
    let inserted =
        on_tx!(tx, conn => bound_query!(&sql).execute(&mut *conn).await?.rows_affected());
    Ok(inserted == 1)
}

/// One received message, read inside the transaction (a repeat's first outcome).
pub async fn inbox_message(tx: &mut Tx, msg_id: &str) -> Result<Option<InboxRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {INBOX_COLUMNS} FROM bank_inbox WHERE msg_id = "
    ));
    sql.bind(Bind::text(msg_id));
    let row = on_tx!(tx, conn => match bound_query!(&sql).fetch_optional(&mut *conn).await? {
        Some(row) => Some(inbox_of(&row)?),
        None => None,
    });
    Ok(row)
}

/// Sets the outcome of a message received in this transaction.
pub async fn inbox_set_outcome(
    tx: &mut Tx,
    msg_id: &str,
    outcome: &str,
    detail: &str,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE bank_inbox SET outcome = ");
    sql.bind(Bind::text(outcome))
        .push(", detail = ")
        .bind(Bind::text(detail))
        .push(" WHERE msg_id = ")
        .bind(Bind::text(msg_id));
    on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    Ok(())
}

/// Conflicts not yet resolved, newest first: the list of the treasury page.
pub async fn inbox_open_conflicts(db: &Db, limit: i64) -> Result<Vec<InboxRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {INBOX_COLUMNS} FROM bank_inbox WHERE outcome = 'conflict' AND resolved_at IS NULL ORDER BY received_at DESC, msg_id LIMIT "
    ));
    sql.bind(Bind::Int(Some(limit)));
    let rows = on_db!(db, pool => {
        let rows = bound_query!(&sql).fetch_all(pool).await?;
        rows.iter().map(inbox_of).collect::<Result<Vec<_>, _>>()?
    });
    Ok(rows)
}

/// Closes a conflict (someone at the treasury division dealt with it).
pub async fn inbox_resolve(tx: &mut Tx, msg_id: &str, at: &str) -> Result<bool, StoreError> {
    let mut sql = Sql::new("UPDATE bank_inbox SET resolved_at = ");
    sql.bind(Bind::text(at))
        .push(" WHERE msg_id = ")
        .bind(Bind::text(msg_id))
        .push(" AND outcome = 'conflict' AND resolved_at IS NULL");
    let changed = on_tx!(tx, conn => bound_query!(&sql).execute(&mut *conn).await?.rows_affected());
    Ok(changed == 1)
}

/// Received messages by kind and outcome, counted: `[(kind, outcome, n)]`.
pub async fn inbox_counts(db: &Db) -> Result<Vec<(String, String, i64)>, StoreError> {
    let sql = Sql::new(
        "SELECT kind, outcome, COUNT(*) FROM bank_inbox GROUP BY kind, outcome ORDER BY kind, outcome",
    );
    let rows = on_db!(db, pool => {
        let rows = bound_query!(&sql).fetch_all(pool).await?;
        rows.iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
            .collect::<Result<Vec<_>, sqlx::Error>>()?
    });
    Ok(rows)
}
