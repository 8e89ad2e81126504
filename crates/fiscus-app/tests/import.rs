//! Excel import at the application level, on both backends: a good file of persons is
//! imported whole with one audit row per record; a file with bad rows imports nothing and
//! names every bad row; rows repeated in the file are refused like stored duplicates (also
//! when the database itself refuses the insert, which on PostgreSQL aborts the transaction
//! unless the row's savepoint is rolled back); the row limit. Reading the sheet — not an
//! .xlsx, unknown headers, numbers and money cells — needs no database.

// Tests fail loudly: `expect` is the assertion here. Table rows are plain tuples on purpose.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::type_complexity)]

use fiscus_app::demo::{self, Scale};
use fiscus_app::import::{ImportReport, read_sheet};
use fiscus_app::settings::Secret;
use fiscus_app::{App, AppError, RequestCtx, Settings};
use fiscus_core::IdentityNumber;
use fiscus_core::masterdata::{Input, Record, Value};
use fiscus_core::query::{IMPORT_ROWS_MAX, ListQuery};
use fiscus_core::schema::{self, EntitySpec};
use fiscus_core::{Principal, Rejection};
use fiscus_store::audit::AuditQuery;
use fiscus_store::testing::TestDb;
use rust_xlsxwriter::Workbook;

fiscus_store::on_both_backends!(
    good_file_imports_every_row_with_audit,
    bad_rows_refuse_the_whole_file,
    duplicates_within_the_file_are_refused,
    too_many_rows_are_refused,
);

/// The unit the demo's persons sample belongs to (first division).
const UNIT: &str = "660100101";

/// A cell of a test workbook.
#[derive(Clone, Copy)]
enum Cell<'a> {
    Text(&'a str),
    Number(f64),
    Flag(bool),
    Empty,
}

use Cell::{Empty, Flag, Number, Text};

/// An .xlsx whose first sheet holds `rows` from A1 on.
fn workbook(rows: &[Vec<Cell<'_>>]) -> Vec<u8> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (row, cells) in rows.iter().enumerate() {
        for (column, cell) in cells.iter().enumerate() {
            let (row, column) = (row as u32, column as u16);
            match cell {
                Text(text) => sheet.write_string(row, column, *text).map(|_| ()),
                Number(number) => sheet.write_number(row, column, *number).map(|_| ()),
                Flag(flag) => sheet.write_boolean(row, column, *flag).map(|_| ()),
                Empty => Ok(()),
            }
            .expect("cell");
        }
    }
    workbook.save_to_buffer().expect("xlsx")
}

async fn demo_app(test_db: &TestDb) -> App {
    let settings = Settings {
        secret_key: Secret::new("ab".repeat(32)),
        demo_mode: true,
        ..Default::default()
    };
    let app = App::new(test_db.db.clone(), settings).expect("app");
    demo::run(&app, Scale::Small).await.expect("demo loads");
    app
}

async fn principal(app: &App, user_name: &str) -> Principal {
    let user = fiscus_store::auth::user_by_name(&app.db, user_name)
        .await
        .expect("read")
        .expect("demo user exists");
    fiscus_app::auth::principal_of(&user).expect("principal")
}

async fn count(app: &App, table: &str) -> i64 {
    let mut tx = app.db.begin().await.expect("begin");
    fiscus_store::bulk::count_rows(&mut tx, table)
        .await
        .expect("count")
}

/// A valid resident identity number, different for each `serial`.
fn identity(serial: u32) -> String {
    IdentityNumber::with_check_char(&format!("11010519900307{serial:03}"))
        .expect("17 digits")
        .into_string()
}

/// The same number with a wrong check character.
fn identity_wrong_check(serial: u32) -> String {
    let good = identity(serial);
    let wrong = if good.ends_with('1') { '2' } else { '1' };
    format!("{}{wrong}", &good[..17])
}

const PERSON_HEADER: [&str; 9] = [
    "所在单位",
    "姓名*",
    "证件类型",
    "证件号码",
    // A column may also be named by its field name.
    "sex_code",
    "人员身份",
    "人员状态",
    "是否在编",
    "职务（岗位）工资（元/月）",
];

