//! The demo generator: the small demo loads on both backends with valid, consistent records,
//! a second load is refused, and the in-memory generation is deterministic.

// Tests fail loudly: `expect` is the assertion here.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};

use fiscus_app::demo::{self, DEMO_PASSWORD, DemoData, Scale};
use fiscus_app::settings::Secret;
use fiscus_app::{App, AppError, Settings};
use fiscus_core::masterdata::Record;
use fiscus_core::query::ListQuery;
use fiscus_core::schema::{self, Edit, EntitySpec, FieldKind, FieldSpec, Scoping};
use fiscus_core::{IdentityNumber, Resource, RoleSet, UnifiedSocialCreditCode, code::UserName};
use fiscus_store::audit::AuditQuery;
use fiscus_store::records::{self, Columns, Viewer};
use fiscus_store::testing::TestDb;

fiscus_store::on_both_backends!(small_demo_counts);

const fn stored_text(name: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        label: name,
        kind: FieldKind::Text,
        required: false,
        length_max: 200,
        edit: Edit::Never,
        list: true,
        search: false,
        sort: true,
        filter: false,
    }
}

/// The person columns the regular spec never reads back: the identity ciphertext.
static PERSON_IDENTITY: EntitySpec = EntitySpec {
    name: "person-identity",
    label: "人员证件",
    table: "person",
    key: "per_id",
    resource: Resource::Person,
    fields: &[
        stored_text("per_id"),
        stored_text("iden_no_cipher"),
        stored_text("iden_no_masked"),
        stored_text("sex_code"),
    ],
    default_sort: "per_id",
    scoping: Scoping::Org,
};

async fn all_rows(
    app: &App,
    spec: &'static EntitySpec,
    filters: Vec<(&'static str, String)>,
) -> Vec<Record> {
    let query = ListQuery {
        search: None,
        filters,
        sort: spec.key,
        descending: false,
        page: 1,
        page_size: 1_000_000,
    };
    records::list(&app.db, spec, Viewer::System, &query, Columns::All)
        .await
        .expect("list")
        .rows
}

fn text<'a>(record: &'a Record, name: &str) -> &'a str {
    record
        .get(name)
        .and_then(|value| value.as_text())
        .unwrap_or_default()
}

async fn small_demo_counts(test_db: TestDb) {
    let settings = Settings {
        secret_key: Secret::new("ab".repeat(32)),
        ..Default::default()
    };
    let app = App::new(test_db.db.clone(), settings).expect("app");
    let summary = demo::run(&app, Scale::Small).await.expect("demo loads");
    assert_eq!(summary.count("regions"), Some(164));
    let n_units = summary.count("units").unwrap_or(0);
    assert!(n_units >= 400, "{n_units} units");
    assert!(
        summary.count("codes").unwrap_or(0) > 0 && summary.count("code_mappings").unwrap_or(0) > 0
    );
    check_budget(&app, &summary).await;

    let units = all_rows(&app, &schema::AGENCY, Vec::new()).await;
    assert_eq!(units.len() as i64, n_units);
    let zero_balance_filters = vec![
        ("acc_type_code", "21".to_owned()),
        ("is_enabled", "true".to_owned()),
    ];
    let zero_balance_accounts = all_rows(&app, &schema::AGENCY_ACCOUNT, zero_balance_filters).await;
    let mut accounts_per_unit: HashMap<&str, usize> = HashMap::new();
    for account in &zero_balance_accounts {
        *accounts_per_unit
            .entry(text(account, "agency_code"))
            .or_default() += 1;
    }
    for unit in &units {
        assert_eq!(
            accounts_per_unit.get(text(unit, "agency_code")),
            Some(&1),
            "{}",
            text(unit, "agency_code")
        );
        assert!(UnifiedSocialCreditCode::parse(text(unit, "unifsoc_cred_code")).is_ok());
    }
    assert_eq!(zero_balance_accounts.len(), units.len());

    check_identity_numbers(&app, summary.count("persons").unwrap_or(0)).await;
    check_logins(&app).await;

    let refused = demo::run(&app, Scale::Small).await;
    assert!(
        matches!(&refused, Err(AppError::Internal(message)) if message.contains("not empty")),
        "{refused:?}"
    );
    assert_eq!(
        all_rows(&app, &schema::AGENCY, Vec::new()).await.len() as i64,
        n_units
    );
    let audit_query = AuditQuery {
        action: Some("demo_loaded".into()),
        page: 1,
        page_size: 10,
        ..AuditQuery::default()
    };
    let (audit_rows, _) = fiscus_store::audit::list(&app.db, &audit_query)
        .await
        .expect("audit");
    assert_eq!(audit_rows.len(), 1);
    assert_eq!(audit_rows[0].user_name, "system");
}

