//! Budget compilation use cases (预算编制, 二上二下): control numbers issued to departments and
//! distributed to units (一下), each unit's tables saved whole with a version row per changed
//! number, the cross-checks (勾稽), submission through the `budget_submission` flow (一上 and
//! 二上), the region's approval (批复, 二下) into ledger indicators and pre-release (预下达) in
//! `approve`, adjustments after approval in `adjust`. Every read and write is scoped.

pub mod adjust;
mod approve;
pub mod excel;
pub(crate) mod flow;
pub mod report;

pub use approve::{ApprovalDoc, ApprovalSummary, PRE_RELEASE_BP_MAX};

use std::collections::{BTreeMap, HashMap};

use fiscus_core::budget::checks::{
    CheckContext, CheckResult, ProjectFacts, cross_check, require_passed,
};
use fiscus_core::budget::diff::{Change, diff};
use fiscus_core::budget::{BudgetTables, ExpenseLine, SheetMove, SheetStatus, Stage, sheet_label};
use fiscus_core::flow::DocType;
use fiscus_core::project::{ProjectCategory, ProjectState};
use fiscus_core::{Action, Fen, Principal, Rejection, Resource, Role};
use fiscus_store::Tx;
use fiscus_store::audit::{AuditEntry, append, now};
use fiscus_store::budget::{
    self as store, ControlListRow, ControlRow, LineQuery, LineRow, SheetListRow, SheetQuery,
    SheetRow, VersionRow,
};
use fiscus_store::facts;
use fiscus_store::flow::{self as flow_store, DocumentRow};
use fiscus_store::records::Viewer;

use crate::{App, AppError, RequestCtx};

/// A page of sheets or lines holds at most this many rows.
pub const BUDGET_PAGE_ROWS_MAX: i64 = 500;
/// One call issues or distributes at most this many control numbers.
pub const CONTROLS_PER_CALL_MAX: usize = 5_000;

/// A unit's budget as pages show it: the sheet, its lines with every figure, its other
/// tables and the cross-check results on what is stored.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SheetView {
    pub sheet: SheetListRow,
    pub stage_label: String,
    pub lines: Vec<LineRow>,
    pub tables: BudgetTables,
    pub checks: Vec<CheckResult>,
}

/// One control number to issue or distribute.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct ControlInput {
    pub agency_code: String,
    pub amount: Fen,
}

/// The department of a unit: the first code of its agency path.
pub fn dept_of_path(agency_path: &str) -> Option<&str> {
    agency_path.split('/').find(|segment| !segment.is_empty())
}

/// The matrix gate of every budget write; the use case then checks the specific role.
pub(crate) fn may_write(who: &Principal) -> Result<(), AppError> {
    if who.can(Action::Write, Resource::Budget) {
        Ok(())
    } else {
        Err(Rejection::Forbidden.into())
    }
}

pub(crate) fn stage_of(row: &SheetRow) -> Result<(Stage, SheetStatus), AppError> {
    match (Stage::parse(&row.stage), SheetStatus::parse(&row.status)) {
        (Some(stage), Some(status)) => Ok((stage, status)),
        _ => Err(AppError::Internal(format!(
            "budget sheet {} has stage {} status {}",
            row.sheet_id, row.stage, row.status
        ))),
    }
}

/// The unit (with its region path and department) if `who` may see it.
pub(crate) async fn visible_agency(
    tx: &mut Tx,
    who: &Principal,
    agency_code: &str,
) -> Result<facts::AgencyFacts, AppError> {
    let agency = facts::agency(tx, agency_code)
        .await?
        .filter(|agency| {
            who.scope()
                .contains_agency(&agency.region_path, agency_code, &agency.agency_path)
        })
        .ok_or(Rejection::NotFound {
            what: "预算单位"
        })?;
    Ok(agency)
}

