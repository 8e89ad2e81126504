//! Manual vouchers and their rejections, review and posting, red reversal and the monthly
//! close. Every rejection leaves the books and the audit log as they were.

use fiscus_app::accounting::{ManualLine, ManualVoucher};
use fiscus_core::accounting::BookType;
use fiscus_store::testing::TestDb;

use crate::drive::*;
use crate::setup::*;
use crate::support::*;

fiscus_store::on_both_backends!(
    manual_voucher_rules_and_posting,
    red_reversal_and_period_close,
);

fn line(code: &str, debit: &str, credit: &str) -> ManualLine {
    ManualLine {
        account_code: code.into(),
        debit_yuan: debit.into(),
        credit_yuan: credit.into(),
        ..ManualLine::default()
    }
}

fn manual(book_type: BookType, date: &str, lines: Vec<ManualLine>) -> ManualVoucher {
    ManualVoucher {
        book_type: book_type.code().into(),
        voucher_date: date.into(),
        summary: "购买办公用品".into(),
        lines,
    }
}

async fn manual_voucher_rules_and_posting(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    let clerk = &world.cast.clerk;
    let budget = BookType::UnitBudget;
    let before = snapshot(app).await;
    let cases = [
        (
            clerk,
            manual(
                budget,
                "2026-03-05",
                vec![line("710101", "100.00", ""), line("6001", "", "90.00")],
            ),
            "voucher_unbalanced",
        ),
        (
            clerk,
            manual(budget, "2026-03-05", vec![line("710101", "100.00", "")]),
            "voucher_invalid",
        ),
        (
            clerk,
            manual(
                budget,
                "2026-03-05",
                vec![line("710101", "0", ""), line("6001", "", "0")],
            ),
            "voucher_invalid",
        ),
        (
            clerk,
            manual(
                budget,
                "2026-03-05",
                vec![line("7101", "100", ""), line("6001", "", "100")],
            ),
            "account_not_postable",
        ),
        (
            clerk,
            manual(
                budget,
                "2026-03-05",
                vec![line("5001", "100", ""), line("6001", "", "100")],
            ),
            "account_not_postable",
        ),
        (
            clerk,
            manual(
                budget,
                "2026-3-5",
                vec![line("710101", "100", ""), line("6001", "", "100")],
            ),
            "field_invalid",
        ),
        (
            clerk,
            manual(
                BookType::FiscalGeneral,
                "2026-03-05",
                vec![line("5001", "100", ""), line("1001", "", "100")],
            ),
            "forbidden",
        ),
        (
            &world.cast.treasury,
            manual(
                budget,
                "2026-03-05",
                vec![line("710101", "100", ""), line("6001", "", "100")],
            ),
            "forbidden",
        ),
        (
            &world.approver,
            manual(
                budget,
                "2026-03-05",
                vec![line("710101", "100", ""), line("6001", "", "100")],
            ),
            "forbidden",
        ),
    ];
    for (who, input, expected) in cases {
        let result = app.accounting_voucher_create(who, &input, &ctx()).await;
        assert_eq!(code(&result), expected, "{input:?}");
        assert_eq!(snapshot(app).await, before, "{expected}: nothing written");
    }

    let voucher_id = app
        .accounting_voucher_create(
            clerk,
            &manual(
                budget,
                "2026-03-05",
                vec![line("710101", "100.00", ""), line("6001", "", "100.00")],
            ),
            &ctx(),
        )
        .await
        .expect("a balanced voucher");
    let outsider = app
        .accounting_voucher_review(&world.cast.outsider, &voucher_id, &ctx())
        .await;
    assert_eq!(code(&outsider), "not_found");
    let before = snapshot(app).await;
    assert_eq!(
        code(
            &app.accounting_voucher_post(clerk, &voucher_id, &ctx())
                .await
        ),
        "voucher_state_forbids",
        "a draft is reviewed before it is posted"
    );
    assert_eq!(snapshot(app).await, before);
    app.accounting_voucher_review(clerk, &voucher_id, &ctx())
        .await
        .expect("reviewed");
    let before = snapshot(app).await;
    assert_eq!(
        code(
            &app.accounting_voucher_review(clerk, &voucher_id, &ctx())
                .await
        ),
        "voucher_state_forbids"
    );
    assert_eq!(
        code(
            &app.accounting_voucher_post(clerk, &voucher_id, &ctx())
                .await
        ),
        "poster_is_creator"
    );
    assert_eq!(snapshot(app).await, before);
    let (voucher, lines) = app
        .accounting_voucher(clerk, &voucher_id)
        .await
        .expect("read");
    assert_eq!(voucher.status, "reviewed");
    assert_eq!(voucher.total_fen, 10_000);
    assert_eq!(lines.len(), 2);
}

