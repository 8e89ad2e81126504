//! Ledger rules as tables through one `check` helper: an operation on a fixed set of
//! indicators either yields the expected transfers or the expected rejection code; the
//! reference model then applies the plan and the balances must still sum to zero.

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
                lines: vec![],
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
