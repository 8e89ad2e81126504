//! The accounting year-end close (年终结账) of one region, in one transaction: for the
//! region's 财政总会计 and every unit book in use in the region, the carried amounts of the
//! indicator ledger booked as 财政应返还额度 (unit books), the closing vouchers of period 12
//! (`data/accounting/closing.csv`), every month closed, the balances written as the next
//! year's opening balances, the next year's charts loaded, and the year marked closed: its
//! books are read-only from then on. The treasury division (国库处) of exactly that region
//! runs it (ADR 0012). A preview runs the same transaction and rolls it back.

use fiscus_core::accounting::close::{
    ClosingRule, NOMINAL_CATEGORIES, closing_lines, left_open, parse_closing_rules,
};
use fiscus_core::accounting::{BookType, Dimensions, VoucherLine, VoucherState};
use fiscus_core::{Action, Fen, OrgNode, Principal, Rejection, Resource, Role};
use fiscus_store::Tx;
use fiscus_store::accounting::{self as store, BookKey, YearCloseRow};
use fiscus_store::audit::{AuditEntry, now};

use super::load_charts;
use crate::{App, AppError, RequestCtx};

const CLOSING_CSV: &str = include_str!("../../../../data/accounting/closing.csv");

/// The closing rules shipped in `data/accounting/closing.csv`.
pub fn closing_rules() -> Result<Vec<ClosingRule>, AppError> {
    parse_closing_rules(CLOSING_CSV)
        .map_err(|error| AppError::Internal(format!("closing.csv: {error}")))
}

/// What the close did (or, previewed, would do) to one book.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BookCloseSummary {
    pub book: BookKey,
    /// 结转: what the indicator ledger carried over from the unit's indicators (unit books).
    pub carried_fen: i64,
    /// The system vouchers written in period 12.
    pub n_vouchers: usize,
    /// The opening balances written for the next year.
    pub n_openings: u64,
}

/// What the close of a region's year did (or, previewed, would do).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AccountingCloseSummary {
    pub mof_div_code: String,
    pub fiscal_year: i32,
    pub n_books: usize,
    pub n_vouchers: usize,
    pub n_openings: u64,
    pub books: Vec<BookCloseSummary>,
    /// False for a preview: nothing was written.
    pub committed: bool,
}

/// The one who closes a region's books: the treasury division of exactly that region.
pub fn check_closer(who: &Principal, mof_div_code: &str) -> Result<(), Rejection> {
    let own_region = matches!(
        &who.org,
        OrgNode::FinanceBureau { mof_div_code: own } if own.as_str() == mof_div_code
    );
    if !who.can(Action::Write, Resource::Accounting)
        || !who.roles.contains(Role::TreasuryDivision)
        || !own_region
    {
        return Err(Rejection::Forbidden);
    }
    Ok(())
}

impl App {
    /// 年终结账 of the books of one region's `fiscal_year` (the caller runs the regions).
    /// Refused while a voucher of the year is not posted (`vouchers_unposted`) or when the
    /// year is closed already (`accounting_year_closed`); a refusal changes nothing.
    pub async fn accounting_year_close(
        &self,
        who: &Principal,
        mof_div_code: &str,
        fiscal_year: i32,
    ) -> Result<AccountingCloseSummary, AppError> {
        self.accounting_year_close_with(who, mof_div_code, fiscal_year, &RequestCtx::default())
            .await
    }

    /// `accounting_year_close` with the request's origin for the audit log.
    pub async fn accounting_year_close_with(
        &self,
        who: &Principal,
        mof_div_code: &str,
        fiscal_year: i32,
        ctx: &RequestCtx,
    ) -> Result<AccountingCloseSummary, AppError> {
        check_closer(who, mof_div_code)?;
        let mut tx = self.db.begin().await?;
        let summary = close_in_tx(&mut tx, who, mof_div_code, fiscal_year).await?;
        let mut entry = AuditEntry::by(Some(who), "close_year");
        entry.entity = Some("accounting_year_close");
        entry.entity_key = Some(format!("{mof_div_code}:{fiscal_year}"));
        entry.changes = Some(
            serde_json::json!({
                "n_books": summary.n_books,
                "n_vouchers": summary.n_vouchers,
                "n_openings": summary.n_openings,
            })
            .to_string(),
        );
        entry.ip = ctx.ip.clone();
        entry.request_id = ctx.request_id.clone();
        fiscus_store::audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(AccountingCloseSummary {
            committed: true,
            ..summary
        })
    }

    /// The close as it would run now, rolled back: the same refusals, the same figures.
    pub async fn accounting_year_close_preview(
        &self,
        who: &Principal,
        mof_div_code: &str,
        fiscal_year: i32,
    ) -> Result<AccountingCloseSummary, AppError> {
        check_closer(who, mof_div_code)?;
        let mut tx = self.db.begin().await?;
        let summary = close_in_tx(&mut tx, who, mof_div_code, fiscal_year).await;
        tx.rollback().await?;
        summary
    }

