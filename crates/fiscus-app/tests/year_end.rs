//! The region year-end close (年终结转结余, ADR 0011) on both backends: carry and lapse
//! amounts, next-year indicators with lineage and 上年结转, frozen money released, reservations
//! blocking, the second close refused with nothing changed, the old year read-only for
//! operations and reservations, `fiscus verify` clean, who may close, and equality with the
//! reference semantics (the `Operation::YearEnd` plan replayed on the reference model).

// Tests fail loudly: `expect` is the assertion here.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "ledger/support.rs"]
mod support;

use std::collections::BTreeMap;

use fiscus_app::ledger::Reserve;
use fiscus_app::ledger::ops::CarryRule;
use fiscus_core::Fen;
use fiscus_core::ledger::model::Model;
use fiscus_core::ledger::operation::SplitChild;
use fiscus_core::ledger::{AccountId, BgtId, FreezeBy, IndicatorDraft, Operation, plan};
use fiscus_store::records::Viewer;
use fiscus_store::testing::TestDb;

use support::*;

fiscus_store::on_both_backends!(
    close_carries_lapses_and_makes_the_year_read_only,
    close_equals_the_reference_semantics,
    reservations_block_and_roles_are_checked,
);

fn reserve_project(cast: &Cast, key: &str, bgt_id: &BgtId, amount_fen: i64) -> Reserve {
    let mut request = reserve(cast, key, bgt_id, amount_fen);
    request.elements.exp_func_code = "2010102".into();
    request.elements.pro_code = "P2026001".into();
    request
}

/// The region's pool (1,000,000) split into A basic (400,000) and B a project (300,000).
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
    let rows = fiscus_store::ledger::visible_indicators(&app.db, Viewer::System, &children)
        .await
        .expect("rows");
    let by_func = |func: &str| {
        rows.iter()
            .find(|row| row.elements.exp_func_code == func)
            .expect("child of that class")
            .bgt_id
            .clone()
    };
    (pool, by_func("2010101"), by_func("2010102"))
}

/// A: 60,000 paid; B: 20,000 frozen, 1,000 paid.
async fn spend_and_freeze(app: &fiscus_app::App, cast: &Cast, a: &BgtId, b: &BgtId) {
    let who = Viewer::User(&cast.treasury);
    app.ledger_reserve(who, reserve(cast, "ye.a.r1", a, 60_000), &ctx())
        .await
        .expect("reserve A");
    app.ledger_post(who, tid("ye.a.p1"), tid("ye.a.r1"), None, &ctx())
        .await
        .expect("post A");
    app.ledger_reserve(who, reserve_project(cast, "ye.b.r1", b, 1_000), &ctx())
        .await
        .expect("reserve B");
    app.ledger_post(who, tid("ye.b.p1"), tid("ye.b.r1"), None, &ctx())
        .await
        .expect("post B");
    let freeze = Operation::Freeze {
        bgt_id: b.clone(),
        by: FreezeBy::Amount(Fen(20_000)),
        reason: "审计整改".into(),
    };
    run_operation(app, cast, &freeze).await.expect("freeze");
}

async fn carried_from(
    app: &fiscus_app::App,
    old: &BgtId,
) -> Vec<fiscus_store::ledger::IndicatorRow> {
    let region = app
        .visible_indicator(Viewer::System, old)
        .await
        .expect("old")
        .elements
        .mof_div_code;
    let rows = fiscus_store::ledger::query::open_indicators_of_region(
        &app.db,
        Viewer::System,
        region.as_str(),
        2027,
    )
    .await
    .expect("2027 rows");
    rows.into_iter()
        .filter(|row| row.elements.ori_bgt_id.as_ref() == Some(old))
        .collect()
}

