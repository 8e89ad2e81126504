//! Generic storage of master-data records, driven by `EntitySpec`: every column name in the
//! SQL comes from the spec (a whitelist), every value is a bind, and every read and write is
//! filtered by the viewer's data scope.

use fiscus_core::masterdata::{Record, Value, parse_bool};
use fiscus_core::query::ListQuery;
use fiscus_core::schema::{EntitySpec, FieldKind, FieldSpec, Scoping};
use fiscus_core::{DataScope, Principal, Rejection};
use sqlx::Row;

use crate::sql::{Bind, Sql, like_escape};
use crate::{Db, StoreError, Tx, bound_query, on_db, on_tx};

/// Who is reading: a user (scoped) or the system itself (CLI, demo, migrations).
#[derive(Clone, Copy)]
pub enum Viewer<'a> {
    System,
    User(&'a Principal),
}

pub struct Page {
    pub rows: Vec<Record>,
    pub total: i64,
}

/// Appends ` AND <scope predicate>` for `spec` as seen by `viewer`.
pub fn push_scope(sql: &mut Sql, spec: &EntitySpec, viewer: Viewer<'_>) {
    let Viewer::User(principal) = viewer else {
        return;
    };
    let scope = principal.scope();
    match (spec.scoping, &scope) {
        (Scoping::Global, _) => {}
        (Scoping::RegionTree, DataScope::RegionSubtree { region_path }) => {
            sql.push(" AND region_path LIKE ")
                .bind(Bind::text(format!("{}%", like_escape(region_path))))
                .push(" ESCAPE '\\'");
        }
        (
            Scoping::RegionTree,
            DataScope::AgencySubtree { mof_div_code, .. } | DataScope::Agency { mof_div_code, .. },
        ) => {
            sql.push(" AND mof_div_code = ")
                .bind(Bind::text(mof_div_code.as_str()));
        }
        (Scoping::Org, DataScope::RegionSubtree { region_path }) => {
            sql.push(
                " AND mof_div_code IN (SELECT mof_div_code FROM region WHERE region_path LIKE ",
            )
            .bind(Bind::text(format!("{}%", like_escape(region_path))))
            .push(" ESCAPE '\\')");
        }
        (Scoping::Org, DataScope::AgencySubtree { agency_path, .. }) => {
            sql.push(" AND agency_code IN (SELECT agency_code FROM agency WHERE agency_path LIKE ")
                .bind(Bind::text(format!("{}%", like_escape(agency_path))))
                .push(" ESCAPE '\\')");
        }
        (Scoping::Org, DataScope::Agency { agency_code, .. }) => {
            sql.push(" AND agency_code = ")
                .bind(Bind::text(agency_code.as_str()));
        }
        (Scoping::RegionAndAncestors, scope) => {
            // Standards set above apply below; a bureau also sees those of its subtree.
            sql.push(" AND (")
                .bind(Bind::text(principal.region_path.clone()))
                .push(" LIKE region_path || '%'");
            if let DataScope::RegionSubtree { region_path } = scope {
                sql.push(" OR region_path LIKE ")
                    .bind(Bind::text(format!("{}%", like_escape(region_path))))
                    .push(" ESCAPE '\\'");
            }
            sql.push(")");
        }
    }
}

fn push_filters(sql: &mut Sql, spec: &EntitySpec, query: &ListQuery) -> Result<(), Rejection> {
    if let Some(search) = &query.search {
        let pattern = format!("%{}%", like_escape(&search.to_lowercase()));
        sql.push(" AND (");
        for (index, field) in spec.fields.iter().filter(|field| field.search).enumerate() {
            if index > 0 {
                sql.push(" OR ");
            }
            sql.push("LOWER(")
                .push(field.name)
                .push(") LIKE ")
                .bind(Bind::text(pattern.clone()))
                .push(" ESCAPE '\\'");
        }
        sql.push(")");
    }
    for (name, value) in &query.filters {
        let Some(field) = spec.field(name) else {
            continue;
        };
        let jurisdiction = *name == "mof_div_code" && value.len() == 9 && value.ends_with("998");
        if jurisdiction {
            sql.push(" AND mof_div_code IN (SELECT mof_div_code FROM region WHERE region_path LIKE (SELECT region_path FROM region WHERE mof_div_code = ")
                .bind(Bind::text(format!("{}000", &value[..6])))
                .push(") || '%')");
            continue;
        }
        sql.push(" AND ").push(field.name);
        match field.kind {
            FieldKind::Bool => {
                let flag = parse_bool(value).ok_or(Rejection::FieldInvalid {
                    field: field.label,
                    expected: "是或否",
                })?;
                sql.push(" = ").bind(Bind::Bool(Some(flag)));
            }
            FieldKind::Int | FieldKind::Year | FieldKind::Money => {
                let number = value.parse::<i64>().map_err(|_| Rejection::FieldInvalid {
                    field: field.label,
                    expected: "整数",
                })?;
                sql.push(" = ").bind(Bind::Int(Some(number)));
            }
            FieldKind::Roles => {
                sql.push(" LIKE ")
                    .bind(Bind::text(format!("%{}%", like_escape(value))))
                    .push(" ESCAPE '\\'");
            }
            _ => {
                sql.push(" = ").bind(Bind::text(value.clone()));
            }
        }
    }
    Ok(())
}

