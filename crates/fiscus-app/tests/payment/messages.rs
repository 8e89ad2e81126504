//! The life of a payment: submit reserves, approval makes a numbered voucher, the bank's
//! receipt, refund and the treasury's clearing receipt move the voucher and the ledger once;
//! repeats change nothing and contradictions are outcomes. Reject and bank return release.

use fiscus_app::payment::{self, HandlerOutcome};
use fiscus_core::Fen;
use fiscus_core::flow::{Command, InstanceStatus};
use fiscus_core::payment::message::{
    ClearingReceiptMsg, ReceiptMsg, RefundMsg, ReturnMsg, ReturnReason,
};
use fiscus_store::testing::TestDb;

use crate::setup::*;
use crate::support::*;

fiscus_store::on_both_backends!(
    submit_approve_pay_refund_clear,
    reject_voids_and_bank_return_reopens,
);

async fn submit_approve_pay_refund_clear(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    let pay_app_id = app
        .payment_create(&world.cast.clerk, &draft(&world, "1000.00"), true, &ctx())
        .await
        .expect("created and submitted");
    assert_eq!(
        available(&world).await,
        (FUNDED_FEN - 100_000, 100_000, 0),
        "submit reserves"
    );
    assert_eq!(
        approve_unit(&world, &pay_app_id).await,
        InstanceStatus::Approved
    );
    let vouchers = app
        .payment_vouchers(&world.cast.clerk, None, 1, 50)
        .await
        .expect("list");
    assert_eq!(vouchers.len(), 1);
    let voucher = vouchers[0].clone();
    assert!(
        voucher.pay_cert_no.ends_with("00000001"),
        "{}",
        voucher.pay_cert_no
    );
    assert_eq!(voucher.status, "approved");
    assert_eq!(available(&world).await.1, 100_000, "still reserved");
    let sent: Vec<_> = {
        let mut tx = app.db.begin().await.expect("tx");
        let ready = payment::vouchers_ready(&mut tx, 500, "9999")
            .await
            .expect("ready");
        assert_eq!(ready.len(), 1);
        assert_eq!(ready[0].signatures.len(), 1);
        assert_eq!(ready[0].signatures[0].position, "unit_review");
        let ids: Vec<String> = ready.iter().map(|v| v.pay_cert_id.clone()).collect();
        payment::mark_sent(&mut tx, &ids, "2026-03-01T00:00:00Z")
            .await
            .expect("sent");
        tx.commit().await.expect("commit");
        ids
    };
    assert_eq!(sent, vec![voucher.pay_cert_id.clone()]);

    let receipt = ReceiptMsg {
        pay_cert_no: voucher.pay_cert_no.clone(),
        mof_div_code: voucher.mof_div_code.clone(),
        fiscal_year: 2026,
        xpay_amt: Fen(80_000),
        xpay_date: "2026-03-01".into(),
        agent_business_no: "B0001".into(),
    };
    let run = |outcome: HandlerOutcome| outcome;
    for expected in [HandlerOutcome::Applied, HandlerOutcome::Repeat] {
        let mut tx = app.db.begin().await.expect("tx");
        let outcome = payment::on_receipt(app, &mut tx, &receipt)
            .await
            .expect("receipt");
        tx.commit().await.expect("commit");
        assert_eq!(run(outcome), expected);
        assert_eq!(
            available(&world).await,
            (FUNDED_FEN - 80_000, 0, 80_000),
            "posted for the paid amount, the rest released"
        );
    }
    let returned = ReturnMsg {
        pay_cert_no: voucher.pay_cert_no.clone(),
        mof_div_code: voucher.mof_div_code.clone(),
        fiscal_year: 2026,
        reason: ReturnReason::NameMismatch,
        reason_text: "户名不符".into(),
    };
    let mut tx = app.db.begin().await.expect("tx");
    let outcome = payment::on_return(app, &mut tx, &returned)
        .await
        .expect("return");
    tx.commit().await.expect("commit");
    assert!(
        matches!(outcome, HandlerOutcome::Conflict { .. }),
        "{outcome:?}"
    );

    let refund = |refund_no: &str, fen: i64| RefundMsg {
        pay_cert_no: voucher.pay_cert_no.clone(),
        mof_div_code: voucher.mof_div_code.clone(),
        fiscal_year: 2026,
        refund_no: refund_no.into(),
        refund_amt: Fen(fen),
        refund_date: "2026-03-02".into(),
        reason_text: "账户有误".into(),
    };
    for (msg, expected) in [
        (refund("R1", 30_000), "applied"),
        (refund("R1", 30_000), "repeat"),
        (refund("R2", 50_001), "conflict"),
    ] {
        let mut tx = app.db.begin().await.expect("tx");
        let outcome = payment::on_refund(app, &mut tx, &msg)
            .await
            .expect("refund");
        tx.commit().await.expect("commit");
        let code = match outcome {
            HandlerOutcome::Applied => "applied",
            HandlerOutcome::Repeat => "repeat",
            HandlerOutcome::Conflict { .. } => "conflict",
            HandlerOutcome::NotYet { .. } => "not_yet",
        };
        assert_eq!(code, expected, "{msg:?}");
        assert_eq!(available(&world).await, (FUNDED_FEN - 50_000, 0, 50_000));
    }
    let after = app
        .payment_vouchers(&world.cast.clerk, None, 1, 50)
        .await
        .expect("list");
    assert_eq!(after[0].status, "partly_refunded");
    assert_eq!(after[0].refunded_amt, 30_000);

    let mut tx = app.db.begin().await.expect("tx");
    let banks = payment::paid_uncleared(&mut tx, "2026-03-01")
        .await
        .expect("uncleared");
    assert_eq!(banks.len(), 1);
    assert_eq!(banks[0].1, vec![(voucher.pay_cert_no.clone(), Fen(80_000))]);
    payment::mark_notice(&mut tx, "N1", std::slice::from_ref(&voucher.pay_cert_no))
        .await
        .expect("notice");
    tx.commit().await.expect("commit");
    let clearing = ClearingReceiptMsg {
        notice_no: "N1".into(),
        lqd_cert_no: "L1".into(),
        act_lqd_date: "2026-03-02".into(),
        clear_amt: Fen(80_000),
    };
    for expected in [HandlerOutcome::Applied, HandlerOutcome::Repeat] {
        let mut tx = app.db.begin().await.expect("tx");
        let outcome = payment::on_clearing_receipt(app, &mut tx, &clearing)
            .await
            .expect("clearing");
        tx.commit().await.expect("commit");
        assert_eq!(outcome, expected);
    }
    let events = fiscus_store::payment::accounting_events(&app.db, &voucher.pay_cert_id)
        .await
        .expect("events");
    let kinds: Vec<&str> = events.iter().map(|(_, kind, _)| kind.as_str()).collect();
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    assert!(
        kinds.contains(&"payment_posted")
            && kinds.contains(&"refund")
            && kinds.contains(&"clearing")
    );
    assert_ledger_nets_to_zero(app).await;
}

