//! Use cases of the indicator ledger: the reservation interface the payment module calls
//! (预占 reserve, 过账 post, 撤销 void, 退款 refund — each idempotent by its transfer id),
//! the control levels, and (in `ops.rs`) the indicator operations that run as documents
//! through the flow engine. Every write goes through the ledger writer (`writer.rs`).

pub mod ops;
pub mod query;
mod writer;
pub mod year_end;

use fiscus_core::ledger::control::{PaymentElements, element_mismatch};
use fiscus_core::ledger::model::same_request;
use fiscus_core::ledger::{
    AccountId, AccountKind, BgtId, ControlPoint, ControlTable, CtrlLevel, ExeFlag, Reason,
    TransferId, TransferKind, TransferSpec, check_amount,
};
use fiscus_core::{Action, Fen, Principal, Rejection, Resource};
use fiscus_store::audit::AuditEntry;
use fiscus_store::ledger::{self as store, Applied, IndicatorRow};
use fiscus_store::records::Viewer;
use serde::Serialize;
use tokio::sync::oneshot;

pub use writer::{Job, LedgerWriter, WRITER_JOBS_MAX};

/// How long a read of the control table serves reservations (other processes' changes are
/// seen after at most this long).
pub const CONTROLS_CACHE_MILLIS: u128 = 2_000;

use crate::{App, AppError, RequestCtx};

/// A reservation against an indicator: the payment's amount and elements.
#[derive(Clone, Debug)]
pub struct Reserve {
    pub transfer_id: TransferId,
    pub bgt_id: BgtId,
    pub amount: Fen,
    pub elements: PaymentElements,
    /// The payment document behind it, if any.
    pub doc_id: Option<String>,
}

/// The answer to a ledger request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LedgerReceipt {
    pub transfer_id: String,
    /// Position in the ledger.
    pub seq: i64,
    /// The same request was applied before; this is its first result and nothing changed.
    pub repeat: bool,
    /// A warned control let the balance go below zero, or an element did not match.
    pub warned: bool,
}

impl App {
    /// The ledger writer, started on first use.
    pub fn ledger_writer(&self) -> LedgerWriter {
        let mut slot = match self.ledger_writer.lock() {
            Ok(slot) => slot,
            Err(poisoned) => poisoned.into_inner(),
        };
        slot.get_or_insert_with(|| LedgerWriter::start(self.db.clone()))
            .clone()
    }

    /// Applies transfers as one request through the writer (all or nothing).
    pub async fn ledger_apply(
        &self,
        transfers: Vec<TransferSpec>,
        batch_id: &str,
        doc_id: Option<&str>,
        actor: &str,
        audit: Vec<AuditEntry>,
    ) -> Result<Vec<Applied>, AppError> {
        let (reply, answer) = oneshot::channel();
        self.ledger_writer()
            .submit(Job {
                transfers,
                batch_id: batch_id.to_owned(),
                doc_id: doc_id.map(str::to_owned),
                actor: actor.to_owned(),
                audit,
                reply,
            })
            .await?;
        answer
            .await
            .map_err(|_| AppError::Internal("ledger writer dropped a request".into()))?
    }

    /// 预占: holds `amount` of the indicator's available balance for a payment. A repeat
    /// with the same content returns the first receipt.
    pub async fn ledger_reserve(
        &self,
        who: Viewer<'_>,
        request: Reserve,
        ctx: &RequestCtx,
    ) -> Result<LedgerReceipt, AppError> {
        allowed(who, Resource::Reservation)?;
        check_amount(request.amount, "支付金额")?;
        let mut spec = TransferSpec {
            kind: TransferKind::Pending,
            ..TransferSpec::posted(
                request.transfer_id.clone(),
                AccountId::of(&request.bgt_id, AccountKind::Avail),
                AccountId::of(&request.bgt_id, AccountKind::Spent),
                request.amount,
                Reason::Payment,
                CtrlLevel::Strict,
            )
        };
        let indicator = self.visible_indicator(who, &request.bgt_id).await?;
        // A repeat returns its first result even when a rule would refuse it now (the
        // indicator closed since, a control became strict); the lookup is only needed then.
        let indicator = match usable(indicator) {
            Ok(indicator) => indicator,
            Err(rejection) => {
                let rejection = self.year_closed_or(&request.bgt_id, rejection).await?;
                return self.first_result_or(&spec, rejection).await;
            }
        };
        let controls = self.cached_controls().await?;
        let mut audit = Vec::new();
        let mut warned = false;
        let match_level = controls.level_for(&indicator.elements, ControlPoint::ElementMatch);
        if match_level != CtrlLevel::None
            && let Some(mismatch) = element_mismatch(
                &indicator.elements,
                &request.elements,
                controls.eco_refinement,
            )
        {
            if match_level == CtrlLevel::Strict {
                return self.first_result_or(&spec, mismatch).await;
            }
            warned = true;
            audit.push(warning_entry(who, &indicator, &mismatch.message(), ctx));
        }
        spec.ctrl = controls.level_for(&indicator.elements, ControlPoint::Reserve);
        self.single(who, spec, request.doc_id.as_deref(), audit, warned)
            .await
    }

