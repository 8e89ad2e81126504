//! Read queries of the ledger: indicator lists with totals, one indicator, its 账页, roll-ups.

use sqlx::Row;

use crate::ledger::{
    INDICATOR_SELECT, IndicatorRow, TRANSFER_COLUMNS, TransferRow, indicator_of,
    push_indicator_scope, transfer_of,
};
use crate::records::Viewer;
use crate::sql::{Bind, Sql, like_escape};
use crate::{Db, StoreError, bound_query, on_db};

/// Every open indicator of one region and year that `viewer` may see (a year-end's lines).
pub async fn open_indicators_of_region(
    db: &Db,
    viewer: Viewer<'_>,
    mof_div_code: &str,
    fiscal_year: i32,
) -> Result<Vec<IndicatorRow>, StoreError> {
    let mut sql = Sql::new(INDICATOR_SELECT);
    sql.push(" WHERE i.mof_div_code = ")
        .bind(Bind::text(mof_div_code))
        .push(" AND i.fiscal_year = ")
        .bind(Bind::Int(Some(i64::from(fiscal_year))))
        .push(" AND i.is_closed = FALSE");
    push_indicator_scope(&mut sql, viewer);
    sql.push(" ORDER BY i.bgt_id");
    let mut rows = Vec::new();
    on_db!(db, pool => {
        for row in &bound_query!(&sql).fetch_all(pool).await? {
            rows.push(indicator_of(row)?);
        }
    });
    Ok(rows)
}

/// The indicators a document created, in creation order.
pub async fn indicators_of_document(
    db: &Db,
    doc_id: &str,
) -> Result<Vec<fiscus_core::ledger::BgtId>, StoreError> {
    let ids: Vec<String> = on_db!(db, pool => sqlx::query_scalar("SELECT bgt_id FROM indicator WHERE doc_id = $1 ORDER BY created_at, bgt_id")
        .bind(doc_id)
        .fetch_all(pool)
        .await?);
    ids.into_iter()
        .map(|id| {
            fiscus_core::ledger::BgtId::parse(&id)
                .map_err(|_| StoreError::Corrupt(format!("indicator id {id}")))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Lists, totals, lineage, 账页 and roll-ups (the 指标查询 pages and the API).

/// 可用: credits less debits of the available account, reservations (pending debits) deducted.
const AVAILABLE_SQL: &str = "(a.credits_posted - a.debits_posted - a.debits_pending)";
/// 在途: the pending debits of the available account.
const RESERVED_SQL: &str = "a.debits_pending";
const FROZEN_SQL: &str = "(f.credits_posted - f.debits_posted)";
const SPENT_SQL: &str = "(s.credits_posted - s.debits_posted)";
const WRITTEN_OFF_SQL: &str = "(w.credits_posted - w.debits_posted)";
/// 指标金额: the sum of the five parts (as `Figures::of` computes it).
const TOTAL_SQL: &str = "(a.credits_posted - a.debits_posted + f.credits_posted - f.debits_posted \
    + s.credits_posted - s.debits_posted + w.credits_posted - w.debits_posted)";

/// The sortable columns of the indicator list: wire name → SQL expression (the whitelist).
pub const INDICATOR_SORTS: [(&str, &str); 12] = [
    ("bgt_id", "i.bgt_id"),
    ("mof_div_code", "i.mof_div_code"),
    ("fiscal_year", "i.fiscal_year"),
    ("agency_code", "i.agency_code"),
    ("exp_func_code", "i.exp_func_code"),
    ("cor_bgt_doc_no", "i.cor_bgt_doc_no"),
    ("doc_date", "i.doc_date"),
    ("created_at", "i.created_at"),
    ("total_fen", TOTAL_SQL),
    ("frozen_fen", FROZEN_SQL),
    ("spent_fen", SPENT_SQL),
    ("available_fen", AVAILABLE_SQL),
];

/// The SQL of a whitelisted sort name.
pub fn indicator_sort_sql(name: &str) -> Option<&'static str> {
    INDICATOR_SORTS
        .iter()
        .find(|(wire, _)| *wire == name)
        .map(|(_, sql)| *sql)
}

/// What an indicator list selects. `None` (or empty) means any. Values are bound, never
/// spliced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IndicatorFilter {
    /// A region; a 辖区 code (`…998`) selects the region and its whole subtree.
    pub mof_div_code: Option<String>,
    pub fiscal_year: Option<i64>,
    pub agency_code: Option<String>,
    pub pro_code: Option<String>,
    /// Matched as a prefix: `201` is the 类, `20101` the 款.
    pub exp_func_code: Option<String>,
    pub gov_bgt_eco_code: Option<String>,
    pub dep_bgt_eco_code: Option<String>,
    pub fund_type_code: Option<String>,
    pub bgt_type_code: Option<String>,
    pub bgt_exe_flag: Option<String>,
    pub pool_level: Option<String>,
    /// `Some(false)`: open only; `Some(true)`: closed by a year-end only.
    pub closed: Option<bool>,
    pub cor_bgt_doc_no: Option<String>,
    /// Substring of the document title, document number or indicator id.
    pub search: Option<String>,
}

/// How a list is ordered and cut. `sort_sql` comes from [`indicator_sort_sql`].
#[derive(Clone, Copy, Debug)]
pub struct IndicatorOrder {
    pub sort_sql: &'static str,
    pub descending: bool,
    pub limit: u64,
    pub offset: u64,
}

/// Count and sums over every row a filter selects (not only the page shown).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct IndicatorTotals {
    pub count: i64,
    pub total_fen: i64,
    pub frozen_fen: i64,
    pub reserved_fen: i64,
    pub spent_fen: i64,
    pub written_off_fen: i64,
    pub available_fen: i64,
}

