//! Ledger rules as tables through one `check` helper: an operation on a fixed set of
//! indicators either yields the expected transfers or the expected rejection code; the
//! reference model then applies the plan and the balances must still sum to zero.

// Tests fail loudly: `unwrap` is the assertion here.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeMap;

use super::*;
use crate::code::{AgencyCode, FiscalYear, MofDivCode};
use crate::ledger::control::{PaymentElements, element_mismatch};
use crate::ledger::indicator::BGT_TYPE_ADVANCE;
use crate::ledger::model::{Model, Outcome};
use crate::ledger::operation::{CarryLine, IndicatorFacts, ReallocateLeg, SplitChild};

fn id(text: &str) -> BgtId {
    BgtId::parse(text).unwrap()
}

fn elements(agency: Option<&str>, exe: ExeFlag) -> IndicatorElements {
    IndicatorElements {
        mof_div_code: MofDivCode::parse("660100000").unwrap(),
        fiscal_year: FiscalYear(2026),
        agency_code: agency.map(|code| AgencyCode::parse(code).unwrap()),
        pro_code: String::new(),
        exp_func_code: "20101".into(),
        gov_bgt_eco_code: "501".into(),
        dep_bgt_eco_code: "302".into(),
        fund_type_code: "111".into(),
        bgt_type_code: "21".into(),
        pay_type_code: "1".into(),
        source_type_code: "1".into(),
        cor_bgt_doc_no: "兵财预〔2026〕1号".into(),
        bgt_doc_title: "年初预算".into(),
        doc_date: "2026-01-05".into(),
        bgt_dec: String::new(),
        sup_bgt_doc_no: String::new(),
        ori_bgt_id: None,
        bgt_exe_flag: exe,
        pool_level: (exe == ExeFlag::Pool).then_some(PoolLevel::Total),
        is_direct: false,
        is_three_safe: false,
        is_three_public: false,
        is_gov_pur: false,
        is_contrlbyplan: false,
        is_not_control_pay: false,
    }
}

/// POOL (待分, 1000 available), UNIT (660100101, 300 available, 50 frozen, 20 reserved,
/// 100 spent), ADV (an advance of the same unit that spent 80), OLD (closed).
fn facts() -> PlanFacts {
    let figures = |available: i64, frozen: i64, reserved: i64, spent: i64| Figures {
        total_fen: available + frozen + reserved + spent,
        frozen_fen: frozen,
        reserved_fen: reserved,
        spent_fen: spent,
        written_off_fen: 0,
        available_fen: available,
    };
    let mut advance = elements(Some("660100101"), ExeFlag::Executable);
    advance.bgt_type_code = BGT_TYPE_ADVANCE.into();
    let mut indicators = BTreeMap::new();
    let mut put = |key: &str, elements: IndicatorElements, figures: Figures, closed: bool| {
        indicators.insert(
            id(key),
            IndicatorFacts {
                elements,
                figures,
                closed,
            },
        );
    };
    put(
        "POOL",
        elements(None, ExeFlag::Pool),
        figures(1000, 0, 0, 0),
        false,
    );
    put(
        "UNIT",
        elements(Some("660100101"), ExeFlag::Executable),
        figures(300, 50, 20, 100),
        false,
    );
    put("ADV", advance, figures(0, 0, 0, 80), false);
    put(
        "OLD",
        elements(Some("660100101"), ExeFlag::Executable),
        figures(10, 0, 0, 0),
        true,
    );
    let agency_paths = [
        ("660100101", "/660100101/"),
        ("660100102", "/660100101/660100102/"),
        ("660100199", "/660100199/"),
    ]
    .into_iter()
    .map(|(code, path)| (code.to_owned(), path.to_owned()))
    .collect();
    PlanFacts {
        indicators,
        agency_paths,
        controls: ControlTable::default(),
    }
}

fn child(agency: &str, func: &str, amount: i64) -> SplitChild {
    let mut draft = IndicatorDraft::of(&elements(Some(agency), ExeFlag::Executable));
    draft.exp_func_code = func.into();
    draft.pool_level = String::new();
    SplitChild {
        indicator: draft,
        amount: Fen(amount),
    }
}

/// `Ok(n)`: the plan has n transfers; `Err(code)`: refused with that rejection code.
fn check(operation: Operation, expected: Result<usize, &str>) {
    let facts = facts();
    let mut n = 0;
    let mut new_id = || {
        n += 1;
        id(&format!("NEW{n}"))
    };
    let got = plan(&operation, &facts, "DOC1", &mut new_id);
    match (&got, expected) {
        (Ok(plan), Ok(n_transfers)) => {
            assert_eq!(plan.transfers.len(), n_transfers, "{operation:?}");
            // Pair assertion: the plan applies on a fresh model and nets to zero.
            let mut model = Model::default();
            let funded: Vec<TransferSpec> = plan
                .transfers
                .iter()
                .map(|transfer| TransferSpec {
                    ctrl: CtrlLevel::None,
                    ..transfer.clone()
                })
                .collect();
            if funded.iter().all(|t| !t.debit_is_strict()) {
                model.apply(&funded).unwrap();
                let sum: i64 = model.accounts.values().map(Balances::posted).sum();
                assert_eq!(sum, 0);
            }
        }
        (Err(rejection), Err(code)) => assert_eq!(rejection.code(), code, "{operation:?}"),
        _ => panic!("{operation:?}: expected {expected:?}, got {got:?}"),
    }
}

