//! The whole chain against `fiscus-bank-sim`, on both backends: application → approval →
//! SM2-signed voucher → the simulated bank → receipt, return, refund → clearing → reconciliation;
//! then faults, a restart in the middle, and a forged message.

use fiscus_bank_sim::{Faults, Ratio, TREASURY_OPENING_FEN};
use fiscus_core::flow::{Command, InstanceStatus};
use fiscus_core::payment::message::{Message, MessageBody, ReceiptMsg};
use fiscus_store::testing::TestDb;

use crate::chain::{Chain, FUNDED_FEN, bank_today, chain};
use crate::support::ctx;

const PAYEE: &str = "石河子市文具有限公司";
const ACCOUNT: &str = "6222000012345678";

fiscus_store::on_both_backends!(
    sim_happy_path_paid_cleared_reconciled,
    sim_returns_cancel_or_reopen,
    sim_refund_restores_the_indicator,
    sim_faults_lose_and_double_nothing,
    sim_restart_in_the_middle,
    sim_forged_message_is_refused,
);

fn count(chain_vouchers: &[fiscus_store::payment::VoucherRow], status: &str) -> usize {
    chain_vouchers.iter().filter(|v| v.status == status).count()
}

async fn sim_happy_path_paid_cleared_reconciled(test_db: TestDb) {
    let mut chain = chain(test_db, Faults::default()).await;
    let pay_app_id = chain.pay(&chain.draft("1234.50", PAYEE, ACCOUNT)).await;
    assert_eq!(chain.figures().await, (FUNDED_FEN - 123_450, 123_450, 0));
    chain.drive_until_all(1, &["paid"]).await;
    let voucher = chain.voucher_of(&pay_app_id).await.pop().unwrap();
    assert_eq!(voucher.pay_amt, 123_450);
    assert_eq!(voucher.xpay_amt, Some(123_450));
    assert_eq!(voucher.xpay_date.as_deref(), Some(bank_today().as_str()));
    assert!(
        voucher
            .agent_business_no
            .as_deref()
            .is_some_and(|no| no.starts_with("SIM")),
        "{voucher:?}"
    );
    let application = chain
        .app()
        .payment_application(&chain.cast.clerk, &pay_app_id)
        .await
        .unwrap();
    assert_eq!(application.status, "paid");
    // The bank verified the envelope and the position signatures: paid, not returned.
    let state = chain.sim_state().await;
    assert_eq!(state["totals"]["n_paid"], 1, "{state}");
    assert_eq!(state["totals"]["n_returned"], 0, "{state}");
    assert_eq!(state["totals"]["n_refused_envelopes"], 0, "{state}");
    assert_eq!(state["totals"]["paid_fen"], 123_450, "{state}");
    assert_eq!(chain.figures().await, (FUNDED_FEN - 123_450, 0, 123_450));
    assert_eq!(chain.events(&voucher.pay_cert_id).await, ["payment_posted"]);

    // Clearing: the notice to the treasury, its receipt on the voucher, 271 → 371.
    let notices = chain
        .app()
        .bank_send_clearing(&bank_today(), chain.clock)
        .await
        .unwrap();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].3.0, 123_450);
    let id = voucher.pay_cert_id.clone();
    chain
        .drive("the clearing receipt", async |chain: &Chain| {
            chain.vouchers().await[0].lqd_cert_no.is_some()
        })
        .await;
    let cleared = chain.voucher_of(&pay_app_id).await.pop().unwrap();
    assert!(
        cleared
            .lqd_cert_no
            .as_deref()
            .is_some_and(|no| no.starts_with("LQD")),
        "{cleared:?}"
    );
    assert_eq!(cleared.act_lqd_date.as_deref(), Some(bank_today().as_str()));
    assert_eq!(
        cleared.lqd_quota_notice_no.as_deref(),
        Some(notices[0].0.as_str())
    );
    let state = chain.sim_state().await;
    assert_eq!(
        (
            &state["totals"]["treasury_271_fen"],
            &state["totals"]["bank_371_fen"],
            &state["totals"]["n_cleared"],
        ),
        (
            &serde_json::json!(TREASURY_OPENING_FEN - 123_450),
            &serde_json::json!(123_450),
            &serde_json::json!(1),
        ),
        "{state}"
    );
    let mut events = chain.events(&id).await;
    events.sort();
    assert_eq!(events, ["clearing", "payment_posted"]);
    // Nothing left to clear.
    assert!(
        chain
            .app()
            .bank_send_clearing(&bank_today(), chain.clock)
            .await
            .unwrap()
            .is_empty()
    );

    let report = chain.reconcile().await;
    assert_eq!((report.n_ours, report.n_theirs), (1, 1));
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
    assert!(
        chain
            .app()
            .bank_reconciliation_items(Some(&bank_today()), true)
            .await
            .unwrap()
            .is_empty()
    );
    chain.assert_ledger_verifies().await;
    chain.stop().await;
}