    /// 过账: posts a reservation — in full (`amount = None`) or in part, releasing the rest.
    pub async fn ledger_post(
        &self,
        who: Viewer<'_>,
        transfer_id: TransferId,
        pending_id: TransferId,
        amount: Option<Fen>,
        _ctx: &RequestCtx,
    ) -> Result<LedgerReceipt, AppError> {
        self.resolve(
            who,
            transfer_id,
            pending_id,
            TransferKind::PostPending,
            amount,
        )
        .await
    }

    /// 撤销: releases a reservation entirely (the application was rejected or returned).
    pub async fn ledger_void(
        &self,
        who: Viewer<'_>,
        transfer_id: TransferId,
        pending_id: TransferId,
        _ctx: &RequestCtx,
    ) -> Result<LedgerReceipt, AppError> {
        self.resolve(
            who,
            transfer_id,
            pending_id,
            TransferKind::VoidPending,
            None,
        )
        .await
    }

    /// 退款: money back from the payee restores the indicator, within the same year (a
    /// closed indicator refuses it) and never beyond what it spent.
    pub async fn ledger_refund(
        &self,
        who: Viewer<'_>,
        transfer_id: TransferId,
        bgt_id: BgtId,
        amount: Fen,
        doc_id: Option<&str>,
        _ctx: &RequestCtx,
    ) -> Result<LedgerReceipt, AppError> {
        allowed(who, Resource::Reservation)?;
        check_amount(amount, "退款金额")?;
        let indicator = self.visible_indicator(who, &bgt_id).await?;
        let spec = TransferSpec::posted(
            transfer_id,
            AccountId::of(&bgt_id, AccountKind::Spent),
            AccountId::of(&bgt_id, AccountKind::Avail),
            amount,
            Reason::Refund,
            CtrlLevel::Strict,
        );
        if indicator.closed {
            let closed = Rejection::IndicatorClosed {
                bgt_id: bgt_id.to_string(),
            };
            let closed = self.year_closed_or(&bgt_id, closed).await?;
            return self.first_result_or(&spec, closed).await;
        }
        self.single(who, spec, doc_id, Vec::new(), false).await
    }

    async fn resolve(
        &self,
        who: Viewer<'_>,
        transfer_id: TransferId,
        pending_id: TransferId,
        kind: TransferKind,
        amount: Option<Fen>,
    ) -> Result<LedgerReceipt, AppError> {
        allowed(who, Resource::Reservation)?;
        if let Some(Fen(amount)) = amount
            && amount < 0
        {
            return Err(Rejection::AmountNegative {
                field: "过账金额"
            }
            .into());
        }
        // The system (bank receipts, returns) needs no scope check, and a post with its
        // amount or a void needs nothing else from the pending transfer: the ledger takes
        // its accounts from it. Users are checked against the reservation's indicator.
        let known_amount = match (kind, amount) {
            (TransferKind::VoidPending, _) => Some(Fen::ZERO),
            (_, amount) => amount,
        };
        if let (Viewer::System, Some(amount)) = (who, known_amount) {
            let unknown = AccountId::from_stored(String::new());
            let spec = TransferSpec {
                kind,
                pending_id: Some(pending_id),
                ..TransferSpec::posted(
                    transfer_id,
                    unknown.clone(),
                    unknown,
                    amount,
                    Reason::Payment,
                    CtrlLevel::Strict,
                )
            };
            return self.single(who, spec, None, Vec::new(), false).await;
        }
        let pending = store::transfer_read(&self.db, pending_id.as_str())
            .await?
            .filter(|row| row.kind == TransferKind::Pending.code())
            .ok_or(Rejection::NotFound { what: "预占" })?;
        let pending_spec = pending.spec()?;
        let bgt_id = pending_spec
            .debit
            .split()
            .and_then(|(_, bgt_id)| bgt_id)
            .and_then(|id| BgtId::parse(id).ok())
            .ok_or(Rejection::NotFound { what: "预占" })?;
        // Scope: the reservation's indicator must be visible to the caller.
        self.visible_indicator(who, &bgt_id).await?;
        let amount = match amount {
            Some(amount) if kind == TransferKind::PostPending => amount,
            _ => Fen(pending.amount_fen),
        };
        let spec = TransferSpec {
            kind,
            pending_id: Some(pending_id),
            ..TransferSpec::posted(
                transfer_id,
                pending_spec.debit,
                pending_spec.credit,
                amount,
                Reason::Payment,
                pending_spec.ctrl,
            )
        };
        self.single(who, spec, pending.doc_id.as_deref(), Vec::new(), false)
            .await
    }

