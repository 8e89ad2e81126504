//! Indicator operations through their flows, on both backends: a 总待分 pool split into unit
//! indicators, 追加, 追减 (never below what is reserved), linked 调剂 legs, 冻结 by ratio and
//! 解冻, 核销 of an advance, the year-end (结转 with lineage, 结余 back to the pool, closed
//! indicators), and an approval refused because the balance moved after submission.

use fiscus_app::ledger::Reserve;
use fiscus_app::ledger::ops::CarryRule;
use fiscus_core::Fen;
use fiscus_core::flow::InstanceStatus;
use fiscus_core::ledger::indicator::BGT_TYPE_ADVANCE;
use fiscus_core::ledger::operation::{CarryLine, ReallocateLeg, SplitChild};
use fiscus_core::ledger::{BgtId, FreezeBy, IndicatorDraft, Operation};
use fiscus_store::records::Viewer;
use fiscus_store::testing::TestDb;

use crate::support::*;

fiscus_store::on_both_backends!(
    pool_split_supplement_cut_reallocate_freeze,
    write_off_then_year_end,
    approval_that_no_longer_fits_is_refused,
);

fn leg(from: &BgtId, to: &BgtId, amount_fen: i64) -> ReallocateLeg {
    ReallocateLeg {
        from: from.clone(),
        to: to.clone(),
        amount: Fen(amount_fen),
    }
}

/// A reservation with the elements of the project indicator B.
fn reserve_project(cast: &Cast, key: &str, bgt_id: &BgtId, amount_fen: i64) -> Reserve {
    let mut request = reserve(cast, key, bgt_id, amount_fen);
    request.elements.exp_func_code = "2010102".into();
    request.elements.pro_code = "P2026001".into();
    request
}

/// The pool of the region classed 201 一般公共服务支出, split into two unit indicators that
/// refine the class; A basic (2010101), B a project (2010102, P2026001).
async fn pool_and_children(app: &fiscus_app::App, cast: &Cast) -> (BgtId, BgtId, BgtId) {
    let pool = enter(
        app,
        cast,
        IndicatorDraft {
            exp_func_code: "201".into(),
            ..pool_draft(cast)
        },
        1_000_000,
    )
    .await;
    let child = |func: &str, pro_code: &str, amount_fen: i64| SplitChild {
        indicator: IndicatorDraft {
            exp_func_code: func.into(),
            pro_code: pro_code.into(),
            cor_bgt_doc_no: String::new(),
            ..unit_draft(cast)
        },
        amount: Fen(amount_fen),
    };
    let split = Operation::Split {
        from: pool.clone(),
        children: vec![
            child("2010101", "", 400_000),
            child("2010102", "P2026001", 300_000),
        ],
    };
    let doc_id = run_operation(app, cast, &split).await.expect("split");
    let children = indicators_of_doc(app, &doc_id).await;
    assert_eq!(children.len(), 2);
    let rows = fiscus_store::ledger::visible_indicators(&app.db, Viewer::System, &children)
        .await
        .expect("rows");
    let by_func = |func: &str| {
        rows.iter()
            .find(|row| row.elements.exp_func_code == func)
            .expect("child of that class")
    };
    let (a, b) = (by_func("2010101"), by_func("2010102"));
    for (row, amount_fen) in [(a, 400_000), (b, 300_000)] {
        assert_eq!(row.elements.ori_bgt_id.as_ref(), Some(&pool), "lineage");
        assert_eq!(row.orig_amount_fen, amount_fen);
        assert_eq!(row.figures.total_fen, amount_fen);
        assert_eq!(row.figures.available_fen, amount_fen);
        // The empty document number inherits the pool's.
        assert_eq!(row.elements.cor_bgt_doc_no, "师财预〔2026〕1号");
    }
    assert_eq!(b.elements.pro_code, "P2026001");
    assert_eq!(figures(app, &pool).await.available_fen, 300_000);
    (pool, a.bgt_id.clone(), b.bgt_id.clone())
}

