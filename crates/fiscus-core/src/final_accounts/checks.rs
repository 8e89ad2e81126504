//! The checks of a report set: 表内 (inside one table: totals equal the sum of their items,
//! opening + income − expenditure = closing, a parent class equals its children) and 表间
//! (between tables: 财决01 totals equal 财决02/03/04's, 01-1 equals 07 for 一般公共预算,
//! 05 equals 04, 08 equals 07). Each rule has a stable code; each failure is a Chinese
//! sentence naming the table, row and column of both sides and both amounts in 元.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::final_accounts::tables::{INCOME_ROWS, TOTAL_ROW, parent_row, table_def};
use crate::final_accounts::{ReportSet, Table};
use crate::money::Fen;

/// 表内 or 表间.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    InTable,
    CrossTable,
}

impl CheckKind {
    pub fn label(self) -> &'static str {
        match self {
            CheckKind::InTable => "表内",
            CheckKind::CrossTable => "表间",
        }
    }
}

/// One rule and what failed under it (nothing when it passed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleResult {
    pub code: &'static str,
    pub kind: CheckKind,
    pub title: &'static str,
    pub failures: Vec<String>,
}

/// Every rule applied to one set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    pub rules: Vec<RuleResult>,
}

impl CheckReport {
    /// How many failures, over all rules.
    pub fn n_failed(&self) -> usize {
        self.rules.iter().map(|rule| rule.failures.len()).sum()
    }

    pub fn passed(&self) -> bool {
        self.n_failed() == 0
    }

    /// The first failure as `code：message`, for the rejection of a submission.
    pub fn first_failure(&self) -> Option<String> {
        self.rules.iter().find_map(|rule| {
            rule.failures
                .first()
                .map(|message| format!("[{}] {message}", rule.code))
        })
    }
}

struct Ctx<'a> {
    set: &'a ReportSet,
    rules: Vec<RuleResult>,
}

fn yuan(fen: i128) -> String {
    i64::try_from(fen).map_or_else(|_| format!("{fen} 分"), |fen| Fen(fen).to_yuan_string())
}

impl<'a> Ctx<'a> {
    fn cell(&self, table: &str, row: &str, col: &str) -> i128 {
        i128::from(self.set.cell(table, row, col))
    }

    /// `财决01「本年收入合计」行「决算数」列`.
    fn desc(&self, table: &str, row: &str, col: &str) -> String {
        let Some(def) = table_def(table) else {
            return format!("{table}/{row}/{col}");
        };
        let row_label = self
            .set
            .table(table)
            .and_then(|t| t.row(row))
            .map(|r| r.label.clone())
            .or_else(|| super::tables::fixed_label(def, row).map(str::to_owned))
            .unwrap_or_default();
        let row_text = match row.split_at_checked(2) {
            Some(("f." | "e." | "a." | "l." | "n.", code))
                if !row.contains("total") && row != "n.surplus" =>
            {
                format!("{code} {row_label}")
            }
            _ => row_label,
        };
        let col_label = def
            .columns
            .iter()
            .find(|c| c.code == col)
            .map_or(col, |c| c.label);
        format!("{}「{row_text}」行「{col_label}」列", def.number)
    }

    fn rule(&mut self, code: &'static str, kind: CheckKind, title: &'static str) -> usize {
        self.rules.push(RuleResult {
            code,
            kind,
            title,
            failures: Vec::new(),
        });
        self.rules.len() - 1
    }

    /// Records a failure when `cell(left)` differs from `right_fen`, described by `right`.
    fn expect(&mut self, rule: usize, left: (&str, &str, &str), right_fen: i128, right: String) {
        let left_fen = self.cell(left.0, left.1, left.2);
        if left_fen != right_fen {
            let message = format!(
                "{} 为 {} 元，应等于{} {} 元，相差 {} 元",
                self.desc(left.0, left.1, left.2),
                yuan(left_fen),
                right,
                yuan(right_fen),
                yuan(left_fen - right_fen)
            );
            self.rules[rule].failures.push(message);
        }
    }

    fn expect_cell(&mut self, rule: usize, left: (&str, &str, &str), right: (&str, &str, &str)) {
        let right_fen = self.cell(right.0, right.1, right.2);
        let right_desc = self.desc(right.0, right.1, right.2);
        self.expect(rule, left, right_fen, right_desc);
    }

    fn sum(&self, table: &str, rows: &[&str], col: &str) -> (i128, String) {
        let fen = rows.iter().map(|row| self.cell(table, row, col)).sum();
        let labels: Vec<String> = rows
            .iter()
            .map(|row| {
                let def = table_def(table);
                self.set
                    .table(table)
                    .and_then(|t| t.row(row))
                    .map(|r| r.label.clone())
                    .or_else(|| {
                        def.and_then(|def| super::tables::fixed_label(def, row))
                            .map(str::to_owned)
                    })
                    .unwrap_or_else(|| (*row).to_owned())
            })
            .collect();
        (fen, format!("「{}」之和", labels.join("」「")))
    }