async fn close_carries_lapses_and_makes_the_year_read_only(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let cast = cast(&app).await;
    let (pool, a, b) = pool_and_children(&app, &cast).await;
    spend_and_freeze(&app, &cast, &a, &b).await;
    let region = cast.mof_div_code.clone();
    let preview = app
        .year_end_preview(&cast.budget, &region, 2026, CarryRule::ProjectsOnly)
        .await
        .expect("preview");
    assert_eq!(
        (
            preview.n_open,
            preview.carry_fen,
            preview.lapse_fen,
            preview.frozen_fen,
            preview.n_blocking
        ),
        (2, 299_000, 340_000, 20_000, 0)
    );
    assert!(preview.has_total_pool && preview.closed.is_none());
    let pool_before = figures(&app, &pool).await.available_fen;

    let steps = std::sync::Mutex::new(Vec::new());
    let progress = |step: fiscus_app::ledger::year_end::YearEndProgress| {
        steps.lock().unwrap().push(step.stage);
    };
    let summary = app
        .year_end_close(
            &cast.budget,
            &region,
            2026,
            CarryRule::ProjectsOnly,
            Some(&progress),
            &ctx(),
        )
        .await
        .expect("closed");
    assert_eq!(steps.lock().unwrap().len(), 3);
    let totals = summary.totals;
    assert_eq!(
        (
            totals.n_closed,
            totals.n_carried,
            totals.carried_fen,
            totals.lapsed_fen,
            totals.released_fen,
            totals.n_transfers
        ),
        (2, 1, 299_000, 340_000, 20_000, 3)
    );
    // B's 299,000 (its 20,000 frozen included) went into a 2027 indicator of 上年结转.
    let next = carried_from(&app, &b).await;
    assert_eq!(next.len(), 1);
    let next = &next[0];
    assert_eq!(next.elements.fiscal_year.0, 2027);
    assert_eq!(next.elements.source_type_code, "2");
    assert_eq!(next.elements.pro_code, "P2026001");
    assert_eq!(next.orig_amount_fen, 299_000);
    assert_eq!(next.figures.available_fen, 299_000);
    assert!(
        carried_from(&app, &a).await.is_empty(),
        "basic expenditure lapses"
    );
    // A's 340,000 lapsed to the pool; A and B are closed and empty, their history kept.
    assert_eq!(
        figures(&app, &pool).await.available_fen,
        pool_before + 340_000
    );
    for old in [&a, &b] {
        let row = app
            .visible_indicator(Viewer::System, old)
            .await
            .expect("row");
        assert!(row.closed);
        assert_eq!((row.figures.available_fen, row.figures.frozen_fen), (0, 0));
    }
    assert_eq!(figures(&app, &a).await.spent_fen, 60_000);
    // The record.
    let records = app
        .year_end_records(&cast.budget, Some(2026))
        .await
        .expect("records");
    assert_eq!(records.len(), 1);
    assert_eq!(
        (
            records[0].carry_rule.as_str(),
            records[0].carried_fen,
            records[0].lapsed_fen
        ),
        ("projects", 299_000, 340_000)
    );

    // A second close is refused and changes nothing.
    let before = all_balances(&app).await;
    let again = app
        .year_end_close(&cast.budget, &region, 2026, CarryRule::All, None, &ctx())
        .await;
    assert_eq!(code(&again), "year_already_closed");
    assert_eq!(all_balances(&app).await, before);

    // The old year is read-only: an operation on the (still open) pool, a new indicator of
    // 2026, a reservation and a refund on an old indicator are refused with year_closed.
    let cut = Operation::Cut {
        from: pool.clone(),
        to: None,
        amount: Fen(1),
    };
    assert_eq!(code(&run_operation(&app, &cast, &cut).await), "year_closed");
    let new_2026 = Operation::Enter {
        indicator: unit_draft(&cast),
        amount: Fen(1),
    };
    assert_eq!(
        code(&run_operation(&app, &cast, &new_2026).await),
        "year_closed"
    );
    let who = Viewer::User(&cast.treasury);
    assert_eq!(
        code(
            &app.ledger_reserve(who, reserve(&cast, "ye.late", &a, 1), &ctx())
                .await
        ),
        "year_closed"
    );
    assert_eq!(
        code(
            &app.ledger_refund(who, tid("ye.refund"), a.clone(), Fen(1), None, &ctx())
                .await
        ),
        "year_closed"
    );
    // A retry of a request made before the close still gets its first result.
    let retried = app
        .ledger_reserve(who, reserve(&cast, "ye.a.r1", &a, 60_000), &ctx())
        .await
        .expect("a repeat");
    assert!(retried.repeat);
    // The store's own guard: a transfer into the closed year written directly is refused.
    let mut tx = app.db.begin().await.expect("tx");
    let direct = fiscus_store::ledger::apply_transfers(
        &mut tx,
        &[fiscus_core::ledger::TransferSpec::posted(
            tid("ye.direct"),
            AccountId::of(&pool, fiscus_core::ledger::AccountKind::Avail),
            AccountId::of(&pool, fiscus_core::ledger::AccountKind::Frozen),
            Fen(1),
            fiscus_core::ledger::Reason::Freeze,
            fiscus_core::ledger::CtrlLevel::Strict,
        )],
        fiscus_store::ledger::BatchMeta {
            batch_id: "ye.direct",
            doc_id: None,
            actor: "test",
            at: "2027-01-01T00:00:00Z",
        },
    )
    .await;
    drop(tx);
    assert!(
        matches!(
            direct,
            Err(fiscus_store::StoreError::Rejected(
                fiscus_core::Rejection::YearClosed { .. }
            ))
        ),
        "{direct:?}"
    );
    assert_eq!(all_balances(&app).await, before);
    // Reads keep working; 2027 spends from the carried indicator.
    assert_eq!(
        app.visible_indicator(Viewer::User(&cast.treasury), &a)
            .await
            .expect("old year readable")
            .figures
            .spent_fen,
        60_000
    );
    app.ledger_reserve(
        who,
        reserve_project(&cast, "ye.r2027", &next.bgt_id, 1_000),
        &ctx(),
    )
    .await
    .expect("the carried indicator is executable");
    assert_ledger_nets_to_zero(&app).await;
    let report = fiscus_store::ledger::verify::verify_ledger(&app.db)
        .await
        .expect("verify runs");
    assert!(report.violations.is_empty(), "{:?}", report.violations);
}