async fn pool_split_supplement_cut_reallocate_freeze(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let cast = cast(&app).await;
    let (pool, a, b) = pool_and_children(&app, &cast).await;

    // A child may not widen its parent's class.
    let wider = Operation::Split {
        from: pool.clone(),
        children: vec![SplitChild {
            indicator: IndicatorDraft {
                exp_func_code: "2050101".into(),
                ..unit_draft(&cast)
            },
            amount: Fen(1),
        }],
    };
    assert_eq!(
        code(&run_operation(&app, &cast, &wider).await),
        "classification_not_refinement"
    );

    // 追加 from the pool.
    let supplement = Operation::Supplement {
        to: a.clone(),
        from: Some(pool.clone()),
        amount: Fen(50_000),
    };
    run_operation(&app, &cast, &supplement)
        .await
        .expect("supplement");
    assert_eq!(figures(&app, &a).await.available_fen, 450_000);
    assert_eq!(figures(&app, &pool).await.available_fen, 250_000);

    // A reservation holds 400,000 of A: a cut may take only the 50,000 still available.
    let who = Viewer::User(&cast.treasury);
    let held = app
        .ledger_reserve(who, reserve(&cast, "ops.r1", &a, 400_000), &ctx())
        .await
        .expect("reserved");
    assert!(!held.repeat);
    let cut = |amount_fen: i64| Operation::Cut {
        from: a.clone(),
        to: Some(pool.clone()),
        amount: Fen(amount_fen),
    };
    let before = all_balances(&app).await;
    assert_eq!(
        code(&run_operation(&app, &cast, &cut(50_001)).await),
        "exceeds_available_balance"
    );
    assert_eq!(all_balances(&app).await, before);
    run_operation(&app, &cast, &cut(50_000)).await.expect("cut");
    let a_figures = figures(&app, &a).await;
    assert_eq!(
        (
            a_figures.available_fen,
            a_figures.reserved_fen,
            a_figures.total_fen
        ),
        (0, 400_000, 400_000)
    );
    assert_eq!(figures(&app, &pool).await.available_fen, 300_000);

    // 调剂: legs out of B beyond its 300,000 move nothing; legs that fit move together.
    let too_large = Operation::Reallocate {
        legs: vec![leg(&b, &a, 100_000), leg(&b, &pool, 200_001)],
    };
    let before = all_balances(&app).await;
    assert_eq!(
        code(&run_operation(&app, &cast, &too_large).await),
        "exceeds_available_balance"
    );
    assert_eq!(all_balances(&app).await, before);
    let fits = Operation::Reallocate {
        legs: vec![leg(&b, &a, 100_000), leg(&b, &pool, 50_000)],
    };
    run_operation(&app, &cast, &fits).await.expect("reallocate");
    assert_eq!(figures(&app, &a).await.available_fen, 100_000);
    assert_eq!(figures(&app, &b).await.available_fen, 150_000);
    assert_eq!(figures(&app, &pool).await.available_fen, 350_000);

    // 冻结 25% of what B has available, then 解冻 it; never more than is frozen.
    let freeze = Operation::Freeze {
        bgt_id: b.clone(),
        by: FreezeBy::Ratio(2500),
        reason: "绩效评价未完成".into(),
    };
    run_operation(&app, &cast, &freeze).await.expect("freeze");
    let frozen = figures(&app, &b).await;
    assert_eq!((frozen.frozen_fen, frozen.available_fen), (37_500, 112_500));
    assert_eq!(
        code(
            &app.ledger_reserve(who, reserve_project(&cast, "ops.r2", &b, 112_501), &ctx())
                .await
        ),
        "exceeds_available_balance",
        "frozen money is not available to payments"
    );
    let unfreeze = |amount_fen: i64| Operation::Unfreeze {
        bgt_id: b.clone(),
        amount: Fen(amount_fen),
        reason: "整改完成".into(),
    };
    assert_eq!(
        code(&run_operation(&app, &cast, &unfreeze(37_501)).await),
        "exceeds_frozen_amount"
    );
    run_operation(&app, &cast, &unfreeze(37_500))
        .await
        .expect("unfreeze");
    let thawed = figures(&app, &b).await;
    assert_eq!((thawed.frozen_fen, thawed.available_fen), (0, 150_000));
    // Nothing was created or lost on the way.
    let mut total_fen = 0;
    for bgt_id in [&pool, &a, &b] {
        total_fen += figures(&app, bgt_id).await.total_fen;
    }
    assert_eq!(total_fen, 1_000_000);
    assert_ledger_nets_to_zero(&app).await;
}

