//! Excel for budget compilation over HTTP, on both backends: the template downloads and
//! parses back, the import page's multipart upload writes a good workbook and shows every
//! refused row of a bad one (with the error workbook to download) while writing nothing,
//! and the unit export, the disclosure workbook and the project template download.

use calamine::{Data, Reader, Xlsx};
use fiscus_app::budget::excel::{EXPENSES, INCOMES, SheetDef, rows_workbook};
use fiscus_core::money::Fen;
use fiscus_core::project::{
    EstimationLine, PlanLine, ProjectCategory, ProjectInput, TargetLevel1, TargetLine,
};
use fiscus_core::{AgencyCode, FiscalYear};
use fiscus_store::testing::TestDb;
use reqwest::Method;

use crate::helpers::{Api, Body, TestApp, spawn};

fiscus_store::on_both_backends!(budget_workbooks_over_http);

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const UNIT: &str = "660100101001";
const CLERK: &str = "u660100101001_clerk";
const YEAR: i32 = 2028;

fn sheet_rows(bytes: &[u8], name: &str) -> Vec<Vec<String>> {
    let mut workbook: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("an xlsx file");
    let range = workbook.worksheet_range(name).expect("the sheet");
    range
        .rows()
        .map(|row| row.iter().map(Data::to_string).collect())
        .collect()
}

fn sheet_names(bytes: &[u8]) -> Vec<String> {
    let workbook: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("an xlsx file");
    workbook.sheet_names()
}

/// A workbook of the given sheets with their header and these text rows.
fn workbook(sheets: &[(&SheetDef, Vec<Vec<&str>>)]) -> Vec<u8> {
    rows_workbook(sheets).expect("a workbook")
}

/// Posts the import form as a browser would: `_csrf`, `year`, then the file.
async fn upload(session: &Api, path: &str, file: &[u8]) -> (u16, String) {
    let boundary = "----fiscusBudgetBoundary";
    let token = session.csrf.clone().expect("a session token");
    let mut body = Vec::new();
    for (name, value) in [("_csrf", token.as_str()), ("year", "2028")] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"预算.xlsx\"\r\nContent-Type: {XLSX}\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let reply = session
        .send(Method::POST, path, Body::Bytes(&body, &content_type))
        .await;
    (reply.status, reply.text())
}

/// A reserved 运转类 project of the clerk's unit; returns its code and the department.
async fn reserved_project(server: &TestApp) -> (String, String) {
    let user = fiscus_store::auth::user_by_name(&server.app.db, CLERK)
        .await
        .expect("read")
        .expect("the clerk");
    let clerk = fiscus_app::auth::principal_of(&user).expect("principal");
    let amount = Fen(10_000_000);
    let input = ProjectInput {
        pro_name: "办公运转".into(),
        agency_code: AgencyCode::parse(UNIT).expect("code"),
        pro_cat_code: ProjectCategory::Operation,
        start_year: FiscalYear(YEAR),
        end_year: FiscalYear(YEAR),
        plan: vec![PlanLine {
            year: YEAR,
            amount_fen: amount,
        }],
        estimation: vec![EstimationLine {
            item: "办公费".into(),
            quantity: 1,
            unit_price_fen: amount,
            amount_fen: amount,
            basis: "定额".into(),
        }],
        targets: vec![TargetLine {
            level1: TargetLevel1::Output,
            level2: "数量指标".into(),
            level3: "保障人数".into(),
            target_value: "10".into(),
            unit: "人".into(),
        }],
    };
    let ctx = fiscus_app::RequestCtx::default();
    let pro_id = server
        .app
        .project_create(&clerk, &input, FiscalYear(YEAR), &ctx)
        .await
        .expect("created");
    fiscus_store::testing::execute(
        &server.app.db,
        "UPDATE project SET status = 'reserved' WHERE pro_id = $1",
        &[&pro_id],
    )
    .await
    .expect("reserved");
    let pro_code = server
        .app
        .project(&clerk, &pro_id)
        .await
        .expect("read")
        .row
        .pro_code;
    let dept = clerk
        .agency_path
        .as_deref()
        .and_then(|path| path.split('/').find(|code| !code.is_empty()))
        .expect("a department")
        .to_owned();
    (pro_code, dept)
}

async fn budget_workbooks_over_http(test_db: TestDb) {
    let server = spawn(test_db, true).await;
    let (pro_code, dept) = reserved_project(&server).await;
    let session = server.demo_login(CLERK).await;

    let template = session.get("/budget/excel/template?year=2028").await;
    assert_eq!(template.status, 200);
    assert_eq!(template.header("content-type"), XLSX);
    let names = sheet_names(&template.bytes);
    assert_eq!(&names[..2], ["支出预算", "收入预算"]);
    assert_eq!(sheet_rows(&template.bytes, "支出预算")[0][0], "单位代码*");
    let page = session.get("/budget/excel/import?year=2028").await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("enctype=\"multipart/form-data\""));

    let p = pro_code.as_str();
    let good = workbook(&[
        (
            &EXPENSES,
            vec![vec![
                UNIT, p, "2010101", "50201", "30201", "111", "否", "1234.50", "办公",
            ]],
        ),
        (
            &INCOMES,
            vec![vec![UNIT, "财政拨款收入", "111", "1234.50", ""]],
        ),
    ]);
    let lines_before = server.count("budget_line").await;
    let (status, html) = upload(&session, "/budget/excel/import", &good).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("替换了 1 个单位的预算表"), "{html}");
    let lines = server.count("budget_line").await;
    assert_eq!(lines, lines_before + 1);

    let bad = workbook(&[(
        &EXPENSES,
        vec![
            vec![
                UNIT, p, "2010101", "50201", "30201", "111", "否", "1.234", "",
            ],
            vec![
                "669999999999",
                p,
                "2010101",
                "50201",
                "30201",
                "111",
                "否",
                "1",
                "",
            ],
            vec![UNIT, p, "9999999", "50201", "30202", "111", "否", "1", ""],
        ],
    )]);
    let (status, html) = upload(&session, "/budget/excel/import", &bad).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("文件中有 3 处错误，全部未导入"), "{html}");
    assert!(
        html.contains("金额（元）") && html.contains("单位代码"),
        "{html}"
    );
    assert!(html.contains("download=\"导入错误.xlsx\""), "{html}");
    assert_eq!(server.count("budget_line").await, lines, "nothing imported");

    let export = session
        .get(&format!("/budget/excel/export?year=2028&agency={UNIT}"))
        .await;
    assert_eq!(export.status, 200);
    let rows = sheet_rows(&export.bytes, "支出预算");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][7], "1,234.50");
    let (status, html) = upload(&session, "/budget/excel/import", &export.bytes).await;
    assert_eq!(status, 200, "the export imports back: {html}");

    let disclosure = session
        .get(&format!("/budget/excel/disclosure?year=2028&dept={dept}"))
        .await;
    assert_eq!(disclosure.status, 200);
    assert!(sheet_names(&disclosure.bytes).contains(&"部门支出总表".to_owned()));
    let spending = sheet_rows(&disclosure.bytes, "部门支出总表");
    assert_eq!(spending[1][2], "1,234.50");

    let projects = session.get("/projects/excel/template").await;
    assert_eq!(projects.status, 200);
    assert_eq!(sheet_names(&projects.bytes)[0], "项目");
    let other = server.demo_login("u660800101001_clerk").await;
    let refused = other
        .get(&format!("/budget/excel/export?year=2028&agency={UNIT}"))
        .await;
    assert_eq!(refused.status, 404);
}
