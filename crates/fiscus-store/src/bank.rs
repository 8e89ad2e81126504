//! Storage of the bank messaging machinery (ADR 0009): the durable job queue (`job`), claimed
//! with a conditional UPDATE so that two workers never run the same job, and in `bank/` the
//! outbox of the messages we send, the inbox of the messages we received and the
//! reconciliation's findings. The use cases are `fiscus_app::bank`.

mod inbox;
mod outbox;
mod reconcile;
#[cfg(test)]
mod tests;

use sqlx::Row;

use crate::sql::{Bind, Sql};
use crate::{Db, StoreError, Tx, bound_query, on_db, on_tx};

pub use inbox::*;
pub use outbox::*;
pub use reconcile::*;

/// One job as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRow {
    pub job_id: String,
    pub kind: String,
    pub job_key: String,
    /// The kind's parameters, JSON.
    pub payload: String,
    pub run_at: String,
    pub attempts: i64,
    pub attempts_max: i64,
    /// queued | running | done | failed.
    pub status: String,
    pub last_error: Option<String>,
}

/// A job to queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewJob<'a> {
    pub job_id: &'a str,
    pub kind: &'a str,
    pub job_key: &'a str,
    pub payload: &'a str,
    pub run_at: &'a str,
    pub attempts_max: i64,
}

/// Appends `(b1, b2, …)` to `sql`.
pub(crate) fn push_values(sql: &mut Sql, binds: impl IntoIterator<Item = Bind>) {
    for (index, bind) in binds.into_iter().enumerate() {
        if index > 0 {
            sql.push(", ");
        }
        sql.bind(bind);
    }
    sql.push(")");
}

const JOB_COLUMNS: &str =
    "job_id, kind, job_key, payload, run_at, attempts, attempts_max, status, last_error";

fn job_of<R>(row: &R) -> Result<JobRow, sqlx::Error>
where
    R: Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(JobRow {
        job_id: row.try_get(0)?,
        kind: row.try_get(1)?,
        job_key: row.try_get(2)?,
        payload: row.try_get(3)?,
        run_at: row.try_get(4)?,
        attempts: row.try_get(5)?,
        attempts_max: row.try_get(6)?,
        status: row.try_get(7)?,
        last_error: row.try_get(8)?,
    })
}

fn job_insert_sql(job: &NewJob<'_>, at: &str) -> Sql {
    let mut sql = Sql::new(
        "INSERT INTO job (job_id, kind, job_key, payload, run_at, attempts, attempts_max, status, created_at, updated_at) SELECT ",
    );
    for (index, bind) in [
        Bind::text(job.job_id),
        Bind::text(job.kind),
        Bind::text(job.job_key),
        Bind::text(job.payload),
        Bind::text(job.run_at),
    ]
    .into_iter()
    .enumerate()
    {
        if index > 0 {
            sql.push(", ");
        }
        sql.bind(bind);
    }
    sql.push(", 0, ")
        .bind(Bind::Int(Some(job.attempts_max)))
        .push(", 'queued', ")
        .bind(Bind::text(at))
        .push(", ")
        .bind(Bind::text(at));
    sql
}

/// Queues a job unless one with the same key is already waiting (`queued`); a running one
/// does not count, so work that arrives during a run gets its own run. Returns whether a row
/// was inserted.
pub async fn job_queue(tx: &mut Tx, job: &NewJob<'_>, at: &str) -> Result<bool, StoreError> {
    let mut sql = job_insert_sql(job, at);
    sql.push(" WHERE NOT EXISTS (SELECT 1 FROM job WHERE status = 'queued' AND job_key = ")
        .bind(Bind::text(job.job_key))
        .push(") ON CONFLICT DO NOTHING");
    let inserted =
        on_tx!(tx, conn => bound_query!(&sql).execute(&mut *conn).await?.rows_affected());
    Ok(inserted > 0)
}

/// Queues a job unless a job with the same key exists in any state: once per key (the
/// clearing of one day, the reconciliation of one day).
pub async fn job_queue_once(tx: &mut Tx, job: &NewJob<'_>, at: &str) -> Result<bool, StoreError> {
    let mut sql = job_insert_sql(job, at);
    sql.push(" WHERE NOT EXISTS (SELECT 1 FROM job WHERE job_key = ")
        .bind(Bind::text(job.job_key))
        .push(") ON CONFLICT DO NOTHING");
    let inserted =
        on_tx!(tx, conn => bound_query!(&sql).execute(&mut *conn).await?.rows_affected());
    Ok(inserted > 0)
}

