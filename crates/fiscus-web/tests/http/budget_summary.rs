//! 预算汇总 pages over HTTP (`/budget/summary`): the corps bureau sees a row per division with
//! a totals row and drill-down links, every dimension renders, the Excel export downloads,
//! and a division bureau cannot name another division's region.

use fiscus_store::testing::TestDb;

use crate::helpers::spawn;

fiscus_store::on_both_backends!(budget_summary_pages);

async fn budget_summary_pages(test_db: TestDb) {
    let t = spawn(test_db, true).await;
    let corps = t.demo_login("corps_budget").await;

    let page = corps.get("/budget/summary?year=2027").await;
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    for expect in [
        "预算汇总",
        "合计",
        "第一师",
        "财政审核数",
        "编制数",
        "导出 Excel",
    ] {
        assert!(html.contains(expect), "the summary shows {expect}");
    }
    assert!(
        html.contains("region=660100000"),
        "a division row drills down to that division"
    );

    for by in [
        "dept", "unit", "func3", "func5", "func7", "eco3", "eco5", "fund",
    ] {
        let path = format!("/budget/summary?year=2027&by={by}");
        let page = corps.get(&path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.text());
        assert!(page.text().contains("合计"), "{path}");
    }
    let func = corps.get("/budget/summary?year=2027&by=func3").await.text();
    assert!(func.contains("by=func5"), "类 drills down to 款");

    let drilled = corps
        .get("/budget/summary?year=2027&by=region&region=660100000")
        .await;
    assert_eq!(drilled.status, 200, "{}", drilled.text());

    let xlsx = corps
        .get("/budget/summary/export?year=2027&by=region")
        .await;
    assert_eq!(xlsx.status, 200, "{}", xlsx.text());
    assert!(xlsx.header("content-type").contains("spreadsheetml"));
    assert!(xlsx.bytes.starts_with(b"PK"));

    let division = t.demo_login("div01_budget").await;
    let own = division.get("/budget/summary?year=2027").await;
    assert_eq!(own.status, 200, "{}", own.text());
    let elsewhere = division
        .get("/budget/summary?year=2027&region=660200000")
        .await;
    assert_eq!(
        elsewhere.status, 404,
        "another division's region does not exist for it"
    );

    let bad = corps.get("/budget/summary?by=colour").await;
    assert!(
        (400..500).contains(&bad.status),
        "bad dimension: {}",
        bad.status
    );
    // Signed out: the login page (redirects are followed), not the summary.
    let anonymous = t.anonymous().get("/budget/summary").await;
    assert!(!anonymous.text().contains("财政审核数"), "sign-in first");
}
