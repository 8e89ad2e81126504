//! The storage suite, run on SQLite and PostgreSQL alike (`on_both_backends!`), so the two
//! backends can never drift: migrations, scoped generic records, list queries, unique
//! violations, rollback, audit, bulk loads, path re-rooting, trees, code-year copies and
//! concurrent read-then-write transactions.

// Tests fail loudly: `expect` is the assertion here.
// Fixture rows are plain tuples and the helpers that insert them take their columns.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::type_complexity,
    clippy::too_many_arguments
)]

use fiscus_core::code::UserName;
use fiscus_core::masterdata::{Record, Value};
use fiscus_core::query::ListQuery;
use fiscus_core::schema::{AGENCY, CODE_ITEM, EntitySpec, REGION, STANDARD};
use fiscus_core::{AgencyCode, MofDivCode, OrgNode, Principal, Role, RoleSet};
use fiscus_store::audit::{AuditEntry, AuditQuery};
use fiscus_store::records::{self, Columns, Viewer};
use fiscus_store::testing::TestDb;
use fiscus_store::{Bind, Db, StoreError, Tx, audit, bulk, codes, facts, migrate, tree};

fiscus_store::on_both_backends!(
    migrations_are_idempotent,
    records_round_trip,
    scope_predicates,
    list_search_filter_sort_page,
    like_wildcards_are_escaped,
    unique_violation_is_typed,
    dropped_transaction_leaves_nothing,
    audit_append_and_list,
    bulk_insert_crosses_chunks,
    reroot_moves_a_subtree,
    trees_follow_scope,
    copy_year_once,
    concurrent_increments_serialize,
);

const NOW: &str = "2026-01-05T08:00:00Z";

// ---------------------------------------------------------------------------------------
// Fixture: a small hand-made organisation.
// ---------------------------------------------------------------------------------------

/// (code, name, parent, level, path)
const REGIONS: &[(&str, &str, Option<&str>, i64, &str)] = &[
    ("660000000", "兵团", None, 1, "/660000000/"),
    (
        "660100000",
        "第一师",
        Some("660000000"),
        2,
        "/660000000/660100000/",
    ),
    (
        "660101000",
        "第一师一团",
        Some("660100000"),
        3,
        "/660000000/660100000/660101000/",
    ),
    (
        "660200000",
        "第二师",
        Some("660000000"),
        2,
        "/660000000/660200000/",
    ),
    (
        "660201000",
        "第二师一团",
        Some("660200000"),
        3,
        "/660000000/660200000/660201000/",
    ),
];

/// (code, name, region, parent, path, fund_guar, actu_staf_num)
type AgencyRow<'a> = (
    &'a str,
    &'a str,
    &'a str,
    Option<&'a str>,
    &'a str,
    &'a str,
    i64,
);

const AGENCIES: &[AgencyRow<'static>] = &[
    (
        "660000101",
        "兵团教育局",
        "660000000",
        None,
        "/660000101/",
        "1",
        40,
    ),
    (
        "660100101",
        "第一师教育局",
        "660100000",
        None,
        "/660100101/",
        "1",
        30,
    ),
    (
        "660100101001",
        "第一师第一中学",
        "660100000",
        Some("660100101"),
        "/660100101/660100101001/",
        "2",
        80,
    ),
    (
        "660100102",
        "第一师卫生局",
        "660100000",
        None,
        "/660100102/",
        "1",
        20,
    ),
    (
        "660101101",
        "第一师一团教育办",
        "660101000",
        None,
        "/660101101/",
        "1",
        5,
    ),
    (
        "660200101",
        "第二师教育局",
        "660200000",
        None,
        "/660200101/",
        "1",
        25,
    ),
    (
        "660201101",
        "第二师一团教育办",
        "660201000",
        None,
        "/660201101/",
        "3",
        6,
    ),
];

/// (std_id, region, path, std_code)
const STANDARDS: &[(&str, &str, &str, &str)] = &[
    ("std-corps", "660000000", "/660000000/", "RY001"),
    ("std-div01", "660100000", "/660000000/660100000/", "RY001"),
    ("std-div02", "660200000", "/660000000/660200000/", "RY001"),
    (
        "std-reg0101",
        "660101000",
        "/660000000/660100000/660101000/",
        "RY001",
    ),
];

fn stamp() -> Vec<(&'static str, Bind)> {
    vec![
        ("created_at", Bind::text(NOW)),
        ("updated_at", Bind::text(NOW)),
        ("updated_by", Bind::text("test")),
    ]
}

fn text(value: &str) -> Value {
    Value::Text(value.to_owned())
}

async fn insert_region(
    tx: &mut Tx,
    code: &str,
    name: &str,
    parent: Option<&str>,
    level: i64,
    path: &str,
) -> Result<(), StoreError> {
    let mut record = Record::new();
    record.insert("mof_div_code", text(code));
    record.insert("mof_div_name", text(name));
    record.insert("parent_mof_div_code", parent.map_or(Value::Null, text));
    let mut system = vec![
        ("level_num", Bind::Int(Some(level))),
        ("region_path", Bind::text(path)),
    ];
    system.extend(stamp());
    records::insert(tx, &REGION, &record, &system).await
}

async fn insert_agency(
    tx: &mut Tx,
    code: &str,
    name: &str,
    region: &str,
    parent: Option<&str>,
    path: &str,
    fund_guar: &str,
    staff: i64,
) -> Result<(), StoreError> {
    let mut record = Record::new();
    record.insert("agency_code", text(code));
    record.insert("agency_name", text(name));
    record.insert("mof_div_code", text(region));
    record.insert("parent_agency_code", parent.map_or(Value::Null, text));
    record.insert("agency_type", text("1"));
    record.insert("fund_guar", text(fund_guar));
    record.insert("actu_staf_num", Value::Int(staff));
    let mut system = vec![("agency_path", Bind::text(path))];
    system.extend(stamp());
    records::insert(tx, &AGENCY, &record, &system).await
}

