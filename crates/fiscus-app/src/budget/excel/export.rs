//! Export: one unit's five tables in the import layout (an export imports back unchanged),
//! and the budget lines a viewer may see (a department's or a region's) with every figure
//! of the year. Money is 元 text with two decimals: no float touches it.

use fiscus_core::Principal;
use fiscus_core::Rejection;
use fiscus_core::budget::BudgetTables;
use fiscus_core::query::EXPORT_ROWS_MAX;
use fiscus_store::budget::{self as store, LineQuery, LineRow, SheetQuery};
use fiscus_store::records::Viewer;
use rust_xlsxwriter::Workbook;

use super::template::{add_notes_sheet, add_table_sheet, header_row, text_row};
use super::{BUDGET_SHEETS, xlsx};
use crate::{App, AppError};

/// The headers of the line list.
const LINE_HEADERS: [&str; 18] = [
    "单位代码",
    "主管部门",
    "财政区划",
    "项目代码",
    "项目类别",
    "支出功能分类科目",
    "政府预算支出经济分类",
    "部门预算支出经济分类",
    "资金性质",
    "是否政府采购",
    "编制数（元）",
    "申报数（元）",
    "财政审核数（元）",
    "预下达（元）",
    "年初批复数（元）",
    "调整（元）",
    "调剂（元）",
    "变动后（元）",
];

fn yuan(fen: i64) -> String {
    fiscus_core::Fen(fen).to_yuan_string()
}

/// The rows of each table sheet of one unit, in the import layout.
pub fn table_rows(agency_code: &str, tables: &BudgetTables) -> [Vec<Vec<String>>; 5] {
    let unit = || agency_code.to_owned();
    let money = |fen: fiscus_core::Fen| yuan(fen.0);
    [
        tables
            .expenses
            .iter()
            .map(|line| {
                let key = &line.key;
                vec![
                    unit(),
                    key.pro_code.clone(),
                    key.exp_func_code.clone(),
                    key.gov_bgt_eco_code.clone(),
                    key.dep_bgt_eco_code.clone(),
                    key.fund_type_code.clone(),
                    if line.is_gov_pur { "是" } else { "否" }.to_owned(),
                    money(line.amount),
                    line.remark.clone(),
                ]
            })
            .collect(),
        tables
            .incomes
            .iter()
            .map(|line| {
                vec![
                    unit(),
                    line.kind.label().to_owned(),
                    line.fund_type_code.clone(),
                    money(line.amount),
                    line.remark.clone(),
                ]
            })
            .collect(),
        tables
            .non_tax
            .iter()
            .map(|line| {
                vec![
                    unit(),
                    line.item_code.clone(),
                    line.item_name.clone(),
                    money(line.amount),
                ]
            })
            .collect(),
        tables
            .procurement
            .iter()
            .map(|line| {
                vec![
                    unit(),
                    line.pro_code.clone(),
                    line.item_code.clone(),
                    line.item_name.clone(),
                    line.quantity.to_string(),
                    money(line.amount),
                ]
            })
            .collect(),
        tables
            .assets
            .iter()
            .map(|line| {
                vec![
                    unit(),
                    line.pro_code.clone(),
                    line.asset_class.clone(),
                    line.asset_name.clone(),
                    line.quantity.to_string(),
                    money(line.unit_price),
                    money(line.amount),
                ]
            })
            .collect(),
    ]
}

/// The five table sheets holding the tables of each (agency_code, tables), in the import
/// layout.
fn write_table_sheets(
    workbook: &mut Workbook,
    units: &[(String, BudgetTables)],
) -> Result<(), AppError> {
    let mut sheets: [Vec<Vec<String>>; 5] = Default::default();
    for (agency_code, tables) in units {
        for (all, rows) in sheets.iter_mut().zip(table_rows(agency_code, tables)) {
            all.extend(rows);
        }
    }
    for (def, rows) in BUDGET_SHEETS.into_iter().zip(sheets) {
        let sheet = add_table_sheet(workbook, def)?;
        for (index, cells) in rows.iter().enumerate() {
            text_row(sheet, u32::try_from(index + 1).unwrap_or(u32::MAX), cells)?;
        }
    }
    Ok(())
}

/// A budget workbook (import layout, with 「说明」) of the given units' tables: what an
/// export writes, and what tests and benchmarks import.
pub fn tables_workbook(units: &[(String, BudgetTables)]) -> Result<Vec<u8>, AppError> {
    let mut workbook = Workbook::new();
    write_table_sheets(&mut workbook, units)?;
    let rules = vec!["金额单位：元。".to_owned()];
    add_notes_sheet(&mut workbook, "单位预算", &rules, &BUDGET_SHEETS)?;
    workbook.save_to_buffer().map_err(xlsx)
}

