//! `cargo xtask test`: tidy, then the whole workspace's tests on SQLite and — when a server
//! answers at 127.0.0.1:5432 — on PostgreSQL, the headless browser test when Chromium is
//! installed, then the end-to-end simulation (`fiscus simulate --scale small` on both
//! backends, digests compared), then the format check. It says plainly which half was skipped, and under CI
//! (`CI` set, not "false") it refuses to skip anything.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const PG_URL_DEFAULT: &str = "postgres://root@127.0.0.1:5432/postgres";
/// The prefix of the databases the test suites create (`fiscus-store/src/testing.rs`).
const TEST_DATABASE_PREFIX: &str = "fiscus_t_";
const CHROMIUM: &str = "/usr/bin/chromium";
const BROWSER_PACKAGES: &str = "apt-get install -y chromium chromium-driver fonts-noto-cjk";

/// Where the PostgreSQL test server is, from `FISCUS_TEST_PG_URL`.
struct PgTarget {
    user: String,
    password: Option<String>,
    host: String,
    port: u16,
}

impl PgTarget {
    fn from_url(url: &str) -> PgTarget {
        let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
        let authority = rest.split('/').next().unwrap_or(rest);
        let (credentials, host_port) = match authority.rsplit_once('@') {
            Some((credentials, host_port)) => (Some(credentials), host_port),
            None => (None, authority),
        };
        let (user, password) = match credentials.map(|c| c.split_once(':').unwrap_or((c, ""))) {
            Some((user, "")) => (user.to_owned(), None),
            Some((user, password)) => (user.to_owned(), Some(password.to_owned())),
            None => ("root".to_owned(), None),
        };
        let (host, port) = match host_port.rsplit_once(':') {
            Some((host, port)) => (host.to_owned(), port.parse().unwrap_or(5432)),
            None => (host_port.to_owned(), 5432),
        };
        let host = if host.is_empty() {
            "127.0.0.1".to_owned()
        } else {
            host
        };
        PgTarget {
            user,
            password,
            host,
            port,
        }
    }

    fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    fn is_reachable(&self) -> bool {
        let addresses: Vec<SocketAddr> = match self.address().to_socket_addrs() {
            Ok(addresses) => addresses.collect(),
            Err(_) => return false,
        };
        addresses
            .iter()
            .any(|address| TcpStream::connect_timeout(address, Duration::from_secs(2)).is_ok())
    }

