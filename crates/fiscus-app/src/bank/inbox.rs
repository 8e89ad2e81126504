//! The inbox: a message from the bank or the treasury is opened (its SM2 signature verified
//! first — a message that does not verify is refused and nothing is written), then applied in
//! ONE transaction with its `bank_inbox` row. The row's primary key is the sender's msg_id: a
//! repeat answers with the first outcome and changes nothing; a handler error rolls the whole
//! transaction back, so the sender retries and nothing is half applied.

use fiscus_core::Rejection;
use fiscus_core::payment::message::{Message, MessageBody};
use fiscus_store::Tx;
use fiscus_store::bank::{self as store, InboxRow};
use time::OffsetDateTime;

use super::jobs::stamp;
use crate::payment::HandlerOutcome;
use crate::{App, AppError};

/// Conflicts listed on the treasury page at most.
pub const CONFLICTS_LISTED_MAX: i64 = 200;

/// What became of a received message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    pub msg_id: String,
    /// applied | repeat (the effect was there already) | conflict.
    pub outcome: String,
    pub detail: String,
    /// This msg_id had been received before: nothing was changed now.
    pub repeat: bool,
}

/// The snake_case code of a message's kind (`receipt`, `refund_notice` …).
fn kind_code(body: &MessageBody) -> String {
    serde_json::to_value(body.kind())
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// What a message is about, for the inbox row.
fn subject_of(body: &MessageBody) -> String {
    match body {
        MessageBody::Receipt(m) => m.pay_cert_no.clone(),
        MessageBody::Return(m) => m.pay_cert_no.clone(),
        MessageBody::RefundNotice(m) => format!("{}/{}", m.pay_cert_no, m.refund_no),
        MessageBody::ClearingReceipt(m) => m.notice_no.clone(),
        MessageBody::Statement(m) => format!("{}/{}", m.bank_code, m.statement_date),
        MessageBody::Voucher { .. } | MessageBody::ClearingNotice(_) => String::new(),
    }
}

impl App {
    /// Receives one envelope (`POST /api/bank/v1/messages`). `Rejected(SignatureInvalid)` or
    /// `Rejected(MessageInvalid)` when it cannot be accepted (nothing written); an internal
    /// error when applying it failed (nothing written; the sender retries).
    pub async fn bank_receive(&self, envelope: &str) -> Result<Received, AppError> {
        let message = self.bank_open(envelope)?;
        if matches!(
            message.body,
            MessageBody::Voucher { .. } | MessageBody::ClearingNotice(_)
        ) {
            // Finance sends these; it never receives them.
            return Err(Rejection::MessageInvalid {
                detail: "财政不接收此类报文",
            }
            .into());
        }
        let now = OffsetDateTime::now_utc();
        let mut tx = self.db.begin().await?;
        let row = InboxRow {
            msg_id: message.msg_id.clone(),
            kind: kind_code(&message.body),
            sender: message.sender.clone(),
            subject: subject_of(&message.body),
            received_at: stamp(now),
            outcome: "applied".into(),
            detail: String::new(),
            resolved_at: None,
        };
        if !store::inbox_insert(&mut tx, &row).await? {
            let first = store::inbox_message(&mut tx, &message.msg_id).await?;
            drop(tx);
            let first = first.ok_or_else(|| {
                AppError::Internal(format!("inbox row {} vanished", message.msg_id))
            })?;
            return Ok(Received {
                msg_id: first.msg_id,
                outcome: first.outcome,
                detail: first.detail,
                repeat: true,
            });
        }
        let outcome = self.bank_apply(&mut tx, &message, now).await?;
        if let HandlerOutcome::NotYet { detail } = &outcome {
            // Out of order: nothing is kept (not even the inbox row), the sender retries.
            tracing::info!(msg_id = %message.msg_id, %detail, "bank message ahead of its predecessor");
            drop(tx);
            return Err(Rejection::MessageOutOfOrder.into());
        }
        let (outcome, detail) = match outcome {
            HandlerOutcome::Conflict { detail } => {
                tracing::warn!(msg_id = %message.msg_id, %detail, "bank message conflicts with our state");
                store::inbox_set_outcome(&mut tx, &message.msg_id, "conflict", &detail).await?;
                ("conflict".to_owned(), detail)
            }
            HandlerOutcome::Repeat => {
                // A resend under a new msg_id of an effect already applied.
                store::inbox_set_outcome(&mut tx, &message.msg_id, "repeat", "").await?;
                ("repeat".to_owned(), String::new())
            }
            HandlerOutcome::Applied | HandlerOutcome::NotYet { .. } => {
                ("applied".to_owned(), String::new())
            }
        };
        // The change history of the voucher names the message that changed it.
        let mut entry = fiscus_store::audit::AuditEntry::by(None, "bank_message");
        entry.user_name.clone_from(&message.sender);
        entry.entity = Some("payment_voucher");
        entry.entity_key = Some(subject_of(&message.body));
        entry.changes = Some(
            serde_json::json!({
                "msg_id": message.msg_id,
                "kind": kind_code(&message.body),
                "outcome": outcome,
                "detail": detail,
            })
            .to_string(),
        );
        fiscus_store::audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(Received {
            msg_id: message.msg_id,
            outcome,
            detail,
            repeat: false,
        })
    }

    /// The effect of one message, inside the inbox transaction.
    async fn bank_apply(
        &self,
        tx: &mut Tx,
        message: &Message,
        now: OffsetDateTime,
    ) -> Result<HandlerOutcome, AppError> {
        match &message.body {
            MessageBody::Receipt(receipt) => crate::payment::on_receipt(self, tx, receipt).await,
            MessageBody::Return(returned) => crate::payment::on_return(self, tx, returned).await,
            MessageBody::RefundNotice(refund) => crate::payment::on_refund(self, tx, refund).await,
            MessageBody::ClearingReceipt(receipt) => {
                crate::payment::on_clearing_receipt(self, tx, receipt).await
            }
            MessageBody::Statement(statement) => {
                super::reconcile::reconcile_in_tx(self, tx, statement, now).await?;
                Ok(HandlerOutcome::Applied)
            }
            MessageBody::Voucher { .. } | MessageBody::ClearingNotice(_) => {
                Err(Rejection::MessageInvalid {
                    detail: "财政不接收此类报文",
                }
                .into())
            }
        }
    }

    /// Conflicts not yet resolved, newest first (the treasury page).
    pub async fn bank_open_conflicts(&self) -> Result<Vec<InboxRow>, AppError> {
        Ok(store::inbox_open_conflicts(&self.db, CONFLICTS_LISTED_MAX).await?)
    }
}
