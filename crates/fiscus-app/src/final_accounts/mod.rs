//! Final accounts (决算) as use cases (ADR 0013): generate a unit's, a department's or a
//! region's report set from the ledger and the books (grouped SQL over the subtree, then the
//! core's `compute_set` and `check_set`), store it, read it back with its checks, submit it
//! (已生成 → 已报送, refused while a check fails) and accept it (已报送 → 已审核), export it
//! to Excel (`excel.rs`), and tie the whole tree's expenditure out to the payments.
//!
//! Who may touch which set is decided here, once (`target`): a set is visible when its
//! organisation is inside the viewer's data scope; a unit's clerk or its department's
//! reviewer generates and submits unit and department sets, the budget division generates
//! region sets, submits its own region's and accepts every set below it.

pub mod excel;
mod query;

pub use query::{LIST_PAGE_SIZE, ListView, TieOut};

use std::collections::BTreeMap;

use fiscus_core::final_accounts::{
    CheckReport, Cover, ReportSet, Row, Scope, SetAction, SetStatus, TABLES, Table, check_set,
    compute_set, table_def,
};
use fiscus_core::{Action, DataScope, Principal, Rejection, Resource, Role};
use fiscus_store::audit::{AuditEntry, now};
use fiscus_store::final_accounts::{self as store, CellRow, SetRow, Subject};

use crate::{App, AppError};

/// A set as read: its header, cover, tables and the checks of those tables.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SetView {
    pub header: SetRow,
    pub cover: Cover,
    pub set: ReportSet,
    pub checks: CheckReport,
}

/// The organisation a set is about, resolved and checked against the viewer.
struct Target {
    scope: Scope,
    org_code: String,
    org_name: String,
    mof_div_code: String,
    agency_code: Option<String>,
    subject: Subject,
    cover: Cover,
}

impl Target {
    fn set_id(&self, fiscal_year: i64) -> String {
        format!("{}.{}.{fiscal_year}", self.scope.code(), self.org_code)
    }
}

fn not_found() -> AppError {
    Rejection::NotFound {
        what: "决算报表"
    }
    .into()
}

pub(crate) fn check_year(fiscal_year: i64) -> Result<(), Rejection> {
    if (2000..=2100).contains(&fiscal_year) {
        Ok(())
    } else {
        Err(Rejection::FieldInvalid {
            field: "决算年度",
            expected: "四位年份",
        })
    }
}

