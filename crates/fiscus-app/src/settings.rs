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
    /// The link to the agency bank and the PBOC treasury (`[bank]`).
    pub bank: BankSettings,
}

/// `[bank]`: our SM2 key, the bank's public key, the SM4 key we share, where the bank is.
/// Empty keys mean the link is not configured; `require_keys` says so when it is needed.
#[derive(Clone, Debug)]
pub struct BankSettings {
    /// Our party name on the envelopes (`Sender` of what we send).
    pub name: String,
    /// Our SM2 private key, 32 bytes in hex (`fiscus keygen --sm2`).
    pub private_key: Secret,
    /// The agency bank's party name (the `Sender` we accept).
    pub bank_name: String,
    /// The bank's SM2 public key, 65 bytes (uncompressed point) in hex.
    pub bank_public_key: String,
    /// The SM4 key we share with the bank, 32 bytes in hex (encryption half, MAC half).
    pub shared_key: Secret,
    /// The bank's base URL; vouchers go to `{bank_url}/bank/v1/vouchers`.
    pub bank_url: String,
    pub connect_timeout_ms: i64,
    pub request_timeout_ms: i64,
    pub envelope_bytes_max: i64,
    /// Only `fiscus bank-sim` reads this: the simulated bank's SM2 private key.
    pub sim_private_key: Secret,
}

/// `[bank]` in the file: every key optional, unknown keys rejected.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankLayer {
    pub name: Option<String>,
    pub private_key: Option<Secret>,
    pub bank_name: Option<String>,
    pub bank_public_key: Option<String>,
    pub shared_key: Option<Secret>,
    pub bank_url: Option<String>,
    pub connect_timeout_ms: Option<i64>,
    pub request_timeout_ms: Option<i64>,
    pub envelope_bytes_max: Option<i64>,
    pub sim_private_key: Option<Secret>,
}

impl Default for BankSettings {
    fn default() -> BankSettings {
        BankSettings {
            name: "finance".into(),
            private_key: Secret::default(),
            bank_name: "bank".into(),
            bank_public_key: String::new(),
            shared_key: Secret::default(),
            bank_url: "http://127.0.0.1:8090".into(),
            connect_timeout_ms: 5_000,
            request_timeout_ms: 30_000,
            envelope_bytes_max: 32 * 1024 * 1024,
            sim_private_key: Secret::default(),
        }
    }
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
    pub bank: Option<BankLayer>,
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
            bank: BankSettings::default(),
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
            bank: Some(BankLayer::from_env(env)?),
        })
    }
}

impl BankLayer {
    /// `FISCUS_BANK_NAME`, `FISCUS_BANK_PRIVATE_KEY`, … (the key in upper case after `BANK_`).
    fn from_env(env: &HashMap<String, String>) -> Result<BankLayer, AppError> {
        let get = |name: &str| env.get(&format!("FISCUS_BANK_{name}")).cloned();
        let number = |name: &str| -> Result<Option<i64>, AppError> {
            get(name)
                .map(|v| {
                    v.parse::<i64>()
                        .map_err(|_| invalid(format!("FISCUS_BANK_{name} is not a number")))
                })
                .transpose()
        };
        Ok(BankLayer {
            name: get("NAME"),
            private_key: get("PRIVATE_KEY").map(Secret::new),
            bank_name: get("BANK_NAME"),
            bank_public_key: get("BANK_PUBLIC_KEY"),
            shared_key: get("SHARED_KEY").map(Secret::new),
            bank_url: get("BANK_URL"),
            connect_timeout_ms: number("CONNECT_TIMEOUT_MS")?,
            request_timeout_ms: number("REQUEST_TIMEOUT_MS")?,
            envelope_bytes_max: number("ENVELOPE_BYTES_MAX")?,
            sim_private_key: get("SIM_PRIVATE_KEY").map(Secret::new),
        })
    }
}

impl BankSettings {
    fn apply(mut self, layer: BankLayer) -> BankSettings {
        macro_rules! take {
            ($($field:ident),*) => { $( if let Some(value) = layer.$field { self.$field = value; } )* };
        }
        take!(
            name,
            private_key,
            bank_name,
            bank_public_key,
            shared_key,
            bank_url,
            connect_timeout_ms,
            request_timeout_ms,
            envelope_bytes_max,
            sim_private_key
        );
        self
    }

