//! 基本支出一键测算 on the small demo: the cast's unit gets its 人员类 and 公用经费 drafts,
//! each line its in-service persons × a 2026 standard; calculating again changes nothing,
//! a person leaving refreshes the draft, a confirmed (declared) one is kept; the drafts
//! cannot be edited by hand; refusals write nothing.

use fiscus_app::demo::{self, Scale};
use fiscus_app::project::basic::{BasicChange, BasicOutcome};
use fiscus_app::project::list::ProjectFilter;
use fiscus_core::flow::InstanceStatus;
use fiscus_core::project::{ProjectCategory, ProjectState};
use fiscus_core::schema;
use fiscus_core::{AgencyCode, FiscalYear};
use fiscus_store::testing::TestDb;

use crate::setup::*;
use crate::support::*;

fiscus_store::on_both_backends!(
    one_click_calculation_and_confirmation,
    one_click_refusals_write_nothing,
);

fn unit(world: &World) -> AgencyCode {
    AgencyCode::parse(&world.cast.agency_code).expect("code")
}

async fn calculate(world: &World) -> BasicOutcome {
    world
        .app
        .project_basic_calculate(&world.cast.clerk, &unit(world), FiscalYear(2026), &ctx())
        .await
        .expect("calculated")
}

fn changes(outcome: &BasicOutcome) -> Vec<(ProjectCategory, BasicChange)> {
    outcome
        .results
        .iter()
        .map(|result| (result.category, result.change))
        .collect()
}

fn pro_id_of(outcome: &BasicOutcome, category: ProjectCategory) -> String {
    outcome
        .results
        .iter()
        .find(|result| result.category == category)
        .and_then(|result| result.pro_id.clone())
        .expect("a project")
}

async fn n_projects(world: &World) -> usize {
    world
        .app
        .projects(&world.cast.clerk, None, 1, 200)
        .await
        .expect("list")
        .len()
}

