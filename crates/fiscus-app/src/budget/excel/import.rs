//! `App::budget_import`: every row of every sheet is checked against the facts read once in
//! the import's transaction (units in scope, their sheets' stages, the year's codes, the
//! projects); every refused row is reported with its sheet, row, column and message. Only
//! when no row is refused is each named unit's tables replaced, through `write_tables` (the
//! write path of `budget_save`), all units in that one transaction.

use std::collections::{BTreeMap, HashMap, HashSet};

use fiscus_core::budget::{
    AssetLine, BudgetTables, ExpenseLine, IncomeKind, IncomeLine, LineKey, NonTaxLine,
    ProcurementLine, SheetMove,
};
use fiscus_core::project::{ProjectCategory, ProjectState};
use fiscus_core::{Fen, Principal, Rejection};
use fiscus_store::Savepoint;
use fiscus_store::Tx;
use fiscus_store::audit::now;
use fiscus_store::budget as store;
use fiscus_store::facts::AgencyFacts;

use super::read::{RawRow, cell_row_errors, read_sheets, sort_row_errors};
use super::template::require_importer;
use super::{BUDGET_SHEETS, EXPENSES, INCOMES, ImportReport, NON_TAX, PROCUREMENT};
use super::{SheetDef, SheetRowError};
use crate::budget::{audit, sheet_or_new, stage_of, visible_agency, write_tables};
use crate::{App, AppError, RequestCtx};

const AGENCY: &str = "单位代码";
const PROJECT: &str = "项目代码";
const AMOUNT: &str = "金额（元）";

