//! Excel batch entry of payment applications: one application per row of the first sheet,
//! all in one transaction, each row in its own savepoint; any refused row means nothing is
//! created or submitted, and the report lists every refused row.

use calamine::{Data, Reader, Xlsx};
use fiscus_core::payment::application::PaymentDraft;
use fiscus_core::query::IMPORT_ROWS_MAX;
use fiscus_core::{Principal, Rejection};
use fiscus_store::Savepoint;

use crate::import::RowError;
use crate::{App, AppError, RequestCtx};

/// The columns of the sheet: Chinese header, then the field.
pub const SHEET_COLUMNS: [(&str, &str); 10] = [
    ("指标主键", "bgt_id"),
    ("收款人全称", "payee_acct_name"),
    ("收款人账号", "payee_acct_no"),
    ("收款人开户银行", "payee_acct_bank_name"),
    ("收款行行号", "payee_bank_code"),
    ("支付申请金额", "pay_app_amt"),
    ("用途", "use_des"),
    ("结算方式", "set_mode_code"),
    ("支付业务类型", "pay_bus_type_code"),
    ("采购合同编号", "contract_no"),
];

/// How a batch ended: the applications created, or none and the refused rows.
#[derive(Clone, Debug)]
pub struct BatchReport {
    pub pay_app_ids: Vec<String>,
    pub errors: Vec<RowError>,
}

/// Reads the first sheet: a header row naming columns by Chinese label or field name, then
/// one draft per non-empty row with its 1-based sheet row number.
pub fn read_payment_sheet(bytes: &[u8]) -> Result<Vec<(u32, PaymentDraft)>, Rejection> {
    let unreadable = Rejection::FieldInvalid {
        field: "文件",
        expected: "Excel 工作簿（.xlsx）",
    };
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
        .map_err(|_| unreadable.clone())?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| unreadable.clone())?
        .map_err(|_| unreadable)?;
    let mut rows = range.rows();
    let header: Vec<Option<&str>> = rows
        .next()
        .unwrap_or_default()
        .iter()
        .map(|cell| {
            let text = cell.to_string();
            SHEET_COLUMNS
                .iter()
                .find(|(label, field)| *label == text.trim() || *field == text.trim())
                .map(|(_, field)| *field)
        })
        .collect();
    let mut drafts = Vec::new();
    for (index, cells) in rows.enumerate() {
        let mut value = serde_json::Map::new();
        for (cell, field) in cells.iter().zip(&header) {
            if let Some(field) = field {
                value.insert(
                    (*field).to_owned(),
                    serde_json::Value::String(cell_text(cell)),
                );
            }
        }
        if value
            .values()
            .all(|text| text.as_str().is_none_or(str::is_empty))
        {
            continue;
        }
        let draft: PaymentDraft = serde_json::from_value(serde_json::Value::Object(value))
            .map_err(|_| Rejection::FieldInvalid {
                field: "文件",
                expected: "按模板填写的支付申请",
            })?;
        drafts.push((u32::try_from(index + 2).unwrap_or(u32::MAX), draft));
    }
    Ok(drafts)
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Float(number) => {
            // Excel keeps numbers as floats: the shortest decimal text reads back exactly.
            let text = number.to_string();
            text.strip_suffix(".0").map(str::to_owned).unwrap_or(text)
        }
        Data::Int(number) => number.to_string(),
        Data::Empty => String::new(),
        other => other.to_string().trim().to_owned(),
    }
}

impl App {
    /// Creates (and submits, when `submit`) one application per row, all or nothing.
    pub async fn payment_batch(
        &self,
        who: &Principal,
        rows: Vec<(u32, PaymentDraft)>,
        submit: bool,
        ctx: &RequestCtx,
    ) -> Result<BatchReport, AppError> {
        if rows.len() > IMPORT_ROWS_MAX as usize {
            return Err(Rejection::ImportRowsExceeded {
                import_rows_max: IMPORT_ROWS_MAX,
            }
            .into());
        }
        let mut tx = self.db.begin().await?;
        let mut errors = Vec::new();
        let mut pay_app_ids = Vec::new();
        for (row, draft) in &rows {
            tx.savepoint(Savepoint::Set).await?;
            let created = match draft.parse() {
                Ok(application) => {
                    self.payment_create_in_tx(&mut tx, who, &application, submit, ctx)
                        .await
                }
                Err(rejection) => Err(rejection.into()),
            };
            match created {
                Ok(pay_app_id) => pay_app_ids.push(pay_app_id),
                Err(AppError::Rejected(rejection)) => {
                    tx.savepoint(Savepoint::RollBackTo).await?;
                    errors.push(RowError {
                        row: *row,
                        rejection,
                    });
                }
                Err(internal) => return Err(internal),
            }
            tx.savepoint(Savepoint::Release).await?;
        }
        if !errors.is_empty() {
            return Ok(BatchReport {
                pay_app_ids: Vec::new(),
                errors,
            });
        }
        tx.commit().await?;
        Ok(BatchReport {
            pay_app_ids,
            errors,
        })
    }
}
