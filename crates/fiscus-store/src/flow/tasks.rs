//! The tasks behind the 待办/已办 inbox, each document's history, the notifications and the
//! candidate queries of the actor rules: the part of the flow storage that grows with the
//! number of documents and users.

use serde::Serialize;
use sqlx::Row;

use super::push_values;
use crate::sql::{Bind, Sql, like_escape};
use crate::{Db, StoreError, Tx, bound_query, on_db, on_tx};

/// Inbox pages hold at most this many rows.
pub const INBOX_PAGE_SIZE_MAX: u32 = 200;

/// One task row, written whole on insert and on update.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TaskRow {
    pub instance_id: String,
    pub task_id: i64,
    pub node_code: String,
    pub assignee: String,
    pub status: String,
    pub due_at: Option<String>,
    pub created_at: String,
    /// Kept from the first time the task was closed.
    pub done_at: Option<String>,
    pub doc_type: String,
    pub doc_id: String,
    pub title: String,
    pub mof_div_code: String,
    pub agency_code: Option<String>,
    pub amount_fen: i64,
}

/// One line of a document's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HistoryRow {
    pub instance_id: String,
    pub doc_id: String,
    pub seq: i64,
    pub at: String,
    pub node_code: Option<String>,
    pub task_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub opinion: String,
    /// Comma-separated user names.
    pub target_users: String,
    pub to_node: Option<String>,
}

/// A notification (抄送, 催办).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NoticeRow {
    /// Assigned by the database; ignored on insert.
    pub notice_id: i64,
    pub user_name: String,
    pub doc_id: String,
    pub kind: String,
    pub actor: String,
    pub at: String,
    pub read_at: Option<String>,
}

/// Filters and page of an inbox list (待办 or 已办) of one user.
#[derive(Clone, Debug, Default)]
pub struct InboxQuery {
    pub user_name: String,
    pub doc_type: Option<String>,
    /// Matched against the title, case-insensitively.
    pub search: Option<String>,
    /// 1-based.
    pub page: u32,
    pub page_size: u32,
}

/// One row of the 待办 list: an open task with its document's header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InboxRow {
    pub instance_id: String,
    pub task_id: i64,
    pub node_code: String,
    pub doc_id: String,
    pub doc_type: String,
    pub title: String,
    pub mof_div_code: String,
    pub agency_code: Option<String>,
    pub amount_fen: i64,
    pub created_at: String,
    pub due_at: Option<String>,
}

/// One row of the 已办 list: a document the user acted on or submitted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DoneRow {
    pub doc_id: String,
    pub doc_type: String,
    pub title: String,
    pub mof_div_code: String,
    pub agency_code: Option<String>,
    pub amount_fen: i64,
    /// The document's status now.
    pub status: String,
    pub updated_at: String,
}

// ---------------------------------------------------------------------------------------------
// Tasks, history, notices

const TASK_COLUMNS: [&str; 14] = [
    "instance_id",
    "task_id",
    "node_code",
    "assignee",
    "status",
    "due_at",
    "created_at",
    "done_at",
    "doc_type",
    "doc_id",
    "title",
    "mof_div_code",
    "agency_code",
    "amount_fen",
];

fn task_binds(task: &TaskRow) -> Vec<Bind> {
    vec![
        Bind::text(task.instance_id.clone()),
        Bind::Int(Some(task.task_id)),
        Bind::text(task.node_code.clone()),
        Bind::text(task.assignee.clone()),
        Bind::text(task.status.clone()),
        Bind::Text(task.due_at.clone()),
        Bind::text(task.created_at.clone()),
        Bind::Text(task.done_at.clone()),
        Bind::text(task.doc_type.clone()),
        Bind::text(task.doc_id.clone()),
        Bind::text(task.title.clone()),
        Bind::text(task.mof_div_code.clone()),
        Bind::Text(task.agency_code.clone()),
        Bind::Int(Some(task.amount_fen)),
    ]
}

