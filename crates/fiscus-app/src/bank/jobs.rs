//! The durable job queue and its worker (STYLE.md practice 17). `App::jobs_run_due(now)` is
//! one step of the worker — tests drain the queue step by step with it — and `jobs_worker`
//! is the loop `fiscus serve` runs until shutdown. One step packages the ready vouchers into
//! the outbox, delivers the outbox's due messages, then claims and runs the due jobs
//! (`send_clearing`, `reconcile`; `send_vouchers`, queued on final approval, only wakes the
//! step, which sends ready vouchers anyway).

use std::time::Duration;

use fiscus_store::bank::{self as store, JobEnd, JobRow, NewJob};
use fiscus_store::{Db, Tx};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::{App, AppError};

/// Attempts of a job before it fails for good.
pub const JOB_ATTEMPTS_MAX: i64 = 8;
/// How long a claimed job belongs to its worker; past it another worker takes it again.
pub const JOB_LEASE_SECONDS: i64 = 300;
/// Jobs one step claims at most.
pub const JOBS_PER_STEP_MAX: i64 = 16;
/// The first retry waits this long, each next one twice as long, up to `BACKOFF_SECONDS_MAX`.
pub const BACKOFF_SECONDS_BASE: i64 = 1;
pub const BACKOFF_SECONDS_MAX: i64 = 600;
/// How long the worker sleeps after a step that found nothing to do.
pub const JOBS_IDLE_MILLIS: u64 = 100;

/// What a job does, with its parameters (stored as the job's payload).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobKind {
    /// Send the ready vouchers (queued on final approval).
    SendVouchers,
    /// The 清算额度通知单 of one day, one per agency bank.
    SendClearing { clear_date: String },
    /// Compare one day's bank statement with our vouchers.
    Reconcile { recon_date: String },
}

impl JobKind {
    pub fn code(&self) -> &'static str {
        match self {
            JobKind::SendVouchers => "send_vouchers",
            JobKind::SendClearing { .. } => "send_clearing",
            JobKind::Reconcile { .. } => "reconcile",
        }
    }

    /// The dedupe key: one waiting job per key.
    pub fn key(&self) -> String {
        match self {
            JobKind::SendVouchers => "send_vouchers".into(),
            JobKind::SendClearing { clear_date } => format!("send_clearing:{clear_date}"),
            JobKind::Reconcile { recon_date } => format!("reconcile:{recon_date}"),
        }
    }
}

/// What one step did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobsRun {
    /// Vouchers put into new outbox envelopes.
    pub vouchers_packaged: usize,
    /// Outbox messages delivered (the receiver answered 200).
    pub messages_sent: usize,
    /// Delivery attempts that failed and will be retried (or were given up).
    pub messages_failed: usize,
    pub jobs_done: usize,
    pub jobs_retried: usize,
    pub jobs_failed: usize,
}

impl JobsRun {
    /// Nothing happened: the worker may sleep.
    pub fn is_idle(&self) -> bool {
        *self == JobsRun::default()
    }
}

