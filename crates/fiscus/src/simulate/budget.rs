//! The budget phases of the simulation, through the budget and ledger use cases: the
//! compilation 二上二下 of every unit of the run (一上 报送 and review, 一下 control numbers
//! issued to departments and distributed to units, 二上 报送 and review) and the 批复 of every
//! region into indicators; 下达 of a 待分 pool in some regions and its 分解 into unit
//! indicators through the `indicator_release` flow; and 追加 / 追减 / 调剂 documents through
//! the `adjustment` flow.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use fiscus_app::RequestCtx;
use fiscus_app::budget::{ApprovalDoc, ControlInput};
use fiscus_app::demo::budget::UnitPlan;
use fiscus_core::Fen;
use fiscus_core::budget::adjust::{AdjustKind, AdjustLeg, Adjustment};
use fiscus_core::budget::{BudgetTables, ExpenseLine, IncomeKind, IncomeLine, LineKey};
use fiscus_core::ledger::operation::SplitChild;
use fiscus_core::ledger::{IndicatorDraft, Operation};
use fiscus_store::budget::LineQuery;
use fiscus_store::records::Viewer;

use super::approvals::approve_all;
use super::world::{STREAM_ADJUST, STREAM_PRE_RELEASE, STREAM_RELEASE};
use super::{PhaseReport, Progress, World};
use crate::app_error;

fn clerk_of(agency_code: &str) -> String {
    format!("u{agency_code}_clerk")
}

fn tables(plan: &UnitPlan) -> BudgetTables {
    let expenses: Vec<ExpenseLine> = plan
        .lines
        .iter()
        .map(|line| ExpenseLine {
            key: LineKey {
                pro_code: line.pro_code.clone(),
                exp_func_code: line.exp_func_code.clone(),
                gov_bgt_eco_code: line.gov_bgt_eco_code.clone(),
                dep_bgt_eco_code: line.dep_bgt_eco_code.clone(),
                fund_type_code: "111".into(),
            },
            amount: Fen(line.amount_fen),
            is_gov_pur: false,
            remark: String::new(),
        })
        .collect();
    BudgetTables {
        incomes: vec![IncomeLine {
            kind: IncomeKind::Appropriation,
            fund_type_code: "111".into(),
            amount: Fen(plan_total(plan)),
            remark: String::new(),
        }],
        expenses,
        non_tax: Vec::new(),
        procurement: Vec::new(),
        assets: Vec::new(),
    }
}

fn plan_total(plan: &UnitPlan) -> i64 {
    plan.lines.iter().map(|line| line.amount_fen).sum()
}

/// Saves and submits every unit's sheet (一上 or 二上), then approves them all.
async fn save_and_submit(world: &mut World, stage: &str, progress: &mut Progress) -> Result<()> {
    let ctx = RequestCtx::default();
    let year = i64::from(world.year);
    let plans = world.plans.clone();
    for (index, plan) in plans.iter().enumerate() {
        let clerk = world.principal(&clerk_of(&plan.agency_code)).await?;
        world
            .app
            .budget_save(&clerk, year, &plan.agency_code, &tables(plan), &ctx)
            .await
            .map_err(app_error)
            .with_context(|| format!("{stage} of {}", plan.agency_code))?;
        world
            .app
            .budget_submit(&clerk, year, &plan.agency_code, &ctx)
            .await
            .map_err(app_error)
            .with_context(|| format!("{stage} 报送 of {}", plan.agency_code))?;
        progress.tick(&format!("{stage} 报送"), index + 1, plans.len());
    }
    approve_all(world, "budget_submission", progress).await?;
    Ok(())
}

