//! The ledger writer: one task that applies transfer batches with group commit. Requests
//! queue on a channel; the task takes what has queued (up to `WRITER_JOBS_MAX`), runs each
//! request inside its own savepoint of ONE transaction — a refused request rolls back to its
//! savepoint and the others stand — and commits once. On SQLite this is the single writer
//! made fast: one commit carries many reservations (ADR 0008).

use fiscus_core::ledger::TransferSpec;
use fiscus_store::audit::{AuditEntry, append, now};
use fiscus_store::ledger::batch::{GroupRequest, apply_group};
use fiscus_store::ledger::{Applied, BatchMeta, apply_transfers};
use fiscus_store::{Db, Savepoint, StoreError, Tx};
use tokio::sync::{mpsc, oneshot};

use crate::AppError;

/// Requests one transaction carries at most.
pub const WRITER_JOBS_MAX: usize = 256;
/// Requests that may wait in the queue; senders wait beyond it (back-pressure).
pub const WRITER_QUEUE_MAX: usize = 4_096;

/// One request: its transfers succeed or fail together.
pub struct Job {
    pub transfers: Vec<TransferSpec>,
    pub batch_id: String,
    pub doc_id: Option<String>,
    pub actor: String,
    /// Written in the same savepoint when the transfers apply (warnings, for instance).
    pub audit: Vec<AuditEntry>,
    pub reply: oneshot::Sender<Result<Vec<Applied>, AppError>>,
}

/// A handle to the writer task. Cheap to clone.
#[derive(Clone)]
pub struct LedgerWriter {
    sender: mpsc::Sender<Job>,
}

impl LedgerWriter {
    /// Starts the task on the current tokio runtime.
    pub fn start(db: Db) -> LedgerWriter {
        let (sender, receiver) = mpsc::channel(WRITER_QUEUE_MAX);
        tokio::spawn(run(db, receiver));
        LedgerWriter { sender }
    }

    pub async fn submit(&self, job: Job) -> Result<(), AppError> {
        self.sender
            .send(job)
            .await
            .map_err(|_| AppError::Internal("ledger writer stopped".into()))
    }
}

async fn run(db: Db, mut receiver: mpsc::Receiver<Job>) {
    while let Some(first) = receiver.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < WRITER_JOBS_MAX {
            match receiver.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        run_batch(&db, jobs).await;
    }
}

async fn run_batch(db: &Db, jobs: Vec<Job>) {
    // The group path first: a constant number of statements for the whole batch.
    match run_group(db, &jobs).await {
        Ok(results) => {
            for (job, result) in jobs.into_iter().zip(results) {
                let _ = job.reply.send(result);
            }
            return;
        }
        Err(error) => {
            tracing::warn!(%error, n_jobs = jobs.len(), "ledger group fell back to one by one");
        }
    }
    let mut tx = match db.begin().await {
        Ok(tx) => tx,
        Err(error) => {
            fail_all(jobs, &error.to_string());
            return;
        }
    };
    let at = now();
    let mut results = Vec::with_capacity(jobs.len());
    for job in &jobs {
        match run_job(&mut tx, job, &at).await {
            Ok(result) => results.push(result),
            Err(error) => {
                // The transaction itself failed: nothing of this batch is written.
                drop(tx);
                fail_all(jobs, &error.to_string());
                return;
            }
        }
    }
    if let Err(error) = tx.commit().await {
        fail_all(jobs, &error.to_string());
        return;
    }
    for (job, result) in jobs.into_iter().zip(results) {
        let _ = job.reply.send(result);
    }
}

/// The whole batch through `apply_group` in one transaction, committed. Any error rolls the
/// transaction back (nothing of it is written) and the caller goes one by one.
async fn run_group(
    db: &Db,
    jobs: &[Job],
) -> Result<Vec<Result<Vec<Applied>, AppError>>, StoreError> {
    let at = now();
    let requests: Vec<GroupRequest<'_>> = jobs
        .iter()
        .map(|job| GroupRequest {
            transfers: &job.transfers,
            meta: BatchMeta {
                batch_id: &job.batch_id,
                doc_id: job.doc_id.as_deref(),
                actor: &job.actor,
                at: &at,
            },
        })
        .collect();
    let mut tx = db.begin().await?;
    let outcomes = apply_group(&mut tx, &requests).await?;
    for (job, outcome) in jobs.iter().zip(&outcomes) {
        if outcome.is_ok() {
            for entry in &job.audit {
                append(&mut tx, entry).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(outcomes
        .into_iter()
        .map(|outcome| outcome.map_err(AppError::from))
        .collect())
}

/// Runs one request in its savepoint. The outer error is a failure of the transaction; the
/// inner result is the request's own outcome.
async fn run_job(
    tx: &mut Tx,
    job: &Job,
    at: &str,
) -> Result<Result<Vec<Applied>, AppError>, StoreError> {
    // A concurrent request (PostgreSQL) may insert the same transfer id first: the second
    // attempt then finds it and reports a repeat.
    for attempt in 0..2 {
        tx.savepoint(Savepoint::Set).await?;
        let meta = BatchMeta {
            batch_id: &job.batch_id,
            doc_id: job.doc_id.as_deref(),
            actor: &job.actor,
            at,
        };
        let mut outcome = apply_transfers(tx, &job.transfers, meta).await;
        if outcome.is_ok() {
            for entry in &job.audit {
                if let Err(error) = append(tx, entry).await {
                    outcome = Err(error);
                    break;
                }
            }
        }
        match outcome {
            Ok(applied) => {
                tx.savepoint(Savepoint::Release).await?;
                return Ok(Ok(applied));
            }
            Err(error) => {
                tx.savepoint(Savepoint::RollBackTo).await?;
                tx.savepoint(Savepoint::Release).await?;
                if matches!(error, StoreError::UniqueViolation) && attempt == 0 {
                    continue;
                }
                return Ok(Err(AppError::from(error)));
            }
        }
    }
    Ok(Err(AppError::Internal(
        "ledger request kept colliding".into(),
    )))
}

fn fail_all(jobs: Vec<Job>, error: &str) {
    tracing::error!(error, n_jobs = jobs.len(), "ledger batch failed");
    for job in jobs {
        let _ = job
            .reply
            .send(Err(AppError::Internal(format!("ledger batch: {error}"))));
    }
}
