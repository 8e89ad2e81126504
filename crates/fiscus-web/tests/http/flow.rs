//! The approval flow over HTTP: a 基础信息变更申请 through its four nodes to a changed agency,
//! the inbox counts moving, return and resubmit, two parallel approvals of one task, batch
//! approval, scope, bad inputs that write nothing, and publishing definitions.

use fiscus_app::demo::{self, Scale};
use fiscus_core::Role;
use fiscus_store::testing::TestDb;
use serde_json::{Value, json};

use crate::helpers::{Api, Body, TestApp, assert_rejected, has_chinese, spawn, text_of};

fiscus_store::on_both_backends!(
    flow_full_path_changes_the_agency,
    flow_return_resubmit_and_bad_inputs,
    flow_parallel_approvals_and_batch,
    flow_definitions_publish,
    flow_mine_notices_and_reminders,
);

/// The users around one unit of the small demo (as in the application tests of the flow).
struct Cast {
    agency_code: String,
    clerk_name: String,
    clerk: Api,
    approver: Api,
    reviewer: Api,
    business: Api,
    budget: Api,
    /// A unit clerk of another division.
    outsider: Api,
    admin: Api,
}

async fn cast(server: &TestApp) -> Cast {
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
    let other = data
        .units
        .iter()
        .find(|other| other.depth == 2 && other.mof_div_code != unit.mof_div_code)
        .expect("a unit elsewhere");
    let region = unit.mof_div_code.as_str();
    let agency = Some(unit.agency_code.as_str());
    Cast {
        agency_code: unit.agency_code.clone(),
        clerk_name: user_of(agency, region, Role::UnitClerk),
        // The clerk works in a browser session (cookie and CSRF token), the others by token.
        clerk: server
            .demo_login(&user_of(agency, region, Role::UnitClerk))
            .await,
        approver: server
            .as_user(&user_of(agency, region, Role::UnitApprover))
            .await,
        reviewer: server
            .as_user(&user_of(Some(&department), region, Role::DeptReviewer))
            .await,
        business: server
            .as_user(&user_of(None, region, Role::BusinessDivision))
            .await,
        budget: server
            .as_user(&user_of(None, region, Role::BudgetDivision))
            .await,
        outsider: server
            .as_user(&user_of(
                Some(&other.agency_code),
                &other.mof_div_code,
                Role::UnitClerk,
            ))
            .await,
        admin: server.as_user("admin").await,
    }
}