async fn insert_standard(
    tx: &mut Tx,
    std_id: &str,
    region: &str,
    path: &str,
    std_code: &str,
) -> Result<(), StoreError> {
    let mut record = Record::new();
    record.insert("mof_div_code", text(region));
    record.insert("fiscal_year", Value::Int(2026));
    record.insert("std_code", text(std_code));
    record.insert("std_name", text("公务员基本工资标准"));
    record.insert("std_type_code", text("1"));
    record.insert("dep_bgt_eco_code", text("30101"));
    record.insert("amount_fen", Value::Int(4_800_000));
    let mut system = vec![
        ("std_id", Bind::text(std_id)),
        ("region_path", Bind::text(path)),
    ];
    system.extend(stamp());
    records::insert(tx, &STANDARD, &record, &system).await
}

/// Inserts `REGIONS`, `AGENCIES` and `STANDARDS` in one transaction.
async fn load_org(db: &Db) {
    let mut tx = db.begin().await.expect("begin");
    for (code, name, parent, level, path) in REGIONS {
        insert_region(&mut tx, code, name, *parent, *level, path)
            .await
            .expect("region");
    }
    for (code, name, region, parent, path, fund_guar, staff) in AGENCIES {
        insert_agency(
            &mut tx, code, name, region, *parent, path, fund_guar, *staff,
        )
        .await
        .expect("agency");
    }
    for (std_id, region, path, std_code) in STANDARDS {
        insert_standard(&mut tx, std_id, region, path, std_code)
            .await
            .expect("standard");
    }
    tx.commit().await.expect("commit");
}

fn region_path_of(code: &str) -> &'static str {
    REGIONS
        .iter()
        .find(|region| region.0 == code)
        .map(|region| region.4)
        .expect("known region")
}

/// A finance-bureau user of a region (sees the region's subtree).
fn bureau(region: &str) -> Principal {
    Principal {
        user_name: UserName::parse("bureau_user").expect("name"),
        display_name: "财政用户".into(),
        roles: RoleSet::of(&[Role::BudgetDivision]),
        org: OrgNode::FinanceBureau {
            mof_div_code: MofDivCode::parse(region).expect("region"),
        },
        region_path: region_path_of(region).into(),
        agency_path: None,
        org_name: "财政局".into(),
    }
}

/// A unit user; with `reviewer` it is a competent-department reviewer (sees the unit subtree).
fn unit_user(agency_code: &str, reviewer: bool) -> Principal {
    let (_, _, region, _, path, _, _) = AGENCIES
        .iter()
        .find(|agency| agency.0 == agency_code)
        .copied()
        .expect("known unit");
    let role = if reviewer {
        Role::DeptReviewer
    } else {
        Role::UnitClerk
    };
    Principal {
        user_name: UserName::parse("unit_user").expect("name"),
        display_name: "单位用户".into(),
        roles: RoleSet::of(&[role]),
        org: OrgNode::Agency {
            mof_div_code: MofDivCode::parse(region).expect("region"),
            agency_code: AgencyCode::parse(agency_code).expect("code"),
        },
        region_path: region_path_of(region).into(),
        agency_path: Some(path.into()),
        org_name: "单位".into(),
    }
}

fn big_page(spec: &EntitySpec) -> ListQuery {
    ListQuery {
        page_size: 1_000,
        ..ListQuery::first_page(spec)
    }
}

fn keys(spec: &EntitySpec, rows: &[Record]) -> Vec<String> {
    let mut keys: Vec<String> = rows
        .iter()
        .map(|row| row.get(spec.key).map(Value::display).unwrap_or_default())
        .collect();
    keys.sort();
    keys
}

async fn list_keys(
    db: &Db,
    spec: &'static EntitySpec,
    viewer: Viewer<'_>,
    query: &ListQuery,
) -> (Vec<String>, i64) {
    let page = records::list(db, spec, viewer, query, Columns::List)
        .await
        .expect("list");
    (keys(spec, &page.rows), page.total)
}

fn sorted(items: &[&str]) -> Vec<String> {
    let mut items: Vec<String> = items.iter().map(|item| (*item).to_owned()).collect();
    items.sort();
    items
}

// ---------------------------------------------------------------------------------------
// Tests.
// ---------------------------------------------------------------------------------------

async fn migrations_are_idempotent(test_db: TestDb) {
    // `fresh` has migrated once already; running again applies nothing and changes nothing.
    assert_eq!(
        migrate::run(&test_db.db).await.expect("second run"),
        Vec::<i64>::new()
    );
    assert_eq!(
        migrate::run(&test_db.db).await.expect("third run"),
        Vec::<i64>::new()
    );
    let mut tx = test_db.db.begin().await.expect("begin");
    assert_eq!(
        bulk::count_rows(&mut tx, "schema_migrations")
            .await
            .expect("count"),
        12, // 0001 foundation, 0002 flow, 0003 ledger, 0004 payment, 0005 bank, 0006 project,
            // 0007 budget, 0008 project_attachment, 0009 accounting, 0010 year_end,
            // 0011 accounting_close, 0012 final_accounts
    );
    assert_eq!(
        bulk::count_rows(&mut tx, "region")
            .await
            .expect("tables exist"),
        0
    );
}

