//! Repository automation, in Rust and without dependencies: `cargo xtask test` (the one test
//! command: tidy, SQLite and PostgreSQL halves, browser test, format check) and
//! `cargo xtask tidy` and `cargo xtask simulate`.

mod test;
mod tidy;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test [ARGS…]   tidy checks, then `cargo test --workspace [ARGS…]` on SQLite and, when a
                 server answers at 127.0.0.1:5432 (user root; or FISCUS_TEST_PG_URL), on
                 PostgreSQL; the browser test when chromium and chromedriver are installed;
                 then `cargo fmt --check`. Under CI nothing may be skipped.
  tidy           only the tidy checks
  simulate       only the end-to-end simulation step of `test`: `fiscus simulate --scale
                 small` on SQLite and on a fresh PostgreSQL database (or SQLite twice),
                 comparing the digests of the two runs
";

/// The workspace root: this crate lives in `crates/xtask`. `cargo run` (the `cargo xtask`
/// alias) sets CARGO_MANIFEST_DIR at run time; it wins over the compile-time value, because
/// checkouts that share one CARGO_TARGET_DIR share one xtask binary, built in whichever
/// checkout came first.
fn workspace_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir
        .parent()
        .and_then(|crates| crates.parent())
        .map_or(manifest_dir.clone(), PathBuf::from)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let ok = match args.first().map(String::as_str) {
        Some("test") => test::run(&root, &args[1..]),
        Some("simulate") => test::simulate_only(&root),
        Some("tidy") => {
            let problems = tidy::check(&root);
            for problem in &problems {
                eprintln!("{problem}");
            }
            println!(
                "tidy: {}",
                if problems.is_empty() {
                    "ok".to_owned()
                } else {
                    format!("{} problems", problems.len())
                }
            );
            problems.is_empty()
        }
        Some("help" | "-h" | "--help") => {
            print!("{USAGE}");
            true
        }
        _ => {
            eprint!("{USAGE}");
            false
        }
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
