//! The payment application inside its flow: what happens in the flow's own transaction on
//! 送审 (checks and the reservation), on final approval (the signed voucher) and when the
//! document is rejected, cancelled, returned or withdrawn. Called by `flow::engine`.

use fiscus_core::flow::{Decision, InstanceState, TaskStatus};
use fiscus_core::ledger::control::{PaymentElements, element_mismatch};
use fiscus_core::ledger::{
    AccountId, AccountKind, BgtId, ControlPoint, CtrlLevel, Reason, TransferId, TransferKind,
    TransferSpec,
};
use fiscus_core::masterdata::ACC_TYPE_ZERO_BALANCE;
use fiscus_core::payment::application::{ApplicationState, PaymentDraft};
use fiscus_core::payment::message::{SignatureEntry, VoucherMsg};
use fiscus_core::payment::voucher::{VoucherState, voucher_no};
use fiscus_core::{Fen, Principal, Rejection};
use fiscus_store::Tx;
use fiscus_store::audit::{AuditEntry, append, now};
use fiscus_store::flow::DocumentRow;
use fiscus_store::ledger::{self as ledger_store, BatchMeta};
use fiscus_store::payment::{self as store, ApplicationRow, VoucherRow};

use crate::{App, AppError, RequestCtx};

/// 送审: the application must still hold against its indicator now — scope, rules, elements,
/// blacklist, contract — then its amount is reserved (`pay.{pay_app_id}.r{n}`), after voiding
/// the previous live reservation of an earlier submission.
pub(crate) async fn on_submit(
    _app: &App,
    tx: &mut Tx,
    who: &Principal,
    document: &DocumentRow,
) -> Result<(), AppError> {
    let mut row = application(tx, &document.doc_id).await?;
    let draft: PaymentDraft = serde_json::from_str(&document.payload)
        .map_err(|error| AppError::Internal(format!("payment payload: {error}")))?;
    let parsed = draft.parse()?;
    let bgt_id = BgtId::parse(&row.bgt_id)?;
    // Scoped, inside the flow transaction (no second connection while this one is held).
    let indicator = ledger_store::visible_indicators_in_tx(
        tx,
        fiscus_store::records::Viewer::User(who),
        std::slice::from_ref(&bgt_id),
    )
    .await?
    .into_iter()
    .next()
    .ok_or(Rejection::NotFound { what: "指标" })?;
    if indicator.closed {
        return Err(Rejection::IndicatorClosed {
            bgt_id: row.bgt_id.clone(),
        }
        .into());
    }
    if indicator.elements.bgt_exe_flag != fiscus_core::ledger::ExeFlag::Executable {
        return Err(Rejection::IndicatorNotExecutable {
            bgt_id: row.bgt_id.clone(),
        }
        .into());
    }
    if store::blacklisted(tx, &row.payee_acct_no).await?.is_some() {
        return Err(Rejection::PayeeBlacklisted {
            payee_acct_no: row.payee_acct_no.clone(),
        }
        .into());
    }
    parsed.check_contract(indicator.elements.is_gov_pur)?;
    let controls = ledger_store::controls(tx).await?;
    let elements = PaymentElements {
        agency_code: row.agency_code.clone(),
        pro_code: row.pro_code.clone(),
        exp_func_code: row.exp_func_code.clone(),
        gov_bgt_eco_code: row.gov_bgt_eco_code.clone(),
        dep_bgt_eco_code: row.dep_bgt_eco_code.clone(),
        fund_type_code: row.fund_type_code.clone(),
    };
    let match_level = controls.level_for(&indicator.elements, ControlPoint::ElementMatch);
    let mut warned = None;
    if match_level != CtrlLevel::None
        && let Some(mismatch) =
            element_mismatch(&indicator.elements, &elements, controls.eco_refinement)
    {
        if match_level == CtrlLevel::Strict {
            return Err(mismatch.into());
        }
        warned = Some(mismatch.message());
    }
    let at = now();
    let mut transfers = Vec::new();
    if let Some(live) = &row.reserve_transfer_id {
        transfers.push(void_spec(&format!("{live}.void"), live)?);
    }
    let reserve_no = row.reserve_no + 1;
    let reserve_id = format!("pay.{}.r{reserve_no}", row.pay_app_id);
    transfers.push(TransferSpec {
        kind: TransferKind::Pending,
        ..TransferSpec::posted(
            TransferId::parse(&reserve_id)?,
            AccountId::of(&bgt_id, AccountKind::Avail),
            AccountId::of(&bgt_id, AccountKind::Spent),
            Fen(row.pay_app_amt),
            Reason::Payment,
            controls.level_for(&indicator.elements, ControlPoint::Reserve),
        )
    });
    let meta = BatchMeta {
        batch_id: &reserve_id,
        doc_id: Some(&row.pay_app_id),
        actor: who.user_name.as_str(),
        at: &at,
    };
    ledger_store::apply_transfers(tx, &transfers, meta).await?;
    if let Some(message) = warned {
        let mut entry = AuditEntry::by(Some(who), "ledger_warning");
        entry.entity = Some("indicator");
        entry.entity_key = Some(row.bgt_id.clone());
        entry.changes = Some(serde_json::json!({ "warning": message }).to_string());
        append(tx, &entry).await?;
    }
    row.reserve_no = reserve_no;
    row.reserve_transfer_id = Some(reserve_id);
    row.status = ApplicationState::InReview.code().to_owned();
    row.updated_at = at;
    store::update_application(tx, &row).await?;
    Ok(())
}

