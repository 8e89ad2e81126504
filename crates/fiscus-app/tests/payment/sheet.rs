//! Batch entry from an Excel sheet end to end: a workbook with one good and one bad row
//! creates nothing and names the bad row; the corrected workbook creates and submits both,
//! each reserving its amount.

use fiscus_app::payment::read_payment_sheet;
use fiscus_store::testing::TestDb;
use rust_xlsxwriter::Workbook;

use crate::setup::*;
use crate::support::*;

fiscus_store::on_both_backends!(a_sheet_with_a_bad_row_creates_nothing,);

/// A workbook with the Chinese headers of the template and these rows.
fn workbook(rows: &[[&str; 7]]) -> Vec<u8> {
    let header = [
        "指标主键",
        "收款人全称",
        "收款人账号",
        "收款人开户银行",
        "支付申请金额",
        "用途",
        "结算方式",
    ];
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (column, text) in header.iter().enumerate() {
        sheet.write_string(0, column as u16, *text).unwrap();
    }
    for (row, cells) in rows.iter().enumerate() {
        for (column, text) in cells.iter().enumerate() {
            sheet
                .write_string(row as u32 + 1, column as u16, *text)
                .unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

async fn a_sheet_with_a_bad_row_creates_nothing(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    let bgt_id = world.bgt_id.to_string();
    let good = [
        bgt_id.as_str(),
        "石河子市文具有限公司",
        "6222000012345678",
        "中国工商银行石河子分行",
        "1,000.00",
        "购买办公用品",
        "1",
    ];
    let bad = [
        bgt_id.as_str(),
        "石河子市印刷厂",
        "not-an-account",
        "中国工商银行石河子分行",
        "500.00",
        "印刷材料",
        "1",
    ];
    let drafts = read_payment_sheet(&workbook(&[good, bad])).expect("readable");
    assert_eq!(drafts.len(), 2);
    let before = available(&world).await;
    let report = app
        .payment_batch(&world.cast.clerk, drafts, true, &ctx())
        .await
        .expect("a report");
    assert!(report.pay_app_ids.is_empty(), "nothing created");
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].row, 3, "the header is row 1");
    assert_eq!(available(&world).await, before, "nothing reserved");

    let mut fixed = bad;
    fixed[2] = "6222000087654321";
    let drafts = read_payment_sheet(&workbook(&[good, fixed])).expect("readable");
    let report = app
        .payment_batch(&world.cast.clerk, drafts, true, &ctx())
        .await
        .expect("a report");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.pay_app_ids.len(), 2);
    let (available_fen, reserved_fen, _) = available(&world).await;
    assert_eq!(reserved_fen, 150_000);
    assert_eq!(available_fen, before.0 - 150_000);
    // Not a workbook at all: a clear refusal, not a crash.
    assert_eq!(
        read_payment_sheet(b"not a workbook").unwrap_err().code(),
        "field_invalid"
    );
}
