//! Deterministic demo data: the corps region tree, competent-department trees of budget
//! units, their accounts, persons and users, expenditure standards and the code tables of
//! 2026 and 2027 — generated in memory from one seed and written in one transaction.

mod accounts;
pub mod budget;
pub mod ledger;
mod names;
mod people;
mod rows;
mod templates;
mod tree;
mod users;

use std::str::FromStr;

use fiscus_core::query::ListQuery;
use fiscus_core::rng::DemoRng;
use fiscus_core::schema;
use fiscus_store::Tx;
use fiscus_store::audit::AuditEntry;
use fiscus_store::bulk::{count_rows, insert_rows};
use fiscus_store::records::{self, Columns, Viewer};

pub use accounts::{DemoAccount, DemoStandard};
pub use people::{DemoPerson, MonthlyPay};
pub use rows::DEMO_TIMESTAMP;
pub use tree::{DemoRegion, DemoUnit, StaffPlan};
pub use users::DemoUser;

use crate::{App, AppError};

/// How much to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// Every region, a few units each (a little over 400): quick to load, for tests and trials.
    Small,
    /// The size of the real corps: at least 4,500 units and 15,000 users.
    Corps,
}

impl Scale {
    pub fn as_str(self) -> &'static str {
        match self {
            Scale::Small => "small",
            Scale::Corps => "corps",
        }
    }
}

impl FromStr for Scale {
    type Err = AppError;

    fn from_str(text: &str) -> Result<Scale, AppError> {
        match text.trim() {
            "small" => Ok(Scale::Small),
            "corps" => Ok(Scale::Corps),
            other => Err(AppError::Internal(format!(
                "demo scale must be small or corps, not {other}"
            ))),
        }
    }
}

/// What was loaded: (table, rows) in a fixed order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoSummary {
    pub lines: Vec<(&'static str, i64)>,
}

impl DemoSummary {
    pub fn count(&self, name: &str) -> Option<i64> {
        self.lines
            .iter()
            .find(|(line_name, _)| *line_name == name)
            .map(|(_, count)| *count)
    }
}

/// The password of every demo user.
pub const DEMO_PASSWORD: &str = "Fiscus2026demo";

/// A ready-made login shown to people trying the demo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoLogin {
    /// 兵团 / 师 / 团 / 单位 / 主管部门.
    pub level: &'static str,
    pub user_name: String,
    pub role: &'static str,
    pub org_name: String,
}

/// The seed of the demo: the same seed always gives the same corps.
pub const SEED: u64 = 0x6600_0020_2600_F15C;

/// Everything the demo writes, before encryption and password hashing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoData {
    pub regions: Vec<DemoRegion>,
    pub units: Vec<DemoUnit>,
    pub accounts: Vec<DemoAccount>,
    pub persons: Vec<DemoPerson>,
    pub standards: Vec<DemoStandard>,
    pub users: Vec<DemoUser>,
}

/// An independent random stream per kind of record, so that e.g. the units and users do not
/// change when the way persons are drawn changes.
fn stream(tag: u64) -> DemoRng {
    DemoRng::new(DemoRng::new(SEED ^ tag).next_u64())
}

const STREAM_UNITS: u64 = 1;
const STREAM_PERSONS: u64 = 2;
const STREAM_ACCOUNTS: u64 = 3;
const STREAM_STANDARDS: u64 = 4;
const STREAM_USERS: u64 = 5;
const STREAM_LEDGER: u64 = 6;

/// Generates the demo data in memory. Pure and deterministic.
pub fn generate(scale: Scale) -> DemoData {
    let regions = tree::regions();
    let units = tree::units(scale, &regions, &mut stream(STREAM_UNITS));
    let persons = people::persons(&units, &regions, &mut stream(STREAM_PERSONS));
    let accounts = accounts::accounts(&units, &regions, &mut stream(STREAM_ACCOUNTS));
    let standards = accounts::standards(&mut stream(STREAM_STANDARDS));
    let users = users::users(scale, &regions, &units, &mut stream(STREAM_USERS));
    DemoData {
        regions,
        units,
        accounts,
        persons,
        standards,
        users,
    }
}

/// One demo login per level, as `run` creates them.
pub fn logins(scale: Scale) -> Vec<DemoLogin> {
    let regions = tree::regions();
    let units = tree::units(scale, &regions, &mut stream(STREAM_UNITS));
    users::demo_logins(&regions, &units)
}

/// A record id drawn from the demo stream: 32 hex digits, like `crypto::random_id`.
fn hex_id(rng: &mut DemoRng) -> String {
    format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64())
}

