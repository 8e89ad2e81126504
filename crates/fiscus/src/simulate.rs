//! `fiscus simulate`: one whole fiscal year driven through the real application services —
//! the end-to-end proof (ADR 0014). A fresh database gets the demo's master data and project
//! library, then named phases run in order: the compilation 二上二下 and 批复 into
//! indicators, 下达 and 分解 of region pools, adjustments, payments month by month through
//! the bank simulator with returns, refunds and clearing, accounting (vouchers, review,
//! posting, month closes), and finally the checks. Every choice comes from one seeded
//! `DemoRng`; a digest line of the resulting figures is the same for the same seed. The
//! last line is `simulate: ok …` or `simulate: FAILED …`.

mod accounting;
mod approvals;
mod budget;
mod checks;
mod close;
mod payments;
mod world;

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use fiscus_app::demo::Scale;

use crate::bench::remove_sqlite_files;
use crate::serve::{open_app, redact_url, seconds_one_decimal};

pub use world::World;

/// The flags of `fiscus simulate`.
#[derive(Clone, Debug)]
pub struct SimulateArgs {
    pub year: i32,
    pub scale: Scale,
    pub seed: u64,
    pub database_url: Option<String>,
}

/// The one year the simulation can run: the demo's compilation year (its code tables, its
/// project library). Other years need the demo to generate them first.
pub const SIMULATED_YEAR: i32 = fiscus_app::demo::budget::BUDGET_YEAR as i32;

/// The phases, in order. Each reads what the earlier ones left in the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Compilation,
    Release,
    Adjustments,
    Payments,
    Accounting,
    YearEnd,
    AccountingClose,
    FinalAccounts,
    Checks,
}

pub const PHASES: [Phase; 9] = [
    Phase::Compilation,
    Phase::Release,
    Phase::Adjustments,
    Phase::Payments,
    Phase::Accounting,
    Phase::YearEnd,
    Phase::AccountingClose,
    Phase::FinalAccounts,
    Phase::Checks,
];

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Compilation => "编制 二上二下 与批复",
            Phase::Release => "指标下达与分解",
            Phase::Adjustments => "预算调整调剂",
            Phase::Payments => "支付、退回、退款与清算",
            Phase::Accounting => "会计核算与月结",
            Phase::YearEnd => "指标年终结转结余",
            Phase::AccountingClose => "会计年终结账",
            Phase::FinalAccounts => "决算生成、校验与对账",
            Phase::Checks => "核对",
        }
    }
}

