//! The 预算编制 pages over HTTP, on both backends: the budget division issues a department
//! control number on /budget/controls, the department's reviewer distributes it, the unit
//! clerk fills in its tables on /budget/{year}/{agency}, sees the 勾稽审核表 pass and submits;
//! the list, version history, printable view, 批复下达 (refused while a unit is in review, then
//! 预下达 into indicators) and 调整调剂 pages render for their roles; scope (another unit's clerk
//! gets 404) and refusals shown on the form with the Chinese message and the stable code.

use fiscus_app::demo::{self, Scale};
use fiscus_core::Principal;
use fiscus_store::testing::TestDb;
use reqwest::Method;

use crate::helpers::{Api, Body, TestApp, spawn};
use crate::payment::{CLERK, OTHER_CLERK};

fiscus_store::on_both_backends!(budget_cycle_pages, budget_pages_scope_and_refusals);

/// The year of the tests: the one the shipped code tables cover.
pub const YEAR: i64 = 2026;

/// The cast around the clerk's unit and a reserved project of that unit.
pub struct World {
    pub unit: String,
    pub unit_name: String,
    pub dept: String,
    pub reviewer: String,
    pub budget: String,
    pub approver: String,
    pub pro_code: String,
}

async fn principal(t: &TestApp, user_name: &str) -> Principal {
    let user = fiscus_store::auth::user_by_name(&t.app.db, user_name)
        .await
        .expect("read")
        .expect("demo user");
    fiscus_app::auth::principal_of(&user).expect("principal")
}

/// Reserves a 特定目标类 project of the clerk's unit (as if it had passed its declaration
/// flow) and names the people of the cycle.
pub async fn world(t: &TestApp) -> World {
    let clerk = principal(t, CLERK).await;
    let unit = clerk.agency_code().expect("a unit").as_str().to_owned();
    let dept = clerk
        .agency_path
        .as_deref()
        .and_then(|path| path.split('/').find(|code| !code.is_empty()))
        .expect("a department")
        .to_owned();
    let region = clerk.mof_div_code().as_str().to_owned();
    let budget = demo::generate(Scale::Small)
        .users
        .into_iter()
        .find(|user| {
            user.agency_code.is_none()
                && user.mof_div_code == region
                && user.roles == fiscus_core::Role::BudgetDivision.code()
        })
        .expect("the region's budget division")
        .user_name;
    let pro_code = format!("{unit}P26001");
    let row = fiscus_store::project::ProjectRow {
        pro_id: format!("budget-test-{unit}"),
        pro_code: pro_code.clone(),
        pro_name: "团场职工技能培训项目".into(),
        agency_code: unit.clone(),
        mof_div_code: region,
        pro_cat_code: "3".into(),
        setup_year: YEAR,
        pro_start_year: YEAR,
        pro_end_year: YEAR,
        pro_total_amt: 10_000_000,
        plan_json: "[]".into(),
        estimation_json: "[]".into(),
        targets_json: "[]".into(),
        status: "reserved".into(),
        terminate_reason: None,
        created_by: CLERK.into(),
        created_at: "2026-01-05T02:00:00Z".into(),
        updated_at: "2026-01-05T02:00:00Z".into(),
        pro_source: fiscus_store::project::PRO_SOURCE_DECLARE.into(),
    };
    // A project's id is the id of its declaration document, approved here.
    let declaration = fiscus_store::flow::DocumentRow {
        doc_id: row.pro_id.clone(),
        doc_type: fiscus_core::flow::DocType::ProjectDeclaration.code().into(),
        title: row.pro_name.clone(),
        mof_div_code: row.mof_div_code.clone(),
        agency_code: Some(unit.clone()),
        amount_fen: row.pro_total_amt,
        payload: "{}".into(),
        status: "approved".into(),
        submitter: CLERK.into(),
        created_at: row.created_at.clone(),
        updated_at: row.updated_at.clone(),
    };
    let mut tx = t.app.db.begin().await.expect("begin");
    fiscus_store::flow::insert_document(&mut tx, &declaration)
        .await
        .expect("declaration");
    fiscus_store::project::insert_project(&mut tx, &row)
        .await
        .expect("project");
    tx.commit().await.expect("commit");
    World {
        unit_name: clerk.org_name.clone(),
        reviewer: format!("u{dept}_reviewer"),
        approver: format!("u{unit}_approver"),
        unit,
        dept,
        budget,
        pro_code,
    }
}

