//! The approval flow engine at the application level, without HTTP, on both backends: the
//! 基础信息变更 document through its four nodes to a changed agency, return and resubmit,
//! reject, withdraw, delegate, 会签, twenty concurrent approvals of one 或签 task, a batch of
//! fifty approvals, separation of duties, scope, publishing, and pinned versions.

// Tests fail loudly: `expect` is the assertion here.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeMap;

use fiscus_app::demo::{self, Scale};
use fiscus_app::flow::{BatchOutcome, MyDocumentsQuery};
use fiscus_app::settings::Secret;
use fiscus_app::{App, AppError, RequestCtx, Settings};
use fiscus_core::flow::{Command, InstanceStatus, ReturnTarget, SignerPosition, TaskId};
use fiscus_core::masterdata::{Input, Value};
use fiscus_core::schema;
use fiscus_core::{Principal, Role};
use fiscus_store::flow::InboxQuery;
use fiscus_store::testing::TestDb;

fiscus_store::on_both_backends!(
    full_path_changes_the_agency,
    return_to_submitter_and_resubmit,
    reject_and_withdraw,
    delegate_comes_back,
    countersign_needs_both,
    concurrent_approvals_one_wins,
    batch_approves_fifty,
    separation_of_duties,
    scope_hides_documents,
    publishing_and_pinned_versions,
    my_documents_by_status,
    remind_overdue_once_and_mark_read,
);

/// The users around one unit of the small demo: its clerk and approver, its competent
/// department's reviewer, the bureau's business and budget divisions, and a clerk elsewhere.
struct Cast {
    agency_code: String,
    clerk: Principal,
    approver: Principal,
    reviewer: Principal,
    business: Principal,
    budget: Principal,
    outsider: Principal,
    admin: Principal,
}

async fn demo_app(test_db: &TestDb) -> App {
    let settings = Settings {
        secret_key: Secret::new("ab".repeat(32)),
        demo_mode: true,
        ..Default::default()
    };
    let app = App::new(test_db.db.clone(), settings).expect("app");
    demo::run(&app, Scale::Small).await.expect("demo loads");
    // Loaded by the demo already: a second call loads nothing.
    assert!(app.ensure_default_flows().await.expect("flows").is_empty());
    app
}

async fn principal(app: &App, user_name: &str) -> Principal {
    let user = fiscus_store::auth::user_by_name(&app.db, user_name)
        .await
        .expect("read")
        .expect("demo user exists");
    fiscus_app::auth::principal_of(&user).expect("principal")
}

async fn cast(app: &App) -> Cast {
    let data = demo::generate(Scale::Small);
    let unit = data
        .units
        .iter()
        .find(|unit| unit.depth == 2)
        .expect("a unit under a department");
    let department = unit.parent_agency_code.clone().expect("department");
    let user_of = |agency: Option<&str>, region: &str, role: Role| {
        data.users
            .iter()
            .find(|user| {
                user.agency_code.as_deref() == agency
                    && user.mof_div_code == region
                    && user.roles == role.code()
            })
            .map(|user| user.user_name.clone())
            .expect("demo user")
    };
    let outsider = data
        .units
        .iter()
        .find(|other| other.depth == 2 && other.mof_div_code != unit.mof_div_code)
        .expect("a unit elsewhere");
    let region = unit.mof_div_code.as_str();
    let agency = Some(unit.agency_code.as_str());
    Cast {
        agency_code: unit.agency_code.clone(),
        clerk: principal(app, &user_of(agency, region, Role::UnitClerk)).await,
        approver: principal(app, &user_of(agency, region, Role::UnitApprover)).await,
        reviewer: principal(app, &user_of(Some(&department), region, Role::DeptReviewer)).await,
        business: principal(app, &user_of(None, region, Role::BusinessDivision)).await,
        budget: principal(app, &user_of(None, region, Role::BudgetDivision)).await,
        outsider: principal(
            app,
            &user_of(
                Some(&outsider.agency_code),
                &outsider.mof_div_code,
                Role::UnitClerk,
            ),
        )
        .await,
        admin: principal(app, "admin").await,
    }
}