#[allow(clippy::too_many_arguments, reason = "one history row is ten facts")]
pub(crate) fn version(
    sheet: &SheetRow,
    entity: &str,
    entity_key: &str,
    change_kind: &str,
    old_fen: Option<i64>,
    new_fen: Option<i64>,
    detail: String,
    doc_id: Option<&str>,
    actor: &str,
    at: &str,
) -> VersionRow {
    VersionRow {
        version_id: 0,
        fiscal_year: sheet.fiscal_year,
        agency_code: sheet.agency_code.clone(),
        entity: entity.to_owned(),
        entity_key: entity_key.to_owned(),
        stage: sheet.stage.clone(),
        change_kind: change_kind.to_owned(),
        old_fen,
        new_fen,
        detail,
        doc_id: doc_id.map(str::to_owned),
        actor: actor.to_owned(),
        at: at.to_owned(),
    }
}

pub(crate) async fn audit(
    tx: &mut Tx,
    who: &Principal,
    action: &'static str,
    entity_key: &str,
    changes: serde_json::Value,
    ctx: &RequestCtx,
) -> Result<(), AppError> {
    let mut entry = AuditEntry::by(Some(who), action);
    entry.entity = Some("budget");
    entry.entity_key = Some(entity_key.to_owned());
    entry.changes = Some(changes.to_string());
    entry.ip = ctx.ip.clone();
    entry.request_id = ctx.request_id.clone();
    append(tx, &entry).await?;
    Ok(())
}

/// The stored tables of a sheet, expenditure lines included.
pub(crate) fn tables_of(lines: &[LineRow], side: BudgetTables) -> BudgetTables {
    BudgetTables {
        expenses: lines
            .iter()
            .map(|line| ExpenseLine {
                key: line.key(),
                amount: Fen(line.amount_fen),
                is_gov_pur: line.is_gov_pur,
                remark: line.remark.clone(),
            })
            .collect(),
        ..side
    }
}

/// The cross-check context of a sheet: its stage, its unit control number and the facts of
/// the projects its lines name.
pub(crate) async fn check_context(
    tx: &mut Tx,
    sheet: &SheetRow,
    tables: &BudgetTables,
) -> Result<CheckContext, AppError> {
    let (stage, _) = stage_of(sheet)?;
    let control = store::controls_tx(
        tx,
        sheet.fiscal_year,
        "unit",
        Some(&sheet.agency_code),
        None,
        false,
    )
    .await?
    .first()
    .map(|control| Fen(control.amount_fen));
    let mut codes: Vec<String> = tables
        .expenses
        .iter()
        .map(|line| line.key.pro_code.clone())
        .collect();
    codes.sort();
    codes.dedup();
    let mut projects = BTreeMap::new();
    for (pro_code, category, status, agency_code) in store::project_facts(tx, &codes).await? {
        let Ok(category) = ProjectCategory::parse(&category) else {
            continue;
        };
        projects.insert(
            pro_code,
            ProjectFacts {
                category,
                reserved: status == ProjectState::Reserved.code(),
                own: agency_code == sheet.agency_code,
            },
        );
    }
    Ok(CheckContext {
        stage,
        control,
        projects,
    })
}

/// Checks every code of the tables against the year's code tables; the first unknown one
/// is refused.
pub(crate) async fn check_codes(
    tx: &mut Tx,
    fiscal_year: i64,
    tables: &BudgetTables,
) -> Result<(), AppError> {
    let mut known: HashMap<&str, std::collections::HashSet<String>> = HashMap::new();
    for element in ["exp_func", "gov_bgt_eco", "dep_bgt_eco", "fund_type"] {
        known.insert(
            element,
            store::enabled_codes(tx, element, fiscal_year).await?,
        );
    }
    let year = i32::try_from(fiscal_year).unwrap_or_default();
    let refuse = |element_name: &str, code: &str| {
        AppError::from(Rejection::CodeNotInYearTable {
            element_name: element_name.to_owned(),
            code: code.to_owned(),
            fiscal_year: year,
        })
    };
    let has =
        |element: &str, code: &str| known.get(element).is_some_and(|codes| codes.contains(code));
    for line in &tables.expenses {
        for (element, name, code) in [
            ("exp_func", "支出功能分类科目", &line.key.exp_func_code),
            (
                "gov_bgt_eco",
                "政府预算支出经济分类",
                &line.key.gov_bgt_eco_code,
            ),
            (
                "dep_bgt_eco",
                "部门预算支出经济分类",
                &line.key.dep_bgt_eco_code,
            ),
            ("fund_type", "资金性质", &line.key.fund_type_code),
        ] {
            if !has(element, code) {
                return Err(refuse(name, code));
            }
        }
    }
    for line in &tables.incomes {
        if !has("fund_type", &line.fund_type_code) {
            return Err(refuse("资金性质", &line.fund_type_code));
        }
    }
    Ok(())
}

