//! Budget summaries (预算汇总) by region, department, unit, function class, economic class and
//! fund nature, consolidated up the region tree. Each summary is one grouped statement over
//! `budget_line i` (scoped like indicators) plus one ungrouped statement for the totals row;
//! names are joined onto the groups in the same statement, after grouping.
//!
//! By region, the groups are the children of a base region: a line of region `r` falls in
//! the child whose code is the path segment of `r` right after the base's path, so every
//! child's row holds its whole subtree; lines of the base region itself have an empty key
//! (本级).

use sqlx::Row;

use crate::records::Viewer;
use crate::sql::{Bind, Sql, like_escape};
use crate::{Db, StoreError, bound_query, on_db};

/// A summary has at most this many groups (the unit dimension of the whole corps is ~4,600).
pub const REPORT_GROUPS_MAX: i64 = 20_000;

/// What the lines are grouped by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportBy {
    /// The children of the base region (whole subtrees), and the base's own level.
    Region,
    /// 主管部门 (the department of each line).
    Dept,
    /// 预算单位.
    Unit,
    /// 支出功能分类 at 类 (3), 款 (5) or 项 (7) digits.
    Func(u8),
    /// 部门预算支出经济分类 at 类 (3) or 款 (5) digits.
    Eco(u8),
    /// 资金性质.
    Fund,
}

/// Which lines a summary takes. Values are bound, never spliced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportFilter {
    pub fiscal_year: i64,
    /// The region subtree: its root's materialized path (`/660000000/660100000/`).
    pub region_path: Option<String>,
    /// Only the lines of this one region (a 本级 drill-down).
    pub region_exact: Option<String>,
    pub dept_code: Option<String>,
    pub agency_code: Option<String>,
    /// Prefix of the function class.
    pub exp_func_prefix: Option<String>,
    /// Prefix of the department economic class.
    pub dep_bgt_eco_prefix: Option<String>,
    pub fund_type_code: Option<String>,
}

/// The figures of a group (BGT_PM_ANNUAL), fen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReportFigures {
    /// Units with at least one line in the group.
    pub n_units: i64,
    pub n_lines: i64,
    /// 申报数.
    pub apply_up_fen: i64,
    /// 财政审核数.
    pub fin_audit_fen: i64,
    /// 年初批复数.
    pub reply_fen: i64,
    /// 调整调剂 (adj_amt + dis_amt).
    pub adjust_fen: i64,
    /// 变动后.
    pub current_fen: i64,
    /// 编制数 (the figure of the current round).
    pub amount_fen: i64,
}

/// One group: its key (a region, department, unit, class prefix or fund code; empty for the
/// base region's own level), its name where one is known, and its figures.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ReportRow {
    pub key: String,
    pub name: String,
    #[serde(flatten)]
    pub figures: ReportFigures,
}

const FIGURES_SELECT: &str = "COUNT(DISTINCT i.agency_code) AS n_units, COUNT(*) AS n_lines, \
    CAST(COALESCE(SUM(i.apply_up), 0) AS BIGINT) AS apply_up_fen, \
    CAST(COALESCE(SUM(i.fin_audit_money), 0) AS BIGINT) AS fin_audit_fen, \
    CAST(COALESCE(SUM(i.reply_amt), 0) AS BIGINT) AS reply_fen, \
    CAST(COALESCE(SUM(i.adj_amt + i.dis_amt), 0) AS BIGINT) AS adjust_fen, \
    CAST(COALESCE(SUM(i.cur_amt), 0) AS BIGINT) AS current_fen, \
    CAST(COALESCE(SUM(i.amount_fen), 0) AS BIGINT) AS amount_fen";

const FIGURES_COLUMNS: &str = "g.n_units, g.n_lines, g.apply_up_fen, g.fin_audit_fen, \
    g.reply_fen, g.adjust_fen, g.current_fen, g.amount_fen";