impl App {
    /// One unit's tables of a year (if `who` may see them), in the import layout.
    pub async fn budget_export_unit(
        &self,
        who: &Principal,
        fiscal_year: i64,
        agency_code: &str,
    ) -> Result<Vec<u8>, AppError> {
        let view = self.budget_sheet(who, fiscal_year, agency_code).await?;
        let mut workbook = Workbook::new();
        write_table_sheets(&mut workbook, &[(agency_code.to_owned(), view.tables)])?;
        let title = format!(
            "{} {fiscal_year} 年单位预算（{}，{}）",
            view.sheet.agency_name, agency_code, view.stage_label
        );
        let rules = vec![
            "本文件由系统导出，格式与单位预算导入模板相同：修改后可在「单位预算 Excel 导入」中整体导入，导入即以文件内容替换该单位的五张表。".to_owned(),
            "金额单位：元。".to_owned(),
        ];
        add_notes_sheet(&mut workbook, &title, &rules, &BUDGET_SHEETS)?;
        workbook.save_to_buffer().map_err(xlsx)
    }

    /// The budget lines of a year that `who` may see: a department's (`dept_code`), else a
    /// region's (`mof_div_code`), else all; bounded by `EXPORT_ROWS_MAX`.
    pub async fn budget_export_lines(
        &self,
        who: &Principal,
        fiscal_year: i64,
        dept_code: Option<&str>,
        mof_div_code: Option<&str>,
    ) -> Result<Vec<u8>, AppError> {
        let lines = self
            .visible_lines(who, fiscal_year, dept_code, mof_div_code)
            .await?;
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.set_name("预算明细").map_err(xlsx)?;
        header_row(sheet, &LINE_HEADERS)?;
        for (index, line) in lines.iter().enumerate() {
            let cells = [
                line.agency_code.clone(),
                line.dept_code.clone(),
                line.mof_div_code.clone(),
                line.pro_code.clone(),
                line.pro_kind_code.clone(),
                line.exp_func_code.clone(),
                line.gov_bgt_eco_code.clone(),
                line.dep_bgt_eco_code.clone(),
                line.fund_type_code.clone(),
                if line.is_gov_pur { "是" } else { "否" }.to_owned(),
                yuan(line.amount_fen),
                yuan(line.apply_up),
                yuan(line.fin_audit_money),
                yuan(line.pre_amt),
                yuan(line.reply_amt),
                yuan(line.adj_amt),
                yuan(line.dis_amt),
                yuan(line.cur_amt),
            ];
            text_row(sheet, u32::try_from(index + 1).unwrap_or(u32::MAX), &cells)?;
        }
        workbook.save_to_buffer().map_err(xlsx)
    }

    /// The lines `who` may see of a department (through its scoped sheets) or a region.
    pub(crate) async fn visible_lines(
        &self,
        who: &Principal,
        fiscal_year: i64,
        dept_code: Option<&str>,
        mof_div_code: Option<&str>,
    ) -> Result<Vec<LineRow>, AppError> {
        let rows_max = i64::from(EXPORT_ROWS_MAX);
        let too_many = || Rejection::ExportRowsExceeded {
            export_rows_max: EXPORT_ROWS_MAX,
        };
        if let Some(dept_code) = dept_code {
            let query = SheetQuery {
                fiscal_year,
                dept_code: Some(dept_code.to_owned()),
                mof_div_code: mof_div_code.map(str::to_owned),
                limit: rows_max,
                ..SheetQuery::default()
            };
            let (sheets, _) = store::sheets(&self.db, Viewer::User(who), &query).await?;
            let mut lines = Vec::new();
            for sheet in &sheets {
                lines.extend(store::lines_of_sheet(&self.db, &sheet.sheet.sheet_id).await?);
                if lines.len() > EXPORT_ROWS_MAX as usize {
                    return Err(too_many().into());
                }
            }
            return Ok(lines);
        }
        let query = LineQuery {
            fiscal_year,
            mof_div_code: mof_div_code.map(str::to_owned),
            limit: rows_max,
            ..LineQuery::default()
        };
        let (lines, total) = store::lines(&self.db, Viewer::User(who), &query).await?;
        if total > rows_max {
            return Err(too_many().into());
        }
        Ok(lines)
    }
}
