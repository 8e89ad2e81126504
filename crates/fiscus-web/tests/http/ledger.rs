//! The indicator ledger over HTTP, on both backends: indicators made through operation
//! documents and their flow, then the list (filters, totals, sorting, paging), the detail and
//! its 账页 with running balances, roll-ups equal to the list totals, Excel export, every
//! write endpoint's happy path and rejections, and the data scope.

use fiscus_app::App;
use fiscus_core::flow::{Command, TaskId};
use fiscus_store::testing::TestDb;
use serde_json::{Value, json};

use crate::helpers::{Api, TestApp, assert_rejected, spawn};

fiscus_store::on_both_backends!(
    list_detail_entries_summary_and_export,
    indicators_stay_inside_the_scope,
    ledger_pages_render,
);

/// A unit under a department of the first division, and the people around it.
pub const UNIT: &str = "660100101001";
pub const REGION: &str = "660100000";
pub const TREASURY: &str = "div01_treasury";
pub const BUSINESS: &str = "div01_business";
pub const BUDGET: &str = "div01_budget";
pub const CLERK: &str = "u660100101001_clerk";
pub const OTHER_CLERK: &str = "u660800101001_clerk";
const REGIMENT: &str = "reg0101_budget";
const OTHER_DIVISION: &str = "div08_budget";

pub fn draft(agency: &str, title: &str) -> Value {
    json!({
        "mof_div_code": REGION, "fiscal_year": "2026", "agency_code": agency,
        "exp_func_code": "2010101", "gov_bgt_eco_code": "501", "dep_bgt_eco_code": "301",
        "fund_type_code": "111", "bgt_type_code": "12", "pay_type_code": "1", "source_type_code": "1",
        "cor_bgt_doc_no": "师财预〔2026〕1号", "bgt_doc_title": title, "doc_date": "2026-01-10"
    })
}

pub fn pool_draft() -> Value {
    let mut pool = draft("", "2026年总待分指标");
    pool["exp_func_code"] = json!("");
    pool["gov_bgt_eco_code"] = json!("");
    pool["dep_bgt_eco_code"] = json!("");
    pool["bgt_type_code"] = json!("13");
    pool["bgt_exe_flag"] = json!("2");
    pool["pool_level"] = json!("total");
    pool
}

async fn principal(app: &App, user_name: &str) -> fiscus_core::Principal {
    let user = fiscus_store::auth::user_by_name(&app.db, user_name)
        .await
        .expect("read")
        .expect("demo user");
    fiscus_app::auth::principal_of(&user).expect("principal")
}

/// Creates an operation document over the API as the treasury division, approves it
/// through its flow, and returns the indicators it created.
pub async fn run_op(t: &TestApp, treasury: &Api, body: Value) -> Vec<String> {
    let reply = treasury.post("/api/v1/indicator-ops", &body).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let doc_id = reply.json()["doc_id"].as_str().expect("doc_id").to_owned();
    let approvers = [
        principal(&t.app, BUSINESS).await,
        principal(&t.app, BUDGET).await,
    ];
    'flow: for _ in 0..6 {
        for who in &approvers {
            let view = t.app.flow_document(who, &doc_id).await.expect("visible");
            if view.document.status == "approved" {
                break 'flow;
            }
            if let Some((task_id, _)) = view.task_actions.first() {
                let command = Command::Approve {
                    task_id: TaskId(*task_id),
                    opinion: "同意".into(),
                };
                t.app
                    .flow_act(who, &doc_id, command, &fiscus_app::RequestCtx::default())
                    .await
                    .expect("approve");
                continue 'flow;
            }
        }
    }
    fiscus_store::ledger::query::indicators_of_document(&t.app.db, &doc_id)
        .await
        .expect("read")
        .into_iter()
        .map(|id| id.to_string())
        .collect()
}

