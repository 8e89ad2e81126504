-- 0004 payment: centralized treasury payment (国库集中支付, ADR 0009) — payment applications
-- (支付申请, DOMAIN.md §2.4), payment vouchers (支付凭证, §2.5), the per region-year voucher
-- counter, the payee blacklist and the accounting events payments generate (§5.6).
-- Append-only: never edit an applied migration; add 0005_… instead.
-- Amounts are BIGINT fen. Columns are named after the standard data elements.

-- One row per application. Its flow document is the generic `flow_document` with doc_type
-- `payment_application` and doc_id = pay_app_id.
CREATE TABLE payment_application (
    pay_app_id           TEXT PRIMARY KEY REFERENCES flow_document (doc_id),
    -- 支付申请编号: `SQ{mof_div_code}{year}{seq:08}`.
    pay_app_no           TEXT NOT NULL,
    fiscal_year          BIGINT NOT NULL,
    mof_div_code         TEXT NOT NULL REFERENCES region (mof_div_code),
    agency_code          TEXT NOT NULL REFERENCES agency (agency_code),
    bgt_id               TEXT NOT NULL REFERENCES indicator (bgt_id),
    pay_app_amt          BIGINT NOT NULL CHECK (pay_app_amt > 0),
    payee_acct_name      TEXT NOT NULL,
    payee_acct_no        TEXT NOT NULL,
    payee_acct_bank_name TEXT NOT NULL,
    payee_bank_code      TEXT NOT NULL DEFAULT '',
    use_des              TEXT NOT NULL,
    set_mode_code        TEXT NOT NULL,
    pay_bus_type_code    TEXT NOT NULL,
    -- 采购合同编号; '' when none (required when the indicator is_gov_pur).
    contract_no          TEXT NOT NULL DEFAULT '',
    -- The payment's classification (the indicator's, or a refinement of its economic classes).
    pro_code             TEXT NOT NULL DEFAULT '',
    exp_func_code        TEXT NOT NULL DEFAULT '',
    gov_bgt_eco_code     TEXT NOT NULL DEFAULT '',
    dep_bgt_eco_code     TEXT NOT NULL DEFAULT '',
    fund_type_code       TEXT NOT NULL DEFAULT '',
    -- draft | in_review | returned | approved | paid | rejected | cancelled.
    status               TEXT NOT NULL,
    -- 代编: written by finance (a treasury_division user) for the unit.
    is_proxy             BOOLEAN NOT NULL DEFAULT FALSE,
    created_by           TEXT NOT NULL,
    -- n of the last reservation `pay.{pay_app_id}.r{n}`; the live one, NULL when none.
    reserve_no           BIGINT NOT NULL DEFAULT 0,
    reserve_transfer_id  TEXT,
    -- The latest voucher it went into.
    pay_cert_id          TEXT,
    create_date          TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    UNIQUE (fiscal_year, mof_div_code, pay_app_no)
);
CREATE INDEX payment_application_agency ON payment_application (agency_code, status);
CREATE INDEX payment_application_region ON payment_application (mof_div_code, status);

-- One row per voucher, generated at the application's final approval. `voucher_json` is the
-- message as sent (fiscus_core::payment::message::VoucherMsg, signatures included).
CREATE TABLE payment_voucher (
    pay_cert_id          TEXT PRIMARY KEY,
    pay_cert_no          TEXT NOT NULL,
    mof_div_code         TEXT NOT NULL REFERENCES region (mof_div_code),
    fiscal_year          BIGINT NOT NULL,
    pay_app_id           TEXT NOT NULL REFERENCES payment_application (pay_app_id),
    agency_code          TEXT NOT NULL REFERENCES agency (agency_code),
    bgt_id               TEXT NOT NULL REFERENCES indicator (bgt_id),
    vou_date             TEXT NOT NULL,
    pay_amt              BIGINT NOT NULL CHECK (pay_amt > 0),
    -- approved (ready to send) | sent | paid | returned | refunded | partly_refunded.
    status               TEXT NOT NULL,
    -- The agency bank (the payer account's bank, 银行行号).
    bank_code            TEXT NOT NULL,
    -- The reservation this voucher posts or voids.
    reserve_transfer_id  TEXT NOT NULL,
    voucher_json         TEXT NOT NULL,
    send_attempts        BIGINT NOT NULL DEFAULT 0,
    next_send_at         TEXT NOT NULL,
    sent_at              TEXT,
    xpay_amt             BIGINT,
    xpay_date            TEXT,
    agent_business_no    TEXT,
    return_reason        TEXT,
    return_text          TEXT,
    refunded_amt         BIGINT NOT NULL DEFAULT 0,
    -- The date of the bank's last word on it (paid, returned, refunded): reconciliation.
    bank_date            TEXT,
    lqd_quota_notice_no  TEXT,
    lqd_cert_no          TEXT,
    act_lqd_date         TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    UNIQUE (mof_div_code, fiscal_year, pay_cert_no)
);
CREATE INDEX payment_voucher_send ON payment_voucher (status, next_send_at);
CREATE INDEX payment_voucher_app ON payment_voucher (pay_app_id);
CREATE INDEX payment_voucher_notice ON payment_voucher (lqd_quota_notice_no);
CREATE INDEX payment_voucher_bank_date ON payment_voucher (bank_date);

-- Gapless numbers per region and year: advanced by one conditional UPDATE … RETURNING in the
-- transaction that uses the number. seq_kind: pay_cert (vouchers) | pay_app (applications).
CREATE TABLE voucher_seq (
    mof_div_code TEXT NOT NULL REFERENCES region (mof_div_code),
    fiscal_year  BIGINT NOT NULL,
    seq_kind     TEXT NOT NULL,
    last_no      BIGINT NOT NULL,
    PRIMARY KEY (mof_div_code, fiscal_year, seq_kind)
);

-- 收款人黑名单: accounts no payment may go to.
CREATE TABLE payee_blacklist (
    payee_acct_no TEXT PRIMARY KEY,
    reason        TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

-- Accounting events (会计事件) for the accounting module to consume; only inserted.
-- kind: payment_posted | refund | clearing. entries: JSON [{book, debit, credit}].
CREATE TABLE accounting_event (
    event_id    TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    pay_cert_id TEXT REFERENCES payment_voucher (pay_cert_id),
    amount_fen  BIGINT NOT NULL,
    entries     TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX accounting_event_voucher ON accounting_event (pay_cert_id);
