//! Set-up of the budget tests: the cast around one unit (its clerk and approver, its
//! department's reviewer, the region's finance divisions), three reserved projects of the
//! unit (one per category), balanced tables, and a helper that drives a document through
//! whoever holds its task.

#![allow(dead_code)]

use fiscus_app::App;
use fiscus_app::demo::{self, Scale};
use fiscus_core::budget::{
    BudgetTables, ExpenseLine, IncomeKind, IncomeLine, LineKey, NonTaxLine, ProcurementLine,
};
use fiscus_core::flow::{Command, InstanceStatus, TaskId};
use fiscus_core::money::Fen;
use fiscus_core::project::{
    EstimationLine, PlanLine, ProjectCategory, ProjectInput, TargetLevel1, TargetLine,
};
use fiscus_core::{AgencyCode, FiscalYear, Principal, Role};
use fiscus_store::testing::TestDb;

use crate::support::*;

/// The year compiled in these tests (no demo data uses it; codes fall back to 2026's).
pub const YEAR: i64 = 2028;

pub struct World {
    pub app: App,
    pub cast: Cast,
    pub approver: Principal,
    pub dept_code: String,
    pub dept_reviewer: Principal,
    /// 人员类, 运转类, 特定目标类 project codes of the unit, all reserved.
    pub personnel: String,
    pub operation: String,
    pub specific: String,
}

fn user_name(data: &demo::DemoData, agency: Option<&str>, region: &str, role: Role) -> String {
    data.users
        .iter()
        .find(|user| {
            user.agency_code.as_deref() == agency
                && user.mof_div_code == region
                && user.roles == role.code()
        })
        .map(|user| user.user_name.clone())
        .expect("demo user")
}

pub async fn world(test_db: &TestDb) -> World {
    let app = demo_app(test_db).await;
    let cast = cast(&app).await;
    let data = demo::generate(Scale::Small);
    let dept_code = cast
        .clerk
        .agency_path
        .as_deref()
        .and_then(|path| path.split('/').find(|code| !code.is_empty()))
        .expect("a department")
        .to_owned();
    let dept_region = data
        .units
        .iter()
        .find(|unit| unit.agency_code == dept_code)
        .map(|unit| unit.mof_div_code.clone())
        .expect("department unit");
    let approver = principal(
        &app,
        &user_name(
            &data,
            Some(&cast.agency_code),
            &cast.mof_div_code,
            Role::UnitApprover,
        ),
    )
    .await;
    let dept_reviewer = principal(
        &app,
        &user_name(&data, Some(&dept_code), &dept_region, Role::DeptReviewer),
    )
    .await;
    let mut world = World {
        app,
        cast,
        approver,
        dept_code,
        dept_reviewer,
        personnel: String::new(),
        operation: String::new(),
        specific: String::new(),
    };
    world.personnel = reserved_project(&world, ProjectCategory::Personnel, "人员经费").await;
    world.operation = reserved_project(&world, ProjectCategory::Operation, "公用经费").await;
    world.specific = reserved_project(&world, ProjectCategory::SpecificTarget, "信息化建设").await;
    world
}

/// A project of the unit written through the app and put in the reserve pool directly (the
/// declaration flow has its own tests).
pub async fn reserved_project(world: &World, category: ProjectCategory, name: &str) -> String {
    let input = ProjectInput {
        pro_name: name.into(),
        agency_code: AgencyCode::parse(&world.cast.agency_code).expect("code"),
        pro_cat_code: category,
        start_year: FiscalYear(YEAR as i32),
        end_year: FiscalYear(YEAR as i32),
        plan: vec![PlanLine {
            year: YEAR as i32,
            amount_fen: Fen(100_000_000),
        }],
        estimation: vec![EstimationLine {
            item: "测算".into(),
            quantity: 1,
            unit_price_fen: Fen(100_000_000),
            amount_fen: Fen(100_000_000),
            basis: "标准".into(),
        }],
        targets: vec![
            TargetLine {
                level1: TargetLevel1::Output,
                level2: "数量指标".into(),
                level3: "完成率".into(),
                target_value: "100%".into(),
                unit: String::new(),
            },
            TargetLine {
                level1: TargetLevel1::Effect,
                level2: "社会效益指标".into(),
                level3: "服务对象".into(),
                target_value: "≥90%".into(),
                unit: String::new(),
            },
        ],
    };
    let pro_id = world
        .app
        .project_create(&world.cast.clerk, &input, FiscalYear(YEAR as i32), &ctx())
        .await
        .expect("project created");
    fiscus_store::testing::execute(
        &world.app.db,
        "UPDATE project SET status = 'reserved' WHERE pro_id = $1",
        &[&pro_id],
    )
    .await
    .expect("reserve");
    world
        .app
        .project(&world.cast.clerk, &pro_id)
        .await
        .expect("read")
        .row
        .pro_code
}

