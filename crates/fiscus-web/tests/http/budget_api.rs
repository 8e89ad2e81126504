//! Budget compilation over the JSON API, on both backends: a whole 二上二下 cycle for the
//! first division's own level, with a unit and its competent department each compiling (一上
//! 报送 and review, 一下 control numbers issued and distributed to both, 二上 报送 and review,
//! the department's consolidated list, 批复 refused while one is still in review, then
//! approved into indicators the clerk can see), scope (another
//! division's clerk gets 404, the wrong role 403), and bad input (each a clean 4xx with a
//! Chinese message and the sheet unchanged).

use fiscus_store::testing::TestDb;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Api, Body, TestApp, assert_rejected, spawn};
use crate::ledger::{BUDGET, BUSINESS, CLERK, OTHER_CLERK, REGION, UNIT};

fiscus_store::on_both_backends!(budget_two_up_two_down, budget_scope_and_bad_input);

/// The year the tests compile (no demo data uses it).
const YEAR: i64 = 2028;
const DEPT: &str = "660100101";
const DEPT_REVIEWER: &str = "u660100101_reviewer";
const APPROVER: &str = "u660100101001_approver";
/// The department compiles its own budget too.
const DEPT_CLERK: &str = "u660100101_clerk";
const DEPT_APPROVER: &str = "u660100101_approver";

/// Creates a project of the clerk's unit through the API and puts it in the reserve pool
/// directly (its declaration flow is tested elsewhere); returns its pro_code.
async fn reserved_project(t: &TestApp, clerk: &Api, category: &str, name: &str) -> String {
    let body = json!({
        "pro_name": name,
        "pro_cat_code": category,
        "start_year": YEAR,
        "end_year": YEAR,
        "plan": [ { "year": YEAR, "amount": 100_000_000 } ],
        "estimation": [ { "item": "测算", "quantity": 1, "unit_price": 100_000_000, "basis": "标准" } ],
        "targets": [
            { "level1": "output", "level2": "数量指标", "level3": "完成率", "target_value": "100%", "unit": "" },
            { "level1": "effect", "level2": "社会效益指标", "level3": "服务对象满意", "target_value": "≥90%", "unit": "" },
        ],
    });
    let created = clerk.post("/api/v1/projects", &body).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let project = created.json();
    let pro_id = project["pro_id"].as_str().expect("id");
    fiscus_store::testing::execute(
        &t.app.db,
        "UPDATE project SET status = 'reserved' WHERE pro_id = $1",
        &[pro_id],
    )
    .await
    .expect("reserve");
    project["pro_code"].as_str().expect("code").to_owned()
}

/// Balanced tables of `total` fen over the three projects.
fn tables(projects: &[String; 3], total: i64) -> Value {
    let personnel = total * 6 / 10;
    let operation = total * 3 / 10;
    let specific = total - personnel - operation;
    let line = |pro: &str, func: &str, eco: &str, gov: &str, amount: i64, gov_pur: bool| {
        json!({ "key": { "pro_code": pro, "exp_func_code": func, "gov_bgt_eco_code": gov,
            "dep_bgt_eco_code": eco, "fund_type_code": "111" },
            "amount": amount, "is_gov_pur": gov_pur, "remark": "" })
    };
    json!({
        "expenses": [
            line(&projects[0], "2010101", "30101", "50101", personnel, false),
            line(&projects[1], "2010101", "30201", "50201", operation, false),
            line(&projects[2], "2010102", "31002", "50306", specific, true),
        ],
        "incomes": [ { "kind": "appropriation", "fund_type_code": "111", "amount": total, "remark": "" } ],
        "non_tax": [],
        "procurement": [ { "pro_code": projects[2], "item_code": "A02010104", "item_name": "台式计算机",
            "quantity": 2, "amount": specific.min(1_000_000) } ],
        "assets": [],
    })
}

