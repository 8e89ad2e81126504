//! Demo budget compilation for the next year (2027, 二上二下): reserved projects for every
//! unit (人员类, 运转类 and for most units a 特定目标类 project, each with its approved
//! declaration document), control numbers for departments and units (一下), and each unit's
//! sheet with about ten expenditure lines and incomes that balance them. Stages are mixed:
//! most sheets 二上 reviewed, some 二上 drafts, a few still at 一上. Reviewed sheets carry no
//! flow document (doc_id NULL: they are loaded as already reviewed); the sheets in review
//! are made by the real `App::budget_submit` after the load, so their documents, instances
//! and tasks are the flow engine's own.

use fiscus_core::budget::{SheetStatus, Stage};
use fiscus_core::code::{AgencyCode, FiscalYear};
use fiscus_core::flow::DocType;
use fiscus_core::project::{
    EstimationLine, PlanLine, ProjectCategory, ProjectInput, ProjectState, TargetLevel1,
    TargetLine, pro_code,
};
use fiscus_core::rng::DemoRng;
use fiscus_core::{Fen, MofDivCode};
use fiscus_store::Tx;
use fiscus_store::budget::{LineRow, SheetRow, insert_lines, insert_sheets};
use fiscus_store::bulk::insert_rows;
use fiscus_store::sql::Bind;

use super::rows::{DEMO_AUTHOR, DEMO_TIMESTAMP};
use super::{DemoUnit, Scale, hex_id, stream, tree};
use crate::{App, AppError, RequestCtx};

/// The year being compiled.
pub const BUDGET_YEAR: i64 = 2027;
const YEAR: FiscalYear = FiscalYear(2027);
/// The random stream of the budget (next to the demo's other streams).
const STREAM_BUDGET: u64 = 7;
/// Sheets put in review through the real flow after the load, per scale.
const SUBMITTED_CORPS: usize = 40;
const SUBMITTED_SMALL: usize = 4;

/// Function classes (项) of a unit's main business, by unit index (as the 2026 ledger).
const FUNCTIONS: [&str; 10] = [
    "2010101", "2010301", "2010601", "2050201", "2050202", "2080101", "2100101", "2120101",
    "2130101", "2010501",
];

/// Names of 特定目标类 projects.
const TARGET_PROJECTS: [&str; 6] = [
    "信息化运维项目",
    "业务能力建设项目",
    "专项调研及课题项目",
    "设施设备更新项目",
    "公共服务提升项目",
    "档案数字化项目",
];

/// One expenditure line before it is written: its class codes and two figures.
struct Line {
    exp_func_code: &'static str,
    dep_bgt_eco_code: &'static str,
    gov_bgt_eco_code: &'static str,
    /// 编制数 of the current round.
    amount_fen: i64,
    /// 申报数 of 一上 (at least the amount).
    declared_fen: i64,
}

struct Project {
    category: ProjectCategory,
    name: String,
    lines: Vec<Line>,
}

/// Everything the budget part writes, as rows.
#[derive(Default)]
struct Rows {
    documents: Vec<Vec<Bind>>,
    projects: Vec<Vec<Bind>>,
    sequences: Vec<Vec<Bind>>,
    controls: Vec<Vec<Bind>>,
    sheets: Vec<SheetRow>,
    lines: Vec<LineRow>,
    incomes: Vec<Vec<Bind>>,
    /// Units whose 二上 draft is submitted after the load.
    to_submit: Vec<String>,
    /// Each unit's 二上 lines, for a compilation made through the use cases.
    plans: Vec<UnitPlan>,
}

/// A unit's compilation as the demo plans it: the lines of its 二上 (within its projects of
/// the project library), for `fiscus simulate` to enter through `App::budget_save`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitPlan {
    pub mof_div_code: String,
    pub agency_code: String,
    pub dept_code: String,
    pub lines: Vec<PlanLineOf>,
}