fn figures_of<R>(row: &R) -> Result<ReportFigures, sqlx::Error>
where
    R: Row,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
{
    Ok(ReportFigures {
        n_units: row.try_get("n_units")?,
        n_lines: row.try_get("n_lines")?,
        apply_up_fen: row.try_get("apply_up_fen")?,
        fin_audit_fen: row.try_get("fin_audit_fen")?,
        reply_fen: row.try_get("reply_fen")?,
        adjust_fen: row.try_get("adjust_fen")?,
        current_fen: row.try_get("current_fen")?,
        amount_fen: row.try_get("amount_fen")?,
    })
}

fn push_prefix(sql: &mut Sql, column: &str, prefix: &Option<String>) {
    if let Some(prefix) = prefix.as_deref().filter(|p| !p.is_empty()) {
        sql.push(" AND ")
            .push(column)
            .push(" LIKE ")
            .bind(Bind::text(format!("{}%", like_escape(prefix))))
            .push(" ESCAPE '\\'");
    }
}

fn push_equal(sql: &mut Sql, column: &str, value: &Option<String>) {
    if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
        sql.push(" AND ")
            .push(column)
            .push(" = ")
            .bind(Bind::text(value));
    }
}

/// `FROM budget_line i JOIN region r … WHERE …`: the filter, then the viewer's scope.
fn push_from_where(sql: &mut Sql, viewer: Viewer<'_>, filter: &ReportFilter) {
    sql.push(" FROM budget_line i JOIN region r ON r.mof_div_code = i.mof_div_code")
        .push(" WHERE i.fiscal_year = ")
        .bind(Bind::Int(Some(filter.fiscal_year)));
    if let Some(path) = filter.region_path.as_deref() {
        sql.push(" AND r.region_path LIKE ")
            .bind(Bind::text(format!("{}%", like_escape(path))))
            .push(" ESCAPE '\\'");
    }
    push_equal(sql, "i.mof_div_code", &filter.region_exact);
    push_equal(sql, "i.dept_code", &filter.dept_code);
    push_equal(sql, "i.agency_code", &filter.agency_code);
    push_prefix(sql, "i.exp_func_code", &filter.exp_func_prefix);
    push_prefix(sql, "i.dep_bgt_eco_code", &filter.dep_bgt_eco_prefix);
    push_equal(sql, "i.fund_type_code", &filter.fund_type_code);
    crate::ledger::push_indicator_scope(sql, viewer);
}

/// The grouping expression (never user text: digit counts are clamped, the base path's
/// length is a number) and the join that names a group.
fn grouping(by: ReportBy, base_path_chars: usize, fiscal_year: i64) -> (String, String) {
    let code_name = |element: &str| {
        format!(
            " LEFT JOIN code_item n ON n.element_code = '{element}' AND n.fiscal_year = {fiscal_year} AND n.code = g.k"
        )
    };
    match by {
        // Region codes are nine digits: the child's code follows the base's path.
        ReportBy::Region => (
            format!("SUBSTR(r.region_path, {}, 9)", base_path_chars + 1),
            " LEFT JOIN region n ON n.mof_div_code = g.k".to_owned(),
        ),
        ReportBy::Dept => (
            "i.dept_code".to_owned(),
            " LEFT JOIN agency n ON n.agency_code = g.k".to_owned(),
        ),
        ReportBy::Unit => (
            "i.agency_code".to_owned(),
            " LEFT JOIN agency n ON n.agency_code = g.k".to_owned(),
        ),
        ReportBy::Func(digits) => (
            format!("SUBSTR(i.exp_func_code, 1, {})", class_digits(digits, 7)),
            code_name("exp_func"),
        ),
        ReportBy::Eco(digits) => (
            format!("SUBSTR(i.dep_bgt_eco_code, 1, {})", class_digits(digits, 5)),
            code_name("dep_bgt_eco"),
        ),
        ReportBy::Fund => ("i.fund_type_code".to_owned(), code_name("fund_type")),
    }
}

/// 3, 5 or 7 digits, at most `max`.
fn class_digits(digits: u8, max: u8) -> u8 {
    match digits {
        0..=3 => 3,
        4 | 5 => 5,
        _ => 7,
    }
    .min(max)
}

