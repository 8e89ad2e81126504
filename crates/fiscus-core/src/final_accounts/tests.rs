//! Tests of the final-accounts computation, checks and consolidation.

use super::compute::class_path;
use super::*;

fn fact(func: &str, eco: &str, fund: &str, project: bool, total: i64, spent: i64) -> Fact {
    Fact {
        exp_func_code: func.into(),
        dep_bgt_eco_code: eco.into(),
        fund_type_code: fund.into(),
        is_project: project,
        total_fen: total,
        spent_fen: spent,
        ..Fact::default()
    }
}

fn unit_a() -> Vec<Fact> {
    vec![
        fact("2010101", "30101", "111", false, 100_000, 60_000),
        fact("2010101", "30201", "111", true, 50_000, 50_000),
        Fact {
            opening_fen: 20_000,
            carry_out_fen: 5_000,
            lapse_out_fen: 1_000,
            ..fact("2050201", "302", "21", true, 30_000, 24_000)
        },
    ]
}

fn unit_b() -> Vec<Fact> {
    vec![
        fact("20502", "", "111", false, 40_000, 10_000),
        fact("", "310", "52", false, 7_000, 7_000),
    ]
}

fn set_of(facts: &[Fact]) -> ReportSet {
    compute_set(facts, &[], &Names::default()).unwrap_or_else(|e| panic!("{e:?}"))
}

#[test]
fn class_paths() {
    let levels = [3, 5, 7];
    assert_eq!(
        class_path("f.", "2010101", &levels),
        ["f.201", "f.20101", "f.2010101"]
    );
    assert_eq!(
        class_path("f.", "20101", &levels),
        ["f.201", "f.20101", "f.20101.0"]
    );
    assert_eq!(class_path("f.", "201", &levels), ["f.201", "f.201.0"]);
    assert_eq!(class_path("f.", "", &levels), ["f.none"]);
    assert_eq!(
        class_path("f.", "201010101", &levels),
        ["f.201", "f.20101", "f.2010101"]
    );
    assert_eq!(tables::parent_row("f.20101.0").as_deref(), Some("f.20101"));
    assert_eq!(tables::parent_row("e.30101").as_deref(), Some("e.301"));
    assert_eq!(tables::parent_row("f.201"), None);
}

#[test]
fn the_tables_hold_the_facts_and_the_checks_pass() {
    let set = set_of(&unit_a());
    // Income = total + carry-out + lapse − opening: 100 000 + 50 000 + (30 000 + 6 000 − 20 000).
    assert_eq!(set.cell("cj01", "in.gpb", "amount"), 150_000);
    assert_eq!(set.cell("cj01", "in.gfb", "amount"), 16_000);
    assert_eq!(set.cell("cj01", "in.total", "amount"), 166_000);
    assert_eq!(set.cell("cj01", "open", "amount"), 20_000);
    assert_eq!(set.cell("cj01", "ex.total", "amount"), 134_000);
    assert_eq!(set.cell("cj01", "f.201", "amount"), 110_000);
    // Closing: open balances 40 000 + 0, plus carry 5 000 and lapse 1 000 + open 0.
    assert_eq!(set.cell("cj01", "close", "amount"), 40_000 + 12_000);
    assert_eq!(
        set.cell("cj01", "ex.grand", "amount"),
        set.cell("cj01", "in.grand", "amount")
    );
    assert_eq!(set.cell("cj04", "total", "basic"), 60_000);
    assert_eq!(set.cell("cj04", "total", "project"), 74_000);
    assert_eq!(set.cell("cj04", "f.20101", "total"), 110_000);
    assert_eq!(set.cell("cj05", "e.302.0", "project"), 24_000);
    assert_eq!(set.cell("cj07", "total", "expend"), 110_000);
    assert_eq!(set.cell("cj08", "e.301", "basic"), 60_000);
    assert_eq!(set.cell("cj01_1", "in", "gfb"), 16_000);
    let report = check_set(&set);
    assert!(report.passed(), "{:#?}", report);
    assert!(report.rules.len() > 15);
}

