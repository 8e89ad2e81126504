//! The simulation's world: the app on a fresh database with the demo's master data and
//! project library (no ledger, no compilation), the accounting charts of the year, the bank
//! on loopback with the job worker, the demo's people as principals, and the seeded random
//! streams every phase draws from.

use std::collections::HashMap;

use anyhow::{Context, Result, anyhow, bail};
use fiscus_app::App;
use fiscus_app::demo::budget::UnitPlan;
use fiscus_app::demo::{DemoParts, DemoRegion, DemoUser, Scale};
use fiscus_app::settings::Settings;
use fiscus_core::Principal;
use fiscus_core::rng::DemoRng;

use super::SimulateArgs;
use crate::app_error;
use crate::bank_loop::Loopback;

pub struct World {
    pub app: App,
    pub year: i32,
    pub scale: Scale,
    pub seed: u64,
    pub users: Vec<DemoUser>,
    /// The compiling units' planned 二上, in the demo's order (the units of the run).
    pub plans: Vec<UnitPlan>,
    pub sim_url: String,
    /// The run's settings (its generated keys), for `fiscus verify`'s checks.
    pub settings: Settings,
    bank: Option<Loopback>,
    principals: HashMap<String, Principal>,
}

/// Random streams, one per phase, so that changing one phase's draws leaves the others.
pub const STREAM_PRE_RELEASE: u64 = 1;
pub const STREAM_RELEASE: u64 = 2;
pub const STREAM_ADJUST: u64 = 3;
pub const STREAM_PAYMENTS: u64 = 4;

impl World {
    pub async fn set_up(app: App, settings: &mut Settings, args: &SimulateArgs) -> Result<World> {
        if !database_is_new(&app).await? {
            bail!(
                "the database is not empty: simulate needs a new database (no regions, no \
                 indicators)"
            );
        }
        eprintln!("loading the demo's master data ({}) …", args.scale.as_str());
        fiscus_app::demo::run_parts(&app, args.scale, DemoParts::MASTER_DATA)
            .await
            .map_err(app_error)
            .context("demo master data")?;
        let mut tx = app.db.begin().await?;
        fiscus_app::accounting::load_charts(&mut tx, args.year)
            .await
            .map_err(app_error)?;
        tx.commit().await?;
        let scale = args.scale;
        let (data, plans) = tokio::task::spawn_blocking(move || {
            let data = fiscus_app::demo::generate(scale);
            fiscus_app::demo::budget::unit_plans(scale).map(|plans| (data, plans))
        })
        .await?
        .map_err(app_error)?;
        let plans = select_plans(scale, &data.regions, plans);
        let n_reviewers = add_missing_reviewers(&app, &data.users, &plans).await?;
        if n_reviewers > 0 {
            eprintln!("configured {n_reviewers} 主管部门审核 users the demo lacks");
        }
        // One simulated bank stands for every agency bank of the units: its statement names
        // no bank (an empty code), so the reconciliation compares all our vouchers with it.
        let bank = Loopback::start(
            &app,
            settings,
            String::new(),
            fiscus_bank_sim::Faults {
                refund_delay_ms: 100,
                ..fiscus_bank_sim::Faults::default()
            },
            args.seed,
        )
        .await?;
        Ok(World {
            app,
            year: args.year,
            scale: args.scale,
            seed: args.seed,
            users: data.users,
            plans,
            sim_url: bank.sim_url.clone(),
            settings: settings.clone(),
            bank: Some(bank),
            principals: HashMap::new(),
        })
    }

    pub async fn tear_down(&mut self) {
        if let Some(bank) = self.bank.take() {
            bank.stop().await;
        }
    }

