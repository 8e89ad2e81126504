//! Centralized treasury payment use cases (ADR 0009): payment applications (draft, 代编 by
//! the treasury division, edit, submit with a reservation through the `payment_application`
//! flow, Excel batch entry), vouchers generated at final approval and signed through
//! [`Signer`], the handlers of the bank's messages (`handlers.rs`) and the reads the sender
//! and clearing need.

mod batch;
pub(crate) mod flow;
pub mod handlers;
pub mod query;

use fiscus_core::flow::DocType;
use fiscus_core::ledger::BgtId;
use fiscus_core::payment::application::{ApplicationState, PaymentApplication, PaymentDraft};
use fiscus_core::{Action, Principal, Rejection, Resource, Role};
use fiscus_store::Tx;
use fiscus_store::audit::{AuditEntry, append, now};
use fiscus_store::flow::{self as flow_store, DocumentRow};
use fiscus_store::ledger as ledger_store;
use fiscus_store::payment::{self as store, ApplicationQuery, ApplicationRow, VoucherRow};
use fiscus_store::records::Viewer;
use hmac::{KeyInit, Mac};

pub use batch::{BatchReport, read_payment_sheet};
pub use handlers::{
    HandlerOutcome, mark_notice, mark_send_failed, mark_sent, on_clearing_receipt, on_receipt,
    on_refund, on_return, paid_uncleared, vouchers_for_reconciliation, vouchers_ready,
};

use crate::{App, AppError, RequestCtx};

/// Today in Beijing time (UTC+8): the business day of vouchers, receipts and statements. The
/// UTC date differs from it after 16:00 UTC.
pub fn business_date_today() -> String {
    time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+8))
        .date()
        .to_string()
}

/// A page of payment lists holds at most this many rows.
pub const PAYMENT_PAGE_ROWS_MAX: i64 = 200;

/// Signs a voucher's data at one signature position. The SM2 implementation lives in
/// `fiscus_app::bank`; [`DigestSigner`] stands in until it is installed.
pub trait Signer: Send + Sync {
    /// Base64 of the signature over `data`.
    fn sign(&self, data: &[u8]) -> Result<String, AppError>;
}

/// HMAC-SM3 under the server's secret key: a placeholder signature that proves integrity to
/// ourselves only. Replace with the SM2 signer for the bank.
pub struct DigestSigner {
    key: Vec<u8>,
}

impl DigestSigner {
    pub fn new(key: &[u8]) -> DigestSigner {
        DigestSigner { key: key.to_vec() }
    }
}

