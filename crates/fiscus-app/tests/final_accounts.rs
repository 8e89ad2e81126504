//! Final accounts (决算) at the application level, on both backends: a unit's set from the
//! ledger after payments through the bank messages (numbers against the ledger's own
//! totals, checks pass), a damaged cell caught by its checks and refusing the submission,
//! department and region sets equal to the sums of their units' sets, the 已生成 → 已报送 →
//! 已审核 flow and its refusals, the Excel workbook read back, and the tie-out to payments.

// Tests fail loudly: `expect` is the assertion here.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "ledger/support.rs"]
mod support;

#[path = "payment/setup.rs"]
mod setup;

#[path = "accounting/drive.rs"]
mod drive;

use calamine::{Data, Reader, Xlsx};
use fiscus_app::App;
use fiscus_core::Principal;
use fiscus_core::accounting::BookType;
use fiscus_core::final_accounts::{ReportSet, Scope, check_set, consolidate};
use fiscus_core::ledger::IndicatorDraft;
use fiscus_store::final_accounts as store;
use fiscus_store::ledger::query::{IndicatorFilter, indicator_totals};
use fiscus_store::records::Viewer;
use fiscus_store::testing::TestDb;

use crate::drive::*;
use crate::setup::*;
use crate::support::*;

fiscus_store::on_both_backends!(
    unit_set_from_the_ledger_and_books,
    damaged_cell_fails_its_checks_and_blocks_submission,
    consolidation_sums_the_units,
    submit_accept_and_refusals,
    excel_reads_back,
    tie_out_follows_the_payments,
);

const YEAR: i64 = 2026;

async fn generate(app: &App, who: &Principal, scope: Scope, code: &str) -> ReportSet {
    app.final_accounts_generate(who, scope, code, YEAR)
        .await
        .expect("generated")
        .set
}

/// A 政府性基金 indicator of the cast's unit under a function class the demo never uses.
fn fund_draft(world: &World) -> IndicatorDraft {
    IndicatorDraft {
        exp_func_code: "22401".into(),
        fund_type_code: "21".into(),
        dep_bgt_eco_code: "302".into(),
        gov_bgt_eco_code: "502".into(),
        ..unit_draft(&world.cast)
    }
}

async fn unit_set_from_the_ledger_and_books(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    let cast = &world.cast;
    enter(app, cast, fund_draft(&world), 500_000).await;
    pay(
        &world,
        "300.00",
        30_000,
        5_000,
        "2026-03-01",
        "2026-03-02",
        "N1",
    )
    .await;
    app.accounting_generate_pending().await.expect("vouchers");
    review_and_post(
        app,
        &cast.clerk,
        &unit_book(&world, BookType::UnitFinancial),
    )
    .await;
    let view = app
        .final_accounts_generate(&cast.clerk, Scope::Unit, &cast.agency_code, YEAR)
        .await
        .expect("generated");
    let set = &view.set;
    assert!(view.checks.passed(), "{:#?}", view.checks);
    assert_eq!(view.header.status, "generated");
    // Against the ledger's own totals of the unit's indicators of the year.
    let filter = IndicatorFilter {
        agency_code: Some(cast.agency_code.clone()),
        fiscal_year: Some(YEAR),
        ..IndicatorFilter::default()
    };
    let totals = indicator_totals(&app.db, Viewer::System, &filter)
        .await
        .expect("totals");
    assert_eq!(set.cell("cj01", "ex.total", "amount"), totals.spent_fen);
    assert_eq!(set.cell("cj01", "in.total", "amount"), totals.total_fen);
    assert_eq!(
        set.cell("cj01", "close", "amount"),
        totals.total_fen - totals.spent_fen - totals.written_off_fen
    );
    assert_eq!(set.cell("cj01", "open", "amount"), 0);
    // The fund indicator: 政府性基金, class 224, nothing spent.
    assert_eq!(set.cell("cj01", "in.gfb", "amount"), 500_000);
    assert_eq!(set.cell("cj01_1", "in", "gfb"), 500_000);
    assert_eq!(set.cell("cj02", "f.22401", "income"), 500_000);
    assert_eq!(set.cell("cj02", "f.22401.0", "close"), 500_000);
    assert_eq!(set.cell("cj07", "f.224", "income"), 0);
    // The payment: 300.00 paid, 50.00 refunded, on 2010101 / 301 / 111.
    let spent_fen = set.cell("cj04", "f.2010101", "total");
    assert!(spent_fen >= 25_000, "{spent_fen}");
    assert_eq!(set.cell("cj07", "f.2010101", "expend"), spent_fen);
    // The 财务会计 book has postings: the balance sheet is there and balances.
    let zcfz = set.table("zcfz").expect("资产负债简表");
    assert!(!zcfz.rows.is_empty());
    assert_eq!(
        set.cell("zcfz", "a.total", "amount"),
        set.cell("zcfz", "ln.total", "amount")
    );
    // Read back from storage: the same tables.
    let read = app
        .final_accounts_report(&cast.clerk, Scope::Unit, &cast.agency_code, YEAR)
        .await
        .expect("read");
    assert_eq!(&read.set, set);
    assert_eq!(read.cover.lines[1].1, cast.agency_code);
}

