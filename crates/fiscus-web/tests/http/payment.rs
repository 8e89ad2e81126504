//! Payment applications and vouchers over HTTP, on both backends: a unit clerk's application
//! created and sent by the JSON API, approved in the flow, reaches a voucher that the lists,
//! the voucher page and the printable page show; paging and filters; scope (another unit's
//! clerk sees nothing, 404 on detail); a table of bad input, each a clean 4xx with a Chinese
//! message; the entry form refusing with nothing written; CSRF on cookie POSTs.

use fiscus_store::testing::TestDb;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Api, Body, TestApp, assert_rejected, has_chinese, spawn};

pub const CLERK: &str = "u660100101001_clerk";
pub const APPROVER: &str = "u660100101001_approver";
pub const OTHER_CLERK: &str = "u660800101001_clerk";
pub const TREASURY: &str = "div01_treasury";

fiscus_store::on_both_backends!(payment_reaches_a_voucher, payment_bad_input_and_scope);

/// The unit's indicator of the ledger tests' world: 7,500.00 元 available.
pub async fn funded_indicator(t: &TestApp) -> String {
    crate::ledger::world(t).await.unit
}

pub fn body(bgt_id: &str, amount: Value, submit: bool) -> Value {
    json!({
        "bgt_id": bgt_id,
        "payee_acct_name": "石河子市文具有限公司",
        "payee_acct_no": "6222000012345678",
        "payee_acct_bank_name": "中国工商银行石河子分行",
        "pay_app_amt": amount,
        "use_des": "购买办公用品",
        "submit": submit,
    })
}

/// Approves every open task of `doc_id` that `approver` holds, until none is left.
pub async fn approve_all(approver: &Api, doc_id: &str) {
    for _ in 0..4 {
        let reply = approver
            .get(&format!("/api/v1/flow/documents/{doc_id}"))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        let Some(task_id) = reply.json()["task_actions"][0]["task_id"].as_u64() else {
            return;
        };
        let acted = approver
            .post(
                &format!("/api/v1/flow/documents/{doc_id}/actions"),
                &json!({ "action": "approve", "task_id": task_id, "opinion": "同意" }),
            )
            .await;
        assert_eq!(acted.status, 200, "{}", acted.text());
    }
}

