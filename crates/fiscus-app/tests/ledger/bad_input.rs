//! Bad input to the ledger, table-driven through one helper on both backends: amounts out of
//! range, unknown codes and indicators, scope, roles, pools used for payment, element
//! mismatches — each refused with its code and leaving every balance as it was — and the
//! same mismatch accepted with a warning (and an audit row) under warn control.

use std::future::Future;
use std::pin::Pin;

use fiscus_app::AppError;
use fiscus_app::ledger::Reserve;
use fiscus_core::Fen;
use fiscus_core::ledger::control::PaymentElements;
use fiscus_core::ledger::{AMOUNT_MAX, BgtId, FreezeBy, IndicatorDraft, Operation};
use fiscus_store::audit::{self, AuditQuery};
use fiscus_store::records::Viewer;
use fiscus_store::testing::TestDb;

use crate::support::*;

fiscus_store::on_both_backends!(
    bad_input_is_refused_and_moves_nothing,
    warn_control_accepts_with_a_warning
);

type Attempt<'a> = Pin<Box<dyn Future<Output = Result<(), AppError>> + 'a>>;

/// Runs each attempt in turn: it must be refused with its code and leave every account's
/// balances exactly as they were.
async fn check_refusals(app: &fiscus_app::App, cases: Vec<(&str, &str, Attempt<'_>)>) {
    for (what, expected, attempt) in cases {
        let before = all_balances(app).await;
        let got = attempt.await;
        assert_eq!(code(&got), expected, "{what}");
        assert_eq!(all_balances(app).await, before, "{what} moved money");
    }
}

fn reserve_as<'a>(app: &'a fiscus_app::App, who: Viewer<'a>, request: Reserve) -> Attempt<'a> {
    Box::pin(async move { unit(app.ledger_reserve(who, request, &ctx()).await) })
}

fn operate_as<'a>(
    app: &'a fiscus_app::App,
    who: &'a fiscus_core::Principal,
    operation: Operation,
) -> Attempt<'a> {
    Box::pin(async move { unit(app.create_indicator_op(who, &operation, true, &ctx()).await) })
}

fn unit(result: Result<impl std::fmt::Debug, AppError>) -> Result<(), AppError> {
    result.map(|_| ())
}

