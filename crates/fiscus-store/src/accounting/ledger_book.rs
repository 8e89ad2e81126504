//! Reads of the indicator ledger for the books, read-only: the indicator accounting book
//! (指标核算, book types 60/61) of a region and year — the posted movements of the ledger's
//! accounts summed by account kind — and the budget execution statement (预算执行情况表) by
//! function or economic class, with the same figures as the ledger's own roll-ups.

use sqlx::Row;

use crate::ledger::push_indicator_scope;
use crate::records::Viewer;
use crate::sql::{Bind, Sql};
use crate::{Db, StoreError, bound_query, on_db};

/// The posted amount moved from one kind of account to another, as the indicator book of
/// a region and year sees them: `a f s w src` for the region-year's own accounts, `other`
/// for an account of another region or year (a carry-over's new indicator, a transfer to a
/// lower level).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct KindFlow {
    pub debit_kind: String,
    pub credit_kind: String,
    pub amount_fen: i64,
}

/// The posted transfers touching a region-year's ledger accounts, summed by the kinds of
/// their two sides.
pub async fn indicator_book_flows(
    db: &Db,
    mof_div_code: &str,
    fiscal_year: i64,
) -> Result<Vec<KindFlow>, StoreError> {
    let rows: Vec<(String, String, i64)> = on_db!(db, pool => sqlx::query_as(
        "SELECT CASE WHEN da.mof_div_code = $1 AND da.fiscal_year = $2 THEN da.kind ELSE 'other' END, \
                CASE WHEN ca.mof_div_code = $1 AND ca.fiscal_year = $2 THEN ca.kind ELSE 'other' END, \
                CAST(SUM(t.amount_fen) AS BIGINT) \
         FROM ledger_transfer t \
         JOIN ledger_account da ON da.account_id = t.debit_account_id \
         JOIN ledger_account ca ON ca.account_id = t.credit_account_id \
         WHERE t.kind IN ('posted', 'post_pending') \
         AND ((da.mof_div_code = $1 AND da.fiscal_year = $2) OR (ca.mof_div_code = $1 AND ca.fiscal_year = $2)) \
         GROUP BY 1, 2 ORDER BY 1, 2")
        .bind(mof_div_code)
        .bind(fiscal_year)
        .fetch_all(pool)
        .await?);
    Ok(rows
        .into_iter()
        .map(|(debit_kind, credit_kind, amount_fen)| KindFlow {
            debit_kind,
            credit_kind,
            amount_fen,
        })
        .collect())
}

/// The grouping of an execution statement (the whitelist of its SQL keys).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum ExecutionGroup {
    /// 支出功能分类 at 类 (3 digits) or 款 (5).
    Func(u8),
    /// 部门预算支出经济分类 at 类 (3 digits) or 款 (5).
    Eco(u8),
}

impl ExecutionGroup {
    fn sql(self) -> &'static str {
        match self {
            ExecutionGroup::Func(3) => "SUBSTR(i.exp_func_code, 1, 3)",
            ExecutionGroup::Func(_) => "SUBSTR(i.exp_func_code, 1, 5)",
            ExecutionGroup::Eco(3) => "SUBSTR(i.dep_bgt_eco_code, 1, 3)",
            ExecutionGroup::Eco(_) => "SUBSTR(i.dep_bgt_eco_code, 1, 5)",
        }
    }
}

/// Which indicators a statement covers: a region's subtree, or a unit's subtree (the unit
/// itself, or a department and its units).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExecutionScope {
    RegionSubtree { mof_div_code: String },
    AgencySubtree { agency_code: String },
}

/// One group of an execution statement, in fen.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ExecutionRow {
    pub key: String,
    pub n_indicators: i64,
    /// 指标合计: the five parts of the ledger's 指标金额.
    pub total_fen: i64,
    /// 调整: the net of the posted 追加, 追减 and 调剂 of the year on these indicators.
    pub adjusted_fen: i64,
    pub frozen_fen: i64,
    pub reserved_fen: i64,
    pub spent_fen: i64,
    pub available_fen: i64,
}

