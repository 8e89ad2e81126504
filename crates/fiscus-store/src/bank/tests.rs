//! Tests of the bank machinery's storage on both backends: a job is claimed once, queuing
//! dedupes, a lease that ran out is taken again; the outbox is delivered once; the inbox sees
//! a repeat; a reconciliation rerun resolves what is gone.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use super::*;
use crate::testing::TestDb;

const T0: &str = "2026-11-05T10:00:00Z";
const T1: &str = "2026-11-05T10:00:01Z";
const T9: &str = "2026-11-05T10:09:00Z";

fn new_job<'a>(job_id: &'a str, key: &'a str) -> NewJob<'a> {
    NewJob {
        job_id,
        kind: "reconcile",
        job_key: key,
        payload: "{}",
        run_at: T0,
        attempts_max: 3,
    }
}

async fn jobs_are_claimed_once_and_deduped(test_db: TestDb) {
    let db = &test_db.db;
    let mut tx = db.begin().await.unwrap();
    assert!(job_queue(&mut tx, &new_job("j1", "k"), T0).await.unwrap());
    assert!(
        !job_queue(&mut tx, &new_job("j2", "k"), T0).await.unwrap(),
        "one waiting per key"
    );
    assert!(
        job_queue_once(&mut tx, &new_job("j3", "once"), T0)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    let due = jobs_due(db, T1, 10).await.unwrap();
    assert_eq!(due.len(), 2);
    // Two claims of the same job: exactly one wins.
    let mut tx = db.begin().await.unwrap();
    assert!(
        job_claim(&mut tx, "j1", T1, "2026-11-05T10:05:00Z")
            .await
            .unwrap()
    );
    assert!(
        !job_claim(&mut tx, "j1", T1, "2026-11-05T10:05:00Z")
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    // While j1 runs, the same key may wait again; a job_queue_once key never repeats.
    let mut tx = db.begin().await.unwrap();
    assert!(job_queue(&mut tx, &new_job("j4", "k"), T1).await.unwrap());
    job_end(&mut tx, "j3", &JobEnd::Done, T1).await.unwrap();
    assert!(
        !job_queue_once(&mut tx, &new_job("j5", "once"), T1)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    // The worker holding j1 died: after its lease, j1 is due again and claimable.
    let due: Vec<String> = jobs_due(db, T9, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.job_id)
        .collect();
    assert!(due.contains(&"j1".to_owned()), "{due:?}");
    let mut tx = db.begin().await.unwrap();
    assert!(
        job_claim(&mut tx, "j1", T9, "2026-11-05T10:14:00Z")
            .await
            .unwrap()
    );
    job_end(
        &mut tx,
        "j1",
        &JobEnd::Retry {
            run_at: T9,
            error: "bank down",
        },
        T9,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // j4 waits under the same key: j1's retry is left to it.
    let j1 = job(db, "j1").await.unwrap().unwrap();
    assert_eq!((j1.status.as_str(), j1.attempts), ("done", 2));
    let mut tx = db.begin().await.unwrap();
    assert!(
        job_claim(&mut tx, "j4", T9, "2026-11-05T10:14:00Z")
            .await
            .unwrap()
    );
    job_end(
        &mut tx,
        "j4",
        &JobEnd::Retry {
            run_at: T9,
            error: "bank down",
        },
        T9,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let j4 = job(db, "j4").await.unwrap().unwrap();
    assert_eq!((j4.status.as_str(), j4.attempts), ("queued", 1));
    assert_eq!(j4.last_error.as_deref(), Some("bank down"));
}

async fn outbox_and_inbox_apply_once(test_db: TestDb) {
    let db = &test_db.db;
    let row = OutboxRow {
        msg_id: "m1".into(),
        kind: "voucher".into(),
        destination: "bank".into(),
        subject: "[]".into(),
        envelope: "<MOF/>".into(),
        status: "pending".into(),
        attempts: 0,
        next_attempt_at: T0.into(),
        last_error: None,
        created_at: T0.into(),
        sent_at: None,
    };
    let mut tx = db.begin().await.unwrap();
    outbox_insert(&mut tx, &row).await.unwrap();
    assert!(
        outbox_mark_attempt_failed(&mut tx, "m1", T9, "refused", false)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    assert!(
        outbox_due(db, T1, 10).await.unwrap().is_empty(),
        "backing off"
    );
    assert_eq!(outbox_due(db, T9, 10).await.unwrap().len(), 1);
    let mut tx = db.begin().await.unwrap();
    assert!(outbox_mark_sent(&mut tx, "m1", T9).await.unwrap());
    assert!(
        !outbox_mark_sent(&mut tx, "m1", T9).await.unwrap(),
        "delivered once"
    );
    tx.commit().await.unwrap();
    assert_eq!(outbox_message(db, "m1").await.unwrap().unwrap().attempts, 2);

    let received = InboxRow {
        msg_id: "b1".into(),
        kind: "receipt".into(),
        sender: "bank".into(),
        subject: "V1".into(),
        received_at: T0.into(),
        outcome: "applied".into(),
        detail: String::new(),
        resolved_at: None,
    };
    let mut tx = db.begin().await.unwrap();
    assert!(inbox_insert(&mut tx, &received).await.unwrap());
    inbox_set_outcome(&mut tx, "b1", "conflict", "already returned")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = db.begin().await.unwrap();
    assert!(!inbox_insert(&mut tx, &received).await.unwrap(), "a repeat");
    let first = inbox_message(&mut tx, "b1").await.unwrap().unwrap();
    assert_eq!(first.outcome, "conflict");
    drop(tx);
    assert_eq!(inbox_open_conflicts(db, 10).await.unwrap().len(), 1);
}

async fn reconciliation_reruns_resolve(test_db: TestDb) {
    let db = &test_db.db;
    let item = |no: &str, kind: &str| ReconItemRow {
        recon_date: "2026-11-05".into(),
        pay_cert_no: no.into(),
        kind: kind.into(),
        bank_code: "B".into(),
        ours: "paid 1.00".into(),
        theirs: String::new(),
        found_at: T0.into(),
        resolved_at: None,
    };
    let run = |n: i64, at: &str| ReconRunRow {
        recon_date: "2026-11-05".into(),
        bank_code: "B".into(),
        n_ours: 2,
        n_theirs: 2,
        n_mismatches: n,
        ran_at: at.into(),
    };
    let mut tx = db.begin().await.unwrap();
    recon_save(
        &mut tx,
        &run(2, T0),
        &[item("V1", "missing_at_bank"), item("V2", "amount_differs")],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(recon_open_count(db).await.unwrap(), 2);
    let mut tx = db.begin().await.unwrap();
    recon_save(&mut tx, &run(1, T1), &[item("V2", "amount_differs")])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(recon_open_count(db).await.unwrap(), 1);
    assert_eq!(recon_items(db, None, false, 10).await.unwrap().len(), 2);
    assert_eq!(recon_runs(db, 10).await.unwrap()[0].n_mismatches, 1);
}

crate::on_both_backends!(
    jobs_are_claimed_once_and_deduped,
    outbox_and_inbox_apply_once,
    reconciliation_reruns_resolve,
);