#[test]
fn operations() {
    let draft = IndicatorDraft::of(&elements(Some("660100101"), ExeFlag::Executable));
    let cases: Vec<(Operation, Result<usize, &str>)> = vec![
        (
            Operation::Enter {
                indicator: draft.clone(),
                amount: Fen(100),
            },
            Ok(1),
        ),
        (
            Operation::Enter {
                indicator: draft.clone(),
                amount: Fen(0),
            },
            Err("amount_not_positive"),
        ),
        (
            Operation::Enter {
                indicator: draft.clone(),
                amount: Fen(-5),
            },
            Err("amount_not_positive"),
        ),
        (
            Operation::Enter {
                indicator: draft.clone(),
                amount: Fen(AMOUNT_MAX.0 + 1),
            },
            Err("amount_too_large"),
        ),
        (
            Operation::Enter {
                indicator: IndicatorDraft {
                    bgt_doc_title: String::new(),
                    ..draft.clone()
                },
                amount: Fen(1),
            },
            Err("field_required"),
        ),
        (
            Operation::Enter {
                indicator: IndicatorDraft {
                    agency_code: String::new(),
                    ..draft.clone()
                },
                amount: Fen(1),
            },
            Err("field_invalid"),
        ),
        (
            Operation::Enter {
                indicator: IndicatorDraft {
                    mof_div_code: "66".into(),
                    ..draft.clone()
                },
                amount: Fen(1),
            },
            Err("mof_div_code_invalid"),
        ),
        (
            Operation::Enter {
                indicator: IndicatorDraft {
                    doc_date: "2026-13-01".into(),
                    ..draft.clone()
                },
                amount: Fen(1),
            },
            Err("field_invalid"),
        ),
        // 分解: refine the class, stay in the unit's subtree, within the pool.
        (
            Operation::Split {
                from: id("POOL"),
                children: vec![
                    child("660100101", "2010101", 600),
                    child("660100199", "20101", 400),
                ],
            },
            Ok(2),
        ),
        (
            Operation::Split {
                from: id("POOL"),
                children: vec![child("660100101", "20101", 1001)],
            },
            Err("exceeds_available_balance"),
        ),
        (
            Operation::Split {
                from: id("POOL"),
                children: vec![child("660100101", "20102", 10)],
            },
            Err("classification_not_refinement"),
        ),
        (
            Operation::Split {
                from: id("POOL"),
                children: vec![],
            },
            Err("field_required"),
        ),
        (
            Operation::Split {
                from: id("UNIT"),
                children: vec![child("660100102", "20101", 10)],
            },
            Ok(1),
        ),
        (
            Operation::Split {
                from: id("UNIT"),
                children: vec![child("660100199", "20101", 10)],
            },
            Err("element_mismatch"),
        ),
        (
            Operation::Split {
                from: id("NONE"),
                children: vec![child("660100101", "20101", 10)],
            },
            Err("not_found"),
        ),
        (
            Operation::Split {
                from: id("OLD"),
                children: vec![child("660100101", "20101", 1)],
            },
            Err("indicator_closed"),
        ),
        // 追加 / 追减 / 调剂.
        (
            Operation::Supplement {
                to: id("UNIT"),
                from: Some(id("POOL")),
                amount: Fen(1000),
            },
            Ok(1),
        ),
        (
            Operation::Supplement {
                to: id("UNIT"),
                from: Some(id("POOL")),
                amount: Fen(1001),
            },
            Err("exceeds_available_balance"),
        ),
        (
            Operation::Supplement {
                to: id("UNIT"),
                from: None,
                amount: Fen(5),
            },
            Ok(1),
        ),
        (
            Operation::Supplement {
                to: id("UNIT"),
                from: Some(id("UNIT")),
                amount: Fen(5),
            },
            Err("indicator_same_on_both_sides"),
        ),
        (
            Operation::Cut {
                from: id("UNIT"),
                to: Some(id("POOL")),
                amount: Fen(300),
            },
            Ok(1),
        ),
        // Never below what is reserved or spent: only the 300 available may be cut.
        (
            Operation::Cut {
                from: id("UNIT"),
                to: None,
                amount: Fen(301),
            },
            Err("exceeds_available_balance"),
        ),
        (
            Operation::Reallocate {
                legs: vec![
                    ReallocateLeg {
                        from: id("UNIT"),
                        to: id("POOL"),
                        amount: Fen(200),
                    },
                    ReallocateLeg {
                        from: id("UNIT"),
                        to: id("POOL"),
                        amount: Fen(100),
                    },
                ],
            },
            Ok(2),
        ),
        (
            Operation::Reallocate {
                legs: vec![
                    ReallocateLeg {
                        from: id("UNIT"),
                        to: id("POOL"),
                        amount: Fen(200),
                    },
                    ReallocateLeg {
                        from: id("UNIT"),
                        to: id("POOL"),
                        amount: Fen(101),
                    },
                ],
            },
            Err("exceeds_available_balance"),
        ),
        (
            Operation::Reallocate {
                legs: vec![ReallocateLeg {
                    from: id("UNIT"),
                    to: id("OLD"),
                    amount: Fen(1),
                }],
            },
            Err("indicator_closed"),
        ),
        // 冻结 / 解冻.
        (
            Operation::Freeze {
                bgt_id: id("UNIT"),
                by: FreezeBy::Ratio(2500),
                reason: "绩效评价".into(),
            },
            Ok(1),
        ),
        (
            Operation::Freeze {
                bgt_id: id("UNIT"),
                by: FreezeBy::Ratio(10_001),
                reason: "x".into(),
            },
            Err("number_out_of_range"),
        ),
        (
            Operation::Freeze {
                bgt_id: id("UNIT"),
                by: FreezeBy::Amount(Fen(301)),
                reason: "x".into(),
            },
            Err("exceeds_available_balance"),
        ),
        (
            Operation::Freeze {
                bgt_id: id("UNIT"),
                by: FreezeBy::Amount(Fen(1)),
                reason: " ".into(),
            },
            Err("field_required"),
        ),
        (
            Operation::Unfreeze {
                bgt_id: id("UNIT"),
                amount: Fen(50),
                reason: "整改完成".into(),
            },
            Ok(1),
        ),
        (
            Operation::Unfreeze {
                bgt_id: id("UNIT"),
                amount: Fen(51),
                reason: "x".into(),
            },
            Err("exceeds_frozen_amount"),
        ),
        // 核销: two linked transfers; at most what the advance spent.
        (
            Operation::WriteOff {
                formal: id("UNIT"),
                advance: id("ADV"),
                amount: Fen(80),
            },
            Ok(2),
        ),
        (
            Operation::WriteOff {
                formal: id("UNIT"),
                advance: id("ADV"),
                amount: Fen(81),
            },
            Err("exceeds_spent_amount"),
        ),
        (
            Operation::WriteOff {
                formal: id("ADV"),
                advance: id("UNIT"),
                amount: Fen(1),
            },
            Err("not_an_advance"),
        ),
        // 结转 / 结余: reserved money blocks the close; frozen money is released first.
        (
            Operation::YearEnd {
                pool: id("POOL"),
                lines: vec![CarryLine {
                    bgt_id: id("UNIT"),
                    carry: Fen(100),
                }],
            },
            Err("indicator_has_reservations"),
        ),
        (
            Operation::YearEnd {
                pool: id("POOL"),
                lines: vec![CarryLine {
                    bgt_id: id("ADV"),
                    carry: Fen(0),
                }],
            },
            Ok(0),
        ),
        (
            Operation::YearEnd {
                pool: id("UNIT"),
                lines: vec![CarryLine {
                    bgt_id: id("ADV"),
                    carry: Fen(0),
                }],
            },
            Err("field_invalid"),
        ),
    ];
    for (operation, expected) in cases {
        check(operation, expected);
    }
}

