//! The built `fiscus` binary, run as an operator would: migrate, load the small demo, verify,
//! create a token, and refuse a config file with an unknown key. SQLite only; small scale
//! only, to stay fast (the corps scale is measured by `fiscus bench foundation`).

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

type TestResult = Result<(), Box<dyn Error>>;

/// A scratch working directory, removed when the test ends.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> std::io::Result<Scratch> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path =
            std::env::temp_dir().join(format!("fiscus-cli-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        Ok(Scratch(path))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const SECRET_KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

/// Runs `fiscus <args>` in `dir` with a clean `FISCUS_*` environment and a fixed key.
fn fiscus(dir: &Path, args: &[&str]) -> std::io::Result<Output> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fiscus"));
    command.current_dir(dir).args(args).env("RUST_LOG", "warn");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("FISCUS_") {
            command.env_remove(name);
        }
    }
    command.env("FISCUS_SECRET_KEY", SECRET_KEY).output()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Fails with the command's output, so a broken step explains itself.
fn check_success(step: &str, output: &Output) -> TestResult {
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "{step} failed with {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    )
    .into())
}

#[test]
fn migrate_demo_verify_token() -> TestResult {
    let scratch = Scratch::new("flow")?;
    let url = format!("sqlite://{}", scratch.0.join("fiscus.db").display());
    let db = ["--database", url.as_str()];
    let with_db = |args: &[&str]| fiscus(&scratch.0, &[&db[..], args].concat());

    let migrated = with_db(&["migrate"])?;
    check_success("migrate", &migrated)?;
    assert!(
        text(&migrated.stdout).contains("migrate: applied"),
        "{}",
        text(&migrated.stdout)
    );
    let again = with_db(&["migrate"])?;
    check_success("second migrate", &again)?;
    assert_eq!(text(&again.stdout).trim(), "migrate: up to date");

    let demo = with_db(&["demo", "--scale", "small"])?;
    check_success("demo --scale small", &demo)?;
    let demo_out = text(&demo.stdout);
    assert!(
        demo_out.lines().any(|line| line == "regions 164"),
        "{demo_out}"
    );
    let last = demo_out.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("demo: done in ") && last.ends_with(" s"),
        "{last}"
    );
    assert!(
        !scratch.0.join("fiscus.toml").exists(),
        "a key was given: no file is written"
    );

    let refused = with_db(&["demo", "--scale", "small"])?;
    assert!(!refused.status.success(), "a second demo must be refused");
    assert!(
        text(&refused.stderr).starts_with("error: "),
        "{}",
        text(&refused.stderr)
    );

    let verified = with_db(&["verify"])?;
    check_success("verify", &verified)?;
    let verify_out = text(&verified.stdout);
    assert!(
        verify_out
            .lines()
            .any(|line| line == "region paths: 164 ok"),
        "{verify_out}"
    );
    assert_eq!(
        verify_out.lines().last(),
        Some("verify: ok"),
        "{verify_out}"
    );

    let token = with_db(&["token", "create", "--user", "admin"])?;
    check_success("token create", &token)?;
    let token_out = text(&token.stdout);
    let token_line = token_out.trim();
    assert_eq!(token_out.lines().count(), 1, "{token_out}");
    assert!(
        token_line.starts_with("fsk_") && token_line.len() == 68,
        "{token_line}"
    );
    Ok(())
}

#[test]
fn unknown_config_key_stops_serve() -> TestResult {
    let scratch = Scratch::new("config")?;
    let config = scratch.0.join("bad.toml");
    std::fs::write(&config, "bind = \"127.0.0.1:0\"\nsesion_hours = 8\n")?;
    let config_arg = config.display().to_string();
    let served = fiscus(&scratch.0, &["--config", &config_arg, "serve"])?;
    assert!(!served.status.success(), "serve must refuse the file");
    let stderr = text(&served.stderr);
    assert!(
        stderr.contains("sesion_hours"),
        "the message names the key: {stderr}"
    );
    Ok(())
}
