//! Payments through the bank messages become balanced vouchers in all three books; running
//! the generation again adds nothing; posted, the trial balances balance; the ledgers agree.

use fiscus_core::accounting::BookType;
use fiscus_core::accounting::rules::EventType;
use fiscus_store::testing::TestDb;

use crate::drive::*;
use crate::setup::*;
use crate::support::*;

fiscus_store::on_both_backends!(
    payments_become_vouchers_in_three_books,
    trial_balance_balances_and_ledgers_agree,
);

async fn payments_become_vouchers_in_three_books(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    pay(
        &world,
        "1000.00",
        80_000,
        30_000,
        "2026-03-01",
        "2026-03-02",
        "N1",
    )
    .await;
    // The vouchers were written in the payment's own transactions (ADR 0012): the catch-up
    // finds nothing left and running it changes nothing.
    let before = snapshot(app).await;
    let again = app.accounting_generate_pending().await.expect("again");
    assert_eq!((again.n_events, again.n_vouchers), (0, 0));
    assert!(again.skipped.is_empty(), "{again:?}");
    assert_eq!(
        snapshot(app).await,
        before,
        "generation twice creates nothing new"
    );

    let clerk = &world.cast.clerk;
    let treasury = &world.cast.treasury;
    let financial = vouchers_of(app, clerk, &unit_book(&world, BookType::UnitFinancial)).await;
    let budget = vouchers_of(app, clerk, &unit_book(&world, BookType::UnitBudget)).await;
    let general = vouchers_of(app, treasury, &fiscal_book(&world)).await;
    assert_eq!((financial.len(), budget.len(), general.len()), (2, 2, 1));
    assert!(
        vouchers_of(app, clerk, &fiscal_book(&world))
            .await
            .is_empty(),
        "a unit does not see the finance bureau's book"
    );
    for voucher in financial.iter().chain(&budget).chain(&general) {
        let (_, lines) = app
            .accounting_voucher(treasury, &voucher.voucher_id)
            .await
            .expect("the bureau sees its units' books");
        assert!(lines.len() >= 2);
        let debit: i64 = lines.iter().map(|l| l.debit_fen).sum();
        let credit: i64 = lines.iter().map(|l| l.credit_fen).sum();
        assert_eq!(debit, credit, "{voucher:?}");
        assert_eq!(debit, voucher.total_fen);
        assert_eq!(voucher.status, "draft");
        assert_eq!(voucher.created_by, "system");
        assert!(
            lines
                .iter()
                .all(|l| l.agency_code == world.cast.agency_code)
        );
        assert!(lines.iter().all(|l| l.bgt_id == world.bgt_id.as_str()));
    }
    let posted = budget
        .iter()
        .find(|v| {
            v.event_id
                .as_deref()
                .is_some_and(|e| e.starts_with(EventType::PaymentPosted.code()))
        })
        .expect("the payment's budget voucher");
    let (_, lines) = app
        .accounting_voucher(clerk, &posted.voucher_id)
        .await
        .expect("read");
    let entries: Vec<(&str, i64, i64)> = lines
        .iter()
        .map(|l| (l.account_code.as_str(), l.debit_fen, l.credit_fen))
        .collect();
    assert_eq!(entries, vec![("710101", 80_000, 0), ("6001", 0, 80_000)]);
    assert_eq!((posted.fiscal_year, posted.period), (2026, 3));
    let (_, clearing_lines) = app
        .accounting_voucher(treasury, &general[0].voucher_id)
        .await
        .expect("read");
    assert_eq!(clearing_lines[0].account_code, "5001");
    assert_eq!(clearing_lines[1].account_code, "1001");
    assert_eq!(
        code(
            &app.accounting_voucher(&world.cast.outsider, &posted.voucher_id)
                .await
        ),
        "not_found",
        "another unit does not see this unit's books"
    );
}

async fn trial_balance_balances_and_ledgers_agree(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    pay(
        &world,
        "1000.00",
        80_000,
        30_000,
        "2026-03-01",
        "2026-03-02",
        "N1",
    )
    .await;
    pay(
        &world,
        "500.00",
        50_000,
        0,
        "2026-04-03",
        "2026-04-04",
        "N2",
    )
    .await;
    app.accounting_generate_pending().await.expect("generate");
    let clerk = &world.cast.clerk;
    let treasury = &world.cast.treasury;
    for book_type in [BookType::UnitFinancial, BookType::UnitBudget] {
        review_and_post(app, clerk, &unit_book(&world, book_type)).await;
    }
    review_and_post(app, treasury, &fiscal_book(&world)).await;

    for (who, book) in [
        (clerk, unit_book(&world, BookType::UnitFinancial)),
        (clerk, unit_book(&world, BookType::UnitBudget)),
        (treasury, fiscal_book(&world)),
    ] {
        for (from, to) in [(1, 12), (3, 3), (4, 4)] {
            let trial = app
                .accounting_trial_balance(who, &book, 2026, from, to)
                .await
                .expect("trial balance");
            assert!(trial.balanced, "{book:?} {from}-{to}: {trial:?}");
            assert_eq!(trial.total.debit_fen, trial.total.credit_fen);
            assert_eq!(trial.total.closing_fen, 0);
            assert!(!trial.rows.is_empty());
        }
    }
    let budget = unit_book(&world, BookType::UnitBudget);
    let trial = app
        .accounting_trial_balance(clerk, &budget, 2026, 4, 4)
        .await
        .expect("april");
    let expense = trial
        .rows
        .iter()
        .find(|r| r.account_code == "710101")
        .expect("行政支出—财政拨款支出");
    assert_eq!(
        (
            expense.opening_fen,
            expense.debit_fen,
            expense.credit_fen,
            expense.closing_fen
        ),
        (50_000, 50_000, 0, 100_000),
        "March: 800 paid less 300 refunded; April: 500"
    );
    assert_eq!(expense.account_name, "行政支出—财政拨款支出");

    let general = app
        .accounting_general_ledger(clerk, &budget, 2026, "710101")
        .await
        .expect("总账");
    assert_eq!(general.len(), 12);
    assert_eq!(
        (
            general[2].debit_fen,
            general[2].credit_fen,
            general[2].closing_fen
        ),
        (80_000, 30_000, 50_000)
    );
    assert_eq!(general[11].closing_fen, 100_000);
    let subsidiary = app
        .accounting_subsidiary_ledger(clerk, &budget, 2026, "710101")
        .await
        .expect("明细账");
    let balances: Vec<i64> = subsidiary.iter().map(|r| r.balance_fen).collect();
    assert_eq!(balances.len(), 3);
    assert_eq!(balances.last(), Some(&100_000));

    let cleared = app
        .accounting_trial_balance(treasury, &fiscal_book(&world), 2026, 1, 12)
        .await
        .expect("fiscal");
    let spent = cleared
        .rows
        .iter()
        .find(|r| r.account_code == "5001")
        .expect("一般公共预算本级支出");
    assert_eq!(spent.closing_fen, 130_000, "cleared 800 + 500");
    assert_eq!(
        code(
            &app.accounting_trial_balance(&world.cast.outsider, &budget, 2026, 1, 12)
                .await
        ),
        "not_found"
    );
}