impl App {
    /// 一下, part one: the budget division issues control numbers to departments (top-level
    /// units) of its own region. Each changed number is a new revision with a history row.
    pub async fn budget_issue_controls(
        &self,
        who: &Principal,
        fiscal_year: i64,
        items: &[ControlInput],
        ctx: &RequestCtx,
    ) -> Result<usize, AppError> {
        may_write(who)?;
        if !who.roles.contains(Role::BudgetDivision) {
            return Err(Rejection::Forbidden.into());
        }
        check_items(items)?;
        let mut tx = self.db.begin().await?;
        let at = now();
        let mut versions = Vec::new();
        for item in items {
            let agency = visible_agency(&mut tx, who, &item.agency_code).await?;
            if agency.mof_div_code != who.mof_div_code().as_str()
                || dept_of_path(&agency.agency_path) != Some(item.agency_code.as_str())
            {
                return Err(Rejection::FieldInvalid {
                    field: "单位代码",
                    expected: "本区划的主管部门（一级预算单位）",
                }
                .into());
            }
            let old = store::controls_tx(
                &mut tx,
                fiscal_year,
                "dept",
                Some(&item.agency_code),
                None,
                true,
            )
            .await?
            .into_iter()
            .next();
            let distributed: i64 = store::controls_tx(
                &mut tx,
                fiscal_year,
                "unit",
                None,
                Some(&item.agency_code),
                false,
            )
            .await?
            .iter()
            .map(|control| control.amount_fen)
            .sum();
            if distributed > item.amount.0 {
                return Err(Rejection::ControlNumberExceeded {
                    dept_fen: item.amount.0,
                    distributed_fen: distributed,
                }
                .into());
            }
            if old
                .as_ref()
                .is_some_and(|old| old.amount_fen == item.amount.0)
            {
                continue;
            }
            let row = ControlRow {
                fiscal_year,
                agency_code: item.agency_code.clone(),
                kind: "dept".to_owned(),
                mof_div_code: agency.mof_div_code.clone(),
                dept_code: item.agency_code.clone(),
                amount_fen: item.amount.0,
                revision: old.as_ref().map_or(1, |old| old.revision + 1),
                updated_by: who.user_name.to_string(),
                updated_at: at.clone(),
            };
            store::upsert_control(&mut tx, &row).await?;
            versions.push(VersionRow {
                version_id: 0,
                fiscal_year,
                agency_code: item.agency_code.clone(),
                entity: "control".to_owned(),
                entity_key: format!("dept/{}", item.agency_code),
                stage: "one_down".to_owned(),
                change_kind: if old.is_some() { "changed" } else { "issued" }.to_owned(),
                old_fen: old.map(|old| old.amount_fen),
                new_fen: Some(item.amount.0),
                detail: format!("部门控制数第 {} 版", row.revision),
                doc_id: None,
                actor: who.user_name.to_string(),
                at: at.clone(),
            });
        }
        store::append_versions(&mut tx, &versions).await?;
        audit(
            &mut tx,
            who,
            "budget_issue_controls",
            &format!("{fiscal_year}"),
            serde_json::json!({ "changed": versions.len() }),
            ctx,
        )
        .await?;
        tx.commit().await?;
        Ok(versions.len())
    }

