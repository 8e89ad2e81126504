//! Excel import over HTTP, on both backends: the template is downloaded, filled in by its
//! own header row and posted to the API as the corps administrator and as a unit clerk (who
//! may import persons of its own unit only); and the page's multipart form, which needs its
//! `_csrf` part like every other form.

use calamine::{Data, Reader, Xlsx};
use fiscus_store::testing::TestDb;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Api, Body, TestApp, assert_rejected, spawn};

fiscus_store::on_both_backends!(api_imports_template_files, page_upload_needs_its_csrf_part);

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// The clerk's own unit (first division) and a unit of another division.
const UNIT_A: &str = "660100101001";
const UNIT_B: &str = "660800101001";
const CLERK_A: &str = "u660100101001_clerk";

/// The header cells of the first sheet and the names of all sheets of an .xlsx file.
fn template_header(bytes: &[u8]) -> (Vec<String>, Vec<String>) {
    let mut workbook: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("an xlsx file");
    let sheets = workbook.sheet_names();
    let range = workbook
        .worksheet_range_at(0)
        .expect("a first sheet")
        .expect("readable");
    let header = range
        .rows()
        .next()
        .expect("a header row")
        .iter()
        .map(Data::to_string)
        .collect();
    (header, sheets)
}

/// A person's value for a template column, by the column's field name.
fn person_value(field: &str, unit: &str, name: &str, serial: u32) -> String {
    match field {
        "agency_code" => unit.to_owned(),
        "per_name" => name.to_owned(),
        "iden_type_code" => "01".to_owned(),
        "iden_no" => {
            fiscus_core::IdentityNumber::with_check_char(&format!("65010219850612{serial:03}"))
                .expect("17 digits")
                .into_string()
        }
        "sex_code" | "per_ide_code" | "per_sta_code" => "1".to_owned(),
        "is_auth" => "是".to_owned(),
        "pos_sala" => "3250.50".to_owned(),
        _ => String::new(),
    }
}

/// The template filled with one row per (unit, name): each column's value is looked up by
/// the field its header names, as a person filling the template would.
fn filled(template: &[u8], rows: &[(&str, &str)]) -> Vec<u8> {
    let (header, _) = template_header(template);
    let spec = &fiscus_core::schema::PERSON;
    let fields: Vec<&str> = header
        .iter()
        .map(|label| {
            let label = label.trim_end_matches('*');
            fiscus_app::import::import_fields(spec)
                .find(|field| field.label == label)
                .map_or("", |field| field.name)
        })
        .collect();
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (column, label) in header.iter().enumerate() {
        sheet.write_string(0, column as u16, label).expect("header");
    }
    for (index, (unit, name)) in rows.iter().enumerate() {
        let row = index as u32 + 1;
        for (column, field) in fields.iter().enumerate() {
            let value = person_value(field, unit, name, row);
            if !value.is_empty() {
                sheet
                    .write_string(row, column as u16, &value)
                    .expect("cell");
            }
        }
    }
    workbook.save_to_buffer().expect("xlsx")
}

async fn upload(api: &Api, entity: &str, bytes: &[u8], content_type: &str) -> (u16, Value) {
    let path = format!("/api/v1/{entity}/import");
    let reply = api
        .send(Method::POST, &path, Body::Bytes(bytes, content_type))
        .await;
    (reply.status, reply.json())
}

