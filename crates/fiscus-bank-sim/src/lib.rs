//! The agency bank (代理银行) and the PBOC treasury (人民银行国库), simulated over the real
//! protocol of `fiscus_app::bank` (signed, encrypted envelopes), with fault flags. It is a
//! separate process that outlives finance's restarts; its state lives in memory.
//!
//! - `POST /bank/v1/vouchers`: an envelope of vouchers. A bad signature is refused with 403 and
//!   no effect; otherwise a signed ack, then each voucher is paid or returned (rules in
//!   `bank.rs`) and a receipt or return is delivered to `{finance_url}/api/bank/v1/messages`,
//!   later a refund notice for some.
//! - `POST /pboc/v1/clearing-notice`: a 清算额度通知单; checked, 271 debited and 371 credited,
//!   a 划款凭证回单 delivered. A wrong total is refused with 409 and no effect.
//! - `GET /bank/v1/statement?date=YYYY-MM-DD`: the signed 直接支付日报.
//! - `GET /sim/v1/state`: totals and delivery counters as JSON.
//!
//! A repeated message id gets the first answer and changes nothing. Deliveries retry until
//! finance answers 2xx; a duplicate delivery is the same envelope (same `MsgId`).

mod bank;
mod deliver;
mod faults;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use fiscus_app::bank::{BankClient, Channel, ClientTimeouts, open, seal, seal_ack};
use fiscus_core::Rejection;
use fiscus_core::payment::message::{Message, MessageBody};

pub use bank::{TREASURY_OPENING_FEN, Totals};
pub use faults::{Faults, Ratio, SimRng};

use deliver::{Deliverer, Outbound};

/// How the simulator runs: where it listens, where finance is, its side of the channel
/// (the bank's SM2 key, finance's public key, the shared SM4 key), the faults and the seed.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub bind: SocketAddr,
    /// Finance's base URL; messages go to `{finance_url}/api/bank/v1/messages`.
    pub finance_url: String,
    pub channel: Channel,
    /// The bank code on statements.
    pub bank_code: String,
    pub faults: Faults,
    pub seed: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on {bind}: {source}")]
    Bind {
        bind: SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    Serve(String),
}

/// Delivery counters (`GET /sim/v1/state` → `delivery`).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub queued: AtomicI64,
    pub delivered: AtomicI64,
    pub attempts: AtomicI64,
    pub drops: AtomicI64,
    pub duplicates_sent: AtomicI64,
    pub corrupted_sent: AtomicI64,
    pub refused: AtomicI64,
}

pub(crate) struct Shared {
    pub config: SimConfig,
    pub client: BankClient,
    pub rng: SimRng,
    pub counters: Counters,
    pub state: Mutex<bank::BankState>,
    deliverer: Mutex<Option<Arc<Deliverer>>>,
}

/// A running simulator: its address, and `stop` to end it.
pub struct SimHandle {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), SimError>>,
}

impl SimHandle {
    pub async fn stop(mut self) -> Result<(), SimError> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        (&mut self.task)
            .await
            .map_err(|e| SimError::Serve(e.to_string()))?
    }
}

/// Starts the simulator on `127.0.0.1:0` (the `bind` of the config is ignored): for tests.
pub async fn spawn(mut config: SimConfig) -> Result<SimHandle, SimError> {
    config.bind = SocketAddr::from(([127, 0, 0, 1], 0));
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|source| SimError::Bind {
            bind: config.bind,
            source,
        })?;
    let addr = listener
        .local_addr()
        .map_err(|e| SimError::Serve(e.to_string()))?;
    let (sender, receiver) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, config, async move {
        let _ = receiver.await;
    }));
    Ok(SimHandle {
        addr,
        shutdown: Some(sender),
        task,
    })
}

/// Runs the simulator on `config.bind` until `shutdown` completes.
pub async fn run(
    config: SimConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), SimError> {
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|source| SimError::Bind {
            bind: config.bind,
            source,
        })?;
    serve(listener, config, shutdown).await
}