#[test]
fn year_end_carries_unfreezes_and_lapses() {
    let mut facts = facts();
    if let Some(unit) = facts.indicators.get_mut(&id("UNIT")) {
        unit.figures.reserved_fen = 0;
    }
    let mut new_id = || id("NEXT");
    let operation = Operation::YearEnd {
        pool: id("POOL"),
        lines: vec![CarryLine {
            bgt_id: id("UNIT"),
            carry: Fen(120),
        }],
    };
    let plan = plan(&operation, &facts, "YE", &mut new_id).unwrap();
    let shape: Vec<(Reason, i64)> = plan
        .transfers
        .iter()
        .map(|t| (t.reason, t.amount.0))
        .collect();
    assert_eq!(
        shape,
        vec![
            (Reason::Unfreeze, 50),
            (Reason::CarryOver, 120),
            (Reason::Lapse, 230)
        ]
    );
    assert_eq!(plan.closes, vec![id("UNIT")]);
    let (_, next) = &plan.new_indicators[0];
    assert_eq!(next.fiscal_year, FiscalYear(2027));
    assert_eq!(next.ori_bgt_id, Some(id("UNIT")));
}

#[test]
fn control_levels_fall_back_to_the_wildcard_then_strict() {
    let mut table = ControlTable::default();
    assert_eq!(table.level("21", ControlPoint::Reserve), CtrlLevel::Strict);
    table
        .levels
        .insert(("*".into(), ControlPoint::Reserve), CtrlLevel::Warn);
    table
        .levels
        .insert(("11".into(), ControlPoint::Reserve), CtrlLevel::None);
    assert_eq!(table.level("21", ControlPoint::Reserve), CtrlLevel::Warn);
    assert_eq!(table.level("11", ControlPoint::Reserve), CtrlLevel::None);
    let mut indicator = elements(Some("660100101"), ExeFlag::Executable);
    indicator.is_not_control_pay = true;
    assert_eq!(
        table.level_for(&indicator, ControlPoint::Allocate),
        CtrlLevel::Strict
    );
    assert_eq!(
        table.level_for(&indicator, ControlPoint::Reserve),
        CtrlLevel::None
    );
}

