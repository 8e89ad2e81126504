//! A project declared through the `project_declaration` flow: 主管部门审核 → 业务处审核 →
//! 绩效处审核 → 评审中心评审 and into the reserve pool; a rejection sends it back to draft,
//! where the unit may change it and declare it again, as a new round.

use fiscus_core::flow::{Command, InstanceStatus};
use fiscus_core::project::ProjectState;
use fiscus_store::testing::TestDb;

use crate::setup::*;
use crate::support::*;

fiscus_store::on_both_backends!(
    declared_project_enters_the_reserve_pool,
    rejection_returns_to_draft,
);

async fn declared_project_enters_the_reserve_pool(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    let pro_id = create(&world).await;
    let view = app.project(&world.cast.clerk, &pro_id).await.expect("read");
    assert_eq!(view.row.pro_code.len(), 21);
    assert_eq!(
        view.row.pro_code,
        format!("{}26P000000001", world.cast.mof_div_code),
        "region + year + category letter + serial"
    );
    assert_eq!(view.row.pro_total_amt, 10_000_000);
    assert_eq!(view.input, good_input(&world).check().expect("good"));
    assert_eq!(view.state_label, "草稿");

    let status = app
        .project_declare(&world.cast.clerk, &pro_id, &ctx())
        .await
        .expect("declared");
    assert_eq!(status, InstanceStatus::InProgress);
    assert_eq!(
        status_of(&world, &pro_id).await,
        ProjectState::Declared.code()
    );
    // 申报中: the unit can no longer change it.
    let changed = app
        .project_update(&world.cast.clerk, &pro_id, &good_input(&world), &ctx())
        .await;
    assert_eq!(code(&changed), "project_state_forbids");

    let mut actors = Vec::new();
    loop {
        let (actor, status) = act_next(&world, &pro_id, approve_task)
            .await
            .expect("approved");
        actors.push(actor);
        if status != InstanceStatus::InProgress {
            assert_eq!(status, InstanceStatus::Approved);
            break;
        }
    }
    assert_eq!(
        actors[0],
        world.dept_reviewer.user_name.to_string(),
        "department first"
    );
    assert_eq!(
        actors,
        [
            world.dept_reviewer.user_name.to_string(),
            world.cast.business.user_name.to_string(),
            world.performance.user_name.to_string(),
            world.review_centre.user_name.to_string(),
        ],
        "主管部门 → 业务处 → 绩效处 → 评审中心"
    );
    assert_eq!(
        status_of(&world, &pro_id).await,
        ProjectState::Reserved.code()
    );
    let reserved = app
        .projects(&world.cast.budget, Some("reserved"), 1, 50)
        .await
        .expect("list");
    assert!(reserved.iter().any(|view| view.row.pro_id == pro_id));
}

async fn rejection_returns_to_draft(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    let pro_id = create(&world).await;
    app.project_declare(&world.cast.clerk, &pro_id, &ctx())
        .await
        .expect("declared");
    act_next(&world, &pro_id, approve_task)
        .await
        .expect("department approves");
    let (_, status) = act_next(&world, &pro_id, |task_id| Command::Reject {
        task_id,
        opinion: "测算依据不足".into(),
    })
    .await
    .expect("rejected");
    assert_eq!(status, InstanceStatus::Rejected);
    assert_eq!(status_of(&world, &pro_id).await, ProjectState::Draft.code());
    // Back in draft the unit corrects it.
    let mut input = good_input(&world);
    input.estimation[0].basis = "按2026年培训费标准每人次200元".into();
    app.project_update(&world.cast.clerk, &pro_id, &input, &ctx())
        .await
        .expect("updated");
    let view = app.project(&world.cast.clerk, &pro_id).await.expect("read");
    assert_eq!(
        view.input.estimation[0].basis,
        "按2026年培训费标准每人次200元"
    );

    // Only its writer declares it again; a refusal changes nothing.
    let by_other = app
        .project_declare(&world.cast.outsider, &pro_id, &ctx())
        .await;
    assert_eq!(code(&by_other), "not_found");
    let by_reviewer = app
        .project_declare(&world.dept_reviewer, &pro_id, &ctx())
        .await;
    assert_eq!(code(&by_reviewer), "forbidden");
    assert_eq!(status_of(&world, &pro_id).await, ProjectState::Draft.code());

    // Declared again: a new round from the first node, through to the pool.
    let status = app
        .project_declare(&world.cast.clerk, &pro_id, &ctx())
        .await
        .expect("declared again");
    assert_eq!(status, InstanceStatus::InProgress);
    assert_eq!(
        status_of(&world, &pro_id).await,
        ProjectState::Declared.code()
    );
    let (first, _) = act_next(&world, &pro_id, approve_task)
        .await
        .expect("department approves again");
    assert_eq!(
        first,
        world.dept_reviewer.user_name.to_string(),
        "the new round starts at the department"
    );
    while act_next(&world, &pro_id, approve_task)
        .await
        .expect("approved")
        .1
        == InstanceStatus::InProgress
    {}
    assert_eq!(
        status_of(&world, &pro_id).await,
        ProjectState::Reserved.code()
    );
    let history = app
        .flow_document(&world.cast.clerk, &pro_id)
        .await
        .expect("document");
    let n_submits = history
        .history
        .iter()
        .filter(|entry| entry.action == "submit")
        .count();
    assert_eq!(n_submits, 2, "two rounds in one history");
}