async fn serve(
    listener: tokio::net::TcpListener,
    config: SimConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), SimError> {
    let client =
        BankClient::new(ClientTimeouts::default()).map_err(|e| SimError::Serve(e.to_string()))?;
    let shared = Arc::new(Shared {
        rng: SimRng::new(config.seed),
        config,
        client,
        counters: Counters::default(),
        state: Mutex::new(bank::BankState::default()),
        deliverer: Mutex::new(None),
    });
    let deliverer = Arc::new(Deliverer::start(&shared));
    if let Ok(mut slot) = shared.deliverer.lock() {
        *slot = Some(deliverer);
    }
    let router = axum::Router::new()
        .route("/bank/v1/vouchers", post(vouchers))
        .route("/pboc/v1/clearing-notice", post(clearing_notice))
        .route("/bank/v1/statement", get(statement))
        .route("/sim/v1/state", get(sim_state))
        .layer(axum::extract::DefaultBodyLimit::max(
            shared.config.channel.envelope_bytes_max,
        ))
        .with_state(Arc::clone(&shared));
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| SimError::Serve(e.to_string()))
}

fn answer(status: StatusCode, text: &str) -> Response {
    (status, text.to_string()).into_response()
}

fn today() -> String {
    let now = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+8));
    let date = now.date();
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+8))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A new message from the bank to finance with a fresh id.
fn outgoing(shared: &Shared, body: MessageBody) -> Message {
    let msg_id = fiscus_app::crypto::random_id().unwrap_or_else(|_| shared.rng.id());
    Message {
        msg_id,
        sender: shared.config.channel.our_name.clone(),
        receiver: shared.config.channel.peer_name.clone(),
        created_at: now_rfc3339(),
        body,
    }
}

fn enqueue(shared: &Arc<Shared>, lane_key: &str, body: MessageBody) {
    let message = outgoing(shared, body);
    let deliverer = shared.deliverer.lock().ok().and_then(|slot| slot.clone());
    if let Some(deliverer) = deliverer {
        deliverer.send(
            shared,
            Outbound {
                lane_key: lane_key.to_string(),
                message,
            },
        );
    }
}

/// Opens an inbound envelope: 503 for the drop fault, 403 for a bad signature, 400 for bad
/// content. Either the message or the answer to give.
fn receive(shared: &Shared, envelope: &str) -> Result<Message, Box<Response>> {
    if shared.rng.hit(shared.config.faults.drop_ratio) {
        shared.counters.drops.fetch_add(1, Ordering::Relaxed);
        let lost = answer(StatusCode::SERVICE_UNAVAILABLE, "模拟故障：请求丢失");
        return Err(Box::new(lost));
    }
    open(&shared.config.channel, envelope).map_err(|rejection| {
        if let Ok(mut state) = shared.state.lock() {
            state.totals.n_refused_envelopes += 1;
        }
        let status = match rejection {
            Rejection::SignatureInvalid => StatusCode::FORBIDDEN,
            _ => StatusCode::BAD_REQUEST,
        };
        Box::new(answer(status, &rejection.message()))
    })
}

fn internal() -> Response {
    answer(StatusCode::INTERNAL_SERVER_ERROR, "模拟银行内部错误")
}

