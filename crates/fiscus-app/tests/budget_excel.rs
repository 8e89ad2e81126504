//! Excel for budget compilation at the application level, on both backends: the templates
//! parse back; a good workbook replaces a unit's tables and its export imports back
//! unchanged; a workbook with bad rows reports each row and writes nothing; a department
//! reviewer imports for its units; the disclosure workbook has its sheets and totals; and
//! projects are imported from their declaration workbook.

// Tests fail loudly: `expect` is the assertion here.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "ledger/support.rs"]
mod support;
#[path = "budget/world.rs"]
mod world;

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use fiscus_app::budget::excel::disclosure::DISCLOSURE_SHEETS;
use fiscus_app::budget::excel::project::{ESTIMATION, PLAN, PROJECTS, TARGETS};
use fiscus_app::budget::excel::{
    BUDGET_SHEETS, EXPENSES, SheetDef, rows_workbook, tables_workbook,
};
use fiscus_core::FiscalYear;
use fiscus_store::testing::TestDb;

use support::ctx;
use world::{World, YEAR, tables};

fiscus_store::on_both_backends!(
    templates_parse_back,
    good_import_and_export_round_trip,
    bad_rows_are_reported_and_nothing_is_written,
    dept_reviewer_imports_for_its_units,
    disclosure_has_its_sheets_and_totals,
    projects_import_from_their_workbook,
);

fn sheet_names(bytes: &[u8]) -> Vec<String> {
    let workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).expect("xlsx");
    workbook.sheet_names()
}

fn sheet_rows(bytes: &[u8], name: &str) -> Vec<Vec<String>> {
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).expect("xlsx");
    let range = workbook.worksheet_range(name).expect("sheet");
    range
        .rows()
        .map(|row| row.iter().map(Data::to_string).collect())
        .collect()
}

/// A workbook of the given sheets with their header and these text rows.
fn workbook(sheets: &[(&SheetDef, Vec<Vec<&str>>)]) -> Vec<u8> {
    rows_workbook(sheets).expect("a workbook")
}

async fn n_sheets(world: &World) -> i64 {
    let (_, n) = fiscus_store::budget::sheets(
        &world.app.db,
        fiscus_store::records::Viewer::System,
        &fiscus_store::budget::SheetQuery {
            fiscal_year: YEAR,
            limit: 1,
            ..Default::default()
        },
    )
    .await
    .expect("count");
    n
}

async fn n_projects(world: &World) -> usize {
    world
        .app
        .projects(&world.cast.clerk, None, 1, 200)
        .await
        .expect("projects")
        .len()
}