/// A row refusal before it gets its sheet and row: the column and the rule.
type Refusal = (&'static str, Rejection);

/// What the rows are checked against, read once inside the import's transaction.
struct Facts {
    fiscal_year: i32,
    /// Each unit named, or why it may not be imported (unknown, out of scope, not a draft).
    units: BTreeMap<String, Result<AgencyFacts, Rejection>>,
    codes: HashMap<&'static str, HashSet<String>>,
    /// pro_code → (category, status, agency_code).
    projects: HashMap<String, (String, String, String)>,
}

/// One unit's tables as read, and the first row that named it (where unit-wide refusals go).
struct UnitTables {
    first: (&'static str, u32),
    tables: BudgetTables,
    keys: HashSet<LineKey>,
}

impl App {
    /// Imports a budget workbook for `fiscal_year`, all or nothing. See the module of
    /// `budget::excel` for who may import for whom.
    pub async fn budget_import(
        &self,
        who: &Principal,
        fiscal_year: i64,
        bytes: &[u8],
        ctx: &RequestCtx,
    ) -> Result<ImportReport, AppError> {
        require_importer(who)?;
        let (sheets, cell_errors) = read_sheets(bytes, &BUDGET_SHEETS)?;
        let n_rows = sheets.iter().map(Vec::len).sum();
        let unreadable: HashSet<(usize, u32)> = cell_errors
            .iter()
            .map(|(sheet, error)| (*sheet, error.row))
            .collect();
        let mut errors = cell_row_errors(&BUDGET_SHEETS, cell_errors);
        let mut tx = self.db.begin().await?;
        let facts = Facts::load(&mut tx, who, fiscal_year, &sheets).await?;
        let mut units: BTreeMap<String, UnitTables> = BTreeMap::new();
        for (sheet_index, (def, rows)) in BUDGET_SHEETS.iter().zip(&sheets).enumerate() {
            for raw in rows {
                if unreadable.contains(&(sheet_index, raw.row)) {
                    continue;
                }
                if let Err((column, rejection)) = facts.add_row(def, raw, &mut units) {
                    errors.push(SheetRowError {
                        sheet: def.name,
                        row: raw.row,
                        column: column.to_owned(),
                        rejection,
                    });
                }
            }
        }
        if errors.is_empty() {
            self.write_units(&mut tx, who, fiscal_year, &units, &mut errors, ctx)
                .await?;
        }
        if !errors.is_empty() {
            sort_row_errors(&BUDGET_SHEETS, &mut errors);
            tx.rollback().await?;
            return Ok(ImportReport {
                n_written: 0,
                n_rows,
                errors,
            });
        }
        tx.commit().await?;
        Ok(ImportReport {
            n_written: units.len(),
            n_rows,
            errors,
        })
    }

    /// Replaces each unit's tables, each in its own savepoint so that every refused unit is
    /// reported; the caller rolls everything back when any was.
    async fn write_units(
        &self,
        tx: &mut Tx,
        who: &Principal,
        fiscal_year: i64,
        units: &BTreeMap<String, UnitTables>,
        errors: &mut Vec<SheetRowError>,
        ctx: &RequestCtx,
    ) -> Result<(), AppError> {
        let at = now();
        for (agency_code, unit) in units {
            tx.savepoint(Savepoint::Set).await?;
            let written = async {
                let agency = visible_agency(tx, who, agency_code).await?;
                let tables = unit.tables.checked()?;
                let sheet = sheet_or_new(tx, who, fiscal_year, &agency, &at).await?;
                let (stage, status) = stage_of(&sheet)?;
                SheetMove::Edit.check(stage, status)?;
                let changes = write_tables(tx, who, &sheet, &tables, &at).await?;
                let changes = serde_json::json!({
                    "changes": changes.len(),
                    "lines": tables.expenses.len(),
                    "via": "excel",
                });
                audit(tx, who, "budget_import", &sheet.sheet_id, changes, ctx).await
            }
            .await;
            match written {
                Ok(()) => {}
                Err(AppError::Rejected(rejection)) => {
                    tx.savepoint(Savepoint::RollBackTo).await?;
                    errors.push(SheetRowError {
                        sheet: unit.first.0,
                        row: unit.first.1,
                        column: AGENCY.to_owned(),
                        rejection,
                    });
                }
                Err(internal) => return Err(internal),
            }
            tx.savepoint(Savepoint::Release).await?;
        }
        Ok(())
    }
}

impl Facts {
    async fn load(
        tx: &mut Tx,
        who: &Principal,
        fiscal_year: i64,
        sheets: &[Vec<RawRow>],
    ) -> Result<Facts, AppError> {
        let mut agency_codes = HashSet::new();
        let mut pro_codes = HashSet::new();
        for (def, rows) in BUDGET_SHEETS.iter().zip(sheets) {
            let (agency_at, project_at) = (def.at(AGENCY), def.at(PROJECT));
            for raw in rows {
                agency_codes.insert(raw.get(agency_at).to_owned());
                if project_at != usize::MAX {
                    pro_codes.insert(raw.get(project_at).to_owned());
                }
            }
        }
        let mut units = BTreeMap::new();
        for code in agency_codes.into_iter().filter(|code| !code.is_empty()) {
            let unit = match visible_agency(tx, who, &code).await {
                Ok(agency) => editable(tx, fiscal_year, agency).await?,
                Err(AppError::Rejected(rejection)) => Err(rejection),
                Err(internal) => return Err(internal),
            };
            units.insert(code, unit);
        }
        let mut codes = HashMap::new();
        for element in ["exp_func", "gov_bgt_eco", "dep_bgt_eco", "fund_type"] {
            codes.insert(
                element,
                store::enabled_codes(tx, element, fiscal_year).await?,
            );
        }
        let pro_codes: Vec<String> = pro_codes.into_iter().filter(|c| !c.is_empty()).collect();
        let projects = store::project_facts(tx, &pro_codes)
            .await?
            .into_iter()
            .map(|(code, category, status, agency)| (code, (category, status, agency)))
            .collect();
        Ok(Facts {
            fiscal_year: i32::try_from(fiscal_year).unwrap_or_default(),
            units,
            codes,
            projects,
        })
    }

    /// Checks one row and adds it to its unit's tables.
    fn add_row(
        &self,
        def: &SheetDef,
        raw: &RawRow,
        units: &mut BTreeMap<String, UnitTables>,
    ) -> Result<(), Refusal> {
        let cell = |label: &str| cell(def, raw, label);
        let agency_code = cell(AGENCY);
        if agency_code.is_empty() {
            return Err((AGENCY, Rejection::FieldRequired { field: AGENCY }));
        }
        let first_of_unit = !units.contains_key(agency_code);
        let unit = units
            .entry(agency_code.to_owned())
            .or_insert_with(|| UnitTables {
                first: (def.name, raw.row),
                tables: BudgetTables::default(),
                keys: HashSet::new(),
            });
        match self.units.get(agency_code) {
            Some(Ok(_)) => {}
            // A unit-wide refusal is reported once, on the unit's first row.
            Some(Err(rejection)) if first_of_unit => return Err((AGENCY, rejection.clone())),
            Some(Err(_)) => return Ok(()),
            None => {
                return Err((
                    AGENCY,
                    Rejection::NotFound {
                        what: "预算单位"
                    },
                ));
            }
        }
        let mut one = BudgetTables::default();
        match def.name {
            name if name == EXPENSES.name => {
                one.expenses.push(self.expense(agency_code, def, raw)?)
            }
            name if name == INCOMES.name => one.incomes.push(IncomeLine {
                kind: IncomeKind::parse(cell("收入类型")).map_err(|r| ("收入类型", r))?,
                fund_type_code: self.code("fund_type", "资金性质", cell("资金性质"))?,
                amount: amount(cell(AMOUNT), AMOUNT)?,
                remark: cell("备注").to_owned(),
            }),
            name if name == NON_TAX.name => one.non_tax.push(NonTaxLine {
                item_code: cell("非税收入项目代码").to_owned(),
                item_name: cell("非税收入项目名称").to_owned(),
                amount: amount(cell(AMOUNT), AMOUNT)?,
            }),
            name if name == PROCUREMENT.name => one.procurement.push(ProcurementLine {
                pro_code: self.project(agency_code, cell(PROJECT))?,
                item_code: cell("政府采购品目").to_owned(),
                item_name: cell("采购品目名称").to_owned(),
                quantity: quantity(cell("采购数量"), "采购数量")?,
                amount: amount(cell(AMOUNT), AMOUNT)?,
            }),
            _ => one.assets.push(AssetLine {
                pro_code: self.project(agency_code, cell(PROJECT))?,
                asset_class: cell("资产分类").to_owned(),
                asset_name: cell("资产名称").to_owned(),
                quantity: quantity(cell("购置数量"), "购置数量")?,
                unit_price: amount(cell("单价（元）"), "单价（元）")?,
                amount: amount(cell(AMOUNT), AMOUNT)?,
            }),
        }
        // The core's field rules of each table, on this one line.
        let one = one.checked().map_err(|r| (column_of(def, &r), r))?;
        if let Some(line) = one.expenses.first()
            && !unit.keys.insert(line.key.clone())
        {
            return Err((
                "",
                Rejection::DuplicateCode {
                    what: "同一单位的支出预算明细（项目、功能分类、经济分类、资金性质相同）",
                    value: line.key.text(),
                },
            ));
        }
        let tables = &mut unit.tables;
        tables.expenses.extend(one.expenses);
        tables.incomes.extend(one.incomes);
        tables.non_tax.extend(one.non_tax);
        tables.procurement.extend(one.procurement);
        tables.assets.extend(one.assets);
        Ok(())
    }

    fn expense(
        &self,
        agency_code: &str,
        def: &SheetDef,
        raw: &RawRow,
    ) -> Result<ExpenseLine, Refusal> {
        let cell = |label: &str| cell(def, raw, label);
        let key = LineKey {
            pro_code: self.project(agency_code, cell(PROJECT))?,
            exp_func_code: self.code("exp_func", "支出功能分类科目", cell("支出功能分类科目"))?,
            gov_bgt_eco_code: self.code(
                "gov_bgt_eco",
                "政府预算支出经济分类",
                cell("政府预算支出经济分类"),
            )?,
            dep_bgt_eco_code: self.code(
                "dep_bgt_eco",
                "部门预算支出经济分类",
                cell("部门预算支出经济分类"),
            )?,
            fund_type_code: self.code("fund_type", "资金性质", cell("资金性质"))?,
        };
        Ok(ExpenseLine {
            key,
            amount: amount(cell(AMOUNT), AMOUNT)?,
            is_gov_pur: yes_no(cell("是否政府采购"))?,
            remark: cell("备注").to_owned(),
        })
    }

    /// A code of the year's table (or the latest earlier one), enabled.
    fn code(&self, element: &str, column: &'static str, text: &str) -> Result<String, Refusal> {
        if text.is_empty() {
            return Err((column, Rejection::FieldRequired { field: column }));
        }
        if self
            .codes
            .get(element)
            .is_some_and(|codes| codes.contains(text))
        {
            return Ok(text.to_owned());
        }
        Err((
            column,
            Rejection::CodeNotInYearTable {
                element_name: column.to_owned(),
                code: text.to_owned(),
                fiscal_year: self.fiscal_year,
            },
        ))
    }

    /// A project of the unit, in the reserve pool (已入库), as the cross-checks want it.
    fn project(&self, agency_code: &str, pro_code: &str) -> Result<String, Refusal> {
        if pro_code.is_empty() {
            return Err((PROJECT, Rejection::FieldRequired { field: PROJECT }));
        }
        let Some((category, status, owner)) = self.projects.get(pro_code) else {
            return Err((PROJECT, Rejection::NotFound { what: "项目" }));
        };
        if owner != agency_code || ProjectCategory::parse(category).is_err() {
            return Err((
                PROJECT,
                Rejection::FieldInvalid {
                    field: PROJECT,
                    expected: "该单位自己的项目",
                },
            ));
        }
        match ProjectState::parse(status) {
            Some(ProjectState::Reserved) => Ok(pro_code.to_owned()),
            state => Err((
                PROJECT,
                Rejection::ProjectStateForbids {
                    action: "编入预算（须已入库）",
                    state: state.map_or("未知状态", ProjectState::label),
                },
            )),
        }
    }
}

/// The unit, if its sheet of the year is missing (created on write) or an editable draft.
async fn editable(
    tx: &mut Tx,
    fiscal_year: i64,
    agency: AgencyFacts,
) -> Result<Result<AgencyFacts, Rejection>, AppError> {
    let Some(sheet) = store::sheet_of_agency(tx, fiscal_year, &agency.agency_code).await? else {
        return Ok(Ok(agency));
    };
    let (stage, status) = stage_of(&sheet)?;
    Ok(SheetMove::Edit.check(stage, status).map(|()| agency))
}

/// The text of a row's cell by column label.
fn cell<'r>(def: &SheetDef, raw: &'r RawRow, label: &str) -> &'r str {
    raw.get(def.at(label))
}