async fn damaged_cell_fails_its_checks_and_blocks_submission(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    let cast = &world.cast;
    let set = generate(app, &cast.clerk, Scope::Unit, &cast.agency_code).await;
    let income = set.cell("cj03", "total", "total");
    let set_id = format!("unit.{}.{YEAR}", cast.agency_code);
    let n = store::overwrite_cell_for_tests(
        &app.db,
        &set_id,
        "cj03",
        "total",
        "total",
        income + 12_345,
    )
    .await
    .expect("overwrite");
    assert_eq!(n, 1);
    let checks = app
        .final_accounts_checks(&cast.clerk, Scope::Unit, &cast.agency_code, YEAR)
        .await
        .expect("checks");
    assert!(!checks.passed());
    let cross = checks
        .rules
        .iter()
        .find(|r| r.code == "x01_03_income")
        .expect("rule");
    assert_eq!(cross.failures.len(), 1);
    assert!(
        cross.failures[0].contains("财决01「本年收入合计」行「决算数」列")
            && cross.failures[0].contains("财决03「合计」行「本年收入合计」列")
            && cross.failures[0].contains("相差 -123.45 元"),
        "{}",
        cross.failures[0]
    );
    let refused = app
        .final_accounts_submit(&cast.clerk, Scope::Unit, &cast.agency_code, YEAR)
        .await;
    assert_eq!(code(&refused), "final_accounts_checks_failed");
    let header = store::set(&app.db, &set_id)
        .await
        .expect("read")
        .expect("set");
    assert_eq!(header.status, "generated");
    // Regenerating repairs it (the set was only 已生成).
    let view = app
        .final_accounts_generate(&cast.clerk, Scope::Unit, &cast.agency_code, YEAR)
        .await
        .expect("regenerated");
    assert!(view.checks.passed());
    // In memory too: every failure names both sides.
    let mut damaged = view.set.clone();
    damaged.tables[0].rows[0].cells[0] += 1;
    assert!(!check_set(&damaged).passed());
}

async fn consolidation_sums_the_units(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    let cast = &world.cast;
    enter(app, cast, fund_draft(&world), 500_000).await;
    pay(
        &world,
        "300.00",
        30_000,
        0,
        "2026-03-01",
        "2026-03-02",
        "N1",
    )
    .await;
    let unit = store::agency_facts(&app.db, &cast.agency_code)
        .await
        .expect("read")
        .expect("unit");
    let dept_code = unit
        .parent_agency_code
        .clone()
        .expect("a unit under a department");
    let dept = store::agency_facts(&app.db, &dept_code)
        .await
        .expect("read")
        .expect("dept");
    let department = generate(app, &cast.budget, Scope::Department, &dept_code).await;
    let region = generate(app, &cast.budget, Scope::Region, &cast.mof_div_code).await;
    let subject = store::Subject::RegionPath {
        region_path: unit.region_path.clone(),
    };
    let (units, n_units) = store::units_with_sets(&app.db, &subject, YEAR, 1_000, 0)
        .await
        .expect("units");
    assert_eq!(units.len() as i64, n_units);
    assert!(n_units > 1);
    let mut in_dept = Vec::new();
    let mut in_region = Vec::new();
    for row in &units {
        let set = generate(app, &cast.budget, Scope::Unit, &row.org_code).await;
        let facts = store::agency_facts(&app.db, &row.org_code)
            .await
            .expect("read")
            .expect("unit");
        if facts.agency_path.starts_with(&dept.agency_path) {
            in_dept.push(set.clone());
        }
        in_region.push(set);
    }
    assert!(in_dept.len() >= 2, "the department has sub-units");
    // The department's reviewer sees its department on the list and may regenerate it.
    let data = fiscus_app::demo::generate(fiscus_app::demo::Scale::Small);
    let reviewer = data
        .users
        .iter()
        .find(|u| {
            u.agency_code.as_deref() == Some(dept_code.as_str()) && u.roles == "dept_reviewer"
        })
        .map(|u| u.user_name.clone())
        .expect("a department reviewer");
    let reviewer = principal(app, &reviewer).await;
    let list = app
        .final_accounts_list(&reviewer, YEAR, 1)
        .await
        .expect("list");
    assert_eq!(list.departments.len(), 1);
    assert_eq!(list.departments[0].org_code, dept_code);
    assert_eq!(
        list.departments[0].set.as_ref().map(|s| s.status.as_str()),
        Some("generated")
    );
    assert_eq!(list.units.len(), in_dept.len());
    assert_eq!(
        generate(app, &reviewer, Scope::Department, &dept_code).await,
        department
    );
    let region_refused = app
        .final_accounts_generate(&reviewer, Scope::Region, &cast.mof_div_code, YEAR)
        .await;
    assert_eq!(code(&region_refused), "not_found");
    assert_eq!(consolidate(&in_dept).expect("sum"), department);
    assert_eq!(consolidate(&in_region).expect("sum"), region);
    assert!(check_set(&region).passed(), "{:#?}", check_set(&region));
    assert!(
        region.cell("cj01", "in.total", "amount") >= department.cell("cj01", "in.total", "amount")
    );
    assert!(department.cell("cj01", "in.gfb", "amount") >= 500_000);
}

