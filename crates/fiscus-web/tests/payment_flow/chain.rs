//! The harness of the whole chain: the real router on a loopback port over a fresh database
//! with the small demo, a funded indicator of one unit, keys generated per test, finance's
//! `[bank]` settings pointing at an in-process `fiscus-bank-sim` (which points back at the
//! router), and the worker driven step by step with `App::jobs_run_due`.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use fiscus_app::bank::Channel;
use fiscus_app::bank::crypto::{Sm2KeyPairHex, generate_sm2_key_pair};
use fiscus_app::bank::links::BankLinks;
use fiscus_app::demo::{self, Scale};
use fiscus_app::settings::{BankSettings, Secret};
use fiscus_app::{App, Settings};
use fiscus_bank_sim::{Faults, SimConfig, SimHandle};
use fiscus_core::flow::{Command, InstanceStatus};
use fiscus_core::ledger::BgtId;
use fiscus_core::payment::application::PaymentDraft;
use fiscus_core::{Principal, Role};
use fiscus_store::payment::VoucherRow;
use fiscus_store::testing::TestDb;
use time::OffsetDateTime;

use crate::support::{Cast, cast, ctx, enter, figures, principal, task_of, unit_draft};

/// 100,000.00 元 on the unit's indicator.
pub const FUNDED_FEN: i64 = 10_000_000;
/// Worker steps a drive takes at most (with `STEP_PAUSE` between them: about a minute).
pub const STEPS_MAX: usize = 3_000;
pub const STEP_PAUSE: Duration = Duration::from_millis(20);

/// The keys of one test: finance's and the bank's SM2 pairs and the SM4 key they share.
pub struct Keys {
    pub finance: Sm2KeyPairHex,
    pub bank: Sm2KeyPairHex,
    pub shared: Secret,
}

impl Keys {
    pub fn generate() -> Keys {
        Keys {
            finance: generate_sm2_key_pair().unwrap(),
            bank: generate_sm2_key_pair().unwrap(),
            shared: Secret::new(hex::encode(
                fiscus_app::crypto::random_bytes::<32>().unwrap(),
            )),
        }
    }

    /// The bank's side of the channel, as the simulator holds it.
    pub fn bank_channel(&self) -> Channel {
        Channel::from_keys(
            "bank",
            &self.bank.private_key,
            "finance",
            &self.finance.public_key,
            &self.shared,
        )
        .unwrap()
    }
}

/// Finance's settings with `[bank]` filled: the voucher signer is then SM2.
pub fn settings(keys: &Keys, sim_url: &str) -> Settings {
    Settings {
        secret_key: Secret::new("ab".repeat(32)),
        demo_mode: true,
        bank: BankSettings {
            private_key: keys.finance.private_key.clone(),
            bank_public_key: keys.bank.public_key.clone(),
            shared_key: keys.shared.clone(),
            bank_url: sim_url.to_owned(),
            connect_timeout_ms: 2_000,
            request_timeout_ms: 10_000,
            ..BankSettings::default()
        },
        ..Settings::default()
    }
}

/// One finance server: the app and the router's task.
pub struct Finance {
    pub app: App,
    server: Server,
}

/// The router's task and the switch that stops it.
pub struct Server {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Finance {
    /// Stops serving (in-flight requests finish, idle connections close, the port is free
    /// again); the app is dropped.
    pub async fn kill(self) {
        let Server { stop, task } = self.server;
        let _ = stop.send(());
        let abort = task.abort_handle();
        if tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .is_err()
        {
            abort.abort();
        }
        drop(self.app);
    }
}

/// Starts the router on `listener` over `app`.
pub fn serve(app: &App, listener: tokio::net::TcpListener) -> Server {
    let service =
        fiscus_web::router(app.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, service)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
    });
    Server { stop, task }
}