/// 一下: each region's budget division issues its departments' numbers and distributes
/// them to the units (the numbers equal the plans, so 二上 fits).
async fn controls(world: &mut World) -> Result<usize> {
    let ctx = RequestCtx::default();
    let year = i64::from(world.year);
    // region → dept → [(unit, amount)]
    let mut tree: BTreeMap<String, BTreeMap<String, Vec<(String, i64)>>> = BTreeMap::new();
    for plan in &world.plans {
        tree.entry(plan.mof_div_code.clone())
            .or_default()
            .entry(plan.dept_code.clone())
            .or_default()
            .push((plan.agency_code.clone(), plan_total(plan)));
    }
    let mut n_controls = 0;
    for (region, depts) in tree {
        let budget = world
            .principal(&world.bureau_user(&region, "budget_division")?)
            .await?;
        let dept_items: Vec<ControlInput> = depts
            .iter()
            .map(|(dept, units)| ControlInput {
                agency_code: dept.clone(),
                amount: Fen(units.iter().map(|(_, fen)| fen).sum()),
            })
            .collect();
        n_controls += world
            .app
            .budget_issue_controls(&budget, year, &dept_items, &ctx)
            .await
            .map_err(app_error)
            .with_context(|| format!("控制数 of region {region}"))?;
        for (dept, units) in depts {
            let items: Vec<ControlInput> = units
                .into_iter()
                .map(|(agency_code, fen)| ControlInput {
                    agency_code,
                    amount: Fen(fen),
                })
                .collect();
            n_controls += world
                .app
                .budget_distribute_controls(&budget, year, &dept, &items, &ctx)
                .await
                .map_err(app_error)
                .with_context(|| format!("分配控制数 of department {dept}"))?;
        }
    }
    Ok(n_controls)
}

fn approval_doc(year: i32, no: usize) -> ApprovalDoc {
    ApprovalDoc {
        doc_no: format!("兵财预〔{year}〕{no}号"),
        doc_title: format!("{year}年部门预算批复"),
    }
}

/// Phase 1: 二上二下 for every unit, then 批复 of every region into indicators.
pub async fn compilation(world: &mut World, progress: &mut Progress) -> Result<PhaseReport> {
    let mut report = PhaseReport::default();
    save_and_submit(world, "一上", progress).await?;
    let n_controls = controls(world).await?;
    save_and_submit(world, "二上", progress).await?;
    let ctx = RequestCtx::default();
    let regions = world.compiling_regions();
    // 预下达 of 30 % in about a quarter of the regions before their 批复.
    let mut rng = world.rng(STREAM_PRE_RELEASE);
    let (mut n_pre_released, mut pre_released_fen) = (0, 0_i64);
    for (index, region) in regions.iter().enumerate() {
        if !rng.chance(1, 4) {
            continue;
        }
        let budget = world
            .principal(&world.bureau_user(region, "budget_division")?)
            .await?;
        let pre = world
            .app
            .budget_pre_release(
                &budget,
                i64::from(world.year),
                region,
                3_000,
                &ApprovalDoc {
                    doc_no: format!("兵财预〔{}〕预{}号", world.year, index + 1),
                    doc_title: format!("{}年部门预算预下达", world.year),
                },
                &ctx,
            )
            .await
            .map_err(app_error)
            .with_context(|| format!("预下达 of region {region}"))?;
        n_pre_released += pre.indicators_created;
        pre_released_fen += pre.total_fen;
    }
    let (mut n_lines, mut n_indicators, mut total_fen) = (0, 0, 0_i64);
    for (index, region) in regions.iter().enumerate() {
        let budget = world
            .principal(&world.bureau_user(region, "budget_division")?)
            .await?;
        let summary = world
            .app
            .budget_approve_region(
                &budget,
                i64::from(world.year),
                region,
                &approval_doc(world.year, index + 1),
                &ctx,
            )
            .await
            .map_err(app_error)
            .with_context(|| format!("批复 of region {region}"))?;
        n_lines += summary.lines;
        n_indicators += summary.indicators_created;
        total_fen += summary.total_fen;
        progress.tick("批复", index + 1, regions.len());
    }
    let planned: i64 = world.plans.iter().map(plan_total).sum();
    if planned != total_fen {
        report.problems.push(format!(
            "批复 total {total_fen} fen differs from the compiled {planned} fen"
        ));
    }
    report.count("units", world.plans.len());
    report.count("regions", regions.len());
    report.count("controls", n_controls);
    report.count("budget_lines", n_lines);
    report.count("indicators", n_indicators + n_pre_released);
    report.count("pre_released_indicators", n_pre_released);
    report.amount("pre_released_fen", pre_released_fen);
    report.amount("approved_fen", total_fen);
    Ok(report)
}