async fn reject_voids_and_bank_return_reopens(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    let rejected = app
        .payment_create(&world.cast.clerk, &draft(&world, "500"), true, &ctx())
        .await
        .expect("submitted");
    assert_eq!(available(&world).await.1, 50_000);
    let task_id = task_of(app, &world.approver, &rejected).await;
    app.flow_act(
        &world.approver,
        &rejected,
        Command::Reject {
            task_id,
            opinion: "用途不清".into(),
        },
        &ctx(),
    )
    .await
    .expect("rejected");
    assert_eq!(available(&world).await, (FUNDED_FEN, 0, 0), "reject voids");

    let pay_app_id = app
        .payment_create(&world.cast.clerk, &draft(&world, "700"), true, &ctx())
        .await
        .expect("submitted");
    approve_unit(&world, &pay_app_id).await;
    let voucher = app
        .payment_vouchers(&world.cast.clerk, Some("approved"), 1, 50)
        .await
        .expect("list")
        .pop()
        .expect("voucher");
    assert!(
        voucher.pay_cert_no.ends_with("00000001"),
        "gapless: the rejected one took no number"
    );
    let returned = ReturnMsg {
        pay_cert_no: voucher.pay_cert_no.clone(),
        mof_div_code: voucher.mof_div_code.clone(),
        fiscal_year: 2026,
        reason: ReturnReason::NameMismatch,
        reason_text: "户名不符".into(),
    };
    for expected in [HandlerOutcome::Applied, HandlerOutcome::Repeat] {
        let mut tx = app.db.begin().await.expect("tx");
        let outcome = payment::on_return(app, &mut tx, &returned)
            .await
            .expect("return");
        tx.commit().await.expect("commit");
        assert_eq!(outcome, expected);
        assert_eq!(available(&world).await, (FUNDED_FEN, 0, 0), "return voids");
    }
    let receipt = ReceiptMsg {
        pay_cert_no: voucher.pay_cert_no.clone(),
        mof_div_code: voucher.mof_div_code.clone(),
        fiscal_year: 2026,
        xpay_amt: Fen(70_000),
        xpay_date: "2026-03-01".into(),
        agent_business_no: "B9".into(),
    };
    let mut tx = app.db.begin().await.expect("tx");
    let outcome = payment::on_receipt(app, &mut tx, &receipt)
        .await
        .expect("receipt");
    tx.commit().await.expect("commit");
    assert!(
        matches!(outcome, HandlerOutcome::Conflict { .. }),
        "{outcome:?}"
    );
    assert_eq!(available(&world).await, (FUNDED_FEN, 0, 0));

    let row = app
        .payment_application(&world.cast.clerk, &pay_app_id)
        .await
        .expect("visible");
    assert_eq!(row.status, "returned");
    let mut corrected = draft(&world, "700");
    corrected.payee_acct_name = "石河子市文具有限责任公司".into();
    app.payment_update(&world.cast.clerk, &pay_app_id, &corrected, &ctx())
        .await
        .expect("corrected");
    app.flow_act(&world.cast.clerk, &pay_app_id, Command::Submit, &ctx())
        .await
        .expect("resubmitted");
    assert_eq!(available(&world).await.1, 70_000, "reserved again");
    assert_eq!(
        approve_unit(&world, &pay_app_id).await,
        InstanceStatus::Approved
    );
    let numbers: Vec<String> = app
        .payment_vouchers(&world.cast.clerk, None, 1, 50)
        .await
        .expect("list")
        .into_iter()
        .map(|voucher| voucher.pay_cert_no)
        .collect();
    assert_eq!(numbers.len(), 2);
    assert!(numbers[0].ends_with("00000002"), "{numbers:?}");
    assert_ledger_nets_to_zero(app).await;
}