#[test]
fn payment_elements_must_match_the_indicator() {
    let indicator = elements(Some("660100101"), ExeFlag::Executable);
    let payment = PaymentElements {
        agency_code: "660100101".into(),
        pro_code: "P1".into(),
        exp_func_code: "20101".into(),
        gov_bgt_eco_code: "50101".into(),
        dep_bgt_eco_code: "30201".into(),
        fund_type_code: "111".into(),
    };
    let field = |payment: &PaymentElements, eco| {
        element_mismatch(&indicator, payment, eco).map(|rejection| match rejection {
            Rejection::ElementMismatch { field } => field,
            other => panic!("{other:?}"),
        })
    };
    let cases: Vec<(PaymentElements, EcoRefinement, Option<&str>)> = vec![
        (payment.clone(), EcoRefinement::Prefix, None),
        (
            payment.clone(),
            EcoRefinement::Exact,
            Some("政府预算支出经济分类"),
        ),
        (
            PaymentElements {
                agency_code: "660100102".into(),
                ..payment.clone()
            },
            EcoRefinement::Prefix,
            Some("预算单位"),
        ),
        (
            PaymentElements {
                exp_func_code: "2010101".into(),
                ..payment.clone()
            },
            EcoRefinement::Prefix,
            Some("支出功能分类科目"),
        ),
        (
            PaymentElements {
                dep_bgt_eco_code: "303".into(),
                ..payment.clone()
            },
            EcoRefinement::Prefix,
            Some("部门预算支出经济分类"),
        ),
        (
            PaymentElements {
                fund_type_code: "112".into(),
                ..payment.clone()
            },
            EcoRefinement::Prefix,
            Some("资金性质"),
        ),
    ];
    for (payment, eco, expected) in cases {
        assert_eq!(field(&payment, eco), expected, "{payment:?}");
    }
}

#[test]
fn model_two_phase_and_idempotency() {
    let t = |text: &str| TransferId::parse(text).unwrap();
    let src = AccountId::source(&MofDivCode::parse("660100000").unwrap(), FiscalYear(2026));
    let avail = AccountId::of(&id("U"), AccountKind::Avail);
    let spent = AccountId::of(&id("U"), AccountKind::Spent);
    let mut model = Model::default();
    let fund = TransferSpec::posted(
        t("f"),
        src,
        avail.clone(),
        Fen(100),
        Reason::Enter,
        CtrlLevel::None,
    );
    assert_eq!(
        model.apply(std::slice::from_ref(&fund)).unwrap(),
        vec![Outcome::Applied { warned: false }]
    );
    assert_eq!(
        model.apply(std::slice::from_ref(&fund)).unwrap(),
        vec![Outcome::Repeat]
    );
    let changed = TransferSpec {
        amount: Fen(99),
        ..fund.clone()
    };
    assert_eq!(
        model.apply(&[changed]).unwrap_err().code(),
        "idempotency_key_reused"
    );
    let reserve = |key: &str, amount: i64| TransferSpec {
        kind: TransferKind::Pending,
        ..TransferSpec::posted(
            t(key),
            avail.clone(),
            spent.clone(),
            Fen(amount),
            Reason::Payment,
            CtrlLevel::Strict,
        )
    };
    model.apply(&[reserve("r1", 60)]).unwrap();
    assert_eq!(
        model.apply(&[reserve("r2", 41)]).unwrap_err().code(),
        "exceeds_available_balance"
    );
    let resolve = |key: &str, kind, amount: i64| TransferSpec {
        kind,
        pending_id: Some(t("r1")),
        ..TransferSpec::posted(
            t(key),
            avail.clone(),
            spent.clone(),
            Fen(amount),
            Reason::Payment,
            CtrlLevel::Strict,
        )
    };
    assert_eq!(
        model
            .apply(&[resolve("p1", TransferKind::PostPending, 61)])
            .unwrap_err()
            .code(),
        "exceeds_pending_amount"
    );
    model
        .apply(&[resolve("p1", TransferKind::PostPending, 50)])
        .unwrap();
    assert_eq!(
        model
            .apply(&[resolve("v1", TransferKind::VoidPending, 0)])
            .unwrap_err()
            .code(),
        "pending_already_resolved"
    );
    assert_eq!(model.balances(&avail).available(), 50);
    assert_eq!(model.balances(&spent).posted(), 50);
    // A linked batch whose second transfer fails leaves nothing behind.
    let before = model.balances(&avail);
    let batch = [reserve("r3", 10), reserve("r4", 41)];
    assert!(model.apply(&batch).is_err());
    assert_eq!(model.balances(&avail), before);
    assert!(!model.transfers.contains_key(&t("r3")));
}

/// Like `check`, on facts the caller adjusted (control levels, other years).
fn check_with(facts: &PlanFacts, operation: Operation, expected: Result<usize, &str>) {
    let mut n = 0;
    let mut new_id = || {
        n += 1;
        id(&format!("NEW{n}"))
    };
    let got = plan(&operation, facts, "DOC1", &mut new_id);
    match (&got, expected) {
        (Ok(plan), Ok(n_transfers)) => assert_eq!(plan.transfers.len(), n_transfers),
        (Err(rejection), Err(code)) => assert_eq!(rejection.code(), code, "{operation:?}"),
        _ => panic!("{operation:?}: expected {expected:?}, got {got:?}"),
    }
}

