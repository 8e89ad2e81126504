//! `fiscus bench budget`: the budget compilation targets on a corps-scale database — the
//! corps-wide consolidated summary (预算汇总 by region, by department, by function class) for
//! the root bureau, p50 and max over several runs, and the all-or-nothing import of a
//! 10,000-row budget workbook by a department reviewer. Runs on a fresh SQLite file and, when
//! the server of `FISCUS_TEST_PG_URL` is reachable, on a scratch PostgreSQL database (both
//! dropped at the end); or on the one database given with --database (the corps demo is
//! loaded into it when it is empty, reused otherwise).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use fiscus_app::App;
use fiscus_app::budget::excel::{BenchWorkbook, bench_import, generate_workbook};
use fiscus_app::budget::report::BudgetReportQuery;
use fiscus_app::demo::{self, Scale};
use fiscus_app::settings::{Secret, Settings};
use fiscus_core::Principal;
use fiscus_store::budget::{LineQuery, SheetQuery};
use fiscus_store::records::Viewer;
use fiscus_store::testing::{TestBackend, TestDb, fresh};

use crate::app_error;
use crate::bench::{Line, print_table};
use crate::serve::{open_app, redact_url, seconds_one_decimal};

const SUMMARY_MS_MAX: u128 = 2_000;
const IMPORT_MS_MAX: u128 = 5_000;
/// Timed runs of each summary (after one untimed run).
const SUMMARY_RUNS: usize = 7;
const IMPORT_ROWS: usize = 10_000;
/// The demo's compilation year, and the year the import writes (no sheets there yet).
const SUMMARY_YEAR: &str = "2027";
const IMPORT_YEAR: i64 = 2028;
const ROOT_BUREAU_USER: &str = "corps_budget";

/// Runs the benchmark; returns whether every target was met.
pub async fn budget(database_url: Option<String>) -> Result<bool> {
    let mut lines = Vec::new();
    match database_url {
        Some(url) => {
            println!("bench budget on {}", redact_url(&url));
            let settings = settings(&url)?;
            let app = open_app(&settings).await?;
            let measured = measure(&app).await;
            app.db.close().await;
            lines.extend(measured?);
        }
        None => {
            for backend in [TestBackend::Sqlite, TestBackend::Postgres] {
                let Some(test_db) = fresh(backend).await.map_err(|e| anyhow::anyhow!("{e}"))?
                else {
                    println!("bench budget: PostgreSQL not reachable, skipped");
                    continue;
                };
                println!("bench budget on a scratch {backend:?} database");
                lines.extend(measure_scratch(&test_db).await?);
            }
        }
    }
    print_table(
        &lines,
        Some(
            "Summaries: the root bureau's corps-wide 2027 summary through App::budget_report \
             (one grouped statement and one totals statement). Import: App::budget_import of a \
             generated workbook by a department reviewer, parse to commit.",
        ),
    );
    let passed = lines.iter().all(|line| line.pass != Some(false));
    println!("bench budget: {}", if passed { "PASS" } else { "FAIL" });
    Ok(passed)
}

fn settings(url: &str) -> Result<Settings> {
    Ok(Settings {
        database_url: url.to_owned(),
        secret_key: Secret::new(fiscus_app::crypto::random_token().map_err(app_error)?),
        demo_mode: true,
        ..Settings::default()
    })
}

async fn measure_scratch(test_db: &TestDb) -> Result<Vec<Line>> {
    let app = App::new(test_db.db.clone(), settings(&test_db.url)?).map_err(app_error)?;
    measure(&app).await
}

async fn measure(app: &App) -> Result<Vec<Line>> {
    let backend = match app.db.backend() {
        fiscus_store::Backend::Sqlite => "SQLite",
        fiscus_store::Backend::Postgres => "PostgreSQL",
    };
    let mut lines = Vec::new();
    if fiscus_store::auth::user_by_name(&app.db, ROOT_BUREAU_USER)
        .await?
        .is_none()
    {
        eprintln!("loading the corps demo …");
        let started = Instant::now();
        let summary = demo::run(app, Scale::Corps).await.map_err(app_error)?;
        lines.push(Line {
            measure: format!(
                "{backend}: corps demo load ({} units, {} budget lines)",
                summary.count("units").unwrap_or(0),
                summary.count("budget_lines").unwrap_or(0)
            ),
            target: "—".into(),
            measured: format!("{} s", seconds_one_decimal(started.elapsed())),
            pass: None,
        });
    }
    let root = principal(app, ROOT_BUREAU_USER).await?;
    for (by, label) in [
        ("region", "by region (consolidated)"),
        ("dept", "by department"),
        ("func3", "by function class 类"),
    ] {
        lines.push(time_summary(app, &root, by, label, backend).await?);
    }
    lines.push(time_import(app, backend).await?);
    Ok(lines)
}

