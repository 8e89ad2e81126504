//! `fiscus bench ledger`: the indicator ledger's throughput through the real app path
//! (`App::ledger_reserve` then `App::ledger_post`, many concurrent clients, so the writer
//! groups them), beside the raw rate of one conditional UPDATE per autocommit statement on
//! a bare table of the same database through the same pools; then the time `fiscus verify`
//! takes over a generated ledger of a million transfers. The last line is
//! `ledger: X/s baseline: Y/s ratio: Z`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use fiscus_app::App;
use fiscus_app::ledger::Reserve;
use fiscus_app::settings::{Secret, Settings};
use fiscus_core::Fen;
use fiscus_core::code::{FiscalYear, MofDivCode};
use fiscus_core::ledger::control::PaymentElements;
use fiscus_core::ledger::{
    AccountId, AccountKind, BgtId, CtrlLevel, ExeFlag, IndicatorElements, Reason, TransferId,
    TransferSpec,
};
use fiscus_store::Db;
use fiscus_store::ledger::verify::bench as fixture;
use fiscus_store::records::Viewer;

use crate::app_error;
use crate::bench::{Line, print_table, remove_sqlite_files};
use crate::serve::{open_app, redact_url, seconds_one_decimal};

/// The flags of `fiscus bench ledger`.
#[derive(Clone, Debug)]
pub struct LedgerBench {
    pub database_url: Option<String>,
    /// Ledger operations (reservations plus posts) to time, and as many baseline updates.
    pub ops: usize,
    /// Concurrent clients of both measures.
    pub clients: usize,
    /// Transfers of the generated ledger `fiscus verify` is timed over; 0 skips it.
    pub verify_transfers: i64,
}

/// Ratio targets in hundredths (integer arithmetic: the workspace lints warn on floats).
const SQLITE_RATIO_MIN_PERCENT: u128 = 50;
const POSTGRES_RATIO_MIN_PERCENT: u128 = 30;
const VERIFY_SECONDS_MAX: u64 = 30;
/// Indicators the reservations spread over, and the rows of the bare table.
const N_INDICATORS: usize = 1_000;
const REGION_CODE: &str = "669900000";
const FISCAL_YEAR: i32 = 2026;
/// Money of each benchmark indicator: far more than the benchmark reserves.
const INDICATOR_FEN: i64 = 1_000_000_000_000;
/// Reservations per indicator in each generated ledger indicator (100 transfers each).
const VERIFY_POSTS_PER_INDICATOR: i64 = 49;

