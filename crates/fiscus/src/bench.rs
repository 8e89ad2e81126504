//! `fiscus bench foundation`: the performance targets of the foundation issue, measured end
//! to end — loading the corps demo, a division's unit list and the region tree over real
//! HTTP from the server started in this process, and the process's resident memory.
//! Prints a table of target, measured and PASS/FAIL. Tests assert no timings; this does.
//! `fiscus bench ledger` lives in `bench_ledger.rs` and shares the table, as does
//! `fiscus bench budget` in `bench_budget.rs`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use fiscus_app::demo::{self, Scale};
use fiscus_app::settings::{Secret, Settings};

use crate::app_error;
use crate::serve::{display_width, open_app, pad, redact_url, seconds_one_decimal};

const DEMO_SECONDS_MAX: u64 = 60;
const UNIT_LIST_P99_MS_MAX: u128 = 50;
const REGION_TREE_P99_MS_MAX: u128 = 100;
const RESIDENT_MB_MAX: u64 = 200;

const UNIT_LIST_REQUESTS: usize = 200;
const REGION_TREE_REQUESTS: usize = 100;
/// Requests sent before each timed series and not counted: the first ones fill caches.
const WARMUP_REQUESTS: usize = 10;
/// A word found in many demo unit names (…中心: 信息中心, 疾病预防控制中心 …).
const UNIT_SEARCH_WORD: &str = "中心";
const IDLE_BEFORE_MEMORY: Duration = Duration::from_secs(2);

/// One line of the result table.
pub(crate) struct Line {
    pub measure: String,
    pub target: String,
    pub measured: String,
    /// `None` for figures without a target (p50).
    pub pass: Option<bool>,
}

/// Runs the benchmark; returns whether every target was met.
pub async fn foundation(database_url: Option<String>) -> Result<bool> {
    let temporary = database_url
        .is_none()
        .then(|| std::env::temp_dir().join(format!("fiscus-bench-{}.db", std::process::id())));
    let url = match (&database_url, &temporary) {
        (Some(url), _) => url.clone(),
        (None, Some(path)) => format!("sqlite://{}", path.display()),
        (None, None) => bail!("no database for the benchmark"),
    };
    let secret_key = fiscus_app::crypto::random_token().map_err(app_error)?;
    let settings = Settings {
        database_url: url.clone(),
        secret_key: Secret::new(secret_key),
        demo_mode: true,
        ..Settings::default()
    };
    let where_ = match &temporary {
        Some(path) => format!("a fresh temporary SQLite file {}", path.display()),
        None => redact_url(&url),
    };
    println!("bench foundation on {where_}");
    let measured = measure(&settings).await;
    if let Some(path) = &temporary {
        remove_sqlite_files(path);
    }
    let lines = measured?;
    print_table(
        &lines,
        Some(
            "Memory is that of this whole process: the server with its pools open, after it \
             loaded the demo in the same process.",
        ),
    );
    let passed = lines.iter().all(|line| line.pass != Some(false));
    println!("bench foundation: {}", if passed { "PASS" } else { "FAIL" });
    Ok(passed)
}

pub(crate) fn remove_sqlite_files(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut file = PathBuf::from(path);
        file.as_mut_os_string().push(suffix);
        let _ = std::fs::remove_file(file);
    }
}

async fn measure(settings: &Settings) -> Result<Vec<Line>> {
    let mut lines = Vec::new();
    let app = open_app(settings).await?;

    eprintln!("loading the corps demo …");
    let started = Instant::now();
    let summary = demo::run(&app, Scale::Corps)
        .await
        .map_err(app_error)
        .context("demo --scale corps (the database must be empty)")?;
    let demo_elapsed = started.elapsed();
    for (name, count) in &summary.lines {
        println!("  {name} {count}");
    }
    lines.push(Line {
        measure: "demo --scale corps, wall time".into(),
        target: format!("< {DEMO_SECONDS_MAX} s"),
        measured: format!("{} s", seconds_one_decimal(demo_elapsed)),
        pass: Some(demo_elapsed < Duration::from_secs(DEMO_SECONDS_MAX)),
    });

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let router = fiscus_web::router(app.clone());
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    let measured = measure_http(&format!("http://{address}"), &mut lines).await;
    if measured.is_ok() {
        tokio::time::sleep(IDLE_BEFORE_MEMORY).await;
        let (resident_kb, peak_kb) = resident_memory_kb()?;
        lines.push(Line {
            measure: format!(
                "resident memory, serving, after {} s idle",
                IDLE_BEFORE_MEMORY.as_secs()
            ),
            target: format!("< {RESIDENT_MB_MAX} MB"),
            measured: format!(
                "{} MB (peak {} MB)",
                megabytes(resident_kb),
                megabytes(peak_kb)
            ),
            pass: Some(resident_kb < RESIDENT_MB_MAX * 1024),
        });
    }
    server.abort();
    app.db.close().await;
    measured?;
    Ok(lines)
}