    fn psql(&self, sql: &str) -> Option<String> {
        let mut command = Command::new("psql");
        command
            .args([
                "-h",
                &self.host,
                "-p",
                &self.port.to_string(),
                "-U",
                &self.user,
            ])
            .args(["-d", "postgres", "-Atc", sql])
            .stdin(Stdio::null())
            .stderr(Stdio::null());
        if let Some(password) = &self.password {
            command.env("PGPASSWORD", password);
        }
        let output = command.output().ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Drops databases left behind by earlier, interrupted runs. Best effort: without psql
    /// nothing happens, and a database still in use (another run right now) is kept,
    /// because `DROP DATABASE` without `FORCE` refuses it.
    fn drop_leftover_test_databases(&self) {
        if !on_path("psql") {
            return;
        }
        let query = format!(
            "SELECT datname FROM pg_database WHERE datname LIKE '{}%'",
            TEST_DATABASE_PREFIX.replace('_', "\\_")
        );
        let Some(names) = self.psql(&query) else {
            return;
        };
        let mut dropped = 0;
        for name in names.lines().map(str::trim) {
            let safe = name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if safe
                && name.starts_with(TEST_DATABASE_PREFIX)
                && self
                    .psql(&format!("DROP DATABASE IF EXISTS \"{name}\""))
                    .is_some()
            {
                dropped += 1;
            }
        }
        if dropped > 0 {
            println!("xtask: dropped {dropped} leftover test databases ({TEST_DATABASE_PREFIX}*)");
        }
    }
}

pub fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| !value.is_empty() && value != "false")
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Runs the test command; returns true when everything that ran passed and nothing that CI
/// requires was skipped.
pub fn run(root: &Path, extra_args: &[String]) -> bool {
    let ci = is_ci();
    let mut failed: Vec<&str> = Vec::new();
    let mut skipped: Vec<String> = Vec::new();

    println!("xtask: tidy");
    let problems = crate::tidy::check(root);
    if !problems.is_empty() {
        eprintln!("tidy: {} problems", problems.len());
        for problem in &problems {
            eprintln!("  {problem}");
        }
        failed.push("tidy");
    }

    let pg_url = std::env::var("FISCUS_TEST_PG_URL").unwrap_or_else(|_| PG_URL_DEFAULT.to_owned());
    let pg = PgTarget::from_url(&pg_url);
    let mut command = cargo();
    // Every test binary runs even when an earlier one fails: one run shows every failure.
    command
        .current_dir(root)
        .args(["test", "--workspace", "--no-fail-fast"])
        .args(extra_args);
    let postgres_ran = pg.is_reachable();
    if postgres_ran {
        println!(
            "xtask: PostgreSQL answers at {}: both halves run",
            pg.address()
        );
        pg.drop_leftover_test_databases();
        // The summary will say both halves ran, so a suite may not skip PostgreSQL quietly.
        command
            .env_remove("FISCUS_TEST_POSTGRES")
            .env("FISCUS_REQUIRE_POSTGRES", "1");
    } else if ci {
        eprintln!(
            "xtask: PostgreSQL: no server at {} and CI is set, so the PostgreSQL half may not be \
             skipped. Start it (pg_ctlcluster <version> main start) or set FISCUS_TEST_PG_URL.",
            pg.address()
        );
        println!("xtask test: FAILED (PostgreSQL unavailable under CI)");
        return false;
    } else {
        command.env("FISCUS_TEST_POSTGRES", "skip");
        skipped.push(format!(
            "PostgreSQL: SKIPPED — no server at {}; only the SQLite half ran",
            pg.address()
        ));
    }

    let browser_ready = Path::new(CHROMIUM).is_file() && on_path("chromedriver");
    if browser_ready {
        command.env("FISCUS_BROWSER_TEST", "1");
    } else if ci {
        eprintln!(
            "xtask: the browser test needs {CHROMIUM} and chromedriver under CI: {BROWSER_PACKAGES}"
        );
        failed.push("browser test unavailable");
    } else {
        skipped.push(format!(
            "browser test: SKIPPED — {CHROMIUM} or chromedriver is missing ({BROWSER_PACKAGES})"
        ));
    }

    println!(
        "xtask: cargo test --workspace --no-fail-fast {}",
        extra_args.join(" ")
    );
    let mut totals = TestTotals::default();
    match run_counting(&mut command, &mut totals) {
        Ok(true) => {}
        Ok(false) => failed.push("cargo test"),
        Err(error) => {
            eprintln!("xtask: cannot run cargo: {error}");
            failed.push("cargo test");
        }
    }

    if !simulate(root, postgres_ran.then_some(&pg), ci, &mut skipped) {
        failed.push("fiscus simulate");
    }

    check_format(root, ci, &mut failed, &mut skipped);

    for line in &skipped {
        println!("{line}");
    }
    let halves = if postgres_ran {
        "SQLite + PostgreSQL"
    } else {
        "SQLite only; PostgreSQL SKIPPED"
    };
    let ok = failed.is_empty();
    if ok {
        println!("xtask test: ok ({halves})");
    } else {
        println!("xtask test: FAILED ({}) ({halves})", failed.join(", "));
    }
    // The plain closing line CI reads: the sum over every test binary of this run.
    println!("total: {} passed, {} failed", totals.passed, totals.failed);
    ok
}

/// `cargo xtask simulate`: the simulation step alone, with the same rules as in `test`.
pub fn simulate_only(root: &Path) -> bool {
    let pg_url = std::env::var("FISCUS_TEST_PG_URL").unwrap_or_else(|_| PG_URL_DEFAULT.to_owned());
    let pg = PgTarget::from_url(&pg_url);
    let mut skipped = Vec::new();
    let ok = simulate(
        root,
        pg.is_reachable().then_some(&pg),
        is_ci(),
        &mut skipped,
    );
    for line in &skipped {
        println!("{line}");
    }
    println!("xtask simulate: {}", if ok { "ok" } else { "FAILED" });
    ok
}

/// The seed of the simulation runs: any fixed one will do.
const SIMULATE_SEED: &str = "7";

