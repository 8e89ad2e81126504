//! The JSON API as the corps administrator sees it: every kind lists, shows, exports and has
//! a history; every writable kind round-trips create → edit → disable → enable with the
//! history showing old → new; the OpenAPI document, health, readiness, metrics, request ids.

use fiscus_core::schema::ALL;
use fiscus_store::testing::TestDb;
use serde_json::{Value, json};

use crate::helpers::{key_of, samples, segment, spawn, text_of};

fiscus_store::on_both_backends!(
    every_kind_lists_shows_and_exports,
    writes_round_trip_with_history,
    operations_endpoints
);

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn every_kind_lists_shows_and_exports(test_db: TestDb) {
    let server = spawn(test_db, true).await;
    let admin = server.as_user("admin").await;
    for spec in ALL {
        let name = spec.name;
        let list = admin.get(&format!("/api/v1/{name}?page_size=5")).await;
        assert_eq!(list.status, 200, "{name}: {}", list.text());
        let body = list.json();
        let items = list.items();
        let total = body["total"].as_i64().unwrap_or_default();
        assert!(
            !items.is_empty() && items.len() <= 5,
            "{name}: {} items",
            items.len()
        );
        assert!(total >= items.len() as i64, "{name}: total {total}");
        assert_eq!(
            (body["page"].as_i64(), body["page_size"].as_i64()),
            (Some(1), Some(5)),
            "{name}"
        );
        for field in spec.list_fields() {
            assert!(
                items[0].get(field.name).is_some(),
                "{name}: listed field {}",
                field.name
            );
        }

        let key = key_of(name, &items[0]);
        let detail = admin
            .get(&format!("/api/v1/{name}/{}", segment(&key)))
            .await;
        assert_eq!(detail.status, 200, "{name} {key}: {}", detail.text());
        assert_eq!(key_of(name, &detail.json()), key, "{name}");
        for field in spec.stored_fields() {
            assert!(
                detail.json().get(field.name).is_some(),
                "{name}: detail has {}",
                field.name
            );
        }
        for field in spec
            .fields
            .iter()
            .filter(|field| field.kind == fiscus_core::schema::FieldKind::Secret)
        {
            assert!(
                detail.json().get(field.name).is_none(),
                "{name}: secret {} is never returned",
                field.name
            );
        }

        let export = admin.get(&format!("/api/v1/{name}/export.xlsx")).await;
        assert_eq!(export.status, 200, "{name}: {}", export.text());
        assert_eq!(export.header("content-type"), XLSX, "{name}");
        assert!(export.bytes.starts_with(b"PK"), "{name}: a zip container");
        assert!(
            export
                .header("content-disposition")
                .contains(&format!("{name}.xlsx")),
            "{name}"
        );

        let history = admin
            .get(&format!("/api/v1/{name}/{}/history", segment(&key)))
            .await;
        assert_eq!(history.status, 200, "{name}: {}", history.text());
        assert!(
            history.json()["items"].is_array() && history.json()["total"].is_i64(),
            "{name}"
        );
    }
    let filtered = admin
        .get("/api/v1/agencies/export.xlsx?q=%E6%95%99%E8%82%B2&sort=agency_name&dir=desc")
        .await;
    assert_eq!(
        (filtered.status, filtered.header("content-type").as_str()),
        (200, XLSX)
    );
}