/// Inserts new tasks and updates changed ones (status, assignee, done time; the creation time
/// and the first done time are kept).
pub async fn upsert_tasks(tx: &mut Tx, tasks: &[TaskRow]) -> Result<(), StoreError> {
    for task in tasks {
        let mut sql = Sql::new(&format!(
            "INSERT INTO flow_task ({}) VALUES (",
            TASK_COLUMNS.join(", ")
        ));
        push_values(&mut sql, task_binds(task));
        sql.push(
            " ON CONFLICT (instance_id, task_id) DO UPDATE SET status = excluded.status, assignee = excluded.assignee, done_at = COALESCE(flow_task.done_at, excluded.done_at)",
        );
        on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    }
    Ok(())
}

/// Bulk insert of task rows (benchmarks and loads); no conflict handling.
pub async fn insert_tasks_bulk(tx: &mut Tx, tasks: &[TaskRow]) -> Result<u64, StoreError> {
    let rows = tasks.iter().map(task_binds).collect();
    crate::bulk::insert_rows(tx, "flow_task", &TASK_COLUMNS, rows).await
}

pub async fn append_history(tx: &mut Tx, entries: &[HistoryRow]) -> Result<(), StoreError> {
    for entry in entries {
        let mut sql = Sql::new(
            "INSERT INTO flow_history (instance_id, doc_id, seq, at, node_code, task_id, actor, action, opinion, target_users, to_node) VALUES (",
        );
        let binds = [
            Bind::text(entry.instance_id.clone()),
            Bind::text(entry.doc_id.clone()),
            Bind::Int(Some(entry.seq)),
            Bind::text(entry.at.clone()),
            Bind::Text(entry.node_code.clone()),
            Bind::Int(entry.task_id),
            Bind::text(entry.actor.clone()),
            Bind::text(entry.action.clone()),
            Bind::text(entry.opinion.clone()),
            Bind::text(entry.target_users.clone()),
            Bind::Text(entry.to_node.clone()),
        ];
        push_values(&mut sql, binds);
        on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    }
    Ok(())
}

pub async fn insert_notices(tx: &mut Tx, notices: &[NoticeRow]) -> Result<(), StoreError> {
    for notice in notices {
        let mut sql =
            Sql::new("INSERT INTO flow_notice (user_name, doc_id, kind, actor, at) VALUES (");
        let binds = [
            Bind::text(notice.user_name.clone()),
            Bind::text(notice.doc_id.clone()),
            Bind::text(notice.kind.clone()),
            Bind::text(notice.actor.clone()),
            Bind::text(notice.at.clone()),
        ];
        push_values(&mut sql, binds);
        on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    }
    Ok(())
}

/// The unread notifications of a user, newest first.
pub async fn unread_notices(db: &Db, user_name: &str) -> Result<Vec<NoticeRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT notice_id, user_name, doc_id, kind, actor, at, read_at FROM flow_notice WHERE user_name = ",
    );
    sql.bind(Bind::text(user_name))
        .push(" AND read_at IS NULL ORDER BY notice_id DESC LIMIT 200");
    let rows = on_db!(db, pool => {
        let rows = bound_query!(&sql).fetch_all(pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(NoticeRow {
                notice_id: row.try_get(0)?,
                user_name: row.try_get(1)?,
                doc_id: row.try_get(2)?,
                kind: row.try_get(3)?,
                actor: row.try_get(4)?,
                at: row.try_get(5)?,
                read_at: row.try_get(6)?,
            });
        }
        out
    });
    Ok(rows)
}

