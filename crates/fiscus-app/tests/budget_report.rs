//! 预算汇总 on both backends, over the small demo's 2027 compilation: totals consolidate up
//! the region tree (the corps sees each division's whole subtree, a division only its own,
//! a unit only itself), every dimension's rows sum to the totals row, and each drill-down's
//! rows sum to the row it came from.

// Tests fail loudly: `expect` is the assertion here.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};

use fiscus_app::budget::report::{BudgetReport, BudgetReportQuery};
use fiscus_app::demo::{self, Scale};
use fiscus_app::settings::Secret;
use fiscus_app::{App, Settings};
use fiscus_core::{Principal, Role};
use fiscus_store::budget::SheetQuery;
use fiscus_store::budget::report::ReportFigures;
use fiscus_store::records::Viewer;
use fiscus_store::testing::TestDb;

fiscus_store::on_both_backends!(summaries_consolidate_and_drill_down);

const YEAR: &str = "2027";

async fn principal(app: &App, user_name: &str) -> Principal {
    let user = fiscus_store::auth::user_by_name(&app.db, user_name)
        .await
        .expect("read")
        .expect("demo user exists");
    fiscus_app::auth::principal_of(&user).expect("principal")
}

async fn report(app: &App, who: &Principal, params: &[(&str, &str)]) -> BudgetReport {
    let mut map: BTreeMap<String, String> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    map.entry("year".into()).or_insert_with(|| YEAR.to_owned());
    let query = BudgetReportQuery::parse(&map).expect("query parses");
    app.budget_report(who, &query).await.expect("report")
}

/// The money figures of the rows, added up (unit counts are not additive across classes).
fn money_sum(report: &BudgetReport) -> [i64; 6] {
    let mut sum = [0_i64; 6];
    for row in &report.rows {
        for (total, value) in sum.iter_mut().zip(money(&row.figures)) {
            *total += value;
        }
    }
    sum
}

fn money(figures: &ReportFigures) -> [i64; 6] {
    [
        figures.apply_up_fen,
        figures.fin_audit_fen,
        figures.reply_fen,
        figures.adjust_fen,
        figures.current_fen,
        figures.amount_fen,
    ]
}

fn assert_rows_sum_to_totals(report: &BudgetReport, what: &str) {
    assert!(!report.rows.is_empty(), "{what}: rows");
    assert_eq!(money_sum(report), money(&report.totals), "{what}: money");
}

/// Sheets of the year by region, as the store lists them to the system.
async fn sheets(app: &App) -> Vec<fiscus_store::budget::SheetListRow> {
    let query = SheetQuery {
        fiscal_year: 2027,
        limit: 1_000_000,
        ..SheetQuery::default()
    };
    fiscus_store::budget::sheets(&app.db, Viewer::System, &query)
        .await
        .expect("sheets")
        .0
}

