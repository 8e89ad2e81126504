//! 科目余额表 in a real headless Chromium: vouchers of a unit's 预算会计 are entered by one
//! clerk and reviewed and posted by another through the app; the unit's clerk signs in,
//! opens 科目余额表 from the navigation, picks 单位预算会计 and March, and reads the 平衡
//! banner and the totals row. The other 会计核算 pages (the voucher list and page, the form
//! with its live 借贷差额, the ledgers, 月末结账) are visited for screenshots
//! (`target/screenshots/accounting-*.png`). Gated like the other browser tests
//! (`FISCUS_BROWSER_TEST=1`), on SQLite only.

use fantoccini::{Client, Locator};
use fiscus_store::testing::{TestBackend, fresh};

use crate::accounting_pages::seed;
use crate::chrome::{connect, screenshot, start_driver, wait_for, wait_for_url};
use crate::helpers::{TestApp, spawn};
use crate::ledger::CLERK;

#[tokio::test]
async fn trial_balance_in_a_real_browser() {
    if std::env::var("FISCUS_BROWSER_TEST").as_deref() != Ok("1") {
        println!("accounting browser test skipped (set FISCUS_BROWSER_TEST=1)");
        return;
    }
    let test_db = fresh(TestBackend::Sqlite)
        .await
        .expect("database")
        .expect("SQLite is always available");
    let server = spawn(test_db, true).await;
    let (posted, _draft) = seed(&server).await;
    let clerk = crate::accounting_pages::principal(&server, CLERK).await;
    let red = server
        .app
        .accounting_voucher_reverse(&clerk, &posted[1], "2026-03-28", &Default::default())
        .await
        .expect("red reversal");
    let (_driver, webdriver) = start_driver().await;
    let browser = connect(&webdriver).await;
    walk_through(&browser, &server, &posted[0], &red).await;
    browser.close().await.expect("browser closes");
}

