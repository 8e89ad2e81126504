//! Bad input on every create and edit endpoint, table-driven: the generic cases come from
//! `schema::ALL` (each required field missing, each field one character too long), the
//! format and business rules from a table per kind. Every rejection has its status, code, a
//! Chinese message and the request id, is never a 500, and writes nothing — neither the
//! table nor the audit log changes.

use fiscus_core::schema::{ALL, Edit, EntitySpec, FieldKind};
use fiscus_store::testing::TestDb;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    Api, Body, TestApp, assert_rejected, key_of, samples, segment, spawn, valid_uscc,
};

fiscus_store::on_both_backends!(
    every_write_rejects_bad_input,
    malformed_requests_are_rejected
);

enum Payload {
    Json(Value),
    Raw(&'static str),
    Nothing,
}

struct Case {
    name: String,
    method: Method,
    path: String,
    payload: Payload,
    status: u16,
    code: &'static str,
    /// What the message must name: the field's label, or the duplicated value.
    names: Option<String>,
    /// The table that must not change.
    table: &'static str,
}

fn spec(entity: &str) -> &'static EntitySpec {
    EntitySpec::by_name(entity).expect("known entity")
}

fn with(base: &Value, changes: &[(&str, Value)]) -> Value {
    let mut body = base.clone();
    for (name, value) in changes {
        body[*name] = value.clone();
    }
    body
}

fn without(base: &Value, name: &str) -> Value {
    let mut body = base.clone();
    if let Some(object) = body.as_object_mut() {
        object.remove(name);
    }
    body
}

fn sample_body(entity: &str) -> Value {
    samples()
        .into_iter()
        .find(|sample| sample.entity == entity)
        .map(|sample| sample.create)
        .expect("sample")
}

/// Each required field missing and each field too long, on create.
fn generic_create_cases(spec: &'static EntitySpec) -> Vec<Case> {
    let base = sample_body(spec.name);
    let mut cases = Vec::new();
    for field in spec.fields.iter().filter(|field| field.edit != Edit::Never) {
        let case = |what: &str, body: Value, code| Case {
            name: format!("create {} {what} {}", spec.name, field.name),
            method: Method::POST,
            path: format!("/api/v1/{}", spec.name),
            payload: Payload::Json(body),
            status: 400,
            code,
            names: Some(field.label.to_owned()),
            table: spec.table,
        };
        if field.required {
            cases.push(case(
                "without",
                without(&base, field.name),
                "field_required",
            ));
        }
        cases.push(case(
            "too long",
            with(
                &base,
                &[(field.name, json!("1".repeat(field.length_max + 1)))],
            ),
            "field_too_long",
        ));
    }
    cases
}

/// Each editable required field emptied and each editable field too long, on edit.
fn generic_edit_cases(spec: &'static EntitySpec, key: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    for field in spec
        .fields
        .iter()
        .filter(|field| field.edit == Edit::Always && field.kind != FieldKind::Secret)
    {
        let case = |what: &str, value: Value, code| Case {
            name: format!("edit {} {what} {}", spec.name, field.name),
            method: Method::PATCH,
            path: format!("/api/v1/{}/{}", spec.name, segment(key)),
            payload: Payload::Json(json!({ field.name: value })),
            status: 400,
            code,
            names: Some(field.label.to_owned()),
            table: spec.table,
        };
        if field.required {
            cases.push(case("emptied", json!(""), "field_required"));
        }
        cases.push(case(
            "too long",
            json!("字".repeat(field.length_max + 1)),
            "field_too_long",
        ));
    }
    cases
}

fn flipped_check_char(code: &str) -> String {
    let mut wrong = code.to_owned();
    let last = wrong.pop().unwrap_or('0');
    wrong.push(if last == '0' { '1' } else { '0' });
    wrong
}

