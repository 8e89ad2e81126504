//! `fiscus bench year-end [--indicators 450000]`: the region year-end close (ADR 0011) on a
//! corps-scale database. Untimed: the corps demo (regions, units, its 2026 ledger), then a
//! 2025 ledger of at least `--indicators` open indicators spread over the corps' regions
//! through the store's seed path (each region's 总待分 pool, executable indicators of its
//! units, some frozen money, some spent). Timed: the close of every region of 2025, leaves
//! first, through the CLI path (`year_end::run`). Prints the figures and a last line
//! `year-end: N indicators in X s`; the target is under 60 s.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use fiscus_app::App;
use fiscus_app::demo::{self, Scale};
use fiscus_app::ledger::ops::CarryRule;
use fiscus_app::settings::{Secret, Settings};
use fiscus_core::Fen;
use fiscus_core::code::{AgencyCode, FiscalYear, MofDivCode};
use fiscus_core::ledger::{
    AccountId, AccountKind, BgtId, CtrlLevel, ExeFlag, IndicatorElements, PoolLevel, Reason,
    TransferId, TransferSpec,
};
use fiscus_store::ledger::seed::{SeedIndicator, seed};

use crate::app_error;
use crate::bench::{Line, print_table, remove_sqlite_files};
use crate::serve::{open_app, redact_url, seconds_one_decimal};

/// The flags of `fiscus bench year-end`.
#[derive(Clone, Debug)]
pub struct YearEndBench {
    pub database_url: Option<String>,
    pub indicators: usize,
}

const SECONDS_MAX: u64 = 60;
/// The benchmark's year: before the demo's 2026, so the close carries into the demo's year.
const BENCH_YEAR: i32 = 2025;
const INDICATOR_FEN: i64 = 10_000_000;

/// Runs the benchmark; returns whether the target was met.
pub async fn year_end(bench: YearEndBench) -> Result<bool> {
    let temporary = bench.database_url.is_none().then(|| {
        std::env::temp_dir().join(format!("fiscus-bench-year-end-{}.db", std::process::id()))
    });
    let url = match (&bench.database_url, &temporary) {
        (Some(url), _) => url.clone(),
        (None, Some(path)) => format!("sqlite://{}", path.display()),
        (None, None) => bail!("no database for the benchmark"),
    };
    let settings = Settings {
        database_url: url.clone(),
        secret_key: Secret::new(fiscus_app::crypto::random_token().map_err(app_error)?),
        ..Settings::default()
    };
    println!(
        "bench year-end on {}: {} indicators of {BENCH_YEAR}",
        match &temporary {
            Some(path) => format!("a fresh temporary SQLite file {}", path.display()),
            None => redact_url(&url),
        },
        bench.indicators
    );
    let app = open_app(&settings).await?;
    let measured = measure(&app, bench.indicators).await;
    app.db.close().await;
    if let Some(path) = &temporary {
        remove_sqlite_files(path);
    }
    let (lines, n, elapsed) = measured?;
    print_table(
        &lines,
        Some(
            "Year-end: every region of the corps closed one by one through `fiscus year-end` \
             (rule: projects carry, the rest lapses), one transaction per region.",
        ),
    );
    let passed = lines.iter().all(|line| line.pass != Some(false));
    println!("bench year-end: {}", if passed { "PASS" } else { "FAIL" });
    println!(
        "year-end: {n} indicators in {} s",
        seconds_one_decimal(elapsed)
    );
    Ok(passed)
}

async fn measure(app: &App, n_indicators: usize) -> Result<(Vec<Line>, i64, Duration)> {
    let started = Instant::now();
    eprintln!("loading the corps demo …");
    demo::run(app, Scale::Corps).await.map_err(app_error)?;
    eprintln!(
        "demo loaded in {} s",
        seconds_one_decimal(started.elapsed())
    );
    let seeded = Instant::now();
    let n_seeded = seed_year(app, n_indicators).await?;
    eprintln!(
        "seeded {n_seeded} indicators of {BENCH_YEAR} in {} s",
        seconds_one_decimal(seeded.elapsed())
    );
    let run = crate::year_end::run(app, BENCH_YEAR, None, CarryRule::ProjectsOnly, false).await?;
    if run.n_failed > 0 {
        bail!("{} regions were not closed", run.n_failed);
    }
    let seconds_tenths = run.elapsed.as_millis() / 100;
    let per_second = if run.elapsed.as_millis() == 0 {
        0
    } else {
        u128::try_from(run.n_indicators).unwrap_or_default() * 1000 / run.elapsed.as_millis()
    };
    let (slowest_region, slowest) = run
        .slowest
        .clone()
        .unwrap_or_else(|| (String::new(), Duration::ZERO));
    let lines = vec![
        Line {
            measure: format!(
                "close of {} indicators in {} regions",
                run.n_indicators, run.n_regions
            ),
            target: format!("< {SECONDS_MAX} s"),
            measured: format!("{} s", seconds_one_decimal(run.elapsed)),
            pass: Some(seconds_tenths < u128::from(SECONDS_MAX) * 10),
        },
        Line {
            measure: "indicators closed per second".into(),
            target: String::new(),
            measured: format!("{per_second}/s"),
            pass: None,
        },
        Line {
            measure: format!("slowest region ({slowest_region})"),
            target: String::new(),
            measured: format!("{} s", seconds_one_decimal(slowest)),
            pass: None,
        },
        Line {
            measure: format!("carried into {}", BENCH_YEAR + 1),
            target: String::new(),
            measured: format!(
                "{} indicators, {} 元; lapsed {} 元",
                run.n_carried,
                Fen(i64::try_from(run.carried_fen).unwrap_or(i64::MAX)).to_yuan_string(),
                Fen(i64::try_from(run.lapsed_fen).unwrap_or(i64::MAX)).to_yuan_string()
            ),
            pass: None,
        },
    ];
    Ok((lines, run.n_indicators, run.elapsed))
}