async fn n_lines(world: &World) -> i64 {
    world
        .app
        .budget_lines(
            &world.cast.budget,
            fiscus_store::budget::LineQuery {
                fiscal_year: YEAR,
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .expect("lines")
        .1
}

async fn templates_parse_back(test_db: TestDb) {
    let world = world::world(&test_db).await;
    let bytes = world
        .app
        .budget_template(&world.cast.clerk, YEAR)
        .await
        .expect("template");
    let names = sheet_names(&bytes);
    for def in BUDGET_SHEETS {
        assert!(names.contains(&def.name.to_owned()), "{names:?}");
    }
    assert!(names.contains(&"说明".to_owned()) && names.contains(&"编码表".to_owned()));
    let header = &sheet_rows(&bytes, EXPENSES.name)[0];
    assert_eq!(header[0], "单位代码*");
    assert_eq!(header[7], "金额（元）*");
    assert_eq!(header[8], "备注");
    let codes = sheet_rows(&bytes, "编码表");
    assert!(codes.len() > 100, "the year's codes are listed");
    // The empty template names no unit and writes nothing.
    let report = world
        .app
        .budget_import(&world.cast.clerk, YEAR, &bytes, &ctx())
        .await
        .expect("empty import");
    assert_eq!((report.n_written, report.errors.len()), (0, 0));

    let project = world
        .app
        .project_template(&world.cast.clerk)
        .expect("project template");
    let names = sheet_names(&project);
    assert_eq!(
        names,
        ["项目", "分年支出计划", "测算明细", "绩效目标", "说明"]
    );
    assert!(
        world
            .app
            .budget_template(&world.cast.budget, YEAR)
            .await
            .is_err(),
        "the budget division compiles nothing"
    );
}

async fn good_import_and_export_round_trip(test_db: TestDb) {
    let world = world::world(&test_db).await;
    let unit = world.cast.agency_code.clone();
    let tables = tables(&world, 1_000_000_000);
    let bytes = tables_workbook(&[(unit.clone(), tables.clone())]).expect("workbook");
    let report = world
        .app
        .budget_import(&world.cast.clerk, YEAR, &bytes, &ctx())
        .await
        .expect("import");
    assert_eq!(report.errors, vec![], "no refused row");
    assert_eq!(report.n_written, 1);
    let view = world
        .app
        .budget_sheet(&world.cast.clerk, YEAR, &unit)
        .await
        .expect("sheet");
    assert_eq!(view.lines.len(), 3);
    assert_eq!(view.sheet.sheet.expense_fen, 1_000_000_000);
    assert_eq!(view.tables.incomes, tables.incomes);
    assert_eq!(view.tables.non_tax, tables.non_tax);
    assert_eq!(view.tables.procurement, tables.procurement);

    let exported = world
        .app
        .budget_export_unit(&world.cast.clerk, YEAR, &unit)
        .await
        .expect("export");
    let rows = sheet_rows(&exported, EXPENSES.name);
    assert_eq!(rows.len(), 4, "header and three lines");
    let revision = view.sheet.sheet.revision;
    let again = world
        .app
        .budget_import(&world.cast.clerk, YEAR, &exported, &ctx())
        .await
        .expect("re-import");
    assert_eq!((again.n_written, again.errors.len()), (1, 0));
    let after = world
        .app
        .budget_sheet(&world.cast.clerk, YEAR, &unit)
        .await
        .expect("sheet");
    assert_eq!(
        after.tables, view.tables,
        "the export imports back unchanged"
    );
    assert_eq!(after.sheet.sheet.revision, revision + 1);

    let lines = world
        .app
        .budget_export_lines(&world.cast.budget, YEAR, Some(&world.dept_code), None)
        .await
        .expect("lines export");
    assert_eq!(sheet_rows(&lines, "预算明细").len(), 4);
    assert!(
        world
            .app
            .budget_export_unit(&world.cast.outsider, YEAR, &unit)
            .await
            .is_err(),
        "another unit's clerk sees nothing"
    );
}

async fn bad_rows_are_reported_and_nothing_is_written(test_db: TestDb) {
    let world = world::world(&test_db).await;
    let unit = world.cast.agency_code.as_str();
    let outsider = world.cast.outsider.agency_code().unwrap().to_string();
    let p = world.personnel.as_str();
    let row = |unit: &str, func: &str, amount: &str| -> Vec<String> {
        [unit, p, func, "50101", "30101", "111", "否", amount, ""]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    let rows: Vec<Vec<String>> = vec![
        row(unit, "2010101", "100.00"),      // 2 good
        row(unit, "9999999", "100.00"),      // 3 code not in the year's table
        row(unit, "2010102", "1.234"),       // 4 three decimals
        row(unit, "2010103", "一百元"),      // 5 text
        row("999999999999", "2010101", "1"), // 6 unknown unit
        row(&outsider, "2010101", "1"),      // 7 a unit out of scope
        row(unit, "2010101", "200.00"),      // 8 the same key as row 2
    ];
    let rows: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    let bytes = workbook(&[(&EXPENSES, rows)]);
    let (sheets_before, lines_before) = (n_sheets(&world).await, n_lines(&world).await);
    let report = world
        .app
        .budget_import(&world.cast.clerk, YEAR, &bytes, &ctx())
        .await
        .expect("a report");
    assert_eq!(report.n_written, 0);
    let seen: Vec<(u32, String, String)> = report
        .errors
        .iter()
        .map(|e| (e.row, e.column.clone(), e.rejection.code()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                3,
                "支出功能分类科目".into(),
                "code_not_in_year_table".into()
            ),
            (4, "金额（元）".into(), "amount_invalid".into()),
            (5, "金额（元）".into(), "amount_invalid".into()),
            (6, "单位代码".into(), "not_found".into()),
            (7, "单位代码".into(), "not_found".into()),
            (8, "".into(), "duplicate_code".into()),
        ]
    );
    assert!(report.errors.iter().all(|e| e.sheet == "支出预算"));
    assert!(report.errors[0].message().contains("9999999"));
    assert_eq!(n_sheets(&world).await, sheets_before);
    assert_eq!(n_lines(&world).await, lines_before, "nothing imported");

    // A row missing its required cells is refused with the first one it lacks.
    let foreign = workbook(&[(&EXPENSES, vec![vec![unit, p]])]);
    let report = world
        .app
        .budget_import(&world.cast.clerk, YEAR, &foreign, &ctx())
        .await
        .expect("a report");
    assert_eq!(report.errors.len(), 1, "{report:?}");
    assert!(
        world
            .app
            .budget_import(&world.cast.clerk, YEAR, b"not a workbook", &ctx())
            .await
            .is_err()
    );
}

async fn dept_reviewer_imports_for_its_units(test_db: TestDb) {
    let world = world::world(&test_db).await;
    let unit = world.cast.agency_code.clone();
    let bytes = tables_workbook(&[(unit.clone(), tables(&world, 500_000_000))]).expect("wb");
    let report = world
        .app
        .budget_import(&world.dept_reviewer, YEAR, &bytes, &ctx())
        .await
        .expect("import");
    assert_eq!(
        (report.n_written, report.errors.len()),
        (1, 0),
        "{report:?}"
    );
    let view = world
        .app
        .budget_sheet(&world.cast.clerk, YEAR, &unit)
        .await
        .expect("sheet");
    assert_eq!(view.sheet.sheet.expense_fen, 500_000_000);
    let refused = world
        .app
        .budget_import(&world.cast.outsider, YEAR, &bytes, &ctx())
        .await
        .expect("a report");
    assert_eq!(refused.errors[0].rejection.code(), "not_found");
    assert!(
        world
            .app
            .budget_import(&world.cast.budget, YEAR, &bytes, &ctx())
            .await
            .is_err(),
        "the budget division does not import unit tables"
    );
}

async fn disclosure_has_its_sheets_and_totals(test_db: TestDb) {
    let world = world::world(&test_db).await;
    let unit = world.cast.agency_code.clone();
    let bytes = tables_workbook(&[(unit, tables(&world, 1_000_000_000))]).expect("wb");
    world
        .app
        .budget_import(&world.cast.clerk, YEAR, &bytes, &ctx())
        .await
        .expect("import");
    let disclosure = world
        .app
        .budget_disclosure(&world.dept_reviewer, YEAR, &world.dept_code)
        .await
        .expect("disclosure");
    let names = sheet_names(&disclosure);
    let mut expected: Vec<String> = DISCLOSURE_SHEETS.iter().map(|s| s.to_string()).collect();
    expected.push("说明".into());
    assert_eq!(names, expected);
    let spending = sheet_rows(&disclosure, "部门支出总表");
    assert_eq!(spending[1][1], "合计");
    assert_eq!(spending[1][2], "10,000,000.00");
    // 60% 人员类 + 30% 运转类 are 基本支出, 10% 特定目标类 项目支出.
    assert_eq!(spending[1][3], "9,000,000.00");
    assert_eq!(spending[1][4], "1,000,000.00");
    assert!(
        spending
            .iter()
            .any(|row| row[0] == "201" && !row[1].is_empty()),
        "names from the code table"
    );
    let summary = sheet_rows(&disclosure, "部门收支总表");
    let last = summary.last().unwrap();
    assert_eq!(
        (last[1].as_str(), last[3].as_str()),
        ("10,000,000.00", "10,000,000.00")
    );
    let basic = sheet_rows(&disclosure, "一般公共预算基本支出表");
    assert_eq!(basic[1][2], "9,000,000.00");
    assert!(
        world
            .app
            .budget_disclosure(&world.cast.outsider, YEAR, &world.dept_code)
            .await
            .is_err()
    );
}

async fn projects_import_from_their_workbook(test_db: TestDb) {
    let world = world::world(&test_db).await;
    let good = workbook(&[
        (
            &PROJECTS,
            vec![
                vec!["1", "导入项目甲", "特定目标类", "2028", "2029"],
                vec!["2", "导入项目乙", "2", "2028", "2028"],
            ],
        ),
        (
            &PLAN,
            vec![
                vec!["1", "2028", "600"],
                vec!["1", "2029", "400"],
                vec!["2", "2028", "50.5"],
            ],
        ),
        (
            &ESTIMATION,
            vec![
                vec!["1", "培训费", "5", "200", "1000", "每人 200 元"],
                vec!["2", "办公费", "1", "50.5", "50.5", "定额"],
            ],
        ),
        (
            &TARGETS,
            vec![
                vec!["1", "产出指标", "数量指标", "培训人次", "≥5", "人次"],
                vec!["1", "效益指标", "社会效益指标", "就业率", "≥5%", ""],
                vec!["2", "产出指标", "数量指标", "保障人数", "10", "人"],
            ],
        ),
    ]);
    let year = FiscalYear(YEAR as i32);
    let before = n_projects(&world).await;
    let report = world
        .app
        .project_import(&world.cast.clerk, year, &good, &ctx())
        .await
        .expect("import");
    assert_eq!(
        (report.n_written, report.errors.len()),
        (2, 0),
        "{report:?}"
    );
    let bad = workbook(&[
        (&PROJECTS, vec![vec!["1", "坏项目", "3", "2028", "2028"]]),
        (
            &PLAN,
            vec![vec!["1", "2028", "1.234"], vec!["9", "2028", "1"]],
        ),
        (&ESTIMATION, vec![vec!["1", "x", "1", "1", "1", "y"]]),
        (&TARGETS, vec![vec!["1", "产出指标", "a", "b", "c", ""]]),
    ]);
    let refused = world
        .app
        .project_import(&world.cast.clerk, year, &bad, &ctx())
        .await
        .expect("a report");
    assert_eq!(refused.n_written, 0);
    let seen: Vec<(&str, u32)> = refused.errors.iter().map(|e| (e.sheet, e.row)).collect();
    assert_eq!(seen, vec![("分年支出计划", 2), ("分年支出计划", 3)]);
    assert_eq!(n_projects(&world).await, before + 2);
}
