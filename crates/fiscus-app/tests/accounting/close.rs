//! The accounting year-end close (年终结账) on both backends: refused while vouchers are
//! unposted and for anyone but the region's treasury division; then the carried amounts of
//! the ledger's year-end, the closing entries, the next year's openings (the 2027 trial
//! balance opens with the 2026 closing balances), the balance sheet on both sides of the
//! close, the old year read-only, and a second close refused. Every refusal changes nothing.

use fiscus_app::ledger::ops::CarryRule;
use fiscus_core::accounting::BookType;
use fiscus_store::testing::TestDb;

use crate::drive::*;
use crate::setup::*;
use crate::statements::{line, manual, post_unit_books};
use crate::support::*;

fiscus_store::on_both_backends!(year_close_books_the_carry_over_and_opens_next_year,);

async fn year_close_books_the_carry_over_and_opens_next_year(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    let cast = &world.cast;
    let region = cast.mof_div_code.as_str();
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
    let clerk = &cast.clerk;
    let treasury = &cast.treasury;

    // Unposted vouchers block the close; nobody else may close.
    let before = snapshot(app).await;
    let refused = app.accounting_year_close(treasury, region, 2026).await;
    assert_eq!(code(&refused), "vouchers_unposted");
    let fiscus_app::AppError::Rejected(fiscus_core::Rejection::VouchersUnposted { n_unposted }) =
        refused.expect_err("refused")
    else {
        panic!("vouchers_unposted");
    };
    assert_eq!(
        n_unposted, 5,
        "two unit vouchers each for payment and refund, one clearing"
    );
    for who in [clerk, &cast.budget, &cast.outsider, &cast.admin] {
        assert_eq!(
            code(&app.accounting_year_close(who, region, 2026).await),
            "forbidden",
            "{}",
            who.user_name.as_str()
        );
    }
    assert_eq!(
        code(
            &app.accounting_year_close(treasury, cast.outsider.mof_div_code().as_ref(), 2026)
                .await
        ),
        "forbidden",
        "the treasury division closes its own region only"
    );
    assert_eq!(snapshot(app).await, before);
    post_unit_books(&world).await;
    review_and_post(app, treasury, &fiscal_book(&world)).await;

    // The ledger's year-end carries the rest of the unit's indicator into 2027.
    enter(app, cast, pool_draft(cast), 1_000_000).await;
    let year_end = app
        .year_end_operation(&cast.budget, region, 2026, CarryRule::All)
        .await
        .expect("year-end built");
    run_operation(app, cast, &year_end).await.expect("结转");
    let carried_fen = FUNDED_FEN - 50_000;

    let before = snapshot(app).await;
    let preview = app
        .accounting_year_close_preview(treasury, region, 2026)
        .await
        .expect("preview");
    assert!(!preview.committed);
    assert_eq!(before, snapshot(app).await, "a preview writes nothing");
    let summary = app
        .accounting_year_close(treasury, region, 2026)
        .await
        .expect("年终结账");
    assert!(summary.committed);
    assert_eq!(summary.n_vouchers, preview.n_vouchers);
    assert_eq!(summary.n_books, 3, "{summary:?}");
    let unit = summary
        .books
        .iter()
        .find(|b| b.book.book_type == "unit_budget")
        .expect("the unit's budget book");
    assert_eq!(unit.carried_fen, carried_fen);

    // The budget book: 财政拨款预算收入 and 支出 closed, the carried part in 8101.
    let budget = unit_book(&world, BookType::UnitBudget);
    let financial = unit_book(&world, BookType::UnitFinancial);
    let trial = app
        .accounting_trial_balance(clerk, &budget, 2026, 1, 12)
        .await
        .expect("2026");
    assert!(trial.balanced);
    let closing = |rows: &[fiscus_core::accounting::TrialBalanceRow], code: &str| {
        rows.iter()
            .find(|r| r.account_code == code)
            .map_or(0, |r| r.closing_fen)
    };
    assert_eq!(closing(&trial.rows, "6001"), 0);
    assert_eq!(closing(&trial.rows, "710101"), 0);
    assert_eq!(closing(&trial.rows, "8101"), -carried_fen);
    assert_eq!(closing(&trial.rows, "800103"), carried_fen);
    assert_eq!(
        closing(&trial.rows, "8102"),
        0,
        "all was carried: nothing lapses"
    );

    // The financial book: revenue and expense into 本期盈余, then 累计盈余.
    let fin = app
        .accounting_trial_balance(clerk, &financial, 2026, 1, 12)
        .await
        .expect("2026");
    assert_eq!(closing(&fin.rows, "4001"), 0);
    assert_eq!(closing(&fin.rows, "5001"), 0);
    assert_eq!(closing(&fin.rows, "3301"), 0);
    assert_eq!(closing(&fin.rows, "3001"), -carried_fen);
    assert_eq!(closing(&fin.rows, "1201"), carried_fen);
    // The finance bureau's book: the cleared 800.00 of 一般公共预算本级支出 into 结转结余.
    let general = app
        .accounting_trial_balance(treasury, &fiscal_book(&world), 2026, 1, 12)
        .await
        .expect("2026");
    assert_eq!(closing(&general.rows, "5001"), 0);
    assert_eq!(closing(&general.rows, "3001"), 80_000);
    assert_eq!(closing(&general.rows, "1001"), -80_000);
    let sheet = app
        .accounting_balance_sheet(clerk, &financial, 2026, 12)
        .await
        .expect("资产负债表 2026");
    assert!(sheet.balanced, "{sheet:?}");
    assert_eq!(sheet.assets_fen, carried_fen);
    let income = app
        .accounting_income_statement(clerk, &financial, 2026, 12)
        .await
        .expect("收入费用表 2026");
    assert_eq!(
        (income.revenue_fen, income.expense_fen),
        (50_000 + carried_fen, 50_000),
        "the closing entries are left out of the income statement"
    );

    // 2027 opens with the 2026 closing balances.
    for (who, book) in [
        (clerk, &budget),
        (clerk, &financial),
        (treasury, &fiscal_book(&world)),
    ] {
        let old = app
            .accounting_trial_balance(who, book, 2026, 1, 12)
            .await
            .expect("2026");
        let new = app
            .accounting_trial_balance(who, book, 2027, 1, 12)
            .await
            .expect("2027");
        assert!(new.balanced);
        let old_closing: Vec<(String, i64)> = old
            .rows
            .iter()
            .filter(|r| r.closing_fen != 0)
            .map(|r| (r.account_code.clone(), r.closing_fen))
            .collect();
        let new_opening: Vec<(String, i64)> = new
            .rows
            .iter()
            .map(|r| (r.account_code.clone(), r.opening_fen))
            .collect();
        assert_eq!(new_opening, old_closing, "{book:?}");
    }
    let sheet_2027 = app
        .accounting_balance_sheet(clerk, &financial, 2027, 1)
        .await
        .expect("资产负债表 2027");
    assert!(sheet_2027.balanced);
    assert_eq!(sheet_2027.assets_fen, sheet.assets_fen);
    let general = app
        .accounting_general_ledger(clerk, &financial, 2027, "1201")
        .await
        .expect("总账 2027");
    assert_eq!(general[0].opening_fen, carried_fen);

    // The old year is read-only; a second close is refused; 2027 takes vouchers.
    let before = snapshot(app).await;
    assert_eq!(
        code(&app.accounting_year_close(treasury, region, 2026).await),
        "accounting_year_closed"
    );
    assert_eq!(
        code(
            &app.accounting_year_close_preview(treasury, region, 2026)
                .await
        ),
        "accounting_year_closed"
    );
    let old_voucher = manual(
        BookType::UnitBudget,
        "2026-12-20",
        vec![line("710101", "1.00", ""), line("6001", "", "1.00")],
    );
    assert_eq!(
        code(
            &app.accounting_voucher_create(clerk, &old_voucher, &ctx())
                .await
        ),
        "accounting_year_closed"
    );
    assert_eq!(
        code(
            &app.accounting_period_close(clerk, BookType::UnitBudget, 2026, 12, &ctx())
                .await
        ),
        "accounting_year_closed"
    );
    let posted = vouchers_of(app, clerk, &budget).await;
    assert_eq!(
        code(
            &app.accounting_voucher_reverse(clerk, &posted[0].voucher_id, "2026-12-31", &ctx())
                .await
        ),
        "accounting_year_closed"
    );
    assert_eq!(snapshot(app).await, before);
    let status = app
        .accounting_year_close_status(treasury, region, 2026)
        .await
        .expect("status")
        .expect("closed");
    assert_eq!(status.closed_by, treasury.user_name.as_str());
    let new_voucher = manual(
        BookType::UnitBudget,
        "2027-01-05",
        vec![line("710101", "1.00", ""), line("800103", "", "1.00")],
    );
    app.accounting_voucher_create(clerk, &new_voucher, &ctx())
        .await
        .expect("2027 is open, on the charts copied from 2026");
}
