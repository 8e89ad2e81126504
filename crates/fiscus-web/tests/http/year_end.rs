//! The region year-end close over HTTP, on both backends: the preview, the refusals (a unit
//! clerk, another division's budget division, a bad rule), the close through the 年终结转
//! page form (CSRF), the second close refused, the records list, the old year read-only for a
//! reservation, and the OpenAPI entries.

use fiscus_store::testing::TestDb;
use serde_json::json;

use crate::budget_pages::post_form;
use crate::helpers::{assert_rejected, spawn};
use crate::ledger::{BUDGET, CLERK, REGION, TREASURY, UNIT, world};

fiscus_store::on_both_backends!(year_end_api_and_page);

async fn year_end_api_and_page(test_db: TestDb) {
    let t = spawn(test_db, true).await;
    let w = world(&t).await;
    let budget = t.as_user(BUDGET).await;
    let preview = budget
        .get("/api/v1/ledger/year-end/preview?year=2026&rule=projects")
        .await;
    assert_eq!(preview.status, 200, "{}", preview.text());
    let preview = preview.json();
    assert_eq!(
        (
            preview["n_open"].clone(),
            preview["frozen_fen"].clone(),
            preview["n_blocking"].clone(),
            preview["carry_fen"].clone(),
            preview["lapse_fen"].clone()
        ),
        (
            json!(2),
            json!(100_000),
            json!(0),
            json!(300_000),
            json!(850_000)
        )
    );
    let close = json!({ "mof_div_code": REGION, "fiscal_year": 2026, "rule": "projects" });
    for (user, status, code) in [
        (CLERK, 403, "forbidden"),
        ("div08_budget", 403, "forbidden"),
    ] {
        let api = t.as_user(user).await;
        assert_rejected(
            &api.post("/api/v1/ledger/year-end", &close).await,
            status,
            code,
            user,
        );
    }
    assert_rejected(
        &budget
            .post(
                "/api/v1/ledger/year-end",
                &json!({ "mof_div_code": REGION, "fiscal_year": 2026, "rule": "some" }),
            )
            .await,
        400,
        "field_invalid",
        "bad rule",
    );
    assert_eq!(
        budget.get("/api/v1/ledger/year-end?year=2026").await.json()["total"],
        0
    );

    // The page: preview and confirm with the session's CSRF token.
    let session = t.demo_login(BUDGET).await;
    let page = session.get("/indicators/year-end?year=2026").await;
    let text = page.text();
    assert_eq!(page.status, 200, "{text}");
    for needle in [
        "年终结转",
        "确认年终结转",
        "拟结转到下年度",
        "3,000.00",
        "结转记录",
    ] {
        assert!(text.contains(needle), "page shows {needle}");
    }
    let done = post_form(
        &session,
        "/indicators/year-end",
        &[("year", "2026"), ("rule", "projects")],
    )
    .await;
    let text = done.text();
    assert_eq!(done.status, 200, "{text}");
    assert!(text.contains("年终结转已完成"), "{text}");
    assert!(text.contains("已结转"), "{text}");

    // Again: refused, nothing changes.
    assert_rejected(
        &budget.post("/api/v1/ledger/year-end", &close).await,
        409,
        "year_already_closed",
        "second close",
    );
    let records = budget.get("/api/v1/ledger/year-end?year=2026").await;
    assert_eq!(records.status, 200, "{}", records.text());
    let items = records.json()["items"].clone();
    assert_eq!(items.as_array().map(Vec::len), Some(1));
    assert_eq!(items[0]["carried_fen"], 300_000);
    assert_eq!(items[0]["lapsed_fen"], 850_000);
    assert_eq!(items[0]["n_closed"], 2);

    // The old year is read-only; reads still work.
    let treasury = t.as_user(TREASURY).await;
    assert_rejected(
        &treasury
            .post("/api/v1/ledger/reservations", &json!({ "transfer_id": "late-1", "bgt_id": w.unit, "amount_fen": 1,
                "elements": { "agency_code": UNIT, "exp_func_code": "2010101", "gov_bgt_eco_code": "50101", "dep_bgt_eco_code": "30101", "fund_type_code": "111" } }))
            .await,
        422,
        "year_closed",
        "reservation in the closed year",
    );
    assert_eq!(
        budget
            .get(&format!("/api/v1/indicators/{}", w.unit))
            .await
            .status,
        200
    );
    let openapi = budget.get("/api/openapi.json").await.json();
    assert!(openapi["paths"]["/api/v1/ledger/year-end"]["post"].is_object());
    assert!(openapi["paths"]["/api/v1/ledger/year-end/preview"]["get"].is_object());
}
