//! The cross-checks (勾稽审核) a unit's budget must pass before it is submitted: each check
//! says what it compares and, when it fails, every line that breaks it. The 勾稽审核表 page
//! shows this list; submission is refused while any check fails.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{ASSET_ECO_CLASSES, BudgetTables, IncomeKind, Stage, eco_classes_allowed};
use crate::money::Fen;
use crate::project::ProjectCategory;
use crate::rejection::Rejection;

/// At most this many offending lines are named in one check's detail.
const DETAIL_LINES_MAX: usize = 5;

/// What the checks need to know of a project a line names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectFacts {
    pub category: ProjectCategory,
    /// 已入库 (in the reserve pool).
    pub reserved: bool,
    /// The project belongs to the unit itself.
    pub own: bool,
}

/// The context of one unit's cross-check.
#[derive(Clone, Debug)]
pub struct CheckContext {
    pub stage: Stage,
    /// The unit's control number (一下), required in 二上.
    pub control: Option<Fen>,
    /// The projects the lines name, by `pro_code`; a missing one is unknown.
    pub projects: BTreeMap<String, ProjectFacts>,
}

/// One row of the 勾稽审核表.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    pub code: &'static str,
    pub name: &'static str,
    pub ok: bool,
    /// The figures compared, or the lines that break the rule.
    pub detail: String,
}

fn yuan(fen: Fen) -> String {
    fen.to_yuan_string()
}

fn result(
    code: &'static str,
    name: &'static str,
    failures: Vec<String>,
    ok_detail: String,
) -> CheckResult {
    if failures.is_empty() {
        return CheckResult {
            code,
            name,
            ok: true,
            detail: ok_detail,
        };
    }
    let mut detail = failures
        .iter()
        .take(DETAIL_LINES_MAX)
        .cloned()
        .collect::<Vec<_>>()
        .join("；");
    if failures.len() > DETAIL_LINES_MAX {
        detail.push_str(&format!("；等共 {} 处", failures.len()));
    }
    CheckResult {
        code,
        name,
        ok: false,
        detail,
    }
}