pub fn key(pro_code: &str, func: &str, eco: &str, gov: &str) -> LineKey {
    LineKey {
        pro_code: pro_code.into(),
        exp_func_code: func.into(),
        gov_bgt_eco_code: gov.into(),
        dep_bgt_eco_code: eco.into(),
        fund_type_code: "111".into(),
    }
}

/// Balanced tables totalling `total` fen (personnel 60%, operation 30%, specific 10% with a
/// procurement line), income split between appropriation and a non-tax line of 1%.
pub fn tables(world: &World, total: i64) -> BudgetTables {
    let personnel = total * 6 / 10;
    let operation = total * 3 / 10;
    let specific = total - personnel - operation;
    let non_tax = total / 100;
    BudgetTables {
        expenses: vec![
            ExpenseLine {
                key: key(&world.personnel, "2010101", "30101", "50101"),
                amount: Fen(personnel),
                is_gov_pur: false,
                remark: String::new(),
            },
            ExpenseLine {
                key: key(&world.operation, "2010101", "30201", "50201"),
                amount: Fen(operation),
                is_gov_pur: false,
                remark: String::new(),
            },
            ExpenseLine {
                key: key(&world.specific, "2010102", "31002", "50306"),
                amount: Fen(specific),
                is_gov_pur: true,
                remark: "信息化设备".into(),
            },
        ],
        incomes: vec![
            IncomeLine {
                kind: IncomeKind::Appropriation,
                fund_type_code: "111".into(),
                amount: Fen(total - non_tax),
                remark: String::new(),
            },
            IncomeLine {
                kind: IncomeKind::NonTax,
                fund_type_code: "112".into(),
                amount: Fen(non_tax),
                remark: String::new(),
            },
        ],
        non_tax: vec![NonTaxLine {
            item_code: "103040101".into(),
            item_name: "行政事业性收费".into(),
            amount: Fen(non_tax),
        }],
        procurement: vec![ProcurementLine {
            pro_code: world.specific.clone(),
            item_code: "A02010104".into(),
            item_name: "台式计算机".into(),
            quantity: 2,
            amount: Fen(specific.min(1_000_000)),
        }],
        assets: Vec::new(),
    }
}

/// Approves the document's open tasks, whoever of the cast holds them, until it ends.
pub async fn drive(world: &World, doc_id: &str) -> InstanceStatus {
    let people = [
        &world.approver,
        &world.dept_reviewer,
        &world.cast.business,
        &world.cast.budget,
    ];
    for _ in 0..10 {
        let mut acted = None;
        for who in people {
            let Ok(view) = world.app.flow_document(who, doc_id).await else {
                continue;
            };
            if let Some((task_id, _)) = view.task_actions.first() {
                let command = Command::Approve {
                    task_id: TaskId(*task_id),
                    opinion: "同意".into(),
                };
                acted = Some(
                    world
                        .app
                        .flow_act(who, doc_id, command, &ctx())
                        .await
                        .expect("approve"),
                );
                break;
            }
        }
        match acted {
            Some(InstanceStatus::InProgress) => continue,
            Some(status) => return status,
            None => panic!("nobody holds a task of {doc_id}"),
        }
    }
    panic!("{doc_id} did not end");
}
