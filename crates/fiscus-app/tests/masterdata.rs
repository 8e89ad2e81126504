//! Master-data rules at the application level, without HTTP, on both backends: region levels,
//! moving a unit re-roots its subtree, local extensions of national codes, national codes
//! read-only, code-year roll-over refused twice, disabling and enabling along the trees,
//! identity numbers encrypted at rest, and optimistic versions.

// Tests fail loudly: `expect` is the assertion here. Table rows are plain tuples on purpose.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::type_complexity)]

use std::collections::BTreeMap;

use fiscus_app::demo::{self, Scale};
use fiscus_app::settings::Secret;
use fiscus_app::{App, AppError, RequestCtx, Settings};
use fiscus_core::masterdata::{Input, Value};
use fiscus_core::schema::{self, EntitySpec};
use fiscus_core::{FiscalYear, Principal};
use fiscus_store::audit::AuditQuery;
use fiscus_store::testing::TestDb;

fiscus_store::on_both_backends!(
    region_level_rules,
    agency_move_reroots_subtree,
    code_item_rules,
    disable_and_enable_follow_the_trees,
    identity_numbers_are_encrypted,
    stale_version_is_refused,
);

async fn demo_app(test_db: &TestDb) -> App {
    let settings = Settings {
        secret_key: Secret::new("ab".repeat(32)),
        demo_mode: true,
        ..Default::default()
    };
    let app = App::new(test_db.db.clone(), settings).expect("app");
    demo::run(&app, Scale::Small).await.expect("demo loads");
    app
}

async fn principal(app: &App, user_name: &str) -> Principal {
    let user = fiscus_store::auth::user_by_name(&app.db, user_name)
        .await
        .expect("read")
        .expect("demo user exists");
    fiscus_app::auth::principal_of(&user).expect("principal")
}

fn input(pairs: &[(&str, &str)]) -> Input {
    Input(
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect::<BTreeMap<_, _>>(),
    )
}

/// "ok", the rejection code, or the internal error: what a table row expects.
fn outcome<T>(result: &Result<T, AppError>) -> String {
    match result {
        Ok(_) => "ok".into(),
        Err(AppError::Rejected(rejection)) => rejection.code(),
        Err(AppError::Internal(cause)) => format!("internal: {cause}"),
    }
}

/// Checks one table row: the operation's outcome is the expected code.
fn check<T>(name: &str, result: &Result<T, AppError>, expected: &str) {
    assert_eq!(outcome(result), expected, "{name}");
}

async fn create(
    app: &App,
    who: &Principal,
    spec: &'static EntitySpec,
    pairs: &[(&str, &str)],
) -> Result<String, AppError> {
    app.create_record(who, spec, &input(pairs), &RequestCtx::default())
        .await
}

async fn update(
    app: &App,
    who: &Principal,
    spec: &'static EntitySpec,
    key: &str,
    pairs: &[(&str, &str)],
) -> Result<(), AppError> {
    app.update_record(who, spec, key, &input(pairs), &RequestCtx::default())
        .await
}

async fn set_enabled(
    app: &App,
    who: &Principal,
    spec: &'static EntitySpec,
    key: &str,
    enabled: bool,
) -> Result<(), AppError> {
    app.set_record_enabled(who, spec, key, enabled, &RequestCtx::default())
        .await
}

fn field(record: &fiscus_core::masterdata::Record, name: &str) -> String {
    record.get(name).map(Value::display).unwrap_or_default()
}

async fn agency_path(app: &App, agency_code: &str) -> String {
    let mut tx = app.db.begin().await.expect("begin");
    fiscus_store::facts::agency(&mut tx, agency_code)
        .await
        .expect("facts")
        .map(|facts| facts.agency_path)
        .unwrap_or_default()
}

fn region(code: &str, name: &str, parent: &str) -> Vec<(&'static str, String)> {
    vec![
        ("mof_div_code", code.to_owned()),
        ("mof_div_name", name.to_owned()),
        ("parent_mof_div_code", parent.to_owned()),
    ]
}

fn agency<'a>(code: &'a str, region: &'a str, parent: &'a str) -> [(&'static str, &'a str); 6] {
    [
        ("agency_code", code),
        ("agency_name", "测试单位"),
        ("mof_div_code", region),
        ("parent_agency_code", parent),
        ("agency_type", "1"),
        ("fund_guar", "1"),
    ]
}