fn name_column(by: ReportBy) -> &'static str {
    match by {
        ReportBy::Region => "n.mof_div_name",
        ReportBy::Dept | ReportBy::Unit => "n.agency_name",
        _ => "n.name",
    }
}

/// The groups of the selected lines, ordered by key. By region, `filter.region_path` is the
/// base (required: a summary by region without one has no tree to consolidate along).
pub async fn summary(
    db: &Db,
    viewer: Viewer<'_>,
    filter: &ReportFilter,
    by: ReportBy,
) -> Result<Vec<ReportRow>, StoreError> {
    let base_path_chars = match (by, filter.region_path.as_deref()) {
        (ReportBy::Region, Some(path)) => path.chars().count(),
        (ReportBy::Region, None) => {
            return Err(StoreError::Corrupt(
                "a budget summary by region needs a base region".into(),
            ));
        }
        _ => 0,
    };
    let (key, join) = grouping(by, base_path_chars, filter.fiscal_year);
    let mut sql = Sql::new(&format!(
        "SELECT g.k, COALESCE({}, '') AS name, {FIGURES_COLUMNS} FROM (SELECT {key} AS k, {FIGURES_SELECT}",
        name_column(by)
    ));
    push_from_where(&mut sql, viewer, filter);
    sql.push(&format!(" GROUP BY {key}) g{join} ORDER BY g.k LIMIT "))
        .bind(Bind::Int(Some(REPORT_GROUPS_MAX)));
    let mut rows = Vec::new();
    on_db!(db, pool => {
        for row in &bound_query!(&sql).fetch_all(pool).await? {
            rows.push(ReportRow {
                key: row.try_get::<Option<String>, _>(0)?.unwrap_or_default(),
                name: row.try_get("name")?,
                figures: figures_of(row)?,
            });
        }
    });
    Ok(rows)
}

/// The figures of every selected line together (the totals row).
pub async fn totals(
    db: &Db,
    viewer: Viewer<'_>,
    filter: &ReportFilter,
) -> Result<ReportFigures, StoreError> {
    let mut sql = Sql::new(&format!("SELECT {FIGURES_SELECT}"));
    push_from_where(&mut sql, viewer, filter);
    let figures = on_db!(db, pool => {
        let row = bound_query!(&sql).fetch_one(pool).await?;
        figures_of(&row)?
    });
    Ok(figures)
}

/// A region's materialized path and name, if it exists.
pub async fn region_of(
    db: &Db,
    mof_div_code: &str,
) -> Result<Option<(String, String)>, StoreError> {
    let found = on_db!(db, pool => {
        sqlx::query("SELECT region_path, mof_div_name FROM region WHERE mof_div_code = $1")
            .bind(mof_div_code)
            .fetch_optional(pool)
            .await?
            .map(|row| -> Result<(String, String), sqlx::Error> {
                Ok((row.try_get(0)?, row.try_get(1)?))
            })
            .transpose()?
    });
    Ok(found)
}

/// The plan of a summary's grouped statement, for benchmarks and index checks.
pub async fn explain(
    db: &Db,
    viewer: Viewer<'_>,
    filter: &ReportFilter,
    by: ReportBy,
) -> Result<Vec<String>, StoreError> {
    let base_path_chars = filter
        .region_path
        .as_deref()
        .map_or(0, |path| path.chars().count());
    let (key, _) = grouping(by, base_path_chars, filter.fiscal_year);
    let prefix = match db {
        Db::Sqlite { .. } => "EXPLAIN QUERY PLAN",
        Db::Postgres(_) => "EXPLAIN ANALYZE",
    };
    let mut sql = Sql::new(&format!("{prefix} SELECT {key} AS k, {FIGURES_SELECT}"));
    push_from_where(&mut sql, viewer, filter);
    sql.push(&format!(" GROUP BY {key}"));
    let mut lines = Vec::new();
    on_db!(db, pool => {
        for row in &bound_query!(&sql).fetch_all(pool).await? {
            let width = row.len();
            let text: Option<String> = row.try_get(width - 1).ok();
            lines.push(text.unwrap_or_default());
        }
    });
    Ok(lines)
}
