//! Opening the database, `migrate`, `demo`, `serve` and `quickstart` (migrate, load the demo
//! into an empty database, print where to go and how to log in, serve).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use fiscus_app::demo::{self, DemoLogin, Scale};
use fiscus_app::{App, Settings};
use fiscus_core::Role;
use fiscus_store::Db;

use crate::app_error;
use crate::cli::ScaleArg;

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`, for messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

pub async fn open(settings: &Settings) -> Result<Db> {
    Db::connect(&settings.database_url).await.with_context(|| {
        format!(
            "cannot open the database {}",
            redact_url(&settings.database_url)
        )
    })
}

/// Applies pending migrations; returns the versions applied now.
pub async fn migrate(db: &Db) -> Result<Vec<i64>> {
    let applied = fiscus_store::migrate::run(db)
        .await
        .context("migrations failed")?;
    for version in &applied {
        tracing::info!(version, "migration applied");
    }
    // The shipped default flow of each document type, for types that have none yet.
    let flows = fiscus_app::flow::definitions::ensure_default_flows(db)
        .await
        .map_err(app_error)
        .context("default flows")?;
    for flow_code in &flows {
        tracing::info!(flow_code, "default flow loaded");
    }
    Ok(applied)
}

pub async fn migrate_command(settings: &Settings) -> Result<()> {
    let db = open(settings).await?;
    let applied = migrate(&db).await?;
    if applied.is_empty() {
        println!("migrate: up to date");
    } else {
        for version in &applied {
            println!("migrate: applied {version:04}");
        }
    }
    db.close().await;
    Ok(())
}

/// An app over a migrated database; the secret key is checked before anything is opened.
pub async fn open_app(settings: &Settings) -> Result<App> {
    settings.require_secret_key().map_err(app_error)?;
    let db = open(settings).await?;
    migrate(&db).await?;
    let app = App::new(db, settings.clone()).map_err(app_error)?;
    // The bank link of `[bank]`; without keys vouchers wait in the database.
    if let Some(links) =
        fiscus_app::bank::links::BankLinks::from_settings(&settings.bank).map_err(app_error)?
    {
        app.set_bank_links(links);
    }
    Ok(app)
}

/// `12.3` from a duration: seconds with one decimal, in integer arithmetic.
pub fn seconds_one_decimal(elapsed: Duration) -> String {
    let tenths = elapsed.as_millis() / 100;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// Loads the demo and prints `name count` per kind, then the elapsed time.
pub async fn load_demo(app: &App, scale: Scale) -> Result<()> {
    let started = Instant::now();
    let summary = demo::run(app, scale)
        .await
        .map_err(app_error)
        .context("demo")?;
    for (name, count) in &summary.lines {
        println!("{name} {count}");
    }
    println!("demo: done in {} s", seconds_one_decimal(started.elapsed()));
    Ok(())
}

pub async fn demo_command(settings: &Settings, scale: Scale) -> Result<()> {
    let app = open_app(settings).await?;
    let loaded = load_demo(&app, scale).await;
    app.db.close().await;
    loaded
}

async fn bind(settings: &Settings) -> Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(&settings.bind)
        .await
        .with_context(|| format!("cannot listen on {}", settings.bind))
}

/// The address to put in a browser: an unspecified bind (0.0.0.0) is reached at 127.0.0.1.
fn browsable(address: SocketAddr) -> SocketAddr {
    if address.ip().is_unspecified() {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), address.port())
    } else {
        address
    }
}

/// How often `serve` reminds the assignees of overdue tasks (催办).
const REMIND_INTERVAL: Duration = Duration::from_secs(10 * 60);

/// Every `REMIND_INTERVAL` (the first time right away), writes the reminders of overdue
/// tasks, until `stop` turns true.
async fn remind_overdue_loop(app: App, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval(REMIND_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stop.changed() => return,
        }
        match app
            .flow_remind_overdue(time::OffsetDateTime::now_utc())
            .await
        {
            Ok(0) => {}
            Ok(written) => tracing::info!(written, "overdue tasks reminded"),
            Err(error) => tracing::warn!(%error, "reminding overdue tasks failed"),
        }
        if *stop.borrow() {
            return;
        }
    }
}

async fn serve_app(app: App, listener: tokio::net::TcpListener) -> Result<()> {
    let db = app.db.clone();
    let (stop, stop_seen) = tokio::sync::watch::channel(false);
    let reminder = tokio::spawn(remind_overdue_loop(app.clone(), stop_seen.clone()));
    // The bank messages' job worker (outbox, clearing, reconciliation), stopped the same way.
    let jobs = tokio::spawn(fiscus_app::bank::jobs::jobs_worker(app.clone(), stop_seen));
    let served = fiscus_web::serve(app, listener)
        .await
        .context("the server stopped with an error");
    // Stop the reminders and the job worker (letting a run in progress finish) before the
    // pool closes.
    let _ = stop.send(true);
    if let Err(error) = reminder.await {
        tracing::warn!(%error, "the reminder task ended abnormally");
    }
    if let Err(error) = jobs.await {
        tracing::warn!(%error, "the job worker ended abnormally");
    }
    db.close().await;
    served
}

pub async fn serve_command(settings: &Settings) -> Result<()> {
    let app = open_app(settings).await?;
    let listener = bind(settings).await?;
    println!("listening on http://{}", browsable(listener.local_addr()?));
    serve_app(app, listener).await
}

pub async fn quickstart_command(mut settings: Settings, scale: ScaleArg) -> Result<()> {
    settings.demo_mode = true;
    let app = open_app(&settings).await?;
    let mut tx = app.db.begin().await?;
    let n_regions = fiscus_store::bulk::count_rows(&mut tx, "region").await?;
    drop(tx);
    if n_regions == 0 {
        println!("loading the demo data ({scale:?}) …");
        load_demo(&app, scale.into()).await?;
    } else {
        println!("the database already has {n_regions} regions: not loading the demo");
    }
    let listener = bind(&settings).await?;
    let url = format!("http://{}", browsable(listener.local_addr()?));
    let mut present = Vec::new();
    for login in demo::logins(scale.into()) {
        if fiscus_store::auth::user_by_name(&app.db, &login.user_name)
            .await?
            .is_some()
        {
            present.push(login);
        }
    }
    print_welcome(&url, &present);
    println!("listening on {url}");
    serve_app(app, listener).await
}

/// Display columns of a string in a terminal: CJK characters take two.
pub fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| if u32::from(c) >= 0x2E80 { 2 } else { 1 })
        .sum()
}

pub fn pad(text: &str, width: usize) -> String {
    let fill = width.saturating_sub(display_width(text));
    format!("{text}{}", " ".repeat(fill))
}

/// `预算处 budget_division` from a role code; other text as it is.
fn role_label(role: &str) -> String {
    match Role::parse(role) {
        Ok(parsed) => format!("{} {}", parsed.name_zh(), parsed.code()),
        Err(_) => role.to_owned(),
    }
}

fn print_welcome(url: &str, logins: &[DemoLogin]) {
    let rule = "─".repeat(72);
    println!("{rule}");
    println!("  Fiscus 预算管理一体化系统 / budget management integration system");
    println!();
    println!("  在浏览器中打开 Open in a browser:   {url}");
    if logins.is_empty() {
        println!("  这不是演示数据库，请使用已有账号登录。");
        println!("  This is not a demo database: log in with your own users.");
    } else {
        println!(
            "  演示密码 Demo password:            {}",
            demo::DEMO_PASSWORD
        );
        println!("  演示账号 Demo logins (one per level / 每级一个):");
        println!();
        let roles: Vec<String> = logins.iter().map(|l| role_label(l.role)).collect();
        let rows: Vec<[&str; 4]> = logins
            .iter()
            .zip(&roles)
            .map(|(l, role)| {
                [
                    l.level,
                    l.user_name.as_str(),
                    role.as_str(),
                    l.org_name.as_str(),
                ]
            })
            .collect();
        let header = [
            "层级 Level",
            "用户名 User",
            "角色 Role",
            "机构 Organisation",
        ];
        let mut widths = header.map(display_width);
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(display_width(cell));
            }
        }
        for row in std::iter::once(&header).chain(&rows) {
            let cells: Vec<String> = row
                .iter()
                .zip(widths)
                .map(|(cell, width)| pad(cell, width))
                .collect();
            println!("    {}", cells.join("  ").trim_end());
        }
    }
    println!();
    println!("  按 Ctrl+C 停止。Press Ctrl+C to stop.");
    println!("{rule}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_and_formats_seconds() {
        assert_eq!(
            redact_url("postgres://u:pw@h:5432/d"),
            "postgres://u:***@h:5432/d"
        );
        assert_eq!(
            redact_url("postgres://root@127.0.0.1/x"),
            "postgres://root@127.0.0.1/x"
        );
        assert_eq!(redact_url("sqlite://fiscus.db"), "sqlite://fiscus.db");
        assert_eq!(seconds_one_decimal(Duration::from_millis(12_345)), "12.3");
        assert_eq!(seconds_one_decimal(Duration::from_millis(99)), "0.0");
        assert_eq!(display_width("兵团a"), 5);
    }
}