    /// 一下, part two: a department distributes its control number to the units of its
    /// subtree (itself included); the total may not exceed the department's number. Each
    /// unit that receives one moves to 二上 (a reviewed or untouched 一上 becomes an 二上
    /// draft; one still in 一上 review moves when that review ends).
    pub async fn budget_distribute_controls(
        &self,
        who: &Principal,
        fiscal_year: i64,
        dept_code: &str,
        items: &[ControlInput],
        ctx: &RequestCtx,
    ) -> Result<usize, AppError> {
        may_write(who)?;
        let allowed = who.roles.contains(Role::DeptReviewer)
            && who
                .agency_code()
                .is_some_and(|own| own.as_str() == dept_code)
            || who.roles.contains(Role::BudgetDivision);
        if !allowed {
            return Err(Rejection::Forbidden.into());
        }
        check_items(items)?;
        let mut tx = self.db.begin().await?;
        let dept = visible_agency(&mut tx, who, dept_code).await?;
        let dept_control =
            store::controls_tx(&mut tx, fiscal_year, "dept", Some(dept_code), None, true)
                .await?
                .into_iter()
                .next()
                .ok_or(Rejection::BudgetStageForbids {
                    action: "分配控制数",
                    state: "尚未收到预算处下达的部门控制数".to_owned(),
                })?;
        let mut current: BTreeMap<String, ControlRow> =
            store::controls_tx(&mut tx, fiscal_year, "unit", None, Some(dept_code), true)
                .await?
                .into_iter()
                .map(|row| (row.agency_code.clone(), row))
                .collect();
        let at = now();
        let mut versions = Vec::new();
        let mut changed = Vec::new();
        for item in items {
            let agency = visible_agency(&mut tx, who, &item.agency_code).await?;
            if !agency.agency_path.starts_with(&dept.agency_path) {
                return Err(Rejection::FieldInvalid {
                    field: "单位代码",
                    expected: "本部门所属的预算单位",
                }
                .into());
            }
            let old = current.get(&item.agency_code).cloned();
            if old
                .as_ref()
                .is_some_and(|old| old.amount_fen == item.amount.0)
            {
                continue;
            }
            let row = ControlRow {
                fiscal_year,
                agency_code: item.agency_code.clone(),
                kind: "unit".to_owned(),
                mof_div_code: agency.mof_div_code.clone(),
                dept_code: dept_code.to_owned(),
                amount_fen: item.amount.0,
                revision: old.as_ref().map_or(1, |old| old.revision + 1),
                updated_by: who.user_name.to_string(),
                updated_at: at.clone(),
            };
            versions.push(VersionRow {
                version_id: 0,
                fiscal_year,
                agency_code: item.agency_code.clone(),
                entity: "control".to_owned(),
                entity_key: format!("unit/{}", item.agency_code),
                stage: "one_down".to_owned(),
                change_kind: if old.is_some() { "changed" } else { "issued" }.to_owned(),
                old_fen: old.map(|old| old.amount_fen),
                new_fen: Some(item.amount.0),
                detail: format!("单位控制数第 {} 版", row.revision),
                doc_id: None,
                actor: who.user_name.to_string(),
                at: at.clone(),
            });
            changed.push((row.clone(), agency));
            current.insert(item.agency_code.clone(), row);
        }
        let distributed: i64 = current.values().map(|row| row.amount_fen).sum();
        if distributed > dept_control.amount_fen {
            return Err(Rejection::ControlNumberExceeded {
                dept_fen: dept_control.amount_fen,
                distributed_fen: distributed,
            }
            .into());
        }
        for (row, agency) in &changed {
            store::upsert_control(&mut tx, row).await?;
            open_two_up(&mut tx, who, fiscal_year, agency, &at, &mut versions).await?;
        }
        store::append_versions(&mut tx, &versions).await?;
        audit(
            &mut tx,
            who,
            "budget_distribute_controls",
            dept_code,
            serde_json::json!({ "fiscal_year": fiscal_year, "changed": changed.len() }),
            ctx,
        )
        .await?;
        tx.commit().await?;
        Ok(changed.len())
    }

