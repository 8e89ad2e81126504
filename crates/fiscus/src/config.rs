//! Loading the settings for a command, and writing a first `fiscus.toml` with a fresh secret
//! key for `quickstart` (and for `demo` when no key is configured anywhere).

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};
use fiscus_app::Settings;

use crate::app_error;
use crate::cli::Cli;

/// The file read from the working directory when no `--config` is given.
pub const DEFAULT_CONFIG_FILE: &str = "fiscus.toml";

/// The process environment as a map; variables that are not UTF-8 are not ours and skipped.
pub fn environment() -> HashMap<String, String> {
    std::env::vars_os()
        .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
        .collect()
}

pub fn load(cli: &Cli, env: &HashMap<String, String>) -> Result<Settings> {
    Settings::load(cli.config.as_deref(), env, cli.settings_layer()).map_err(app_error)
}

/// True when neither `--config` nor `./fiscus.toml` supplies a file.
pub fn no_config_file(cli: &Cli) -> bool {
    cli.config.is_none() && !Path::new(DEFAULT_CONFIG_FILE).exists()
}

/// Writes `./fiscus.toml` with a new secret key and `demo_mode = true`; never overwrites.
pub fn write_first_config(written_by: &str) -> Result<()> {
    let secret_key = fiscus_app::crypto::random_token().map_err(app_error)?;
    let text = format!(
        "# fiscus.toml — written by `fiscus {written_by}` on {at}.\n\
         # Every key is optional; fiscus.example.toml and docs/configuration.md list them all.\n\
         # Precedence: built-in defaults < this file < FISCUS_* environment variables < flags.\n\
         \n\
         # 32 random bytes in hex; encrypts identity numbers at rest (SM4). Back it up apart\n\
         # from the database: identity numbers encrypted with a lost key cannot be read.\n\
         secret_key = \"{secret_key}\"\n\
         \n\
         # A demonstration database: seeded accounts may keep their initial password.\n\
         # Set to false (or delete this file) before real data goes in.\n\
         demo_mode = true\n",
        at = fiscus_store::audit::now(),
    );
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    // The file holds the key: readable by its owner only.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(DEFAULT_CONFIG_FILE)
        .with_context(|| format!("cannot create {DEFAULT_CONFIG_FILE}"))?;
    std::io::Write::write_all(&mut file, text.as_bytes())
        .with_context(|| format!("cannot write {DEFAULT_CONFIG_FILE}"))?;
    println!(
        "wrote {DEFAULT_CONFIG_FILE} with a new secret_key and demo_mode = true (back the key up)"
    );
    Ok(())
}