/// A pool of 5,000,000.00 元, a unit indicator of 10,000.00 元 and a child of 3,000.00 元
/// split from the pool to the unit; the unit indicator then has 1,000.00 frozen, 2,000.00
/// reserved and 1,500.00 of it posted.
pub struct World {
    pub pool: String,
    pub unit: String,
    pub child: String,
}

pub async fn world(t: &TestApp) -> World {
    let treasury = t.as_user(TREASURY).await;
    let pool = run_op(
        t,
        &treasury,
        json!({ "op": "enter", "indicator": pool_draft(), "amount": 500_000_000, "submit": true }),
    )
    .await;
    let unit = run_op(t, &treasury, json!({ "op": "enter", "indicator": draft(UNIT, "2026年基本支出"), "amount": 1_000_000, "submit": true })).await;
    let (pool, unit) = (pool[0].clone(), unit[0].clone());
    let mut child_draft = draft(UNIT, "2026年项目支出");
    child_draft["pro_code"] = json!("P001");
    let child = run_op(t, &treasury, json!({ "op": "split", "from": pool, "children": [{ "indicator": child_draft, "amount": 300_000 }], "submit": true })).await;
    run_op(t, &treasury, json!({ "op": "freeze", "bgt_id": unit, "by": { "amount": 100_000 }, "reason": "待绩效评价", "submit": true })).await;
    let reserve = treasury
        .post("/api/v1/ledger/reservations", &json!({ "transfer_id": "pay-1", "bgt_id": unit, "amount_fen": 200_000,
            "elements": { "agency_code": UNIT, "exp_func_code": "2010101", "gov_bgt_eco_code": "50101", "dep_bgt_eco_code": "30101", "fund_type_code": "111" } }))
        .await;
    assert_eq!(reserve.status, 201, "{}", reserve.text());
    let post = treasury
        .post(
            "/api/v1/ledger/reservations/pay-1/post",
            &json!({ "transfer_id": "pay-1-post", "amount_fen": 150_000 }),
        )
        .await;
    assert_eq!(post.status, 201, "{}", post.text());
    World {
        pool,
        unit,
        child: child[0].clone(),
    }
}

