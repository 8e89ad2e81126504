//! `fiscus bench payment`: centralized treasury payments per second, from submission to the
//! bank's receipt, through the real path: a unit clerk enters applications in batches
//! (`App::payment_batch` with submit: reservation and flow in one transaction per batch), the
//! unit approver approves them from the 待办 in batches (`App::flow_batch`: vouchers generated
//! and SM2-signed at final approval), the job worker of `fiscus serve` packages, seals and
//! sends them, and `fiscus-bank-sim` on loopback pays them and posts signed receipts to the
//! real router's `POST /api/bank/v1/messages`. The three stages run at once, as in life.
//!
//! With `--faults` the simulator delays, duplicates, reorders and drops deliveries and
//! corrupts signatures; the run then proves that nothing was lost or doubled: every voucher
//! paid exactly once, one applied receipt and one ledger post each, the ledger checks of
//! `fiscus verify` clean, the bank's paid total equal to our spent total, reconciliation
//! without mismatches. The last line is `payment: X/s n=N elapsed=… faults=on|off …`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use fiscus_app::demo::Scale;
use fiscus_app::flow::BatchOutcome;
use fiscus_app::settings::Settings;
use fiscus_app::{App, RequestCtx};
use fiscus_core::code::{AgencyCode, FiscalYear, MofDivCode};
use fiscus_core::flow::Command;
use fiscus_core::ledger::{
    AccountId, AccountKind, BgtId, CtrlLevel, ExeFlag, IndicatorElements, Reason, TransferId,
    TransferSpec,
};
use fiscus_core::payment::application::PaymentDraft;
use fiscus_core::{Fen, Principal};
use fiscus_store::Db;
use fiscus_store::flow::InboxQuery;
use fiscus_store::records::Viewer;

use crate::app_error;
use crate::bank_loop::{Loopback, bank_today, sim_quiet};
use crate::bench::{Line, print_table, remove_sqlite_files};
use crate::serve::{open_app, redact_url, seconds_one_decimal};

/// The flags of `fiscus bench payment`.
#[derive(Clone, Debug)]
pub struct PaymentBench {
    pub database_url: Option<String>,
    /// Applications to pay.
    pub n: usize,
    /// Turn on the simulator's faults and prove nothing was lost or doubled.
    pub faults: bool,
}

/// Payments per second end to end, on either backend.
const RATE_MIN: u128 = 200;
/// The unit of the small demo whose clerk writes and whose approver approves.
const UNIT: &str = "660100101001";
const REGION: &str = "660100000";
const CLERK: &str = "u660100101001_clerk";
const APPROVER: &str = "u660100101001_approver";
const FISCAL_YEAR: i32 = 2026;
/// Indicators the payments spread over, each with far more money than the run spends.
const N_INDICATORS: usize = 16;
const INDICATOR_FEN: i64 = 1_000_000_000_000;
/// Applications per `payment_batch` (one transaction each).
const ENTRY_BATCH: usize = 250;
/// Tasks per `flow_batch` (one 待办 page).
const APPROVAL_BATCH: u32 = 200;
/// The run gives up when no voucher was paid for this long.
const STALL_SECONDS: u64 = 120;

/// Runs the benchmark; returns whether every target was met.
pub async fn payment(bench: PaymentBench) -> Result<bool> {
    let temporary = bench.database_url.is_none().then(|| {
        std::env::temp_dir().join(format!("fiscus-bench-payment-{}.db", std::process::id()))
    });
    let url = match (&bench.database_url, &temporary) {
        (Some(url), _) => url.clone(),
        (None, Some(path)) => format!("sqlite://{}", path.display()),
        (None, None) => bail!("no database for the benchmark"),
    };
    println!(
        "bench payment on {}: {} applications, bank-sim faults {}",
        match &temporary {
            Some(path) => format!("a fresh temporary SQLite file {}", path.display()),
            None => redact_url(&url),
        },
        bench.n,
        on_off(bench.faults)
    );
    let measured = measure(&url, &bench).await;
    if let Some(path) = &temporary {
        remove_sqlite_files(path);
    }
    let outcome = measured?;
    print_table(
        &outcome.lines,
        Some(
            "End to end: from the first batch entry to the last receipt applied. Entry: \
             payment_batch with submit (reservation + flow), approval: flow_batch of 待办 pages \
             (voucher generated and SM2-signed), the serve job worker sends sealed envelopes, \
             bank-sim on loopback pays and posts signed receipts to the real router.",
        ),
    );
    let passed = outcome.lines.iter().all(|line| line.pass != Some(false));
    println!("bench payment: {}", if passed { "PASS" } else { "FAIL" });
    println!(
        "payment: {}/s n={} elapsed={}s faults={} backend={} entry={}/s approval={}/s lost=0 doubled=0 checks={}",
        outcome.rate,
        bench.n,
        seconds_one_decimal(outcome.elapsed),
        on_off(bench.faults),
        outcome.backend,
        outcome.entry_rate,
        outcome.approval_rate,
        if passed { "pass" } else { "FAIL" },
    );
    Ok(passed)
}

