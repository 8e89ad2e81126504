//! The reads of the books, for a book the principal may see: the general ledger (总账) of
//! an account by month, the subsidiary ledger (明细账) with its running balance, and the
//! trial balance (科目余额表), which must balance. Balances are debit minus credit; only
//! posted vouchers count, on top of the year's opening balances (年初余额) written by the
//! close of the year before.

use fiscus_core::accounting::{TrialBalanceRow, trial_balance_balances};
use fiscus_core::{Action, Principal, Rejection, Resource};
use fiscus_store::accounting::{self as store, BookKey};

use crate::{App, AppError};

/// One month of an account in the general ledger.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct GeneralLedgerRow {
    pub period: i64,
    pub opening_fen: i64,
    pub debit_fen: i64,
    pub credit_fen: i64,
    pub closing_fen: i64,
}

/// One posted line of the subsidiary ledger and the balance after it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SubsidiaryRow {
    pub entry: store::EntryRow,
    pub balance_fen: i64,
}

/// The trial balance of a book over months `period_from..=period_to`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TrialBalance {
    pub rows: Vec<TrialBalanceRow>,
    pub total: TrialBalanceRow,
    /// Debits equal credits and the balances net to zero.
    pub balanced: bool,
}

/// One month of a book-year for the 月末结账 page.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PeriodStatus {
    pub period: i64,
    pub closed: bool,
    /// Vouchers of the month not posted yet.
    pub n_unposted: i64,
}

fn add(a: i64, b: i64) -> Result<i64, AppError> {
    a.checked_add(b)
        .ok_or_else(|| AppError::Internal("ledger total overflows".into()))
}

impl App {
    /// The opening balance of one account of a book in a year (0 without one).
    async fn opening_of(
        &self,
        book: &BookKey,
        fiscal_year: i32,
        account_code: &str,
    ) -> Result<i64, AppError> {
        Ok(store::openings(&self.db, book, i64::from(fiscal_year))
            .await?
            .into_iter()
            .find(|(code, _)| code == account_code)
            .map_or(0, |(_, balance_fen)| balance_fen))
    }

    /// Checks that `who` may read `book`: a bureau the books of its region subtree, a
    /// department its units', a unit its own. A book outside the scope does not exist.
    pub(crate) async fn check_book_visible(
        &self,
        who: &Principal,
        book: &BookKey,
    ) -> Result<(), AppError> {
        if !who.can(Action::Read, Resource::Accounting) {
            return Err(Rejection::Forbidden.into());
        }
        let mut tx = self.db.begin().await?;
        let paths = store::book_paths(&mut tx, book).await?;
        drop(tx);
        let scope = who.scope();
        let visible = match (&paths, &book.agency_code) {
            (Some((region_path, None)), None) => scope.contains_region_path(region_path),
            (Some((region_path, Some(agency_path))), Some(agency_code)) => {
                scope.contains_agency(region_path, agency_code, agency_path)
            }
            _ => false,
        };
        if !visible {
            return Err(Rejection::NotFound { what: "账套" }.into());
        }
        Ok(())
    }

    /// 总账: the months 1 to 12 of one account: opening, debits, credits, closing.
    pub async fn accounting_general_ledger(
        &self,
        who: &Principal,
        book: &BookKey,
        fiscal_year: i32,
        account_code: &str,
    ) -> Result<Vec<GeneralLedgerRow>, AppError> {
        self.check_book_visible(who, book).await?;
        let entries =
            store::account_entries(&self.db, book, i64::from(fiscal_year), account_code).await?;
        let mut rows = Vec::with_capacity(12);
        let mut balance_fen = self.opening_of(book, fiscal_year, account_code).await?;
        for period in 1..=12 {
            let mut row = GeneralLedgerRow {
                period,
                opening_fen: balance_fen,
                ..GeneralLedgerRow::default()
            };
            for entry in entries.iter().filter(|e| e.period == period) {
                row.debit_fen = add(row.debit_fen, entry.debit_fen)?;
                row.credit_fen = add(row.credit_fen, entry.credit_fen)?;
            }
            balance_fen = add(add(balance_fen, row.debit_fen)?, -row.credit_fen)?;
            row.closing_fen = balance_fen;
            rows.push(row);
        }
        Ok(rows)
    }

    /// 明细账: every posted line of one account in the year, with the running balance.
    pub async fn accounting_subsidiary_ledger(
        &self,
        who: &Principal,
        book: &BookKey,
        fiscal_year: i32,
        account_code: &str,
    ) -> Result<Vec<SubsidiaryRow>, AppError> {
        self.check_book_visible(who, book).await?;
        let entries =
            store::account_entries(&self.db, book, i64::from(fiscal_year), account_code).await?;
        let mut balance_fen = self.opening_of(book, fiscal_year, account_code).await?;
        let mut rows = Vec::with_capacity(entries.len());
        for entry in entries {
            balance_fen = add(add(balance_fen, entry.debit_fen)?, -entry.credit_fen)?;
            rows.push(SubsidiaryRow { entry, balance_fen });
        }
        Ok(rows)
    }