async fn sim_returns_cancel_or_reopen(test_db: TestDb) {
    let mut chain = chain(test_db, Faults::default()).await;
    let closed = chain
        .pay(&chain.draft("300.00", PAYEE, "6222000012340000"))
        .await;
    let mismatch = chain
        .pay(&chain.draft("500.00", "石河子市文具户名不符公司", ACCOUNT))
        .await;
    assert_eq!(chain.figures().await, (FUNDED_FEN - 80_000, 80_000, 0));
    chain.drive_until_all(2, &["returned"]).await;
    assert_eq!(chain.figures().await, (FUNDED_FEN, 0, 0), "both released");
    let app = chain.app();
    let closed_row = app
        .payment_application(&chain.cast.clerk, &closed)
        .await
        .unwrap();
    assert_eq!(closed_row.status, "cancelled");
    let closed_voucher = chain.voucher_of(&closed).await.pop().unwrap();
    assert_eq!(
        closed_voucher.return_reason.as_deref(),
        Some("account_closed")
    );
    let mismatch_row = app
        .payment_application(&chain.cast.clerk, &mismatch)
        .await
        .unwrap();
    assert_eq!(mismatch_row.status, "returned");
    let mismatch_voucher = chain.voucher_of(&mismatch).await.pop().unwrap();
    assert_eq!(
        mismatch_voucher.return_reason.as_deref(),
        Some("name_mismatch")
    );

    // Corrected, resubmitted, approved: a new voucher, paid.
    let corrected = chain.draft("500.00", PAYEE, ACCOUNT);
    app.payment_update(&chain.cast.clerk, &mismatch, &corrected, &ctx())
        .await
        .expect("corrected");
    app.flow_act(&chain.cast.clerk, &mismatch, Command::Submit, &ctx())
        .await
        .expect("resubmitted");
    assert_eq!(chain.figures().await, (FUNDED_FEN - 50_000, 50_000, 0));
    assert_eq!(chain.approve(&mismatch).await, InstanceStatus::Approved);
    chain
        .drive("the corrected payment paid", async |chain: &Chain| {
            chain
                .voucher_of(&mismatch)
                .await
                .iter()
                .any(|v| v.status == "paid")
        })
        .await;
    let vouchers = chain.voucher_of(&mismatch).await;
    assert_eq!(vouchers.len(), 2);
    assert_eq!(count(&vouchers, "returned"), 1);
    assert_eq!(count(&vouchers, "paid"), 1);
    assert_eq!(
        chain
            .app()
            .payment_application(&chain.cast.clerk, &mismatch)
            .await
            .unwrap()
            .status,
        "paid"
    );
    assert_eq!(chain.figures().await, (FUNDED_FEN - 50_000, 0, 50_000));
    let state = chain.sim_state().await;
    assert_eq!(
        (&state["totals"]["n_paid"], &state["totals"]["n_returned"]),
        (&serde_json::json!(1), &serde_json::json!(2)),
        "{state}"
    );
    let report = chain.reconcile().await;
    assert_eq!((report.n_ours, report.n_theirs), (3, 3));
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
    chain.assert_ledger_verifies().await;
    chain.stop().await;
}

async fn sim_refund_restores_the_indicator(test_db: TestDb) {
    let faults = Faults {
        refund_delay_ms: 50,
        ..Faults::default()
    };
    let mut chain = chain(test_db, faults).await;
    let pay_app_id = chain
        .pay(&chain.draft("800.00", PAYEE, "6222000012349999"))
        .await;
    chain.drive_until_all(1, &["refunded"]).await;
    let voucher = chain.voucher_of(&pay_app_id).await.pop().unwrap();
    assert_eq!(
        (voucher.xpay_amt, voucher.refunded_amt),
        (Some(80_000), 80_000)
    );
    assert_eq!(chain.figures().await, (FUNDED_FEN, 0, 0), "restored");
    let mut events = chain.events(&voucher.pay_cert_id).await;
    events.sort();
    assert_eq!(events, ["payment_posted", "refund"]);
    let state = chain.sim_state().await;
    assert_eq!(state["totals"]["n_refunded"], 1, "{state}");
    let report = chain.reconcile().await;
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
    chain.assert_ledger_verifies().await;
    chain.stop().await;
}

