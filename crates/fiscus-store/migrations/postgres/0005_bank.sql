-- 0005 bank: the machinery of the messages exchanged with the agency bank and the PBOC
-- treasury (ADR 0009) — a durable job queue, the outbox of the messages we send (a resend
-- after a crash reuses the same msg_id), the inbox of the messages we received (msg_id is the
-- sender's idempotency key) and the daily reconciliation's findings.
-- Append-only: never edit an applied migration; add 0006_… instead.
-- Timestamps are UTC RFC 3339 text with seconds (fixed width, so text order is time order).

-- Background work: one row per job. A worker claims a job with a conditional UPDATE (status
-- and lease in the WHERE clause), so two workers never run the same job; a worker that died
-- leaves a `running` row whose lease ran out, and the next worker takes it again.
CREATE TABLE job (
    job_id       TEXT PRIMARY KEY,
    -- send_vouchers | send_clearing | reconcile | send_outbox.
    kind         TEXT NOT NULL,
    -- At most one queued job per key: queuing a job that is already waiting does nothing.
    job_key      TEXT NOT NULL,
    -- The kind's parameters, JSON.
    payload      TEXT NOT NULL,
    run_at       TEXT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    attempts_max BIGINT NOT NULL,
    -- queued | running | done | failed.
    status       TEXT NOT NULL,
    -- While running: the worker's lease; past it, the job is taken again.
    locked_until TEXT,
    last_error   TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX job_due ON job (status, run_at);
CREATE UNIQUE INDEX job_queued_key ON job (job_key) WHERE status = 'queued';

-- Every message we send, sealed (signed, body encrypted) once: retries send the same
-- envelope with the same msg_id, so the receiver can recognise a repeat.
CREATE TABLE bank_outbox (
    msg_id          TEXT PRIMARY KEY,
    -- The `MessageKind` code (voucher, clearing_notice).
    kind            TEXT NOT NULL,
    -- bank | pboc: where it goes.
    destination     TEXT NOT NULL,
    -- What the message carries, for lookups (the pay_cert_ids of a voucher envelope, JSON,
    -- or the notice number).
    subject         TEXT NOT NULL,
    envelope        TEXT NOT NULL,
    -- pending | sent | failed (gave up after attempts_max; its vouchers were released).
    status          TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX bank_outbox_due ON bank_outbox (status, next_attempt_at);

-- Every message we received and applied, once. A repeat of a msg_id finds its row and is
-- answered with the first outcome; nothing else is written.
CREATE TABLE bank_inbox (
    msg_id      TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    sender      TEXT NOT NULL,
    -- What the message is about (a pay_cert_no or a notice number).
    subject     TEXT NOT NULL,
    received_at TEXT NOT NULL,
    -- applied | repeat (a resend under a new msg_id: the effect was there already) |
    -- conflict (recorded for the treasury page, nothing else changed).
    outcome     TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    -- When someone at the treasury division looked at a conflict and closed it.
    resolved_at TEXT
);
CREATE INDEX bank_inbox_outcome ON bank_inbox (outcome, received_at);

-- One run of the daily reconciliation (对账) per bank and date, the latest figures.
CREATE TABLE reconciliation_run (
    recon_date   TEXT NOT NULL,
    bank_code    TEXT NOT NULL,
    n_ours       BIGINT NOT NULL,
    n_theirs     BIGINT NOT NULL,
    n_mismatches BIGINT NOT NULL,
    ran_at       TEXT NOT NULL,
    PRIMARY KEY (recon_date, bank_code)
);

-- One mismatch between our vouchers and the bank's statement. A rerun finds the same
-- mismatch again and leaves the row as it is; a mismatch that is gone gets `resolved_at`.
CREATE TABLE reconciliation_item (
    recon_date  TEXT NOT NULL,
    pay_cert_no TEXT NOT NULL,
    -- missing_at_bank | missing_here | amount_differs | status_differs.
    kind        TEXT NOT NULL,
    bank_code   TEXT NOT NULL,
    -- Our side and the bank's side as shown on the 对账 page ("paid 1234.56").
    ours        TEXT NOT NULL,
    theirs      TEXT NOT NULL,
    found_at    TEXT NOT NULL,
    resolved_at TEXT,
    PRIMARY KEY (recon_date, pay_cert_no, kind)
);
CREATE INDEX reconciliation_item_open ON reconciliation_item (resolved_at, recon_date);