/// Creates a change of the clerk's unit; returns its document id.
async fn create_change(cast: &Cast, leader: &str, submit: bool) -> String {
    let reply = cast
        .clerk
        .post(
            "/api/v1/flow/documents",
            &json!({ "doc_type": "unit_change", "changes": { "agency_leader_per_name": leader, "zip": "832000" }, "submit": submit }),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let body = reply.json();
    assert_eq!(
        body["document"]["payload"]["agency_leader_per_name"],
        leader
    );
    text_of(&body["document"], "doc_id")
}

fn document_path(doc_id: &str) -> String {
    format!("/api/v1/flow/documents/{doc_id}")
}

/// The viewer's open task on a document, from the document's page.
async fn task_of(api: &Api, doc_id: &str) -> u64 {
    let reply = api.get(&document_path(doc_id)).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["task_actions"][0]["task_id"]
        .as_u64()
        .unwrap_or_else(|| panic!("an open task: {}", reply.text()))
}

async fn act(api: &Api, doc_id: &str, body: &Value) -> crate::helpers::Reply {
    api.post(&format!("{}/actions", document_path(doc_id)), body)
        .await
}

async fn approve(api: &Api, doc_id: &str) -> String {
    let task_id = task_of(api, doc_id).await;
    let reply = act(
        api,
        doc_id,
        &json!({ "action": "approve", "task_id": task_id, "opinion": "同意" }),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    text_of(&reply.json(), "status")
}

async fn inbox_total(api: &Api) -> i64 {
    let reply = api.get("/api/v1/flow/inbox/counts").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    let total = body["total"].as_i64().expect("total");
    assert_eq!(
        body["by_doc_type"]["unit_change"].as_i64().unwrap_or(0),
        total
    );
    total
}

async fn history_actions(api: &Api, doc_id: &str) -> Vec<String> {
    let reply = api.get(&format!("{}/history", document_path(doc_id))).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply
        .items()
        .iter()
        .map(|row| format!("{}:{}", text_of(row, "action"), text_of(row, "actor")))
        .collect()
}

async fn leader_of(cast: &Cast) -> String {
    let reply = cast
        .admin
        .get(&format!("/api/v1/agencies/{}", cast.agency_code))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    text_of(&reply.json(), "agency_leader_per_name")
}

/// Rows of the flow tables, to show a refused request wrote nothing.
async fn flow_rows(server: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in [
        "flow_document",
        "flow_instance",
        "flow_task",
        "flow_history",
        "flow_notice",
    ] {
        counts.push(server.count(table).await);
    }
    counts
}

async fn flow_full_path_changes_the_agency(test_db: TestDb) {
    let server = spawn(test_db, true).await;
    let cast = cast(&server).await;
    assert_eq!(inbox_total(&cast.approver).await, 0);
    let doc_id = create_change(&cast, "张三丰", true).await;
    // The approver's 待办 holds it, counted in the navigation.
    assert_eq!(inbox_total(&cast.approver).await, 1);
    let inbox = cast
        .approver
        .get("/api/v1/flow/inbox?doc_type=unit_change&page=1&page_size=10")
        .await;
    assert_eq!(inbox.status, 200, "{}", inbox.text());
    assert_eq!(inbox.json()["total"], 1);
    assert_eq!(text_of(&inbox.items()[0], "doc_id"), doc_id);
    let none = cast
        .approver
        .get("/api/v1/flow/inbox?doc_type=payment_application")
        .await;
    assert_eq!(none.json()["total"], 0);
    // Another division's clerk: the document does not exist for them, nor can they act.
    let hidden = cast.outsider.get(&document_path(&doc_id)).await;
    assert_rejected(&hidden, 404, "not_found", "outsider reads");
    let hidden = cast
        .outsider
        .get(&format!("{}/history", document_path(&doc_id)))
        .await;
    assert_rejected(&hidden, 404, "not_found", "outsider reads history");
    let task_id = task_of(&cast.approver, &doc_id).await;
    let before = flow_rows(&server).await;
    let refused = act(
        &cast.outsider,
        &doc_id,
        &json!({ "action": "approve", "task_id": task_id, "opinion": "同意" }),
    )
    .await;
    assert_rejected(&refused, 404, "not_found", "outsider acts");
    let refused = act(&cast.outsider, &doc_id, &json!({ "action": "withdraw" })).await;
    assert_rejected(&refused, 404, "not_found", "outsider withdraws");
    assert_eq!(flow_rows(&server).await, before);
    // Four nodes, four users; the agency changes on the last approval only.
    let nodes = [
        (&cast.approver, &cast.reviewer),
        (&cast.reviewer, &cast.business),
        (&cast.business, &cast.budget),
    ];
    for (who, next) in nodes {
        assert_eq!(approve(who, &doc_id).await, "in_progress");
        assert_eq!(inbox_total(who).await, 0);
        assert_eq!(inbox_total(next).await, 1);
        assert_ne!(leader_of(&cast).await, "张三丰");
    }
    assert_eq!(approve(&cast.budget, &doc_id).await, "approved");
    assert_eq!(inbox_total(&cast.budget).await, 0);
    assert_eq!(leader_of(&cast).await, "张三丰");
    let page = cast.clerk.get(&document_path(&doc_id)).await.json();
    assert_eq!(page["document"]["status"], "approved");
    assert_eq!(page["flow"]["status"], "approved");
    assert_eq!(page["document_actions"], json!(["copy_to"]));
    assert_eq!(history_actions(&cast.clerk, &doc_id).await.len(), 5);
    assert_eq!(
        history_actions(&cast.clerk, &doc_id).await[0]
            .split(':')
            .next(),
        Some("submit")
    );
    // 已办 of the submitter and the approvers holds it.
    for who in [&cast.clerk, &cast.approver, &cast.budget] {
        let done = who.get("/api/v1/flow/done").await;
        assert_eq!(done.status, 200, "{}", done.text());
        assert_eq!(done.json()["total"], 1);
        assert_eq!(text_of(&done.items()[0], "status"), "approved");
    }
    // 抄送 reaches the notices of the one copied.
    let copied = act(
        &cast.clerk,
        &doc_id,
        &json!({ "action": "copy_to", "users": [text_of(&cast.approver.get("/api/v1/me").await.json(), "user_name")] }),
    )
    .await;
    assert_eq!(copied.status, 200, "{}", copied.text());
    let notices = cast.approver.get("/api/v1/flow/notices").await;
    assert_eq!(notices.status, 200, "{}", notices.text());
    assert_eq!(text_of(&notices.items()[0], "kind"), "copy_to");
    // The OpenAPI document names the flow endpoints.
    let openapi = server.anonymous().get("/api/openapi.json").await.json();
    for path in [
        "/api/v1/flow/inbox",
        "/api/v1/flow/inbox/counts",
        "/api/v1/flow/documents/{doc_id}/actions",
        "/api/v1/flow/batch",
        "/api/v1/flow/definitions",
    ] {
        assert!(openapi["paths"][path].is_object(), "{path} documented");
    }
}

async fn flow_return_resubmit_and_bad_inputs(test_db: TestDb) {
    let server = spawn(test_db, true).await;
    let cast = cast(&server).await;
    // A draft, corrected, then submitted.
    let doc_id = create_change(&cast, "李四", false).await;
    let page = cast.clerk.get(&document_path(&doc_id)).await.json();
    assert_eq!(page["document"]["status"], "draft");
    assert_eq!(page["document_actions"], json!(["submit", "cancel"]));
    let corrected = cast
        .clerk
        .patch(
            &document_path(&doc_id),
            &json!({ "changes": { "agency_leader_per_name": "李四" } }),
        )
        .await;
    assert_eq!(corrected.status, 200, "{}", corrected.text());
    let submitted = act(&cast.clerk, &doc_id, &json!({ "action": "submit" })).await;
    assert_eq!(submitted.status, 200, "{}", submitted.text());
    assert_eq!(submitted.json()["status"], "in_progress");
    approve(&cast.approver, &doc_id).await;
    let task_id = task_of(&cast.reviewer, &doc_id).await;
    // Bad inputs: 400 with a Chinese message, nothing written.
    let before = flow_rows(&server).await;
    let actions = format!("{}/actions", document_path(&doc_id));
    let cases = [
        (
            "unknown action",
            json!({ "action": "approve_all", "task_id": task_id }).to_string(),
            "field_invalid",
        ),
        (
            "return without opinion",
            json!({ "action": "return", "task_id": task_id, "to": "submitter" }).to_string(),
            "field_required",
        ),
        (
            "return with a blank opinion",
            json!({ "action": "return", "task_id": task_id, "opinion": "  " }).to_string(),
            "field_required",
        ),
        (
            "approve without task",
            json!({ "action": "approve", "opinion": "同意" }).to_string(),
            "field_required",
        ),
        (
            "malformed JSON",
            "{\"action\": \"approve\", ".to_owned(),
            "field_invalid",
        ),
        (
            "return to a malformed node",
            json!({ "action": "return", "task_id": task_id, "to": "Node 1!", "opinion": "有误" })
                .to_string(),
            "field_invalid",
        ),
        (
            "delegate to nobody",
            json!({ "action": "delegate", "task_id": task_id }).to_string(),
            "field_required",
        ),
        (
            "add a signer nowhere",
            json!({ "action": "add_signer", "task_id": task_id, "user": "admin", "position": "middle" })
                .to_string(),
            "field_invalid",
        ),
        (
            "copy to nobody",
            json!({ "action": "copy_to", "users": [] }).to_string(),
            "field_required",
        ),
        (
            "task id as text",
            json!({ "action": "approve", "task_id": "一" }).to_string(),
            "field_invalid",
        ),
    ];
    for (case, body, code) in cases {
        let reply = cast
            .reviewer
            .send(reqwest::Method::POST, &actions, Body::Raw(&body))
            .await;
        assert_rejected(&reply, 400, code, case);
        assert_eq!(flow_rows(&server).await, before, "{case} wrote nothing");
    }
    let bad_batch = cast
        .reviewer
        .post(
            "/api/v1/flow/batch",
            &json!({ "action": "reject", "items": [{ "doc_id": doc_id, "task_id": task_id }] }),
        )
        .await;
    assert_rejected(&bad_batch, 400, "field_invalid", "batch reject");
    let bad_create = cast
        .clerk
        .post(
            "/api/v1/flow/documents",
            &json!({ "doc_type": "unit_change", "changes": {}, "submit": true }),
        )
        .await;
    assert_rejected(&bad_create, 400, "field_invalid", "no change");
    let bad_create = cast
        .clerk
        .post(
            "/api/v1/flow/documents",
            &json!({ "doc_type": "payment", "changes": { "zip": "832000" } }),
        )
        .await;
    assert_rejected(&bad_create, 400, "field_invalid", "unknown doc type");
    assert_eq!(
        flow_rows(&server).await,
        before,
        "bad creations wrote nothing"
    );
    // Not in progress any more for the clerk: corrections are refused.
    let late = cast
        .clerk
        .patch(
            &document_path(&doc_id),
            &json!({ "changes": { "agency_leader_per_name": "李四光" } }),
        )
        .await;
    assert_rejected(&late, 409, "flow_status_forbids_action", "edit in progress");
    // Return to the submitter, correct, resubmit, approve to the end.
    let returned = act(
        &cast.reviewer,
        &doc_id,
        &json!({ "action": "return", "task_id": task_id, "to": "submitter", "opinion": "负责人姓名有误" }),
    )
    .await;
    assert_eq!(returned.status, 200, "{}", returned.text());
    assert_eq!(returned.json()["status"], "returned");
    assert_eq!(inbox_total(&cast.reviewer).await, 0);
    let corrected = cast
        .clerk
        .patch(
            &document_path(&doc_id),
            &json!({ "changes": { "agency_leader_per_name": "李四光" } }),
        )
        .await;
    assert_eq!(corrected.status, 200, "{}", corrected.text());
    assert_eq!(
        corrected.json()["document"]["payload"]["agency_leader_per_name"],
        "李四光"
    );
    let again = act(&cast.clerk, &doc_id, &json!({ "action": "submit" })).await;
    assert_eq!(again.json()["status"], "in_progress", "{}", again.text());
    assert_eq!(inbox_total(&cast.approver).await, 1);
    for who in [&cast.approver, &cast.reviewer, &cast.business, &cast.budget] {
        approve(who, &doc_id).await;
    }
    assert_eq!(leader_of(&cast).await, "李四光");
    let history = history_actions(&cast.clerk, &doc_id).await;
    assert_eq!(
        history.iter().filter(|a| a.starts_with("submit:")).count(),
        2
    );
    assert_eq!(
        history.iter().filter(|a| a.starts_with("return:")).count(),
        1
    );
}

async fn flow_parallel_approvals_and_batch(test_db: TestDb) {
    let server = spawn(test_db, true).await;
    let cast = cast(&server).await;
    // Two parallel approvals of the same task: one wins, the other is told it was handled.
    let doc_id = create_change(&cast, "王五", true).await;
    let task_id = task_of(&cast.approver, &doc_id).await;
    let body = json!({ "action": "approve", "task_id": task_id, "opinion": "同意" });
    let (first, second) = tokio::join!(
        act(&cast.approver, &doc_id, &body),
        act(&cast.approver, &doc_id, &body)
    );
    let mut statuses = vec![first.status, second.status];
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        vec![200, 409],
        "{} / {}",
        first.text(),
        second.text()
    );
    let loser = if first.status == 409 { first } else { second };
    assert_rejected(&loser, 409, "task_already_handled", "second approval");
    let history = history_actions(&cast.clerk, &doc_id).await;
    assert_eq!(
        history.iter().filter(|a| a.starts_with("approve:")).count(),
        1
    );
    // Batch approval of three documents at the approver's node.
    let mut docs = Vec::new();
    for leader in ["赵一", "赵二", "赵三"] {
        docs.push(create_change(&cast, leader, true).await);
    }
    assert_eq!(inbox_total(&cast.approver).await, 3);
    let inbox = cast.approver.get("/api/v1/flow/inbox").await;
    let items: Vec<Value> = inbox
        .items()
        .iter()
        .map(|row| json!({ "doc_id": row["doc_id"], "task_id": row["task_id"] }))
        .collect();
    assert_eq!(items.len(), 3);
    // A batch with an item already handled is refused whole, naming that document.
    let mut with_stale = items.clone();
    with_stale.push(json!({ "doc_id": doc_id, "task_id": task_id }));
    let before = flow_rows(&server).await;
    let refused = cast
        .approver
        .post(
            "/api/v1/flow/batch",
            &json!({ "action": "approve", "items": with_stale, "opinion": "同意" }),
        )
        .await;
    assert_rejected(&refused, 409, "task_already_handled", "stale batch");
    assert_eq!(text_of(&refused.json(), "doc_id"), doc_id);
    assert_eq!(
        flow_rows(&server).await,
        before,
        "refused batch wrote nothing"
    );
    assert_eq!(inbox_total(&cast.approver).await, 3);
    let applied = cast
        .approver
        .post(
            "/api/v1/flow/batch",
            &json!({ "action": "approve", "items": items, "opinion": "同意" }),
        )
        .await;
    assert_eq!(applied.status, 200, "{}", applied.text());
    assert_eq!(applied.json()["n_done"], 3);
    assert_eq!(inbox_total(&cast.approver).await, 0);
    // The reviewer holds the three plus the one approved above; batch return needs an opinion.
    assert_eq!(inbox_total(&cast.reviewer).await, 4);
    let reviewer_items: Vec<Value> = cast
        .reviewer
        .get("/api/v1/flow/inbox")
        .await
        .items()
        .iter()
        .map(|row| json!({ "doc_id": row["doc_id"], "task_id": row["task_id"] }))
        .collect();
    let no_opinion = cast
        .reviewer
        .post(
            "/api/v1/flow/batch",
            &json!({ "action": "return", "items": reviewer_items }),
        )
        .await;
    assert_rejected(&no_opinion, 400, "field_required", "batch return");
    assert!(no_opinion.json()["doc_id"].is_string());
    let returned = cast
        .reviewer
        .post(
            "/api/v1/flow/batch",
            &json!({ "action": "return", "items": reviewer_items, "opinion": "请补充材料" }),
        )
        .await;
    assert_eq!(returned.status, 200, "{}", returned.text());
    assert_eq!(returned.json()["n_done"], 4);
    assert_eq!(inbox_total(&cast.reviewer).await, 0);
    for doc in &docs {
        let page = cast.clerk.get(&document_path(doc)).await.json();
        assert_eq!(page["document"]["status"], "returned");
    }
    // The outsider cannot batch another division's documents either.
    let outsider = cast
        .outsider
        .post(
            "/api/v1/flow/batch",
            &json!({ "action": "approve", "items": [{ "doc_id": docs[0], "task_id": 1 }], "opinion": "同意" }),
        )
        .await;
    assert_rejected(&outsider, 404, "not_found", "outsider batch");
}

async fn flow_definitions_publish(test_db: TestDb) {
    let server = spawn(test_db, true).await;
    let cast = cast(&server).await;
    let list = cast.admin.get("/api/v1/flow/definitions").await;
    assert_eq!(list.status, 200, "{}", list.text());
    let unit_change: Vec<Value> = list
        .items()
        .into_iter()
        .filter(|row| row["doc_type"] == "unit_change")
        .collect();
    assert_eq!(unit_change.len(), 1);
    let flow_code = text_of(&unit_change[0], "flow_code");
    let one = cast
        .admin
        .get(&format!("/api/v1/flow/definitions/{flow_code}/1"))
        .await;
    assert_eq!(one.status, 200, "{}", one.text());
    assert_eq!(
        one.json()["definition"]["nodes"].as_array().map(Vec::len),
        Some(4)
    );
    let missing = cast
        .admin
        .get(&format!("/api/v1/flow/definitions/{flow_code}/9"))
        .await;
    assert_rejected(&missing, 404, "not_found", "no version 9");
    let bad_version = cast
        .admin
        .get(&format!("/api/v1/flow/definitions/{flow_code}/one"))
        .await;
    assert_rejected(&bad_version, 400, "field_invalid", "version as text");
    let not_admin = cast.budget.get("/api/v1/flow/definitions").await;
    assert_rejected(&not_admin, 403, "forbidden", "budget lists definitions");
    // Refused: an unreachable node and a pre-check nobody registered; the message lists both.
    let json = fiscus_app::flow::DEFAULT_FLOWS[0].1;
    let mut broken: Value = serde_json::from_str(json).expect("json");
    broken["nodes"][0]["next"] = json!([{ "to": { "node": "budget_review" } }]);
    broken["nodes"][3]["pre_checks"] = json!(["no_such_check"]);
    let before = server.count("flow_definition").await;
    let refused = cast.admin.post("/api/v1/flow/definitions", &broken).await;
    assert_rejected(
        &refused,
        422,
        "flow_definition_invalid",
        "invalid definition",
    );
    let message = refused.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.contains("无法到达") && message.contains("no_such_check"),
        "{message}"
    );
    let not_a_definition = cast
        .admin
        .post("/api/v1/flow/definitions", &json!({ "name": "空" }))
        .await;
    assert_rejected(&not_a_definition, 400, "field_invalid", "not a definition");
    let malformed = cast
        .admin
        .send(
            reqwest::Method::POST,
            "/api/v1/flow/definitions",
            Body::Raw("{\"flow_code\": "),
        )
        .await;
    assert_rejected(&malformed, 400, "field_invalid", "malformed definition");
    assert!(has_chinese(
        malformed.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
    ));
    let forbidden = cast
        .budget
        .post(
            "/api/v1/flow/definitions",
            &serde_json::from_str::<Value>(json).expect("json"),
        )
        .await;
    assert_rejected(&forbidden, 403, "forbidden", "budget publishes");
    assert_eq!(server.count("flow_definition").await, before);
    // A valid one becomes version 2.
    let published = cast
        .admin
        .post(
            "/api/v1/flow/definitions",
            &serde_json::from_str::<Value>(json).expect("json"),
        )
        .await;
    assert_eq!(published.status, 201, "{}", published.text());
    assert_eq!(published.json()["version"], 2);
    assert_eq!(published.json()["flow_code"], flow_code.as_str());
    let statuses: Vec<(i64, String)> = cast
        .admin
        .get("/api/v1/flow/definitions")
        .await
        .items()
        .iter()
        .filter(|row| row["doc_type"] == "unit_change")
        .map(|row| (row["version"].as_i64().unwrap_or(0), text_of(row, "status")))
        .collect();
    assert_eq!(
        statuses,
        vec![(1, "retired".to_owned()), (2, "published".to_owned())]
    );
}

