//! Computes a report set from grouped facts. A [`Fact`] is what the ledger knows about the
//! indicators of one classification (function class × economic class × fund nature × basic
//! or project) of one year; a [`BookFact`] one account's movements in the 财务会计 book.
//!
//! Per fact (all in fen, [I] — ADR 0013):
//! - 年初结转和结余 (opening) = the carry-over credits into the year's indicators (上年结转);
//! - 本年收入 (income) = 指标金额 + what left by 结转 and 结余 − opening − 已核销: the net
//!   money that reached the indicators during the year (a formal indicator that writes off
//!   an advance brings no new money);
//! - 本年支出 (expenditure) = 已支出 (payments posted less refunds, plus write-offs);
//! - 年末结转和结余 (closing) = what left by 结转 and 结余 when the year is closed, else the
//!   open balance (可用 + 冻结 + 在途);
//!
//! so that opening + income − expenditure = closing holds for every fact by construction;
//! the checks then guard the tables built from them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::final_accounts::tables::{
    NOT_REFINED, RowSpec, TABLES, TOTAL_ROW, TableDef, UNCLASSIFIED, col_index, row_order,
};
use crate::final_accounts::{ReportSet, Row, Table};
use crate::ledger::AMOUNT_MAX_YUAN;
use crate::rejection::Rejection;

/// The ledger's figures of one group of indicators of the year.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    pub exp_func_code: String,
    pub dep_bgt_eco_code: String,
    pub fund_type_code: String,
    /// 项目支出 (a 特定目标类 project), else 基本支出 (人员类, 运转类 or no project) [I].
    pub is_project: bool,
    /// 指标金额 now: the four accounts' posted balances.
    pub total_fen: i64,
    pub spent_fen: i64,
    pub written_off_fen: i64,
    /// Carry-over credits into the indicators (上年结转).
    pub opening_fen: i64,
    /// Debits out of the indicators by 结转 (to next year) and 结余 (back to the pool).
    pub carry_out_fen: i64,
    pub lapse_out_fen: i64,
}

impl Fact {
    fn income(&self) -> i128 {
        i128::from(self.total_fen) + i128::from(self.carry_out_fen) + i128::from(self.lapse_out_fen)
            - i128::from(self.opening_fen)
            - i128::from(self.written_off_fen)
    }

    fn closing(&self) -> i128 {
        i128::from(self.total_fen) + i128::from(self.carry_out_fen) + i128::from(self.lapse_out_fen)
            - i128::from(self.spent_fen)
            - i128::from(self.written_off_fen)
    }
}

/// One account of the 财务会计 book: its posted debits and credits of the year.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookFact {
    pub account_code: String,
    pub account_name: String,
    /// 资产 | 负债 | 净资产 | 收入 | 费用 (the chart's category).
    pub category: String,
    pub debit_fen: i64,
    pub credit_fen: i64,
}

/// The names of the year's classification codes, for row labels.
#[derive(Clone, Debug, Default)]
pub struct Names {
    pub func: BTreeMap<String, String>,
    pub eco: BTreeMap<String, String>,
}

/// The income line a fund nature (资金性质) feeds [I: DOMAIN.md §3.4 and the shipped
/// fund_type table: 1 一般公共预算, 2 政府性基金, 3 国有资本经营; 51 事业收入, 52 经营收入,
/// 53 上级补助收入, 54 附属单位上缴收入; 4 财政专户管理资金 counts as 事业收入].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nature {
    Gpb,
    Gfb,
    Soc,
    Sup,
    Biz,
    Ops,
    Aff,
    Oth,
}

impl Nature {
    pub fn of(fund_type_code: &str) -> Nature {
        let code = fund_type_code.trim();
        match code.as_bytes().first() {
            Some(b'1') => Nature::Gpb,
            Some(b'2') => Nature::Gfb,
            Some(b'3') => Nature::Soc,
            Some(b'4') => Nature::Biz,
            _ if code.starts_with("51") => Nature::Biz,
            _ if code.starts_with("52") => Nature::Ops,
            _ if code.starts_with("53") => Nature::Sup,
            _ if code.starts_with("54") => Nature::Aff,
            _ => Nature::Oth,
        }
    }

    /// The 财决01 row (`in.gpb` …).
    pub fn income_row(self) -> &'static str {
        match self {
            Nature::Gpb => "in.gpb",
            Nature::Gfb => "in.gfb",
            Nature::Soc => "in.soc",
            Nature::Sup => "in.sup",
            Nature::Biz => "in.biz",
            Nature::Ops => "in.ops",
            Nature::Aff => "in.aff",
            Nature::Oth => "in.oth",
        }
    }

    /// The 财决03 column.
    fn income_col(self) -> &'static str {
        match self {
            Nature::Gpb | Nature::Gfb | Nature::Soc => "fiscal",
            Nature::Sup => "sup",
            Nature::Biz => "biz",
            Nature::Ops => "ops",
            Nature::Aff => "aff",
            Nature::Oth => "oth",
        }
    }

    /// The 财决01-1 column, for fiscal appropriations only.
    fn fiscal_col(self) -> Option<&'static str> {
        match self {
            Nature::Gpb => Some("gpb"),
            Nature::Gfb => Some("gfb"),
            Nature::Soc => Some("soc"),
            _ => None,
        }
    }
}