async fn bad_input_is_refused_and_moves_nothing(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let cast = cast(&app).await;
    let bgt_id = enter(&app, &cast, unit_draft(&cast), 100_000).await;
    let pool = enter(&app, &cast, pool_draft(&cast), 50_000).await;
    let treasury = Viewer::User(&cast.treasury);
    app.ledger_reserve(treasury, reserve(&cast, "bad.r1", &bgt_id, 1_000), &ctx())
        .await
        .expect("a pending reservation to resolve");
    let unknown = BgtId::parse("NO-SUCH-INDICATOR").unwrap();
    let (app, cast, bgt_id, pool, unknown) = (&app, &cast, &bgt_id, &pool, &unknown);
    let reserve_fen = |amount_fen: i64| {
        reserve_as(
            app,
            treasury,
            reserve(cast, "bad.amount", bgt_id, amount_fen),
        )
    };
    let operate = |who, operation| operate_as(app, who, operation);
    let enter_fen = |amount_fen: i64| Operation::Enter {
        indicator: unit_draft(cast),
        amount: Fen(amount_fen),
    };
    let mismatched = Reserve {
        elements: PaymentElements {
            exp_func_code: "2010102".into(),
            ..payment_elements(cast)
        },
        ..reserve(cast, "bad.mismatch", bgt_id, 10)
    };
    let cases: Vec<(&str, &str, Attempt<'_>)> = vec![
        ("reserve 0", "amount_not_positive", reserve_fen(0)),
        ("reserve -1", "amount_not_positive", reserve_fen(-1)),
        (
            "reserve i64::MIN",
            "amount_not_positive",
            reserve_fen(i64::MIN),
        ),
        (
            "reserve i64::MAX",
            "amount_too_large",
            reserve_fen(i64::MAX),
        ),
        (
            "reserve AMOUNT_MAX + 1",
            "amount_too_large",
            reserve_fen(AMOUNT_MAX.0 + 1),
        ),
        (
            "reserve AMOUNT_MAX",
            "exceeds_available_balance",
            reserve_fen(AMOUNT_MAX.0),
        ),
        (
            "refund 0",
            "amount_not_positive",
            Box::pin(async move {
                unit(
                    app.ledger_refund(
                        treasury,
                        tid("bad.f0"),
                        bgt_id.clone(),
                        Fen(0),
                        None,
                        &ctx(),
                    )
                    .await,
                )
            }),
        ),
        (
            "refund i64::MAX",
            "amount_too_large",
            Box::pin(async move {
                unit(
                    app.ledger_refund(
                        treasury,
                        tid("bad.f1"),
                        bgt_id.clone(),
                        Fen(i64::MAX),
                        None,
                        &ctx(),
                    )
                    .await,
                )
            }),
        ),
        (
            "refund more than spent",
            "exceeds_spent_amount",
            Box::pin(async move {
                unit(
                    app.ledger_refund(
                        treasury,
                        tid("bad.f2"),
                        bgt_id.clone(),
                        Fen(1),
                        None,
                        &ctx(),
                    )
                    .await,
                )
            }),
        ),
        (
            "post a negative amount",
            "amount_negative",
            Box::pin(async move {
                unit(
                    app.ledger_post(
                        treasury,
                        tid("bad.p1"),
                        tid("bad.r1"),
                        Some(Fen(-1)),
                        &ctx(),
                    )
                    .await,
                )
            }),
        ),
        (
            "post more than reserved",
            "exceeds_pending_amount",
            Box::pin(async move {
                unit(
                    app.ledger_post(
                        treasury,
                        tid("bad.p2"),
                        tid("bad.r1"),
                        Some(Fen(1_001)),
                        &ctx(),
                    )
                    .await,
                )
            }),
        ),
        (
            "void an unknown reservation",
            "not_found",
            Box::pin(async move {
                unit(
                    app.ledger_void(treasury, tid("bad.v1"), tid("bad.none"), &ctx())
                        .await,
                )
            }),
        ),
        (
            "reserve on an unknown indicator",
            "not_found",
            reserve_as(app, treasury, reserve(cast, "bad.u1", unknown, 1)),
        ),
        (
            "reserve outside the user's scope",
            "not_found",
            reserve_as(
                app,
                Viewer::User(&cast.outsider),
                reserve(cast, "bad.o1", bgt_id, 1),
            ),
        ),
        (
            "reserve as a role that may not pay",
            "forbidden",
            reserve_as(
                app,
                Viewer::User(&cast.business),
                reserve(cast, "bad.b1", bgt_id, 1),
            ),
        ),
        (
            "pay from a pool",
            "indicator_not_executable",
            reserve_as(app, treasury, reserve(cast, "bad.pool", pool, 1)),
        ),
        (
            "element mismatch under strict control",
            "element_mismatch",
            reserve_as(app, treasury, mismatched),
        ),
        (
            "enter 0",
            "amount_not_positive",
            operate(&cast.treasury, enter_fen(0)),
        ),
        (
            "enter -100",
            "amount_not_positive",
            operate(&cast.treasury, enter_fen(-100)),
        ),
        (
            "enter i64::MAX",
            "amount_too_large",
            operate(&cast.treasury, enter_fen(i64::MAX)),
        ),
        (
            "enter AMOUNT_MAX + 1",
            "amount_too_large",
            operate(&cast.treasury, enter_fen(AMOUNT_MAX.0 + 1)),
        ),
        (
            "enter an unknown function class",
            "code_not_in_year_table",
            operate(
                &cast.treasury,
                Operation::Enter {
                    indicator: IndicatorDraft {
                        exp_func_code: "9999999".into(),
                        ..unit_draft(cast)
                    },
                    amount: Fen(1),
                },
            ),
        ),
        (
            "enter as a unit clerk",
            "forbidden",
            operate(&cast.clerk, enter_fen(1)),
        ),
        (
            "supplement an unknown indicator",
            "not_found",
            operate(
                &cast.treasury,
                Operation::Supplement {
                    to: unknown.clone(),
                    from: None,
                    amount: Fen(1),
                },
            ),
        ),
        (
            "supplement beyond the pool",
            "exceeds_available_balance",
            operate(
                &cast.treasury,
                Operation::Supplement {
                    to: bgt_id.clone(),
                    from: Some(pool.clone()),
                    amount: Fen(50_001),
                },
            ),
        ),
        (
            "supplement i64::MAX",
            "amount_too_large",
            operate(
                &cast.treasury,
                Operation::Supplement {
                    to: bgt_id.clone(),
                    from: None,
                    amount: Fen(i64::MAX),
                },
            ),
        ),
        (
            "reallocate to itself",
            "indicator_same_on_both_sides",
            operate(
                &cast.treasury,
                Operation::Reallocate {
                    legs: vec![fiscus_core::ledger::operation::ReallocateLeg {
                        from: bgt_id.clone(),
                        to: bgt_id.clone(),
                        amount: Fen(1),
                    }],
                },
            ),
        ),
        (
            "freeze a ratio of 0",
            "number_out_of_range",
            operate(
                &cast.treasury,
                Operation::Freeze {
                    bgt_id: bgt_id.clone(),
                    by: FreezeBy::Ratio(0),
                    reason: "审计".into(),
                },
            ),
        ),
        (
            "set a control as treasury",
            "forbidden",
            Box::pin(async move {
                app.set_ledger_control(&cast.treasury, "*", "reserve", "none", &ctx())
                    .await
            }),
        ),
        (
            "set an unknown control level",
            "field_invalid",
            Box::pin(async move {
                app.set_ledger_control(&cast.budget, "*", "reserve", "lax", &ctx())
                    .await
            }),
        ),
        (
            "year-end as a unit clerk",
            "forbidden",
            Box::pin(async move {
                unit(
                    app.year_end_operation(
                        &cast.clerk,
                        &cast.mof_div_code,
                        2026,
                        fiscus_app::ledger::ops::CarryRule::All,
                    )
                    .await,
                )
            }),
        ),
    ];
    check_refusals(app, cases).await;
    let figures = figures(app, bgt_id).await;
    assert_eq!(
        (figures.available_fen, figures.reserved_fen),
        (99_000, 1_000)
    );
}

