//! The region year-end close of the indicator ledger (年终结转结余, ADR 0011) as one use
//! case: `App::year_end_close` reads the open indicators of one region and year inside one
//! transaction, plans the whole close with `fiscus_core::ledger::year_end::plan_region` (the
//! semantics of `Operation::YearEnd`, in bulk) and has the store write it set-based, with the
//! `year_end_close` record that makes the old year read-only. Also the preview the page shows
//! and the list of records.

use std::time::Instant;

use fiscus_core::ledger::year_end::{CloseTotals, OpenIndicator, plan_region};
use fiscus_core::ledger::{BgtId, ExeFlag};
use fiscus_core::{Action, Principal, Rejection, Resource, Role};
use fiscus_store::audit::{AuditEntry, append, now};
use fiscus_store::facts;
use fiscus_store::ledger::year_end::{self as store, CloseMeta, CloseRecord};
use serde::Serialize;

use crate::ledger::ops::CarryRule;
use crate::{App, AppError, RequestCtx};

/// A stage of one region's close, reported to the caller's progress callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum YearEndStage {
    /// The open indicators were read (`n` of them, pools included).
    Read,
    /// The close is planned (`n` lines).
    Planned,
    /// Written and committed (`n` lines).
    Committed,
}

/// Progress of a close: region, stage, a count and the milliseconds since the start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct YearEndProgress {
    pub mof_div_code: String,
    pub stage: YearEndStage,
    pub n: u64,
    pub elapsed_millis: u64,
}

/// What one region's close did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct YearEndSummary {
    pub mof_div_code: String,
    pub fiscal_year: i32,
    pub carry_rule: CarryRule,
    pub batch_id: String,
    pub totals: CloseTotals,
    pub elapsed_millis: u64,
}

/// What a close of the region would do now (the page's preview).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct YearEndPreview {
    pub mof_div_code: String,
    pub fiscal_year: i32,
    /// Open executable indicators (the lines of the close).
    pub n_open: i64,
    /// Open 待分 pools (they stay open, read-only once the year is closed).
    pub n_pools: i64,
    pub has_total_pool: bool,
    pub carry_fen: i64,
    pub lapse_fen: i64,
    pub frozen_fen: i64,
    /// Indicators holding 在途 reservations: each blocks the close.
    pub n_blocking: i64,
    pub blocking_fen: i64,
    pub closed: Option<CloseRecord>,
}

/// New next-year indicator ids of one close: a random prefix and a counter.
struct IdSource {
    prefix: String,
    next: u64,
}

impl IdSource {
    fn new() -> Result<IdSource, AppError> {
        let random = crate::crypto::random_id()?;
        Ok(IdSource {
            prefix: random.chars().take(24).collect(),
            next: 0,
        })
    }

    fn next(&mut self) -> BgtId {
        self.next += 1;
        BgtId::generated(format!("{}{:08x}", self.prefix, self.next))
    }
}

/// The batch id of a region's close: its transfers are `{batch_id}.{n}`, its new indicators
/// carry it as `doc_id`. Deterministic, so a second close could never write twice.
pub fn batch_id_of(mof_div_code: &str, fiscal_year: i32) -> String {
    format!("ye.{mof_div_code}.{fiscal_year}")
}

/// May `who` close the region? The budget division (预算处) of exactly that region, or a
/// system administrator whose subtree holds it (the CLI acts as one at the root).
async fn require_closer(
    tx: &mut fiscus_store::Tx,
    who: &Principal,
    mof_div_code: &str,
) -> Result<(), AppError> {
    let region = facts::region(tx, mof_div_code)
        .await?
        .ok_or(Rejection::NotFound {
            what: "财政区划"
        })?;
    let budget_division = who.roles.contains(Role::BudgetDivision)
        && who.can(Action::Write, Resource::Indicator)
        && who.agency_code().is_none()
        && who.mof_div_code().as_str() == mof_div_code;
    let admin = who.roles.contains(Role::SysAdmin)
        && who.agency_code().is_none()
        && region.region_path.starts_with(&who.region_path);
    if !(budget_division || admin) {
        return Err(Rejection::Forbidden.into());
    }
    Ok(())
}

/// May `who` read the region's close (preview, records)? A finance user whose subtree holds it.
fn require_reader(who: &Principal, region_path: &str) -> Result<(), AppError> {
    if !who.can(Action::Read, Resource::Indicator) && !who.roles.contains(Role::SysAdmin) {
        return Err(Rejection::Forbidden.into());
    }
    if !who.scope().contains_region_path(region_path) {
        return Err(Rejection::Forbidden.into());
    }
    Ok(())
}

