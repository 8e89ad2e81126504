//! Writing the budget workbook layout: a header row per sheet (required columns marked `*`,
//! code columns formatted as text so Excel keeps leading zeros), the 「说明」 sheet, the
//! 「编码表」 sheet of the year's codes behind the drop-down lists, and `App::budget_template`.

use fiscus_core::budget::IncomeKind;
use fiscus_core::query::IMPORT_ROWS_MAX;
use fiscus_core::{Principal, Rejection, Role};
use rust_xlsxwriter::{DataValidation, Format, Formula, Workbook, Worksheet};

use super::{BUDGET_SHEETS, EXPENSES, INCOMES, NOTES_SHEET, SheetDef, xlsx};
use crate::{App, AppError};

/// The sheet of the year's codes the drop-down lists point at.
pub const CODES_SHEET: &str = "编码表";

/// (element, column label it fills, code-sheet column of its codes).
const CODE_LISTS: [(&str, &str, u16); 4] = [
    ("exp_func", "支出功能分类科目", 0),
    ("gov_bgt_eco", "政府预算支出经济分类", 2),
    ("dep_bgt_eco", "部门预算支出经济分类", 4),
    ("fund_type", "资金性质", 6),
];

/// Bold header cells with a frozen first row.
pub fn header_row(sheet: &mut Worksheet, labels: &[&str]) -> Result<(), AppError> {
    let bold = Format::new().set_bold().set_background_color(0xDDEBF7);
    for (column, label) in labels.iter().enumerate() {
        let column = u16::try_from(column).unwrap_or(u16::MAX);
        let width = (label.chars().count() * 2 + 4).clamp(12, 40);
        sheet
            .set_column_width(column, u16::try_from(width).unwrap_or(12))
            .map_err(xlsx)?;
        sheet
            .write_string_with_format(0, column, *label, &bold)
            .map_err(xlsx)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(xlsx)?;
    Ok(())
}

/// One row of text cells (money goes in as 元 text: no float touches it).
pub fn text_row<S: AsRef<str>>(
    sheet: &mut Worksheet,
    row: u32,
    cells: &[S],
) -> Result<(), AppError> {
    for (column, text) in cells.iter().enumerate() {
        let text = text.as_ref();
        if text.is_empty() {
            continue;
        }
        let column = u16::try_from(column).unwrap_or(u16::MAX);
        sheet.write_string(row, column, text).map_err(xlsx)?;
    }
    Ok(())
}

/// Adds a table sheet: its name, header (required columns marked `*`) and text format on
/// every column but money and quantities.
pub fn add_table_sheet<'a>(
    workbook: &'a mut Workbook,
    def: &SheetDef,
) -> Result<&'a mut Worksheet, AppError> {
    let sheet = workbook.add_worksheet();
    sheet.set_name(def.name).map_err(xlsx)?;
    let labels: Vec<String> = def
        .columns
        .iter()
        .map(|column| {
            if column.required {
                format!("{}*", column.label)
            } else {
                column.label.to_owned()
            }
        })
        .collect();
    let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
    header_row(sheet, &labels)?;
    let as_text = Format::new().set_num_format("@");
    for (index, column) in def.columns.iter().enumerate() {
        let numeric = column.label.contains("（元）") || column.label.contains("数量");
        if !numeric {
            let index = u16::try_from(index).unwrap_or(u16::MAX);
            sheet.set_column_format(index, &as_text).map_err(xlsx)?;
        }
    }
    Ok(sheet)
}

/// A workbook of the given sheets, each with its plain header (labels without `*`) and these
/// rows of text: for tests and tools that fill a layout by hand.
pub fn rows_workbook(sheets: &[(&SheetDef, Vec<Vec<&str>>)]) -> Result<Vec<u8>, AppError> {
    let mut workbook = Workbook::new();
    for (def, rows) in sheets {
        let sheet = workbook.add_worksheet();
        sheet.set_name(def.name).map_err(xlsx)?;
        let labels: Vec<&str> = def.columns.iter().map(|column| column.label).collect();
        text_row(sheet, 0, &labels)?;
        for (index, cells) in rows.iter().enumerate() {
            text_row(sheet, u32::try_from(index + 1).unwrap_or(u32::MAX), cells)?;
        }
    }
    workbook.save_to_buffer().map_err(xlsx)
}

/// The 「说明」 sheet: general rules, then each sheet's columns with what to write.
pub fn add_notes_sheet(
    workbook: &mut Workbook,
    title: &str,
    rules: &[String],
    defs: &[&SheetDef],
) -> Result<(), AppError> {
    let sheet = workbook.add_worksheet();
    sheet.set_name(NOTES_SHEET).map_err(xlsx)?;
    let bold = Format::new().set_bold();
    sheet
        .write_string_with_format(0, 0, title, &bold)
        .map_err(xlsx)?;
    let mut row = 1u32;
    for rule in rules {
        sheet.write_string(row, 0, rule).map_err(xlsx)?;
        row += 1;
    }
    row += 1;
    for (column, (label, width)) in [
        ("工作表", 16u16),
        ("列名", 22),
        ("是否必填", 10),
        ("填写要求", 70),
    ]
    .into_iter()
    .enumerate()
    {
        let column = u16::try_from(column).unwrap_or(u16::MAX);
        sheet
            .write_string_with_format(row, column, label, &bold)
            .map_err(xlsx)?;
        sheet.set_column_width(column, width).map_err(xlsx)?;
    }
    for def in defs {
        for column in def.columns {
            row += 1;
            let required = if column.required { "是" } else { "否" };
            text_row(sheet, row, &[def.name, column.label, required, column.hint])?;
        }
    }
    Ok(())
}