#[test]
fn more_operation_rules() {
    let leg = |from: &str, to: &str, amount: i64| ReallocateLeg {
        from: id(from),
        to: id(to),
        amount: Fen(amount),
    };
    let freeze = |key: &str, by: FreezeBy, reason: &str| Operation::Freeze {
        bgt_id: id(key),
        by,
        reason: reason.into(),
    };
    let line = |key: &str, carry: i64| CarryLine {
        bgt_id: id(key),
        carry: Fen(carry),
    };
    let year_end = |lines: Vec<CarryLine>| Operation::YearEnd {
        pool: id("POOL"),
        lines,
    };
    let mut other_region = child("660100101", "20101", 1);
    other_region.indicator.mof_div_code = "660200000".into();
    let mut other_year = child("660100101", "20101", 1);
    other_year.indicator.fiscal_year = "2027".into();
    let cases: Vec<(Operation, Result<usize, &str>)> = vec![
        // 分解: a child keeps its parent's region and year.
        (
            Operation::Split {
                from: id("POOL"),
                children: vec![other_region],
            },
            Err("element_mismatch"),
        ),
        (
            Operation::Split {
                from: id("POOL"),
                children: vec![other_year],
            },
            Err("indicator_year_mismatch"),
        ),
        (
            Operation::Split {
                from: id("POOL"),
                children: vec![child("660100101", "20101", 0)],
            },
            Err("amount_not_positive"),
        ),
        // Two children that each fit but together exceed the pool.
        (
            Operation::Split {
                from: id("POOL"),
                children: vec![
                    child("660100101", "20101", 600),
                    child("660100101", "20101", 401),
                ],
            },
            Err("exceeds_available_balance"),
        ),
        // 追加 / 追减: open indicators only, distinct sides, positive amounts.
        (
            Operation::Supplement {
                to: id("OLD"),
                from: Some(id("POOL")),
                amount: Fen(1),
            },
            Err("indicator_closed"),
        ),
        (
            Operation::Supplement {
                to: id("UNIT"),
                from: Some(id("POOL")),
                amount: Fen(0),
            },
            Err("amount_not_positive"),
        ),
        (
            Operation::Cut {
                from: id("UNIT"),
                to: Some(id("UNIT")),
                amount: Fen(1),
            },
            Err("indicator_same_on_both_sides"),
        ),
        (
            Operation::Cut {
                from: id("OLD"),
                to: None,
                amount: Fen(1),
            },
            Err("indicator_closed"),
        ),
        (
            Operation::Cut {
                from: id("UNIT"),
                to: None,
                amount: Fen(AMOUNT_MAX.0 + 1),
            },
            Err("amount_too_large"),
        ),
        // 调剂: at least one leg; legs out of one indicator are summed.
        (
            Operation::Reallocate { legs: vec![] },
            Err("field_required"),
        ),
        (
            Operation::Reallocate {
                legs: vec![leg("UNIT", "UNIT", 1)],
            },
            Err("indicator_same_on_both_sides"),
        ),
        (
            Operation::Reallocate {
                legs: vec![leg("POOL", "UNIT", 1_000), leg("UNIT", "POOL", 300)],
            },
            Ok(2),
        ),
        (
            Operation::Reallocate {
                legs: vec![leg("UNIT", "POOL", 0)],
            },
            Err("amount_not_positive"),
        ),
        // 冻结: a ratio of nothing freezes nothing; the whole ratio freezes all available.
        (
            freeze("ADV", FreezeBy::Ratio(5_000), "审计"),
            Err("amount_not_positive"),
        ),
        (freeze("UNIT", FreezeBy::Ratio(10_000), "审计"), Ok(1)),
        (
            freeze("UNIT", FreezeBy::Ratio(0), "审计"),
            Err("number_out_of_range"),
        ),
        (
            freeze("UNIT", FreezeBy::Amount(Fen(1)), &"长".repeat(201)),
            Err("field_too_long"),
        ),
        (
            freeze("OLD", FreezeBy::Amount(Fen(1)), "审计"),
            Err("indicator_closed"),
        ),
        (
            Operation::Unfreeze {
                bgt_id: id("UNIT"),
                amount: Fen(0),
                reason: "x".into(),
            },
            Err("amount_not_positive"),
        ),
        // 核销: two different indicators, an advance written off by a formal one.
        (
            Operation::WriteOff {
                formal: id("ADV"),
                advance: id("ADV"),
                amount: Fen(1),
            },
            Err("indicator_same_on_both_sides"),
        ),
        (
            Operation::WriteOff {
                formal: id("UNIT"),
                advance: id("ADV"),
                amount: Fen(0),
            },
            Err("amount_not_positive"),
        ),
        (
            Operation::WriteOff {
                formal: id("POOL"),
                advance: id("ADV"),
                amount: Fen(80),
            },
            Ok(2),
        ),
        // 结转 / 结余: the carry is within what is open, never negative; the pool is not a
        // line; a closed indicator is not closed twice.
        (year_end(vec![line("ADV", -1)]), Err("amount_negative")),
        (
            year_end(vec![line("POOL", 0)]),
            Err("indicator_same_on_both_sides"),
        ),
        (year_end(vec![line("OLD", 0)]), Err("indicator_closed")),
        // Nothing to carry or lapse is refused: an empty year-end would approve as a no-op.
        (year_end(vec![]), Err("field_required")),
        (
            Operation::YearEnd {
                pool: id("OLD"),
                lines: vec![line("ADV", 0)],
            },
            Err("indicator_closed"),
        ),
    ];
    let facts = facts();
    for (operation, expected) in cases {
        check_with(&facts, operation, expected);
    }
    // Without reservations, UNIT may carry its 300 available plus its 50 frozen, no more.
    let mut open = facts.clone();
    if let Some(unit) = open.indicators.get_mut(&id("UNIT")) {
        unit.figures.reserved_fen = 0;
    }
    check_with(&open, year_end(vec![line("UNIT", 350)]), Ok(2));
    check_with(
        &open,
        year_end(vec![line("UNIT", 351)]),
        Err("exceeds_available_balance"),
    );
    check_with(&open, year_end(vec![line("UNIT", 0)]), Ok(2));
}

