//! The simulator against a tiny finance receiver (an axum router that opens messages with the
//! codec and records them): payment, returns by rule, refunds, clearing, statements, and the
//! faults — duplicates, reordering, drops, corrupted signatures, finance being down.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use fiscus_app::bank::crypto::generate_sm2_key_pair;
use fiscus_app::bank::{BankClient, Channel, ClientTimeouts, SendError, open, open_ack, seal};
use fiscus_app::settings::Secret;
use fiscus_bank_sim::{Faults, Ratio, SimConfig, SimHandle, TREASURY_OPENING_FEN, spawn};
use fiscus_core::Rejection;
use fiscus_core::money::Fen;
use fiscus_core::payment::message::*;

type TestResult = Result<(), Box<dyn std::error::Error>>;

struct Receiver {
    channel: Channel,
    messages: Mutex<Vec<Message>>,
    signature_rejections: AtomicUsize,
    /// Answers 503 to this many requests first (finance down or restarting).
    unavailable_first: AtomicUsize,
}

async fn receive(State(receiver): State<Arc<Receiver>>, body: String) -> (StatusCode, String) {
    if receiver
        .unavailable_first
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return (StatusCode::SERVICE_UNAVAILABLE, "down".into());
    }
    match open(&receiver.channel, &body) {
        Ok(message) => {
            if let Ok(mut messages) = receiver.messages.lock() {
                messages.push(message);
            }
            (StatusCode::OK, "ok".into())
        }
        Err(Rejection::SignatureInvalid) => {
            receiver.signature_rejections.fetch_add(1, Ordering::SeqCst);
            (StatusCode::FORBIDDEN, "signature_invalid".into())
        }
        Err(other) => (StatusCode::BAD_REQUEST, other.code().to_string()),
    }
}

struct World {
    finance: Channel,
    receiver: Arc<Receiver>,
    sim: SimHandle,
    client: BankClient,
}

async fn world(
    faults: Faults,
    unavailable_first: usize,
) -> Result<World, Box<dyn std::error::Error>> {
    let finance_keys = generate_sm2_key_pair()?;
    let bank_keys = generate_sm2_key_pair()?;
    let shared = Secret::new("3c".repeat(32));
    let finance = Channel::from_keys(
        "finance",
        &finance_keys.private_key,
        "bank",
        &bank_keys.public_key,
        &shared,
    )?;
    let bank = Channel::from_keys(
        "bank",
        &bank_keys.private_key,
        "finance",
        &finance_keys.public_key,
        &shared,
    )?;
    let receiver = Arc::new(Receiver {
        channel: finance.clone(),
        messages: Mutex::new(Vec::new()),
        signature_rejections: AtomicUsize::new(0),
        unavailable_first: AtomicUsize::new(unavailable_first),
    });
    let router = axum::Router::new()
        .route("/api/bank/v1/messages", axum::routing::post(receive))
        .with_state(Arc::clone(&receiver));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let finance_addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, router).await });
    let sim = spawn(SimConfig {
        bind: "127.0.0.1:0".parse()?,
        finance_url: format!("http://{finance_addr}"),
        channel: bank,
        bank_code: "ABC".into(),
        faults,
        seed: 42,
    })
    .await?;
    let client = BankClient::new(ClientTimeouts::default())?;
    Ok(World {
        finance,
        receiver,
        sim,
        client,
    })
}

