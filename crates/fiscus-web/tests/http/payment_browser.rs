//! 支付申请 in a real headless Chromium: a unit clerk signs in, opens 支付申请录入 from the
//! navigation, picks the indicator, enters payee and amount and sends it (保存并送审); the unit
//! approver approves it from 待办; the voucher is generated (待发送) and its page and printable
//! page show it; then the job worker sends it to an in-process `fiscus-bank-sim` (SM2 keys
//! generated for the test), the simulated bank pays it and its receipt comes back, and the
//! voucher page shows 已支付 with the 实际支付金额. Screenshots go to
//! `target/screenshots/payment-*.png`. Gated like the other browser tests
//! (`FISCUS_BROWSER_TEST=1`), on SQLite only.

use std::net::SocketAddr;

use fantoccini::{Client, Locator};
use fiscus_app::Settings;
use fiscus_app::bank::Channel;
use fiscus_app::bank::crypto::generate_sm2_key_pair;
use fiscus_app::bank::links::BankLinks;
use fiscus_app::settings::{BankSettings, Secret};
use fiscus_bank_sim::{Faults, SimConfig, SimHandle};
use fiscus_store::testing::{TestBackend, fresh};

use crate::chrome::{connect, screenshot, start_driver, wait_for, wait_for_url};
use crate::helpers::{TestApp, spawn_with};
use crate::payment::{APPROVER, CLERK, TREASURY, funded_indicator};

#[tokio::test]
async fn payment_entry_to_voucher_in_a_real_browser() {
    if std::env::var("FISCUS_BROWSER_TEST").as_deref() != Ok("1") {
        println!("payment browser test skipped (set FISCUS_BROWSER_TEST=1)");
        return;
    }
    let test_db = fresh(TestBackend::Sqlite)
        .await
        .expect("database")
        .expect("SQLite is always available");
    let (server, sim) = spawn_with_bank(test_db).await;
    let bgt_id = funded_indicator(&server).await;
    let (_driver, webdriver) = start_driver().await;
    let browser = connect(&webdriver).await;
    let doc_path = enter_and_submit(&browser, &server, &bgt_id).await;
    approve(&browser, &server, &doc_path).await;
    voucher_pages(&browser, &server).await;
    send_and_receive(&browser, &server).await;
    browser.close().await.expect("browser closes");
    sim.stop().await.expect("the simulator stops");
}

/// The server with `[bank]` keys (vouchers signed with SM2), and a simulated bank that pays
/// into it; the app's links point at the simulator.
async fn spawn_with_bank(test_db: fiscus_store::testing::TestDb) -> (TestApp, SimHandle) {
    let finance = generate_sm2_key_pair().expect("finance's key");
    let bank = generate_sm2_key_pair().expect("the bank's key");
    let shared = Secret::new("5a".repeat(32));
    let mut bank_settings = BankSettings {
        private_key: finance.private_key.clone(),
        bank_public_key: bank.public_key.clone(),
        shared_key: shared.clone(),
        ..BankSettings::default()
    };
    let settings = Settings {
        secret_key: Secret::new("ab".repeat(32)),
        demo_mode: true,
        bank: bank_settings.clone(),
        ..Settings::default()
    };
    let server = spawn_with(test_db, settings).await;
    let sim = fiscus_bank_sim::spawn(SimConfig {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        finance_url: server.base.clone(),
        channel: Channel::from_keys(
            "bank",
            &bank.private_key,
            "finance",
            &finance.public_key,
            &shared,
        )
        .expect("the bank's channel"),
        bank_code: String::new(),
        faults: Faults::default(),
        seed: 1,
    })
    .await
    .expect("the simulator starts");
    bank_settings.bank_url = format!("http://{}", sim.addr);
    let links = BankLinks::from_settings(&bank_settings)
        .expect("links")
        .expect("keys configured");
    server.app.set_bank_links(links);
    (server, sim)
}

