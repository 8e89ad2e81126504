//! The accounting books over the JSON API, on both backends: a unit clerk enters a manual
//! voucher (an unbalanced one is a 422 and writes nothing), reads and reviews it, may not
//! post their own voucher, cannot close the month while it is unposted, and reads a trial
//! balance that balances; another unit's clerk gets 404; the treasury may not write a
//! unit's book.

use fiscus_store::testing::TestDb;
use serde_json::json;

use crate::helpers::{assert_rejected, spawn};
use crate::ledger::{CLERK, OTHER_CLERK, TREASURY};

fiscus_store::on_both_backends!(accounting_vouchers_over_the_api);

fn voucher(debit: &str, credit: &str) -> serde_json::Value {
    json!({
        "book_type": "unit_budget",
        "voucher_date": "2026-03-05",
        "summary": "购买办公用品",
        "lines": [
            { "account_code": "710101", "debit_yuan": debit },
            { "account_code": "6001", "credit_yuan": credit },
        ],
    })
}

async fn accounting_vouchers_over_the_api(test_db: TestDb) {
    let t = spawn(test_db, true).await;
    let clerk = t.demo_login(CLERK).await;
    let before = t.count("accounting_voucher").await;
    let unbalanced = clerk
        .post("/api/v1/accounting/vouchers", &voucher("100.00", "90.00"))
        .await;
    assert_rejected(&unbalanced, 422, "voucher_unbalanced", "unbalanced");
    assert_eq!(t.count("accounting_voucher").await, before);
    let treasury = t.demo_login(TREASURY).await;
    let foreign = treasury
        .post("/api/v1/accounting/vouchers", &voucher("100.00", "100.00"))
        .await;
    assert_rejected(&foreign, 403, "forbidden", "treasury writes a unit's book");

    let created = clerk
        .post("/api/v1/accounting/vouchers", &voucher("100.00", "100.00"))
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let voucher_id = created.json()["voucher_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let path = format!("/api/v1/accounting/vouchers/{voucher_id}");
    let read = clerk.get(&path).await;
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(read.json()["voucher"]["total_fen"], 10_000);
    assert_eq!(read.json()["lines"].as_array().map(Vec::len), Some(2));
    let other = t.demo_login(OTHER_CLERK).await;
    assert_rejected(&other.get(&path).await, 404, "not_found", "another unit");

    let reviewed = clerk.post(&format!("{path}/review"), &json!({})).await;
    assert_eq!(reviewed.status, 200, "{}", reviewed.text());
    let posted = clerk.post(&format!("{path}/post"), &json!({})).await;
    assert_rejected(&posted, 403, "poster_is_creator", "own voucher");
    let close = clerk
        .post(
            "/api/v1/accounting/periods/close",
            &json!({ "book_type": "unit_budget", "fiscal_year": 2026, "period": 3 }),
        )
        .await;
    assert_rejected(
        &close,
        422,
        "period_has_unposted",
        "close with a reviewed voucher",
    );

    let list = clerk
        .get("/api/v1/accounting/vouchers?book_type=unit_budget&fiscal_year=2026&period=3")
        .await;
    assert_eq!(list.status, 200, "{}", list.text());
    assert_eq!(list.json()["items"].as_array().map(Vec::len), Some(1));
    let trial = clerk
        .get("/api/v1/accounting/trial-balance?book_type=unit_budget&fiscal_year=2026")
        .await;
    assert_eq!(trial.status, 200, "{}", trial.text());
    assert_eq!(trial.json()["trial_balance"]["balanced"], true);
    let ledger = clerk
        .get("/api/v1/accounting/general-ledger?book_type=unit_budget&fiscal_year=2026&account_code=710101")
        .await;
    assert_eq!(ledger.status, 200, "{}", ledger.text());
    assert_eq!(ledger.json()["months"].as_array().map(Vec::len), Some(12));
    let openapi = t.anonymous().get("/api/openapi.json").await.json();
    assert!(openapi["paths"]["/api/v1/accounting/vouchers"].is_object());
}