fn draft(world: &World, region: &str, agency_code: &str) -> IndicatorDraft {
    let year = world.year;
    IndicatorDraft {
        mof_div_code: region.to_owned(),
        fiscal_year: year.to_string(),
        agency_code: agency_code.to_owned(),
        pro_code: String::new(),
        exp_func_code: "2010101".into(),
        gov_bgt_eco_code: "501".into(),
        dep_bgt_eco_code: "301".into(),
        fund_type_code: "111".into(),
        bgt_type_code: "12".into(),
        pay_type_code: "1".into(),
        source_type_code: "1".into(),
        cor_bgt_doc_no: String::new(),
        bgt_doc_title: format!("{year}年追加下达指标"),
        doc_date: format!("{year}-03-01"),
        ..IndicatorDraft::default()
    }
}

/// Phase 2: in a deterministic third of the regions the treasury enters a 待分 pool
/// (下达) and splits most of it (分解) among up to three of the region's units.
pub async fn release(world: &mut World, progress: &mut Progress) -> Result<PhaseReport> {
    let ctx = RequestCtx::default();
    let mut rng = world.rng(STREAM_RELEASE);
    let regions: Vec<String> = world
        .compiling_regions()
        .into_iter()
        .filter(|_| rng.chance(1, 3))
        .collect();
    let mut pools = Vec::new();
    for region in &regions {
        let treasury = world
            .principal(&world.bureau_user(region, "treasury_division")?)
            .await?;
        let amount = i64::try_from(rng.range(1_000, 5_000)).unwrap_or(1_000) * 100_000;
        let pool = IndicatorDraft {
            agency_code: String::new(),
            exp_func_code: "201".into(),
            gov_bgt_eco_code: String::new(),
            dep_bgt_eco_code: String::new(),
            bgt_type_code: "13".into(),
            bgt_exe_flag: "2".into(),
            pool_level: "total".into(),
            cor_bgt_doc_no: format!("师财预〔{}〕{}号", world.year, pools.len() + 101),
            bgt_doc_title: format!("{}年总待分指标", world.year),
            ..draft(world, region, "")
        };
        let operation = Operation::Enter {
            indicator: pool,
            amount: Fen(amount),
        };
        let doc_id = world
            .app
            .create_indicator_op(&treasury, &operation, true, &ctx)
            .await
            .map_err(app_error)
            .with_context(|| format!("下达 in region {region}"))?;
        pools.push((region.clone(), doc_id, amount));
    }
    let mut n_approvals = approve_all(world, "indicator_release", progress).await?;
    let (mut n_children, mut split_fen) = (0, 0_i64);
    for (index, (region, doc_id, amount)) in pools.iter().enumerate() {
        let pool_ids =
            fiscus_store::ledger::query::indicators_of_document(&world.app.db, doc_id).await?;
        let pool_id = pool_ids
            .first()
            .context("the pool was not created")?
            .clone();
        let units: Vec<String> = world
            .plans
            .iter()
            .filter(|plan| &plan.mof_div_code == region)
            .take(3)
            .map(|plan| plan.agency_code.clone())
            .collect();
        let share = amount * 8 / 10 / i64::try_from(units.len().max(1)).unwrap_or(1);
        let children: Vec<SplitChild> = units
            .iter()
            .map(|agency_code| SplitChild {
                indicator: draft(world, region, agency_code),
                amount: Fen(share),
            })
            .collect();
        n_children += children.len();
        split_fen += share * i64::try_from(children.len()).unwrap_or(0);
        let treasury = world
            .principal(&world.bureau_user(region, "treasury_division")?)
            .await?;
        world
            .app
            .create_indicator_op(
                &treasury,
                &Operation::Split {
                    from: pool_id,
                    children,
                },
                true,
                &ctx,
            )
            .await
            .map_err(app_error)
            .with_context(|| format!("分解 in region {region}"))?;
        progress.tick("分解", index + 1, pools.len());
    }
    n_approvals += approve_all(world, "indicator_release", progress).await?;
    let mut report = PhaseReport::default();
    report.count("pools", pools.len());
    report.count("split_indicators", n_children);
    report.count("release_approvals", n_approvals);
    report.amount("released_fen", pools.iter().map(|(_, _, fen)| fen).sum());
    report.amount("split_fen", split_fen);
    Ok(report)
}