/// One planned expenditure line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanLineOf {
    pub pro_code: String,
    pub exp_func_code: String,
    pub dep_bgt_eco_code: String,
    pub gov_bgt_eco_code: String,
    pub amount_fen: i64,
}

/// A whole amount of 元 between `low` and `high` thousands, in fen, rounded to 100 元.
fn yuan_thousands(rng: &mut DemoRng, low: u64, high: u64) -> i64 {
    let hundreds = rng.range(low * 10, high * 10);
    i64::try_from(hundreds).unwrap_or(0) * 100 * 100
}

fn per_person(rng: &mut DemoRng, staff: i64, low: u64, high: u64) -> i64 {
    staff.max(1) * yuan_thousands(rng, low, high)
}

fn line(
    rng: &mut DemoRng,
    exp_func_code: &'static str,
    dep_bgt_eco_code: &'static str,
    gov_bgt_eco_code: &'static str,
    amount: impl FnOnce(&mut DemoRng) -> i64,
) -> Line {
    let amount_fen = amount(rng);
    // The unit asked for up to 12 % more than the finance side kept.
    let extra_percent = i64::try_from(rng.range(0, 12)).unwrap_or(0);
    Line {
        exp_func_code,
        dep_bgt_eco_code,
        gov_bgt_eco_code,
        amount_fen,
        declared_fen: amount_fen + amount_fen / 10_000 * extra_percent * 100,
    }
}

/// A unit's projects and lines: classes follow `eco_classes_allowed` of each category.
fn projects_of(unit: &DemoUnit, index: usize, rng: &mut DemoRng) -> Vec<Project> {
    let public_institution = !matches!(unit.agency_type, "1" | "2");
    let (wage_eco, goods_eco, capital_eco) = if public_institution {
        (["50501"; 3], "50502", "50601")
    } else {
        (["50101", "50102", "50103"], "50201", "50306")
    };
    let function = FUNCTIONS[index % FUNCTIONS.len()];
    let staff = unit.actu_staf_num;
    let name = &unit.agency_abbreviation;
    let mut projects = vec![
        Project {
            category: ProjectCategory::Personnel,
            name: format!("{name}{BUDGET_YEAR}年人员经费"),
            lines: vec![
                line(rng, function, "30101", wage_eco[0], |rng| {
                    per_person(rng, staff, 36, 48)
                }),
                line(rng, function, "30102", wage_eco[0], |rng| {
                    per_person(rng, staff, 24, 36)
                }),
                line(rng, "2080505", "30108", wage_eco[1], |rng| {
                    per_person(rng, staff, 8, 11)
                }),
                line(rng, "2210201", "30113", wage_eco[2], |rng| {
                    per_person(rng, staff, 5, 8)
                }),
            ],
        },
        Project {
            category: ProjectCategory::Operation,
            name: format!("{name}{BUDGET_YEAR}年公用经费"),
            lines: vec![
                line(rng, function, "30201", goods_eco, |rng| {
                    per_person(rng, staff, 2, 4)
                }),
                line(rng, function, "30211", goods_eco, |rng| {
                    per_person(rng, staff, 2, 3)
                }),
                line(rng, function, "30213", goods_eco, |rng| {
                    yuan_thousands(rng, 20, 80)
                }),
                line(rng, function, "30228", goods_eco, |rng| {
                    per_person(rng, staff, 1, 1)
                }),
            ],
        },
    ];
    if rng.chance(7, 10) {
        let title = *rng.pick(&TARGET_PROJECTS);
        projects.push(Project {
            category: ProjectCategory::SpecificTarget,
            name: format!("{name}{title}"),
            lines: vec![
                line(rng, function, "30227", goods_eco, |rng| {
                    yuan_thousands(rng, 100, 2_000)
                }),
                line(rng, function, "31002", capital_eco, |rng| {
                    yuan_thousands(rng, 50, 500)
                }),
            ],
        });
    }
    projects
}

