-- 0002 flow: the approval flow engine (流程引擎) — versioned flow definitions, the generic
-- header every flowing document shares, one instance per document with its serialized state,
-- the tasks of the 待办/已办 inbox, each document's history and the notifications.
-- Append-only: never edit an applied migration; add 0003_… instead.
-- Timestamps are UTC RFC 3339 text; amounts are BIGINT fen.

-- A flow definition, one row per version. Running instances keep the version they started
-- with, so a published row is never changed except to retire it.
CREATE TABLE flow_definition (
    flow_code       TEXT NOT NULL,
    version         BIGINT NOT NULL,
    doc_type        TEXT NOT NULL,
    name            TEXT NOT NULL,
    -- The `fiscus_core::flow::FlowDefinition` as JSON (the format of data/flows/*.json).
    definition_json TEXT NOT NULL,
    -- draft | published | retired; submissions use the newest published version of a type.
    status          TEXT NOT NULL,
    published_at    TEXT,
    published_by    TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (flow_code, version)
);
CREATE INDEX flow_definition_type ON flow_definition (doc_type, status, version);

-- The header every document type shares: who and where (for the data scope), the amount
-- (for conditions and the inbox) and the type-specific content as JSON.
CREATE TABLE flow_document (
    doc_id       TEXT PRIMARY KEY,
    doc_type     TEXT NOT NULL,
    title        TEXT NOT NULL,
    mof_div_code TEXT NOT NULL REFERENCES region (mof_div_code),
    agency_code  TEXT REFERENCES agency (agency_code),
    amount_fen   BIGINT NOT NULL DEFAULT 0,
    -- unit_change: {"field": "new value", …}.
    payload      TEXT NOT NULL,
    -- The instance status (draft, in_progress, returned, approved, rejected, cancelled).
    status       TEXT NOT NULL,
    submitter    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX flow_document_region ON flow_document (mof_div_code, doc_type);
CREATE INDEX flow_document_agency ON flow_document (agency_code, doc_type);
CREATE INDEX flow_document_submitter ON flow_document (submitter, updated_at);

-- One running (or finished) flow per document, pinned to a definition version. `state_json`
-- is the serialized `InstanceState`; `revision` guards the update (… WHERE revision = read).
CREATE TABLE flow_instance (
    instance_id  TEXT PRIMARY KEY,
    doc_id       TEXT NOT NULL UNIQUE REFERENCES flow_document (doc_id),
    flow_code    TEXT NOT NULL,
    version      BIGINT NOT NULL,
    status       TEXT NOT NULL,
    current_node TEXT,
    state_json   TEXT NOT NULL,
    revision     BIGINT NOT NULL,
    submitted_at TEXT,
    finished_at  TEXT,
    FOREIGN KEY (flow_code, version) REFERENCES flow_definition (flow_code, version)
);

-- Every task an instance has opened, mirrored from `InstanceState::tasks` for the inbox,
-- with the document's header fields copied so the inbox reads one table.
CREATE TABLE flow_task (
    instance_id  TEXT NOT NULL REFERENCES flow_instance (instance_id),
    task_id      BIGINT NOT NULL,
    node_code    TEXT NOT NULL,
    assignee     TEXT NOT NULL,
    -- `TaskStatus::code`: open is what the 待办 list shows.
    status       TEXT NOT NULL,
    due_at       TEXT,
    created_at   TEXT NOT NULL,
    done_at      TEXT,
    doc_type     TEXT NOT NULL,
    doc_id       TEXT NOT NULL,
    title        TEXT NOT NULL,
    mof_div_code TEXT NOT NULL,
    agency_code  TEXT,
    amount_fen   BIGINT NOT NULL,
    PRIMARY KEY (instance_id, task_id)
);
CREATE INDEX flow_task_inbox ON flow_task (assignee, status, created_at);
CREATE INDEX flow_task_done ON flow_task (assignee, done_at);
CREATE INDEX flow_task_doc ON flow_task (doc_id, assignee);

-- Each document's history: every node, actor, time, action and opinion. Append-only.
CREATE TABLE flow_history (
    history_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id  TEXT NOT NULL REFERENCES flow_instance (instance_id),
    doc_id       TEXT NOT NULL,
    -- `HistoryEntry::seq`, 1, 2, 3 … inside the instance.
    seq          BIGINT NOT NULL,
    at           TEXT NOT NULL,
    node_code    TEXT,
    task_id      BIGINT,
    actor        TEXT NOT NULL,
    -- `ActionKind::code`: submit, approve, return, reject, withdraw, …
    action       TEXT NOT NULL,
    opinion      TEXT NOT NULL,
    -- The other users the action names, comma-separated (delegate, new assignee, copied …).
    target_users TEXT NOT NULL,
    to_node      TEXT,
    UNIQUE (instance_id, seq)
);
CREATE INDEX flow_history_doc ON flow_history (doc_id, seq);

-- 抄送 and 催办 notifications; read_at is set when the user opens them.
CREATE TABLE flow_notice (
    notice_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    user_name  TEXT NOT NULL,
    doc_id     TEXT NOT NULL REFERENCES flow_document (doc_id),
    -- copy_to | remind
    kind       TEXT NOT NULL,
    actor      TEXT NOT NULL,
    at         TEXT NOT NULL,
    read_at    TEXT
);
CREATE INDEX flow_notice_user ON flow_notice (user_name, read_at, at);
