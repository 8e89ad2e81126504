//! The import template of a record kind: a first sheet whose header row holds the Chinese
//! labels of the fields a create accepts, and a sheet 「说明」 that says for each column
//! whether it is required, what to write, the code table behind it with a few example codes,
//! and that money is in 元.

use fiscus_core::Role;
use fiscus_core::masterdata::INT_FIELD_MAX;
use fiscus_core::query::IMPORT_ROWS_MAX;
use fiscus_core::schema::{EntitySpec, FieldKind, FieldSpec};
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::import_fields;
use crate::AppError;
use crate::codes::{elements, shipped_examples};

/// How many example codes the 「说明」 sheet shows per code column.
const EXAMPLE_CODES_MAX: usize = 5;

/// General rules, above the column table of the 「说明」 sheet.
fn general_notes() -> [String; 6] {
    [
        "第 1 张工作表是要填写的数据：第 1 行是表头，请勿修改或删除；从第 2 行起每行一条记录，空行会被跳过。".into(),
        "表头带 * 的列必须填写；不需要的可选列可以留空，也可以整列删除。".into(),
        "代码、编码、证件号码、账号等列已设为文本格式，请勿改为数值，否则 Excel 会去掉开头的 0。".into(),
        "金额一律以元为单位，最多两位小数，如 3250.50；不要带“元”字或千分位以外的符号。".into(),
        format!("一个文件最多 {IMPORT_ROWS_MAX} 行数据。"),
        "上传后逐行检查：只要有一行有错，整个文件都不导入，并列出每一行的错误；请修改后重新上传整个文件。".into(),
    ]
}

/// The .xlsx template of `spec`.
pub fn template(spec: &EntitySpec) -> Result<Vec<u8>, AppError> {
    let xlsx = |e: XlsxError| AppError::Internal(format!("excel: {e}"));
    let mut workbook = Workbook::new();
    let data = workbook.add_worksheet();
    write_data_sheet(data, spec).map_err(xlsx)?;
    let notes = workbook.add_worksheet();
    write_notes_sheet(notes, spec).map_err(xlsx)?;
    workbook.save_to_buffer().map_err(xlsx)
}