impl Signer for DigestSigner {
    fn sign(&self, data: &[u8]) -> Result<String, AppError> {
        use base64::Engine;
        let mut mac = hmac::Hmac::<sm3::Sm3>::new_from_slice(&self.key)
            .map_err(|error| AppError::Internal(format!("signer key: {error}")))?;
        mac.update(data);
        Ok(base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// The SM2 signer: finance's key of the bank channel signs each position (on the approver's
/// behalf — per-user keys on UKeys are [K]).
pub struct ChannelSigner(pub crate::bank::Channel);

impl Signer for ChannelSigner {
    fn sign(&self, data: &[u8]) -> Result<String, AppError> {
        use base64::Engine;
        let signature = self.0.crypto.sign(data)?;
        Ok(base64::engine::general_purpose::STANDARD.encode(signature))
    }
}

/// An application with its state, as lists show it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ApplicationView {
    pub row: ApplicationRow,
    pub state_label: &'static str,
}

impl App {
    /// Writes a payment application as a draft (送审 in the same transaction when `submit`).
    /// A unit clerk writes for their own unit; a treasury-division user may write for a unit of
    /// their region (代编, recorded as such). The unit is the indicator's. Returns pay_app_id.
    pub async fn payment_create(
        &self,
        who: &Principal,
        draft: &PaymentDraft,
        submit: bool,
        ctx: &RequestCtx,
    ) -> Result<String, AppError> {
        let application = draft.parse()?;
        let mut tx = self.db.begin().await?;
        let pay_app_id = self
            .payment_create_in_tx(&mut tx, who, &application, submit, ctx)
            .await?;
        tx.commit().await?;
        Ok(pay_app_id)
    }

    /// The same inside the caller's transaction (batch entry).
    pub(crate) async fn payment_create_in_tx(
        &self,
        tx: &mut Tx,
        who: &Principal,
        application: &PaymentApplication,
        submit: bool,
        ctx: &RequestCtx,
    ) -> Result<String, AppError> {
        require_writer(who)?;
        // Read inside the transaction: it already holds a connection.
        let indicator = ledger_store::visible_indicators_in_tx(
            tx,
            Viewer::User(who),
            std::slice::from_ref(&application.bgt_id),
        )
        .await?
        .into_iter()
        .next()
        .ok_or(Rejection::NotFound { what: "指标" })?;
        let agency_code = indicator
            .elements
            .agency_code
            .as_ref()
            .map(|code| code.as_str().to_owned())
            .ok_or(Rejection::IndicatorNotExecutable {
                bgt_id: indicator.bgt_id.to_string(),
            })?;
        let mof_div_code = indicator.elements.mof_div_code.as_str().to_owned();
        let fiscal_year = i64::from(indicator.elements.fiscal_year.0);
        let pay_app_id = crate::crypto::random_id()?;
        let seq = store::next_seq(tx, &mof_div_code, fiscal_year, "pay_app").await?;
        let at = now();
        let mut row = ApplicationRow {
            pay_app_id: pay_app_id.clone(),
            pay_app_no: format!("SQ{mof_div_code}{fiscal_year}{seq:08}"),
            fiscal_year,
            mof_div_code: mof_div_code.clone(),
            agency_code: agency_code.clone(),
            status: ApplicationState::Draft.code().to_owned(),
            is_proxy: who.agency_code().is_none(),
            created_by: who.user_name.to_string(),
            reserve_no: 0,
            reserve_transfer_id: None,
            pay_cert_id: None,
            create_date: at.get(..10).unwrap_or_default().to_owned(),
            created_at: at.clone(),
            updated_at: at.clone(),
            ..empty_row()
        };
        fill_row(&mut row, application, &indicator.elements);
        let document = DocumentRow {
            doc_id: pay_app_id.clone(),
            doc_type: DocType::PaymentApplication.code().to_owned(),
            title: title_of(application),
            mof_div_code,
            agency_code: Some(agency_code),
            amount_fen: application.pay_app_amt.0,
            payload: serde_json::to_string(&application.to_draft())
                .map_err(|error| AppError::Internal(format!("payment payload: {error}")))?,
            status: "draft".to_owned(),
            submitter: who.user_name.to_string(),
            created_at: at.clone(),
            updated_at: at,
        };
        flow_store::insert_document(tx, &document).await?;
        store::insert_application(tx, &row).await?;
        audit(tx, who, "create", &pay_app_id, &row, ctx).await?;
        if submit {
            crate::flow::engine::submit_new(self, tx, who, &pay_app_id, ctx).await?;
        }
        Ok(pay_app_id)
    }

    /// Corrects a draft or returned application (by whoever wrote it). Submit again with
    /// `flow_act(Command::Submit)`.
    pub async fn payment_update(
        &self,
        who: &Principal,
        pay_app_id: &str,
        draft: &PaymentDraft,
        ctx: &RequestCtx,
    ) -> Result<(), AppError> {
        require_writer(who)?;
        let application = draft.parse()?;
        let indicator = self.payment_indicator(who, &application.bgt_id).await?;
        let mut tx = self.db.begin().await?;
        let mut row = store::application_for_update(&mut tx, pay_app_id)
            .await?
            .filter(|row| row.created_by == who.user_name.as_str())
            .ok_or(Rejection::NotFound {
                what: "支付申请"
            })?;
        let state = state_of(&row)?;
        if !state.is_editable() {
            return Err(Rejection::PaymentStateForbids {
                action: "修改",
                state: state.label(),
            }
            .into());
        }
        if indicator
            .elements
            .agency_code
            .as_ref()
            .map(|code| code.as_str())
            != Some(row.agency_code.as_str())
        {
            return Err(Rejection::ElementMismatch {
                field: "预算单位"
            }
            .into());
        }
        fill_row(&mut row, &application, &indicator.elements);
        row.updated_at = now();
        store::update_application(&mut tx, &row).await?;
        let payload = serde_json::to_string(&application.to_draft())
            .map_err(|error| AppError::Internal(format!("payment payload: {error}")))?;
        store::set_document_header(
            &mut tx,
            pay_app_id,
            &title_of(&application),
            application.pay_app_amt.0,
            &payload,
            &row.updated_at,
        )
        .await?;
        audit(&mut tx, who, "update", pay_app_id, &row, ctx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The applications the viewer may see, newest first, with their state.
    pub async fn payment_applications(
        &self,
        who: &Principal,
        status: Option<&str>,
        page: i64,
        page_rows: i64,
    ) -> Result<Vec<ApplicationView>, AppError> {
        let limit = page_rows.clamp(1, PAYMENT_PAGE_ROWS_MAX);
        let query = ApplicationQuery {
            status: status.map(str::to_owned),
            limit,
            offset: (page.max(1) - 1) * limit,
        };
        let rows = store::applications(&self.db, Viewer::User(who), &query).await?;
        rows.into_iter()
            .map(|row| {
                let state_label = state_of(&row)?.label();
                Ok(ApplicationView { row, state_label })
            })
            .collect()
    }

    /// One application the viewer may see.
    pub async fn payment_application(
        &self,
        who: &Principal,
        pay_app_id: &str,
    ) -> Result<ApplicationRow, AppError> {
        let query = ApplicationQuery {
            status: None,
            limit: i64::MAX,
            offset: 0,
        };
        // The scoped list with one key would be cheaper; applications are few per viewer page.
        store::applications(&self.db, Viewer::User(who), &query)
            .await?
            .into_iter()
            .find(|row| row.pay_app_id == pay_app_id)
            .ok_or_else(|| {
                Rejection::NotFound {
                    what: "支付申请"
                }
                .into()
            })
    }

    /// The vouchers the viewer may see, newest first.
    pub async fn payment_vouchers(
        &self,
        who: &Principal,
        status: Option<&str>,
        page: i64,
        page_rows: i64,
    ) -> Result<Vec<VoucherRow>, AppError> {
        let limit = page_rows.clamp(1, PAYMENT_PAGE_ROWS_MAX);
        let offset = (page.max(1) - 1) * limit;
        Ok(store::vouchers(&self.db, Viewer::User(who), status, limit, offset).await?)
    }

    /// Puts a payee account on the blacklist (treasury division).
    pub async fn payment_blacklist_add(
        &self,
        who: &Principal,
        payee_acct_no: &str,
        reason: &str,
        ctx: &RequestCtx,
    ) -> Result<(), AppError> {
        if !who.roles.contains(Role::TreasuryDivision) {
            return Err(Rejection::Forbidden.into());
        }
        let account = fiscus_core::code::AccountNo::parse(payee_acct_no)?;
        let reason = fiscus_core::payment::application::check_text("原因", reason, 200)?;
        let mut tx = self.db.begin().await?;
        let at = now();
        store::blacklist_add(
            &mut tx,
            account.as_str(),
            &reason,
            who.user_name.as_str(),
            &at,
        )
        .await?;
        let mut entry = AuditEntry::by(Some(who), "create");
        entry.entity = Some("payee_blacklist");
        entry.entity_key = Some(account.as_str().to_owned());
        entry.changes = Some(serde_json::json!({ "reason": reason }).to_string());
        entry.ip = ctx.ip.clone();
        entry.request_id = ctx.request_id.clone();
        append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The indicator of a payment as `who` sees it (`not_found` outside their scope).
    async fn payment_indicator(
        &self,
        who: &Principal,
        bgt_id: &BgtId,
    ) -> Result<ledger_store::IndicatorRow, AppError> {
        self.visible_indicator(Viewer::User(who), bgt_id).await
    }
}

/// Unit clerks and the treasury division write payment applications.
fn require_writer(who: &Principal) -> Result<(), Rejection> {
    if who.roles.allows(Action::Write, Resource::Reservation) {
        Ok(())
    } else {
        Err(Rejection::Forbidden)
    }
}

pub(crate) fn state_of(row: &ApplicationRow) -> Result<ApplicationState, AppError> {
    ApplicationState::from_code(&row.status)
        .ok_or_else(|| AppError::Internal(format!("payment status {}", row.status)))
}

fn title_of(application: &PaymentApplication) -> String {
    format!(
        "支付申请：{}，{} 元",
        application.payee_acct_name,
        application.pay_app_amt.to_yuan_string()
    )
}

/// Copies the parsed fields, the classification defaulting to the indicator's.
fn fill_row(
    row: &mut ApplicationRow,
    application: &PaymentApplication,
    indicator: &fiscus_core::ledger::IndicatorElements,
) {
    let or = |own: &str, default: &str| {
        if own.is_empty() {
            default.to_owned()
        } else {
            own.to_owned()
        }
    };
    row.bgt_id = application.bgt_id.to_string();
    row.pay_app_amt = application.pay_app_amt.0;
    row.payee_acct_name.clone_from(&application.payee_acct_name);
    row.payee_acct_no = application.payee_acct_no.as_str().to_owned();
    row.payee_acct_bank_name
        .clone_from(&application.payee_acct_bank_name);
    row.payee_bank_code = application
        .payee_bank_code
        .as_ref()
        .map(|code| code.as_str().to_owned())
        .unwrap_or_default();
    row.use_des.clone_from(&application.use_des);
    row.set_mode_code.clone_from(&application.set_mode_code);
    row.pay_bus_type_code
        .clone_from(&application.pay_bus_type_code);
    row.contract_no.clone_from(&application.contract_no);
    row.pro_code.clone_from(&indicator.pro_code);
    row.exp_func_code = or(&application.exp_func_code, &indicator.exp_func_code);
    row.gov_bgt_eco_code = or(&application.gov_bgt_eco_code, &indicator.gov_bgt_eco_code);
    row.dep_bgt_eco_code = or(&application.dep_bgt_eco_code, &indicator.dep_bgt_eco_code);
    row.fund_type_code.clone_from(&indicator.fund_type_code);
}

fn empty_row() -> ApplicationRow {
    ApplicationRow {
        pay_app_id: String::new(),
        pay_app_no: String::new(),
        fiscal_year: 0,
        mof_div_code: String::new(),
        agency_code: String::new(),
        bgt_id: String::new(),
        pay_app_amt: 0,
        payee_acct_name: String::new(),
        payee_acct_no: String::new(),
        payee_acct_bank_name: String::new(),
        payee_bank_code: String::new(),
        use_des: String::new(),
        set_mode_code: String::new(),
        pay_bus_type_code: String::new(),
        contract_no: String::new(),
        pro_code: String::new(),
        exp_func_code: String::new(),
        gov_bgt_eco_code: String::new(),
        dep_bgt_eco_code: String::new(),
        fund_type_code: String::new(),
        status: String::new(),
        is_proxy: false,
        created_by: String::new(),
        reserve_no: 0,
        reserve_transfer_id: None,
        pay_cert_id: None,
        create_date: String::new(),
        created_at: String::new(),
        updated_at: String::new(),
    }
}

async fn audit(
    tx: &mut Tx,
    who: &Principal,
    action: &'static str,
    pay_app_id: &str,
    row: &ApplicationRow,
    ctx: &RequestCtx,
) -> Result<(), AppError> {
    let mut entry = AuditEntry::by(Some(who), action);
    entry.entity = Some("payment_application");
    entry.entity_key = Some(pay_app_id.to_owned());
    entry.changes = Some(
        serde_json::to_string(row)
            .map_err(|error| AppError::Internal(format!("audit: {error}")))?,
    );
    entry.ip = ctx.ip.clone();
    entry.request_id = ctx.request_id.clone();
    append(tx, &entry).await?;
    Ok(())
}
