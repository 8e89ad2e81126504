//! The payment phase: twelve monthly rounds. In each, unit clerks enter the month's
//! applications against their indicators with `App::payment_batch` (submitted: reservation
//! and flow in one transaction per batch), the unit approvers approve them from the 待办
//! (`flow_batch`: vouchers generated and signed), the job worker sends them, bank-sim pays
//! or returns them (payee accounts ending 0000 are returned, 9999 refunded later) and posts
//! signed receipts to the real router; once every voucher of the month is decided the
//! treasury sends the day's clearing notices to the PBOC (清算). After the last month the
//! phase waits for the refunds and the clearing receipts.
//!
//! The services date vouchers by the clock, so the months are rounds, not calendar months:
//! the counts and amounts are what the seed decides, the dates are the run's.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use fiscus_app::RequestCtx;
use fiscus_core::payment::application::PaymentDraft;

use super::approvals::approve_all;
use super::world::STREAM_PAYMENTS;
use super::{PhaseReport, Progress, World};
use crate::app_error;
use crate::bank_loop::{bank_today, sim_quiet, sim_state};

/// Applications per `payment_batch` (one transaction each).
const ENTRY_BATCH: usize = 250;
/// The wait for the bank gives up when nothing moved for this long.
const STALL_SECONDS: u64 = 120;
/// Every 37th payment goes to a closed account (the bank returns it), every 41st to an
/// account the bank refunds later.
const RETURN_EVERY: usize = 37;
const REFUND_EVERY: usize = 41;
/// At most this share (percent) of an indicator is spent, so adjustments and cuts never
/// leave a payment without money.
const SPEND_PERCENT_MAX: i64 = 60;

/// Payments of the year and paying units, per scale.
fn sizes(world: &World) -> (usize, usize) {
    match world.scale {
        fiscus_app::demo::Scale::Small => (360, 16),
        fiscus_app::demo::Scale::Corps => (20_000, 400),
    }
}

/// One payer: its clerk and its indicators with what may still be spent.
struct Payer {
    agency_code: String,
    indicators: Vec<(String, i64)>,
}

async fn payers(world: &World, n_payers: usize) -> Result<Vec<Payer>> {
    let step = (world.plans.len() / n_payers.max(1)).max(1);
    let mut payers = Vec::new();
    for plan in world.plans.iter().step_by(step).take(n_payers) {
        let query = fiscus_store::budget::LineQuery {
            fiscal_year: i64::from(world.year),
            agency_code: Some(plan.agency_code.clone()),
            approved_only: true,
            limit: 1_000,
            ..fiscus_store::budget::LineQuery::default()
        };
        let (mut lines, _) = fiscus_store::budget::lines(
            &world.app.db,
            fiscus_store::records::Viewer::System,
            &query,
        )
        .await?;
        lines.sort_by(|a, b| {
            (&a.pro_code, &a.exp_func_code, &a.dep_bgt_eco_code).cmp(&(
                &b.pro_code,
                &b.exp_func_code,
                &b.dep_bgt_eco_code,
            ))
        });
        let indicators = lines
            .into_iter()
            .filter_map(|line| {
                let budget = line.cur_amt / 100 * SPEND_PERCENT_MAX;
                line.bgt_id.map(|bgt_id| (bgt_id, budget))
            })
            .filter(|(_, budget)| *budget > 0)
            .collect::<Vec<_>>();
        if !indicators.is_empty() {
            payers.push(Payer {
                agency_code: plan.agency_code.clone(),
                indicators,
            });
        }
    }
    Ok(payers)
}

fn draft(bgt_id: &str, index: usize, fen: i64) -> PaymentDraft {
    let account_tail = if index % RETURN_EVERY == RETURN_EVERY - 1 {
        "0000".to_owned()
    } else if index % REFUND_EVERY == REFUND_EVERY - 1 {
        "9999".to_owned()
    } else {
        format!("{:04}", 1 + index % 9_000)
    };
    PaymentDraft {
        bgt_id: bgt_id.to_owned(),
        payee_acct_name: "石河子市文具有限公司".into(),
        payee_acct_no: format!("62220000{:04}{account_tail}", index % 10_000),
        payee_acct_bank_name: "中国工商银行石河子分行".into(),
        pay_app_amt: format!("{}.{:02}", fen / 100, fen % 100),
        use_des: "购买办公用品".into(),
        ..PaymentDraft::default()
    }
}

/// What the phase counted along the way.
#[derive(Default)]
struct Tally {
    n_entered: usize,
    n_approvals: usize,
    n_notices: usize,
    entered_fen: i64,
    n_skipped: usize,
}

/// Phase 4: twelve monthly rounds of payments, each ending with the day's clearing.
pub async fn payments(world: &mut World, progress: &mut Progress) -> Result<PhaseReport> {
    let (n_payments, n_payers) = sizes(world);
    let mut payers = payers(world, n_payers).await?;
    let mut rng = world.rng(STREAM_PAYMENTS);
    let mut tally = Tally::default();
    let per_month = n_payments.div_ceil(12);
    let mut index = 0;
    for month in 1..=12_usize {
        // The month's applications, by unit, in payment order.
        let mut by_unit: BTreeMap<usize, Vec<(u32, PaymentDraft)>> = BTreeMap::new();
        while index < (per_month * month).min(n_payments) {
            let payer_index = usize::try_from(rng.range(0, payers.len() as u64 - 1)).unwrap_or(0);
            let payer = &mut payers[payer_index];
            let pick =
                usize::try_from(rng.range(0, payer.indicators.len() as u64 - 1)).unwrap_or(0);
            let (bgt_id, left) = &mut payer.indicators[pick];
            // 10.00 … 8,000.00 元, at most a third of what the indicator still may spend.
            let high = (*left / 3).clamp(1_000, 800_000);
            let fen = i64::try_from(rng.range(1_000, u64::try_from(high).unwrap_or(1_000)))
                .unwrap_or(1_000);
            if *left < fen {
                tally.n_skipped += 1;
            } else {
                *left -= fen;
                let rows = by_unit.entry(payer_index).or_default();
                let row = u32::try_from(rows.len() + 2).unwrap_or(u32::MAX);
                rows.push((row, draft(bgt_id, index, fen)));
                tally.entered_fen += fen;
            }
            index += 1;
        }
        enter(world, &payers, by_unit, &mut tally, n_payments, progress).await?;
        tally.n_approvals += approve_all(world, "payment_application", progress).await?;
        wait_decided(world, progress, month).await?;
        let sent = world
            .app
            .bank_send_clearing(&bank_today(), time::OffsetDateTime::now_utc())
            .await
            .map_err(app_error)?;
        tally.n_notices += sent.len();
        progress.tick("支付（月）", month, 12);
    }
    let state = wait_refunds_and_clearing(world).await?;
    report(world, &tally, &state).await
}