async fn write_off_then_year_end(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let cast = cast(&app).await;
    let (pool, a, b) = pool_and_children(&app, &cast).await;
    let who = Viewer::User(&cast.treasury);

    // 核销: an advance (预拨, type 11) spent 50,000; the formal indicator A absorbs it.
    let advance = enter(
        &app,
        &cast,
        IndicatorDraft {
            bgt_type_code: BGT_TYPE_ADVANCE.into(),
            bgt_doc_title: "预拨经费".into(),
            ..unit_draft(&cast)
        },
        80_000,
    )
    .await;
    app.ledger_reserve(who, reserve(&cast, "adv.r1", &advance, 50_000), &ctx())
        .await
        .expect("reserve on the advance");
    app.ledger_post(who, tid("adv.p1"), tid("adv.r1"), None, &ctx())
        .await
        .expect("paid");
    let write_off = |formal: &BgtId, advance: &BgtId, amount_fen: i64| Operation::WriteOff {
        formal: formal.clone(),
        advance: advance.clone(),
        amount: Fen(amount_fen),
    };
    assert_eq!(
        code(&run_operation(&app, &cast, &write_off(&a, &advance, 50_001)).await),
        "exceeds_spent_amount"
    );
    assert_eq!(
        code(&run_operation(&app, &cast, &write_off(&advance, &a, 1)).await),
        "not_an_advance"
    );
    run_operation(&app, &cast, &write_off(&a, &advance, 50_000))
        .await
        .expect("write-off");
    let formal = figures(&app, &a).await;
    assert_eq!(
        (formal.available_fen, formal.spent_fen, formal.total_fen),
        (350_000, 50_000, 400_000)
    );
    let adv = figures(&app, &advance).await;
    assert_eq!(
        (adv.available_fen, adv.spent_fen, adv.written_off_fen),
        (30_000, 0, 50_000)
    );

    // A reservation still open blocks the year-end until it is resolved.
    app.ledger_reserve(who, reserve(&cast, "ye.r1", &a, 10_000), &ctx())
        .await
        .expect("reserved");
    let region = cast.mof_div_code.as_str();
    let blocked = app
        .year_end_operation(&cast.budget, region, 2026, CarryRule::ProjectsOnly)
        .await
        .expect("year-end built");
    assert_eq!(
        code(&run_operation(&app, &cast, &blocked).await),
        "indicator_has_reservations"
    );
    app.ledger_post(who, tid("ye.p1"), tid("ye.r1"), None, &ctx())
        .await
        .expect("paid");
    let freeze = Operation::Freeze {
        bgt_id: b.clone(),
        by: FreezeBy::Amount(Fen(20_000)),
        reason: "审计整改".into(),
    };
    run_operation(&app, &cast, &freeze).await.expect("freeze");

    // 结转 the project B (frozen money included) into 2027; 结余 A and the advance back to
    // the pool; the old indicators close.
    let year_end = app
        .year_end_operation(&cast.budget, region, 2026, CarryRule::ProjectsOnly)
        .await
        .expect("year-end built");
    let Operation::YearEnd { lines, .. } = &year_end else {
        panic!("{year_end:?}");
    };
    let carry_of = |bgt_id: &BgtId| {
        lines
            .iter()
            .find(|line| &line.bgt_id == bgt_id)
            .map(|line| line.carry.0)
    };
    assert_eq!(
        (carry_of(&a), carry_of(&b), carry_of(&advance)),
        (Some(0), Some(300_000), Some(0))
    );
    let pool_before = figures(&app, &pool).await.available_fen;
    let doc_id = run_operation(&app, &cast, &year_end)
        .await
        .expect("year-end");
    let carried = indicators_of_doc(&app, &doc_id).await;
    assert_eq!(carried.len(), 1);
    let next = app
        .visible_indicator(Viewer::System, &carried[0])
        .await
        .expect("2027 indicator");
    assert_eq!(next.elements.fiscal_year.0, 2027);
    assert_eq!(next.elements.ori_bgt_id.as_ref(), Some(&b));
    assert_eq!(next.elements.pro_code, "P2026001");
    assert_eq!(next.elements.source_type_code, "2");
    assert_eq!(next.figures.available_fen, 300_000);
    assert_eq!(
        figures(&app, &pool).await.available_fen,
        pool_before + 340_000 + 30_000,
        "A's 340,000 and the advance's 30,000 lapse to the pool"
    );
    for old in [&a, &b, &advance] {
        let row = app
            .visible_indicator(Viewer::System, old)
            .await
            .expect("row");
        assert!(row.closed, "{old} closed");
        assert_eq!(row.figures.available_fen + row.figures.frozen_fen, 0);
        assert_eq!(
            code(
                &app.ledger_reserve(who, reserve(&cast, "ye.late", old, 1), &ctx())
                    .await
            ),
            "indicator_closed"
        );
    }
    assert_eq!(
        code(
            &app.ledger_refund(who, tid("ye.f1"), a.clone(), Fen(1), None, &ctx())
                .await
        ),
        "indicator_closed"
    );
    // A request sent before the close and retried after it still gets its first result.
    let retried = app
        .ledger_reserve(who, reserve(&cast, "ye.r1", &a, 10_000), &ctx())
        .await
        .expect("a retry is a repeat, closed or not");
    assert!(retried.repeat);
    // The money of last year is spent; 2027 spends from the carried indicator.
    app.ledger_reserve(
        who,
        reserve_project(&cast, "ye.r2027", &next.bgt_id, 1_000),
        &ctx(),
    )
    .await
    .expect("the carried indicator is executable");

    // A second year-end of 2026 finds nothing to do; the first one again is refused.
    let again = app
        .year_end_operation(&cast.budget, region, 2026, CarryRule::ProjectsOnly)
        .await
        .expect("built");
    assert!(
        matches!(&again, Operation::YearEnd { lines, .. } if lines.is_empty()),
        "{again:?}"
    );
    let before = all_balances(&app).await;
    assert_eq!(
        code(&run_operation(&app, &cast, &year_end).await),
        "indicator_closed"
    );
    let replay = Operation::YearEnd {
        pool: pool.clone(),
        lines: vec![CarryLine {
            bgt_id: a.clone(),
            carry: Fen(0),
        }],
    };
    assert_eq!(
        code(&run_operation(&app, &cast, &replay).await),
        "indicator_closed"
    );
    assert_eq!(all_balances(&app).await, before);
    assert_ledger_nets_to_zero(&app).await;
}

