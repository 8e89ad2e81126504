//! National code tables (要素) shipped as data files under `data/codes/`, embedded in the
//! binary, loaded per fiscal year; and the roll-over of a year's tables to the next year with
//! an identity mapping (新旧科目对照) that people then correct where codes changed.

use fiscus_core::Principal;
use fiscus_core::masterdata::check_code_segments;
use fiscus_core::{FiscalYear, Rejection, Resource};
use fiscus_store::audit::{AuditEntry, now};
use fiscus_store::bulk::{count_rows, insert_rows};
use fiscus_store::{Bind, Tx};

use crate::{App, AppError, RequestCtx};

const ELEMENTS_CSV: &str = include_str!("../../../data/codes/elements.csv");

/// The fiscal year whose national tables are shipped.
pub const SHIPPED_YEAR: i32 = 2026;

macro_rules! shipped {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../../data/codes/2026/", $name, ".csv")))),*]
    };
}

/// (element_code, csv) of every shipped table of `SHIPPED_YEAR`.
pub const SHIPPED_TABLES: &[(&str, &str)] = shipped!(
    "exp_func",
    "gov_bgt_eco",
    "dep_bgt_eco",
    "fund_type",
    "agency_type",
    "fund_guar",
    "pay_type",
    "acc_type",
    "set_mode",
    "pay_bus_type",
    "bgt_type",
    "source_type",
    "bgt_exe_flag",
    "pro_cat",
    "per_ide",
    "per_sta",
    "iden_type",
    "sex",
    "nat",
    "budget_level",
    "std_type",
    "pos_code",
    "gr_code",
);

/// One element of the catalogue.
#[derive(Clone, Debug)]
pub struct ElementRow {
    pub element_code: String,
    pub element_name: String,
    pub std_field: String,
    pub segments: String,
    pub source: String,
}

/// Splits one CSV line; fields may be quoted with double quotes.
pub fn split_csv_line(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

fn data_lines(csv: &str) -> impl Iterator<Item = Vec<String>> + '_ {
    csv.lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(split_csv_line)
}

pub fn elements() -> Vec<ElementRow> {
    data_lines(ELEMENTS_CSV)
        .filter(|fields| fields.len() >= 5)
        .map(|fields| ElementRow {
            element_code: fields[0].clone(),
            element_name: fields[1].clone(),
            std_field: fields[2].clone(),
            segments: fields[3].clone(),
            source: fields[4].clone(),
        })
        .collect()
}