/// Marks unread notices of a user as read: the given ids, or all of them when `notice_ids`
/// is `None`. Ids of other users' notices are ignored. Returns how many were marked.
pub async fn mark_notices_read(
    tx: &mut Tx,
    user_name: &str,
    notice_ids: Option<&[i64]>,
    at: &str,
) -> Result<u64, StoreError> {
    if notice_ids.is_some_and(<[i64]>::is_empty) {
        return Ok(0);
    }
    let mut sql = Sql::new("UPDATE flow_notice SET read_at = ");
    sql.bind(Bind::text(at))
        .push(" WHERE user_name = ")
        .bind(Bind::text(user_name))
        .push(" AND read_at IS NULL");
    if let Some(ids) = notice_ids {
        sql.push(" AND notice_id IN (");
        for (index, id) in ids.iter().enumerate() {
            if index > 0 {
                sql.push(", ");
            }
            sql.bind(Bind::Int(Some(*id)));
        }
        sql.push(")");
    }
    let affected =
        on_tx!(tx, conn => bound_query!(&sql).execute(&mut *conn).await?.rows_affected());
    Ok(affected)
}

/// Open tasks whose due time is before `now` and whose assignee has no 催办 notice on the
/// document since the task opened, oldest due first, at most `limit`.
pub async fn overdue_unreminded_tasks(
    tx: &mut Tx,
    now: &str,
    limit: i64,
) -> Result<Vec<TaskRow>, StoreError> {
    let columns = TASK_COLUMNS
        .iter()
        .map(|column| format!("flow_task.{column}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut sql = Sql::new(&format!(
        "SELECT {columns} FROM flow_task WHERE flow_task.status = 'open' AND flow_task.due_at IS NOT NULL AND flow_task.due_at < "
    ));
    sql.bind(Bind::text(now))
        .push(" AND NOT EXISTS (SELECT 1 FROM flow_notice WHERE flow_notice.user_name = flow_task.assignee AND flow_notice.doc_id = flow_task.doc_id AND flow_notice.kind = 'remind' AND flow_notice.at >= flow_task.created_at) ORDER BY flow_task.due_at, flow_task.instance_id, flow_task.task_id LIMIT ")
        .bind(Bind::Int(Some(limit)));
    let rows = on_tx!(tx, conn => {
        let rows = bound_query!(&sql).fetch_all(&mut *conn).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(task_of(row)?);
        }
        out
    });
    Ok(rows)
}

/// Sets the due time of one task (tests and data repair).
pub async fn set_task_due_at(
    tx: &mut Tx,
    instance_id: &str,
    task_id: i64,
    due_at: Option<&str>,
) -> Result<u64, StoreError> {
    let mut sql = Sql::new("UPDATE flow_task SET due_at = ");
    sql.bind(Bind::Text(due_at.map(str::to_owned)))
        .push(" WHERE instance_id = ")
        .bind(Bind::text(instance_id))
        .push(" AND task_id = ")
        .bind(Bind::Int(Some(task_id)));
    let affected =
        on_tx!(tx, conn => bound_query!(&sql).execute(&mut *conn).await?.rows_affected());
    Ok(affected)
}

fn task_of<R>(row: &R) -> Result<TaskRow, sqlx::Error>
where
    R: Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(TaskRow {
        instance_id: row.try_get(0)?,
        task_id: row.try_get(1)?,
        node_code: row.try_get(2)?,
        assignee: row.try_get(3)?,
        status: row.try_get(4)?,
        due_at: row.try_get(5)?,
        created_at: row.try_get(6)?,
        done_at: row.try_get(7)?,
        doc_type: row.try_get(8)?,
        doc_id: row.try_get(9)?,
        title: row.try_get(10)?,
        mof_div_code: row.try_get(11)?,
        agency_code: row.try_get(12)?,
        amount_fen: row.try_get(13)?,
    })
}

/// A document's history, in order.
pub async fn history(db: &Db, doc_id: &str) -> Result<Vec<HistoryRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT instance_id, doc_id, seq, at, node_code, task_id, actor, action, opinion, target_users, to_node FROM flow_history WHERE doc_id = ",
    );
    sql.bind(Bind::text(doc_id)).push(" ORDER BY seq");
    let rows = on_db!(db, pool => {
        let rows = bound_query!(&sql).fetch_all(pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(HistoryRow {
                instance_id: row.try_get(0)?,
                doc_id: row.try_get(1)?,
                seq: row.try_get(2)?,
                at: row.try_get(3)?,
                node_code: row.try_get(4)?,
                task_id: row.try_get(5)?,
                actor: row.try_get(6)?,
                action: row.try_get(7)?,
                opinion: row.try_get(8)?,
                target_users: row.try_get(9)?,
                to_node: row.try_get(10)?,
            });
        }
        out
    });
    Ok(rows)
}