#[test]
fn a_corrupted_cell_fails_its_checks_with_both_amounts() {
    let mut set = set_of(&unit_a());
    let table = set
        .tables
        .iter_mut()
        .find(|t| t.code == "cj03")
        .unwrap_or_else(|| unreachable!());
    let row = table
        .rows
        .iter_mut()
        .find(|r| r.code == "total")
        .unwrap_or_else(|| unreachable!());
    row.cells[0] += 1_000;
    let report = check_set(&set);
    assert!(!report.passed());
    let cross = report
        .rules
        .iter()
        .find(|r| r.code == "x01_03_income")
        .unwrap_or_else(|| unreachable!());
    assert_eq!(
        cross.failures,
        [
            "财决01「本年收入合计」行「决算数」列 为 1,660.00 元，应等于财决03「合计」行「本年收入合计」列 1,670.00 元，相差 -10.00 元"
        ]
    );
    let columns = report
        .rules
        .iter()
        .find(|r| r.code == "cj03_columns")
        .unwrap_or_else(|| unreachable!());
    assert_eq!(columns.failures.len(), 1);
    assert!(report.first_failure().is_some());
}

#[test]
fn consolidation_is_the_sum_of_the_units() {
    let a = set_of(&unit_a());
    let b = set_of(&unit_b());
    let both: Vec<Fact> = unit_a().into_iter().chain(unit_b()).collect();
    let region = set_of(&both);
    let summed = consolidate(&[a, b]).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(summed, region);
    assert!(check_set(&region).passed(), "{:#?}", check_set(&region));
    // 经营支出 from fund nature 52; an empty function class has its own row.
    assert_eq!(region.cell("cj04", "total", "ops"), 7_000);
    assert_eq!(region.cell("cj04", "f.none", "total"), 7_000);
    assert_eq!(region.cell("cj03", "total", "ops"), 7_000);
    assert_eq!(region.cell("cj01", "in.ops", "amount"), 7_000);
}

#[test]
fn the_balance_sheet_balances() {
    let books = vec![
        BookFact {
            account_code: "1011".into(),
            account_name: "零余额账户用款额度".into(),
            category: "资产".into(),
            debit_fen: 10_000,
            credit_fen: 0,
        },
        BookFact {
            account_code: "4001".into(),
            account_name: "财政拨款收入".into(),
            category: "收入".into(),
            debit_fen: 0,
            credit_fen: 30_000,
        },
        BookFact {
            account_code: "5001".into(),
            account_name: "业务活动费用".into(),
            category: "费用".into(),
            debit_fen: 20_000,
            credit_fen: 0,
        },
    ];
    let set = compute_set(&[], &books, &Names::default()).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(set.cell("zcfz", "a.total", "amount"), 10_000);
    assert_eq!(set.cell("zcfz", "n.surplus", "amount"), 10_000);
    assert_eq!(set.cell("zcfz", "ln.total", "amount"), 10_000);
    assert!(check_set(&set).passed(), "{:#?}", check_set(&set));
    assert!(set_of(&[]).table("zcfz").is_none());
}

#[test]
fn status_moves_forward_only() {
    use SetAction::*;
    assert_eq!(SetStatus::after(None, Generate), Ok(SetStatus::Generated));
    assert_eq!(
        SetStatus::after(Some(SetStatus::Generated), Submit),
        Ok(SetStatus::Submitted)
    );
    assert_eq!(
        SetStatus::after(Some(SetStatus::Submitted), Accept),
        Ok(SetStatus::Accepted)
    );
    assert_eq!(
        SetStatus::after(Some(SetStatus::Submitted), Generate),
        Err(Rejection::FinalAccountsStatusForbids {
            action: "重新生成",
            status: "已报送"
        })
    );
    assert!(SetStatus::after(Some(SetStatus::Generated), Accept).is_err());
    assert!(SetStatus::after(None, Submit).is_err());
}