fn on_off(flag: bool) -> &'static str {
    if flag { "on" } else { "off" }
}

struct Outcome {
    lines: Vec<Line>,
    rate: u128,
    entry_rate: u128,
    approval_rate: u128,
    elapsed: Duration,
    backend: &'static str,
}

async fn measure(url: &str, bench: &PaymentBench) -> Result<Outcome> {
    let mut settings = crate::bank_loop::settings_with_bank_keys(url)?;
    let app = open_app(&settings).await?;
    let measured = measure_app(&app, &mut settings, bench).await;
    app.db.close().await;
    measured
}

fn faults(on: bool) -> fiscus_bank_sim::Faults {
    use fiscus_bank_sim::{Faults, Ratio};
    if !on {
        return Faults::default();
    }
    Faults {
        delay_ms: (0, 50),
        duplicate_ratio: Ratio(50_000),
        reorder: true,
        drop_ratio: Ratio(20_000),
        corrupt_signature_ratio: Ratio(20_000),
        refund_ratio: Ratio(0),
        refund_delay_ms: 0,
    }
}

async fn measure_app(app: &App, settings: &mut Settings, bench: &PaymentBench) -> Result<Outcome> {
    let backend = match app.db.backend() {
        fiscus_store::Backend::Sqlite => "sqlite",
        fiscus_store::Backend::Postgres => "postgres",
    };
    eprintln!("loading the small demo …");
    fiscus_app::demo::run(app, Scale::Small)
        .await
        .map_err(app_error)
        .context("demo")?;
    let bgt_ids = create_indicators(&app.db).await?;

    // The real router on loopback, the simulator beside it, the links between them.
    let bank_code = unit_bank_code(&app.db).await?;
    let bank = Loopback::start(app, settings, bank_code, faults(bench.faults), 1).await?;
    let sim_url = bank.sim_url.clone();
    let run = run_payments(app, &bgt_ids, bench.n).await;
    let checked = match &run {
        Ok(_) => check(app, &sim_url, bench.n).await,
        Err(_) => Ok(Vec::new()),
    };
    bank.stop().await;
    let timing = run?;
    let checks = checked?;

    let rate = per_second(bench.n, timing.paid);
    let entry_rate = per_second(bench.n, timing.entered);
    let approval_rate = per_second(bench.n, timing.approved);
    let mut lines = vec![
        Line {
            measure: format!("entry: {} applications submitted", bench.n),
            target: "—".into(),
            measured: format!("{entry_rate}/s"),
            pass: None,
        },
        Line {
            measure: format!("approval: {} approved (vouchers signed)", bench.n),
            target: "—".into(),
            measured: format!("{approval_rate}/s"),
            pass: None,
        },
        Line {
            measure: format!(
                "end to end on {backend}, faults {}: {} paid in {} s",
                on_off(bench.faults),
                bench.n,
                seconds_one_decimal(timing.paid)
            ),
            target: format!("≥ {RATE_MIN}/s"),
            measured: format!("{rate}/s"),
            pass: Some(rate >= RATE_MIN),
        },
    ];
    lines.extend(checks);
    Ok(Outcome {
        lines,
        rate,
        entry_rate,
        approval_rate,
        elapsed: timing.paid,
        backend,
    })
}

