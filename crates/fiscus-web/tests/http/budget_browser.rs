//! 预算编制 in a real headless Chromium: after the control number reaches the unit, its clerk
//! opens 本单位预算 from the navigation, adds a row with the form's script, enters an
//! expenditure line and the matching income, saves, sees the 勾稽审核表 pass and submits;
//! screenshots in `target/screenshots/budget-*.png`. Gated like the other browser tests
//! (`FISCUS_BROWSER_TEST=1`), on SQLite only.

use fantoccini::Locator;
use fiscus_store::testing::{TestBackend, fresh};

use crate::budget_pages::{YEAR, controls, world};
use crate::chrome::{connect, screenshot, start_driver, wait_for, wait_for_url};
use crate::helpers::spawn;
use crate::payment::CLERK;

async fn type_into(browser: &fantoccini::Client, name: &str, text: &str) {
    let field = wait_for(browser, &format!("[name='{name}']")).await;
    field.clear().await.expect("clear");
    field.send_keys(text).await.expect("type");
}

#[tokio::test]
async fn budget_compiled_in_a_real_browser() {
    if std::env::var("FISCUS_BROWSER_TEST").as_deref() != Ok("1") {
        println!("budget browser test skipped (set FISCUS_BROWSER_TEST=1)");
        return;
    }
    let test_db = fresh(TestBackend::Sqlite)
        .await
        .expect("database")
        .expect("SQLite is always available");
    let server = spawn(test_db, true).await;
    let w = world(&server).await;
    controls(&server, &w).await;

    let (_driver, webdriver) = start_driver().await;
    let browser = connect(&webdriver).await;
    crate::chrome::sign_in(&browser, &server.base, CLERK).await;

    wait_for(&browser, "nav.sidenav a[href='/budget']")
        .await
        .click()
        .await
        .expect("open 本单位预算");
    let sheet = format!("/budget/{YEAR}/{}", w.unit);
    // The default year is this year or the next; the test data is for YEAR.
    browser
        .goto(&format!("{}{sheet}", server.base))
        .await
        .expect("the sheet");
    wait_for(&browser, "form#budget-form").await;
    let empty = wait_for(&browser, "main").await.text().await.expect("text");
    // The control number opened an empty 二上 sheet; its 填报 tab comes first.
    for expected in ["二上·编制中", "填报", "控制数", "1,000.00"] {
        assert!(
            empty.contains(expected),
            "the new sheet shows {expected}: {empty}"
        );
    }
    screenshot(&browser, "budget-01-empty").await;

    // The script shows 添加一行 and adds a sixth expenditure row.
    let rows_before = browser
        .find_all(Locator::Css("#rows-exp tr"))
        .await
        .expect("rows")
        .len();
    wait_for(&browser, "button[data-add-row='rows-exp']")
        .await
        .click()
        .await
        .expect("add a row");
    let rows_after = browser
        .find_all(Locator::Css("#rows-exp tr"))
        .await
        .expect("rows")
        .len();
    assert_eq!(rows_after, rows_before + 1, "a row was added");
    wait_for(&browser, &format!("[name='exp_pro_{rows_before}']")).await;

    type_into(&browser, "exp_pro_0", &w.pro_code).await;
    type_into(&browser, "exp_func_0", "2050201").await;
    type_into(&browser, "exp_gov_0", "50201").await;
    type_into(&browser, "exp_dep_0", "30201").await;
    wait_for(&browser, "select[name='exp_fund_0'] option[value='111']")
        .await
        .click()
        .await
        .expect("fund type");
    type_into(&browser, "exp_amt_0", "1000").await;
    type_into(&browser, "exp_remark_0", "培训教材").await;
    wait_for(&browser, "select[name='inc_fund_0'] option[value='111']")
        .await
        .click()
        .await
        .expect("income fund type");
    type_into(&browser, "inc_amt_0", "1000.00").await;
    screenshot(&browser, "budget-02-filled").await;

    wait_for(&browser, "form#budget-form button[type=submit]")
        .await
        .click()
        .await
        .expect("save");
    wait_for_url(&browser, "the 勾稽审核表", |_, query| {
        query.contains("tab=checks")
    })
    .await;
    wait_for(&browser, "table.check-table").await;
    let checks = wait_for(&browser, "main").await.text().await.expect("text");
    for expected in [
        "预算表已保存",
        "全部 8 项勾稽审核通过",
        "支出合计等于控制数",
        "二上·编制中",
    ] {
        assert!(
            checks.contains(expected),
            "checks show {expected}: {checks}"
        );
    }
    assert!(!checks.contains("✗"), "{checks}");
    screenshot(&browser, "budget-03-checks").await;

    wait_for(&browser, "form.form-actions button[type=submit]")
        .await
        .click()
        .await
        .expect("submit");
    // The confirmation of data-confirm.
    browser.accept_alert().await.expect("confirm");
    wait_for_url(&browser, "the submitted budget", |_, query| {
        query.contains("ok=submitted")
    })
    .await;
    let submitted = wait_for(&browser, "main").await.text().await.expect("text");
    for expected in [
        "预算已报送",
        "二上·审核中",
        "审核流程单据",
        "团场职工技能培训项目",
    ] {
        assert!(
            submitted.contains(expected),
            "submitted shows {expected}: {submitted}"
        );
    }
    screenshot(&browser, "budget-04-submitted").await;

    browser
        .goto(&format!("{}{sheet}?tab=versions", server.base))
        .await
        .expect("versions");
    wait_for(&browser, "main table.data").await;
    screenshot(&browser, "budget-05-versions").await;
    browser.close().await.expect("browser closes");
}
