//! Rules of budget compilation: stage moves, field rules, every cross-check passing and
//! failing, the version diff and the adjustment rules.

use std::collections::BTreeMap;

use super::adjust::{AdjustKind, AdjustLeg, Adjustment, NewLine};
use super::checks::{CheckContext, ProjectFacts, cross_check, require_passed};
use super::*;

fn key(pro_code: &str, eco: &str) -> LineKey {
    LineKey {
        pro_code: pro_code.into(),
        exp_func_code: "2010101".into(),
        gov_bgt_eco_code: "50501".into(),
        dep_bgt_eco_code: eco.into(),
        fund_type_code: "11".into(),
    }
}

fn line(pro_code: &str, eco: &str, fen: i64) -> ExpenseLine {
    ExpenseLine {
        key: key(pro_code, eco),
        amount: Fen(fen),
        is_gov_pur: false,
        remark: String::new(),
    }
}

fn tables() -> BudgetTables {
    BudgetTables {
        expenses: vec![
            line("R1", "30101", 600),
            line("Y1", "30201", 300),
            ExpenseLine {
                is_gov_pur: true,
                ..line("P1", "31002", 100)
            },
        ],
        incomes: vec![
            IncomeLine {
                kind: IncomeKind::Appropriation,
                fund_type_code: "11".into(),
                amount: Fen(950),
                remark: String::new(),
            },
            IncomeLine {
                kind: IncomeKind::NonTax,
                fund_type_code: "11".into(),
                amount: Fen(50),
                remark: String::new(),
            },
        ],
        non_tax: vec![NonTaxLine {
            item_code: "103040101".into(),
            item_name: "行政事业性收费".into(),
            amount: Fen(50),
        }],
        procurement: vec![ProcurementLine {
            pro_code: "P1".into(),
            item_code: "A02010104".into(),
            item_name: "台式计算机".into(),
            quantity: 2,
            amount: Fen(100),
        }],
        assets: vec![AssetLine {
            pro_code: "P1".into(),
            asset_class: "2010104".into(),
            asset_name: "台式计算机".into(),
            quantity: 2,
            unit_price: Fen(50),
            amount: Fen(100),
        }],
    }
}

fn context(control: Option<i64>) -> CheckContext {
    let facts = |category| ProjectFacts {
        category,
        reserved: true,
        own: true,
    };
    CheckContext {
        stage: Stage::TwoUp,
        control: control.map(Fen),
        projects: BTreeMap::from([
            ("R1".to_owned(), facts(ProjectCategory::Personnel)),
            ("Y1".to_owned(), facts(ProjectCategory::Operation)),
            ("P1".to_owned(), facts(ProjectCategory::SpecificTarget)),
        ]),
    }
}

fn failed(tables: &BudgetTables, context: &CheckContext) -> Vec<&'static str> {
    cross_check(tables, context)
        .into_iter()
        .filter(|result| !result.ok)
        .map(|result| result.code)
        .collect()
}

#[test]
fn a_balanced_budget_passes_every_check() {
    let results = cross_check(&tables(), &context(Some(1000)));
    assert_eq!(results.len(), 8);
    assert!(results.iter().all(|result| result.ok), "{results:?}");
    assert_eq!(require_passed(&results), Ok(()));
}

#[test]
fn each_check_fails_on_its_own_fault() {
    let base = tables();
    let cases: Vec<(&str, BudgetTables, CheckContext)> = vec![
        ("control_number", base.clone(), context(Some(999))),
        ("control_number", base.clone(), context(None)),
        (
            "income_balance",
            BudgetTables {
                incomes: base.incomes[..1].to_vec(),
                non_tax: Vec::new(),
                ..base.clone()
            },
            context(Some(1000)),
        ),
        (
            "projects_reserved",
            base.clone(),
            CheckContext {
                projects: context(None)
                    .projects
                    .into_iter()
                    .filter(|(code, _)| code != "Y1")
                    .collect(),
                ..context(Some(1000))
            },
        ),
        (
            "eco_class_allowed",
            BudgetTables {
                expenses: vec![
                    line("R1", "30201", 600),
                    line("Y1", "30201", 300),
                    ExpenseLine {
                        is_gov_pur: true,
                        ..line("P1", "31002", 100)
                    },
                ],
                ..base.clone()
            },
            context(Some(1000)),
        ),
        (
            "non_tax_plan",
            BudgetTables {
                non_tax: Vec::new(),
                ..base.clone()
            },
            context(Some(1000)),
        ),
        (
            "procurement_covered",
            BudgetTables {
                expenses: vec![
                    line("R1", "30101", 600),
                    line("Y1", "30201", 300),
                    line("P1", "31002", 100),
                ],
                ..base.clone()
            },
            context(Some(1000)),
        ),
        (
            "asset_covered",
            BudgetTables {
                expenses: vec![
                    line("R1", "30101", 600),
                    line("Y1", "30201", 300),
                    ExpenseLine {
                        is_gov_pur: true,
                        ..line("P1", "30201", 100)
                    },
                ],
                ..base.clone()
            },
            context(Some(1000)),
        ),
    ];
    for (expected, tables, context) in cases {
        let failed = failed(&tables, &context);
        assert_eq!(failed, vec![expected], "{expected}");
        let rejection = require_passed(&cross_check(&tables, &context));
        assert!(
            matches!(
                rejection,
                Err(Rejection::BudgetChecksFailed { failed: 1, .. })
            ),
            "{expected}: {rejection:?}"
        );
    }
}

