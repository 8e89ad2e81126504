-- 0001 foundation: master data (基础信息), users, sessions, tokens and the audit log.
-- Append-only: never edit an applied migration; add 0002_… instead.
-- Columns are named after the standard data elements (DOMAIN.md §2). Timestamps are UTC
-- RFC 3339 text; amounts are BIGINT fen; flags are BOOLEAN.

-- 财政区划: one row per region's 本级; the 辖区 roll-up (…998) is derived, not stored.
CREATE TABLE region (
    mof_div_code        TEXT PRIMARY KEY,
    mof_div_name        TEXT NOT NULL,
    parent_mof_div_code TEXT REFERENCES region (mof_div_code),
    level_num           BIGINT NOT NULL,
    -- Materialized path '/660000000/660100000/': subtree queries are prefix matches.
    region_path         TEXT NOT NULL UNIQUE,
    remark              TEXT,
    is_enabled          BOOLEAN NOT NULL DEFAULT TRUE,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    updated_by          TEXT NOT NULL
);
CREATE INDEX region_parent ON region (parent_mof_div_code);

-- 预算单位 with its competent-department (主管部门) tree.
CREATE TABLE agency (
    agency_code            TEXT PRIMARY KEY,
    agency_name            TEXT NOT NULL,
    agency_abbreviation    TEXT,
    mof_div_code           TEXT NOT NULL REFERENCES region (mof_div_code),
    parent_agency_code     TEXT REFERENCES agency (agency_code),
    agency_type            TEXT NOT NULL,
    fund_guar              TEXT NOT NULL,
    unifsoc_cred_code      TEXT,
    agency_leader_per_name TEXT,
    agency_add             TEXT,
    zip                    TEXT,
    admin_staf_num         BIGINT,
    inst_staf_num          BIGINT,
    worker_staf_num        BIGINT,
    actu_staf_num          BIGINT,
    -- '/660101101/660101101001/': recomputed for the subtree when the parent changes.
    agency_path            TEXT NOT NULL,
    is_enabled             BOOLEAN NOT NULL DEFAULT TRUE,
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL,
    updated_by             TEXT NOT NULL
);
CREATE INDEX agency_region ON agency (mof_div_code, agency_code);
CREATE INDEX agency_parent ON agency (parent_agency_code);
CREATE INDEX agency_path_idx ON agency (agency_path);
CREATE INDEX agency_name_idx ON agency (agency_name);

-- A unit's bank accounts; acc_type_code 21 is the zero-balance account (零余额账户).
CREATE TABLE agency_account (
    account_id    TEXT PRIMARY KEY,
    agency_code   TEXT NOT NULL REFERENCES agency (agency_code),
    mof_div_code  TEXT NOT NULL REFERENCES region (mof_div_code),
    acc_type_code TEXT NOT NULL,
    account_no    TEXT NOT NULL,
    account_name  TEXT NOT NULL,
    bank_name     TEXT NOT NULL,
    bank_code     TEXT,
    is_enabled    BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    updated_by    TEXT NOT NULL,
    UNIQUE (agency_code, account_no)
);
CREATE INDEX agency_account_region ON agency_account (mof_div_code);

-- 人员 with the payroll fields basic-expenditure calculation needs (DOMAIN.md §2.8).
-- The identity number is stored only encrypted (iden_no_cipher) and masked.
CREATE TABLE person (
    per_id          TEXT PRIMARY KEY,
    agency_code     TEXT NOT NULL REFERENCES agency (agency_code),
    mof_div_code    TEXT NOT NULL REFERENCES region (mof_div_code),
    per_name        TEXT NOT NULL,
    iden_type_code  TEXT NOT NULL,
    iden_no_cipher  TEXT NOT NULL,
    iden_no_masked  TEXT NOT NULL,
    sex_code        TEXT NOT NULL,
    nat_code        TEXT,
    per_ide_code    TEXT NOT NULL,
    per_sta_code    TEXT NOT NULL,
    pos_code        TEXT,
    gr_code         TEXT,
    is_auth         BOOLEAN NOT NULL DEFAULT FALSE,
    is_uni_sala     BOOLEAN NOT NULL DEFAULT FALSE,
    pos_sala        BIGINT,
    grad_sala       BIGINT,
    nation_reg_sub  BIGINT,
    basc_perf       BIGINT,
    inct_perf       BIGINT,
    ret_subs        BIGINT,
    ded_end_ins     BIGINT,
    ded_med_ins     BIGINT,
    ded_occ_ant     BIGINT,
    ded_hos_fund    BIGINT,
    sala_card_no    TEXT,
    is_enabled      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    updated_by      TEXT NOT NULL
);
CREATE INDEX person_agency ON person (agency_code);
CREATE INDEX person_region ON person (mof_div_code);

