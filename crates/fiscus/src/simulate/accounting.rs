//! The accounting phase: the vouchers of the year's payment, refund and clearing events
//! (a catch-up `accounting_generate_pending` for any left pending), each reviewed and posted
//! through the use cases by the book's own people — never by their creator, the system —
//! then the twelve month closes (结账) of every book.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use fiscus_app::RequestCtx;
use fiscus_core::accounting::BookType;
use fiscus_store::accounting::{BookKey, VoucherFilter, VoucherRow};
use fiscus_store::records::Viewer;

use super::{PhaseReport, Progress, World};
use crate::app_error;

const LIST_PAGE: i64 = 1_000;

/// The book's key as one sortable string.
pub fn book_label(book: &BookKey) -> String {
    format!(
        "{}:{}:{}",
        book.book_type,
        book.mof_div_code,
        book.agency_code.as_deref().unwrap_or("")
    )
}

/// Every voucher of the year with `status` (any when None), by book.
pub async fn vouchers_by_book(
    world: &World,
    status: Option<&str>,
) -> Result<BTreeMap<String, (BookKey, Vec<VoucherRow>)>> {
    let filter = VoucherFilter {
        fiscal_year: Some(i64::from(world.year)),
        status: status.map(str::to_owned),
        ..VoucherFilter::default()
    };
    let mut books: BTreeMap<String, (BookKey, Vec<VoucherRow>)> = BTreeMap::new();
    let mut page = 1;
    loop {
        let rows = fiscus_store::accounting::list_vouchers(
            &world.app.db,
            Viewer::System,
            &filter,
            page,
            LIST_PAGE,
        )
        .await?;
        let n_rows = rows.len();
        for row in rows {
            let book = row.book();
            books
                .entry(book_label(&book))
                .or_insert_with(|| (book, Vec::new()))
                .1
                .push(row);
        }
        if i64::try_from(n_rows).unwrap_or(0) < LIST_PAGE {
            return Ok(books);
        }
        page += 1;
    }
}

/// Who writes a book: a unit's clerk, a region's treasury division; and who posts (a second
/// clerk where the unit has one).
pub fn book_people(world: &World, book: &BookKey) -> Result<(String, String)> {
    match &book.agency_code {
        Some(agency_code) => {
            let clerk = format!("u{agency_code}_clerk");
            let second = format!("u{agency_code}_clerk2");
            let poster = if world.users.iter().any(|user| user.user_name == second) {
                second
            } else {
                clerk.clone()
            };
            Ok((clerk, poster))
        }
        None => {
            let treasury = world.bureau_user(&book.mof_div_code, "treasury_division")?;
            Ok((treasury.clone(), treasury))
        }
    }
}

/// Phase 5: generate, review, post, close.
pub async fn accounting(world: &mut World, progress: &mut Progress) -> Result<PhaseReport> {
    let mut report = PhaseReport::default();
    let (mut n_events, mut n_generated) = (0, 0);
    loop {
        let summary = world
            .app
            .accounting_generate_pending()
            .await
            .map_err(app_error)?;
        n_events += summary.n_events;
        n_generated += summary.n_vouchers;
        for (event_id, reason) in &summary.skipped {
            report
                .problems
                .push(format!("accounting event {event_id} refused: {reason}"));
        }
        if summary.n_events == 0 {
            break;
        }
    }
    let ctx = RequestCtx::default();
    let drafts = vouchers_by_book(world, Some("draft")).await?;
    let n_drafts: usize = drafts.values().map(|(_, rows)| rows.len()).sum();
    let mut n_posted = 0;
    for (book, rows) in drafts.values() {
        let (writer, poster) = book_people(world, book)?;
        let writer = world.principal(&writer).await?;
        let poster = world.principal(&poster).await?;
        for row in rows {
            world
                .app
                .accounting_voucher_review(&writer, &row.voucher_id, &ctx)
                .await
                .map_err(app_error)
                .with_context(|| format!("审核 {}", row.voucher_id))?;
            world
                .app
                .accounting_voucher_post(&poster, &row.voucher_id, &ctx)
                .await
                .map_err(app_error)
                .with_context(|| format!("记账 {}", row.voucher_id))?;
            n_posted += 1;
            progress.tick("审核记账", n_posted, n_drafts);
        }
    }
    let books = vouchers_by_book(world, None).await?;
    let mut n_closes = 0;
    let mut posted_fen: BTreeMap<&'static str, i64> = BTreeMap::new();
    for (index, (book, rows)) in books.values().enumerate() {
        let book_type =
            BookType::parse(&book.book_type).map_err(|r| anyhow::anyhow!(r.message()))?;
        let (writer, _) = book_people(world, book)?;
        let writer = world.principal(&writer).await?;
        for period in 1..=12_u8 {
            world
                .app
                .accounting_period_close(&writer, book_type, world.year, period, &ctx)
                .await
                .map_err(app_error)
                .with_context(|| format!("结账 {} month {period}", book_label(book)))?;
            n_closes += 1;
        }
        *posted_fen.entry(book_type.code()).or_default() +=
            rows.iter().map(|row| row.total_fen).sum::<i64>();
        progress.tick("结账（账簿）", index + 1, books.len());
    }
    // The year's expenditure in the books, before the year close empties those accounts.
    for (book_type, fen) in super::checks::trial_balances(world, &mut report, progress).await? {
        report.amount(super::checks::expenditure_name(book_type), fen);
    }
    report.count("accounting_events", n_events);
    report.count("vouchers_generated", n_generated);
    report.count("vouchers_posted", n_posted);
    report.count("books", books.len());
    report.count("month_closes", n_closes);
    for (book_type, fen) in posted_fen {
        report.amount(
            match book_type {
                "fiscal_general" => "fiscal_general_vouchers_fen",
                "unit_financial" => "unit_financial_vouchers_fen",
                _ => "unit_budget_vouchers_fen",
            },
            fen,
        );
    }
    Ok(report)
}