async fn records_round_trip(test_db: TestDb) {
    let db = &test_db.db;
    load_org(db).await;
    let school = records::get(db, &AGENCY, Viewer::System, "660100101001")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(school.get("agency_name"), Some(&text("第一师第一中学")));
    assert_eq!(school.get("parent_agency_code"), Some(&text("660100101")));
    assert_eq!(school.get("actu_staf_num"), Some(&Value::Int(80)));
    assert_eq!(school.get("is_enabled"), Some(&Value::Bool(true)));
    assert_eq!(school.get("agency_abbreviation"), Some(&Value::Null));
    assert!(
        records::get(db, &AGENCY, Viewer::System, "669999999")
            .await
            .expect("get")
            .is_none()
    );

    let mut tx = db.begin().await.expect("begin");
    let changes = [
        ("agency_name", Bind::text("第一师第一高级中学")),
        ("is_enabled", Bind::Bool(Some(false))),
        ("actu_staf_num", Bind::Int(None)),
    ];
    assert_eq!(
        records::update(&mut tx, &AGENCY, "660100101001", &changes)
            .await
            .expect("update"),
        1
    );
    assert_eq!(
        records::update(&mut tx, &AGENCY, "669999999", &changes)
            .await
            .expect("update"),
        0
    );
    assert_eq!(
        records::update(&mut tx, &AGENCY, "660100101001", &[])
            .await
            .expect("no-op"),
        0
    );
    let locked = records::get_for_update(&mut tx, &AGENCY, Viewer::System, "660100101001")
        .await
        .expect("for update")
        .expect("exists");
    assert_eq!(locked.get("agency_name"), Some(&text("第一师第一高级中学")));
    tx.commit().await.expect("commit");

    let school = records::get(db, &AGENCY, Viewer::System, "660100101001")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(school.get("is_enabled"), Some(&Value::Bool(false)));
    assert_eq!(school.get("actu_staf_num"), Some(&Value::Null));
    let mut tx = db.begin().await.expect("begin");
    assert_eq!(
        records::count_where(&mut tx, "agency", "parent_agency_code", "660100101", false)
            .await
            .expect("count"),
        1
    );
    assert_eq!(
        records::count_where(&mut tx, "agency", "parent_agency_code", "660100101", true)
            .await
            .expect("count"),
        0
    );
    let school_facts = facts::agency(&mut tx, "660100101001")
        .await
        .expect("facts")
        .expect("exists");
    assert_eq!(school_facts.region_path, "/660000000/660100000/");
    assert!(!school_facts.is_enabled);
    let region = facts::region(&mut tx, "660101000")
        .await
        .expect("facts")
        .expect("exists");
    assert_eq!(
        (region.level_num, region.region_path.as_str()),
        (3, "/660000000/660100000/660101000/")
    );
}

async fn scope_predicates(test_db: TestDb) {
    let db = &test_db.db;
    load_org(db).await;
    let corps = bureau("660000000");
    let division = bureau("660100000");
    let regiment = bureau("660201000");
    let reviewer = unit_user("660100101", true);
    let clerk = unit_user("660100101001", false);
    let all_agencies: Vec<&str> = AGENCIES.iter().map(|agency| agency.0).collect();
    let all_regions: Vec<&str> = REGIONS.iter().map(|region| region.0).collect();
    let cases: &[(&str, Viewer<'_>, &'static EntitySpec, Vec<&str>)] = &[
        (
            "system regions",
            Viewer::System,
            &REGION,
            all_regions.clone(),
        ),
        (
            "system agencies",
            Viewer::System,
            &AGENCY,
            all_agencies.clone(),
        ),
        ("corps regions", Viewer::User(&corps), &REGION, all_regions),
        (
            "corps agencies",
            Viewer::User(&corps),
            &AGENCY,
            all_agencies,
        ),
        (
            "division regions",
            Viewer::User(&division),
            &REGION,
            vec!["660100000", "660101000"],
        ),
        (
            "division agencies",
            Viewer::User(&division),
            &AGENCY,
            vec!["660100101", "660100101001", "660100102", "660101101"],
        ),
        (
            "division standards",
            Viewer::User(&division),
            &STANDARD,
            vec!["std-corps", "std-div01", "std-reg0101"],
        ),
        (
            "regiment regions",
            Viewer::User(&regiment),
            &REGION,
            vec!["660201000"],
        ),
        (
            "regiment agencies",
            Viewer::User(&regiment),
            &AGENCY,
            vec!["660201101"],
        ),
        (
            "regiment standards",
            Viewer::User(&regiment),
            &STANDARD,
            vec!["std-corps", "std-div02"],
        ),
        (
            "reviewer regions",
            Viewer::User(&reviewer),
            &REGION,
            vec!["660100000"],
        ),
        (
            "reviewer agencies",
            Viewer::User(&reviewer),
            &AGENCY,
            vec!["660100101", "660100101001"],
        ),
        (
            "reviewer standards",
            Viewer::User(&reviewer),
            &STANDARD,
            vec!["std-corps", "std-div01"],
        ),
        (
            "clerk regions",
            Viewer::User(&clerk),
            &REGION,
            vec!["660100000"],
        ),
        (
            "clerk agencies",
            Viewer::User(&clerk),
            &AGENCY,
            vec!["660100101001"],
        ),
    ];
    for (name, viewer, spec, expected) in cases {
        let (found, total) = list_keys(db, spec, *viewer, &big_page(spec)).await;
        assert_eq!(found, sorted(expected), "{name}");
        assert_eq!(total, expected.len() as i64, "{name}: total");
        // A record outside the scope does not exist for that viewer; one inside does.
        for key in keys_of(spec) {
            let visible = records::get(db, spec, *viewer, key)
                .await
                .expect("get")
                .is_some();
            assert_eq!(visible, expected.contains(&key), "{name}: get {key}");
        }
    }
    let mut tx = db.begin().await.expect("begin");
    assert!(
        records::get_for_update(&mut tx, &AGENCY, Viewer::User(&clerk), "660100102")
            .await
            .expect("get")
            .is_none()
    );
    assert!(
        records::get_for_update(&mut tx, &AGENCY, Viewer::User(&clerk), "660100101001")
            .await
            .expect("get")
            .is_some()
    );
}

