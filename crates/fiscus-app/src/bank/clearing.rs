//! Clearing (清算): per agency bank and day, a 清算额度通知单 over the paid vouchers not yet
//! on a notice goes to the PBOC treasury through the outbox, in the transaction that puts the
//! vouchers on it; the treasury debits the single account, credits the bank and answers with
//! a 划款凭证回单, which the inbox applies (clearing numbers and dates on the vouchers).

use std::collections::BTreeMap;

use fiscus_core::Fen;
use fiscus_core::payment::message::{ClearingNoticeMsg, MessageBody};
use fiscus_store::bank::{self as store, OutboxRow};
use time::OffsetDateTime;

use super::jobs::stamp;
use super::outbox::DESTINATION_PBOC;
use crate::{App, AppError};

/// Vouchers on one notice at most; a bank with more that day gets several notices.
pub const NOTICE_VOUCHERS_MAX: usize = 5_000;

/// The notices sent: (notice_no, bank_code, number of vouchers, total).
pub type NoticesSent = Vec<(String, String, usize, Fen)>;

impl App {
    /// Queues the clearing notices of `clear_date` (the paid vouchers not yet on a notice,
    /// paid on or before it) into the outbox; returns them. Nothing when all are cleared.
    pub async fn bank_send_clearing(
        &self,
        clear_date: &str,
        now: OffsetDateTime,
    ) -> Result<NoticesSent, AppError> {
        let mut tx = self.db.begin().await?;
        let uncleared = fiscus_store::payment::paid_uncleared(&mut tx, clear_date).await?;
        let mut by_bank: BTreeMap<String, Vec<(String, i64)>> = BTreeMap::new();
        for (bank_code, pay_cert_no, xpay_amt) in uncleared {
            by_bank
                .entry(bank_code)
                .or_default()
                .push((pay_cert_no, xpay_amt));
        }
        let compact_date: String = clear_date.chars().filter(char::is_ascii_digit).collect();
        let links = self.bank_links()?;
        let mut sent = NoticesSent::new();
        for (bank_code, vouchers) in by_bank {
            for chunk in vouchers.chunks(NOTICE_VOUCHERS_MAX) {
                let prefix = format!("QS{compact_date}{bank_code}");
                let n_before =
                    store::outbox_count_subject_prefix(&mut tx, "clearing_notice", &prefix).await?;
                let notice_no = format!("{prefix}{:04}", n_before + 1);
                let total: i128 = chunk.iter().map(|(_, amount)| i128::from(*amount)).sum();
                let total = Fen(i64::try_from(total)
                    .map_err(|_| AppError::Internal("clearing total overflows".into()))?);
                let pay_cert_nos: Vec<String> = chunk.iter().map(|(no, _)| no.clone()).collect();
                let notice = ClearingNoticeMsg {
                    notice_no: notice_no.clone(),
                    mof_div_code: links.finance_code.clone(),
                    fiscal_year: clear_date
                        .get(..4)
                        .and_then(|year| year.parse().ok())
                        .unwrap_or_default(),
                    clear_date: clear_date.to_owned(),
                    bank_code: bank_code.clone(),
                    total_amt: total,
                    pay_cert_nos: pay_cert_nos.clone(),
                };
                let message =
                    self.bank_message(DESTINATION_PBOC, MessageBody::ClearingNotice(notice), now)?;
                let envelope = self.bank_seal(DESTINATION_PBOC, &message)?;
                store::outbox_insert(
                    &mut tx,
                    &OutboxRow {
                        msg_id: message.msg_id.clone(),
                        kind: "clearing_notice".into(),
                        destination: DESTINATION_PBOC.into(),
                        subject: notice_no.clone(),
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
                fiscus_store::payment::mark_notice(&mut tx, &notice_no, &pay_cert_nos).await?;
                sent.push((notice_no, bank_code.clone(), chunk.len(), total));
            }
        }
        tx.commit().await?;
        Ok(sent)
    }
}