async fn region_level_rules(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let admin = principal(&app, "admin").await;
    let division_admin = principal(&app, "div01_admin").await;
    let cases: &[(&str, &Principal, Vec<(&str, String)>, &str)] = &[
        (
            "new regiment under a division",
            &admin,
            region("660117000", "第一师十七团", "660100000"),
            "ok",
        ),
        (
            "new division under the corps",
            &admin,
            region("661500000", "第十五师", "660000000"),
            "ok",
        ),
        (
            "regiment under a regiment",
            &admin,
            region("660117100", "第一师十七团分场", "660117000"),
            "region_level_invalid",
        ),
        (
            "code not under the parent's prefix",
            &admin,
            region("660218000", "错位团", "660100000"),
            "region_level_invalid",
        ),
        (
            "digits below the own level",
            &admin,
            region("660118010", "错位团", "660100000"),
            "region_level_invalid",
        ),
        (
            "jurisdiction code",
            &admin,
            region("660100998", "第一师辖区", "660000000"),
            "region_level_invalid",
        ),
        (
            "no parent below the root",
            &admin,
            region("660118000", "第一师十八团", ""),
            "field_required",
        ),
        (
            "unknown parent",
            &admin,
            region("669901000", "无主团", "669900000"),
            "parent_unknown",
        ),
        (
            "existing code",
            &admin,
            region("660100000", "第一师", "660000000"),
            "duplicate_code",
        ),
        (
            "division admin outside its subtree",
            &division_admin,
            region("660217000", "第二师十七团", "660200000"),
            "parent_unknown",
        ),
        (
            "division admin inside its subtree",
            &division_admin,
            region("660118000", "第一师十八团", "660100000"),
            "ok",
        ),
    ];
    for (name, who, pairs, expected) in cases {
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        check(
            name,
            &create(&app, who, &schema::REGION, &pairs).await,
            expected,
        );
    }
    let regiment = app
        .get_record(&admin, &schema::REGION, "660117000")
        .await
        .expect("created");
    assert_eq!(field(&regiment, "level_num"), "3");
    let tree = app.region_tree(&admin).await.expect("tree");
    let node = tree
        .iter()
        .find(|node| node.mof_div_code == "660117000")
        .expect("in tree");
    assert_eq!(node.region_path, "/660000000/660100000/660117000/");
    assert_eq!(
        tree.iter()
            .find(|node| node.mof_div_code == "661500000")
            .map(|node| node.level_num),
        Some(2)
    );
}

async fn agency_move_reroots_subtree(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let admin = principal(&app, "admin").await;
    // X ─ Y ─ Z and W, all in the first division.
    for (code, parent) in [
        ("660100901", ""),
        ("660100901001", "660100901"),
        ("660100901001001", "660100901001"),
        ("660100902", ""),
    ] {
        check(
            code,
            &create(
                &app,
                &admin,
                &schema::AGENCY,
                &agency(code, "660100000", parent),
            )
            .await,
            "ok",
        );
    }
    assert_eq!(
        agency_path(&app, "660100901001001").await,
        "/660100901/660100901001/660100901001001/"
    );
    check(
        "move Y under W",
        &update(
            &app,
            &admin,
            &schema::AGENCY,
            "660100901001",
            &[("parent_agency_code", "660100902")],
        )
        .await,
        "ok",
    );
    let expected = [
        ("660100901", "/660100901/"),
        ("660100901001", "/660100902/660100901001/"),
        (
            "660100901001001",
            "/660100902/660100901001/660100901001001/",
        ),
        ("660100902", "/660100902/"),
    ];
    for (code, path) in expected {
        assert_eq!(agency_path(&app, code).await, path, "{code}");
    }
    let reviewer_tree = app.agency_tree(&admin, "660100000").await.expect("tree");
    let order: Vec<&str> = reviewer_tree
        .iter()
        .map(|node| node.agency_code.as_str())
        .filter(|code| code.starts_with("6601009"))
        .collect();
    assert_eq!(
        order,
        ["660100901", "660100902", "660100901001", "660100901001001"]
    );

    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "under its own descendant",
            "660100902",
            "660100901001001",
            "agency_parent_cycle",
        ),
        (
            "under itself",
            "660100901001",
            "660100901001",
            "agency_parent_cycle",
        ),
        (
            "under a unit of another region",
            "660100901001",
            "660200101",
            "agency_parent_other_region",
        ),
        (
            "under an unknown unit",
            "660100901001",
            "669900101",
            "parent_unknown",
        ),
    ];
    for (name, key, parent, expected) in cases {
        check(
            name,
            &update(
                &app,
                &admin,
                &schema::AGENCY,
                key,
                &[("parent_agency_code", parent)],
            )
            .await,
            expected,
        );
    }
    assert_eq!(
        agency_path(&app, "660100901001001").await,
        "/660100902/660100901001/660100901001001/",
        "refused moves change nothing"
    );
    check(
        "to the top level",
        &update(
            &app,
            &admin,
            &schema::AGENCY,
            "660100901001",
            &[("parent_agency_code", "")],
        )
        .await,
        "ok",
    );
    assert_eq!(
        agency_path(&app, "660100901001001").await,
        "/660100901001/660100901001001/"
    );
    let (history, _) = app
        .record_history(&admin, &schema::AGENCY, "660100901001", 1)
        .await
        .expect("history");
    let last: serde_json::Value =
        serde_json::from_str(history[0].changes.as_deref().unwrap_or("{}")).expect("json");
    assert_eq!(
        last["parent_agency_code"],
        serde_json::json!(["660100902", ""])
    );
}