/// The tasks of a document (for its page: who has it now, who had it).
pub async fn document_tasks(db: &Db, doc_id: &str) -> Result<Vec<TaskRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {} FROM flow_task WHERE doc_id = ",
        TASK_COLUMNS.join(", ")
    ));
    sql.bind(Bind::text(doc_id)).push(" ORDER BY task_id");
    let rows = on_db!(db, pool => {
        let rows = bound_query!(&sql).fetch_all(pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(task_of(row)?);
        }
        out
    });
    Ok(rows)
}

// ---------------------------------------------------------------------------------------------
// Inbox

fn page_bounds(query: &InboxQuery) -> (i64, i64) {
    let page_size = query.page_size.clamp(1, INBOX_PAGE_SIZE_MAX);
    let offset = i64::from(query.page.max(1) - 1) * i64::from(page_size);
    (i64::from(page_size), offset)
}

fn push_title_search(sql: &mut Sql, column: &str, search: Option<&str>) {
    if let Some(search) = search.map(str::trim).filter(|s| !s.is_empty()) {
        sql.push(" AND LOWER(")
            .push(column)
            .push(") LIKE ")
            .bind(Bind::text(format!(
                "%{}%",
                like_escape(&search.to_lowercase())
            )))
            .push(" ESCAPE '\\'");
    }
}

/// 待办: a page of the user's open tasks, oldest first, with the total.
pub async fn open_tasks(db: &Db, query: &InboxQuery) -> Result<(Vec<InboxRow>, i64), StoreError> {
    let mut filter = Sql::new(" WHERE assignee = ");
    filter
        .bind(Bind::text(query.user_name.clone()))
        .push(" AND status = 'open'");
    if let Some(doc_type) = &query.doc_type {
        filter
            .push(" AND doc_type = ")
            .bind(Bind::text(doc_type.clone()));
    }
    push_title_search(&mut filter, "title", query.search.as_deref());
    let mut count = Sql::new("SELECT COUNT(*) FROM flow_task");
    count.text.push_str(&filter.text);
    count.binds = filter.binds.clone();
    let mut select = Sql::new(
        "SELECT instance_id, task_id, node_code, doc_id, doc_type, title, mof_div_code, agency_code, amount_fen, created_at, due_at FROM flow_task",
    );
    select.text.push_str(&filter.text);
    select.binds = filter.binds;
    let (limit, offset) = page_bounds(query);
    select
        .push(" ORDER BY created_at, instance_id, task_id LIMIT ")
        .bind(Bind::Int(Some(limit)))
        .push(" OFFSET ")
        .bind(Bind::Int(Some(offset)));
    let result = on_db!(db, pool => {
        let total: i64 = bound_query!(&count).fetch_one(pool).await?.try_get(0)?;
        let rows = bound_query!(&select).fetch_all(pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(InboxRow {
                instance_id: row.try_get(0)?,
                task_id: row.try_get(1)?,
                node_code: row.try_get(2)?,
                doc_id: row.try_get(3)?,
                doc_type: row.try_get(4)?,
                title: row.try_get(5)?,
                mof_div_code: row.try_get(6)?,
                agency_code: row.try_get(7)?,
                amount_fen: row.try_get(8)?,
                created_at: row.try_get(9)?,
                due_at: row.try_get(10)?,
            });
        }
        (out, total)
    });
    Ok(result)
}

