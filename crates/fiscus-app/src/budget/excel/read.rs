//! Reading a multi-sheet workbook: each known sheet by name, its first row the header (by
//! column label, a trailing `*` allowed, any order, optional columns may be left out), each
//! later non-empty row its cells as the text a person typed, numbered as Excel shows it.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use fiscus_core::Rejection;
use fiscus_core::query::IMPORT_ROWS_MAX;
use fiscus_core::schema::{Edit, FieldKind, FieldSpec};

use super::SheetRowError;

/// One column of a sheet.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub label: &'static str,
    pub required: bool,
    /// What to write, for the 「说明」 sheet.
    pub hint: &'static str,
}

impl Column {
    pub const fn required(label: &'static str, hint: &'static str) -> Column {
        Column {
            label,
            required: true,
            hint,
        }
    }

    pub const fn optional(label: &'static str, hint: &'static str) -> Column {
        Column {
            label,
            required: false,
            hint,
        }
    }
}

/// One sheet of a workbook: its name and its columns in template order.
#[derive(Clone, Copy, Debug)]
pub struct SheetDef {
    pub name: &'static str,
    pub columns: &'static [Column],
}

impl SheetDef {
    /// The index of a column by label (a programming error if missing: labels are consts).
    pub fn at(&self, label: &str) -> usize {
        self.columns
            .iter()
            .position(|column| column.label == label)
            .unwrap_or(usize::MAX)
    }
}

/// One data row: its Excel row number and each column's trimmed text ("" when empty).
#[derive(Clone, Debug)]
pub struct RawRow {
    pub row: u32,
    pub cells: Vec<String>,
}

impl RawRow {
    /// The text of the column at `index` (`SheetDef::at`).
    pub fn get(&self, index: usize) -> &str {
        self.cells.get(index).map_or("", String::as_str)
    }
}

/// A cell read failed (a formula error such as #N/A) at this row and column.
#[derive(Clone, Debug)]
pub struct CellError {
    pub row: u32,
    pub column: &'static str,
    pub rejection: Rejection,
}

/// The rows of each sheet asked for, and the cells that could not be read (with the index
/// of their sheet).
pub type ReadSheets = (Vec<Vec<RawRow>>, Vec<(usize, CellError)>);

fn not_xlsx() -> Rejection {
    Rejection::FieldInvalid {
        field: "文件",
        expected: "Excel .xlsx 文件",
    }
}

/// Reads the sheets of `defs` (a missing sheet reads as no rows). The whole file is refused
/// when it is no .xlsx, a header is unknown or a required column is missing, or it holds
/// more than `IMPORT_ROWS_MAX` data rows in all.
pub fn read_sheets(bytes: &[u8], defs: &[&SheetDef]) -> Result<ReadSheets, Rejection> {
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| not_xlsx())?;
    let names = workbook.sheet_names();
    let mut sheets = Vec::with_capacity(defs.len());
    let mut cell_errors = Vec::new();
    let mut n_rows = 0usize;
    for (sheet_index, def) in defs.iter().enumerate() {
        if !names.iter().any(|name| name == def.name) {
            sheets.push(Vec::new());
            continue;
        }
        let range = workbook.worksheet_range(def.name).map_err(|_| not_xlsx())?;
        let Some((first_row, _)) = range.start() else {
            sheets.push(Vec::new());
            continue;
        };
        let mut rows = range.rows();
        let header = rows.next().unwrap_or_default();
        let columns = header_columns(def, header)?;
        let mut raw_rows = Vec::new();
        for (index, cells) in rows.enumerate() {
            // 0-based sheet row of the header, plus the header, plus 1 for Excel's count.
            let row = first_row + u32::try_from(index).unwrap_or(u32::MAX) + 2;
            let mut texts = vec![String::new(); def.columns.len()];
            for (cell, column) in cells.iter().zip(&columns) {
                let Some(column) = *column else { continue };
                let label = def.columns[column].label;
                match crate::import::cell_text(&field_of(label), cell) {
                    Ok(text) => texts[column] = text.unwrap_or_default().trim().to_owned(),
                    Err(rejection) => cell_errors.push((
                        sheet_index,
                        CellError {
                            row,
                            column: label,
                            rejection,
                        },
                    )),
                }
            }
            if texts.iter().all(String::is_empty) {
                continue;
            }
            n_rows += 1;
            if n_rows > IMPORT_ROWS_MAX as usize {
                return Err(Rejection::ImportRowsExceeded {
                    import_rows_max: IMPORT_ROWS_MAX,
                });
            }
            raw_rows.push(RawRow { row, cells: texts });
        }
        sheets.push(raw_rows);
    }
    Ok((sheets, cell_errors))
}

/// The column of each header cell (`None` for an empty one); each column once, every
/// required column present.
fn header_columns(def: &SheetDef, header: &[Data]) -> Result<Vec<Option<usize>>, Rejection> {
    let mut columns: Vec<Option<usize>> = Vec::with_capacity(header.len());
    for cell in header {
        let text = cell.to_string().trim().to_owned();
        if text.is_empty() {
            columns.push(None);
            continue;
        }
        let label = text.trim_end_matches(['*', '＊']).trim();
        let column = def
            .columns
            .iter()
            .position(|column| column.label == label)
            .filter(|index| !columns.contains(&Some(*index)))
            .ok_or_else(|| Rejection::ImportHeaderUnknown {
                header: format!("{}：{text}", def.name),
            })?;
        columns.push(Some(column));
    }
    for (index, column) in def.columns.iter().enumerate() {
        if column.required && !columns.contains(&Some(index)) {
            return Err(Rejection::FieldRequired {
                field: column.label,
            });
        }
    }
    Ok(columns)
}

/// The refused cells as row errors, each on its sheet of `defs`.
pub fn cell_row_errors(
    defs: &[&SheetDef],
    cell_errors: Vec<(usize, CellError)>,
) -> Vec<SheetRowError> {
    cell_errors
        .into_iter()
        .map(|(sheet, error)| SheetRowError {
            sheet: defs.get(sheet).map_or("", |def| def.name),
            row: error.row,
            column: error.column.to_owned(),
            rejection: error.rejection,
        })
        .collect()
}

/// Orders row errors as the workbook shows them: by sheet of `defs`, then row.
pub fn sort_row_errors(defs: &[&SheetDef], errors: &mut [SheetRowError]) {
    let order = |name: &str| defs.iter().position(|def| def.name == name);
    errors.sort_by_key(|error| (order(error.sheet), error.row));
}

/// The field the shared cell reader names in its refusal of a formula-error cell.
fn field_of(label: &'static str) -> FieldSpec {
    FieldSpec {
        name: label,
        label,
        kind: FieldKind::Text,
        required: false,
        length_max: 0,
        edit: Edit::Always,
        list: false,
        search: false,
        sort: false,
        filter: false,
    }
}
