-- 0009 accounting: the books (会计核算): charts of accounts per year and book type, vouchers
-- and their lines, and the closed months.
-- Append-only: never edit an applied migration; add 0010_… instead.
--
-- Book types: fiscal_general 财政总会计 (one book per region: agency_code is NULL),
-- unit_financial 财务会计 and unit_budget 预算会计 (one book each per unit; one event gives a
-- voucher in each, parallel bookkeeping). A book is (book_type, mof_div_code, agency_code).

-- The charts, loaded from data/accounting/<year>/<book_type>.csv. Only leaves take entries.
CREATE TABLE accounting_account (
    fiscal_year   BIGINT NOT NULL,
    book_type     TEXT NOT NULL,
    account_code  TEXT NOT NULL,
    account_name  TEXT NOT NULL,
    parent_code   TEXT,
    -- 借 | 贷: the normal balance side.
    direction     TEXT NOT NULL,
    category      TEXT NOT NULL,
    is_leaf       BOOLEAN NOT NULL,
    PRIMARY KEY (fiscal_year, book_type, account_code)
);

-- A voucher (记账凭证). Vouchers are only inserted; the one column that changes is `status`,
-- forward only (draft → reviewed → posted), together with who moved it and when. A
-- correction of a posted voucher is a red reversal: a new voucher whose lines negate the
-- original's, pointing at it through `reverses_voucher_id` (at most one reversal each).
-- `event_id` is the accounting_event a generated voucher comes from: one voucher per event
-- and book, so generation can run again and change nothing.
CREATE TABLE accounting_voucher (
    voucher_id           TEXT PRIMARY KEY,
    book_type            TEXT NOT NULL,
    mof_div_code         TEXT NOT NULL REFERENCES region (mof_div_code),
    agency_code          TEXT REFERENCES agency (agency_code),
    fiscal_year          BIGINT NOT NULL,
    period               BIGINT NOT NULL CHECK (period BETWEEN 1 AND 12),
    voucher_date         TEXT NOT NULL,
    summary              TEXT NOT NULL,
    total_fen            BIGINT NOT NULL,
    event_id             TEXT REFERENCES accounting_event (event_id),
    reverses_voucher_id  TEXT REFERENCES accounting_voucher (voucher_id),
    -- draft | reviewed | posted.
    status               TEXT NOT NULL,
    created_by           TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    reviewed_by          TEXT,
    reviewed_at          TEXT,
    posted_by            TEXT,
    posted_at            TEXT,
    UNIQUE (event_id, book_type),
    UNIQUE (reverses_voucher_id)
);
CREATE INDEX accounting_voucher_book ON accounting_voucher (book_type, mof_div_code, agency_code, fiscal_year, period);
CREATE INDEX accounting_voucher_agency ON accounting_voucher (agency_code, fiscal_year);

-- The lines of a voucher, never updated. One side carries the amount, the other is zero; a
-- red reversal's amounts are negative. The dimensions (辅助核算) are '' when absent.
CREATE TABLE accounting_voucher_line (
    voucher_id        TEXT NOT NULL REFERENCES accounting_voucher (voucher_id),
    line_no           BIGINT NOT NULL,
    account_code      TEXT NOT NULL,
    debit_fen         BIGINT NOT NULL,
    credit_fen        BIGINT NOT NULL,
    agency_code       TEXT NOT NULL DEFAULT '',
    exp_func_code     TEXT NOT NULL DEFAULT '',
    dep_bgt_eco_code  TEXT NOT NULL DEFAULT '',
    fund_type_code    TEXT NOT NULL DEFAULT '',
    pro_code          TEXT NOT NULL DEFAULT '',
    bgt_id            TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (voucher_id, line_no)
);
CREATE INDEX accounting_voucher_line_account ON accounting_voucher_line (account_code);

-- The closed months of a book (结账). A month without a row is open; closing inserts the row
-- and nothing removes it. `book_owner` is the region code of a fiscal_general book and the
-- agency code of a unit's book.
CREATE TABLE accounting_period (
    book_type    TEXT NOT NULL,
    book_owner   TEXT NOT NULL,
    fiscal_year  BIGINT NOT NULL,
    period       BIGINT NOT NULL CHECK (period BETWEEN 1 AND 12),
    closed_by    TEXT NOT NULL,
    closed_at    TEXT NOT NULL,
    PRIMARY KEY (book_type, book_owner, fiscal_year, period)
);
