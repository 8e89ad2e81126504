-- 0003 ledger: budget indicators (指标, the elements of BA_BGT_INFO) and the indicator ledger
-- (指标账) — accounts with four running totals and immutable transfers between them
-- (TigerBeetle semantics: posted, or pending then posted in full or in part, or voided).
-- Append-only: never edit an applied migration; add 0004_… instead.
-- Amounts are BIGINT fen. Only `fiscus_store::ledger` writes these tables; transfers are only
-- ever inserted, and every balance can be recomputed from them (`fiscus verify`).

-- One row per indicator. Its money is in its four accounts, not here.
CREATE TABLE indicator (
    bgt_id             TEXT PRIMARY KEY,
    mof_div_code       TEXT NOT NULL REFERENCES region (mof_div_code),
    fiscal_year        BIGINT NOT NULL,
    -- NULL for a pool (待分) held by finance.
    agency_code        TEXT REFERENCES agency (agency_code),
    pro_code           TEXT NOT NULL DEFAULT '',
    exp_func_code      TEXT NOT NULL DEFAULT '',
    gov_bgt_eco_code   TEXT NOT NULL DEFAULT '',
    dep_bgt_eco_code   TEXT NOT NULL DEFAULT '',
    fund_type_code     TEXT NOT NULL DEFAULT '',
    bgt_type_code      TEXT NOT NULL,
    pay_type_code      TEXT NOT NULL DEFAULT '',
    source_type_code   TEXT NOT NULL DEFAULT '',
    cor_bgt_doc_no     TEXT NOT NULL DEFAULT '',
    bgt_doc_title      TEXT NOT NULL DEFAULT '',
    doc_date           TEXT NOT NULL DEFAULT '',
    bgt_dec            TEXT NOT NULL DEFAULT '',
    sup_bgt_doc_no     TEXT NOT NULL DEFAULT '',
    -- Lineage: the indicator this one was split from or carried over from.
    ori_bgt_id         TEXT REFERENCES indicator (bgt_id),
    -- 1 可执行 | 2 待分.
    bgt_exe_flag       TEXT NOT NULL,
    -- total 总待分 | division 处室待分 | department 部门待分; NULL when executable.
    pool_level         TEXT,
    is_direct          BOOLEAN NOT NULL DEFAULT FALSE,
    is_three_safe      BOOLEAN NOT NULL DEFAULT FALSE,
    is_three_public    BOOLEAN NOT NULL DEFAULT FALSE,
    is_gov_pur         BOOLEAN NOT NULL DEFAULT FALSE,
    is_contrlbyplan    BOOLEAN NOT NULL DEFAULT FALSE,
    is_not_control_pay BOOLEAN NOT NULL DEFAULT FALSE,
    -- The amount it was created with (lineage sums are checked against it).
    orig_amount_fen    BIGINT NOT NULL,
    -- The operation document that created it.
    doc_id             TEXT,
    -- Set by the year-end (结转 / 结余) that emptied it; it then only appears in queries.
    is_closed          BOOLEAN NOT NULL DEFAULT FALSE,
    created_at         TEXT NOT NULL
);
CREATE INDEX indicator_region_year ON indicator (mof_div_code, fiscal_year);
CREATE INDEX indicator_agency ON indicator (agency_code, fiscal_year);
CREATE INDEX indicator_origin ON indicator (ori_bgt_id);
CREATE INDEX indicator_func ON indicator (exp_func_code);

-- An account: `{bgt_id}.a` 可用, `.f` 冻结, `.s` 已支出, `.w` 已核销, or `src.{region}.{year}`
-- 预算来源. The four totals are changed only by single-statement conditional updates in the
-- same transaction as the transfer that explains them.
CREATE TABLE ledger_account (
    account_id      TEXT PRIMARY KEY,
    -- a | f | s | w | src.
    kind            TEXT NOT NULL,
    bgt_id          TEXT REFERENCES indicator (bgt_id),
    mof_div_code    TEXT NOT NULL,
    fiscal_year     BIGINT NOT NULL,
    debits_posted   BIGINT NOT NULL DEFAULT 0,
    credits_posted  BIGINT NOT NULL DEFAULT 0,
    debits_pending  BIGINT NOT NULL DEFAULT 0,
    credits_pending BIGINT NOT NULL DEFAULT 0
);

-- A transfer, never updated or deleted. `seq` is the order of application (the 账页 order).
CREATE TABLE ledger_transfer (
    seq                INTEGER PRIMARY KEY,
    -- Client-supplied; the idempotency key of this transfer.
    transfer_id        TEXT NOT NULL UNIQUE,
    -- The request or document whose transfers succeed or fail together.
    batch_id           TEXT NOT NULL,
    debit_account_id   TEXT NOT NULL REFERENCES ledger_account (account_id),
    credit_account_id  TEXT NOT NULL REFERENCES ledger_account (account_id),
    -- posted | pending | post_pending | void_pending.
    kind               TEXT NOT NULL,
    -- Posted: the amount moved; pending: the amount held; post_pending: the amount posted;
    -- void_pending: the amount released.
    amount_fen         BIGINT NOT NULL CHECK (amount_fen >= 0),
    -- For post_pending and void_pending: the pending transfer resolved and the amount it held.
    pending_id         TEXT,
    pending_amount_fen BIGINT NOT NULL DEFAULT 0,
    -- enter | split | supplement | cut | reallocate | freeze | unfreeze | write_off |
    -- carry_over | lapse | payment | refund.
    reason             TEXT NOT NULL,
    -- strict | warn | none: the control applied to the debit.
    ctrl_level         TEXT NOT NULL,
    -- A warned debit took the available balance below zero.
    warned             BOOLEAN NOT NULL DEFAULT FALSE,
    doc_id             TEXT,
    actor              TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    CHECK (debit_account_id <> credit_account_id)
);
-- A pending transfer is posted or voided once.
CREATE UNIQUE INDEX ledger_transfer_resolves ON ledger_transfer (pending_id)
    WHERE pending_id IS NOT NULL;
CREATE INDEX ledger_transfer_debit ON ledger_transfer (debit_account_id, seq);
CREATE INDEX ledger_transfer_credit ON ledger_transfer (credit_account_id, seq);

-- Control levels per (indicator type, control point); '*' is every type. A missing pair is
-- strict. The row ('*', 'eco_refinement') holds exact | prefix.
CREATE TABLE ledger_control (
    bgt_type_code TEXT NOT NULL,
    control_point TEXT NOT NULL,
    ctrl_level    TEXT NOT NULL,
    updated_by    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (bgt_type_code, control_point)
);