async fn submit_accept_and_refusals(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    let cast = &world.cast;
    let unit = cast.agency_code.as_str();
    // Nothing stored yet.
    let missing = app
        .final_accounts_report(&cast.clerk, Scope::Unit, unit, YEAR)
        .await;
    assert_eq!(code(&missing), "not_found");
    // Roles and scope.
    let treasury = app
        .final_accounts_generate(&cast.treasury, Scope::Unit, unit, YEAR)
        .await;
    assert_eq!(code(&treasury), "forbidden");
    let outsider = app
        .final_accounts_generate(&cast.outsider, Scope::Unit, unit, YEAR)
        .await;
    assert_eq!(code(&outsider), "not_found");
    let region = app
        .final_accounts_generate(&cast.clerk, Scope::Region, &cast.mof_div_code, YEAR)
        .await;
    assert_eq!(code(&region), "not_found");
    let admin = app
        .final_accounts_report(&cast.admin, Scope::Unit, unit, YEAR)
        .await;
    assert_eq!(code(&admin), "forbidden");
    let bad_year = app
        .final_accounts_generate(&cast.clerk, Scope::Unit, unit, 1999)
        .await;
    assert_eq!(code(&bad_year), "field_invalid");
    generate(app, &cast.clerk, Scope::Unit, unit).await;
    let early = app
        .final_accounts_accept(&cast.budget, Scope::Unit, unit, YEAR)
        .await;
    assert_eq!(code(&early), "final_accounts_status_forbids");
    let by_budget = app
        .final_accounts_submit(&cast.budget, Scope::Unit, unit, YEAR)
        .await;
    assert_eq!(code(&by_budget), "forbidden");
    let submitted = app
        .final_accounts_submit(&cast.clerk, Scope::Unit, unit, YEAR)
        .await
        .expect("submitted");
    assert_eq!(submitted.header.status, "submitted");
    assert_eq!(
        submitted.header.submitted_by.as_deref(),
        Some(cast.clerk.user_name.as_str())
    );
    let cells_before = store::cells(&app.db, &submitted.header.set_id)
        .await
        .expect("cells");
    let again = app
        .final_accounts_generate(&cast.clerk, Scope::Unit, unit, YEAR)
        .await;
    assert_eq!(code(&again), "final_accounts_status_forbids");
    let twice = app
        .final_accounts_submit(&cast.clerk, Scope::Unit, unit, YEAR)
        .await;
    assert_eq!(code(&twice), "final_accounts_status_forbids");
    assert_eq!(
        store::cells(&app.db, &submitted.header.set_id)
            .await
            .expect("cells"),
        cells_before
    );
    let by_clerk = app
        .final_accounts_accept(&cast.clerk, Scope::Unit, unit, YEAR)
        .await;
    assert_eq!(code(&by_clerk), "forbidden");
    let accepted = app
        .final_accounts_accept(&cast.budget, Scope::Unit, unit, YEAR)
        .await
        .expect("accepted");
    assert_eq!(accepted.header.status, "accepted");
    let header = store::set(&app.db, &accepted.header.set_id)
        .await
        .expect("read")
        .expect("set");
    assert_eq!(header.status, "accepted");
    assert_eq!(
        header.accepted_by.as_deref(),
        Some(cast.budget.user_name.as_str())
    );
    // The region's own set: generated and submitted by its budget division, not accepted by it.
    generate(app, &cast.budget, Scope::Region, &cast.mof_div_code).await;
    app.final_accounts_submit(&cast.budget, Scope::Region, &cast.mof_div_code, YEAR)
        .await
        .expect("region submitted");
    let own = app
        .final_accounts_accept(&cast.budget, Scope::Region, &cast.mof_div_code, YEAR)
        .await;
    assert_eq!(code(&own), "forbidden");
    // The list shows both.
    let list = app
        .final_accounts_list(&cast.budget, YEAR, 1)
        .await
        .expect("list");
    let own_row = list
        .regions
        .iter()
        .find(|r| r.org_code == cast.mof_div_code)
        .expect("region row");
    assert_eq!(
        own_row.set.as_ref().map(|s| s.status.as_str()),
        Some("submitted")
    );
    let unit_row = list
        .units
        .iter()
        .find(|r| r.org_code == unit)
        .expect("unit row");
    assert_eq!(
        unit_row.set.as_ref().map(|s| s.status.as_str()),
        Some("accepted")
    );
    let clerk_list = app
        .final_accounts_list(&cast.clerk, YEAR, 1)
        .await
        .expect("list");
    assert_eq!(clerk_list.units.len(), 1);
    assert!(clerk_list.regions.is_empty());
}

