-- 0011 accounting_close: the accounting year-end close (年终结账) and the opening balances
-- (年初余额) it writes for the next year.
-- Append-only: never edit an applied migration; add a later one instead.
--
-- A book is (book_type, mof_div_code, agency_code) as in 0009; `book_owner` is the agency code
-- of a unit's book and the region code of a 财政总会计, as in accounting_period.

-- The opening balance of one account of one book in one year, written once by the close of
-- the year before and never changed. `balance_fen` is signed, debit minus credit, like the
-- balances of the ledgers and the trial balance.
CREATE TABLE accounting_opening (
    book_type     TEXT NOT NULL,
    book_owner    TEXT NOT NULL,
    mof_div_code  TEXT NOT NULL REFERENCES region (mof_div_code),
    agency_code   TEXT REFERENCES agency (agency_code),
    fiscal_year   BIGINT NOT NULL,
    account_code  TEXT NOT NULL,
    balance_fen   BIGINT NOT NULL,
    PRIMARY KEY (book_type, book_owner, fiscal_year, account_code)
);

-- One row per region and year closed: the year's books of the region (its 财政总会计 and the
-- books of its units) are read-only from then on. Inserted once; a second close is refused.
CREATE TABLE accounting_year_close (
    mof_div_code  TEXT NOT NULL REFERENCES region (mof_div_code),
    fiscal_year   BIGINT NOT NULL,
    n_books       BIGINT NOT NULL,
    n_vouchers    BIGINT NOT NULL,
    closed_by     TEXT NOT NULL,
    closed_at     TEXT NOT NULL,
    PRIMARY KEY (mof_div_code, fiscal_year)
);
