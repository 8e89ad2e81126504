//! One typed `Settings`, layered: defaults < config file < `FISCUS_*` environment < flags.
//! Unknown keys in the file are rejected; the secret key is wrapped so it never prints.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;

use crate::AppError;

/// A value that must not appear in logs or debug output.
#[derive(Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Debug)]
pub struct Settings {
    /// `sqlite://fiscus.db` (default) or `postgres://user@host/db`.
    pub database_url: String,
    pub bind: String,
    pub log_format: LogFormat,
    /// 32 bytes in hex: the key of the field cipher (identity numbers).
    pub secret_key: Secret,
    pub session_hours: i64,
    pub login_failures_max: i64,
    pub lockout_minutes: i64,
    /// Demo databases: seeded accounts need not change their password on first login.
    pub demo_mode: bool,
}

/// The config file: every key optional, unknown keys rejected.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsLayer {
    pub database_url: Option<String>,
    pub bind: Option<String>,
    pub log_format: Option<LogFormat>,
    pub secret_key: Option<Secret>,
    pub session_hours: Option<i64>,
    pub login_failures_max: Option<i64>,
    pub lockout_minutes: Option<i64>,
    pub demo_mode: Option<bool>,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://fiscus.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const SESSION_HOURS_MAX: i64 = 24 * 7;

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            database_url: DEFAULT_DATABASE_URL.into(),
            bind: DEFAULT_BIND.into(),
            log_format: LogFormat::Text,
            secret_key: Secret::default(),
            session_hours: 8,
            login_failures_max: 5,
            lockout_minutes: 15,
            demo_mode: false,
        }
    }
}

fn invalid(message: String) -> AppError {
    AppError::Internal(format!("configuration: {message}"))
}

impl SettingsLayer {
    pub fn from_toml(text: &str) -> Result<SettingsLayer, AppError> {
        toml::from_str(text).map_err(|e| invalid(e.to_string()))
    }

    /// Reads `FISCUS_DATABASE_URL`, `FISCUS_BIND`, … from the given environment.
    pub fn from_env(env: &HashMap<String, String>) -> Result<SettingsLayer, AppError> {
        let get = |name: &str| env.get(&format!("FISCUS_{name}")).cloned();
        let number = |name: &str| -> Result<Option<i64>, AppError> {
            get(name)
                .map(|v| {
                    v.parse::<i64>()
                        .map_err(|_| invalid(format!("FISCUS_{name} is not a number")))
                })
                .transpose()
        };
        let log_format = match get("LOG_FORMAT").as_deref() {
            None => None,
            Some("text") => Some(LogFormat::Text),
            Some("json") => Some(LogFormat::Json),
            Some(other) => {
                return Err(invalid(format!(
                    "FISCUS_LOG_FORMAT must be text or json, not {other}"
                )));
            }
        };
        let demo_mode = match get("DEMO_MODE").as_deref() {
            None => None,
            Some("true" | "1") => Some(true),
            Some("false" | "0") => Some(false),
            Some(other) => {
                return Err(invalid(format!(
                    "FISCUS_DEMO_MODE must be true or false, not {other}"
                )));
            }
        };
        Ok(SettingsLayer {
            database_url: get("DATABASE_URL"),
            bind: get("BIND"),
            log_format,
            secret_key: get("SECRET_KEY").map(Secret::new),
            session_hours: number("SESSION_HOURS")?,
            login_failures_max: number("LOGIN_FAILURES_MAX")?,
            lockout_minutes: number("LOCKOUT_MINUTES")?,
            demo_mode,
        })
    }
}

impl Settings {
    pub fn apply(mut self, layer: SettingsLayer) -> Settings {
        macro_rules! take {
            ($($field:ident),*) => { $( if let Some(value) = layer.$field { self.$field = value; } )* };
        }
        take!(
            database_url,
            bind,
            log_format,
            secret_key,
            session_hours,
            login_failures_max,
            lockout_minutes,
            demo_mode
        );
        self
    }

    /// Defaults, then the file (if it exists), then the environment, then the flags.
    pub fn load(
        config_path: Option<&Path>,
        env: &HashMap<String, String>,
        flags: SettingsLayer,
    ) -> Result<Settings, AppError> {
        let mut settings = Settings::default();
        let default_path = Path::new("fiscus.toml");
        let path = config_path.or(default_path.exists().then_some(default_path));
        if let Some(path) = path {
            let text = std::fs::read_to_string(path)
                .map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?;
            settings = settings.apply(SettingsLayer::from_toml(&text)?);
        }
        settings = settings.apply(SettingsLayer::from_env(env)?).apply(flags);
        settings.validate()?;
        Ok(settings)
    }

    pub fn validate(&self) -> Result<(), AppError> {
        let url = &self.database_url;
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(invalid(format!(
                "database_url must start with sqlite: or postgres://, not {url}"
            )));
        }
        if self.bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(invalid(format!(
                "bind must be an address such as 127.0.0.1:8080, not {}",
                self.bind
            )));
        }
        if !(1..=SESSION_HOURS_MAX).contains(&self.session_hours) {
            return Err(invalid(format!(
                "session_hours must be 1..={SESSION_HOURS_MAX}"
            )));
        }
        if !(1..=100).contains(&self.login_failures_max)
            || !(1..=24 * 60).contains(&self.lockout_minutes)
        {
            return Err(invalid(
                "login_failures_max must be 1..=100 and lockout_minutes 1..=1440".into(),
            ));
        }
        Ok(())
    }

    /// The secret key must be set before anything encrypts; checked when the app starts.
    pub fn require_secret_key(&self) -> Result<(), AppError> {
        let key = self.secret_key.expose();
        if key.len() != 64 || hex::decode(key).is_err() {
            return Err(invalid(
                "secret_key must be 64 hex digits (generate one with `fiscus keygen`)".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_and_unknown_keys() -> Result<(), AppError> {
        let file = SettingsLayer::from_toml("bind = \"127.0.0.1:9000\"\nsession_hours = 4\n")?;
        let env: HashMap<String, String> =
            [("FISCUS_BIND".to_string(), "127.0.0.1:9100".to_string())].into();
        let flags = SettingsLayer {
            database_url: Some("postgres://root@127.0.0.1/x".into()),
            ..SettingsLayer::default()
        };
        let settings = Settings::default()
            .apply(file)
            .apply(SettingsLayer::from_env(&env)?)
            .apply(flags);
        assert_eq!(settings.bind, "127.0.0.1:9100");
        assert_eq!(settings.session_hours, 4);
        assert_eq!(settings.database_url, "postgres://root@127.0.0.1/x");
        assert!(SettingsLayer::from_toml("bnid = \"x\"").is_err());
        assert!(format!("{:?}", Secret::new("abc")).contains("***"));
        Ok(())
    }

    #[test]
    fn example_config_stays_in_sync() -> Result<(), AppError> {
        let text = include_str!("../../../fiscus.example.toml");
        let layer = SettingsLayer::from_toml(text)?;
        let settings = Settings::default().apply(layer);
        settings.validate()?;
        settings.require_secret_key()?;
        Ok(())
    }
}