async fn measure_http(base: &str, lines: &mut Vec<Line>) -> Result<()> {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(30))
        .build()?;
    let user_name = division_user();
    log_in(&client, base, &user_name).await?;

    let units = reqwest::Url::parse_with_params(
        &format!("{base}/api/v1/agencies"),
        [("q", UNIT_SEARCH_WORD), ("page", "1"), ("page_size", "20")],
    )?;
    let unit_list = time_requests(UNIT_LIST_REQUESTS, || client.get(units.clone())).await?;
    let label = format!("GET /api/v1/agencies?q={UNIT_SEARCH_WORD} as {user_name}");
    push_latency(lines, &label, &unit_list, UNIT_LIST_P99_MS_MAX);

    let tree = format!("{base}/api/v1/regions/tree");
    let region_tree = time_requests(REGION_TREE_REQUESTS, || client.get(&tree)).await?;
    push_latency(
        lines,
        "GET /api/v1/regions/tree",
        &region_tree,
        REGION_TREE_P99_MS_MAX,
    );
    Ok(())
}

/// The demo's division-level login (师), e.g. `div01_budget`.
fn division_user() -> String {
    demo::logins(Scale::Corps)
        .into_iter()
        .find(|login| login.level == "师")
        .map_or_else(|| "div01_budget".to_owned(), |login| login.user_name)
}

/// Logs in with the JSON session endpoint (`POST /api/v1/session`), or with the page form
/// (`POST /login`) when that is missing; the cookie store keeps the session cookie.
async fn log_in(client: &reqwest::Client, base: &str, user_name: &str) -> Result<()> {
    let body = serde_json::json!({ "user_name": user_name, "password": demo::DEMO_PASSWORD });
    let response = client
        .post(format!("{base}/api/v1/session"))
        .json(&body)
        .send()
        .await?;
    let status = response.status();
    if matches!(status.as_u16(), 404 | 405) {
        let form = [("user_name", user_name), ("password", demo::DEMO_PASSWORD)];
        client
            .post(format!("{base}/login"))
            .form(&form)
            .send()
            .await?;
    } else if !status.is_success() {
        bail!(
            "log in as {user_name} failed: {status} {}",
            response.text().await.unwrap_or_default()
        );
    }
    // Proves the session works before timing anything.
    let check = client
        .get(format!("{base}/api/v1/regions/tree"))
        .send()
        .await?;
    if !check.status().is_success() {
        bail!(
            "after logging in as {user_name}, GET /api/v1/regions/tree answered {}",
            check.status()
        );
    }
    Ok(())
}

/// Sends `WARMUP_REQUESTS` then `n` requests one after another; returns their durations,
/// sorted. Each must answer 2xx and its body is read in full.
async fn time_requests(
    n: usize,
    request: impl Fn() -> reqwest::RequestBuilder,
) -> Result<Vec<Duration>> {
    let mut durations = Vec::with_capacity(n);
    for index in 0..WARMUP_REQUESTS + n {
        let started = Instant::now();
        let response = request().send().await?;
        let status = response.status();
        let url = response.url().clone();
        response.bytes().await?;
        let elapsed = started.elapsed();
        if !status.is_success() {
            bail!("GET {url} answered {status}");
        }
        if index >= WARMUP_REQUESTS {
            durations.push(elapsed);
        }
    }
    durations.sort_unstable();
    Ok(durations)
}