async fn payment_reaches_a_voucher(test_db: TestDb) {
    let t = spawn(test_db, true).await;
    let clerk = t.demo_login(CLERK).await;
    let approver = t.as_user(APPROVER).await;
    let bgt_id = funded_indicator(&t).await;

    let created = clerk
        .post("/api/v1/payments", &body(&bgt_id, json!("1,234.50"), true))
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let application = created.json();
    assert_eq!(application["status"], "in_review");
    assert_eq!(application["pay_app_amt"], 123_450);
    let pay_app_id = application["pay_app_id"].as_str().expect("id").to_owned();

    // The approver's 待办 shows it readably; so does the document page.
    let inbox = t.as_user(APPROVER).await.get("/api/v1/flow/inbox").await;
    assert!(inbox.text().contains(&pay_app_id), "{}", inbox.text());
    approve_all(&approver, &pay_app_id).await;

    let read = clerk.get(&format!("/api/v1/payments/{pay_app_id}")).await;
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(read.json()["status"], "approved", "{}", read.text());
    let pay_cert_id = read.json()["pay_cert_id"]
        .as_str()
        .expect("a voucher")
        .to_owned();

    let voucher = clerk
        .get(&format!("/api/v1/payment-vouchers/{pay_cert_id}"))
        .await;
    assert_eq!(voucher.status, 200, "{}", voucher.text());
    let voucher = voucher.json();
    assert_eq!(voucher["pay_amt"], 123_450);
    assert_eq!(voucher["status"], "approved");
    assert_eq!(voucher["status_label"], "待发送");
    assert_eq!(voucher["payee_acct_name"], "石河子市文具有限公司");
    assert!(
        voucher["signature_positions"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p == "unit_review")),
        "{voucher}"
    );

    // A draft, then corrected and sent by PUT.
    let draft = clerk
        .post("/api/v1/payments", &body(&bgt_id, json!(50_000), false))
        .await;
    assert_eq!(draft.status, 201, "{}", draft.text());
    assert_eq!(draft.json()["status"], "draft");
    let draft_id = draft.json()["pay_app_id"].as_str().expect("id").to_owned();
    let mut corrected = body(&bgt_id, json!("600"), true);
    corrected["use_des"] = json!("购买打印纸");
    let put = clerk
        .send(
            Method::PUT,
            &format!("/api/v1/payments/{draft_id}"),
            Body::Json(&corrected),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text());
    assert_eq!(
        (
            put.json()["status"].clone(),
            put.json()["pay_app_amt"].clone()
        ),
        (json!("in_review"), json!(60_000))
    );

    // Lists: paging and the state filter.
    let all = clerk.get("/api/v1/payments?page_size=1").await;
    assert_eq!(all.status, 200, "{}", all.text());
    assert_eq!(all.items().len(), 1);
    assert_eq!(all.json()["has_more"], true);
    let second = clerk.get("/api/v1/payments?page_size=1&page=2").await;
    assert_eq!(second.items().len(), 1);
    assert_ne!(
        all.items()[0]["pay_app_id"],
        second.items()[0]["pay_app_id"]
    );
    let approved = clerk.get("/api/v1/payments?status=approved").await;
    assert_eq!(approved.items().len(), 1);
    assert_eq!(approved.items()[0]["pay_app_id"], json!(pay_app_id));
    let vouchers = t
        .as_user(TREASURY)
        .await
        .get("/api/v1/payment-vouchers?status=approved")
        .await;
    assert_eq!(vouchers.status, 200, "{}", vouchers.text());
    assert_eq!(vouchers.json()["total"], 1, "{}", vouchers.text());
    let export = clerk.get("/api/v1/payment-vouchers/export").await;
    assert_eq!(export.status, 200);
    assert!(export.bytes.starts_with(b"PK"), "an xlsx file");

    // Pages: the lists, the voucher, the printable voucher, the flow document.
    for (path, expected) in [
        ("/payments".to_owned(), "石河子市文具有限公司"),
        ("/payments/new".to_owned(), "可用余额"),
        ("/payments/batch".to_owned(), "批量录入"),
        ("/payment-vouchers".to_owned(), "待发送"),
        (format!("/payment-vouchers/{pay_cert_id}"), "1,234.50"),
        (
            format!("/payment-vouchers/{pay_cert_id}/print"),
            "壹仟贰佰叁拾肆元伍角整",
        ),
        (format!("/flow/documents/{pay_app_id}"), "收款人全称"),
    ] {
        let page = clerk.get(&path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.text());
        assert!(page.text().contains(expected), "{path} shows {expected}");
    }
    let recon = t
        .as_user(TREASURY)
        .await
        .get("/payments/reconciliation")
        .await;
    assert_eq!(recon.status, 200, "{}", recon.text());
    assert!(recon.text().contains("没有不一致的记录"));
    // 立即对账 without a bank configured: a clear 503 in Chinese, not an internal error.
    let treasury = t.demo_login(TREASURY).await;
    let response = treasury
        .http
        .post(format!("{}/payments/reconciliation", treasury.base))
        .header("x-csrf-token", treasury.csrf.clone().unwrap_or_default())
        .form(&[("date", "2026-03-01")])
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    let url = response.url().to_string();
    let body = response.text().await.unwrap_or_default();
    assert_eq!(
        status,
        503,
        "{url}: {}",
        body.chars().take(400).collect::<String>()
    );
    assert!(body.contains("代理银行暂时无法连接"));
    let template = clerk.get("/api/v1/payments/import-template.xlsx").await;
    assert_eq!(template.status, 200);
}

