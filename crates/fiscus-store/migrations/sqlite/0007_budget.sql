-- 0007 budget: the compilation cycle of a fiscal year (预算编制, 二上二下, DOMAIN.md §1.3.3),
-- its approval (批复) into ledger indicators and the adjustments after it (§1.3.4).
-- Append-only: never edit an applied migration; add 0008_… instead.
-- Amounts are BIGINT fen. Columns are named after the standard data elements (A.18).
--
-- budget_control   控制数 (一下): the budget division issues one per department (kind
--                  'dept'); the department distributes it to the units of its subtree,
--                  itself included (kind 'unit').
-- budget_sheet     one unit's budget of a year: its stage (一上 / 二上 / 已批复) and status;
--                  doc_id is the `budget_submission` flow document of the current round.
-- budget_line      部门预算项目年度预算表 (BGT_PM_ANNUAL): project × function class ×
--                  economic classes × fund nature, with every figure of the year on it.
-- budget_income    收入预算 by income kind; budget_nontax the non-tax collection plan;
--                  budget_procurement 政府采购预算; budget_asset 资产购置计划.
-- budget_version   who changed which number at which stage (version history).
-- indicator.bgt_pman_id: the budget line an indicator was approved from.

CREATE TABLE budget_control (
    fiscal_year   BIGINT NOT NULL,
    agency_code   TEXT NOT NULL REFERENCES agency (agency_code),
    -- dept: issued by the budget division; unit: distributed by the department.
    kind          TEXT NOT NULL CHECK (kind IN ('dept', 'unit')),
    mof_div_code  TEXT NOT NULL REFERENCES region (mof_div_code),
    dept_code     TEXT NOT NULL REFERENCES agency (agency_code),
    amount_fen    BIGINT NOT NULL CHECK (amount_fen >= 0),
    revision      BIGINT NOT NULL,
    updated_by    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (fiscal_year, agency_code, kind)
);
CREATE INDEX budget_control_dept ON budget_control (fiscal_year, dept_code, kind);

CREATE TABLE budget_sheet (
    sheet_id      TEXT PRIMARY KEY,
    fiscal_year   BIGINT NOT NULL,
    mof_div_code  TEXT NOT NULL REFERENCES region (mof_div_code),
    agency_code   TEXT NOT NULL REFERENCES agency (agency_code),
    dept_code     TEXT NOT NULL REFERENCES agency (agency_code),
    -- one_up | two_up | approved.
    stage         TEXT NOT NULL,
    -- draft | submitted | reviewed.
    status        TEXT NOT NULL,
    doc_id        TEXT REFERENCES flow_document (doc_id),
    expense_fen   BIGINT NOT NULL,
    income_fen    BIGINT NOT NULL,
    revision      BIGINT NOT NULL,
    updated_by    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (fiscal_year, agency_code)
);
CREATE INDEX budget_sheet_region ON budget_sheet (fiscal_year, mof_div_code, stage, status);
CREATE INDEX budget_sheet_dept ON budget_sheet (fiscal_year, dept_code);

