//! Authentication over HTTP: login failures and lockout, disabled accounts, logout, CSRF
//! tokens and origins for cookie sessions, bearer tokens for machines, the forced password
//! change outside demo mode, and the audit trail of logins.

use fiscus_app::demo::DEMO_PASSWORD;
use fiscus_store::testing::TestDb;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{Api, Body, assert_rejected, spawn, text_of};

fiscus_store::on_both_backends!(
    logins_fail_lock_and_are_audited,
    sessions_need_csrf_and_same_origin,
    bearer_tokens_act_as_their_user,
    password_change_is_forced_outside_demo_mode
);

async fn logins_fail_lock_and_are_audited(test_db: TestDb) {
    let server = spawn(test_db, true).await;
    let admin = server.as_user("admin").await;
    let wrong = server
        .login("div02_budget", "WrongPassw0rd")
        .await
        .expect_err("wrong password");
    assert_rejected(&wrong, 401, "login_failed", "wrong password");
    let unknown = server
        .login("nobody_here", DEMO_PASSWORD)
        .await
        .expect_err("unknown user");
    assert_rejected(
        &unknown,
        401,
        "login_failed",
        "unknown user gets the same answer",
    );
    assert_eq!(
        unknown.json()["error"]["message"],
        wrong.json()["error"]["message"]
    );

    // Five failures in a row lock the account, and then even the right password is refused.
    for attempt in 2..=5 {
        let reply = server
            .login("div02_budget", "WrongPassw0rd")
            .await
            .expect_err("wrong password");
        assert_rejected(&reply, 401, "login_failed", &format!("attempt {attempt}"));
    }
    let locked = server
        .login("div02_budget", DEMO_PASSWORD)
        .await
        .expect_err("locked");
    assert_rejected(
        &locked,
        423,
        "account_locked",
        "right password while locked",
    );
    assert!(
        locked.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("分钟")
    );
    // An administrator's password reset unlocks it.
    let reset = admin
        .post(
            "/api/v1/users/div02_budget/reset-password",
            &json!({ "new_password": "NewPassw0rd2026" }),
        )
        .await;
    assert_eq!(reset.status, 204, "{}", reset.text());
    assert!(
        server
            .login("div02_budget", "NewPassw0rd2026")
            .await
            .is_ok(),
        "unlocked by the reset"
    );

    // A disabled account cannot sign in, and its open sessions end.
    let session = server.demo_login("div03_budget").await;
    assert_eq!(session.get("/api/v1/me").await.status, 200);
    assert_eq!(
        admin
            .post("/api/v1/users/div03_budget/disable", &json!({}))
            .await
            .status,
        200
    );
    let disabled = server
        .login("div03_budget", DEMO_PASSWORD)
        .await
        .expect_err("disabled");
    assert_rejected(&disabled, 403, "account_disabled", "disabled account");
    assert_rejected(
        &session.get("/api/v1/me").await,
        401,
        "not_authenticated",
        "session of a disabled user",
    );
    let refused = admin.post("/api/v1/users/admin/disable", &json!({})).await;
    assert_rejected(
        &refused,
        422,
        "cannot_disable_self",
        "an administrator disabling itself",
    );

    let audit = |action: &'static str| {
        let admin = admin.clone();
        async move {
            admin
                .get(&format!("/api/v1/audit-log?action={action}&page_size=200"))
                .await
        }
    };
    let failed = audit("login_failed").await;
    assert_eq!(failed.status, 200, "{}", failed.text());
    let failed_for = |user: &str| {
        failed
            .items()
            .iter()
            .filter(|row| text_of(row, "user_name") == user)
            .count()
    };
    assert_eq!(failed_for("div02_budget"), 5);
    assert!(
        failed
            .items()
            .iter()
            .all(|row| text_of(row, "ip") == "127.0.0.1"),
        "the client address is recorded"
    );
    let succeeded = audit("login_succeeded").await.items();
    let names: Vec<String> = succeeded
        .iter()
        .map(|row| text_of(row, "user_name"))
        .collect();
    assert!(
        names.contains(&"div02_budget".to_owned()) && names.contains(&"div03_budget".to_owned()),
        "{names:?}"
    );
    assert!(
        audit("password_reset")
            .await
            .items()
            .iter()
            .any(|row| text_of(row, "entity_key") == "div02_budget")
    );
}

