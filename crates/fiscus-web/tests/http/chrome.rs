//! Shared by the headless-Chromium tests: starting chromedriver (ended by a guard even when a
//! test fails), connecting fantoccini without TLS, waiting for elements and URLs, screenshots.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";
pub(crate) const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long one page may take to show the element a step waits for.
pub(crate) const STEP_WAIT: Duration = Duration::from_secs(20);

/// Ends chromedriver and its browsers when the test ends, passed or failed.
pub(crate) struct Driver {
    pub(crate) child: Child,
    pub(crate) port: u16,
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

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// Starts chromedriver and waits until it accepts connections.
pub(crate) async fn start_driver() -> (Driver, String) {
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

pub(crate) async fn connect(webdriver: &str) -> Client {
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

pub(crate) fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot directory");
    dir
}

pub(crate) async fn screenshot(browser: &Client, name: &str) {
    let png = browser.screenshot().await.expect("screenshot");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).expect("screenshot written");
}

pub(crate) async fn wait_for(browser: &Client, css: &str) -> fantoccini::elements::Element {
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
pub(crate) async fn wait_for_url(
    browser: &Client,
    what: &str,
    arrived: impl Fn(&str, &str) -> bool,
) {
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

/// Signs in on the login page with the demo password and waits for the home page (any
/// earlier session's cookies are dropped first).
pub(crate) async fn sign_in(browser: &Client, base: &str, user_name: &str) {
    browser.delete_all_cookies().await.expect("sign out");
    browser
        .goto(&format!("{base}/login"))
        .await
        .expect("login page");
    wait_for(browser, "input[name=user_name]")
        .await
        .send_keys(user_name)
        .await
        .expect("type the user name");
    wait_for(browser, "input[name=password]")
        .await
        .send_keys(fiscus_app::demo::DEMO_PASSWORD)
        .await
        .expect("type the password");
    wait_for(browser, "form[action='/login'] button[type=submit]")
        .await
        .click()
        .await
        .expect("sign in");
    wait_for_url(browser, "the home page", |path, _| path == "/").await;
}