async fn list_detail_entries_summary_and_export(test_db: TestDb) {
    let t = spawn(test_db, true).await;
    let w = world(&t).await;
    let budget = t.as_user(BUDGET).await;

    let list = budget
        .get(&format!(
            "/api/v1/indicators?mof_div_code={REGION}&fiscal_year=2026"
        ))
        .await;
    assert_eq!(list.status, 200, "{}", list.text());
    let totals = &list.json()["totals"];
    assert_eq!(totals["count"], 3);
    assert_eq!(totals["total_fen"], 501_000_000);
    assert_eq!(totals["frozen_fen"], 100_000);
    assert_eq!(totals["spent_fen"], 150_000);
    assert_eq!(totals["available_fen"], 501_000_000 - 100_000 - 150_000);

    // Filters: executable only, function prefix, project, free text, 辖区 of the corps.
    for (filter, count) in [
        ("bgt_exe_flag=1", 2),
        ("exp_func_code=201", 2),
        ("exp_func_code=2010101", 2),
        ("pro_code=P001", 1),
        ("q=%E5%9F%BA%E6%9C%AC", 1),
        ("mof_div_code=660000998", 3),
        ("pool_level=total", 1),
        ("closed=closed", 0),
        ("agency_code=660100101001", 2),
        ("bgt_type_code=13", 1),
    ] {
        let reply = budget.get(&format!("/api/v1/indicators?{filter}")).await;
        assert_eq!(reply.json()["total"], count, "{filter}: {}", reply.text());
    }
    // Sorting and paging: the totals cover every row, the page only one.
    let page = budget
        .get("/api/v1/indicators?sort=total_fen&dir=desc&page_size=1&page=2")
        .await;
    assert_eq!(page.items().len(), 1);
    assert_eq!(page.items()[0]["bgt_id"], json!(w.unit));
    assert_eq!(page.json()["totals"]["count"], 3);
    for (query, code) in [
        ("sort=amount;drop", "sort_field_unknown"),
        ("page_size=201", "page_size_exceeded"),
        ("fiscal_year=abc", "field_invalid"),
        ("closed=maybe", "field_invalid"),
    ] {
        assert_rejected(
            &budget.get(&format!("/api/v1/indicators?{query}")).await,
            400,
            code,
            query,
        );
    }

    // Detail: lineage both ways and the documents.
    let child = budget
        .get(&format!("/api/v1/indicators/{}", w.child))
        .await
        .json();
    assert_eq!(child["parent"]["bgt_id"], json!(w.pool));
    let pool = budget
        .get(&format!("/api/v1/indicators/{}", w.pool))
        .await
        .json();
    assert_eq!(pool["children"][0]["bgt_id"], json!(w.child));
    assert_eq!(pool["documents"].as_array().map(Vec::len), Some(2));
    assert_rejected(
        &budget.get("/api/v1/indicators/NOPE").await,
        404,
        "not_found",
        "unknown id",
    );

    // 账页: entered, frozen, reserved, posted; the running balances end at the figures.
    let entries = budget
        .get(&format!("/api/v1/indicators/{}/entries", w.unit))
        .await;
    let lines = entries.items();
    assert_eq!(lines.len(), 4, "{}", entries.text());
    let last = &lines[3];
    let figures = &budget
        .get(&format!("/api/v1/indicators/{}", w.unit))
        .await
        .json()["indicator"]["figures"];
    for (line_field, figure) in [
        ("available_fen", "available_fen"),
        ("frozen_fen", "frozen_fen"),
        ("reserved_fen", "reserved_fen"),
        ("spent_fen", "spent_fen"),
    ] {
        assert_eq!(last[line_field], figures[figure], "{line_field}");
    }
    assert_eq!(last["available_fen"], 1_000_000 - 100_000 - 150_000);
    assert_eq!(lines[2]["reserved_change_fen"], 200_000);
    assert_eq!(lines[3]["available_change_fen"], 50_000);
    assert_eq!(lines[1]["reason_label"], "冻结");
    let second = budget
        .get(&format!(
            "/api/v1/indicators/{}/entries?page=2&page_size=3",
            w.unit
        ))
        .await;
    assert_eq!(second.items().len(), 1);
    assert_eq!(second.items()[0]["available_fen"], last["available_fen"]);

    // Roll-ups add up to the list totals, whatever the grouping.
    for by in [
        "by=region",
        "by=agency",
        "by=func&level=3",
        "by=func&level=7",
        "by=fund",
    ] {
        let summary = budget
            .get(&format!("/api/v1/indicators/summary?{by}&fiscal_year=2026"))
            .await
            .json();
        for field in [
            "count",
            "total_fen",
            "frozen_fen",
            "reserved_fen",
            "spent_fen",
            "available_fen",
        ] {
            let sum: i64 = summary["rows"]
                .as_array()
                .expect("rows")
                .iter()
                .map(|r| r[field].as_i64().unwrap_or(0))
                .sum();
            assert_eq!(json!(sum), totals[field], "{by} {field}");
        }
    }
    assert_rejected(
        &budget.get("/api/v1/indicators/summary?by=colour").await,
        400,
        "field_invalid",
        "by",
    );

    for path in [
        "/api/v1/indicators/export?bgt_exe_flag=1",
        "/api/v1/indicators/summary/export?by=agency",
    ] {
        let xlsx = budget.get(path).await;
        assert_eq!(xlsx.status, 200, "{path}");
        assert!(xlsx.bytes.starts_with(b"PK"), "{path}: an xlsx is a zip");
        assert!(xlsx.header("content-type").contains("spreadsheetml"));
    }
}

