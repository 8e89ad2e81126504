//! Daily reconciliation (对账): the bank's statement of a day (直接支付日报) is compared with
//! our vouchers the bank had its word on that day; every mismatch — missing on either side,
//! amount or status differing — is stored in `reconciliation_item` and shown on the treasury
//! division's 对账 page. A rerun of the same day replaces the findings (kept, added, resolved).

use std::collections::BTreeMap;

use fiscus_core::Fen;
use fiscus_core::payment::message::{MessageBody, StatementLine, StatementMsg};
use fiscus_store::Tx;
use fiscus_store::bank::{self as store, ReconItemRow, ReconRunRow};
use fiscus_store::payment::VoucherRow;
use time::OffsetDateTime;

use super::jobs::stamp;
use crate::{App, AppError};

/// Mismatches listed at most.
pub const RECON_ITEMS_LISTED_MAX: i64 = 1_000;

/// What a reconciliation found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    pub recon_date: String,
    pub n_ours: usize,
    pub n_theirs: usize,
    pub mismatches: Vec<Mismatch>,
}

/// One mismatch between our side and the bank's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    pub pay_cert_no: String,
    /// missing_at_bank | missing_here | amount_differs | status_differs.
    pub kind: &'static str,
    pub ours: String,
    pub theirs: String,
}

/// Our status of a voucher as the bank's statement of `date` words it.
fn our_status(voucher: &VoucherRow, date: &str) -> &'static str {
    if voucher.bank_date.as_deref() != Some(date) {
        // Paid that day, something else happened later: that day it was paid.
        return "paid";
    }
    match voucher.status.as_str() {
        "returned" => "returned",
        "refunded" | "partly_refunded" => "refunded",
        _ => "paid",
    }
}

fn side(status: &str, amount_fen: i64) -> String {
    format!("{status} {}", Fen(amount_fen).to_yuan_string())
}

/// Compares our vouchers of a day with the bank's lines of that day. Pure.
pub fn compare(date: &str, ours: &[VoucherRow], theirs: &[StatementLine]) -> Vec<Mismatch> {
    let ours_by_no: BTreeMap<&str, &VoucherRow> =
        ours.iter().map(|v| (v.pay_cert_no.as_str(), v)).collect();
    let theirs_by_no: BTreeMap<&str, &StatementLine> =
        theirs.iter().map(|l| (l.pay_cert_no.as_str(), l)).collect();
    let mut mismatches = Vec::new();
    for (no, voucher) in &ours_by_no {
        let status = our_status(voucher, date);
        let amount = voucher.xpay_amt.unwrap_or(0);
        let ours_text = side(status, amount);
        let Some(line) = theirs_by_no.get(no) else {
            mismatches.push(Mismatch {
                pay_cert_no: (*no).to_owned(),
                kind: "missing_at_bank",
                ours: ours_text,
                theirs: String::new(),
            });
            continue;
        };
        let theirs_text = side(&line.status, line.xpay_amt.0);
        if line.status != status {
            mismatches.push(Mismatch {
                pay_cert_no: (*no).to_owned(),
                kind: "status_differs",
                ours: ours_text,
                theirs: theirs_text,
            });
        } else if status != "returned" && line.xpay_amt.0 != amount {
            mismatches.push(Mismatch {
                pay_cert_no: (*no).to_owned(),
                kind: "amount_differs",
                ours: ours_text,
                theirs: theirs_text,
            });
        }
    }
    for (no, line) in &theirs_by_no {
        if !ours_by_no.contains_key(no) {
            mismatches.push(Mismatch {
                pay_cert_no: (*no).to_owned(),
                kind: "missing_here",
                ours: String::new(),
                theirs: side(&line.status, line.xpay_amt.0),
            });
        }
    }
    mismatches
}

/// Reconciles one statement and stores the findings in `tx`.
pub(crate) async fn reconcile_in_tx(
    app: &App,
    tx: &mut Tx,
    statement: &StatementMsg,
    now: OffsetDateTime,
) -> Result<ReconcileReport, AppError> {
    let date = statement.statement_date.as_str();
    let ours: Vec<VoucherRow> = fiscus_store::payment::vouchers_of_bank_date(&app.db, date)
        .await?
        .into_iter()
        .filter(|v| v.bank_code == statement.bank_code || statement.bank_code.is_empty())
        .collect();
    let mismatches = compare(date, &ours, &statement.lines);
    let ran_at = stamp(now);
    let items: Vec<ReconItemRow> = mismatches
        .iter()
        .map(|m| ReconItemRow {
            recon_date: date.to_owned(),
            pay_cert_no: m.pay_cert_no.clone(),
            kind: m.kind.to_owned(),
            bank_code: statement.bank_code.clone(),
            ours: m.ours.clone(),
            theirs: m.theirs.clone(),
            found_at: ran_at.clone(),
            resolved_at: None,
        })
        .collect();
    let run = ReconRunRow {
        recon_date: date.to_owned(),
        bank_code: statement.bank_code.clone(),
        n_ours: ours.len() as i64,
        n_theirs: statement.lines.len() as i64,
        n_mismatches: items.len() as i64,
        ran_at,
    };
    store::recon_save(tx, &run, &items).await?;
    if !mismatches.is_empty() {
        tracing::warn!(
            recon_date = date,
            n_mismatches = mismatches.len(),
            "reconciliation found mismatches"
        );
    }
    Ok(ReconcileReport {
        recon_date: date.to_owned(),
        n_ours: ours.len(),
        n_theirs: statement.lines.len(),
        mismatches,
    })
}

impl App {
    /// Fetches the bank's statement of `recon_date` (signed; verified first), compares it
    /// with our vouchers and stores the findings.
    pub async fn bank_reconcile(
        &self,
        recon_date: &str,
        now: OffsetDateTime,
    ) -> Result<ReconcileReport, AppError> {
        let envelope = self.bank_fetch_statement(recon_date).await?;
        let message = self.bank_open(&envelope)?;
        let MessageBody::Statement(statement) = message.body else {
            return Err(AppError::Internal(
                "the bank answered the statement request with another message".into(),
            ));
        };
        if statement.statement_date != recon_date {
            return Err(AppError::Internal(format!(
                "asked for the statement of {recon_date}, got {}",
                statement.statement_date
            )));
        }
        let mut tx = self.db.begin().await?;
        let report = reconcile_in_tx(self, &mut tx, &statement, now).await?;
        tx.commit().await?;
        Ok(report)
    }

    /// Mismatches of one date (or all), open ones only or all: the 对账 page.
    pub async fn bank_reconciliation_items(
        &self,
        recon_date: Option<&str>,
        open_only: bool,
    ) -> Result<Vec<ReconItemRow>, AppError> {
        Ok(store::recon_items(&self.db, recon_date, open_only, RECON_ITEMS_LISTED_MAX).await?)
    }
}