/// (entity, changes to the sample, status, code): format, existence, rules, conflicts.
fn create_rules(
    existing_account_no: &str,
) -> Vec<(&'static str, Vec<(&'static str, Value)>, u16, &'static str)> {
    let wrong_uscc = flipped_check_char(&valid_uscc());
    vec![
        (
            "regions",
            vec![("mof_div_code", json!("66011700"))],
            400,
            "mof_div_code_invalid",
        ),
        (
            "regions",
            vec![("mof_div_name", json!("第一师\u{7}十七团"))],
            400,
            "text_has_special_chars",
        ),
        (
            "regions",
            vec![("parent_mof_div_code", json!("669900000"))],
            422,
            "parent_unknown",
        ),
        (
            "regions",
            vec![
                ("mof_div_code", json!("660101100")),
                ("parent_mof_div_code", json!("660101000")),
            ],
            422,
            "region_level_invalid",
        ),
        (
            "regions",
            vec![("mof_div_code", json!("660101000"))],
            409,
            "duplicate_code",
        ),
        (
            "agencies",
            vec![("agency_code", json!("6601-0990"))],
            400,
            "agency_code_invalid",
        ),
        (
            "agencies",
            vec![("unifsoc_cred_code", json!(wrong_uscc))],
            400,
            "uscc_check_char_wrong",
        ),
        (
            "agencies",
            vec![("unifsoc_cred_code", json!("ABC"))],
            400,
            "uscc_format_invalid",
        ),
        (
            "agencies",
            vec![("zip", json!("83000"))],
            400,
            "field_invalid",
        ),
        (
            "agencies",
            vec![("admin_staf_num", json!(-1))],
            400,
            "number_out_of_range",
        ),
        (
            "agencies",
            vec![("admin_staf_num", json!(1.5))],
            400,
            "field_invalid",
        ),
        (
            "agencies",
            vec![("fund_guar", json!("1;drop"))],
            400,
            "field_invalid",
        ),
        (
            "agencies",
            vec![("mof_div_code", json!("669900000"))],
            422,
            "parent_unknown",
        ),
        (
            "agencies",
            vec![("parent_agency_code", json!("669900101"))],
            422,
            "parent_unknown",
        ),
        (
            "agencies",
            vec![("parent_agency_code", json!("660800101"))],
            422,
            "agency_parent_other_region",
        ),
        (
            "agencies",
            vec![("parent_agency_code", json!("660100990"))],
            422,
            "agency_parent_cycle",
        ),
        (
            "agencies",
            vec![("agency_type", json!("8"))],
            422,
            "code_not_in_year_table",
        ),
        (
            "agencies",
            vec![
                ("agency_code", json!("660100101")),
                ("parent_agency_code", Value::Null),
            ],
            409,
            "duplicate_code",
        ),
        (
            "accounts",
            vec![("account_no", json!("12AB"))],
            400,
            "account_no_invalid",
        ),
        (
            "accounts",
            vec![("bank_code", json!("123"))],
            400,
            "bank_code_invalid",
        ),
        (
            "accounts",
            vec![("agency_code", json!("669900101"))],
            422,
            "parent_unknown",
        ),
        (
            "accounts",
            vec![("acc_type_code", json!("77"))],
            422,
            "code_not_in_year_table",
        ),
        (
            "accounts",
            vec![("acc_type_code", json!("21"))],
            422,
            "zero_balance_account_exists",
        ),
        (
            "accounts",
            vec![("account_no", json!(existing_account_no))],
            409,
            "duplicate_code",
        ),
        (
            "persons",
            vec![("iden_no", json!("110105194912310021"))],
            400,
            "identity_check_char_wrong",
        ),
        (
            "persons",
            vec![("iden_no", json!("123"))],
            400,
            "identity_number_invalid",
        ),
        (
            "persons",
            vec![("pos_sala", json!("-1"))],
            400,
            "amount_negative",
        ),
        (
            "persons",
            vec![("pos_sala", json!(-100))],
            400,
            "amount_negative",
        ),
        (
            "persons",
            vec![("pos_sala", json!("1.234"))],
            400,
            "amount_invalid",
        ),
        (
            "persons",
            vec![("pos_sala", json!(1.5))],
            400,
            "amount_invalid",
        ),
        (
            "persons",
            vec![("sala_card_no", json!("abc"))],
            400,
            "account_no_invalid",
        ),
        (
            "persons",
            vec![("is_auth", json!("maybe"))],
            400,
            "field_invalid",
        ),
        (
            "persons",
            vec![("per_name", json!({ "nested": 1 }))],
            400,
            "field_invalid",
        ),
        (
            "persons",
            vec![("agency_code", json!("669900101"))],
            422,
            "parent_unknown",
        ),
        (
            "persons",
            vec![("sex_code", json!("7"))],
            422,
            "code_not_in_year_table",
        ),
        (
            "codes",
            vec![("fiscal_year", json!("1999"))],
            400,
            "fiscal_year_invalid",
        ),
        (
            "codes",
            vec![
                ("parent_code", json!("2018888")),
                ("code", json!("201888801")),
            ],
            422,
            "code_not_in_year_table",
        ),
        (
            "codes",
            vec![("fiscal_year", json!(2030))],
            422,
            "code_not_in_year_table",
        ),
        (
            "codes",
            vec![("element_code", json!("no_such_element"))],
            422,
            "element_unknown",
        ),
        (
            "codes",
            vec![("parent_code", Value::Null)],
            422,
            "local_code_needs_national_parent",
        ),
        (
            "codes",
            vec![("code", json!("201020101"))],
            422,
            "code_not_under_parent",
        ),
        (
            "codes",
            vec![("code", json!("20101011234567"))],
            422,
            "code_segment_invalid",
        ),
        (
            "codes",
            vec![("code", json!("2010101")), ("parent_code", json!("20101"))],
            409,
            "duplicate_code",
        ),
        (
            "code-mappings",
            vec![("from_code", json!("2018888"))],
            422,
            "code_not_in_year_table",
        ),
        (
            "code-mappings",
            vec![("to_year", json!(2030))],
            422,
            "code_not_in_year_table",
        ),
        (
            "code-mappings",
            vec![("element_code", json!("no_such_element"))],
            422,
            "element_unknown",
        ),
        (
            "code-mappings",
            vec![("to_code", json!("2010101"))],
            409,
            "duplicate_code",
        ),
        (
            "standards",
            vec![("amount_fen", json!("-1"))],
            400,
            "amount_negative",
        ),
        (
            "standards",
            vec![("amount_fen", json!("1.234"))],
            400,
            "amount_invalid",
        ),
        (
            "standards",
            vec![("fiscal_year", json!(1999))],
            400,
            "fiscal_year_invalid",
        ),
        (
            "standards",
            vec![("mof_div_code", json!("669900000"))],
            422,
            "parent_unknown",
        ),
        (
            "standards",
            vec![("dep_bgt_eco_code", json!("39999999"))],
            422,
            "code_not_in_year_table",
        ),
        (
            "standards",
            vec![("fiscal_year", json!(2030))],
            422,
            "code_not_in_year_table",
        ),
        (
            "standards",
            vec![
                ("std_code", json!("RY001")),
                ("mof_div_code", json!("660000000")),
            ],
            409,
            "duplicate_code",
        ),
        (
            "users",
            vec![("user_name", json!("Bad Name"))],
            400,
            "user_name_invalid",
        ),
        (
            "users",
            vec![("password", json!("short1"))],
            400,
            "password_too_weak",
        ),
        (
            "users",
            vec![("password", json!("abcdefghijkl"))],
            400,
            "password_too_weak",
        ),
        ("users", vec![("roles", json!("boss"))], 400, "role_unknown"),
        (
            "users",
            vec![("roles", json!("unit_clerk"))],
            422,
            "role_org_mismatch",
        ),
        (
            "users",
            vec![("agency_code", json!("660100101"))],
            422,
            "role_org_mismatch",
        ),
        (
            "users",
            vec![("mof_div_code", json!("669900000"))],
            422,
            "parent_unknown",
        ),
        (
            "users",
            vec![
                ("agency_code", json!("660800101")),
                ("roles", json!("unit_clerk")),
            ],
            422,
            "agency_parent_other_region",
        ),
        (
            "users",
            vec![("user_name", json!("admin"))],
            409,
            "duplicate_code",
        ),
    ]
}