/// Nearest-rank percentile of sorted durations.
fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied().unwrap_or_default()
}

fn milliseconds(duration: Duration) -> String {
    let micros = duration.as_micros();
    format!("{}.{:02} ms", micros / 1000, (micros % 1000) / 10)
}

fn push_latency(lines: &mut Vec<Line>, label: &str, sorted: &[Duration], p99_ms_max: u128) {
    let p50 = percentile(sorted, 50);
    let p99 = percentile(sorted, 99);
    lines.push(Line {
        measure: format!("{label}, p50 of {}", sorted.len()),
        target: "—".into(),
        measured: milliseconds(p50),
        pass: None,
    });
    lines.push(Line {
        measure: format!("{label}, p99 of {}", sorted.len()),
        target: format!("< {p99_ms_max} ms"),
        measured: milliseconds(p99),
        pass: Some(p99.as_millis() < p99_ms_max),
    });
}

/// `VmRSS` and `VmHWM` of this process in kB, from /proc/self/status (Linux).
fn resident_memory_kb() -> Result<(u64, u64)> {
    let status =
        std::fs::read_to_string("/proc/self/status").context("cannot read /proc/self/status")?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|line| line.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    match (field("VmRSS:"), field("VmHWM:")) {
        (Some(resident), Some(peak)) => Ok((resident, peak)),
        _ => bail!("no VmRSS in /proc/self/status"),
    }
}

fn megabytes(kb: u64) -> String {
    let tenths = kb * 10 / 1024;
    format!("{}.{}", tenths / 10, tenths % 10)
}

pub(crate) fn print_table(lines: &[Line], note: Option<&str>) {
    let title = ["measure", "target", "measured", "result"];
    let rows: Vec<[&str; 4]> = lines
        .iter()
        .map(|line| {
            let result = match line.pass {
                Some(true) => "PASS",
                Some(false) => "FAIL",
                None => "",
            };
            [
                line.measure.as_str(),
                line.target.as_str(),
                line.measured.as_str(),
                result,
            ]
        })
        .collect();
    let mut widths = title.map(display_width);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(display_width(cell));
        }
    }
    println!();
    for row in std::iter::once(&title).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| pad(cell, width))
            .collect();
        println!("{}", cells.join("  ").trim_end());
    }
    if let Some(note) = note {
        println!();
        println!("{note}");
    }
}

// ---------------------------------------------------------------------------------------------
// `fiscus bench flow`

const TRANSITIONS: usize = 500;
const TRANSITION_P50_MS_MAX: u128 = 5;
const INBOX_OPEN_TASKS: usize = 10_000;
const INBOX_QUERIES: usize = 100;
const INBOX_P99_MS_MAX: u128 = 100;
const INBOX_PAGE_SIZE: u32 = 20;

/// `fiscus bench flow`: on a fresh SQLite file with the small demo, one transition with its
/// history write (an approval on the first node of 基础信息变更, which closes the task, opens
/// the next node's and appends the history), and the first page of the 待办 inbox of a user
/// with 10,000 open tasks. Returns whether every target was met.
pub async fn flow(database_url: Option<String>) -> Result<bool> {
    let temporary = database_url
        .is_none()
        .then(|| std::env::temp_dir().join(format!("fiscus-bench-flow-{}.db", std::process::id())));
    let url = match (&database_url, &temporary) {
        (Some(url), _) => url.clone(),
        (None, Some(path)) => format!("sqlite://{}", path.display()),
        (None, None) => bail!("no database for the benchmark"),
    };
    let secret_key = fiscus_app::crypto::random_token().map_err(app_error)?;
    let settings = Settings {
        database_url: url.clone(),
        secret_key: Secret::new(secret_key),
        demo_mode: true,
        ..Settings::default()
    };
    println!(
        "bench flow on {}",
        match &temporary {
            Some(path) => format!("a fresh temporary SQLite file {}", path.display()),
            None => redact_url(&url),
        }
    );
    let measured = measure_flow(&settings).await;
    if let Some(path) = &temporary {
        remove_sqlite_files(path);
    }
    let lines = measured?;
    print_table(
        &lines,
        Some(
            "Timed in this process through the use cases (no HTTP); the transition includes its \
             task upserts and history rows, committed on the SQLite writer.",
        ),
    );
    let passed = lines.iter().all(|line| line.pass != Some(false));
    println!("bench flow: {}", if passed { "PASS" } else { "FAIL" });
    Ok(passed)
}