async fn enter(
    world: &mut World,
    payers: &[Payer],
    by_unit: BTreeMap<usize, Vec<(u32, PaymentDraft)>>,
    tally: &mut Tally,
    n_payments: usize,
    progress: &mut Progress,
) -> Result<()> {
    let ctx = RequestCtx::default();
    for (payer_index, rows) in by_unit {
        let clerk = world
            .principal(&format!("u{}_clerk", payers[payer_index].agency_code))
            .await?;
        for chunk in rows.chunks(ENTRY_BATCH) {
            let report = world
                .app
                .payment_batch(&clerk, chunk.to_vec(), true, &ctx)
                .await
                .map_err(app_error)?;
            if let Some(error) = report.errors.first() {
                bail!(
                    "batch entry of {} refused row {}: {} ({})",
                    payers[payer_index].agency_code,
                    error.row,
                    error.rejection.message(),
                    error.rejection.code()
                );
            }
            tally.n_entered += chunk.len();
            progress.tick("支付申请录入", tally.n_entered, n_payments);
        }
    }
    Ok(())
}

async fn count(world: &World, from_where: &str) -> Result<i64> {
    Ok(fiscus_store::verify::count(&world.app.db, from_where).await?)
}

/// Waits until every voucher is decided by the bank (paid, returned or refunded).
async fn wait_decided(world: &World, progress: &mut Progress, month: usize) -> Result<()> {
    let mut last = -1;
    let mut last_moved = Instant::now();
    loop {
        let open = count(
            world,
            "payment_voucher WHERE status IN ('approved', 'sent')",
        )
        .await?;
        if open == 0 {
            return Ok(());
        }
        if open != last {
            last = open;
            last_moved = Instant::now();
        } else if last_moved.elapsed() > Duration::from_secs(STALL_SECONDS) {
            bail!("month {month}: {open} vouchers still undecided after {STALL_SECONDS} s");
        }
        let all = count(world, "payment_voucher").await?;
        let done = usize::try_from(all - open).unwrap_or(0);
        progress.tick("银行支付", done, usize::try_from(all).unwrap_or(0));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// After the last month: the refunds the bank owes have arrived and every clearing notice
/// has its receipt; then the simulator goes quiet.
async fn wait_refunds_and_clearing(world: &World) -> Result<serde_json::Value> {
    let started = Instant::now();
    loop {
        let state = sim_state(&world.sim_url).await?;
        let refunded_here = count(
            world,
            "payment_voucher WHERE status IN ('refunded', 'partly_refunded')",
        )
        .await?;
        let refunded_there = state["totals"]["n_refunded"].as_i64().unwrap_or(-1);
        let cleared_there = state["totals"]["n_cleared"].as_i64().unwrap_or(-1);
        let noticed = count(
            world,
            "payment_voucher WHERE lqd_quota_notice_no IS NOT NULL",
        )
        .await?;
        if refunded_here == refunded_there && cleared_there == noticed {
            return sim_quiet(&world.sim_url).await;
        }
        if started.elapsed() > Duration::from_secs(STALL_SECONDS) {
            bail!(
                "refunds {refunded_here} here, {refunded_there} at the bank; cleared \
                 {cleared_there} of {noticed} noticed, after {STALL_SECONDS} s"
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn report(world: &World, tally: &Tally, state: &serde_json::Value) -> Result<PhaseReport> {
    let mut report = PhaseReport::default();
    let n_paid = count(world, "payment_voucher WHERE status = 'paid'").await?;
    let n_returned = count(world, "payment_voucher WHERE status = 'returned'").await?;
    let n_refunded = count(
        world,
        "payment_voucher WHERE status IN ('refunded', 'partly_refunded')",
    )
    .await?;
    let totals = &state["totals"];
    let get = |key: &str| totals[key].as_i64().unwrap_or(-1);
    report.count("payments", tally.n_entered);
    report.count("payments_skipped_no_money", tally.n_skipped);
    report.count("payment_approvals", tally.n_approvals);
    report.count("vouchers_paid", n_paid);
    report.count("vouchers_returned", n_returned);
    report.count("vouchers_refunded", n_refunded);
    report.count("clearing_notices", tally.n_notices);
    report.count("bank_cleared", get("n_cleared"));
    report.amount("entered_fen", tally.entered_fen);
    report.amount("bank_paid_fen", get("paid_fen"));
    report.amount("bank_refunded_fen", get("refunded_fen"));
    report.amount("bank_cleared_fen", get("cleared_fen"));
    if get("n_returned") != n_returned {
        report.problems.push(format!(
            "the bank returned {} vouchers, {n_returned} are returned here",
            get("n_returned")
        ));
    }
    Ok(report)
}