-- 要素 catalogue: one row per element (code table), with its segment rule.
CREATE TABLE code_element (
    element_code TEXT PRIMARY KEY,
    element_name TEXT NOT NULL,
    std_field    TEXT NOT NULL,
    segments     TEXT NOT NULL,
    source       TEXT NOT NULL
);

-- 要素编码, one version per fiscal year; is_local marks local extensions.
CREATE TABLE code_item (
    item_id      TEXT PRIMARY KEY,
    element_code TEXT NOT NULL REFERENCES code_element (element_code),
    fiscal_year  BIGINT NOT NULL,
    code         TEXT NOT NULL,
    name         TEXT NOT NULL,
    parent_code  TEXT,
    level_num    BIGINT NOT NULL,
    is_local     BOOLEAN NOT NULL DEFAULT FALSE,
    is_enabled   BOOLEAN NOT NULL DEFAULT TRUE,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    updated_by   TEXT NOT NULL,
    UNIQUE (element_code, fiscal_year, code)
);
CREATE INDEX code_item_parent ON code_item (element_code, fiscal_year, parent_code);

-- 新旧科目对照: year-to-year mapping of codes.
CREATE TABLE code_mapping (
    mapping_id   TEXT PRIMARY KEY,
    element_code TEXT NOT NULL REFERENCES code_element (element_code),
    from_year    BIGINT NOT NULL,
    from_code    TEXT NOT NULL,
    to_year      BIGINT NOT NULL,
    to_code      TEXT NOT NULL,
    remark       TEXT,
    is_enabled   BOOLEAN NOT NULL DEFAULT TRUE,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    updated_by   TEXT NOT NULL,
    UNIQUE (element_code, from_year, from_code, to_year, to_code)
);

-- 支出标准: per-capita personnel and public-use standards of a region and year.
CREATE TABLE exp_standard (
    std_id           TEXT PRIMARY KEY,
    mof_div_code     TEXT NOT NULL REFERENCES region (mof_div_code),
    region_path      TEXT NOT NULL,
    fiscal_year      BIGINT NOT NULL,
    std_code         TEXT NOT NULL,
    std_name         TEXT NOT NULL,
    std_type_code    TEXT NOT NULL,
    dep_bgt_eco_code TEXT NOT NULL,
    agency_type      TEXT,
    per_ide_code     TEXT,
    amount_fen       BIGINT NOT NULL,
    remark           TEXT,
    is_enabled       BOOLEAN NOT NULL DEFAULT TRUE,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    updated_by       TEXT NOT NULL,
    UNIQUE (mof_div_code, fiscal_year, std_code)
);

-- Users belong to a region's finance bureau (agency_code NULL) or to a unit.
CREATE TABLE app_user (
    user_name            TEXT PRIMARY KEY,
    display_name         TEXT NOT NULL,
    mof_div_code         TEXT NOT NULL REFERENCES region (mof_div_code),
    agency_code          TEXT REFERENCES agency (agency_code),
    roles                TEXT NOT NULL,
    phone                TEXT,
    password_hash        TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL DEFAULT TRUE,
    failed_login_count   BIGINT NOT NULL DEFAULT 0,
    locked_until         TEXT,
    last_login_at        TEXT,
    is_enabled           BOOLEAN NOT NULL DEFAULT TRUE,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    updated_by           TEXT NOT NULL
);
CREATE INDEX app_user_region ON app_user (mof_div_code);
CREATE INDEX app_user_agency ON app_user (agency_code);

-- Browser sessions; the cookie holds a random token, the table only its SM3 hash.
CREATE TABLE session (
    session_hash TEXT PRIMARY KEY,
    user_name    TEXT NOT NULL REFERENCES app_user (user_name),
    csrf_token   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX session_by_user ON session (user_name);

-- API tokens for machine clients, acting as (and scoped like) their user.
CREATE TABLE api_token (
    token_hash   TEXT PRIMARY KEY,
    token_prefix TEXT NOT NULL,
    user_name    TEXT NOT NULL REFERENCES app_user (user_name),
    label        TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    is_revoked   BOOLEAN NOT NULL DEFAULT FALSE
);

-- Audit log: logins and every change, with old → new values as JSON. It is also the
-- change history of each record (entity, entity_key). Rows are only ever inserted.
CREATE TABLE audit_log (
    audit_id     BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    at           TEXT NOT NULL,
    user_name    TEXT NOT NULL,
    mof_div_code TEXT,
    agency_code  TEXT,
    action       TEXT NOT NULL,
    entity       TEXT,
    entity_key   TEXT,
    changes      TEXT,
    ip           TEXT,
    request_id   TEXT
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_key);
CREATE INDEX audit_log_user ON audit_log (user_name);
