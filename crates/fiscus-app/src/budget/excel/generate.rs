//! A generator of large valid budget workbooks for `fiscus bench budget` and for measuring
//! `App::budget_import`: expenditure lines spread over the given units, each unit's key
//! combinations distinct, and one 财政拨款收入 line per unit that balances its expenditure.

use std::time::{Duration, Instant};

use fiscus_core::budget::IncomeKind;
use fiscus_core::{Fen, Principal};
use rust_xlsxwriter::Workbook;

use super::template::{add_table_sheet, text_row};
use super::{EXPENSES, INCOMES, ImportReport, xlsx};
use crate::{App, AppError, RequestCtx};

/// What to generate from: units with their reserved projects, and enabled codes of the year.
#[derive(Clone, Debug, Default)]
pub struct BenchWorkbook {
    /// (agency_code, pro_codes of that unit's reserved projects), each with one project at
    /// least.
    pub units: Vec<(String, Vec<String>)>,
    pub exp_func_codes: Vec<String>,
    pub gov_bgt_eco_codes: Vec<String>,
    pub dep_bgt_eco_codes: Vec<String>,
    pub fund_type_codes: Vec<String>,
    /// Data rows in all (expenditure lines plus one income line per unit).
    pub n_rows: usize,
}

/// Writes the workbook `spec` describes; `None`-like inputs (no unit, no code) give an
/// internal error rather than an empty file.
pub fn generate_workbook(spec: &BenchWorkbook) -> Result<Vec<u8>, AppError> {
    let lists = [
        &spec.exp_func_codes,
        &spec.gov_bgt_eco_codes,
        &spec.dep_bgt_eco_codes,
        &spec.fund_type_codes,
    ];
    if spec.units.is_empty()
        || spec.units.iter().any(|(_, projects)| projects.is_empty())
        || lists.iter().any(|codes| codes.is_empty())
    {
        return Err(AppError::Internal(
            "bench workbook: units, projects and codes are required".into(),
        ));
    }
    let n_units = spec.units.len();
    let n_lines = spec.n_rows.saturating_sub(n_units);
    let mut workbook = Workbook::new();
    let mut totals = vec![0i64; n_units];
    let sheet = add_table_sheet(&mut workbook, &EXPENSES)?;
    for index in 0..n_lines {
        let unit_index = index % n_units;
        let (agency_code, projects) = &spec.units[unit_index];
        // The unit's own line number, written in mixed radix over (code lists, project):
        // distinct numbers give distinct keys as long as there are enough combinations.
        let mut serial = index / n_units;
        let mut pick = |codes: &Vec<String>| {
            let code = codes[serial % codes.len()].clone();
            serial /= codes.len();
            code
        };
        let exp_func = pick(lists[0]);
        let gov_eco = pick(lists[1]);
        let dep_eco = pick(lists[2]);
        let fund_type = pick(lists[3]);
        let pro_code = pick(projects);
        let amount_fen = i64::try_from(index % 9_973 + 1).unwrap_or(1) * 100
            + i64::try_from(index % 100).unwrap_or(0);
        totals[unit_index] += amount_fen;
        let row = u32::try_from(index + 1).unwrap_or(u32::MAX);
        text_row(
            sheet,
            row,
            &[
                agency_code.clone(),
                pro_code,
                exp_func,
                gov_eco,
                dep_eco,
                fund_type,
                "否".to_owned(),
                plain_yuan(amount_fen),
                String::new(),
            ],
        )?;
    }
    let sheet = add_table_sheet(&mut workbook, &INCOMES)?;
    for (unit_index, (agency_code, _)) in spec.units.iter().enumerate() {
        let row = u32::try_from(unit_index + 1).unwrap_or(u32::MAX);
        text_row(
            sheet,
            row,
            &[
                agency_code.clone(),
                IncomeKind::Appropriation.label().to_owned(),
                spec.fund_type_codes[0].clone(),
                plain_yuan(totals[unit_index]),
                String::new(),
            ],
        )?;
    }
    workbook.save_to_buffer().map_err(xlsx)
}

/// 元 with two decimals and no separators, e.g. `1234.05`.
fn plain_yuan(fen: i64) -> String {
    Fen(fen).to_yuan_string().replace(',', "")
}

/// Imports `bytes` as `who` and measures the wall time of the whole import (parse, checks,
/// write, commit), for `fiscus bench budget`.
pub async fn bench_import(
    app: &App,
    who: &Principal,
    fiscal_year: i64,
    bytes: &[u8],
) -> Result<(ImportReport, Duration), AppError> {
    let started = Instant::now();
    let report = app
        .budget_import(who, fiscal_year, bytes, &RequestCtx::default())
        .await?;
    Ok((report, started.elapsed()))
}