async fn api_imports_template_files(test_db: TestDb) {
    let server = spawn(test_db, true).await;
    let admin = server.as_user("admin").await;
    let clerk = server.as_user(CLERK_A).await;

    let template = admin.get("/api/v1/persons/import-template.xlsx").await;
    assert_eq!(template.status, 200, "{}", template.text());
    assert_eq!(template.header("content-type"), XLSX);
    assert!(
        template
            .header("content-disposition")
            .contains("persons-import-template.xlsx")
    );
    let (header, sheets) = template_header(&template.bytes);
    assert_eq!(sheets, vec!["人员".to_owned(), "说明".to_owned()]);
    assert!(header.contains(&"姓名*".to_owned()), "{header:?}");
    assert!(
        header.contains(&"证件号码*".to_owned()),
        "write-only fields are columns"
    );
    assert!(
        !header.iter().any(|label| label.starts_with("修改")),
        "{header:?}"
    );

    // The corps administrator imports persons of units in two divisions.
    let persons_before = server.count("person").await;
    let file = filled(&template.bytes, &[(UNIT_A, "模板甲"), (UNIT_B, "模板乙")]);
    let (status, body) = upload(&admin, "persons", &file, XLSX).await;
    assert_eq!(
        (status, &body),
        (200, &json!({ "n_imported": 2, "errors": [] }))
    );
    assert_eq!(server.count("person").await, persons_before + 2);

    // The unit clerk may import persons of its own unit only: the other unit does not exist
    // for it, and so nothing of the file is imported.
    let clerk_template = clerk.get("/api/v1/persons/import-template.xlsx").await;
    assert_eq!(clerk_template.status, 200);
    let file = filled(
        &clerk_template.bytes,
        &[(UNIT_A, "模板丙"), (UNIT_B, "模板丁")],
    );
    let audit_before = server.count("audit_log").await;
    let (status, body) = upload(&clerk, "persons", &file, "application/octet-stream").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["n_imported"], json!(0));
    let errors = body["errors"].as_array().cloned().unwrap_or_default();
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(
        (&errors[0]["row"], &errors[0]["field"], &errors[0]["code"]),
        (&json!(3), &json!("所在单位"), &json!("parent_unknown"))
    );
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains(UNIT_B)
    );
    assert_eq!(server.count("person").await, persons_before + 2);
    assert_eq!(server.count("audit_log").await, audit_before);
    let file = filled(&clerk_template.bytes, &[(UNIT_A, "模板丙")]);
    let (status, body) = upload(&clerk, "persons", &file, XLSX).await;
    assert_eq!((status, &body["n_imported"]), (200, &json!(1)), "{body}");

    // Whole-request refusals carry the usual error body.
    let reply = clerk.get("/api/v1/codes/import-template.xlsx").await;
    assert_rejected(&reply, 403, "forbidden", "a clerk's code-table template");
    let reply = clerk
        .send(
            Method::POST,
            "/api/v1/codes/import",
            Body::Bytes(&file, XLSX),
        )
        .await;
    assert_rejected(&reply, 403, "forbidden", "a clerk importing codes");
    let reply = admin
        .send(
            Method::POST,
            "/api/v1/persons/import",
            Body::Bytes(b"per_name\n", XLSX),
        )
        .await;
    assert_rejected(&reply, 400, "field_invalid", "not an xlsx file");
    let reply = admin
        .send(
            Method::POST,
            "/api/v1/persons/import",
            Body::Bytes(&file, "application/json"),
        )
        .await;
    assert_rejected(&reply, 400, "field_invalid", "a JSON content type");
    let agencies = admin.get("/api/v1/agencies/import-template.xlsx").await;
    let reply = admin
        .send(
            Method::POST,
            "/api/v1/persons/import",
            Body::Bytes(&filled(&agencies.bytes, &[(UNIT_A, "x")]), XLSX),
        )
        .await;
    assert_rejected(
        &reply,
        400,
        "import_header_unknown",
        "a units file as persons",
    );

    let openapi = admin.get("/api/openapi.json").await.json();
    for path in [
        "/api/v1/persons/import",
        "/api/v1/persons/import-template.xlsx",
    ] {
        assert!(openapi["paths"][path].is_object(), "{path} documented");
    }
}

/// A multipart body of text fields and one file, in the given order.
fn multipart(csrf: Option<&str>, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----fiscusTestBoundary7MA4YWxk";
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
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"人员.xlsx\"\r\nContent-Type: {XLSX}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Posts the page's upload form with the session's cookie but no CSRF header.
async fn post_form(
    server: &TestApp,
    session: &Api,
    csrf: Option<&str>,
    file: &[u8],
) -> (u16, String) {
    let (content_type, body) = multipart(csrf, file);
    let response = session
        .http
        .post(format!("{}/persons/import", server.base))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

async fn page_upload_needs_its_csrf_part(test_db: TestDb) {
    let server = spawn(test_db, true).await;
    let session = server.demo_login("admin").await;
    let token = session.csrf.clone().expect("a session token");

    let list = session.get("/persons").await.text();
    assert!(list.contains("导入 Excel") && list.contains("href=\"/persons/import\""));
    let page = session.get("/persons/import").await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("enctype=\"multipart/form-data\""));
    assert!(html.contains("/api/v1/persons/import-template.xlsx"));
    let form = &html[html
        .find("enctype=\"multipart/form-data\"")
        .unwrap_or_default()..];
    let csrf_at = form.find("name=\"_csrf\"").expect("a CSRF field");
    let file_at = form.find("type=\"file\"").expect("a file input");
    assert!(csrf_at < file_at, "the CSRF field comes first");

    let template = session.get("/api/v1/persons/import-template.xlsx").await;
    let good = filled(&template.bytes, &[(UNIT_A, "页面甲")]);
    let persons_before = server.count("person").await;
    let (status, html) = post_form(&server, &session, None, &good).await;
    assert_eq!(status, 403, "{html}");
    assert!(html.contains("csrf_token_invalid"), "{html}");
    let (status, html) = post_form(&server, &session, Some(&"0".repeat(32)), &good).await;
    assert_eq!(status, 403, "a wrong token: {html}");
    assert_eq!(server.count("person").await, persons_before);

    let (status, html) = post_form(&server, &session, Some(&token), &good).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("成功导入 1 条人员"), "{html}");
    assert_eq!(server.count("person").await, persons_before + 1);

    let bad = filled(
        &template.bytes,
        &[(UNIT_A, "页面乙"), ("669999999", "页面丙")],
    );
    let (status, html) = post_form(&server, &session, Some(&token), &bad).await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("文件中有 1 行错误，全部未导入，请修改后重新上传。"),
        "{html}"
    );
    assert!(
        html.contains("行号") && html.contains("669999999"),
        "{html}"
    );
    assert_eq!(server.count("person").await, persons_before + 1);

    let (status, html) = post_form(&server, &session, Some(&token), b"").await;
    assert_eq!(status, 400, "no file chosen: {html}");
    assert!(html.contains("请选择要上传的 Excel 文件"), "{html}");
}
