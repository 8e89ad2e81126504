//! Bad input through the use cases, who sees which project, and termination by the budget
//! division.

use fiscus_core::FiscalYear;
use fiscus_core::money::Fen;
use fiscus_core::project::{ProjectCategory, ProjectState};
use fiscus_store::testing::TestDb;

use crate::setup::*;
use crate::support::*;

/// A change to the good project.
type Change<'a> = Box<dyn Fn(&mut fiscus_core::project::ProjectInput) + 'a>;

fiscus_store::on_both_backends!(
    bad_input_is_rejected,
    projects_are_scoped,
    terminate_with_reason,
);

async fn bad_input_is_rejected(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    let clerk = &world.cast.clerk;
    let cases: Vec<(&str, Change, &str)> = vec![
        (
            "name empty",
            Box::new(|p| p.pro_name.clear()),
            "field_required",
        ),
        (
            "plan year outside",
            Box::new(|p| p.plan[1].year = 2028),
            "field_invalid",
        ),
        (
            "totals differ",
            Box::new(|p| p.plan[0].amount_fen = Fen(5_000_000)),
            "field_invalid",
        ),
        (
            "quantity × price",
            Box::new(|p| p.estimation[0].quantity = 499),
            "field_invalid",
        ),
        (
            "specific without effect",
            Box::new(|p| {
                p.targets.remove(1);
            }),
            "field_invalid",
        ),
        (
            "another unit",
            Box::new(|p| {
                p.agency_code = fiscus_core::AgencyCode::parse(
                    world.cast.outsider.agency_code().expect("unit").as_str(),
                )
                .expect("code")
            }),
            "forbidden",
        ),
    ];
    for (name, change, expected) in cases {
        let mut input = good_input(&world);
        change(&mut input);
        let result = app
            .project_create(clerk, &input, FiscalYear(2026), &ctx())
            .await;
        assert_eq!(code(&result), expected, "case {name}");
    }
    // Only a unit clerk writes projects.
    let result = app
        .project_create(
            &world.cast.budget,
            &good_input(&world),
            FiscalYear(2026),
            &ctx(),
        )
        .await;
    assert_eq!(code(&result), "forbidden");
    // Nothing was written, and the serial was not used up by the failures.
    assert!(
        app.projects(clerk, None, 1, 50)
            .await
            .expect("list")
            .is_empty()
    );
    let pro_id = create(&world).await;
    let view = app.project(clerk, &pro_id).await.expect("read");
    assert!(view.row.pro_code.ends_with("P000000001"));
    // Serials count per category.
    let mut operation = good_input(&world);
    operation.pro_cat_code = ProjectCategory::Operation;
    let other = app
        .project_create(clerk, &operation, FiscalYear(2026), &ctx())
        .await
        .expect("created");
    let view = app.project(clerk, &other).await.expect("read");
    assert!(view.row.pro_code.ends_with("Y000000001"));
}

async fn projects_are_scoped(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    let pro_id = create(&world).await;
    for (who, sees) in [
        (&world.cast.clerk, true),
        (&world.dept_reviewer, true),
        (&world.cast.budget, true),
        (&world.cast.admin, true),
        (&world.cast.outsider, false),
    ] {
        let listed = app.projects(who, None, 1, 50).await.expect("list");
        assert_eq!(
            listed.iter().any(|view| view.row.pro_id == pro_id),
            sees,
            "{} lists",
            who.user_name
        );
        let read = app.project(who, &pro_id).await;
        assert_eq!(read.is_ok(), sees, "{} reads", who.user_name);
        if !sees {
            assert_eq!(code(&read), "not_found");
        }
    }
    // Outside the scope a project cannot be changed or terminated either.
    let changed = app
        .project_update(&world.cast.outsider, &pro_id, &good_input(&world), &ctx())
        .await;
    assert_eq!(code(&changed), "forbidden");
}

async fn terminate_with_reason(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    let pro_id = create(&world).await;
    let by_clerk = app
        .project_terminate(&world.cast.clerk, &pro_id, "不再实施", &ctx())
        .await;
    assert_eq!(code(&by_clerk), "forbidden");
    let no_reason = app
        .project_terminate(&world.cast.budget, &pro_id, " ", &ctx())
        .await;
    assert_eq!(code(&no_reason), "field_required");
    // 申报中 it cannot be terminated; the flow must end first.
    app.project_declare(&world.cast.clerk, &pro_id, &ctx())
        .await
        .expect("declared");
    let declared = app
        .project_terminate(&world.cast.budget, &pro_id, "不再实施", &ctx())
        .await;
    assert_eq!(code(&declared), "project_state_forbids");
    while act_next(&world, &pro_id, approve_task)
        .await
        .expect("approved")
        .1
        == fiscus_core::flow::InstanceStatus::InProgress
    {}
    app.project_terminate(
        &world.cast.budget,
        &pro_id,
        "政策调整，项目不再实施",
        &ctx(),
    )
    .await
    .expect("terminated");
    let view = app.project(&world.cast.clerk, &pro_id).await.expect("read");
    assert_eq!(view.row.status, ProjectState::Terminated.code());
    assert_eq!(
        view.row.terminate_reason.as_deref(),
        Some("政策调整，项目不再实施")
    );
    let again = app
        .project_terminate(&world.cast.budget, &pro_id, "再次终止", &ctx())
        .await;
    assert_eq!(code(&again), "project_state_forbids");
    // A terminated project cannot be declared again.
    let declared_again = app
        .project_declare(&world.cast.clerk, &pro_id, &ctx())
        .await;
    assert!(declared_again.is_err());
}