/// The number of open tasks of a user by document type (the counts in the navigation).
pub async fn open_task_counts(db: &Db, user_name: &str) -> Result<Vec<(String, i64)>, StoreError> {
    let mut sql = Sql::new("SELECT doc_type, COUNT(*) FROM flow_task WHERE assignee = ");
    sql.bind(Bind::text(user_name))
        .push(" AND status = 'open' GROUP BY doc_type ORDER BY doc_type");
    let rows = on_db!(db, pool => {
        let rows = bound_query!(&sql).fetch_all(pool).await?;
        rows.iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect::<Result<Vec<_>, sqlx::Error>>()?
    });
    Ok(rows)
}

/// The users holding open tasks of a document type, with how many each, by user name (the
/// simulation's approvers work through them; a supervisor's overview).
pub async fn open_task_assignees(
    db: &Db,
    doc_type: &str,
) -> Result<Vec<(String, i64)>, StoreError> {
    let mut sql =
        Sql::new("SELECT assignee, COUNT(*) FROM flow_task WHERE status = 'open' AND doc_type = ");
    sql.bind(Bind::text(doc_type))
        .push(" GROUP BY assignee ORDER BY assignee");
    let rows = on_db!(db, pool => {
        let rows = bound_query!(&sql).fetch_all(pool).await?;
        rows.iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect::<Result<Vec<_>, sqlx::Error>>()?
    });
    Ok(rows)
}

/// 已办: documents the user closed a task on or submitted, most recently changed first.
pub async fn done_documents(
    db: &Db,
    query: &InboxQuery,
) -> Result<(Vec<DoneRow>, i64), StoreError> {
    let mut filter = Sql::new(" WHERE (flow_document.submitter = ");
    filter
        .bind(Bind::text(query.user_name.clone()))
        .push(" AND flow_document.status <> 'draft' OR EXISTS (SELECT 1 FROM flow_task WHERE flow_task.doc_id = flow_document.doc_id AND flow_task.assignee = ")
        .bind(Bind::text(query.user_name.clone()))
        .push(" AND flow_task.done_at IS NOT NULL))");
    if let Some(doc_type) = &query.doc_type {
        filter
            .push(" AND flow_document.doc_type = ")
            .bind(Bind::text(doc_type.clone()));
    }
    document_page(db, filter, query, "updated_at DESC, doc_id").await
}

/// The statuses of 我的申请, in the order of its tabs.
pub const MY_DOCUMENT_STATUSES: [&str; 6] = [
    "draft",
    "returned",
    "in_progress",
    "approved",
    "rejected",
    "cancelled",
];

/// 我的申请: a page of the documents the user submitted (drafts included), newest first,
/// optionally of one status, with the total.
pub async fn my_documents(
    db: &Db,
    query: &InboxQuery,
    status: Option<&str>,
) -> Result<(Vec<DoneRow>, i64), StoreError> {
    let mut filter = Sql::new(" WHERE flow_document.submitter = ");
    filter.bind(Bind::text(query.user_name.clone()));
    if let Some(status) = status {
        filter
            .push(" AND flow_document.status = ")
            .bind(Bind::text(status));
    }
    if let Some(doc_type) = &query.doc_type {
        filter
            .push(" AND flow_document.doc_type = ")
            .bind(Bind::text(doc_type.clone()));
    }
    document_page(db, filter, query, "created_at DESC, doc_id DESC").await
}