async fn indicators_stay_inside_the_scope(test_db: TestDb) {
    let t = spawn(test_db, true).await;
    let w = world(&t).await;
    for (user, count) in [
        (CLERK, 2),
        (OTHER_CLERK, 0),
        (REGIMENT, 0),
        (OTHER_DIVISION, 0),
        (BUDGET, 3),
        ("corps_budget", 3),
    ] {
        let api = t.as_user(user).await;
        let list = api.get("/api/v1/indicators").await;
        assert_eq!(list.json()["total"], count, "{user}: {}", list.text());
        let summary = api.get("/api/v1/indicators/summary?by=region").await.json();
        assert_eq!(summary["totals"]["count"], count, "{user} summary");
        let detail = api.get(&format!("/api/v1/indicators/{}", w.unit)).await;
        let entries = api
            .get(&format!("/api/v1/indicators/{}/entries", w.unit))
            .await;
        if count == 0 {
            assert_rejected(&detail, 404, "not_found", user);
            assert_rejected(&entries, 404, "not_found", user);
        } else {
            assert_eq!((detail.status, entries.status), (200, 200), "{user}");
        }
    }
    // The unit clerk sees its indicators but not the pool they came from.
    let clerk = t.as_user(CLERK).await;
    assert_eq!(
        clerk
            .get(&format!("/api/v1/indicators/{}", w.child))
            .await
            .json()["parent"],
        Value::Null
    );
    assert_rejected(
        &clerk.get(&format!("/api/v1/indicators/{}", w.pool)).await,
        404,
        "not_found",
        "pool",
    );
}

async fn ledger_pages_render(test_db: TestDb) {
    let t = spawn(test_db, true).await;
    let w = world(&t).await;
    let budget = t.demo_login(BUDGET).await;
    for (path, expect) in [
        ("/indicators".to_owned(), "合计"),
        (
            format!("/indicators?mof_div_code={REGION}&bgt_exe_flag=1"),
            "2026年基本支出",
        ),
        (format!("/indicators/{}", w.unit), "指标账页"),
        (
            "/indicators/summary?by=func&level=5".to_owned(),
            "功能分类（款）",
        ),
        ("/indicators/controls".to_owned(), "控制级次"),
        ("/indicators/ops/split".to_owned(), "分解分配"),
        (
            format!("/indicators/ops/year_end?mof_div_code={REGION}&fiscal_year=2026"),
            "结转预览",
        ),
    ] {
        let page = budget.get(&path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.text());
        assert!(page.text().contains(expect), "{path} shows {expect}");
    }
    assert_eq!(budget.get("/indicators?page_size=999").await.status, 400);
    assert_eq!(budget.get("/indicators/NOPE").await.status, 404);
    // A form refusal comes back with the message and writes nothing.
    let treasury = t.demo_login(TREASURY).await;
    let csrf = treasury.csrf.clone().unwrap_or_default();
    let before = t.count("flow_document").await;
    let form = |pairs: &[(&str, &str)]| {
        let mut all: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        all.push(("_csrf".into(), csrf.clone()));
        all
    };
    let refused = treasury
        .http
        .post(format!("{}/indicators/ops/cut", t.base))
        .form(&form(&[
            ("from", &w.unit),
            ("amount", "99999999"),
            ("action", "submit"),
        ]))
        .send()
        .await
        .expect("answer");
    assert_eq!(refused.status().as_u16(), 422);
    assert!(refused.text().await.unwrap_or_default().contains("超出"));
    assert_eq!(t.count("flow_document").await, before);
    let done = treasury
        .http
        .post(format!("{}/indicators/ops/freeze", t.base))
        .form(&form(&[
            ("bgt_id", &w.unit),
            ("by", "ratio"),
            ("ratio", "10"),
            ("reason", "审计"),
            ("action", "submit"),
        ]))
        .send()
        .await
        .expect("answer");
    assert_eq!(
        done.status().as_u16(),
        200,
        "followed the redirect to the document"
    );
    let document = done.text().await.unwrap_or_default();
    assert!(
        document.contains("业务内容：指标冻结") && document.contains("10.00%"),
        "{document}"
    );
}