/// Every identity number decrypts to a valid number whose masked form and sex are stored.
async fn check_identity_numbers(app: &App, n_persons: i64) {
    let persons = all_rows(app, &PERSON_IDENTITY, Vec::new()).await;
    assert_eq!(persons.len() as i64, n_persons);
    assert!(n_persons >= 3 * 400);
    for person in &persons {
        let plaintext = app
            .cipher
            .decrypt(text(person, "iden_no_cipher"))
            .expect("decrypts");
        let number = IdentityNumber::parse(&plaintext).expect("valid identity number");
        assert_eq!(number.masked(), text(person, "iden_no_masked"));
        let sequence_digit = plaintext.as_bytes()[16] - b'0';
        let expected_sex = if sequence_digit % 2 == 1 { "1" } else { "2" };
        assert_eq!(text(person, "sex_code"), expected_sex);
    }
}

/// The advertised logins exist, hold their role and accept the demo password.
async fn check_logins(app: &App) {
    let logins = demo::logins(Scale::Small);
    let levels: Vec<&str> = logins.iter().map(|login| login.level).collect();
    assert_eq!(levels, ["兵团", "师", "团", "单位", "主管部门"]);
    for login in &logins {
        let user = fiscus_store::auth::user_by_name(&app.db, &login.user_name)
            .await
            .expect("read")
            .expect("login exists");
        let roles = RoleSet::parse_list(&user.roles).expect("roles");
        assert!(
            roles.iter().any(|role| role.code() == login.role),
            "{}",
            login.user_name
        );
        assert!(user.must_change_password);
    }
    let admin = fiscus_store::auth::user_by_name(&app.db, "admin")
        .await
        .expect("read")
        .expect("admin");
    assert!(fiscus_app::auth::verify_password(
        &admin.password_hash,
        DEMO_PASSWORD
    ));
}

#[test]
fn generation_is_deterministic() {
    let first = demo::generate(Scale::Small);
    let second = demo::generate(Scale::Small);
    assert_eq!(first.units, second.units);
    assert_eq!(first.users, second.users);
    assert_eq!(first.persons, second.persons);
    assert_eq!(first, second);
    assert_eq!(demo::logins(Scale::Small), demo::logins(Scale::Small));
    check_consistency(&first);
}

#[test]
fn corps_scale_is_big_enough() {
    let data = demo::generate(Scale::Corps);
    assert!(data.units.len() >= 4_500, "{} units", data.units.len());
    assert!(data.users.len() >= 15_000, "{} users", data.users.len());
    for level in 1..=3 {
        assert!(
            data.units
                .iter()
                .filter(|unit| unit.region_level == level)
                .count()
                >= 100,
            "level {level}"
        );
    }
    check_consistency(&data);
}