/// The last node approved: the voucher, numbered from the region-year counter, its payer the
/// unit's enabled zero-balance account, signed at every node the flow passed; the
/// reservation stays pending until the bank answers.
pub(crate) async fn on_approved(
    app: &App,
    tx: &mut Tx,
    approver: &Principal,
    document: &DocumentRow,
    state: &InstanceState,
    ctx: &RequestCtx,
) -> Result<(), AppError> {
    let mut row = application(tx, &document.doc_id).await?;
    let reserve_transfer_id = row.reserve_transfer_id.clone().ok_or_else(|| {
        AppError::Internal(format!("payment {} has no reservation", row.pay_app_id))
    })?;
    let (pay_acct_no, pay_acct_name, pay_acct_bank_name, bank_code) =
        store::unit_account(tx, &row.agency_code, ACC_TYPE_ZERO_BALANCE)
            .await?
            .ok_or(Rejection::NotFound {
                what: "单位零余额账户",
            })?;
    let bgt_id = BgtId::parse(&row.bgt_id)?;
    let indicator = ledger_store::indicators_in_tx(tx, std::slice::from_ref(&bgt_id))
        .await?
        .into_iter()
        .next()
        .ok_or(Rejection::NotFound { what: "指标" })?;
    let seq = store::next_seq(tx, &row.mof_div_code, row.fiscal_year, "pay_cert").await?;
    let pay_cert_no = voucher_no(
        &indicator.elements.mof_div_code,
        indicator.elements.fiscal_year,
        seq,
    );
    let at = now();
    let pay_cert_id = crate::crypto::random_id()?;
    let mut voucher = VoucherMsg {
        pay_cert_id: pay_cert_id.clone(),
        pay_cert_no: pay_cert_no.clone(),
        mof_div_code: row.mof_div_code.clone(),
        fiscal_year: indicator.elements.fiscal_year.0,
        vou_date: super::business_date_today(),
        agency_code: row.agency_code.clone(),
        fund_type_code: row.fund_type_code.clone(),
        exp_func_code: row.exp_func_code.clone(),
        gov_bgt_eco_code: row.gov_bgt_eco_code.clone(),
        dep_bgt_eco_code: row.dep_bgt_eco_code.clone(),
        pro_code: row.pro_code.clone(),
        set_mode_code: row.set_mode_code.clone(),
        pay_bus_type_code: row.pay_bus_type_code.clone(),
        pay_acct_name,
        pay_acct_no,
        pay_acct_bank_name,
        payee_acct_name: row.payee_acct_name.clone(),
        payee_acct_no: row.payee_acct_no.clone(),
        payee_acct_bank_name: row.payee_acct_bank_name.clone(),
        pay_amt: Fen(row.pay_app_amt),
        use_des: row.use_des.clone(),
        contract_no: row.contract_no.clone(),
        signatures: Vec::new(),
    };
    // Each position signs the voucher's business XML without signatures: exactly what the
    // bank verifies (`bank::Channel::verify_voucher_signatures`).
    let unsigned = crate::bank::xml::voucher_xml(&voucher).into_bytes();
    for (position, signer) in signers(state) {
        voucher.signatures.push(SignatureEntry {
            position,
            signer,
            value: app.payment_signer.sign(&unsigned)?,
        });
    }
    let voucher_row = VoucherRow {
        pay_cert_id: pay_cert_id.clone(),
        pay_cert_no,
        mof_div_code: row.mof_div_code.clone(),
        fiscal_year: row.fiscal_year,
        pay_app_id: row.pay_app_id.clone(),
        agency_code: row.agency_code.clone(),
        bgt_id: row.bgt_id.clone(),
        vou_date: voucher.vou_date.clone(),
        pay_amt: row.pay_app_amt,
        status: VoucherState::Approved.code().to_owned(),
        bank_code,
        reserve_transfer_id,
        voucher_json: serde_json::to_string(&voucher)
            .map_err(|error| AppError::Internal(format!("voucher: {error}")))?,
        send_attempts: 0,
        next_send_at: at.clone(),
        sent_at: None,
        xpay_amt: None,
        xpay_date: None,
        agent_business_no: None,
        return_reason: None,
        return_text: None,
        refunded_amt: 0,
        bank_date: None,
        lqd_quota_notice_no: None,
        lqd_cert_no: None,
        act_lqd_date: None,
        created_at: at.clone(),
        updated_at: at.clone(),
    };
    store::insert_voucher(tx, &voucher_row).await?;
    row.pay_cert_id = Some(pay_cert_id.clone());
    row.status = ApplicationState::Approved.code().to_owned();
    row.updated_at = at;
    store::update_application(tx, &row).await?;
    let mut entry = AuditEntry::by(Some(approver), "create");
    entry.entity = Some("payment_voucher");
    entry.entity_key = Some(pay_cert_id);
    entry.changes = Some(voucher_row.voucher_json.clone());
    entry.ip = ctx.ip.clone();
    entry.request_id = ctx.request_id.clone();
    append(tx, &entry).await?;
    Ok(())
}