impl App {
    /// 年终结转结余 of one region and year, in one transaction: every open executable
    /// indicator releases its frozen money, carries by `rule` into a new indicator of next
    /// year (上年结转, `ori_bgt_id` = the old one) and lapses the rest to the region's 总待分
    /// pool; the old indicators close and the year becomes read-only. Refused with
    /// `year_already_closed` when it ran before (nothing changes), with
    /// `year_end_open_reservations` while indicators hold 在途 reservations. `progress` is
    /// called after reading, planning and committing.
    pub async fn year_end_close(
        &self,
        who: &Principal,
        mof_div_code: &str,
        fiscal_year: i32,
        rule: CarryRule,
        progress: Option<&(dyn Fn(YearEndProgress) + Sync)>,
        ctx: &RequestCtx,
    ) -> Result<YearEndSummary, AppError> {
        let started = Instant::now();
        let started_at = now();
        let report = |stage: YearEndStage, n: usize| {
            if let Some(progress) = progress {
                progress(YearEndProgress {
                    mof_div_code: mof_div_code.to_owned(),
                    stage,
                    n: u64::try_from(n).unwrap_or(u64::MAX),
                    elapsed_millis: millis(started),
                });
            }
        };
        let mut tx = self.db.begin().await?;
        require_closer(&mut tx, who, mof_div_code).await?;
        if store::is_closed(&mut tx, mof_div_code, fiscal_year).await? {
            return Err(Rejection::YearAlreadyClosed {
                mof_div_code: mof_div_code.to_owned(),
                fiscal_year,
            }
            .into());
        }
        let rows = store::open_indicators_in_tx(&mut tx, mof_div_code, fiscal_year).await?;
        report(YearEndStage::Read, rows.len());
        let open: Vec<OpenIndicator> = rows
            .into_iter()
            .map(|row| OpenIndicator {
                facts: row.facts(),
                bgt_id: row.bgt_id,
            })
            .collect();
        let mut ids = IdSource::new()?;
        let close = plan_region(&open, rule, &mut || ids.next())?;
        drop(open);
        report(YearEndStage::Planned, close.lines.len());
        let batch_id = batch_id_of(mof_div_code, fiscal_year);
        let at = now();
        let actor = who.user_name.as_str();
        store::write_close(
            &mut tx,
            &close,
            CloseMeta {
                mof_div_code,
                batch_id: &batch_id,
                carry_rule: rule.code(),
                actor,
                started_at: &started_at,
                at: &at,
            },
        )
        .await?;
        let mut entry = AuditEntry::by(Some(who), "year_end_close");
        entry.entity = Some("year_end_close");
        entry.entity_key = Some(format!("{mof_div_code}.{fiscal_year}"));
        entry.changes = Some(
            serde_json::json!({
                "carry_rule": rule.code(),
                "batch_id": batch_id,
                "totals": close.totals,
            })
            .to_string(),
        );
        entry.ip = ctx.ip.clone();
        entry.request_id = ctx.request_id.clone();
        append(&mut tx, &entry).await?;
        tx.commit().await?;
        report(YearEndStage::Committed, close.lines.len());
        Ok(YearEndSummary {
            mof_div_code: mof_div_code.to_owned(),
            fiscal_year,
            carry_rule: rule,
            batch_id,
            totals: close.totals,
            elapsed_millis: millis(started),
        })
    }

    /// What closing the region would do now, and its record if it is closed.
    pub async fn year_end_preview(
        &self,
        who: &Principal,
        mof_div_code: &str,
        fiscal_year: i32,
        rule: CarryRule,
    ) -> Result<YearEndPreview, AppError> {
        let mut read = self.db.begin_read().await?;
        let region = facts::region(&mut read, mof_div_code).await?;
        read.rollback().await?;
        let region = region.ok_or(Rejection::NotFound {
            what: "财政区划"
        })?;
        require_reader(who, &region.region_path)?;
        let rows = fiscus_store::ledger::query::open_indicators_of_region(
            &self.db,
            fiscus_store::records::Viewer::System,
            mof_div_code,
            fiscal_year,
        )
        .await?;
        let mut preview = YearEndPreview {
            mof_div_code: mof_div_code.to_owned(),
            fiscal_year,
            ..YearEndPreview::default()
        };
        for row in &rows {
            if row.elements.bgt_exe_flag != ExeFlag::Executable {
                preview.n_pools += 1;
                preview.has_total_pool |=
                    row.elements.pool_level == Some(fiscus_core::ledger::PoolLevel::Total);
                continue;
            }
            let figures = &row.figures;
            let open_fen = figures.available_fen + figures.frozen_fen;
            let carry = rule.carry_of(&row.elements, open_fen).0;
            preview.n_open += 1;
            preview.carry_fen += carry;
            preview.lapse_fen += (open_fen - carry).max(0);
            preview.frozen_fen += figures.frozen_fen.max(0);
            if figures.reserved_fen != 0 {
                preview.n_blocking += 1;
                preview.blocking_fen += figures.reserved_fen;
            }
        }
        preview.closed =
            store::close_records(&self.db, Some(i64::from(fiscal_year)), &region.region_path)
                .await?
                .into_iter()
                .find(|record| record.mof_div_code == mof_div_code);
        Ok(preview)
    }

    /// The close records of the regions in `who`'s subtree, of one year or all.
    pub async fn year_end_records(
        &self,
        who: &Principal,
        fiscal_year: Option<i64>,
    ) -> Result<Vec<CloseRecord>, AppError> {
        require_reader(who, &who.region_path)?;
        Ok(store::close_records(&self.db, fiscal_year, &who.region_path).await?)
    }

    /// Regions with open indicators of `fiscal_year` not closed yet, leaves first (the CLI
    /// closes them in this order).
    pub async fn year_end_regions(&self, fiscal_year: i32) -> Result<Vec<String>, AppError> {
        Ok(store::regions_to_close(&self.db, fiscal_year)
            .await?
            .into_iter()
            .map(|(code, _)| code)
            .collect())
    }
}

fn millis(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}