fn indicator_from() -> &'static str {
    INDICATOR_SELECT
        .find(" FROM indicator i")
        .map_or(INDICATOR_SELECT, |at| &INDICATOR_SELECT[at..])
}

fn push_text(sql: &mut Sql, column: &str, value: &Option<String>) {
    if let Some(value) = value.as_deref().filter(|value| !value.is_empty()) {
        sql.push(" AND ")
            .push(column)
            .push(" = ")
            .bind(Bind::text(value));
    }
}

/// Appends the filter's predicates and the viewer's scope to a query on `indicator i`.
pub fn push_indicator_filter(sql: &mut Sql, filter: &IndicatorFilter, viewer: Viewer<'_>) {
    if let Some(region) = filter.mof_div_code.as_deref().filter(|r| !r.is_empty()) {
        if region.len() == 9 && region.ends_with("998") && region.is_ascii() {
            sql.push(" AND i.mof_div_code IN (SELECT mof_div_code FROM region WHERE region_path LIKE (SELECT region_path FROM region WHERE mof_div_code = ")
                .bind(Bind::text(format!("{}000", &region[..6])))
                .push(") || '%')");
        } else {
            sql.push(" AND i.mof_div_code = ").bind(Bind::text(region));
        }
    }
    if let Some(year) = filter.fiscal_year {
        sql.push(" AND i.fiscal_year = ")
            .bind(Bind::Int(Some(year)));
    }
    push_text(sql, "i.agency_code", &filter.agency_code);
    push_text(sql, "i.pro_code", &filter.pro_code);
    if let Some(func) = filter.exp_func_code.as_deref().filter(|f| !f.is_empty()) {
        sql.push(" AND i.exp_func_code LIKE ")
            .bind(Bind::text(format!("{}%", like_escape(func))))
            .push(" ESCAPE '\\'");
    }
    push_text(sql, "i.gov_bgt_eco_code", &filter.gov_bgt_eco_code);
    push_text(sql, "i.dep_bgt_eco_code", &filter.dep_bgt_eco_code);
    push_text(sql, "i.fund_type_code", &filter.fund_type_code);
    push_text(sql, "i.bgt_type_code", &filter.bgt_type_code);
    push_text(sql, "i.bgt_exe_flag", &filter.bgt_exe_flag);
    push_text(sql, "i.pool_level", &filter.pool_level);
    push_text(sql, "i.cor_bgt_doc_no", &filter.cor_bgt_doc_no);
    if let Some(closed) = filter.closed {
        sql.push(" AND i.is_closed = ")
            .bind(Bind::Bool(Some(closed)));
    }
    if let Some(search) = filter.search.as_deref().filter(|s| !s.is_empty()) {
        let pattern = format!("%{}%", like_escape(&search.to_lowercase()));
        sql.push(" AND (LOWER(i.bgt_doc_title) LIKE ")
            .bind(Bind::text(pattern.clone()))
            .push(" ESCAPE '\\' OR LOWER(i.cor_bgt_doc_no) LIKE ")
            .bind(Bind::text(pattern.clone()))
            .push(" ESCAPE '\\' OR LOWER(i.bgt_id) LIKE ")
            .bind(Bind::text(pattern))
            .push(" ESCAPE '\\')");
    }
    push_indicator_scope(sql, viewer);
}

