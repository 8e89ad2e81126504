//! `fiscus verify`: integrity checks that must pass on any database, one line per check with
//! its count, every ledger violation on a line of its own, and a last line `verify: ok …`
//! (exit 0) or `verify: N violations` (exit 1).
//!
//! The indicator-ledger checks recompute every balance from its transfers and check the
//! ledger's invariants (`fiscus_store::ledger::verify`), as read-only SQL aggregates.

use anyhow::Result;
use fiscus_app::crypto::{FieldCipher, Sm4FieldCipher};
use fiscus_app::settings::Settings;
use fiscus_store::Db;

/// How many persons' identity numbers are decrypted (decryption costs a MAC each).
pub const IDENTITY_SAMPLE_MAX: u32 = 1000;
/// How many offending keys a failed check names.
const EXAMPLES_MAX: u32 = 5;

/// A relation that must hold for every row: `from_where` selects the rows that break it.
struct PathCheck {
    label: &'static str,
    /// The rows the rule applies to.
    checked: &'static str,
    /// `FROM … WHERE …` of the rows that break the rule.
    broken: &'static str,
    /// The key column of `broken`, to name examples.
    key: &'static str,
}

const CHECKS: &[PathCheck] = &[
    PathCheck {
        label: "region paths",
        checked: "region",
        broken: "region c LEFT JOIN region p ON p.mof_div_code = c.parent_mof_div_code \
                 WHERE c.region_path <> COALESCE(p.region_path, '/') || c.mof_div_code || '/'",
        key: "c.mof_div_code",
    },
    PathCheck {
        label: "agency paths",
        checked: "agency",
        broken: "agency c LEFT JOIN agency p ON p.agency_code = c.parent_agency_code \
                 WHERE c.agency_path <> COALESCE(p.agency_path, '/') || c.agency_code || '/'",
        key: "c.agency_code",
    },
    PathCheck {
        label: "agency regions",
        checked: "agency WHERE parent_agency_code IS NOT NULL",
        broken: "agency c JOIN agency p ON p.agency_code = c.parent_agency_code \
                 WHERE c.mof_div_code <> p.mof_div_code",
        key: "c.agency_code",
    },
    PathCheck {
        label: "person regions",
        checked: "person",
        broken: "person x JOIN agency a ON a.agency_code = x.agency_code \
                 WHERE x.mof_div_code <> a.mof_div_code",
        key: "x.per_id",
    },
    PathCheck {
        label: "account regions",
        checked: "agency_account",
        broken: "agency_account x JOIN agency a ON a.agency_code = x.agency_code \
                 WHERE x.mof_div_code <> a.mof_div_code",
        key: "x.account_id",
    },
    PathCheck {
        label: "user regions",
        checked: "app_user WHERE agency_code IS NOT NULL",
        broken: "app_user x JOIN agency a ON a.agency_code = x.agency_code \
                 WHERE x.mof_div_code <> a.mof_div_code",
        key: "x.user_name",
    },
];

/// Runs every check, prints one line each and the verdict; returns the number of problems.
pub async fn run(db: &Db, settings: &Settings) -> Result<u64> {
    let mut problems = 0u64;
    problems += check_root(db).await?;
    for check in CHECKS {
        problems += check_relation(db, check).await?;
    }
    problems += check_identities(db, settings).await?;
    problems += check_audit(db).await?;
    let started = std::time::Instant::now();
    let ledger = fiscus_store::verify::ledger(db).await?;
    let elapsed = started.elapsed();
    problems += report_ledger(&ledger);
    println!(
        "ledger: {} indicators, {} accounts, {} transfers checked in {} ms",
        ledger.n_indicators,
        ledger.n_accounts,
        ledger.n_transfers,
        elapsed.as_millis()
    );
    if problems == 0 {
        println!("verify: ok");
    } else {
        println!("verify: {problems} violations");
    }
    Ok(problems)
}

