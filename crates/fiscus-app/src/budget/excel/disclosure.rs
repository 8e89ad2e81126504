//! 部门预算公开: a department's disclosure workbook built from its units' stored budgets —
//! the approved figure (年初批复数) of a unit whose budget is approved, else the latest
//! compiled figure (编制数) — and their income tables. Code names come from the year's code
//! tables in the database; fund natures group by the first digit of `fund_type_code`
//! (`data/codes/2026/fund_type.csv`: 1x 一般公共预算, 2x 政府性基金, 3x 国有资本经营).
//!
//! Structures and their evidence (DOMAIN.md §7.1–7.2 lists the disclosed table names; the
//! layouts are not in the sources):
//! - 部门收支总表 — income by kind against expenditure by function class 类 [K layout]
//! - 部门收入总表 — one row per unit, one column per income kind [K]
//! - 部门支出总表 — function 类/款/项 × 基本支出/项目支出 [K]; 基本支出 = projects of the
//!   人员类 and 运转类 categories, 项目支出 = 特定目标类 [I, from the project categories]
//! - 财政拨款收支总表 — 财政拨款收入 by fund group against expenditure by 类 × fund group [K]
//! - 一般公共预算支出表 — fund 1x by 类/款/项 × 基本/项目 [K]
//! - 一般公共预算基本支出表 — fund 1x 基本支出 by 部门预算经济分类 类/款, 人员经费 (301, 303)
//!   and 公用经费 (the rest) [K split]
//! - 政府性基金预算支出表 — fund 2x by 类/款/项 [K]
//! - 一般公共预算"三公"经费支出表 — derivable only from lines compiled at 款 level of the
//!   department economic classification: 30212 因公出国（境）费用, 30217 公务接待费,
//!   31013 公务用车购置, 30231 公务用车运行维护费 [K mapping; codes E in the 2026 table];
//!   lines compiled at 类 level (302) cannot be split and are not counted (the sheet says so)
//! - 政府采购预算表 — the units' 政府采购预算 tables [I]

use std::collections::{BTreeMap, HashMap};

use fiscus_core::budget::{IncomeKind, Stage};
use fiscus_core::{Fen, Principal, Rejection};
use fiscus_store::budget::{self as store, LineRow, SheetListRow, SheetQuery};
use fiscus_store::records::Viewer;
use rust_xlsxwriter::{Workbook, Worksheet};

use super::template::{header_row, text_row};
use super::{NOTES_SHEET, xlsx};
use crate::{App, AppError};

/// The sheet names of the disclosure workbook, in order.
pub const DISCLOSURE_SHEETS: [&str; 9] = [
    "部门收支总表",
    "部门收入总表",
    "部门支出总表",
    "财政拨款收支总表",
    "一般公共预算支出表",
    "一般公共预算基本支出表",
    "政府性基金预算支出表",
    "一般公共预算三公经费支出表",
    "政府采购预算表",
];

/// A department's stored budget, as disclosure reads it.
struct Dept {
    units: Vec<(
        SheetListRow,
        Vec<LineRow>,
        fiscus_core::budget::BudgetTables,
    )>,
    func_names: HashMap<String, String>,
    eco_names: HashMap<String, String>,
}

/// The figure a line is disclosed with: approved when its unit's budget is approved.
fn figure(unit: &SheetListRow, line: &LineRow) -> i64 {
    if unit.sheet.stage == Stage::Approved.code() {
        line.reply_amt
    } else {
        line.amount_fen
    }
}

fn is_basic(line: &LineRow) -> bool {
    matches!(line.pro_kind_code.as_str(), "1" | "2")
}

fn yuan(fen: i64) -> String {
    Fen(fen).to_yuan_string()
}