/// Posts an urlencoded form with the session's CSRF token; the reply after redirects.
pub async fn post_form(api: &Api, path: &str, fields: &[(&str, &str)]) -> crate::helpers::Reply {
    let mut body = format!("_csrf={}", api.csrf.clone().unwrap_or_default());
    for (name, value) in fields {
        body.push_str(&format!(
            "&{}={}",
            fiscus_web::context::percent_encode(name),
            fiscus_web::context::percent_encode(value)
        ));
    }
    api.send(
        Method::POST,
        path,
        Body::Bytes(body.as_bytes(), "application/x-www-form-urlencoded"),
    )
    .await
}

/// Asserts a page came back with `status` and shows every one of `expected`.
fn shows(reply: &crate::helpers::Reply, status: u16, expected: &[&str], context: &str) {
    let text = reply.text();
    assert_eq!(reply.status, status, "{context}: {text}");
    for needle in expected {
        assert!(text.contains(needle), "{context} shows {needle}: {text}");
    }
}

/// The department's control number issued and 1,000.00 元 distributed to the unit.
pub async fn controls(t: &TestApp, w: &World) {
    let budget = t.demo_login(&w.budget).await;
    let year = YEAR.to_string();
    let issued = post_form(
        &budget,
        "/budget/controls",
        &[
            ("year", &year),
            ("action", "issue"),
            ("code_0", &w.dept),
            ("amt_0", "10,000"),
        ],
    )
    .await;
    shows(&issued, 200, &["部门控制数已下达", "10,000.00"], "issue");
    let reviewer = t.demo_login(&w.reviewer).await;
    let distributed = post_form(
        &reviewer,
        "/budget/controls",
        &[
            ("year", &year),
            ("action", "distribute"),
            ("dept", &w.dept),
            ("code_0", &w.unit),
            ("amt_0", "1000.00"),
        ],
    )
    .await;
    shows(
        &distributed,
        200,
        &["控制数已分配到单位", "已分配", "未分配", "9,000.00"],
        "distribute",
    );
}

/// The clerk's tables: one expenditure line of 1,000.00 元 and the matching income.
pub fn good_tables(w: &World) -> Vec<(&'static str, String)> {
    vec![
        ("exp_pro_0", w.pro_code.clone()),
        ("exp_func_0", "2050201".into()),
        ("exp_gov_0", "50201".into()),
        ("exp_dep_0", "30201".into()),
        ("exp_fund_0", "111".into()),
        ("exp_amt_0", "1000".into()),
        ("exp_remark_0", "培训教材".into()),
        ("inc_kind_0", "appropriation".into()),
        ("inc_fund_0", "111".into()),
        ("inc_amt_0", "1,000.00".into()),
    ]
}

fn fields<'a>(pairs: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    pairs.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

