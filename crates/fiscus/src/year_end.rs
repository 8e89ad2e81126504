//! `fiscus year-end --year Y [--region CODE] [--rule projects|all|nothing]`: the year-end
//! close of the indicator ledger (年终结转结余, ADR 0011) from the console, as the system
//! principal. Without --region every region with open indicators of the year is closed,
//! leaves first (children before their parents); each region prints its progress and a
//! summary line, and the last line is `year-end: N indicators in X s`.

use std::time::{Duration, Instant};

use anyhow::Result;
use fiscus_app::ledger::ops::CarryRule;
use fiscus_app::ledger::year_end::{YearEndProgress, YearEndStage};
use fiscus_app::{App, RequestCtx};
use fiscus_core::Fen;

use crate::admin::system_principal;
use crate::app_error;
use crate::serve::seconds_one_decimal;

/// What a run closed.
#[derive(Clone, Debug, Default)]
pub struct YearEndRun {
    pub n_regions: usize,
    pub n_failed: usize,
    pub n_indicators: i64,
    pub n_carried: i64,
    pub carried_fen: i128,
    pub lapsed_fen: i128,
    pub elapsed: Duration,
    /// The slowest region and its time.
    pub slowest: Option<(String, Duration)>,
}

/// Closes `region` (or every region with open indicators of `year`, leaves first).
/// `verbose` prints the stages of each region.
pub async fn run(
    app: &App,
    year: i32,
    region: Option<&str>,
    rule: CarryRule,
    verbose: bool,
) -> Result<YearEndRun> {
    let system = system_principal(app).await?;
    let regions = match region {
        Some(code) => vec![code.to_owned()],
        None => app.year_end_regions(year).await.map_err(app_error)?,
    };
    println!(
        "year-end {year}: {} region(s) to close, rule {} ({})",
        regions.len(),
        rule.code(),
        rule.label()
    );
    let started = Instant::now();
    let mut done = YearEndRun::default();
    let progress = |step: YearEndProgress| {
        if verbose {
            let stage = match step.stage {
                YearEndStage::Read => "read",
                YearEndStage::Planned => "planned",
                YearEndStage::Committed => "committed",
            };
            println!(
                "  {} {stage} {} at {} ms",
                step.mof_div_code, step.n, step.elapsed_millis
            );
        }
    };
    for code in &regions {
        let region_started = Instant::now();
        let result = app
            .year_end_close(
                &system,
                code,
                year,
                rule,
                Some(&progress),
                &RequestCtx::default(),
            )
            .await;
        let elapsed = region_started.elapsed();
        match result {
            Ok(summary) => {
                let totals = summary.totals;
                println!(
                    "region {code}: {} indicators closed, {} carried ({} 元), {} 元 lapsed, {} 元 released from 冻结, {} transfers, {} s",
                    totals.n_closed,
                    totals.n_carried,
                    Fen(totals.carried_fen).to_yuan_string(),
                    Fen(totals.lapsed_fen).to_yuan_string(),
                    Fen(totals.released_fen).to_yuan_string(),
                    totals.n_transfers,
                    seconds_one_decimal(elapsed)
                );
                done.n_regions += 1;
                done.n_indicators += totals.n_closed;
                done.n_carried += totals.n_carried;
                done.carried_fen += i128::from(totals.carried_fen);
                done.lapsed_fen += i128::from(totals.lapsed_fen);
                if done
                    .slowest
                    .as_ref()
                    .is_none_or(|(_, slowest)| elapsed > *slowest)
                {
                    done.slowest = Some((code.clone(), elapsed));
                }
            }
            Err(error) => {
                done.n_failed += 1;
                println!("region {code}: not closed: {}", app_error(error));
            }
        }
    }
    done.elapsed = started.elapsed();
    if done.n_failed > 0 {
        println!("year-end {year}: {} region(s) not closed", done.n_failed);
    }
    println!(
        "year-end: {} indicators in {} s",
        done.n_indicators,
        seconds_one_decimal(done.elapsed)
    );
    Ok(done)
}

/// `--rule` of the command line.
pub fn rule_of(code: &str) -> Result<CarryRule> {
    CarryRule::from_code(code)
        .ok_or_else(|| anyhow::anyhow!("--rule must be projects, all or nothing, not {code}"))
}