fn push_scope(sql: &mut Sql, scope: &ExecutionScope, fiscal_year: i64, viewer: Viewer<'_>) {
    sql.push(" WHERE i.fiscal_year = ")
        .bind(Bind::Int(Some(fiscal_year)))
        .push(" AND i.agency_code IS NOT NULL");
    match scope {
        ExecutionScope::RegionSubtree { mof_div_code } => {
            sql.push(" AND i.mof_div_code IN (SELECT mof_div_code FROM region WHERE region_path LIKE (SELECT region_path FROM region WHERE mof_div_code = ")
                .bind(Bind::text(mof_div_code.as_str()))
                .push(") || '%')");
        }
        ExecutionScope::AgencySubtree { agency_code } => {
            sql.push(" AND i.agency_code IN (SELECT agency_code FROM agency WHERE agency_path LIKE (SELECT agency_path FROM agency WHERE agency_code = ")
                .bind(Bind::text(agency_code.as_str()))
                .push(") || '%')");
        }
    }
    push_indicator_scope(sql, viewer);
}

/// The execution statement of the unit indicators of `scope` in `fiscal_year` that `viewer`
/// may see, grouped by `group`, ordered by key. Pools (待分, without a unit) are left out.
pub async fn execution_rows(
    db: &Db,
    viewer: Viewer<'_>,
    scope: &ExecutionScope,
    fiscal_year: i64,
    group: ExecutionGroup,
) -> Result<Vec<ExecutionRow>, StoreError> {
    let key = group.sql();
    let mut sql = Sql::new(&format!(
        "SELECT {key}, COUNT(*), \
         CAST(COALESCE(SUM(a.credits_posted - a.debits_posted + f.credits_posted - f.debits_posted + s.credits_posted - s.debits_posted + w.credits_posted - w.debits_posted), 0) AS BIGINT), \
         CAST(COALESCE(SUM(f.credits_posted - f.debits_posted), 0) AS BIGINT), \
         CAST(COALESCE(SUM(a.debits_pending), 0) AS BIGINT), \
         CAST(COALESCE(SUM(s.credits_posted - s.debits_posted), 0) AS BIGINT), \
         CAST(COALESCE(SUM(a.credits_posted - a.debits_posted - a.debits_pending), 0) AS BIGINT) \
         FROM indicator i \
         JOIN ledger_account a ON a.account_id = i.bgt_id || '.a' \
         JOIN ledger_account f ON f.account_id = i.bgt_id || '.f' \
         JOIN ledger_account s ON s.account_id = i.bgt_id || '.s' \
         JOIN ledger_account w ON w.account_id = i.bgt_id || '.w'"
    ));
    push_scope(&mut sql, scope, fiscal_year, viewer);
    sql.push(&format!(" GROUP BY {key} ORDER BY {key}"));
    let mut rows = Vec::new();
    on_db!(db, pool => {
        for row in &bound_query!(&sql).fetch_all(pool).await? {
            rows.push(ExecutionRow {
                key: row.try_get(0)?,
                n_indicators: row.try_get(1)?,
                total_fen: row.try_get(2)?,
                adjusted_fen: 0,
                frozen_fen: row.try_get(3)?,
                reserved_fen: row.try_get(4)?,
                spent_fen: row.try_get(5)?,
                available_fen: row.try_get(6)?,
            });
        }
    });
    let mut sql = Sql::new(&format!(
        "SELECT {key}, CAST(COALESCE(SUM(CASE WHEN t.credit_account_id = i.bgt_id || '.a' THEN t.amount_fen ELSE -t.amount_fen END), 0) AS BIGINT) \
         FROM indicator i JOIN ledger_transfer t ON (t.credit_account_id = i.bgt_id || '.a' OR t.debit_account_id = i.bgt_id || '.a')"
    ));
    push_scope(&mut sql, scope, fiscal_year, viewer);
    sql.push(" AND t.kind = 'posted' AND t.reason IN ('supplement', 'cut', 'reallocate')");
    sql.push(&format!(" GROUP BY {key}"));
    on_db!(db, pool => {
        for row in &bound_query!(&sql).fetch_all(pool).await? {
            let group_key: String = row.try_get(0)?;
            let adjusted_fen: i64 = row.try_get(1)?;
            if let Some(target) = rows.iter_mut().find(|r| r.key == group_key) {
                target.adjusted_fen = adjusted_fen;
            }
        }
    });
    Ok(rows)
}

/// The region of a unit, None when there is no such unit.
pub async fn agency_region(db: &Db, agency_code: &str) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> = on_db!(db, pool => sqlx::query_as(
        "SELECT mof_div_code FROM agency WHERE agency_code = $1")
        .bind(agency_code)
        .fetch_optional(pool)
        .await?);
    Ok(row.map(|(code,)| code))
}
