//! The checks phase: what must hold after the year, read back through the same functions
//! the pages and the CLI use. Every book's trial balance of the year balances; the checks
//! of `fiscus verify` pass; the bank's statement reconciles without a mismatch and every
//! voucher was paid, posted to the ledger and answered exactly once; the bank's paid total
//! less its refunds equals the ledger's spent total and the unit books' expenditure, and the
//! PBOC's cleared total equals the 财政总会计's clearing entries. It relies on no phase
//! added after it, so more phases can run before it.

use std::time::Duration;

use anyhow::Result;
use fiscus_store::ledger::query::IndicatorFilter;
use fiscus_store::records::Viewer;

use super::accounting::{book_label, book_people, vouchers_by_book};
use super::{Phase, PhaseReport, Progress, World};
use crate::app_error;
use crate::bank_loop::{bank_today, sim_quiet};

/// Trial balances read at once (SQLite's read pool and PostgreSQL both serve several).
const TRIAL_BALANCES_AT_ONCE: usize = 4;

/// Accounts whose net debit is the year's expenditure, per book type (data/accounting/rules.csv).
const EXPENDITURE_ACCOUNTS: [(&str, &[&str]); 3] = [
    ("unit_budget", &["710101"]),
    ("unit_financial", &["5001", "1601"]),
    ("fiscal_general", &["5001", "5002"]),
];

pub async fn checks(
    world: &mut World,
    earlier: &[(Phase, PhaseReport, Duration)],
    progress: &mut Progress,
) -> Result<PhaseReport> {
    let mut report = PhaseReport::default();
    // `fiscus verify`, the same function the CLI runs, alongside the trial balances: it is
    // one long read, they are many short ones.
    let (db, settings) = (world.app.db.clone(), world.settings.clone());
    let verify = tokio::spawn(async move { crate::verify::run(&db, &settings).await });
    // The balances after the year close; the expenditure was taken before it (the closing
    // vouchers empty the expenditure accounts), by the accounting phase.
    trial_balances(world, &mut report, progress).await?;
    let n_problems = verify
        .await
        .map_err(|error| anyhow::anyhow!("fiscus verify: {error}"))??;
    report.count("verify_problems", n_problems);
    if n_problems > 0 {
        report
            .problems
            .push(format!("fiscus verify found {n_problems} problems"));
    }

    // The bank's statement of today against our vouchers.
    let state = sim_quiet(&world.sim_url).await?;
    let reconciled = world
        .app
        .bank_reconcile(&bank_today(), time::OffsetDateTime::now_utc())
        .await
        .map_err(app_error)?;
    let count = |from_where: &'static str| fiscus_store::verify::count(&world.app.db, from_where);
    let n_vouchers = count("payment_voucher").await?;
    let n_answered =
        count("payment_voucher WHERE status IN ('paid', 'refunded', 'partly_refunded')").await?;
    report.count("reconciled_ours", reconciled.n_ours);
    report.count("reconciled_theirs", reconciled.n_theirs);
    for mismatch in &reconciled.mismatches {
        report.problems.push(format!(
            "reconciliation {} {}: ours {} theirs {}",
            mismatch.pay_cert_no, mismatch.kind, mismatch.ours, mismatch.theirs
        ));
    }
    if i64::try_from(reconciled.n_ours).unwrap_or(-1) != n_vouchers {
        report.problems.push(format!(
            "the reconciliation saw {} of our {n_vouchers} vouchers",
            reconciled.n_ours
        ));
    }
    let n_posts = count("ledger_transfer WHERE transfer_id LIKE 'pay.%.post'").await?;
    let n_receipts = count("bank_inbox WHERE kind = 'receipt' AND outcome = 'applied'").await?;
    let n_bank_paid = state["totals"]["n_paid"].as_i64().unwrap_or(-1);
    for (what, n) in [
        ("ledger posts of payments", n_posts),
        ("receipts applied", n_receipts),
        ("vouchers the bank paid", n_bank_paid),
    ] {
        if n != n_answered {
            report.problems.push(format!(
                "{what}: {n}, but {n_answered} vouchers are paid (each exactly once)"
            ));
        }
    }

    // Money: the bank, the ledger and the books tell the same story.
    let bank_paid_fen = state["totals"]["paid_fen"].as_i64().unwrap_or(-1);
    let bank_refunded_fen = state["totals"]["refunded_fen"].as_i64().unwrap_or(-1);
    let bank_cleared_fen = state["totals"]["cleared_fen"].as_i64().unwrap_or(-1);
    let net_paid_fen = bank_paid_fen - bank_refunded_fen;
    let filter = IndicatorFilter {
        fiscal_year: Some(i64::from(world.year)),
        ..IndicatorFilter::default()
    };
    let totals =
        fiscus_store::ledger::query::indicator_totals(&world.app.db, Viewer::System, &filter)
            .await?;
    let figure = |book_type: &str| {
        earlier
            .iter()
            .map(|(_, r, _)| r.get(expenditure_name(book_type)))
            .find(|fen| *fen != 0)
            .unwrap_or(0)
    };
    for (what, fen) in [
        ("ledger spent", totals.spent_fen),
        ("unit budget books 710101", figure("unit_budget")),
        ("unit financial books 5001+1601", figure("unit_financial")),
    ] {
        if fen != net_paid_fen {
            report.problems.push(format!(
                "{what} {fen} fen differs from the bank's paid less refunded {net_paid_fen} fen"
            ));
        }
    }
    if figure("fiscal_general") != bank_cleared_fen {
        report.problems.push(format!(
            "财政总会计 clearing {} fen differs from the PBOC's cleared {bank_cleared_fen} fen",
            figure("fiscal_general")
        ));
    }
    let entered_fen = earlier
        .iter()
        .map(|(_, r, _)| r.get("entered_fen"))
        .find(|fen| *fen != 0)
        .unwrap_or(0);
    report.amount("net_paid_fen", net_paid_fen);
    report.amount("ledger_spent_fen", totals.spent_fen);
    report.amount("entered_fen_check", entered_fen);
    Ok(report)
}

