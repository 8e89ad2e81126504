//! The audit log: logins and every change, inserted in the same transaction as the change.
//! It doubles as each record's change history.

use fiscus_core::Principal;
use serde::Serialize;
use sqlx::Row;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::sql::{Bind, Sql, like_escape};
use crate::{Db, StoreError, Tx, bound_query, on_db, on_tx};

/// Now, as stored: UTC RFC 3339 with seconds.
pub fn now() -> String {
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| OffsetDateTime::now_utc());
    now.format(&Rfc3339).unwrap_or_default()
}

/// One audit entry to write.
#[derive(Clone, Debug, Default)]
pub struct AuditEntry {
    pub user_name: String,
    pub mof_div_code: Option<String>,
    pub agency_code: Option<String>,
    pub action: &'static str,
    pub entity: Option<&'static str>,
    pub entity_key: Option<String>,
    /// JSON: `{"field": ["old", "new"], …}` for edits, the new values for creates.
    pub changes: Option<String>,
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

impl AuditEntry {
    /// An entry by `principal`, or by the system when there is none.
    pub fn by(principal: Option<&Principal>, action: &'static str) -> AuditEntry {
        AuditEntry {
            user_name: principal.map_or_else(|| "system".to_owned(), |p| p.user_name.to_string()),
            mof_div_code: principal.map(|p| p.mof_div_code().to_string()),
            agency_code: principal
                .and_then(|p| p.agency_code())
                .map(ToString::to_string),
            action,
            ..AuditEntry::default()
        }
    }
}

pub async fn append(tx: &mut Tx, entry: &AuditEntry) -> Result<(), StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO audit_log (at, user_name, mof_div_code, agency_code, action, entity, entity_key, changes, ip, request_id) VALUES (",
    );
    let binds = [
        Bind::text(now()),
        Bind::text(entry.user_name.clone()),
        Bind::Text(entry.mof_div_code.clone()),
        Bind::Text(entry.agency_code.clone()),
        Bind::text(entry.action),
        Bind::Text(entry.entity.map(str::to_owned)),
        Bind::Text(entry.entity_key.clone()),
        Bind::Text(entry.changes.clone()),
        Bind::Text(entry.ip.clone()),
        Bind::Text(entry.request_id.clone()),
    ];
    for (index, bind) in binds.into_iter().enumerate() {
        if index > 0 {
            sql.push(", ");
        }
        sql.bind(bind);
    }
    sql.push(")");
    on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    Ok(())
}

#[derive(Clone, Debug, Serialize)]
pub struct AuditRow {
    pub audit_id: i64,
    pub at: String,
    pub user_name: String,
    pub mof_div_code: Option<String>,
    pub agency_code: Option<String>,
    pub action: String,
    pub entity: Option<String>,
    pub entity_key: Option<String>,
    pub changes: Option<String>,
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

/// Filters of the audit-log page.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    pub entity: Option<String>,
    pub entity_key: Option<String>,
    pub user_name: Option<String>,
    pub action: Option<String>,
    /// Restricts to actors whose region lies under this path (the viewer's subtree).
    pub actor_region_path: Option<String>,
    pub page: u32,
    pub page_size: u32,
}

pub async fn list(db: &Db, query: &AuditQuery) -> Result<(Vec<AuditRow>, i64), StoreError> {
    let mut filter = Sql::new(" WHERE 1 = 1");
    if let Some(entity) = &query.entity {
        filter
            .push(" AND entity = ")
            .bind(Bind::text(entity.clone()));
    }
    if let Some(key) = &query.entity_key {
        filter
            .push(" AND entity_key = ")
            .bind(Bind::text(key.clone()));
    }
    if let Some(user_name) = &query.user_name {
        filter
            .push(" AND user_name = ")
            .bind(Bind::text(user_name.clone()));
    }
    if let Some(action) = &query.action {
        filter
            .push(" AND action = ")
            .bind(Bind::text(action.clone()));
    }
    if let Some(path) = &query.actor_region_path {
        filter
            .push(" AND mof_div_code IN (SELECT mof_div_code FROM region WHERE region_path LIKE ")
            .bind(Bind::text(format!("{}%", like_escape(path))))
            .push(" ESCAPE '\\')");
    }
    let mut count = Sql::new("SELECT COUNT(*) FROM audit_log");
    count.text.push_str(&filter.text);
    count.binds = filter.binds.clone();
    let mut select = Sql::new(
        "SELECT audit_id, at, user_name, mof_div_code, agency_code, action, entity, entity_key, changes, ip, request_id FROM audit_log",
    );
    select.text.push_str(&filter.text);
    select.binds = filter.binds.clone();
    let page_size = query.page_size.max(1);
    select
        .push(" ORDER BY audit_id DESC LIMIT ")
        .bind(Bind::Int(Some(i64::from(page_size))));
    select.push(" OFFSET ").bind(Bind::Int(Some(
        i64::from(query.page.max(1) - 1) * i64::from(page_size),
    )));
    let result = on_db!(db, pool => {
        let total: i64 = bound_query!(&count).fetch_one(pool).await?.try_get(0)?;
        let rows = bound_query!(&select).fetch_all(pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(AuditRow {
                audit_id: row.try_get(0)?,
                at: row.try_get(1)?,
                user_name: row.try_get(2)?,
                mof_div_code: row.try_get(3)?,
                agency_code: row.try_get(4)?,
                action: row.try_get(5)?,
                entity: row.try_get(6)?,
                entity_key: row.try_get(7)?,
                changes: row.try_get(8)?,
                ip: row.try_get(9)?,
                request_id: row.try_get(10)?,
            });
        }
        (out, total)
    });
    Ok(result)
}
