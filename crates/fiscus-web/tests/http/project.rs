//! The project library over HTTP, on both backends: a unit clerk's project created, corrected
//! and declared by the JSON API shows as 申报中 in the list; the pages (list, form, detail, flow
//! document card) render; scope (another unit's clerk gets 404); a table of bad input, each a
//! clean 4xx with a Chinese message and nothing written; the form refusing with nothing written;
//! attachments (API multipart and the page form, download, delete, refusals), 基本支出一键测算
//! (API and page), the list's filters and its Excel export.

use fiscus_store::testing::TestDb;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Body, assert_rejected, has_chinese, spawn};
use crate::payment::{CLERK, OTHER_CLERK};

fiscus_store::on_both_backends!(
    project_is_declared,
    project_bad_input_and_scope,
    project_attachments_over_http,
    project_basic_calculation_and_pool_over_http,
);

pub const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n";

/// A multipart body: the `_csrf` part when given, then the file part `file`.
pub fn multipart(csrf: Option<&str>, file_name: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----fiscusProjectBoundary9QxK";
    let mut body = Vec::new();
    if let Some(token) = csrf {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{token}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A 特定目标类 project of 100,000.00 元 over 2026–2027.
pub fn body(declare: bool) -> Value {
    json!({
        "pro_name": "高标准农田建设项目",
        "pro_cat_code": "3",
        "start_year": 2026,
        "end_year": 2027,
        "plan": [ { "year": 2026, "amount": "60,000.00" }, { "year": 2027, "amount": 4_000_000 } ],
        "estimation": [
            { "item": "土地平整", "quantity": 100, "unit_price": "800", "amount": "80000", "basis": "每亩800元" },
            { "item": "灌溉设施", "quantity": 4, "unit_price": 500_000, "basis": "每套5000元" },
        ],
        "targets": [
            { "level1": "output", "level2": "数量指标", "level3": "平整土地面积", "target_value": "≥100", "unit": "亩" },
            { "level1": "effect", "level2": "经济效益指标", "level3": "亩均增产", "target_value": "≥10%", "unit": "" },
        ],
        "declare": declare,
    })
}

async fn project_is_declared(test_db: TestDb) {
    let t = spawn(test_db, true).await;
    let clerk = t.demo_login(CLERK).await;

    let created = clerk.post("/api/v1/projects", &body(false)).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let project = created.json();
    assert_eq!(project["status"], "draft");
    assert_eq!(project["pro_total_amt"], 10_000_000);
    assert_eq!(project["pro_code"].as_str().map(str::len), Some(21));
    assert_eq!(project["estimation"][1]["amount"], 2_000_000);
    let pro_id = project["pro_id"].as_str().expect("id").to_owned();

    // Corrected by PUT, then declared.
    let mut corrected = body(false);
    corrected["targets"][0]["target_value"] = json!("≥120");
    corrected["pro_name"] = json!("高标准农田建设项目（二期）");
    let put = clerk
        .send(
            Method::PUT,
            &format!("/api/v1/projects/{pro_id}"),
            Body::Json(&corrected),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text());
    assert_eq!(put.json()["targets"][0]["target_value"], "≥120");
    assert_eq!(put.json()["pro_name"], "高标准农田建设项目（二期）");
    let declared = clerk
        .post(&format!("/api/v1/projects/{pro_id}/declare"), &json!({}))
        .await;
    assert_eq!(declared.status, 200, "{}", declared.text());
    assert_eq!(declared.json()["status"], "declared");
    assert_eq!(declared.json()["status_label"], "申报中");
    // 申报中: no more changes, no second declaration.
    let again = clerk
        .send(
            Method::PUT,
            &format!("/api/v1/projects/{pro_id}"),
            Body::Json(&corrected),
        )
        .await;
    assert_rejected(
        &again,
        422,
        "project_state_forbids",
        "declared project changed",
    );

    // Declared in one request.
    let second = clerk.post("/api/v1/projects", &body(true)).await;
    assert_eq!(second.status, 201, "{}", second.text());
    assert_eq!(second.json()["status"], "declared");

    let list = clerk.get("/api/v1/projects?status=declared").await;
    assert_eq!(list.status, 200, "{}", list.text());
    assert_eq!(list.items().len(), 2);
    assert!(list.items().iter().all(|p| p["status_label"] == "申报中"));
    let paged = clerk.get("/api/v1/projects?page_size=1").await;
    assert_eq!(paged.items().len(), 1);
    assert_eq!(paged.json()["has_more"], true);
    assert!(
        clerk
            .get("/api/v1/projects?status=draft")
            .await
            .items()
            .is_empty()
    );

    for (path, expected) in [
        ("/projects".to_owned(), "申报中"),
        ("/projects?status=declared".to_owned(), "高标准农田建设项目"),
        ("/projects/new".to_owned(), "绩效目标"),
        (format!("/projects/{pro_id}"), "平整土地面积"),
        (format!("/flow/documents/{pro_id}"), "项目申报内容"),
    ] {
        let page = clerk.get(&path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.text());
        assert!(page.text().contains(expected), "{path} shows {expected}");
    }
    let openapi = clerk.get("/api/openapi.json").await;
    assert!(openapi.text().contains("/api/v1/projects/{pro_id}/declare"));

    // The form: a draft saved through the page shows on its detail page.
    let form = clerk
        .send(
            Method::POST,
            "/projects/new",
            Body::Bytes(
                format!(
                    "_csrf={}&pro_name=%E5%9F%B9%E8%AE%AD&pro_cat_code=2&start_year=2026&end_year=2026&plan_year_0=2026&plan_amt_0=100&est_item_0=%E5%9F%B9%E8%AE%AD%E8%B4%B9&est_qty_0=2&est_price_0=50&est_basis_0=%E6%A0%87%E5%87%86&tgt_l1_0=satisfaction&tgt_l2_0=%E6%BB%A1%E6%84%8F%E5%BA%A6&tgt_l3_0=%E5%AD%A6%E5%91%98&tgt_val_0=90%25&action=draft",
                    clerk.csrf.clone().unwrap_or_default()
                )
                .as_bytes(),
                "application/x-www-form-urlencoded",
            ),
        )
        .await;
    assert_eq!(form.status, 200, "{}", form.text());
    assert!(form.text().contains("项目已保存为草稿"), "{}", form.text());
}

async fn project_bad_input_and_scope(test_db: TestDb) {
    let t = spawn(test_db, true).await;
    let clerk = t.demo_login(CLERK).await;
    let created = clerk.post("/api/v1/projects", &body(false)).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let pro_id = created.json()["pro_id"].as_str().expect("id").to_owned();
    let before = t.count("project").await;

    let with = |pointer: &str, value: Value| {
        let mut b = body(true);
        *b.pointer_mut(pointer).expect("a field") = value;
        b
    };
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (
            "unknown field",
            {
                let mut b = body(true);
                b["surprise"] = json!(1);
                b
            },
            400,
            "field_invalid",
        ),
        (
            "plan float",
            with("/plan/0/amount", json!(1.5)),
            400,
            "amount_invalid",
        ),
        (
            "plan text",
            with("/plan/0/amount", json!("12.345")),
            400,
            "amount_invalid",
        ),
        (
            "plan bool",
            with("/plan/0/amount", json!(true)),
            400,
            "amount_invalid",
        ),
        (
            "year text",
            with("/start_year", json!("明年")),
            400,
            "field_invalid",
        ),
        (
            "year float",
            with("/end_year", json!(2027.5)),
            400,
            "field_invalid",
        ),
        (
            "category",
            with("/pro_cat_code", json!("9")),
            400,
            "field_invalid",
        ),
        (
            "level1",
            with("/targets/0/level1", json!("bogus")),
            400,
            "field_invalid",
        ),
        (
            "name number",
            with("/pro_name", json!(5)),
            400,
            "field_invalid",
        ),
        (
            "totals differ",
            with("/plan/1/amount", json!(1)),
            400,
            "field_invalid",
        ),
        ("no plan", with("/plan", json!([])), 400, "field_required"),
        (
            "quantity text",
            with("/estimation/0/quantity", json!("很多")),
            400,
            "field_invalid",
        ),
    ];
    for (name, bad, status, code) in cases {
        let reply = clerk.post("/api/v1/projects", &bad).await;
        assert_rejected(&reply, status, code, name);
    }
    for (name, raw) in [("malformed", "{\"pro_name\": "), ("array", "[1,2]")] {
        let reply = clerk
            .send(Method::POST, "/api/v1/projects", Body::Raw(raw))
            .await;
        assert_rejected(&reply, 400, "field_invalid", name);
    }
    for path in [
        "/api/v1/projects?status=bogus",
        "/api/v1/projects?page_size=100000",
    ] {
        let reply = clerk.get(path).await;
        assert_eq!(reply.status, 400, "{path}: {}", reply.text());
        assert!(
            has_chinese(&reply.json()["error"]["message"].to_string()),
            "{path}"
        );
    }
    // The budget division may terminate; a clerk may not, and a reason is required.
    assert_rejected(
        &clerk
            .post(
                &format!("/api/v1/projects/{pro_id}/terminate"),
                &json!({ "reason": "不再需要" }),
            )
            .await,
        403,
        "forbidden",
        "clerk terminates",
    );

    // The form: a refusal comes back beside the form, nothing written.
    let form = clerk
        .send(
            Method::POST,
            "/projects/new",
            Body::Bytes(
                format!(
                    "_csrf={}&pro_name=x&pro_cat_code=3&start_year=2026&end_year=2026&plan_year_0=2026&plan_amt_0=abc&action=declare",
                    clerk.csrf.clone().unwrap_or_default()
                )
                .as_bytes(),
                "application/x-www-form-urlencoded",
            ),
        )
        .await;
    assert_eq!(form.status, 400, "{}", form.text());
    assert!(form.text().contains("项目未保存"), "{}", form.text());
    assert_eq!(t.count("project").await, before, "nothing written");

    // Scope: another unit's clerk sees nothing of ours.
    let other = t.as_user(OTHER_CLERK).await;
    assert_rejected(
        &other.get(&format!("/api/v1/projects/{pro_id}")).await,
        404,
        "not_found",
        "other unit's project",
    );
    assert!(other.get("/api/v1/projects").await.items().is_empty());
    assert_rejected(
        &other
            .send(
                Method::PUT,
                &format!("/api/v1/projects/{pro_id}"),
                Body::Json(&body(false)),
            )
            .await,
        404,
        "not_found",
        "other unit's project changed",
    );
    assert_rejected(
        &other
            .post(&format!("/api/v1/projects/{pro_id}/declare"), &json!({}))
            .await,
        404,
        "not_found",
        "other unit's project declared",
    );
    assert_eq!(other.get(&format!("/projects/{pro_id}")).await.status, 404);
    assert_eq!(t.count("project").await, before, "nothing written");
}

async fn project_attachments_over_http(test_db: TestDb) {
    let t = spawn(test_db, true).await;
    let clerk = t.demo_login(CLERK).await;
    let created = clerk.post("/api/v1/projects", &body(false)).await;
    let pro_id = created.json()["pro_id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/projects/{pro_id}/attachments");

    let (content_type, upload) = multipart(None, "可行性研究报告.pdf", PDF);
    let reply = clerk
        .send(Method::POST, &path, Body::Bytes(&upload, &content_type))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let att = reply.json();
    assert_eq!(att["file_name"], "可行性研究报告.pdf");
    let href = att["href"].as_str().expect("href").to_owned();
    let listed = clerk.get(&path).await;
    assert_eq!(listed.items().len(), 1);
    let download = clerk.get(&href).await;
    assert_eq!(download.status, 200);
    assert_eq!(download.bytes, PDF);
    assert_eq!(download.header("content-type"), "application/pdf");
    assert!(
        download
            .header("content-disposition")
            .contains("filename*=UTF-8''%E5%8F%AF"),
        "{}",
        download.header("content-disposition")
    );
    assert_eq!(download.header("x-content-type-options"), "nosniff");

    // Refusals: a clean 4xx with a Chinese message, nothing stored.
    let before = t.count("project_attachment").await;
    let too_large = {
        let mut bytes = PDF.to_vec();
        bytes.resize(5 * 1024 * 1024 + 1, b' ');
        bytes
    };
    for (name, file_name, bytes, status, code) in [
        (
            "program",
            "setup.exe",
            &b"MZ\x90\0"[..],
            422,
            "attachment_type_not_allowed",
        ),
        (
            "renamed",
            "报告.pdf",
            &b"MZ\x90\0"[..],
            422,
            "attachment_type_not_allowed",
        ),
        (
            "too large",
            "大.pdf",
            &too_large[..],
            413,
            "attachment_too_large",
        ),
    ] {
        let (content_type, upload) = multipart(None, file_name, bytes);
        let reply = clerk
            .send(Method::POST, &path, Body::Bytes(&upload, &content_type))
            .await;
        assert_rejected(&reply, status, code, name);
    }
    let no_file = clerk
        .send(Method::POST, &path, Body::Bytes(b"{}", "application/json"))
        .await;
    assert_rejected(&no_file, 400, "field_required", "no file");
    let other = t.as_user(OTHER_CLERK).await;
    assert_rejected(&other.get(&path).await, 404, "not_found", "other lists");
    assert_rejected(&other.get(&href).await, 404, "not_found", "other downloads");
    assert_rejected(
        &other.send(Method::DELETE, &href, Body::None).await,
        404,
        "not_found",
        "other deletes",
    );
    assert_eq!(
        t.count("project_attachment").await,
        before,
        "nothing written"
    );

    // The page: the section lists the file; the form uploads with its CSRF part first.
    let page = clerk.get(&format!("/projects/{pro_id}")).await.text();
    assert!(
        page.contains("可行性研究报告.pdf") && page.contains("上传附件"),
        "{page}"
    );
    let form_at = page
        .find("enctype=\"multipart/form-data\"")
        .expect("upload form");
    let form = &page[form_at..];
    assert!(form.find("name=\"_csrf\"") < form.find("type=\"file\""));
    let (content_type, upload) = multipart(
        clerk.csrf.as_deref(),
        "现场照片.png",
        b"\x89PNG\r\n\x1a\n\0\0",
    );
    let response = clerk
        .http
        .post(format!("{}/projects/{pro_id}/attachments", t.base))
        .header("content-type", content_type)
        .body(upload)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status().as_u16(), 200);
    let html = response.text().await.unwrap_or_default();
    assert!(
        html.contains("附件已上传") && html.contains("现场照片.png"),
        "{html}"
    );
    let (content_type, upload) = multipart(clerk.csrf.as_deref(), "病毒.exe", b"MZ");
    let response = clerk
        .http
        .post(format!("{}/projects/{pro_id}/attachments", t.base))
        .header("content-type", content_type)
        .body(upload)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap_or_default();
    assert!(html.contains("附件未上传"), "{html}");
    assert_eq!(t.count("project_attachment").await, before + 1);

    let deleted = clerk.send(Method::DELETE, &href, Body::None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert_eq!(clerk.get(&path).await.items().len(), 1);
    // Declared: no more changes to the files.
    clerk
        .post(&format!("/api/v1/projects/{pro_id}/declare"), &json!({}))
        .await;
    let (content_type, upload) = multipart(None, "补充.pdf", PDF);
    assert_rejected(
        &clerk
            .send(Method::POST, &path, Body::Bytes(&upload, &content_type))
            .await,
        422,
        "project_state_forbids",
        "declared upload",
    );
    let openapi = clerk.get("/api/openapi.json").await.json();
    assert!(openapi["paths"]["/api/v1/projects/{pro_id}/attachments"]["post"].is_object());
    assert!(
        openapi["paths"]["/api/v1/projects/{pro_id}/attachments/{att_id}"]["delete"].is_object()
    );
}

async fn project_basic_calculation_and_pool_over_http(test_db: TestDb) {
    let t = spawn(test_db, true).await;
    let clerk = t.demo_login(CLERK).await;
    let path = "/api/v1/projects/basic-calculation";
    let before = t.count("project").await;
    for (name, value, status, code) in [
        ("no year", json!({}), 400, "field_required"),
        (
            "bad year",
            json!({ "fiscal_year": "明年" }),
            400,
            "field_invalid",
        ),
        (
            "unknown field",
            json!({ "fiscal_year": 2026, "x": 1 }),
            400,
            "field_invalid",
        ),
        (
            "no standards",
            json!({ "fiscal_year": 2031 }),
            422,
            "basic_calculation_empty",
        ),
        (
            "other unit",
            json!({ "fiscal_year": 2026, "agency_code": "660800101001" }),
            403,
            "forbidden",
        ),
    ] {
        assert_rejected(&clerk.post(path, &value).await, status, code, name);
    }
    let admin = t.as_user("admin").await;
    assert_rejected(
        &admin.post(path, &json!({ "fiscal_year": 2026 })).await,
        403,
        "forbidden",
        "administrator",
    );
    assert_eq!(t.count("project").await, before, "nothing written");

    let reply = clerk.post(path, &json!({ "fiscal_year": 2026 })).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let outcome = reply.json();
    assert_eq!(outcome["results"][0]["pro_cat_code"], "1");
    assert_eq!(outcome["results"][0]["change"], "created");
    assert_eq!(outcome["results"][1]["change"], "created");
    let personnel = outcome["results"][0]["pro_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let again = clerk
        .post(path, &json!({ "fiscal_year": "2026" }))
        .await
        .json();
    assert_eq!(again["results"][0]["change"], "unchanged");
    assert_eq!(t.count("project").await, before + 2);
    let project = clerk
        .get(&format!("/api/v1/projects/{personnel}"))
        .await
        .json();
    assert_eq!(project["pro_source"], "basic_calc");
    assert_rejected(
        &clerk
            .send(
                Method::PUT,
                &format!("/api/v1/projects/{personnel}"),
                Body::Json(&body(false)),
            )
            .await,
        422,
        "project_calculated_not_editable",
        "calculated edited",
    );
    // The page: the button, the results, the confirmation on the detail page.
    let form = clerk.get("/projects/basic").await;
    assert!(form.text().contains("一键测算"), "{}", form.text());
    let page = clerk
        .send(
            Method::POST,
            "/projects/basic",
            Body::Bytes(
                format!(
                    "_csrf={}&fiscal_year=2026",
                    clerk.csrf.clone().unwrap_or_default()
                )
                .as_bytes(),
                "application/x-www-form-urlencoded",
            ),
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(
        page.text().contains("测算完成") && page.text().contains("数据无变化"),
        "{}",
        page.text()
    );
    let detail = clerk.get(&format!("/projects/{personnel}")).await.text();
    assert!(
        detail.contains("确认并申报") && !detail.contains("/edit\""),
        "{detail}"
    );
    let confirmed = clerk
        .post(&format!("/api/v1/projects/{personnel}/declare"), &json!({}))
        .await;
    assert_eq!(
        confirmed.json()["status"],
        "declared",
        "{}",
        confirmed.text()
    );

    // The list's filters and its export.
    let listed = clerk.get("/api/v1/projects?pro_cat_code=1&year=2026").await;
    assert_eq!(listed.json()["total"], 1, "{}", listed.text());
    assert_eq!(listed.items()[0]["pro_id"], personnel.as_str());
    assert_eq!(
        clerk.get("/api/v1/projects?year=2030").await.json()["total"],
        0
    );
    assert_eq!(
        clerk
            .get("/api/v1/projects?status=draft&pro_cat_code=2")
            .await
            .json()["total"],
        1
    );
    for bad in [
        "/api/v1/projects?year=abc",
        "/api/v1/projects?pro_cat_code=9",
        "/api/v1/projects?agency_code=x",
    ] {
        let reply = clerk.get(bad).await;
        assert_eq!(reply.status, 400, "{bad}: {}", reply.text());
    }
    let export = clerk.get("/api/v1/projects/export.xlsx?year=2026").await;
    assert_eq!(export.status, 200, "{}", export.text());
    assert!(export.bytes.starts_with(b"PK"), "an .xlsx");
    assert!(export.header("content-disposition").contains(".xlsx"));
    for (path, expected) in [
        ("/projects?status=reserved", "储备库"),
        ("/projects?status=declared&year=2026", "人员经费"),
        ("/projects", "导出 Excel"),
    ] {
        let page = clerk.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(page.text().contains(expected), "{path} shows {expected}");
    }
    let openapi = clerk.get("/api/openapi.json").await.json();
    assert!(openapi["paths"]["/api/v1/projects/basic-calculation"]["post"].is_object());
    assert!(openapi["paths"]["/api/v1/projects/export.xlsx"]["get"].is_object());
}