async fn excel_reads_back(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    let cast = &world.cast;
    let set = generate(app, &cast.clerk, Scope::Unit, &cast.agency_code).await;
    let bytes = app
        .final_accounts_export_xlsx(&cast.clerk, Scope::Unit, &cast.agency_code, YEAR)
        .await
        .expect("xlsx");
    let mut workbook: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("opens");
    let names = workbook.sheet_names();
    assert_eq!(names.first().map(String::as_str), Some("封面"));
    assert!(names.iter().any(|n| n == "财决01"));
    assert!(names.iter().any(|n| n == "财决08"));
    assert_eq!(names.last().map(String::as_str), Some("校验结果"));
    let sheet = workbook.worksheet_range("财决01").expect("sheet");
    let text = |row: u32, col: u32| match sheet.get_value((row, col)) {
        Some(Data::String(text)) => text.clone(),
        other => format!("{other:?}"),
    };
    assert_eq!(text(0, 0), "财决01 收入支出决算总表");
    assert_eq!(text(3, 2), "决算数");
    let total_row = (4..40)
        .find(|row| text(*row, 0) == "本年支出合计")
        .expect("row");
    let expected = fiscus_core::Fen(set.cell("cj01", "ex.total", "amount")).to_yuan_string();
    assert_eq!(text(total_row, 2), expected);
    let checks = workbook.worksheet_range("校验结果").expect("sheet");
    assert!(
        checks
            .rows()
            .skip(1)
            .all(|row| row.get(3) == Some(&Data::String("通过".into())))
    );
}

async fn tie_out_follows_the_payments(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    // The demo's ledger is seeded with spending that has no payment vouchers, so the
    // baseline does not tie; every payment through the bank moves both sides alike.
    let before = app.final_accounts_tie_out(YEAR).await.expect("tie-out");
    pay(
        &world,
        "300.00",
        30_000,
        5_000,
        "2026-03-01",
        "2026-03-02",
        "N1",
    )
    .await;
    pay(
        &world,
        "120.00",
        12_000,
        0,
        "2026-03-03",
        "2026-03-04",
        "N2",
    )
    .await;
    let after = app.final_accounts_tie_out(YEAR).await.expect("tie-out");
    assert_eq!(after.payments_fen - before.payments_fen, 37_000);
    assert_eq!(after.expenditure_fen - before.expenditure_fen, 37_000);
    assert_eq!(after.paid_fen - before.paid_fen, 42_000);
    assert_eq!(after.refunded_fen - before.refunded_fen, 5_000);
    assert_eq!(after.payments_fen, after.paid_fen - after.refunded_fen);
    assert_eq!(after.ties, after.expenditure_fen == after.payments_fen);
}