/// One page of the indicators a filter selects, in the order asked (then by id).
pub async fn list_indicators(
    db: &Db,
    viewer: Viewer<'_>,
    filter: &IndicatorFilter,
    order: IndicatorOrder,
) -> Result<Vec<IndicatorRow>, StoreError> {
    let mut sql = Sql::new(INDICATOR_SELECT);
    sql.push(" WHERE 1 = 1");
    push_indicator_filter(&mut sql, filter, viewer);
    let direction = if order.descending { "DESC" } else { "ASC" };
    sql.push(&format!(
        " ORDER BY {} {direction}, i.bgt_id ASC LIMIT ",
        order.sort_sql
    ))
    .bind(Bind::Int(Some(
        i64::try_from(order.limit).unwrap_or(i64::MAX),
    )))
    .push(" OFFSET ")
    .bind(Bind::Int(Some(
        i64::try_from(order.offset).unwrap_or(i64::MAX),
    )));
    let mut rows = Vec::new();
    on_db!(db, pool => {
        for row in &bound_query!(&sql).fetch_all(pool).await? {
            rows.push(indicator_of(row)?);
        }
    });
    Ok(rows)
}

fn sums_select() -> String {
    format!(
        "COUNT(*), CAST(COALESCE(SUM({TOTAL_SQL}), 0) AS BIGINT), CAST(COALESCE(SUM({FROZEN_SQL}), 0) AS BIGINT), \
         CAST(COALESCE(SUM({RESERVED_SQL}), 0) AS BIGINT), CAST(COALESCE(SUM({SPENT_SQL}), 0) AS BIGINT), \
         CAST(COALESCE(SUM({WRITTEN_OFF_SQL}), 0) AS BIGINT), CAST(COALESCE(SUM({AVAILABLE_SQL}), 0) AS BIGINT)"
    )
}

fn totals_of<R>(row: &R, first: usize) -> Result<IndicatorTotals, sqlx::Error>
where
    R: sqlx::Row,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(IndicatorTotals {
        count: row.try_get(first)?,
        total_fen: row.try_get(first + 1)?,
        frozen_fen: row.try_get(first + 2)?,
        reserved_fen: row.try_get(first + 3)?,
        spent_fen: row.try_get(first + 4)?,
        written_off_fen: row.try_get(first + 5)?,
        available_fen: row.try_get(first + 6)?,
    })
}

/// The count and sums over every indicator a filter selects.
pub async fn indicator_totals(
    db: &Db,
    viewer: Viewer<'_>,
    filter: &IndicatorFilter,
) -> Result<IndicatorTotals, StoreError> {
    let mut sql = Sql::new(&format!("SELECT {}{}", sums_select(), indicator_from()));
    sql.push(" WHERE 1 = 1");
    push_indicator_filter(&mut sql, filter, viewer);
    let totals = on_db!(db, pool => {
        let row = bound_query!(&sql).fetch_one(pool).await?;
        totals_of(&row, 0)?
    });
    Ok(totals)
}

/// The grouping of a roll-up: wire name → SQL expression (the whitelist).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SummaryGroup {
    Region,
    Agency,
    /// 支出功能分类 at 类 (3), 款 (5) or 项 (7) digits.
    Func(u8),
    Fund,
}

impl SummaryGroup {
    fn sql(self) -> &'static str {
        match self {
            SummaryGroup::Region => "i.mof_div_code",
            SummaryGroup::Agency => "COALESCE(i.agency_code, '')",
            SummaryGroup::Func(3) => "SUBSTR(i.exp_func_code, 1, 3)",
            SummaryGroup::Func(5) => "SUBSTR(i.exp_func_code, 1, 5)",
            SummaryGroup::Func(_) => "SUBSTR(i.exp_func_code, 1, 7)",
            SummaryGroup::Fund => "i.fund_type_code",
        }
    }
}

/// One group of a roll-up: its key (a region, unit, function prefix or fund code; empty for
/// pools without one) and its sums.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SummaryRow {
    pub key: String,
    #[serde(flatten)]
    pub totals: IndicatorTotals,
}

