//! Delivery of the bank's messages to finance: after the configured delay, with the fault
//! flags, retried with backoff until finance answers 2xx. Without `reorder`, messages go out
//! through lanes keyed by voucher number (a voucher's receipt always precedes its refund);
//! with it, each message travels on its own task and random delays reorder them.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use fiscus_app::bank::{BankClient, SendError, seal};
use fiscus_core::payment::message::Message;
use tokio::sync::{Semaphore, mpsc};

use crate::Shared;

/// Lanes of in-order delivery; a voucher always travels on the same lane.
const LANES: usize = 8;
const BACKOFF_START_MS: u64 = 20;
const BACKOFF_MAX_MS: u64 = 2_000;
/// Deliveries posting to finance at once at most, as a bank's connection pool bounds them
/// (as many as the lanes). Without the bound, reordering (one task per message) opens a
/// connection per voucher of an envelope at once, and finance's database pool (16 on
/// PostgreSQL) times them out by the hundred.
const CONNECTIONS_MAX: usize = LANES;

/// One message on its way, with the key that picks its lane.
pub(crate) struct Outbound {
    pub lane_key: String,
    pub message: Message,
}

/// Where the bank's decisions go: lanes, or one task per message when reordering.
pub(crate) struct Deliverer {
    lanes: Vec<mpsc::UnboundedSender<Outbound>>,
    connections: Arc<Semaphore>,
}

impl Deliverer {
    pub(crate) fn start(shared: &Arc<Shared>) -> Deliverer {
        let connections = Arc::new(Semaphore::new(CONNECTIONS_MAX));
        let mut lanes = Vec::with_capacity(LANES);
        for _ in 0..LANES {
            let (sender, mut receiver) = mpsc::unbounded_channel::<Outbound>();
            let (shared, connections) = (Arc::clone(shared), Arc::clone(&connections));
            tokio::spawn(async move {
                while let Some(outbound) = receiver.recv().await {
                    deliver(&shared, &connections, outbound.message).await;
                }
            });
            lanes.push(sender);
        }
        Deliverer { lanes, connections }
    }

    pub(crate) fn send(&self, shared: &Arc<Shared>, outbound: Outbound) {
        shared.counters.queued.fetch_add(1, Ordering::Relaxed);
        if shared.config.faults.reorder {
            let (shared, connections) = (Arc::clone(shared), Arc::clone(&self.connections));
            tokio::spawn(async move { deliver(&shared, &connections, outbound.message).await });
            return;
        }
        let lane = lane_of(&outbound.lane_key);
        if let Some(sender) = self.lanes.get(lane) {
            // A closed lane means the simulator is shutting down.
            let _ = sender.send(outbound);
        }
    }
}

fn lane_of(key: &str) -> usize {
    let hash = key.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    });
    usize::try_from(hash % LANES as u64).unwrap_or(0)
}

/// Seals, delays, applies the faults and posts until finance takes it.
async fn deliver(shared: &Arc<Shared>, connections: &Semaphore, message: Message) {
    let envelope = match seal(&shared.config.channel, &message) {
        Ok(envelope) => envelope,
        Err(error) => {
            tracing::error!(msg_id = %message.msg_id, %error, "cannot seal");
            return;
        }
    };
    let faults = &shared.config.faults;
    let (delay_min, delay_max) = faults.delay_ms;
    let delay = shared.rng.between(delay_min, delay_max);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    // The delay above runs unbounded (so delays still reorder); posting takes a connection.
    let Ok(_connection) = connections.acquire().await else {
        return; // closed: the simulator is shutting down
    };
    let url = format!(
        "{}/api/bank/v1/messages",
        shared.config.finance_url.trim_end_matches('/')
    );
    if shared.rng.hit(faults.corrupt_signature_ratio) {
        // A corrupted copy first; finance must refuse it, and the good copy follows.
        let corrupted = corrupt_signature(&envelope);
        shared
            .counters
            .corrupted_sent
            .fetch_add(1, Ordering::Relaxed);
        let _ = post_until_answered(shared, &shared.client, &url, &corrupted, false).await;
    }
    if post_until_answered(shared, &shared.client, &url, &envelope, true).await {
        shared.counters.delivered.fetch_add(1, Ordering::Relaxed);
        if shared.rng.hit(faults.duplicate_ratio) {
            shared
                .counters
                .duplicates_sent
                .fetch_add(1, Ordering::Relaxed);
            let _ = post_until_answered(shared, &shared.client, &url, &envelope, true).await;
        }
    }
}

/// Posts until finance answers. A 2xx is `true`; a 4xx ends the attempts (`false`). With
/// `may_drop`, an attempt may be lost on the way (the drop fault) and is then retried.
async fn post_until_answered(
    shared: &Arc<Shared>,
    client: &BankClient,
    url: &str,
    envelope: &str,
    may_drop: bool,
) -> bool {
    let mut backoff_ms = BACKOFF_START_MS;
    loop {
        shared.counters.attempts.fetch_add(1, Ordering::Relaxed);
        let lost = may_drop && shared.rng.hit(shared.config.faults.drop_ratio);
        let result = if lost {
            shared.counters.drops.fetch_add(1, Ordering::Relaxed);
            Err(SendError::Retryable("dropped by the drop fault".into()))
        } else {
            client.send(url, envelope.to_string()).await
        };
        match result {
            Ok(_) => return true,
            Err(SendError::Refused { status, body }) => {
                shared.counters.refused.fetch_add(1, Ordering::Relaxed);
                tracing::info!(status, body = %body, "finance refused a message");
                return false;
            }
            Err(SendError::Retryable(reason)) => {
                tracing::debug!(%reason, backoff_ms, "delivery failed; retrying");
                tokio::time::sleep(Duration::from_millis(backoff_ms)).await;
                backoff_ms = (backoff_ms * 2).min(BACKOFF_MAX_MS);
            }
        }
    }
}

/// The envelope with one character of its signature changed (still valid Base64).
pub(crate) fn corrupt_signature(envelope: &str) -> String {
    let Some(start) = envelope.rfind("<Sign ") else {
        return envelope.to_string();
    };
    let Some(value_at) = envelope[start..].find("\">").map(|at| start + at + 2) else {
        return envelope.to_string();
    };
    let mut bytes = envelope.as_bytes().to_vec();
    if let Some(byte) = bytes.get_mut(value_at + 3) {
        *byte = if *byte == b'A' { b'B' } else { b'A' };
    }
    String::from_utf8(bytes).unwrap_or_else(|_| envelope.to_string())
}