/// A fen amount from an i128 sum, or the rejection when it leaves `i64`.
pub fn to_fen(sum: i128) -> Result<i64, Rejection> {
    i64::try_from(sum).map_err(|_| Rejection::AmountTooLarge {
        field: "决算金额",
        yuan_max: AMOUNT_MAX_YUAN,
    })
}

/// The rows of a classification path, from the top class down to the leaf: `201` →
/// [`f.201`, `f.201.0`]; `2010101` → [`f.201`, `f.20101`, `f.2010101`]; '' → [`f.none`].
/// Codes longer than the deepest level are cut to it; odd lengths to the level below.
pub fn class_path(prefix: &str, code: &str, levels: &[usize]) -> Vec<String> {
    let code = code.trim();
    if code.is_empty() || !code.is_ascii() || code.len() < levels[0] {
        return vec![format!("{prefix}{UNCLASSIFIED}")];
    }
    let mut path = Vec::with_capacity(levels.len());
    for &level in levels {
        if code.len() >= level {
            path.push(format!("{prefix}{}", &code[..level]));
        } else {
            let last = path.last().cloned().unwrap_or_default();
            path.push(format!("{last}{NOT_REFINED}"));
            break;
        }
    }
    path
}

fn class_label(names: &BTreeMap<String, String>, row_code: &str, what: &str) -> String {
    let code = &row_code[2..];
    if code == UNCLASSIFIED {
        return format!("未填写{what}");
    }
    if code.ends_with(NOT_REFINED) {
        return "未细化到下级科目".to_owned();
    }
    names.get(code).cloned().unwrap_or_else(|| code.to_owned())
}

fn class_level(row_code: &str) -> u8 {
    let code = &row_code[2..];
    match code.strip_suffix(NOT_REFINED) {
        Some(base) => u8::from(base.len() >= 3) + u8::from(base.len() >= 5),
        None => u8::from(code.len() >= 5) + u8::from(code.len() >= 7),
    }
}

/// Cell sums of one table while it is built.
struct Acc {
    def: &'static TableDef,
    rows: BTreeMap<String, Vec<i128>>,
}

impl Acc {
    fn new(def: &'static TableDef) -> Acc {
        let mut rows = BTreeMap::new();
        for spec in def.rows {
            if let RowSpec::Fixed { code, .. } = spec {
                rows.insert((*code).to_owned(), vec![0; def.columns.len()]);
            }
        }
        Acc { def, rows }
    }

    fn add(&mut self, row: &str, col: &str, amount: i128) {
        let Some(index) = col_index(self.def, col) else {
            debug_assert!(false, "{} has no column {col}", self.def.code);
            return;
        };
        let cells = self
            .rows
            .entry(row.to_owned())
            .or_insert_with(|| vec![0; self.def.columns.len()]);
        cells[index] += amount;
    }

    fn add_rows(&mut self, rows: &[String], col: &str, amount: i128) {
        for row in rows {
            self.add(row, col, amount);
        }
    }

    fn finish(self, names: &Names) -> Result<Table, Rejection> {
        let def = self.def;
        let mut rows = Vec::with_capacity(self.rows.len());
        for (code, sums) in self.rows {
            let (label, level) = if let Some(label) = super::tables::fixed_label(def, &code) {
                (label.to_owned(), 0)
            } else if code.starts_with("f.") {
                (
                    class_label(&names.func, &code, "功能分类"),
                    class_level(&code),
                )
            } else if code.starts_with("e.") {
                (
                    class_label(&names.eco, &code, "经济分类"),
                    class_level(&code),
                )
            } else {
                (code.clone(), 0)
            };
            rows.push(Row {
                label,
                level,
                cells: sums.into_iter().map(to_fen).collect::<Result<_, _>>()?,
                code,
            });
        }
        rows.sort_by_key(|row| row_order(def, &row.code));
        Ok(Table {
            code: def.code.to_owned(),
            rows,
        })
    }
}

const FUNC_LEVELS: [usize; 3] = [3, 5, 7];
const ECO_LEVELS: [usize; 2] = [3, 5];

