//! The effects of the bank's and the treasury's messages on vouchers, the ledger and the
//! applications, each inside the caller's transaction (the messaging layer inserts the inbox
//! row in the same one). Each judges the message against the voucher's own state only
//! (`VoucherState::on_*`), so late, repeated or reordered messages cannot corrupt anything:
//! a contradiction is an outcome (`Conflict`) the caller records, never an error. Ledger
//! transfer ids derive from the voucher, so a repeat is also a ledger repeat.
//! Also the reads and marks the sender and clearing need.

use fiscus_core::flow::InstanceState;
use fiscus_core::ledger::{
    AccountId, AccountKind, BgtId, CtrlLevel, Reason, TransferId, TransferKind, TransferSpec,
};
use fiscus_core::payment::application::ApplicationState;
use fiscus_core::payment::message::{
    ClearingReceiptMsg, ReceiptMsg, RefundMsg, ReturnMsg, ReturnReason, VoucherMsg,
};
use fiscus_core::payment::voucher::{AccountingKind, Verdict, VoucherState};
use fiscus_core::{Fen, Rejection};
use fiscus_store::audit::now;
use fiscus_store::ledger::{self as ledger_store, BatchMeta};
use fiscus_store::payment::{self as store, VoucherChange, VoucherRow};
use fiscus_store::{Db, Tx};

use crate::flow::SYSTEM_ACTOR;
use crate::{App, AppError};

/// How a message ended.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum HandlerOutcome {
    Applied,
    /// Its effect happened before; nothing changed.
    Repeat,
    /// It contradicts what we hold; nothing changed. For the treasury division's page.
    Conflict {
        detail: String,
    },
    /// It came before the message it follows; nothing is recorded and the sender must
    /// deliver it again later.
    NotYet {
        detail: String,
    },
}

fn conflict(detail: impl Into<String>) -> HandlerOutcome {
    HandlerOutcome::Conflict {
        detail: detail.into(),
    }
}

/// 支付回单: posts the reservation for the amount paid (the rest is released), voucher paid.
pub async fn on_receipt(
    _app: &App,
    tx: &mut Tx,
    msg: &ReceiptMsg,
) -> Result<HandlerOutcome, AppError> {
    let Some(voucher) = voucher(tx, &msg.mof_div_code, msg.fiscal_year, &msg.pay_cert_no).await?
    else {
        return Ok(conflict(format!("未知的支付凭证 {}", msg.pay_cert_no)));
    };
    match state_of(&voucher)?.on_receipt() {
        Verdict::Repeat => return Ok(HandlerOutcome::Repeat),
        Verdict::Conflict(detail) => return Ok(conflict(detail)),
        Verdict::NotYet(detail) => return Ok(HandlerOutcome::NotYet { detail }),
        Verdict::Apply => {}
    }
    if msg.xpay_amt.0 <= 0 || msg.xpay_amt.0 > voucher.pay_amt {
        return Ok(conflict(format!(
            "实际支付金额 {} 分不在 1 至 {} 分之间",
            msg.xpay_amt.0, voucher.pay_amt
        )));
    }
    let post_id = format!("pay.{}.post", voucher.pay_cert_id);
    let unknown = AccountId::from_stored(String::new());
    let spec = TransferSpec {
        kind: TransferKind::PostPending,
        pending_id: Some(TransferId::parse(&voucher.reserve_transfer_id)?),
        ..TransferSpec::posted(
            TransferId::parse(&post_id)?,
            unknown.clone(),
            unknown,
            msg.xpay_amt,
            Reason::Payment,
            CtrlLevel::Strict,
        )
    };
    let at = now();
    apply(tx, &post_id, &voucher, &[spec], &at).await?;
    let change = VoucherChange {
        status: Some(VoucherState::Paid.code()),
        xpay_amt: Some(msg.xpay_amt.0),
        xpay_date: Some(&msg.xpay_date),
        agent_business_no: Some(&msg.agent_business_no),
        bank_date: Some(&msg.xpay_date),
        ..VoucherChange::default()
    };
    store::change_voucher(tx, &voucher.pay_cert_id, &change, &at).await?;
    set_application(tx, &voucher.pay_app_id, ApplicationState::Paid, &at).await?;
    event(
        tx,
        &format!("payment_posted.{}", voucher.pay_cert_id),
        AccountingKind::PaymentPosted,
        &voucher.pay_cert_id,
        msg.xpay_amt.0,
        &at,
    )
    .await?;
    Ok(HandlerOutcome::Applied)
}