impl App {
    async fn target(
        &self,
        who: &Principal,
        scope: Scope,
        code: &str,
        fiscal_year: i64,
    ) -> Result<Target, AppError> {
        check_year(fiscal_year)?;
        let code = code.trim();
        if code.is_empty() || code.len() > 30 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(not_found());
        }
        let year_line = ("决算年度".to_owned(), fiscal_year.to_string());
        if scope == Scope::Region {
            let (name, path) = store::region_facts(&self.db, code)
                .await?
                .ok_or_else(not_found)?;
            let DataScope::RegionSubtree { region_path } = who.scope() else {
                return Err(not_found());
            };
            if !path.starts_with(&region_path) {
                return Err(not_found());
            }
            let cover = Cover {
                lines: vec![
                    ("汇总范围".to_owned(), format!("{name}（含所辖区划）")),
                    ("财政区划代码".to_owned(), code.to_owned()),
                    year_line,
                ],
            };
            return Ok(Target {
                scope,
                org_code: code.to_owned(),
                org_name: name,
                mof_div_code: code.to_owned(),
                agency_code: None,
                subject: Subject::RegionPath { region_path: path },
                cover,
            });
        }
        let agency = store::agency_facts(&self.db, code)
            .await?
            .ok_or_else(not_found)?;
        let visible = match (who.scope(), scope) {
            (DataScope::Agency { agency_code, .. }, Scope::Unit) => agency_code.as_str() == code,
            (DataScope::Agency { .. }, _) => false,
            (own, _) => own.contains_agency(&agency.region_path, code, &agency.agency_path),
        };
        if !visible {
            return Err(not_found());
        }
        let mut lines = vec![
            ("单位名称".to_owned(), agency.agency_name.clone()),
            ("单位代码".to_owned(), agency.agency_code.clone()),
            (
                "统一社会信用代码".to_owned(),
                agency.unifsoc_cred_code.clone(),
            ),
            (
                "财政区划".to_owned(),
                format!("{} {}", agency.mof_div_code, agency.mof_div_name),
            ),
            ("单位类型".to_owned(), agency.agency_type.clone()),
            ("经费保障方式".to_owned(), agency.fund_guar.clone()),
            (
                "单位负责人".to_owned(),
                agency.agency_leader_per_name.clone(),
            ),
            ("单位地址".to_owned(), agency.agency_add.clone()),
            ("实有人数".to_owned(), agency.actu_staf_num.to_string()),
            year_line,
        ];
        let subject = if scope == Scope::Department {
            lines.insert(
                0,
                (
                    "汇总范围".to_owned(),
                    format!("{}（含所属单位）", agency.agency_name),
                ),
            );
            Subject::AgencyPath {
                agency_path: agency.agency_path.clone(),
            }
        } else {
            Subject::Unit {
                agency_code: agency.agency_code.clone(),
            }
        };
        Ok(Target {
            scope,
            org_code: agency.agency_code.clone(),
            org_name: agency.agency_name,
            mof_div_code: agency.mof_div_code,
            agency_code: Some(agency.agency_code),
            subject,
            cover: Cover { lines },
        })
    }

    /// Computes a set from the facts of its subject (without storing it).
    pub(crate) async fn compute(
        &self,
        subject: &Subject,
        fiscal_year: i64,
    ) -> Result<(ReportSet, bool, i64), AppError> {
        let (facts, summary) = store::facts(&self.db, subject, fiscal_year).await?;
        let books = store::book_facts(&self.db, subject, fiscal_year).await?;
        let names = store::names(&self.db, fiscal_year).await?;
        let set = compute_set(&facts, &books, &names)?;
        let year_closed = summary.n_indicators > 0 && summary.n_open == 0;
        let n_units = store::unit_count(&self.db, subject).await?;
        Ok((set, year_closed, n_units))
    }

    /// 生成: computes the set and stores it, replacing a set that is only 已生成 (in one
    /// transaction); refused for a submitted or accepted one.
    pub async fn final_accounts_generate(
        &self,
        who: &Principal,
        scope: Scope,
        code: &str,
        fiscal_year: i64,
    ) -> Result<SetView, AppError> {
        if !who.can(Action::Write, Resource::FinalAccounts) {
            return Err(Rejection::Forbidden.into());
        }
        let target = self.target(who, scope, code, fiscal_year).await?;
        if scope == Scope::Region && !who.roles.contains(Role::BudgetDivision) {
            return Err(Rejection::Forbidden.into());
        }
        let (set, year_closed, n_units) = self.compute(&target.subject, fiscal_year).await?;
        let checks = check_set(&set);
        let set_id = target.set_id(fiscal_year);
        let cover_json = serde_json::to_string(&target.cover.lines)
            .map_err(|e| AppError::Internal(format!("cover: {e}")))?;
        let header = SetRow {
            set_id: set_id.clone(),
            scope: scope.code().to_owned(),
            org_code: target.org_code.clone(),
            org_name: target.org_name.clone(),
            mof_div_code: target.mof_div_code.clone(),
            agency_code: target.agency_code.clone(),
            fiscal_year,
            status: SetStatus::Generated.code().to_owned(),
            year_closed,
            n_units,
            n_checks_failed: i64::try_from(checks.n_failed()).unwrap_or(i64::MAX),
            cover_json,
            generated_by: who.user_name.to_string(),
            generated_at: now(),
            submitted_by: None,
            submitted_at: None,
            accepted_by: None,
            accepted_at: None,
        };
        let mut tx = self.db.begin().await?;
        let existing = store::set_in_tx(&mut tx, &set_id).await?;
        SetStatus::after(
            existing
                .as_ref()
                .and_then(|row| SetStatus::from_code(&row.status)),
            SetAction::Generate,
        )?;
        store::replace_set(&mut tx, &header, cells_of(&set)).await?;
        let mut audit = AuditEntry::by(Some(who), "final_accounts_generate");
        audit.entity = Some("final_accounts");
        audit.entity_key = Some(set_id.clone());
        audit.changes = Some(format!(
            "{{\"n_checks_failed\": {}, \"year_closed\": {year_closed}}}",
            checks.n_failed()
        ));
        fiscus_store::audit::append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(SetView {
            header,
            cover: target.cover,
            set,
            checks,
        })
    }

    /// A stored set with its tables and checks.
    pub async fn final_accounts_report(
        &self,
        who: &Principal,
        scope: Scope,
        code: &str,
        fiscal_year: i64,
    ) -> Result<SetView, AppError> {
        if !who.can(Action::Read, Resource::FinalAccounts) {
            return Err(Rejection::Forbidden.into());
        }
        let target = self.target(who, scope, code, fiscal_year).await?;
        let set_id = target.set_id(fiscal_year);
        let header = store::set(&self.db, &set_id).await?.ok_or_else(not_found)?;
        let set = set_of_cells(store::cells(&self.db, &set_id).await?);
        let lines: Vec<(String, String)> = serde_json::from_str(&header.cover_json)
            .map_err(|e| AppError::Internal(format!("cover of {set_id}: {e}")))?;
        let checks = check_set(&set);
        Ok(SetView {
            header,
            cover: Cover { lines },
            set,
            checks,
        })
    }

    /// The checks of a stored set.
    pub async fn final_accounts_checks(
        &self,
        who: &Principal,
        scope: Scope,
        code: &str,
        fiscal_year: i64,
    ) -> Result<CheckReport, AppError> {
        Ok(self
            .final_accounts_report(who, scope, code, fiscal_year)
            .await?
            .checks)
    }

    /// 报送: 已生成 → 已报送, by the unit (its clerk or its department's reviewer) for a unit
    /// or department set, by the region's own budget division for a region set; refused
    /// while any check fails.
    pub async fn final_accounts_submit(
        &self,
        who: &Principal,
        scope: Scope,
        code: &str,
        fiscal_year: i64,
    ) -> Result<SetView, AppError> {
        if !who.can(Action::Write, Resource::FinalAccounts) {
            return Err(Rejection::Forbidden.into());
        }
        let view = self
            .final_accounts_report(who, scope, code, fiscal_year)
            .await?;
        let may = match scope {
            Scope::Unit | Scope::Department => {
                who.roles.contains(Role::UnitClerk) || who.roles.contains(Role::DeptReviewer)
            }
            Scope::Region => {
                who.roles.contains(Role::BudgetDivision) && who.mof_div_code().as_str() == code
            }
        };
        if !may {
            return Err(Rejection::Forbidden.into());
        }
        let status = SetStatus::from_code(&view.header.status);
        SetStatus::after(status, SetAction::Submit)?;
        if !view.checks.passed() {
            return Err(Rejection::FinalAccountsChecksFailed {
                failed: view.checks.n_failed(),
                first: view.checks.first_failure().unwrap_or_default(),
            }
            .into());
        }
        self.move_set(
            who,
            view,
            SetStatus::Generated,
            SetStatus::Submitted,
            "final_accounts_submit",
        )
        .await
    }

    /// 审核: 已报送 → 已审核, by the budget division of a region above the set (its own
    /// region's units, or a region below its own).
    pub async fn final_accounts_accept(
        &self,
        who: &Principal,
        scope: Scope,
        code: &str,
        fiscal_year: i64,
    ) -> Result<SetView, AppError> {
        if !who.can(Action::Write, Resource::FinalAccounts) {
            return Err(Rejection::Forbidden.into());
        }
        let view = self
            .final_accounts_report(who, scope, code, fiscal_year)
            .await?;
        let own_region = scope == Scope::Region && who.mof_div_code().as_str() == code;
        if !who.roles.contains(Role::BudgetDivision) || own_region {
            return Err(Rejection::Forbidden.into());
        }
        SetStatus::after(SetStatus::from_code(&view.header.status), SetAction::Accept)?;
        self.move_set(
            who,
            view,
            SetStatus::Submitted,
            SetStatus::Accepted,
            "final_accounts_accept",
        )
        .await
    }

    async fn move_set(
        &self,
        who: &Principal,
        mut view: SetView,
        from: SetStatus,
        to: SetStatus,
        action: &'static str,
    ) -> Result<SetView, AppError> {
        let at = now();
        let by = who.user_name.to_string();
        let mut tx = self.db.begin().await?;
        if !store::move_status(
            &mut tx,
            &view.header.set_id,
            from.code(),
            to.code(),
            &by,
            &at,
        )
        .await?
        {
            let current = store::set_in_tx(&mut tx, &view.header.set_id)
                .await?
                .and_then(|row| SetStatus::from_code(&row.status))
                .unwrap_or(to);
            return Err(Rejection::FinalAccountsStatusForbids {
                action: if to == SetStatus::Submitted {
                    "报送"
                } else {
                    "审核"
                },
                status: current.label(),
            }
            .into());
        }
        let mut audit = AuditEntry::by(Some(who), action);
        audit.entity = Some("final_accounts");
        audit.entity_key = Some(view.header.set_id.clone());
        audit.changes = Some(format!(
            "{{\"status\": [\"{}\", \"{}\"]}}",
            from.code(),
            to.code()
        ));
        fiscus_store::audit::append(&mut tx, &audit).await?;
        tx.commit().await?;
        view.header.status = to.code().to_owned();
        if to == SetStatus::Submitted {
            view.header.submitted_by = Some(by);
            view.header.submitted_at = Some(at);
        } else {
            view.header.accepted_by = Some(by);
            view.header.accepted_at = Some(at);
        }
        Ok(view)
    }
}

