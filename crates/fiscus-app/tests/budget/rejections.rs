//! Every rejection of the compilation cycle, each leaving the stored budget as it was (sheet
//! revision, lines and history unchanged): wrong role, out of scope, bad codes, duplicate
//! lines, failed cross-checks, editing in review, control numbers above the department's,
//! approval before review, bad pre-release ratio, and adjustments that break their rules.

use fiscus_app::budget::{ApprovalDoc, ControlInput};
use fiscus_core::budget::adjust::{AdjustKind, AdjustLeg, Adjustment};
use fiscus_core::money::Fen;
use fiscus_store::testing::TestDb;

use crate::support::*;
use crate::world::*;

fiscus_store::on_both_backends!(rejections_change_nothing);

/// What a rejection must leave alone: the sheet row, its lines, its history length, the
/// control numbers.
async fn snapshot(world: &World) -> String {
    let app = &world.app;
    let sheet = app
        .budget_sheet(&world.cast.clerk, YEAR, &world.cast.agency_code)
        .await
        .map(|view| format!("{:?}{:?}{:?}", view.sheet, view.lines, view.tables))
        .unwrap_or_default();
    let (_, versions) = app
        .budget_versions(&world.cast.clerk, YEAR, &world.cast.agency_code, 1, 1)
        .await
        .expect("history");
    let controls = app
        .budget_controls(&world.cast.budget, YEAR, "unit", None)
        .await
        .expect("controls");
    format!("{sheet}|{versions}|{controls:?}")
}

async fn rejections_change_nothing(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    let agency = world.cast.agency_code.clone();
    let clerk = &world.cast.clerk;
    let budget = &world.cast.budget;
    let region = world.cast.mof_div_code.clone();
    app.budget_save(clerk, YEAR, &agency, &tables(&world, 80_000_000), &ctx())
        .await
        .expect("draft saved");
    app.budget_issue_controls(
        budget,
        YEAR,
        &[ControlInput {
            agency_code: world.dept_code.clone(),
            amount: Fen(100_000_000),
        }],
        &ctx(),
    )
    .await
    .expect("issued");
    let doc = ApprovalDoc {
        doc_no: "师财预〔2028〕1号".into(),
        doc_title: "部门预算".into(),
    };

    let mut bad_code = tables(&world, 80_000_000);
    bad_code.expenses[0].key.exp_func_code = "2999999".into();
    let mut duplicate = tables(&world, 80_000_000);
    duplicate.expenses.push(duplicate.expenses[0].clone());
    let mut negative = tables(&world, 80_000_000);
    negative.expenses[1].amount = Fen(-1);
    let mut foreign_project = tables(&world, 80_000_000);
    foreign_project.expenses[0].key.pro_code = "66000000028P999999999".into();

    let before = snapshot(&world).await;
    let cases: Vec<(&str, Result<(), fiscus_app::AppError>)> = vec![
        (
            "forbidden",
            app.budget_save(budget, YEAR, &agency, &tables(&world, 1), &ctx())
                .await
                .map(drop),
        ),
        (
            "forbidden",
            app.budget_save(
                &world.cast.outsider,
                YEAR,
                &agency,
                &tables(&world, 1),
                &ctx(),
            )
            .await
            .map(drop),
        ),
        (
            "not_found",
            app.budget_sheet(&world.cast.outsider, YEAR, &agency)
                .await
                .map(drop),
        ),
        (
            "code_not_in_year_table",
            app.budget_save(clerk, YEAR, &agency, &bad_code, &ctx())
                .await
                .map(drop),
        ),
        (
            "duplicate_code",
            app.budget_save(clerk, YEAR, &agency, &duplicate, &ctx())
                .await
                .map(drop),
        ),
        (
            "amount_negative",
            app.budget_save(clerk, YEAR, &agency, &negative, &ctx())
                .await
                .map(drop),
        ),
        (
            "forbidden",
            app.budget_issue_controls(
                clerk,
                YEAR,
                &[ControlInput {
                    agency_code: world.dept_code.clone(),
                    amount: Fen(1),
                }],
                &ctx(),
            )
            .await
            .map(drop),
        ),
        (
            "field_invalid",
            app.budget_issue_controls(
                budget,
                YEAR,
                &[ControlInput {
                    agency_code: agency.clone(),
                    amount: Fen(1),
                }],
                &ctx(),
            )
            .await
            .map(drop),
        ),
        (
            "control_number_exceeded",
            app.budget_distribute_controls(
                &world.dept_reviewer,
                YEAR,
                &world.dept_code,
                &[ControlInput {
                    agency_code: agency.clone(),
                    amount: Fen(100_000_001),
                }],
                &ctx(),
            )
            .await
            .map(drop),
        ),
        (
            "amount_negative",
            app.budget_distribute_controls(
                &world.dept_reviewer,
                YEAR,
                &world.dept_code,
                &[ControlInput {
                    agency_code: agency.clone(),
                    amount: Fen(-5),
                }],
                &ctx(),
            )
            .await
            .map(drop),
        ),
        (
            "budget_region_not_ready",
            app.budget_approve_region(budget, YEAR, &region, &doc, &ctx())
                .await
                .map(drop),
        ),
        (
            "forbidden",
            app.budget_approve_region(&world.cast.business, YEAR, &region, &doc, &ctx())
                .await
                .map(drop),
        ),
        (
            "number_out_of_range",
            app.budget_pre_release(budget, YEAR, &region, 10_001, &doc, &ctx())
                .await
                .map(drop),
        ),
        (
            "adjustment_invalid",
            app.budget_adjust_create(
                clerk,
                &Adjustment {
                    kind: AdjustKind::Reallocate,
                    fiscal_year: YEAR as i32,
                    doc_no: String::new(),
                    reason: "调剂".into(),
                    legs: vec![AdjustLeg {
                        bgt_pman_id: Some("x".into()),
                        new_line: None,
                        delta: Fen(5),
                    }],
                },
                false,
                &ctx(),
            )
            .await
            .map(drop),
        ),
    ];
    for (expected, result) in cases {
        assert_eq!(code(&result), expected);
        assert_eq!(
            snapshot(&world).await,
            before,
            "{expected} changed something"
        );
    }

    // A project outside the unit and an unbalanced 二上 fail the cross-checks at 报送.
    app.budget_save(clerk, YEAR, &agency, &foreign_project, &ctx())
        .await
        .expect("saved: the checks run at 报送");
    let before = snapshot(&world).await;
    let submitted = app.budget_submit(clerk, YEAR, &agency, &ctx()).await;
    assert_eq!(code(&submitted), "budget_checks_failed");
    assert_eq!(snapshot(&world).await, before);
    if let Err(fiscus_app::AppError::Rejected(rejection)) = submitted {
        assert!(
            rejection.message().contains("项目"),
            "{}",
            rejection.message()
        );
    }

    // In review nothing may be edited, and approval before the review ends is refused.
    app.budget_save(clerk, YEAR, &agency, &tables(&world, 80_000_000), &ctx())
        .await
        .expect("saved");
    app.budget_submit(clerk, YEAR, &agency, &ctx())
        .await
        .expect("一上 submitted");
    let before = snapshot(&world).await;
    let edited = app
        .budget_save(clerk, YEAR, &agency, &tables(&world, 1_000), &ctx())
        .await;
    assert_eq!(code(&edited), "budget_stage_forbids");
    let approved = app
        .budget_approve_region(budget, YEAR, &region, &doc, &ctx())
        .await;
    assert_eq!(code(&approved), "budget_region_not_ready");
    assert_eq!(snapshot(&world).await, before);
}