async fn principal(app: &App, user_name: &str) -> Result<Principal> {
    let user = fiscus_store::auth::user_by_name(&app.db, user_name)
        .await?
        .with_context(|| format!("no user {user_name}: is this the corps demo?"))?;
    fiscus_app::auth::principal_of(&user).map_err(app_error)
}

fn milliseconds(elapsed: Duration) -> String {
    let micros = elapsed.as_micros();
    format!("{}.{} ms", micros / 1_000, micros % 1_000 / 100)
}

async fn time_summary(
    app: &App,
    root: &Principal,
    by: &str,
    label: &str,
    backend: &str,
) -> Result<Line> {
    let params = BTreeMap::from([
        ("by".to_owned(), by.to_owned()),
        ("year".to_owned(), SUMMARY_YEAR.to_owned()),
    ]);
    let query = BudgetReportQuery::parse(&params).map_err(|r| anyhow::anyhow!(r.message()))?;
    let first = app.budget_report(root, &query).await.map_err(app_error)?;
    let mut times = Vec::with_capacity(SUMMARY_RUNS);
    for _ in 0..SUMMARY_RUNS {
        let started = Instant::now();
        let report = app.budget_report(root, &query).await.map_err(app_error)?;
        times.push(started.elapsed());
        anyhow::ensure!(
            report.totals == first.totals,
            "the summary changed between runs"
        );
    }
    times.sort();
    let p50 = times[times.len() / 2];
    let max = times[times.len() - 1];
    Ok(Line {
        measure: format!(
            "{backend}: summary {label}, {} groups over {} units",
            first.rows.len(),
            first.totals.n_units
        ),
        target: format!("< {SUMMARY_MS_MAX} ms"),
        measured: format!("p50 {} max {}", milliseconds(p50), milliseconds(max)),
        pass: Some(max.as_millis() < SUMMARY_MS_MAX),
    })
}

/// The department with the most compiling units, its reviewer, and its units' projects.
async fn import_world(app: &App) -> Result<(Principal, Vec<(String, Vec<String>)>)> {
    let query = SheetQuery {
        fiscal_year: 2027,
        limit: 1_000_000,
        ..SheetQuery::default()
    };
    let (sheets, _) = fiscus_store::budget::sheets(&app.db, Viewer::System, &query).await?;
    let mut by_dept: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for row in &sheets {
        by_dept
            .entry(row.sheet.dept_code.as_str())
            .or_default()
            .push(row.sheet.agency_code.as_str());
    }
    let (dept, agencies) = by_dept
        .into_iter()
        .max_by_key(|(_, agencies)| agencies.len())
        .context("no 2027 budget sheets: is this the corps demo?")?;
    let reviewer = principal(app, &format!("u{dept}_reviewer")).await?;
    let mut units = Vec::new();
    for agency_code in agencies {
        let query = LineQuery {
            fiscal_year: 2027,
            agency_code: Some(agency_code.to_owned()),
            limit: 1_000,
            ..LineQuery::default()
        };
        let (lines, _) = fiscus_store::budget::lines(&app.db, Viewer::System, &query).await?;
        let projects: BTreeSet<String> = lines.into_iter().map(|line| line.pro_code).collect();
        if !projects.is_empty() {
            units.push((agency_code.to_owned(), projects.into_iter().collect()));
        }
    }
    Ok((reviewer, units))
}

async fn time_import(app: &App, backend: &str) -> Result<Line> {
    let (reviewer, units) = import_world(app).await?;
    let n_units = units.len();
    let owned = |codes: &[&str]| codes.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
    let spec = BenchWorkbook {
        units,
        exp_func_codes: owned(&[
            "2010101", "2010301", "2010601", "2050201", "2050202", "2080101", "2100101", "2120101",
            "2130101", "2010501",
        ]),
        gov_bgt_eco_codes: owned(&["50201", "50205", "50209", "50306", "50502"]),
        // Departments of the demo are small (a few units each): enough combinations that
        // each unit's ~1,700 lines keep distinct keys.
        dep_bgt_eco_codes: owned(&[
            "30201", "30202", "30205", "30206", "30207", "30209", "30211", "30213", "30214",
            "30215", "30216", "30227", "30228", "31002",
        ]),
        fund_type_codes: owned(&["111", "112"]),
        n_rows: IMPORT_ROWS,
    };
    let bytes = generate_workbook(&spec).map_err(app_error)?;
    let (report, elapsed) = bench_import(app, &reviewer, IMPORT_YEAR, &bytes)
        .await
        .map_err(app_error)?;
    let ok = report.errors.is_empty() && report.n_written == n_units;
    if let Some(error) = report.errors.first() {
        eprintln!(
            "import refused {} rows, first: {}",
            report.errors.len(),
            error.message()
        );
    }
    Ok(Line {
        measure: format!(
            "{backend}: import {} rows for {n_units} units ({} written)",
            report.n_rows, report.n_written
        ),
        target: format!("< {IMPORT_MS_MAX} ms"),
        measured: milliseconds(elapsed),
        pass: Some(ok && elapsed.as_millis() < IMPORT_MS_MAX),
    })
}
