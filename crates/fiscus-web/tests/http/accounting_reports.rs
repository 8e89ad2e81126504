//! The statements, the indicator accounting book and the year-end close over HTTP, on both
//! backends: the execution statement of a unit and of its region equal the ledger's
//! figures, another unit gets 404, the indicator book balances and is the finance bureau's,
//! the unit's balance sheet balances; the year-end close is previewed, refused to a clerk
//! (403), run by the region's treasury division, refused a second time (409), and the old
//! year takes no voucher (409). The pages render in Chinese and the close runs from its page.

use fiscus_store::testing::TestDb;
use serde_json::json;

use crate::budget_pages::post_form;
use crate::helpers::{assert_rejected, has_chinese, spawn};
use crate::ledger::{CLERK, OTHER_CLERK, REGION, TREASURY, UNIT, world};

fiscus_store::on_both_backends!(statements_and_year_close_over_http);

async fn statements_and_year_close_over_http(test_db: TestDb) {
    let t = spawn(test_db, true).await;
    world(&t).await;
    let clerk = t.demo_login(CLERK).await;
    let treasury = t.demo_login(TREASURY).await;
    let other = t.demo_login(OTHER_CLERK).await;

    // 预算执行情况表: 13,000.00 元 of indicators, 1,500.00 spent, 2,000.00 in transit.
    let own = clerk
        .get("/api/v1/accounting/execution-statement?fiscal_year=2026&by=func5")
        .await;
    assert_eq!(own.status, 200, "{}", own.text());
    let total = &own.json()["execution_statement"]["total"];
    assert_eq!(total["total_fen"], 1_300_000);
    assert_eq!(total["spent_fen"], 150_000);
    assert_eq!(total["rate_bp"], 150_000 * 10_000 / 1_300_000);
    let region = treasury
        .get(&format!(
            "/api/v1/accounting/execution-statement?fiscal_year=2026&mof_div_code={REGION}&by=eco3"
        ))
        .await;
    assert_eq!(region.status, 200, "{}", region.text());
    assert_eq!(
        region.json()["execution_statement"]["total"]["spent_fen"],
        150_000
    );
    let foreign = other
        .get(&format!(
            "/api/v1/accounting/execution-statement?fiscal_year=2026&agency_code={UNIT}"
        ))
        .await;
    assert_rejected(&foreign, 404, "not_found", "another unit's statement");
    let bad = clerk
        .get("/api/v1/accounting/execution-statement?fiscal_year=2026&by=fund")
        .await;
    assert_rejected(&bad, 400, "field_invalid", "unknown grouping");

    // 指标核算: balanced, the bureau's only.
    let book = treasury
        .get("/api/v1/accounting/indicator-book?fiscal_year=2026")
        .await;
    assert_eq!(book.status, 200, "{}", book.text());
    assert_eq!(book.json()["indicator_book"]["balanced"], true);
    assert_rejected(
        &clerk
            .get("/api/v1/accounting/indicator-book?fiscal_year=2026")
            .await,
        404,
        "not_found",
        "a unit does not see the region's indicator book",
    );

    // 资产负债表 and 收入费用表 of the clerk's unit.
    let sheet = clerk
        .get("/api/v1/accounting/balance-sheet?fiscal_year=2026&period=12")
        .await;
    assert_eq!(sheet.status, 200, "{}", sheet.text());
    assert_eq!(sheet.json()["balance_sheet"]["balanced"], true);
    let income = clerk
        .get("/api/v1/accounting/income-statement?fiscal_year=2026&book_type=unit_budget")
        .await;
    assert_eq!(income.status, 200, "{}", income.text());

    // 年终结账: preview, refusals, the close, a second close, the old year read-only.
    let status = treasury
        .get("/api/v1/accounting/year-close?fiscal_year=2026")
        .await;
    assert_eq!(status.status, 200, "{}", status.text());
    assert!(status.json()["closed"].is_null());
    assert_eq!(status.json()["preview"]["ok"], true, "{}", status.text());
    let before = t.count("accounting_voucher").await;
    let by_clerk = clerk
        .post(
            "/api/v1/accounting/year-close",
            &json!({ "mof_div_code": REGION, "fiscal_year": 2026 }),
        )
        .await;
    assert_rejected(&by_clerk, 403, "forbidden", "a clerk closes nothing");
    assert_eq!(t.count("accounting_voucher").await, before);
    let closed = treasury
        .post(
            "/api/v1/accounting/year-close",
            &json!({ "fiscal_year": 2026 }),
        )
        .await;
    assert_eq!(closed.status, 200, "{}", closed.text());
    assert_eq!(closed.json()["year_close"]["committed"], true);
    assert_eq!(t.count("accounting_year_close").await, 1);
    let again = treasury
        .post(
            "/api/v1/accounting/year-close",
            &json!({ "fiscal_year": 2026 }),
        )
        .await;
    assert_rejected(&again, 409, "accounting_year_closed", "second close");
    let late = clerk
        .post(
            "/api/v1/accounting/vouchers",
            &json!({ "book_type": "unit_budget", "voucher_date": "2026-12-20", "summary": "补记",
                "lines": [{ "account_code": "710101", "debit_yuan": "1" }, { "account_code": "6001", "credit_yuan": "1" }] }),
        )
        .await;
    assert_rejected(&late, 409, "accounting_year_closed", "old year");
    let status = clerk
        .get("/api/v1/accounting/year-close?fiscal_year=2026")
        .await;
    assert_rejected(
        &status,
        404,
        "not_found",
        "the close status is the bureau's",
    );

    // The pages.
    for (who, path, expected) in [
        (
            &clerk,
            "/accounting/balance-sheet?fiscal_year=2026",
            "资产负债表",
        ),
        (
            &clerk,
            "/accounting/income-statement?fiscal_year=2026",
            "收入费用表",
        ),
        (
            &clerk,
            "/accounting/execution?fiscal_year=2026",
            "预算执行情况表",
        ),
        (
            &treasury,
            "/accounting/execution?fiscal_year=2026&by=eco3",
            "经济分类（类）",
        ),
        (
            &treasury,
            "/accounting/indicator-book?fiscal_year=2026",
            "试算平衡",
        ),
        (&treasury, "/accounting/year-close?fiscal_year=2026", "已于"),
        (
            &treasury,
            "/accounting/year-close?fiscal_year=2027",
            "确认年终结账",
        ),
    ] {
        let page = who.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.text());
        assert!(page.text().contains(expected), "{path}: {}", page.text());
        assert!(has_chinese(&page.text()));
    }
    let refused = clerk
        .get("/accounting/indicator-book?fiscal_year=2026")
        .await;
    assert_eq!(refused.status, 404, "{}", refused.text());
    let from_page = post_form(
        &treasury,
        "/accounting/year-close",
        &[("mof_div_code", REGION), ("fiscal_year", "2027")],
    )
    .await;
    // The redirect after the close is followed to the page with its notice.
    assert_eq!(from_page.status, 200, "{}", from_page.text());
    assert!(from_page.text().contains("年终结账完成"));
    assert_eq!(t.count("accounting_year_close").await, 2);
    let twice = post_form(
        &treasury,
        "/accounting/year-close",
        &[("mof_div_code", REGION), ("fiscal_year", "2027")],
    )
    .await;
    assert_eq!(twice.status, 409, "{}", twice.text());
    assert!(twice.text().contains("已年终结账"));
    // A draft of 2028 (its charts came with the close of 2027) blocks the close of 2028.
    let draft = clerk
        .post(
            "/api/v1/accounting/vouchers",
            &json!({ "book_type": "unit_budget", "voucher_date": "2028-01-05", "summary": "购买办公用品",
                "lines": [{ "account_code": "710101", "debit_yuan": "1" }, { "account_code": "6001", "credit_yuan": "1" }] }),
        )
        .await;
    assert_eq!(draft.status, 201, "{}", draft.text());
    let unposted = treasury
        .post(
            "/api/v1/accounting/year-close",
            &json!({ "fiscal_year": 2028 }),
        )
        .await;
    assert_rejected(&unposted, 422, "vouchers_unposted", "a draft of the year");
    assert!(
        unposted.text().contains("1 张凭证未记账"),
        "{}",
        unposted.text()
    );
    let openapi = t.anonymous().get("/api/openapi.json").await.json();
    assert!(openapi["paths"]["/api/v1/accounting/year-close"].is_object());
}