fn targets(category: ProjectCategory) -> Vec<TargetLine> {
    let target = |level1, level2: &str, level3: &str, value: &str, unit: &str| TargetLine {
        level1,
        level2: level2.to_owned(),
        level3: level3.to_owned(),
        target_value: value.to_owned(),
        unit: unit.to_owned(),
    };
    let mut lines = vec![target(
        TargetLevel1::Output,
        "数量指标",
        "保障在职人员数",
        "100",
        "%",
    )];
    if category == ProjectCategory::SpecificTarget {
        lines.push(target(
            TargetLevel1::Effect,
            "社会效益指标",
            "服务对象满意度",
            "≥90",
            "%",
        ));
    }
    lines
}

fn text(value: &str) -> Bind {
    Bind::text(value)
}

fn int(value: i64) -> Bind {
    Bind::Int(Some(value))
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, AppError> {
    serde_json::to_string(value).map_err(|error| AppError::Internal(format!("demo: {error}")))
}

/// Sequence numbers of project codes per (region, category), as `next_seq` would give them.
#[derive(Default)]
struct Sequences(std::collections::BTreeMap<(String, char), i64>);

impl Sequences {
    fn next(&mut self, mof_div_code: &str, letter: char) -> i64 {
        let seq = self.0.entry((mof_div_code.to_owned(), letter)).or_insert(0);
        *seq += 1;
        *seq
    }
}

/// The project row and its approved declaration document.
fn push_project(
    rows: &mut Rows,
    unit: &DemoUnit,
    project: &Project,
    code: &str,
    rng: &mut DemoRng,
) -> Result<(), AppError> {
    let total = Fen(project
        .lines
        .iter()
        .map(|line| line.declared_fen)
        .sum::<i64>());
    let input = ProjectInput {
        pro_name: project.name.clone(),
        agency_code: AgencyCode::parse(&unit.agency_code)
            .map_err(|_| AppError::Internal(format!("demo unit {}", unit.agency_code)))?,
        pro_cat_code: project.category,
        start_year: YEAR,
        end_year: YEAR,
        plan: vec![PlanLine {
            year: YEAR.0,
            amount_fen: total,
        }],
        estimation: vec![EstimationLine {
            item: "年度经费".to_owned(),
            quantity: 1,
            unit_price_fen: total,
            amount_fen: total,
            basis: "按人员编制和定额标准测算".to_owned(),
        }],
        targets: targets(project.category),
    };
    let pro_id = hex_id(rng);
    let submitter = format!("u{}_clerk", unit.agency_code);
    let title = format!(
        "项目申报：{}（{}），{} 元",
        project.name,
        project.category.label(),
        total.to_yuan_string()
    );
    rows.documents.push(vec![
        text(&pro_id),
        text(DocType::ProjectDeclaration.code()),
        text(&title),
        text(&unit.mof_div_code),
        text(&unit.agency_code),
        int(total.0),
        text(&json(&input)?),
        text("approved"),
        text(&submitter),
        text(DEMO_TIMESTAMP),
        text(DEMO_TIMESTAMP),
    ]);
    rows.projects.push(vec![
        text(&pro_id),
        text(code),
        text(&project.name),
        text(&unit.agency_code),
        text(&unit.mof_div_code),
        text(project.category.code()),
        int(BUDGET_YEAR),
        int(BUDGET_YEAR),
        int(BUDGET_YEAR),
        int(total.0),
        text(&json(&input.plan)?),
        text(&json(&input.estimation)?),
        text(&json(&input.targets)?),
        text(ProjectState::Reserved.code()),
        Bind::Text(None),
        text(&submitter),
        text(DEMO_TIMESTAMP),
        text(DEMO_TIMESTAMP),
        text(fiscus_store::project::PRO_SOURCE_DECLARE),
    ]);
    Ok(())
}

/// A unit's stage in the demo: 2 % 一上 drafts, 2 % 一上 reviewed, 12 % 二上 drafts, the rest
/// 二上 reviewed.
fn stage_of(rng: &mut DemoRng) -> (Stage, SheetStatus) {
    match rng.range(0, 99) {
        0..=1 => (Stage::OneUp, SheetStatus::Draft),
        2..=3 => (Stage::OneUp, SheetStatus::Reviewed),
        4..=15 => (Stage::TwoUp, SheetStatus::Draft),
        _ => (Stage::TwoUp, SheetStatus::Reviewed),
    }
}

fn dept_of(unit: &DemoUnit) -> &str {
    crate::budget::dept_of_path(&unit.agency_path).unwrap_or(&unit.agency_code)
}

fn control_row(unit: &DemoUnit, agency_code: &str, kind: &str, amount_fen: i64) -> Vec<Bind> {
    vec![
        int(BUDGET_YEAR),
        text(agency_code),
        text(kind),
        text(&unit.mof_div_code),
        text(dept_of(unit)),
        int(amount_fen),
        int(1),
        text(DEMO_AUTHOR),
        text(DEMO_TIMESTAMP),
    ]
}

/// One unit: projects, sheet, lines, incomes and (at 二上) its control number.
fn push_unit(
    rows: &mut Rows,
    sequences: &mut Sequences,
    unit: &DemoUnit,
    index: usize,
    rng: &mut DemoRng,
) -> Result<i64, AppError> {
    let (stage, status) = stage_of(rng);
    let region = MofDivCode::parse(&unit.mof_div_code)
        .map_err(|_| AppError::Internal(format!("demo region {}", unit.mof_div_code)))?;
    let sheet_id = hex_id(rng);
    let mut expense_fen = 0_i64;
    let mut plan = UnitPlan {
        mof_div_code: unit.mof_div_code.clone(),
        agency_code: unit.agency_code.clone(),
        dept_code: dept_of(unit).to_owned(),
        lines: Vec::new(),
    };
    for project in projects_of(unit, index, rng) {
        let letter = project.category.letter();
        let seq = sequences.next(&unit.mof_div_code, letter);
        let code = pro_code(&region, YEAR, project.category, seq);
        push_project(rows, unit, &project, &code, rng)?;
        for line in &project.lines {
            plan.lines.push(PlanLineOf {
                pro_code: code.clone(),
                exp_func_code: line.exp_func_code.to_owned(),
                dep_bgt_eco_code: line.dep_bgt_eco_code.to_owned(),
                gov_bgt_eco_code: line.gov_bgt_eco_code.to_owned(),
                amount_fen: line.amount_fen,
            });
            let (amount_fen, apply_up, fin_audit_money) = match (stage, status) {
                (Stage::OneUp, SheetStatus::Reviewed) => (line.declared_fen, line.declared_fen, 0),
                (Stage::OneUp, _) => (line.declared_fen, 0, 0),
                (_, SheetStatus::Reviewed) => (line.amount_fen, line.declared_fen, line.amount_fen),
                _ => (line.amount_fen, line.declared_fen, 0),
            };
            expense_fen += amount_fen;
            rows.lines.push(LineRow {
                bgt_pman_id: hex_id(rng),
                sheet_id: sheet_id.clone(),
                fiscal_year: BUDGET_YEAR,
                mof_div_code: unit.mof_div_code.clone(),
                agency_code: unit.agency_code.clone(),
                dept_code: dept_of(unit).to_owned(),
                pro_code: code.clone(),
                pro_kind_code: project.category.code().to_owned(),
                exp_func_code: line.exp_func_code.to_owned(),
                gov_bgt_eco_code: line.gov_bgt_eco_code.to_owned(),
                dep_bgt_eco_code: line.dep_bgt_eco_code.to_owned(),
                fund_type_code: "111".to_owned(),
                is_gov_pur: false,
                remark: String::new(),
                amount_fen,
                apply_up,
                fin_audit_money,
                pre_amt: 0,
                reply_amt: 0,
                adj_amt: 0,
                dis_amt: 0,
                cur_amt: 0,
                bgt_id: None,
                updated_by: DEMO_AUTHOR.to_owned(),
                updated_at: DEMO_TIMESTAMP.to_owned(),
            });
        }
    }
    // 事业单位 often have 事业收入 besides the appropriation; the two balance the expense.
    let business_fen = if unit.agency_type == "3" && rng.chance(3, 10) {
        expense_fen / 10_000 * 1_000
    } else {
        0
    };
    let mut incomes = vec![("appropriation", "111", expense_fen - business_fen)];
    if business_fen > 0 {
        incomes.push(("business", "51", business_fen));
    }
    for (line_no, (kind, fund, amount_fen)) in incomes.into_iter().enumerate() {
        rows.incomes.push(vec![
            text(&sheet_id),
            int(i64::try_from(line_no).unwrap_or(0)),
            text(kind),
            text(fund),
            int(amount_fen),
            text(""),
        ]);
    }
    rows.plans.push(plan);
    if stage == Stage::TwoUp {
        rows.controls
            .push(control_row(unit, &unit.agency_code, "unit", expense_fen));
        if status == SheetStatus::Draft {
            rows.to_submit.push(unit.agency_code.clone());
        }
    }
    rows.sheets.push(SheetRow {
        sheet_id,
        fiscal_year: BUDGET_YEAR,
        mof_div_code: unit.mof_div_code.clone(),
        agency_code: unit.agency_code.clone(),
        dept_code: dept_of(unit).to_owned(),
        stage: stage.code().to_owned(),
        status: status.code().to_owned(),
        doc_id: None,
        expense_fen,
        income_fen: expense_fen,
        revision: 1,
        updated_by: DEMO_AUTHOR.to_owned(),
        updated_at: DEMO_TIMESTAMP.to_owned(),
    });
    Ok(expense_fen)
}

fn generate(scale: Scale, units: &[DemoUnit], rng: &mut DemoRng) -> Result<Rows, AppError> {
    let mut rows = Rows::default();
    let mut sequences = Sequences::default();
    // Each department's control: what it distributed plus what its 一上 units still await.
    let mut dept_totals: std::collections::BTreeMap<&str, i64> = Default::default();
    for (index, unit) in units.iter().enumerate() {
        let expense_fen = push_unit(&mut rows, &mut sequences, unit, index, rng)?;
        *dept_totals.entry(dept_of(unit)).or_default() += expense_fen;
    }
    for unit in units.iter().filter(|unit| unit.depth == 1) {
        let amount_fen = dept_totals.get(unit.agency_code.as_str()).copied();
        rows.controls.push(control_row(
            unit,
            &unit.agency_code,
            "dept",
            amount_fen.unwrap_or(0),
        ));
    }
    for ((mof_div_code, letter), last_no) in sequences.0 {
        rows.sequences.push(vec![
            text(&mof_div_code),
            int(BUDGET_YEAR),
            text(&format!("pro_code_{letter}")),
            int(last_no),
        ]);
    }
    let n_submitted = match scale {
        Scale::Corps => SUBMITTED_CORPS,
        Scale::Small => SUBMITTED_SMALL,
    };
    // Spread the submissions over the tree rather than the first department.
    let step = (rows.to_submit.len() / n_submitted.max(1)).max(1);
    rows.to_submit = rows
        .to_submit
        .iter()
        .step_by(step)
        .take(n_submitted)
        .cloned()
        .collect();
    Ok(rows)
}

const DOCUMENT_COLUMNS: [&str; 11] = [
    "doc_id",
    "doc_type",
    "title",
    "mof_div_code",
    "agency_code",
    "amount_fen",
    "payload",
    "status",
    "submitter",
    "created_at",
    "updated_at",
];

const PROJECT_COLUMNS: [&str; 19] = [
    "pro_id",
    "pro_code",
    "pro_name",
    "agency_code",
    "mof_div_code",
    "pro_cat_code",
    "setup_year",
    "pro_start_year",
    "pro_end_year",
    "pro_total_amt",
    "plan_json",
    "estimation_json",
    "targets_json",
    "status",
    "terminate_reason",
    "created_by",
    "created_at",
    "updated_at",
    "pro_source",
];

const CONTROL_COLUMNS: [&str; 9] = [
    "fiscal_year",
    "agency_code",
    "kind",
    "mof_div_code",
    "dept_code",
    "amount_fen",
    "revision",
    "updated_by",
    "updated_at",
];

const INCOME_COLUMNS: [&str; 6] = [
    "sheet_id",
    "line_no",
    "income_kind",
    "fund_type_code",
    "amount_fen",
    "remark",
];

fn generate_for(scale: Scale) -> Result<Rows, AppError> {
    let regions = tree::regions();
    let mut units = tree::units(scale, &regions, &mut stream(super::STREAM_UNITS));
    if scale == Scale::Small {
        // The small demo compiles in the regiments only: tests of the corps and division
        // units build exactly the projects and budgets they assert on.
        units.retain(|unit| unit.region_level == 3);
    }
    // Pure and quick (~50,000 small rows): no need to leave the async worker.
    generate(scale, &units, &mut stream(STREAM_BUDGET))
}

/// Every compiling unit's planned 二上, in the demo's unit order: the same projects and
/// lines the demo writes (their project codes are those of the loaded project library).
pub fn unit_plans(scale: Scale) -> Result<Vec<UnitPlan>, AppError> {
    Ok(generate_for(scale)?.plans)
}

/// Writes the compilation inside the demo's transaction; returns the summary lines and the
/// units whose drafts [`submit`] puts in review after the commit. Without `compilation`,
/// only the project library (projects, their declarations and code sequences) is written.
pub async fn load(
    tx: &mut Tx,
    scale: Scale,
    compilation: bool,
) -> Result<(Vec<(&'static str, i64)>, Vec<String>), AppError> {
    let rows = generate_for(scale)?;
    let n_projects = insert_rows(tx, "flow_document", &DOCUMENT_COLUMNS, rows.documents).await?;
    insert_rows(tx, "project", &PROJECT_COLUMNS, rows.projects).await?;
    insert_rows(
        tx,
        "voucher_seq",
        &["mof_div_code", "fiscal_year", "seq_kind", "last_no"],
        rows.sequences,
    )
    .await?;
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    if !compilation {
        return Ok((vec![("projects", count(n_projects))], Vec::new()));
    }
    let n_controls = insert_rows(tx, "budget_control", &CONTROL_COLUMNS, rows.controls).await?;
    insert_sheets(tx, &rows.sheets).await?;
    insert_lines(tx, &rows.lines).await?;
    insert_rows(tx, "budget_income", &INCOME_COLUMNS, rows.incomes).await?;
    let lines = vec![
        ("projects", count(n_projects)),
        ("budget_controls", count(n_controls)),
        ("budget_sheets", count(rows.sheets.len() as u64)),
        ("budget_lines", count(rows.lines.len() as u64)),
    ];
    Ok((lines, rows.to_submit))
}

/// Puts the chosen 二上 drafts in review through the real use case, as each unit's clerk.
pub async fn submit(app: &App, agency_codes: &[String]) -> Result<usize, AppError> {
    let ctx = RequestCtx::default();
    for agency_code in agency_codes {
        let user_name = format!("u{agency_code}_clerk");
        let auth = fiscus_store::auth::user_by_name(&app.db, &user_name)
            .await?
            .ok_or_else(|| AppError::Internal(format!("demo user {user_name} missing")))?;
        let who = crate::auth::principal_of(&auth)?;
        app.budget_submit(&who, BUDGET_YEAR, agency_code, &ctx)
            .await?;
    }
    Ok(agency_codes.len())
}