/// The first `n_max` (code, name) pairs of a shipped national table, in file order (top
/// levels first): examples for the import template. Empty for an element not shipped.
pub fn shipped_examples(element_code: &str, n_max: usize) -> Vec<(String, String)> {
    SHIPPED_TABLES
        .iter()
        .find(|(code, _)| *code == element_code)
        .map(|(_, csv)| {
            data_lines(csv)
                .filter(|fields| fields.len() >= 2)
                .take(n_max)
                .map(|fields| (fields[0].clone(), fields[1].clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// Loads the element catalogue and the shipped national tables as `fiscal_year` (used for the
/// shipped year and, by the demo, for the year after). Returns the number of codes inserted.
pub async fn load_national(tx: &mut Tx, fiscal_year: i32) -> Result<u64, AppError> {
    let timestamp = now();
    if count_rows(tx, "code_element").await? == 0 {
        let rows = elements()
            .into_iter()
            .map(|e| {
                vec![
                    Bind::text(e.element_code),
                    Bind::text(e.element_name),
                    Bind::text(e.std_field),
                    Bind::text(e.segments),
                    Bind::text(e.source),
                ]
            })
            .collect();
        insert_rows(
            tx,
            "code_element",
            &[
                "element_code",
                "element_name",
                "std_field",
                "segments",
                "source",
            ],
            rows,
        )
        .await?;
    }
    let catalogue = elements();
    let mut rows = Vec::new();
    for (element_code, csv) in SHIPPED_TABLES {
        let segments = catalogue
            .iter()
            .find(|e| e.element_code == *element_code)
            .map(|e| e.segments.clone())
            .ok_or_else(|| {
                AppError::Internal(format!("element {element_code} missing from elements.csv"))
            })?;
        for fields in data_lines(csv) {
            let [code, name, parent_code] = <[String; 3]>::try_from(fields).map_err(|_| {
                AppError::Internal(format!(
                    "{element_code}.csv: a line does not have three fields"
                ))
            })?;
            let level = check_code_segments(&code, &segments, false)?;
            rows.push(vec![
                Bind::text(format!("{element_code}:{fiscal_year}:{code}")),
                Bind::text(*element_code),
                Bind::Int(Some(i64::from(fiscal_year))),
                Bind::text(code),
                Bind::text(name),
                Bind::Text(Some(parent_code).filter(|p| !p.is_empty())),
                Bind::Int(Some(level as i64)),
                Bind::Bool(Some(false)),
                Bind::Bool(Some(true)),
                Bind::text(timestamp.clone()),
                Bind::text(timestamp.clone()),
                Bind::text("system"),
            ]);
        }
    }
    let columns = [
        "item_id",
        "element_code",
        "fiscal_year",
        "code",
        "name",
        "parent_code",
        "level_num",
        "is_local",
        "is_enabled",
        "created_at",
        "updated_at",
        "updated_by",
    ];
    Ok(insert_rows(tx, "code_item", &columns, rows).await?)
}

/// Copies every code of `from` to `to` and records an identity mapping for each, in one
/// transaction. Refused when `to` already has codes.
pub async fn copy_year(
    app: &App,
    who: &Principal,
    from: FiscalYear,
    to: FiscalYear,
    ctx: &RequestCtx,
) -> Result<u64, AppError> {
    if !who.can(fiscus_core::Action::Write, Resource::CodeItem) || !who.is_root_bureau() {
        return Err(Rejection::Forbidden.into());
    }
    if to.0 != from.0 + 1 {
        return Err(Rejection::FieldInvalid {
            field: "新年度",
            expected: "原年度的下一年",
        }
        .into());
    }
    let mut tx = app.db.begin().await?;
    let copied = fiscus_store::codes::copy_year(
        &mut tx,
        i64::from(from.0),
        i64::from(to.0),
        &now(),
        who.user_name.as_str(),
    )
    .await?;
    if copied == 0 {
        return Err(Rejection::YearAlreadyExists { fiscal_year: to.0 }.into());
    }
    let mut entry = AuditEntry::by(Some(who), "copy_year");
    entry.entity = Some("codes");
    entry.entity_key = Some(format!("{}→{}", from.0, to.0));
    entry.changes = Some(serde_json::json!({ "copied": copied }).to_string());
    entry.ip = ctx.ip.clone();
    entry.request_id = ctx.request_id.clone();
    fiscus_store::audit::append(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(copied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_tables_are_well_formed() {
        let catalogue = elements();
        assert_eq!(catalogue.len(), SHIPPED_TABLES.len());
        for (element_code, csv) in SHIPPED_TABLES {
            let element = catalogue.iter().find(|e| e.element_code == *element_code);
            let segments = element.map(|e| e.segments.clone()).unwrap_or_default();
            let mut seen = std::collections::HashSet::new();
            for fields in data_lines(csv) {
                assert_eq!(fields.len(), 3, "{element_code}: {fields:?}");
                assert!(
                    check_code_segments(&fields[0], &segments, false).is_ok(),
                    "{element_code} {}",
                    fields[0]
                );
                assert!(
                    fields[2].is_empty() || seen.contains(&fields[2]),
                    "{element_code} parent {}",
                    fields[2]
                );
                assert!(fields[0].starts_with(&fields[2]));
                seen.insert(fields[0].clone());
            }
        }
        let exp_func = SHIPPED_TABLES
            .iter()
            .find(|(name, _)| *name == "exp_func")
            .map(|(_, csv)| *csv)
            .unwrap_or("");
        let classes = data_lines(exp_func).filter(|f| f[0].len() == 3).count();
        assert!(
            classes >= 25,
            "every 类 of the function classification: {classes}"
        );
        assert_eq!(split_csv_line("a,\"b,c\",d"), vec!["a", "b,c", "d"]);
    }
}
