//! The treasury review branch of the payment flow: from 1,000,000 元 an application passes
//! 单位审核 and then 国库处审核 before it becomes a voucher; below, the unit's approval is final.

use fiscus_core::flow::{Command, InstanceStatus};
use fiscus_store::testing::TestDb;

use crate::setup::*;
use crate::support::*;

fiscus_store::on_both_backends!(large_payments_need_treasury_review,);

async fn large_payments_need_treasury_review(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    // A second indicator with room for a large payment: 2,000,000.00 元.
    let mut indicator = unit_draft(&world.cast);
    indicator.bgt_doc_title = "2026年大额项目指标".into();
    let large = enter(app, &world.cast, indicator, 200_000_000).await;
    let mut application = draft(&world, "1,500,000.00");
    application.bgt_id = large.to_string();
    let pay_app_id = app
        .payment_create(&world.cast.clerk, &application, true, &ctx())
        .await
        .expect("created and submitted");
    assert_eq!(
        figures(app, &large).await.reserved_fen,
        150_000_000,
        "reserved at submission"
    );
    // The unit's approval is not final at this amount.
    assert_eq!(
        approve_unit(&world, &pay_app_id).await,
        InstanceStatus::InProgress
    );
    assert!(
        app.payment_vouchers(&world.cast.treasury, None, 1, 50)
            .await
            .expect("vouchers")
            .is_empty(),
        "no voucher before the treasury review"
    );
    // The unit approver cannot act at the treasury node; the treasury division can.
    let view = app
        .flow_document(&world.cast.treasury, &pay_app_id)
        .await
        .expect("the treasury sees it");
    let (task_id, _) = *view.task_actions.first().expect("a treasury task");
    let status = app
        .flow_act(
            &world.cast.treasury,
            &pay_app_id,
            Command::Approve {
                task_id: fiscus_core::flow::TaskId(task_id),
                opinion: "同意".into(),
            },
            &ctx(),
        )
        .await
        .expect("treasury approval");
    assert_eq!(status, InstanceStatus::Approved);
    let vouchers = app
        .payment_vouchers(&world.cast.treasury, None, 1, 50)
        .await
        .expect("vouchers");
    assert_eq!(vouchers.len(), 1);
    assert_eq!(vouchers[0].pay_amt, 150_000_000);
    let positions: Vec<String> = vouchers[0]
        .voucher_json
        .split("\"position\":\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next().map(str::to_owned))
        .collect();
    assert_eq!(positions, vec!["unit_review", "treasury_review"]);
}
