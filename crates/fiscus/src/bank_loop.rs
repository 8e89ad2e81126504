//! The bank on loopback, shared by `fiscus bench payment` and `fiscus simulate`: settings
//! with SM2 and shared keys generated in-process, the real router on `127.0.0.1:0`,
//! `fiscus-bank-sim` beside it posting signed receipts to it, and the job worker of
//! `fiscus serve` that packages, seals and sends vouchers and notices. Nothing here bypasses
//! a service: the payments travel the same path as in production.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use fiscus_app::App;
use fiscus_app::bank::crypto::generate_sm2_key_pair;
use fiscus_app::bank::links::BankLinks;
use fiscus_app::settings::{BankSettings, Secret, Settings};

use crate::app_error;

/// Settings for a throwaway run: fresh secret and bank keys, the demo mode on.
pub fn settings_with_bank_keys(url: &str) -> Result<Settings> {
    let finance = generate_sm2_key_pair().map_err(app_error)?;
    let bank = generate_sm2_key_pair().map_err(app_error)?;
    Ok(Settings {
        database_url: url.to_owned(),
        secret_key: Secret::new(fiscus_app::crypto::random_token().map_err(app_error)?),
        demo_mode: true,
        bank: BankSettings {
            private_key: finance.private_key,
            bank_public_key: bank.public_key,
            shared_key: Secret::new(fiscus_app::crypto::random_token().map_err(app_error)?),
            sim_private_key: bank.private_key,
            ..BankSettings::default()
        },
        ..Settings::default()
    })
}

/// The running router, simulator and job worker.
pub struct Loopback {
    pub sim_url: String,
    web: tokio::task::JoinHandle<std::io::Result<()>>,
    sim: fiscus_bank_sim::SimHandle,
    stop: tokio::sync::watch::Sender<bool>,
    worker: tokio::task::JoinHandle<()>,
}

impl Loopback {
    /// Starts the three and points the app's bank links at the simulator.
    pub async fn start(
        app: &App,
        settings: &mut Settings,
        bank_code: String,
        faults: fiscus_bank_sim::Faults,
        seed: u64,
    ) -> Result<Loopback> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let web_addr = listener.local_addr()?;
        let service =
            fiscus_web::router(app.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let web = tokio::spawn(axum::serve(listener, service).into_future());
        let sim = fiscus_bank_sim::spawn(fiscus_bank_sim::SimConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            finance_url: format!("http://{web_addr}"),
            channel: settings.bank.sim_channel().map_err(app_error)?,
            bank_code,
            faults,
            seed,
        })
        .await
        .map_err(|e| anyhow!(e))?;
        let sim_url = format!("http://{}", sim.addr);
        settings.bank.bank_url.clone_from(&sim_url);
        let links = BankLinks::from_settings(&settings.bank)
            .map_err(app_error)?
            .ok_or_else(|| anyhow!("no bank links"))?;
        app.set_bank_links(links);
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let worker = tokio::spawn(fiscus_app::bank::jobs::jobs_worker(app.clone(), stopped));
        Ok(Loopback {
            sim_url,
            web,
            sim,
            stop,
            worker,
        })
    }

    /// Stops the worker, the simulator and the router.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.worker.await;
        let _ = self.sim.stop().await;
        self.web.abort();
    }
}

/// The simulator's state (`GET /sim/v1/state`).
pub async fn sim_state(sim_url: &str) -> Result<serde_json::Value> {
    Ok(reqwest::Client::new()
        .get(format!("{sim_url}/sim/v1/state"))
        .send()
        .await?
        .json()
        .await?)
}

/// Waits until the simulator has nothing left on its way (duplicates arrive after the
/// receipt they repeat): its delivery counters stand still over two polls.
pub async fn sim_quiet(sim_url: &str) -> Result<serde_json::Value> {
    let mut last = serde_json::Value::Null;
    for _ in 0..600 {
        let state = sim_state(sim_url).await?;
        if state["delivery"] == last["delivery"] {
            return Ok(state);
        }
        last = state;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    bail!("the simulator never went quiet")
}

/// The simulator's business date (Beijing time), as on its receipts and statement.
pub fn bank_today() -> String {
    fiscus_app::payment::business_date_today()
}
