//! The pages in a real headless Chromium, driven over WebDriver (chromedriver + fantoccini):
//! sign in, see the home page, search the unit list, open a unit, open the tree; screenshots
//! land in `target/screenshots/`. Runs when `FISCUS_BROWSER_TEST=1` (set by `cargo xtask
//! test` when Chromium and chromedriver are installed), on SQLite only: it tests the UI, not
//! storage, which the other modules cover on both backends.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use fiscus_app::demo::DEMO_PASSWORD;
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