fn write_data_sheet(sheet: &mut Worksheet, spec: &EntitySpec) -> Result<(), XlsxError> {
    sheet.set_name(spec.label)?;
    let optional = Format::new().set_bold().set_background_color(0xDDEBF7);
    let required = optional.clone().set_font_color(0xC00000);
    let as_text = Format::new().set_num_format("@");
    for (column, field) in import_fields(spec).enumerate() {
        let column = column as u16;
        let (header, format) = if field.required && field.kind != FieldKind::Bool {
            (format!("{}*", field.label), &required)
        } else {
            (field.label.to_owned(), &optional)
        };
        // Chinese characters are about two columns wide.
        let width = (header.chars().count() * 2 + 4).clamp(12, 40) as u16;
        sheet.set_column_width(column, width)?;
        if typed_as_text(field) {
            sheet.set_column_format(column, &as_text)?;
        }
        sheet.write_string_with_format(0, column, &header, format)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// Columns whose leading zeros or long digit strings Excel must not turn into numbers.
fn typed_as_text(field: &FieldSpec) -> bool {
    !matches!(
        field.kind,
        FieldKind::Int | FieldKind::Money | FieldKind::Year | FieldKind::Bool
    )
}

fn write_notes_sheet(sheet: &mut Worksheet, spec: &EntitySpec) -> Result<(), XlsxError> {
    sheet.set_name("说明")?;
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    sheet.write_string_with_format(0, 0, format!("{}导入说明", spec.label), &bold)?;
    let notes = general_notes();
    for (index, note) in notes.iter().enumerate() {
        sheet.write_string(index as u32 + 1, 0, note)?;
    }
    let table_row = notes.len() as u32 + 2;
    let headers = ["列名", "字段名", "是否必填", "填写要求", "编码表及示例"];
    let widths: [u16; 5] = [24, 22, 10, 48, 60];
    for (column, (header, width)) in headers.iter().zip(widths).enumerate() {
        sheet.write_string_with_format(table_row, column as u16, *header, &bold)?;
        sheet.set_column_width(column as u16, width)?;
    }
    for (index, field) in import_fields(spec).enumerate() {
        let row = table_row + 1 + index as u32;
        let required = if field.kind == FieldKind::Bool {
            "否（不填为否）"
        } else if field.required {
            "是"
        } else {
            "否"
        };
        sheet.write_string(row, 0, field.label)?;
        sheet.write_string(row, 1, field.name)?;
        sheet.write_string(row, 2, required)?;
        sheet.write_string_with_format(row, 3, requirement(field), &wrap)?;
        sheet.write_string_with_format(row, 4, code_examples(field), &wrap)?;
    }
    Ok(())
}

/// What to write in a column, in the words of the form's hints.
fn requirement(field: &FieldSpec) -> String {
    match (field.kind, field.name) {
        (_, "iden_no") => {
            "证件号码；居民身份证为 18 位，末位为校验位（数字或 X）。保存后只显示脱敏号码".into()
        }
        (_, "password") => {
            "初始密码：至少 10 位，须同时包含字母和数字；用户首次登录时须修改".into()
        }
        (_, "parent_agency_code") => "上级单位的单位代码；一级预算单位（主管部门）留空".into(),
        (_, "parent_mof_div_code") => "上级区划的 9 位代码".into(),
        (_, "parent_code") => "地方扩展编码的上级国家标准编码".into(),
        (_, "unifsoc_cred_code") => "统一社会信用代码，18 位，末位为校验位".into(),
        (_, "account_no") | (_, "sala_card_no") => "6 至 32 位数字".into(),
        (_, "bank_code") => "12 位数字".into(),
        (_, "zip") => "6 位数字".into(),
        (FieldKind::Money, _) => "金额，单位元，最多两位小数，如 3250.50".into(),
        (FieldKind::Int, _) => format!("整数，0 至 {INT_FIELD_MAX}"),
        (FieldKind::Bool, _) => "填“是”或“否”".into(),
        (FieldKind::Year, _) => "预算年度，4 位数字，如 2026".into(),
        (FieldKind::Region, _) => "9 位财政区划代码，如 660100000".into(),
        (FieldKind::Agency, _) => "单位代码，3 至 21 位数字或大写字母".into(),
        (FieldKind::Code(_), _) => "填编码（不是名称），须在该年度的编码表中且为启用状态".into(),
        (FieldKind::Roles, _) => "角色代码或中文名称，多个用逗号分隔".into(),
        (FieldKind::Text | FieldKind::Secret | FieldKind::Timestamp, _) => {
            format!("文本，最多 {} 个字符", field.length_max)
        }
    }
}

/// The code table behind a column and a few of its codes.
fn code_examples(field: &FieldSpec) -> String {
    match field.kind {
        FieldKind::Code(element_code) => {
            let element_name = elements()
                .into_iter()
                .find(|element| element.element_code == element_code)
                .map_or_else(|| element_code.to_owned(), |element| element.element_name);
            let examples: Vec<String> = shipped_examples(element_code, EXAMPLE_CODES_MAX)
                .into_iter()
                .map(|(code, name)| format!("{code} {name}"))
                .collect();
            format!(
                "要素「{element_name}」（{element_code}），例如：{}……完整列表见「要素编码」页面",
                examples.join("；")
            )
        }
        FieldKind::Roles => {
            let roles: Vec<String> = Role::ALL
                .iter()
                .map(|role| format!("{} {}", role.code(), role.name_zh()))
                .collect();
            roles.join("；")
        }
        _ if field.name == "element_code" => {
            let examples: Vec<String> = elements()
                .into_iter()
                .take(EXAMPLE_CODES_MAX)
                .map(|element| format!("{} {}", element.element_code, element.element_name))
                .collect();
            format!("要素代码，例如：{}……", examples.join("；"))
        }
        _ => String::new(),
    }
}