#[test]
fn control_levels_shape_the_plan() {
    let split = |amount: i64| Operation::Split {
        from: id("POOL"),
        children: vec![child("660100101", "20101", amount)],
    };
    let mut facts = facts();
    // Strict by default: the split beyond the pool is refused.
    check_with(&facts, split(1_001), Err("exceeds_available_balance"));
    // Under warn (or none) control the plan lets it through; the transfer carries the level
    // so the store warns instead of refusing.
    for level in [CtrlLevel::Warn, CtrlLevel::None] {
        facts
            .controls
            .levels
            .insert(("*".into(), ControlPoint::Allocate), level);
        let mut new_id = || id("NEW");
        let planned = plan(&split(1_001), &facts, "DOC", &mut new_id).unwrap();
        assert_eq!(planned.transfers[0].ctrl, level);
    }
    // A cut, a reallocation and an unfreeze stay strict whatever the table says.
    for point in ControlPoint::ALL {
        facts
            .controls
            .levels
            .insert(("*".into(), point), CtrlLevel::None);
    }
    check_with(
        &facts,
        Operation::Cut {
            from: id("UNIT"),
            to: None,
            amount: Fen(301),
        },
        Err("exceeds_available_balance"),
    );
    check_with(
        &facts,
        Operation::Reallocate {
            legs: vec![ReallocateLeg {
                from: id("UNIT"),
                to: id("POOL"),
                amount: Fen(301),
            }],
        },
        Err("exceeds_available_balance"),
    );
    let mut new_id = || id("NEW");
    let freeze = Operation::Freeze {
        bgt_id: id("UNIT"),
        by: FreezeBy::Amount(Fen(301)),
        reason: "审计".into(),
    };
    let planned = plan(&freeze, &facts, "DOC", &mut new_id).unwrap();
    assert_eq!(planned.transfers[0].ctrl, CtrlLevel::None);
    assert!(
        !planned.transfers[0].debit_is_strict(),
        "a freeze under none control"
    );
}

#[test]
fn plans_number_their_transfers_after_the_document() {
    let operation = Operation::Reallocate {
        legs: vec![
            ReallocateLeg {
                from: id("UNIT"),
                to: id("POOL"),
                amount: Fen(1),
            },
            ReallocateLeg {
                from: id("POOL"),
                to: id("UNIT"),
                amount: Fen(2),
            },
        ],
    };
    let mut new_id = || id("NEW");
    let planned = plan(&operation, &facts(), "D-7", &mut new_id).unwrap();
    let ids: Vec<&str> = planned
        .transfers
        .iter()
        .map(|t| t.transfer_id.as_str())
        .collect();
    assert_eq!(ids, ["D-7.1", "D-7.2"]);
    // The same document planned again yields the same ids: applying it twice is a repeat.
    let again = plan(&operation, &facts(), "D-7", &mut new_id).unwrap();
    assert_eq!(again.transfers, planned.transfers);
}

#[test]
fn amounts_and_ids_at_their_bounds() {
    let cases: Vec<(i64, &str)> = vec![
        (i64::MIN, "amount_not_positive"),
        (-1, "amount_not_positive"),
        (0, "amount_not_positive"),
        (1, "ok"),
        (AMOUNT_MAX.0, "ok"),
        (AMOUNT_MAX.0 + 1, "amount_too_large"),
        (i64::MAX, "amount_too_large"),
    ];
    for (amount, expected) in cases {
        let got = check_amount(Fen(amount), "金额").map_or_else(|r| r.code(), |_| "ok".into());
        assert_eq!(got, expected, "{amount}");
    }
    let longest = "x".repeat(TransferId::LEN_MAX);
    let too_long = "x".repeat(TransferId::LEN_MAX + 1);
    let ids: Vec<(&str, bool)> = vec![
        ("r1", true),
        ("doc-1.2:a_b", true),
        (&longest, true),
        (&too_long, false),
        ("", false),
        ("   ", false),
        ("has space", false),
        ("中文", false),
        ("a/b", false),
    ];
    for (text, ok) in ids {
        assert_eq!(TransferId::parse(text).is_ok(), ok, "{text:?}");
    }
    assert!(BgtId::parse(&"B".repeat(38)).is_ok());
    assert!(BgtId::parse(&"B".repeat(39)).is_err());
    assert!(
        BgtId::parse("a.b").is_err(),
        "a dot would break account ids"
    );
}