    fn sum_cols(&self, table: &str, row: &str, cols: &[&str]) -> (i128, String) {
        let fen = cols.iter().map(|col| self.cell(table, row, col)).sum();
        let labels: Vec<&str> = cols
            .iter()
            .map(|col| {
                table_def(table)
                    .and_then(|def| def.columns.iter().find(|c| c.code == *col))
                    .map_or(*col, |c| c.label)
            })
            .collect();
        (fen, format!("本行「{}」列之和", labels.join("」「")))
    }
}

fn class_rows(table: Option<&Table>) -> Vec<String> {
    table.map_or_else(Vec::new, |t| {
        t.rows
            .iter()
            .filter(|r| r.code.starts_with("f.") || r.code.starts_with("e."))
            .map(|r| r.code.clone())
            .collect()
    })
}

fn top_class_rows(table: Option<&Table>) -> Vec<String> {
    class_rows(table)
        .into_iter()
        .filter(|code| parent_row(code).is_none())
        .collect()
}

/// The classification tables: (table, tree rule, its title, column rule, its title).
const TREE_RULES: [(&str, &str, &str, &str, &str); 6] = [
    (
        "cj02",
        "cj02_tree",
        "财决02 上级科目等于下级科目之和，合计等于各类之和",
        "",
        "",
    ),
    (
        "cj03",
        "cj03_tree",
        "财决03 上级科目等于下级科目之和，合计等于各类之和",
        "cj03_columns",
        "财决03 本年收入合计等于各项收入之和",
    ),
    (
        "cj04",
        "cj04_tree",
        "财决04 上级科目等于下级科目之和，合计等于各类之和",
        "cj04_columns",
        "财决04 本年支出合计等于基本、项目、经营支出之和",
    ),
    (
        "cj05",
        "cj05_tree",
        "财决05 上级科目等于下级科目之和，合计等于各类之和",
        "cj05_columns",
        "财决05 本年支出合计等于基本、项目、经营支出之和",
    ),
    (
        "cj07",
        "cj07_tree",
        "财决07 上级科目等于下级科目之和，合计等于各类之和",
        "cj07_columns",
        "财决07 本年支出合计等于基本支出与项目支出之和",
    ),
    (
        "cj08",
        "cj08_tree",
        "财决08 上级科目等于下级科目之和，合计等于各类之和",
        "cj08_columns",
        "财决08 合计等于基本支出与项目支出之和",
    ),
];

/// Applies every rule to `set`.
pub fn check_set(set: &ReportSet) -> CheckReport {
    let mut ctx = Ctx {
        set,
        rules: Vec::new(),
    };
    in_table_01(&mut ctx);
    for (table, rule_tree, title_tree, rule_cols, title_cols) in TREE_RULES {
        tree(&mut ctx, table, rule_tree, title_tree);
        if !rule_cols.is_empty() {
            columns(&mut ctx, table, rule_cols, title_cols);
        }
    }
    identity(
        &mut ctx,
        "cj02",
        "cj02_identity",
        "财决02 年初结转和结余加本年收入减本年支出等于年末结转和结余",
    );
    identity(
        &mut ctx,
        "cj07",
        "cj07_identity",
        "财决07 年初结转和结余加本年收入减本年支出等于年末结转和结余",
    );
    balance_sheet(&mut ctx);
    cross_tables(&mut ctx);
    CheckReport { rules: ctx.rules }
}

