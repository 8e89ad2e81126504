//! Storage of the flow engine on SQLite and PostgreSQL alike: definitions by version, the
//! revision guard of an instance, task upserts that keep their first times, the inbox (page,
//! filter, search, counts), 已办, history order, candidate queries matching whole role codes,
//! and document visibility (scope, submitter, task holder).

// Tests fail loudly: `expect` is the assertion here.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use fiscus_core::{AgencyCode, DataScope, MofDivCode};
use fiscus_store::flow::{
    self, DefinitionRow, DocumentRow, HistoryRow, InboxQuery, InstanceRow, InstanceUpdate, TaskRow,
    UserWhere,
};
use fiscus_store::testing::TestDb;
use fiscus_store::{Bind, Db, bulk};

fiscus_store::on_both_backends!(
    definitions_by_version,
    revision_guard_and_tasks,
    inbox_pages_and_counts,
    candidates_and_visibility,
);

const NOW: &str = "2026-01-05T08:00:00Z";

/// Two regions, a department with one unit under it, and users with role lists.
async fn seed(db: &Db) {
    let mut tx = db.begin().await.expect("begin");
    let region = |code: &str, parent: Option<&str>, level: i64, path: &str| {
        vec![
            Bind::text(code),
            Bind::text(format!("区划{code}")),
            Bind::Text(parent.map(str::to_owned)),
            Bind::Int(Some(level)),
            Bind::text(path),
            Bind::text(NOW),
            Bind::text(NOW),
            Bind::text("t"),
        ]
    };
    bulk::insert_rows(
        &mut tx,
        "region",
        &[
            "mof_div_code",
            "mof_div_name",
            "parent_mof_div_code",
            "level_num",
            "region_path",
            "created_at",
            "updated_at",
            "updated_by",
        ],
        vec![
            region("660000000", None, 1, "/660000000/"),
            region("660100000", Some("660000000"), 2, "/660000000/660100000/"),
        ],
    )
    .await
    .expect("regions");
    let agency = |code: &str, parent: Option<&str>, path: &str| {
        vec![
            Bind::text(code),
            Bind::text(format!("单位{code}")),
            Bind::text("660100000"),
            Bind::Text(parent.map(str::to_owned)),
            Bind::text("1"),
            Bind::text("1"),
            Bind::text(path),
            Bind::text(NOW),
            Bind::text(NOW),
            Bind::text("t"),
        ]
    };
    bulk::insert_rows(
        &mut tx,
        "agency",
        &[
            "agency_code",
            "agency_name",
            "mof_div_code",
            "parent_agency_code",
            "agency_type",
            "fund_guar",
            "agency_path",
            "created_at",
            "updated_at",
            "updated_by",
        ],
        vec![
            agency("101", None, "/101/"),
            agency("101001", Some("101"), "/101/101001/"),
        ],
    )
    .await
    .expect("agencies");
    let user = |name: &str, region: &str, agency: Option<&str>, roles: &str, enabled: bool| {
        vec![
            Bind::text(name),
            Bind::text(name),
            Bind::text(region),
            Bind::Text(agency.map(str::to_owned)),
            Bind::text(roles),
            Bind::text("x"),
            Bind::Bool(Some(enabled)),
            Bind::text(NOW),
            Bind::text(NOW),
            Bind::text("t"),
        ]
    };
    bulk::insert_rows(
        &mut tx,
        "app_user",
        &[
            "user_name",
            "display_name",
            "mof_div_code",
            "agency_code",
            "roles",
            "password_hash",
            "is_enabled",
            "created_at",
            "updated_at",
            "updated_by",
        ],
        vec![
            user("clerk", "660100000", Some("101001"), "unit_clerk", true),
            user(
                "approver_b",
                "660100000",
                Some("101001"),
                "unit_clerk,unit_approver",
                true,
            ),
            user(
                "approver_a",
                "660100000",
                Some("101001"),
                "unit_approver",
                true,
            ),
            user(
                "approver_off",
                "660100000",
                Some("101001"),
                "unit_approver",
                false,
            ),
            user("reviewer", "660100000", Some("101"), "dept_reviewer", true),
            user("budget", "660100000", None, "budget_division", true),
            user("corps_budget", "660000000", None, "budget_division", true),
        ],
    )
    .await
    .expect("users");
    flow::insert_definition(&mut tx, &definition("f", 1, "published"), NOW)
        .await
        .expect("definition");
    tx.commit().await.expect("commit");
}

