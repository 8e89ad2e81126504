//! Refused applications: each case names its rejection, and nothing is written; batch entry
//! with one bad row creates nothing.

use fiscus_core::payment::application::PaymentDraft;
use fiscus_store::testing::TestDb;

use crate::setup::*;
use crate::support::*;

type Edit = Box<dyn Fn(&mut PaymentDraft)>;

fiscus_store::on_both_backends!(
    bad_applications_are_refused,
    batch_with_a_bad_row_creates_nothing
);

async fn bad_applications_are_refused(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    app.payment_blacklist_add(&world.cast.treasury, "6222999900001111", "涉嫌诈骗", &ctx())
        .await
        .expect("blacklisted");
    let gov_pur = enter(
        app,
        &world.cast,
        fiscus_core::ledger::IndicatorDraft {
            is_gov_pur: true,
            ..unit_draft(&world.cast)
        },
        1_000_000,
    )
    .await;
    let other_unit = format!("{}", world.bgt_id);
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "bad account",
            Box::new(|d| d.payee_acct_no = "62AB".into()),
            "account_no_invalid",
        ),
        (
            "blacklisted",
            Box::new(|d| d.payee_acct_no = "6222999900001111".into()),
            "payee_blacklisted",
        ),
        (
            "zero",
            Box::new(|d| d.pay_app_amt = "0".into()),
            "amount_not_positive",
        ),
        (
            "negative",
            Box::new(|d| d.pay_app_amt = "-1".into()),
            "amount_not_positive",
        ),
        (
            "overflow",
            Box::new(|d| d.pay_app_amt = "99999999999999999999".into()),
            "amount_too_large",
        ),
        (
            "purpose 无",
            Box::new(|d| d.use_des = "无".into()),
            "field_invalid",
        ),
        (
            "script",
            Box::new(|d| d.payee_acct_name = "<script>x</script>".into()),
            "text_has_special_chars",
        ),
        (
            "over available",
            Box::new(|d| d.pay_app_amt = "100000.01".into()),
            "exceeds_available_balance",
        ),
        (
            "procurement",
            Box::new(move |d| d.bgt_id = gov_pur.to_string()),
            "procurement_contract_required",
        ),
        (
            "wrong eco",
            Box::new(|d| d.gov_bgt_eco_code = "502".into()),
            "element_mismatch",
        ),
    ];
    let before = all_balances(app).await;
    for (name, edit, expected) in cases {
        let mut bad = draft(&world, "100");
        edit(&mut bad);
        let result = app
            .payment_create(&world.cast.clerk, &bad, true, &ctx())
            .await;
        assert_eq!(code(&result), expected, "{name}");
    }
    let other = app
        .payment_create(&world.cast.outsider, &draft(&world, "100"), true, &ctx())
        .await;
    assert_eq!(
        code(&other),
        "not_found",
        "another unit's indicator {other_unit}"
    );
    let forbidden = app
        .payment_create(&world.approver, &draft(&world, "100"), true, &ctx())
        .await;
    assert_eq!(code(&forbidden), "forbidden");
    assert_eq!(all_balances(app).await, before, "nothing reserved");
    let listed = app
        .payment_applications(&world.cast.clerk, None, 1, 50)
        .await
        .expect("list");
    assert!(listed.is_empty(), "nothing created");
    // 代编: the treasury division writes for the unit.
    let proxy = app
        .payment_create(&world.cast.treasury, &draft(&world, "100"), false, &ctx())
        .await
        .expect("代编");
    let row = app
        .payment_application(&world.cast.treasury, &proxy)
        .await
        .expect("visible");
    assert!(row.is_proxy);
    assert_eq!(row.agency_code, world.cast.agency_code);
}

async fn batch_with_a_bad_row_creates_nothing(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    let mut bad = draft(&world, "50");
    bad.use_des = "其他".into();
    let rows = vec![(2, draft(&world, "10")), (3, bad), (4, draft(&world, "20"))];
    let report = app
        .payment_batch(&world.cast.clerk, rows, true, &ctx())
        .await
        .expect("report");
    assert!(report.pay_app_ids.is_empty());
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].row, 3);
    assert_eq!(available(&world).await, (FUNDED_FEN, 0, 0));
    let good = vec![(2, draft(&world, "10")), (3, draft(&world, "20"))];
    let report = app
        .payment_batch(&world.cast.clerk, good, true, &ctx())
        .await
        .expect("report");
    assert_eq!(report.pay_app_ids.len(), 2);
    assert_eq!(available(&world).await.1, 3_000);
}