fn in_table_01(ctx: &mut Ctx<'_>) {
    let rule = ctx.rule(
        "cj01_income_total",
        CheckKind::InTable,
        "财决01 本年收入合计等于各项收入之和",
    );
    let items: Vec<&str> = INCOME_ROWS.iter().map(|(code, _)| *code).collect();
    let (fen, text) = ctx.sum("cj01", &items, "amount");
    ctx.expect(rule, ("cj01", "in.total", "amount"), fen, text);
    let rule = ctx.rule(
        "cj01_expend_total",
        CheckKind::InTable,
        "财决01 本年支出合计等于各功能分类支出之和",
    );
    let classes = top_class_rows(ctx.set.table("cj01"));
    let refs: Vec<&str> = classes.iter().map(String::as_str).collect();
    let (fen, text) = ctx.sum("cj01", &refs, "amount");
    ctx.expect(rule, ("cj01", "ex.total", "amount"), fen, text);
    let rule = ctx.rule(
        "cj01_grand",
        CheckKind::InTable,
        "财决01 收入总计、支出总计及其平衡",
    );
    grand_totals(ctx, rule, "cj01", "in.total", "amount");
    let rule = ctx.rule(
        "cj01_1_columns",
        CheckKind::InTable,
        "财决01-1 合计等于三类财政拨款之和",
    );
    let rows: Vec<String> = ctx.set.table("cj01_1").map_or_else(Vec::new, |t| {
        t.rows.iter().map(|r| r.code.clone()).collect()
    });
    for row in &rows {
        let (fen, text) = ctx.sum_cols("cj01_1", row, &["gpb", "gfb", "soc"]);
        ctx.expect(rule, ("cj01_1", row, "total"), fen, text);
    }
    let rule = ctx.rule(
        "cj01_1_totals",
        CheckKind::InTable,
        "财决01-1 收入总计、支出总计及其平衡",
    );
    for col in ["total", "gpb", "gfb", "soc"] {
        grand_totals(ctx, rule, "cj01_1", "in", col);
        let classes = top_class_rows(ctx.set.table("cj01_1"));
        let refs: Vec<&str> = classes.iter().map(String::as_str).collect();
        let (fen, text) = ctx.sum("cj01_1", &refs, col);
        ctx.expect(rule, ("cj01_1", "ex.total", col), fen, text);
    }
}

/// 收入总计 = 本年收入 + 年初; 支出总计 = 本年支出 + 年末; 收入总计 = 支出总计.
fn grand_totals(ctx: &mut Ctx<'_>, rule: usize, table: &str, income_row: &str, col: &str) {
    let (fen, text) = ctx.sum(table, &[income_row, "open"], col);
    ctx.expect(rule, (table, "in.grand", col), fen, text);
    let (fen, text) = ctx.sum(table, &["ex.total", "close"], col);
    ctx.expect(rule, (table, "ex.grand", col), fen, text);
    ctx.expect_cell(rule, (table, "in.grand", col), (table, "ex.grand", col));
}

/// A parent class equals the sum of its children; 合计 the sum of the top classes.
fn tree(ctx: &mut Ctx<'_>, table: &str, code: &'static str, title: &'static str) {
    let rule = ctx.rule(code, CheckKind::InTable, title);
    let Some(def) = table_def(table) else { return };
    let rows = class_rows(ctx.set.table(table));
    let mut parents: BTreeSet<String> = rows.iter().filter_map(|row| parent_row(row)).collect();
    parents.insert(TOTAL_ROW.to_owned());
    for parent in &parents {
        let children: Vec<&str> = rows
            .iter()
            .filter(|row| match parent_row(row) {
                Some(p) => &p == parent,
                None => parent == TOTAL_ROW,
            })
            .map(String::as_str)
            .collect();
        for col in def.columns {
            let (fen, text) = ctx.sum(table, &children, col.code);
            ctx.expect(rule, (table, parent, col.code), fen, text);
        }
    }
}

fn columns(ctx: &mut Ctx<'_>, table: &str, code: &'static str, title: &'static str) {
    let rule = ctx.rule(code, CheckKind::InTable, title);
    let (total, parts): (&str, &[&str]) = match table {
        "cj03" => ("total", &["fiscal", "sup", "biz", "ops", "aff", "oth"]),
        "cj04" | "cj05" => ("total", &["basic", "project", "ops"]),
        "cj07" => ("expend", &["basic", "project"]),
        _ => ("total", &["basic", "project"]),
    };
    let rows: Vec<String> = ctx.set.table(table).map_or_else(Vec::new, |t| {
        t.rows.iter().map(|r| r.code.clone()).collect()
    });
    for row in &rows {
        let (fen, text) = ctx.sum_cols(table, row, parts);
        ctx.expect(rule, (table, row, total), fen, text);
    }
}

/// 年初结转和结余 + 本年收入 − 本年支出 = 年末结转和结余, row by row.
fn identity(ctx: &mut Ctx<'_>, table: &str, code: &'static str, title: &'static str) {
    let rule = ctx.rule(code, CheckKind::InTable, title);
    let expend = "expend";
    let rows: Vec<String> = ctx.set.table(table).map_or_else(Vec::new, |t| {
        t.rows.iter().map(|r| r.code.clone()).collect()
    });
    for row in &rows {
        let fen = ctx.cell(table, row, "open") + ctx.cell(table, row, "income")
            - ctx.cell(table, row, expend);
        ctx.expect(
            rule,
            (table, row, "close"),
            fen,
            "本行年初结转和结余加本年收入减本年支出".to_owned(),
        );
    }
}