    fn validate(&self) -> Result<(), AppError> {
        let is_name = |name: &str| {
            (1..=32).contains(&name.len())
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        };
        if !is_name(&self.name) || !is_name(&self.bank_name) {
            return Err(invalid(
                "bank.name and bank.bank_name must be 1–32 of A-Z a-z 0-9 _ -".into(),
            ));
        }
        if !(self.bank_url.starts_with("http://") || self.bank_url.starts_with("https://")) {
            return Err(invalid(
                "bank.bank_url must start with http:// or https://".into(),
            ));
        }
        let timeouts = [self.connect_timeout_ms, self.request_timeout_ms];
        if timeouts.iter().any(|ms| !(1..=600_000).contains(ms)) {
            return Err(invalid("bank timeouts must be 1..=600000 ms".into()));
        }
        if !(1024..=1024 * 1024 * 1024).contains(&self.envelope_bytes_max) {
            return Err(invalid(
                "bank.envelope_bytes_max must be 1 KiB..=1 GiB".into(),
            ));
        }
        Ok(())
    }

    /// Our side of the link to the bank, from the keys; an error names the missing key.
    pub fn finance_channel(&self) -> Result<crate::bank::Channel, AppError> {
        if self.private_key.expose().is_empty()
            || self.bank_public_key.is_empty()
            || self.shared_key.expose().is_empty()
        {
            return Err(invalid(
                "bank.private_key, bank.bank_public_key and bank.shared_key must be set \
                 (generate SM2 pairs with `fiscus keygen --sm2`, the shared key with `fiscus keygen`)"
                    .into(),
            ));
        }
        let mut channel = crate::bank::Channel::from_keys(
            &self.name,
            &self.private_key,
            &self.bank_name,
            &self.bank_public_key,
            &self.shared_key,
        )?;
        channel.envelope_bytes_max = usize::try_from(self.envelope_bytes_max).unwrap_or(0);
        Ok(channel)
    }

    /// The simulated bank's side: its key, our public key (derived from ours), the shared key.
    pub fn sim_channel(&self) -> Result<crate::bank::Channel, AppError> {
        if self.sim_private_key.expose().is_empty() || self.private_key.expose().is_empty() {
            return Err(invalid(
                "bank.sim_private_key and bank.private_key must be set for the simulator".into(),
            ));
        }
        let finance_public_key = crate::bank::crypto::sm2_public_key_of(self.private_key.expose())?;
        let mut channel = crate::bank::Channel::from_keys(
            &self.bank_name,
            &self.sim_private_key,
            &self.name,
            &finance_public_key,
            &self.shared_key,
        )?;
        channel.envelope_bytes_max = usize::try_from(self.envelope_bytes_max).unwrap_or(0);
        Ok(channel)
    }

    pub fn client_timeouts(&self) -> crate::bank::ClientTimeouts {
        let ms = |value: i64| std::time::Duration::from_millis(u64::try_from(value).unwrap_or(1));
        crate::bank::ClientTimeouts {
            connect: ms(self.connect_timeout_ms),
            request: ms(self.request_timeout_ms),
        }
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
        if let Some(bank) = layer.bank {
            self.bank = self.bank.apply(bank);
        }
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
        self.bank.validate()
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
        assert!(SettingsLayer::from_toml("[bank]\nkey = \"x\"").is_err());
        let env: HashMap<String, String> = [(
            "FISCUS_BANK_BANK_URL".to_string(),
            "http://10.0.0.1:1".to_string(),
        )]
        .into();
        let file = SettingsLayer::from_toml("[bank]\nname = \"xpcc\"\n")?;
        let settings = Settings::default()
            .apply(file)
            .apply(SettingsLayer::from_env(&env)?);
        assert_eq!(settings.bank.name, "xpcc");
        assert_eq!(settings.bank.bank_url, "http://10.0.0.1:1");
        settings.validate()?;
        assert!(settings.bank.finance_channel().is_err());
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
        // The example's bank keys are real pairs: both sides of the link can be built.
        let finance = settings.bank.finance_channel()?;
        let sim = settings.bank.sim_channel()?;
        let signature = finance.crypto.sign(b"x")?;
        assert!(sim.crypto.verify_peer(b"x", &signature));
        Ok(())
    }
}