    async fn single(
        &self,
        who: Viewer<'_>,
        spec: TransferSpec,
        doc_id: Option<&str>,
        audit: Vec<AuditEntry>,
        warned: bool,
    ) -> Result<LedgerReceipt, AppError> {
        let transfer_id = spec.transfer_id.to_string();
        let applied = self
            .ledger_apply(vec![spec], &transfer_id, doc_id, &actor_name(who), audit)
            .await?;
        let outcome = applied
            .first()
            .copied()
            .ok_or_else(|| AppError::Internal("ledger returned no outcome".into()))?;
        Ok(match outcome {
            Applied::New {
                seq,
                warned: balance_warned,
            } => LedgerReceipt {
                transfer_id,
                seq,
                repeat: false,
                warned: warned || balance_warned,
            },
            Applied::Repeat { seq } => LedgerReceipt {
                transfer_id,
                seq,
                repeat: true,
                warned: false,
            },
        })
    }

    /// An indicator the caller may see, or `not_found`.
    pub async fn visible_indicator(
        &self,
        who: Viewer<'_>,
        bgt_id: &BgtId,
    ) -> Result<IndicatorRow, AppError> {
        store::visible_indicators(&self.db, who, std::slice::from_ref(bgt_id))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Rejection::NotFound { what: "指标" }.into())
    }

    /// `year_closed` when the indicator's region-year was closed by a year-end close (ADR
    /// 0011), else `rejection`: the old year is read-only as a whole.
    async fn year_closed_or(
        &self,
        bgt_id: &BgtId,
        rejection: Rejection,
    ) -> Result<Rejection, AppError> {
        let Some(row) =
            store::visible_indicators(&self.db, Viewer::System, std::slice::from_ref(bgt_id))
                .await?
                .into_iter()
                .next()
        else {
            return Ok(rejection);
        };
        let (region, year) = (
            row.elements.mof_div_code.as_str(),
            row.elements.fiscal_year.0,
        );
        if store::year_end::is_closed_read(&self.db, region, year).await? {
            return Ok(Rejection::YearClosed {
                mof_div_code: region.to_owned(),
                fiscal_year: year,
            });
        }
        Ok(rejection)
    }

    /// The receipt of a request applied before with the same content, if any. Checked before
    /// the rules that may have changed since (the indicator closed by a year-end, a control
    /// made strict), so that a retry always gets its first result (STYLE.md practice 18).
    /// Other content under a used id is left to the store, which refuses it.
    /// The first result of a repeated request, or `rejection` when it is not a repeat.
    async fn first_result_or(
        &self,
        spec: &TransferSpec,
        rejection: Rejection,
    ) -> Result<LedgerReceipt, AppError> {
        let Some(first) = store::transfer_read(&self.db, spec.transfer_id.as_str()).await? else {
            return Err(rejection.into());
        };
        if !same_request(&first.spec()?, spec) {
            return Err(rejection.into());
        }
        Ok(LedgerReceipt {
            transfer_id: first.transfer_id,
            seq: first.seq,
            repeat: true,
            warned: false,
        })
    }

    /// The control table, read at most every `CONTROLS_CACHE_MILLIS` by this process (a
    /// change through `set_ledger_control` here is seen at once).
    async fn cached_controls(&self) -> Result<ControlTable, AppError> {
        let now = std::time::Instant::now();
        if let Ok(cache) = self.ledger_controls_cache.lock()
            && let Some((read_at, table)) = cache.as_ref()
            && now.duration_since(*read_at).as_millis() < CONTROLS_CACHE_MILLIS
        {
            return Ok(table.clone());
        }
        let table = store::controls_read(&self.db).await?;
        if let Ok(mut cache) = self.ledger_controls_cache.lock() {
            *cache = Some((now, table.clone()));
        }
        Ok(table)
    }

    /// The indicators among `bgt_ids` the caller may see (the others are left out).
    pub async fn indicators_by_ids(
        &self,
        who: &Principal,
        bgt_ids: &[BgtId],
    ) -> Result<Vec<IndicatorRow>, AppError> {
        Ok(store::visible_indicators(&self.db, Viewer::User(who), bgt_ids).await?)
    }

    /// The control table (every role may read it).
    pub async fn ledger_controls(&self) -> Result<ControlTable, AppError> {
        Ok(store::controls_read(&self.db).await?)
    }

    /// Sets the level of one control point for one indicator type (`*` for all), or the
    /// economic-class rule with `point = "eco_refinement"` and `level` exact | prefix.
    pub async fn set_ledger_control(
        &self,
        who: &Principal,
        bgt_type_code: &str,
        point: &str,
        level: &str,
        ctx: &RequestCtx,
    ) -> Result<(), AppError> {
        if !who.roles.allows(Action::Write, Resource::LedgerControl) {
            return Err(Rejection::Forbidden.into());
        }
        let bgt_type_code = bgt_type_code.trim();
        let type_ok = bgt_type_code == fiscus_core::ledger::control::ANY_TYPE
            || (!bgt_type_code.is_empty()
                && bgt_type_code.len() <= 10
                && bgt_type_code.bytes().all(|b| b.is_ascii_alphanumeric()));
        if !type_ok {
            return Err(Rejection::FieldInvalid {
                field: "指标类型",
                expected: "指标类型代码，或 * 表示全部类型",
            }
            .into());
        }
        let valid = if point == store::ECO_REFINEMENT_POINT {
            matches!(level, "exact" | "prefix")
        } else {
            ControlPoint::from_code(point).is_some() && CtrlLevel::from_code(level).is_some()
        };
        if !valid {
            return Err(Rejection::FieldInvalid {
                field: "控制级次",
                expected: "strict 严格控制、warn 警告控制或 none 不控制（经济分类规则为 exact 或 prefix）",
            }
            .into());
        }
        let mut tx = self.db.begin().await?;
        let at = fiscus_store::audit::now();
        store::set_control(
            &mut tx,
            bgt_type_code,
            point,
            level,
            who.user_name.as_str(),
            &at,
        )
        .await?;
        let mut entry = AuditEntry::by(Some(who), "update");
        entry.entity = Some("ledger_control");
        entry.entity_key = Some(format!("{bgt_type_code}.{point}"));
        entry.changes = Some(serde_json::json!({ "ctrl_level": level }).to_string());
        entry.ip = ctx.ip.clone();
        entry.request_id = ctx.request_id.clone();
        fiscus_store::audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        if let Ok(mut cache) = self.ledger_controls_cache.lock() {
            *cache = None;
        }
        Ok(())
    }
}