/// The worker sends the voucher; the simulated bank pays it; the receipt lands.
async fn send_and_receive(browser: &Client, server: &TestApp) {
    let mut paid = false;
    for _ in 0..500 {
        server
            .app
            .jobs_run_due(time::OffsetDateTime::now_utc())
            .await
            .expect("worker step");
        let vouchers = fiscus_store::payment::vouchers_of_bank_date(
            &server.app.db,
            &time::OffsetDateTime::now_utc()
                .to_offset(time::macros::offset!(+8))
                .date()
                .to_string(),
        )
        .await
        .expect("vouchers");
        if vouchers.iter().any(|voucher| voucher.status == "paid") {
            paid = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(paid, "the simulated bank's receipt arrived");
    browser
        .goto(&format!("{}/payment-vouchers", server.base))
        .await
        .expect("支付凭证");
    let list = wait_for(browser, "table.vouchers")
        .await
        .text()
        .await
        .expect("text");
    assert!(list.contains("已支付"), "{list}");
    screenshot(browser, "payment-13-vouchers-paid").await;
    wait_for(browser, "table.vouchers a.code")
        .await
        .click()
        .await
        .expect("open the voucher");
    let page = wait_for(browser, "main.content")
        .await
        .text()
        .await
        .expect("text");
    assert!(
        page.contains("已支付") && page.contains("实际支付金额") && page.contains("1,234.50"),
        "{page}"
    );
    assert!(page.contains("SIM"), "the bank serial is shown: {page}");
    screenshot(browser, "payment-14-voucher-paid").await;
}

async fn sign_in(browser: &Client, server: &TestApp, user_name: &str) {
    crate::chrome::sign_in(browser, &server.base, user_name).await;
}

async fn sign_out(browser: &Client) {
    wait_for(browser, "form[action='/logout'] button")
        .await
        .click()
        .await
        .expect("sign out");
    wait_for(browser, "input[name=user_name]").await;
}

async fn type_into(browser: &Client, name: &str, text: &str) {
    wait_for(browser, &format!("form.payment-form input[name={name}]"))
        .await
        .send_keys(text)
        .await
        .expect(name);
}

/// Returns the path of the flow document the application became.
async fn enter_and_submit(browser: &Client, server: &TestApp, bgt_id: &str) -> String {
    sign_in(browser, server, CLERK).await;
    wait_for(browser, "nav.sidenav a[href='/payments/new']")
        .await
        .click()
        .await
        .expect("open 支付申请录入");
    wait_for_url(browser, "支付申请录入", |path, _| {
        path == "/payments/new"
    })
    .await;
    screenshot(browser, "payment-01-entry-empty").await;
    // A refusal first: nothing picked, the message beside the form.
    wait_for(browser, "form.payment-form button[value=submit]")
        .await
        .click()
        .await
        .expect("submit empty");
    let notice = wait_for(browser, ".notice.error")
        .await
        .text()
        .await
        .expect("text");
    assert!(notice.contains("指标"), "{notice}");
    screenshot(browser, "payment-02-entry-refused").await;

    browser
        .find(Locator::Css(&format!(
            "input[name=bgt_id][value='{bgt_id}']"
        )))
        .await
        .expect("the indicator is listed")
        .click()
        .await
        .expect("pick the indicator");
    type_into(browser, "payee_acct_name", "石河子市文具有限公司").await;
    type_into(browser, "payee_acct_no", "6222000012345678").await;
    type_into(browser, "payee_acct_bank_name", "中国工商银行石河子分行").await;
    type_into(browser, "pay_app_amt", "1234.50").await;
    type_into(browser, "use_des", "购买办公用品").await;
    screenshot(browser, "payment-03-entry-filled").await;
    wait_for(browser, "form.payment-form button[value=submit]")
        .await
        .click()
        .await
        .expect("保存并送审");
    wait_for_url(browser, "the document page", |path, _| {
        path.starts_with("/flow/documents/")
    })
    .await;
    let card = wait_for(browser, ".payment-card")
        .await
        .text()
        .await
        .expect("text");
    assert!(
        card.contains("1,234.50")
            && card.contains("审核中")
            && card.contains("石河子市文具有限公司"),
        "{card}"
    );
    screenshot(browser, "payment-04-document-submitted").await;
    let path = browser.current_url().await.expect("url").path().to_owned();
    browser
        .goto(&format!("{}/payments", server.base))
        .await
        .expect("我的支付申请");
    wait_for(browser, "main.content table.data").await;
    screenshot(browser, "payment-05-my-applications").await;
    sign_out(browser).await;
    path
}

async fn approve(browser: &Client, server: &TestApp, doc_path: &str) {
    sign_in(browser, server, APPROVER).await;
    wait_for(browser, "nav.sidenav a[href='/flow/inbox']")
        .await
        .click()
        .await
        .expect("open 待办");
    wait_for_url(browser, "待办", |path, _| path == "/flow/inbox").await;
    let inbox = wait_for(browser, "main.content")
        .await
        .text()
        .await
        .expect("text");
    assert!(inbox.contains("支付申请"), "{inbox}");
    screenshot(browser, "payment-06-inbox").await;
    browser
        .goto(&format!("{}{doc_path}", server.base))
        .await
        .expect("document");
    wait_for(browser, ".payment-card").await;
    screenshot(browser, "payment-07-document-review").await;
    wait_for(browser, "button[name=action][value=approve]")
        .await
        .click()
        .await
        .expect("审核通过");
    wait_for_url(browser, "approved", |_, query| query.contains("ok=approve")).await;
    let card = wait_for(browser, ".payment-card")
        .await
        .text()
        .await
        .expect("text");
    assert!(
        card.contains("已生成凭证") && card.contains("查看支付凭证"),
        "{card}"
    );
    sign_out(browser).await;
}

async fn voucher_pages(browser: &Client, server: &TestApp) {
    sign_in(browser, server, TREASURY).await;
    wait_for(browser, "nav.sidenav a[href='/payment-vouchers']")
        .await
        .click()
        .await
        .expect("open 支付凭证");
    let list = wait_for(browser, "table.vouchers")
        .await
        .text()
        .await
        .expect("text");
    assert!(
        list.contains("待发送") && list.contains("1,234.50"),
        "{list}"
    );
    screenshot(browser, "payment-08-vouchers").await;
    wait_for(browser, "table.vouchers a.code")
        .await
        .click()
        .await
        .expect("open the voucher");
    wait_for(browser, "main.content h1").await;
    screenshot(browser, "payment-09-voucher").await;
    let print = wait_for(browser, "a[href$='/print']")
        .await
        .attr("href")
        .await
        .expect("attr")
        .expect("href");
    browser
        .goto(&format!("{}{print}", server.base))
        .await
        .expect("print page");
    let sheet = wait_for(browser, "article.voucher-sheet")
        .await
        .text()
        .await
        .expect("text");
    assert!(sheet.contains("壹仟贰佰叁拾肆元伍角整"), "{sheet}");
    screenshot(browser, "payment-10-print").await;
    browser
        .goto(&format!("{}/payments/reconciliation", server.base))
        .await
        .expect("对账");
    wait_for(browser, "main.content h1").await;
    screenshot(browser, "payment-11-reconciliation").await;
    browser
        .goto(&format!("{}/payments/batch", server.base))
        .await
        .expect("批量录入");
    wait_for(browser, "main.content h1").await;
    screenshot(browser, "payment-12-batch").await;
}
