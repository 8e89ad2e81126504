//! Final accounts (决算, DOMAIN.md §7.1), pure: the department final-accounts report set as
//! data (`tables.rs`: tables, columns and fixed rows with their Chinese labels), the
//! computation of a set from grouped facts of the ledger and the books (`compute.rs`), the
//! in-table and cross-table checks (表内 / 表间校验, `checks.rs`), and the consolidation of
//! sets (汇总). See ADR 0013.
//!
//! Every cell is linear in the facts, so the set of a department or a region computed from
//! the facts of its subtree equals the sum of its units' sets ([`consolidate`]).

pub mod checks;
pub mod compute;
pub mod tables;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::rejection::Rejection;

pub use checks::{CheckKind, CheckReport, RuleResult, check_set};
pub use compute::{BookFact, Fact, Names, compute_set};
pub use tables::{Column, TABLES, TableDef, table_def};

/// Whose set: one unit, a department (the unit and its sub-units), or a region (every unit
/// of the region and of the regions below it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Unit,
    Department,
    Region,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Unit, Scope::Department, Scope::Region];

    pub fn code(self) -> &'static str {
        match self {
            Scope::Unit => "unit",
            Scope::Department => "department",
            Scope::Region => "region",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Scope::Unit => "单位决算",
            Scope::Department => "部门汇总",
            Scope::Region => "区划汇总",
        }
    }

    pub fn parse(text: &str) -> Result<Scope, Rejection> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.code() == text.trim())
            .ok_or(Rejection::FieldInvalid {
                field: "决算范围",
                expected: "unit（单位）、department（部门）或 region（区划）",
            })
    }
}

/// A stored set's status: 已生成 → 已报送 → 已审核. Only a generated set is regenerated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SetStatus {
    Generated,
    Submitted,
    Accepted,
}

impl SetStatus {
    pub fn code(self) -> &'static str {
        match self {
            SetStatus::Generated => "generated",
            SetStatus::Submitted => "submitted",
            SetStatus::Accepted => "accepted",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SetStatus::Generated => "已生成",
            SetStatus::Submitted => "已报送",
            SetStatus::Accepted => "已审核",
        }
    }

    pub fn from_code(code: &str) -> Option<SetStatus> {
        [
            SetStatus::Generated,
            SetStatus::Submitted,
            SetStatus::Accepted,
        ]
        .into_iter()
        .find(|status| status.code() == code)
    }

    /// The status after `action` (生成, 报送, 审核), or the rejection naming both.
    pub fn after(current: Option<SetStatus>, action: SetAction) -> Result<SetStatus, Rejection> {
        let next = match (current, action) {
            (None | Some(SetStatus::Generated), SetAction::Generate) => SetStatus::Generated,
            (Some(SetStatus::Generated), SetAction::Submit) => SetStatus::Submitted,
            (Some(SetStatus::Submitted), SetAction::Accept) => SetStatus::Accepted,
            (Some(status), _) => {
                return Err(Rejection::FinalAccountsStatusForbids {
                    action: action.label(),
                    status: status.label(),
                });
            }
            (None, _) => {
                return Err(Rejection::NotFound {
                    what: "决算报表"
                });
            }
        };
        Ok(next)
    }
}

/// What is done to a set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetAction {
    Generate,
    Submit,
    Accept,
}

impl SetAction {
    pub fn label(self) -> &'static str {
        match self {
            SetAction::Generate => "重新生成",
            SetAction::Submit => "报送",
            SetAction::Accept => "审核",
        }
    }
}

/// One row of a computed table: a stable code (`in.total`, `f.20101`, `e.301`…), its label,
/// its depth in a classification tree (0 for fixed rows and 类) and one fen amount per
/// column of the table's definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub code: String,
    pub label: String,
    pub level: u8,
    pub cells: Vec<i64>,
}

/// One computed table of a set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub code: String,
    pub rows: Vec<Row>,
}

impl Table {
    /// The amount of a cell; 0 for a row or column the table does not have.
    pub fn cell(&self, row_code: &str, col_code: &str) -> i64 {
        let Some(def) = table_def(&self.code) else {
            return 0;
        };
        let Some(col) = def.columns.iter().position(|c| c.code == col_code) else {
            return 0;
        };
        self.rows
            .iter()
            .find(|row| row.code == row_code)
            .and_then(|row| row.cells.get(col).copied())
            .unwrap_or(0)
    }

    pub fn row(&self, row_code: &str) -> Option<&Row> {
        self.rows.iter().find(|row| row.code == row_code)
    }
}

/// A report set: its tables in the order of [`TABLES`] (资产负债简表 only when the book has
/// postings).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSet {
    pub tables: Vec<Table>,
}

impl ReportSet {
    pub fn table(&self, code: &str) -> Option<&Table> {
        self.tables.iter().find(|table| table.code == code)
    }

    /// The amount of a cell; 0 when the table, row or column is absent.
    pub fn cell(&self, table: &str, row: &str, col: &str) -> i64 {
        self.table(table).map_or(0, |table| table.cell(row, col))
    }
}

/// Sums sets cell by cell (汇总): rows are matched by code; a row only some sets have is
/// taken with zeros elsewhere. Rows keep the order of their table (fixed rows, then the
/// classification rows by code, as [`compute_set`] orders them).
pub fn consolidate(sets: &[ReportSet]) -> Result<ReportSet, Rejection> {
    let mut sums: BTreeMap<&str, BTreeMap<String, RowSums>> = BTreeMap::new();
    for set in sets {
        for table in &set.tables {
            let rows = sums.entry(table_code_static(&table.code)).or_default();
            for row in &table.rows {
                let entry = rows
                    .entry(row.code.clone())
                    .or_insert_with(|| (row.label.clone(), row.level, vec![0; row.cells.len()]));
                for (sum, cell) in entry.2.iter_mut().zip(&row.cells) {
                    *sum += i128::from(*cell);
                }
            }
        }
    }
    let mut tables = Vec::new();
    for def in &TABLES {
        let Some(rows) = sums.get(def.code) else {
            continue;
        };
        let mut out = Vec::with_capacity(rows.len());
        for (code, (label, level, cells)) in rows {
            out.push(Row {
                code: code.clone(),
                label: label.clone(),
                level: *level,
                cells: cells
                    .iter()
                    .map(|sum| compute::to_fen(*sum))
                    .collect::<Result<_, _>>()?,
            });
        }
        out.sort_by_key(|row| tables::row_order(def, &row.code));
        tables.push(Table {
            code: def.code.to_owned(),
            rows: out,
        });
    }
    Ok(ReportSet { tables })
}

/// A row's label, level and cell sums while sets are summed.
type RowSums = (String, u8, Vec<i128>);

fn table_code_static(code: &str) -> &'static str {
    table_def(code).map_or("", |def| def.code)
}

/// The cover (封面): the unit's or the region's basic information, label → value, as it
/// was when the set was generated.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cover {
    pub lines: Vec<(String, String)>,
}