async fn one_click_calculation_and_confirmation(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    let clerk = &world.cast.clerk;
    let data = demo::generate(Scale::Small);
    let in_service: Vec<_> = data
        .persons
        .iter()
        .filter(|p| p.agency_code == world.cast.agency_code && p.per_sta_code == "1")
        .collect();
    assert!(!in_service.is_empty(), "the demo unit has staff");

    let outcome = calculate(&world).await;
    assert_eq!(outcome.fiscal_year, FiscalYear(2026));
    assert_eq!(outcome.n_in_service, in_service.len() as i64);
    assert_eq!(
        changes(&outcome),
        [
            (ProjectCategory::Personnel, BasicChange::Created),
            (ProjectCategory::Operation, BasicChange::Created)
        ]
    );
    let personnel_id = pro_id_of(&outcome, ProjectCategory::Personnel);
    let public_id = pro_id_of(&outcome, ProjectCategory::Operation);
    let personnel = app.project(clerk, &personnel_id).await.expect("read");
    assert!(personnel.is_calculated());
    assert_eq!(personnel.row.status, ProjectState::Draft.code());
    assert_eq!(personnel.row.pro_name, "2026年人员经费（基本支出）");
    assert!(
        personnel.row.pro_code.contains("26R"),
        "{}",
        personnel.row.pro_code
    );
    // Every line: the persons of the standard's identity × the standard of the region path.
    for line in &personnel.input.estimation {
        let std_code = line.basis.split(' ').next().expect("code");
        let standard = data
            .standards
            .iter()
            .filter(|s| {
                s.std_code == std_code && world.cast.budget.region_path.starts_with(&s.region_path)
            })
            .max_by_key(|s| s.region_path.len())
            .expect("a standard on the path");
        let n_persons = in_service
            .iter()
            .filter(|p| Some(p.per_ide_code) == standard.per_ide_code)
            .count() as i64;
        assert_eq!(line.quantity, n_persons, "{}", line.basis);
        assert_eq!(line.unit_price_fen.0, standard.amount_fen, "{}", line.basis);
        assert_eq!(line.amount_fen.0, n_persons * standard.amount_fen);
    }
    assert_eq!(personnel.input.plan.len(), 1);
    assert_eq!(personnel.input.plan[0].year, 2026);
    assert_eq!(personnel.row.pro_total_amt, outcome.results[0].total_fen.0);
    let public_use = app.project(clerk, &public_id).await.expect("read");
    assert_eq!(public_use.input.pro_cat_code, ProjectCategory::Operation);
    assert!(
        public_use
            .input
            .estimation
            .iter()
            .all(|line| line.quantity == in_service.len() as i64)
    );

    // Calculating again changes nothing and adds nothing.
    let again = calculate(&world).await;
    assert_eq!(
        changes(&again),
        [
            (ProjectCategory::Personnel, BasicChange::Unchanged),
            (ProjectCategory::Operation, BasicChange::Unchanged)
        ]
    );
    assert_eq!(pro_id_of(&again, ProjectCategory::Personnel), personnel_id);
    assert_eq!(n_projects(&world).await, 2);

    // A calculated draft is not edited by hand.
    let edited = app
        .project_update(clerk, &personnel_id, &personnel.input, &ctx())
        .await;
    assert_eq!(code(&edited), "project_calculated_not_editable");
    assert_eq!(
        app.project(clerk, &personnel_id).await.expect("read").row,
        personnel.row
    );

    // A person leaves: calculating again refreshes both drafts in place.
    let leaving = in_service[0];
    app.set_record_enabled(clerk, &schema::PERSON, &leaving.per_id, false, &ctx())
        .await
        .expect("disabled");
    let refreshed = calculate(&world).await;
    assert_eq!(refreshed.n_in_service, in_service.len() as i64 - 1);
    assert_eq!(
        changes(&refreshed),
        [
            (ProjectCategory::Personnel, BasicChange::Refreshed),
            (ProjectCategory::Operation, BasicChange::Refreshed)
        ]
    );
    let after = app.project(clerk, &personnel_id).await.expect("read");
    assert_eq!(after.row.pro_code, personnel.row.pro_code);
    assert!(after.row.pro_total_amt < personnel.row.pro_total_amt);

    // 项目确认: the same declaration flow into the pool; a confirmed project is kept.
    app.project_declare(clerk, &personnel_id, &ctx())
        .await
        .expect("confirmed");
    let kept = calculate(&world).await;
    assert_eq!(
        changes(&kept),
        [
            (
                ProjectCategory::Personnel,
                BasicChange::Kept(ProjectState::Declared)
            ),
            (ProjectCategory::Operation, BasicChange::Unchanged)
        ]
    );
    while act_next(&world, &personnel_id, approve_task)
        .await
        .expect("approved")
        .1
        == InstanceStatus::InProgress
    {}
    let filter = ProjectFilter {
        status: Some(ProjectState::Reserved),
        category: Some(ProjectCategory::Personnel),
        year: Some(FiscalYear(2026)),
        agency_code: Some(unit(&world)),
    };
    let pool = app
        .project_list(&world.cast.budget, &filter, 1, 20)
        .await
        .expect("pool");
    assert_eq!(pool.count, 1);
    assert_eq!(pool.rows[0].row.pro_id, personnel_id);
    assert_eq!(pool.total_fen.0, after.row.pro_total_amt);
}

async fn one_click_refusals_write_nothing(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    let own = unit(&world);
    let other =
        AgencyCode::parse(world.cast.outsider.agency_code().expect("unit").as_str()).expect("code");
    let cases: Vec<(&str, &fiscus_core::Principal, &AgencyCode, i32, &str)> = vec![
        (
            "budget division",
            &world.cast.budget,
            &own,
            2026,
            "forbidden",
        ),
        (
            "department reviewer",
            &world.dept_reviewer,
            &own,
            2026,
            "forbidden",
        ),
        ("another unit", &world.cast.clerk, &other, 2026, "forbidden"),
        (
            "a year without standards",
            &world.cast.clerk,
            &own,
            2031,
            "basic_calculation_empty",
        ),
    ];
    for (name, who, agency_code, year, expected) in cases {
        let result = app
            .project_basic_calculate(who, agency_code, FiscalYear(year), &ctx())
            .await;
        assert_eq!(code(&result), expected, "case {name}");
        assert_eq!(n_projects(&world).await, 0, "case {name}");
    }
}
