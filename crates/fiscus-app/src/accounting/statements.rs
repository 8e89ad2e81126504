//! The statements (报表) of the books, for what the principal may see (a unit its own, a
//! department its subtree, a finance bureau its region subtree): a unit's balance sheet
//! (资产负债表) and income and expense statement (收入费用表; on the budget book, 预算收入支出表)
//! from posted vouchers and opening balances, and the budget execution statement
//! (预算执行情况表) from the indicator ledger. All amounts are fen; rates are basis points.

use fiscus_core::Rejection;
use fiscus_core::accounting::BookType;
use fiscus_store::accounting::{
    self as store, BookKey, ExecutionGroup, ExecutionRow, ExecutionScope,
};
use fiscus_store::records::Viewer;

use crate::{App, AppError};

/// One line of a statement: an account, or a computed line (empty code).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct StatementLine {
    pub account_code: String,
    pub account_name: String,
    /// On its normal side: an asset's debit balance, a liability's credit balance.
    pub amount_fen: i64,
}

/// 资产负债表 of a unit's 财务会计 book at the end of a month.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct BalanceSheet {
    pub book: Option<BookKey>,
    pub fiscal_year: i32,
    pub period: u8,
    pub assets: Vec<StatementLine>,
    pub liabilities: Vec<StatementLine>,
    /// Net assets, with 本期盈余 (revenue less expense not yet closed) as a computed line.
    pub net_assets: Vec<StatementLine>,
    pub assets_fen: i64,
    pub liabilities_fen: i64,
    pub net_assets_fen: i64,
    /// Assets = liabilities + net assets.
    pub balanced: bool,
}

/// 收入费用表 (or 预算收入支出表): the month's and the year-to-date figures.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct IncomeStatement {
    pub book: Option<BookKey>,
    pub fiscal_year: i32,
    pub period: u8,
    /// (line, the month's amount); the line's `amount_fen` is the year to date.
    pub revenue: Vec<(StatementLine, i64)>,
    pub expense: Vec<(StatementLine, i64)>,
    pub revenue_fen: i64,
    pub expense_fen: i64,
    pub surplus_fen: i64,
    pub revenue_month_fen: i64,
    pub expense_month_fen: i64,
}

/// One row of the execution statement.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ExecutionStatementRow {
    pub key: String,
    pub n_indicators: i64,
    /// 年初预算: 指标合计 less the year's adjustments.
    pub initial_fen: i64,
    /// 调整: 追加, 追减, 调剂 (net).
    pub adjusted_fen: i64,
    /// 指标合计.
    pub total_fen: i64,
    pub frozen_fen: i64,
    /// 在途.
    pub reserved_fen: i64,
    /// 已支出.
    pub spent_fen: i64,
    /// 可用.
    pub available_fen: i64,
    /// 执行率: 已支出 / 指标合计 in basis points (万分之), 0 without a total.
    pub rate_bp: i64,
}

/// 预算执行情况表.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ExecutionStatement {
    pub fiscal_year: i32,
    pub rows: Vec<ExecutionStatementRow>,
    pub total: ExecutionStatementRow,
}

fn overflow() -> AppError {
    AppError::Internal("statement total overflows".into())
}

fn add(a: i64, b: i64) -> Result<i64, AppError> {
    a.checked_add(b).ok_or_else(overflow)
}

/// 执行率 in basis points, rounded down, without floats.
pub fn rate_bp(spent_fen: i64, total_fen: i64) -> i64 {
    if total_fen <= 0 {
        return 0;
    }
    i64::try_from(i128::from(spent_fen) * 10_000 / i128::from(total_fen)).unwrap_or(i64::MAX)
}

fn execution_row(row: &ExecutionRow) -> Result<ExecutionStatementRow, AppError> {
    Ok(ExecutionStatementRow {
        key: row.key.clone(),
        n_indicators: row.n_indicators,
        initial_fen: row
            .total_fen
            .checked_sub(row.adjusted_fen)
            .ok_or_else(overflow)?,
        adjusted_fen: row.adjusted_fen,
        total_fen: row.total_fen,
        frozen_fen: row.frozen_fen,
        reserved_fen: row.reserved_fen,
        spent_fen: row.spent_fen,
        available_fen: row.available_fen,
        rate_bp: rate_bp(row.spent_fen, row.total_fen),
    })
}

fn check_unit_book(book: &BookKey, allowed: &[BookType]) -> Result<(), Rejection> {
    let book_type = BookType::parse(&book.book_type)?;
    if !allowed.contains(&book_type) || book.agency_code.is_none() {
        return Err(Rejection::FieldInvalid {
            field: "账套类型",
            expected: "单位的账套（资产负债表为财务会计账套）",
        });
    }
    Ok(())
}

fn check_month(period: u8) -> Result<(), Rejection> {
    if !(1..=12).contains(&period) {
        return Err(Rejection::FieldInvalid {
            field: "会计期间",
            expected: "1 至 12 月",
        });
    }
    Ok(())
}