/// One `fiscus simulate --year 2027 --scale small` of the debug build; returns its digest
/// line when its last line is `simulate: ok …`.
fn simulate_once(root: &Path, backend: &str, database_url: Option<&str>) -> Option<String> {
    println!("xtask: fiscus simulate --year 2027 --scale small on {backend}");
    let mut command = cargo();
    command.current_dir(root).args([
        "run",
        "--quiet",
        "-p",
        "fiscus",
        "--",
        "simulate",
        "--year",
        "2027",
        "--scale",
        "small",
        "--seed",
        SIMULATE_SEED,
    ]);
    if let Some(url) = database_url {
        command.args(["--database-url", url]);
    }
    let output = match command.stderr(Stdio::inherit()).output() {
        Ok(output) => output,
        Err(error) => {
            eprintln!("xtask: cannot run fiscus simulate: {error}");
            return None;
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or("");
    println!("{last}");
    if !output.status.success() || !last.starts_with("simulate: ok") {
        eprintln!("{stdout}");
        return None;
    }
    stdout
        .lines()
        .find(|line| line.starts_with("simulate digest:"))
        .map(str::to_owned)
}

/// The end-to-end proof (ADR 0014): the small simulation on SQLite and, when the server
/// answers, on a fresh PostgreSQL database created and dropped here; otherwise a second
/// SQLite run. The two runs have the same seed, so their digests must be equal — the same
/// year on both backends, or twice on one.
fn simulate(root: &Path, pg: Option<&PgTarget>, ci: bool, skipped: &mut Vec<String>) -> bool {
    let Some(first) = simulate_once(root, "SQLite", None) else {
        return false;
    };
    let second = match pg {
        Some(pg) if on_path("psql") => {
            let name = format!("{TEST_DATABASE_PREFIX}sim_{}", std::process::id());
            if pg.psql(&format!("CREATE DATABASE {name}")).is_none() {
                eprintln!("xtask: cannot create the database {name} for the simulation");
                return false;
            }
            let credentials = match &pg.password {
                Some(password) => format!("{}:{password}", pg.user),
                None => pg.user.clone(),
            };
            let url = format!("postgres://{credentials}@{}/{name}", pg.address());
            let digest = simulate_once(root, "PostgreSQL", Some(&url));
            let _ = pg.psql(&format!("DROP DATABASE IF EXISTS {name}"));
            digest
        }
        _ => {
            if ci {
                eprintln!("xtask: the PostgreSQL simulation needs the server and psql under CI");
                return false;
            }
            skipped.push(
                "simulate on PostgreSQL: SKIPPED — no server or no psql; SQLite ran twice".into(),
            );
            simulate_once(root, "SQLite (second run, same seed)", None)
        }
    };
    let Some(second) = second else {
        return false;
    };
    if first != second {
        eprintln!("xtask: the same seed gave different years:\n{first}\n{second}");
        return false;
    }
    println!("xtask: simulate digests equal (seed {SIMULATE_SEED})");
    true
}

/// Sums of the `test result:` lines of one `cargo test` run.
#[derive(Debug, Default, PartialEq, Eq)]
struct TestTotals {
    passed: u64,
    failed: u64,
}

impl TestTotals {
    /// Adds the counts of a line such as `test result: ok. 12 passed; 0 failed; 0 ignored; …`.
    fn add_line(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            return;
        };
        for part in rest.split(['.', ';']) {
            let mut words = part.split_whitespace();
            if let (Some(number), Some(kind)) = (words.next(), words.next()) {
                let Ok(number) = number.parse::<u64>() else {
                    continue;
                };
                match kind {
                    "passed" => self.passed += number,
                    "failed" => self.failed += number,
                    _ => {}
                }
            }
        }
    }
}

/// Runs the command with its standard output passed through line by line and counted.
fn run_counting(command: &mut Command, totals: &mut TestTotals) -> std::io::Result<bool> {
    use std::io::{BufRead, Write};
    let mut child = command.stdout(std::process::Stdio::piped()).spawn()?;
    if let Some(stdout) = child.stdout.take() {
        let mut out = std::io::stdout();
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line?;
            totals.add_line(&line);
            let _ = writeln!(out, "{line}");
        }
    }
    Ok(child.wait()?.success())
}

/// `cargo fmt --check` when rustfmt is installed. A difference fails under CI and is a
/// warning on a developer's machine, where `cargo fmt --all` fixes it.
fn check_format(root: &Path, ci: bool, failed: &mut Vec<&str>, skipped: &mut Vec<String>) {
    let rustfmt_installed = Command::new("rustfmt")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !rustfmt_installed {
        skipped.push(
            "format check: SKIPPED — rustfmt is not installed (rustup component add rustfmt)"
                .into(),
        );
        return;
    }
    println!("xtask: cargo fmt --all -- --check");
    let formatted = cargo()
        .current_dir(root)
        .args(["fmt", "--all", "--", "--check", "--files-with-diff"])
        .status()
        .is_ok_and(|status| status.success());
    if formatted {
        return;
    }
    if ci {
        eprintln!("xtask: the code is not formatted: run `cargo fmt --all`");
        failed.push("cargo fmt --check");
    } else {
        skipped.push(
            "format check: WARNING — the code is not formatted; run `cargo fmt --all`".into(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_test_result_lines() {
        let mut totals = TestTotals::default();
        totals.add_line("test result: ok. 12 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.08s");
        totals.add_line(
            "test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out",
        );
        totals.add_line("running 4 tests");
        assert_eq!(
            totals,
            TestTotals {
                passed: 15,
                failed: 2
            }
        );
    }

    #[test]
    fn reads_the_test_server_url() {
        let pg = PgTarget::from_url("postgres://root@127.0.0.1:5432/postgres");
        assert_eq!(
            (pg.user.as_str(), pg.address().as_str(), pg.password),
            ("root", "127.0.0.1:5432", None)
        );
        let pg = PgTarget::from_url("postgresql://fiscus:secret@db.internal/x");
        assert_eq!(
            (pg.user.as_str(), pg.address().as_str()),
            ("fiscus", "db.internal:5432")
        );
        assert_eq!(pg.password.as_deref(), Some("secret"));
    }
}