    /// An independent stream of the run's seed.
    pub fn rng(&self, stream: u64) -> DemoRng {
        DemoRng::new(
            DemoRng::new(self.seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15)).next_u64(),
        )
    }

    pub async fn principal(&mut self, user_name: &str) -> Result<Principal> {
        if let Some(found) = self.principals.get(user_name) {
            return Ok(found.clone());
        }
        let user = fiscus_store::auth::user_by_name(&self.app.db, user_name)
            .await?
            .ok_or_else(|| anyhow!("the demo user {user_name} is missing"))?;
        let principal = fiscus_app::auth::principal_of(&user).map_err(app_error)?;
        self.principals
            .insert(user_name.to_owned(), principal.clone());
        Ok(principal)
    }

    /// The user of a region's bureau with a role code (`budget`, `treasury` …).
    pub fn bureau_user(&self, mof_div_code: &str, role_code: &str) -> Result<String> {
        self.users
            .iter()
            .find(|user| {
                user.agency_code.is_none()
                    && user.mof_div_code == mof_div_code
                    && user.roles.split(',').any(|role| role == role_code)
            })
            .map(|user| user.user_name.clone())
            .ok_or_else(|| anyhow!("no {role_code} user in region {mof_div_code}"))
    }

    /// The regions with compiling units, in code order.
    pub fn compiling_regions(&self) -> Vec<String> {
        let mut regions: Vec<String> = self.plans.iter().map(|p| p.mof_div_code.clone()).collect();
        regions.sort();
        regions.dedup();
        regions
    }
}

/// The units of the run. At the corps scale every compiling unit of the demo; at the small
/// scale (whose demo compiles in the regiments only) the regiments of the first
/// `SMALL_DIVISIONS` divisions, so that a debug build runs it in CI in about a minute on
/// either backend.
fn select_plans(scale: Scale, regions: &[DemoRegion], plans: Vec<UnitPlan>) -> Vec<UnitPlan> {
    match scale {
        Scale::Corps => plans,
        Scale::Small => {
            let chosen: Vec<&str> = regions
                .iter()
                .filter(|region| region.level_num == 3 && region.division_number <= SMALL_DIVISIONS)
                .map(|region| region.mof_div_code.as_str())
                .collect();
            plans
                .into_iter()
                .filter(|plan| chosen.contains(&plan.mof_div_code.as_str()))
                .collect()
        }
    }
}

/// Divisions whose regiments compile at the small scale.
const SMALL_DIVISIONS: usize = 4;

/// The password of the reviewers the simulation adds (never used to log in).
const REVIEWER_PASSWORD: &str = "Fiscus2027sim";

/// Departments that compile as a single unit have no 主管部门审核 user in the demo, but the
/// budget flow asks for one: the system administrator configures one per such department,
/// through the users use case, as an operator would before the compilation starts.
async fn add_missing_reviewers(app: &App, users: &[DemoUser], plans: &[UnitPlan]) -> Result<usize> {
    let mut depts: Vec<(&str, &str)> = plans
        .iter()
        .map(|plan| (plan.dept_code.as_str(), plan.mof_div_code.as_str()))
        .collect();
    depts.sort_unstable();
    depts.dedup_by_key(|(dept, _)| *dept);
    let system = crate::admin::system_principal(app).await?;
    let mut n_added = 0;
    for (dept, mof_div_code) in depts {
        let has_reviewer = users.iter().any(|user| {
            user.agency_code.as_deref() == Some(dept)
                && user.roles.split(',').any(|role| role == "dept_reviewer")
        });
        if has_reviewer {
            continue;
        }
        let input = fiscus_core::masterdata::Input(
            [
                ("user_name", format!("u{dept}_reviewer")),
                ("display_name", "主管部门审核".to_owned()),
                ("mof_div_code", mof_div_code.to_owned()),
                ("agency_code", dept.to_owned()),
                ("roles", "dept_reviewer".to_owned()),
                ("password", REVIEWER_PASSWORD.to_owned()),
            ]
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect(),
        );
        app.create_record(
            &system,
            &fiscus_core::schema::USER,
            &input,
            &fiscus_app::RequestCtx::default(),
        )
        .await
        .map_err(app_error)
        .with_context(|| format!("the reviewer of department {dept}"))?;
        n_added += 1;
    }
    Ok(n_added)
}

async fn database_is_new(app: &App) -> Result<bool> {
    let n_regions = fiscus_store::verify::count(&app.db, "region").await?;
    let n_indicators = fiscus_store::verify::count(&app.db, "indicator").await?;
    Ok(n_regions == 0 && n_indicators == 0)
}
