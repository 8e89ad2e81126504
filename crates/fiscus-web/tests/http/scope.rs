//! Data scope over HTTP, for every list and detail endpoint: a unit user sees its unit only, a
//! competent-department reviewer its department subtree, a division its region subtree —
//! checked against a small reference model of the scope rules, table-driven over
//! `schema::ALL`. Records outside the scope do not exist (404), and neither can be written.

use std::collections::{BTreeSet, HashMap};

use fiscus_core::schema::{ALL, EntitySpec, Scoping};
use fiscus_store::testing::TestDb;
use serde_json::{Value, json};

use crate::helpers::{Api, TestApp, assert_rejected, key_of, segment, spawn, text_of};

fiscus_store::on_both_backends!(reads_stay_inside_the_scope, writes_stay_inside_the_scope);

/// Unit A (first division) and unit B (eighth division, which has its own standards).
const UNIT_A: &str = "660100101001";
const UNIT_B: &str = "660800101001";
const DEPARTMENT_A: &str = "660100101";
const DIVISION_1: &str = "660100000";
const DIVISION_2: &str = "660800000";

/// Whose scope, in the terms of the reference model.
#[derive(Clone, Debug)]
enum Seen {
    Unit(&'static str),
    Department(&'static str),
    Bureau(&'static str),
}

/// What the corps administrator sees: the whole demo, and the facts the model needs.
struct World {
    region_paths: HashMap<String, String>,
    unit_regions: HashMap<String, String>,
    unit_parents: HashMap<String, String>,
    rows: HashMap<&'static str, Vec<Value>>,
}

impl World {
    async fn load(admin: &Api) -> World {
        let tree = admin.get("/api/v1/regions/tree").await;
        let region_paths = tree
            .items()
            .iter()
            .map(|node| (text_of(node, "mof_div_code"), text_of(node, "region_path")))
            .collect();
        let mut rows = HashMap::new();
        for spec in ALL.iter().filter(|spec| spec.scoping != Scoping::Global) {
            rows.insert(spec.name, admin.all_rows(spec.name, "").await);
        }
        let units = &rows["agencies"];
        let unit_regions = units
            .iter()
            .map(|unit| (text_of(unit, "agency_code"), text_of(unit, "mof_div_code")))
            .collect();
        let unit_parents = units
            .iter()
            .map(|unit| {
                (
                    text_of(unit, "agency_code"),
                    text_of(unit, "parent_agency_code"),
                )
            })
            .collect();
        World {
            region_paths,
            unit_regions,
            unit_parents,
            rows,
        }
    }

    fn path(&self, region: &str) -> &str {
        self.region_paths
            .get(region)
            .map(String::as_str)
            .unwrap_or("?")
    }

    /// The region a row belongs to.
    fn region_of(&self, entity: &str, row: &Value) -> String {
        match entity {
            "accounts" | "persons" => self
                .unit_regions
                .get(&text_of(row, "agency_code"))
                .cloned()
                .unwrap_or_default(),
            _ => text_of(row, "mof_div_code"),
        }
    }

    fn is_under(&self, unit: &str, department: &str) -> bool {
        let mut current = unit.to_owned();
        for _ in 0..10 {
            if current == department {
                return true;
            }
            match self.unit_parents.get(&current) {
                Some(parent) if !parent.is_empty() => current = parent.clone(),
                _ => return false,
            }
        }
        false
    }

    /// The reference model of `records::push_scope`.
    fn visible(&self, seen: &Seen, spec: &EntitySpec, row: &Value) -> bool {
        let row_path = self.path(&self.region_of(spec.name, row)).to_owned();
        let unit = text_of(row, "agency_code");
        let own_path = match seen {
            Seen::Unit(code) | Seen::Department(code) => {
                self.path(&self.unit_regions[*code]).to_owned()
            }
            Seen::Bureau(region) => self.path(region).to_owned(),
        };
        match (spec.scoping, seen) {
            (Scoping::Global, _) => true,
            (Scoping::RegionTree | Scoping::Org, Seen::Bureau(_)) => {
                row_path.starts_with(&own_path)
            }
            (Scoping::RegionTree, _) => row_path == own_path,
            (Scoping::Org, Seen::Department(department)) => self.is_under(&unit, department),
            (Scoping::Org, Seen::Unit(own)) => unit == *own,
            (Scoping::RegionAndAncestors, Seen::Bureau(_)) => {
                own_path.starts_with(&row_path) || row_path.starts_with(&own_path)
            }
            (Scoping::RegionAndAncestors, _) => own_path.starts_with(&row_path),
        }
    }
}

fn key_set(entity: &str, rows: &[Value]) -> BTreeSet<String> {
    rows.iter().map(|row| key_of(entity, row)).collect()
}

/// (user, scope, reads users): users and the audit log are for administrators and auditors.
fn actors() -> Vec<(&'static str, Seen, bool)> {
    vec![
        ("u660100101001_clerk", Seen::Unit(UNIT_A), false),
        ("unit_a_auditor", Seen::Unit(UNIT_A), true),
        ("u660100101_reviewer", Seen::Department(DEPARTMENT_A), false),
        ("div01_budget", Seen::Bureau(DIVISION_1), false),
        ("div01_auditor", Seen::Bureau(DIVISION_1), true),
        ("reg0101_budget", Seen::Bureau("660101000"), false),
    ]
}

/// An auditor inside unit A, so that the users list is checked at unit level too.
async fn create_unit_auditor(admin: &Api) {
    let body = json!({ "user_name": "unit_a_auditor", "display_name": "单位审计", "mof_div_code": DIVISION_1, "agency_code": UNIT_A,
                       "roles": "auditor", "password": "Audit0r2026x" });
    let created = admin.post("/api/v1/users", &body).await;
    assert_eq!(created.status, 201, "{}", created.text());
}

async fn reads_stay_inside_the_scope(test_db: TestDb) {
    let server = spawn(test_db, true).await;
    let admin = server.as_user("admin").await;
    create_unit_auditor(&admin).await;
    let world = World::load(&admin).await;
    for (user_name, seen, reads_users) in actors() {
        let api = server.as_user(user_name).await;
        for spec in ALL {
            check_entity(&api, &world, user_name, &seen, reads_users, spec).await;
        }
    }
    check_trees(&server).await;
}

async fn check_entity(
    api: &Api,
    world: &World,
    user_name: &str,
    seen: &Seen,
    reads_users: bool,
    spec: &'static EntitySpec,
) {
    let name = spec.name;
    let context = format!("{user_name} {name}");
    if name == "users" && !reads_users {
        assert_rejected(&api.get("/api/v1/users").await, 403, "forbidden", &context);
        assert_rejected(
            &api.get("/api/v1/users/admin").await,
            403,
            "forbidden",
            &context,
        );
        return;
    }
    if spec.scoping == Scoping::Global {
        let reply = api.get(&format!("/api/v1/{name}?page_size=1")).await;
        assert_eq!(
            reply.status, 200,
            "{context}: code tables are read by everyone"
        );
        assert!(
            reply.json()["total"].as_i64().unwrap_or_default() > 0,
            "{context}"
        );
        return;
    }
    let all = &world.rows[name];
    let (visible, hidden): (Vec<&Value>, Vec<&Value>) =
        all.iter().partition(|row| world.visible(seen, spec, row));
    let expected: BTreeSet<String> = visible.iter().map(|row| key_of(name, row)).collect();
    let listed = api.all_rows(name, "").await;
    assert_eq!(
        key_set(name, &listed),
        expected,
        "{context}: the list holds exactly the rows in scope"
    );
    assert!(!expected.is_empty(), "{context}: the scope is not empty");
    assert!(!hidden.is_empty(), "{context}: something is out of scope");

    let first_visible = visible
        .first()
        .map(|row| key_of(name, row))
        .unwrap_or_default();
    let detail = api
        .get(&format!("/api/v1/{name}/{}", segment(&first_visible)))
        .await;
    assert_eq!(detail.status, 200, "{context}: detail of {first_visible}");
    // One hidden row of the other division and one of the same division, where there are.
    let other_division = hidden
        .iter()
        .find(|row| world.region_of(name, row).starts_with(&DIVISION_2[..4]));
    let same_division = hidden
        .iter()
        .find(|row| world.region_of(name, row).starts_with(&DIVISION_1[..4]));
    let probes: Vec<&&Value> = other_division.into_iter().chain(same_division).collect();
    assert!(!probes.is_empty(), "{context}: a hidden row to probe");
    for row in probes {
        let key = key_of(name, row);
        let path = format!("/api/v1/{name}/{}", segment(&key));
        assert_rejected(
            &api.get(&path).await,
            404,
            "not_found",
            &format!("{context}: detail of hidden {key}"),
        );
        assert_rejected(
            &api.get(&format!("{path}/history")).await,
            404,
            "not_found",
            &format!("{context}: history of hidden {key}"),
        );
    }
    // A search for the hidden key finds nothing either.
    let hidden_key = key_of(name, hidden[0]);
    if spec.field(spec.key).is_some_and(|field| field.search) {
        let searched = api
            .get(&format!("/api/v1/{name}?q={}", segment(&hidden_key)))
            .await;
        assert!(
            searched
                .items()
                .iter()
                .all(|row| key_of(name, row) != hidden_key),
            "{context}: search of {hidden_key}"
        );
    }
}

async fn check_trees(server: &TestApp) {
    let clerk = server.as_user("u660100101001_clerk").await;
    let regions = clerk.get("/api/v1/regions/tree").await.items();
    let codes: Vec<String> = regions
        .iter()
        .map(|node| text_of(node, "mof_div_code"))
        .collect();
    assert_eq!(
        codes,
        [DIVISION_1],
        "a unit user's region tree is its own region"
    );
    let units = clerk
        .get(&format!("/api/v1/agencies/tree?mof_div_code={DIVISION_1}"))
        .await
        .items();
    let codes: Vec<String> = units
        .iter()
        .map(|node| text_of(node, "agency_code"))
        .collect();
    assert_eq!(codes, [UNIT_A]);
    assert!(
        clerk
            .get(&format!("/api/v1/agencies/tree?mof_div_code={DIVISION_2}"))
            .await
            .items()
            .is_empty()
    );

    let reviewer = server.as_user("u660100101_reviewer").await;
    let units = reviewer.get("/api/v1/agencies/tree").await.items();
    assert!(units.len() >= 2, "the department and its units");
    assert!(
        units
            .iter()
            .all(|node| text_of(node, "agency_code").starts_with(DEPARTMENT_A)),
        "{units:?}"
    );

    let division = server.as_user("div01_budget").await;
    let regions = division.get("/api/v1/regions/tree").await.items();
    assert_eq!(
        text_of(&regions[0], "mof_div_code"),
        DIVISION_1,
        "parents first"
    );
    assert!(
        regions.len() > 1
            && regions
                .iter()
                .all(|node| text_of(node, "region_path").starts_with("/660000000/660100000/"))
    );
}

async fn first_key(api: &Api, entity: &str, filters: &str) -> String {
    let rows = api
        .get(&format!("/api/v1/{entity}?page_size=1{filters}"))
        .await
        .items();
    rows.first()
        .map(|row| key_of(entity, row))
        .unwrap_or_else(|| panic!("no {entity} with {filters}"))
}

async fn writes_stay_inside_the_scope(test_db: TestDb) {
    let server = spawn(test_db, true).await;
    let admin = server.as_user("admin").await;
    let clerk = server.as_user("u660100101001_clerk").await;
    let division_admin = server.as_user("div01_admin").await;
    let division_budget = server.as_user("div01_budget").await;
    let person_b = first_key(&admin, "persons", &format!("&agency_code={UNIT_B}")).await;
    let person_department =
        first_key(&admin, "persons", &format!("&agency_code={DEPARTMENT_A}")).await;
    let person_a = first_key(&admin, "persons", &format!("&agency_code={UNIT_A}")).await;
    let user_division_2 = first_key(&admin, "users", &format!("&mof_div_code={DIVISION_2}")).await;
    let before_b = admin
        .get(&format!("/api/v1/persons/{person_b}"))
        .await
        .json();
    let (n_persons, n_users, n_audit) = (
        server.count("person").await,
        server.count("app_user").await,
        server.count("audit_log").await,
    );

    let rename = json!({ "per_name": "越权修改" });
    let refused: &[(&str, &Api, &str, &str, Value, u16, &str)] = &[
        (
            "clerk edits unit B's person",
            &clerk,
            "PATCH",
            &format!("/api/v1/persons/{person_b}"),
            rename.clone(),
            404,
            "not_found",
        ),
        (
            "clerk edits its department's person",
            &clerk,
            "PATCH",
            &format!("/api/v1/persons/{person_department}"),
            rename.clone(),
            404,
            "not_found",
        ),
        (
            "clerk disables unit B's person",
            &clerk,
            "POST",
            &format!("/api/v1/persons/{person_b}/disable"),
            json!({}),
            404,
            "not_found",
        ),
        (
            "clerk disables unit B",
            &clerk,
            "POST",
            &format!("/api/v1/agencies/{UNIT_B}/disable"),
            json!({}),
            404,
            "not_found",
        ),
        (
            "clerk edits unit B",
            &clerk,
            "PATCH",
            &format!("/api/v1/agencies/{UNIT_B}"),
            json!({ "agency_name": "越权" }),
            404,
            "not_found",
        ),
        (
            "clerk adds a person to unit B",
            &clerk,
            "POST",
            "/api/v1/persons",
            json!({ "agency_code": UNIT_B, "per_name": "越权", "iden_type_code": "01", "iden_no": "11010519491231002X", "sex_code": "1", "per_ide_code": "1", "per_sta_code": "1" }),
            422,
            "parent_unknown",
        ),
        (
            "clerk moves its person to unit B",
            &clerk,
            "PATCH",
            &format!("/api/v1/persons/{person_a}"),
            json!({ "agency_code": UNIT_B }),
            422,
            "parent_unknown",
        ),
        (
            "division admin creates a user in division 2",
            &division_admin,
            "POST",
            "/api/v1/users",
            json!({ "user_name": "intruder", "display_name": "越权", "mof_div_code": DIVISION_2, "roles": "budget_division", "password": "Passw0rd2026" }),
            422,
            "parent_unknown",
        ),
        (
            "division admin creates a user in unit B",
            &division_admin,
            "POST",
            "/api/v1/users",
            json!({ "user_name": "intruder", "display_name": "越权", "mof_div_code": DIVISION_1, "agency_code": UNIT_B, "roles": "unit_clerk", "password": "Passw0rd2026" }),
            422,
            "parent_unknown",
        ),
        (
            "division admin edits a user of division 2",
            &division_admin,
            "PATCH",
            &format!("/api/v1/users/{user_division_2}"),
            json!({ "display_name": "越权" }),
            404,
            "not_found",
        ),
        (
            "division admin resets a password in division 2",
            &division_admin,
            "POST",
            &format!("/api/v1/users/{user_division_2}/reset-password"),
            json!({ "new_password": "Passw0rd2026" }),
            404,
            "not_found",
        ),
        (
            "division edits unit B",
            &division_budget,
            "PATCH",
            &format!("/api/v1/agencies/{UNIT_B}"),
            json!({ "agency_name": "越权" }),
            404,
            "not_found",
        ),
        (
            "clerk reads the audit log",
            &clerk,
            "GET",
            "/api/v1/audit-log",
            Value::Null,
            403,
            "forbidden",
        ),
        (
            "clerk reads the users",
            &clerk,
            "GET",
            "/api/v1/users",
            Value::Null,
            403,
            "forbidden",
        ),
        (
            "clerk writes a region",
            &clerk,
            "PATCH",
            &format!("/api/v1/regions/{DIVISION_1}"),
            json!({ "mof_div_name": "越权" }),
            403,
            "forbidden",
        ),
        (
            "clerk reveals unit B's identity number",
            &clerk,
            "GET",
            &format!("/api/v1/persons/{person_b}/identity"),
            Value::Null,
            404,
            "not_found",
        ),
    ];
    for (name, api, method, path, body, status, code) in refused {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let reply = match method {
            reqwest::Method::GET => api.get(path).await,
            _ => {
                api.send(method, path, crate::helpers::Body::Json(body))
                    .await
            }
        };
        assert_rejected(&reply, *status, code, name);
    }
    let after = (
        server.count("person").await,
        server.count("app_user").await,
        server.count("audit_log").await,
    );
    assert_eq!(after, (n_persons, n_users, n_audit), "nothing was written");
    assert_eq!(
        admin
            .get(&format!("/api/v1/persons/{person_b}"))
            .await
            .json(),
        before_b,
        "unit B's person is unchanged"
    );

    // Inside the scope the same writes succeed.
    let own = clerk
        .patch(
            &format!("/api/v1/persons/{person_a}"),
            &json!({ "per_name": "本单位修改" }),
        )
        .await;
    assert_eq!(
        (own.status, text_of(&own.json(), "per_name").as_str()),
        (200, "本单位修改"),
        "{}",
        own.text()
    );
    let body = json!({ "user_name": "div01_new", "display_name": "新用户", "mof_div_code": "660101000", "roles": "budget_division", "password": "Passw0rd2026" });
    assert_eq!(
        division_admin.post("/api/v1/users", &body).await.status,
        201
    );
}