/// A new app over `db` with the links to the simulator, serving on `port`.
pub async fn finance_on(db: &fiscus_store::Db, keys: &Keys, sim_url: &str, port: u16) -> Finance {
    let settings = settings(keys, sim_url);
    let links = BankLinks::from_settings(&settings.bank)
        .unwrap()
        .expect("keys configured");
    let app = App::new(db.clone(), settings).unwrap();
    app.set_bank_links(links);
    let mut listener = None;
    // The port was just freed by the previous server: a moment may pass before it binds.
    for _ in 0..200 {
        match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
            Ok(bound) => {
                listener = Some(bound);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(25)).await,
        }
    }
    let server = serve(&app, listener.expect("the port binds again"));
    Finance { app, server }
}

pub struct Chain {
    pub finance: Option<Finance>,
    pub port: u16,
    pub base: String,
    pub sim: Option<SimHandle>,
    pub sim_url: String,
    pub keys: Keys,
    pub cast: Cast,
    pub approver: Principal,
    pub bgt_id: BgtId,
    /// The worker's clock: moves an hour per step so that every retry is due at once.
    pub clock: OffsetDateTime,
    pub test_db: TestDb,
}

pub async fn chain(test_db: TestDb, faults: Faults) -> Chain {
    let keys = Keys::generate();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let sim = fiscus_bank_sim::spawn(SimConfig {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        finance_url: base.clone(),
        channel: keys.bank_channel(),
        bank_code: String::new(),
        faults,
        seed: 20_261_105,
    })
    .await
    .unwrap();
    let sim_url = format!("http://{}", sim.addr);
    let settings = settings(&keys, &sim_url);
    let links = BankLinks::from_settings(&settings.bank).unwrap().unwrap();
    let app = App::new(test_db.db.clone(), settings).unwrap();
    app.set_bank_links(links);
    demo::run(&app, Scale::Small).await.unwrap();
    let server = serve(&app, listener);
    let cast = cast(&app).await;
    let data = demo::generate(Scale::Small);
    let approver_name = data
        .users
        .iter()
        .find(|user| {
            user.agency_code.as_deref() == Some(cast.agency_code.as_str())
                && user.roles == Role::UnitApprover.code()
        })
        .map(|user| user.user_name.clone())
        .expect("a unit approver");
    let approver = principal(&app, &approver_name).await;
    let bgt_id = enter(&app, &cast, unit_draft(&cast), FUNDED_FEN).await;
    Chain {
        finance: Some(Finance { app, server }),
        port,
        base,
        sim: Some(sim),
        sim_url,
        keys,
        cast,
        approver,
        bgt_id,
        clock: OffsetDateTime::now_utc(),
        test_db,
    }
}

/// The bank's day (Beijing time): the date on receipts and statements.
pub fn bank_today() -> String {
    OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+8))
        .date()
        .to_string()
}

impl Chain {
    pub fn app(&self) -> &App {
        &self.finance.as_ref().expect("finance is up").app
    }

    /// Drops the app and the server; a new one starts on the same database and port.
    pub async fn restart(&mut self) {
        if let Some(finance) = self.finance.take() {
            finance.kill().await;
        }
        self.finance =
            Some(finance_on(&self.test_db.db, &self.keys, &self.sim_url, self.port).await);
    }

    pub fn draft(&self, yuan: &str, payee: &str, account: &str) -> PaymentDraft {
        PaymentDraft {
            bgt_id: self.bgt_id.to_string(),
            payee_acct_name: payee.into(),
            payee_acct_no: account.into(),
            payee_acct_bank_name: "中国工商银行石河子分行".into(),
            pay_app_amt: yuan.into(),
            use_des: "购买办公用品".into(),
            gov_bgt_eco_code: "50101".into(),
            dep_bgt_eco_code: "30101".into(),
            ..PaymentDraft::default()
        }
    }

    /// Drafts, submits and approves (unit node) one application; returns its id.
    pub async fn pay(&self, draft: &PaymentDraft) -> String {
        let app = self.app();
        let pay_app_id = app
            .payment_create(&self.cast.clerk, draft, true, &ctx())
            .await
            .expect("created and submitted");
        assert_eq!(self.approve(&pay_app_id).await, InstanceStatus::Approved);
        pay_app_id
    }

