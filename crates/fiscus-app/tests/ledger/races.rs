//! Races through the reservation interface and its writer, on both backends: 200 concurrent
//! reservations for room for 37, a retry storm of one reservation, and a post raced against
//! a void of the same reservation.

use std::collections::BTreeMap;

use fiscus_app::App;
use fiscus_app::ledger::LedgerReceipt;
use fiscus_core::Principal;
use fiscus_store::records::Viewer;
use fiscus_store::testing::TestDb;

use crate::support::*;

fiscus_store::on_both_backends!(
    reservations_through_the_writer_stop_at_the_balance,
    retry_storm_through_the_writer_applies_once,
    post_and_void_raced_through_the_writer,
);

const RESERVATION_FEN: i64 = 1_250;
const RESERVATIONS_FIT: i64 = 37;

/// Reserves on its own task, as a separate request would.
fn spawn_reserve(
    app: &App,
    who: &Principal,
    request: fiscus_app::ledger::Reserve,
) -> tokio::task::JoinHandle<Result<LedgerReceipt, fiscus_app::AppError>> {
    let (app, who) = (app.clone(), who.clone());
    tokio::spawn(async move {
        app.ledger_reserve(Viewer::User(&who), request, &ctx())
            .await
    })
}

async fn reservations_through_the_writer_stop_at_the_balance(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let cast = cast(&app).await;
    let bgt_id = enter(
        &app,
        &cast,
        unit_draft(&cast),
        RESERVATIONS_FIT * RESERVATION_FEN,
    )
    .await;
    let tasks: Vec<_> = (0..200)
        .map(|n| {
            let request = reserve(&cast, &format!("w.r{n}"), &bgt_id, RESERVATION_FEN);
            spawn_reserve(&app, &cast.treasury, request)
        })
        .collect();
    let mut codes: BTreeMap<String, usize> = BTreeMap::new();
    for task in tasks {
        *codes
            .entry(code(&task.await.expect("task ran")))
            .or_default() += 1;
    }
    let expected: BTreeMap<String, usize> = [
        ("ok".to_owned(), 37),
        ("exceeds_available_balance".to_owned(), 163),
    ]
    .into_iter()
    .collect();
    assert_eq!(codes, expected);
    let figures = figures(&app, &bgt_id).await;
    assert_eq!(figures.available_fen, 0);
    assert_eq!(figures.reserved_fen, RESERVATIONS_FIT * RESERVATION_FEN);
    assert_ledger_nets_to_zero(&app).await;
}

async fn retry_storm_through_the_writer_applies_once(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let cast = cast(&app).await;
    let bgt_id = enter(&app, &cast, unit_draft(&cast), 10_000).await;
    let tasks: Vec<_> = (0..50)
        .map(|_| spawn_reserve(&app, &cast.treasury, reserve(&cast, "s.r1", &bgt_id, 3_000)))
        .collect();
    let mut receipts = Vec::new();
    for task in tasks {
        receipts.push(task.await.expect("task ran").expect("applied or repeat"));
    }
    let first: Vec<&LedgerReceipt> = receipts.iter().filter(|r| !r.repeat).collect();
    assert_eq!(first.len(), 1, "{receipts:?}");
    assert!(receipts.iter().all(|receipt| receipt.seq == first[0].seq));
    let figures_after = figures(&app, &bgt_id).await;
    assert_eq!(
        (figures_after.available_fen, figures_after.reserved_fen),
        (7_000, 3_000)
    );
    let who = Viewer::User(&cast.treasury);
    assert_eq!(
        code(
            &app.ledger_reserve(who, reserve(&cast, "s.r1", &bgt_id, 3_001), &ctx())
                .await
        ),
        "idempotency_key_reused"
    );
    assert_eq!(
        code(
            &app.ledger_reserve(who, reserve(&cast, "s.r1", &bgt_id, 3_000), &ctx())
                .await
        ),
        "ok",
        "the first content is still a repeat"
    );
    assert_eq!(figures(&app, &bgt_id).await, figures_after);
}

async fn post_and_void_raced_through_the_writer(test_db: TestDb) {
    const ROUNDS: usize = 10;
    let app = demo_app(&test_db).await;
    let cast = cast(&app).await;
    let bgt_id = enter(&app, &cast, unit_draft(&cast), 100_000).await;
    let who = Viewer::User(&cast.treasury);
    let mut posted_fen = 0;
    for n in 0..ROUNDS {
        let pending = format!("d.r{n}");
        app.ledger_reserve(who, reserve(&cast, &pending, &bgt_id, 1_000), &ctx())
            .await
            .expect("reserved");
        let (app_a, who_a, pending_a) = (app.clone(), cast.treasury.clone(), pending.clone());
        let post = tokio::spawn(async move {
            app_a
                .ledger_post(
                    Viewer::User(&who_a),
                    tid(&format!("d.p{n}")),
                    tid(&pending_a),
                    Some(fiscus_core::Fen(700)),
                    &ctx(),
                )
                .await
        });
        let (app_b, who_b, pending_b) = (app.clone(), cast.treasury.clone(), pending.clone());
        let void = tokio::spawn(async move {
            app_b
                .ledger_void(
                    Viewer::User(&who_b),
                    tid(&format!("d.v{n}")),
                    tid(&pending_b),
                    &ctx(),
                )
                .await
        });
        let codes = [
            code(&post.await.expect("post ran")),
            code(&void.await.expect("void ran")),
        ];
        let mut sorted = codes.clone();
        sorted.sort();
        assert_eq!(sorted, ["ok", "pending_already_resolved"], "round {n}");
        if codes[0] == "ok" {
            posted_fen += 700;
            // The winner sent again is a repeat of its first result.
            let again = app
                .ledger_post(
                    who,
                    tid(&format!("d.p{n}")),
                    tid(&pending),
                    Some(fiscus_core::Fen(700)),
                    &ctx(),
                )
                .await
                .expect("repeat");
            assert!(again.repeat);
        }
    }
    let figures = figures(&app, &bgt_id).await;
    assert_eq!(figures.reserved_fen, 0);
    assert_eq!(figures.spent_fen, posted_fen);
    assert_eq!(figures.available_fen, 100_000 - posted_fen);
    assert_ledger_nets_to_zero(&app).await;
}