    /// The record of a region's closed year, if closed; for the region's readers.
    pub async fn accounting_year_close_status(
        &self,
        who: &Principal,
        mof_div_code: &str,
        fiscal_year: i32,
    ) -> Result<Option<YearCloseRow>, AppError> {
        let book = BookKey {
            book_type: BookType::FiscalGeneral.code().to_owned(),
            mof_div_code: mof_div_code.to_owned(),
            agency_code: None,
        };
        self.check_book_visible(who, &book).await?;
        Ok(store::year_close(&self.db, mof_div_code, i64::from(fiscal_year)).await?)
    }
}

async fn close_in_tx(
    tx: &mut Tx,
    who: &Principal,
    mof_div_code: &str,
    fiscal_year: i32,
) -> Result<AccountingCloseSummary, AppError> {
    let year = i64::from(fiscal_year);
    if store::year_closed(tx, mof_div_code, year).await? {
        return Err(Rejection::AccountingYearClosed { fiscal_year }.into());
    }
    let n_unposted = store::count_unposted_in_region(tx, mof_div_code, year).await?;
    if n_unposted > 0 {
        return Err(Rejection::VouchersUnposted { n_unposted }.into());
    }
    let next_year = fiscal_year
        .checked_add(1)
        .ok_or_else(|| AppError::Internal("year".into()))?;
    // The new year's charts first: the openings are accounts of those charts.
    load_charts(tx, next_year).await?;
    let rules = closing_rules()?;
    let carried = store::carried_over_by_agency(tx, mof_div_code, year).await?;
    let mut books = vec![BookKey {
        book_type: BookType::FiscalGeneral.code().to_owned(),
        mof_div_code: mof_div_code.to_owned(),
        agency_code: None,
    }];
    books.extend(store::unit_books_in_use(tx, mof_div_code, year).await?);
    for (agency_code, _) in &carried {
        for book_type in [BookType::UnitFinancial, BookType::UnitBudget] {
            let book = BookKey {
                book_type: book_type.code().to_owned(),
                mof_div_code: mof_div_code.to_owned(),
                agency_code: Some(agency_code.clone()),
            };
            if !books.contains(&book) {
                books.push(book);
            }
        }
    }
    let mut summary = AccountingCloseSummary {
        mof_div_code: mof_div_code.to_owned(),
        fiscal_year,
        n_books: books.len(),
        n_vouchers: 0,
        n_openings: 0,
        books: Vec::with_capacity(books.len()),
        committed: false,
    };
    for book in books {
        let carried_fen = book
            .agency_code
            .as_ref()
            .and_then(|agency| carried.iter().find(|(code, _)| code == agency))
            .map_or(0, |(_, fen)| *fen);
        let book_summary = close_book(tx, who, &book, fiscal_year, carried_fen, &rules).await?;
        summary.n_vouchers += book_summary.n_vouchers;
        summary.n_openings += book_summary.n_openings;
        summary.books.push(book_summary);
    }
    let row = YearCloseRow {
        mof_div_code: mof_div_code.to_owned(),
        fiscal_year: year,
        n_books: i64::try_from(summary.n_books).unwrap_or(i64::MAX),
        n_vouchers: i64::try_from(summary.n_vouchers).unwrap_or(i64::MAX),
        closed_by: who.user_name.to_string(),
        closed_at: now(),
    };
    if !store::insert_year_close(tx, &row).await? {
        return Err(Rejection::AccountingYearClosed { fiscal_year }.into());
    }
    Ok(summary)
}