    pub async fn approve(&self, pay_app_id: &str) -> InstanceStatus {
        let task_id = task_of(self.app(), &self.approver, pay_app_id).await;
        self.app()
            .flow_act(
                &self.approver,
                pay_app_id,
                Command::Approve {
                    task_id,
                    opinion: "同意".into(),
                },
                &ctx(),
            )
            .await
            .expect("approved")
    }

    /// Every voucher of the unit, newest first.
    pub async fn vouchers(&self) -> Vec<VoucherRow> {
        self.app()
            .payment_vouchers(&self.cast.clerk, None, 1, 500)
            .await
            .unwrap()
    }

    pub async fn voucher_of(&self, pay_app_id: &str) -> Vec<VoucherRow> {
        self.vouchers()
            .await
            .into_iter()
            .filter(|voucher| voucher.pay_app_id == pay_app_id)
            .collect()
    }

    /// (available, reserved, spent) of the indicator.
    pub async fn figures(&self) -> (i64, i64, i64) {
        let figures = figures(self.app(), &self.bgt_id).await;
        (
            figures.available_fen,
            figures.reserved_fen,
            figures.spent_fen,
        )
    }

    /// `GET /sim/v1/state`.
    pub async fn sim_state(&self) -> serde_json::Value {
        reqwest::get(format!("{}/sim/v1/state", self.sim_url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// One worker step at the chain's clock, which then moves an hour on.
    pub async fn step(&mut self) -> fiscus_app::bank::jobs::JobsRun {
        let run = self.app().jobs_run_due(self.clock).await.unwrap();
        self.clock += time::Duration::hours(1);
        run
    }

    /// Steps the worker until `done` holds (checked after each step), or panics after
    /// `STEPS_MAX` steps naming `what`.
    pub async fn drive<F>(&mut self, what: &str, mut done: F)
    where
        F: AsyncFnMut(&Chain) -> bool,
    {
        for _ in 0..STEPS_MAX {
            self.step().await;
            if done(self).await {
                return;
            }
            tokio::time::sleep(STEP_PAUSE).await;
        }
        let statuses: Vec<(String, String)> = self
            .vouchers()
            .await
            .into_iter()
            .map(|voucher| (voucher.pay_cert_no, voucher.status))
            .collect();
        panic!(
            "not reached: {what}; vouchers {statuses:?}; sim {}",
            self.sim_state().await
        );
    }

    /// Drives until every voucher of the unit has one of `statuses`, and there are `n`.
    pub async fn drive_until_all(&mut self, n: usize, statuses: &[&str]) {
        let wanted: Vec<String> = statuses.iter().map(|s| (*s).to_owned()).collect();
        self.drive(
            &format!("{n} vouchers {statuses:?}"),
            async |chain: &Chain| {
                let vouchers = chain.vouchers().await;
                vouchers.len() == n && vouchers.iter().all(|v| wanted.contains(&v.status))
            },
        )
        .await;
    }

    /// The ledger's own checks find nothing.
    pub async fn assert_ledger_verifies(&self) {
        let report = fiscus_store::ledger::verify::verify_ledger(&self.app().db)
            .await
            .unwrap();
        assert!(report.violations.is_empty(), "{:?}", report.violations);
    }

    /// Accounting event kinds of one voucher.
    pub async fn events(&self, pay_cert_id: &str) -> Vec<String> {
        fiscus_store::payment::accounting_events(&self.app().db, pay_cert_id)
            .await
            .unwrap()
            .into_iter()
            .map(|(_, kind, _)| kind)
            .collect()
    }

    /// The inbox's (kind, outcome, count) rows.
    pub async fn inbox(&self) -> Vec<(String, String, i64)> {
        fiscus_store::bank::inbox_counts(&self.app().db)
            .await
            .unwrap()
    }

    /// Reconciles the bank's day and returns the report.
    pub async fn reconcile(&self) -> fiscus_app::bank::reconcile::ReconcileReport {
        self.app()
            .bank_reconcile(&bank_today(), self.clock)
            .await
            .unwrap()
    }

    pub async fn stop(mut self) {
        if let Some(finance) = self.finance.take() {
            finance.kill().await;
        }
        if let Some(sim) = self.sim.take() {
            let _ = sim.stop().await;
        }
    }
}