fn definition(flow_code: &str, version: i64, status: &str) -> DefinitionRow {
    DefinitionRow {
        flow_code: flow_code.into(),
        version,
        doc_type: "unit_change".into(),
        name: "流程".into(),
        definition_json: "{}".into(),
        status: status.into(),
        published_at: Some(format!("2026-01-0{version}T00:00:00Z")),
        published_by: Some("admin".into()),
    }
}

fn document(doc_id: &str, title: &str) -> DocumentRow {
    DocumentRow {
        doc_id: doc_id.into(),
        doc_type: "unit_change".into(),
        title: title.into(),
        mof_div_code: "660100000".into(),
        agency_code: Some("101001".into()),
        amount_fen: 0,
        payload: "{}".into(),
        status: "in_progress".into(),
        submitter: "clerk".into(),
        created_at: NOW.into(),
        updated_at: NOW.into(),
    }
}

fn task(instance_id: &str, task_id: i64, assignee: &str, status: &str, title: &str) -> TaskRow {
    TaskRow {
        instance_id: instance_id.into(),
        task_id,
        node_code: "unit_review".into(),
        assignee: assignee.into(),
        status: status.into(),
        due_at: None,
        created_at: format!("2026-01-05T08:00:{:02}Z", task_id % 60),
        done_at: (status != "open").then(|| NOW.to_owned()),
        doc_type: "unit_change".into(),
        doc_id: instance_id.replace("i-", "d-"),
        title: title.into(),
        mof_div_code: "660100000".into(),
        agency_code: Some("101001".into()),
        amount_fen: 0,
    }
}

/// A document with its instance: `d-<n>` and `i-<n>`.
async fn document_with_instance(db: &Db, n: u32, title: &str) -> InstanceRow {
    let instance = InstanceRow {
        instance_id: format!("i-{n}"),
        doc_id: format!("d-{n}"),
        flow_code: "f".into(),
        version: 1,
        state_json: "{}".into(),
        revision: 0,
    };
    let mut tx = db.begin().await.expect("begin");
    flow::insert_document(&mut tx, &document(&instance.doc_id, title))
        .await
        .expect("document");
    flow::insert_instance(&mut tx, &instance, "draft")
        .await
        .expect("instance");
    tx.commit().await.expect("commit");
    instance
}

async fn definitions_by_version(test_db: TestDb) {
    let db = &test_db.db;
    seed(db).await;
    let mut tx = db.begin().await.expect("begin");
    assert_eq!(flow::max_version(&mut tx, "f").await.expect("max"), Some(1));
    assert_eq!(flow::max_version(&mut tx, "g").await.expect("max"), None);
    flow::insert_definition(&mut tx, &definition("f", 2, "published"), NOW)
        .await
        .expect("v2");
    let retired = flow::retire_other_published(&mut tx, "unit_change", "f", 2, NOW)
        .await
        .expect("retire");
    assert_eq!(retired, 1);
    let latest = flow::latest_published(&mut tx, "unit_change")
        .await
        .expect("latest");
    assert_eq!(latest.map(|row| row.version), Some(2));
    let pinned = flow::definition(&mut tx, "f", 1)
        .await
        .expect("v1")
        .expect("kept");
    assert_eq!(pinned.status, "retired");
    assert!(
        flow::has_definition_for(&mut tx, "unit_change")
            .await
            .expect("has")
    );
    assert!(
        !flow::has_definition_for(&mut tx, "adjustment")
            .await
            .expect("has")
    );
    tx.commit().await.expect("commit");
    let all = flow::definitions(db).await.expect("list");
    assert_eq!(
        all.iter().map(|row| row.version).collect::<Vec<_>>(),
        vec![1, 2]
    );
}