/// One page of documents matching `filter` (a ` WHERE …` on `flow_document`), with the
/// total, ordered by `order_by` (a constant of the caller, never input).
async fn document_page(
    db: &Db,
    mut filter: Sql,
    query: &InboxQuery,
    order_by: &'static str,
) -> Result<(Vec<DoneRow>, i64), StoreError> {
    push_title_search(&mut filter, "flow_document.title", query.search.as_deref());
    let mut count = Sql::new("SELECT COUNT(*) FROM flow_document");
    count.text.push_str(&filter.text);
    count.binds = filter.binds.clone();
    let mut select = Sql::new(
        "SELECT doc_id, doc_type, title, mof_div_code, agency_code, amount_fen, status, updated_at FROM flow_document",
    );
    select.text.push_str(&filter.text);
    select.binds = filter.binds;
    let (limit, offset) = page_bounds(query);
    select
        .push(&format!(" ORDER BY {order_by} LIMIT "))
        .bind(Bind::Int(Some(limit)))
        .push(" OFFSET ")
        .bind(Bind::Int(Some(offset)));
    let result = on_db!(db, pool => {
        let total: i64 = bound_query!(&count).fetch_one(pool).await?.try_get(0)?;
        let rows = bound_query!(&select).fetch_all(pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(DoneRow {
                doc_id: row.try_get(0)?,
                doc_type: row.try_get(1)?,
                title: row.try_get(2)?,
                mof_div_code: row.try_get(3)?,
                agency_code: row.try_get(4)?,
                amount_fen: row.try_get(5)?,
                status: row.try_get(6)?,
                updated_at: row.try_get(7)?,
            });
        }
        (out, total)
    });
    Ok(result)
}

/// The number of the user's submitted documents by status (the tabs of 我的申请).
pub async fn my_document_counts(
    db: &Db,
    user_name: &str,
) -> Result<Vec<(String, i64)>, StoreError> {
    let mut sql = Sql::new("SELECT status, COUNT(*) FROM flow_document WHERE submitter = ");
    sql.bind(Bind::text(user_name))
        .push(" GROUP BY status ORDER BY status");
    let rows = on_db!(db, pool => {
        let rows = bound_query!(&sql).fetch_all(pool).await?;
        rows.iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect::<Result<Vec<_>, sqlx::Error>>()?
    });
    Ok(rows)
}

// ---------------------------------------------------------------------------------------------
// Candidates

/// Which users a candidate query looks at (always enabled users holding the role).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserWhere<'a> {
    /// Users of one unit.
    Agency(&'a str),
    /// Bureau users (no unit) of one region.
    Bureau(&'a str),
    /// One named user.
    Named(&'a str),
}

/// Enabled users matching `place` who hold `role_code`, by user name. One query per rule.
pub async fn users_with_role(
    tx: &mut Tx,
    place: &UserWhere<'_>,
    role_code: &str,
) -> Result<Vec<String>, StoreError> {
    let mut sql = Sql::new("SELECT user_name FROM app_user WHERE is_enabled = ");
    sql.bind(Bind::Bool(Some(true)));
    match place {
        UserWhere::Agency(agency_code) => {
            sql.push(" AND agency_code = ")
                .bind(Bind::text(*agency_code));
        }
        UserWhere::Bureau(mof_div_code) => {
            sql.push(" AND agency_code IS NULL AND mof_div_code = ")
                .bind(Bind::text(*mof_div_code));
        }
        UserWhere::Named(user_name) => {
            sql.push(" AND user_name = ").bind(Bind::text(*user_name));
        }
    }
    // Stored as a comma list: match whole codes only.
    sql.push(" AND ',' || roles || ',' LIKE ")
        .bind(Bind::text(format!("%,{},%", like_escape(role_code))))
        .push(" ESCAPE '\\' ORDER BY user_name");
    let names = on_tx!(tx, conn => {
        let rows = bound_query!(&sql).fetch_all(&mut *conn).await?;
        rows.iter().map(|row| row.try_get::<String, _>(0)).collect::<Result<Vec<_>, _>>()?
    });
    Ok(names)
}

/// When a task was opened (for 催办: is it overdue?).
pub async fn task_created_at(
    tx: &mut Tx,
    instance_id: &str,
    task_id: i64,
) -> Result<Option<String>, StoreError> {
    let mut sql = Sql::new("SELECT created_at FROM flow_task WHERE instance_id = ");
    sql.bind(Bind::text(instance_id))
        .push(" AND task_id = ")
        .bind(Bind::Int(Some(task_id)));
    let at = on_tx!(tx, conn => match bound_query!(&sql).fetch_optional(&mut *conn).await? {
        Some(row) => Some(row.try_get::<String, _>(0)?),
        None => None,
    });
    Ok(at)
}