CREATE TABLE budget_line (
    bgt_pman_id      TEXT PRIMARY KEY,
    sheet_id         TEXT NOT NULL REFERENCES budget_sheet (sheet_id),
    fiscal_year      BIGINT NOT NULL,
    mof_div_code     TEXT NOT NULL REFERENCES region (mof_div_code),
    agency_code      TEXT NOT NULL REFERENCES agency (agency_code),
    dept_code        TEXT NOT NULL REFERENCES agency (agency_code),
    pro_code         TEXT NOT NULL,
    pro_kind_code    TEXT NOT NULL,
    exp_func_code    TEXT NOT NULL,
    gov_bgt_eco_code TEXT NOT NULL,
    dep_bgt_eco_code TEXT NOT NULL,
    fund_type_code   TEXT NOT NULL,
    is_gov_pur       BOOLEAN NOT NULL,
    remark           TEXT NOT NULL,
    -- The figure the unit edits in the current round.
    amount_fen       BIGINT NOT NULL CHECK (amount_fen >= 0),
    -- 申报数 (一上), 财政审核数 (二上 reviewed), 预下达, 年初批复数, 调整, 调剂, 变动后.
    apply_up         BIGINT NOT NULL,
    fin_audit_money  BIGINT NOT NULL,
    pre_amt          BIGINT NOT NULL,
    reply_amt        BIGINT NOT NULL,
    adj_amt          BIGINT NOT NULL,
    dis_amt          BIGINT NOT NULL,
    cur_amt          BIGINT NOT NULL,
    -- The indicator approved (or pre-released) from this line.
    bgt_id           TEXT,
    updated_by       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (sheet_id, pro_code, exp_func_code, gov_bgt_eco_code, dep_bgt_eco_code, fund_type_code)
);
CREATE INDEX budget_line_year_region ON budget_line (fiscal_year, mof_div_code);
CREATE INDEX budget_line_year_agency ON budget_line (fiscal_year, agency_code);
CREATE INDEX budget_line_bgt ON budget_line (bgt_id);

CREATE TABLE budget_income (
    sheet_id     TEXT NOT NULL REFERENCES budget_sheet (sheet_id),
    line_no      BIGINT NOT NULL,
    income_kind  TEXT NOT NULL,
    fund_type_code TEXT NOT NULL,
    amount_fen   BIGINT NOT NULL CHECK (amount_fen >= 0),
    remark       TEXT NOT NULL,
    PRIMARY KEY (sheet_id, line_no)
);

CREATE TABLE budget_nontax (
    sheet_id     TEXT NOT NULL REFERENCES budget_sheet (sheet_id),
    line_no      BIGINT NOT NULL,
    item_code    TEXT NOT NULL,
    item_name    TEXT NOT NULL,
    amount_fen   BIGINT NOT NULL CHECK (amount_fen >= 0),
    PRIMARY KEY (sheet_id, line_no)
);

CREATE TABLE budget_procurement (
    sheet_id     TEXT NOT NULL REFERENCES budget_sheet (sheet_id),
    line_no      BIGINT NOT NULL,
    pro_code     TEXT NOT NULL,
    item_code    TEXT NOT NULL,
    item_name    TEXT NOT NULL,
    quantity     BIGINT NOT NULL CHECK (quantity > 0),
    amount_fen   BIGINT NOT NULL CHECK (amount_fen >= 0),
    PRIMARY KEY (sheet_id, line_no)
);

CREATE TABLE budget_asset (
    sheet_id     TEXT NOT NULL REFERENCES budget_sheet (sheet_id),
    line_no      BIGINT NOT NULL,
    pro_code     TEXT NOT NULL,
    asset_class  TEXT NOT NULL,
    asset_name   TEXT NOT NULL,
    quantity     BIGINT NOT NULL CHECK (quantity > 0),
    unit_price_fen BIGINT NOT NULL CHECK (unit_price_fen >= 0),
    amount_fen   BIGINT NOT NULL CHECK (amount_fen >= 0),
    PRIMARY KEY (sheet_id, line_no)
);

CREATE TABLE budget_version (
    version_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    fiscal_year  BIGINT NOT NULL,
    agency_code  TEXT NOT NULL,
    -- control | line | income | nontax | procurement | asset | sheet
    entity       TEXT NOT NULL,
    entity_key   TEXT NOT NULL,
    stage        TEXT NOT NULL,
    -- added | changed | removed | issued | submitted | reviewed | approved | adjusted | pre_released
    change_kind  TEXT NOT NULL,
    old_fen      BIGINT,
    new_fen      BIGINT,
    detail       TEXT NOT NULL,
    doc_id       TEXT,
    actor        TEXT NOT NULL,
    at           TEXT NOT NULL
);
CREATE INDEX budget_version_agency ON budget_version (fiscal_year, agency_code, version_id);
CREATE INDEX budget_version_key ON budget_version (entity_key);

ALTER TABLE indicator ADD COLUMN bgt_pman_id TEXT;
CREATE INDEX indicator_pman ON indicator (bgt_pman_id);