/// 退回: voids the reservation, voucher returned; the application reopens for correction
/// (户名不符, 数据有误) or is cancelled (账户已销户).
pub async fn on_return(
    _app: &App,
    tx: &mut Tx,
    msg: &ReturnMsg,
) -> Result<HandlerOutcome, AppError> {
    let Some(voucher) = voucher(tx, &msg.mof_div_code, msg.fiscal_year, &msg.pay_cert_no).await?
    else {
        return Ok(conflict(format!("未知的支付凭证 {}", msg.pay_cert_no)));
    };
    match state_of(&voucher)?.on_return() {
        Verdict::Repeat => return Ok(HandlerOutcome::Repeat),
        Verdict::Conflict(detail) => return Ok(conflict(detail)),
        Verdict::NotYet(detail) => return Ok(HandlerOutcome::NotYet { detail }),
        Verdict::Apply => {}
    }
    let void_id = format!("pay.{}.void", voucher.pay_cert_id);
    let spec = super::flow::void_spec(&void_id, &voucher.reserve_transfer_id)?;
    let at = now();
    apply(tx, &void_id, &voucher, &[spec], &at).await?;
    // The bank's day (Beijing time), as on its receipts and statement: a return carries no
    // date of its own, and the UTC date differs from the bank's after 16:00 UTC.
    let bank_date = super::business_date_today();
    let change = VoucherChange {
        status: Some(VoucherState::Returned.code()),
        return_reason: Some(msg.reason.code()),
        return_text: Some(&msg.reason_text),
        bank_date: Some(&bank_date),
        ..VoucherChange::default()
    };
    store::change_voucher(tx, &voucher.pay_cert_id, &change, &at).await?;
    let mut row = store::application_for_update(tx, &voucher.pay_app_id)
        .await?
        .ok_or_else(|| AppError::Internal("voucher without application".into()))?;
    row.reserve_transfer_id = None;
    row.updated_at.clone_from(&at);
    let (state, document_status) = match msg.reason {
        ReturnReason::AccountClosed => (ApplicationState::Cancelled, "cancelled"),
        ReturnReason::NameMismatch | ReturnReason::DataError => {
            (ApplicationState::Returned, "returned")
        }
    };
    row.status = state.code().to_owned();
    store::update_application(tx, &row).await?;
    reopen_flow(tx, &voucher.pay_app_id, state, document_status, &at).await?;
    Ok(HandlerOutcome::Applied)
}

/// 收款银行退款通知: money back to the indicator (已支出 → 可用) within the same year; the
/// voucher refunded in part or in full.
pub async fn on_refund(
    _app: &App,
    tx: &mut Tx,
    msg: &RefundMsg,
) -> Result<HandlerOutcome, AppError> {
    let Some(voucher) = voucher(tx, &msg.mof_div_code, msg.fiscal_year, &msg.pay_cert_no).await?
    else {
        return Ok(conflict(format!("未知的支付凭证 {}", msg.pay_cert_no)));
    };
    let refund_id = format!("pay.{}.refund.{}", voucher.pay_cert_id, msg.refund_no);
    let Ok(transfer_id) = TransferId::parse(&refund_id) else {
        return Ok(conflict(format!("退款编号 {} 无效", msg.refund_no)));
    };
    let seen = ledger_store::transfer(tx, &refund_id).await?.is_some();
    let paid_fen = voucher.xpay_amt.unwrap_or(0);
    match state_of(&voucher)?.on_refund(paid_fen, voucher.refunded_amt, msg.refund_amt.0, seen) {
        Verdict::Repeat => return Ok(HandlerOutcome::Repeat),
        Verdict::Conflict(detail) => return Ok(conflict(detail)),
        Verdict::NotYet(detail) => return Ok(HandlerOutcome::NotYet { detail }),
        Verdict::Apply => {}
    }
    let bgt_id = BgtId::parse(&voucher.bgt_id)?;
    let closed = ledger_store::indicators_in_tx(tx, std::slice::from_ref(&bgt_id))
        .await?
        .first()
        .is_none_or(|indicator| indicator.closed);
    if closed {
        let rejection = Rejection::IndicatorClosed {
            bgt_id: voucher.bgt_id.clone(),
        };
        return Ok(conflict(rejection.message()));
    }
    let spec = TransferSpec::posted(
        transfer_id,
        AccountId::of(&bgt_id, AccountKind::Spent),
        AccountId::of(&bgt_id, AccountKind::Avail),
        msg.refund_amt,
        Reason::Refund,
        CtrlLevel::Strict,
    );
    let at = now();
    apply(tx, &refund_id, &voucher, &[spec], &at).await?;
    let refunded_fen = voucher.refunded_amt + msg.refund_amt.0;
    let change = VoucherChange {
        status: Some(VoucherState::after_refunds(paid_fen, refunded_fen).code()),
        refunded_amt: Some(refunded_fen),
        bank_date: Some(&msg.refund_date),
        ..VoucherChange::default()
    };
    store::change_voucher(tx, &voucher.pay_cert_id, &change, &at).await?;
    event(
        tx,
        &format!("refund.{}.{}", voucher.pay_cert_id, msg.refund_no),
        AccountingKind::Refund,
        &voucher.pay_cert_id,
        msg.refund_amt.0,
        &at,
    )
    .await?;
    Ok(HandlerOutcome::Applied)
}