async fn walk_through(browser: &Client, server: &TestApp, voucher_id: &str, red_id: &str) {
    crate::chrome::sign_in(browser, &server.base, CLERK).await;

    wait_for(browser, "nav.sidenav a[href='/accounting/trial-balance']")
        .await
        .click()
        .await
        .expect("open 科目余额表");
    wait_for_url(browser, "科目余额表", |path, _| {
        path == "/accounting/trial-balance"
    })
    .await;
    wait_for(browser, "form.filters select[name=book_type]")
        .await
        .select_by_value("unit_budget")
        .await
        .expect("book");
    wait_for(browser, "form.filters select[name=period]")
        .await
        .select_by_value("3")
        .await
        .expect("month");
    wait_for(browser, "form.filters button[type=submit]")
        .await
        .click()
        .await
        .expect("search");
    wait_for_url(browser, "March of 预算会计", |_, query| {
        query.contains("book_type=unit_budget") && query.contains("period=3")
    })
    .await;
    let banner = wait_for(browser, ".trial-banner")
        .await
        .text()
        .await
        .expect("text");
    assert!(banner.contains("试算平衡"), "banner: {banner}");
    assert!(!banner.contains("不平衡"), "banner: {banner}");
    let totals = wait_for(browser, "table.acct-trial tfoot .totals-row")
        .await
        .text()
        .await
        .expect("text");
    assert!(totals.contains("合计"), "totals row: {totals}");
    assert_eq!(
        totals.matches("2,060.50").count(),
        4,
        "debits and credits of the month, closing on both sides: {totals}"
    );
    screenshot(browser, "accounting-01-trial-balance").await;

    let base = &server.base;
    let voucher = format!("/accounting/vouchers/{voucher_id}");
    for (path, name) in [
        (
            "/accounting/vouchers?book_type=unit_budget&fiscal_year=2026".to_owned(),
            "accounting-02-vouchers",
        ),
        (voucher, "accounting-03-voucher"),
        (format!("/accounting/vouchers/{red_id}"), "accounting-03-voucher-red"),
        (
            "/accounting/ledger/general?book_type=unit_budget&fiscal_year=2026&account_code=710101"
                .to_owned(),
            "accounting-05-general-ledger",
        ),
        (
            "/accounting/ledger/subsidiary?book_type=unit_budget&fiscal_year=2026&account_code=710101"
                .to_owned(),
            "accounting-06-subsidiary-ledger",
        ),
        (
            "/accounting/periods?book_type=unit_budget&fiscal_year=2026".to_owned(),
            "accounting-07-periods",
        ),
    ] {
        browser.goto(&format!("{base}{path}")).await.expect("page");
        wait_for(browser, "main.content h1").await;
        screenshot(browser, name).await;
    }

    // The voucher as printed: the print rules applied to the screen.
    browser
        .goto(&format!("{base}/accounting/vouchers/{voucher_id}"))
        .await
        .expect("voucher");
    wait_for(browser, ".acct-voucher").await;
    let hidden = browser
        .execute(
            "for (const sheet of document.styleSheets) { for (const rule of sheet.cssRules) { \
               if (rule.media && rule.media.mediaText === 'print') rule.media.mediaText = 'all'; } } \
             return getComputedStyle(document.querySelector('nav.sidenav')).display;",
            vec![],
        )
        .await
        .expect("print rules");
    assert_eq!(
        hidden,
        serde_json::json!("none"),
        "the navigation is not printed"
    );
    screenshot(browser, "accounting-11-voucher-print").await;

    // The form: a row typed in, the live difference shown by the script.
    browser
        .goto(&format!(
            "{base}/accounting/vouchers/new?book_type=unit_budget"
        ))
        .await
        .expect("form");
    wait_for(browser, "form.voucher-form input[name=summary]")
        .await
        .send_keys("购买办公用品")
        .await
        .expect("summary");
    let selects = browser
        .find_all(Locator::Css("form.voucher-form select[name=account_code]"))
        .await
        .expect("pickers");
    selects[0]
        .select_by_value("710101")
        .await
        .expect("debit account");
    selects[1]
        .select_by_value("6001")
        .await
        .expect("credit account");
    let debits = browser
        .find_all(Locator::Css("form.voucher-form input[name=debit_yuan]"))
        .await
        .expect("debits");
    debits[0].send_keys("100.00").await.expect("debit");
    let credits = browser
        .find_all(Locator::Css("form.voucher-form input[name=credit_yuan]"))
        .await
        .expect("credits");
    credits[1].send_keys("90").await.expect("credit");
    let balance = wait_for(browser, "form.voucher-form [data-balance]")
        .await
        .text()
        .await
        .expect("text");
    assert!(
        balance.contains("借贷差额：10.00"),
        "live difference: {balance}"
    );
    screenshot(browser, "accounting-04-new-voucher").await;

    // 保存 as it is: the server refuses and the form comes back with what was typed.
    wait_for(browser, "form.voucher-form button[type=submit]")
        .await
        .click()
        .await
        .expect("save");
    let refusal = wait_for(browser, ".notice.error")
        .await
        .text()
        .await
        .expect("text");
    assert!(refusal.contains("凭证借贷不平衡"), "refusal: {refusal}");
    let typed = wait_for(browser, "form.voucher-form input[name=summary]")
        .await
        .prop("value")
        .await
        .expect("value");
    assert_eq!(typed.as_deref(), Some("购买办公用品"));
    screenshot(browser, "accounting-08-form-refused").await;

    // A reader above the unit names the unit's book; the treasury keeps 财政总会计.
    crate::chrome::sign_in(browser, base, crate::accounting_pages::AUDITOR).await;
    browser
        .goto(&format!(
            "{base}/accounting/vouchers?book_type=unit_budget&fiscal_year=2026&agency_code=660100101001"
        ))
        .await
        .expect("auditor's list");
    let totals = wait_for(browser, "table.acct-vouchers tfoot .totals-row")
        .await
        .text()
        .await
        .expect("text");
    assert!(totals.contains("4 张凭证"), "auditor's totals: {totals}");
    screenshot(browser, "accounting-09-auditor-vouchers").await;
    crate::chrome::sign_in(browser, base, crate::ledger::TREASURY).await;
    browser
        .goto(&format!("{base}/accounting/vouchers/new"))
        .await
        .expect("treasury's form");
    wait_for(browser, "form.voucher-form").await;
    screenshot(browser, "accounting-10-treasury-new-voucher").await;
}
