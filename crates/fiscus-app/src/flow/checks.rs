//! The registry of named pre-checks (办理前检查) a flow node may list: the hook the monitoring
//! rules plug into. A definition naming a check that is not registered cannot be published.

use fiscus_core::Rejection;
use fiscus_store::flow::DocumentRow;

/// A check run before an approval on a node that lists it; `Err` blocks the approval.
pub type PreCheck = fn(&DocumentRow) -> Result<(), Rejection>;

/// Every registered check by name. `payment_warning_rules` is a placeholder that passes until
/// the monitoring rules (预警规则) exist; the default payment flow already names it.
pub const PRE_CHECKS: &[(&str, PreCheck)] = &[("payment_warning_rules", passes)];

fn passes(_document: &DocumentRow) -> Result<(), Rejection> {
    Ok(())
}

pub fn find(name: &str) -> Option<PreCheck> {
    PRE_CHECKS
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, check)| *check)
}

/// Runs the named checks in order; the first failure stops. An unknown name (a definition
/// published before a check was removed) fails closed.
pub fn run(names: &[String], document: &DocumentRow) -> Result<(), Rejection> {
    for name in names {
        let check = find(name).ok_or(Rejection::NotFound {
            what: "办理前检查"
        })?;
        check(document)?;
    }
    Ok(())
}
