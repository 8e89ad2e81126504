//! The project library in a real headless Chromium: a unit clerk signs in, opens 项目库 from
//! the navigation, sees a project made through the API, opens its detail page and the form of
//! a new one; screenshots in `target/screenshots/project-*.png`. Gated like the other browser
//! tests (`FISCUS_BROWSER_TEST=1`), on SQLite only.

use fiscus_store::testing::{TestBackend, fresh};

use crate::chrome::{connect, screenshot, start_driver, wait_for, wait_for_url};
use crate::helpers::spawn;
use crate::payment::CLERK;
use crate::project::body;

#[tokio::test]
async fn project_library_in_a_real_browser() {
    if std::env::var("FISCUS_BROWSER_TEST").as_deref() != Ok("1") {
        println!("project browser test skipped (set FISCUS_BROWSER_TEST=1)");
        return;
    }
    let test_db = fresh(TestBackend::Sqlite)
        .await
        .expect("database")
        .expect("SQLite is always available");
    let server = spawn(test_db, true).await;
    let created = server
        .demo_login(CLERK)
        .await
        .post("/api/v1/projects", &body(false))
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let pro_id = created.json()["pro_id"].as_str().expect("id").to_owned();

    let (_driver, webdriver) = start_driver().await;
    let browser = connect(&webdriver).await;
    crate::chrome::sign_in(&browser, &server.base, CLERK).await;

    wait_for(&browser, "nav.sidenav a[href='/projects']")
        .await
        .click()
        .await
        .expect("open 项目库");
    wait_for_url(&browser, "项目库", |path, _| path == "/projects").await;
    let list = wait_for(&browser, "main").await.text().await.expect("text");
    assert!(list.contains("高标准农田建设项目"), "{list}");
    screenshot(&browser, "project-01-list").await;

    browser
        .goto(&format!("{}/projects/{pro_id}", server.base))
        .await
        .expect("detail");
    let detail = wait_for(&browser, "main").await.text().await.expect("text");
    for expected in ["高标准农田建设项目", "平整土地面积", "100,000.00"] {
        assert!(
            detail.contains(expected),
            "detail shows {expected}: {detail}"
        );
    }
    screenshot(&browser, "project-02-detail").await;

    browser
        .goto(&format!("{}/projects/new", server.base))
        .await
        .expect("form");
    wait_for(&browser, "input[name=pro_name]").await;
    screenshot(&browser, "project-03-new").await;
    browser.close().await.expect("browser closes");
}
