//! Set-up of the project tests: the cast around one unit plus the reviewer of its competent
//! department and the 绩效处 and 评审中心 of its region, a good project, and helpers that
//! move a declaration through its flow.

#![allow(dead_code)]

use fiscus_app::demo::{self, Scale};
use fiscus_app::{App, AppError};
use fiscus_core::flow::{Command, InstanceStatus, TaskId};
use fiscus_core::money::Fen;
use fiscus_core::project::{
    EstimationLine, PlanLine, ProjectCategory, ProjectInput, TargetLevel1, TargetLine,
};
use fiscus_core::{AgencyCode, FiscalYear, Principal, Role};

use crate::support::*;

pub struct World {
    pub app: App,
    pub cast: Cast,
    /// 主管部门审核: the reviewer of the unit's competent department.
    pub dept_reviewer: Principal,
    /// 绩效处 of the unit's region (项目绩效审核).
    pub performance: Principal,
    /// 评审中心 of the unit's region.
    pub review_centre: Principal,
}

pub async fn world(test_db: &fiscus_store::testing::TestDb) -> World {
    let app = demo_app(test_db).await;
    let cast = cast(&app).await;
    let data = demo::generate(Scale::Small);
    let department = cast
        .clerk
        .agency_path
        .as_deref()
        .and_then(|path| path.split('/').find(|code| !code.is_empty()))
        .expect("a competent department")
        .to_owned();
    let reviewer_name = data
        .users
        .iter()
        .find(|user| {
            user.agency_code.as_deref() == Some(department.as_str())
                && user.roles == Role::DeptReviewer.code()
        })
        .map(|user| user.user_name.clone())
        .expect("a department reviewer");
    let dept_reviewer = principal(&app, &reviewer_name).await;
    let bureau_user = |role: Role| {
        data.users
            .iter()
            .find(|user| {
                user.agency_code.is_none()
                    && user.mof_div_code == cast.mof_div_code
                    && user.roles == role.code()
            })
            .map(|user| user.user_name.clone())
            .expect("a bureau user of the region")
    };
    let performance = principal(&app, &bureau_user(Role::PerformanceDivision)).await;
    let review_centre = principal(&app, &bureau_user(Role::ReviewCentre)).await;
    World {
        app,
        cast,
        dept_reviewer,
        performance,
        review_centre,
    }
}

/// A 特定目标类 project of the cast's unit: 100,000.00 元 over 2026–2027.
pub fn good_input(world: &World) -> ProjectInput {
    let target = |level1, level2: &str, level3: &str, value: &str, unit: &str| TargetLine {
        level1,
        level2: level2.into(),
        level3: level3.into(),
        target_value: value.into(),
        unit: unit.into(),
    };
    ProjectInput {
        pro_name: "团场职工技能培训项目".into(),
        agency_code: AgencyCode::parse(&world.cast.agency_code).expect("code"),
        pro_cat_code: ProjectCategory::SpecificTarget,
        start_year: FiscalYear(2026),
        end_year: FiscalYear(2027),
        plan: vec![
            PlanLine {
                year: 2026,
                amount_fen: Fen(6_000_000),
            },
            PlanLine {
                year: 2027,
                amount_fen: Fen(4_000_000),
            },
        ],
        estimation: vec![EstimationLine {
            item: "培训费".into(),
            quantity: 500,
            unit_price_fen: Fen(20_000),
            amount_fen: Fen(10_000_000),
            basis: "每人次200元".into(),
        }],
        targets: vec![
            target(TargetLevel1::Output, "数量指标", "培训人次", "≥500", "人次"),
            target(
                TargetLevel1::Effect,
                "社会效益指标",
                "就业率提升",
                "≥5%",
                "",
            ),
            target(
                TargetLevel1::Satisfaction,
                "满意度指标",
                "学员满意度",
                "≥90%",
                "",
            ),
        ],
    }
}

/// Creates the good project as the clerk; returns pro_id.
pub async fn create(world: &World) -> String {
    world
        .app
        .project_create(
            &world.cast.clerk,
            &good_input(world),
            FiscalYear(2026),
            &ctx(),
        )
        .await
        .expect("created")
}

/// The reviewers in flow order; the first one holding a task of `pro_id` acts.
pub fn reviewers(world: &World) -> Vec<&Principal> {
    vec![
        &world.dept_reviewer,
        &world.cast.business,
        &world.performance,
        &world.review_centre,
    ]
}

/// Runs `command` (built from the task id) as whoever holds the open task of `pro_id`.
pub async fn act_next(
    world: &World,
    pro_id: &str,
    command: impl Fn(TaskId) -> Command,
) -> Result<(String, InstanceStatus), AppError> {
    for who in reviewers(world) {
        let Ok(view) = world.app.flow_document(who, pro_id).await else {
            continue;
        };
        if let Some((task_id, _)) = view.task_actions.first() {
            let status = world
                .app
                .flow_act(who, pro_id, command(TaskId(*task_id)), &ctx())
                .await?;
            return Ok((who.user_name.to_string(), status));
        }
    }
    panic!("nobody holds {pro_id}");
}

pub fn approve_task(task_id: TaskId) -> Command {
    Command::Approve {
        task_id,
        opinion: "同意".into(),
    }
}

pub async fn status_of(world: &World, pro_id: &str) -> String {
    world
        .app
        .project(&world.cast.clerk, pro_id)
        .await
        .expect("visible")
        .row
        .status
}