/// The bulk close moves every balance exactly as the `Operation::YearEnd` of the same region
/// (built by `year_end_operation`, planned by `plan`, replayed on the reference model), with
/// the same transfers in the same order and the same next-year elements.
async fn close_equals_the_reference_semantics(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let cast = cast(&app).await;
    let (_pool, a, b) = pool_and_children(&app, &cast).await;
    spend_and_freeze(&app, &cast, &a, &b).await;
    let region = cast.mof_div_code.clone();
    for rule in [CarryRule::All] {
        let operation = app
            .year_end_operation(&cast.budget, &region, 2026, rule)
            .await
            .expect("operation");
        let mut facts = fiscus_core::ledger::PlanFacts::default();
        for bgt_id in operation.referenced() {
            let row = app
                .visible_indicator(Viewer::System, &bgt_id)
                .await
                .expect("row");
            facts.indicators.insert(bgt_id, row.facts());
        }
        let mut n = 0;
        let mut new_id = || {
            n += 1;
            BgtId::generated(format!("REF{n}"))
        };
        let reference = plan(&operation, &facts, "ref", &mut new_id).expect("plan");
        let before = all_balances(&app).await;
        let mut model = Model::default();
        for (account, balances) in &before {
            model
                .accounts
                .insert(AccountId::from_stored(account.clone()), *balances);
        }
        model
            .apply(&reference.transfers)
            .expect("reference applies");

        let summary = app
            .year_end_close(&cast.budget, &region, 2026, rule, None, &ctx())
            .await
            .expect("closed");
        // The reference's new ids → the stored ones, by lineage.
        let mut renamed: BTreeMap<String, String> = BTreeMap::new();
        for (reference_id, elements) in &reference.new_indicators {
            let old = elements.ori_bgt_id.as_ref().expect("lineage");
            let stored = carried_from(&app, old).await;
            assert_eq!(stored.len(), 1);
            assert_eq!(&stored[0].elements, elements, "next-year elements");
            renamed.insert(reference_id.to_string(), stored[0].bgt_id.to_string());
        }
        let rename = |account: &str| -> String {
            match account.rsplit_once('.') {
                Some((id, kind)) if renamed.contains_key(id) => {
                    format!("{}.{kind}", renamed[id])
                }
                _ => account.to_owned(),
            }
        };
        let expected: BTreeMap<String, fiscus_core::ledger::Balances> = model
            .accounts
            .iter()
            .map(|(account, balances)| (rename(account.as_str()), *balances))
            .collect();
        let after = all_balances(&app).await;
        let after_touched: BTreeMap<String, fiscus_core::ledger::Balances> = after
            .into_iter()
            .filter(|(account, balances)| {
                expected.contains_key(account) || *balances != Default::default()
            })
            .collect();
        let expected_touched: BTreeMap<String, fiscus_core::ledger::Balances> = expected
            .into_iter()
            .filter(|(account, balances)| {
                after_touched.contains_key(account) || *balances != Default::default()
            })
            .collect();
        assert_eq!(after_touched, expected_touched, "{rule:?}");
        // The same transfers in the same order, numbered the same.
        let mut tx = app.db.begin().await.expect("tx");
        let mut stored = Vec::new();
        for spec in &reference.transfers {
            let suffix = spec
                .transfer_id
                .as_str()
                .strip_prefix("ref.")
                .expect("numbered");
            let row =
                fiscus_store::ledger::transfer(&mut tx, &format!("{}.{suffix}", summary.batch_id))
                    .await
                    .expect("read")
                    .expect("the same number");
            assert_eq!(
                (
                    row.debit_account_id.as_str(),
                    rename(row.credit_account_id.as_str()),
                    row.amount_fen,
                    row.reason.as_str(),
                    row.kind.as_str(),
                    row.ctrl_level.as_str()
                ),
                (
                    spec.debit.as_str(),
                    rename(spec.credit.as_str()),
                    spec.amount.0,
                    spec.reason.code(),
                    "posted",
                    "strict"
                )
            );
            stored.push(row.seq);
        }
        drop(tx);
        assert!(stored.windows(2).all(|pair| pair[0] < pair[1]), "in order");
        let closed = app
            .visible_indicator(Viewer::System, &a)
            .await
            .expect("a")
            .closed;
        assert!(closed);
    }
    assert_ledger_nets_to_zero(&app).await;
    let report = fiscus_store::ledger::verify::verify_ledger(&app.db)
        .await
        .expect("verify runs");
    assert!(report.violations.is_empty(), "{:?}", report.violations);
}