fn person_row<'a>(unit: &'a str, name: &'a str, iden_no: &'a str, pay: Cell<'a>) -> Vec<Cell<'a>> {
    vec![
        Text(unit),
        Text(name),
        Text("01"),
        Text(iden_no),
        Text("1"),
        Text("1"),
        Text("1"),
        Flag(true),
        pay,
    ]
}

fn header(labels: &[&'static str]) -> Vec<Cell<'static>> {
    labels.iter().map(|label| Text(label)).collect()
}

async fn import(
    app: &App,
    who: &Principal,
    spec: &'static EntitySpec,
    bytes: &[u8],
) -> Result<ImportReport, AppError> {
    let rows = read_sheet(spec, bytes)?;
    app.import_records(who, spec, rows, &RequestCtx::default())
        .await
}

/// (row, code) of every refused row.
fn refused(report: &ImportReport) -> Vec<(u32, String)> {
    report
        .errors
        .iter()
        .map(|error| (error.row, error.rejection.code()))
        .collect()
}

async fn persons_named(app: &App, who: &Principal, name: &str) -> Vec<Record> {
    let mut query = ListQuery::first_page(&schema::PERSON);
    query.search = Some(name.to_owned());
    app.list_records(who, &schema::PERSON, &query)
        .await
        .expect("list")
        .rows
}

async fn good_file_imports_every_row_with_audit(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let admin = principal(&app, "admin").await;
    let (id1, id2, id3) = (identity(1), identity(2), identity(3));
    let bytes = workbook(&[
        header(&PERSON_HEADER),
        person_row(UNIT, "导入甲", &id1, Number(3250.5)),
        // An empty row between records is skipped; row numbers stay as Excel shows them.
        vec![],
        person_row(UNIT, "导入乙", &id2, Text("4,000.00")),
        person_row(UNIT, "导入丙", &id3, Empty),
    ]);
    let rows = read_sheet(&schema::PERSON, &bytes).expect("readable");
    assert_eq!(
        rows.iter().map(|(row, _)| *row).collect::<Vec<_>>(),
        vec![2, 4, 5]
    );
    let (persons_before, audit_before) =
        (count(&app, "person").await, count(&app, "audit_log").await);
    let report = app
        .import_records(&admin, &schema::PERSON, rows, &RequestCtx::default())
        .await
        .expect("imported");
    assert_eq!(report.errors, vec![]);
    assert_eq!(report.n_imported, 3);
    assert_eq!(count(&app, "person").await, persons_before + 3);
    assert_eq!(count(&app, "audit_log").await, audit_before + 3);
    let created = persons_named(&app, &admin, "导入").await;
    assert_eq!(created.len(), 3);
    // The list shows the listed columns only; the amounts are read from each record.
    let mut pay = Vec::new();
    for name in ["导入甲", "导入乙", "导入丙"] {
        let per_id = created
            .iter()
            .find(|person| person.get("per_name") == Some(&Value::Text(name.into())))
            .and_then(|person| person.get("per_id").and_then(Value::as_text))
            .expect("per_id");
        let record = app
            .get_record(&admin, &schema::PERSON, per_id)
            .await
            .expect("read back");
        assert_eq!(record.get("is_auth"), Some(&Value::Bool(true)), "{name}");
        pay.push(record.get("pos_sala").cloned().unwrap_or(Value::Null));
    }
    assert_eq!(
        pay,
        vec![Value::Int(325_050), Value::Int(400_000), Value::Null]
    );
    let history = fiscus_store::audit::list(
        &app.db,
        &AuditQuery {
            entity: Some("persons".into()),
            action: Some("create".into()),
            page: 1,
            page_size: 50,
            ..AuditQuery::default()
        },
    )
    .await
    .expect("audit");
    assert!(history.1 >= 3, "one create entry per imported person");
}

async fn bad_rows_refuse_the_whole_file(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let admin = principal(&app, "admin").await;
    let ids: Vec<String> = (11..16).map(identity).collect();
    let wrong = identity_wrong_check(12);
    let bytes = workbook(&[
        header(&PERSON_HEADER),
        person_row(UNIT, "好甲", &ids[0], Number(100.0)),
        person_row(UNIT, "坏乙", &wrong, Number(100.0)),
        person_row(UNIT, "好丙", &ids[2], Number(100.0)),
        person_row("669999999", "坏丁", &ids[3], Number(100.0)),
        person_row(UNIT, "好戊", &ids[4], Number(100.0)),
    ]);
    let (persons_before, audit_before) =
        (count(&app, "person").await, count(&app, "audit_log").await);
    let report = import(&app, &admin, &schema::PERSON, &bytes)
        .await
        .expect("a report, not an error");
    assert_eq!(report.n_imported, 0);
    assert_eq!(
        refused(&report),
        vec![
            (3, "identity_check_char_wrong".to_owned()),
            (5, "parent_unknown".to_owned())
        ]
    );
    assert_eq!(report.errors[0].rejection.field(), Some("证件号码"));
    assert_eq!(
        report.errors[1].rejection,
        Rejection::ParentUnknown {
            field: "所在单位",
            value: "669999999".into()
        }
    );
    assert_eq!(count(&app, "person").await, persons_before);
    assert_eq!(count(&app, "audit_log").await, audit_before);
    assert!(persons_named(&app, &admin, "好甲").await.is_empty());
}

async fn duplicates_within_the_file_are_refused(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let admin = principal(&app, "admin").await;
    // Units: the app finds the first row's record in the transaction before inserting.
    let agency = |code: &'static str, name: &'static str| {
        vec![
            Text(code),
            Text(name),
            Text("660100000"),
            Text("3"),
            Text("1"),
            Number(12.0),
        ]
    };
    let bytes = workbook(&[
        header(&[
            "单位代码",
            "单位名称",
            "财政区划",
            "单位类型",
            "经费供给方式",
            "事业编制数",
        ]),
        agency("660100991", "导入中心一"),
        agency("660100991", "导入中心一（重复）"),
        agency("660100992", "导入中心二"),
    ]);
    let agencies_before = count(&app, "agency").await;
    let report = import(&app, &admin, &schema::AGENCY, &bytes)
        .await
        .expect("report");
    assert_eq!(refused(&report), vec![(3, "duplicate_code".to_owned())]);
    assert_eq!(count(&app, "agency").await, agencies_before);

    // Accounts: the unique constraint refuses the second insert. The rows after it must still
    // be checked (row 5 is refused for its own reason), so the failed INSERT may not have
    // aborted the transaction.
    let account = |number: &'static str, bank_code: &'static str| {
        vec![
            Text(UNIT),
            Text("95"),
            Text(number),
            Text("第一师教育局"),
            Text("中国农业银行阿拉尔支行"),
            Text(bank_code),
        ]
    };
    let bytes = workbook(&[
        header(&[
            "单位代码",
            "账户类型",
            "账号",
            "户名",
            "开户银行",
            "银行行号",
        ]),
        account("6217000012340001", "103881000015"),
        account("6217000012340001", "103881000015"),
        account("6217000012340002", "103881000015"),
        account("6217000012340003", "1"),
        account("6217000012340004", "103881000015"),
    ]);
    let accounts_before = count(&app, "agency_account").await;
    let report = import(&app, &admin, &schema::AGENCY_ACCOUNT, &bytes)
        .await
        .expect("report");
    assert_eq!(
        refused(&report),
        vec![
            (3, "duplicate_code".to_owned()),
            (5, "bank_code_invalid".to_owned())
        ]
    );
    assert_eq!(count(&app, "agency_account").await, accounts_before);
    // Without the bad rows, the same accounts import.
    let bytes = workbook(&[
        header(&[
            "单位代码",
            "账户类型",
            "账号",
            "户名",
            "开户银行",
            "银行行号",
        ]),
        account("6217000012340001", "103881000015"),
        account("6217000012340002", "103881000015"),
    ]);
    let report = import(&app, &admin, &schema::AGENCY_ACCOUNT, &bytes)
        .await
        .expect("report");
    assert_eq!((report.n_imported, refused(&report)), (2, vec![]));
    assert_eq!(count(&app, "agency_account").await, accounts_before + 2);
}

async fn too_many_rows_are_refused(test_db: TestDb) {
    let app = demo_app(&test_db).await;
    let admin = principal(&app, "admin").await;
    let rows: Vec<(u32, Input)> = (0..=IMPORT_ROWS_MAX)
        .map(|index| (index + 2, Input::default()))
        .collect();
    let audit_before = count(&app, "audit_log").await;
    let result = app
        .import_records(&admin, &schema::PERSON, rows, &RequestCtx::default())
        .await;
    match result {
        Err(AppError::Rejected(Rejection::ImportRowsExceeded { import_rows_max })) => {
            assert_eq!(import_rows_max, 10_000);
        }
        other => panic!("expected import_rows_exceeded, got {other:?}"),
    }
    assert_eq!(count(&app, "audit_log").await, audit_before);
    // A role that may not write persons is refused once, not row by row.
    let auditor = principal(&app, "corps_auditor").await;
    let rows = vec![(2, Input::default())];
    let result = app
        .import_records(&auditor, &schema::PERSON, rows, &RequestCtx::default())
        .await;
    assert!(matches!(
        result,
        Err(AppError::Rejected(Rejection::Forbidden))
    ));
}

#[test]
fn a_sheet_over_the_row_limit_is_refused_while_reading() {
    let mut rows = vec![header(&["姓名"])];
    rows.extend((0..=IMPORT_ROWS_MAX).map(|_| vec![Text("张三")]));
    let result = read_sheet(&schema::PERSON, &workbook(&rows));
    assert_eq!(
        result.err(),
        Some(Rejection::ImportRowsExceeded {
            import_rows_max: IMPORT_ROWS_MAX
        })
    );
}

#[test]
fn a_file_that_is_not_xlsx_is_refused() {
    for bytes in [
        &b"per_name,agency_code\nZhang,660100101\n"[..],
        b"",
        b"PK\x03\x04broken",
    ] {
        let result = read_sheet(&schema::PERSON, bytes);
        assert_eq!(
            result.err(),
            Some(Rejection::FieldInvalid {
                field: "文件",
                expected: "Excel .xlsx 文件"
            })
        );
    }
    // A workbook with a header and no data is refused too, with its own wording.
    let result = read_sheet(&schema::PERSON, &workbook(&[header(&["姓名"])]));
    assert_eq!(result.err().map(|r| r.code()), Some("field_invalid".into()));
}

#[test]
fn an_unknown_header_is_refused_by_name() {
    let bytes = workbook(&[header(&["姓名", "爱好"]), vec![Text("张三"), Text("下棋")]]);
    let result = read_sheet(&schema::PERSON, &bytes);
    assert_eq!(
        result.err(),
        Some(Rejection::ImportHeaderUnknown {
            header: "爱好".into()
        })
    );
    let rejection = Rejection::ImportHeaderUnknown {
        header: "爱好".into(),
    };
    assert!(rejection.message().contains("爱好"));
}

#[test]
fn money_cells_become_yuan_text_and_too_many_decimals_are_kept_for_the_check() {
    let bytes = workbook(&[
        header(&[
            "姓名",
            "职务（岗位）工资（元/月）",
            "是否在编",
            "行政编制数",
        ]),
        vec![Text("张三"), Number(3250.5), Flag(false), Number(12.0)],
        vec![Text("李四"), Number(0.125), Flag(true), Empty],
    ]);
    // 行政编制数 is not a person field: the header is refused. Without it the rows read.
    assert_eq!(
        read_sheet(&schema::PERSON, &bytes).err().map(|r| r.code()),
        Some("import_header_unknown".into())
    );
    let bytes = workbook(&[
        header(&["姓名", "职务（岗位）工资（元/月）", "是否在编"]),
        vec![Text("张三"), Number(3250.5), Flag(false)],
        vec![Text("李四"), Number(0.125), Flag(true)],
    ]);
    let rows = read_sheet(&schema::PERSON, &bytes).expect("readable");
    let values: Vec<(Option<&str>, Option<&str>)> = rows
        .iter()
        .map(|(_, input)| (input.get("pos_sala"), input.get("is_auth")))
        .collect();
    assert_eq!(
        values,
        vec![(Some("3250.5"), Some("否")), (Some("0.125"), Some("是"))]
    );
    // The create refuses the third decimal instead of rounding it.
    assert!(fiscus_core::Fen::parse_yuan("0.125", "工资").is_err());
    assert_eq!(
        fiscus_core::Fen::parse_yuan("3250.5", "工资").map(|fen| fen.0),
        Ok(325_050)
    );
}
