//! The outbox: ready vouchers are packaged (up to `VOUCHERS_PER_ENVELOPE_MAX` per envelope),
//! sealed, stored in `bank_outbox` and marked sent in ONE transaction; delivery is then
//! at-least-once — each due message is POSTed, and a failure is retried with exponential
//! backoff (capped, never given up: a voucher handed to the outbox is never dropped) with the
//! same envelope and msg_id, also after a restart. The bank recognises a repeat by msg_id.

use fiscus_core::payment::message::{Message, MessageBody, VoucherMsg};
use fiscus_store::bank::{self as store, OutboxRow};
use time::OffsetDateTime;

use super::jobs::{backoff, new_id, stamp};
use crate::{App, AppError};

/// Vouchers in one envelope at most (ADR 0009).
pub const VOUCHERS_PER_ENVELOPE_MAX: i64 = 500;
/// Envelopes one step packages at most (then it delivers them).
pub const ENVELOPES_PER_STEP_MAX: usize = 8;
/// Outbox messages one step delivers at most.
pub const DELIVERIES_PER_STEP_MAX: i64 = 16;
/// Where a message goes.
pub const DESTINATION_BANK: &str = "bank";
pub const DESTINATION_PBOC: &str = "pboc";

impl App {
    /// Packages the ready vouchers into outbox envelopes; returns how many vouchers.
    pub async fn bank_package_vouchers(&self, now: OffsetDateTime) -> Result<usize, AppError> {
        let mut packaged = 0;
        for _ in 0..ENVELOPES_PER_STEP_MAX {
            let mut tx = self.db.begin().await?;
            let ready_json = fiscus_store::payment::ready_to_send(
                &mut tx,
                VOUCHERS_PER_ENVELOPE_MAX,
                &stamp(now),
            )
            .await?;
            if ready_json.is_empty() {
                break;
            }
            let ready = ready_json
                .iter()
                .map(|json| serde_json::from_str::<VoucherMsg>(json))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| AppError::Internal(format!("stored voucher: {e}")))?;
            if ready.is_empty() {
                break;
            }
            let n_ready = ready.len();
            let ids: Vec<String> = ready.iter().map(|v| v.pay_cert_id.clone()).collect();
            let subject =
                serde_json::to_string(&ids).map_err(|e| AppError::Internal(e.to_string()))?;
            let message = self.bank_message(
                DESTINATION_BANK,
                MessageBody::Voucher { vouchers: ready },
                now,
            )?;
            let envelope = self.bank_seal(DESTINATION_BANK, &message)?;
            store::outbox_insert(
                &mut tx,
                &OutboxRow {
                    msg_id: message.msg_id.clone(),
                    kind: "voucher".into(),
                    destination: DESTINATION_BANK.into(),
                    subject,
                    envelope,
                    status: "pending".into(),
                    attempts: 0,
                    next_attempt_at: stamp(now),
                    last_error: None,
                    created_at: stamp(now),
                    sent_at: None,
                },
            )
            .await?;
            fiscus_store::payment::mark_sent(&mut tx, &ids, &stamp(now)).await?;
            tx.commit().await?;
            packaged += n_ready;
            if (n_ready as i64) < VOUCHERS_PER_ENVELOPE_MAX {
                break;
            }
        }
        Ok(packaged)
    }

    /// Delivers the due outbox messages; returns (delivered, failed attempts).
    pub async fn bank_deliver_outbox(
        &self,
        now: OffsetDateTime,
    ) -> Result<(usize, usize), AppError> {
        let due = store::outbox_due(&self.db, &stamp(now), DELIVERIES_PER_STEP_MAX).await?;
        let (mut delivered, mut failed) = (0, 0);
        for row in due {
            let result = self.bank_post(&row.destination, &row.envelope).await;
            let mut tx = self.db.begin().await?;
            match result {
                Ok(()) => {
                    store::outbox_mark_sent(&mut tx, &row.msg_id, &stamp(now)).await?;
                    delivered += 1;
                }
                Err(error) => {
                    let next = stamp(now + backoff(row.attempts));
                    tracing::info!(msg_id = %row.msg_id, attempts = row.attempts + 1, %error, "delivery failed, will retry");
                    store::outbox_mark_attempt_failed(
                        &mut tx,
                        &row.msg_id,
                        &next,
                        &error.to_string(),
                        false,
                    )
                    .await?;
                    failed += 1;
                }
            }
            tx.commit().await?;
        }
        Ok((delivered, failed))
    }

    /// A new message from us to `destination`, with a fresh msg_id.
    pub(crate) fn bank_message(
        &self,
        destination: &str,
        body: MessageBody,
        now: OffsetDateTime,
    ) -> Result<Message, AppError> {
        let links = self.bank_links()?;
        Ok(Message {
            msg_id: new_id("F")?,
            sender: links.finance_code.clone(),
            receiver: links.peer_code(destination).to_owned(),
            created_at: stamp(now),
            body,
        })
    }
}