async fn sessions_need_csrf_and_same_origin(test_db: TestDb) {
    let server = spawn(test_db, true).await;
    let session = server.demo_login("u660100101001_clerk").await;
    let me = session.get("/api/v1/me").await;
    assert_eq!(
        (me.status, text_of(&me.json(), "user_name").as_str()),
        (200, "u660100101001_clerk")
    );
    assert_eq!(me.json()["agency_code"], json!("660100101001"));
    let person = session.get("/api/v1/persons?page_size=1").await.items()[0].clone();
    let path = format!("/api/v1/persons/{}", text_of(&person, "per_id"));
    let edit = json!({ "per_name": "会话修改" });
    let n_audit = server.count("audit_log").await;

    let without_token = Api {
        csrf: None,
        ..session.clone()
    };
    assert_rejected(
        &without_token.patch(&path, &edit).await,
        403,
        "csrf_token_invalid",
        "no CSRF token",
    );
    let wrong_token = Api {
        csrf: Some("0".repeat(32)),
        ..session.clone()
    };
    assert_rejected(
        &wrong_token.patch(&path, &edit).await,
        403,
        "csrf_token_invalid",
        "wrong CSRF token",
    );
    let evil = session
        .http
        .patch(format!("{}{path}", server.base))
        .header("x-csrf-token", session.csrf.clone().unwrap_or_default())
        .header("origin", "http://evil.example")
        .json(&edit)
        .send()
        .await
        .expect("answer");
    assert_eq!(
        evil.status().as_u16(),
        403,
        "cross-origin write with a valid token"
    );
    let evil_body: serde_json::Value = evil.json().await.unwrap_or_default();
    assert_eq!(evil_body["error"]["code"], json!("csrf_token_invalid"));
    let null_origin_logout = session
        .http
        .delete(format!("{}/api/v1/session", server.base))
        .header("origin", "http://evil.example")
        .send()
        .await
        .expect("answer");
    assert_eq!(
        null_origin_logout.status().as_u16(),
        403,
        "logging out from another origin is refused too"
    );
    assert_eq!(
        server.count("audit_log").await,
        n_audit,
        "refused writes leave no trace"
    );
    assert_eq!(
        text_of(&session.get(&path).await.json(), "per_name"),
        text_of(&person, "per_name")
    );

    let same_origin = session
        .http
        .patch(format!("{}{path}", server.base))
        .header("x-csrf-token", session.csrf.clone().unwrap_or_default())
        .header("origin", server.base.clone())
        .json(&edit)
        .send()
        .await
        .expect("answer");
    assert_eq!(
        same_origin.status().as_u16(),
        200,
        "same-origin write with the token"
    );
    assert_eq!(
        text_of(&session.get(&path).await.json(), "per_name"),
        "会话修改"
    );

    // Logging out ends the session for good.
    let logout = session
        .send(Method::DELETE, "/api/v1/session", Body::None)
        .await;
    assert_eq!(logout.status, 204);
    assert!(logout.header("set-cookie").contains("Max-Age=0"));
    assert_rejected(
        &session.get("/api/v1/me").await,
        401,
        "not_authenticated",
        "after logout",
    );
    assert_rejected(
        &session.patch(&path, &edit).await,
        401,
        "not_authenticated",
        "write after logout",
    );
    let logged_out = server
        .as_user("admin")
        .await
        .get("/api/v1/audit-log?action=logout")
        .await
        .items();
    assert!(
        logged_out
            .iter()
            .any(|row| text_of(row, "user_name") == "u660100101001_clerk")
    );
}

