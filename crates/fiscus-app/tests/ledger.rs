//! The indicator ledger at the application level, on both backends: operations as documents
//! through their flows to indicators and transfers, and the reservation interface
//! (reserve, post in part, void, refund) with its idempotency. One test binary; the
//! modules under `ledger/` hold the operations, the races and the bad input.

// Tests fail loudly: `expect` is the assertion here.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "ledger/support.rs"]
mod support;

#[path = "ledger/bad_input.rs"]
mod bad_input;
#[path = "ledger/ops.rs"]
mod ops;
#[path = "ledger/races.rs"]
mod races;

use fiscus_app::ledger::Reserve;
use fiscus_core::Fen;
use fiscus_core::flow::InstanceStatus;
use fiscus_core::ledger::control::PaymentElements;
use fiscus_core::ledger::{BgtId, Operation, TransferId};
use fiscus_store::records::Viewer;
use fiscus_store::testing::TestDb;

use support::*;

fiscus_store::on_both_backends!(enter_through_the_flow_then_reserve_post_void_refund,);

async fn enter_through_the_flow_then_reserve_post_void_refund(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let cast = cast(&app).await;
    let operation = Operation::Enter {
        indicator: unit_draft(&cast),
        amount: Fen(1_000_000),
    };
    let doc_id = app
        .create_indicator_op(&cast.treasury, &operation, true, &ctx())
        .await
        .expect("drafted and submitted");
    assert_eq!(
        approve(&app, &cast.business, &doc_id)
            .await
            .expect("business"),
        InstanceStatus::InProgress
    );
    assert_eq!(
        approve(&app, &cast.budget, &doc_id).await.expect("review"),
        InstanceStatus::InProgress
    );
    assert_eq!(
        approve(&app, &cast.budget, &doc_id).await.expect("release"),
        InstanceStatus::Approved
    );
    let bgt_id = indicators_of_doc(&app, &doc_id)
        .await
        .pop()
        .expect("one indicator");
    let row = app
        .visible_indicator(Viewer::System, &bgt_id)
        .await
        .expect("row");
    assert_eq!(row.figures.total_fen, 1_000_000);
    assert_eq!(row.figures.available_fen, 1_000_000);

    let reserve = |key: &str, amount: i64| Reserve {
        transfer_id: TransferId::parse(key).unwrap(),
        bgt_id: bgt_id.clone(),
        amount: Fen(amount),
        elements: payment_elements(&cast),
        doc_id: None,
    };
    let who = Viewer::User(&cast.treasury);
    let first = app
        .ledger_reserve(who, reserve("r1", 600_000), &ctx())
        .await
        .expect("reserve");
    let again = app
        .ledger_reserve(who, reserve("r1", 600_000), &ctx())
        .await
        .expect("repeat");
    assert!(again.repeat);
    assert_eq!(again.seq, first.seq);
    assert_eq!(
        code(&app.ledger_reserve(who, reserve("r1", 1), &ctx()).await),
        "idempotency_key_reused"
    );
    assert_eq!(
        code(
            &app.ledger_reserve(who, reserve("r2", 400_001), &ctx())
                .await
        ),
        "exceeds_available_balance"
    );
    let t = |key: &str| TransferId::parse(key).unwrap();
    app.ledger_post(who, t("p1"), t("r1"), Some(Fen(500_000)), &ctx())
        .await
        .expect("post in part");
    assert_eq!(
        code(&app.ledger_void(who, t("v1"), t("r1"), &ctx()).await),
        "pending_already_resolved"
    );
    app.ledger_reserve(who, reserve("r3", 100), &ctx())
        .await
        .expect("reserve");
    app.ledger_void(who, t("v3"), t("r3"), &ctx())
        .await
        .expect("void");
    app.ledger_refund(who, t("f1"), bgt_id.clone(), Fen(200_000), None, &ctx())
        .await
        .expect("refund");
    assert_eq!(
        code(
            &app.ledger_refund(who, t("f2"), bgt_id.clone(), Fen(300_001), None, &ctx())
                .await
        ),
        "exceeds_spent_amount"
    );
    let row = app
        .visible_indicator(Viewer::System, &bgt_id)
        .await
        .expect("row");
    assert_eq!(row.figures.spent_fen, 300_000);
    assert_eq!(row.figures.reserved_fen, 0);
    assert_eq!(row.figures.available_fen, 700_000);
    assert_eq!(row.figures.total_fen, 1_000_000);
    // A unit elsewhere does not see the indicator.
    let outsider = Viewer::User(&cast.outsider);
    assert_eq!(
        code(&app.ledger_reserve(outsider, reserve("r9", 1), &ctx()).await),
        "not_found"
    );
    let elsewhere = Reserve {
        elements: PaymentElements::default(),
        ..reserve("r9", 1)
    };
    assert_eq!(
        code(&app.ledger_reserve(who, elsewhere, &ctx()).await),
        "element_mismatch"
    );
    let _: BgtId = bgt_id;
}
