//! Storage of project attachments (附件, migration 0008): the file's bytes with its name,
//! kind, size and SM3 hash. The application checks the project's scope and state first;
//! these functions address an attachment by its project and id together, so that an id
//! of another project's file names nothing.

use sqlx::Row;

use crate::{StoreError, Tx, on_db, on_tx};

/// An attachment without its bytes, as lists show it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AttachmentRow {
    pub att_id: String,
    pub pro_id: String,
    pub file_name: String,
    pub file_kind: String,
    pub size_bytes: i64,
    pub content_sm3: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

const COLUMNS: &str =
    "att_id, pro_id, file_name, file_kind, size_bytes, content_sm3, uploaded_by, uploaded_at";

fn row_of<R>(row: &R) -> Result<AttachmentRow, sqlx::Error>
where
    R: Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(AttachmentRow {
        att_id: row.try_get(0)?,
        pro_id: row.try_get(1)?,
        file_name: row.try_get(2)?,
        file_kind: row.try_get(3)?,
        size_bytes: row.try_get(4)?,
        content_sm3: row.try_get(5)?,
        uploaded_by: row.try_get(6)?,
        uploaded_at: row.try_get(7)?,
    })
}

/// Inserts an attachment with its bytes.
pub async fn insert_attachment(
    tx: &mut Tx,
    row: &AttachmentRow,
    content: &[u8],
) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO project_attachment ({COLUMNS}, content) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    );
    on_tx!(tx, conn => { sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&row.att_id)
        .bind(&row.pro_id)
        .bind(&row.file_name)
        .bind(&row.file_kind)
        .bind(row.size_bytes)
        .bind(&row.content_sm3)
        .bind(&row.uploaded_by)
        .bind(&row.uploaded_at)
        .bind(content.to_vec())
        .execute(&mut *conn)
        .await?; });
    Ok(())
}

/// The attachments of a project, oldest first (by name within one second).
pub async fn attachments(db: &crate::Db, pro_id: &str) -> Result<Vec<AttachmentRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM project_attachment WHERE pro_id = $1 ORDER BY uploaded_at, file_name, att_id"
    );
    let mut rows = Vec::new();
    on_db!(db, pool => {
        for row in sqlx::query(sqlx::AssertSqlSafe(sql)).bind(pro_id).fetch_all(pool).await? {
            rows.push(row_of(&row)?);
        }
    });
    Ok(rows)
}

/// How many attachments a project has, inside `tx` (after the project row was locked).
pub async fn count_attachments(tx: &mut Tx, pro_id: &str) -> Result<i64, StoreError> {
    let count = on_tx!(tx, conn => {
        let row = sqlx::query("SELECT COUNT(*) FROM project_attachment WHERE pro_id = $1")
            .bind(pro_id)
            .fetch_one(&mut *conn)
            .await?;
        row.try_get::<i64, _>(0)?
    });
    Ok(count)
}

/// One attachment of a project with its bytes.
pub async fn attachment_content(
    db: &crate::Db,
    pro_id: &str,
    att_id: &str,
) -> Result<Option<(AttachmentRow, Vec<u8>)>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS}, content FROM project_attachment WHERE pro_id = $1 AND att_id = $2"
    );
    let found = on_db!(db, pool => {
        match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(pro_id).bind(att_id).fetch_optional(pool).await? {
            Some(row) => Some((row_of(&row)?, row.try_get::<Vec<u8>, _>(8)?)),
            None => None,
        }
    });
    Ok(found)
}

/// Deletes one attachment of a project inside `tx`; returns the row deleted, if any.
pub async fn delete_attachment(
    tx: &mut Tx,
    pro_id: &str,
    att_id: &str,
) -> Result<Option<AttachmentRow>, StoreError> {
    let select =
        format!("SELECT {COLUMNS} FROM project_attachment WHERE pro_id = $1 AND att_id = $2");
    let found = on_tx!(tx, conn => {
        match sqlx::query(sqlx::AssertSqlSafe(select)).bind(pro_id).bind(att_id).fetch_optional(&mut *conn).await? {
            Some(row) => Some(row_of(&row)?),
            None => None,
        }
    });
    if found.is_some() {
        on_tx!(tx, conn => { sqlx::query("DELETE FROM project_attachment WHERE pro_id = $1 AND att_id = $2")
            .bind(pro_id)
            .bind(att_id)
            .execute(&mut *conn)
            .await?; });
    }
    Ok(found)
}