async fn code_item_rules(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let admin = principal(&app, "admin").await;
    let division_admin = principal(&app, "div01_admin").await;
    let code = |code: &'static str, parent: &'static str| {
        vec![
            ("element_code", "exp_func"),
            ("fiscal_year", "2026"),
            ("code", code),
            ("name", "地方扩展科目"),
            ("parent_code", parent),
        ]
    };
    let with =
        |mut pairs: Vec<(&'static str, &'static str)>, name: &'static str, value: &'static str| {
            pairs.retain(|(k, _)| *k != name);
            pairs.push((name, value));
            pairs
        };
    let cases: Vec<(&str, &Principal, Vec<(&str, &str)>, &str)> = vec![
        (
            "local extension of a national 项",
            &admin,
            code("201010101", "2010101"),
            "ok",
        ),
        (
            "without a parent",
            &admin,
            code("201010102", ""),
            "local_code_needs_national_parent",
        ),
        (
            "under a local code",
            &admin,
            code("20101010101", "201010101"),
            "local_code_needs_national_parent",
        ),
        (
            "not starting with the parent",
            &admin,
            code("201020101", "2010101"),
            "code_not_under_parent",
        ),
        (
            "equal to the parent",
            &admin,
            code("2010101", "2010101"),
            "code_not_under_parent",
        ),
        (
            "longer than the segments allow",
            &admin,
            code("20101011234567", "2010101"),
            "code_segment_invalid",
        ),
        (
            "parent not in the table",
            &admin,
            code("201888801", "2018888"),
            "code_not_in_year_table",
        ),
        (
            "year without tables",
            &admin,
            with(code("201010103", "2010101"), "fiscal_year", "2030"),
            "code_not_in_year_table",
        ),
        (
            "unknown element",
            &admin,
            with(
                code("201010104", "2010101"),
                "element_code",
                "no_such_element",
            ),
            "element_unknown",
        ),
        (
            "same code again",
            &admin,
            code("201010101", "2010101"),
            "duplicate_code",
        ),
        (
            "below the corps",
            &division_admin,
            code("201010105", "2010101"),
            "forbidden",
        ),
    ];
    for (name, who, pairs, expected) in &cases {
        check(
            name,
            &create(&app, who, &schema::CODE_ITEM, pairs).await,
            expected,
        );
    }
    let local = app
        .get_record(&admin, &schema::CODE_ITEM, "exp_func:2026:201010101")
        .await
        .expect("created");
    assert_eq!(
        (field(&local, "is_local"), field(&local, "level_num")),
        ("是".into(), "4".into())
    );

    let national = "exp_func:2026:2010101";
    let edits: &[(&str, &str, &str, &str)] = &[
        (
            "rename a national code",
            national,
            "行政运行（改）",
            "national_code_read_only",
        ),
        (
            "rename a local code",
            "exp_func:2026:201010101",
            "地方扩展科目（改）",
            "ok",
        ),
    ];
    for (name, key, new_name, expected) in edits {
        check(
            name,
            &update(&app, &admin, &schema::CODE_ITEM, key, &[("name", new_name)]).await,
            expected,
        );
    }
    assert_eq!(
        field(
            &app.get_record(&admin, &schema::CODE_ITEM, national)
                .await
                .expect("read"),
            "name"
        ),
        "行政运行"
    );
    check(
        "disable a national code",
        &set_enabled(&app, &admin, &schema::CODE_ITEM, national, false).await,
        "ok",
    );
    check(
        "local code under a disabled parent",
        &create(
            &app,
            &admin,
            &schema::CODE_ITEM,
            &code("201010106", "2010101"),
        )
        .await,
        "parent_disabled",
    );
    let local_key = "exp_func:2026:201010101";
    check(
        "disable the local code",
        &set_enabled(&app, &admin, &schema::CODE_ITEM, local_key, false).await,
        "ok",
    );
    check(
        "enable it under the disabled parent",
        &set_enabled(&app, &admin, &schema::CODE_ITEM, local_key, true).await,
        "parent_disabled",
    );
    check(
        "enable the parent",
        &set_enabled(&app, &admin, &schema::CODE_ITEM, national, true).await,
        "ok",
    );
    check(
        "enable the local code",
        &set_enabled(&app, &admin, &schema::CODE_ITEM, local_key, true).await,
        "ok",
    );

    let year = |y: i32| FiscalYear::new(y).expect("year");
    let ctx = RequestCtx::default();
    let copies: &[(&str, &Principal, i32, i32, &str)] = &[
        (
            "the demo already made 2027",
            &admin,
            2026,
            2027,
            "year_already_exists",
        ),
        ("not the next year", &admin, 2026, 2028, "field_invalid"),
        ("below the corps", &division_admin, 2027, 2028, "forbidden"),
        ("the next year", &admin, 2027, 2028, "ok"),
        (
            "the same year twice",
            &admin,
            2027,
            2028,
            "year_already_exists",
        ),
    ];
    for (name, who, from, to, expected) in copies {
        check(
            name,
            &fiscus_app::codes::copy_year(&app, who, year(*from), year(*to), &ctx).await,
            expected,
        );
    }
}