/// 30 payments (3 to closed accounts, 3 refunded later) with duplicates, reordering, drops and
/// corrupted signatures: each voucher ends paid, returned or refunded exactly once.
async fn sim_faults_lose_and_double_nothing(test_db: TestDb) {
    let faults = Faults {
        delay_ms: (0, 30),
        duplicate_ratio: Ratio::parse("0.3").unwrap(),
        reorder: true,
        drop_ratio: Ratio::parse("0.2").unwrap(),
        corrupt_signature_ratio: Ratio::parse("0.2").unwrap(),
        refund_ratio: Ratio(0),
        // Well after the receipt, so that the refund does not overtake it (see the report).
        refund_delay_ms: 1_500,
    };
    let mut chain = chain(test_db, faults).await;
    let n = 30;
    let mut expected_fen = 0;
    for i in 0..n {
        let account = match i % 10 {
            3 => "6222000012340000".to_owned(),
            7 => "6222000012349999".to_owned(),
            _ => format!("62220000123456{i:02}"),
        };
        let yuan = 100 + i;
        if i % 10 != 3 && i % 10 != 7 {
            expected_fen += yuan * 100;
        }
        chain
            .pay(&chain.draft(&format!("{yuan}.00"), PAYEE, &account))
            .await;
        if i % 7 == 0 {
            chain.step().await; // some vouchers go out while others are still being approved
        }
    }
    chain
        .drive(
            "every voucher decided and every message delivered",
            async |chain: &Chain| {
                let vouchers = chain.vouchers().await;
                let state = chain.sim_state().await;
                vouchers.len() == 30
                    && count(&vouchers, "paid") == 24
                    && count(&vouchers, "returned") == 3
                    && count(&vouchers, "refunded") == 3
                    && state["delivery"]["queued"] == state["delivery"]["delivered"]
            },
        )
        .await;
    // Let late duplicates arrive too.
    for _ in 0..20 {
        chain.step().await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let vouchers = chain.vouchers().await;
    assert_eq!(
        (
            count(&vouchers, "paid"),
            count(&vouchers, "returned"),
            count(&vouchers, "refunded")
        ),
        (24, 3, 3)
    );
    let spent: i64 = vouchers
        .iter()
        .filter(|v| v.status == "paid")
        .map(|v| v.xpay_amt.unwrap())
        .sum();
    assert_eq!(spent, expected_fen);
    assert_eq!(
        chain.figures().await,
        (FUNDED_FEN - expected_fen, 0, expected_fen),
        "no reservation posted twice or left behind"
    );
    for voucher in &vouchers {
        let events = chain.events(&voucher.pay_cert_id).await;
        let expected: &[&str] = match voucher.status.as_str() {
            "paid" => &["payment_posted"],
            "refunded" => &["payment_posted", "refund"],
            _ => &[],
        };
        let mut events = events;
        events.sort();
        assert_eq!(events, expected, "{}", voucher.pay_cert_no);
    }
    let state = chain.sim_state().await;
    let totals = &state["totals"];
    assert_eq!(
        (
            &totals["n_paid"],
            &totals["n_returned"],
            &totals["n_refunded"]
        ),
        (
            &serde_json::json!(27),
            &serde_json::json!(3),
            &serde_json::json!(3)
        ),
        "{state}"
    );
    let delivery = &state["delivery"];
    assert!(
        delivery["duplicates_sent"].as_i64().unwrap() > 0
            && delivery["corrupted_sent"].as_i64().unwrap() > 0
            && delivery["drops"].as_i64().unwrap() > 0,
        "the faults fired: {state}"
    );
    // Every corrupted copy was refused (403), nothing else was.
    assert_eq!(delivery["refused"], delivery["corrupted_sent"], "{state}");
    // The inbox: one row per distinct message, no conflicts.
    let inbox = chain.inbox().await;
    assert!(
        inbox.iter().all(|(_, outcome, _)| outcome == "applied"),
        "{inbox:?}"
    );
    let applied: i64 = inbox.iter().map(|(_, _, n)| n).sum();
    assert_eq!(applied, 33, "27 receipts, 3 returns, 3 refunds: {inbox:?}");

    let notices = chain
        .app()
        .bank_send_clearing(&bank_today(), chain.clock)
        .await
        .unwrap();
    assert_eq!(notices.len(), 1);
    chain
        .drive("the clearing receipt", async |chain: &Chain| {
            chain
                .vouchers()
                .await
                .iter()
                .filter(|v| v.status != "returned")
                .all(|v| v.lqd_cert_no.is_some())
        })
        .await;
    let state = chain.sim_state().await;
    assert_eq!(state["totals"]["n_cleared"], 27, "{state}");
    let report = chain.reconcile().await;
    assert_eq!((report.n_ours, report.n_theirs), (30, 30));
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
    chain.assert_ledger_verifies().await;
    chain.stop().await;
}

/// The server goes down twice: once with vouchers sealed in the outbox but not delivered, once
/// after the bank took them and before its receipts arrive. Nothing is lost or doubled.
async fn sim_restart_in_the_middle(test_db: TestDb) {
    let faults = Faults {
        // Receipts wait, so that they are on their way while finance is down.
        delay_ms: (300, 400),
        ..Faults::default()
    };
    let mut chain = chain(test_db, faults).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let yuan = 200 + i;
        ids.push(
            chain
                .pay(&chain.draft(&format!("{yuan}.00"), PAYEE, ACCOUNT))
                .await,
        );
    }
    let total_fen: i64 = (200..205).map(|yuan| yuan * 100).sum();
    // Sealed into the outbox, not delivered. The clock moves an hour on first: vouchers
    // approved in a later second than it was read are due too.
    chain.clock += time::Duration::hours(1);
    let packaged = chain
        .app()
        .bank_package_vouchers(chain.clock)
        .await
        .unwrap();
    assert_eq!(packaged, 5);
    chain.restart().await;
    assert_eq!(
        chain.sim_state().await["totals"]["n_voucher_envelopes"],
        0,
        "nothing reached the bank yet"
    );
    // Delivered; the bank has them; down again before the receipts come.
    let run = chain.step().await;
    assert_eq!(
        (run.vouchers_packaged, run.messages_sent),
        (0, 1),
        "{run:?}"
    );
    chain.restart().await;
    chain.drive_until_all(5, &["paid"]).await;
    for _ in 0..10 {
        chain.step().await;
    }
    let state = chain.sim_state().await;
    assert_eq!(
        (
            &state["totals"]["n_paid"],
            &state["totals"]["n_voucher_envelopes"]
        ),
        (&serde_json::json!(5), &serde_json::json!(1)),
        "{state}"
    );
    assert_eq!(chain.vouchers().await.len(), 5);
    assert_eq!(
        chain.figures().await,
        (FUNDED_FEN - total_fen, 0, total_fen)
    );
    let receipts: i64 = chain
        .inbox()
        .await
        .iter()
        .filter(|(kind, _, _)| kind == "receipt")
        .map(|(_, _, n)| n)
        .sum();
    assert_eq!(receipts, 5);
    let report = chain.reconcile().await;
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
    chain.assert_ledger_verifies().await;
    chain.stop().await;
}