/// Runs the benchmark; returns whether every target was met.
pub async fn ledger(bench: LedgerBench) -> Result<bool> {
    let temporary = bench.database_url.is_none().then(|| {
        std::env::temp_dir().join(format!("fiscus-bench-ledger-{}.db", std::process::id()))
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
        "bench ledger on {}: {} operations, {} clients",
        match &temporary {
            Some(path) => format!("a fresh temporary SQLite file {}", path.display()),
            None => redact_url(&url),
        },
        bench.ops,
        bench.clients
    );
    let measured = measure(&settings, &bench).await;
    if let Some(path) = &temporary {
        remove_sqlite_files(path);
    }
    let (lines, rates) = measured?;
    print_table(
        &lines,
        Some(
            "Ledger: each reservation and each post is one operation through the app (scope, \
             controls, element match, the group-commit writer). Baseline: one conditional UPDATE \
             of a bare table per autocommit statement, same pools, same clients.",
        ),
    );
    let passed = lines.iter().all(|line| line.pass != Some(false));
    println!("bench ledger: {}", if passed { "PASS" } else { "FAIL" });
    println!(
        "ledger: {}/s baseline: {}/s ratio: {}",
        rates.ledger,
        rates.baseline,
        hundredths(rates.ratio_percent)
    );
    Ok(passed)
}

struct Rates {
    ledger: u128,
    baseline: u128,
    /// ledger / baseline in hundredths.
    ratio_percent: u128,
}

async fn measure(settings: &Settings, bench: &LedgerBench) -> Result<(Vec<Line>, Rates)> {
    let app = open_app(settings).await?;
    let measured = measure_app(&app, bench).await;
    app.db.close().await;
    measured
}

async fn measure_app(app: &App, bench: &LedgerBench) -> Result<(Vec<Line>, Rates)> {
    let run = format!("b{}", std::process::id());
    eprintln!("creating {N_INDICATORS} indicators …");
    let bgt_ids = create_indicators(&app.db, &run).await?;
    let n_pairs = (bench.ops / 2).max(1);
    eprintln!("warming up …");
    run_ledger(
        app,
        &bgt_ids,
        &format!("{run}w"),
        bench.clients,
        bench.clients,
    )
    .await?;
    let baseline = run_baseline(&app.db, bench.ops, bench.clients).await?;
    let ledger = run_ledger(app, &bgt_ids, &run, n_pairs, bench.clients).await?;
    let ledger_rate = per_second(2 * n_pairs, ledger);
    let baseline_rate = per_second(bench.ops, baseline);
    let ratio = (ledger_rate * 100 + baseline_rate / 2) / baseline_rate.max(1);
    let (ratio_min, backend) = match app.db.backend() {
        fiscus_store::Backend::Sqlite => (SQLITE_RATIO_MIN_PERCENT, "SQLite"),
        fiscus_store::Backend::Postgres => (POSTGRES_RATIO_MIN_PERCENT, "PostgreSQL"),
    };
    let mut lines = vec![
        Line {
            measure: format!("baseline: {} conditional UPDATEs, autocommit", bench.ops),
            target: "—".into(),
            measured: format!("{baseline_rate}/s"),
            pass: None,
        },
        Line {
            measure: format!("ledger: {n_pairs} reservations + {n_pairs} posts"),
            target: "—".into(),
            measured: format!("{ledger_rate}/s"),
            pass: None,
        },
        Line {
            measure: format!("ledger / baseline on {backend}"),
            target: format!("≥ {}", hundredths(ratio_min)),
            measured: hundredths(ratio),
            pass: Some(ratio >= ratio_min),
        },
    ];
    if bench.verify_transfers > 0 {
        lines.push(time_verify(&app.db, &run, bench.verify_transfers).await?);
    }
    let rates = Rates {
        ledger: ledger_rate,
        baseline: baseline_rate,
        ratio_percent: ratio,
    };
    Ok((lines, rates))
}

fn elements() -> Result<IndicatorElements> {
    Ok(IndicatorElements {
        mof_div_code: MofDivCode::parse(REGION_CODE).map_err(|r| anyhow::anyhow!(r.message()))?,
        fiscal_year: FiscalYear(FISCAL_YEAR),
        agency_code: None,
        pro_code: String::new(),
        exp_func_code: String::new(),
        gov_bgt_eco_code: String::new(),
        dep_bgt_eco_code: String::new(),
        fund_type_code: String::new(),
        bgt_type_code: "12".into(),
        pay_type_code: String::new(),
        source_type_code: "1".into(),
        cor_bgt_doc_no: String::new(),
        bgt_doc_title: "基准测试指标".into(),
        doc_date: String::new(),
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
    })
}

/// Executable indicators with money, entered from the region's source by real transfers.
async fn create_indicators(db: &Db, run: &str) -> Result<Vec<BgtId>> {
    use fiscus_store::ledger::{BatchMeta, NewIndicator, apply_transfers, insert_indicators};
    let elements = elements()?;
    let at = fiscus_store::audit::now();
    let bgt_ids: Vec<BgtId> = (0..N_INDICATORS)
        .map(|index| BgtId::generated(format!("{run}-{index:04}")))
        .collect();
    let new: Vec<NewIndicator> = bgt_ids
        .iter()
        .map(|bgt_id| NewIndicator {
            bgt_id,
            elements: &elements,
            orig_amount: Fen(INDICATOR_FEN),
            doc_id: None,
            at: &at,
        })
        .collect();
    let source = AccountId::source(&elements.mof_div_code, elements.fiscal_year);
    let enters: Vec<TransferSpec> = bgt_ids
        .iter()
        .map(|bgt_id| {
            TransferSpec::posted(
                TransferId::generated(format!("{bgt_id}.enter")),
                source.clone(),
                AccountId::of(bgt_id, AccountKind::Avail),
                Fen(INDICATOR_FEN),
                Reason::Enter,
                CtrlLevel::None,
            )
        })
        .collect();
    let mut tx = db.begin().await?;
    fixture::ensure_region(&mut tx, REGION_CODE, &at).await?;
    insert_indicators(&mut tx, &new).await?;
    let meta = BatchMeta {
        batch_id: run,
        doc_id: None,
        actor: "bench",
        at: &at,
    };
    apply_transfers(&mut tx, &enters, meta).await?;
    tx.commit().await?;
    Ok(bgt_ids)
}

/// `n_pairs` reservations, each followed by its post, from `clients` tasks.
async fn run_ledger(
    app: &App,
    bgt_ids: &[BgtId],
    run: &str,
    n_pairs: usize,
    clients: usize,
) -> Result<Duration> {
    let next = Arc::new(AtomicUsize::new(0));
    let bgt_ids = Arc::new(bgt_ids.to_vec());
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let (app, next, bgt_ids, run) =
            (app.clone(), next.clone(), bgt_ids.clone(), run.to_owned());
        tasks.push(tokio::spawn(async move {
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= n_pairs {
                    return Ok::<(), anyhow::Error>(());
                }
                reserve_then_post(&app, &bgt_ids[index % bgt_ids.len()], &run, index).await?;
            }
        }));
    }
    for task in tasks {
        task.await.context("a ledger client panicked")??;
    }
    Ok(started.elapsed())
}

