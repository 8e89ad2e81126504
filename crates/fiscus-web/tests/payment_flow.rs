//! The bank messaging machinery over HTTP on both backends: the real router on `127.0.0.1:0`
//! receives signed envelopes at `POST /api/bank/v1/messages` (wrong signature 403 with
//! nothing written, malformed 400, a repeat answered with the first outcome, a conflict
//! recorded, a statement reconciled), and the job worker delivers the outbox to a stand-in
//! bank with retries under the same msg_id. The whole chain against `fiscus-bank-sim` is in
//! `payment_flow/sim_chain.rs` (harness in `payment_flow/chain.rs`).

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "payment_flow/chain.rs"]
mod chain;
#[path = "payment_flow/sim_chain.rs"]
mod sim_chain;
// The demo set-up shared with the application's ledger and payment tests.
#[path = "../../fiscus-app/tests/ledger/support.rs"]
mod support;

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use fiscus_app::bank::crypto::generate_sm2_key_pair;
use fiscus_app::bank::links::{BankLinks, PeerLink};
use fiscus_app::bank::{BankClient, Channel, ClientTimeouts, seal};
use fiscus_app::settings::Secret;
use fiscus_app::{App, Settings};
use fiscus_core::Fen;
use fiscus_core::payment::message::{
    Message, MessageBody, ReceiptMsg, StatementLine, StatementMsg,
};
use fiscus_store::bank as store;
use fiscus_store::testing::TestDb;

const FINANCE: &str = "finance";
const BANK: &str = "bank";
const PBOC: &str = "pboc";

struct World {
    app: App,
    base: String,
    /// The bank's side of the channel: seals what the bank sends us.
    bank_side: Channel,
    /// POSTs the stand-in bank received; it refuses the first `bank_failures`.
    bank_posts: Arc<AtomicUsize>,
    _test_db: TestDb,
}

fn key() -> Secret {
    Secret::new("cd".repeat(32))
}