async fn revision_guard_and_tasks(test_db: TestDb) {
    let db = &test_db.db;
    seed(db).await;
    let instance = document_with_instance(db, 1, "变更").await;
    let update = |status: &'static str| InstanceUpdate {
        status,
        current_node: Some("unit_review"),
        state_json: format!("{{\"s\":\"{status}\"}}"),
        submitted_at: Some(NOW.into()),
        finished_at: None,
    };
    let mut tx = db.begin().await.expect("begin");
    let loaded = flow::instance_for_update(&mut tx, "d-1")
        .await
        .expect("load")
        .expect("row");
    assert_eq!(loaded.revision, 0);
    assert!(
        flow::save_instance(&mut tx, &instance.instance_id, 0, &update("in_progress"))
            .await
            .expect("save")
    );
    // The second writer read revision 0 too: refused, nothing written.
    assert!(
        !flow::save_instance(&mut tx, &instance.instance_id, 0, &update("approved"))
            .await
            .expect("save")
    );
    flow::upsert_tasks(&mut tx, &[task("i-1", 1, "approver_a", "open", "变更")])
        .await
        .expect("insert");
    let mut closed = task("i-1", 1, "approver_a", "approved", "变更");
    closed.created_at = "2030-01-01T00:00:00Z".into();
    flow::upsert_tasks(&mut tx, &[closed.clone()])
        .await
        .expect("update");
    closed.done_at = Some("2031-01-01T00:00:00Z".into());
    flow::upsert_tasks(&mut tx, &[closed]).await.expect("again");
    let history = |seq: i64, action: &str| HistoryRow {
        instance_id: "i-1".into(),
        doc_id: "d-1".into(),
        seq,
        at: NOW.into(),
        node_code: None,
        task_id: None,
        actor: "clerk".into(),
        action: action.into(),
        opinion: String::new(),
        target_users: String::new(),
        to_node: None,
    };
    flow::append_history(&mut tx, &[history(2, "approve"), history(1, "submit")])
        .await
        .expect("history");
    tx.commit().await.expect("commit");
    let reloaded = flow::instance(db, "d-1").await.expect("read").expect("row");
    assert_eq!(
        (reloaded.revision, reloaded.state_json.as_str()),
        (1, "{\"s\":\"in_progress\"}")
    );
    let tasks = flow::document_tasks(db, "d-1").await.expect("tasks");
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].status, "approved");
    assert_eq!(
        tasks[0].created_at, "2026-01-05T08:00:01Z",
        "the creation time is kept"
    );
    assert_eq!(
        tasks[0].done_at.as_deref(),
        Some(NOW),
        "the first done time is kept"
    );
    let actions: Vec<String> = flow::history(db, "d-1")
        .await
        .expect("history")
        .into_iter()
        .map(|row| row.action)
        .collect();
    assert_eq!(actions, vec!["submit", "approve"]);
}

async fn inbox_pages_and_counts(test_db: TestDb) {
    let db = &test_db.db;
    seed(db).await;
    for n in 1..=25 {
        document_with_instance(db, n, &format!("单位变更 {n:02}")).await;
    }
    let mut tx = db.begin().await.expect("begin");
    let mut tasks: Vec<TaskRow> = (1..=25)
        .map(|n| {
            task(
                &format!("i-{n}"),
                1,
                "approver_a",
                "open",
                &format!("单位变更 {n:02}"),
            )
        })
        .collect();
    tasks.push(task("i-1", 2, "approver_b", "open", "单位变更 01"));
    tasks.push(task("i-2", 2, "approver_a", "approved", "单位变更 02"));
    flow::insert_tasks_bulk(&mut tx, &tasks)
        .await
        .expect("bulk");
    tx.commit().await.expect("commit");
    let query = |page: u32, search: Option<&str>| InboxQuery {
        user_name: "approver_a".into(),
        doc_type: Some("unit_change".into()),
        search: search.map(str::to_owned),
        page,
        page_size: 10,
    };
    let (rows, total) = flow::open_tasks(db, &query(3, None)).await.expect("page 3");
    assert_eq!((rows.len(), total), (5, 25));
    let (rows, total) = flow::open_tasks(db, &query(1, Some("变更 1")))
        .await
        .expect("search");
    assert_eq!(total, 10, "titles 10–19");
    assert!(rows.iter().all(|row| row.title.contains("变更 1")));
    let (_, none) = flow::open_tasks(db, &query(1, Some("100%")))
        .await
        .expect("escaped");
    assert_eq!(none, 0);
    let counts = flow::open_task_counts(db, "approver_a")
        .await
        .expect("counts");
    assert_eq!(counts, vec![("unit_change".to_owned(), 25)]);
    let done_query = |user: &str| InboxQuery {
        user_name: user.into(),
        page: 1,
        page_size: 50,
        ..InboxQuery::default()
    };
    let (done, total) = flow::done_documents(db, &done_query("approver_a"))
        .await
        .expect("done");
    assert_eq!((done.len(), total), (1, 1));
    assert_eq!(done[0].doc_id, "d-2");
    let (_, submitted) = flow::done_documents(db, &done_query("clerk"))
        .await
        .expect("done");
    assert_eq!(submitted, 25, "the submitter's documents");
}