async fn vouchers(State(shared): State<Arc<Shared>>, envelope: String) -> Response {
    let message = match receive(&shared, &envelope) {
        Ok(message) => message,
        Err(response) => return *response,
    };
    let MessageBody::Voucher { vouchers } = message.body else {
        return answer(StatusCode::BAD_REQUEST, "此地址只收支付凭证");
    };
    let decided_date = today();
    let mut decisions = Vec::new();
    let ack = {
        let Ok(mut state) = shared.state.lock() else {
            return internal();
        };
        if let Some(ack) = state.answered.get(&message.msg_id) {
            return answer(StatusCode::OK, ack);
        }
        let Ok(ack) = seal_ack(&shared.config.channel, &message.msg_id, vouchers.len()) else {
            return internal();
        };
        state.totals.n_voucher_envelopes += 1;
        for voucher in vouchers {
            let signatures_ok = shared.config.channel.verify_voucher_signatures(&voucher);
            let refund_draw = shared.rng.hit(shared.config.faults.refund_ratio);
            let no = voucher.pay_cert_no.clone();
            if let Some(decision) = state.decide(voucher, signatures_ok, &decided_date, refund_draw)
            {
                decisions.push((no, decision));
            }
        }
        state.answered.insert(message.msg_id.clone(), ack.clone());
        ack
    };
    for (no, decision) in decisions {
        enqueue(&shared, &no, decision.body);
        if decision.refund_later {
            let shared = Arc::clone(&shared);
            let delay = shared.config.faults.refund_delay_ms;
            tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
                let body = shared
                    .state
                    .lock()
                    .ok()
                    .and_then(|mut state| state.refund(&no, &today()));
                if let Some(body) = body {
                    enqueue(&shared, &no, body);
                }
            });
        }
    }
    answer(StatusCode::OK, &ack)
}

async fn clearing_notice(State(shared): State<Arc<Shared>>, envelope: String) -> Response {
    let message = match receive(&shared, &envelope) {
        Ok(message) => message,
        Err(response) => return *response,
    };
    let MessageBody::ClearingNotice(notice) = message.body else {
        return answer(StatusCode::BAD_REQUEST, "此地址只收清算额度通知单");
    };
    let (ack, receipt) = {
        let Ok(mut state) = shared.state.lock() else {
            return internal();
        };
        if let Some(ack) = state.answered.get(&message.msg_id) {
            return answer(StatusCode::OK, ack);
        }
        let receipt = match state.clear(&notice, &today()) {
            Ok(receipt) => receipt,
            Err(reason) => return answer(StatusCode::CONFLICT, reason),
        };
        let Ok(ack) = seal_ack(&shared.config.channel, &message.msg_id, 1) else {
            return internal();
        };
        state.answered.insert(message.msg_id.clone(), ack.clone());
        (ack, receipt)
    };
    let lane_key = receipt.notice_no.clone();
    enqueue(&shared, &lane_key, MessageBody::ClearingReceipt(receipt));
    answer(StatusCode::OK, &ack)
}

#[derive(serde::Deserialize)]
struct StatementQuery {
    date: String,
}

async fn statement(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<StatementQuery>,
) -> Response {
    let valid = time::Date::parse(
        &query.date,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .is_ok();
    if !valid {
        return answer(StatusCode::BAD_REQUEST, "日期格式应为 YYYY-MM-DD");
    }
    let body = match shared.state.lock() {
        Ok(state) => state.statement(&query.date, &shared.config.bank_code),
        Err(_) => return internal(),
    };
    match seal(
        &shared.config.channel,
        &outgoing(&shared, MessageBody::Statement(body)),
    ) {
        Ok(envelope) => answer(StatusCode::OK, &envelope),
        Err(_) => internal(),
    }
}

async fn sim_state(State(shared): State<Arc<Shared>>) -> Response {
    let Ok(totals) = shared.state.lock().map(|state| state.totals.clone()) else {
        return internal();
    };
    let c = &shared.counters;
    let load = |counter: &AtomicI64| counter.load(Ordering::Relaxed);
    axum::Json(serde_json::json!({
        "totals": totals,
        "delivery": {
            "queued": load(&c.queued),
            "delivered": load(&c.delivered),
            "attempts": load(&c.attempts),
            "drops": load(&c.drops),
            "duplicates_sent": load(&c.duplicates_sent),
            "corrupted_sent": load(&c.corrupted_sent),
            "refused": load(&c.refused),
        },
    }))
    .into_response()
}
