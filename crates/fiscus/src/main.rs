//! The `fiscus` binary: parses the command line, loads the settings, starts logging and runs
//! one subcommand. `anyhow` lives here, at the rim; every failure ends with a message on
//! stderr and a non-zero exit code.

mod admin;
mod bank_loop;
mod bank_sim;
mod bench;
mod bench_budget;
mod bench_ledger;
mod bench_payment;
mod bench_year_end;
mod cli;
mod config;
mod serve;
mod simulate;
mod verify;
mod year_end;

use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;
use fiscus_app::AppError;
use fiscus_app::settings::LogFormat;

use crate::cli::{BenchCommand, Cli, Command, FlowCommand, TokenCommand, UserCommand};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", error_text(&error));
            ExitCode::FAILURE
        }
    }
}

/// The cause chain on one line. Some errors repeat their source in their own message
/// (`database: <sqlx error>`), so a cause already contained in the text is not appended.
fn error_text(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let cause = cause.to_string();
        if text.contains(&cause) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&cause);
    }
    text
}

/// A use-case error as people read it: a rejection with its code and Chinese message.
pub fn app_error(error: AppError) -> anyhow::Error {
    match error {
        AppError::Rejected(rejection) => {
            anyhow::anyhow!("{} ({})", rejection.message(), rejection.code())
        }
        AppError::Internal(message) => anyhow::anyhow!(message),
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    // Needs no settings, so a broken fiscus.toml cannot stand in the way of fixing it.
    if let Command::Keygen(args) = &cli.command {
        if args.sm2 {
            let pair = fiscus_app::bank::crypto::generate_sm2_key_pair().map_err(app_error)?;
            println!("private_key = \"{}\"", pair.private_key.expose());
            println!("public_key = \"{}\"", pair.public_key);
        } else {
            println!("{}", admin::keygen()?);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let env = config::environment();
    if matches!(cli.command, Command::Quickstart(_)) && config::no_config_file(&cli) {
        config::write_first_config("quickstart")?;
    }
    let mut settings = config::load(&cli, &env)?;
    if matches!(cli.command, Command::Demo(_))
        && config::no_config_file(&cli)
        && settings.require_secret_key().is_err()
    {
        config::write_first_config("demo")?;
        settings = config::load(&cli, &env)?;
    }
    // The benchmark's own requests would log one line each; only warnings interrupt it.
    let default_filter = match cli.command {
        Command::Bench(_) | Command::Simulate(_) => "warn,sqlx::query=error",
        _ => "info,sqlx::query=error",
    };
    init_logging(settings.log_format, default_filter);

    match &cli.command {
        Command::Keygen(_) => {}
        Command::BankSim(args) => bank_sim::run(&settings, args).await?,
        Command::Serve(_) => serve::serve_command(&settings).await?,
        Command::Migrate => serve::migrate_command(&settings).await?,
        Command::Demo(args) => serve::demo_command(&settings, args.scale.into()).await?,
        Command::Quickstart(args) => serve::quickstart_command(settings, args.scale).await?,
        Command::Token(TokenCommand::Create { user, label }) => {
            let app = serve::open_app(&settings).await?;
            let token = admin::token_create(&app, user, label).await;
            app.db.close().await;
            println!("{}", token?);
        }
        Command::User(command) => {
            let app = serve::open_app(&settings).await?;
            let done = match command {
                UserCommand::Create(args) => admin::user_create(&app, args).await.map(|name| {
                    format!("user {name} created; the password must be changed at first login")
                }),
                UserCommand::ResetPassword { name, password } => {
                    admin::user_reset_password(&app, name, password)
                        .await
                        .map(|()| {
                            format!("password of {name} reset; it must be changed at next login")
                        })
                }
            };
            app.db.close().await;
            println!("{}", done?);
        }
        Command::Verify => {
            let db = serve::open(&settings).await?;
            // An empty or older database is brought to the current schema first, as every
            // other command does, so that the checks read the tables they expect.
            serve::migrate(&db).await?;
            let problems = verify::run(&db, &settings).await;
            db.close().await;
            if problems? > 0 {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Flow(FlowCommand::RemindOverdue) => {
            let app = serve::open_app(&settings).await?;
            let written = app
                .flow_remind_overdue(time::OffsetDateTime::now_utc())
                .await
                .map_err(app_error);
            app.db.close().await;
            println!("remind-overdue: {} reminders written", written?);
        }
        Command::Simulate(args) => {
            let run = simulate::SimulateArgs {
                year: args.year,
                scale: args.scale.into(),
                seed: args.seed,
                // Only an explicit URL replaces the temporary file: the simulation must never
                // run in the database of a configuration file.
                database_url: args.database_url.clone().or_else(|| cli.database.clone()),
            };
            if !simulate::simulate(run).await? {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Bench(BenchCommand::Flow) => {
            if !bench::flow(cli.database.clone()).await? {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Bench(BenchCommand::Ledger(args)) => {
            let bench = bench_ledger::LedgerBench {
                database_url: cli.database.clone(),
                ops: args.ops,
                clients: args.clients,
                verify_transfers: args.verify_transfers,
            };
            if !bench_ledger::ledger(bench).await? {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Bench(BenchCommand::Payment(args)) => {
            let bench = bench_payment::PaymentBench {
                database_url: cli.database.clone(),
                n: args.n,
                faults: args.faults,
            };
            if !bench_payment::payment(bench).await? {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::YearEnd(args) => {
            let rule = year_end::rule_of(&args.rule)?;
            let app = serve::open_app(&settings).await?;
            let run =
                year_end::run(&app, args.year, args.region.as_deref(), rule, args.verbose).await;
            app.db.close().await;
            if run?.n_failed > 0 {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Bench(BenchCommand::YearEnd(args)) => {
            let bench = bench_year_end::YearEndBench {
                database_url: args.database_url.clone().or_else(|| cli.database.clone()),
                indicators: args.indicators,
            };
            if !bench_year_end::year_end(bench).await? {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Bench(BenchCommand::Budget) => {
            if !bench_budget::budget(cli.database.clone()).await? {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Bench(BenchCommand::Foundation) => {
            // Only an explicit --database replaces the temporary file: the benchmark loads
            // the demo, and must never do so into the database of a configuration file.
            if !bench::foundation(cli.database.clone()).await? {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Logs go to stderr, so that stdout carries only results (a token, a summary).
/// `default_filter` applies when RUST_LOG is unset. It silences sqlx's slow-statement
/// warnings, which carry the whole statement text — megabytes for a bulk insert.
fn init_logging(format: LogFormat, default_filter: &str) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let installed = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    if let Err(error) = installed {
        eprintln!("logging is not available: {error}");
    }
}