#[test]
fn accounts_and_figures() {
    let bgt_id = id("U-1");
    for kind in AccountKind::OF_INDICATOR {
        let account = AccountId::of(&bgt_id, kind);
        assert_eq!(account.split(), Some((kind, Some("U-1"))));
        assert_eq!(AccountKind::from_code(kind.code()), Some(kind));
    }
    let source = AccountId::source(&MofDivCode::parse("660100000").unwrap(), FiscalYear(2026));
    assert_eq!(source.as_str(), "src.660100000.2026");
    assert_eq!(source.kind(), Some(AccountKind::Source));
    assert_eq!(AccountId::from_stored("nonsense".into()).kind(), None);
    for kind in [
        TransferKind::Posted,
        TransferKind::Pending,
        TransferKind::PostPending,
        TransferKind::VoidPending,
    ] {
        assert_eq!(TransferKind::from_code(kind.code()), Some(kind));
    }
    for reason in Reason::ALL {
        assert_eq!(Reason::from_code(reason.code()), Some(reason));
    }
    let avail = Balances {
        debits_posted: 100,
        credits_posted: 1_000,
        debits_pending: 30,
        credits_pending: 0,
    };
    let posted = |amount: i64| Balances {
        credits_posted: amount,
        ..Balances::default()
    };
    let figures = Figures::of(&avail, &posted(50), &posted(20), &posted(5));
    assert_eq!(figures.available_fen, 870);
    assert_eq!(figures.reserved_fen, 30);
    assert_eq!(figures.total_fen, 870 + 30 + 50 + 20 + 5);
}

#[test]
fn model_controls_warnings_and_resolution() {
    let t = |text: &str| TransferId::parse(text).unwrap();
    let src = AccountId::source(&MofDivCode::parse("660100000").unwrap(), FiscalYear(2026));
    let of = |kind| AccountId::of(&id("U"), kind);
    let posted = |key: &str, debit: AccountId, credit: AccountId, amount: i64, ctrl| {
        TransferSpec::posted(t(key), debit, credit, Fen(amount), Reason::Payment, ctrl)
    };
    let mut model = Model::default();
    // The source may go negative, without a warning under none control.
    let fund = posted(
        "f",
        src.clone(),
        of(AccountKind::Avail),
        100,
        CtrlLevel::None,
    );
    assert_eq!(
        model.apply(&[fund]).unwrap(),
        vec![Outcome::Applied { warned: false }]
    );
    assert_eq!(model.balances(&src).posted(), -100);
    // A warned debit beyond the balance applies and says so; a strict one is refused.
    let warned = posted(
        "w",
        of(AccountKind::Avail),
        of(AccountKind::Spent),
        150,
        CtrlLevel::Warn,
    );
    assert_eq!(
        model.apply(&[warned]).unwrap(),
        vec![Outcome::Applied { warned: true }]
    );
    let strict = posted(
        "s",
        of(AccountKind::Avail),
        of(AccountKind::Spent),
        0,
        CtrlLevel::Strict,
    );
    assert_eq!(
        model.apply(&[strict]).unwrap_err(),
        Rejection::ExceedsAvailableBalance {
            bgt_id: "U".into(),
            available_fen: -50,
        },
        "even zero may not be debited strictly from a negative balance"
    );
    // Frozen and spent accounts never go below zero, whatever the transfer's level.
    for (debit, code) in [
        (AccountKind::Frozen, "exceeds_frozen_amount"),
        (AccountKind::WrittenOff, "exceeds_spent_amount"),
    ] {
        let spec = posted("x", of(debit), of(AccountKind::Avail), 1, CtrlLevel::None);
        assert_eq!(model.apply(&[spec]).unwrap_err().code(), code);
    }
    // A post or void must name a pending transfer.
    let void_posted = TransferSpec {
        kind: TransferKind::VoidPending,
        pending_id: Some(t("f")),
        ..posted(
            "v",
            of(AccountKind::Avail),
            of(AccountKind::Spent),
            0,
            CtrlLevel::Strict,
        )
    };
    assert_eq!(model.apply(&[void_posted]).unwrap_err().code(), "not_found");
    // A pending held and voided in one batch; the void sent again with another amount is
    // still the same request (a void's amount is the pending one).
    model
        .apply(&[posted(
            "f2",
            src.clone(),
            of(AccountKind::Avail),
            500,
            CtrlLevel::None,
        )])
        .unwrap();
    let hold = TransferSpec {
        kind: TransferKind::Pending,
        ..posted(
            "h",
            of(AccountKind::Avail),
            of(AccountKind::Spent),
            200,
            CtrlLevel::Strict,
        )
    };
    let void = TransferSpec {
        kind: TransferKind::VoidPending,
        pending_id: Some(t("h")),
        ..posted(
            "hv",
            of(AccountKind::Avail),
            of(AccountKind::Spent),
            0,
            CtrlLevel::Strict,
        )
    };
    let before = model.balances(&of(AccountKind::Avail));
    model.apply(&[hold, void.clone()]).unwrap();
    assert_eq!(model.balances(&of(AccountKind::Avail)), before);
    let void_again = TransferSpec {
        amount: Fen(7),
        ..void
    };
    assert_eq!(model.apply(&[void_again]).unwrap(), vec![Outcome::Repeat]);
    // The same id twice in one batch with different content refuses the whole batch.
    let twice = [
        posted(
            "dup",
            of(AccountKind::Avail),
            of(AccountKind::Frozen),
            1,
            CtrlLevel::Strict,
        ),
        posted(
            "dup",
            of(AccountKind::Avail),
            of(AccountKind::Frozen),
            2,
            CtrlLevel::Strict,
        ),
    ];
    assert_eq!(
        model.apply(&twice).unwrap_err().code(),
        "idempotency_key_reused"
    );
    assert!(!model.transfers.contains_key(&t("dup")));
    let sum: i64 = model.accounts.values().map(Balances::posted).sum();
    assert_eq!(sum, 0);
}