/// Keys unique, codes valid, parents before children, staffing equal to the persons.
fn check_consistency(data: &DemoData) {
    assert_eq!(data.regions.len(), 164);
    assert_eq!(
        data.regions
            .iter()
            .filter(|region| region.level_num == 3)
            .count(),
        149
    );
    let mut agency_codes = HashSet::new();
    for unit in &data.units {
        if let Some(parent) = &unit.parent_agency_code {
            assert!(
                agency_codes.contains(parent.as_str()),
                "parent of {} comes first",
                unit.agency_code
            );
            assert!(unit.agency_code.starts_with(parent.as_str()));
        }
        assert!(
            agency_codes.insert(unit.agency_code.as_str()),
            "{} twice",
            unit.agency_code
        );
        assert!(unit.agency_code.starts_with(&unit.mof_div_code[..6]));
        assert!(
            unit.agency_path
                .ends_with(&format!("/{}/", unit.agency_code))
        );
    }
    let mut in_service_per_unit: HashMap<&str, i64> = HashMap::new();
    let mut per_ids = HashSet::new();
    for person in &data.persons {
        assert!(per_ids.insert(person.per_id.as_str()));
        assert_eq!(person.per_id.len(), 32);
        assert!(IdentityNumber::parse(person.iden_no.as_str()).is_ok());
        if person.per_sta_code == "1" {
            *in_service_per_unit
                .entry(person.agency_code.as_str())
                .or_default() += 1;
        }
        if let (Some(pos_fen), Some(grad_fen), Some(pension_fen)) = (
            person.pay.pos_sala_fen,
            person.pay.grad_sala_fen,
            person.pay.ded_end_ins_fen,
        ) {
            assert_eq!(pension_fen, ((pos_fen + grad_fen) * 8 + 50) / 100);
        }
    }
    for unit in &data.units {
        assert_eq!(
            in_service_per_unit
                .get(unit.agency_code.as_str())
                .copied()
                .unwrap_or(0),
            unit.actu_staf_num,
            "{}",
            unit.agency_code
        );
    }
    let mut user_names = HashSet::new();
    for user in &data.users {
        assert!(
            UserName::parse(&user.user_name).is_ok(),
            "{}",
            user.user_name
        );
        assert!(
            user_names.insert(user.user_name.as_str()),
            "{} twice",
            user.user_name
        );
    }
}

/// The 2027 compilation: sheets in every stage, about ten lines each, the reviewed ones
/// passing every cross-check, and the submitted ones in the real flow.
async fn check_budget(app: &App, summary: &demo::DemoSummary) {
    let n_sheets = summary.count("budget_sheets").unwrap_or(0);
    let n_lines = summary.count("budget_lines").unwrap_or(0);
    assert!(n_sheets > 100, "{n_sheets} budget sheets");
    assert!(n_lines >= n_sheets * 8, "{n_lines} lines");
    assert!(summary.count("projects").unwrap_or(0) >= n_sheets * 2);
    assert!(summary.count("budget_submitted").unwrap_or(0) > 0);
    let query = fiscus_store::budget::SheetQuery {
        fiscal_year: demo::budget::BUDGET_YEAR,
        limit: 100_000,
        ..Default::default()
    };
    let (sheets, total) = fiscus_store::budget::sheets(&app.db, Viewer::System, &query)
        .await
        .expect("sheets");
    assert_eq!(total, n_sheets);
    let mut stages: HashMap<(String, String), usize> = HashMap::new();
    for row in &sheets {
        *stages
            .entry((row.sheet.stage.clone(), row.sheet.status.clone()))
            .or_default() += 1;
        assert_eq!(row.sheet.expense_fen, row.sheet.income_fen, "balanced");
        assert_eq!(
            row.sheet.status == "submitted",
            row.sheet.doc_id.is_some(),
            "only sheets in review have a flow document"
        );
    }
    for stage in [
        ("two_up", "reviewed"),
        ("two_up", "draft"),
        ("two_up", "submitted"),
        ("one_up", "draft"),
    ] {
        assert!(
            stages.contains_key(&(stage.0.to_owned(), stage.1.to_owned())),
            "{stage:?}"
        );
    }
    // Every reviewed sheet passes its cross-checks, as the unit's clerk sees them.
    for row in sheets
        .iter()
        .filter(|row| row.sheet.status == "reviewed")
        .take(20)
    {
        let user =
            fiscus_store::auth::user_by_name(&app.db, &format!("u{}_clerk", row.sheet.agency_code))
                .await
                .expect("read")
                .expect("clerk");
        let clerk = fiscus_app::auth::principal_of(&user).expect("principal");
        let view = app
            .budget_sheet(&clerk, demo::budget::BUDGET_YEAR, &row.sheet.agency_code)
            .await
            .expect("sheet");
        assert!(view.lines.len() >= 8);
        for check in &view.checks {
            assert!(
                check.ok,
                "{} {}: {}",
                row.sheet.agency_code, check.name, check.detail
            );
        }
    }
}