/// A stand-in bank that answers 503 to its first `failures` POSTs, then 200.
async fn stand_in_bank(failures: usize) -> (String, Arc<AtomicUsize>) {
    let posts = Arc::new(AtomicUsize::new(0));
    let counter = posts.clone();
    let router = axum::Router::new().route(
        "/bank/v1/vouchers",
        axum::routing::post(move |_body: String| {
            let counter = counter.clone();
            async move {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                if n < failures {
                    axum::http::StatusCode::SERVICE_UNAVAILABLE
                } else {
                    axum::http::StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(axum::serve(listener, router).into_future());
    (format!("http://{address}"), posts)
}

async fn world(test_db: TestDb, bank_failures: usize) -> World {
    let settings = Settings {
        secret_key: Secret::new("ab".repeat(32)),
        demo_mode: true,
        ..Default::default()
    };
    let app = App::new(test_db.db.clone(), settings).unwrap();
    let ours = generate_sm2_key_pair().unwrap();
    let bank = generate_sm2_key_pair().unwrap();
    let pboc = generate_sm2_key_pair().unwrap();
    let (bank_url, bank_posts) = stand_in_bank(bank_failures).await;
    let channel = |peer: &str, peer_public: &str| {
        Channel::from_keys(FINANCE, &ours.private_key, peer, peer_public, &key()).unwrap()
    };
    app.set_bank_links(BankLinks {
        finance_code: FINANCE.into(),
        bank: PeerLink {
            channel: channel(BANK, &bank.public_key),
            base_url: bank_url,
        },
        pboc: PeerLink {
            channel: channel(PBOC, &pboc.public_key),
            base_url: "http://127.0.0.1:9".into(),
        },
        client: BankClient::new(ClientTimeouts::default()).unwrap(),
    });
    let bank_side =
        Channel::from_keys(BANK, &bank.private_key, FINANCE, &ours.public_key, &key()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let service =
        fiscus_web::router(app.clone()).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(axum::serve(listener, service).into_future());
    World {
        app,
        base: format!("http://{address}"),
        bank_side,
        bank_posts,
        _test_db: test_db,
    }
}

fn message(msg_id: &str, body: MessageBody) -> Message {
    Message {
        msg_id: msg_id.into(),
        sender: BANK.into(),
        receiver: FINANCE.into(),
        created_at: "2026-11-05T10:00:00Z".into(),
        body,
    }
}

fn receipt(pay_cert_no: &str) -> MessageBody {
    MessageBody::Receipt(ReceiptMsg {
        pay_cert_no: pay_cert_no.into(),
        mof_div_code: "660000000".into(),
        fiscal_year: 2026,
        xpay_amt: Fen(100),
        xpay_date: "2026-11-05".into(),
        agent_business_no: "S1".into(),
    })
}

/// POSTs an envelope as the bank would (with a stray cookie: it must not matter).
async fn post(world: &World, envelope: &str) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/api/bank/v1/messages", world.base))
        .header("content-type", "application/xml; charset=utf-8")
        .header("cookie", "fiscus_session=not-a-session")
        .body(envelope.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

async fn inbox_total(world: &World) -> i64 {
    store::inbox_counts(&world.app.db)
        .await
        .unwrap()
        .iter()
        .map(|(_, _, n)| n)
        .sum()
}

async fn inbound_messages_are_verified_and_applied_once(test_db: TestDb) {
    let world = world(test_db, 0).await;
    // A signature by another key: 403, nothing written.
    let stranger = generate_sm2_key_pair().unwrap();
    let forger = Channel::from_keys(
        BANK,
        &stranger.private_key,
        FINANCE,
        &stranger.public_key,
        &key(),
    )
    .unwrap();
    let forged = seal(&forger, &message("m-forged", receipt("V1"))).unwrap();
    let (status, body) = post(&world, &forged).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("signature_invalid"))
    );
    let good = seal(&world.bank_side, &message("m-1", receipt("V404"))).unwrap();
    let tampered = good.replacen("m-1", "m-2", 1);
    let (status, body) = post(&world, &tampered).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("signature_invalid"))
    );
    let (status, _) = post(&world, "not xml at all").await;
    assert!(status == 400 || status == 403, "{status}");
    assert_eq!(
        inbox_total(&world).await,
        0,
        "nothing written for a refused message"
    );
    // A receipt for a voucher we do not know: a conflict, recorded and listed.
    let (status, body) = post(&world, &good).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["outcome"].as_str(), body["repeat"].as_bool()),
        (Some("conflict"), Some(false))
    );
    // The same msg_id again: the first outcome, nothing new.
    let (status, body) = post(&world, &good).await;
    assert_eq!(
        (status, body["outcome"].as_str(), body["repeat"].as_bool()),
        (200, Some("conflict"), Some(true))
    );
    assert_eq!(inbox_total(&world).await, 1);
    assert_eq!(world.app.bank_open_conflicts().await.unwrap().len(), 1);
}

async fn a_statement_is_reconciled_and_mismatches_listed(test_db: TestDb) {
    let world = world(test_db, 0).await;
    let statement = MessageBody::Statement(StatementMsg {
        statement_date: "2026-11-05".into(),
        bank_code: String::new(),
        lines: vec![StatementLine {
            pay_cert_no: "V-ONLY-AT-BANK".into(),
            xpay_amt: Fen(100),
            agent_business_no: "S9".into(),
            status: "paid".into(),
        }],
    });
    let envelope = seal(&world.bank_side, &message("m-stmt", statement)).unwrap();
    let (status, body) = post(&world, &envelope).await;
    assert_eq!(status, 200, "{body}");
    let items = world
        .app
        .bank_reconciliation_items(Some("2026-11-05"), true)
        .await
        .unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(
        (items[0].pay_cert_no.as_str(), items[0].kind.as_str()),
        ("V-ONLY-AT-BANK", "missing_here")
    );
}

async fn the_outbox_retries_with_the_same_message(test_db: TestDb) {
    let world = world(test_db, 2).await;
    let mut tx = world.app.db.begin().await.unwrap();
    store::outbox_insert(
        &mut tx,
        &store::OutboxRow {
            msg_id: "F-1".into(),
            kind: "voucher".into(),
            destination: "bank".into(),
            subject: "[]".into(),
            envelope: "<MOF/>".into(),
            status: "pending".into(),
            attempts: 0,
            next_attempt_at: "2026-01-01T00:00:00Z".into(),
            last_error: None,
            created_at: "2026-01-01T00:00:00Z".into(),
            sent_at: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // Step by step, with the clock moved past each backoff: 503, 503, then delivered.
    let mut now = time::OffsetDateTime::now_utc();
    let mut delivered = 0;
    for _ in 0..4 {
        let run = world.app.jobs_run_due(now).await.unwrap();
        delivered += run.messages_sent;
        now += time::Duration::minutes(15);
    }
    assert_eq!(delivered, 1);
    assert_eq!(world.bank_posts.load(Ordering::SeqCst), 3);
    let row = store::outbox_message(&world.app.db, "F-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((row.status.as_str(), row.attempts), ("sent", 3));
    // Nothing more to do: the next step is idle.
    assert!(world.app.jobs_run_due(now).await.unwrap().is_idle());
}

fiscus_store::on_both_backends!(
    inbound_messages_are_verified_and_applied_once,
    a_statement_is_reconciled_and_mismatches_listed,
    the_outbox_retries_with_the_same_message,
);