async fn measure_flow(settings: &Settings) -> Result<Vec<Line>> {
    use fiscus_core::flow::Command;
    use fiscus_store::flow::InboxQuery;

    let app = open_app(settings).await?;
    eprintln!("loading the small demo …");
    demo::run(&app, Scale::Small)
        .await
        .map_err(app_error)
        .context("demo --scale small (the database must be empty)")?;
    let (agency_code, clerk, approver) = bench_unit(&app).await?;
    let ctx = fiscus_app::RequestCtx::default();
    eprintln!("submitting {TRANSITIONS} documents …");
    let mut doc_ids = Vec::with_capacity(TRANSITIONS);
    for index in 0..TRANSITIONS {
        let mut input = fiscus_core::masterdata::Input::default();
        input
            .0
            .insert("agency_leader_per_name".into(), format!("负责人{index}"));
        let doc_id = app
            .create_unit_change(&clerk, &input, true, &ctx)
            .await
            .map_err(app_error)?;
        doc_ids.push(doc_id);
    }
    let mut durations = Vec::with_capacity(TRANSITIONS);
    for doc_id in &doc_ids {
        let command = Command::Approve {
            task_id: fiscus_core::flow::TaskId(1),
            opinion: "同意".into(),
        };
        let started = Instant::now();
        app.flow_act(&approver, doc_id, command, &ctx)
            .await
            .map_err(app_error)?;
        durations.push(started.elapsed());
    }
    durations.sort_unstable();
    let mut lines = Vec::new();
    let p50 = percentile(&durations, 50);
    lines.push(Line {
        measure: format!("approve (transition + tasks + history), p50 of {TRANSITIONS}"),
        target: format!("< {TRANSITION_P50_MS_MAX} ms"),
        measured: milliseconds(p50),
        pass: Some(p50.as_millis() < TRANSITION_P50_MS_MAX),
    });
    lines.push(Line {
        measure: format!("approve (transition + tasks + history), p99 of {TRANSITIONS}"),
        target: "—".into(),
        measured: milliseconds(percentile(&durations, 99)),
        pass: None,
    });

    eprintln!("inserting {INBOX_OPEN_TASKS} open tasks for one user …");
    let inbox_user = approver.user_name.to_string();
    insert_open_tasks(&app, &agency_code, clerk.user_name.as_str(), &inbox_user).await?;
    let query = InboxQuery {
        page: 1,
        page_size: INBOX_PAGE_SIZE,
        ..InboxQuery::default()
    };
    let mut durations = Vec::with_capacity(INBOX_QUERIES);
    for index in 0..WARMUP_REQUESTS + INBOX_QUERIES {
        let started = Instant::now();
        let (rows, total) = app
            .flow_inbox(&approver, query.clone())
            .await
            .map_err(app_error)?;
        let counts = app.flow_inbox_counts(&approver).await.map_err(app_error)?;
        let elapsed = started.elapsed();
        if rows.len() != INBOX_PAGE_SIZE as usize
            || total < INBOX_OPEN_TASKS as i64
            || counts.is_empty()
        {
            bail!("the inbox answered {} rows of {total}", rows.len());
        }
        if index >= WARMUP_REQUESTS {
            durations.push(elapsed);
        }
    }
    durations.sort_unstable();
    push_latency(
        &mut lines,
        &format!("待办 first page + counts, {INBOX_OPEN_TASKS} open tasks"),
        &durations,
        INBOX_P99_MS_MAX,
    );
    app.db.close().await;
    Ok(lines)
}