/// Seeds `n` open executable indicators of `BENCH_YEAR` over the corps' regions (not the
/// 辖区 roll-ups), each region with its 总待分 pool; every 7th indicator has money frozen,
/// every 5th spent some, every 2nd is a project. One seed call (one transaction) per region.
async fn seed_year(app: &App, n: usize) -> Result<usize> {
    let data = demo::generate(Scale::Corps);
    let regions: Vec<&demo::DemoRegion> = data
        .regions
        .iter()
        .filter(|region| !region.mof_div_code.ends_with("998"))
        .collect();
    if regions.is_empty() {
        bail!("the corps demo has no regions");
    }
    let per_region = n.div_ceil(regions.len());
    let mut total = 0;
    for (region_index, region) in regions.iter().enumerate() {
        let units: Vec<&str> = data
            .units
            .iter()
            .filter(|unit| unit.mof_div_code == region.mof_div_code)
            .map(|unit| unit.agency_code.as_str())
            .collect();
        let (indicators, transfers) =
            region_ledger(region_index, &region.mof_div_code, &units, per_region)?;
        let mut tx = app.db.begin().await?;
        seed(
            &mut tx,
            &indicators,
            &transfers,
            "bench",
            "2025-12-31T00:00:00Z",
        )
        .await?;
        tx.commit().await?;
        total += indicators.len() - 1;
    }
    Ok(total)
}

fn region_ledger(
    region_index: usize,
    mof_div_code: &str,
    units: &[&str],
    n: usize,
) -> Result<(Vec<SeedIndicator>, Vec<TransferSpec>)> {
    let region =
        MofDivCode::parse(mof_div_code).map_err(|rejection| app_error(rejection.into()))?;
    let base = IndicatorElements {
        mof_div_code: region.clone(),
        fiscal_year: FiscalYear(BENCH_YEAR),
        agency_code: None,
        pro_code: String::new(),
        exp_func_code: "2010101".into(),
        gov_bgt_eco_code: "501".into(),
        dep_bgt_eco_code: "301".into(),
        fund_type_code: "111".into(),
        bgt_type_code: "12".into(),
        pay_type_code: "1".into(),
        source_type_code: "1".into(),
        cor_bgt_doc_no: format!("财预〔{BENCH_YEAR}〕1号"),
        bgt_doc_title: format!("{BENCH_YEAR}年基准测试指标"),
        doc_date: format!("{BENCH_YEAR}-01-10"),
        bgt_dec: String::new(),
        sup_bgt_doc_no: String::new(),
        ori_bgt_id: None,
        bgt_exe_flag: ExeFlag::Executable,
        pool_level: None,
        is_direct: false,
        is_three_safe: false,
        is_three_public: false,
        is_gov_pur: false,
        is_contrlbyplan: false,
        is_not_control_pay: false,
    };
    let source = AccountId::source(&region, FiscalYear(BENCH_YEAR));
    let mut indicators = Vec::with_capacity(n + 1);
    let mut transfers = Vec::with_capacity(n * 2);
    let mut transfer = |debit: AccountId, credit: AccountId, amount: i64, reason: Reason| {
        let id = TransferId::generated(format!("ye.bench.{region_index}.{}", transfers.len() + 1));
        transfers.push(TransferSpec::posted(
            id,
            debit,
            credit,
            Fen(amount),
            reason,
            CtrlLevel::Strict,
        ));
    };
    let pool = BgtId::generated(format!("YEB{region_index:03}POOL"));
    indicators.push(SeedIndicator {
        bgt_id: pool.clone(),
        elements: IndicatorElements {
            bgt_exe_flag: ExeFlag::Pool,
            pool_level: Some(PoolLevel::Total),
            bgt_type_code: "13".into(),
            exp_func_code: String::new(),
            gov_bgt_eco_code: String::new(),
            dep_bgt_eco_code: String::new(),
            ..base.clone()
        },
        orig_amount: Fen(INDICATOR_FEN),
        doc_id: None,
    });
    transfer(
        source.clone(),
        AccountId::of(&pool, AccountKind::Avail),
        INDICATOR_FEN,
        Reason::Enter,
    );
    for index in 0..n {
        let bgt_id = BgtId::generated(format!("YEB{region_index:03}X{index:07}"));
        let agency_code = match units.get(index % units.len().max(1)) {
            Some(code) => {
                Some(AgencyCode::parse(code).map_err(|rejection| app_error(rejection.into()))?)
            }
            None => None,
        };
        let amount = INDICATOR_FEN + i64::try_from(index % 1000).unwrap_or_default() * 100;
        indicators.push(SeedIndicator {
            bgt_id: bgt_id.clone(),
            elements: IndicatorElements {
                agency_code,
                pro_code: if index % 2 == 0 {
                    format!("P{BENCH_YEAR}{:05}", index % 100_000)
                } else {
                    String::new()
                },
                ..base.clone()
            },
            orig_amount: Fen(amount),
            doc_id: None,
        });
        let avail = AccountId::of(&bgt_id, AccountKind::Avail);
        transfer(source.clone(), avail.clone(), amount, Reason::Enter);
        if index % 5 == 0 {
            transfer(
                avail.clone(),
                AccountId::of(&bgt_id, AccountKind::Spent),
                amount / 3,
                Reason::Payment,
            );
        }
        if index % 7 == 0 {
            transfer(
                avail,
                AccountId::of(&bgt_id, AccountKind::Frozen),
                amount / 4,
                Reason::Freeze,
            );
        }
    }
    Ok((indicators, transfers))
}