/// The report set of the facts. Account labels come with the book facts.
pub fn compute_set(
    facts: &[Fact],
    books: &[BookFact],
    names: &Names,
) -> Result<ReportSet, Rejection> {
    let [cj01, cj01_1, cj02, cj03, cj04, cj05, cj07, cj08, zcfz] = TABLES.each_ref();
    let mut t01 = Acc::new(cj01);
    let mut t011 = Acc::new(cj01_1);
    let mut t02 = Acc::new(cj02);
    let mut t03 = Acc::new(cj03);
    let mut t04 = Acc::new(cj04);
    let mut t05 = Acc::new(cj05);
    let mut t07 = Acc::new(cj07);
    let mut t08 = Acc::new(cj08);
    let total = [TOTAL_ROW.to_owned()];
    for fact in facts {
        let nature = Nature::of(&fact.fund_type_code);
        let (open, income, expend, close) = (
            i128::from(fact.opening_fen),
            fact.income(),
            i128::from(fact.spent_fen),
            fact.closing(),
        );
        let func = class_path("f.", &fact.exp_func_code, &FUNC_LEVELS);
        let eco = class_path("e.", &fact.dep_bgt_eco_code, &ECO_LEVELS);
        let func_rows = [&total[..], &func[..]].concat();
        let eco_rows = [&total[..], &eco[..]].concat();
        let kind = match (nature, fact.is_project) {
            (Nature::Ops, _) => "ops",
            (_, true) => "project",
            (_, false) => "basic",
        };
        // 财决01
        t01.add(nature.income_row(), "amount", income);
        t01.add("in.total", "amount", income);
        t01.add("open", "amount", open);
        t01.add("in.grand", "amount", income + open);
        t01.add(&func[0], "amount", expend);
        t01.add("ex.total", "amount", expend);
        t01.add("close", "amount", close);
        t01.add("ex.grand", "amount", expend + close);
        // 财决01-1
        if let Some(col) = nature.fiscal_col() {
            for col in [col, "total"] {
                t011.add("in", col, income);
                t011.add("open", col, open);
                t011.add("in.grand", col, income + open);
                t011.add(&func[0], col, expend);
                t011.add("ex.total", col, expend);
                t011.add("close", col, close);
                t011.add("ex.grand", col, expend + close);
            }
        }
        // 财决02, 03, 04, 05
        t02.add_rows(&func_rows, "open", open);
        t02.add_rows(&func_rows, "income", income);
        t02.add_rows(&func_rows, "expend", expend);
        t02.add_rows(&func_rows, "close", close);
        t03.add_rows(&func_rows, "total", income);
        t03.add_rows(&func_rows, nature.income_col(), income);
        for col in ["total", kind] {
            t04.add_rows(&func_rows, col, expend);
            t05.add_rows(&eco_rows, col, expend);
        }
        // 财决07, 08: 一般公共预算财政拨款 only.
        if nature == Nature::Gpb {
            t07.add_rows(&func_rows, "open", open);
            t07.add_rows(&func_rows, "income", income);
            t07.add_rows(&func_rows, "close", close);
            for col in ["expend", kind] {
                t07.add_rows(&func_rows, col, expend);
            }
            for col in ["total", kind] {
                t08.add_rows(&eco_rows, col, expend);
            }
        }
    }
    let mut tables = Vec::with_capacity(TABLES.len());
    for acc in [t01, t011, t02, t03, t04, t05, t07, t08] {
        tables.push(acc.finish(names)?);
    }
    if !books.is_empty() {
        tables.push(balance_sheet(zcfz, books)?);
    }
    Ok(ReportSet { tables })
}

/// 资产负债简表: asset, liability and net-asset accounts at their normal side, the year's
/// surplus (收入 − 费用, not yet closed into 累计盈余) in 净资产.
fn balance_sheet(def: &'static TableDef, books: &[BookFact]) -> Result<Table, Rejection> {
    let mut acc = Acc::new(def);
    let mut labels = BTreeMap::new();
    for fact in books {
        let debit = i128::from(fact.debit_fen) - i128::from(fact.credit_fen);
        let (row, total, amount) = match fact.category.as_str() {
            "资产" => (format!("a.{}", fact.account_code), "a.total", debit),
            "负债" => (format!("l.{}", fact.account_code), "l.total", -debit),
            "净资产" => (format!("n.{}", fact.account_code), "n.total", -debit),
            "收入" | "费用" => ("n.surplus".to_owned(), "n.total", -debit),
            _ => continue,
        };
        labels.insert(row.clone(), fact.account_name.clone());
        acc.add(&row, "amount", amount);
        acc.add(total, "amount", amount);
        if total != "a.total" {
            acc.add("ln.total", "amount", amount);
        }
    }
    let mut table = acc.finish(&Names::default())?;
    for row in &mut table.rows {
        if let Some(label) = labels.get(&row.code).filter(|_| row.code != "n.surplus") {
            row.label.clone_from(label);
        }
    }
    Ok(table)
}
