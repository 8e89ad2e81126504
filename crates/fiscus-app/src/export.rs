//! Excel export of any list: the same query as the page, every matching row (bounded by
//! `EXPORT_ROWS_MAX`), Chinese column headers, money in 元 as text with two decimals.

use fiscus_core::Principal;
use fiscus_core::masterdata::Value;
use fiscus_core::query::ListQuery;
use fiscus_core::schema::{EntitySpec, FieldKind};
use rust_xlsxwriter::{Format, Workbook};

use crate::masterdata::display_value;
use crate::{App, AppError};

/// Labels of code fields (`1` → `全额拨款`) resolved by the caller, keyed by field name.
pub type CodeNames = dyn Fn(&'static str, &str) -> Option<String> + Send + Sync;

impl App {
    /// An .xlsx workbook of every record matching `query`.
    pub async fn export_records(
        &self,
        who: &Principal,
        spec: &'static EntitySpec,
        query: &ListQuery,
    ) -> Result<Vec<u8>, AppError> {
        let page = self.list_all_records(who, spec, query).await?;
        let fields: Vec<_> = spec
            .list_fields()
            .filter(|field| field.kind != FieldKind::Secret)
            .collect();
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        let xlsx = |e: rust_xlsxwriter::XlsxError| AppError::Internal(format!("excel: {e}"));
        sheet.set_name(spec.label).map_err(xlsx)?;
        let header = Format::new().set_bold();
        for (column, field) in fields.iter().enumerate() {
            sheet
                .write_string_with_format(0, column as u16, field.label, &header)
                .map_err(xlsx)?;
            sheet.set_column_width(column as u16, 16).map_err(xlsx)?;
        }
        for (row_index, record) in page.rows.iter().enumerate() {
            for (column, field) in fields.iter().enumerate() {
                let value = record.get(field.name).unwrap_or(&Value::Null);
                let cell = match (field.kind, value) {
                    (FieldKind::Bool, Value::Bool(flag)) if field.name == "is_enabled" => {
                        if *flag { "启用" } else { "停用" }.to_owned()
                    }
                    _ => display_value(field.kind, value),
                };
                sheet
                    .write_string(row_index as u32 + 1, column as u16, &cell)
                    .map_err(xlsx)?;
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(xlsx)?;
        workbook.save_to_buffer().map_err(xlsx)
    }
}