fn balance_sheet(ctx: &mut Ctx<'_>) {
    let Some(table) = ctx.set.table("zcfz") else {
        return;
    };
    let codes: Vec<String> = table.rows.iter().map(|r| r.code.clone()).collect();
    let rule = ctx.rule(
        "zcfz_totals",
        CheckKind::InTable,
        "资产负债简表 各合计等于其项目之和",
    );
    for (total, prefix) in [("a.total", "a."), ("l.total", "l."), ("n.total", "n.")] {
        let items: Vec<&str> = codes
            .iter()
            .filter(|c| c.starts_with(prefix) && !c.ends_with("total"))
            .map(String::as_str)
            .collect();
        let (fen, text) = ctx.sum("zcfz", &items, "amount");
        ctx.expect(rule, ("zcfz", total, "amount"), fen, text);
    }
    let (fen, text) = ctx.sum("zcfz", &["l.total", "n.total"], "amount");
    ctx.expect(rule, ("zcfz", "ln.total", "amount"), fen, text);
    let rule = ctx.rule(
        "zcfz_balance",
        CheckKind::InTable,
        "资产负债简表 资产合计等于负债和净资产总计",
    );
    ctx.expect_cell(
        rule,
        ("zcfz", "a.total", "amount"),
        ("zcfz", "ln.total", "amount"),
    );
}

fn cross_tables(ctx: &mut Ctx<'_>) {
    let x = CheckKind::CrossTable;
    let rule = ctx.rule("x01_03_income", x, "财决01 本年收入合计等于财决03 合计");
    ctx.expect_cell(
        rule,
        ("cj01", "in.total", "amount"),
        ("cj03", TOTAL_ROW, "total"),
    );
    let rule = ctx.rule(
        "x01_02_balances",
        x,
        "财决01 年初、年末结转和结余及本年支出等于财决02 合计",
    );
    ctx.expect_cell(
        rule,
        ("cj01", "open", "amount"),
        ("cj02", TOTAL_ROW, "open"),
    );
    ctx.expect_cell(
        rule,
        ("cj01", "close", "amount"),
        ("cj02", TOTAL_ROW, "close"),
    );
    ctx.expect_cell(
        rule,
        ("cj01", "ex.total", "amount"),
        ("cj02", TOTAL_ROW, "expend"),
    );
    let rule = ctx.rule("x01_04_expend", x, "财决01 各功能分类支出及合计等于财决04");
    ctx.expect_cell(
        rule,
        ("cj01", "ex.total", "amount"),
        ("cj04", TOTAL_ROW, "total"),
    );
    let mut classes: BTreeSet<String> = top_class_rows(ctx.set.table("cj01")).into_iter().collect();
    classes.extend(top_class_rows(ctx.set.table("cj04")));
    for class in &classes {
        ctx.expect_cell(rule, ("cj01", class, "amount"), ("cj04", class, "total"));
    }
    let rule = ctx.rule(
        "x01_011_fiscal",
        x,
        "财决01 三类财政拨款收入等于财决01-1 本年收入",
    );
    for (row, col) in [("in.gpb", "gpb"), ("in.gfb", "gfb"), ("in.soc", "soc")] {
        ctx.expect_cell(rule, ("cj01", row, "amount"), ("cj01_1", "in", col));
    }
    let rule = ctx.rule(
        "x011_07_gpb",
        x,
        "财决01-1 一般公共预算财政拨款等于财决07 合计",
    );
    for (row, col) in [
        ("in", "income"),
        ("open", "open"),
        ("ex.total", "expend"),
        ("close", "close"),
    ] {
        ctx.expect_cell(rule, ("cj01_1", row, "gpb"), ("cj07", TOTAL_ROW, col));
    }
    let rule = ctx.rule("x03_02_income", x, "财决03 各功能分类本年收入等于财决02");
    let mut rows: BTreeSet<String> = class_rows(ctx.set.table("cj03")).into_iter().collect();
    rows.extend(class_rows(ctx.set.table("cj02")));
    rows.insert(TOTAL_ROW.to_owned());
    for row in &rows {
        ctx.expect_cell(rule, ("cj03", row, "total"), ("cj02", row, "income"));
    }
    let rule = ctx.rule("x05_04_total", x, "财决05 合计等于财决04 合计");
    for col in ["total", "basic", "project", "ops"] {
        ctx.expect_cell(rule, ("cj05", TOTAL_ROW, col), ("cj04", TOTAL_ROW, col));
    }
    let rule = ctx.rule("x08_07_total", x, "财决08 合计等于财决07 本年支出");
    for (left, right) in [
        ("total", "expend"),
        ("basic", "basic"),
        ("project", "project"),
    ] {
        ctx.expect_cell(rule, ("cj08", TOTAL_ROW, left), ("cj07", TOTAL_ROW, right));
    }
}
