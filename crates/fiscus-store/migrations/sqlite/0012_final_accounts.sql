-- 0012 final accounts (决算, DOMAIN.md §7.1, ADR 0013): generated report sets — a header per
-- (scope, organisation, year) with its status, and the cells as rows.
-- Append-only: never edit an applied migration; add a later one instead.
-- Amounts are BIGINT fen. A set is derived data: it is computed from the ledger and the
-- books, and regenerating a set that is still only 已生成 deletes its cells and writes
-- them again in one transaction; a submitted (已报送) or accepted (已审核) set never changes.

-- One row per set. set_id = `{scope}.{org_code}.{fiscal_year}`.
CREATE TABLE final_accounts_set (
    set_id          TEXT PRIMARY KEY,
    -- unit 单位 | department 部门汇总 (the unit and its sub-units) | region 区划汇总 (the
    -- region and its subtree).
    scope           TEXT NOT NULL,
    -- The agency_code of a unit or department, the mof_div_code of a region.
    org_code        TEXT NOT NULL,
    org_name        TEXT NOT NULL,
    -- The region the set belongs to (the unit's, or the region itself): who accepts it.
    mof_div_code    TEXT NOT NULL REFERENCES region (mof_div_code),
    agency_code     TEXT REFERENCES agency (agency_code),
    fiscal_year     BIGINT NOT NULL,
    -- generated 已生成 | submitted 已报送 | accepted 已审核.
    status          TEXT NOT NULL,
    -- Every indicator of the year in the set is closed by a year-end (年末 = 结转 + 结余);
    -- otherwise open balances count as 年末结转和结余.
    year_closed     BOOLEAN NOT NULL,
    -- Units whose facts are in the set.
    n_units         BIGINT NOT NULL,
    -- Failures of the 表内/表间 checks when it was generated.
    n_checks_failed BIGINT NOT NULL,
    -- 封面: [[label, value], …] as JSON.
    cover_json      TEXT NOT NULL,
    generated_by    TEXT NOT NULL,
    generated_at    TEXT NOT NULL,
    submitted_by    TEXT,
    submitted_at    TEXT,
    accepted_by     TEXT,
    accepted_at     TEXT,
    UNIQUE (scope, org_code, fiscal_year)
);
CREATE INDEX final_accounts_set_region ON final_accounts_set (mof_div_code, fiscal_year);
CREATE INDEX final_accounts_set_agency ON final_accounts_set (agency_code, fiscal_year);

-- The cells of a set: one row per (table, row, column). row_no keeps the table's order;
-- the row's label and level are stored with it (as the exchange tables carry names).
CREATE TABLE final_accounts_cell (
    set_id     TEXT NOT NULL REFERENCES final_accounts_set (set_id),
    -- cj01 | cj01_1 | cj02 | cj03 | cj04 | cj05 | cj07 | cj08 | zcfz.
    table_code TEXT NOT NULL,
    row_no     BIGINT NOT NULL,
    row_code   TEXT NOT NULL,
    row_label  TEXT NOT NULL,
    row_level  BIGINT NOT NULL,
    col_code   TEXT NOT NULL,
    fen        BIGINT NOT NULL,
    PRIMARY KEY (set_id, table_code, row_code, col_code)
);