fn budget_rules() -> Vec<String> {
    vec![
        "本工作簿每张表对应单位预算的一张表：支出预算、收入预算、非税征收计划、政府采购预算、资产购置计划。第 1 行是表头，请勿修改；从第 2 行起每行一条，空行会被跳过。".into(),
        "每行都填写单位代码，一个工作簿可以同时填写多个单位。工作簿中出现的每个单位，其五张表都以工作簿内容整体替换：某张表中没有该单位的行，即清空该单位的这张表。".into(),
        "单位经办只能导入本单位；主管部门审核可以为本部门及所属单位代编导入。单位预算须处于一上或二上的“编制中”状态。".into(),
        "代码列已设为文本格式，请勿改为数值。各分类编码须在该年度编码表中且为启用状态，可从下拉列表选择，或见「编码表」工作表。".into(),
        "金额一律以元为单位，最多两位小数，如 3250.50；超过两位小数（如 1.234）或填文字的行会被拒绝，不会四舍五入。".into(),
        "同一单位的支出预算中，项目代码、支出功能分类、两种经济分类和资金性质都相同的行只能有一行。".into(),
        format!("一个文件最多 {IMPORT_ROWS_MAX} 行数据（各表合计）。"),
        "上传后逐行检查：只要有一行有错，整个文件都不导入，并列出每一行的工作表、行号、列和错误说明（可下载为 Excel）；请修改后重新上传整个文件。".into(),
        "导出的单位预算与本模板格式相同，修改后可直接导入。".into(),
    ]
}

impl App {
    /// The budget import template of `fiscal_year`: the five table sheets with drop-down
    /// lists for the codes, income kinds and 是/否, the 「说明」 sheet and the 「编码表」.
    pub async fn budget_template(
        &self,
        who: &Principal,
        fiscal_year: i64,
    ) -> Result<Vec<u8>, AppError> {
        require_importer(who)?;
        let mut workbook = Workbook::new();
        for def in BUDGET_SHEETS {
            add_table_sheet(&mut workbook, def)?;
        }
        add_notes_sheet(
            &mut workbook,
            &format!("{fiscal_year} 年单位预算导入说明"),
            &budget_rules(),
            &BUDGET_SHEETS,
        )?;
        let codes_sheet = workbook.add_worksheet();
        codes_sheet.set_name(CODES_SHEET).map_err(xlsx)?;
        let mut lengths = Vec::new();
        for (element, label, column) in CODE_LISTS {
            let mut pairs = self.code_names(element, Some(fiscal_year)).await?;
            if pairs.is_empty() {
                pairs = self.code_names(element, None).await?;
            }
            codes_sheet
                .write_string(0, column, format!("{label}编码"))
                .map_err(xlsx)?;
            codes_sheet
                .write_string(0, column + 1, format!("{label}名称"))
                .map_err(xlsx)?;
            for (index, (code, name)) in pairs.iter().enumerate() {
                let row = u32::try_from(index + 1).unwrap_or(u32::MAX);
                codes_sheet.write_string(row, column, code).map_err(xlsx)?;
                codes_sheet
                    .write_string(row, column + 1, name)
                    .map_err(xlsx)?;
            }
            lengths.push((label, column, pairs.len()));
        }
        add_validations(&mut workbook, &lengths)?;
        workbook.save_to_buffer().map_err(xlsx)
    }
}

fn add_validations(
    workbook: &mut Workbook,
    lengths: &[(&str, u16, usize)],
) -> Result<(), AppError> {
    let last_row = IMPORT_ROWS_MAX;
    let yes_no = DataValidation::new()
        .allow_list_strings(&["是", "否"])
        .map_err(xlsx)?;
    let kinds: Vec<&str> = IncomeKind::ALL.iter().map(|kind| kind.label()).collect();
    let income_kinds = DataValidation::new()
        .allow_list_strings(&kinds)
        .map_err(xlsx)?;
    let column_letter = |column: u16| char::from(b'A' + u8::try_from(column).unwrap_or(0));
    for (def, label, validation) in [
        (&EXPENSES, "是否政府采购", yes_no),
        (&INCOMES, "收入类型", income_kinds),
    ] {
        let sheet = workbook.worksheet_from_name(def.name).map_err(xlsx)?;
        let column = u16::try_from(def.at(label)).unwrap_or(u16::MAX);
        sheet
            .add_data_validation(1, column, last_row, column, &validation)
            .map_err(xlsx)?;
    }
    for (label, code_column, n_codes) in lengths {
        if *n_codes == 0 {
            continue;
        }
        let letter = column_letter(*code_column);
        let formula = Formula::new(format!(
            "='{CODES_SHEET}'!${letter}$2:${letter}${}",
            n_codes + 1
        ));
        let validation = DataValidation::new().allow_list_formula(formula);
        for def in [&EXPENSES, &INCOMES] {
            let column = def.at(label);
            if column == usize::MAX {
                continue;
            }
            let column = u16::try_from(column).unwrap_or(u16::MAX);
            let sheet = workbook.worksheet_from_name(def.name).map_err(xlsx)?;
            sheet
                .add_data_validation(1, column, last_row, column, &validation)
                .map_err(xlsx)?;
        }
    }
    Ok(())
}

/// Import and template are for a unit clerk of a unit or a department reviewer.
pub fn require_importer(who: &Principal) -> Result<(), AppError> {
    let unit_role = who.roles.contains(Role::UnitClerk) || who.roles.contains(Role::DeptReviewer);
    if unit_role && who.agency_code().is_some() {
        Ok(())
    } else {
        Err(Rejection::Forbidden.into())
    }
}
