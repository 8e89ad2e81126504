//! The version history of a compilation: what changed between the stored tables and the new
//! ones, one change per line added, removed or changed in amount, so the history says who
//! changed which number at which stage.

use std::collections::BTreeMap;

use serde::Serialize;

use super::BudgetTables;
use crate::money::Fen;

/// One change of one number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// line | income | nontax | procurement | asset
    pub entity: &'static str,
    pub entity_key: String,
    /// added | changed | removed
    pub change_kind: &'static str,
    pub old_fen: Option<Fen>,
    pub new_fen: Option<Fen>,
}

fn keyed<T>(
    lines: &[T],
    key: impl Fn(usize, &T) -> String,
    amount: impl Fn(&T) -> Fen,
) -> BTreeMap<String, Fen> {
    let mut map: BTreeMap<String, Fen> = BTreeMap::new();
    for (index, line) in lines.iter().enumerate() {
        let total = map.entry(key(index, line)).or_default();
        *total = Fen(total.0.saturating_add(amount(line).0));
    }
    map
}

fn compare(
    entity: &'static str,
    old: BTreeMap<String, Fen>,
    new: BTreeMap<String, Fen>,
    out: &mut Vec<Change>,
) {
    for (key, old_fen) in &old {
        match new.get(key) {
            None => out.push(Change {
                entity,
                entity_key: key.clone(),
                change_kind: "removed",
                old_fen: Some(*old_fen),
                new_fen: None,
            }),
            Some(new_fen) if new_fen != old_fen => out.push(Change {
                entity,
                entity_key: key.clone(),
                change_kind: "changed",
                old_fen: Some(*old_fen),
                new_fen: Some(*new_fen),
            }),
            Some(_) => {}
        }
    }
    for (key, new_fen) in new {
        if !old.contains_key(&key) {
            out.push(Change {
                entity,
                entity_key: key,
                change_kind: "added",
                old_fen: None,
                new_fen: Some(new_fen),
            });
        }
    }
}

/// The changes from `old` to `new`: expenditure lines by classification key, the other
/// tables by their natural key (income kind and fund, non-tax item, project and item).
pub fn diff(old: &BudgetTables, new: &BudgetTables) -> Vec<Change> {
    let mut changes = Vec::new();
    let line_key = |_: usize, line: &super::ExpenseLine| line.key.text();
    compare(
        "line",
        keyed(&old.expenses, line_key, |line| line.amount),
        keyed(&new.expenses, line_key, |line| line.amount),
        &mut changes,
    );
    let income_key = |_: usize, line: &super::IncomeLine| {
        format!("{}/{}", line.kind.label(), line.fund_type_code)
    };
    compare(
        "income",
        keyed(&old.incomes, income_key, |line| line.amount),
        keyed(&new.incomes, income_key, |line| line.amount),
        &mut changes,
    );
    let non_tax_key = |_: usize, line: &super::NonTaxLine| line.item_code.clone();
    compare(
        "nontax",
        keyed(&old.non_tax, non_tax_key, |line| line.amount),
        keyed(&new.non_tax, non_tax_key, |line| line.amount),
        &mut changes,
    );
    let procurement_key =
        |_: usize, line: &super::ProcurementLine| format!("{}/{}", line.pro_code, line.item_code);
    compare(
        "procurement",
        keyed(&old.procurement, procurement_key, |line| line.amount),
        keyed(&new.procurement, procurement_key, |line| line.amount),
        &mut changes,
    );
    let asset_key = |_: usize, line: &super::AssetLine| {
        format!("{}/{}/{}", line.pro_code, line.asset_class, line.asset_name)
    };
    compare(
        "asset",
        keyed(&old.assets, asset_key, |line| line.amount),
        keyed(&new.assets, asset_key, |line| line.amount),
        &mut changes,
    );
    changes
}
