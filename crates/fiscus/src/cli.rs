//! The command line: global flags, subcommands and their arguments (clap derive), and the
//! flags' layer of the settings. Parsing only; `main.rs` dispatches.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use fiscus_app::settings::{LogFormat, SettingsLayer};

/// Fiscus — 预算管理一体化系统 (budget management integration system).
///
/// Settings come from built-in defaults, then `fiscus.toml` (or --config), then `FISCUS_*`
/// environment variables, then these flags. See docs/configuration.md.
#[derive(Debug, Parser)]
#[command(name = "fiscus", version, about, long_about)]
pub struct Cli {
    /// Database: sqlite://PATH (created if missing) or postgres://USER@HOST:PORT/DB.
    /// Also FISCUS_DATABASE_URL or the config key database_url; default sqlite://fiscus.db.
    #[arg(long, global = true, value_name = "URL")]
    pub database: Option<String>,

    /// Config file (must exist). Without it, ./fiscus.toml is read when present.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Log output: text for people, json for log collectors.
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub log_format: Option<LogFormatArg>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the web server (pages and the JSON API under /api/v1).
    Serve(BindArgs),
    /// Applies pending database migrations.
    Migrate,
    /// Loads the deterministic demo data into an empty database.
    Demo(DemoArgs),
    /// The newcomer's one command: writes fiscus.toml if absent, migrates, loads the demo into
    /// an empty database, prints the address and the demo logins, then serves.
    Quickstart(QuickstartArgs),
    /// API tokens for machine clients.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Users (as the system operator).
    #[command(subcommand)]
    User(UserCommand),
    /// Prints a new random secret_key (64 hex digits), or with --sm2 an SM2 key pair.
    Keygen(KeygenArgs),
    /// Checks the integrity of the stored data; exits non-zero on any problem.
    ///
    /// Checks the region and unit materialized paths, that units, persons, accounts and users
    /// sit in their parent's region, that identity numbers decrypt with secret_key and match
    /// their masked form (a sample of up to 1,000), and that the audit log is not empty when
    /// there is data. Then the indicator ledger: every account's totals recomputed from its
    /// transfers, debits equal credits, no strictly controlled balance below zero, reserved +
    /// spent within what each indicator received, lineage sums of splits and carry-overs, and
    /// each reservation resolved at most once and within its amount. Every violation is
    /// listed; the last line is `verify: ok` or `verify: N violations`.
    Verify,
    /// Measures performance targets.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// The approval flow engine (流程引擎).
    #[command(subcommand)]
    Flow(FlowCommand),
    /// The year-end close of the indicator ledger (年终结转结余), as the system operator.
    ///
    /// Each open executable indicator of the year releases its frozen money, carries (by
    /// --rule) into a new indicator of next year (上年结转) and lapses the rest to its region's
    /// 总待分 pool; the old year becomes read-only. Without --region every region with open
    /// indicators of the year is closed, leaves first. A closed region is refused
    /// (year_already_closed) and nothing changes. Last line: `year-end: N indicators in X s`.
    YearEnd(YearEndArgs),
    /// Runs the simulated agency bank and PBOC treasury (fiscus-bank-sim) with fault flags.
    ///
    /// Keys come from [bank] in the config file or FISCUS_BANK_*: the simulator signs with
    /// bank.sim_private_key, verifies finance with the public key of bank.private_key and
    /// shares bank.shared_key.
    BankSim(BankSimArgs),
    /// Drives one whole fiscal year through the real application services — the end-to-end
    /// proof (ADR 0014).
    ///
    /// On a fresh database (a temporary SQLite file, or the empty one of --database-url):
    /// the demo's master data, then the compilation 二上二下 and 批复 into indicators, 下达
    /// and 分解 of pools, adjustments, payments month by month through bank-sim on loopback
    /// with returns, refunds and clearing, accounting with month closes; then the checks:
    /// trial balances, `fiscus verify`, reconciliation, and the bank, ledger and books
    /// agreeing. The same --seed gives the same figures (the `simulate digest:` line). The
    /// last line starts with `simulate: ok` or `simulate: FAILED` (exit code 1).
    Simulate(SimulateArgs),
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The fiscal year to simulate (the demo's compilation year).
    #[arg(long, value_name = "Y", default_value_t = 2027)]
    pub year: i32,
    #[arg(long, value_enum, default_value = "small")]
    pub scale: ScaleArg,
    /// Seed of every choice the simulation makes.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
    /// An empty database to run in (sqlite://PATH or postgres://…); default: a temporary
    /// SQLite file, removed at the end.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Prints an SM2 key pair (private_key, public_key) in hex instead of a secret_key.
    #[arg(long)]
    pub sm2: bool,
}

#[derive(Debug, Args)]
pub struct BankSimArgs {
    /// Socket address the simulator listens on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8090")]
    pub bind: String,
    /// Finance's base URL; messages go to URL/api/bank/v1/messages.
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:8080")]
    pub finance_url: String,
    /// Delay of each delivery in ms, a range A..B.
    #[arg(long, value_name = "A..B", default_value = "0..0")]
    pub delay_ms: String,
    /// Share of delivered messages sent twice (same MsgId), 0..1.
    #[arg(long, value_name = "R", default_value = "0")]
    pub duplicate: String,
    /// Deliver messages independently, so delays reorder them.
    #[arg(long)]
    pub reorder: bool,
    /// Share of attempts lost (inbound: 503 without effect; outbound: retried), 0..1.
    #[arg(long, value_name = "R", default_value = "0")]
    pub drop: String,
    /// Share of messages first sent with a corrupted signature, 0..1.
    #[arg(long, value_name = "R", default_value = "0")]
    pub corrupt: String,
    /// Share of paid vouchers refunded later, 0..1 (payee accounts ending 9999 always are).
    #[arg(long, value_name = "R", default_value = "0")]
    pub refund: String,
    /// Delay of refunds after payment, in ms.
    #[arg(long, value_name = "MS", default_value_t = 1_000)]
    pub refund_delay_ms: u64,
    /// Bank code on statements.
    #[arg(long, value_name = "CODE", default_value = "SIMBANK")]
    pub bank_code: String,
    /// Seed of the fault draws.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
}

#[derive(Debug, Subcommand)]
pub enum FlowCommand {
    /// Writes one 催办 notice to the assignee of each open task past its due time that has
    /// not been reminded yet, and prints how many were written. `fiscus serve` does the same
    /// every 10 minutes.
    RemindOverdue,
}

#[derive(Debug, Args)]
pub struct BindArgs {
    /// Socket address to listen on (ip:port); overrides the bind setting.
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScaleArg {
    /// A few regions and units: for tests and quick looks.
    Small,
    /// The whole corps: 1 corps, 14 divisions, 149 regiments, thousands of units.
    Corps,
}

impl From<ScaleArg> for fiscus_app::demo::Scale {
    fn from(scale: ScaleArg) -> Self {
        match scale {
            ScaleArg::Small => fiscus_app::demo::Scale::Small,
            ScaleArg::Corps => fiscus_app::demo::Scale::Corps,
        }
    }
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[arg(long, value_enum)]
    pub scale: ScaleArg,
}

#[derive(Debug, Args)]
pub struct QuickstartArgs {
    #[command(flatten)]
    pub bind: BindArgs,
    #[arg(long, value_enum, default_value = "corps")]
    pub scale: ScaleArg,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Creates an API token acting as (and scoped like) a user; prints it once.
    Create {
        /// The user the token acts as.
        #[arg(long, value_name = "NAME")]
        user: String,
        /// What the token is for, shown in the token list.
        #[arg(long, value_name = "TEXT", default_value = "cli")]
        label: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Creates a user; the password must be changed at first login.
    Create(UserCreateArgs),
    /// Sets a new initial password; the user must change it at next login.
    ResetPassword {
        #[arg(long, value_name = "NAME")]
        name: String,
        #[arg(long, value_name = "P")]
        password: String,
    },
}

#[derive(Debug, Args)]
pub struct UserCreateArgs {
    /// Login name: 3–32 of a-z 0-9 _ - .
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// The person's name as shown in the pages.
    #[arg(long, value_name = "X")]
    pub display_name: String,
    /// Region (财政区划) code the user belongs to.
    #[arg(long, value_name = "CODE")]
    pub region: String,
    /// Unit (预算单位) code, for unit users; omit for finance-bureau users.
    #[arg(long, value_name = "CODE")]
    pub agency: Option<String>,
    /// Role codes separated by commas, e.g. budget_division,auditor.
    #[arg(long, value_name = "r1,r2")]
    pub roles: String,
    /// Initial password (at least 10 characters with a letter and a digit).
    #[arg(long, value_name = "P")]
    pub password: String,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// The foundation targets: corps demo load time, unit-list and region-tree latency over
    /// HTTP, resident memory of the serving process.
    ///
    /// Uses a fresh temporary SQLite file, or the (empty) database given with --database.
    Foundation,
    /// The flow engine targets: one approval with its history write (median of 500), and the
    /// first page of the 待办 inbox of a user with 10,000 open tasks (p99 of 100).
    ///
    /// Uses a fresh temporary SQLite file with the small demo, or the (empty) --database.
    Flow,
    /// The ledger targets: reservations + posts per second through the app (concurrent
    /// clients, group-commit writer) against one conditional UPDATE per autocommit statement
    /// on a bare table of the same database; and `fiscus verify` over a generated ledger.
    ///
    /// Uses a fresh temporary SQLite file, or the database given with --database (it adds
    /// benchmark indicators and transfers to it). Last line: `ledger: X/s baseline: Y/s ratio: Z`.
    Ledger(LedgerBenchArgs),
    /// The treasury payment targets: applications per second from submission to the bank's
    /// receipt (batch entry, batch approval, the serve job worker, bank-sim on loopback
    /// posting signed receipts to the real router); with --faults, proof that no payment was
    /// lost or doubled (counts, `fiscus verify` ledger checks, totals, reconciliation).
    ///
    /// Uses a fresh temporary SQLite file, or the (empty) database given with --database.
    /// Last line: `payment: X/s n=N elapsed=… faults=on|off …`.
    Payment(PaymentBenchArgs),
    /// The budget compilation targets on a corps-scale database: the root bureau's
    /// corps-wide summary by region, department and function class (< 2 s) and the import of
    /// a 10,000-row workbook (< 5 s).
    ///
    /// Uses a fresh SQLite file and a scratch PostgreSQL database when reachable, or the
    /// database given with --database (loads the corps demo into it when empty).
    Budget,
    /// The year-end close target on a corps-scale database: at least 450,000 open indicators
    /// of one year over the corps' regions (seeded, untimed), then every region closed through
    /// `fiscus year-end` in under 60 s.
    ///
    /// Uses a fresh temporary SQLite file, or the (empty) database given with --database-url
    /// or --database. Last line: `year-end: N indicators in X s`.
    YearEnd(YearEndBenchArgs),
}

#[derive(Debug, Args)]
pub struct YearEndArgs {
    /// The fiscal year to close.
    #[arg(long, value_name = "Y")]
    pub year: i32,
    /// One region (财政区划 code); default: every region with open indicators of the year.
    #[arg(long, value_name = "CODE")]
    pub region: Option<String>,
    /// projects: carry project indicators, lapse the rest; all: carry everything; nothing:
    /// lapse everything.
    #[arg(long, value_name = "RULE", default_value = "projects")]
    pub rule: String,
    /// Prints the stages of each region (read, planned, committed).
    #[arg(long)]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct YearEndBenchArgs {
    /// Open indicators of one year to seed over the corps' regions before the timed close.
    #[arg(long, value_name = "N", default_value_t = 450_000)]
    pub indicators: usize,
    /// An empty database to use instead of a fresh temporary SQLite file (same as the
    /// global --database).
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct PaymentBenchArgs {
    /// Applications to submit, approve and pay.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub n: usize,
    /// Turns on bank-sim's faults: delays, duplicates, reordering, drops, corrupted signatures.
    #[arg(long)]
    pub faults: bool,
}

#[derive(Debug, Args)]
pub struct LedgerBenchArgs {
    /// Operations to time: reservations plus posts, and as many baseline updates.
    #[arg(long, value_name = "N", default_value_t = 20_000)]
    pub ops: usize,
    /// Concurrent clients of both measures.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub clients: usize,
    /// Transfers of the generated ledger that `fiscus verify` is timed over (0: skip).
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    pub verify_transfers: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormatArg {
    Text,
    Json,
}

impl Cli {
    /// The flags as the highest settings layer.
    pub fn settings_layer(&self) -> SettingsLayer {
        let bind = match &self.command {
            Command::Serve(args) => args.bind.clone(),
            Command::Quickstart(args) => args.bind.bind.clone(),
            _ => None,
        };
        SettingsLayer {
            database_url: self.database.clone(),
            bind,
            log_format: self.log_format.map(|format| match format {
                LogFormatArg::Text => LogFormat::Text,
                LogFormatArg::Json => LogFormat::Json,
            }),
            ..SettingsLayer::default()
        }
    }
}