/// One (position, signer) per node passed since the last submission: who approved it.
fn signers(state: &InstanceState) -> Vec<(String, String)> {
    state
        .path
        .iter()
        .filter_map(|step| {
            state
                .tasks
                .iter()
                .rev()
                .find(|task| {
                    task.node_code == step.node_code
                        && task.visit == step.visit
                        && task.status == TaskStatus::Done(Decision::Approve)
                })
                .map(|task| (step.node_code.to_string(), task.assignee.to_string()))
        })
        .collect()
}

/// Rejected or cancelled: the reservation is released; returned or withdrawn: the application
/// waits for its submitter, keeping its reservation until resubmission or cancellation.
pub(crate) async fn on_flow_end(
    tx: &mut Tx,
    actor: &Principal,
    document: &DocumentRow,
    state: ApplicationState,
) -> Result<(), AppError> {
    let mut row = application(tx, &document.doc_id).await?;
    let at = now();
    if matches!(
        state,
        ApplicationState::Rejected | ApplicationState::Cancelled
    ) && let Some(live) = row.reserve_transfer_id.take()
    {
        let void_id = format!("{live}.void");
        let meta = BatchMeta {
            batch_id: &void_id,
            doc_id: Some(&row.pay_app_id),
            actor: actor.user_name.as_str(),
            at: &at,
        };
        ledger_store::apply_transfers(tx, &[void_spec(&void_id, &live)?], meta).await?;
    }
    row.status = state.code().to_owned();
    row.updated_at = at;
    store::update_application(tx, &row).await?;
    Ok(())
}

pub(crate) fn void_spec(void_id: &str, pending_id: &str) -> Result<TransferSpec, AppError> {
    let unknown = AccountId::from_stored(String::new());
    Ok(TransferSpec {
        kind: TransferKind::VoidPending,
        pending_id: Some(TransferId::parse(pending_id)?),
        ..TransferSpec::posted(
            TransferId::parse(void_id)?,
            unknown.clone(),
            unknown,
            Fen::ZERO,
            Reason::Payment,
            CtrlLevel::Strict,
        )
    })
}

async fn application(tx: &mut Tx, pay_app_id: &str) -> Result<ApplicationRow, AppError> {
    store::application_for_update(tx, pay_app_id)
        .await?
        .ok_or_else(|| AppError::Internal(format!("payment application {pay_app_id} missing")))
}
