//! The pages in a real headless Chromium, driven over WebDriver (chromedriver + fantoccini):
//! sign in, see the home page, search the unit list, open a unit, open the tree; screenshots
//! land in `target/screenshots/`. Runs when `FISCUS_BROWSER_TEST=1` (set by `cargo xtask
//! test` when Chromium and chromedriver are installed), on SQLite only: it tests the UI, not
//! storage, which the other modules cover on both backends.

use fantoccini::{Client, Locator};
use fiscus_app::demo::DEMO_PASSWORD;
use fiscus_store::testing::{TestBackend, fresh};

use crate::chrome::{connect, screenshot, start_driver, wait_for, wait_for_url};
use crate::helpers::{TestApp, spawn};

#[tokio::test]
async fn pages_in_a_real_browser() {
    if std::env::var("FISCUS_BROWSER_TEST").as_deref() != Ok("1") {
        println!(
            "browser test skipped (set FISCUS_BROWSER_TEST=1; `cargo xtask test` does when Chromium is installed)"
        );
        return;
    }
    let test_db = fresh(TestBackend::Sqlite)
        .await
        .expect("database")
        .expect("SQLite is always available");
    let server = spawn(test_db, true).await;
    let (_driver, webdriver) = start_driver().await;
    let browser = connect(&webdriver).await;
    walk_through(&browser, &server).await;
    browser.close().await.expect("browser closes");
}

async fn walk_through(browser: &Client, server: &TestApp) {
    let admin = fiscus_store::auth::user_by_name(&server.app.db, "admin")
        .await
        .expect("read")
        .expect("admin");

    browser
        .goto(&format!("{}/login", server.base))
        .await
        .expect("login page");
    wait_for(browser, "input[name=user_name]")
        .await
        .send_keys("admin")
        .await
        .expect("type the user name");
    wait_for(browser, "input[name=password]")
        .await
        .send_keys(DEMO_PASSWORD)
        .await
        .expect("type the password");
    screenshot(browser, "01-login").await;
    wait_for(browser, "form[action='/login'] button[type=submit]")
        .await
        .click()
        .await
        .expect("sign in");

    wait_for_url(browser, "the home page", |path, _| path == "/").await;
    let user = wait_for(browser, "header.topbar .user").await;
    assert_eq!(
        user.text().await.expect("text"),
        admin.display_name,
        "the home page greets the user"
    );
    screenshot(browser, "02-home").await;

    wait_for(browser, "nav.sidenav a[href='/agencies']")
        .await
        .click()
        .await
        .expect("open the unit list");
    wait_for_url(browser, "the unit list", |path, _| path == "/agencies").await;
    wait_for(browser, "form.filters input[name=q]")
        .await
        .send_keys("教育")
        .await
        .expect("type a search");
    wait_for(browser, "form.filters button[type=submit]")
        .await
        .click()
        .await
        .expect("search");
    wait_for_url(browser, "the search result", |_, query| {
        query.contains("q=%E6%95%99%E8%82%B2")
    })
    .await;
    wait_for(browser, "table.data tbody tr").await;
    let rows = browser
        .find_all(Locator::Css("table.data tbody tr"))
        .await
        .expect("rows");
    assert!(!rows.is_empty());
    for row in &rows {
        assert!(
            row.text().await.expect("row text").contains("教育"),
            "every row matches the search"
        );
    }
    screenshot(browser, "03-agencies-search").await;

    let first_unit = wait_for(browser, "table.data tbody tr a").await;
    let unit_code = first_unit.text().await.expect("code");
    first_unit.click().await.expect("open the unit");
    wait_for_url(browser, "the unit's page", |path, _| {
        path == format!("/agencies/{unit_code}")
    })
    .await;
    wait_for(browser, "dl.fields").await;
    assert!(
        browser.source().await.expect("source").contains(&unit_code),
        "the detail shows {unit_code}"
    );
    screenshot(browser, "04-agency-detail").await;

    browser
        .goto(&format!("{}/tree", server.base))
        .await
        .expect("tree page");
    wait_for(browser, ".tree-node").await;
    assert!(
        browser
            .source()
            .await
            .expect("source")
            .contains("新疆生产建设兵团"),
        "the corps is at the root of the tree"
    );
    screenshot(browser, "05-tree").await;
}