impl App {
    /// 资产负债表 of a unit's 财务会计 book at the end of month `period`: opening balances
    /// plus posted vouchers up to that month, by the chart's categories.
    pub async fn accounting_balance_sheet(
        &self,
        who: &fiscus_core::Principal,
        book: &BookKey,
        fiscal_year: i32,
        period: u8,
    ) -> Result<BalanceSheet, AppError> {
        check_month(period)?;
        check_unit_book(book, &[BookType::UnitFinancial])?;
        let trial = self
            .accounting_trial_balance(who, book, fiscal_year, 1, period)
            .await?;
        let chart = store::accounts(&self.db, i64::from(fiscal_year), &book.book_type).await?;
        let mut sheet = BalanceSheet {
            book: Some(book.clone()),
            fiscal_year,
            period,
            ..BalanceSheet::default()
        };
        let mut surplus_fen = 0_i64;
        for row in &trial.rows {
            let category = chart
                .iter()
                .find(|a| a.account_code == row.account_code)
                .map_or("", |a| a.category.as_str());
            let line = |amount_fen: i64| StatementLine {
                account_code: row.account_code.clone(),
                account_name: row.account_name.clone(),
                amount_fen,
            };
            match category {
                "资产" => {
                    sheet.assets_fen = add(sheet.assets_fen, row.closing_fen)?;
                    sheet.assets.push(line(row.closing_fen));
                }
                "负债" => {
                    sheet.liabilities_fen = add(sheet.liabilities_fen, -row.closing_fen)?;
                    sheet.liabilities.push(line(-row.closing_fen));
                }
                "净资产" => {
                    sheet.net_assets_fen = add(sheet.net_assets_fen, -row.closing_fen)?;
                    sheet.net_assets.push(line(-row.closing_fen));
                }
                // Revenue and expense not yet closed: 本期盈余 in net assets.
                _ => surplus_fen = add(surplus_fen, -row.closing_fen)?,
            }
        }
        if surplus_fen != 0 {
            sheet.net_assets.push(StatementLine {
                account_code: String::new(),
                account_name: "本期盈余（收入减费用，未结转）".into(),
                amount_fen: surplus_fen,
            });
            sheet.net_assets_fen = add(sheet.net_assets_fen, surplus_fen)?;
        }
        sheet.balanced = i128::from(sheet.assets_fen)
            == i128::from(sheet.liabilities_fen) + i128::from(sheet.net_assets_fen);
        Ok(sheet)
    }

    /// 收入费用表 of a unit's 财务会计 book, or 预算收入支出表 of its 预算会计 book, for month
    /// `period` and the year to date; the closing entries of the year-end close are left out.
    pub async fn accounting_income_statement(
        &self,
        who: &fiscus_core::Principal,
        book: &BookKey,
        fiscal_year: i32,
        period: u8,
    ) -> Result<IncomeStatement, AppError> {
        check_month(period)?;
        check_unit_book(book, &[BookType::UnitFinancial, BookType::UnitBudget])?;
        self.check_book_visible(who, book).await?;
        let year = i64::from(fiscal_year);
        let chart = store::accounts(&self.db, year, &book.book_type).await?;
        let movements = store::movements_before_closing(
            &self.db,
            book,
            year,
            i64::from(period),
            i64::from(period),
        )
        .await?;
        let mut statement = IncomeStatement {
            book: Some(book.clone()),
            fiscal_year,
            period,
            ..IncomeStatement::default()
        };
        for movement in movements {
            let Some(account) = chart
                .iter()
                .find(|a| a.account_code == movement.account_code)
            else {
                continue;
            };
            // Year to date: before the month plus the month.
            let month_fen = add(movement.debit_fen, -movement.credit_fen)?;
            let year_fen = add(movement.opening_fen, month_fen)?;
            let line = |amount_fen: i64| StatementLine {
                account_code: account.account_code.clone(),
                account_name: account.account_name.clone(),
                amount_fen,
            };
            match account.category.as_str() {
                "收入" | "预算收入" => {
                    statement.revenue_fen = add(statement.revenue_fen, -year_fen)?;
                    statement.revenue_month_fen = add(statement.revenue_month_fen, -month_fen)?;
                    statement.revenue.push((line(-year_fen), -month_fen));
                }
                "费用" | "支出" | "预算支出" => {
                    statement.expense_fen = add(statement.expense_fen, year_fen)?;
                    statement.expense_month_fen = add(statement.expense_month_fen, month_fen)?;
                    statement.expense.push((line(year_fen), month_fen));
                }
                _ => {}
            }
        }
        statement.surplus_fen = statement
            .revenue_fen
            .checked_sub(statement.expense_fen)
            .ok_or_else(overflow)?;
        Ok(statement)
    }