fn voucher(
    finance: &Channel,
    n: usize,
    payee_acct_no: &str,
    payee_name: &str,
) -> Result<VoucherMsg, Box<dyn std::error::Error>> {
    let mut voucher = VoucherMsg {
        pay_cert_id: format!("id{n}"),
        pay_cert_no: format!("6600002026{n:08}"),
        mof_div_code: "660000".into(),
        fiscal_year: 2026,
        vou_date: "2026-03-15".into(),
        agency_code: "101001".into(),
        fund_type_code: "111".into(),
        exp_func_code: "2010101".into(),
        gov_bgt_eco_code: "50201".into(),
        dep_bgt_eco_code: "30201".into(),
        pro_code: "P1".into(),
        set_mode_code: "2".into(),
        pay_bus_type_code: "1".into(),
        pay_acct_name: "单位零余额账户".into(),
        pay_acct_no: "6217000012345678".into(),
        pay_acct_bank_name: "农行".into(),
        payee_acct_name: payee_name.into(),
        payee_acct_no: payee_acct_no.into(),
        payee_acct_bank_name: "建行".into(),
        pay_amt: Fen(10_000 + n as i64),
        use_des: "办公用品".into(),
        contract_no: String::new(),
        signatures: Vec::new(),
    };
    let signature = finance.sign_voucher(&voucher, "unit_review", "复核人")?;
    voucher.signatures.push(signature);
    Ok(voucher)
}

fn message(body: MessageBody, msg_id: &str) -> Message {
    Message {
        msg_id: msg_id.into(),
        sender: "finance".into(),
        receiver: "bank".into(),
        created_at: "2026-03-15T10:00:00+08:00".into(),
        body,
    }
}

/// Posts until the simulator answers (its drop fault answers 503).
async fn post(w: &World, path: &str, envelope: &str) -> Result<String, SendError> {
    let url = format!("http://{}{path}", w.sim.addr);
    loop {
        match w.client.send(&url, envelope.to_string()).await {
            Err(SendError::Retryable(_)) => tokio::time::sleep(Duration::from_millis(5)).await,
            other => return other,
        }
    }
}

