//! The indicator accounting book (指标核算, book types 60/61), derived from the indicator
//! ledger and read-only: per region and year, the posted movements of the ledger's accounts
//! by kind (可用, 冻结, 已支出, 已核销, 预算来源, and the counterpart accounts of other regions
//! or years), shaped as a trial balance that must balance. The drill-down is the ledger's
//! own 账页 per indicator.

use fiscus_core::accounting::BookType;
use fiscus_core::ledger::AccountKind;
use fiscus_store::accounting::{self as store, BookKey};

use crate::{App, AppError};

/// The kind code of the counterpart row: an account of another region or year.
pub const OTHER_KIND: &str = "other";

/// One row of the indicator book: balances are debit minus credit (a 可用 balance is a
/// credit, so it shows negative here, as in the ledger's own accounts).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct IndicatorBookRow {
    /// `a f s w src other`.
    pub kind: String,
    pub name: String,
    pub opening_fen: i64,
    pub debit_fen: i64,
    pub credit_fen: i64,
    pub closing_fen: i64,
}

/// The indicator book of a region and year.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct IndicatorBook {
    pub mof_div_code: String,
    pub fiscal_year: i32,
    pub rows: Vec<IndicatorBookRow>,
    pub total: IndicatorBookRow,
    /// Debits equal credits and the closing balances net to zero.
    pub balanced: bool,
}

/// The Chinese name of a row kind.
pub fn kind_name(kind: &str) -> &'static str {
    match AccountKind::from_code(kind) {
        Some(AccountKind::Avail) => "可用指标",
        Some(AccountKind::Frozen) => "冻结指标",
        Some(AccountKind::Spent) => "已支出",
        Some(AccountKind::WrittenOff) => "已核销",
        Some(AccountKind::Source) => "预算来源",
        None => "跨区划或跨年度往来",
    }
}

fn add(a: i64, b: i64) -> Result<i64, AppError> {
    a.checked_add(b)
        .ok_or_else(|| AppError::Internal("indicator book total overflows".into()))
}

impl App {
    /// 指标核算 of region `mof_div_code` in `fiscal_year`, for a principal who may see the
    /// region's books (a finance bureau of the region or above). The year's accounts start
    /// at zero (a carried-over indicator is a new account of the new year), so the opening
    /// column is zero.
    pub async fn accounting_indicator_book(
        &self,
        who: &fiscus_core::Principal,
        mof_div_code: &str,
        fiscal_year: i32,
    ) -> Result<IndicatorBook, AppError> {
        let book = BookKey {
            book_type: BookType::FiscalGeneral.code().to_owned(),
            mof_div_code: mof_div_code.to_owned(),
            agency_code: None,
        };
        self.check_book_visible(who, &book).await?;
        let flows =
            store::indicator_book_flows(&self.db, mof_div_code, i64::from(fiscal_year)).await?;
        let order = ["src", "a", "f", "s", "w", OTHER_KIND];
        let mut rows: Vec<IndicatorBookRow> = order
            .iter()
            .map(|kind| IndicatorBookRow {
                kind: (*kind).to_owned(),
                name: kind_name(kind).to_owned(),
                ..IndicatorBookRow::default()
            })
            .collect();
        for flow in &flows {
            for (kind, debit) in [(&flow.debit_kind, true), (&flow.credit_kind, false)] {
                let index = order
                    .iter()
                    .position(|k| k == kind)
                    .unwrap_or(order.len() - 1);
                let row = &mut rows[index];
                if debit {
                    row.debit_fen = add(row.debit_fen, flow.amount_fen)?;
                } else {
                    row.credit_fen = add(row.credit_fen, flow.amount_fen)?;
                }
            }
        }
        let mut total = IndicatorBookRow {
            kind: String::new(),
            name: "合计".into(),
            ..IndicatorBookRow::default()
        };
        for row in &mut rows {
            row.closing_fen = add(add(row.opening_fen, row.debit_fen)?, -row.credit_fen)?;
            total.debit_fen = add(total.debit_fen, row.debit_fen)?;
            total.credit_fen = add(total.credit_fen, row.credit_fen)?;
            total.closing_fen = add(total.closing_fen, row.closing_fen)?;
        }
        rows.retain(|row| row.debit_fen != 0 || row.credit_fen != 0);
        let balanced = total.debit_fen == total.credit_fen && total.closing_fen == 0;
        Ok(IndicatorBook {
            mof_div_code: mof_div_code.to_owned(),
            fiscal_year,
            rows,
            total,
            balanced,
        })
    }
}
