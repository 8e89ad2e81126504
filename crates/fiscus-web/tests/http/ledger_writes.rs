//! The ledger's write endpoints over HTTP, on both backends: each one's happy path and every
//! rejection it can produce — amounts (zero, negative, overflowing, too large, beyond the
//! balance), unknown and out-of-scope indicators, roles, CSRF, malformed bodies, idempotent
//! repeats and reused keys — plus operation documents and the control levels.

use fiscus_store::testing::TestDb;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Body, assert_rejected, spawn};
use crate::ledger::{BUDGET, BUSINESS, CLERK, OTHER_CLERK, REGION, TREASURY, UNIT, world};

fiscus_store::on_both_backends!(write_endpoints_and_their_rejections);

async fn write_endpoints_and_their_rejections(test_db: TestDb) {
    let t = spawn(test_db, true).await;
    let w = world(&t).await;
    let treasury = t.as_user(TREASURY).await;
    let reserve = |key: &str, bgt: &str, amount: Value| json!({ "transfer_id": key, "bgt_id": bgt, "amount_fen": amount, "elements": { "agency_code": UNIT, "exp_func_code": "2010101", "gov_bgt_eco_code": "50101", "dep_bgt_eco_code": "30101", "fund_type_code": "111" } });
    let first = treasury
        .post(
            "/api/v1/ledger/reservations",
            &reserve("r-1", &w.unit, json!(10_000)),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.text());
    let again = treasury
        .post(
            "/api/v1/ledger/reservations",
            &reserve("r-1", &w.unit, json!(10_000)),
        )
        .await;
    assert_eq!(
        (
            again.status,
            again.json()["seq"].clone(),
            again.json()["repeat"].clone()
        ),
        (200, first.json()["seq"].clone(), json!(true))
    );
    assert_rejected(
        &treasury
            .post(
                "/api/v1/ledger/reservations",
                &reserve("r-1", &w.unit, json!(10_001)),
            )
            .await,
        409,
        "idempotency_key_reused",
        "changed repeat",
    );
    for (amount, status, code) in [
        (json!(0), 400, "amount_not_positive"),
        (json!(-5), 400, "amount_not_positive"),
        (json!(1e30), 400, "field_invalid"),
        (json!("100"), 400, "field_invalid"),
        (json!(99_000_000_000_000_000_i64), 400, "amount_too_large"),
        (json!(100_000_000), 422, "exceeds_available_balance"),
    ] {
        assert_rejected(
            &treasury
                .post(
                    "/api/v1/ledger/reservations",
                    &reserve("r-x", &w.unit, amount.clone()),
                )
                .await,
            status,
            code,
            &format!("amount {amount}"),
        );
    }
    assert_rejected(
        &treasury
            .post(
                "/api/v1/ledger/reservations",
                &reserve("r-x", "NOPE", json!(1)),
            )
            .await,
        404,
        "not_found",
        "unknown indicator",
    );
    assert_rejected(
        &treasury
            .post(
                "/api/v1/ledger/reservations",
                &reserve("r x!", &w.unit, json!(1)),
            )
            .await,
        400,
        "field_invalid",
        "bad key",
    );
    let mut unknown_field = reserve("r-x", &w.unit, json!(1));
    unknown_field["colour"] = json!("red");
    assert_rejected(
        &treasury
            .post("/api/v1/ledger/reservations", &unknown_field)
            .await,
        400,
        "field_invalid",
        "unknown field",
    );
    assert_rejected(
        &treasury
            .send(
                Method::POST,
                "/api/v1/ledger/reservations",
                Body::Raw("{\"transfer_id\": "),
            )
            .await,
        400,
        "field_invalid",
        "malformed",
    );
    let outsider = t.as_user(OTHER_CLERK).await;
    assert_rejected(
        &outsider
            .post(
                "/api/v1/ledger/reservations",
                &reserve("r-o", &w.unit, json!(1)),
            )
            .await,
        404,
        "not_found",
        "out of scope",
    );
    let business = t.as_user(BUSINESS).await;
    assert_rejected(
        &business
            .post(
                "/api/v1/ledger/reservations",
                &reserve("r-b", &w.unit, json!(1)),
            )
            .await,
        403,
        "forbidden",
        "role",
    );
    // A browser session without its CSRF token.
    let mut session = t.demo_login(TREASURY).await;
    session.csrf = None;
    assert_rejected(
        &session
            .post(
                "/api/v1/ledger/reservations",
                &reserve("r-c", &w.unit, json!(1)),
            )
            .await,
        403,
        "csrf_token_invalid",
        "csrf",
    );
    // The unit's own clerk may reserve its indicator.
    let clerk = t.as_user(CLERK).await;
    assert_eq!(
        clerk
            .post(
                "/api/v1/ledger/reservations",
                &reserve("r-clerk", &w.unit, json!(1_000))
            )
            .await
            .status,
        201
    );

    // Post in part, void, and their rejections.
    assert_rejected(
        &treasury
            .post(
                "/api/v1/ledger/reservations/r-1/post",
                &json!({ "transfer_id": "r-1-p", "amount_fen": 20_000 }),
            )
            .await,
        422,
        "exceeds_pending_amount",
        "post too much",
    );
    let post = treasury
        .post(
            "/api/v1/ledger/reservations/r-1/post",
            &json!({ "transfer_id": "r-1-p", "amount_fen": 4_000 }),
        )
        .await;
    assert_eq!(post.status, 201, "{}", post.text());
    assert_eq!(
        treasury
            .post(
                "/api/v1/ledger/reservations/r-1/post",
                &json!({ "transfer_id": "r-1-p", "amount_fen": 4_000 })
            )
            .await
            .status,
        200
    );
    assert_rejected(
        &treasury
            .post(
                "/api/v1/ledger/reservations/r-1/void",
                &json!({ "transfer_id": "r-1-v" }),
            )
            .await,
        409,
        "pending_already_resolved",
        "void after post",
    );
    assert_rejected(
        &treasury
            .post(
                "/api/v1/ledger/reservations/nope/void",
                &json!({ "transfer_id": "n-v" }),
            )
            .await,
        404,
        "not_found",
        "no pending",
    );
    assert_rejected(
        &treasury
            .post(
                "/api/v1/ledger/reservations/r-clerk/post",
                &json!({ "transfer_id": "r-c-p", "amount_fen": -1 }),
            )
            .await,
        400,
        "amount_negative",
        "negative post",
    );
    assert_rejected(
        &treasury
            .post(
                "/api/v1/ledger/reservations/r-clerk/void",
                &json!({ "transfer_id": "r-c-v", "amount_fen": 1 }),
            )
            .await,
        400,
        "field_invalid",
        "void with amount",
    );
    assert_eq!(
        treasury
            .post(
                "/api/v1/ledger/reservations/r-clerk/void",
                &json!({ "transfer_id": "r-c-v" })
            )
            .await
            .status,
        201
    );
    assert_rejected(
        &outsider
            .post(
                "/api/v1/ledger/reservations/r-1/void",
                &json!({ "transfer_id": "o-v" }),
            )
            .await,
        404,
        "not_found",
        "void out of scope",
    );

    // Refunds: within what was spent.
    let refund = |key: &str, amount: i64| json!({ "transfer_id": key, "bgt_id": w.unit, "amount_fen": amount });
    assert_eq!(
        treasury
            .post("/api/v1/ledger/refunds", &refund("f-1", 1_000))
            .await
            .status,
        201
    );
    assert_eq!(
        treasury
            .post("/api/v1/ledger/refunds", &refund("f-1", 1_000))
            .await
            .status,
        200
    );
    assert_rejected(
        &treasury
            .post("/api/v1/ledger/refunds", &refund("f-1", 1_001))
            .await,
        409,
        "idempotency_key_reused",
        "refund reused",
    );
    assert_rejected(
        &treasury
            .post("/api/v1/ledger/refunds", &refund("f-2", 100_000_000))
            .await,
        422,
        "exceeds_spent_amount",
        "refund too much",
    );
    assert_rejected(
        &treasury
            .post("/api/v1/ledger/refunds", &refund("f-3", 0))
            .await,
        400,
        "amount_not_positive",
        "refund zero",
    );
    assert_rejected(
        &business
            .post("/api/v1/ledger/refunds", &refund("f-4", 1))
            .await,
        403,
        "forbidden",
        "refund role",
    );

    // Operation documents.
    let clerk_op = clerk.post("/api/v1/indicator-ops", &json!({ "op": "supplement", "to": w.unit, "from": null, "amount": 100, "submit": false })).await;
    assert_rejected(&clerk_op, 403, "forbidden", "clerk drafts no operation");
    for (body, status, code) in [
        (json!({ "op": "teleport" }), 400, "field_invalid"),
        (
            json!({ "op": "supplement", "to": w.unit, "from": null, "amount": 0 }),
            400,
            "amount_not_positive",
        ),
        (
            json!({ "op": "supplement", "to": w.unit, "from": null, "amount": 1, "submit": "yes" }),
            400,
            "field_invalid",
        ),
        (
            json!({ "op": "supplement", "to": w.unit, "from": null, "amount": 1, "extra": 1 }),
            400,
            "field_invalid",
        ),
        (
            json!({ "op": "supplement", "to": "NOPE", "from": null, "amount": 1 }),
            404,
            "not_found",
        ),
        (
            json!({ "op": "cut", "from": w.unit, "to": null, "amount": 900_000_000 }),
            422,
            "exceeds_available_balance",
        ),
    ] {
        assert_rejected(
            &treasury.post("/api/v1/indicator-ops", &body).await,
            status,
            code,
            &body.to_string(),
        );
    }
    let draft = treasury
        .post(
            "/api/v1/indicator-ops",
            &json!({ "op": "supplement", "to": w.unit, "from": w.pool, "amount": 100 }),
        )
        .await;
    assert_eq!(
        (draft.status, draft.json()["submitted"].clone()),
        (201, json!(false)),
        "{}",
        draft.text()
    );
    let preview = treasury
        .get(&format!(
            "/api/v1/indicator-ops/year-end?mof_div_code={REGION}&fiscal_year=2026&rule=all"
        ))
        .await;
    assert_eq!(
        preview.json()["operation"]["op"],
        "year_end",
        "{}",
        preview.text()
    );

    // Control levels: the budget division sets them, others read.
    let budget = t.as_user(BUDGET).await;
    let set = budget
        .send(
            Method::PUT,
            "/api/v1/ledger/controls",
            Body::Json(
                &json!({ "bgt_type_code": "12", "control_point": "reserve", "ctrl_level": "warn" }),
            ),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.text());
    assert!(
        set.json()["items"]
            .as_array()
            .is_some_and(|rows| rows.iter().any(|r| r["ctrl_level"] == "warn"))
    );
    assert_rejected(&treasury.send(Method::PUT, "/api/v1/ledger/controls", Body::Json(&json!({ "bgt_type_code": "12", "control_point": "reserve", "ctrl_level": "none" }))).await, 403, "forbidden", "control role");
    assert_rejected(&budget.send(Method::PUT, "/api/v1/ledger/controls", Body::Json(&json!({ "bgt_type_code": "12", "control_point": "reserve", "ctrl_level": "loose" }))).await, 400, "field_invalid", "control level");
    assert_eq!(clerk.get("/api/v1/ledger/controls").await.status, 200);
}