/// Under warn control an element mismatch is accepted: the receipt says warned and an audit
/// row names the indicator. A warned reservation control lets a payment beyond the balance
/// through, also with a warning.
async fn warn_control_accepts_with_a_warning(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let cast = cast(&app).await;
    let bgt_id = enter(&app, &cast, unit_draft(&cast), 100_000).await;
    let treasury = Viewer::User(&cast.treasury);
    let mismatched = |key: &str, amount_fen: i64| Reserve {
        elements: PaymentElements {
            exp_func_code: "2010102".into(),
            ..payment_elements(&cast)
        },
        ..reserve(&cast, key, &bgt_id, amount_fen)
    };
    app.set_ledger_control(&cast.budget, "12", "element_match", "warn", &ctx())
        .await
        .expect("control set");
    let receipt = app
        .ledger_reserve(treasury, mismatched("warn.r1", 10_000), &ctx())
        .await
        .expect("accepted with a warning");
    assert!(receipt.warned && !receipt.repeat);
    let (rows, _) = audit::list(
        &app.db,
        &AuditQuery {
            action: Some("ledger_warning".into()),
            entity_key: Some(bgt_id.to_string()),
            page: 1,
            page_size: 10,
            ..AuditQuery::default()
        },
    )
    .await
    .expect("audit");
    assert_eq!(rows.len(), 1, "one warning row");
    assert_eq!(rows[0].entity.as_deref(), Some("indicator"));
    // Strict again: a new mismatch is refused, but the accepted one retried is a repeat.
    app.set_ledger_control(&cast.budget, "12", "element_match", "strict", &ctx())
        .await
        .expect("control set");
    assert_eq!(
        code(
            &app.ledger_reserve(treasury, mismatched("warn.r9", 1), &ctx())
                .await
        ),
        "element_mismatch"
    );
    let retried = app
        .ledger_reserve(treasury, mismatched("warn.r1", 10_000), &ctx())
        .await
        .expect("a retry is a repeat");
    assert_eq!((retried.repeat, retried.seq), (true, receipt.seq));
    // Another indicator type keeps the strict default.
    app.set_ledger_control(&cast.budget, "12", "reserve", "warn", &ctx())
        .await
        .expect("control set");
    let beyond = app
        .ledger_reserve(treasury, reserve(&cast, "warn.r2", &bgt_id, 95_000), &ctx())
        .await
        .expect("beyond the balance, warned");
    assert!(beyond.warned);
    let figures = figures(&app, &bgt_id).await;
    assert_eq!(figures.available_fen, -5_000);
    assert_eq!(figures.reserved_fen, 105_000);
    // Back to strict: nothing more may be reserved while the balance is negative.
    app.set_ledger_control(&cast.budget, "12", "reserve", "strict", &ctx())
        .await
        .expect("control set");
    assert_eq!(
        code(
            &app.ledger_reserve(treasury, reserve(&cast, "warn.r3", &bgt_id, 1), &ctx())
                .await
        ),
        "exceeds_available_balance"
    );
    assert_ledger_nets_to_zero(&app).await;
}