/// 元 text to fen, exactly: more than two decimals or any text is refused, never rounded.
fn amount(text: &str, column: &'static str) -> Result<Fen, Refusal> {
    if text.is_empty() {
        return Err((column, Rejection::FieldRequired { field: column }));
    }
    Fen::parse_yuan(text, column).map_err(|rejection| (column, rejection))
}

fn quantity(text: &str, column: &'static str) -> Result<i64, Refusal> {
    match text.parse::<i64>() {
        Ok(quantity) if quantity > 0 => Ok(quantity),
        _ if text.is_empty() => Err((column, Rejection::FieldRequired { field: column })),
        _ => Err((
            column,
            Rejection::FieldInvalid {
                field: column,
                expected: "正整数",
            },
        )),
    }
}

fn yes_no(text: &str) -> Result<bool, Refusal> {
    match text {
        "" | "否" | "0" | "N" | "n" | "false" | "FALSE" => Ok(false),
        "是" | "1" | "Y" | "y" | "true" | "TRUE" => Ok(true),
        _ => Err((
            "是否政府采购",
            Rejection::FieldInvalid {
                field: "是否政府采购",
                expected: "“是”或“否”",
            },
        )),
    }
}

/// The column a core rule names: its field when that is a column, else the amount column
/// (the core names amounts by table: 预算金额, 收入金额, 采购金额 …).
fn column_of(def: &SheetDef, rejection: &Rejection) -> &'static str {
    match rejection.field() {
        Some(field) if def.columns.iter().any(|column| column.label == field) => field,
        Some("单价") => "单价（元）",
        Some(field) if field.ends_with("金额") => AMOUNT,
        Some(field) => field,
        None => "",
    }
}