async fn disable_and_enable_follow_the_trees(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let admin = principal(&app, "admin").await;
    for (code, parent) in [("660100911", ""), ("660100911001", "660100911")] {
        check(
            code,
            &create(
                &app,
                &admin,
                &schema::AGENCY,
                &agency(code, "660100000", parent),
            )
            .await,
            "ok",
        );
    }
    let new_region = region("660119000", "第一师十九团", "660100000");
    let new_region: Vec<(&str, &str)> = new_region.iter().map(|(k, v)| (*k, v.as_str())).collect();
    check(
        "empty regiment",
        &create(&app, &admin, &schema::REGION, &new_region).await,
        "ok",
    );
    let (region, unit) = (&schema::REGION, &schema::AGENCY);
    let steps: &[(&str, &'static EntitySpec, &str, bool, &str)] = &[
        (
            "regiment with units",
            region,
            "660101000",
            false,
            "has_enabled_children",
        ),
        (
            "division with regiments",
            region,
            "660100000",
            false,
            "has_enabled_children",
        ),
        (
            "department with an enabled sub-unit",
            unit,
            "660100911",
            false,
            "has_enabled_children",
        ),
        ("sub-unit", unit, "660100911001", false, "ok"),
        (
            "sub-unit again",
            unit,
            "660100911001",
            false,
            "already_disabled",
        ),
        (
            "department once its sub-unit is disabled",
            unit,
            "660100911",
            false,
            "ok",
        ),
        (
            "sub-unit under a disabled department",
            unit,
            "660100911001",
            true,
            "parent_disabled",
        ),
        ("department", unit, "660100911", true, "ok"),
        (
            "department again",
            unit,
            "660100911",
            true,
            "already_enabled",
        ),
        (
            "sub-unit under the enabled department",
            unit,
            "660100911001",
            true,
            "ok",
        ),
        ("empty regiment", region, "660119000", false, "ok"),
    ];
    for (name, spec, key, enabled, expected) in steps {
        check(
            name,
            &set_enabled(&app, &admin, spec, key, *enabled).await,
            expected,
        );
    }
    check(
        "unit in a disabled region",
        &create(
            &app,
            &admin,
            &schema::AGENCY,
            &agency("660119101", "660119000", ""),
        )
        .await,
        "parent_disabled",
    );
    let disabled = app
        .get_record(&admin, &schema::REGION, "660119000")
        .await
        .expect("read");
    assert_eq!(disabled.get("is_enabled"), Some(&Value::Bool(false)));
}

async fn identity_numbers_are_encrypted(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let admin = principal(&app, "admin").await;
    let iden_no = "11010519491231002X";
    let person = [
        ("agency_code", "660100101"),
        ("per_name", "张三"),
        ("iden_type_code", "01"),
        ("iden_no", "11010519491231002x"),
        ("sex_code", "1"),
        ("per_ide_code", "1"),
        ("per_sta_code", "1"),
        ("pos_sala", "3,250.50"),
    ];
    let per_id = create(&app, &admin, &schema::PERSON, &person)
        .await
        .expect("person created");
    let record = app
        .get_record(&admin, &schema::PERSON, &per_id)
        .await
        .expect("read");
    assert_eq!(field(&record, "iden_no_masked"), "110105********002X");
    assert_eq!(record.get("pos_sala"), Some(&Value::Int(325_050)));
    assert!(
        !record.contains_key("iden_no"),
        "the clear number is not a column"
    );
    let cipher = stored_cipher(&app, &per_id).await;
    assert!(
        !cipher.contains(iden_no)
            && !cipher.contains("19491231")
            && !cipher.to_uppercase().contains("11010519"),
        "{cipher}"
    );

    let viewed = AuditQuery {
        action: Some("identity_viewed".into()),
        page: 1,
        page_size: 10,
        ..AuditQuery::default()
    };
    let n_viewed = || async {
        fiscus_store::audit::list(&app.db, &viewed)
            .await
            .expect("audit")
            .1
    };
    assert_eq!(n_viewed().await, 0);
    assert_eq!(
        app.reveal_identity(&admin, &per_id, &fiscus_app::RequestCtx::default())
            .await
            .expect("reveal"),
        iden_no
    );
    let (rows, total) = fiscus_store::audit::list(&app.db, &viewed)
        .await
        .expect("audit");
    assert_eq!(total, 1);
    assert_eq!(
        (rows[0].user_name.as_str(), rows[0].entity_key.as_deref()),
        ("admin", Some(per_id.as_str()))
    );
    // Another unit's clerk neither sees the number nor leaves a trace.
    let other_clerk = principal(&app, "u660200101_clerk").await;
    check(
        "other unit reveals",
        &app.reveal_identity(&other_clerk, &per_id, &fiscus_app::RequestCtx::default())
            .await,
        "not_found",
    );
    assert_eq!(n_viewed().await, 1);

    check(
        "wrong check digit",
        &update(
            &app,
            &admin,
            &schema::PERSON,
            &per_id,
            &[("iden_no", "110105194912310021")],
        )
        .await,
        "identity_check_char_wrong",
    );
    assert_eq!(stored_cipher(&app, &per_id).await, cipher);
    let new_iden_no = fiscus_core::IdentityNumber::with_check_char("65010219800101123")
        .expect("valid")
        .into_string();
    check(
        "new number",
        &update(
            &app,
            &admin,
            &schema::PERSON,
            &per_id,
            &[("iden_no", &new_iden_no)],
        )
        .await,
        "ok",
    );
    assert_ne!(stored_cipher(&app, &per_id).await, cipher);
    assert_eq!(
        app.reveal_identity(&admin, &per_id, &fiscus_app::RequestCtx::default())
            .await
            .expect("reveal"),
        new_iden_no
    );
    let record = app
        .get_record(&admin, &schema::PERSON, &per_id)
        .await
        .expect("read");
    assert_eq!(
        field(&record, "iden_no_masked"),
        format!("650102********{}", &new_iden_no[14..])
    );
}

async fn stored_cipher(app: &App, per_id: &str) -> String {
    let mut tx = app.db.begin().await.expect("begin");
    fiscus_store::records::identity_cipher(&mut tx, per_id)
        .await
        .expect("read")
        .expect("stored")
}

async fn stale_version_is_refused(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let admin = principal(&app, "admin").await;
    let key = "660100101";
    let before = app
        .get_record(&admin, &schema::AGENCY, key)
        .await
        .expect("read");
    let version = field(&before, "updated_at");
    check(
        "stale",
        &update(
            &app,
            &admin,
            &schema::AGENCY,
            key,
            &[
                ("agency_name", "改名一"),
                ("_version", "2000-01-01T00:00:00Z"),
            ],
        )
        .await,
        "stale_version",
    );
    assert_eq!(
        field(
            &app.get_record(&admin, &schema::AGENCY, key)
                .await
                .expect("read"),
            "agency_name"
        ),
        field(&before, "agency_name")
    );
    check(
        "current",
        &update(
            &app,
            &admin,
            &schema::AGENCY,
            key,
            &[("agency_name", "改名二"), ("_version", &version)],
        )
        .await,
        "ok",
    );
    let after = app
        .get_record(&admin, &schema::AGENCY, key)
        .await
        .expect("read");
    assert_eq!(field(&after, "agency_name"), "改名二");
    assert_ne!(field(&after, "updated_at"), version);
    assert_eq!(field(&after, "updated_by"), "admin");
    // The form it was drawn from is now stale itself.
    check(
        "replayed",
        &update(
            &app,
            &admin,
            &schema::AGENCY,
            key,
            &[("agency_name", "改名三"), ("_version", &version)],
        )
        .await,
        "stale_version",
    );
}
