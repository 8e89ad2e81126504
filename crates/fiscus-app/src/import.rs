//! Excel import of master data (导入): the first sheet of an .xlsx read into rows of input
//! (`read_sheet`), then every row created in one transaction through the same path as a
//! single create (`App::import_records`). One refused row refuses the whole file, and the
//! reasons of all refused rows are reported together. The template to fill is in `template`.

mod template;

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use fiscus_core::masterdata::Input;
use fiscus_core::query::IMPORT_ROWS_MAX;
use fiscus_core::schema::{Edit, EntitySpec, FieldSpec};
use fiscus_core::{Action, Principal, Rejection};
use fiscus_store::Savepoint;

use crate::masterdata::require_root_bureau;
use crate::{App, AppError, RequestCtx};

pub use template::template;

/// What an import did: every row written, or none and the reason of each refused row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// All rows of the file when none was refused, else 0.
    pub n_imported: usize,
    /// The refused rows in sheet order, one rejection each (the first rule the row broke).
    pub errors: Vec<RowError>,
}

/// Why one row of the file was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    /// The row number Excel shows (the header is row 1).
    pub row: u32,
    pub rejection: Rejection,
}

/// The columns a file may have: the fields a create accepts, write-only ones included (a
/// user's initial password, a person's identity number), in form order.
pub fn import_fields(spec: &EntitySpec) -> impl Iterator<Item = &'static FieldSpec> + '_ {
    spec.fields.iter().filter(|field| field.edit != Edit::Never)
}

fn not_xlsx() -> Rejection {
    Rejection::FieldInvalid {
        field: "文件",
        expected: "Excel .xlsx 文件",
    }
}

fn no_data() -> Rejection {
    Rejection::FieldInvalid {
        field: "文件",
        expected: "第 1 行为表头、其下至少有一行数据的 Excel .xlsx 文件",
    }
}

/// Reads the first sheet of an .xlsx file: the first row is the header, each later row that
/// is not empty becomes one input, numbered as Excel shows it. Cells become the text a
/// person would have typed into the form; checking that text is left to the create.
pub fn read_sheet(spec: &EntitySpec, bytes: &[u8]) -> Result<Vec<(u32, Input)>, Rejection> {
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| not_xlsx())?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(not_xlsx)?
        .map_err(|_| not_xlsx())?;
    // The range starts at the first cell holding a value, wherever that is on the sheet.
    let (first_row, _) = range.start().ok_or_else(no_data)?;
    let mut rows = range.rows();
    let header = rows.next().ok_or_else(no_data)?;
    let columns = header_fields(spec, header)?;
    let mut inputs = Vec::new();
    for (index, cells) in rows.enumerate() {
        let mut values = BTreeMap::new();
        for (cell, field) in cells.iter().zip(&columns) {
            if let Some(field) = field
                && let Some(text) = cell_text(field, cell)?
                && !text.trim().is_empty()
            {
                values.insert(field.name.to_owned(), text);
            }
        }
        if values.is_empty() {
            continue;
        }
        if inputs.len() >= IMPORT_ROWS_MAX as usize {
            return Err(Rejection::ImportRowsExceeded {
                import_rows_max: IMPORT_ROWS_MAX,
            });
        }
        // 0-based sheet row of the header, plus the header itself, plus 1 for Excel's count.
        let row_number = first_row + index as u32 + 2;
        inputs.push((row_number, Input(values)));
    }
    if inputs.is_empty() {
        return Err(no_data());
    }
    Ok(inputs)
}

/// The field of each header cell (`None` for an empty one): matched by its Chinese label,
/// a trailing `*` of a required column allowed, or by its field name. Each field once.
fn header_fields(
    spec: &EntitySpec,
    header: &[Data],
) -> Result<Vec<Option<&'static FieldSpec>>, Rejection> {
    let mut columns: Vec<Option<&'static FieldSpec>> = Vec::with_capacity(header.len());
    for cell in header {
        let text = match cell {
            Data::Empty => String::new(),
            Data::String(text) => text.trim().to_owned(),
            other => other.to_string().trim().to_owned(),
        };
        if text.is_empty() {
            columns.push(None);
            continue;
        }
        let label = text.trim_end_matches(['*', '＊']).trim();
        let field = import_fields(spec)
            .find(|field| field.label == label || field.name == label)
            .filter(|field| !columns.iter().flatten().any(|seen| seen.name == field.name))
            .ok_or(Rejection::ImportHeaderUnknown { header: text })?;
        columns.push(Some(field));
    }
    Ok(columns)
}

/// The text of one cell. Numbers are written the way people write them: `12`, not `12.0`.
///
/// Money never goes through float arithmetic: Excel stores every number as a binary float,
/// and Rust prints a float as the shortest decimal that reads back to the same float, so
/// `3250.5` comes out as "3250.5" exactly. That text is then parsed by `Fen::parse_yuan`
/// like any typed amount, which refuses more than two decimals instead of rounding.
pub(crate) fn cell_text(field: &FieldSpec, cell: &Data) -> Result<Option<String>, Rejection> {
    let text = match cell {
        Data::Empty => return Ok(None),
        Data::String(text) => text.clone(),
        Data::Float(number) => format!("{number}"),
        Data::Int(number) => number.to_string(),
        Data::Bool(true) => "是".to_owned(),
        Data::Bool(false) => "否".to_owned(),
        Data::DateTime(date_time) => {
            let (year, month, day, ..) = date_time.to_ymd_hms_milli();
            format!("{year:04}-{month:02}-{day:02}")
        }
        Data::DateTimeIso(text) => text.get(..10).unwrap_or(text).to_owned(),
        Data::DurationIso(text) => text.clone(),
        Data::Error(_) => {
            return Err(Rejection::FieldInvalid {
                field: field.label,
                expected: "填写的值，不能是 #N/A、#VALUE! 等公式错误",
            });
        }
    };
    Ok(Some(text))
}