/// The cells to store: one per (table, row, column), rows numbered in table order.
fn cells_of(set: &ReportSet) -> Vec<CellRow> {
    let mut cells = Vec::new();
    for table in &set.tables {
        let Some(def) = table_def(&table.code) else {
            continue;
        };
        for (row_no, row) in table.rows.iter().enumerate() {
            for (column, fen) in def.columns.iter().zip(&row.cells) {
                cells.push(CellRow {
                    table_code: table.code.clone(),
                    row_no: i64::try_from(row_no).unwrap_or(i64::MAX),
                    row_code: row.code.clone(),
                    row_label: row.label.clone(),
                    row_level: i64::from(row.level),
                    col_code: column.code.to_owned(),
                    fen: *fen,
                });
            }
        }
    }
    cells
}

/// The set the stored cells describe (the inverse of [`cells_of`]).
fn set_of_cells(cells: Vec<CellRow>) -> ReportSet {
    let mut tables: BTreeMap<String, BTreeMap<i64, Row>> = BTreeMap::new();
    for cell in cells {
        let Some(def) = table_def(&cell.table_code) else {
            continue;
        };
        let Some(column) = def.columns.iter().position(|c| c.code == cell.col_code) else {
            continue;
        };
        let row = tables
            .entry(cell.table_code.clone())
            .or_default()
            .entry(cell.row_no)
            .or_insert_with(|| Row {
                code: cell.row_code.clone(),
                label: cell.row_label.clone(),
                level: u8::try_from(cell.row_level).unwrap_or(0),
                cells: vec![0; def.columns.len()],
            });
        row.cells[column] = cell.fen;
    }
    let mut set = ReportSet::default();
    for def in &TABLES {
        if let Some(rows) = tables.remove(def.code) {
            set.tables.push(Table {
                code: def.code.to_owned(),
                rows: rows.into_values().collect(),
            });
        }
    }
    set
}
