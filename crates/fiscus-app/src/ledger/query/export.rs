//! Excel export of the indicator list (the filters of the page, every selected row up to
//! `EXPORT_ROWS_MAX`, a totals row) and of a roll-up. Money in 元 as text with two decimals,
//! as in every other export: no float touches money.

use fiscus_core::query::EXPORT_ROWS_MAX;
use fiscus_core::{Fen, Principal, Rejection};
use fiscus_store::ledger::query::{self as store_query, IndicatorFilter, IndicatorTotals};
use fiscus_store::records::Viewer;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::{IndicatorQuery, SummaryBy, may_read};
use crate::{App, AppError};

const LIST_HEADERS: [&str; 17] = [
    "指标编号",
    "财政区划",
    "预算年度",
    "预算单位",
    "项目代码",
    "支出功能分类",
    "政府经济分类",
    "部门经济分类",
    "资金性质",
    "指标类型",
    "指标文号",
    "指标文标题",
    "指标金额（元）",
    "冻结（元）",
    "在途（元）",
    "已支出（元）",
    "可用（元）",
];

const MONEY_HEADERS: [&str; 6] = [
    "指标数",
    "指标金额（元）",
    "冻结（元）",
    "在途（元）",
    "已支出（元）",
    "可用（元）",
];

fn xlsx(error: XlsxError) -> AppError {
    AppError::Internal(format!("excel: {error}"))
}

fn yuan(fen: i64) -> String {
    Fen(fen).to_yuan_string()
}

fn header(sheet: &mut Worksheet, headers: &[&str]) -> Result<(), AppError> {
    let bold = Format::new().set_bold();
    for (column, label) in headers.iter().enumerate() {
        let column = u16::try_from(column).unwrap_or(u16::MAX);
        sheet
            .write_string_with_format(0, column, *label, &bold)
            .map_err(xlsx)?;
        sheet.set_column_width(column, 16).map_err(xlsx)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(xlsx)?;
    Ok(())
}

fn write_row(sheet: &mut Worksheet, row: u32, cells: &[String]) -> Result<(), AppError> {
    for (column, text) in cells.iter().enumerate() {
        let column = u16::try_from(column).unwrap_or(u16::MAX);
        sheet.write_string(row, column, text).map_err(xlsx)?;
    }
    Ok(())
}

fn totals_cells(totals: &IndicatorTotals) -> [String; 6] {
    [
        totals.count.to_string(),
        yuan(totals.total_fen),
        yuan(totals.frozen_fen),
        yuan(totals.reserved_fen),
        yuan(totals.spent_fen),
        yuan(totals.available_fen),
    ]
}

impl App {
    /// Every indicator the query selects (its paging ignored) as an .xlsx with a totals row.
    pub async fn export_indicators(
        &self,
        who: &Principal,
        query: &IndicatorQuery,
    ) -> Result<Vec<u8>, AppError> {
        may_read(who)?;
        let viewer = Viewer::User(who);
        let totals = store_query::indicator_totals(&self.db, viewer, &query.filter).await?;
        if totals.count > i64::from(EXPORT_ROWS_MAX) {
            return Err(Rejection::ExportRowsExceeded {
                export_rows_max: EXPORT_ROWS_MAX,
            }
            .into());
        }
        let rows = store_query::list_indicators(
            &self.db,
            viewer,
            &query.filter,
            query.order(u64::from(EXPORT_ROWS_MAX), 0),
        )
        .await?;
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.set_name("指标查询").map_err(xlsx)?;
        header(sheet, &LIST_HEADERS)?;
        let mut at = 1_u32;
        for row in &rows {
            let e = &row.elements;
            let f = &row.figures;
            let cells = [
                row.bgt_id.to_string(),
                e.mof_div_code.as_str().to_owned(),
                e.fiscal_year.0.to_string(),
                e.agency_code
                    .as_ref()
                    .map(|code| code.as_str().to_owned())
                    .unwrap_or_default(),
                e.pro_code.clone(),
                e.exp_func_code.clone(),
                e.gov_bgt_eco_code.clone(),
                e.dep_bgt_eco_code.clone(),
                e.fund_type_code.clone(),
                e.bgt_type_code.clone(),
                e.cor_bgt_doc_no.clone(),
                e.bgt_doc_title.clone(),
                yuan(f.total_fen),
                yuan(f.frozen_fen),
                yuan(f.reserved_fen),
                yuan(f.spent_fen),
                yuan(f.available_fen),
            ];
            write_row(sheet, at, &cells)?;
            at += 1;
        }
        let mut last = vec![format!("合计（{} 条）", totals.count)];
        last.extend(std::iter::repeat_n(String::new(), 11));
        last.extend(totals_cells(&totals).into_iter().skip(1));
        write_row(sheet, at, &last)?;
        workbook.save_to_buffer().map_err(xlsx)
    }

    /// A roll-up as an .xlsx: one row per group and the grand total.
    pub async fn export_indicator_summary(
        &self,
        who: &Principal,
        filter: &IndicatorFilter,
        by: SummaryBy,
    ) -> Result<Vec<u8>, AppError> {
        let (rows, totals) = self.indicator_summary(who, filter, by).await?;
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.set_name("指标汇总").map_err(xlsx)?;
        let mut headers = vec![by.label()];
        headers.extend(MONEY_HEADERS);
        header(sheet, &headers)?;
        let mut at = 1_u32;
        for row in &rows {
            let mut cells = vec![row.key.clone()];
            cells.extend(totals_cells(&row.totals));
            write_row(sheet, at, &cells)?;
            at += 1;
        }
        let mut cells = vec!["合计".to_owned()];
        cells.extend(totals_cells(&totals));
        write_row(sheet, at, &cells)?;
        workbook.save_to_buffer().map_err(xlsx)
    }
}