/// A reallocation is submitted while it fits; before its final approval a reservation takes
/// part of the money. The approval is refused with the rule, nothing of the document is
/// written (not even its first leg), and the task stays open: once the reservation is
/// voided the same approval goes through.
async fn approval_that_no_longer_fits_is_refused(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let cast = cast(&app).await;
    let (pool, a, b) = pool_and_children(&app, &cast).await;
    let operation = Operation::Reallocate {
        legs: vec![leg(&pool, &a, 10_000), leg(&b, &a, 300_000)],
    };
    let doc_id = app
        .create_indicator_op(&cast.treasury, &operation, true, &ctx())
        .await
        .expect("submitted");
    assert_eq!(
        approve(&app, &cast.business, &doc_id)
            .await
            .expect("business"),
        InstanceStatus::InProgress
    );
    let who = Viewer::User(&cast.treasury);
    app.ledger_reserve(who, reserve_project(&cast, "late.r1", &b, 1), &ctx())
        .await
        .expect("a payment takes one fen of B");
    let before = all_balances(&app).await;
    assert_eq!(
        code(&approve(&app, &cast.budget, &doc_id).await),
        "exceeds_available_balance"
    );
    assert_eq!(all_balances(&app).await, before, "nothing moved");
    let view = app
        .flow_document(&cast.budget, &doc_id)
        .await
        .expect("visible");
    assert!(
        !view.task_actions.is_empty(),
        "the approval task is still open"
    );
    app.ledger_void(who, tid("late.v1"), tid("late.r1"), &ctx())
        .await
        .expect("voided");
    assert_eq!(
        approve(&app, &cast.budget, &doc_id)
            .await
            .expect("approved now"),
        InstanceStatus::Approved
    );
    assert_eq!(figures(&app, &a).await.available_fen, 710_000);
    assert_eq!(figures(&app, &b).await.available_fen, 0);
    assert_eq!(figures(&app, &pool).await.available_fen, 290_000);
    assert_ledger_nets_to_zero(&app).await;
}