/// What a phase did: counts and amounts (fen) in a fixed order, and problems found.
#[derive(Clone, Debug, Default)]
pub struct PhaseReport {
    pub counts: Vec<(&'static str, i64)>,
    pub amounts_fen: Vec<(&'static str, i64)>,
    /// Mismatches; any makes the run fail.
    pub problems: Vec<String>,
}

impl PhaseReport {
    pub fn count(&mut self, name: &'static str, n: impl TryInto<i64>) {
        self.counts.push((name, n.try_into().unwrap_or(i64::MAX)));
    }

    pub fn amount(&mut self, name: &'static str, fen: i64) {
        self.amounts_fen.push((name, fen));
    }

    pub fn get(&self, name: &str) -> i64 {
        self.counts
            .iter()
            .chain(&self.amounts_fen)
            .find(|(n, _)| *n == name)
            .map_or(0, |(_, v)| *v)
    }
}

/// Progress on stderr: `[4/6] 支付 1200/4000 …`, at most every few seconds per phase.
pub struct Progress {
    prefix: String,
    next_at: Instant,
}

impl Progress {
    pub fn new(index: usize, phase: Phase) -> Progress {
        Progress {
            prefix: format!("[{}/{}]", index + 1, PHASES.len()),
            next_at: Instant::now(),
        }
        .started(phase)
    }

    fn started(self, phase: Phase) -> Progress {
        eprintln!("{} {} …", self.prefix, phase.name());
        self
    }

    /// Prints `what done/total` unless a line was printed less than 3 s ago.
    pub fn tick(&mut self, what: &str, done: usize, total: usize) {
        if Instant::now() >= self.next_at || done == total {
            eprintln!("{} {what} {done}/{total} …", self.prefix);
            self.next_at = Instant::now() + Duration::from_secs(3);
        }
    }

    pub fn note(&self, text: &str) {
        eprintln!("{} {text}", self.prefix);
    }
}

/// Runs the simulation; returns whether every check held.
pub async fn simulate(args: SimulateArgs) -> Result<bool> {
    if args.year != SIMULATED_YEAR {
        bail!(
            "simulate runs the demo's compilation year {SIMULATED_YEAR} only (its code tables \
             and project library); --year {} is not available",
            args.year
        );
    }
    let temporary = args
        .database_url
        .is_none()
        .then(|| std::env::temp_dir().join(format!("fiscus-simulate-{}.db", std::process::id())));
    let url = match (&args.database_url, &temporary) {
        (Some(url), _) => url.clone(),
        (None, Some(path)) => format!("sqlite://{}", path.display()),
        (None, None) => bail!("no database for the simulation"),
    };
    eprintln!(
        "simulate {} at scale {} with seed {} on {}",
        args.year,
        args.scale.as_str(),
        args.seed,
        match &temporary {
            Some(path) => format!("a fresh temporary SQLite file {}", path.display()),
            None => redact_url(&url),
        }
    );
    let outcome = run(&url, &args).await;
    if let Some(path) = &temporary {
        remove_sqlite_files(path);
    }
    outcome
}

async fn run(url: &str, args: &SimulateArgs) -> Result<bool> {
    let started = Instant::now();
    let mut settings = crate::bank_loop::settings_with_bank_keys(url)?;
    let app = open_app(&settings).await?;
    let result = async {
        let mut world = World::set_up(app.clone(), &mut settings, args).await?;
        let ran = run_phases(&mut world).await;
        world.tear_down().await;
        ran
    }
    .await;
    app.db.close().await;
    let reports = result?;
    Ok(summarize(args, &reports, started.elapsed()))
}

async fn run_phases(world: &mut World) -> Result<Vec<(Phase, PhaseReport, Duration)>> {
    let mut reports = Vec::new();
    for (index, phase) in PHASES.into_iter().enumerate() {
        let mut progress = Progress::new(index, phase);
        let phase_started = Instant::now();
        let report = match phase {
            Phase::Compilation => budget::compilation(world, &mut progress).await?,
            Phase::Release => budget::release(world, &mut progress).await?,
            Phase::Adjustments => budget::adjustments(world, &mut progress).await?,
            Phase::Payments => payments::payments(world, &mut progress).await?,
            Phase::Accounting => accounting::accounting(world, &mut progress).await?,
            Phase::YearEnd => close::ledger_year_end(world, &mut progress).await?,
            Phase::AccountingClose => close::accounting_year_close(world, &mut progress).await?,
            Phase::FinalAccounts => close::final_accounts(world, &mut progress).await?,
            Phase::Checks => checks::checks(world, &reports, &mut progress).await?,
        };
        let elapsed = phase_started.elapsed();
        progress.note(&format!("done in {} s", seconds_one_decimal(elapsed)));
        for problem in &report.problems {
            eprintln!("MISMATCH {}: {problem}", phase.name());
        }
        reports.push((phase, report, elapsed));
    }
    Ok(reports)
}

/// The figures that must be the same for the same seed, on one line.
pub fn digest(reports: &[(Phase, PhaseReport, Duration)]) -> String {
    let mut parts = Vec::new();
    for (_, report, _) in reports {
        for (name, value) in report.counts.iter().chain(&report.amounts_fen) {
            parts.push(format!("{name}={value}"));
        }
    }
    parts.join(" ")
}

fn summarize(
    args: &SimulateArgs,
    reports: &[(Phase, PhaseReport, Duration)],
    elapsed: Duration,
) -> bool {
    println!("phase | counts and amounts | elapsed");
    println!("--- | --- | ---");
    for (phase, report, phase_elapsed) in reports {
        let counts: Vec<String> = report
            .counts
            .iter()
            .map(|(name, n)| format!("{name} {n}"))
            .chain(report.amounts_fen.iter().map(|(name, fen)| {
                format!("{name} {} 元", fiscus_core::Fen(*fen).to_yuan_string())
            }))
            .collect();
        println!(
            "{} | {} | {} s",
            phase.name(),
            counts.join(", "),
            seconds_one_decimal(*phase_elapsed)
        );
    }
    let problems: usize = reports.iter().map(|(_, r, _)| r.problems.len()).sum();
    let figure = |name: &str| {
        reports
            .iter()
            .map(|(_, report, _)| report.get(name))
            .find(|v| *v != 0)
            .unwrap_or(0)
    };
    println!("simulate digest: {}", digest(reports));
    let verdict = if problems == 0 { "ok" } else { "FAILED" };
    println!(
        "simulate: {verdict} year={} scale={} seed={} units={} indicators={} payments={} mismatches={problems} elapsed={}s",
        args.year,
        args.scale.as_str(),
        args.seed,
        figure("units"),
        figure("indicators"),
        figure("payments"),
        seconds_one_decimal(elapsed)
    );
    problems == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checks_come_last_and_phase_names_are_distinct() {
        assert_eq!(PHASES.last(), Some(&Phase::Checks));
        let mut names: Vec<&str> = PHASES.iter().map(|phase| phase.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), PHASES.len());
    }

    #[test]
    fn the_digest_lists_every_figure_in_phase_order() {
        let mut first = PhaseReport::default();
        first.count("units", 3_usize);
        first.amount("approved_fen", 1_000);
        let mut second = PhaseReport::default();
        second.count("payments", 7_usize);
        let reports = vec![
            (Phase::Compilation, first, Duration::ZERO),
            (Phase::Payments, second, Duration::from_secs(9)),
        ];
        assert_eq!(digest(&reports), "units=3 approved_fen=1000 payments=7");
        assert_eq!(reports[0].1.get("approved_fen"), 1_000);
        assert_eq!(reports[1].1.get("missing"), 0);
    }
}