fn random_digits(rng: &mut DemoRng, n_digits: usize) -> String {
    (0..n_digits)
        .map(|_| char::from(b'0' + rng.range(0, 9) as u8))
        .collect()
}

/// Which parts of the demo to load besides the master data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoParts {
    /// The 2026 indicators and payments (loaded at the corps scale only).
    pub ledger: bool,
    /// The 2027 compilation: control numbers, sheets, lines and the drafts put in review.
    /// Without it only the project library of 2027 (reserved projects with their approved
    /// declarations) is loaded, so that a compilation can be made through the use cases.
    pub compilation: bool,
}

impl DemoParts {
    /// Everything, as `fiscus demo` loads it.
    pub const ALL: DemoParts = DemoParts {
        ledger: true,
        compilation: true,
    };
    /// The master data and the project library only (`fiscus simulate`).
    pub const MASTER_DATA: DemoParts = DemoParts {
        ledger: false,
        compilation: false,
    };
}

/// Loads the demo into an empty database, all in one transaction: the national code tables
/// of 2026 and their copy for 2027, then the generated records, then one audit entry.
pub async fn run(app: &App, scale: Scale) -> Result<DemoSummary, AppError> {
    run_parts(app, scale, DemoParts::ALL).await
}

/// [`run`] with a choice of parts.
pub async fn run_parts(app: &App, scale: Scale, parts: DemoParts) -> Result<DemoSummary, AppError> {
    // A cheap first look, so that a refused run does not generate anything; the transaction
    // below checks again.
    if !database_is_empty(app).await? {
        return Err(not_empty());
    }
    let cipher = app.cipher.clone();
    // Generating, encrypting ~50,000 identity numbers and hashing the password are CPU work:
    // keep them off the async workers.
    let (tables, demo_ledger) = tokio::task::spawn_blocking(move || -> Result<_, AppError> {
        let data = generate(scale);
        let password_hash = crate::auth::hash_password(DEMO_PASSWORD)?;
        // The ledger comes with the corps scale only: tests on the small scale start from an
        // empty ledger and build exactly what they assert on.
        let demo_ledger = (scale == Scale::Corps && parts.ledger)
            .then(|| ledger::generate(&data.regions, &data.units, &mut stream(STREAM_LEDGER)));
        Ok((
            rows::table_rows(&data, cipher.as_ref(), &password_hash)?,
            demo_ledger,
        ))
    })
    .await
    .map_err(|error| AppError::Internal(format!("demo generation failed: {error}")))??;

    let mut tx = app.db.begin().await?;
    if count_rows(&mut tx, "region").await? > 0 {
        return Err(not_empty());
    }
    if count_rows(&mut tx, "code_item").await? == 0 {
        crate::codes::load_national(&mut tx, crate::codes::SHIPPED_YEAR).await?;
    }
    crate::accounting::load_charts(&mut tx, crate::accounting::SHIPPED_CHART_YEAR).await?;
    let next_year = i64::from(crate::codes::SHIPPED_YEAR) + 1;
    fiscus_store::codes::copy_year(
        &mut tx,
        i64::from(crate::codes::SHIPPED_YEAR),
        next_year,
        DEMO_TIMESTAMP,
        rows::DEMO_AUTHOR,
    )
    .await?;

    let mut lines = Vec::new();
    for table in tables {
        let name = summary_name(table.table);
        let inserted = insert_in_chunks(&mut tx, table).await?;
        lines.push((name, inserted as i64));
    }
    if let Some(demo_ledger) = demo_ledger {
        let counts = fiscus_store::ledger::seed::seed(
            &mut tx,
            &demo_ledger.indicators,
            &demo_ledger.transfers,
            rows::DEMO_AUTHOR,
            DEMO_TIMESTAMP,
        )
        .await?;
        lines.push(("indicators", counts.n_indicators as i64));
        lines.push(("ledger_transfers", counts.n_transfers as i64));
    }
    let (budget_lines, to_submit) = budget::load(&mut tx, scale, parts.compilation).await?;
    lines.extend(budget_lines);
    lines.push(("codes", count_rows(&mut tx, "code_item").await?));
    lines.push(("code_mappings", count_rows(&mut tx, "code_mapping").await?));

    let mut changes = serde_json::Map::new();
    changes.insert("scale".into(), scale.as_str().into());
    for (name, count) in &lines {
        changes.insert((*name).into(), (*count).into());
    }
    // The demo's users act in flows: the default definitions come with it.
    crate::flow::definitions::ensure_defaults_in_tx(&mut tx).await?;
    let mut entry = AuditEntry::by(None, "demo_loaded");
    entry.changes = Some(serde_json::Value::Object(changes).to_string());
    fiscus_store::audit::append(&mut tx, &entry).await?;
    tx.commit().await?;
    lines.push((
        "budget_submitted",
        budget::submit(app, &to_submit).await? as i64,
    ));
    Ok(DemoSummary { lines })
}