/// Approves every open task of `doc_id` held by any of `people`, until the flow ends.
async fn drive(people: &[&Api], doc_id: &str) -> String {
    for _ in 0..10 {
        let mut acted = false;
        for who in people {
            let reply = who.get(&format!("/api/v1/flow/documents/{doc_id}")).await;
            if reply.status != 200 {
                continue;
            }
            let Some(task_id) = reply.json()["task_actions"][0]["task_id"].as_u64() else {
                continue;
            };
            let done = who
                .post(
                    &format!("/api/v1/flow/documents/{doc_id}/actions"),
                    &json!({ "action": "approve", "task_id": task_id, "opinion": "同意" }),
                )
                .await;
            assert_eq!(done.status, 200, "{}", done.text());
            if done.json()["status"] != "in_progress" {
                return done.json()["status"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
            }
            acted = true;
            break;
        }
        assert!(acted, "nobody holds a task of {doc_id}");
    }
    panic!("{doc_id} did not end");
}

fn sheet_path() -> String {
    format!("/api/v1/budget/sheets/{YEAR}/{UNIT}")
}

async fn budget_two_up_two_down(t_db: TestDb) {
    let t = spawn(t_db, true).await;
    let clerk = t.demo_login(CLERK).await;
    let approver = t.as_user(APPROVER).await;
    let reviewer = t.as_user(DEPT_REVIEWER).await;
    let business = t.as_user(BUSINESS).await;
    let budget = t.as_user(BUDGET).await;
    let dept_clerk = t.as_user(DEPT_CLERK).await;
    let dept_approver = t.as_user(DEPT_APPROVER).await;
    let people = [&approver, &dept_approver, &reviewer, &business, &budget];
    let projects = [
        reserved_project(&t, &clerk, "1", "人员经费").await,
        reserved_project(&t, &clerk, "2", "公用经费").await,
        reserved_project(&t, &clerk, "3", "信息化建设").await,
    ];
    let dept_projects = [
        reserved_project(&t, &dept_clerk, "1", "机关人员经费").await,
        reserved_project(&t, &dept_clerk, "2", "机关公用经费").await,
        reserved_project(&t, &dept_clerk, "3", "党建活动").await,
    ];
    let dept_sheet = format!("/api/v1/budget/sheets/{YEAR}/{DEPT}");

    // 一上.
    let saved = clerk
        .send(
            Method::PUT,
            &sheet_path(),
            Body::Json(&tables(&projects, 150_000_000)),
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.text());
    assert_eq!(saved.json()["sheet"]["stage"], "one_up");
    assert_eq!(saved.json()["checks_passed"], true, "{}", saved.text());
    let submitted = clerk
        .post(&format!("{}/submit", sheet_path()), &json!({}))
        .await;
    assert_eq!(submitted.status, 200, "{}", submitted.text());
    let doc_id = submitted.json()["doc_id"].as_str().expect("doc").to_owned();
    assert_eq!(drive(&people, &doc_id).await, "approved");

    // 一下.
    let issued = budget
        .post(
            &format!("/api/v1/budget/controls/{YEAR}"),
            &json!({ "items": [ { "agency_code": DEPT, "amount": 300_000_000 } ] }),
        )
        .await;
    assert_eq!(issued.status, 200, "{}", issued.text());
    let distributed = reviewer
        .post(
            &format!("/api/v1/budget/controls/{YEAR}/{DEPT}"),
            &json!({ "items": [
                { "agency_code": UNIT, "amount": 100_000_000 },
                { "agency_code": DEPT, "amount": 50_000_000 },
            ] }),
        )
        .await;
    assert_eq!(distributed.status, 200, "{}", distributed.text());
    let controls = reviewer
        .get(&format!("/api/v1/budget/controls?year={YEAR}&kind=dept"))
        .await;
    assert_eq!(controls.json()["rows"][0]["distributed_fen"], 150_000_000);

    // The department's own budget goes straight to 二上 and into review.
    let saved = dept_clerk
        .send(
            Method::PUT,
            &dept_sheet,
            Body::Json(&tables(&dept_projects, 50_000_000)),
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.text());
    assert_eq!(saved.json()["sheet"]["stage"], "two_up");
    let dept_submitted = dept_clerk
        .post(&format!("{dept_sheet}/submit"), &json!({}))
        .await;
    assert_eq!(dept_submitted.status, 200, "{}", dept_submitted.text());
    let dept_doc = dept_submitted.json()["doc_id"]
        .as_str()
        .expect("doc")
        .to_owned();
    let sheet = clerk.get(&sheet_path()).await.json();
    assert_eq!(sheet["sheet"]["stage"], "two_up");
    assert_eq!(
        sheet["checks_passed"], false,
        "150万 against a 100万 control"
    );

    // 二上: a failing submission first, then within the number.
    let refused = clerk
        .post(&format!("{}/submit", sheet_path()), &json!({}))
        .await;
    assert_rejected(&refused, 422, "budget_checks_failed", "二上 above control");
    let saved = clerk
        .send(
            Method::PUT,
            &sheet_path(),
            Body::Json(&tables(&projects, 100_000_000)),
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.text());
    let submitted = clerk
        .post(&format!("{}/submit", sheet_path()), &json!({}))
        .await;
    assert_eq!(submitted.status, 200, "{}", submitted.text());
    let doc_id = submitted.json()["doc_id"].as_str().expect("doc").to_owned();
    assert_eq!(drive(&people, &doc_id).await, "approved");
    let listed = budget
        .get(&format!(
            "/api/v1/budget/sheets?year={YEAR}&status=reviewed"
        ))
        .await;
    assert_eq!(listed.json()["total"], 1, "{}", listed.text());
    // The competent department sees its units together (consolidation).
    let consolidated = reviewer
        .get(&format!(
            "/api/v1/budget/sheets?year={YEAR}&dept_code={DEPT}"
        ))
        .await;
    assert_eq!(consolidated.json()["total"], 2, "{}", consolidated.text());
    let early = budget
        .post(
            &format!("/api/v1/budget/approve/{YEAR}/{REGION}"),
            &json!({ "doc_no": "师财预〔2028〕1号", "doc_title": "2028年部门预算批复" }),
        )
        .await;
    assert_rejected(
        &early,
        422,
        "budget_region_not_ready",
        "department still in review",
    );
    assert_eq!(drive(&people, &dept_doc).await, "approved");

    // 二下: 批复 into indicators.
    let approved = budget
        .post(
            &format!("/api/v1/budget/approve/{YEAR}/{REGION}"),
            &json!({ "doc_no": "师财预〔2028〕1号", "doc_title": "2028年部门预算批复" }),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.text());
    assert_eq!(approved.json()["units"], 2);
    assert_eq!(approved.json()["indicators_created"], 6);
    assert_eq!(approved.json()["total_fen"], 150_000_000);
    let sheet = clerk.get(&sheet_path()).await.json();
    assert_eq!(sheet["sheet"]["stage"], "approved");
    for line in sheet["lines"].as_array().expect("lines") {
        let bgt_id = line["bgt_id"].as_str().expect("indicator");
        let indicator = clerk.get(&format!("/api/v1/indicators/{bgt_id}")).await;
        assert_eq!(indicator.status, 200, "{}", indicator.text());
        assert!(indicator.text().contains(&line["reply_amt"].to_string()));
    }
    let again = budget
        .post(
            &format!("/api/v1/budget/approve/{YEAR}/{REGION}"),
            &json!({ "doc_no": "师财预〔2028〕2号", "doc_title": "重复批复" }),
        )
        .await;
    assert_rejected(&again, 422, "budget_stage_forbids", "second approval");
    let history = clerk
        .get(&format!("{}/versions?page_size=200", sheet_path()))
        .await;
    assert_eq!(history.status, 200, "{}", history.text());
    assert!(history.json()["total"].as_i64().unwrap_or(0) >= 10);
    let openapi = clerk.get("/api/openapi.json").await;
    assert!(
        openapi
            .text()
            .contains("/api/v1/budget/sheets/{year}/{agency_code}")
    );
}

async fn budget_scope_and_bad_input(t_db: TestDb) {
    let t = spawn(t_db, true).await;
    let clerk = t.demo_login(CLERK).await;
    let other = t.as_user(OTHER_CLERK).await;
    let budget = t.as_user(BUDGET).await;
    let projects = [
        reserved_project(&t, &clerk, "1", "人员经费").await,
        reserved_project(&t, &clerk, "2", "公用经费").await,
        reserved_project(&t, &clerk, "3", "信息化建设").await,
    ];
    let saved = clerk
        .send(
            Method::PUT,
            &sheet_path(),
            Body::Json(&tables(&projects, 10_000_000)),
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.text());
    let before = clerk.get(&sheet_path()).await.text();

    let hidden = other.get(&sheet_path()).await;
    assert_rejected(&hidden, 404, "not_found", "another division's unit");
    let foreign = other
        .send(
            Method::PUT,
            &sheet_path(),
            Body::Json(&tables(&projects, 1)),
        )
        .await;
    assert_rejected(&foreign, 403, "forbidden", "another unit's clerk");
    let by_budget = budget
        .send(
            Method::PUT,
            &sheet_path(),
            Body::Json(&tables(&projects, 1)),
        )
        .await;
    assert_rejected(
        &by_budget,
        403,
        "forbidden",
        "finance may not compile for a unit",
    );
    let listed = other
        .get(&format!("/api/v1/budget/sheets?year={YEAR}"))
        .await;
    assert_eq!(listed.json()["total"], 0, "{}", listed.text());

    let mut bad_code = tables(&projects, 10_000_000);
    bad_code["expenses"][0]["key"]["exp_func_code"] = json!("2999999");
    let mut bad_amount = tables(&projects, 10_000_000);
    bad_amount["expenses"][0]["amount"] = json!("十元");
    let mut duplicate = tables(&projects, 10_000_000);
    let first = duplicate["expenses"][0].clone();
    duplicate["expenses"]
        .as_array_mut()
        .expect("lines")
        .push(first);
    let cases: Vec<(Value, u16, &str)> = vec![
        (bad_code, 422, "code_not_in_year_table"),
        (bad_amount, 400, ""),
        (duplicate, 409, "duplicate_code"),
    ];
    for (body, status, code) in cases {
        let reply = clerk
            .send(Method::PUT, &sheet_path(), Body::Json(&body))
            .await;
        if code.is_empty() {
            assert_eq!(reply.status, status, "{}", reply.text());
        } else {
            assert_rejected(&reply, status, code, code);
        }
        assert_eq!(
            clerk.get(&sheet_path()).await.text(),
            before,
            "{code} changed the sheet"
        );
    }
    let bad_year = clerk
        .get(&format!("/api/v1/budget/sheets/20x8/{UNIT}"))
        .await;
    assert_rejected(&bad_year, 400, "fiscal_year_invalid", "bad year");
    let over = t
        .as_user(BUDGET)
        .await
        .post(
            &format!("/api/v1/budget/pre-release/{YEAR}/{REGION}"),
            &json!({ "doc_no": "预1号", "doc_title": "预下达", "ratio_bp": 20_000 }),
        )
        .await;
    assert_rejected(&over, 400, "number_out_of_range", "ratio above 100%");
    assert_eq!(clerk.get(&sheet_path()).await.text(), before);
}
