//! The approval pages in a real headless Chromium (chromedriver + fantoccini), like
//! `browser.rs`: a unit clerk writes and submits a 基础信息变更申请 through the form, two
//! more are submitted through the application; the unit approver sees the three in 待办 with
//! the count in the navigation, ticks them all and clicks 批量审核通过; the competent
//! department's reviewer then finds them in their 待办. Also the document page, 已办, and the
//! flow definitions with a refused publication. Screenshots land in
//! `target/screenshots/flow-*.png`. Runs when `FISCUS_BROWSER_TEST=1`, on SQLite only.

use std::collections::BTreeMap;

use fantoccini::{Client, Locator};
use fiscus_app::RequestCtx;
use fiscus_app::demo::{self, Scale};
use fiscus_core::masterdata::Input;
use fiscus_core::{Principal, Role};
use fiscus_store::testing::{TestBackend, fresh};

use crate::chrome::{connect, screenshot, start_driver, wait_for, wait_for_url};
use crate::helpers::{TestApp, spawn};

#[tokio::test]
async fn inbox_and_batch_approval_in_a_real_browser() {
    if std::env::var("FISCUS_BROWSER_TEST").as_deref() != Ok("1") {
        println!(
            "flow browser test skipped (set FISCUS_BROWSER_TEST=1; `cargo xtask test` does when Chromium is installed)"
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

/// The users around one unit of the small demo: its clerk, its approver (the first node) and
/// its competent department's reviewer (the second node).
struct Cast {
    clerk: String,
    approver: String,
    reviewer: String,
}

fn cast() -> Cast {
    let data = demo::generate(Scale::Small);
    let unit = data
        .units
        .iter()
        .find(|unit| unit.depth == 2)
        .expect("a unit under a department");
    let department = unit.parent_agency_code.clone().expect("department");
    let user_of = |agency: &str, role: Role| {
        data.users
            .iter()
            .find(|user| {
                user.agency_code.as_deref() == Some(agency)
                    && user.mof_div_code == unit.mof_div_code
                    && user.roles == role.code()
            })
            .map(|user| user.user_name.clone())
            .expect("demo user")
    };
    Cast {
        clerk: user_of(&unit.agency_code, Role::UnitClerk),
        approver: user_of(&unit.agency_code, Role::UnitApprover),
        reviewer: user_of(&department, Role::DeptReviewer),
    }
}

async fn principal(server: &TestApp, user_name: &str) -> Principal {
    let user = fiscus_store::auth::user_by_name(&server.app.db, user_name)
        .await
        .expect("read")
        .expect("demo user exists");
    fiscus_app::auth::principal_of(&user).expect("principal")
}

async fn sign_in(browser: &Client, server: &TestApp, user_name: &str) {
    crate::chrome::sign_in(browser, &server.base, user_name).await;
}

async fn scroll_to_bottom(browser: &Client) {
    browser
        .execute("window.scrollTo(0, document.body.scrollHeight);", vec![])
        .await
        .expect("scroll");
}

async fn page_text(browser: &Client) -> String {
    wait_for(browser, "main.content")
        .await
        .text()
        .await
        .expect("text")
}

async fn walk_through(browser: &Client, server: &TestApp) {
    let cast = cast();

    // The clerk writes one change through the form and submits it.
    sign_in(browser, server, &cast.clerk).await;
    browser
        .goto(&format!("{}/flow/unit-change/new", server.base))
        .await
        .expect("new change");
    let leader = wait_for(browser, "input[name=agency_leader_per_name]").await;
    leader.clear().await.expect("clear");
    leader
        .send_keys("王建国")
        .await
        .expect("type the new leader");
    screenshot(browser, "flow-01-unit-change-new").await;
    wait_for(browser, "form.change-form button[name=submit][value='1']")
        .await
        .click()
        .await
        .expect("submit");
    wait_for_url(browser, "the document page", |path, query| {
        path.starts_with("/flow/documents/") && query.contains("ok=submit")
    })
    .await;
    let text = page_text(browser).await;
    assert!(text.contains("已送审"), "{text}");
    assert!(text.contains("王建国"), "the new value is shown");
    assert!(text.contains("单位审核"), "the current node is shown");
    screenshot(browser, "flow-02-document-submitted").await;

    // Two more, through the application.
    let clerk = principal(server, &cast.clerk).await;
    for zip in ["832001", "832002"] {
        let input = Input(BTreeMap::from([("zip".to_owned(), zip.to_owned())]));
        server
            .app
            .create_unit_change(&clerk, &input, true, &RequestCtx::default())
            .await
            .expect("created and submitted");
    }

    // The approver sees the three with the count in the navigation, and approves them all.
    sign_in(browser, server, &cast.approver).await;
    let badge = wait_for(browser, "nav.sidenav a[href='/flow/inbox'] .nav-badge").await;
    assert_eq!(badge.text().await.expect("badge"), "3");
    screenshot(browser, "flow-03-home-with-tasks").await;
    wait_for(browser, "nav.sidenav a[href='/flow/inbox']")
        .await
        .click()
        .await
        .expect("open the inbox");
    wait_for_url(browser, "the inbox", |path, _| path == "/flow/inbox").await;
    wait_for(browser, "table.inbox tbody tr").await;
    let rows = browser
        .find_all(Locator::Css("table.inbox tbody tr"))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 3, "three open tasks");
    screenshot(browser, "flow-04-inbox").await;
    wait_for(browser, "input[data-select-all=item]")
        .await
        .click()
        .await
        .expect("tick all");
    for box_ in browser
        .find_all(Locator::Css("input[name=item]"))
        .await
        .expect("boxes")
    {
        assert!(
            box_.prop("checked").await.expect("checked").as_deref() == Some("true"),
            "every row is ticked"
        );
    }
    // The confirmation dialog is the browser's own; answer it yes.
    browser
        .execute("window.confirm = function () { return true; };", vec![])
        .await
        .expect("confirm");
    wait_for(browser, "button[name=action][value=approve]")
        .await
        .click()
        .await
        .expect("batch approve");
    wait_for_url(browser, "the inbox after the batch", |path, query| {
        path == "/flow/inbox" && query.contains("ok=approved")
    })
    .await;
    let text = page_text(browser).await;
    assert!(text.contains("已审核通过 3 份单据"), "{text}");
    assert!(text.contains("暂无待办事项"), "the inbox is empty");
    screenshot(browser, "flow-05-inbox-after-batch").await;
    browser
        .goto(&format!("{}/flow/done", server.base))
        .await
        .expect("done list");
    wait_for(browser, "table.data tbody tr").await;
    screenshot(browser, "flow-06-done").await;

    // The competent department's reviewer now holds them.
    sign_in(browser, server, &cast.reviewer).await;
    let badge = wait_for(browser, "nav.sidenav a[href='/flow/inbox'] .nav-badge").await;
    assert_eq!(badge.text().await.expect("badge"), "3");
    browser
        .goto(&format!("{}/flow/inbox", server.base))
        .await
        .expect("inbox");
    wait_for(browser, "table.inbox tbody tr").await;
    let rows = browser
        .find_all(Locator::Css("table.inbox tbody tr"))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 3, "the next node's user holds the three");
    assert!(page_text(browser).await.contains("主管部门审核"));
    screenshot(browser, "flow-07-next-inbox").await;

    // Someone (here the reviewer in another window) handles the first one meanwhile: the
    // batch over all three is refused as a whole, naming that document.
    let first = wait_for(browser, "input[name=item]")
        .await
        .attr("value")
        .await
        .expect("value")
        .expect("a value");
    let (doc_id, task_id) = first.rsplit_once(':').expect("doc:task");
    let reviewer = principal(server, &cast.reviewer).await;
    server
        .app
        .flow_act(
            &reviewer,
            doc_id,
            fiscus_core::flow::Command::Approve {
                task_id: fiscus_core::flow::TaskId(task_id.parse().expect("task id")),
                opinion: "同意".into(),
            },
            &RequestCtx::default(),
        )
        .await
        .expect("approved elsewhere");
    wait_for(browser, "input[data-select-all=item]")
        .await
        .click()
        .await
        .expect("tick all");
    browser
        .execute("window.confirm = function () { return true; };", vec![])
        .await
        .expect("confirm");
    wait_for(browser, "button[name=action][value=approve]")
        .await
        .click()
        .await
        .expect("batch approve");
    let refusal = wait_for(browser, ".notice.error")
        .await
        .text()
        .await
        .expect("text");
    assert!(
        refusal.contains("不能办理") && refusal.contains("已被处理"),
        "{refusal}"
    );
    let rows = browser
        .find_all(Locator::Css("table.inbox tbody tr"))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 2, "the other two are still open");
    screenshot(browser, "flow-07b-batch-refused").await;
    // The refused batch answers with the rejection's status, as a plain form post.
    let session = server.demo_login(&cast.reviewer).await;
    let reply = session
        .http
        .post(format!("{}/flow/batch", server.base))
        .form(&[
            ("_csrf", session.csrf.clone().unwrap_or_default().as_str()),
            ("action", "approve"),
            ("item", first.as_str()),
        ])
        .send()
        .await
        .expect("batch post");
    assert_eq!(
        reply.status().as_u16(),
        409,
        "task_already_handled is a conflict"
    );
    assert!(reply.text().await.expect("body").contains("不能办理"));
    wait_for(browser, "table.inbox tbody tr td a")
        .await
        .click()
        .await
        .expect("open a document");
    wait_for_url(browser, "a document", |path, _| {
        path.starts_with("/flow/documents/")
    })
    .await;
    wait_for(browser, "form.act-form").await;
    screenshot(browser, "flow-08-document-to-act").await;
    scroll_to_bottom(browser).await;
    assert!(page_text(browser).await.contains("审批记录"));
    screenshot(browser, "flow-08b-document-history").await;
    // Returning without an opinion is refused with the reason, on the same page.
    wait_for(browser, "form.act-form button[value=return]")
        .await
        .click()
        .await
        .expect("return without an opinion");
    wait_for(browser, ".notice.error").await;
    assert!(page_text(browser).await.contains("审核意见"));
    screenshot(browser, "flow-09-return-refused").await;
    // With a reason it goes back to the clerk.
    // The refused action left the browser on `…/act`.
    let returned_path = browser
        .current_url()
        .await
        .expect("url")
        .path()
        .trim_end_matches("/act")
        .to_owned();
    wait_for(browser, "form.act-form textarea[name=opinion]")
        .await
        .send_keys("邮政编码有误，请核对")
        .await
        .expect("type the reason");
    wait_for(browser, "form.act-form button[value=return]")
        .await
        .click()
        .await
        .expect("return");
    wait_for_url(browser, "the returned document", |path, query| {
        path == returned_path && query.contains("ok=return")
    })
    .await;

    // The clerk corrects it and submits it again.
    sign_in(browser, server, &cast.clerk).await;
    wait_for(browser, "section.returned a").await;
    screenshot(browser, "flow-13a-home-returned").await;
    wait_for(browser, "section.returned a")
        .await
        .click()
        .await
        .expect("open the returned document");
    wait_for_url(browser, "the returned document", |path, _| {
        path == returned_path
    })
    .await;
    wait_for(browser, ".notice.warn").await;
    assert!(page_text(browser).await.contains("邮政编码有误，请核对"));
    screenshot(browser, "flow-13-returned-to-clerk").await;
    wait_for(browser, ".page-actions a[href$='/edit']")
        .await
        .click()
        .await
        .expect("edit");
    let zip = wait_for(browser, "form.change-form input[name=zip]").await;
    zip.clear().await.expect("clear");
    zip.send_keys("832009").await.expect("type the zip");
    screenshot(browser, "flow-14-edit-returned").await;
    wait_for(browser, "form.change-form button[name=submit][value='1']")
        .await
        .click()
        .await
        .expect("submit again");
    wait_for_url(browser, "the resubmitted document", |path, query| {
        path == returned_path && query.contains("ok=submit")
    })
    .await;
    assert!(page_text(browser).await.contains("832009"));

    // The administrator's flow definitions, and a publication refused with its problems.
    sign_in(browser, server, "admin").await;
    browser
        .goto(&format!("{}/flow/definitions", server.base))
        .await
        .expect("definitions");
    wait_for(browser, "table.data tbody tr").await;
    screenshot(browser, "flow-10-definitions").await;
    browser
        .goto(&format!(
            "{}/flow/definitions/unit_change_default/1",
            server.base
        ))
        .await
        .expect("a version");
    wait_for(browser, "table.nodes").await;
    screenshot(browser, "flow-11-definition-version").await;
    let area = wait_for(browser, "textarea[name=json]").await;
    let json = area.prop("value").await.expect("json").unwrap_or_default();
    let broken = json.replacen("\"to\": \"end\"", "\"to\": {\"node\": \"unit_review\"}", 1);
    assert_ne!(json, broken, "the JSON has an end edge");
    browser
        .execute(
            "document.querySelector('textarea[name=json]').value = arguments[0]; window.confirm = function () { return true; };",
            vec![serde_json::Value::String(broken)],
        )
        .await
        .expect("edit the JSON");
    wait_for(browser, "form.publish-form button[type=submit]")
        .await
        .click()
        .await
        .expect("publish");
    wait_for(browser, "ul.problems li").await;
    screenshot(browser, "flow-12-publish-refused").await;
    let kept = wait_for(browser, "textarea[name=json]")
        .await
        .prop("value")
        .await
        .expect("json")
        .unwrap_or_default();
    assert!(
        kept.contains("{\"node\": \"unit_review\"}"),
        "the refused JSON is kept for correction"
    );
    // The shipped JSON again is valid: it becomes version 2.
    browser
        .execute(
            "document.querySelector('textarea[name=json]').value = arguments[0]; window.confirm = function () { return true; };",
            vec![serde_json::Value::String(json)],
        )
        .await
        .expect("restore the JSON");
    wait_for(browser, "form.publish-form button[type=submit]")
        .await
        .click()
        .await
        .expect("publish");
    wait_for_url(browser, "version 2", |path, query| {
        path == "/flow/definitions/unit_change_default/2" && query.contains("ok=published")
    })
    .await;
    wait_for(browser, ".notice.ok").await;
    screenshot(browser, "flow-15-published").await;
}