#[test]
fn one_up_does_not_check_the_control_number() {
    let context = CheckContext {
        stage: Stage::OneUp,
        ..context(None)
    };
    assert!(failed(&tables(), &context).is_empty());
}

#[test]
fn field_rules() {
    let mut duplicate = tables();
    duplicate.expenses.push(line("R1", "30101", 1));
    assert!(matches!(
        duplicate.checked(),
        Err(Rejection::DuplicateCode { .. })
    ));
    let mut negative = tables();
    negative.expenses[0].amount = Fen(-1);
    assert!(matches!(
        negative.checked(),
        Err(Rejection::AmountNegative { .. })
    ));
    let mut bad_code = tables();
    bad_code.expenses[0].key.exp_func_code = "20101-01".into();
    assert!(matches!(
        bad_code.checked(),
        Err(Rejection::FieldInvalid { .. })
    ));
    let mut bad_asset = tables();
    bad_asset.assets[0].amount = Fen(99);
    assert!(matches!(
        bad_asset.checked(),
        Err(Rejection::FieldInvalid {
            field: "购置金额",
            ..
        })
    ));
    let mut trimmed = tables();
    trimmed.expenses[0].key.pro_code = " R1 ".into();
    assert_eq!(
        trimmed
            .checked()
            .map(|t| t.expenses[0].key.pro_code.clone()),
        Ok("R1".to_owned())
    );
}

#[test]
fn stage_moves() {
    use SheetMove::*;
    use SheetStatus::*;
    let cases = [
        (Edit, Stage::OneUp, Draft, true),
        (Edit, Stage::TwoUp, Submitted, false),
        (Edit, Stage::Approved, Draft, false),
        (Submit, Stage::TwoUp, Draft, true),
        (OpenTwoUp, Stage::OneUp, Reviewed, true),
        (OpenTwoUp, Stage::OneUp, Submitted, false),
        (OpenTwoUp, Stage::TwoUp, Draft, false),
        (Approve, Stage::TwoUp, Reviewed, true),
        (Approve, Stage::TwoUp, Submitted, false),
        (PreRelease, Stage::TwoUp, Submitted, true),
        (PreRelease, Stage::Approved, Reviewed, false),
    ];
    for (action, stage, status, ok) in cases {
        assert_eq!(
            action.check(stage, status).is_ok(),
            ok,
            "{action:?} {stage:?} {status:?}"
        );
    }
}

#[test]
fn diff_names_each_changed_number() {
    let old = tables();
    let mut new = tables();
    new.expenses[0].amount = Fen(700);
    new.expenses.remove(1);
    new.expenses.push(line("P1", "30201", 5));
    let changes = diff::diff(&old, &new);
    let kinds: Vec<(&str, &str)> = changes
        .iter()
        .map(|change| (change.entity, change.change_kind))
        .collect();
    assert_eq!(
        kinds,
        vec![("line", "changed"), ("line", "removed"), ("line", "added")]
    );
    assert_eq!(changes[0].old_fen, Some(Fen(600)));
    assert_eq!(changes[0].new_fen, Some(Fen(700)));
    assert!(diff::diff(&old, &old).is_empty());
}

fn leg(id: &str, delta: i64) -> AdjustLeg {
    AdjustLeg {
        bgt_pman_id: Some(id.into()),
        new_line: None,
        delta: Fen(delta),
    }
}

fn adjustment(kind: AdjustKind, legs: Vec<AdjustLeg>) -> Adjustment {
    Adjustment {
        kind,
        fiscal_year: 2027,
        doc_no: String::new(),
        reason: "年中调整".into(),
        legs,
    }
}

#[test]
fn adjustment_rules() {
    use AdjustKind::*;
    let new_line = AdjustLeg {
        bgt_pman_id: None,
        new_line: Some(NewLine {
            agency_code: "660101001".into(),
            key: key("P2", "30201"),
            is_gov_pur: false,
        }),
        delta: Fen(30),
    };
    let ok = [
        adjustment(Supplement, vec![leg("a", 10), new_line.clone()]),
        adjustment(Cut, vec![leg("a", -10)]),
        adjustment(Reallocate, vec![leg("a", -30), new_line.clone()]),
    ];
    for adjustment in ok {
        assert!(adjustment.checked().is_ok(), "{adjustment:?}");
    }
    let bad = [
        adjustment(Supplement, vec![leg("a", -10)]),
        adjustment(Cut, vec![leg("a", 10)]),
        adjustment(Reallocate, vec![leg("a", -10), leg("b", 9)]),
        adjustment(Reallocate, vec![leg("a", 10)]),
        adjustment(Supplement, vec![leg("a", 10), leg("a", 5)]),
        adjustment(Supplement, vec![]),
        adjustment(
            Cut,
            vec![AdjustLeg {
                delta: Fen(-5),
                ..new_line.clone()
            }],
        ),
    ];
    for adjustment in bad {
        assert!(
            matches!(
                adjustment.checked(),
                Err(Rejection::AdjustmentInvalid { .. })
            ),
            "{adjustment:?}"
        );
    }
    assert_eq!(
        adjustment(Formal, vec![leg("a", 10)]).checked(),
        Err(Rejection::FieldRequired {
            field: "调整文号"
        })
    );
    assert_eq!(
        adjustment(Supplement, vec![leg("a", 0)]).checked(),
        Err(Rejection::AmountNotPositive {
            field: "调整金额"
        })
    );
    let reallocate = adjustment(Reallocate, vec![leg("a", -30), new_line]);
    assert_eq!(reallocate.gross(), Fen(30));
    assert_eq!(reallocate.net(), Some(Fen::ZERO));
}