/// Sums of the selected indicators grouped by `group`, ordered by key.
pub async fn indicator_summary(
    db: &Db,
    viewer: Viewer<'_>,
    filter: &IndicatorFilter,
    group: SummaryGroup,
) -> Result<Vec<SummaryRow>, StoreError> {
    let key = group.sql();
    let mut sql = Sql::new(&format!(
        "SELECT {key}, {}{}",
        sums_select(),
        indicator_from()
    ));
    sql.push(" WHERE 1 = 1");
    push_indicator_filter(&mut sql, filter, viewer);
    sql.push(&format!(" GROUP BY {key} ORDER BY {key}"));
    let mut rows = Vec::new();
    on_db!(db, pool => {
        for row in &bound_query!(&sql).fetch_all(pool).await? {
            rows.push(SummaryRow { key: row.try_get::<String, _>(0)?, totals: totals_of(row, 1)? });
        }
    });
    Ok(rows)
}

/// The indicators split or carried from `bgt_id` that `viewer` may see.
pub async fn children_of(
    db: &Db,
    viewer: Viewer<'_>,
    bgt_id: &str,
) -> Result<Vec<IndicatorRow>, StoreError> {
    let mut sql = Sql::new(INDICATOR_SELECT);
    sql.push(" WHERE i.ori_bgt_id = ").bind(Bind::text(bgt_id));
    push_indicator_scope(&mut sql, viewer);
    sql.push(" ORDER BY i.created_at, i.bgt_id");
    let mut rows = Vec::new();
    on_db!(db, pool => {
        for row in &bound_query!(&sql).fetch_all(pool).await? {
            rows.push(indicator_of(row)?);
        }
    });
    Ok(rows)
}

fn push_touches(sql: &mut Sql, bgt_id: &str) {
    let accounts = ["a", "f", "s", "w"].map(|kind| format!("{bgt_id}.{kind}"));
    for (side_index, side) in ["debit_account_id", "credit_account_id"].iter().enumerate() {
        if side_index > 0 {
            sql.push(" OR ");
        }
        sql.push(side).push(" IN (");
        for (index, account) in accounts.iter().enumerate() {
            if index > 0 {
                sql.push(", ");
            }
            sql.bind(Bind::text(account.as_str()));
        }
        sql.push(")");
    }
}

/// How many transfers touch one of the indicator's four accounts.
pub async fn entry_count(db: &Db, bgt_id: &str) -> Result<i64, StoreError> {
    let mut sql = Sql::new("SELECT COUNT(*) FROM ledger_transfer WHERE ");
    push_touches(&mut sql, bgt_id);
    let count = on_db!(db, pool => {
        let row = bound_query!(&sql).fetch_one(pool).await?;
        row.try_get::<i64, _>(0)?
    });
    Ok(count)
}

/// The first `limit` transfers touching the indicator's accounts, in ledger order (the 账页:
/// running balances need every earlier line, so a page reads from the start).
pub async fn entries_of(db: &Db, bgt_id: &str, limit: u64) -> Result<Vec<TransferRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {TRANSFER_COLUMNS} FROM ledger_transfer WHERE "
    ));
    push_touches(&mut sql, bgt_id);
    sql.push(" ORDER BY seq LIMIT ")
        .bind(Bind::Int(Some(i64::try_from(limit).unwrap_or(i64::MAX))));
    let mut rows = Vec::new();
    on_db!(db, pool => {
        for row in &bound_query!(&sql).fetch_all(pool).await? {
            rows.push(transfer_of(row)?);
        }
    });
    Ok(rows)
}

/// A flow document that created or moved an indicator.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DocumentRef {
    pub doc_id: String,
    pub doc_type: String,
    pub title: String,
    pub status: String,
    pub created_at: String,
}

/// The documents behind an indicator: the one that created it and every one whose transfers
/// touched it, oldest first.
pub async fn documents_of_indicator(db: &Db, bgt_id: &str) -> Result<Vec<DocumentRef>, StoreError> {
    let mut sql = Sql::new(
        "SELECT d.doc_id, d.doc_type, d.title, d.status, d.created_at FROM flow_document d \
         WHERE d.doc_id IN (SELECT doc_id FROM indicator WHERE bgt_id = ",
    );
    sql.bind(Bind::text(bgt_id)).push(
        ") OR d.doc_id IN (SELECT doc_id FROM ledger_transfer WHERE doc_id IS NOT NULL AND (",
    );
    push_touches(&mut sql, bgt_id);
    sql.push(")) ORDER BY d.created_at, d.doc_id");
    let mut rows = Vec::new();
    on_db!(db, pool => {
        for row in &bound_query!(&sql).fetch_all(pool).await? {
            rows.push(DocumentRef {
                doc_id: row.try_get(0)?,
                doc_type: row.try_get(1)?,
                title: row.try_get(2)?,
                status: row.try_get(3)?,
                created_at: row.try_get(4)?,
            });
        }
    });
    Ok(rows)
}
