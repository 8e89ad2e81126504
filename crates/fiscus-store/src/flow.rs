//! Storage of the approval flow engine: definitions by version, the generic document header,
//! one instance per document (its `InstanceState` as JSON, guarded by a revision), the tasks
//! behind the 待办/已办 inbox, each document's history and the notifications. The rules are in
//! `fiscus_core::flow`; the use cases that combine them are in `fiscus_app::flow`.

mod tasks;

use fiscus_core::DataScope;
use serde::Serialize;
use sqlx::Row;

use crate::sql::{Bind, Sql, like_escape};
use crate::{Db, StoreError, Tx, bound_query, on_db, on_tx};

pub use tasks::*;

/// One stored version of a flow definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DefinitionRow {
    pub flow_code: String,
    pub version: i64,
    pub doc_type: String,
    pub name: String,
    pub definition_json: String,
    /// draft | published | retired.
    pub status: String,
    pub published_at: Option<String>,
    pub published_by: Option<String>,
}

/// The header every flowing document shares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DocumentRow {
    pub doc_id: String,
    pub doc_type: String,
    pub title: String,
    pub mof_div_code: String,
    pub agency_code: Option<String>,
    pub amount_fen: i64,
    /// The type-specific content, JSON.
    pub payload: String,
    pub status: String,
    pub submitter: String,
    pub created_at: String,
    pub updated_at: String,
}

/// An instance as loaded for a transition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceRow {
    pub instance_id: String,
    pub doc_id: String,
    pub flow_code: String,
    pub version: i64,
    pub state_json: String,
    pub revision: i64,
}

/// The columns a transition rewrites on its instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceUpdate<'a> {
    pub status: &'a str,
    pub current_node: Option<&'a str>,
    pub state_json: String,
    /// Set when the document enters the flow (送审).
    pub submitted_at: Option<String>,
    /// Set when the instance ends (approved, rejected, cancelled).
    pub finished_at: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Definitions

const DEFINITION_COLUMNS: &str =
    "flow_code, version, doc_type, name, definition_json, status, published_at, published_by";

fn definition_of<R>(row: &R) -> Result<DefinitionRow, sqlx::Error>
where
    R: Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(DefinitionRow {
        flow_code: row.try_get(0)?,
        version: row.try_get(1)?,
        doc_type: row.try_get(2)?,
        name: row.try_get(3)?,
        definition_json: row.try_get(4)?,
        status: row.try_get(5)?,
        published_at: row.try_get(6)?,
        published_by: row.try_get(7)?,
    })
}

/// Every version of every flow, by code and version.
pub async fn definitions(db: &Db) -> Result<Vec<DefinitionRow>, StoreError> {
    let sql = Sql::new(&format!(
        "SELECT {DEFINITION_COLUMNS} FROM flow_definition ORDER BY flow_code, version"
    ));
    let rows = on_db!(db, pool => {
        let rows = bound_query!(&sql).fetch_all(pool).await?;
        rows.iter().map(definition_of).collect::<Result<Vec<_>, _>>()?
    });
    Ok(rows)
}

/// One version of a flow (the version an instance is pinned to).
pub async fn definition(
    tx: &mut Tx,
    flow_code: &str,
    version: i64,
) -> Result<Option<DefinitionRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {DEFINITION_COLUMNS} FROM flow_definition WHERE flow_code = "
    ));
    sql.bind(Bind::text(flow_code))
        .push(" AND version = ")
        .bind(Bind::Int(Some(version)));
    let row = on_tx!(tx, conn => match bound_query!(&sql).fetch_optional(&mut *conn).await? {
        Some(row) => Some(definition_of(&row)?),
        None => None,
    });
    Ok(row)
}

/// The newest published version for a document type: what a new submission is pinned to.
pub async fn latest_published(
    tx: &mut Tx,
    doc_type: &str,
) -> Result<Option<DefinitionRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {DEFINITION_COLUMNS} FROM flow_definition WHERE doc_type = "
    ));
    sql.bind(Bind::text(doc_type))
        .push(" AND status = 'published' ORDER BY published_at DESC, version DESC LIMIT 1");
    let row = on_tx!(tx, conn => match bound_query!(&sql).fetch_optional(&mut *conn).await? {
        Some(row) => Some(definition_of(&row)?),
        None => None,
    });
    Ok(row)
}