async fn summaries_consolidate_and_drill_down(test_db: TestDb) {
    let settings = Settings {
        secret_key: Secret::new("ab".repeat(32)),
        ..Default::default()
    };
    let app = App::new(test_db.db.clone(), settings).expect("app");
    demo::run(&app, Scale::Small).await.expect("demo loads");
    let data = demo::generate(Scale::Small);
    let path_of: HashMap<&str, &str> = data
        .regions
        .iter()
        .map(|r| (r.mof_div_code.as_str(), r.region_path.as_str()))
        .collect();
    let all_sheets = sheets(&app).await;
    assert!(!all_sheets.is_empty());
    let expense_total: i64 = all_sheets.iter().map(|s| s.sheet.expense_fen).sum();

    // The corps: one row per division with its whole subtree; the totals are everything.
    let corps = principal(&app, "corps_budget").await;
    let by_region = report(&app, &corps, &[("by", "region")]).await;
    assert_rows_sum_to_totals(&by_region, "corps by region");
    assert_eq!(by_region.totals.amount_fen, expense_total);
    assert_eq!(by_region.totals.n_units, all_sheets.len() as i64);
    let n_units_by_rows: i64 = by_region.rows.iter().map(|r| r.figures.n_units).sum();
    assert_eq!(n_units_by_rows, all_sheets.len() as i64);
    for row in &by_region.rows {
        // Independently: the sheets whose region lies in that child's subtree.
        let child_path = path_of[row.key.as_str()];
        let expected: i64 = all_sheets
            .iter()
            .filter(|s| path_of[s.sheet.mof_div_code.as_str()].starts_with(child_path))
            .map(|s| s.sheet.expense_fen)
            .sum();
        assert_eq!(row.figures.amount_fen, expected, "division {}", row.key);
        assert!(!row.name.is_empty(), "division {} is named", row.key);
    }

    // Drill-down to a division: its rows sum to the corps' row for it, and its bureau sees
    // the same numbers and nothing of the other divisions.
    let first = &by_region.rows[0];
    let drilled = report(&app, &corps, &[("by", "region"), ("region", &first.key)]).await;
    assert_rows_sum_to_totals(&drilled, "division drill-down");
    assert_eq!(drilled.totals, first.figures);
    let division = data
        .regions
        .iter()
        .find(|r| r.mof_div_code == first.key)
        .expect("division");
    let division_user = format!("div{:02}_budget", division.division_number);
    let division_budget = principal(&app, &division_user).await;
    let own = report(&app, &division_budget, &[("by", "region")]).await;
    assert_eq!(own.totals, first.figures, "a division sees its subtree");
    assert_eq!(own.rows, drilled.rows);
    let other = &by_region.rows[1];
    let query = BudgetReportQuery::parse(&BTreeMap::from([
        ("region".to_owned(), other.key.clone()),
        ("year".to_owned(), YEAR.to_owned()),
    ]))
    .expect("parses");
    let refused = app.budget_report(&division_budget, &query).await;
    assert!(refused.is_err(), "another division's region is not found");

    // Every dimension sums to the same totals; each class level drills into the next.
    for by in [
        "dept", "unit", "func3", "func5", "func7", "eco3", "eco5", "fund",
    ] {
        let grouped = report(&app, &corps, &[("by", by)]).await;
        assert_rows_sum_to_totals(&grouped, by);
        assert_eq!(grouped.totals, by_region.totals, "{by}: totals");
    }
    for (by, next, param) in [
        ("func3", "func5", "func"),
        ("func5", "func7", "func"),
        ("eco3", "eco5", "eco"),
        ("dept", "unit", "dept"),
        ("fund", "unit", "fund"),
    ] {
        let parent = report(&app, &division_budget, &[("by", by)]).await;
        for row in parent.rows.iter().take(3) {
            let child = report(&app, &division_budget, &[("by", next), (param, &row.key)]).await;
            assert_rows_sum_to_totals(&child, next);
            assert_eq!(
                child.totals, row.figures,
                "{by} {} drills to {next}",
                row.key
            );
        }
    }

    // A unit sees itself only, under any dimension.
    let sheet = all_sheets
        .iter()
        .find(|s| s.sheet.stage == "two_up" && s.sheet.status == "reviewed")
        .expect("a reviewed sheet");
    let clerk = principal(&app, &format!("u{}_clerk", sheet.sheet.agency_code)).await;
    let mine = report(&app, &clerk, &[("by", "unit")]).await;
    assert_eq!(mine.rows.len(), 1);
    assert_eq!(mine.rows[0].key, sheet.sheet.agency_code);
    assert_eq!(mine.totals.amount_fen, sheet.sheet.expense_fen);
    assert_eq!(
        mine.totals.fin_audit_fen, sheet.sheet.expense_fen,
        "reviewed"
    );
    assert_eq!(mine.totals.n_units, 1);
    let mine_by_region = report(&app, &clerk, &[("by", "region")]).await;
    assert_eq!(mine_by_region.totals, mine.totals);
    assert_eq!(mine_by_region.rows.len(), 1, "its region's own level");
    assert!(mine_by_region.rows[0].key.is_empty());

    // A department's reviewer sees its department's units.
    let dept_user = data
        .users
        .iter()
        .find(|u| {
            u.roles == Role::DeptReviewer.code()
                && all_sheets
                    .iter()
                    .any(|s| Some(s.sheet.dept_code.as_str()) == u.agency_code.as_deref())
        })
        .expect("a reviewer of a compiling department");
    let dept_code = dept_user.agency_code.clone().expect("unit");
    let reviewer = principal(&app, &dept_user.user_name).await;
    let dept = report(&app, &reviewer, &[("by", "unit")]).await;
    let expected: i64 = all_sheets
        .iter()
        .filter(|s| s.sheet.dept_code == dept_code)
        .map(|s| s.sheet.expense_fen)
        .sum();
    assert_eq!(dept.totals.amount_fen, expected);
    assert_rows_sum_to_totals(&dept, "department by unit");

    // The export is a workbook of the same summary.
    let query = BudgetReportQuery::parse(&BTreeMap::from([
        ("by".to_owned(), "region".to_owned()),
        ("year".to_owned(), YEAR.to_owned()),
    ]))
    .expect("parses");
    let bytes = app
        .export_budget_report(&corps, &query)
        .await
        .expect("export");
    assert!(bytes.starts_with(b"PK"), "an xlsx (zip) file");

    // Bad input is a rejection, not a failure.
    for (name, value) in [("by", "color"), ("year", "27"), ("func", "20'1")] {
        let params = BTreeMap::from([(name.to_owned(), value.to_owned())]);
        assert!(BudgetReportQuery::parse(&params).is_err(), "{name}={value}");
    }
}
