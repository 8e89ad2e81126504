//! Use cases of Fiscus. Each public operation checks the role matrix, validates with the
//! core, and writes through the store in one transaction together with its audit entry.

pub mod accounting;
pub mod auth;
pub mod bank;
pub mod budget;
pub mod codes;
pub mod crypto;
pub mod demo;
pub mod error;
pub mod export;
pub mod final_accounts;
pub mod flow;
pub mod import;
pub mod ledger;
pub mod masterdata;
pub mod payment;
pub mod project;
pub mod settings;

use std::sync::Arc;

use fiscus_store::Db;

pub use error::AppError;
pub use settings::Settings;

/// What a request knows about where it came from, for the audit log.
#[derive(Clone, Debug, Default)]
pub struct RequestCtx {
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

/// The application: a database, the settings and the field cipher. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub cipher: Arc<dyn crypto::FieldCipher>,
    pub throttle: auth::LoginThrottle,
    /// The ledger's group-commit writer, started on first use (it needs the runtime).
    pub ledger_writer: Arc<std::sync::Mutex<Option<ledger::LedgerWriter>>>,
    /// The control table as last read, and when (see `ledger::CONTROLS_CACHE_MILLIS`).
    pub ledger_controls_cache: LedgerControlsCache,
    /// Where bank and treasury messages go, and their keys (`App::set_bank_links`).
    pub bank_links: bank::links::BankLinksSlot,
    /// Signs payment vouchers at final approval (`payment::DigestSigner` until the SM2
    /// signer of `bank` replaces it).
    pub payment_signer: Arc<dyn payment::Signer>,
}

/// The shared slot of the cached control table.
pub type LedgerControlsCache =
    Arc<std::sync::Mutex<Option<(std::time::Instant, fiscus_core::ledger::ControlTable)>>>;

impl App {
    pub fn new(db: Db, settings: Settings) -> Result<App, AppError> {
        let cipher = crypto::Sm4FieldCipher::from_hex_key(settings.secret_key.expose())?;
        // With bank keys configured, vouchers carry SM2 signatures the bank can verify;
        // without them (tests, trials without a bank) an HMAC-SM3 placeholder.
        let payment_signer: Arc<dyn payment::Signer> = match settings.bank.finance_channel() {
            Ok(channel) => Arc::new(payment::ChannelSigner(channel)),
            Err(_) => Arc::new(payment::DigestSigner::new(
                settings.secret_key.expose().as_bytes(),
            )),
        };
        Ok(App {
            db,
            settings: Arc::new(settings),
            cipher: Arc::new(cipher),
            throttle: auth::LoginThrottle::default(),
            ledger_writer: Arc::default(),
            ledger_controls_cache: Arc::default(),
            bank_links: Arc::default(),
            payment_signer,
        })
    }
}