/// The highest version stored for a flow code, published or not.
pub async fn max_version(tx: &mut Tx, flow_code: &str) -> Result<Option<i64>, StoreError> {
    let mut sql = Sql::new("SELECT MAX(version) FROM flow_definition WHERE flow_code = ");
    sql.bind(Bind::text(flow_code));
    let version: Option<i64> =
        on_tx!(tx, conn => bound_query!(&sql).fetch_one(&mut *conn).await?.try_get(0)?);
    Ok(version)
}

/// Does any definition exist for this document type?
pub async fn has_definition_for(tx: &mut Tx, doc_type: &str) -> Result<bool, StoreError> {
    let mut sql = Sql::new("SELECT COUNT(*) FROM flow_definition WHERE doc_type = ");
    sql.bind(Bind::text(doc_type));
    let count: i64 =
        on_tx!(tx, conn => bound_query!(&sql).fetch_one(&mut *conn).await?.try_get(0)?);
    Ok(count > 0)
}

pub async fn insert_definition(
    tx: &mut Tx,
    row: &DefinitionRow,
    at: &str,
) -> Result<(), StoreError> {
    let mut sql = Sql::new(&format!(
        "INSERT INTO flow_definition ({DEFINITION_COLUMNS}, created_at, updated_at) VALUES ("
    ));
    let binds = [
        Bind::text(row.flow_code.clone()),
        Bind::Int(Some(row.version)),
        Bind::text(row.doc_type.clone()),
        Bind::text(row.name.clone()),
        Bind::text(row.definition_json.clone()),
        Bind::text(row.status.clone()),
        Bind::Text(row.published_at.clone()),
        Bind::Text(row.published_by.clone()),
        Bind::text(at),
        Bind::text(at),
    ];
    push_values(&mut sql, binds);
    on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    Ok(())
}

/// Retires the published versions of a document type other than `keep_version` of
/// `keep_flow_code`: new submissions use the new one, running instances keep theirs.
pub async fn retire_other_published(
    tx: &mut Tx,
    doc_type: &str,
    keep_flow_code: &str,
    keep_version: i64,
    at: &str,
) -> Result<u64, StoreError> {
    let mut sql = Sql::new("UPDATE flow_definition SET status = 'retired', updated_at = ");
    sql.bind(Bind::text(at))
        .push(" WHERE doc_type = ")
        .bind(Bind::text(doc_type))
        .push(" AND status = 'published' AND NOT (flow_code = ")
        .bind(Bind::text(keep_flow_code))
        .push(" AND version = ")
        .bind(Bind::Int(Some(keep_version)))
        .push(")");
    let affected =
        on_tx!(tx, conn => bound_query!(&sql).execute(&mut *conn).await?.rows_affected());
    Ok(affected)
}

// ---------------------------------------------------------------------------------------------
// Documents

const DOCUMENT_COLUMNS: &str = "doc_id, doc_type, title, mof_div_code, agency_code, amount_fen, payload, status, submitter, created_at, updated_at";

fn document_of<R>(row: &R) -> Result<DocumentRow, sqlx::Error>
where
    R: Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(DocumentRow {
        doc_id: row.try_get(0)?,
        doc_type: row.try_get(1)?,
        title: row.try_get(2)?,
        mof_div_code: row.try_get(3)?,
        agency_code: row.try_get(4)?,
        amount_fen: row.try_get(5)?,
        payload: row.try_get(6)?,
        status: row.try_get(7)?,
        submitter: row.try_get(8)?,
        created_at: row.try_get(9)?,
        updated_at: row.try_get(10)?,
    })
}

pub async fn insert_document(tx: &mut Tx, row: &DocumentRow) -> Result<(), StoreError> {
    let mut sql = Sql::new(&format!(
        "INSERT INTO flow_document ({DOCUMENT_COLUMNS}) VALUES ("
    ));
    let binds = [
        Bind::text(row.doc_id.clone()),
        Bind::text(row.doc_type.clone()),
        Bind::text(row.title.clone()),
        Bind::text(row.mof_div_code.clone()),
        Bind::Text(row.agency_code.clone()),
        Bind::Int(Some(row.amount_fen)),
        Bind::text(row.payload.clone()),
        Bind::text(row.status.clone()),
        Bind::text(row.submitter.clone()),
        Bind::text(row.created_at.clone()),
        Bind::text(row.updated_at.clone()),
    ];
    push_values(&mut sql, binds);
    on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    Ok(())
}