async fn bearer_tokens_act_as_their_user(test_db: TestDb) {
    let server = spawn(test_db, true).await;
    let clerk = server.as_user("u660100101001_clerk").await;
    let units = clerk.get("/api/v1/agencies").await;
    assert_eq!(units.status, 200);
    let codes: Vec<String> = units
        .items()
        .iter()
        .map(|unit| text_of(unit, "agency_code"))
        .collect();
    assert_eq!(codes, ["660100101001"], "a token sees what its user sees");
    let person = clerk.get("/api/v1/persons?page_size=1").await.items()[0].clone();
    let path = format!("/api/v1/persons/{}", text_of(&person, "per_id"));
    let edited = clerk.patch(&path, &json!({ "per_name": "令牌修改" })).await;
    assert_eq!(
        edited.status,
        200,
        "no CSRF token needed without a cookie: {}",
        edited.text()
    );
    let history = clerk.get(&format!("{path}/history")).await.items();
    assert_eq!(
        text_of(&history[0], "user_name"),
        "u660100101001_clerk",
        "the write is the user's"
    );
    assert_rejected(
        &clerk.get("/api/v1/users").await,
        403,
        "forbidden",
        "a token has its user's roles",
    );
    assert_rejected(
        &clerk.get("/api/v1/agencies/660800101001").await,
        404,
        "not_found",
        "and its user's scope",
    );

    let forged = Api {
        bearer: Some("fsk_not_a_real_token".into()),
        ..clerk.clone()
    };
    assert_rejected(
        &forged.get("/api/v1/agencies").await,
        401,
        "not_authenticated",
        "unknown token",
    );
    // A token of a disabled user stops working.
    let admin = server.as_user("admin").await;
    assert_eq!(
        admin
            .post("/api/v1/users/u660100101001_clerk/disable", &json!({}))
            .await
            .status,
        200
    );
    assert_rejected(
        &clerk.get("/api/v1/agencies").await,
        401,
        "not_authenticated",
        "token of a disabled user",
    );
}

async fn password_change_is_forced_outside_demo_mode(test_db: TestDb) {
    let server = spawn(test_db, false).await;
    let anonymous = server.anonymous();
    let login = anonymous
        .post(
            "/api/v1/session",
            &json!({ "user_name": "div01_budget", "password": DEMO_PASSWORD }),
        )
        .await;
    assert_eq!(login.status, 200);
    assert_eq!(login.json()["must_change_password"], json!(true));
    let session = Api {
        csrf: login.json()["csrf_token"].as_str().map(str::to_owned),
        ..anonymous
    };
    let me = session.get("/api/v1/me").await;
    assert_eq!(
        (me.status, me.json()["must_change_password"].clone()),
        (200, json!(true))
    );
    for (method, path) in [
        (Method::GET, "/api/v1/agencies"),
        (Method::GET, "/api/v1/regions/tree"),
        (Method::PATCH, "/api/v1/agencies/660100101"),
    ] {
        let body = json!({ "agency_name": "改名" });
        let reply = session
            .send(
                method.clone(),
                path,
                if method == Method::GET {
                    Body::None
                } else {
                    Body::Json(&body)
                },
            )
            .await;
        assert_rejected(
            &reply,
            403,
            "password_change_required",
            &format!("{method} {path}"),
        );
    }
    let change = |old: &str, new: &str| json!({ "old_password": old, "new_password": new });
    let refusals = [
        (
            change("WrongPassw0rd", "NewPassw0rd2026"),
            401,
            "login_failed",
        ),
        (change(DEMO_PASSWORD, "short"), 400, "password_too_weak"),
        (change(DEMO_PASSWORD, DEMO_PASSWORD), 400, "password_reused"),
    ];
    for (body, status, code) in &refusals {
        assert_rejected(
            &session.post("/api/v1/me/password", body).await,
            *status,
            code,
            code,
        );
    }
    let changed = session
        .post(
            "/api/v1/me/password",
            &change(DEMO_PASSWORD, "NewPassw0rd2026"),
        )
        .await;
    assert_eq!(changed.status, 204, "{}", changed.text());
    assert_rejected(
        &session.get("/api/v1/me").await,
        401,
        "not_authenticated",
        "the change ends the session",
    );
    assert!(
        server.login("div01_budget", DEMO_PASSWORD).await.is_err(),
        "the old password is gone"
    );
    let fresh = server
        .login("div01_budget", "NewPassw0rd2026")
        .await
        .map_err(|reply| reply.text())
        .expect("new password");
    assert_eq!(
        fresh.get("/api/v1/me").await.json()["must_change_password"],
        json!(false)
    );
    assert_eq!(fresh.get("/api/v1/agencies").await.status, 200);
    // Machine tokens are not held up by the first-login rule.
    assert_eq!(
        server
            .as_user("div02_budget")
            .await
            .get("/api/v1/agencies")
            .await
            .status,
        200
    );
}