/// Runs every check, in the order the 勾稽审核表 lists them.
pub fn cross_check(tables: &BudgetTables, context: &CheckContext) -> Vec<CheckResult> {
    let expense = tables.expense_total();
    let income = tables.income_total();
    let mut results = Vec::new();

    let empty = if tables.expenses.is_empty() {
        vec!["支出预算没有任何明细".to_owned()]
    } else {
        Vec::new()
    };
    results.push(result(
        "expenses_present",
        "支出预算已编制",
        empty,
        format!("{} 行", tables.expenses.len()),
    ));

    let control = match (context.stage, context.control) {
        (Stage::OneUp, _) => CheckResult {
            code: "control_number",
            name: "支出合计等于控制数",
            ok: true,
            detail: "一上阶段不校验控制数".to_owned(),
        },
        (_, None) => result(
            "control_number",
            "支出合计等于控制数",
            vec!["尚未收到控制数（一下）".to_owned()],
            String::new(),
        ),
        (_, Some(control)) => {
            let failures = if control == expense {
                Vec::new()
            } else {
                vec![format!(
                    "支出合计 {} 元，控制数 {} 元，相差 {} 元",
                    yuan(expense),
                    yuan(control),
                    yuan(Fen(expense.0.saturating_sub(control.0)))
                )]
            };
            result(
                "control_number",
                "支出合计等于控制数",
                failures,
                format!("{} 元", yuan(control)),
            )
        }
    };
    results.push(control);

    let balance = if income == expense {
        Vec::new()
    } else {
        vec![format!(
            "收入合计 {} 元，支出合计 {} 元",
            yuan(income),
            yuan(expense)
        )]
    };
    results.push(result(
        "income_balance",
        "收支平衡（收入合计等于支出合计）",
        balance,
        format!("{} 元", yuan(income)),
    ));

    let mut unknown = Vec::new();
    let mut wrong_class = Vec::new();
    for line in &tables.expenses {
        let pro_code = &line.key.pro_code;
        match context.projects.get(pro_code) {
            None => unknown.push(format!("项目 {pro_code} 不在项目库中")),
            Some(facts) if !facts.own => unknown.push(format!("项目 {pro_code} 不属于本单位")),
            Some(facts) if !facts.reserved => unknown.push(format!("项目 {pro_code} 尚未入库")),
            Some(facts) => {
                let class = line.key.dep_bgt_eco_code.get(..3).unwrap_or("");
                if !eco_classes_allowed(facts.category).contains(&class) {
                    wrong_class.push(format!(
                        "{}类项目 {pro_code} 不能使用经济分类 {}",
                        facts.category.label(),
                        line.key.dep_bgt_eco_code
                    ));
                }
            }
        }
    }
    unknown.dedup();
    results.push(result(
        "projects_reserved",
        "项目均已入库且属于本单位",
        unknown,
        String::new(),
    ));
    results.push(result(
        "eco_class_allowed",
        "经济分类符合项目类别",
        wrong_class,
        String::new(),
    ));

    let non_tax_income = Fen::sum(
        tables
            .incomes
            .iter()
            .filter(|line| line.kind == IncomeKind::NonTax)
            .map(|line| line.amount),
    )
    .unwrap_or(Fen::ZERO);
    let non_tax_plan = Fen::sum(tables.non_tax.iter().map(|line| line.amount)).unwrap_or(Fen::ZERO);
    let non_tax = if non_tax_income == non_tax_plan {
        Vec::new()
    } else {
        vec![format!(
            "非税收入 {} 元，非税征收计划合计 {} 元",
            yuan(non_tax_income),
            yuan(non_tax_plan)
        )]
    };
    results.push(result(
        "non_tax_plan",
        "非税征收计划合计等于非税收入",
        non_tax,
        format!("{} 元", yuan(non_tax_plan)),
    ));

    let mut procurement_budget: BTreeMap<&str, Fen> = BTreeMap::new();
    let mut capital_budget: BTreeMap<&str, Fen> = BTreeMap::new();
    for line in &tables.expenses {
        let pro_code = line.key.pro_code.as_str();
        if line.is_gov_pur {
            let total = procurement_budget.entry(pro_code).or_default();
            *total = Fen(total.0.saturating_add(line.amount.0));
        }
        if ASSET_ECO_CLASSES.contains(&line.key.dep_bgt_eco_code.get(..3).unwrap_or("")) {
            let total = capital_budget.entry(pro_code).or_default();
            *total = Fen(total.0.saturating_add(line.amount.0));
        }
    }
    let covered = |lines: Vec<(&str, Fen)>, budget: &BTreeMap<&str, Fen>, what: &str| {
        let mut planned: BTreeMap<&str, Fen> = BTreeMap::new();
        for (pro_code, amount) in lines {
            let total = planned.entry(pro_code).or_default();
            *total = Fen(total.0.saturating_add(amount.0));
        }
        planned
            .into_iter()
            .filter_map(|(pro_code, amount)| {
                let room = budget.get(pro_code).copied().unwrap_or(Fen::ZERO);
                (amount > room).then(|| {
                    format!(
                        "项目 {pro_code} 的{what} {} 元超过可用预算 {} 元",
                        yuan(amount),
                        yuan(room)
                    )
                })
            })
            .collect::<Vec<_>>()
    };
    results.push(result(
        "procurement_covered",
        "政府采购预算有对应的政府采购支出",
        covered(
            tables
                .procurement
                .iter()
                .map(|line| (line.pro_code.as_str(), line.amount))
                .collect(),
            &procurement_budget,
            "政府采购预算",
        ),
        format!("{} 行", tables.procurement.len()),
    ));
    results.push(result(
        "asset_covered",
        "资产购置计划有对应的资本性支出",
        covered(
            tables
                .assets
                .iter()
                .map(|line| (line.pro_code.as_str(), line.amount))
                .collect(),
            &capital_budget,
            "资产购置计划",
        ),
        format!("{} 行", tables.assets.len()),
    ));
    results
}

/// Refuses a submission while any check fails, naming the first failure.
pub fn require_passed(results: &[CheckResult]) -> Result<(), Rejection> {
    let failed: Vec<&CheckResult> = results.iter().filter(|result| !result.ok).collect();
    match failed.first() {
        None => Ok(()),
        Some(first) => Err(Rejection::BudgetChecksFailed {
            failed: failed.len(),
            first: format!("{}：{}", first.name, first.detail),
        }),
    }
}