fn column_list(fields: &[&FieldSpec]) -> String {
    fields
        .iter()
        .map(|field| field.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Decodes the named columns of a row by their declared kinds.
fn decode<R>(row: &R, fields: &[&'static FieldSpec]) -> Result<Record, sqlx::Error>
where
    R: Row,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<bool>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let mut record = Record::new();
    for (index, field) in fields.iter().enumerate() {
        let value = match field.kind {
            FieldKind::Int | FieldKind::Money | FieldKind::Year => {
                row.try_get::<Option<i64>, _>(index)?.map(Value::Int)
            }
            FieldKind::Bool => row.try_get::<Option<bool>, _>(index)?.map(Value::Bool),
            _ => row.try_get::<Option<String>, _>(index)?.map(Value::Text),
        };
        record.insert(field.name, value.unwrap_or(Value::Null));
    }
    Ok(record)
}

/// One page of a list, with the total count of matching records.
pub async fn list(
    db: &Db,
    spec: &'static EntitySpec,
    viewer: Viewer<'_>,
    query: &ListQuery,
    columns: Columns,
) -> Result<Page, StoreError> {
    let fields = columns.fields(spec);
    let mut filter = Sql::new(" WHERE 1 = 1");
    push_scope(&mut filter, spec, viewer);
    push_filters(&mut filter, spec, query)?;
    let mut count = Sql::new(&format!("SELECT COUNT(*) FROM {}", spec.table));
    count.text.push_str(&filter.text);
    count.binds.extend(filter.binds.iter().cloned());
    let direction = if query.descending { "DESC" } else { "ASC" };
    let mut select = Sql::new(&format!(
        "SELECT {} FROM {}",
        column_list(&fields),
        spec.table
    ));
    select.text.push_str(&filter.text);
    select.binds.extend(filter.binds.iter().cloned());
    select.push(&format!(
        " ORDER BY {} {direction}, {} ASC LIMIT ",
        query.sort, spec.key
    ));
    select.bind(Bind::Int(Some(i64::from(query.page_size))));
    select
        .push(" OFFSET ")
        .bind(Bind::Int(Some(query.offset() as i64)));
    let (total, rows) = on_db!(db, pool => {
        let total: i64 = bound_query!(&count).fetch_one(pool).await?.try_get(0)?;
        let rows = bound_query!(&select).fetch_all(pool).await?;
        let rows = rows.iter().map(|row| decode(row, &fields)).collect::<Result<Vec<_>, _>>()?;
        (total, rows)
    });
    Ok(Page { rows, total })
}

/// Which columns a read returns.
#[derive(Clone, Copy)]
pub enum Columns {
    /// The list columns plus the key.
    List,
    /// Every stored column.
    All,
}

impl Columns {
    fn fields(self, spec: &'static EntitySpec) -> Vec<&'static FieldSpec> {
        match self {
            Columns::All => spec.stored_fields().collect(),
            Columns::List => spec
                .stored_fields()
                .filter(|field| field.list || field.name == spec.key)
                .collect(),
        }
    }
}

fn select_one(
    spec: &'static EntitySpec,
    viewer: Viewer<'_>,
    key: &str,
    for_update: bool,
) -> (Sql, Vec<&'static FieldSpec>) {
    let fields = Columns::All.fields(spec);
    let mut sql = Sql::new(&format!(
        "SELECT {} FROM {} WHERE {} = ",
        column_list(&fields),
        spec.table,
        spec.key
    ));
    sql.bind(Bind::text(key));
    push_scope(&mut sql, spec, viewer);
    // FOR UPDATE is PostgreSQL only; SQLite's single writer already serializes.
    if for_update {
        sql.push(" /*for-update*/");
    }
    (sql, fields)
}

/// One record by key, if it exists and is inside the viewer's scope.
pub async fn get(
    db: &Db,
    spec: &'static EntitySpec,
    viewer: Viewer<'_>,
    key: &str,
) -> Result<Option<Record>, StoreError> {
    let (sql, fields) = select_one(spec, viewer, key, false);
    let row = on_db!(db, pool => {
        match bound_query!(&sql).fetch_optional(pool).await? {
            Some(row) => Some(decode(&row, &fields)?),
            None => None,
        }
    });
    Ok(row)
}

/// One record by key inside a write transaction, locked against concurrent edits.
pub async fn get_for_update(
    tx: &mut Tx,
    spec: &'static EntitySpec,
    viewer: Viewer<'_>,
    key: &str,
) -> Result<Option<Record>, StoreError> {
    let (mut sql, fields) = select_one(spec, viewer, key, true);
    if let Tx::Postgres(_) = tx {
        sql.text = sql.text.replace(" /*for-update*/", " FOR UPDATE");
    }
    let row = on_tx!(tx, conn => {
        match bound_query!(&sql).fetch_optional(&mut *conn).await? {
            Some(row) => Some(decode(&row, &fields)?),
            None => None,
        }
    });
    Ok(row)
}

/// Inserts a record: its parsed fields plus system columns (paths, timestamps, ciphertexts).
pub async fn insert(
    tx: &mut Tx,
    spec: &'static EntitySpec,
    record: &Record,
    system: &[(&'static str, Bind)],
) -> Result<(), StoreError> {
    let mut columns: Vec<&str> = Vec::new();
    let mut sql = Sql::default();
    let mut values = String::new();
    for field in spec.stored_fields() {
        if let Some(value) = record.get(field.name) {
            columns.push(field.name);
            push_value(&mut sql, &mut values, Bind::of(field.kind, value));
        }
    }
    for (name, bind) in system {
        columns.push(name);
        push_value(&mut sql, &mut values, bind.clone());
    }
    sql.text = format!(
        "INSERT INTO {} ({}) VALUES ({values})",
        spec.table,
        columns.join(", ")
    );
    on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    Ok(())
}

fn push_value(sql: &mut Sql, values: &mut String, bind: Bind) {
    if !values.is_empty() {
        values.push_str(", ");
    }
    sql.binds.push(bind);
    values.push('$');
    values.push_str(&sql.binds.len().to_string());
}

/// Sets columns of one record by key. Column names come from the spec or the caller's
/// constant list, never from input.
pub async fn update(
    tx: &mut Tx,
    spec: &'static EntitySpec,
    key: &str,
    changes: &[(&'static str, Bind)],
) -> Result<u64, StoreError> {
    if changes.is_empty() {
        return Ok(0);
    }
    let mut sql = Sql::new(&format!("UPDATE {} SET ", spec.table));
    for (index, (name, bind)) in changes.iter().enumerate() {
        if index > 0 {
            sql.push(", ");
        }
        sql.push(name).push(" = ").bind(bind.clone());
    }
    sql.push(&format!(" WHERE {} = ", spec.key))
        .bind(Bind::text(key));
    let affected =
        on_tx!(tx, conn => bound_query!(&sql).execute(&mut *conn).await?.rows_affected());
    Ok(affected)
}

/// Counts rows of `table` matching `column = value` (and enabled, when asked).
pub async fn count_where(
    tx: &mut Tx,
    table: &'static str,
    column: &'static str,
    value: &str,
    enabled_only: bool,
) -> Result<i64, StoreError> {
    let mut sql = Sql::new(&format!("SELECT COUNT(*) FROM {table} WHERE {column} = "));
    sql.bind(Bind::text(value));
    if enabled_only {
        sql.push(" AND is_enabled = ").bind(Bind::Bool(Some(true)));
    }
    let count: i64 =
        on_tx!(tx, conn => bound_query!(&sql).fetch_one(&mut *conn).await?.try_get(0)?);
    Ok(count)
}

/// Enabled zero-balance accounts of a unit (at most one is allowed).
pub async fn zero_balance_accounts(
    tx: &mut Tx,
    agency_code: &str,
    acc_type_code: &str,
) -> Result<Vec<String>, StoreError> {
    let mut sql = Sql::new("SELECT account_id FROM agency_account WHERE agency_code = ");
    sql.bind(Bind::text(agency_code))
        .push(" AND acc_type_code = ")
        .bind(Bind::text(acc_type_code));
    sql.push(" AND is_enabled = ").bind(Bind::Bool(Some(true)));
    let ids = on_tx!(tx, conn => {
        let rows = bound_query!(&sql).fetch_all(&mut *conn).await?;
        rows.iter().map(|row| row.try_get::<String, _>(0)).collect::<Result<Vec<_>, _>>()?
    });
    Ok(ids)
}

/// The stored ciphertext of a person's identity number.
pub async fn identity_cipher(tx: &mut Tx, per_id: &str) -> Result<Option<String>, StoreError> {
    let mut sql = Sql::new("SELECT iden_no_cipher FROM person WHERE per_id = ");
    sql.bind(Bind::text(per_id));
    let cipher = on_tx!(tx, conn => {
        match bound_query!(&sql).fetch_optional(&mut *conn).await? {
            Some(row) => Some(row.try_get::<String, _>(0)?),
            None => None,
        }
    });
    Ok(cipher)
}