/// An open, executable indicator: what a payment may use.
fn usable(indicator: IndicatorRow) -> Result<IndicatorRow, Rejection> {
    if indicator.closed {
        return Err(Rejection::IndicatorClosed {
            bgt_id: indicator.bgt_id.to_string(),
        });
    }
    if indicator.elements.bgt_exe_flag != ExeFlag::Executable {
        return Err(Rejection::IndicatorNotExecutable {
            bgt_id: indicator.bgt_id.to_string(),
        });
    }
    Ok(indicator)
}

fn allowed(who: Viewer<'_>, resource: Resource) -> Result<(), Rejection> {
    match who {
        Viewer::System => Ok(()),
        Viewer::User(principal) if principal.roles.allows(Action::Write, resource) => Ok(()),
        Viewer::User(_) => Err(Rejection::Forbidden),
    }
}

pub(crate) fn actor_name(who: Viewer<'_>) -> String {
    match who {
        Viewer::System => crate::flow::SYSTEM_ACTOR.to_owned(),
        Viewer::User(principal) => principal.user_name.to_string(),
    }
}

fn warning_entry(
    who: Viewer<'_>,
    indicator: &IndicatorRow,
    message: &str,
    ctx: &RequestCtx,
) -> AuditEntry {
    let principal = match who {
        Viewer::User(principal) => Some(principal),
        Viewer::System => None,
    };
    let mut entry = AuditEntry::by(principal, "ledger_warning");
    entry.entity = Some("indicator");
    entry.entity_key = Some(indicator.bgt_id.to_string());
    entry.changes = Some(serde_json::json!({ "warning": message }).to_string());
    entry.ip = ctx.ip.clone();
    entry.request_id = ctx.request_id.clone();
    entry
}