    /// Control numbers of a year and kind that `who` may see, optionally one department's.
    pub async fn budget_controls(
        &self,
        who: &Principal,
        fiscal_year: i64,
        kind: &str,
        dept_code: Option<&str>,
    ) -> Result<Vec<ControlListRow>, AppError> {
        if !matches!(kind, "dept" | "unit") {
            return Err(Rejection::FieldInvalid {
                field: "控制数类型",
                expected: "dept 或 unit",
            }
            .into());
        }
        Ok(store::controls(&self.db, Viewer::User(who), fiscal_year, kind, dept_code).await?)
    }

    /// Saves a unit's tables whole (a clerk of the unit, while its sheet is a draft; the
    /// sheet is created at 一上, or at 二上 once the unit has a control number). Writes one
    /// history row per changed number. Returns the sheet id.
    pub async fn budget_save(
        &self,
        who: &Principal,
        fiscal_year: i64,
        agency_code: &str,
        tables: &BudgetTables,
        ctx: &RequestCtx,
    ) -> Result<String, AppError> {
        may_write(who)?;
        if !who.roles.contains(Role::UnitClerk)
            || who
                .agency_code()
                .is_none_or(|own| own.as_str() != agency_code)
        {
            return Err(Rejection::Forbidden.into());
        }
        let tables = tables.checked()?;
        let mut tx = self.db.begin().await?;
        let agency = visible_agency(&mut tx, who, agency_code).await?;
        check_codes(&mut tx, fiscal_year, &tables).await?;
        let at = now();
        let sheet = sheet_or_new(&mut tx, who, fiscal_year, &agency, &at).await?;
        let (stage, status) = stage_of(&sheet)?;
        SheetMove::Edit.check(stage, status)?;
        let changes = write_tables(&mut tx, who, &sheet, &tables, &at).await?;
        let n_changes = changes.len();
        audit(
            &mut tx,
            who,
            "budget_save",
            &sheet.sheet_id,
            serde_json::json!({ "changes": n_changes, "lines": tables.expenses.len() }),
            ctx,
        )
        .await?;
        tx.commit().await?;
        Ok(sheet.sheet_id)
    }

    /// A unit's budget of a year, if `who` may see it.
    pub async fn budget_sheet(
        &self,
        who: &Principal,
        fiscal_year: i64,
        agency_code: &str,
    ) -> Result<SheetView, AppError> {
        let query = SheetQuery {
            fiscal_year,
            agency_code: Some(agency_code.to_owned()),
            limit: 1,
            ..SheetQuery::default()
        };
        let (rows, _) = store::sheets(&self.db, Viewer::User(who), &query).await?;
        let sheet = rows.into_iter().next().ok_or(Rejection::NotFound {
            what: "单位预算"
        })?;
        let lines = store::lines_of_sheet(&self.db, &sheet.sheet.sheet_id).await?;
        let side = store::side_tables(&self.db, &sheet.sheet.sheet_id).await?;
        let tables = tables_of(&lines, side);
        let mut tx = self.db.begin_read().await?;
        let context = check_context(&mut tx, &sheet.sheet, &tables).await?;
        tx.rollback().await?;
        let (stage, status) = stage_of(&sheet.sheet)?;
        Ok(SheetView {
            stage_label: sheet_label(stage, status),
            checks: cross_check(&tables, &context),
            sheet,
            lines,
            tables,
        })
    }

    /// The sheets `who` may see, with the number that match.
    pub async fn budget_sheets(
        &self,
        who: &Principal,
        mut query: SheetQuery,
    ) -> Result<(Vec<SheetListRow>, i64), AppError> {
        query.limit = query.limit.clamp(1, BUDGET_PAGE_ROWS_MAX);
        query.offset = query.offset.max(0);
        Ok(store::sheets(&self.db, Viewer::User(who), &query).await?)
    }

    /// The budget lines `who` may see, with the number that match.
    pub async fn budget_lines(
        &self,
        who: &Principal,
        mut query: LineQuery,
    ) -> Result<(Vec<LineRow>, i64), AppError> {
        query.limit = query.limit.clamp(1, BUDGET_PAGE_ROWS_MAX);
        query.offset = query.offset.max(0);
        Ok(store::lines(&self.db, Viewer::User(who), &query).await?)
    }

