-- 0006 project: the project library (项目库, DOMAIN.md §1.3.2, §2.3, §6.2).
-- Append-only: never edit an applied migration; add 0007_… instead.
-- Amounts are BIGINT fen. Columns are named after the standard data elements.
--
-- One row per project. Its declaration is the generic `flow_document` with doc_type
-- `project_declaration` and doc_id = pro_id (the document is created with the project).
-- The plan, the estimation detail and the targets are JSON columns, not child tables: they
-- are always read and written whole with their project, never queried line by line, and the
-- annual budget rows (BGT_PM_ANNUAL) that will be queried get their own table in
-- compilation. The JSON is the serde form of `fiscus_core::project::{PlanLine,
-- EstimationLine, TargetLine}`, checked by the core before every write.
-- `pro_code` numbers come from `voucher_seq` with seq_kind `pro_code_{letter}`.
CREATE TABLE project (
    pro_id          TEXT PRIMARY KEY REFERENCES flow_document (doc_id),
    -- 项目编码, 21 characters: `{mof_div_code}{yy}{R|Y|P}{seq:09}` [I].
    pro_code        TEXT NOT NULL UNIQUE,
    pro_name        TEXT NOT NULL,
    agency_code     TEXT NOT NULL REFERENCES agency (agency_code),
    mof_div_code    TEXT NOT NULL REFERENCES region (mof_div_code),
    -- 1 人员类 | 2 运转类 | 3 特定目标类 [I].
    pro_cat_code    TEXT NOT NULL CHECK (pro_cat_code IN ('1', '2', '3')),
    -- The year the project was set up (the year in its pro_code).
    setup_year      BIGINT NOT NULL,
    pro_start_year  BIGINT NOT NULL,
    pro_end_year    BIGINT NOT NULL CHECK (pro_end_year >= pro_start_year),
    -- 项目总额: the plan's total, equal to the estimation's.
    pro_total_amt   BIGINT NOT NULL CHECK (pro_total_amt > 0),
    plan_json       TEXT NOT NULL,
    estimation_json TEXT NOT NULL,
    targets_json    TEXT NOT NULL,
    -- draft | declared | reserved | terminated.
    status          TEXT NOT NULL,
    terminate_reason TEXT,
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE INDEX project_agency ON project (agency_code, status);
CREATE INDEX project_region ON project (mof_div_code, status);