async fn budget_cycle_pages(test_db: TestDb) {
    let t = spawn(test_db, true).await;
    let w = world(&t).await;
    let sheet = format!("/budget/{YEAR}/{}", w.unit);
    let clerk = t.demo_login(CLERK).await;

    // Before anything: the clerk lands on its own, empty budget with the form.
    let landing = clerk.get(&format!("/budget?year={YEAR}")).await;
    shows(
        &landing,
        200,
        &["尚未开始编制", "填报", "保存预算表", "预算编制"],
        "landing",
    );
    assert!(
        landing.text().contains(&w.pro_code),
        "the reserved project is offered"
    );

    controls(&t, &w).await;
    let budget = t.demo_login(&w.budget).await;
    shows(
        &budget.get(&format!("/budget/controls?year={YEAR}")).await,
        200,
        &["下达部门控制数", "1,000.00"],
        "controls of the division",
    );

    // Fill in and save: the 勾稽审核表 passes, then 报送.
    let saved = post_form(&clerk, &format!("{sheet}/save"), &fields(&good_tables(&w))).await;
    shows(
        &saved,
        200,
        &[
            "预算表已保存",
            "勾稽审核表",
            "✓ 通过",
            "全部 8 项勾稽审核通过",
            "二上·编制中",
        ],
        "saved",
    );
    assert!(!saved.text().contains("✗ 未通过"), "{}", saved.text());
    for (tab, expected) in [
        ("expenses", "团场职工技能培训项目"),
        ("expenses", "学前教育"),
        ("incomes", "财政拨款收入"),
        ("procurement", "没有政府采购预算"),
        ("assets", "没有资产购置计划"),
        ("versions", "新增"),
        ("edit", "培训教材"),
    ] {
        shows(
            &clerk.get(&format!("{sheet}?tab={tab}")).await,
            200,
            &[expected],
            tab,
        );
    }
    shows(
        &clerk.get(&format!("{sheet}/print")).await,
        200,
        &["勾稽审核表", "一、支出预算", "1,000.00"],
        "print",
    );
    let submitted = post_form(&clerk, &format!("{sheet}/submit"), &[]).await;
    shows(
        &submitted,
        200,
        &["预算已报送", "二上·审核中", "/flow/documents/", "报送"],
        "submitted",
    );
    assert!(
        !submitted.text().contains("保存预算表"),
        "no form in review"
    );

    // The others: the list, the reviewer's view, the approval page.
    shows(
        &budget.get(&format!("/budget?year={YEAR}")).await,
        200,
        &[
            &w.unit_name,
            "二上·审核中",
            "1,000.00",
            "/budget/excel/export",
        ],
        "list",
    );
    shows(
        &budget
            .get(&format!("/budget?year={YEAR}&stage=one_up"))
            .await,
        200,
        &["没有符合条件的单位预算"],
        "filtered list",
    );
    let reviewer = t.demo_login(&w.reviewer).await;
    shows(
        &reviewer.get(&sheet).await,
        200,
        &["勾稽审核表", "二上·审核中"],
        "reviewer",
    );
    let approver = t.demo_login(&w.approver).await;
    let own = approver.get("/budget").await;
    shows(&own, 200, &["二上·审核中"], "the approver goes to its unit");
    shows(
        &budget.get(&format!("/budget/approve?year={YEAR}")).await,
        200,
        &["单位预算进度", "批复并生成指标", "预下达"],
        "approve page",
    );
    let refused = post_form(
        &budget,
        "/budget/approve",
        &[
            ("year", &YEAR.to_string()),
            ("action", "approve"),
            ("doc_no", "兵财预〔2026〕1号"),
            ("doc_title", "关于批复2026年部门预算的通知"),
        ],
    )
    .await;
    assert!(refused.status >= 400, "{}", refused.text());
    shows(
        &refused,
        refused.status,
        &["budget_region_not_ready", "兵财预〔2026〕1号"],
        "not ready",
    );
    let pre = post_form(
        &budget,
        "/budget/approve",
        &[
            ("year", &YEAR.to_string()),
            ("action", "pre_release"),
            ("ratio", "30"),
            ("doc_no", "兵财预〔2026〕2号"),
            ("doc_title", "关于提前下达部分预算的通知"),
        ],
    )
    .await;
    shows(&pre, 200, &["预下达完成", "300.00"], "pre-release");
    // The line now carries its indicator.
    let lines = clerk.get(&sheet).await;
    shows(
        &lines,
        200,
        &["预下达", "/indicators/"],
        "pre-released line",
    );

    // 调整调剂: the form and the clerk's documents.
    shows(
        &clerk.get(&format!("/budget/adjust?year={YEAR}")).await,
        200,
        &["新建调整调剂单", "我的调整调剂单", "提交审核"],
        "adjust",
    );
    let no_legs = post_form(
        &clerk,
        "/budget/adjust",
        &[
            ("year", &YEAR.to_string()),
            ("kind", "supplement"),
            ("reason", "增加培训班次"),
        ],
    )
    .await;
    shows(
        &no_legs,
        no_legs.status,
        &["至少需要一条调整明细", "adjustment_invalid"],
        "no legs",
    );
    assert!(no_legs.status >= 400);
}