async fn reserve_then_post(app: &App, bgt_id: &BgtId, run: &str, index: usize) -> Result<()> {
    let ctx = fiscus_app::RequestCtx::default();
    let pending_id = TransferId::generated(format!("{run}.{index}.r"));
    let request = Reserve {
        transfer_id: pending_id.clone(),
        bgt_id: bgt_id.clone(),
        amount: Fen(100),
        elements: PaymentElements::default(),
        doc_id: None,
    };
    let receipt = app
        .ledger_reserve(Viewer::System, request, &ctx)
        .await
        .map_err(app_error)?;
    if receipt.repeat {
        bail!("reservation {pending_id} was taken for a repeat");
    }
    let post_id = TransferId::generated(format!("{run}.{index}.p"));
    app.ledger_post(Viewer::System, post_id, pending_id, Some(Fen(60)), &ctx)
        .await
        .map_err(app_error)?;
    Ok(())
}

/// `n_ops` single-statement conditional updates of the bare table from `clients` tasks.
async fn run_baseline(db: &Db, n_ops: usize, clients: usize) -> Result<Duration> {
    fixture::bare_table_reset(db, N_INDICATORS as i64, INDICATOR_FEN).await?;
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let (db, next) = (db.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= n_ops {
                    return Ok::<(), anyhow::Error>(());
                }
                if !fixture::bare_debit(&db, (index % N_INDICATORS) as i64).await? {
                    bail!("the bare table ran dry");
                }
            }
        }));
    }
    for task in tasks {
        task.await.context("a baseline client panicked")??;
    }
    let elapsed = started.elapsed();
    fixture::bare_table_drop(db).await?;
    Ok(elapsed)
}

/// Generates a consistent ledger of about `n_transfers` transfers, then times the ledger
/// checks of `fiscus verify` over the whole database; they must find nothing.
async fn time_verify(db: &Db, run: &str, n_transfers: i64) -> Result<Line> {
    let per_indicator = 2 * VERIFY_POSTS_PER_INDICATOR + 2;
    let shape = fixture::BulkLedger {
        prefix: &format!("{run}v"),
        mof_div_code: REGION_CODE,
        fiscal_year: i64::from(FISCAL_YEAR),
        n_indicators: (n_transfers / per_indicator).max(2),
        posts_per_indicator: VERIFY_POSTS_PER_INDICATOR,
        at: &fiscus_store::audit::now(),
    };
    eprintln!("generating a ledger of {} transfers …", shape.n_transfers());
    let started = Instant::now();
    fixture::insert_bulk_ledger(db, shape).await?;
    eprintln!(
        "generated in {} s; verifying …",
        seconds_one_decimal(started.elapsed())
    );
    let started = Instant::now();
    let report = fiscus_store::verify::ledger(db).await?;
    let elapsed = started.elapsed();
    if let Some(violation) = report.violations.first() {
        bail!(
            "verify found {} violations in the benchmark ledger, first {} {}: {}",
            report.violations.len(),
            violation.check.code(),
            violation.subject,
            violation.detail
        );
    }
    Ok(Line {
        measure: format!(
            "verify ledger: {} transfers, {} accounts",
            report.n_transfers, report.n_accounts
        ),
        target: format!("< {VERIFY_SECONDS_MAX} s"),
        measured: format!("{} s", seconds_one_decimal(elapsed)),
        pass: Some(elapsed < Duration::from_secs(VERIFY_SECONDS_MAX)),
    })
}

/// Operations per second, in integers.
fn per_second(n_ops: usize, elapsed: Duration) -> u128 {
    (n_ops as u128 * 1_000_000) / elapsed.as_micros().max(1)
}

/// `0.29` from 29 hundredths.
fn hundredths(value: u128) -> String {
    format!("{}.{:02}", value / 100, value % 100)
}