async fn reservations_block_and_roles_are_checked(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let cast = cast(&app).await;
    let (_pool, a, _b) = pool_and_children(&app, &cast).await;
    let region = cast.mof_div_code.clone();
    let who = Viewer::User(&cast.treasury);
    app.ledger_reserve(who, reserve(&cast, "ye.open", &a, 5_000), &ctx())
        .await
        .expect("in flight");
    let before = all_balances(&app).await;
    let close = |who: fiscus_core::Principal| {
        let app = &app;
        let region = region.clone();
        async move {
            app.year_end_close(&who, &region, 2026, CarryRule::ProjectsOnly, None, &ctx())
                .await
        }
    };
    let blocked = close(cast.budget.clone()).await;
    assert_eq!(code(&blocked), "year_end_open_reservations");
    match blocked {
        Err(fiscus_app::AppError::Rejected(fiscus_core::Rejection::YearEndOpenReservations {
            n_indicators,
        })) => assert_eq!(n_indicators, 1),
        other => panic!("{other:?}"),
    }
    let preview = app
        .year_end_preview(&cast.budget, &region, 2026, CarryRule::ProjectsOnly)
        .await
        .expect("preview");
    assert_eq!((preview.n_blocking, preview.blocking_fen), (1, 5_000));
    // Who may close: not a unit clerk, not the treasury division, not another region's
    // budget division.
    for who in [
        cast.clerk.clone(),
        cast.treasury.clone(),
        cast.outsider.clone(),
    ] {
        assert_eq!(code(&close(who).await), "forbidden");
    }
    let other_budget = {
        let data = fiscus_app::demo::generate(fiscus_app::demo::Scale::Small);
        let user = data
            .users
            .iter()
            .find(|user| {
                user.agency_code.is_none()
                    && user.mof_div_code != region
                    && user.roles == fiscus_core::Role::BudgetDivision.code()
            })
            .expect("another region's budget division")
            .user_name
            .clone();
        principal(&app, &user).await
    };
    assert_eq!(code(&close(other_budget).await), "forbidden");
    assert_eq!(
        code(
            &app.year_end_preview(&cast.clerk, &region, 2026, CarryRule::All)
                .await
        ),
        "forbidden"
    );
    assert!(
        app.year_end_records(&cast.budget, None)
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(all_balances(&app).await, before);
    // Once the payment is settled the close goes through.
    app.ledger_void(who, tid("ye.void"), tid("ye.open"), &ctx())
        .await
        .expect("voided");
    close(cast.budget.clone()).await.expect("closed");
    assert_eq!(
        app.year_end_records(&cast.budget, None)
            .await
            .expect("list")
            .len(),
        1
    );
}