async fn budget_pages_scope_and_refusals(test_db: TestDb) {
    let t = spawn(test_db, true).await;
    let w = world(&t).await;
    let sheet = format!("/budget/{YEAR}/{}", w.unit);
    let clerk = t.demo_login(CLERK).await;
    let year = YEAR.to_string();

    // Refusals on the forms, with what was typed kept.
    let bad_amount = post_form(
        &clerk,
        &format!("{sheet}/save"),
        &[("exp_pro_0", &w.pro_code), ("exp_amt_0", "12.345")],
    )
    .await;
    shows(
        &bad_amount,
        400,
        &[
            "支出预算第 1 行",
            "不是有效金额",
            "amount_invalid",
            "预算表未保存",
            "12.345",
        ],
        "bad amount",
    );
    let mut unknown = good_tables(&w);
    unknown[1].1 = "2999999".into();
    let unknown = post_form(&clerk, &format!("{sheet}/save"), &fields(&unknown)).await;
    assert!(unknown.status >= 400, "{}", unknown.text());
    shows(
        &unknown,
        unknown.status,
        &["2999999", "code_not_in_year_table"],
        "unknown code",
    );
    // Without a control number the 二上 check fails; submission is refused and says why.
    let saved = post_form(&clerk, &format!("{sheet}/save"), &fields(&good_tables(&w))).await;
    shows(
        &saved,
        200,
        &["预算表已保存", "一上·编制中"],
        "saved at 一上",
    );
    let mut off = good_tables(&w);
    off[9].1 = "900".into();
    let off = post_form(&clerk, &format!("{sheet}/save"), &fields(&off)).await;
    shows(
        &off,
        200,
        &["✗ 未通过", "收入合计 900.00 元，支出合计 1,000.00 元"],
        "unbalanced",
    );
    let refused = post_form(&clerk, &format!("{sheet}/submit"), &[]).await;
    assert!(refused.status >= 400, "{}", refused.text());
    shows(
        &refused,
        refused.status,
        &["budget_checks_failed", "预算未报送"],
        "checks fail",
    );

    // Controls: a bad amount and a distribution over the department's number.
    let budget = t.demo_login(&w.budget).await;
    let bad = post_form(
        &budget,
        "/budget/controls",
        &[
            ("year", &year),
            ("action", "issue"),
            ("code_0", &w.dept),
            ("amt_0", "1.234"),
        ],
    )
    .await;
    shows(
        &bad,
        400,
        &["不是有效金额", "amount_invalid", "1.234"],
        "bad control",
    );
    controls(&t, &w).await;
    let reviewer = t.demo_login(&w.reviewer).await;
    let over = post_form(
        &reviewer,
        "/budget/controls",
        &[
            ("year", &year),
            ("action", "distribute"),
            ("dept", &w.dept),
            ("code_0", &w.unit),
            ("amt_0", "20000"),
        ],
    )
    .await;
    assert!(over.status >= 400, "{}", over.text());
    shows(
        &over,
        over.status,
        &["control_number_exceeded", "控制数未保存"],
        "over",
    );
    let pre = post_form(
        &budget,
        "/budget/approve",
        &[
            ("year", &year),
            ("action", "pre_release"),
            ("ratio", "三成"),
            ("doc_no", "x"),
            ("doc_title", "y"),
        ],
    )
    .await;
    shows(
        &pre,
        400,
        &["预下达比例", "field_invalid", "三成"],
        "bad ratio",
    );

    // Scope: another unit's clerk sees nothing of ours and may not write.
    let other = t.demo_login(OTHER_CLERK).await;
    assert_eq!(other.get(&sheet).await.status, 404);
    assert_eq!(other.get(&format!("{sheet}/print")).await.status, 404);
    assert_eq!(
        other.get(&format!("{sheet}?tab=versions")).await.status,
        404
    );
    let written = post_form(&other, &format!("{sheet}/save"), &fields(&good_tables(&w))).await;
    assert!(
        matches!(written.status, 403 | 404),
        "{}: {}",
        written.status,
        written.text()
    );
    let listed = other.get(&format!("/budget?year={year}")).await;
    assert!(!listed.text().contains(&w.unit_name), "{}", listed.text());
    // Pages of the budget division are not for a clerk.
    assert_eq!(clerk.get("/budget/approve").await.status, 403);
    assert_eq!(other.get("/budget/approve").await.status, 403);
    // The reviewer reads the unit's sheet; a unit clerk's navigation has the 预算编制 group.
    shows(
        &reviewer.get(&sheet).await,
        200,
        &["二上·编制中"],
        "reviewer reads",
    );
    shows(
        &clerk.get("/").await,
        200,
        &["本单位预算", "预算调整调剂"],
        "clerk nav",
    );
    shows(
        &budget.get("/").await,
        200,
        &["控制数下达", "批复下达"],
        "division nav",
    );
    let bad_year = clerk.get("/budget/abc/x").await;
    assert_eq!(bad_year.status, 404);
}