fn row_at(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

/// The fund group of a fund nature code: 一般公共预算, 政府性基金 or 国有资本经营.
fn fund_group(fund_type_code: &str) -> Option<usize> {
    match fund_type_code.get(..1) {
        Some("1") => Some(0),
        Some("2") => Some(1),
        Some("3") => Some(2),
        _ => None,
    }
}

impl App {
    /// The 部门预算公开 workbook of `dept_code` for `fiscal_year`, from the units of the
    /// department that `who` may see.
    pub async fn budget_disclosure(
        &self,
        who: &Principal,
        fiscal_year: i64,
        dept_code: &str,
    ) -> Result<Vec<u8>, AppError> {
        let query = SheetQuery {
            fiscal_year,
            dept_code: Some(dept_code.to_owned()),
            limit: i64::from(fiscus_core::query::EXPORT_ROWS_MAX),
            ..SheetQuery::default()
        };
        let (sheets, _) = store::sheets(&self.db, Viewer::User(who), &query).await?;
        if sheets.is_empty() {
            return Err(Rejection::NotFound {
                what: "部门预算"
            }
            .into());
        }
        let mut units = Vec::with_capacity(sheets.len());
        for sheet in sheets {
            let lines = store::lines_of_sheet(&self.db, &sheet.sheet.sheet_id).await?;
            let side = store::side_tables(&self.db, &sheet.sheet.sheet_id).await?;
            units.push((sheet, lines, side));
        }
        let names = |pairs: Vec<(String, String)>| pairs.into_iter().collect::<HashMap<_, _>>();
        let mut func = self.code_names("exp_func", Some(fiscal_year)).await?;
        if func.is_empty() {
            func = self.code_names("exp_func", None).await?;
        }
        let mut eco = self.code_names("dep_bgt_eco", Some(fiscal_year)).await?;
        if eco.is_empty() {
            eco = self.code_names("dep_bgt_eco", None).await?;
        }
        let dept = Dept {
            units,
            func_names: names(func),
            eco_names: names(eco),
        };
        dept.workbook(fiscal_year, dept_code)
    }
}

impl Dept {
    fn lines(&self) -> impl Iterator<Item = (&SheetListRow, &LineRow, i64)> {
        self.units.iter().flat_map(|(unit, lines, _)| {
            lines
                .iter()
                .map(move |line| (unit, line, figure(unit, line)))
        })
    }

    /// Income totals by kind, 财政拨款收入 also by fund group.
    fn incomes(&self) -> (BTreeMap<IncomeKind, i64>, [i64; 3]) {
        let mut by_kind = BTreeMap::new();
        let mut appropriation = [0i64; 3];
        for (_, _, tables) in &self.units {
            for line in &tables.incomes {
                *by_kind.entry(line.kind).or_insert(0) += line.amount.0;
                if line.kind == IncomeKind::Appropriation
                    && let Some(group) = fund_group(&line.fund_type_code)
                {
                    appropriation[group] += line.amount.0;
                }
            }
        }
        (by_kind, appropriation)
    }

    /// Sums by function code at 类, 款 and 项 (3, 5, 7 digits) of the lines `keep` selects,
    /// in `columns(line)` slots. Lexical order of the codes lists each 类 before its 款.
    fn by_function<const N: usize>(
        &self,
        levels: &[usize],
        keep: impl Fn(&LineRow) -> bool,
        slot: impl Fn(&LineRow) -> Option<usize>,
    ) -> BTreeMap<String, [i64; N]> {
        let mut sums: BTreeMap<String, [i64; N]> = BTreeMap::new();
        for (_, line, fen) in self.lines().filter(|(_, line, _)| keep(line)) {
            let Some(slot) = slot(line) else { continue };
            for &length in levels {
                if let Some(code) = line.exp_func_code.get(..length) {
                    sums.entry(code.to_owned()).or_insert([0; N])[slot] += fen;
                }
            }
        }
        sums
    }

    fn workbook(&self, fiscal_year: i64, dept_code: &str) -> Result<Vec<u8>, AppError> {
        let mut workbook = Workbook::new();
        self.summary(workbook.add_worksheet())?;
        self.income_table(workbook.add_worksheet())?;
        let all_funds = |_: &LineRow| true;
        let basic_or_project = |line: &LineRow| Some(usize::from(!is_basic(line)));
        let by_func = self.by_function::<2>(&[3, 5, 7], all_funds, basic_or_project);
        self.function_table(workbook.add_worksheet(), DISCLOSURE_SHEETS[2], &by_func)?;
        self.appropriation(workbook.add_worksheet())?;
        let general = |line: &LineRow| fund_group(&line.fund_type_code) == Some(0);
        let by_func = self.by_function::<2>(&[3, 5, 7], general, basic_or_project);
        self.function_table(workbook.add_worksheet(), DISCLOSURE_SHEETS[4], &by_func)?;
        self.basic_by_economic(workbook.add_worksheet())?;
        let fund = |line: &LineRow| fund_group(&line.fund_type_code) == Some(1);
        let by_func = self.by_function::<2>(&[3, 5, 7], fund, basic_or_project);
        self.function_table(workbook.add_worksheet(), DISCLOSURE_SHEETS[6], &by_func)?;
        self.three_public(workbook.add_worksheet())?;
        self.procurement(workbook.add_worksheet())?;
        let notes = workbook.add_worksheet();
        notes.set_name(NOTES_SHEET).map_err(xlsx)?;
        let dept_name = self
            .units
            .first()
            .map_or("", |(unit, _, _)| unit.dept_name.as_str());
        let approved = self
            .units
            .iter()
            .filter(|(unit, _, _)| unit.sheet.stage == Stage::Approved.code())
            .count();
        let lines = [
            format!("{dept_name}（{dept_code}）{fiscal_year} 年部门预算公开表"),
            format!(
                "数据口径：共 {} 个单位，其中 {approved} 个已批复（按年初批复数），其余按最新编制数。金额单位：元。",
                self.units.len()
            ),
            "基本支出为人员类、运转类项目的支出，项目支出为特定目标类项目的支出。".to_owned(),
            "资金性质按编码首位归类：1 一般公共预算，2 政府性基金预算，3 国有资本经营预算。"
                .to_owned(),
        ];
        for (index, line) in lines.iter().enumerate() {
            notes.write_string(row_at(index), 0, line).map_err(xlsx)?;
        }
        workbook.save_to_buffer().map_err(xlsx)
    }

    /// 部门收支总表: income by kind against expenditure by function 类.
    fn summary(&self, sheet: &mut Worksheet) -> Result<(), AppError> {
        sheet.set_name(DISCLOSURE_SHEETS[0]).map_err(xlsx)?;
        header_row(sheet, &["收入项目", "金额（元）", "支出项目", "金额（元）"])?;
        let (by_kind, _) = self.incomes();
        let income: Vec<(String, i64)> = IncomeKind::ALL
            .iter()
            .map(|kind| {
                (
                    kind.label().to_owned(),
                    by_kind.get(kind).copied().unwrap_or(0),
                )
            })
            .collect();
        let by_class = self.by_function::<1>(&[3], |_| true, |_| Some(0));
        let expense: Vec<(String, i64)> = by_class
            .iter()
            .map(|(code, [fen])| (format!("{code} {}", self.func_name(code)), *fen))
            .collect();
        let n_rows = income.len().max(expense.len());
        for index in 0..n_rows {
            let left = income.get(index);
            let right = expense.get(index);
            let cells = [
                left.map(|(name, _)| name.clone()).unwrap_or_default(),
                left.map(|(_, fen)| yuan(*fen)).unwrap_or_default(),
                right.map(|(name, _)| name.clone()).unwrap_or_default(),
                right.map(|(_, fen)| yuan(*fen)).unwrap_or_default(),
            ];
            text_row(sheet, row_at(index + 1), &cells)?;
        }
        let income_total: i64 = income.iter().map(|(_, fen)| fen).sum();
        let expense_total: i64 = expense.iter().map(|(_, fen)| fen).sum();
        let cells = [
            "收入总计".to_owned(),
            yuan(income_total),
            "支出总计".to_owned(),
            yuan(expense_total),
        ];
        text_row(sheet, row_at(n_rows + 1), &cells)
    }

    /// 部门收入总表: one row per unit, a total row first.
    fn income_table(&self, sheet: &mut Worksheet) -> Result<(), AppError> {
        sheet.set_name(DISCLOSURE_SHEETS[1]).map_err(xlsx)?;
        let mut headers = vec!["单位代码", "单位名称", "合计"];
        headers.extend(IncomeKind::ALL.iter().map(|kind| kind.label()));
        header_row(sheet, &headers)?;
        let mut total = vec![0i64; IncomeKind::ALL.len()];
        let mut rows = Vec::new();
        for (unit, _, tables) in &self.units {
            let mut sums = vec![0i64; IncomeKind::ALL.len()];
            for line in &tables.incomes {
                let at = IncomeKind::ALL
                    .iter()
                    .position(|kind| *kind == line.kind)
                    .unwrap_or(0);
                sums[at] += line.amount.0;
                total[at] += line.amount.0;
            }
            rows.push((
                unit.sheet.agency_code.clone(),
                unit.agency_name.clone(),
                sums,
            ));
        }
        rows.insert(0, (String::new(), "合计".to_owned(), total));
        for (index, (code, name, sums)) in rows.iter().enumerate() {
            let mut cells = vec![code.clone(), name.clone(), yuan(sums.iter().sum())];
            cells.extend(sums.iter().map(|fen| yuan(*fen)));
            text_row(sheet, row_at(index + 1), &cells)?;
        }
        Ok(())
    }

    fn func_name(&self, code: &str) -> &str {
        self.func_names.get(code).map_or("", String::as_str)
    }

    /// A function table: 科目编码, 科目名称, 合计, 基本支出, 项目支出; a total row first.
    fn function_table(
        &self,
        sheet: &mut Worksheet,
        name: &str,
        sums: &BTreeMap<String, [i64; 2]>,
    ) -> Result<(), AppError> {
        sheet.set_name(name).map_err(xlsx)?;
        header_row(
            sheet,
            &["科目编码", "科目名称", "合计", "基本支出", "项目支出"],
        )?;
        let mut total = [0i64; 2];
        for (code, [basic, project]) in sums {
            if code.len() == 3 {
                total[0] += basic;
                total[1] += project;
            }
        }
        let mut row = 1;
        let cells = [
            String::new(),
            "合计".to_owned(),
            yuan(total[0] + total[1]),
            yuan(total[0]),
            yuan(total[1]),
        ];
        text_row(sheet, row, &cells)?;
        for (code, [basic, project]) in sums {
            row += 1;
            let cells = [
                code.clone(),
                self.func_name(code).to_owned(),
                yuan(basic + project),
                yuan(*basic),
                yuan(*project),
            ];
            text_row(sheet, row, &cells)?;
        }
        Ok(())
    }

    /// 财政拨款收支总表: 财政拨款收入 by fund group; expenditure by 类 × fund group.
    fn appropriation(&self, sheet: &mut Worksheet) -> Result<(), AppError> {
        sheet.set_name(DISCLOSURE_SHEETS[3]).map_err(xlsx)?;
        let groups = ["一般公共预算", "政府性基金预算", "国有资本经营预算"];
        header_row(sheet, &["项目", "合计", groups[0], groups[1], groups[2]])?;
        let (_, income) = self.incomes();
        let mut cells = vec!["财政拨款收入".to_owned(), yuan(income.iter().sum())];
        cells.extend(income.iter().map(|fen| yuan(*fen)));
        text_row(sheet, 1, &cells)?;
        let sums = self.by_function::<3>(&[3], |_| true, |line| fund_group(&line.fund_type_code));
        let total: [i64; 3] = sums.values().fold([0; 3], |acc, s| {
            [acc[0] + s[0], acc[1] + s[1], acc[2] + s[2]]
        });
        let mut cells = vec!["财政拨款支出".to_owned(), yuan(total.iter().sum())];
        cells.extend(total.iter().map(|fen| yuan(*fen)));
        text_row(sheet, 2, &cells)?;
        for (index, (code, fens)) in sums.iter().enumerate() {
            let mut cells = vec![
                format!("{code} {}", self.func_name(code)),
                yuan(fens.iter().sum()),
            ];
            cells.extend(fens.iter().map(|fen| yuan(*fen)));
            text_row(sheet, row_at(index + 3), &cells)?;
        }
        Ok(())
    }

    /// 一般公共预算基本支出表: by economic 类 and 款, 人员经费 / 公用经费.
    fn basic_by_economic(&self, sheet: &mut Worksheet) -> Result<(), AppError> {
        sheet.set_name(DISCLOSURE_SHEETS[5]).map_err(xlsx)?;
        header_row(
            sheet,
            &[
                "经济分类编码",
                "经济分类名称",
                "合计",
                "人员经费",
                "公用经费",
            ],
        )?;
        let mut sums: BTreeMap<String, [i64; 2]> = BTreeMap::new();
        let basic_general = self
            .lines()
            .filter(|(_, line, _)| is_basic(line) && fund_group(&line.fund_type_code) == Some(0));
        for (_, line, fen) in basic_general {
            let class = line.dep_bgt_eco_code.get(..3).unwrap_or("");
            let slot = usize::from(!matches!(class, "301" | "303"));
            for length in [3, 5] {
                if let Some(code) = line.dep_bgt_eco_code.get(..length) {
                    sums.entry(code.to_owned()).or_insert([0; 2])[slot] += fen;
                }
            }
        }
        let total = sums
            .iter()
            .filter(|(code, _)| code.len() == 3)
            .fold([0i64; 2], |acc, (_, s)| [acc[0] + s[0], acc[1] + s[1]]);
        let cells = [
            String::new(),
            "合计".to_owned(),
            yuan(total[0] + total[1]),
            yuan(total[0]),
            yuan(total[1]),
        ];
        text_row(sheet, 1, &cells)?;
        for (index, (code, [staff, public])) in sums.iter().enumerate() {
            let name = self.eco_names.get(code).cloned().unwrap_or_default();
            let cells = [
                code.clone(),
                name,
                yuan(staff + public),
                yuan(*staff),
                yuan(*public),
            ];
            text_row(sheet, row_at(index + 2), &cells)?;
        }
        Ok(())
    }

    /// 一般公共预算"三公"经费支出表, from the 款-level economic codes.
    fn three_public(&self, sheet: &mut Worksheet) -> Result<(), AppError> {
        sheet.set_name(DISCLOSURE_SHEETS[7]).map_err(xlsx)?;
        header_row(
            sheet,
            &[
                "合计",
                "因公出国（境）费",
                "公务用车购置及运行费",
                "公务用车购置费",
                "公务用车运行费",
                "公务接待费",
            ],
        )?;
        let mut sums: HashMap<&str, i64> = HashMap::new();
        let mut class_only = 0i64;
        for (_, line, fen) in self
            .lines()
            .filter(|(_, line, _)| fund_group(&line.fund_type_code) == Some(0))
        {
            let code = line.dep_bgt_eco_code.as_str();
            if matches!(code, "30212" | "30217" | "31013" | "30231") {
                *sums.entry(code).or_insert(0) += fen;
            } else if code == "302" {
                class_only += fen;
            }
        }
        let get = |code: &str| sums.get(code).copied().unwrap_or(0);
        let cars = get("31013") + get("30231");
        let total = get("30212") + cars + get("30217");
        let cells = [
            yuan(total),
            yuan(get("30212")),
            yuan(cars),
            yuan(get("31013")),
            yuan(get("30231")),
            yuan(get("30217")),
        ];
        text_row(sheet, 1, &cells)?;
        let note = format!(
            "口径：部门预算支出经济分类编到款级的 30212 因公出国（境）费用、30217 公务接待费、31013 公务用车购置、30231 公务用车运行维护费；只编到 302 类级的 {} 元无法区分，未计入。",
            yuan(class_only)
        );
        sheet.write_string(3, 0, note).map_err(xlsx)?;
        Ok(())
    }

    /// 政府采购预算表: the units' procurement tables, a total row first.
    fn procurement(&self, sheet: &mut Worksheet) -> Result<(), AppError> {
        sheet.set_name(DISCLOSURE_SHEETS[8]).map_err(xlsx)?;
        header_row(
            sheet,
            &[
                "单位代码",
                "单位名称",
                "项目代码",
                "政府采购品目",
                "采购品目名称",
                "采购数量",
                "金额（元）",
            ],
        )?;
        let total: i64 = self
            .units
            .iter()
            .flat_map(|(_, _, tables)| tables.procurement.iter().map(|line| line.amount.0))
            .sum();
        text_row(sheet, 1, &["", "合计", "", "", "", "", &yuan(total)])?;
        let mut row = 1;
        for (unit, _, tables) in &self.units {
            for line in &tables.procurement {
                row += 1;
                let cells = [
                    unit.sheet.agency_code.clone(),
                    unit.agency_name.clone(),
                    line.pro_code.clone(),
                    line.item_code.clone(),
                    line.item_name.clone(),
                    line.quantity.to_string(),
                    yuan(line.amount.0),
                ];
                text_row(sheet, row, &cells)?;
            }
        }
        Ok(())
    }
}