/// One line per ledger check with its count, then every violation; returns their number.
fn report_ledger(report: &fiscus_store::verify::LedgerReport) -> u64 {
    use fiscus_store::verify::LedgerCheck;
    for check in LedgerCheck::ALL {
        let n_broken = report
            .violations
            .iter()
            .filter(|violation| violation.check == check)
            .count();
        if n_broken == 0 {
            println!("ledger {}: ok", check.code());
        } else {
            println!("ledger {}: {n_broken} violations", check.code());
        }
    }
    for violation in &report.violations {
        println!(
            "  {} {}: {}",
            violation.check.code(),
            violation.subject,
            violation.detail
        );
    }
    report.violations.len() as u64
}

fn report(label: &str, n_checked: i64, n_broken: u64, examples: &[String]) {
    if n_broken == 0 {
        println!("{label}: {n_checked} ok");
    } else {
        println!(
            "{label}: {n_broken} of {n_checked} wrong (e.g. {})",
            examples.join(", ")
        );
    }
}

/// A non-empty region tree has exactly one root.
async fn check_root(db: &Db) -> Result<u64> {
    let roots = fiscus_store::verify::root_regions(db).await?;
    let n_regions = fiscus_store::verify::count(db, "region").await?;
    let ok = roots.len() == 1 || (roots.is_empty() && n_regions == 0);
    if ok {
        println!("region root: {} ok", roots.len());
        Ok(0)
    } else {
        let codes: Vec<&str> = roots.iter().map(|r| r.mof_div_code.as_str()).collect();
        println!(
            "region root: {} roots, expected 1 ({})",
            roots.len(),
            codes.join(", ")
        );
        Ok(1)
    }
}

async fn check_relation(db: &Db, check: &PathCheck) -> Result<u64> {
    let n_checked = fiscus_store::verify::count(db, check.checked).await?;
    let n_broken = u64::try_from(fiscus_store::verify::count(db, check.broken).await?)?;
    let examples = if n_broken > 0 {
        fiscus_store::verify::sample_keys(db, check.key, check.broken, EXAMPLES_MAX).await?
    } else {
        Vec::new()
    };
    report(check.label, n_checked, n_broken, &examples);
    Ok(n_broken)
}

/// A sample of identity numbers decrypts with the configured key and matches its masked form.
async fn check_identities(db: &Db, settings: &Settings) -> Result<u64> {
    let label = "identity numbers";
    let sealed = fiscus_store::verify::sealed_identities(db, IDENTITY_SAMPLE_MAX).await?;
    if sealed.is_empty() {
        println!("{label}: 0 ok");
        return Ok(0);
    }
    let cipher = match settings
        .require_secret_key()
        .and_then(|()| Sm4FieldCipher::from_hex_key(settings.secret_key.expose()))
    {
        Ok(cipher) => cipher,
        Err(error) => {
            println!("{label}: cannot decrypt without a valid secret_key ({error})");
            return Ok(1);
        }
    };
    let mut broken = Vec::new();
    for person in &sealed {
        let plain = cipher.decrypt(&person.iden_no_cipher).ok();
        let matches = plain
            .and_then(|plain| {
                fiscus_app::masterdata::masked_identity(&person.iden_type_code, &plain).ok()
            })
            .is_some_and(|expected| expected == person.iden_no_masked);
        if !matches {
            broken.push(person.per_id.clone());
        }
    }
    let n_broken = broken.len() as u64;
    broken.truncate(EXAMPLES_MAX as usize);
    report(label, sealed.len() as i64, n_broken, &broken);
    Ok(n_broken)
}

/// Data that was written left audit rows.
async fn check_audit(db: &Db) -> Result<u64> {
    let n_audit = fiscus_store::verify::count(db, "audit_log").await?;
    let n_data = fiscus_store::verify::count(db, "region").await?
        + fiscus_store::verify::count(db, "agency").await?
        + fiscus_store::verify::count(db, "app_user").await?;
    if n_data > 0 && n_audit == 0 {
        println!("audit log: empty although {n_data} regions, units and users exist");
        Ok(1)
    } else {
        println!("audit log: {n_audit} ok");
        Ok(0)
    }
}
