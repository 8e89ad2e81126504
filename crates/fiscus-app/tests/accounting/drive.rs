//! Drives a payment through the bank's messages (receipt, refund, clearing receipt) so that
//! the payment module writes its accounting events; and helpers on the books.

#![allow(dead_code)]

use fiscus_app::App;
use fiscus_app::payment::{self, HandlerOutcome};
use fiscus_core::Fen;
use fiscus_core::Principal;
use fiscus_core::accounting::BookType;
use fiscus_core::payment::message::{ClearingReceiptMsg, ReceiptMsg, RefundMsg};
use fiscus_store::accounting::{BookKey, VoucherFilter, VoucherRow};

use crate::setup::*;
use crate::support::*;

/// Pays `paid_fen` of a `yuan` application on `pay_date`, refunds `refund_fen` (if any)
/// and clears it on `clear_date` under notice `notice_no`. Returns the pay_cert_id.
pub async fn pay(
    world: &World,
    yuan: &str,
    paid_fen: i64,
    refund_fen: i64,
    pay_date: &str,
    clear_date: &str,
    notice_no: &str,
) -> String {
    let app = &world.app;
    let pay_app_id = app
        .payment_create(&world.cast.clerk, &draft(world, yuan), true, &ctx())
        .await
        .expect("created and submitted");
    approve_unit(world, &pay_app_id).await;
    let vouchers = app
        .payment_vouchers(&world.cast.clerk, None, 1, 200)
        .await
        .expect("list");
    let voucher = vouchers
        .iter()
        .find(|v| v.pay_app_id == pay_app_id)
        .expect("voucher of the application")
        .clone();
    let mut tx = app.db.begin().await.expect("tx");
    payment::mark_sent(
        &mut tx,
        std::slice::from_ref(&voucher.pay_cert_id),
        "2026-03-01T00:00:00Z",
    )
    .await
    .expect("sent");
    tx.commit().await.expect("commit");
    let receipt = ReceiptMsg {
        pay_cert_no: voucher.pay_cert_no.clone(),
        mof_div_code: voucher.mof_div_code.clone(),
        fiscal_year: 2026,
        xpay_amt: Fen(paid_fen),
        xpay_date: pay_date.into(),
        agent_business_no: format!("B{}", voucher.pay_cert_no),
    };
    let mut tx = app.db.begin().await.expect("tx");
    let outcome = payment::on_receipt(app, &mut tx, &receipt)
        .await
        .expect("receipt");
    assert_eq!(outcome, HandlerOutcome::Applied);
    tx.commit().await.expect("commit");
    if refund_fen > 0 {
        let refund = RefundMsg {
            pay_cert_no: voucher.pay_cert_no.clone(),
            mof_div_code: voucher.mof_div_code.clone(),
            fiscal_year: 2026,
            refund_no: format!("R{notice_no}"),
            refund_amt: Fen(refund_fen),
            refund_date: pay_date.into(),
            reason_text: "账户有误".into(),
        };
        let mut tx = app.db.begin().await.expect("tx");
        let outcome = payment::on_refund(app, &mut tx, &refund)
            .await
            .expect("refund");
        assert_eq!(outcome, HandlerOutcome::Applied);
        tx.commit().await.expect("commit");
    }
    let mut tx = app.db.begin().await.expect("tx");
    payment::mark_notice(
        &mut tx,
        notice_no,
        std::slice::from_ref(&voucher.pay_cert_no),
    )
    .await
    .expect("notice");
    tx.commit().await.expect("commit");
    let clearing = ClearingReceiptMsg {
        notice_no: notice_no.into(),
        lqd_cert_no: format!("L{notice_no}"),
        act_lqd_date: clear_date.into(),
        clear_amt: Fen(paid_fen),
    };
    let mut tx = app.db.begin().await.expect("tx");
    let outcome = payment::on_clearing_receipt(app, &mut tx, &clearing)
        .await
        .expect("clearing");
    assert_eq!(outcome, HandlerOutcome::Applied);
    tx.commit().await.expect("commit");
    voucher.pay_cert_id
}

pub fn unit_book(world: &World, book_type: BookType) -> BookKey {
    BookKey {
        book_type: book_type.code().into(),
        mof_div_code: world.cast.mof_div_code.clone(),
        agency_code: Some(world.cast.agency_code.clone()),
    }
}

pub fn fiscal_book(world: &World) -> BookKey {
    BookKey {
        book_type: BookType::FiscalGeneral.code().into(),
        mof_div_code: world.cast.mof_div_code.clone(),
        agency_code: None,
    }
}

pub async fn vouchers_of(app: &App, who: &Principal, book: &BookKey) -> Vec<VoucherRow> {
    let filter = VoucherFilter {
        book: Some(book.clone()),
        ..VoucherFilter::default()
    };
    app.accounting_vouchers(who, &filter, 1, 200)
        .await
        .expect("vouchers")
}

/// Reviews and posts every draft of `book` with `who` (not their creator).
pub async fn review_and_post(app: &App, who: &Principal, book: &BookKey) {
    for voucher in vouchers_of(app, who, book).await {
        if voucher.status == "draft" {
            app.accounting_voucher_review(who, &voucher.voucher_id, &ctx())
                .await
                .expect("review");
        }
        if voucher.status != "posted" {
            app.accounting_voucher_post(who, &voucher.voucher_id, &ctx())
                .await
                .expect("post");
        }
    }
}

/// (vouchers, lines, closed months, audit rows): what a rejection must leave unchanged.
pub async fn snapshot(app: &App) -> [i64; 4] {
    let mut tx = app.db.begin().await.expect("tx");
    let mut counts = [0; 4];
    for (index, table) in [
        "accounting_voucher",
        "accounting_voucher_line",
        "accounting_period",
        "audit_log",
    ]
    .into_iter()
    .enumerate()
    {
        counts[index] = fiscus_store::bulk::count_rows(&mut tx, table)
            .await
            .expect("count");
    }
    counts
}