/// 我的申请 over the API and as a page, the home page's returned card, marking notices read,
/// the automatic 催办 of an overdue task, and the unit page's link to a change request.
async fn flow_mine_notices_and_reminders(test_db: TestDb) {
    let server = spawn(test_db, true).await;
    let cast = cast(&server).await;
    let draft = create_change(&cast, "草稿人", false).await;
    let returned = create_change(&cast, "退回人", true).await;
    let task_id = task_of(&cast.approver, &returned).await;
    let reply = act(
        &cast.approver,
        &returned,
        &json!({ "action": "return", "task_id": task_id, "to": "submitter", "opinion": "请补充材料" }),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let mine = cast.clerk.get("/api/v1/flow/mine?status=draft").await;
    assert_eq!(mine.status, 200, "{}", mine.text());
    assert_eq!(mine.json()["total"], 1);
    assert_eq!(text_of(&mine.items()[0], "doc_id"), draft);
    assert_eq!(mine.json()["by_status"]["draft"], 1);
    assert_eq!(mine.json()["by_status"]["returned"], 1);
    assert_eq!(mine.json()["by_status"]["approved"], 0);
    let all = cast.clerk.get("/api/v1/flow/mine").await;
    assert_eq!(all.json()["total"], 2);
    // Nobody else's documents.
    assert_eq!(
        cast.approver.get("/api/v1/flow/mine").await.json()["total"],
        0
    );
    let bad = cast.clerk.get("/api/v1/flow/mine?status=lost").await;
    assert_rejected(&bad, 400, "field_invalid", "unknown status");
    // The page, with its tabs, and the home page's card of returned documents.
    let page = cast.clerk.get("/flow/mine?status=returned").await;
    assert_eq!(page.status, 200);
    let html = page.text();
    for text in [
        "我的申请",
        "草稿",
        "被退回",
        "审批中",
        "已通过",
        "已驳回",
        "已作废",
        "被退回，待修改后重新送审",
    ] {
        assert!(html.contains(text), "{text} missing on /flow/mine");
    }
    assert!(html.contains(&returned) && !html.contains(&format!("/flow/documents/{draft}")));
    let home = cast.clerk.get("/").await.text();
    assert!(home.contains("被退回，待修改后重新送审"));
    assert!(home.contains(&format!("/flow/documents/{returned}")));
    assert!(home.contains("href=\"/flow/mine\""), "nav entry 我的申请");
    // The unit page offers the clerk a change request of their own unit.
    let unit_page = cast
        .clerk
        .get(&format!("/agencies/{}", cast.agency_code))
        .await;
    assert_eq!(unit_page.status, 200);
    assert!(unit_page.text().contains("申请变更本单位信息"));
    // 催办 of an overdue task, once; then marked read over the API.
    let running = create_change(&cast, "催办人", true).await;
    let task = server
        .app
        .flow_document(
            &fiscus_app::auth::principal_of(
                &fiscus_store::auth::user_by_name(&server.app.db, "admin")
                    .await
                    .expect("read")
                    .expect("admin"),
            )
            .expect("principal"),
            &running,
        )
        .await
        .expect("view")
        .tasks
        .into_iter()
        .find(|task| task.status == "open")
        .expect("open task");
    let mut tx = server.app.db.begin().await.expect("tx");
    fiscus_store::flow::set_task_due_at(
        &mut tx,
        &task.instance_id,
        task.task_id,
        Some("2020-01-01T00:00:00Z"),
    )
    .await
    .expect("due");
    tx.commit().await.expect("commit");
    let now = time::OffsetDateTime::now_utc();
    assert_eq!(
        server.app.flow_remind_overdue(now).await.expect("remind"),
        1
    );
    assert_eq!(
        server.app.flow_remind_overdue(now).await.expect("remind"),
        0
    );
    let notices = cast.approver.get("/api/v1/flow/notices").await;
    assert_eq!(notices.items().len(), 1, "{}", notices.text());
    assert_eq!(notices.items()[0]["kind"], "remind");
    let notice_id = notices.items()[0]["notice_id"].as_i64().expect("notice_id");
    let missing = cast
        .approver
        .post("/api/v1/flow/notices/read", &json!({}))
        .await;
    assert_rejected(&missing, 400, "field_required", "no ids");
    // Someone else's notice id marks nothing.
    let other = cast
        .budget
        .post(
            "/api/v1/flow/notices/read",
            &json!({ "notice_ids": [notice_id] }),
        )
        .await;
    assert_eq!(other.json()["n_marked"], 0);
    let read = cast
        .approver
        .post(
            "/api/v1/flow/notices/read",
            &json!({ "notice_ids": [notice_id] }),
        )
        .await;
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(read.json()["n_marked"], 1);
    assert!(
        cast.approver
            .get("/api/v1/flow/notices")
            .await
            .items()
            .is_empty()
    );
    let again = cast
        .approver
        .post("/api/v1/flow/notices/read", &json!({ "all": true }))
        .await;
    assert_eq!(again.json()["n_marked"], 0);
    // In the pages: the clerk's inbox shows a copy with its 标记已读 button, and the form
    // marks it read.
    let copied = act(
        &cast.approver,
        &running,
        &json!({ "action": "copy_to", "users": [cast.clerk_name.clone()] }),
    )
    .await;
    assert_eq!(copied.status, 200, "{}", copied.text());
    let inbox = cast.clerk.get("/flow/inbox").await.text();
    assert!(inbox.contains("标记已读") && inbox.contains("/flow/notices/read"));
    let form = format!(
        "_csrf={}&all=1",
        cast.clerk.csrf.clone().expect("session csrf")
    );
    let marked = cast
        .clerk
        .send(
            reqwest::Method::POST,
            "/flow/notices/read",
            Body::Bytes(form.as_bytes(), "application/x-www-form-urlencoded"),
        )
        .await;
    assert_eq!(marked.status, 200, "{}", marked.text());
    assert!(marked.text().contains("已将 1 条通知标记为已读"));
    assert!(
        cast.clerk
            .get("/api/v1/flow/notices")
            .await
            .items()
            .is_empty()
    );
}