    /// The version history of a unit's year, newest first.
    pub async fn budget_versions(
        &self,
        who: &Principal,
        fiscal_year: i64,
        agency_code: &str,
        page: i64,
        page_rows: i64,
    ) -> Result<(Vec<VersionRow>, i64), AppError> {
        let mut tx = self.db.begin_read().await?;
        visible_agency(&mut tx, who, agency_code).await?;
        tx.rollback().await?;
        let limit = page_rows.clamp(1, BUDGET_PAGE_ROWS_MAX);
        Ok(store::versions(
            &self.db,
            fiscal_year,
            agency_code,
            None,
            limit,
            (page.max(1) - 1) * limit,
        )
        .await?)
    }

    /// 报送 (一上 or 二上): the cross-checks must pass; the sheet goes into the
    /// `budget_submission` flow. Returns the flow document id.
    pub async fn budget_submit(
        &self,
        who: &Principal,
        fiscal_year: i64,
        agency_code: &str,
        ctx: &RequestCtx,
    ) -> Result<String, AppError> {
        may_write(who)?;
        if !who.roles.contains(Role::UnitClerk)
            || who
                .agency_code()
                .is_none_or(|own| own.as_str() != agency_code)
        {
            return Err(Rejection::Forbidden.into());
        }
        let mut tx = self.db.begin().await?;
        let agency = visible_agency(&mut tx, who, agency_code).await?;
        let mut sheet = store::sheet_of_agency(&mut tx, fiscal_year, agency_code)
            .await?
            .ok_or(Rejection::NotFound {
                what: "单位预算"
            })?;
        let (stage, status) = stage_of(&sheet)?;
        SheetMove::Submit.check(stage, status)?;
        let at = now();
        let doc_id = crate::crypto::random_id()?;
        let document = DocumentRow {
            doc_id: doc_id.clone(),
            doc_type: DocType::BudgetSubmission.code().to_owned(),
            title: format!(
                "{} {} 年部门预算（{}）",
                agency.agency_name,
                fiscal_year,
                stage.label()
            ),
            mof_div_code: sheet.mof_div_code.clone(),
            agency_code: Some(sheet.agency_code.clone()),
            amount_fen: sheet.expense_fen,
            payload: serde_json::json!({ "sheet_id": sheet.sheet_id, "fiscal_year": fiscal_year, "stage": stage.code() })
                .to_string(),
            status: "draft".to_owned(),
            submitter: who.user_name.to_string(),
            created_at: at.clone(),
            updated_at: at.clone(),
        };
        flow_store::insert_document(&mut tx, &document).await?;
        sheet.doc_id = Some(doc_id.clone());
        store::update_sheet(&mut tx, &sheet).await?;
        crate::flow::engine::submit_new(self, &mut tx, who, &doc_id, ctx).await?;
        tx.commit().await?;
        Ok(doc_id)
    }
}

fn check_items(items: &[ControlInput]) -> Result<(), AppError> {
    if items.is_empty() {
        return Err(Rejection::FieldRequired { field: "控制数" }.into());
    }
    if items.len() > CONTROLS_PER_CALL_MAX {
        return Err(Rejection::FieldTooLong {
            field: "控制数",
            length_max: CONTROLS_PER_CALL_MAX,
        }
        .into());
    }
    let mut seen = std::collections::BTreeSet::new();
    for item in items {
        if item.amount.0 < 0 {
            return Err(Rejection::AmountNegative { field: "控制数" }.into());
        }
        if !seen.insert(item.agency_code.as_str()) {
            return Err(Rejection::DuplicateCode {
                what: "控制数的单位",
                value: item.agency_code.clone(),
            }
            .into());
        }
    }
    Ok(())
}

/// The unit's sheet of the year, created when missing: at 二上 when the unit already has a
/// control number, else at 一上.
async fn sheet_or_new(
    tx: &mut Tx,
    who: &Principal,
    fiscal_year: i64,
    agency: &facts::AgencyFacts,
    at: &str,
) -> Result<SheetRow, AppError> {
    if let Some(sheet) = store::sheet_of_agency(tx, fiscal_year, &agency.agency_code).await? {
        return Ok(sheet);
    }
    let has_control = !store::controls_tx(
        tx,
        fiscal_year,
        "unit",
        Some(&agency.agency_code),
        None,
        false,
    )
    .await?
    .is_empty();
    let sheet = new_sheet(
        who,
        fiscal_year,
        agency,
        if has_control {
            Stage::TwoUp
        } else {
            Stage::OneUp
        },
        at,
    )?;
    store::insert_sheets(tx, std::slice::from_ref(&sheet)).await?;
    Ok(sheet)
}