async fn red_reversal_and_period_close(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    let clerk = &world.cast.clerk;
    let treasury = &world.cast.treasury;
    pay(
        &world,
        "1000.00",
        80_000,
        0,
        "2026-03-01",
        "2026-03-02",
        "N1",
    )
    .await;
    app.accounting_generate_pending().await.expect("generate");
    let budget = unit_book(&world, BookType::UnitBudget);
    let original = vouchers_of(app, clerk, &budget).await[0].clone();

    let before = snapshot(app).await;
    assert_eq!(
        code(
            &app.accounting_voucher_reverse(clerk, &original.voucher_id, "2026-03-20", &ctx())
                .await
        ),
        "voucher_state_forbids",
        "only a posted voucher is reversed"
    );
    assert_eq!(snapshot(app).await, before);
    review_and_post(app, clerk, &budget).await;

    let red_id = app
        .accounting_voucher_reverse(clerk, &original.voucher_id, "2026-03-20", &ctx())
        .await
        .expect("red reversal");
    let (red, red_lines) = app.accounting_voucher(clerk, &red_id).await.expect("read");
    let (kept, kept_lines) = app
        .accounting_voucher(clerk, &original.voucher_id)
        .await
        .expect("read");
    assert_eq!(
        red.reverses_voucher_id.as_deref(),
        Some(original.voucher_id.as_str())
    );
    assert_eq!(kept.status, "posted", "the original is never edited");
    assert_eq!(kept_lines.len(), red_lines.len());
    for (a, b) in kept_lines.iter().zip(&red_lines) {
        assert_eq!(
            (a.account_code.as_str(), -a.debit_fen, -a.credit_fen),
            (b.account_code.as_str(), b.debit_fen, b.credit_fen)
        );
    }
    let before = snapshot(app).await;
    assert_eq!(
        code(
            &app.accounting_voucher_reverse(clerk, &original.voucher_id, "2026-03-21", &ctx())
                .await
        ),
        "voucher_state_forbids",
        "reversed once"
    );
    assert_eq!(
        code(
            &app.accounting_period_close(clerk, BookType::UnitBudget, 2026, 3, &ctx())
                .await
        ),
        "period_has_unposted",
        "the red voucher is not posted yet"
    );
    assert_eq!(snapshot(app).await, before);

    // The finance bureau's March: the clearing voucher posted, the month closes.
    let fiscal = fiscal_book(&world);
    review_and_post(app, treasury, &fiscal).await;
    app.accounting_period_close(treasury, BookType::FiscalGeneral, 2026, 3, &ctx())
        .await
        .expect("closed");
    let before = snapshot(app).await;
    assert_eq!(
        code(
            &app.accounting_period_close(treasury, BookType::FiscalGeneral, 2026, 3, &ctx())
                .await
        ),
        "period_closed"
    );
    let entry = ManualVoucher {
        book_type: BookType::FiscalGeneral.code().into(),
        voucher_date: "2026-03-31".into(),
        summary: "补记".into(),
        lines: vec![line("5001", "1", ""), line("1001", "", "1")],
    };
    assert_eq!(
        code(
            &app.accounting_voucher_create(treasury, &entry, &ctx())
                .await
        ),
        "period_closed"
    );
    assert_eq!(snapshot(app).await, before);

    // A payment cleared in the closed month waits: its unit vouchers are written in the
    // payment's transaction, the finance bureau's is refused there and by the catch-up, and
    // the event stays pending.
    pay(
        &world,
        "200.00",
        20_000,
        0,
        "2026-03-10",
        "2026-03-11",
        "N2",
    )
    .await;
    let summary = app.accounting_generate_pending().await.expect("generate");
    assert_eq!(summary.n_vouchers, 0, "{summary:?}");
    assert_eq!(summary.skipped.len(), 1, "{summary:?}");
    assert!(summary.skipped[0].1.contains("已结账"), "{summary:?}");
    assert_eq!(vouchers_of(app, treasury, &fiscal).await.len(), 1);
    let trial = app
        .accounting_trial_balance(treasury, &fiscal, 2026, 1, 12)
        .await
        .expect("trial");
    assert!(trial.balanced);
}