fn elements() -> Result<IndicatorElements> {
    let bad = |r: fiscus_core::Rejection| anyhow!(r.message());
    Ok(IndicatorElements {
        mof_div_code: MofDivCode::parse(REGION).map_err(bad)?,
        fiscal_year: FiscalYear(FISCAL_YEAR),
        agency_code: Some(AgencyCode::parse(UNIT).map_err(bad)?),
        pro_code: String::new(),
        exp_func_code: "2010101".into(),
        gov_bgt_eco_code: "501".into(),
        dep_bgt_eco_code: "301".into(),
        fund_type_code: "111".into(),
        bgt_type_code: "12".into(),
        pay_type_code: "1".into(),
        source_type_code: "1".into(),
        cor_bgt_doc_no: "师财预〔2026〕1号".into(),
        bgt_doc_title: "基准测试支付指标".into(),
        doc_date: "2026-01-10".into(),
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

/// The unit's executable indicators with money, entered from the region's source.
async fn create_indicators(db: &Db) -> Result<Vec<BgtId>> {
    use fiscus_store::ledger::seed::{SeedIndicator, seed};
    let elements = elements()?;
    let at = fiscus_store::audit::now();
    let run = format!("bp{}", std::process::id());
    let indicators: Vec<SeedIndicator> = (0..N_INDICATORS)
        .map(|index| SeedIndicator {
            bgt_id: BgtId::generated(format!("{run}-{index:02}")),
            elements: elements.clone(),
            orig_amount: Fen(INDICATOR_FEN),
            doc_id: None,
        })
        .collect();
    let source = AccountId::source(&elements.mof_div_code, elements.fiscal_year);
    let enters: Vec<TransferSpec> = indicators
        .iter()
        .map(|indicator| {
            TransferSpec::posted(
                TransferId::generated(format!("{}.enter", indicator.bgt_id)),
                source.clone(),
                AccountId::of(&indicator.bgt_id, AccountKind::Avail),
                Fen(INDICATOR_FEN),
                Reason::Enter,
                CtrlLevel::None,
            )
        })
        .collect();
    let mut tx = db.begin().await?;
    seed(&mut tx, &indicators, &enters, "bench", &at).await?;
    tx.commit().await?;
    Ok(indicators.into_iter().map(|i| i.bgt_id).collect())
}

/// The bank code of the unit's zero-balance account: the agency bank of its vouchers, so
/// the simulator's statement names the same bank.
async fn unit_bank_code(db: &Db) -> Result<String> {
    let mut tx = db.begin().await?;
    let account = fiscus_store::payment::unit_account(
        &mut tx,
        UNIT,
        fiscus_core::masterdata::ACC_TYPE_ZERO_BALANCE,
    )
    .await?;
    drop(tx);
    let (_, _, _, bank_code) =
        account.ok_or_else(|| anyhow!("the unit {UNIT} has no zero-balance account"))?;
    Ok(bank_code)
}

async fn principal(app: &App, user_name: &str) -> Result<Principal> {
    let user = fiscus_store::auth::user_by_name(&app.db, user_name)
        .await?
        .ok_or_else(|| anyhow!("the demo user {user_name} is missing"))?;
    fiscus_app::auth::principal_of(&user).map_err(app_error)
}

/// The amount of application `index` in 元: 10.00 … 909.99, varied.
fn amount_fen(index: usize) -> i64 {
    1_000 + (index as i64 * 7_919) % 90_000
}

fn draft(bgt_id: &BgtId, index: usize) -> PaymentDraft {
    let fen = amount_fen(index);
    PaymentDraft {
        bgt_id: bgt_id.to_string(),
        payee_acct_name: "石河子市文具有限公司".into(),
        // Never ending in 0000 (bank-sim returns: account closed) or 9999 (refunded later).
        payee_acct_no: format!("62220000{:04}5678", index % 10_000),
        payee_acct_bank_name: "中国工商银行石河子分行".into(),
        payee_bank_code: String::new(),
        pay_app_amt: format!("{}.{:02}", fen / 100, fen % 100),
        use_des: "购买办公用品".into(),
        set_mode_code: String::new(),
        pay_bus_type_code: String::new(),
        contract_no: String::new(),
        exp_func_code: String::new(),
        gov_bgt_eco_code: String::new(),
        dep_bgt_eco_code: String::new(),
    }
}

struct Timing {
    entered: Duration,
    approved: Duration,
    paid: Duration,
}

/// Entry, approval and payment at once; the durations run from the first entry.
async fn run_payments(app: &App, bgt_ids: &[BgtId], n: usize) -> Result<Timing> {
    let clerk = principal(app, CLERK).await?;
    let approver = principal(app, APPROVER).await?;
    let started = Instant::now();
    let entered = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicBool::new(false));

    let entry = {
        let (app, bgt_ids, entered) = (app.clone(), bgt_ids.to_vec(), entered.clone());
        tokio::spawn(stage(failed.clone(), async move {
            let ctx = RequestCtx::default();
            let mut index = 0;
            while index < n {
                let end = (index + ENTRY_BATCH).min(n);
                let rows: Vec<(u32, PaymentDraft)> = (index..end)
                    .map(|i| {
                        let row = u32::try_from(i - index + 2).unwrap_or(u32::MAX);
                        (row, draft(&bgt_ids[i % bgt_ids.len()], i))
                    })
                    .collect();
                let report = app
                    .payment_batch(&clerk, rows, true, &ctx)
                    .await
                    .map_err(app_error)?;
                if let Some(error) = report.errors.first() {
                    bail!(
                        "batch entry refused row {}: {} ({})",
                        error.row,
                        error.rejection.message(),
                        error.rejection.code()
                    );
                }
                entered.fetch_add(end - index, Ordering::Release);
                index = end;
            }
            Ok(started.elapsed())
        }))
    };

    let approval = {
        let (app, entered) = (app.clone(), entered.clone());
        tokio::spawn(stage(failed.clone(), async move {
            let ctx = RequestCtx::default();
            let mut approved = 0;
            while approved < n {
                let query = InboxQuery {
                    user_name: String::new(),
                    doc_type: Some("payment_application".into()),
                    search: None,
                    page: 1,
                    page_size: APPROVAL_BATCH,
                };
                let (tasks, _) = app.flow_inbox(&approver, query).await.map_err(app_error)?;
                if tasks.is_empty() {
                    if entered.load(Ordering::Acquire) >= n && approved >= n {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
                let items = tasks
                    .iter()
                    .map(|task| {
                        Ok((
                            task.doc_id.clone(),
                            Command::Approve {
                                task_id: fiscus_app::flow::task_id_of(task).map_err(app_error)?,
                                opinion: "同意".into(),
                            },
                        ))
                    })
                    .collect::<Result<Vec<_>>>()?;
                match app
                    .flow_batch(&approver, &items, &ctx)
                    .await
                    .map_err(app_error)?
                {
                    BatchOutcome::Applied { n_documents } => approved += n_documents,
                    BatchOutcome::Refused { doc_id, rejection } => bail!(
                        "batch approval refused {doc_id}: {} ({})",
                        rejection.message(),
                        rejection.code()
                    ),
                }
            }
            Ok(started.elapsed())
        }))
    };

    // Paid vouchers, polled; the first failure of a stage ends the run.
    let mut last_paid = 0;
    let mut last_progress = Instant::now();
    let mut next_report = Instant::now() + Duration::from_secs(5);
    let paid = loop {
        let n_paid = count(&app.db, "payment_voucher WHERE status = 'paid'").await?;
        if n_paid >= n as i64 {
            break started.elapsed();
        }
        if n_paid > last_paid {
            last_paid = n_paid;
            last_progress = Instant::now();
        } else if last_progress.elapsed() > Duration::from_secs(STALL_SECONDS) {
            bail!("no voucher paid for {STALL_SECONDS} s ({n_paid} of {n} paid)");
        }
        if Instant::now() >= next_report {
            eprintln!(
                "… {} s: {} entered, {} paid",
                seconds_one_decimal(started.elapsed()),
                entered.load(Ordering::Acquire),
                n_paid
            );
            next_report += Duration::from_secs(5);
        }
        if failed.load(Ordering::Acquire) {
            break started.elapsed(); // the stage's error is surfaced below
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let entered = entry.await.context("the entry task panicked")??;
    let approved = approval.await.context("the approval task panicked")??;
    Ok(Timing {
        entered,
        approved,
        paid,
    })
}

/// Runs a stage; a failure raises `failed`, so the poller stops waiting.
async fn stage(
    failed: Arc<AtomicBool>,
    body: impl std::future::Future<Output = Result<Duration>>,
) -> Result<Duration> {
    let result = body.await;
    if result.is_err() {
        failed.store(true, Ordering::Release);
    }
    result
}

async fn count(db: &Db, from_where: &str) -> Result<i64> {
    Ok(fiscus_store::verify::count(db, from_where).await?)
}

/// The proof that no payment was lost or doubled.
async fn check(app: &App, sim_url: &str, n: usize) -> Result<Vec<Line>> {
    let n = n as i64;
    let state = sim_quiet(sim_url).await?;
    let db = &app.db;
    let mut lines = Vec::new();
    let mut exact = |measure: String, target: i64, measured: i64| {
        lines.push(Line {
            measure,
            target: format!("= {target}"),
            measured: measured.to_string(),
            pass: Some(measured == target),
        });
    };
    let n_paid = count(db, "payment_voucher WHERE status = 'paid'").await?;
    let n_vouchers = count(db, "payment_voucher").await?;
    exact("vouchers paid (of all vouchers)".into(), n, n_paid);
    exact("vouchers in all".into(), n, n_vouchers);
    exact(
        "receipts applied (bank_inbox)".into(),
        n,
        count(
            db,
            "bank_inbox WHERE kind = 'receipt' AND outcome = 'applied'",
        )
        .await?,
    );
    exact(
        "ledger posts of payments (pay.*.post)".into(),
        n,
        count(db, "ledger_transfer WHERE transfer_id LIKE 'pay.%.post'").await?,
    );
    exact(
        "bank-sim vouchers paid".into(),
        n,
        state["totals"]["n_paid"].as_i64().unwrap_or(-1),
    );
    let expected_fen: i64 = (0..n as usize).map(amount_fen).sum();
    let filter = fiscus_store::ledger::query::IndicatorFilter {
        mof_div_code: Some(REGION.into()),
        ..Default::default()
    };
    let totals = fiscus_store::ledger::query::indicator_totals(db, Viewer::System, &filter).await?;
    let sim_paid_fen = state["totals"]["paid_fen"].as_i64().unwrap_or(-1);
    lines.push(Line {
        measure: "bank-sim paid total = our spent total".into(),
        target: format!("= {}", Fen(expected_fen).to_yuan_string()),
        measured: format!(
            "{} / {}",
            Fen(sim_paid_fen).to_yuan_string(),
            Fen(totals.spent_fen).to_yuan_string()
        ),
        pass: Some(sim_paid_fen == expected_fen && totals.spent_fen == expected_fen),
    });
    let received = count(db, "bank_inbox").await?;
    let delivery = &state["delivery"];
    eprintln!(
        "bank-sim deliveries: {delivery}; inbox rows {received}; refused envelopes {}",
        state["totals"]["n_refused_envelopes"]
    );
    let report = fiscus_store::verify::ledger(db).await?;
    lines.push(Line {
        measure: format!(
            "fiscus verify ledger checks: {} transfers, {} accounts",
            report.n_transfers, report.n_accounts
        ),
        target: "0 violations".into(),
        measured: format!("{} violations", report.violations.len()),
        pass: Some(report.violations.is_empty()),
    });
    for violation in report.violations.iter().take(5) {
        eprintln!(
            "violation {} {}: {}",
            violation.check.code(),
            violation.subject,
            violation.detail
        );
    }
    let date = bank_today();
    let reconciled = app
        .bank_reconcile(&date, time::OffsetDateTime::now_utc())
        .await
        .map_err(app_error)?;
    lines.push(Line {
        measure: format!(
            "reconciliation of {date}: {} ours, {} the bank's",
            reconciled.n_ours, reconciled.n_theirs
        ),
        target: "0 mismatches".into(),
        measured: format!("{} mismatches", reconciled.mismatches.len()),
        pass: Some(
            reconciled.mismatches.is_empty()
                && reconciled.n_ours == n as usize
                && reconciled.n_theirs == n as usize,
        ),
    });
    if let Some(delivery) = delivery.as_object() {
        let get = |key: &str| delivery.get(key).and_then(|v| v.as_i64()).unwrap_or(0);
        lines.push(Line {
            measure: format!(
                "faults seen: {} duplicates, {} drops, {} corrupted signatures (refused), {} attempts",
                get("duplicates_sent"),
                get("drops"),
                get("corrupted_sent"),
                get("attempts")
            ),
            target: "—".into(),
            measured: format!("{received} inbox rows"),
            pass: None,
        });
    }
    Ok(lines)
}

/// Operations per second, in integers.
fn per_second(n_ops: usize, elapsed: Duration) -> u128 {
    (n_ops as u128 * 1_000_000) / elapsed.as_micros().max(1)
}