/// The name of a book type's expenditure figure in the accounting phase's report.
pub fn expenditure_name(book_type: &str) -> &'static str {
    match book_type {
        "unit_budget" => "books_expenditure_unit_budget_fen",
        "unit_financial" => "books_expenditure_unit_financial_fen",
        _ => "books_expenditure_fiscal_general_fen",
    }
}

/// Every book's trial balance over the year; returns the net expenditure per book type.
pub async fn trial_balances(
    world: &mut World,
    report: &mut PhaseReport,
    progress: &mut Progress,
) -> Result<Vec<(&'static str, i64)>> {
    let books = vouchers_by_book(world, None).await?;
    let mut net: Vec<(&'static str, i64)> =
        EXPENDITURE_ACCOUNTS.iter().map(|(t, _)| (*t, 0)).collect();
    let mut n_balanced = 0;
    // Who reads each book, resolved first (the cache needs `world`); then the reads run a few
    // at a time, and their results are taken in book order.
    let mut jobs = Vec::with_capacity(books.len());
    for (book, _) in books.values() {
        let (reader, _) = book_people(world, book)?;
        jobs.push((book.clone(), world.principal(&reader).await?));
    }
    let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(TRIAL_BALANCES_AT_ONCE));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, (book, reader)) in jobs.into_iter().enumerate() {
        let (app, year, limit) = (world.app.clone(), world.year, limit.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let balance = app
                .accounting_trial_balance(&reader, &book, year, 1, 12)
                .await;
            (index, book, balance)
        });
    }
    let mut results = Vec::with_capacity(books.len());
    while let Some(joined) = tasks.join_next().await {
        let (index, book, balance) =
            joined.map_err(|error| anyhow::anyhow!("trial balance: {error}"))?;
        results.push((index, book, balance.map_err(app_error)?));
        progress.tick("试算平衡", results.len(), books.len());
    }
    results.sort_by_key(|(index, _, _)| *index);
    for (_, book, balance) in results {
        if balance.balanced {
            n_balanced += 1;
        } else {
            report.problems.push(format!(
                "the trial balance of {} does not balance: debits {} credits {}",
                book_label(&book),
                balance.total.debit_fen,
                balance.total.credit_fen
            ));
        }
        for (book_type, accounts) in EXPENDITURE_ACCOUNTS {
            if book.book_type != book_type {
                continue;
            }
            let fen: i64 = balance
                .rows
                .iter()
                .filter(|row| accounts.contains(&row.account_code.as_str()))
                .map(|row| row.debit_fen - row.credit_fen)
                .sum();
            if let Some(slot) = net.iter_mut().find(|(t, _)| *t == book_type) {
                slot.1 += fen;
            }
        }
    }
    report.count("trial_balances_balanced", n_balanced);
    Ok(net)
}