/// Jobs that may be claimed now: queued and due, or running with a lease that ran out (their
/// worker died), oldest first.
pub async fn jobs_due(db: &Db, now: &str, limit: i64) -> Result<Vec<JobRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {JOB_COLUMNS} FROM job WHERE (status = 'queued' AND run_at <= "
    ));
    sql.bind(Bind::text(now))
        .push(") OR (status = 'running' AND locked_until < ")
        .bind(Bind::text(now))
        .push(") ORDER BY run_at, job_id LIMIT ")
        .bind(Bind::Int(Some(limit)));
    let rows = on_db!(db, pool => {
        let rows = bound_query!(&sql).fetch_all(pool).await?;
        rows.iter().map(job_of).collect::<Result<Vec<_>, _>>()?
    });
    Ok(rows)
}

/// Claims a job: one conditional UPDATE that succeeds only while the job is still claimable,
/// so of two workers exactly one gets it. Counts the attempt and sets the lease.
pub async fn job_claim(
    tx: &mut Tx,
    job_id: &str,
    now: &str,
    locked_until: &str,
) -> Result<bool, StoreError> {
    let mut sql =
        Sql::new("UPDATE job SET status = 'running', attempts = attempts + 1, locked_until = ");
    sql.bind(Bind::text(locked_until))
        .push(", updated_at = ")
        .bind(Bind::text(now))
        .push(" WHERE job_id = ")
        .bind(Bind::text(job_id))
        .push(" AND ((status = 'queued' AND run_at <= ")
        .bind(Bind::text(now))
        .push(") OR (status = 'running' AND locked_until < ")
        .bind(Bind::text(now))
        .push("))");
    let claimed = on_tx!(tx, conn => bound_query!(&sql).execute(&mut *conn).await?.rows_affected());
    Ok(claimed == 1)
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobEnd<'a> {
    Done,
    /// Failed this time; runs again at `run_at`.
    Retry {
        run_at: &'a str,
        error: &'a str,
    },
    /// Failed for good (attempts exhausted, or a permanent error).
    Failed {
        error: &'a str,
    },
}

/// Records the end of a run of a job this worker holds.
pub async fn job_end(
    tx: &mut Tx,
    job_id: &str,
    end: &JobEnd<'_>,
    now: &str,
) -> Result<(), StoreError> {
    let (status, run_at, error) = match end {
        JobEnd::Done => ("done", None, None),
        JobEnd::Retry { run_at, error } => ("queued", Some(*run_at), Some(*error)),
        JobEnd::Failed { error } => ("failed", None, Some(*error)),
    };
    if let JobEnd::Retry { error, .. } = end {
        // The same work is already waiting under the same key: that job does it, this one
        // ends here (re-queuing it would make two waiting jobs of one key).
        let mut sql =
            Sql::new("UPDATE job SET status = 'done', locked_until = NULL, last_error = ");
        sql.bind(Bind::text(format!("superseded by a waiting job: {error}")))
            .push(", updated_at = ")
            .bind(Bind::text(now))
            .push(" WHERE job_id = ")
            .bind(Bind::text(job_id))
            .push(" AND status = 'running' AND EXISTS (SELECT 1 FROM job other WHERE other.status = 'queued' AND other.job_key = job.job_key)");
        let superseded =
            on_tx!(tx, conn => bound_query!(&sql).execute(&mut *conn).await?.rows_affected());
        if superseded > 0 {
            return Ok(());
        }
    }
    let mut sql = Sql::new("UPDATE job SET status = ");
    sql.bind(Bind::text(status))
        .push(", locked_until = NULL, last_error = ")
        .bind(Bind::Text(error.map(str::to_owned)))
        .push(", run_at = COALESCE(")
        .bind(Bind::Text(run_at.map(str::to_owned)))
        .push(", run_at), updated_at = ")
        .bind(Bind::text(now))
        .push(" WHERE job_id = ")
        .bind(Bind::text(job_id))
        .push(" AND status = 'running'");
    on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    Ok(())
}

/// One job by id.
pub async fn job(db: &Db, job_id: &str) -> Result<Option<JobRow>, StoreError> {
    let mut sql = Sql::new(&format!("SELECT {JOB_COLUMNS} FROM job WHERE job_id = "));
    sql.bind(Bind::text(job_id));
    let row = on_db!(db, pool => match bound_query!(&sql).fetch_optional(pool).await? {
        Some(row) => Some(job_of(&row)?),
        None => None,
    });
    Ok(row)
}

/// Jobs by status, counted: `[(status, n)]`.
pub async fn job_counts(db: &Db) -> Result<Vec<(String, i64)>, StoreError> {
    let sql = Sql::new("SELECT status, COUNT(*) FROM job GROUP BY status ORDER BY status");
    let rows = on_db!(db, pool => {
        let rows = bound_query!(&sql).fetch_all(pool).await?;
        rows.iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect::<Result<Vec<_>, sqlx::Error>>()?
    });
    Ok(rows)
}