async fn insert_in_chunks(tx: &mut Tx, table: rows::TableRows) -> Result<u64, AppError> {
    let n_rows_expected = table.rows.len() as u64;
    let inserted = insert_rows(tx, table.table, table.columns, table.rows).await?;
    if inserted != n_rows_expected {
        return Err(AppError::Internal(format!(
            "demo: {} rows of {} generated, {inserted} inserted",
            n_rows_expected, table.table
        )));
    }
    Ok(inserted)
}

fn not_empty() -> AppError {
    AppError::Internal("database is not empty: the demo loads only into a new database".into())
}

async fn database_is_empty(app: &App) -> Result<bool, AppError> {
    let mut query = ListQuery::first_page(&schema::REGION);
    query.page_size = 1;
    let page = records::list(
        &app.db,
        &schema::REGION,
        Viewer::System,
        &query,
        Columns::List,
    )
    .await?;
    Ok(page.total == 0)
}

/// The name of a table in the summary.
fn summary_name(table: &'static str) -> &'static str {
    match table {
        "region" => "regions",
        "agency" => "units",
        "agency_account" => "accounts",
        "person" => "persons",
        "exp_standard" => "standards",
        "app_user" => "users",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn shipped_codes(element_code: &str) -> HashSet<String> {
        let csv = crate::codes::SHIPPED_TABLES
            .iter()
            .find(|(name, _)| *name == element_code)
            .map_or("", |(_, csv)| *csv);
        csv.lines()
            .skip(1)
            .filter_map(|line| line.split(',').next())
            .map(str::to_owned)
            .collect()
    }

    fn assert_shipped<'a>(element_code: &str, values: impl IntoIterator<Item = &'a str>) {
        let codes = shipped_codes(element_code);
        assert!(!codes.is_empty(), "{element_code} is shipped");
        for value in values {
            assert!(codes.contains(value), "{element_code} has no code {value}");
        }
    }

    #[test]
    fn every_code_comes_from_the_shipped_tables() {
        let data = generate(Scale::Small);
        assert_shipped(
            "agency_type",
            data.units.iter().map(|unit| unit.agency_type),
        );
        assert_shipped("fund_guar", data.units.iter().map(|unit| unit.fund_guar));
        assert_shipped(
            "acc_type",
            data.accounts.iter().map(|account| account.acc_type_code),
        );
        assert_shipped("sex", data.persons.iter().map(|person| person.sex_code));
        assert_shipped("nat", data.persons.iter().map(|person| person.nat_code));
        assert_shipped(
            "per_ide",
            data.persons.iter().map(|person| person.per_ide_code),
        );
        assert_shipped(
            "per_sta",
            data.persons.iter().map(|person| person.per_sta_code),
        );
        assert_shipped(
            "pos_code",
            data.persons
                .iter()
                .filter_map(|person| person.pos_code.as_deref()),
        );
        assert_shipped(
            "gr_code",
            data.persons
                .iter()
                .filter_map(|person| person.gr_code.as_deref()),
        );
        assert_shipped(
            "std_type",
            data.standards.iter().map(|standard| standard.std_type_code),
        );
        assert_shipped(
            "dep_bgt_eco",
            data.standards
                .iter()
                .map(|standard| standard.dep_bgt_eco_code),
        );
        assert_shipped(
            "agency_type",
            data.standards
                .iter()
                .filter_map(|standard| standard.agency_type),
        );
        assert_shipped(
            "per_ide",
            data.standards
                .iter()
                .filter_map(|standard| standard.per_ide_code),
        );
        assert_shipped("iden_type", [fiscus_core::masterdata::IDEN_TYPE_RESIDENT]);
        let mut standard_keys = HashSet::new();
        for standard in &data.standards {
            assert!(
                standard_keys.insert((standard.mof_div_code.as_str(), standard.std_code.as_str())),
                "{}",
                standard.std_code
            );
        }
        for role in data.users.iter().map(|user| user.roles) {
            assert!(fiscus_core::Role::parse(role).is_ok(), "{role}");
        }
    }

    #[test]
    fn scale_parses() {
        assert_eq!("small".parse::<Scale>().ok(), Some(Scale::Small));
        assert_eq!("corps".parse::<Scale>().ok(), Some(Scale::Corps));
        assert!("huge".parse::<Scale>().is_err());
    }
}