/// The bulk plan of a region close gives exactly the transfers, numbering and next-year
/// indicators `plan` gives the `Operation::YearEnd` of the same lines, under every rule; a
/// reservation refuses it with the count of blocked indicators.
#[test]
fn region_close_equals_the_year_end_operation() {
    use crate::ledger::year_end::{
        CarryRule, OpenIndicator, carried_elements, operation_of, plan_region,
    };
    let mut facts = facts();
    facts.indicators.remove(&id("OLD"));
    let mut project = elements(Some("660100101"), ExeFlag::Executable);
    project.pro_code = "P1".into();
    facts.indicators.insert(
        id("PROJ"),
        IndicatorFacts {
            elements: project,
            figures: Figures {
                total_fen: 500,
                frozen_fen: 0,
                reserved_fen: 0,
                spent_fen: 0,
                written_off_fen: 0,
                available_fen: 500,
            },
            closed: false,
        },
    );
    let open = |facts: &PlanFacts| -> Vec<OpenIndicator> {
        facts
            .indicators
            .iter()
            .map(|(bgt_id, facts)| OpenIndicator {
                bgt_id: bgt_id.clone(),
                facts: facts.clone(),
            })
            .collect()
    };
    let blocked = plan_region(&open(&facts), CarryRule::All, &mut || id("N"));
    assert_eq!(
        blocked.map(|_| ()).map_err(|r| r.code()),
        Err("year_end_open_reservations".to_owned())
    );
    if let Some(unit) = facts.indicators.get_mut(&id("UNIT")) {
        unit.figures.reserved_fen = 0;
    }
    for rule in [CarryRule::All, CarryRule::ProjectsOnly, CarryRule::Nothing] {
        let indicators = open(&facts);
        let mut n = 0;
        let mut bulk_id = || {
            n += 1;
            id(&format!("NEW{n}"))
        };
        let close = plan_region(&indicators, rule, &mut bulk_id).unwrap();
        let operation = operation_of(&indicators, rule).unwrap();
        let mut m = 0;
        let mut reference_id = || {
            m += 1;
            id(&format!("NEW{m}"))
        };
        let reference = plan(&operation, &facts, "YE", &mut reference_id).unwrap();
        assert_eq!(
            close.transfers("YE").unwrap(),
            reference.transfers,
            "{rule:?}"
        );
        let closed: Vec<BgtId> = close.lines.iter().map(|line| line.bgt_id.clone()).collect();
        assert_eq!(closed, reference.closes);
        let created: Vec<(BgtId, IndicatorElements)> = close
            .lines
            .iter()
            .filter_map(|line| {
                let new = line.new_bgt_id.clone()?;
                Some((
                    new,
                    carried_elements(&line.bgt_id, &facts.indicators[&line.bgt_id].elements),
                ))
            })
            .collect();
        assert_eq!(created, reference.new_indicators);
        assert_eq!(
            close.totals.n_transfers,
            i64::try_from(reference.transfers.len()).unwrap()
        );
        // The model accepts the plan and nothing is created or lost.
        let mut model = Model::default();
        for (bgt_id, facts) in &facts.indicators {
            let avail = AccountId::of(bgt_id, AccountKind::Avail);
            let frozen = AccountId::of(bgt_id, AccountKind::Frozen);
            model.accounts.insert(
                avail,
                Balances {
                    credits_posted: facts.figures.available_fen,
                    ..Balances::default()
                },
            );
            model.accounts.insert(
                frozen,
                Balances {
                    credits_posted: facts.figures.frozen_fen,
                    ..Balances::default()
                },
            );
        }
        model.apply(&reference.transfers).unwrap();
        for line in &close.lines {
            let after = model.balances(&AccountId::of(&line.bgt_id, AccountKind::Avail));
            assert_eq!(after.available(), line.avail_after_fen);
        }
    }
}

/// A region whose indicators came straight from its budget source (no 总待分 pool) lapses into
/// that source account; with neither a pool nor an executable indicator there is nothing to
/// close and the close is refused.
#[test]
fn region_close_without_a_pool_lapses_into_the_source() {
    use crate::ledger::year_end::{CarryRule, OpenIndicator, plan_region};
    let unit = OpenIndicator {
        bgt_id: id("UNIT"),
        facts: IndicatorFacts {
            elements: elements(Some("660100101"), ExeFlag::Executable),
            figures: Figures {
                total_fen: 300,
                frozen_fen: 50,
                reserved_fen: 0,
                spent_fen: 100,
                written_off_fen: 0,
                available_fen: 150,
            },
            closed: false,
        },
    };
    let close = plan_region(&[unit], CarryRule::Nothing, &mut || id("N")).unwrap();
    assert_eq!(close.pool, None);
    assert_eq!(close.lapse_to.as_str(), "src.660100000.2026");
    assert_eq!(close.totals.lapsed_fen, 200);
    let transfers = close.transfers("YE").unwrap();
    assert_eq!(transfers.len(), 2);
    assert_eq!(transfers[1].credit.as_str(), "src.660100000.2026");
    assert_eq!(transfers[1].amount, Fen(200));
    let nothing = plan_region(&[], CarryRule::All, &mut || id("N"));
    assert_eq!(
        nothing.map(|_| ()).map_err(|r| r.code()),
        Err("not_found".to_owned())
    );
}