/// (entity, key, body, status, code) on records that exist: the demo's and the samples'.
fn edit_rules(
    keys: &[(&'static str, String)],
) -> Vec<(&'static str, String, Value, u16, &'static str)> {
    let key = |entity: &str| {
        keys.iter()
            .find(|(name, _)| *name == entity)
            .map(|(_, key)| key.clone())
            .unwrap_or_default()
    };
    vec![
        (
            "agencies",
            "660100101".into(),
            json!({ "parent_agency_code": "660100101001" }),
            422,
            "agency_parent_cycle",
        ),
        (
            "agencies",
            "660100101".into(),
            json!({ "parent_agency_code": "660100101" }),
            422,
            "agency_parent_cycle",
        ),
        (
            "agencies",
            "660100101".into(),
            json!({ "agency_type": "8" }),
            422,
            "code_not_in_year_table",
        ),
        (
            "agencies",
            "660100101".into(),
            json!({ "unifsoc_cred_code": flipped_check_char(&valid_uscc()) }),
            400,
            "uscc_check_char_wrong",
        ),
        (
            "agencies",
            "660100101".into(),
            json!({ "agency_name": "新名称", "_version": "2000-01-01T00:00:00Z" }),
            409,
            "stale_version",
        ),
        (
            "accounts",
            key("accounts"),
            json!({ "acc_type_code": "21" }),
            422,
            "zero_balance_account_exists",
        ),
        (
            "accounts",
            key("accounts"),
            json!({ "account_no": "x" }),
            400,
            "account_no_invalid",
        ),
        (
            "persons",
            key("persons"),
            json!({ "pos_sala": "-5" }),
            400,
            "amount_negative",
        ),
        (
            "persons",
            key("persons"),
            json!({ "pos_sala": "5.555" }),
            400,
            "amount_invalid",
        ),
        (
            "persons",
            key("persons"),
            json!({ "iden_no": "110105194912310021" }),
            400,
            "identity_check_char_wrong",
        ),
        (
            "persons",
            key("persons"),
            json!({ "agency_code": "669900101" }),
            422,
            "parent_unknown",
        ),
        (
            "codes",
            "exp_func:2026:2010101".into(),
            json!({ "name": "改名" }),
            422,
            "national_code_read_only",
        ),
        (
            "code-mappings",
            key("code-mappings"),
            json!({ "to_code": "2018888" }),
            422,
            "code_not_in_year_table",
        ),
        (
            "standards",
            key("standards"),
            json!({ "dep_bgt_eco_code": "39999999" }),
            422,
            "code_not_in_year_table",
        ),
        (
            "standards",
            key("standards"),
            json!({ "amount_fen": "1.234" }),
            400,
            "amount_invalid",
        ),
        (
            "users",
            key("users"),
            json!({ "roles": "unit_clerk" }),
            422,
            "role_org_mismatch",
        ),
        (
            "users",
            key("users"),
            json!({ "roles": "boss" }),
            400,
            "role_unknown",
        ),
        (
            "regions",
            key("regions"),
            json!({ "mof_div_name": "a\u{1b}b" }),
            400,
            "text_has_special_chars",
        ),
    ]
}

/// Sends a case and checks the rejection and that nothing was written.
async fn run(server: &TestApp, admin: &Api, case: &Case) {
    let before = (
        server.count(case.table).await,
        server.count("audit_log").await,
    );
    let body = match &case.payload {
        Payload::Json(value) => Body::Json(value),
        Payload::Raw(text) => Body::Raw(text),
        Payload::Nothing => Body::None,
    };
    let reply = admin.send(case.method.clone(), &case.path, body).await;
    assert_rejected(&reply, case.status, case.code, &case.name);
    if let Some(names) = &case.names {
        let message = reply.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            message.contains(names.as_str()),
            "{}: {message:?} names {names}",
            case.name
        );
    }
    let after = (
        server.count(case.table).await,
        server.count("audit_log").await,
    );
    assert_eq!(after, before, "{}: nothing was written", case.name);
}

async fn every_write_rejects_bad_input(test_db: TestDb) {
    let server = spawn(test_db, true).await;
    let admin = server.as_user("admin").await;
    let existing_account_no = admin
        .get("/api/v1/accounts?agency_code=660100101&page_size=1")
        .await
        .items()[0]["account_no"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let mut cases: Vec<Case> = ALL
        .iter()
        .flat_map(|spec| generic_create_cases(spec))
        .collect();
    for (entity, changes, status, code) in create_rules(&existing_account_no) {
        // A duplicate is named by the value entered, not by a generated identifier.
        let names = (code == "duplicate_code")
            .then(|| changes[0].1.as_str().unwrap_or_default().to_owned());
        cases.push(Case {
            name: format!("create {entity} {changes:?}"),
            method: Method::POST,
            path: format!("/api/v1/{entity}"),
            payload: Payload::Json(with(&sample_body(entity), &changes)),
            status,
            code,
            names,
            table: spec(entity).table,
        });
    }
    for case in &cases {
        run(&server, &admin, case).await;
    }

    // The samples themselves are valid; they are the records the edits aim at.
    let mut keys = Vec::new();
    for sample in samples() {
        let created = admin
            .post(&format!("/api/v1/{}", sample.entity), &sample.create)
            .await;
        assert_eq!(created.status, 201, "{}: {}", sample.entity, created.text());
        keys.push((sample.entity, key_of(sample.entity, &created.json())));
    }
    let mut cases: Vec<Case> = keys
        .iter()
        .flat_map(|(entity, key)| generic_edit_cases(spec(entity), key))
        .collect();
    for (entity, key, body, status, code) in edit_rules(&keys) {
        cases.push(Case {
            name: format!("edit {entity} {key} {body}"),
            method: Method::PATCH,
            path: format!("/api/v1/{entity}/{}", segment(&key)),
            payload: Payload::Json(body),
            status,
            code,
            names: None,
            table: spec(entity).table,
        });
    }
    for case in &cases {
        run(&server, &admin, case).await;
    }
}

async fn malformed_requests_are_rejected(test_db: TestDb) {
    let server = spawn(test_db, true).await;
    let admin = server.as_user("admin").await;
    let mut cases = Vec::new();
    for spec in ALL {
        let name = spec.name;
        let first = admin
            .get(&format!("/api/v1/{name}?page_size=1"))
            .await
            .items();
        let key = segment(&key_of(name, &first[0]));
        let case = |what: &str,
                    method: Method,
                    path: String,
                    payload: Payload,
                    status: u16,
                    code: &'static str| Case {
            name: format!("{name}: {what}"),
            method,
            path,
            payload,
            status,
            code,
            names: None,
            table: spec.table,
        };
        let list = format!("/api/v1/{name}");
        let detail = format!("/api/v1/{name}/{key}");
        cases.extend([
            case(
                "broken JSON on create",
                Method::POST,
                list.clone(),
                Payload::Raw("{\"a\": "),
                400,
                "field_invalid",
            ),
            case(
                "broken JSON on edit",
                Method::PATCH,
                detail.clone(),
                Payload::Raw("{"),
                400,
                "field_invalid",
            ),
            case(
                "array body",
                Method::POST,
                list.clone(),
                Payload::Raw("[1, 2]"),
                400,
                "field_invalid",
            ),
            case(
                "text body",
                Method::PUT,
                detail.clone(),
                Payload::Raw("\"agency\""),
                400,
                "field_invalid",
            ),
            case(
                "no body",
                Method::POST,
                list.clone(),
                Payload::Nothing,
                400,
                "field_invalid",
            ),
            case(
                "unknown sort",
                Method::GET,
                format!("{list}?sort=no_such_field"),
                Payload::Nothing,
                400,
                "sort_field_unknown",
            ),
            case(
                "page size 1000",
                Method::GET,
                format!("{list}?page_size=1000"),
                Payload::Nothing,
                400,
                "page_size_exceeded",
            ),
            case(
                "export page size 1000",
                Method::GET,
                format!("{list}/export.xlsx?page_size=1000"),
                Payload::Nothing,
                400,
                "page_size_exceeded",
            ),
            case(
                "page 0",
                Method::GET,
                format!("{list}?page=0"),
                Payload::Nothing,
                400,
                "field_invalid",
            ),
            case(
                "search too long",
                Method::GET,
                format!("{list}?q={}", "9".repeat(61)),
                Payload::Nothing,
                400,
                "field_too_long",
            ),
            case(
                "missing record",
                Method::GET,
                format!("{list}/no-such-key"),
                Payload::Nothing,
                404,
                "not_found",
            ),
            case(
                "edit missing record",
                Method::PATCH,
                format!("{list}/no-such-key"),
                Payload::Json(json!({})),
                404,
                "not_found",
            ),
            case(
                "disable missing record",
                Method::POST,
                format!("{list}/no-such-key/disable"),
                Payload::Nothing,
                404,
                "not_found",
            ),
            case(
                "history of missing record",
                Method::GET,
                format!("{list}/no-such-key/history"),
                Payload::Nothing,
                404,
                "not_found",
            ),
        ]);
    }
    for (method, path) in [
        (Method::GET, "/api/v1/nothing"),
        (Method::POST, "/api/v1/nothing"),
        (Method::GET, "/api/v1/nothing/1"),
        (Method::GET, "/api/v1/nothing/export.xlsx"),
    ] {
        let payload = if method == Method::POST {
            Payload::Json(json!({}))
        } else {
            Payload::Nothing
        };
        cases.push(Case {
            name: format!("unknown kind {method} {path}"),
            method,
            path: path.into(),
            payload,
            status: 404,
            code: "not_found",
            names: None,
            table: "region",
        });
    }
    cases.push(Case {
        name: "filter on a flag with a non-flag".into(),
        method: Method::GET,
        path: "/api/v1/agencies?is_enabled=maybe".into(),
        payload: Payload::Nothing,
        status: 400,
        code: "field_invalid",
        names: None,
        table: "agency",
    });
    cases.push(Case {
        name: "login with a broken body".into(),
        method: Method::POST,
        path: "/api/v1/session".into(),
        payload: Payload::Raw("{\"user_name\": 1}"),
        status: 400,
        code: "field_invalid",
        names: None,
        table: "session",
    });
    for case in &cases {
        run(&server, &admin, case).await;
    }
}