async fn candidates_and_visibility(test_db: TestDb) {
    let db = &test_db.db;
    seed(db).await;
    let mut tx = db.begin().await.expect("begin");
    let approvers = flow::users_with_role(&mut tx, &UserWhere::Agency("101001"), "unit_approver")
        .await
        .expect("approvers");
    assert_eq!(
        approvers,
        vec!["approver_a", "approver_b"],
        "enabled only, by name"
    );
    let reviewers = flow::users_with_role(&mut tx, &UserWhere::Agency("101"), "dept_reviewer")
        .await
        .expect("reviewers");
    assert_eq!(reviewers, vec!["reviewer"]);
    let bureau = flow::users_with_role(&mut tx, &UserWhere::Bureau("660100000"), "budget_division")
        .await
        .expect("bureau");
    assert_eq!(bureau, vec!["budget"]);
    let named = flow::users_with_role(&mut tx, &UserWhere::Named("clerk"), "unit_approver")
        .await
        .expect("named");
    assert!(named.is_empty(), "a named user must hold the role");
    let partial = flow::users_with_role(&mut tx, &UserWhere::Agency("101001"), "unit")
        .await
        .expect("partial");
    assert!(partial.is_empty(), "whole role codes only");
    tx.commit().await.expect("commit");
    document_with_instance(db, 1, "变更").await;
    let mut tx = db.begin().await.expect("begin");
    flow::upsert_tasks(
        &mut tx,
        &[task("i-1", 1, "corps_budget", "approved", "变更")],
    )
    .await
    .expect("task");
    tx.commit().await.expect("commit");
    let code = |text: &str| MofDivCode::parse(text).expect("code");
    let agency = |text: &str| AgencyCode::parse(text).expect("code");
    let cases: Vec<(&str, DataScope, &str, bool)> = vec![
        (
            "bureau subtree",
            DataScope::RegionSubtree {
                region_path: "/660000000/660100000/".into(),
            },
            "x",
            true,
        ),
        (
            "other subtree",
            DataScope::RegionSubtree {
                region_path: "/660000000/660200000/".into(),
            },
            "x",
            false,
        ),
        (
            "department",
            DataScope::AgencySubtree {
                mof_div_code: code("660100000"),
                agency_path: "/101/".into(),
            },
            "x",
            true,
        ),
        (
            "own unit",
            DataScope::Agency {
                mof_div_code: code("660100000"),
                agency_code: agency("101001"),
            },
            "x",
            true,
        ),
        (
            "other unit",
            DataScope::Agency {
                mof_div_code: code("660100000"),
                agency_code: agency("101"),
            },
            "x",
            false,
        ),
        (
            "submitter",
            DataScope::Agency {
                mof_div_code: code("660100000"),
                agency_code: agency("101"),
            },
            "clerk",
            true,
        ),
        (
            "held a task",
            DataScope::RegionSubtree {
                region_path: "/660200000/".into(),
            },
            "corps_budget",
            true,
        ),
    ];
    for (name, scope, user, visible) in cases {
        let found = flow::document(db, "d-1", Some((&scope, user)))
            .await
            .expect("read");
        assert_eq!(found.is_some(), visible, "{name}");
        let mut tx = db.begin().await.expect("begin");
        let locked = flow::document_for_update(&mut tx, "d-1", Some((&scope, user)))
            .await
            .expect("lock");
        assert_eq!(locked.is_some(), visible, "{name} (for update)");
    }
}
