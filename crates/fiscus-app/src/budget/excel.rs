//! Excel for budget compilation (预算编制): the workbook layout of a unit's five tables (one
//! sheet each, rows keyed by 单位代码 so one workbook may carry many units), the template to
//! fill (`App::budget_template`), the all-or-nothing import (`App::budget_import`), the
//! export of a unit's tables in the same layout (so an export imports back unchanged) and of
//! the line list, the department's disclosure workbook (`disclosure`), the project
//! declaration template and import (`project`), and a generator of large valid workbooks for
//! `fiscus bench budget` (`generate`).
//!
//! Who may import for whom (checked in the app, never by the page): a unit clerk (单位经办)
//! for its own unit only; a department reviewer (主管部门审核) for every unit of its
//! department subtree, itself included (代编). Each named unit's sheet must be an editable
//! draft (一上 or 二上 编制中). Nobody else imports.
//!
//! Money never touches a float: calamine hands numbers over as `f64`, which
//! `crate::import::cell_text` turns into the shortest decimal text that reads back to the
//! same float (`3250.5` → "3250.5"), and `Fen::parse_yuan` parses that text exactly and
//! refuses a third decimal (`1.234`) instead of rounding.

pub mod disclosure;
mod export;
mod generate;
mod import;
pub mod project;
mod read;
mod template;

pub use export::{table_rows, tables_workbook};
pub use generate::{BenchWorkbook, bench_import, generate_workbook};
pub use read::{Column, SheetDef};
pub use template::rows_workbook;

use fiscus_core::Rejection;
use rust_xlsxwriter::XlsxError;

use crate::AppError;

/// The sheet of the expenditure lines (支出预算).
pub const EXPENSES: SheetDef = SheetDef {
    name: "支出预算",
    columns: &[
        Column::required("单位代码", "预算单位代码，须为本人可导入的单位"),
        Column::required("项目代码", "项目库中已入库、属于该单位的项目代码"),
        Column::required(
            "支出功能分类科目",
            "支出功能分类科目编码（项级，7 位），如 2010101",
        ),
        Column::required("政府预算支出经济分类", "政府预算支出经济分类编码，如 501"),
        Column::required("部门预算支出经济分类", "部门预算支出经济分类编码，如 30101"),
        Column::required("资金性质", "资金性质编码，如 111（一般公共预算拨款）"),
        Column::optional("是否政府采购", "填“是”或“否”，不填为否"),
        Column::required("金额（元）", "金额，单位元，最多两位小数，不能为负"),
        Column::optional("备注", "文本，最多 200 个字符"),
    ],
};

/// The sheet of the income budget (收入预算).
pub const INCOMES: SheetDef = SheetDef {
    name: "收入预算",
    columns: &[
        Column::required("单位代码", "预算单位代码"),
        Column::required(
            "收入类型",
            "财政拨款收入、非税收入、事业收入、经营收入、其他收入或上年结转",
        ),
        Column::required("资金性质", "资金性质编码，如 111"),
        Column::required("金额（元）", "金额，单位元，最多两位小数"),
        Column::optional("备注", "文本，最多 200 个字符"),
    ],
};

/// The sheet of the non-tax collection plan (非税征收计划).
pub const NON_TAX: SheetDef = SheetDef {
    name: "非税征收计划",
    columns: &[
        Column::required("单位代码", "预算单位代码"),
        Column::required("非税收入项目代码", "非税收入项目编码，字母或数字"),
        Column::required("非税收入项目名称", "文本，最多 200 个字符"),
        Column::required(
            "金额（元）",
            "征收计划金额，单位元；合计应等于收入预算中的非税收入",
        ),
    ],
};

/// The sheet of the procurement budget (政府采购预算).
pub const PROCUREMENT: SheetDef = SheetDef {
    name: "政府采购预算",
    columns: &[
        Column::required("单位代码", "预算单位代码"),
        Column::required("项目代码", "项目库中属于该单位的项目代码"),
        Column::required("政府采购品目", "政府采购品目编码，如 A02010104"),
        Column::required("采购品目名称", "文本，最多 200 个字符"),
        Column::required("采购数量", "正整数"),
        Column::required("金额（元）", "采购金额，单位元，最多两位小数"),
    ],
};

/// The sheet of the asset purchase plan (资产购置计划).
pub const ASSETS: SheetDef = SheetDef {
    name: "资产购置计划",
    columns: &[
        Column::required("单位代码", "预算单位代码"),
        Column::required("项目代码", "项目库中属于该单位的项目代码"),
        Column::required("资产分类", "资产分类编码"),
        Column::required("资产名称", "文本，最多 200 个字符"),
        Column::required("购置数量", "正整数"),
        Column::required("单价（元）", "单价，单位元，最多两位小数"),
        Column::required("金额（元）", "购置金额 = 数量 × 单价"),
    ],
};

/// The five table sheets in workbook order.
pub const BUDGET_SHEETS: [&SheetDef; 5] = [&EXPENSES, &INCOMES, &NON_TAX, &PROCUREMENT, &ASSETS];

/// The instructions sheet of every workbook.
pub const NOTES_SHEET: &str = "说明";

/// What an import did: every unit written, or nothing and every refused row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Units (or projects) written; 0 when any row was refused.
    pub n_written: usize,
    /// Data rows read from the workbook.
    pub n_rows: usize,
    /// The refused rows, by sheet order then row; the first rule each row broke.
    pub errors: Vec<SheetRowError>,
}

/// Why one row of one sheet was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetRowError {
    pub sheet: &'static str,
    /// The row number Excel shows (the header is row 1).
    pub row: u32,
    /// The column label, empty when the rule is about the whole row.
    pub column: String,
    pub rejection: Rejection,
}

impl SheetRowError {
    /// The Chinese message of the rejection.
    pub fn message(&self) -> String {
        self.rejection.message()
    }
}

pub(crate) fn xlsx(error: XlsxError) -> AppError {
    AppError::Internal(format!("excel: {error}"))
}

/// The error report of an import as an .xlsx (工作表, 行号, 列, 错误说明), to download.
pub fn errors_workbook(report: &ImportReport) -> Result<Vec<u8>, AppError> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("导入错误").map_err(xlsx)?;
    template::header_row(sheet, &["工作表", "行号", "列", "错误代码", "错误说明"])?;
    for (index, error) in report.errors.iter().enumerate() {
        let row = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let cells = [
            error.sheet.to_owned(),
            error.row.to_string(),
            error.column.clone(),
            error.rejection.code(),
            error.message(),
        ];
        template::text_row(sheet, row, &cells)?;
    }
    workbook.save_to_buffer().map_err(xlsx)
}

/// `errors_workbook` as base64, for a download link the result page carries with it (the
/// report is not kept on the server).
pub fn errors_workbook_base64(report: &ImportReport) -> Result<String, AppError> {
    use base64::Engine;
    let bytes = errors_workbook(report)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}
