//! The approval pages in a real headless Chromium (chromedriver + fantoccini), like
//! `browser.rs`: a unit clerk writes and submits a 基础信息变更申请 through the form, two
//! more are submitted through the application; the unit approver sees the three in 待办 with
//! the count in the navigation, ticks them all and clicks 批量审核通过; the competent
//! department's reviewer then finds them in their 待办. Also the document page, 已办, and the
//! flow definitions with a refused publication. Screenshots land in
//! `target/screenshots/flow-*.png`. Runs when `FISCUS_BROWSER_TEST=1`, on SQLite only.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use fiscus_app::RequestCtx;
use fiscus_app::demo::{self, DEMO_PASSWORD, Scale};
use fiscus_core::masterdata::Input;
use fiscus_core::{Principal, Role};
use fiscus_store::testing::{TestBackend, fresh};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::helpers::{TestApp, spawn};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long one page may take to show the element a step waits for.
const STEP_WAIT: Duration = Duration::from_secs(20);

/// Ends chromedriver and its browsers when the test ends, passed or failed.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Ask chromedriver to quit its browsers; a killed chromedriver would orphan them.
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = stream.write_all(
                b"GET /shutdown HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
            );
            let _ = stream.read(&mut [0u8; 512]);
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(20));
        }
        // Whatever is left of the process group it leads (the browsers) goes too.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// Starts chromedriver and waits until it accepts connections.
async fn start_driver() -> (Driver, String) {
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver { child, port };
    let started = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            started.elapsed() < STEP_WAIT,
            "chromedriver did not open port {port}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    (driver, format!("http://127.0.0.1:{port}"))
}

async fn connect(webdriver: &str) -> Client {
    let capabilities = serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1366,900"],
        },
    });
    let capabilities = capabilities.as_object().cloned().unwrap_or_default();
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(webdriver)
        .await
        .expect("a browser session")
}

fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot directory");
    dir
}

async fn screenshot(browser: &Client, name: &str) {
    let png = browser.screenshot().await.expect("screenshot");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).expect("screenshot written");
}

async fn wait_for(browser: &Client, css: &str) -> fantoccini::elements::Element {
    match browser
        .wait()
        .at_most(STEP_WAIT)
        .for_element(Locator::Css(css))
        .await
    {
        Ok(element) => element,
        Err(error) => {
            let url = browser
                .current_url()
                .await
                .map(|url| url.to_string())
                .unwrap_or_default();
            let source = browser.source().await.unwrap_or_default();
            panic!(
                "{css} did not appear on {url}: {error}\n{}",
                source.chars().take(2_000).collect::<String>()
            )
        }
    }
}

/// Waits until a click has navigated: the old page may hold the same elements as the new.
/// `arrived` gets the path and the query of the current URL.
async fn wait_for_url(browser: &Client, what: &str, arrived: impl Fn(&str, &str) -> bool) {
    let started = Instant::now();
    loop {
        let url = browser.current_url().await.expect("url");
        if arrived(url.path(), url.query().unwrap_or_default()) {
            return;
        }
        assert!(
            started.elapsed() < STEP_WAIT,
            "never reached {what}; still on {url}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

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
    browser.delete_all_cookies().await.expect("sign out");
    browser
        .goto(&format!("{}/login", server.base))
        .await
        .expect("login page");
    wait_for(browser, "input[name=user_name]")
        .await
        .send_keys(user_name)
        .await
        .expect("type the user name");
    wait_for(browser, "input[name=password]")
        .await
        .send_keys(DEMO_PASSWORD)
        .await
        .expect("type the password");
    wait_for(browser, "form[action='/login'] button[type=submit]")
        .await
        .click()
        .await
        .expect("sign in");
    wait_for_url(browser, "the home page", |path, _| path == "/").await;
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