impl App {
    /// Imports an uploaded .xlsx file: permission first, then the file, then every row.
    pub async fn import_xlsx(
        &self,
        who: &Principal,
        spec: &'static EntitySpec,
        bytes: &[u8],
        ctx: &RequestCtx,
    ) -> Result<ImportReport, AppError> {
        self.require_import(who, spec)?;
        let rows = read_sheet(spec, bytes)?;
        self.import_records(who, spec, rows, ctx).await
    }

    /// A whole-file refusal once, rather than the same refusal on every row.
    fn require_import(&self, who: &Principal, spec: &EntitySpec) -> Result<(), AppError> {
        self.require(who, Action::Write, spec)?;
        if matches!(spec.name, "codes" | "code-mappings") {
            require_root_bureau(who)?;
        }
        Ok(())
    }

    /// Creates every row in one transaction, each through the same path as a single create.
    /// A refused row is undone to its savepoint and the next row is still checked, so the
    /// report names every refused row; if there is any, nothing is kept. Rows repeated in
    /// the file are refused like records already stored: the earlier row is already in the
    /// transaction when the later one is checked.
    pub async fn import_records(
        &self,
        who: &Principal,
        spec: &'static EntitySpec,
        rows: Vec<(u32, Input)>,
        ctx: &RequestCtx,
    ) -> Result<ImportReport, AppError> {
        self.require_import(who, spec)?;
        if rows.len() > IMPORT_ROWS_MAX as usize {
            return Err(Rejection::ImportRowsExceeded {
                import_rows_max: IMPORT_ROWS_MAX,
            }
            .into());
        }
        let mut tx = self.db.begin().await?;
        let mut errors = Vec::new();
        for (row, input) in &rows {
            tx.savepoint(Savepoint::Set).await?;
            match self.create_in_tx(&mut tx, who, spec, input, ctx).await {
                Ok(_key) => {}
                Err(AppError::Rejected(rejection)) => {
                    tx.savepoint(Savepoint::RollBackTo).await?;
                    errors.push(RowError {
                        row: *row,
                        rejection,
                    });
                }
                // The database failed, not the row: the whole import fails and rolls back.
                Err(internal) => return Err(internal),
            }
            tx.savepoint(Savepoint::Release).await?;
        }
        if !errors.is_empty() {
            // Dropping the transaction rolls every row back, the good ones too.
            return Ok(ImportReport {
                n_imported: 0,
                errors,
            });
        }
        tx.commit().await?;
        Ok(ImportReport {
            n_imported: rows.len(),
            errors,
        })
    }

    /// The template of a record kind, for those who may create such records.
    pub fn import_template(
        &self,
        who: &Principal,
        spec: &'static EntitySpec,
    ) -> Result<Vec<u8>, AppError> {
        self.require_import(who, spec)?;
        template(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fiscus_core::schema::{FieldKind, PERSON};

    fn money() -> &'static FieldSpec {
        PERSON
            .fields
            .iter()
            .find(|field| field.kind == FieldKind::Money)
            .unwrap_or(&PERSON.fields[0])
    }

    #[test]
    fn numbers_read_as_people_write_them() {
        let cases: &[(f64, &str)] = &[
            (3.0, "3"),
            (3250.5, "3250.5"),
            (0.1, "0.1"),
            (1234567.89, "1234567.89"),
            (660100000.0, "660100000"),
            (0.125, "0.125"),
        ];
        for (number, text) in cases {
            let read = cell_text(money(), &Data::Float(*number));
            assert_eq!(read, Ok(Some((*text).to_owned())), "{number}");
        }
        assert_eq!(cell_text(money(), &Data::Bool(true)), Ok(Some("是".into())));
        assert_eq!(cell_text(money(), &Data::Empty), Ok(None));
        assert!(cell_text(money(), &Data::Error(calamine::CellErrorType::NA)).is_err());
    }

    #[test]
    fn headers_match_labels_or_names_once() {
        let header = |cells: &[&str]| -> Vec<Data> {
            cells.iter().map(|c| Data::String((*c).into())).collect()
        };
        let columns = header_fields(&PERSON, &header(&["姓名*", "agency_code", "", "证件号码"]));
        let names: Vec<Option<&str>> = columns
            .unwrap_or_default()
            .iter()
            .map(|field| field.map(|f| f.name))
            .collect();
        assert_eq!(
            names,
            vec![Some("per_name"), Some("agency_code"), None, Some("iden_no")]
        );
        for bad in [&["姓名", "姓名"][..], &["状态"], &["人员标识"]] {
            assert_eq!(
                header_fields(&PERSON, &header(bad)).err().map(|r| r.code()),
                Some("import_header_unknown".to_owned()),
                "{bad:?}"
            );
        }
    }
}