/// A unit of the small demo under a department: its code, clerk and approver.
async fn bench_unit(
    app: &fiscus_app::App,
) -> Result<(String, fiscus_core::Principal, fiscus_core::Principal)> {
    let data = demo::generate(Scale::Small);
    let unit = data
        .units
        .iter()
        .find(|unit| unit.depth == 2)
        .context("no unit under a department in the small demo")?;
    let principal = |suffix: &str| {
        let user_name = format!("u{}_{suffix}", unit.agency_code);
        async move {
            let user = fiscus_store::auth::user_by_name(&app.db, &user_name)
                .await?
                .with_context(|| format!("demo user {user_name} missing"))?;
            fiscus_app::auth::principal_of(&user).map_err(app_error)
        }
    };
    Ok((
        unit.agency_code.clone(),
        principal("clerk").await?,
        principal("approver").await?,
    ))
}

/// Bulk-inserts documents, instances and one open task each for `assignee`.
async fn insert_open_tasks(
    app: &fiscus_app::App,
    agency_code: &str,
    submitter: &str,
    assignee: &str,
) -> Result<()> {
    use fiscus_store::Bind;
    let mut tx = app.db.begin().await?;
    let agency = fiscus_store::facts::agency(&mut tx, agency_code)
        .await?
        .context("bench unit missing")?;
    let definition = fiscus_store::flow::latest_published(&mut tx, "unit_change")
        .await?
        .context("no unit_change flow")?;
    let at = fiscus_store::audit::now();
    let mut documents = Vec::with_capacity(INBOX_OPEN_TASKS);
    let mut instances = Vec::with_capacity(INBOX_OPEN_TASKS);
    let mut tasks = Vec::with_capacity(INBOX_OPEN_TASKS);
    for index in 0..INBOX_OPEN_TASKS {
        let doc_id = format!("bench-doc-{index:05}");
        let instance_id = format!("bench-ins-{index:05}");
        let title = format!("{}：变更单位负责人 {index}", agency.agency_name);
        documents.push(vec![
            Bind::text(doc_id.clone()),
            Bind::text("unit_change"),
            Bind::text(title.clone()),
            Bind::text(agency.mof_div_code.clone()),
            Bind::text(agency_code),
            Bind::Int(Some(0)),
            Bind::text("{}"),
            Bind::text("in_progress"),
            Bind::text(submitter),
            Bind::text(at.clone()),
            Bind::text(at.clone()),
        ]);
        instances.push(vec![
            Bind::text(instance_id.clone()),
            Bind::text(doc_id.clone()),
            Bind::text(definition.flow_code.clone()),
            Bind::Int(Some(definition.version)),
            Bind::text("in_progress"),
            Bind::text("unit_review"),
            Bind::text("{}"),
            Bind::Int(Some(1)),
        ]);
        tasks.push(fiscus_store::flow::TaskRow {
            instance_id,
            task_id: 1,
            node_code: "unit_review".into(),
            assignee: assignee.to_owned(),
            status: "open".into(),
            due_at: None,
            created_at: at.clone(),
            done_at: None,
            doc_type: "unit_change".into(),
            doc_id,
            title,
            mof_div_code: agency.mof_div_code.clone(),
            agency_code: Some(agency_code.to_owned()),
            amount_fen: 0,
        });
    }
    fiscus_store::bulk::insert_rows(
        &mut tx,
        "flow_document",
        &[
            "doc_id",
            "doc_type",
            "title",
            "mof_div_code",
            "agency_code",
            "amount_fen",
            "payload",
            "status",
            "submitter",
            "created_at",
            "updated_at",
        ],
        documents,
    )
    .await?;
    fiscus_store::bulk::insert_rows(
        &mut tx,
        "flow_instance",
        &[
            "instance_id",
            "doc_id",
            "flow_code",
            "version",
            "status",
            "current_node",
            "state_json",
            "revision",
        ],
        instances,
    )
    .await?;
    fiscus_store::flow::insert_tasks_bulk(&mut tx, &tasks).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_units() {
        let sorted: Vec<Duration> = (1..=200).map(Duration::from_millis).collect();
        assert_eq!(percentile(&sorted, 50), Duration::from_millis(100));
        assert_eq!(percentile(&sorted, 99), Duration::from_millis(198));
        assert_eq!(percentile(&sorted[..1], 99), Duration::from_millis(1));
        assert_eq!(milliseconds(Duration::from_micros(12_345)), "12.34 ms");
        assert_eq!(megabytes(153_600), "150.0");
    }
}