/// Sets a document's status (and its payload, when the submitter corrected it).
pub async fn update_document(
    tx: &mut Tx,
    doc_id: &str,
    status: &str,
    payload: Option<&str>,
    at: &str,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE flow_document SET status = ");
    sql.bind(Bind::text(status))
        .push(", updated_at = ")
        .bind(Bind::text(at));
    if let Some(payload) = payload {
        sql.push(", payload = ").bind(Bind::text(payload));
    }
    sql.push(" WHERE doc_id = ").bind(Bind::text(doc_id));
    on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    Ok(())
}

/// Appends the visibility of a document to `sql` (which selects from `flow_document`): in the
/// viewer's data scope, or the viewer submitted it or holds or held a task on it.
pub fn push_document_visibility(sql: &mut Sql, scope: &DataScope, user_name: &str) {
    sql.push(" AND (");
    match scope {
        DataScope::RegionSubtree { region_path } => {
            sql.push("flow_document.mof_div_code IN (SELECT mof_div_code FROM region WHERE region_path LIKE ")
                .bind(Bind::text(format!("{}%", like_escape(region_path))))
                .push(" ESCAPE '\\')");
        }
        DataScope::AgencySubtree { agency_path, .. } => {
            sql.push("flow_document.agency_code IN (SELECT agency_code FROM agency WHERE agency_path LIKE ")
                .bind(Bind::text(format!("{}%", like_escape(agency_path))))
                .push(" ESCAPE '\\')");
        }
        DataScope::Agency { agency_code, .. } => {
            sql.push("flow_document.agency_code = ")
                .bind(Bind::text(agency_code.as_str()));
        }
    }
    sql.push(" OR flow_document.submitter = ")
        .bind(Bind::text(user_name))
        .push(" OR EXISTS (SELECT 1 FROM flow_task WHERE flow_task.doc_id = flow_document.doc_id AND flow_task.assignee = ")
        .bind(Bind::text(user_name))
        .push("))");
}

/// One document, if `viewer` (scope and user name) may see it; `None` for the system.
pub async fn document(
    db: &Db,
    doc_id: &str,
    viewer: Option<(&DataScope, &str)>,
) -> Result<Option<DocumentRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {DOCUMENT_COLUMNS} FROM flow_document WHERE doc_id = "
    ));
    sql.bind(Bind::text(doc_id));
    if let Some((scope, user_name)) = viewer {
        push_document_visibility(&mut sql, scope, user_name);
    }
    let row = on_db!(db, pool => match bound_query!(&sql).fetch_optional(pool).await? {
        Some(row) => Some(document_of(&row)?),
        None => None,
    });
    Ok(row)
}

/// One document inside a write transaction, if `viewer` may see it, locked on PostgreSQL.
pub async fn document_for_update(
    tx: &mut Tx,
    doc_id: &str,
    viewer: Option<(&DataScope, &str)>,
) -> Result<Option<DocumentRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {DOCUMENT_COLUMNS} FROM flow_document WHERE doc_id = "
    ));
    sql.bind(Bind::text(doc_id));
    if let Some((scope, user_name)) = viewer {
        push_document_visibility(&mut sql, scope, user_name);
    }
    sql.push(tx.row_lock());
    let row = on_tx!(tx, conn => match bound_query!(&sql).fetch_optional(&mut *conn).await? {
        Some(row) => Some(document_of(&row)?),
        None => None,
    });
    Ok(row)
}

// ---------------------------------------------------------------------------------------------
// Instances

