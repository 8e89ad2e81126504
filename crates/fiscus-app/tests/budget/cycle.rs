//! The whole 二上二下 cycle of one unit through the use cases: 一上 报送 and review, 一下
//! (department control number, distributed to the unit), 二上 报送 and review, 预下达 of
//! 30%, 批复 into indicators (lineage both ways, the ledger still proves itself), a second
//! 批复 refused, a 调剂 with a new line approved through the flow, and the version history.

use fiscus_app::budget::{ApprovalDoc, ControlInput};
use fiscus_core::budget::adjust::{AdjustKind, AdjustLeg, Adjustment, NewLine};
use fiscus_core::flow::InstanceStatus;
use fiscus_core::ledger::BgtId;
use fiscus_core::money::Fen;
use fiscus_store::testing::TestDb;

use crate::support::*;
use crate::world::*;

fiscus_store::on_both_backends!(two_up_two_down);

fn doc(no: &str) -> ApprovalDoc {
    ApprovalDoc {
        doc_no: no.into(),
        doc_title: format!("{YEAR}年部门预算"),
    }
}

async fn two_up_two_down(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    let agency = world.cast.agency_code.clone();
    let clerk = &world.cast.clerk;

    // 一上: the unit states its needs before any control number.
    app.budget_save(clerk, YEAR, &agency, &tables(&world, 120_000_000), &ctx())
        .await
        .expect("一上 saved");
    let view = app.budget_sheet(clerk, YEAR, &agency).await.expect("read");
    assert_eq!(view.sheet.sheet.stage, "one_up");
    assert!(
        view.checks.iter().all(|check| check.ok),
        "{:?}",
        view.checks
    );
    let doc_id = app
        .budget_submit(clerk, YEAR, &agency, &ctx())
        .await
        .expect("一上 submitted");
    assert_eq!(
        app.budget_sheet(clerk, YEAR, &agency)
            .await
            .unwrap()
            .sheet
            .sheet
            .status,
        "submitted"
    );
    assert_eq!(drive(&world, &doc_id).await, InstanceStatus::Approved);
    let view = app.budget_sheet(clerk, YEAR, &agency).await.unwrap();
    assert_eq!(
        (
            view.sheet.sheet.stage.as_str(),
            view.sheet.sheet.status.as_str()
        ),
        ("one_up", "reviewed")
    );
    assert!(
        view.lines
            .iter()
            .all(|line| line.apply_up == line.amount_fen)
    );

    // 一下: the budget division issues the department's number; the department passes
    // 1,000,000.00 元 of it to the unit, which opens 二上.
    let budget = &world.cast.budget;
    let dept_budget = app
        .budget_controls(budget, YEAR, "dept", None)
        .await
        .expect("controls");
    assert!(dept_budget.is_empty());
    app.budget_issue_controls(
        budget,
        YEAR,
        &[ControlInput {
            agency_code: world.dept_code.clone(),
            amount: Fen(500_000_000),
        }],
        &ctx(),
    )
    .await
    .expect("issued");
    app.budget_distribute_controls(
        &world.dept_reviewer,
        YEAR,
        &world.dept_code,
        &[ControlInput {
            agency_code: agency.clone(),
            amount: Fen(100_000_000),
        }],
        &ctx(),
    )
    .await
    .expect("distributed");
    let view = app.budget_sheet(clerk, YEAR, &agency).await.unwrap();
    assert_eq!(
        (
            view.sheet.sheet.stage.as_str(),
            view.sheet.sheet.status.as_str()
        ),
        ("two_up", "draft")
    );
    assert_eq!(view.sheet.control_fen, Some(100_000_000));
    let control = view
        .checks
        .iter()
        .find(|c| c.code == "control_number")
        .unwrap();
    assert!(
        !control.ok,
        "1,200,000 元 compiled against a 1,000,000 元 control"
    );

    // 二上 within the control number.
    app.budget_save(clerk, YEAR, &agency, &tables(&world, 100_000_000), &ctx())
        .await
        .expect("二上 saved");
    let doc_id = app
        .budget_submit(clerk, YEAR, &agency, &ctx())
        .await
        .expect("二上 submitted");
    assert_eq!(drive(&world, &doc_id).await, InstanceStatus::Approved);
    let view = app.budget_sheet(clerk, YEAR, &agency).await.unwrap();
    assert_eq!(
        (
            view.sheet.sheet.stage.as_str(),
            view.sheet.sheet.status.as_str()
        ),
        ("two_up", "reviewed")
    );
    assert!(
        view.lines
            .iter()
            .all(|line| line.fin_audit_money == line.amount_fen)
    );
    assert!(
        view.lines
            .iter()
            .all(|line| line.apply_up > line.fin_audit_money)
    );

    // 预下达 30% before approval.
    let region = world.cast.mof_div_code.clone();
    let pre = app
        .budget_pre_release(
            budget,
            YEAR,
            &region,
            3_000,
            &doc("师财预〔2028〕预1号"),
            &ctx(),
        )
        .await
        .expect("pre-released");
    assert_eq!(pre.indicators_created, 3);
    assert_eq!(pre.total_fen, 30_000_000);

    // 批复: every line becomes (or tops up) its indicator.
    let summary = app
        .budget_approve_region(budget, YEAR, &region, &doc("师财预〔2028〕1号"), &ctx())
        .await
        .expect("approved");
    assert_eq!(summary.units, 1);
    assert_eq!(summary.lines, 3);
    assert_eq!(summary.indicators_changed, 3);
    assert_eq!(summary.total_fen, 100_000_000);
    let view = app.budget_sheet(clerk, YEAR, &agency).await.unwrap();
    assert_eq!(view.sheet.sheet.stage, "approved");
    for line in &view.lines {
        assert_eq!(line.reply_amt, line.fin_audit_money);
        assert_eq!(line.cur_amt, line.reply_amt);
        let bgt_id = BgtId::parse(line.bgt_id.as_deref().expect("indicator")).unwrap();
        let indicator = app.indicator_detail(clerk, &bgt_id).await.expect("visible");
        assert_eq!(indicator.row.figures.available_fen, line.reply_amt);
        assert_eq!(
            indicator.row.bgt_pman_id.as_deref(),
            Some(line.bgt_pman_id.as_str())
        );
    }
    let again = app
        .budget_approve_region(budget, YEAR, &region, &doc("师财预〔2028〕2号"), &ctx())
        .await;
    assert_eq!(code(&again), "budget_stage_forbids");

    // 调剂: 10,000 元 from the operation line to a new line of the specific project.
    let operation_line = view
        .lines
        .iter()
        .find(|line| line.pro_code == world.operation)
        .unwrap()
        .clone();
    let adjustment = Adjustment {
        kind: AdjustKind::Reallocate,
        fiscal_year: YEAR as i32,
        doc_no: String::new(),
        reason: "年中调剂".into(),
        legs: vec![
            AdjustLeg {
                bgt_pman_id: Some(operation_line.bgt_pman_id.clone()),
                new_line: None,
                delta: Fen(-1_000_000),
            },
            AdjustLeg {
                bgt_pman_id: None,
                new_line: Some(NewLine {
                    agency_code: agency.clone(),
                    key: key(&world.specific, "2010102", "30201", "50201"),
                    is_gov_pur: false,
                }),
                delta: Fen(1_000_000),
            },
        ],
    };
    let doc_id = app
        .budget_adjust_create(clerk, &adjustment, true, &ctx())
        .await
        .expect("adjustment submitted");
    assert_eq!(drive(&world, &doc_id).await, InstanceStatus::Approved);
    let view = app.budget_sheet(clerk, YEAR, &agency).await.unwrap();
    assert_eq!(view.lines.len(), 4);
    let changed = view
        .lines
        .iter()
        .find(|line| line.bgt_pman_id == operation_line.bgt_pman_id)
        .unwrap();
    assert_eq!(changed.dis_amt, -1_000_000);
    assert_eq!(changed.cur_amt, operation_line.cur_amt - 1_000_000);
    let bgt_id = BgtId::parse(changed.bgt_id.as_deref().unwrap()).unwrap();
    let indicator = app.indicator_detail(clerk, &bgt_id).await.unwrap();
    assert_eq!(indicator.row.figures.available_fen, changed.cur_amt);
    let added = view
        .lines
        .iter()
        .find(|line| line.dep_bgt_eco_code == "30201" && line.pro_code == world.specific)
        .unwrap();
    assert_eq!((added.dis_amt, added.cur_amt), (1_000_000, 1_000_000));
    assert!(added.bgt_id.is_some());

    // The ledger still proves itself, and the history names every stage.
    let report = fiscus_store::ledger::verify::verify_ledger(&app.db)
        .await
        .expect("verify");
    assert!(report.violations.is_empty(), "{:?}", report.violations);
    let (versions, total) = app
        .budget_versions(clerk, YEAR, &agency, 1, 500)
        .await
        .expect("history");
    assert_eq!(total as usize, versions.len());
    // A broken link between a line and its indicator is what `fiscus verify` reports.
    fiscus_store::testing::execute(
        &app.db,
        "UPDATE indicator SET bgt_pman_id = NULL WHERE bgt_id = $1",
        &[bgt_id.as_str()],
    )
    .await
    .expect("break the link");
    let report = fiscus_store::ledger::verify::verify_ledger(&app.db)
        .await
        .expect("verify");
    let codes: Vec<&str> = report.violations.iter().map(|v| v.check.code()).collect();
    assert_eq!(codes, vec!["budget_lineage"]);
    for kind in [
        "submitted",
        "reviewed",
        "opened",
        "pre_released",
        "approved",
        "adjusted",
        "changed",
    ] {
        assert!(
            versions.iter().any(|row| row.change_kind == kind),
            "history has {kind}"
        );
    }
}