/// A unit's approved lines in a stable order (their ids are random).
async fn approved_lines(
    world: &World,
    agency_code: &str,
) -> Result<Vec<fiscus_store::budget::LineRow>> {
    let query = LineQuery {
        fiscal_year: i64::from(world.year),
        agency_code: Some(agency_code.to_owned()),
        approved_only: true,
        limit: 1_000,
        ..LineQuery::default()
    };
    let (mut lines, _) = fiscus_store::budget::lines(&world.app.db, Viewer::System, &query).await?;
    lines.sort_by(|a, b| {
        (
            &a.pro_code,
            &a.exp_func_code,
            &a.dep_bgt_eco_code,
            &a.gov_bgt_eco_code,
        )
            .cmp(&(
                &b.pro_code,
                &b.exp_func_code,
                &b.dep_bgt_eco_code,
                &b.gov_bgt_eco_code,
            ))
    });
    Ok(lines)
}

/// Phase 3: about one unit in five files a 追加, 追减 or 调剂 (in turn), approved through
/// the adjustment flow.
pub async fn adjustments(world: &mut World, progress: &mut Progress) -> Result<PhaseReport> {
    let ctx = RequestCtx::default();
    let mut rng = world.rng(STREAM_ADJUST);
    let units: Vec<String> = world
        .plans
        .iter()
        .filter(|_| rng.chance(1, 5))
        .map(|plan| plan.agency_code.clone())
        .collect();
    let mut by_kind = [0_usize; 3];
    let (mut supplement_fen, mut cut_fen, mut moved_fen) = (0_i64, 0_i64, 0_i64);
    for (index, agency_code) in units.iter().enumerate() {
        let lines = approved_lines(world, agency_code).await?;
        if lines.len() < 2 {
            continue;
        }
        let a = &lines[index % lines.len()];
        let b = &lines[(index + 1) % lines.len()];
        // Whole hundreds of 元, a small part of the line.
        let delta = (a.cur_amt / 20 / 10_000).max(1) * 10_000;
        let leg = |line: &fiscus_store::budget::LineRow, fen: i64| AdjustLeg {
            bgt_pman_id: Some(line.bgt_pman_id.clone()),
            new_line: None,
            delta: Fen(fen),
        };
        let (kind, legs) = match index % 3 {
            0 => {
                supplement_fen += delta;
                (AdjustKind::Supplement, vec![leg(a, delta)])
            }
            1 => {
                cut_fen += delta;
                (AdjustKind::Cut, vec![leg(a, -delta)])
            }
            _ => {
                moved_fen += delta;
                (AdjustKind::Reallocate, vec![leg(a, -delta), leg(b, delta)])
            }
        };
        by_kind[index % 3] += 1;
        let adjustment = Adjustment {
            kind,
            fiscal_year: world.year,
            doc_no: String::new(),
            reason: "年中预算调整".into(),
            legs,
        };
        let clerk = world.principal(&clerk_of(agency_code)).await?;
        world
            .app
            .budget_adjust_create(&clerk, &adjustment, true, &ctx)
            .await
            .map_err(app_error)
            .with_context(|| format!("adjustment of {agency_code}"))?;
        progress.tick("调整单", index + 1, units.len());
    }
    let n_approvals = approve_all(world, "adjustment", progress).await?;
    let mut report = PhaseReport::default();
    report.count("supplements", by_kind[0]);
    report.count("cuts", by_kind[1]);
    report.count("reallocations", by_kind[2]);
    report.count("adjustment_approvals", n_approvals);
    report.amount("supplement_fen", supplement_fen);
    report.amount("cut_fen", cut_fen);
    report.amount("reallocated_fen", moved_fen);
    Ok(report)
}