async fn payment_bad_input_and_scope(test_db: TestDb) {
    let t: TestApp = spawn(test_db, true).await;
    let clerk = t.demo_login(CLERK).await;
    let bgt_id = funded_indicator(&t).await;
    let created = clerk
        .post("/api/v1/payments", &body(&bgt_id, json!(10_000), false))
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let pay_app_id = created.json()["pay_app_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let before = t.count("payment_application").await;

    let with = |name: &str, value: Value| {
        let mut b = body(&bgt_id, json!(10_000), true);
        b[name] = value;
        b
    };
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (
            "unknown field",
            with("surprise", json!(1)),
            400,
            "field_invalid",
        ),
        (
            "amount float",
            with("pay_app_amt", json!(1e30)),
            400,
            "amount_invalid",
        ),
        (
            "amount u64",
            with("pay_app_amt", json!(u64::MAX)),
            400,
            "amount_invalid",
        ),
        (
            "amount too large",
            with("pay_app_amt", json!(i64::MAX)),
            400,
            "amount_too_large",
        ),
        (
            "amount zero",
            with("pay_app_amt", json!(0)),
            400,
            "amount_not_positive",
        ),
        (
            "amount text",
            with("pay_app_amt", json!("12.345")),
            400,
            "amount_invalid",
        ),
        (
            "amount bool",
            with("pay_app_amt", json!(true)),
            400,
            "amount_invalid",
        ),
        (
            "name number",
            with("payee_acct_name", json!(5)),
            400,
            "field_invalid",
        ),
        (
            "bad account",
            with("payee_acct_no", json!("62AB")),
            400,
            "account_no_invalid",
        ),
        (
            "purpose 无",
            with("use_des", json!("无")),
            400,
            "field_invalid",
        ),
        (
            "script",
            with("payee_acct_name", json!("<script>")),
            400,
            "text_has_special_chars",
        ),
        (
            "over balance",
            with("pay_app_amt", json!(900_000_000_000_i64)),
            422,
            "exceeds_available_balance",
        ),
        (
            "no indicator",
            with("bgt_id", json!("")),
            400,
            "field_required",
        ),
    ];
    for (name, bad, status, code) in cases {
        let reply = clerk.post("/api/v1/payments", &bad).await;
        assert_rejected(&reply, status, code, name);
    }
    for (name, raw) in [("malformed", "{\"bgt_id\": "), ("array", "[1,2]")] {
        let reply = clerk
            .send(Method::POST, "/api/v1/payments", Body::Raw(raw))
            .await;
        assert_rejected(&reply, 400, "field_invalid", name);
    }
    for (path, code) in [
        ("/api/v1/payments?status=bogus", "field_invalid"),
        ("/api/v1/payments?page_size=100000", "page_size_exceeded"),
        ("/api/v1/payments?page=-1", "field_invalid"),
        (
            "/api/v1/payment-vouchers?vou_date=2026-13-01",
            "field_invalid",
        ),
        ("/api/v1/payment-vouchers?status=nope", "field_invalid"),
    ] {
        let reply = clerk.get(path).await;
        assert_eq!(reply.status, 400, "{path}: {}", reply.text());
        assert!(
            has_chinese(&reply.json()["error"]["message"].to_string()),
            "{path}"
        );
        let _ = code;
    }
    assert_eq!(
        t.count("payment_application").await,
        before,
        "nothing written"
    );

    // Scope: another unit's clerk sees nothing of ours.
    let other = t.as_user(OTHER_CLERK).await;
    assert_rejected(
        &other.get(&format!("/api/v1/payments/{pay_app_id}")).await,
        404,
        "not_found",
        "other unit's application",
    );
    assert!(other.get("/api/v1/payments").await.items().is_empty());
    assert_rejected(
        &other
            .post("/api/v1/payments", &body(&bgt_id, json!(100), false))
            .await,
        404,
        "not_found",
        "other unit's indicator",
    );
    let other_page = other.get(&format!("/payments/{pay_app_id}/edit")).await;
    assert_eq!(other_page.status, 404);
    assert_rejected(
        &other.get("/api/v1/payment-vouchers/nope").await,
        404,
        "not_found",
        "unknown voucher",
    );
    assert_eq!(other.get("/payments/reconciliation").await.status, 403);

    // The entry form: a refusal comes back beside the form, nothing written.
    let form = clerk
        .send(
            Method::POST,
            "/payments/new",
            Body::Bytes(
                format!(
                    "_csrf={}&bgt_id={bgt_id}&payee_acct_name=x&payee_acct_no=62AB&payee_acct_bank_name=bank&pay_app_amt=1&use_des=%E5%8A%9E%E5%85%AC&action=submit",
                    clerk.csrf.clone().unwrap_or_default()
                )
                .as_bytes(),
                "application/x-www-form-urlencoded",
            ),
        )
        .await;
    assert_eq!(form.status, 400, "{}", form.text());
    assert!(form.text().contains("申请未保存"), "{}", form.text());
    // CSRF: a cookie POST without the token is refused, nothing written.
    let no_token = Api {
        csrf: None,
        ..clerk.clone()
    };
    let refused = no_token
        .post("/api/v1/payments", &body(&bgt_id, json!(100), false))
        .await;
    assert_rejected(&refused, 403, "csrf_token_invalid", "no CSRF token");
    let form = no_token
        .send(
            Method::POST,
            "/payments/new",
            Body::Bytes(
                format!("bgt_id={bgt_id}&action=draft").as_bytes(),
                "application/x-www-form-urlencoded",
            ),
        )
        .await;
    assert_eq!(form.status, 403);
    assert_eq!(
        t.count("payment_application").await,
        before,
        "nothing written"
    );
}