/// The close of one book: the carried amount (unit books), the closing steps, the months
/// closed, the openings of the next year.
async fn close_book(
    tx: &mut Tx,
    who: &Principal,
    book: &BookKey,
    fiscal_year: i32,
    carried_fen: i64,
    rules: &[ClosingRule],
) -> Result<BookCloseSummary, AppError> {
    let year = i64::from(fiscal_year);
    let book_type = BookType::parse(&book.book_type)?;
    let mut n_vouchers = 0;
    if carried_fen > 0 {
        // 财政应返还额度 for what the ledger carried over (DOMAIN.md §5.6).
        let (debit_code, credit_code, summary) = match book_type {
            BookType::UnitFinancial => ("1201", "4001", "年终结账：财政应返还额度（结转）"),
            BookType::UnitBudget => (
                "800103",
                "6001",
                "年终结账：资金结存—财政应返还额度（结转）",
            ),
            BookType::FiscalGeneral => ("", "", ""),
        };
        if !debit_code.is_empty() {
            let line = |code: &str, debit: i64, credit: i64| VoucherLine {
                account_code: code.to_owned(),
                debit: Fen(debit),
                credit: Fen(credit),
                dimensions: Dimensions {
                    agency_code: book.agency_code.clone().unwrap_or_default(),
                    ..Dimensions::default()
                },
            };
            let lines = vec![
                line(debit_code, carried_fen, 0),
                line(credit_code, 0, carried_fen),
            ];
            post_system_voucher(tx, who, book, fiscal_year, "carry", summary, lines).await?;
            n_vouchers += 1;
        }
    }
    let chart = store::accounts_in_tx(tx, year, &book.book_type).await?;
    let is_nominal = |code: &str| {
        chart
            .iter()
            .find(|a| a.account_code == code)
            .is_some_and(|a| NOMINAL_CATEGORIES.contains(&a.category.as_str()))
    };
    for step in [1_u8, 2] {
        let balances = store::closing_balances(tx, book, year).await?;
        let lines = closing_lines(book_type, step, &balances, rules, carried_fen)?;
        if lines.len() >= 2 {
            let summary = format!("年终结账：结转本年收支（第 {step} 步）");
            post_system_voucher(
                tx,
                who,
                book,
                fiscal_year,
                &format!("close{step}"),
                &summary,
                lines,
            )
            .await?;
            n_vouchers += 1;
        }
    }
    let balances = store::closing_balances(tx, book, year).await?;
    let open = left_open(&balances, is_nominal);
    if !open.is_empty() {
        return Err(AppError::Internal(format!(
            "no closing rule for {} of {}",
            open.join(", "),
            book.book_type
        )));
    }
    // Pair assertion: the balances carried into the new year net to zero.
    let net: i128 = balances.iter().map(|(_, fen)| i128::from(*fen)).sum();
    if net != 0 {
        return Err(AppError::Internal(format!(
            "book {}:{} does not balance at the close: {net}",
            book.book_type,
            book.owner()
        )));
    }
    for period in 1..=12 {
        store::insert_period_close(tx, book, year, period, who.user_name.as_str(), &now()).await?;
    }
    let n_openings = store::insert_openings(tx, book, year + 1, &balances).await?;
    Ok(BookCloseSummary {
        book: book.clone(),
        carried_fen,
        n_vouchers,
        n_openings,
    })
}

/// Writes a system voucher dated the last day of the year into period 12 and posts it at
/// once (created by `system`, posted by the closer). December may be closed by the monthly
/// close already: the year-end entries still belong to it, so only the chart and balance
/// rules apply here, not the period's state.
async fn post_system_voucher(
    tx: &mut Tx,
    who: &Principal,
    book: &BookKey,
    fiscal_year: i32,
    suffix: &str,
    summary: &str,
    lines: Vec<VoucherLine>,
) -> Result<(), AppError> {
    let year = i64::from(fiscal_year);
    let leaves = store::leaf_accounts(tx, year, &book.book_type).await?;
    if let Some(line) = lines
        .iter()
        .find(|line| !leaves.contains(&line.account_code))
    {
        return Err(AppError::Internal(format!(
            "closing account {} is not a leaf of the {} chart of {fiscal_year}",
            line.account_code, book.book_type
        )));
    }
    fiscus_core::accounting::check_balanced(&lines)?;
    let (debit_total, _) = fiscus_core::accounting::totals(&lines);
    // `close…` ids are the closing entries the income statements leave out
    // (`CLOSING_VOUCHER_PREFIX`); `carry…` is a real revenue entry.
    let voucher_id = format!("{suffix}.{fiscal_year}.{}.{}", book.book_type, book.owner());
    let at = now();
    let voucher = store::VoucherInsert {
        voucher_id: voucher_id.clone(),
        book: book.clone(),
        fiscal_year: year,
        period: 12,
        voucher_date: format!("{fiscal_year}-12-31"),
        summary: summary.to_owned(),
        total_fen: i64::try_from(debit_total)
            .map_err(|_| AppError::Internal("closing total overflows".into()))?,
        event_id: None,
        reverses_voucher_id: None,
        status: VoucherState::Reviewed.code().to_owned(),
        created_by: "system".to_owned(),
        created_at: at.clone(),
    };
    let rows: Vec<store::LineRow> = lines
        .iter()
        .enumerate()
        .map(|(index, line)| store::LineRow {
            line_no: index as i64 + 1,
            account_code: line.account_code.clone(),
            debit_fen: line.debit.0,
            credit_fen: line.credit.0,
            agency_code: line.dimensions.agency_code.clone(),
            exp_func_code: String::new(),
            dep_bgt_eco_code: String::new(),
            fund_type_code: String::new(),
            pro_code: String::new(),
            bgt_id: String::new(),
        })
        .collect();
    if !store::insert_voucher(tx, &voucher, &rows).await? {
        return Err(Rejection::AccountingYearClosed { fiscal_year }.into());
    }
    let posted = store::advance_voucher(
        tx,
        &voucher_id,
        VoucherState::Reviewed.code(),
        VoucherState::Posted.code(),
        who.user_name.as_str(),
        &at,
    )
    .await?;
    if !posted {
        return Err(AppError::Internal(format!(
            "voucher {voucher_id} not posted"
        )));
    }
    Ok(())
}
