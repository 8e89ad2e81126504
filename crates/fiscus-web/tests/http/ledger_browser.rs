//! 指标查询 in a real headless Chromium: sign in as the division's budget office, open 指标查询
//! from the navigation, filter, read the totals row, open an indicator and its 账页; the other
//! ledger pages are visited for screenshots (`target/screenshots/ledger-*.png`). Gated like
//! the other browser tests (`FISCUS_BROWSER_TEST=1`), on SQLite only.

use fantoccini::Client;
use fiscus_store::testing::{TestBackend, fresh};

use crate::chrome::{connect, screenshot, start_driver, wait_for, wait_for_url};
use crate::helpers::{TestApp, spawn};
use crate::ledger::{REGION, world};

#[tokio::test]
async fn indicator_query_in_a_real_browser() {
    if std::env::var("FISCUS_BROWSER_TEST").as_deref() != Ok("1") {
        println!("ledger browser test skipped (set FISCUS_BROWSER_TEST=1)");
        return;
    }
    let test_db = fresh(TestBackend::Sqlite)
        .await
        .expect("database")
        .expect("SQLite is always available");
    let server = spawn(test_db, true).await;
    let ids = world(&server).await;
    let (_driver, webdriver) = start_driver().await;
    let browser = connect(&webdriver).await;
    walk_through(&browser, &server, &ids.unit).await;
    browser.close().await.expect("browser closes");
}

async fn walk_through(browser: &Client, server: &TestApp, unit: &str) {
    crate::chrome::sign_in(browser, &server.base, "div01_budget").await;

    wait_for(browser, "nav.sidenav a[href='/indicators']")
        .await
        .click()
        .await
        .expect("open 指标查询");
    wait_for_url(browser, "指标查询", |path, _| path == "/indicators").await;
    wait_for(browser, "form.filters input[name=mof_div_code]")
        .await
        .send_keys(REGION)
        .await
        .expect("region");
    wait_for(browser, "form.filters input[name=exp_func_code]")
        .await
        .send_keys("201")
        .await
        .expect("function");
    wait_for(browser, "form.filters button[type=submit]")
        .await
        .click()
        .await
        .expect("search");
    wait_for_url(browser, "the filtered list", |_, query| {
        query.contains("exp_func_code=201")
    })
    .await;
    let totals = wait_for(browser, "table.ledger-list tfoot .totals-row")
        .await
        .text()
        .await
        .expect("text");
    assert!(
        totals.contains("合计") && totals.contains("2 条"),
        "totals row: {totals}"
    );
    assert!(
        totals.contains("10,000.00") || totals.contains("13,000.00"),
        "totals row: {totals}"
    );
    screenshot(browser, "ledger-01-list").await;

    let link = format!("table.ledger-list a[href='/indicators/{unit}']");
    wait_for(browser, &link)
        .await
        .click()
        .await
        .expect("open the indicator");
    wait_for_url(browser, "指标详情", |path, _| {
        path.starts_with("/indicators/") && path.len() > 12
    })
    .await;
    let ledger = wait_for(browser, "#ledger table.ledger-entries")
        .await
        .text()
        .await
        .expect("text");
    assert!(
        ledger.contains("录入下达") && ledger.contains("冻结") && ledger.contains("支付"),
        "{ledger}"
    );
    assert!(
        ledger.contains("7,500.00"),
        "the last available balance: {ledger}"
    );
    screenshot(browser, "ledger-02-detail").await;

    for (path, name) in [
        (
            "/indicators/summary?by=agency".to_owned(),
            "ledger-03-summary",
        ),
        ("/indicators/ops/split".to_owned(), "ledger-04-split"),
        (
            format!("/indicators/ops/year_end?mof_div_code={REGION}&fiscal_year=2026"),
            "ledger-05-year-end",
        ),
        ("/indicators/controls".to_owned(), "ledger-06-controls"),
    ] {
        browser
            .goto(&format!("{}{path}", server.base))
            .await
            .expect("page");
        wait_for(browser, "main.content h1").await;
        screenshot(browser, name).await;
    }
}
