//! A report set as an .xlsx workbook: the cover (封面), one worksheet per table with its
//! title, Chinese headings and amounts in 元 with two decimals (written as text from fen, so
//! no float touches money, as in the other exports), and the check results on the last sheet.

use fiscus_core::final_accounts::{Scope, SetStatus, table_def};
use fiscus_core::{Fen, Principal};
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use crate::final_accounts::SetView;
use crate::{App, AppError};

fn xlsx(error: XlsxError) -> AppError {
    AppError::Internal(format!("excel: {error}"))
}

impl App {
    /// The stored set as an .xlsx workbook.
    pub async fn final_accounts_export_xlsx(
        &self,
        who: &Principal,
        scope: Scope,
        code: &str,
        fiscal_year: i64,
    ) -> Result<Vec<u8>, AppError> {
        let view = self
            .final_accounts_report(who, scope, code, fiscal_year)
            .await?;
        workbook(&view)
    }
}

/// The class code shown beside a classification row (`f.20101` → `20101`); empty for
/// fixed rows and the rows without a class.
pub fn row_class_code(row_code: &str) -> &str {
    match row_code.split_at_checked(2) {
        Some(("f." | "e." | "a." | "l." | "n.", code))
            if !code.contains("total") && code != "surplus" && code != "none" =>
        {
            code.strip_suffix(".0").unwrap_or(code)
        }
        _ => "",
    }
}

fn write_row(
    sheet: &mut Worksheet,
    at: u32,
    cells: &[String],
    format: Option<&Format>,
) -> Result<(), AppError> {
    for (column, cell) in cells.iter().enumerate() {
        let column = u16::try_from(column).unwrap_or(u16::MAX);
        match format {
            Some(format) => sheet.write_string_with_format(at, column, cell, format),
            None => sheet.write_string(at, column, cell),
        }
        .map_err(xlsx)?;
    }
    Ok(())
}

fn workbook(view: &SetView) -> Result<Vec<u8>, AppError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let title = Format::new().set_bold().set_font_size(14);
    let status = SetStatus::from_code(&view.header.status).map_or("", SetStatus::label);
    let heading = format!(
        "{} {} 年度决算（{}）",
        view.header.org_name, view.header.fiscal_year, status
    );
    let sheet = workbook.add_worksheet();
    sheet.set_name("封面").map_err(xlsx)?;
    sheet
        .write_string_with_format(0, 0, &heading, &title)
        .map_err(xlsx)?;
    sheet.set_column_width(0, 20).map_err(xlsx)?;
    sheet.set_column_width(1, 48).map_err(xlsx)?;
    let mut at = 2;
    for (label, value) in &view.cover.lines {
        write_row(sheet, at, &[label.clone(), value.clone()], None)?;
        at += 1;
    }
    for (label, value) in [
        ("生成时间", view.header.generated_at.clone()),
        (
            "年度是否已结转",
            if view.header.year_closed {
                "已年终结转"
            } else {
                "未年终结转（年末数为未用余额）"
            }
            .to_owned(),
        ),
        ("状态", status.to_owned()),
    ] {
        write_row(sheet, at, &[label.to_owned(), value], None)?;
        at += 1;
    }
    for table in &view.set.tables {
        let Some(def) = table_def(&table.code) else {
            continue;
        };
        let sheet = workbook.add_worksheet();
        sheet.set_name(def.number).map_err(xlsx)?;
        sheet
            .write_string_with_format(0, 0, format!("{} {}", def.number, def.title), &title)
            .map_err(xlsx)?;
        sheet
            .write_string(
                1,
                0,
                format!(
                    "编制单位：{}　　{} 年度　　金额单位：元",
                    view.header.org_name, view.header.fiscal_year
                ),
            )
            .map_err(xlsx)?;
        let mut headings = vec!["项目".to_owned(), "科目编码".to_owned()];
        headings.extend(def.columns.iter().map(|c| c.label.to_owned()));
        write_row(sheet, 3, &headings, Some(&bold))?;
        sheet.set_column_width(0, 36).map_err(xlsx)?;
        sheet.set_column_width(1, 12).map_err(xlsx)?;
        for column in 0..def.columns.len() {
            sheet
                .set_column_width(u16::try_from(column + 2).unwrap_or(u16::MAX), 18)
                .map_err(xlsx)?;
        }
        for (at, row) in (4_u32..).zip(&table.rows) {
            let mut cells = vec![
                format!("{}{}", "　".repeat(usize::from(row.level)), row.label),
                row_class_code(&row.code).to_owned(),
            ];
            cells.extend(row.cells.iter().map(|fen| Fen(*fen).to_yuan_string()));
            let strong = row.level == 0 && !row.code.contains('.')
                || row.code.ends_with("total")
                || row.code.ends_with("grand");
            write_row(sheet, at, &cells, strong.then_some(&bold))?;
        }
        sheet.set_freeze_panes(4, 2).map_err(xlsx)?;
    }
    let sheet = workbook.add_worksheet();
    sheet.set_name("校验结果").map_err(xlsx)?;
    write_row(
        sheet,
        0,
        &["规则代码", "类别", "规则", "结果", "说明"].map(str::to_owned),
        Some(&bold),
    )?;
    for (column, width) in [(0, 18), (1, 6), (2, 40), (3, 8), (4, 100)] {
        sheet.set_column_width(column, width).map_err(xlsx)?;
    }
    let mut at = 1;
    for rule in &view.checks.rules {
        let base = [
            rule.code.to_owned(),
            rule.kind.label().to_owned(),
            rule.title.to_owned(),
        ];
        if rule.failures.is_empty() {
            let mut cells = base.to_vec();
            cells.extend(["通过".to_owned(), String::new()]);
            write_row(sheet, at, &cells, None)?;
            at += 1;
        }
        for failure in &rule.failures {
            let mut cells = base.to_vec();
            cells.extend(["未通过".to_owned(), failure.clone()]);
            write_row(sheet, at, &cells, None)?;
            at += 1;
        }
    }
    workbook.save_to_buffer().map_err(xlsx)
}
