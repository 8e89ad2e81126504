-- 0008 project_attachment: the attachments (附件) of projects, and where a project came from.
-- Append-only: never edit an applied migration; add 0009_… instead.
--
-- An attachment is a file the unit adds to its project while it is a draft (feasibility
-- study, quotation, estimate sheet): PDF, Word, Excel or an image, checked by the core
-- (`fiscus_core::project::attachment`: type by extension and first bytes, size, a sanitised
-- name) before it is written. The bytes live in the database, next to the project they
-- belong to, so that a backup or a restore holds one consistent state and the data scope of
-- the project covers its files; the limits (5 MB a file, 20 a project) keep the table small. Each upload and delete writes an audit row (entity `project_attachment`)
-- with the name, size and SM3 hash; a delete removes the row.
CREATE TABLE project_attachment (
    att_id       TEXT PRIMARY KEY,
    pro_id       TEXT NOT NULL REFERENCES project (pro_id),
    -- The sanitised file name shown and offered on download.
    file_name    TEXT NOT NULL,
    -- pdf | doc | docx | xls | xlsx | jpg | png: the kind the core recognised.
    file_kind    TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL CHECK (size_bytes > 0),
    -- SM3 of the content, hex: shown in the audit log, checked on download.
    content_sm3  TEXT NOT NULL,
    content      BLOB  NOT NULL,
    uploaded_by  TEXT NOT NULL,
    uploaded_at  TEXT NOT NULL
);

CREATE INDEX project_attachment_project ON project_attachment (pro_id, uploaded_at);

-- 项目来源 (`pro_source`, DOMAIN.md §2.3): `declare` for a project the unit writes, or
-- `basic_calc` for the 人员类 and 公用经费 (运转类) projects of 基本支出一键测算, computed from
-- the unit's persons and the expenditure standards; those are refreshed by calculating again,
-- not edited by hand.
ALTER TABLE project ADD COLUMN pro_source TEXT NOT NULL DEFAULT 'declare';

-- One calculated project per unit, year and category that is not terminated: calculating
-- again refreshes the draft instead of adding a second one.
CREATE UNIQUE INDEX project_basic_calc ON project (agency_code, setup_year, pro_cat_code)
    WHERE pro_source = 'basic_calc' AND status <> 'terminated';

CREATE INDEX project_year ON project (setup_year, status);