async fn wait_for(w: &World, n: usize) -> Vec<Message> {
    for _ in 0..1000 {
        let messages = w
            .receiver
            .messages
            .lock()
            .map(|m| m.clone())
            .unwrap_or_default();
        if messages.len() >= n {
            return messages;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    w.receiver
        .messages
        .lock()
        .map(|m| m.clone())
        .unwrap_or_default()
}

async fn sim_state(w: &World) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let text = w
        .client
        .get(&format!("http://{}/sim/v1/state", w.sim.addr))
        .await?;
    Ok(serde_json::from_str(&text)?)
}

fn of_kind(messages: &[Message], kind: MessageKind) -> Vec<&Message> {
    messages.iter().filter(|m| m.body.kind() == kind).collect()
}

#[tokio::test]
async fn pays_returns_refunds_clears_and_reports() -> TestResult {
    let w = world(
        Faults {
            refund_delay_ms: 50,
            ..Faults::default()
        },
        0,
    )
    .await?;
    let vouchers = vec![
        voucher(&w.finance, 1, "6228480000001111", "阿拉尔公司")?,
        voucher(&w.finance, 2, "6228480000000000", "销户公司")?,
        voucher(&w.finance, 3, "6228480000002222", "户名不符公司")?,
        voucher(&w.finance, 4, "6228480000009999", "退款公司")?,
    ];
    let envelope = seal(
        &w.finance,
        &message(
            MessageBody::Voucher {
                vouchers: vouchers.clone(),
            },
            "v1",
        ),
    )?;
    let ack = post(&w, "/bank/v1/vouchers", &envelope).await?;
    assert_eq!(open_ack(&w.finance, &ack)?, "v1");
    // A repeat of the same envelope is answered the same and pays nothing twice.
    assert_eq!(post(&w, "/bank/v1/vouchers", &envelope).await?, ack);
    let messages = wait_for(&w, 5).await;
    assert_eq!(messages.len(), 5, "{messages:#?}");
    let receipts = of_kind(&messages, MessageKind::Receipt);
    assert_eq!(receipts.len(), 2);
    let returns: Vec<ReturnReason> = messages
        .iter()
        .filter_map(|m| match &m.body {
            MessageBody::Return(r) => Some(r.reason),
            _ => None,
        })
        .collect();
    assert!(
        returns.contains(&ReturnReason::AccountClosed)
            && returns.contains(&ReturnReason::NameMismatch)
    );
    let refunds = of_kind(&messages, MessageKind::RefundNotice);
    assert!(
        matches!(&refunds[0].body, MessageBody::RefundNotice(r) if r.pay_cert_no == vouchers[3].pay_cert_no && r.refund_amt == vouchers[3].pay_amt)
    );

    // Clearing: a wrong total is refused with no effect, the right one clears.
    let paid: Vec<String> = vec![
        vouchers[0].pay_cert_no.clone(),
        vouchers[3].pay_cert_no.clone(),
    ];
    let total = Fen(vouchers[0].pay_amt.0 + vouchers[3].pay_amt.0);
    let notice = |total_amt: Fen| ClearingNoticeMsg {
        notice_no: "N1".into(),
        mof_div_code: "660000".into(),
        fiscal_year: 2026,
        clear_date: "2026-03-15".into(),
        bank_code: "ABC".into(),
        total_amt,
        pay_cert_nos: paid.clone(),
    };
    let wrong = seal(
        &w.finance,
        &message(MessageBody::ClearingNotice(notice(Fen(total.0 + 1))), "c0"),
    )?;
    assert!(matches!(
        post(&w, "/pboc/v1/clearing-notice", &wrong).await,
        Err(SendError::Refused { status: 409, .. })
    ));
    assert_eq!(sim_state(&w).await?["totals"]["cleared_fen"], 0);
    let right = seal(
        &w.finance,
        &message(MessageBody::ClearingNotice(notice(total)), "c1"),
    )?;
    post(&w, "/pboc/v1/clearing-notice", &right).await?;
    let messages = wait_for(&w, 6).await;
    let clearing = of_kind(&messages, MessageKind::ClearingReceipt);
    assert!(
        matches!(&clearing[0].body, MessageBody::ClearingReceipt(r) if r.clear_amt == total && r.notice_no == "N1")
    );
    let state = sim_state(&w).await?;
    let totals = &state["totals"];
    assert_eq!(totals["n_paid"], 2);
    assert_eq!(totals["n_returned"], 2);
    assert_eq!(totals["n_refunded"], 1);
    assert_eq!(totals["cleared_fen"], total.0);
    // 2301 moved the total; the refunded voucher went back by 2302.
    assert_eq!(totals["bank_371_fen"], vouchers[0].pay_amt.0);
    assert_eq!(
        totals["treasury_271_fen"],
        TREASURY_OPENING_FEN - vouchers[0].pay_amt.0
    );
    // Clearing the same vouchers again is refused.
    let again = seal(
        &w.finance,
        &message(MessageBody::ClearingNotice(notice(total)), "c2"),
    )?;
    assert!(matches!(
        post(&w, "/pboc/v1/clearing-notice", &again).await,
        Err(SendError::Refused { .. })
    ));

    // The statement of the day lists all four decisions, signed.
    let date = match &receipts[0].body {
        MessageBody::Receipt(r) => r.xpay_date.clone(),
        _ => String::new(),
    };
    let text = w
        .client
        .get(&format!(
            "http://{}/bank/v1/statement?date={date}",
            w.sim.addr
        ))
        .await?;
    let statement = open(&w.finance, &text)?;
    assert!(matches!(&statement.body, MessageBody::Statement(s) if s.lines.len() == 4));
    w.sim.stop().await?;
    Ok(())
}

#[tokio::test]
async fn a_wrong_signature_is_refused_with_no_effect() -> TestResult {
    let w = world(Faults::default(), 0).await?;
    let stranger = generate_sm2_key_pair()?;
    let impostor = Channel::from_keys(
        "finance",
        &stranger.private_key,
        "bank",
        &stranger.public_key,
        &Secret::new("3c".repeat(32)),
    )?;
    let v = voucher(&w.finance, 1, "6228480000001111", "公司")?;
    let envelope = seal(
        &impostor,
        &message(MessageBody::Voucher { vouchers: vec![v] }, "x"),
    )?;
    let result = post(&w, "/bank/v1/vouchers", &envelope).await;
    assert!(
        matches!(result, Err(SendError::Refused { status: 403, .. })),
        "{result:?}"
    );
    let totals = &sim_state(&w).await?["totals"];
    assert_eq!(totals["n_paid"], 0);
    assert_eq!(totals["n_refused_envelopes"], 1);
    Ok(())
}

#[tokio::test]
async fn faults_lose_nothing_and_repeat_only_with_the_same_msg_id() -> TestResult {
    let faults = Faults {
        delay_ms: (0, 30),
        duplicate_ratio: Ratio::parse("1")?,
        reorder: true,
        drop_ratio: Ratio::parse("0.3")?,
        corrupt_signature_ratio: Ratio::parse("0.5")?,
        ..Faults::default()
    };
    // Finance is down for its first 5 requests as well.
    let w = world(faults, 5).await?;
    let n = 40;
    let vouchers = (0..n)
        .map(|i| voucher(&w.finance, i, &format!("62284800{i:04}1111"), "公司"))
        .collect::<Result<Vec<_>, _>>()?;
    for (i, chunk) in vouchers.chunks(10).enumerate() {
        let envelope = seal(
            &w.finance,
            &message(
                MessageBody::Voucher {
                    vouchers: chunk.to_vec(),
                },
                &format!("v{i}"),
            ),
        )?;
        post(&w, "/bank/v1/vouchers", &envelope).await?;
    }
    // Every receipt arrives twice (duplicate ratio 1) with the same msg_id.
    let messages = wait_for(&w, 2 * n).await;
    assert_eq!(messages.len(), 2 * n);
    let mut ids: Vec<&str> = messages.iter().map(|m| m.msg_id.as_str()).collect();
    ids.sort_unstable();
    let pairs = ids
        .chunks(2)
        .all(|pair| pair.len() == 2 && pair[0] == pair[1]);
    assert!(pairs, "each message id exactly twice");
    let mut paid: Vec<String> = messages
        .iter()
        .filter_map(|m| match &m.body {
            MessageBody::Receipt(r) => Some(r.pay_cert_no.clone()),
            _ => None,
        })
        .collect();
    paid.sort();
    paid.dedup();
    assert_eq!(paid.len(), n, "no voucher lost");
    // Each corrupted copy was refused by finance and followed by a good copy.
    let state = sim_state(&w).await?;
    let corrupted = state["delivery"]["corrupted_sent"].as_i64().unwrap_or(-1);
    assert!(corrupted > 0);
    assert_eq!(
        w.receiver.signature_rejections.load(Ordering::SeqCst) as i64,
        corrupted
    );
    assert!(state["delivery"]["drops"].as_i64().unwrap_or(0) > 0);
    assert_eq!(state["totals"]["n_paid"], n as i64);
    Ok(())
}

#[tokio::test]
async fn without_reorder_a_voucher_s_receipt_precedes_its_refund() -> TestResult {
    let w = world(
        Faults {
            delay_ms: (0, 20),
            refund_delay_ms: 0,
            ..Faults::default()
        },
        0,
    )
    .await?;
    let vouchers = (0..10)
        .map(|i| voucher(&w.finance, i, &format!("62284800{i:04}9999"), "公司"))
        .collect::<Result<Vec<_>, _>>()?;
    let envelope = seal(&w.finance, &message(MessageBody::Voucher { vouchers }, "v"))?;
    post(&w, "/bank/v1/vouchers", &envelope).await?;
    let messages = wait_for(&w, 20).await;
    assert_eq!(messages.len(), 20);
    for (index, m) in messages.iter().enumerate() {
        if let MessageBody::RefundNotice(refund) = &m.body {
            let receipt_before = messages[..index].iter().any(|earlier| {
                matches!(&earlier.body, MessageBody::Receipt(r) if r.pay_cert_no == refund.pay_cert_no)
            });
            assert!(
                receipt_before,
                "refund of {} before its receipt",
                refund.pay_cert_no
            );
        }
    }
    Ok(())
}
