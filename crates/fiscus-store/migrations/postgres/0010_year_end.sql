-- 0010 year_end: the record of each region's year-end close of the indicator ledger
-- (年终结转结余, ADR 0011). A row exists once the close of (region, year) has committed; from
-- then on every ledger write touching an account of that region and year is refused
-- (`year_closed`), while reads keep working.
-- Append-only: never edit an applied migration; add 0011_… instead.
-- Amounts are BIGINT fen.

CREATE TABLE year_end_close (
    mof_div_code  TEXT NOT NULL REFERENCES region (mof_div_code),
    fiscal_year   BIGINT NOT NULL,
    -- all | projects | nothing: what was carried over.
    carry_rule    TEXT NOT NULL,
    -- closed: the close committed (it is written in the close's own transaction).
    status        TEXT NOT NULL,
    -- Executable indicators closed, next-year indicators created, and the money moved.
    n_closed      BIGINT NOT NULL,
    n_carried     BIGINT NOT NULL,
    carried_fen   BIGINT NOT NULL,
    lapsed_fen    BIGINT NOT NULL,
    released_fen  BIGINT NOT NULL,
    n_transfers   BIGINT NOT NULL,
    -- The batch id of the close's transfers and the doc_id of the new indicators.
    batch_id      TEXT NOT NULL UNIQUE,
    started_at    TEXT NOT NULL,
    finished_at   TEXT NOT NULL,
    closed_by     TEXT NOT NULL,
    PRIMARY KEY (mof_div_code, fiscal_year)
);
CREATE INDEX year_end_close_year ON year_end_close (fiscal_year);