fn keys_of(spec: &EntitySpec) -> Vec<&'static str> {
    match spec.name {
        "regions" => REGIONS.iter().map(|region| region.0).collect(),
        "agencies" => AGENCIES.iter().map(|agency| agency.0).collect(),
        _ => STANDARDS.iter().map(|standard| standard.0).collect(),
    }
}

async fn list_search_filter_sort_page(test_db: TestDb) {
    let db = &test_db.db;
    load_org(db).await;
    let division = bureau("660100000");
    let regiment = bureau("660201000");
    let query = |search: Option<&str>, filters: &[(&'static str, &str)]| ListQuery {
        search: search.map(str::to_owned),
        filters: filters
            .iter()
            .map(|(name, value)| (*name, (*value).to_owned()))
            .collect(),
        ..big_page(&AGENCY)
    };
    let cases: &[(&str, Viewer<'_>, ListQuery, Vec<&str>)] = &[
        (
            "search name",
            Viewer::System,
            query(Some("教育"), &[]),
            vec![
                "660000101",
                "660100101",
                "660101101",
                "660200101",
                "660201101",
            ],
        ),
        (
            "search code",
            Viewer::System,
            query(Some("660100101"), &[]),
            vec!["660100101", "660100101001"],
        ),
        (
            "search in scope",
            Viewer::User(&division),
            query(Some("教育"), &[]),
            vec!["660100101", "660101101"],
        ),
        (
            "search nothing",
            Viewer::System,
            query(Some("不存在的单位"), &[]),
            vec![],
        ),
        (
            "filter",
            Viewer::System,
            query(None, &[("fund_guar", "2")]),
            vec!["660100101001"],
        ),
        (
            "filter and search",
            Viewer::System,
            query(Some("第一师"), &[("fund_guar", "1")]),
            vec!["660100101", "660100102", "660101101"],
        ),
        (
            "filter bool",
            Viewer::System,
            query(None, &[("is_enabled", "否")]),
            vec![],
        ),
        (
            "own level",
            Viewer::System,
            query(None, &[("mof_div_code", "660100000")]),
            vec!["660100101", "660100101001", "660100102"],
        ),
        (
            "jurisdiction",
            Viewer::System,
            query(None, &[("mof_div_code", "660100998")]),
            vec!["660100101", "660100101001", "660100102", "660101101"],
        ),
        (
            "corps jurisdiction",
            Viewer::System,
            query(None, &[("mof_div_code", "660000998")]),
            AGENCIES.iter().map(|a| a.0).collect(),
        ),
        (
            "jurisdiction in scope",
            Viewer::User(&regiment),
            query(None, &[("mof_div_code", "660200998")]),
            vec!["660201101"],
        ),
        (
            "jurisdiction out of scope",
            Viewer::User(&division),
            query(None, &[("mof_div_code", "660200998")]),
            vec![],
        ),
        (
            "parent filter",
            Viewer::System,
            query(None, &[("parent_agency_code", "660100101")]),
            vec!["660100101001"],
        ),
    ];
    for (name, viewer, query, expected) in cases {
        let (found, total) = list_keys(db, &AGENCY, *viewer, query).await;
        assert_eq!(found, sorted(expected), "{name}");
        assert_eq!(total, expected.len() as i64, "{name}: total");
    }
    let bad_filter = query(None, &[("is_enabled", "maybe")]);
    assert!(matches!(
        records::list(db, &AGENCY, Viewer::System, &bad_filter, Columns::List).await,
        Err(StoreError::Rejected(_))
    ));

    // Sort and page: codes sort the same under every collation.
    let mut by_code: Vec<&str> = AGENCIES.iter().map(|agency| agency.0).collect();
    by_code.sort();
    let mut page_query = ListQuery {
        sort: "agency_code",
        descending: true,
        page: 1,
        page_size: 3,
        ..ListQuery::first_page(&AGENCY)
    };
    let mut seen = Vec::new();
    for page in 1..=3 {
        page_query.page = page;
        let result = records::list(db, &AGENCY, Viewer::System, &page_query, Columns::List)
            .await
            .expect("page");
        assert_eq!(result.total, AGENCIES.len() as i64);
        assert!(result.rows.len() <= 3);
        seen.extend(result.rows.iter().map(|row| {
            row.get("agency_code")
                .map(Value::display)
                .unwrap_or_default()
        }));
    }
    let descending: Vec<String> = by_code
        .iter()
        .rev()
        .map(|code| (*code).to_owned())
        .collect();
    assert_eq!(seen, descending);
    let by_staff = ListQuery {
        sort: "actu_staf_num",
        ..big_page(&AGENCY)
    };
    let rows = records::list(db, &AGENCY, Viewer::System, &by_staff, Columns::List)
        .await
        .expect("sorted")
        .rows;
    let staff: Vec<i64> = rows
        .iter()
        .filter_map(|row| row.get("actu_staf_num").and_then(Value::as_int))
        .collect();
    assert_eq!(staff, vec![5, 6, 20, 25, 30, 40, 80]);
    // List columns carry the key and the listed fields only; `All` carries every stored one.
    assert!(!rows[0].contains_key("agency_add") && rows[0].contains_key("agency_name"));
    let all = records::list(
        db,
        &AGENCY,
        Viewer::System,
        &big_page(&AGENCY),
        Columns::All,
    )
    .await
    .expect("all")
    .rows;
    assert!(all[0].contains_key("agency_add"));
}

async fn like_wildcards_are_escaped(test_db: TestDb) {
    let db = &test_db.db;
    load_org(db).await;
    let names = [
        ("660100201", "达标率100%单位"),
        ("660100202", "达标率100单位"),
        ("660100203", "甲_乙单位"),
        ("660100204", "甲丙乙单位"),
        ("660100205", "路径\\单位"),
    ];
    let mut tx = db.begin().await.expect("begin");
    for (code, name) in names {
        insert_agency(
            &mut tx,
            code,
            name,
            "660100000",
            None,
            &format!("/{code}/"),
            "1",
            1,
        )
        .await
        .expect("agency");
    }
    tx.commit().await.expect("commit");
    let cases: &[(&str, &[&str])] = &[
        ("%", &["660100201"]),
        ("100%", &["660100201"]),
        ("_", &["660100203"]),
        ("甲_乙", &["660100203"]),
        ("\\", &["660100205"]),
        ("达标率100", &["660100201", "660100202"]),
    ];
    for (search, expected) in cases {
        let query = ListQuery {
            search: Some((*search).to_owned()),
            ..big_page(&AGENCY)
        };
        let (found, _) = list_keys(db, &AGENCY, Viewer::System, &query).await;
        assert_eq!(found, sorted(expected), "search {search:?}");
    }
}

async fn unique_violation_is_typed(test_db: TestDb) {
    let db = &test_db.db;
    load_org(db).await;
    let mut tx = db.begin().await.expect("begin");
    let again = insert_region(
        &mut tx,
        "660100000",
        "第一师（重复）",
        Some("660000000"),
        2,
        "/660000000/660100000x/",
    )
    .await;
    assert!(
        matches!(again, Err(StoreError::UniqueViolation)),
        "{again:?}"
    );
    drop(tx);
    let mut tx = db.begin().await.expect("begin");
    let same_path = insert_region(
        &mut tx,
        "660300000",
        "第三师",
        Some("660000000"),
        2,
        "/660000000/660100000/",
    )
    .await;
    assert!(
        matches!(same_path, Err(StoreError::UniqueViolation)),
        "{same_path:?}"
    );
    drop(tx);
    let mut tx = db.begin().await.expect("begin");
    let agency = insert_agency(
        &mut tx,
        "660100101",
        "重复单位",
        "660100000",
        None,
        "/660100101/",
        "1",
        1,
    )
    .await;
    assert!(
        matches!(agency, Err(StoreError::UniqueViolation)),
        "{agency:?}"
    );
    drop(tx);
    let mut tx = db.begin().await.expect("begin");
    let standard = insert_standard(
        &mut tx,
        "std-other",
        "660100000",
        "/660000000/660100000/",
        "RY001",
    )
    .await;
    assert!(
        matches!(standard, Err(StoreError::UniqueViolation)),
        "composite unique key: {standard:?}"
    );
    drop(tx);
    // A foreign-key failure is not mistaken for a duplicate.
    let mut tx = db.begin().await.expect("begin");
    let orphan = insert_agency(
        &mut tx,
        "669900101",
        "无区划单位",
        "669900000",
        None,
        "/669900101/",
        "1",
        1,
    )
    .await;
    assert!(matches!(orphan, Err(StoreError::Database(_))), "{orphan:?}");
    drop(tx);
    let (found, _) = list_keys(db, &REGION, Viewer::System, &big_page(&REGION)).await;
    assert_eq!(found.len(), REGIONS.len());
}

async fn dropped_transaction_leaves_nothing(test_db: TestDb) {
    let db = &test_db.db;
    load_org(db).await;
    {
        let mut tx = db.begin().await.expect("begin");
        insert_region(
            &mut tx,
            "660300000",
            "第三师",
            Some("660000000"),
            2,
            "/660000000/660300000/",
        )
        .await
        .expect("insert");
        records::update(
            &mut tx,
            &AGENCY,
            "660100101",
            &[("agency_name", Bind::text("改名未提交"))],
        )
        .await
        .expect("update");
        let mut entry = AuditEntry::by(None, "create");
        entry.entity = Some("regions");
        entry.entity_key = Some("660300000".into());
        audit::append(&mut tx, &entry).await.expect("audit");
        // Dropped here without commit.
    }
    assert!(
        records::get(db, &REGION, Viewer::System, "660300000")
            .await
            .expect("get")
            .is_none()
    );
    let unit = records::get(db, &AGENCY, Viewer::System, "660100101")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(unit.get("agency_name"), Some(&text("第一师教育局")));
    let (rows, total) = audit::list(
        db,
        &AuditQuery {
            page: 1,
            page_size: 10,
            ..AuditQuery::default()
        },
    )
    .await
    .expect("audit");
    assert_eq!((rows.len(), total), (0, 0));
    // The writer is free again: a new transaction commits.
    let mut tx = db.begin().await.expect("begin after rollback");
    insert_region(
        &mut tx,
        "660300000",
        "第三师",
        Some("660000000"),
        2,
        "/660000000/660300000/",
    )
    .await
    .expect("insert");
    tx.commit().await.expect("commit");
    assert!(
        records::get(db, &REGION, Viewer::System, "660300000")
            .await
            .expect("get")
            .is_some()
    );
}

async fn audit_append_and_list(test_db: TestDb) {
    let db = &test_db.db;
    load_org(db).await;
    let entries: &[(&str, Option<&str>, &'static str, &str)] = &[
        ("div01_admin", Some("660100000"), "create", "660100101"),
        ("div01_admin", Some("660100000"), "update", "660100101"),
        ("div02_admin", Some("660200000"), "update", "660200101"),
        ("reg0101_budget", Some("660101000"), "disable", "660101101"),
        ("system", None, "demo_loaded", ""),
    ];
    let mut tx = db.begin().await.expect("begin");
    for (user_name, region, action, key) in entries {
        let entry = AuditEntry {
            user_name: (*user_name).into(),
            mof_div_code: region.map(str::to_owned),
            action,
            entity: (!key.is_empty()).then_some("agencies"),
            entity_key: (!key.is_empty()).then(|| (*key).to_owned()),
            changes: Some(r#"{"agency_name":["旧","新"]}"#.into()),
            ip: Some("127.0.0.1".into()),
            request_id: Some("req-1".into()),
            ..AuditEntry::default()
        };
        audit::append(&mut tx, &entry).await.expect("append");
    }
    tx.commit().await.expect("commit");
    let query = |f: fn(&mut AuditQuery)| {
        let mut query = AuditQuery {
            page: 1,
            page_size: 50,
            ..AuditQuery::default()
        };
        f(&mut query);
        query
    };
    let cases: &[(&str, AuditQuery, Vec<&str>)] = &[
        (
            "all, newest first",
            query(|_| {}),
            vec!["demo_loaded", "disable", "update", "update", "create"],
        ),
        (
            "by record",
            query(|q| {
                (q.entity, q.entity_key) = (Some("agencies".into()), Some("660100101".into()))
            }),
            vec!["update", "create"],
        ),
        (
            "by user",
            query(|q| q.user_name = Some("div02_admin".into())),
            vec!["update"],
        ),
        (
            "by action",
            query(|q| q.action = Some("update".into())),
            vec!["update", "update"],
        ),
        (
            "actor subtree",
            query(|q| q.actor_region_path = Some("/660000000/660100000/".into())),
            vec!["disable", "update", "create"],
        ),
        (
            "second page",
            query(|q| (q.page, q.page_size) = (2, 2)),
            vec!["update", "update"],
        ),
    ];
    for (name, query, expected) in cases {
        let (rows, _) = audit::list(db, query).await.expect("list");
        let actions: Vec<&str> = rows.iter().map(|row| row.action.as_str()).collect();
        assert_eq!(&actions, expected, "{name}");
    }
    let (rows, total) = audit::list(db, &query(|q| q.page_size = 1))
        .await
        .expect("list");
    assert_eq!((rows.len(), total), (1, 5));
    let newest = &rows[0];
    assert_eq!(newest.user_name, "system");
    assert!(
        newest.at.starts_with("20") && newest.at.ends_with('Z'),
        "{}",
        newest.at
    );
    let (rows, _) = audit::list(db, &query(|q| q.entity_key = Some("660200101".into())))
        .await
        .expect("list");
    assert_eq!(
        rows[0].changes.as_deref(),
        Some(r#"{"agency_name":["旧","新"]}"#)
    );
    assert_eq!(
        (rows[0].ip.as_deref(), rows[0].request_id.as_deref()),
        (Some("127.0.0.1"), Some("req-1"))
    );
}

const CODE_COLUMNS: [&str; 12] = [
    "item_id",
    "element_code",
    "fiscal_year",
    "code",
    "name",
    "parent_code",
    "level_num",
    "is_local",
    "is_enabled",
    "created_at",
    "updated_at",
    "updated_by",
];

fn code_row(
    element: &str,
    year: i64,
    code: &str,
    name: &str,
    parent: Option<&str>,
    level: i64,
) -> Vec<Bind> {
    vec![
        Bind::text(format!("{element}:{year}:{code}")),
        Bind::text(element),
        Bind::Int(Some(year)),
        Bind::text(code),
        Bind::text(name),
        Bind::Text(parent.map(str::to_owned)),
        Bind::Int(Some(level)),
        Bind::Bool(Some(false)),
        Bind::Bool(Some(true)),
        Bind::text(NOW),
        Bind::text(NOW),
        Bind::text("test"),
    ]
}

async fn insert_element(tx: &mut Tx, element: &str) {
    let row = vec![
        Bind::text(element),
        Bind::text("测试要素"),
        Bind::text("test_code"),
        Bind::text("3+2+2"),
        Bind::text("[K]"),
    ];
    let inserted = bulk::insert_rows(
        tx,
        "code_element",
        &[
            "element_code",
            "element_name",
            "std_field",
            "segments",
            "source",
        ],
        vec![row],
    )
    .await;
    assert_eq!(inserted.expect("element"), 1);
}

async fn bulk_insert_crosses_chunks(test_db: TestDb) {
    let db = &test_db.db;
    // 12 columns → 2,500 rows per statement on PostgreSQL, 25 on SQLite: 5,001 rows take
    // three statements on the one and hundreds on the other.
    let n_rows = 2 * (bulk::POSTGRES_BIND_PARAMETERS_MAX / CODE_COLUMNS.len()) + 1;
    assert!(n_rows > 2 * (bulk::SQLITE_BIND_PARAMETERS_MAX / CODE_COLUMNS.len()));
    let mut tx = db.begin().await.expect("begin");
    insert_element(&mut tx, "bulk").await;
    let rows = (0..n_rows)
        .map(|index| {
            code_row(
                "bulk",
                2026,
                &format!("{index:07}"),
                &format!("编码{index}"),
                None,
                3,
            )
        })
        .collect();
    let inserted = bulk::insert_rows(&mut tx, "code_item", &CODE_COLUMNS, rows)
        .await
        .expect("bulk insert");
    assert_eq!(inserted, n_rows as u64);
    assert_eq!(
        bulk::insert_rows(&mut tx, "code_item", &CODE_COLUMNS, Vec::new())
            .await
            .expect("empty"),
        0
    );
    assert_eq!(
        bulk::count_rows(&mut tx, "code_item").await.expect("count"),
        n_rows as i64
    );
    tx.commit().await.expect("commit");
    let query = ListQuery {
        filters: vec![("element_code", "bulk".into())],
        sort: "code",
        descending: true,
        page_size: 1,
        ..ListQuery::first_page(&CODE_ITEM)
    };
    let page = records::list(db, &CODE_ITEM, Viewer::System, &query, Columns::List)
        .await
        .expect("list");
    assert_eq!(page.total, n_rows as i64);
    assert_eq!(
        page.rows[0].get("code"),
        Some(&text(&format!("{:07}", n_rows - 1)))
    );
    // A bulk insert that fails part-way leaves nothing once its transaction is dropped.
    let mut tx = db.begin().await.expect("begin");
    let duplicate_last = (0..3_000)
        .map(|index| {
            code_row(
                "bulk",
                2027,
                &format!("{:07}", index.min(2_999 - 1)),
                "重复",
                None,
                3,
            )
        })
        .collect();
    let failed = bulk::insert_rows(&mut tx, "code_item", &CODE_COLUMNS, duplicate_last).await;
    assert!(
        matches!(failed, Err(StoreError::UniqueViolation)),
        "{failed:?}"
    );
    drop(tx);
    let mut tx = db.begin().await.expect("begin");
    assert_eq!(
        bulk::count_rows(&mut tx, "code_item").await.expect("count"),
        n_rows as i64
    );
}

async fn reroot_moves_a_subtree(test_db: TestDb) {
    let db = &test_db.db;
    load_org(db).await;
    // 660100101 ─ 660100101001 ─ 660100101001001, and a sibling whose path shares a prefix.
    let mut tx = db.begin().await.expect("begin");
    let extra = [
        (
            "660100101001001",
            Some("660100101001"),
            "/660100101/660100101001/660100101001001/",
        ),
        (
            "6601001010011",
            Some("660100101"),
            "/660100101/6601001010011/",
        ),
    ];
    for (code, parent, path) in extra {
        insert_agency(&mut tx, code, "下级单位", "660100000", parent, path, "1", 1)
            .await
            .expect("insert");
    }
    let moved = facts::reroot_agency_paths(
        &mut tx,
        "/660100101/660100101001/",
        "/660100102/660100101001/",
    )
    .await
    .expect("reroot");
    assert_eq!(moved, 2);
    tx.commit().await.expect("commit");
    let expected = [
        ("660100101", "/660100101/"),
        ("660100101001", "/660100102/660100101001/"),
        (
            "660100101001001",
            "/660100102/660100101001/660100101001001/",
        ),
        ("6601001010011", "/660100101/6601001010011/"),
        ("660100102", "/660100102/"),
    ];
    let mut tx = db.begin().await.expect("begin");
    for (code, path) in expected {
        let found = facts::agency(&mut tx, code)
            .await
            .expect("facts")
            .expect("exists");
        assert_eq!(found.agency_path, path, "{code}");
    }
    // Back to the top level: the subtree becomes its own root.
    assert_eq!(
        facts::reroot_agency_paths(&mut tx, "/660100102/660100101001/", "/660100101001/")
            .await
            .expect("reroot"),
        2
    );
    let leaf = facts::agency(&mut tx, "660100101001001")
        .await
        .expect("facts")
        .expect("exists");
    assert_eq!(leaf.agency_path, "/660100101001/660100101001001/");
}

async fn trees_follow_scope(test_db: TestDb) {
    let db = &test_db.db;
    load_org(db).await;
    let nodes = tree::regions(db, Viewer::System).await.expect("regions");
    let codes: Vec<&str> = nodes
        .iter()
        .map(|node| node.mof_div_code.as_str())
        .collect();
    assert_eq!(
        codes,
        [
            "660000000",
            "660100000",
            "660101000",
            "660200000",
            "660201000"
        ],
        "path order, parents first"
    );
    let units: Vec<(&str, i64)> = nodes
        .iter()
        .map(|node| (node.mof_div_code.as_str(), node.units_own_level))
        .collect();
    assert_eq!(
        units,
        [
            ("660000000", 1),
            ("660100000", 3),
            ("660101000", 1),
            ("660200000", 1),
            ("660201000", 1)
        ]
    );
    assert_eq!(nodes[1].parent_mof_div_code.as_deref(), Some("660000000"));
    let division = bureau("660200000");
    let clerk = unit_user("660100101001", false);
    let reviewer = unit_user("660100101", true);
    let region_cases: &[(&str, Viewer<'_>, &[&str])] = &[
        (
            "division",
            Viewer::User(&division),
            &["660200000", "660201000"],
        ),
        ("clerk", Viewer::User(&clerk), &["660100000"]),
    ];
    for (name, viewer, expected) in region_cases {
        let nodes = tree::regions(db, *viewer).await.expect("regions");
        let codes: Vec<&str> = nodes
            .iter()
            .map(|node| node.mof_div_code.as_str())
            .collect();
        assert_eq!(&codes, expected, "{name}");
    }
    let agency_cases: &[(&str, Viewer<'_>, &str, &[&str])] = &[
        (
            "system",
            Viewer::System,
            "660100000",
            &["660100101", "660100101001", "660100102"],
        ),
        (
            "reviewer",
            Viewer::User(&reviewer),
            "660100000",
            &["660100101", "660100101001"],
        ),
        (
            "clerk",
            Viewer::User(&clerk),
            "660100000",
            &["660100101001"],
        ),
        ("other division", Viewer::User(&division), "660100000", &[]),
        (
            "own division",
            Viewer::User(&division),
            "660200000",
            &["660200101"],
        ),
    ];
    for (name, viewer, region, expected) in agency_cases {
        let nodes = tree::agencies(db, *viewer, region).await.expect("agencies");
        let codes: Vec<&str> = nodes.iter().map(|node| node.agency_code.as_str()).collect();
        assert_eq!(&codes, expected, "{name}");
    }
}

async fn copy_year_once(test_db: TestDb) {
    let db = &test_db.db;
    let mut tx = db.begin().await.expect("begin");
    insert_element(&mut tx, "exp_test").await;
    let rows = vec![
        code_row("exp_test", 2026, "201", "一般公共服务支出", None, 1),
        code_row("exp_test", 2026, "20101", "人大事务", Some("201"), 2),
        code_row("exp_test", 2026, "2010101", "行政运行", Some("20101"), 3),
    ];
    bulk::insert_rows(&mut tx, "code_item", &CODE_COLUMNS, rows)
        .await
        .expect("codes");
    assert_eq!(
        codes::copy_year(&mut tx, 2026, 2027, NOW, "admin")
            .await
            .expect("copy"),
        3
    );
    tx.commit().await.expect("commit");

    let year_query = |year: &str| ListQuery {
        filters: vec![("fiscal_year", year.into())],
        ..big_page(&CODE_ITEM)
    };
    let copied = records::list(
        db,
        &CODE_ITEM,
        Viewer::System,
        &year_query("2027"),
        Columns::All,
    )
    .await
    .expect("list")
    .rows;
    let copied: Vec<(String, String, String)> = copied
        .iter()
        .map(|row| {
            (
                row.get("item_id").map(Value::display).unwrap_or_default(),
                row.get("code").map(Value::display).unwrap_or_default(),
                row.get("parent_code")
                    .map(Value::display)
                    .unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        copied,
        [
            (
                "exp_test:2027:201".to_owned(),
                "201".to_owned(),
                String::new()
            ),
            (
                "exp_test:2027:20101".to_owned(),
                "20101".to_owned(),
                "201".to_owned()
            ),
            (
                "exp_test:2027:2010101".to_owned(),
                "2010101".to_owned(),
                "20101".to_owned()
            ),
        ]
    );
    let mut tx = db.begin().await.expect("begin");
    assert_eq!(
        bulk::count_rows(&mut tx, "code_mapping")
            .await
            .expect("count"),
        3
    );
    // The target year exists now: a second copy does nothing.
    assert_eq!(
        codes::copy_year(&mut tx, 2026, 2027, NOW, "admin")
            .await
            .expect("second copy"),
        0
    );
    assert_eq!(
        bulk::count_rows(&mut tx, "code_item").await.expect("count"),
        6
    );
    assert_eq!(
        bulk::count_rows(&mut tx, "code_mapping")
            .await
            .expect("count"),
        3
    );
    assert_eq!(
        facts::current_year(&mut tx, "exp_test")
            .await
            .expect("year"),
        Some(2027)
    );
    let code = facts::code(&mut tx, "exp_test", 2027, "20101")
        .await
        .expect("facts")
        .expect("copied");
    assert_eq!(
        (code.level_num, code.is_local, code.is_enabled),
        (2, false, true)
    );
}

/// 20 tasks each read a counter in a write transaction and write it back plus one. On
/// SQLite the single writer (`BEGIN IMMEDIATE`) serializes them without SQLITE_BUSY; on
/// PostgreSQL `records::get_for_update` locks the row (`FOR UPDATE`). No update is lost.
async fn concurrent_increments_serialize(test_db: TestDb) {
    const N_TASKS: i64 = 20;
    let db = test_db.db.clone();
    load_org(&db).await;
    let mut tx = db.begin().await.expect("begin");
    records::update(
        &mut tx,
        &AGENCY,
        "660100102",
        &[("actu_staf_num", Bind::Int(Some(0)))],
    )
    .await
    .expect("reset");
    tx.commit().await.expect("commit");
    let mut tasks = Vec::new();
    for _ in 0..N_TASKS {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = db.begin().await?;
            let row = records::get_for_update(&mut tx, &AGENCY, Viewer::System, "660100102")
                .await?
                .ok_or_else(|| StoreError::Corrupt("counter row missing".into()))?;
            let count = row
                .get("actu_staf_num")
                .and_then(Value::as_int)
                .unwrap_or_default();
            // Give the other tasks every chance to interleave between the read and the write.
            tokio::task::yield_now().await;
            records::update(
                &mut tx,
                &AGENCY,
                "660100102",
                &[("actu_staf_num", Bind::Int(Some(count + 1)))],
            )
            .await?;
            tx.commit().await
        }));
    }
    for task in tasks {
        task.await
            .expect("task ran")
            .expect("transaction committed");
    }
    let counter = records::get(&db, &AGENCY, Viewer::System, "660100102")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(counter.get("actu_staf_num"), Some(&Value::Int(N_TASKS)));
}