pub(crate) fn new_sheet(
    who: &Principal,
    fiscal_year: i64,
    agency: &facts::AgencyFacts,
    stage: Stage,
    at: &str,
) -> Result<SheetRow, AppError> {
    Ok(SheetRow {
        sheet_id: crate::crypto::random_id()?,
        fiscal_year,
        mof_div_code: agency.mof_div_code.clone(),
        agency_code: agency.agency_code.clone(),
        dept_code: dept_of_path(&agency.agency_path)
            .unwrap_or(&agency.agency_code)
            .to_owned(),
        stage: stage.code().to_owned(),
        status: SheetStatus::Draft.code().to_owned(),
        doc_id: None,
        expense_fen: 0,
        income_fen: 0,
        revision: 0,
        updated_by: who.user_name.to_string(),
        updated_at: at.to_owned(),
    })
}

/// 一下 reached a unit: its sheet moves to an 二上 draft (created when missing). A sheet in
/// 一上 review stays; `flow::on_approved` moves it when that review ends.
async fn open_two_up(
    tx: &mut Tx,
    who: &Principal,
    fiscal_year: i64,
    agency: &facts::AgencyFacts,
    at: &str,
    versions: &mut Vec<VersionRow>,
) -> Result<(), AppError> {
    match store::sheet_of_agency(tx, fiscal_year, &agency.agency_code).await? {
        None => {
            let sheet = new_sheet(who, fiscal_year, agency, Stage::TwoUp, at)?;
            store::insert_sheets(tx, std::slice::from_ref(&sheet)).await?;
        }
        Some(mut sheet) => {
            let (stage, status) = stage_of(&sheet)?;
            if SheetMove::OpenTwoUp.check(stage, status).is_ok() {
                sheet.stage = Stage::TwoUp.code().to_owned();
                sheet.status = SheetStatus::Draft.code().to_owned();
                sheet.revision += 1;
                sheet.updated_by = who.user_name.to_string();
                sheet.updated_at = at.to_owned();
                store::update_sheet(tx, &sheet).await?;
                versions.push(version(
                    &sheet,
                    "sheet",
                    &sheet.sheet_id,
                    "opened",
                    None,
                    Some(sheet.expense_fen),
                    "收到控制数，进入二上编制".to_owned(),
                    None,
                    who.user_name.as_str(),
                    at,
                ));
            }
        }
    }
    Ok(())
}