pub async fn insert_instance(
    tx: &mut Tx,
    row: &InstanceRow,
    status: &str,
) -> Result<(), StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO flow_instance (instance_id, doc_id, flow_code, version, status, current_node, state_json, revision) VALUES (",
    );
    let binds = [
        Bind::text(row.instance_id.clone()),
        Bind::text(row.doc_id.clone()),
        Bind::text(row.flow_code.clone()),
        Bind::Int(Some(row.version)),
        Bind::text(status),
        Bind::Text(None),
        Bind::text(row.state_json.clone()),
        Bind::Int(Some(row.revision)),
    ];
    push_values(&mut sql, binds);
    on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    Ok(())
}

const INSTANCE_SELECT: &str = "SELECT instance_id, doc_id, flow_code, version, state_json, revision FROM flow_instance WHERE doc_id = ";

fn instance_of<R>(row: &R) -> Result<InstanceRow, sqlx::Error>
where
    R: Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(InstanceRow {
        instance_id: row.try_get(0)?,
        doc_id: row.try_get(1)?,
        flow_code: row.try_get(2)?,
        version: row.try_get(3)?,
        state_json: row.try_get(4)?,
        revision: row.try_get(5)?,
    })
}

/// The instance of a document with its revision, locked (FOR UPDATE) on PostgreSQL so that
/// concurrent transitions of one document queue behind each other.
pub async fn instance_for_update(
    tx: &mut Tx,
    doc_id: &str,
) -> Result<Option<InstanceRow>, StoreError> {
    let mut sql = Sql::new(INSTANCE_SELECT);
    sql.bind(Bind::text(doc_id));
    sql.push(tx.row_lock());
    let row = on_tx!(tx, conn => match bound_query!(&sql).fetch_optional(&mut *conn).await? {
        Some(row) => Some(instance_of(&row)?),
        None => None,
    });
    Ok(row)
}

/// Saves a transition's state where the stored revision is still `read_revision`. `false`:
/// someone else moved the instance first; the caller reloads and applies again.
pub async fn save_instance(
    tx: &mut Tx,
    instance_id: &str,
    read_revision: i64,
    update: &InstanceUpdate<'_>,
) -> Result<bool, StoreError> {
    let mut sql = Sql::new("UPDATE flow_instance SET status = ");
    sql.bind(Bind::text(update.status))
        .push(", current_node = ")
        .bind(Bind::Text(update.current_node.map(str::to_owned)))
        .push(", state_json = ")
        .bind(Bind::text(update.state_json.clone()))
        .push(", revision = revision + 1");
    if let Some(at) = &update.submitted_at {
        sql.push(", submitted_at = ").bind(Bind::text(at.clone()));
    }
    if let Some(at) = &update.finished_at {
        sql.push(", finished_at = ").bind(Bind::text(at.clone()));
    }
    sql.push(" WHERE instance_id = ")
        .bind(Bind::text(instance_id))
        .push(" AND revision = ")
        .bind(Bind::Int(Some(read_revision)));
    let affected =
        on_tx!(tx, conn => bound_query!(&sql).execute(&mut *conn).await?.rows_affected());
    Ok(affected == 1)
}

pub(crate) fn push_values(sql: &mut Sql, binds: impl IntoIterator<Item = Bind>) {
    for (index, bind) in binds.into_iter().enumerate() {
        if index > 0 {
            sql.push(", ");
        }
        sql.bind(bind);
    }
    sql.push(")");
}

/// The instance of a document, outside a transaction (pages, allowed actions).
pub async fn instance(db: &Db, doc_id: &str) -> Result<Option<InstanceRow>, StoreError> {
    let mut sql = Sql::new(INSTANCE_SELECT);
    sql.bind(Bind::text(doc_id));
    let row = on_db!(db, pool => match bound_query!(&sql).fetch_optional(pool).await? {
        Some(row) => Some(instance_of(&row)?),
        None => None,
    });
    Ok(row)
}

/// One version of a flow, outside a transaction.
pub async fn definition_read(
    db: &Db,
    flow_code: &str,
    version: i64,
) -> Result<Option<DefinitionRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {DEFINITION_COLUMNS} FROM flow_definition WHERE flow_code = "
    ));
    sql.bind(Bind::text(flow_code))
        .push(" AND version = ")
        .bind(Bind::Int(Some(version)));
    let row = on_db!(db, pool => match bound_query!(&sql).fetch_optional(pool).await? {
        Some(row) => Some(definition_of(&row)?),
        None => None,
    });
    Ok(row)
}