/// A receipt for a real voucher, signed by a key that is not the bank's: 403, nothing changes;
/// the same receipt signed by the bank is applied.
async fn sim_forged_message_is_refused(test_db: TestDb) {
    let mut chain = chain(test_db, Faults::default()).await;
    // Hold the voucher back from the simulator: packaged by hand below is not needed; the
    // receipt is forged for a voucher still waiting to be sent.
    let pay_app_id = chain.pay(&chain.draft("100.00", PAYEE, ACCOUNT)).await;
    let voucher = chain.voucher_of(&pay_app_id).await.pop().unwrap();
    let message = Message {
        msg_id: "forged-1".into(),
        sender: "bank".into(),
        receiver: "finance".into(),
        created_at: "2026-11-05T10:00:00Z".into(),
        body: MessageBody::Receipt(ReceiptMsg {
            pay_cert_no: voucher.pay_cert_no.clone(),
            mof_div_code: voucher.mof_div_code.clone(),
            fiscal_year: i32::try_from(voucher.fiscal_year).unwrap(),
            xpay_amt: fiscus_core::Fen(10_000),
            xpay_date: bank_today(),
            agent_business_no: "FAKE".into(),
        }),
    };
    let stranger = fiscus_app::bank::crypto::generate_sm2_key_pair().unwrap();
    let forger = fiscus_app::bank::Channel::from_keys(
        "bank",
        &stranger.private_key,
        "finance",
        &chain.keys.finance.public_key,
        &chain.keys.shared,
    )
    .unwrap();
    let forged = fiscus_app::bank::seal(&forger, &message).unwrap();
    let before = chain.figures().await;
    let response = reqwest::Client::new()
        .post(format!("{}/api/bank/v1/messages", chain.base))
        .header("content-type", "application/xml; charset=utf-8")
        .body(forged)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "signature_invalid", "{body}");
    assert!(chain.inbox().await.is_empty());
    assert_eq!(chain.figures().await, before);
    let unchanged = chain.voucher_of(&pay_app_id).await.pop().unwrap();
    assert_eq!(unchanged.status, voucher.status);
    assert_eq!(unchanged.xpay_amt, None);
    // The real bank's word goes through.
    chain.drive_until_all(1, &["paid"]).await;
    let paid = chain.voucher_of(&pay_app_id).await.pop().unwrap();
    assert_eq!(paid.xpay_amt, Some(10_000));
    assert_ne!(paid.agent_business_no.as_deref(), Some("FAKE"));
    chain.assert_ledger_verifies().await;
    chain.stop().await;
}