    /// 预算执行情况表 of the unit indicators of `scope` in `fiscal_year`, grouped by
    /// `group`, with its total: a unit (its own), a department (its subtree), a region (its
    /// subtree). A scope outside the principal's is `not_found`.
    pub async fn accounting_execution_statement(
        &self,
        who: &fiscus_core::Principal,
        scope: &ExecutionScope,
        fiscal_year: i32,
        group: ExecutionGroup,
    ) -> Result<ExecutionStatement, AppError> {
        let book = match scope {
            ExecutionScope::RegionSubtree { mof_div_code } => BookKey {
                book_type: BookType::FiscalGeneral.code().to_owned(),
                mof_div_code: mof_div_code.clone(),
                agency_code: None,
            },
            ExecutionScope::AgencySubtree { agency_code } => BookKey {
                book_type: BookType::UnitBudget.code().to_owned(),
                mof_div_code: store::agency_region(&self.db, agency_code).await?.ok_or(
                    Rejection::NotFound {
                        what: "预算单位"
                    },
                )?,
                agency_code: Some(agency_code.clone()),
            },
        };
        self.check_book_visible(who, &book).await?;
        let rows = store::execution_rows(
            &self.db,
            Viewer::User(who),
            scope,
            i64::from(fiscal_year),
            group,
        )
        .await?;
        let mut statement = ExecutionStatement {
            fiscal_year,
            ..ExecutionStatement::default()
        };
        let mut total = ExecutionRow {
            key: "合计".into(),
            ..ExecutionRow::default()
        };
        for row in &rows {
            total.n_indicators = add(total.n_indicators, row.n_indicators)?;
            total.total_fen = add(total.total_fen, row.total_fen)?;
            total.adjusted_fen = add(total.adjusted_fen, row.adjusted_fen)?;
            total.frozen_fen = add(total.frozen_fen, row.frozen_fen)?;
            total.reserved_fen = add(total.reserved_fen, row.reserved_fen)?;
            total.spent_fen = add(total.spent_fen, row.spent_fen)?;
            total.available_fen = add(total.available_fen, row.available_fen)?;
            statement.rows.push(execution_row(row)?);
        }
        statement.total = execution_row(&total)?;
        Ok(statement)
    }
}

/// The headings of the execution statement, in the order of `execution_cells`.
pub const EXECUTION_HEADINGS: [&str; 9] = [
    "指标数",
    "年初预算（元）",
    "调整（元）",
    "指标合计（元）",
    "已支出（元）",
    "在途（元）",
    "冻结（元）",
    "可用（元）",
    "执行率",
];

/// The cells of an execution row as text: the count, money in 元, the rate as a percentage.
pub fn execution_cells(row: &ExecutionStatementRow) -> [String; 9] {
    let yuan = |fen: i64| fiscus_core::Fen(fen).to_yuan_string();
    [
        row.n_indicators.to_string(),
        yuan(row.initial_fen),
        yuan(row.adjusted_fen),
        yuan(row.total_fen),
        yuan(row.spent_fen),
        yuan(row.reserved_fen),
        yuan(row.frozen_fen),
        yuan(row.available_fen),
        format!("{}.{:02}%", row.rate_bp / 100, row.rate_bp % 100),
    ]
}

fn xlsx(error: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::Internal(format!("xlsx: {error}"))
}

impl App {
    /// The execution statement as an Excel workbook (one sheet, a totals row).
    pub async fn export_execution_statement(
        &self,
        who: &fiscus_core::Principal,
        scope: &ExecutionScope,
        fiscal_year: i32,
        group: ExecutionGroup,
    ) -> Result<Vec<u8>, AppError> {
        use rust_xlsxwriter::{Format, Workbook};
        let statement = self
            .accounting_execution_statement(who, scope, fiscal_year, group)
            .await?;
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.set_name("预算执行情况表").map_err(xlsx)?;
        let bold = Format::new().set_bold();
        let key_heading = match group {
            ExecutionGroup::Func(_) => "支出功能分类",
            ExecutionGroup::Eco(_) => "经济分类",
        };
        let headings = std::iter::once(key_heading).chain(EXECUTION_HEADINGS);
        for (column, heading) in headings.enumerate() {
            let column = u16::try_from(column).unwrap_or(u16::MAX);
            sheet
                .write_string_with_format(0, column, heading, &bold)
                .map_err(xlsx)?;
            sheet.set_column_width(column, 16).map_err(xlsx)?;
        }
        let mut at = 1_u32;
        for row in &statement.rows {
            sheet.write_string(at, 0, &row.key).map_err(xlsx)?;
            for (column, cell) in execution_cells(row).iter().enumerate() {
                let column = u16::try_from(column + 1).unwrap_or(u16::MAX);
                sheet.write_string(at, column, cell).map_err(xlsx)?;
            }
            at += 1;
        }
        sheet
            .write_string_with_format(at, 0, "合计", &bold)
            .map_err(xlsx)?;
        for (column, cell) in execution_cells(&statement.total).iter().enumerate() {
            let column = u16::try_from(column + 1).unwrap_or(u16::MAX);
            sheet
                .write_string_with_format(at, column, cell, &bold)
                .map_err(xlsx)?;
        }
        workbook.save_to_buffer().map_err(xlsx)
    }
}