fn input(pairs: &[(&str, &str)]) -> Input {
    Input(
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn code<T>(result: &Result<T, AppError>) -> String {
    match result {
        Ok(_) => "ok".into(),
        Err(AppError::Rejected(rejection)) => rejection.code(),
        Err(AppError::Internal(cause)) => format!("internal: {cause}"),
    }
}

fn ctx() -> RequestCtx {
    RequestCtx::default()
}

async fn submit_change(app: &App, cast: &Cast, leader: &str) -> String {
    app.create_unit_change(
        &cast.clerk,
        &input(&[("agency_leader_per_name", leader), ("zip", "832000")]),
        true,
        &ctx(),
    )
    .await
    .expect("created and submitted")
}

/// The viewer's open task on a document.
async fn task_of(app: &App, who: &Principal, doc_id: &str) -> TaskId {
    let view = app.flow_document(who, doc_id).await.expect("visible");
    TaskId(view.task_actions.first().expect("an open task").0)
}

async fn approve(app: &App, who: &Principal, doc_id: &str) -> Result<InstanceStatus, AppError> {
    let task_id = task_of(app, who, doc_id).await;
    let command = Command::Approve {
        task_id,
        opinion: "同意".into(),
    };
    app.flow_act(who, doc_id, command, &ctx()).await
}

async fn agency_field(app: &App, cast: &Cast, field: &str) -> Value {
    let record = app
        .get_record(&cast.admin, &schema::AGENCY, &cast.agency_code)
        .await
        .expect("read");
    record.get(field).cloned().unwrap_or(Value::Null)
}

async fn actions(app: &App, who: &Principal, doc_id: &str) -> Vec<String> {
    app.flow_history(who, doc_id)
        .await
        .expect("history")
        .iter()
        .map(|row| format!("{}:{}", row.action, row.actor))
        .collect()
}

async fn full_path_changes_the_agency(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let cast = cast(&app).await;
    let doc_id = submit_change(&app, &cast, "张三丰").await;
    let (inbox, total) = app
        .flow_inbox(
            &cast.approver,
            InboxQuery {
                page: 1,
                page_size: 20,
                ..Default::default()
            },
        )
        .await
        .expect("inbox");
    assert_eq!(total, 1);
    assert_eq!(inbox[0].doc_id, doc_id);
    let counts = app.flow_inbox_counts(&cast.approver).await.expect("counts");
    assert_eq!(counts, vec![("unit_change".to_owned(), 1)]);
    for who in [&cast.approver, &cast.reviewer, &cast.business] {
        assert_eq!(code(&approve(&app, who, &doc_id).await), "ok");
        assert_ne!(
            agency_field(&app, &cast, "zip").await,
            Value::Text("832000".into())
        );
        assert_ne!(
            agency_field(&app, &cast, "agency_leader_per_name").await,
            Value::Text("张三丰".into()),
            "changed before the last approval"
        );
    }
    let status = approve(&app, &cast.budget, &doc_id).await.expect("final");
    assert_eq!(status, InstanceStatus::Approved);
    assert_eq!(
        agency_field(&app, &cast, "agency_leader_per_name").await,
        Value::Text("张三丰".into())
    );
    assert_eq!(
        agency_field(&app, &cast, "zip").await,
        Value::Text("832000".into())
    );
    let expected = vec![
        format!("submit:{}", cast.clerk.user_name),
        format!("approve:{}", cast.approver.user_name),
        format!("approve:{}", cast.reviewer.user_name),
        format!("approve:{}", cast.business.user_name),
        format!("approve:{}", cast.budget.user_name),
    ];
    assert_eq!(actions(&app, &cast.clerk, &doc_id).await, expected);
    let view = app.flow_document(&cast.clerk, &doc_id).await.expect("view");
    assert_eq!(view.document.status, "approved");
    assert_eq!(
        view.document_actions,
        vec![fiscus_core::flow::ActionKind::CopyTo]
    );
    // The change went through the agency edit path, with its audit entry.
    let (history, _) = app
        .record_history(&cast.admin, &schema::AGENCY, &cast.agency_code, 1)
        .await
        .expect("audit");
    assert!(
        history
            .iter()
            .any(|row| row.action == "update" && row.user_name == cast.budget.user_name.as_str())
    );
    // 已办 of every participant holds the document; the inboxes are empty.
    for who in [&cast.clerk, &cast.approver, &cast.budget] {
        let (done, _) = app
            .flow_done(
                who,
                InboxQuery {
                    page: 1,
                    page_size: 20,
                    ..Default::default()
                },
            )
            .await
            .expect("done");
        assert_eq!(done.len(), 1, "{}", who.user_name);
    }
    let (_, open) = app
        .flow_inbox(
            &cast.budget,
            InboxQuery {
                page: 1,
                page_size: 20,
                ..Default::default()
            },
        )
        .await
        .expect("inbox");
    assert_eq!(open, 0);
}

async fn return_to_submitter_and_resubmit(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let cast = cast(&app).await;
    let doc_id = submit_change(&app, &cast, "李四").await;
    approve(&app, &cast.approver, &doc_id).await.expect("unit");
    let task_id = task_of(&app, &cast.reviewer, &doc_id).await;
    let no_opinion = app
        .flow_act(
            &cast.reviewer,
            &doc_id,
            Command::Return {
                task_id,
                to: ReturnTarget::ToSubmitter,
                opinion: String::new(),
            },
            &ctx(),
        )
        .await;
    assert_eq!(code(&no_opinion), "field_required");
    let returned = app
        .flow_act(
            &cast.reviewer,
            &doc_id,
            Command::Return {
                task_id,
                to: ReturnTarget::ToSubmitter,
                opinion: "负责人姓名有误".into(),
            },
            &ctx(),
        )
        .await
        .expect("returned");
    assert_eq!(returned, InstanceStatus::Returned);
    app.update_unit_change(
        &cast.clerk,
        &doc_id,
        &input(&[("agency_leader_per_name", "李四光")]),
    )
    .await
    .expect("corrected");
    let again = app
        .flow_act(&cast.clerk, &doc_id, Command::Submit, &ctx())
        .await
        .expect("resubmitted");
    assert_eq!(again, InstanceStatus::InProgress);
    for who in [&cast.approver, &cast.reviewer, &cast.business, &cast.budget] {
        approve(&app, who, &doc_id).await.expect("approve");
    }
    assert_eq!(
        agency_field(&app, &cast, "agency_leader_per_name").await,
        Value::Text("李四光".into())
    );
    let history = actions(&app, &cast.clerk, &doc_id).await;
    assert_eq!(
        history.iter().filter(|a| a.starts_with("submit:")).count(),
        2
    );
    assert_eq!(
        history.iter().filter(|a| a.starts_with("return:")).count(),
        1
    );
}

async fn reject_and_withdraw(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let cast = cast(&app).await;
    // Reject: terminal, nothing changes.
    let rejected = submit_change(&app, &cast, "王五").await;
    let task_id = task_of(&app, &cast.approver, &rejected).await;
    let status = app
        .flow_act(
            &cast.approver,
            &rejected,
            Command::Reject {
                task_id,
                opinion: "无需变更".into(),
            },
            &ctx(),
        )
        .await
        .expect("rejected");
    assert_eq!(status, InstanceStatus::Rejected);
    assert_ne!(
        agency_field(&app, &cast, "agency_leader_per_name").await,
        Value::Text("王五".into())
    );
    let resubmit = app
        .flow_act(&cast.clerk, &rejected, Command::Submit, &ctx())
        .await;
    assert_eq!(code(&resubmit), "flow_status_forbids_action");
    // Withdraw by the submitter before the first node acts: a draft again.
    let doc_id = submit_change(&app, &cast, "赵六").await;
    let status = app
        .flow_act(&cast.clerk, &doc_id, Command::Withdraw, &ctx())
        .await
        .expect("withdrawn");
    assert_eq!(status, InstanceStatus::Draft);
    app.flow_act(&cast.clerk, &doc_id, Command::Submit, &ctx())
        .await
        .expect("again");
    // Withdraw by the approver while the next node has not acted.
    approve(&app, &cast.approver, &doc_id).await.expect("unit");
    let stranger = app
        .flow_act(&cast.business, &doc_id, Command::Withdraw, &ctx())
        .await;
    assert_eq!(code(&stranger), "not_last_actor");
    app.flow_act(&cast.approver, &doc_id, Command::Withdraw, &ctx())
        .await
        .expect("withdrawn");
    let (open, _) = app
        .flow_inbox(
            &cast.reviewer,
            InboxQuery {
                page: 1,
                page_size: 20,
                ..Default::default()
            },
        )
        .await
        .expect("inbox");
    assert!(open.is_empty(), "the reviewer's task is gone");
    approve(&app, &cast.approver, &doc_id)
        .await
        .expect("approved again");
    approve(&app, &cast.reviewer, &doc_id).await.expect("dept");
    let late = app
        .flow_act(&cast.approver, &doc_id, Command::Withdraw, &ctx())
        .await;
    assert_eq!(code(&late), "not_last_actor");
    // Cancel by the submitter, from a draft.
    let draft = app
        .create_unit_change(&cast.clerk, &input(&[("zip", "832001")]), false, &ctx())
        .await
        .expect("draft");
    let status = app
        .flow_act(&cast.clerk, &draft, Command::Submit, &ctx())
        .await
        .expect("sub");
    assert_eq!(status, InstanceStatus::InProgress);
    app.flow_act(&cast.clerk, &draft, Command::Withdraw, &ctx())
        .await
        .expect("back");
    let status = app
        .flow_act(&cast.clerk, &draft, Command::Cancel, &ctx())
        .await
        .expect("cancel");
    assert_eq!(status, InstanceStatus::Cancelled);
}

async fn delegate_comes_back(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let cast = cast(&app).await;
    let doc_id = submit_change(&app, &cast, "钱七").await;
    let task_id = task_of(&app, &cast.approver, &doc_id).await;
    app.flow_act(
        &cast.approver,
        &doc_id,
        Command::Delegate {
            task_id,
            to: cast.business.user_name.clone(),
        },
        &ctx(),
    )
    .await
    .expect("delegated");
    // The delegate now holds a task, so sees the document; their approval is advice.
    assert_eq!(
        approve(&app, &cast.business, &doc_id)
            .await
            .expect("advice"),
        InstanceStatus::InProgress
    );
    let view = app
        .flow_document(&cast.approver, &doc_id)
        .await
        .expect("view");
    assert_eq!(
        view.flow
            .as_ref()
            .and_then(|f| f.current_node.clone())
            .as_deref(),
        Some("unit_review")
    );
    approve(&app, &cast.approver, &doc_id)
        .await
        .expect("owner approves");
    let view = app
        .flow_document(&cast.approver, &doc_id)
        .await
        .expect("view");
    assert_eq!(
        view.flow.and_then(|f| f.current_node).as_deref(),
        Some("dept_review")
    );
    // Copy-to, remind and add-signer on the next node.
    let task_id = task_of(&app, &cast.reviewer, &doc_id).await;
    let remind = app
        .flow_act(
            &cast.clerk,
            &doc_id,
            Command::Remind {
                task_id,
                elapsed_hours: 1_000,
            },
            &ctx(),
        )
        .await;
    assert_eq!(
        code(&remind),
        "task_not_overdue",
        "the hours come from the stored task"
    );
    app.flow_act(
        &cast.reviewer,
        &doc_id,
        Command::CopyTo {
            users: vec![cast.budget.user_name.clone()],
        },
        &ctx(),
    )
    .await
    .expect("copied");
    assert_eq!(
        app.flow_notices(&cast.budget).await.expect("notices").len(),
        1
    );
    app.flow_act(
        &cast.reviewer,
        &doc_id,
        Command::AddSigner {
            task_id,
            user: cast.business.user_name.clone(),
            position: SignerPosition::Before,
        },
        &ctx(),
    )
    .await
    .expect("signer added");
    approve(&app, &cast.business, &doc_id)
        .await
        .expect("signer approves");
    approve(&app, &cast.reviewer, &doc_id)
        .await
        .expect("reviewer approves");
    let history = actions(&app, &cast.clerk, &doc_id).await;
    for action in ["delegate:", "copy_to:", "add_signer:"] {
        assert!(
            history.iter().any(|a| a.starts_with(action)),
            "{action} in {history:?}"
        );
    }
}

/// unit_change with its first node replaced by a 会签 of two named bureau users.
fn countersign_definition(cast: &Cast) -> String {
    let json = fiscus_app::flow::DEFAULT_FLOWS[0].1;
    let mut definition: serde_json::Value = serde_json::from_str(json).expect("json");
    definition["nodes"][0]["mode"] = "all".into();
    definition["nodes"][0]["actors"] = serde_json::json!([
        {"role": "business_division", "relation": {"named_user": cast.business.user_name.as_str()}},
        {"role": "budget_division", "relation": {"named_user": cast.budget.user_name.as_str()}},
    ]);
    definition.to_string()
}

async fn countersign_needs_both(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let cast = cast(&app).await;
    let version = app
        .publish_flow(&cast.admin, &countersign_definition(&cast), &ctx())
        .await
        .expect("published");
    assert_eq!(version, 2);
    let doc_id = submit_change(&app, &cast, "孙八").await;
    approve(&app, &cast.business, &doc_id).await.expect("first");
    let view = app.flow_document(&cast.clerk, &doc_id).await.expect("view");
    assert_eq!(
        view.flow
            .as_ref()
            .and_then(|f| f.current_node.clone())
            .as_deref(),
        Some("unit_review")
    );
    assert_eq!(view.flow.map(|f| f.version), Some(2));
    approve(&app, &cast.budget, &doc_id).await.expect("second");
    let view = app.flow_document(&cast.clerk, &doc_id).await.expect("view");
    assert_eq!(
        view.flow.and_then(|f| f.current_node).as_deref(),
        Some("dept_review")
    );
}

async fn concurrent_approvals_one_wins(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let cast = cast(&app).await;
    let doc_id = submit_change(&app, &cast, "周九").await;
    let task_id = task_of(&app, &cast.approver, &doc_id).await;
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let app = app.clone();
        let who = cast.approver.clone();
        let doc_id = doc_id.clone();
        set.spawn(async move {
            let command = Command::Approve {
                task_id,
                opinion: "同意".into(),
            };
            code(
                &app.flow_act(&who, &doc_id, command, &RequestCtx::default())
                    .await,
            )
        });
    }
    let mut outcomes = Vec::new();
    while let Some(outcome) = set.join_next().await {
        outcomes.push(outcome.expect("joined"));
    }
    assert_eq!(
        outcomes.iter().filter(|o| *o == "ok").count(),
        1,
        "{outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .all(|o| o == "ok" || o == "task_already_handled"),
        "{outcomes:?}"
    );
    let history = actions(&app, &cast.clerk, &doc_id).await;
    assert_eq!(
        history.iter().filter(|a| a.starts_with("approve:")).count(),
        1,
        "{history:?}"
    );
}

async fn batch_approves_fifty(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let cast = cast(&app).await;
    let mut doc_ids = Vec::new();
    for index in 0..50 {
        doc_ids.push(submit_change(&app, &cast, &format!("负责人{index}")).await);
    }
    let query = InboxQuery {
        page: 1,
        page_size: 100,
        doc_type: Some("unit_change".into()),
        ..Default::default()
    };
    let (inbox, total) = app
        .flow_inbox(&cast.approver, query.clone())
        .await
        .expect("inbox");
    assert_eq!(total, 50);
    let items: Vec<(String, Command)> = inbox
        .iter()
        .map(|row| {
            let task_id = fiscus_app::flow::task_id_of(row).expect("task id");
            (
                row.doc_id.clone(),
                Command::Approve {
                    task_id,
                    opinion: "批量同意".into(),
                },
            )
        })
        .collect();
    // One stale item refuses the whole batch, and names its document.
    let mut with_stale = items.clone();
    with_stale.push((
        doc_ids[0].clone(),
        Command::Approve {
            task_id: TaskId(1),
            opinion: String::new(),
        },
    ));
    let refused = app
        .flow_batch(&cast.approver, &with_stale, &ctx())
        .await
        .expect("ran");
    assert!(
        matches!(&refused, BatchOutcome::Refused { doc_id, .. } if *doc_id == doc_ids[0]),
        "{refused:?}"
    );
    assert_eq!(
        app.flow_inbox(&cast.approver, query.clone())
            .await
            .expect("inbox")
            .1,
        50
    );
    let outcome = app
        .flow_batch(&cast.approver, &items, &ctx())
        .await
        .expect("batch");
    assert_eq!(outcome, BatchOutcome::Applied { n_documents: 50 });
    assert_eq!(
        app.flow_inbox(&cast.approver, query)
            .await
            .expect("inbox")
            .1,
        0
    );
    for (search, expected) in [("邮政编码", 50), ("不存在的标题", 0)] {
        let query = InboxQuery {
            page: 1,
            page_size: 10,
            search: Some(search.into()),
            ..Default::default()
        };
        let (_, found) = app.flow_inbox(&cast.reviewer, query).await.expect("inbox");
        assert_eq!(found, expected, "{search}");
    }
    let (page, reviewer_total) = app
        .flow_inbox(
            &cast.reviewer,
            InboxQuery {
                page: 2,
                page_size: 20,
                ..Default::default()
            },
        )
        .await
        .expect("inbox");
    assert_eq!((page.len(), reviewer_total), (20, 50));
    // Batch return of the first five, to the submitter.
    let returns: Vec<(String, Command)> = page
        .iter()
        .take(5)
        .map(|row| {
            let task_id = fiscus_app::flow::task_id_of(row).expect("task id");
            let to = ReturnTarget::ToSubmitter;
            (
                row.doc_id.clone(),
                Command::Return {
                    task_id,
                    to,
                    opinion: "请补充材料".into(),
                },
            )
        })
        .collect();
    let outcome = app
        .flow_batch(&cast.reviewer, &returns, &ctx())
        .await
        .expect("batch return");
    assert_eq!(outcome, BatchOutcome::Applied { n_documents: 5 });
    let (_, left) = app
        .flow_inbox(
            &cast.reviewer,
            InboxQuery {
                page: 1,
                page_size: 10,
                ..Default::default()
            },
        )
        .await
        .expect("inbox");
    assert_eq!(left, 45);
}

async fn separation_of_duties(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let cast = cast(&app).await;
    // A user of the unit who is both clerk and approver.
    let region = cast.clerk.mof_div_code().to_string();
    app.create_record(
        &cast.admin,
        &schema::USER,
        &input(&[
            ("user_name", "dual_role"),
            ("display_name", "兼岗人员"),
            ("mof_div_code", &region),
            ("agency_code", &cast.agency_code),
            ("roles", "unit_clerk,unit_approver"),
            ("password", "Dual2026pass"),
        ]),
        &ctx(),
    )
    .await
    .expect("user created");
    let dual = principal(&app, "dual_role").await;
    let doc_id = app
        .create_unit_change(&dual, &input(&[("zip", "832002")]), true, &ctx())
        .await
        .expect("submitted");
    // The submitter is not among the candidates of their own document.
    let view = app.flow_document(&dual, &doc_id).await.expect("view");
    assert!(view.task_actions.is_empty());
    let tasks: Vec<&str> = view
        .tasks
        .iter()
        .map(|task| task.assignee.as_str())
        .collect();
    assert_eq!(tasks, vec![cast.approver.user_name.as_str()]);
    // Nor can the task be handed to them.
    let task_id = task_of(&app, &cast.approver, &doc_id).await;
    let transfer = app
        .flow_act(
            &cast.approver,
            &doc_id,
            Command::Transfer {
                task_id,
                to: dual.user_name.clone(),
            },
            &ctx(),
        )
        .await;
    assert_eq!(code(&transfer), "self_approval_forbidden");
    let approve_own = app
        .flow_act(
            &dual,
            &doc_id,
            Command::Approve {
                task_id,
                opinion: String::new(),
            },
            &ctx(),
        )
        .await;
    assert_ne!(code(&approve_own), "ok");
}

async fn scope_hides_documents(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let cast = cast(&app).await;
    let doc_id = submit_change(&app, &cast, "吴十").await;
    assert_eq!(
        code(&app.flow_document(&cast.outsider, &doc_id).await),
        "not_found"
    );
    assert_eq!(
        code(&app.flow_history(&cast.outsider, &doc_id).await),
        "not_found"
    );
    let task_id = task_of(&app, &cast.approver, &doc_id).await;
    let act = app
        .flow_act(
            &cast.outsider,
            &doc_id,
            Command::Approve {
                task_id,
                opinion: String::new(),
            },
            &ctx(),
        )
        .await;
    assert_eq!(code(&act), "not_found");
    let copy = app
        .flow_act(
            &cast.outsider,
            &doc_id,
            Command::CopyTo {
                users: vec![cast.outsider.user_name.clone()],
            },
            &ctx(),
        )
        .await;
    assert_eq!(code(&copy), "not_found");
    // In scope without a task: visible, but not actionable.
    let view = app
        .flow_document(&cast.business, &doc_id)
        .await
        .expect("in the bureau's scope");
    assert!(view.task_actions.is_empty());
    let act = app
        .flow_act(
            &cast.business,
            &doc_id,
            Command::Approve {
                task_id,
                opinion: String::new(),
            },
            &ctx(),
        )
        .await;
    assert_eq!(code(&act), "not_task_assignee");
    // Only the clerk of a unit proposes its changes.
    let by_approver = app
        .create_unit_change(&cast.approver, &input(&[("zip", "832003")]), true, &ctx())
        .await;
    assert_eq!(code(&by_approver), "forbidden");
    let bad_field = app
        .create_unit_change(
            &cast.clerk,
            &input(&[("agency_code", "660000000001")]),
            true,
            &ctx(),
        )
        .await;
    assert_eq!(code(&bad_field), "field_invalid");
}

async fn publishing_and_pinned_versions(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let cast = cast(&app).await;
    let running = submit_change(&app, &cast, "郑一").await;
    // Refused: an unreachable node, and a pre-check nobody registered.
    let json = fiscus_app::flow::DEFAULT_FLOWS[0].1;
    let mut broken: serde_json::Value = serde_json::from_str(json).expect("json");
    broken["nodes"][0]["next"] = serde_json::json!([{"to": {"node": "budget_review"}}]);
    broken["nodes"][3]["pre_checks"] = serde_json::json!(["no_such_check"]);
    let refused = app
        .publish_flow(&cast.admin, &broken.to_string(), &ctx())
        .await;
    assert_eq!(code(&refused), "flow_definition_invalid");
    if let Err(AppError::Rejected(rejection)) = &refused {
        let message = rejection.message();
        assert!(
            message.contains("无法到达") && message.contains("no_such_check"),
            "{message}"
        );
    }
    let not_admin = app.publish_flow(&cast.budget, json, &ctx()).await;
    assert_eq!(code(&not_admin), "forbidden");
    // Version 2 has only the budget division's node.
    let mut short: serde_json::Value = serde_json::from_str(json).expect("json");
    short["nodes"] = serde_json::json!([short["nodes"][3].clone()]);
    short["nodes"][0]["return_targets"] = serde_json::json!([]);
    short["start_node"] = "budget_review".into();
    assert_eq!(
        app.publish_flow(&cast.admin, &short.to_string(), &ctx())
            .await
            .expect("v2"),
        2
    );
    let definitions = app.flow_definitions(&cast.admin).await.expect("list");
    let statuses: Vec<(i64, &str)> = definitions
        .iter()
        .filter(|row| row.doc_type == "unit_change")
        .map(|row| (row.version, row.status.as_str()))
        .collect();
    assert_eq!(statuses, vec![(1, "retired"), (2, "published")]);
    // The running document keeps version 1 and its four nodes.
    for who in [&cast.approver, &cast.reviewer, &cast.business, &cast.budget] {
        approve(&app, who, &running).await.expect("approve on v1");
    }
    let view = app
        .flow_document(&cast.clerk, &running)
        .await
        .expect("view");
    assert_eq!(
        view.flow.map(|f| (f.version, f.status)),
        Some((1, InstanceStatus::Approved))
    );
    // A new one starts on version 2: one approval ends it.
    let new = submit_change(&app, &cast, "郑二").await;
    assert_eq!(
        approve(&app, &cast.budget, &new).await.expect("v2"),
        InstanceStatus::Approved
    );
}

async fn mine(
    app: &App,
    who: &Principal,
    status: Option<&str>,
) -> (Vec<String>, i64, Vec<(String, i64)>) {
    let mine = app
        .flow_my_documents(
            who,
            MyDocumentsQuery {
                status: status.map(str::to_owned),
                page: 1,
                page_size: 20,
                ..Default::default()
            },
        )
        .await
        .expect("mine");
    let ids = mine.rows.iter().map(|row| row.doc_id.clone()).collect();
    (ids, mine.total, mine.counts)
}

async fn my_documents_by_status(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let cast = cast(&app).await;
    // A saved draft is found again.
    let draft = app
        .create_unit_change(
            &cast.clerk,
            &input(&[("agency_leader_per_name", "草稿人")]),
            false,
            &ctx(),
        )
        .await
        .expect("draft saved");
    let returned = submit_change(&app, &cast, "退回人").await;
    let running = submit_change(&app, &cast, "审批人").await;
    let task_id = task_of(&app, &cast.approver, &returned).await;
    app.flow_act(
        &cast.approver,
        &returned,
        Command::Return {
            task_id,
            to: ReturnTarget::ToSubmitter,
            opinion: "请补充".into(),
        },
        &ctx(),
    )
    .await
    .expect("returned");
    assert_eq!(
        mine(&app, &cast.clerk, Some("draft")).await.0,
        vec![draft.clone()]
    );
    assert_eq!(
        mine(&app, &cast.clerk, Some("returned")).await.0,
        vec![returned.clone()]
    );
    assert_eq!(
        mine(&app, &cast.clerk, Some("in_progress")).await.0,
        vec![running.clone()]
    );
    let (all, total, counts) = mine(&app, &cast.clerk, None).await;
    assert_eq!(total, 3);
    // Newest first; documents of the same second in a fixed order of their ids.
    let mut expected = vec![running, returned, draft];
    expected.sort();
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(sorted, expected);
    let count_of = |status: &str| counts.iter().find(|(s, _)| s == status).map(|(_, n)| *n);
    assert_eq!(count_of("draft"), Some(1));
    assert_eq!(count_of("returned"), Some(1));
    assert_eq!(count_of("in_progress"), Some(1));
    assert_eq!(count_of("approved"), Some(0));
    assert_eq!(counts.len(), 6);
    // Only the submitter's own documents: the approver submitted none.
    assert_eq!(mine(&app, &cast.approver, None).await.1, 0);
    let unknown = app
        .flow_my_documents(
            &cast.clerk,
            MyDocumentsQuery {
                status: Some("lost".into()),
                page: 1,
                page_size: 20,
                ..Default::default()
            },
        )
        .await;
    assert_eq!(code(&unknown), "field_invalid");
}

async fn remind_overdue_once_and_mark_read(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let cast = cast(&app).await;
    let doc_id = submit_change(&app, &cast, "催办人").await;
    let view = app
        .flow_document(&cast.approver, &doc_id)
        .await
        .expect("view");
    let task = view
        .tasks
        .iter()
        .find(|task| task.status == "open")
        .expect("an open task")
        .clone();
    let mut tx = app.db.begin().await.expect("tx");
    let updated = fiscus_store::flow::set_task_due_at(
        &mut tx,
        &task.instance_id,
        task.task_id,
        Some("2020-01-01T00:00:00Z"),
    )
    .await
    .expect("due set");
    tx.commit().await.expect("commit");
    assert_eq!(updated, 1);
    // Before the due time nothing is overdue.
    let early = time::macros::datetime!(2019-12-31 0:00 UTC);
    assert_eq!(app.flow_remind_overdue(early).await.expect("remind"), 0);
    let now = time::OffsetDateTime::now_utc();
    assert_eq!(app.flow_remind_overdue(now).await.expect("remind"), 1);
    // Idempotent: the task was reminded already.
    assert_eq!(app.flow_remind_overdue(now).await.expect("remind"), 0);
    let notices = app.flow_notices(&cast.approver).await.expect("notices");
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].kind, "remind");
    assert_eq!(notices[0].doc_id, doc_id);
    assert_eq!(notices[0].actor, fiscus_app::flow::SYSTEM_ACTOR);
    assert!(
        app.flow_notices(&cast.clerk)
            .await
            .expect("notices")
            .is_empty()
    );
    // Another user cannot mark the approver's notice read.
    let ids = [notices[0].notice_id];
    assert_eq!(
        app.flow_mark_notices_read(&cast.clerk, Some(&ids))
            .await
            .expect("mark"),
        0
    );
    assert_eq!(
        app.flow_mark_notices_read(&cast.approver, Some(&ids))
            .await
            .expect("mark"),
        1
    );
    assert!(
        app.flow_notices(&cast.approver)
            .await
            .expect("notices")
            .is_empty()
    );
    // A read reminder still counts: nothing new is written.
    assert_eq!(app.flow_remind_overdue(now).await.expect("remind"), 0);
    // Mark all.
    app.flow_act(
        &cast.clerk,
        &doc_id,
        Command::CopyTo {
            users: vec![
                cast.approver.user_name.clone(),
                cast.budget.user_name.clone(),
            ],
        },
        &ctx(),
    )
    .await
    .expect("copied");
    assert_eq!(
        app.flow_notices(&cast.budget).await.expect("notices").len(),
        1
    );
    assert_eq!(
        app.flow_mark_notices_read(&cast.budget, None)
            .await
            .expect("all"),
        1
    );
    assert!(
        app.flow_notices(&cast.budget)
            .await
            .expect("notices")
            .is_empty()
    );
}