/// 划款凭证回单: the clearing number and date on every voucher of the notice, and the
/// finance general ledger's event per voucher.
pub async fn on_clearing_receipt(
    _app: &App,
    tx: &mut Tx,
    msg: &ClearingReceiptMsg,
) -> Result<HandlerOutcome, AppError> {
    let vouchers = store::vouchers_of_notice_for_update(tx, &msg.notice_no).await?;
    if vouchers.is_empty() {
        return Ok(conflict(format!("未知的清算额度通知单 {}", msg.notice_no)));
    }
    if vouchers
        .iter()
        .all(|voucher| voucher.lqd_cert_no.as_deref() == Some(msg.lqd_cert_no.as_str()))
    {
        return Ok(HandlerOutcome::Repeat);
    }
    if let Some(other) = vouchers
        .iter()
        .find_map(|voucher| voucher.lqd_cert_no.as_ref())
        .filter(|no| **no != msg.lqd_cert_no)
    {
        return Ok(conflict(format!("通知单已由划款凭证 {other} 清算")));
    }
    let total: i128 = vouchers
        .iter()
        .map(|voucher| i128::from(voucher.xpay_amt.unwrap_or(0)))
        .sum();
    if total != i128::from(msg.clear_amt.0) {
        return Ok(conflict(format!(
            "划款金额 {} 分与通知单合计 {total} 分不符",
            msg.clear_amt.0
        )));
    }
    let at = now();
    for voucher in &vouchers {
        let change = VoucherChange {
            lqd_cert_no: Some(&msg.lqd_cert_no),
            act_lqd_date: Some(&msg.act_lqd_date),
            ..VoucherChange::default()
        };
        store::change_voucher(tx, &voucher.pay_cert_id, &change, &at).await?;
        event(
            tx,
            &format!("clearing.{}", voucher.pay_cert_id),
            AccountingKind::Clearing,
            &voucher.pay_cert_id,
            voucher.xpay_amt.unwrap_or(0),
            &at,
        )
        .await?;
    }
    Ok(HandlerOutcome::Applied)
}

/// Vouchers to send now (approved, `next_send_at` ≤ `now`), oldest first.
pub async fn vouchers_ready(
    tx: &mut Tx,
    limit: i64,
    now: &str,
) -> Result<Vec<VoucherMsg>, AppError> {
    store::ready_to_send(tx, limit, now)
        .await?
        .iter()
        .map(|json| {
            serde_json::from_str(json)
                .map_err(|error| AppError::Internal(format!("stored voucher: {error}")))
        })
        .collect()
}

pub async fn mark_sent(tx: &mut Tx, pay_cert_ids: &[String], at: &str) -> Result<(), AppError> {
    Ok(store::mark_sent(tx, pay_cert_ids, at).await?)
}

pub async fn mark_send_failed(
    tx: &mut Tx,
    pay_cert_ids: &[String],
    next_send_at: &str,
) -> Result<(), AppError> {
    Ok(store::mark_send_failed(tx, pay_cert_ids, next_send_at).await?)
}

/// Paid vouchers not yet cleared, paid on or before `clear_date`, per agency bank:
/// (bank_code, [(pay_cert_no, xpay_amt)]).
pub async fn paid_uncleared(
    tx: &mut Tx,
    clear_date: &str,
) -> Result<Vec<(String, Vec<(String, Fen)>)>, AppError> {
    let mut banks: Vec<(String, Vec<(String, Fen)>)> = Vec::new();
    for (bank_code, pay_cert_no, xpay_amt) in store::paid_uncleared(tx, clear_date).await? {
        match banks.last_mut() {
            Some((last, lines)) if *last == bank_code => lines.push((pay_cert_no, Fen(xpay_amt))),
            _ => banks.push((bank_code, vec![(pay_cert_no, Fen(xpay_amt))])),
        }
    }
    Ok(banks)
}