/// Writes new tables onto a sheet: lines by key (kept, changed, added, removed — a line
/// already pre-released keeps its indicator and may not be removed nor fall below it), the
/// other tables replaced, totals and revision updated, one history row per change.
pub(crate) async fn write_tables(
    tx: &mut Tx,
    who: &Principal,
    sheet: &SheetRow,
    tables: &BudgetTables,
    at: &str,
) -> Result<Vec<Change>, AppError> {
    let old_lines = store::lines_of_sheet_tx(tx, &sheet.sheet_id).await?;
    let old_side = store::side_tables_tx(tx, &sheet.sheet_id).await?;
    let old_tables = tables_of(&old_lines, old_side);
    let changes = diff(&old_tables, tables);
    let mut by_key: BTreeMap<String, LineRow> = old_lines
        .into_iter()
        .map(|line| (line.key().text(), line))
        .collect();
    let mut codes: Vec<String> = tables
        .expenses
        .iter()
        .map(|line| line.key.pro_code.clone())
        .collect();
    codes.sort();
    codes.dedup();
    let kinds: BTreeMap<String, String> = store::project_facts(tx, &codes)
        .await?
        .into_iter()
        .map(|(code, category, _, _)| (code, category))
        .collect();
    let mut inserts = Vec::new();
    for line in &tables.expenses {
        let pro_kind_code = kinds.get(&line.key.pro_code).cloned().unwrap_or_default();
        match by_key.remove(&line.key.text()) {
            Some(mut old) => {
                if old.bgt_id.is_some() && line.amount.0 < old.pre_amt {
                    return Err(Rejection::FieldInvalid {
                        field: "预算金额",
                        expected: "不低于已预下达的金额",
                    }
                    .into());
                }
                let same = old.amount_fen == line.amount.0
                    && old.is_gov_pur == line.is_gov_pur
                    && old.remark == line.remark
                    && old.pro_kind_code == pro_kind_code;
                if !same {
                    old.amount_fen = line.amount.0;
                    old.is_gov_pur = line.is_gov_pur;
                    old.remark = line.remark.clone();
                    old.pro_kind_code = pro_kind_code;
                    old.updated_by = who.user_name.to_string();
                    old.updated_at = at.to_owned();
                    store::update_line(tx, &old).await?;
                }
            }
            None => inserts.push(LineRow {
                bgt_pman_id: crate::crypto::random_id()?,
                sheet_id: sheet.sheet_id.clone(),
                fiscal_year: sheet.fiscal_year,
                mof_div_code: sheet.mof_div_code.clone(),
                agency_code: sheet.agency_code.clone(),
                dept_code: sheet.dept_code.clone(),
                pro_code: line.key.pro_code.clone(),
                pro_kind_code,
                exp_func_code: line.key.exp_func_code.clone(),
                gov_bgt_eco_code: line.key.gov_bgt_eco_code.clone(),
                dep_bgt_eco_code: line.key.dep_bgt_eco_code.clone(),
                fund_type_code: line.key.fund_type_code.clone(),
                is_gov_pur: line.is_gov_pur,
                remark: line.remark.clone(),
                amount_fen: line.amount.0,
                apply_up: 0,
                fin_audit_money: 0,
                pre_amt: 0,
                reply_amt: 0,
                adj_amt: 0,
                dis_amt: 0,
                cur_amt: 0,
                bgt_id: None,
                updated_by: who.user_name.to_string(),
                updated_at: at.to_owned(),
            }),
        }
    }
    if by_key.values().any(|line| line.bgt_id.is_some()) {
        return Err(Rejection::FieldInvalid {
            field: "预算明细",
            expected: "已预下达的明细不能删除",
        }
        .into());
    }
    let removed: Vec<String> = by_key.into_values().map(|line| line.bgt_pman_id).collect();
    store::delete_lines(tx, &removed).await?;
    store::insert_lines(tx, &inserts).await?;
    store::replace_side_tables(tx, &sheet.sheet_id, tables).await?;
    let mut updated = sheet.clone();
    updated.expense_fen = tables.expense_total().0;
    updated.income_fen = tables.income_total().0;
    updated.revision += 1;
    updated.updated_by = who.user_name.to_string();
    updated.updated_at = at.to_owned();
    store::update_sheet(tx, &updated).await?;
    let versions: Vec<VersionRow> = changes
        .iter()
        .map(|change| {
            version(
                sheet,
                change.entity,
                &change.entity_key,
                change.change_kind,
                change.old_fen.map(|fen| fen.0),
                change.new_fen.map(|fen| fen.0),
                String::new(),
                None,
                who.user_name.as_str(),
                at,
            )
        })
        .collect();
    store::append_versions(tx, &versions).await?;
    Ok(changes)
}

/// Runs the cross-checks on a sheet's stored tables inside `tx`; refuses when any fails.
pub(crate) async fn require_checks(tx: &mut Tx, sheet: &SheetRow) -> Result<(), AppError> {
    let lines = store::lines_of_sheet_tx(tx, &sheet.sheet_id).await?;
    let side = store::side_tables_tx(tx, &sheet.sheet_id).await?;
    let tables = tables_of(&lines, side);
    let context = check_context(tx, sheet, &tables).await?;
    require_passed(&cross_check(&tables, &context))?;
    Ok(())
}