    /// 科目余额表: per account with posted lines, the opening balance before `period_from`,
    /// the debits and credits of `period_from..=period_to` and the closing balance; with its
    /// totals and whether it balances.
    pub async fn accounting_trial_balance(
        &self,
        who: &Principal,
        book: &BookKey,
        fiscal_year: i32,
        period_from: u8,
        period_to: u8,
    ) -> Result<TrialBalance, AppError> {
        if !(1..=12).contains(&period_from) || !(period_from..=12).contains(&period_to) {
            return Err(Rejection::FieldInvalid {
                field: "会计期间",
                expected: "1 至 12 月，起不晚于止",
            }
            .into());
        }
        self.check_book_visible(who, book).await?;
        let year = i64::from(fiscal_year);
        let chart = store::accounts(&self.db, year, &book.book_type).await?;
        let mut movements = store::account_movements(
            &self.db,
            book,
            year,
            i64::from(period_from),
            i64::from(period_to),
        )
        .await?;
        for (account_code, balance_fen) in store::openings(&self.db, book, year).await? {
            match movements
                .iter_mut()
                .find(|m| m.account_code == account_code)
            {
                Some(movement) => movement.opening_fen = add(movement.opening_fen, balance_fen)?,
                None => movements.push(store::AccountMovement {
                    account_code,
                    opening_fen: balance_fen,
                    ..store::AccountMovement::default()
                }),
            }
        }
        movements.sort_by(|a, b| a.account_code.cmp(&b.account_code));
        let mut rows = Vec::with_capacity(movements.len());
        let mut total = TrialBalanceRow {
            account_name: "合计".into(),
            ..TrialBalanceRow::default()
        };
        for movement in movements {
            let closing_fen = add(
                add(movement.opening_fen, movement.debit_fen)?,
                -movement.credit_fen,
            )?;
            let account_name = chart
                .iter()
                .find(|a| a.account_code == movement.account_code)
                .map(|a| a.account_name.clone())
                .unwrap_or_default();
            total.opening_fen = add(total.opening_fen, movement.opening_fen)?;
            total.debit_fen = add(total.debit_fen, movement.debit_fen)?;
            total.credit_fen = add(total.credit_fen, movement.credit_fen)?;
            total.closing_fen = add(total.closing_fen, closing_fen)?;
            rows.push(TrialBalanceRow {
                account_code: movement.account_code,
                account_name,
                opening_fen: movement.opening_fen,
                debit_fen: movement.debit_fen,
                credit_fen: movement.credit_fen,
                closing_fen,
            });
        }
        let balanced = trial_balance_balances(&rows);
        Ok(TrialBalance {
            rows,
            total,
            balanced,
        })
    }

    /// The chart of `book_type` in `fiscal_year`, by code (every reader of the books).
    pub async fn accounting_chart(
        &self,
        who: &Principal,
        book_type: &str,
        fiscal_year: i32,
    ) -> Result<Vec<store::AccountRow>, AppError> {
        if !who.can(Action::Read, Resource::Accounting) {
            return Err(Rejection::Forbidden.into());
        }
        Ok(store::accounts(&self.db, i64::from(fiscal_year), book_type).await?)
    }

    /// The twelve months of a book-year a reader may see: closed or not, and how many of
    /// their vouchers are not posted.
    pub async fn accounting_periods(
        &self,
        who: &Principal,
        book: &BookKey,
        fiscal_year: i32,
    ) -> Result<Vec<PeriodStatus>, AppError> {
        self.check_book_visible(who, book).await?;
        let year = i64::from(fiscal_year);
        let mut tx = self.db.begin().await?;
        let mut months = Vec::with_capacity(12);
        for period in 1..=12 {
            months.push(PeriodStatus {
                period,
                closed: store::period_closed(&mut tx, book, year, period).await?,
                n_unposted: store::count_unposted(&mut tx, book, year, period).await?,
            });
        }
        Ok(months)
    }

    /// How many vouchers `who` may see match `filter`, and the sum of their amounts (fen).
    pub async fn accounting_voucher_totals(
        &self,
        who: &Principal,
        filter: &store::VoucherFilter,
    ) -> Result<(i64, i64), AppError> {
        if !who.can(Action::Read, Resource::Accounting) {
            return Err(Rejection::Forbidden.into());
        }
        Ok(
            store::count_vouchers(&self.db, fiscus_store::records::Viewer::User(who), filter)
                .await?,
        )
    }
}