pub async fn mark_notice(
    tx: &mut Tx,
    notice_no: &str,
    pay_cert_nos: &[String],
) -> Result<(), AppError> {
    Ok(store::mark_notice(tx, notice_no, pay_cert_nos).await?)
}

/// Our vouchers the bank had its last word on at `date`, to compare with its statement.
pub async fn vouchers_for_reconciliation(db: &Db, date: &str) -> Result<Vec<VoucherRow>, AppError> {
    Ok(store::vouchers_of_bank_date(db, date).await?)
}

async fn voucher(
    tx: &mut Tx,
    mof_div_code: &str,
    fiscal_year: i32,
    pay_cert_no: &str,
) -> Result<Option<VoucherRow>, AppError> {
    Ok(
        store::voucher_by_no_for_update(tx, mof_div_code, i64::from(fiscal_year), pay_cert_no)
            .await?,
    )
}

fn state_of(voucher: &VoucherRow) -> Result<VoucherState, AppError> {
    VoucherState::from_code(&voucher.status)
        .ok_or_else(|| AppError::Internal(format!("voucher status {}", voucher.status)))
}

async fn apply(
    tx: &mut Tx,
    batch_id: &str,
    voucher: &VoucherRow,
    transfers: &[TransferSpec],
    at: &str,
) -> Result<(), AppError> {
    let meta = BatchMeta {
        batch_id,
        doc_id: Some(&voucher.pay_app_id),
        actor: SYSTEM_ACTOR,
        at,
    };
    ledger_store::apply_transfers(tx, transfers, meta).await?;
    Ok(())
}

async fn set_application(
    tx: &mut Tx,
    pay_app_id: &str,
    state: ApplicationState,
    at: &str,
) -> Result<(), AppError> {
    if let Some(mut row) = store::application_for_update(tx, pay_app_id).await? {
        row.status = state.code().to_owned();
        row.updated_at = at.to_owned();
        store::update_application(tx, &row).await?;
    }
    Ok(())
}

async fn event(
    tx: &mut Tx,
    event_id: &str,
    kind: AccountingKind,
    pay_cert_id: &str,
    amount_fen: i64,
    at: &str,
) -> Result<(), AppError> {
    let entries = serde_json::to_string(&kind.entries())
        .map_err(|error| AppError::Internal(format!("entries: {error}")))?;
    let new = store::insert_accounting_event(
        tx,
        event_id,
        kind.code(),
        Some(pay_cert_id),
        amount_fen,
        &entries,
        at,
    )
    .await?;
    if new {
        // The books follow the event in its own transaction (ADR 0012).
        crate::accounting::generate_in_event_tx(tx, event_id).await?;
    }
    Ok(())
}

/// After a bank return: the approved flow goes back to the submitter (status returned, no
/// current node) so the application can be corrected and submitted again, or ends cancelled.
async fn reopen_flow(
    tx: &mut Tx,
    doc_id: &str,
    state: ApplicationState,
    document_status: &str,
    at: &str,
) -> Result<(), AppError> {
    use fiscus_core::flow::InstanceStatus;
    use fiscus_store::flow as flow_store;
    if let Some(instance) = flow_store::instance_for_update(tx, doc_id).await? {
        let mut flow_state: InstanceState = serde_json::from_str(&instance.state_json)
            .map_err(|error| AppError::Internal(format!("instance state: {error}")))?;
        flow_state.status = match state {
            ApplicationState::Cancelled => InstanceStatus::Cancelled,
            _ => InstanceStatus::Returned,
        };
        flow_state.current_node = None;
        flow_state.path.clear();
        flow_state.last_advance = None;
        flow_state.revision += 1;
        let update = flow_store::InstanceUpdate {
            status: flow_state.status.code(),
            current_node: None,
            state_json: serde_json::to_string(&flow_state)
                .map_err(|error| AppError::Internal(format!("instance state: {error}")))?,
            submitted_at: None,
            finished_at: None,
        };
        if !flow_store::save_instance(tx, &instance.instance_id, instance.revision, &update).await?
        {
            return Err(AppError::Internal(format!("flow of {doc_id} moved")));
        }
    }
    flow_store::update_document(tx, doc_id, document_status, None, at).await?;
    Ok(())
}