async fn writes_round_trip_with_history(test_db: TestDb) {
    let server = spawn(test_db, true).await;
    let admin = server.as_user("admin").await;
    for sample in samples() {
        let name = sample.entity;
        let created = admin.post(&format!("/api/v1/{name}"), &sample.create).await;
        assert_eq!(created.status, 201, "{name}: {}", created.text());
        let record = created.json();
        let key = key_of(name, &record);
        assert!(!key.is_empty(), "{name}: key");
        assert_eq!(record["is_enabled"], json!(true), "{name}");
        assert_eq!(text_of(&record, "updated_by"), "admin", "{name}");
        let path = format!("/api/v1/{name}/{}", segment(&key));

        let edited = admin
            .patch(&path, &json!({ sample.edit_field: sample.edit_value }))
            .await;
        assert_eq!(edited.status, 200, "{name}: {}", edited.text());
        let shown = match &edited.json()[sample.edit_field] {
            Value::Number(fen) if name == "persons" || name == "standards" => {
                fiscus_core::Fen(fen.as_i64().unwrap_or_default()).to_yuan_string()
            }
            _ => text_of(&edited.json(), sample.edit_field),
        };
        assert_eq!(shown, sample.shown_after, "{name}: the edit is stored");

        let disabled = admin.post(&format!("{path}/disable"), &json!({})).await;
        assert_eq!(
            (disabled.status, disabled.json()["is_enabled"].clone()),
            (200, json!(false)),
            "{name}: {}",
            disabled.text()
        );
        let enabled = admin.post(&format!("{path}/enable"), &json!({})).await;
        assert_eq!(
            (enabled.status, enabled.json()["is_enabled"].clone()),
            (200, json!(true)),
            "{name}: {}",
            enabled.text()
        );

        let history = admin.get(&format!("{path}/history")).await;
        assert_eq!(history.status, 200, "{name}");
        let items = history.items();
        let actions: Vec<&str> = items
            .iter()
            .map(|item| item["action"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(
            actions,
            ["enable", "disable", "update", "create"],
            "{name}: newest first"
        );
        let change = |index: usize| -> Value {
            serde_json::from_str(items[index]["changes"].as_str().unwrap_or("null"))
                .unwrap_or(Value::Null)
        };
        assert_eq!(
            change(2)[sample.edit_field],
            json!([sample.shown_before, sample.shown_after]),
            "{name}: old → new"
        );
        assert_eq!(change(1)["is_enabled"], json!(["启用", "停用"]), "{name}");
        assert!(
            change(3)
                .as_object()
                .is_some_and(|fields| !fields.is_empty()),
            "{name}: the create lists its values"
        );
        assert!(
            items
                .iter()
                .all(|item| item["user_name"] == json!("admin") && item["request_id"].is_string()),
            "{name}"
        );
    }
    // A unit user's roles are edited against the unit the user belongs to.
    let roles = admin
        .patch(
            "/api/v1/users/u660100101001_clerk",
            &json!({ "roles": "unit_clerk,unit_approver" }),
        )
        .await;
    assert_eq!(
        (roles.status, text_of(&roles.json(), "roles").as_str()),
        (200, "unit_clerk,unit_approver"),
        "{}",
        roles.text()
    );
    // Secrets are written but never stored as given: the new user signs in with the password.
    if let Err(reply) = server.login("test_budget", "Passw0rd2026").await {
        panic!("the new user cannot sign in: {}", reply.text());
    }
}

async fn operations_endpoints(test_db: TestDb) {
    let server = spawn(test_db, true).await;
    let anonymous = server.anonymous();
    let health = anonymous.get("/healthz").await;
    assert_eq!((health.status, health.text().as_str()), (200, "ok"));
    assert_eq!(anonymous.get("/readyz").await.status, 200);
    let openapi = anonymous.get("/api/openapi.json").await;
    assert_eq!(openapi.status, 200);
    let document = openapi.json();
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|version| version.starts_with("3.")),
        "{}",
        openapi.text()
    );
    let paths = document["paths"].as_object().cloned().unwrap_or_default();
    for spec in ALL {
        for path in [
            format!("/api/v1/{}", spec.name),
            format!("/api/v1/{}/{{key}}", spec.name),
            format!("/api/v1/{}/export.xlsx", spec.name),
        ] {
            assert!(paths.contains_key(&path), "openapi lacks {path}");
        }
        assert!(
            document["components"]["schemas"][spec.name].is_object(),
            "schema of {}",
            spec.name
        );
    }
    assert!(paths.contains_key("/api/v1/session"));

    let unauthenticated = anonymous.get("/api/v1/agencies").await;
    crate::helpers::assert_rejected(&unauthenticated, 401, "not_authenticated", "anonymous list");
    let echoed = anonymous
        .http
        .get(format!("{}/healthz", server.base))
        .header("x-request-id", "trace-0042")
        .send()
        .await
        .expect("answer");
    assert_eq!(
        echoed
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("trace-0042")
    );
    let generated = anonymous.get("/api/v1/me").await;
    assert!(!generated.header("x-request-id").is_empty());
    assert_ne!(
        generated.header("x-request-id"),
        anonymous.get("/api/v1/me").await.header("x-request-id"),
        "one id per request"
    );

    let metrics = anonymous.get("/metrics").await;
    assert_eq!(metrics.status, 200);
    let text = metrics.text();
    assert!(text.contains("fiscus_http_requests_total"), "{text}");
    assert!(
        text.contains("fiscus_http_requests_total{class=\"4xx\"}"),
        "{text}"
    );
    assert!(
        text.contains("fiscus_http_request_duration_seconds_count"),
        "{text}"
    );
}
