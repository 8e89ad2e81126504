//! The project library in a real headless Chromium: a unit clerk signs in, opens 项目库 from
//! the navigation, sees a project made through the API, opens its detail page, uploads an
//! attachment through the page's form, opens the form of a new one, runs 基本支出一键测算 and
//! opens the calculated 人员类 project; screenshots in `target/screenshots/project-*.png`.
//! Gated like the other browser tests (`FISCUS_BROWSER_TEST=1`), on SQLite only.

use fiscus_store::testing::{TestBackend, fresh};

use crate::chrome::{connect, screenshot, screenshot_dir, start_driver, wait_for, wait_for_url};
use crate::helpers::spawn;
use crate::payment::CLERK;
use crate::project::{PDF, body};

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

    // 附件: choose a file in the section's form and upload it.
    let file = screenshot_dir().join("可行性研究报告.pdf");
    std::fs::write(&file, PDF).expect("a file to upload");
    wait_for(&browser, "#attachments input[type=file]")
        .await
        .send_keys(&file.to_string_lossy())
        .await
        .expect("file chosen");
    wait_for(&browser, "#attachments button[type=submit].primary")
        .await
        .click()
        .await
        .expect("upload");
    wait_for_url(&browser, "附件已上传", |_, query| {
        query.contains("ok=attached")
    })
    .await;
    let section = wait_for(&browser, "#attachments")
        .await
        .text()
        .await
        .expect("text");
    assert!(section.contains("可行性研究报告.pdf"), "{section}");
    browser
        .execute(
            "document.getElementById('attachments').scrollIntoView();",
            Vec::new(),
        )
        .await
        .expect("scroll");
    screenshot(&browser, "project-04-attachment").await;

    browser
        .goto(&format!("{}/projects/new", server.base))
        .await
        .expect("form");
    wait_for(&browser, "input[name=pro_name]").await;
    screenshot(&browser, "project-03-new").await;

    // 基本支出一键测算 from the list's button, then the calculated 人员类 project.
    browser
        .goto(&format!("{}/projects", server.base))
        .await
        .expect("list");
    wait_for(&browser, "a.button[href='/projects/basic']")
        .await
        .click()
        .await
        .expect("open 一键测算");
    wait_for_url(&browser, "一键测算", |path, _| {
        path == "/projects/basic"
    })
    .await;
    screenshot(&browser, "project-05-basic-form").await;
    wait_for(
        &browser,
        "form[action='/projects/basic'] button[type=submit]",
    )
    .await
    .click()
    .await
    .expect("calculate");
    let results = wait_for(&browser, "main .notice, main .card table")
        .await
        .text()
        .await
        .unwrap_or_default();
    let main = wait_for(&browser, "main").await.text().await.expect("text");
    assert!(
        main.contains("测算完成") && main.contains("已生成草稿"),
        "{results}\n{main}"
    );
    screenshot(&browser, "project-06-basic-result").await;
    wait_for(&browser, "main table.data a[href^='/projects/']")
        .await
        .click()
        .await
        .expect("open the personnel project");
    wait_for_url(&browser, "人员类项目", |path, _| {
        path.starts_with("/projects/")
    })
    .await;
    let detail = wait_for(&browser, "main").await.text().await.expect("text");
    for expected in ["人员经费（基本支出）", "确认并申报", "元/人·年"] {
        assert!(
            detail.contains(expected),
            "calculated project shows {expected}: {detail}"
        );
    }
    screenshot(&browser, "project-07-basic-project").await;
    browser.close().await.expect("browser closes");
}