/// Time as stored: UTC RFC 3339 with seconds (fixed width, so text order is time order).
pub fn stamp(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    at.replace_nanosecond(0)
        .unwrap_or(at)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// The wait before attempt `attempts + 1`: exponential from `BACKOFF_SECONDS_BASE`, capped.
pub fn backoff(attempts: i64) -> time::Duration {
    let exponent = attempts.clamp(0, 20) as u32;
    let seconds = BACKOFF_SECONDS_BASE
        .saturating_mul(1_i64 << exponent)
        .min(BACKOFF_SECONDS_MAX);
    time::Duration::seconds(seconds)
}

pub(crate) fn new_id(prefix: &str) -> Result<String, AppError> {
    Ok(format!(
        "{prefix}{}",
        hex::encode(crate::crypto::random_bytes::<12>()?)
    ))
}

/// Queues a job in the caller's transaction (final approval queues `send_vouchers` this way):
/// nothing is queued when the same job is already waiting.
pub async fn queue_in_tx(
    tx: &mut Tx,
    job: &JobKind,
    run_at: OffsetDateTime,
) -> Result<bool, AppError> {
    let payload = serde_json::to_string(job).map_err(|e| AppError::Internal(e.to_string()))?;
    let job_id = new_id("job")?;
    let key = job.key();
    let new = NewJob {
        job_id: &job_id,
        kind: job.code(),
        job_key: &key,
        payload: &payload,
        run_at: &stamp(run_at),
        attempts_max: JOB_ATTEMPTS_MAX,
    };
    Ok(store::job_queue(tx, &new, &stamp(OffsetDateTime::now_utc())).await?)
}

/// Queues a job unless one with its key ever existed (the daily clearing and reconciliation).
pub async fn queue_once(db: &Db, job: &JobKind, run_at: OffsetDateTime) -> Result<bool, AppError> {
    let payload = serde_json::to_string(job).map_err(|e| AppError::Internal(e.to_string()))?;
    let job_id = new_id("job")?;
    let key = job.key();
    let new = NewJob {
        job_id: &job_id,
        kind: job.code(),
        job_key: &key,
        payload: &payload,
        run_at: &stamp(run_at),
        attempts_max: JOB_ATTEMPTS_MAX,
    };
    let mut tx = db.begin().await?;
    let queued = store::job_queue_once(&mut tx, &new, &stamp(OffsetDateTime::now_utc())).await?;
    tx.commit().await?;
    Ok(queued)
}

impl App {
    /// Queues a job in its own transaction; false when the same job is already waiting.
    pub async fn jobs_queue(
        &self,
        job: &JobKind,
        run_at: OffsetDateTime,
    ) -> Result<bool, AppError> {
        let mut tx = self.db.begin().await?;
        let queued = queue_in_tx(&mut tx, job, run_at).await?;
        tx.commit().await?;
        Ok(queued)
    }

    /// One step of the worker at `now` (see the module comment).
    pub async fn jobs_run_due(&self, now: OffsetDateTime) -> Result<JobsRun, AppError> {
        let mut run = JobsRun::default();
        // Without links (no [bank] settings) nothing can be sealed or sent: vouchers wait.
        if self.bank_links().is_ok() {
            run.vouchers_packaged = self.bank_package_vouchers(now).await?;
            let (sent, failed) = self.bank_deliver_outbox(now).await?;
            run.messages_sent = sent;
            run.messages_failed = failed;
        }
        let due = store::jobs_due(&self.db, &stamp(now), JOBS_PER_STEP_MAX).await?;
        for job in due {
            let lease = now + time::Duration::seconds(JOB_LEASE_SECONDS);
            let mut tx = self.db.begin().await?;
            let claimed =
                store::job_claim(&mut tx, &job.job_id, &stamp(now), &stamp(lease)).await?;
            tx.commit().await?;
            if !claimed {
                continue; // another worker took it
            }
            self.run_claimed(&job, now, &mut run).await?;
        }
        Ok(run)
    }

    async fn run_claimed(
        &self,
        job: &JobRow,
        now: OffsetDateTime,
        run: &mut JobsRun,
    ) -> Result<(), AppError> {
        let span = tracing::info_span!("job", job_id = %job.job_id, kind = %job.kind, attempt = job.attempts + 1);
        let _entered = span.enter();
        let result = match serde_json::from_str::<JobKind>(&job.payload) {
            Ok(kind) => self.run_job(&kind, now).await,
            Err(error) => Err(AppError::Internal(format!("job payload: {error}"))),
        };
        let error_text;
        let retry_at;
        let end = match &result {
            Ok(()) => JobEnd::Done,
            Err(error) => {
                error_text = error.to_string();
                // `attempts` was counted by the claim: this run is attempt `attempts + 1`.
                if job.attempts + 1 >= job.attempts_max {
                    tracing::warn!(error = %error_text, "job failed for good");
                    JobEnd::Failed { error: &error_text }
                } else {
                    tracing::info!(error = %error_text, "job failed, will retry");
                    retry_at = stamp(now + backoff(job.attempts));
                    JobEnd::Retry {
                        run_at: &retry_at,
                        error: &error_text,
                    }
                }
            }
        };
        match end {
            JobEnd::Done => run.jobs_done += 1,
            JobEnd::Retry { .. } => run.jobs_retried += 1,
            JobEnd::Failed { .. } => run.jobs_failed += 1,
        }
        let mut tx = self.db.begin().await?;
        store::job_end(&mut tx, &job.job_id, &end, &stamp(now)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn run_job(&self, kind: &JobKind, now: OffsetDateTime) -> Result<(), AppError> {
        match kind {
            // The step already packaged and delivered the ready vouchers.
            JobKind::SendVouchers => Ok(()),
            JobKind::SendClearing { clear_date } => {
                self.bank_send_clearing(clear_date, now).await.map(|_| ())
            }
            JobKind::Reconcile { recon_date } => {
                self.bank_reconcile(recon_date, now).await.map(|_| ())
            }
        }
    }
}

/// The worker of `fiscus serve`: steps while there is work, sleeps `JOBS_IDLE_MILLIS` when
/// there is none, queues each day's clearing and reconciliation of the day before, and
/// returns when `stop` turns true (a step in progress finishes first).
pub async fn jobs_worker(app: App, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut scheduled_for: Option<time::Date> = None;
    loop {
        let now = OffsetDateTime::now_utc();
        if scheduled_for != Some(now.date()) {
            let yesterday = (now - time::Duration::days(1)).date().to_string();
            let daily = [
                JobKind::SendClearing {
                    clear_date: yesterday.clone(),
                },
                JobKind::Reconcile {
                    recon_date: yesterday,
                },
            ];
            let mut all_queued = true;
            for job in &daily {
                if let Err(error) = queue_once(&app.db, job, now).await {
                    tracing::warn!(%error, "queuing the daily job failed");
                    all_queued = false;
                }
            }
            if all_queued {
                scheduled_for = Some(now.date());
            }
        }
        let busy = match app.jobs_run_due(now).await {
            Ok(run) => !run.is_idle(),
            Err(error) => {
                tracing::warn!(%error, "a step of the job worker failed");
                false
            }
        };
        if *stop.borrow() {
            return;
        }
        if !busy {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(JOBS_IDLE_MILLIS)) => {}
                _ = stop.changed() => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_stops_at_its_cap() {
        assert_eq!(backoff(0), time::Duration::seconds(1));
        assert_eq!(backoff(3), time::Duration::seconds(8));
        assert_eq!(backoff(40), time::Duration::seconds(BACKOFF_SECONDS_MAX));
        let at = OffsetDateTime::from_unix_timestamp(1_790_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        assert_eq!(stamp(at).len(), "2026-09-21T10:13:20Z".len());
    }
}
