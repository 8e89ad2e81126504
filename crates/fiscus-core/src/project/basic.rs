//! 基本支出一键测算 (DOMAIN.md §1.3.2): from a unit's in-service persons and the expenditure
//! standards (支出标准) of a year, the unit's two basic-expenditure projects — 人员类 (salaries,
//! allowances and contributions: persons of each 人员身份 × the personnel standards of that
//! identity) and the 公用经费 project of 运转类 (headcount × the per-capita public-use
//! standards of the unit's type). Each estimation line reads "persons × standard = amount".
//! Integer fen only; no IO: `fiscus-app` reads the facts and writes the drafts.

use crate::code::{AgencyCode, FiscalYear};
use crate::money::Fen;
use crate::project::{
    EstimationLine, LINE_TEXT_CHARS_MAX, PlanLine, ProjectCategory, ProjectInput, TargetLevel1,
    TargetLine,
};
use crate::rejection::Rejection;

/// 标准类别 (`std_type`): 人员经费标准.
pub const STD_TYPE_PERSONNEL: &str = "1";
/// 标准类别 (`std_type`): 公用经费标准.
pub const STD_TYPE_PUBLIC_USE: &str = "2";
/// 人员状态 (`per_sta`): 在职. Only in-service persons are counted.
pub const PER_STA_IN_SERVICE: &str = "1";

/// One enabled expenditure standard of the year, set by the unit's region or one above it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StandardFact {
    pub std_code: String,
    pub std_name: String,
    pub std_type_code: String,
    pub dep_bgt_eco_code: String,
    /// 适用单位类型 of a public-use standard; `None` applies to every type.
    pub agency_type: Option<String>,
    /// 适用人员身份 of a personnel standard; `None` applies to every identity.
    pub per_ide_code: Option<String>,
    /// 元/人·年, in fen.
    pub amount_fen: Fen,
    /// The materialized path of the region that set it: a longer path is nearer the unit.
    pub region_path: String,
}

/// The in-service persons of one 人员身份.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Headcount {
    pub per_ide_code: String,
    pub per_ide_name: String,
    pub n_persons: i64,
}

/// What the calculation needs to know, read by the application in one transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BasicFacts {
    pub agency_code: AgencyCode,
    /// 单位类型 of the unit (`agency_type`), if recorded.
    pub agency_type: Option<String>,
    pub fiscal_year: FiscalYear,
    /// In-service persons by 人员身份.
    pub headcounts: Vec<Headcount>,
    /// The enabled standards of `fiscal_year` on the unit's region path.
    pub standards: Vec<StandardFact>,
}

/// The calculated projects; a category without any line (no persons it applies to, or no
/// standard) is `None`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BasicCalculation {
    pub personnel: Option<ProjectInput>,
    pub public_use: Option<ProjectInput>,
    /// In-service persons of the unit, of every identity.
    pub n_in_service: i64,
    /// In-service persons of an identity that no personnel standard applies to.
    pub uncovered: Vec<Headcount>,
}

/// The name of the calculated project of a category and year.
pub fn basic_project_name(category: ProjectCategory, fiscal_year: FiscalYear) -> String {
    let what = match category {
        ProjectCategory::Personnel => "人员经费",
        _ => "公用经费",
    };
    format!("{}年{what}（基本支出）", fiscal_year.0)
}

/// Calculates both projects. A standard re-issued lower down the region tree under the same
/// `std_code` (a division raising the corps's 津贴补贴) replaces the one above it. Refuses
/// with `basic_calculation_empty` when neither project has a line.
pub fn calculate(facts: &BasicFacts) -> Result<BasicCalculation, Rejection> {
    let standards = nearest_standards(&facts.standards);
    let n_in_service: i64 = facts.headcounts.iter().map(|count| count.n_persons).sum();
    let count_of = |per_ide_code: Option<&str>| match per_ide_code {
        None => n_in_service,
        Some(code) => facts
            .headcounts
            .iter()
            .filter(|count| count.per_ide_code == code)
            .map(|count| count.n_persons)
            .sum(),
    };
    let name_of = |per_ide_code: Option<&str>| match per_ide_code {
        None => "全部".to_owned(),
        Some(code) => facts
            .headcounts
            .iter()
            .find(|count| count.per_ide_code == code)
            .map_or_else(|| code.to_owned(), |count| count.per_ide_name.clone()),
    };
    let mut personnel_lines = Vec::new();
    let mut public_lines = Vec::new();
    for standard in &standards {
        if standard.std_type_code == STD_TYPE_PERSONNEL {
            let per_ide = standard.per_ide_code.as_deref();
            let n_persons = count_of(per_ide);
            let who = format!("{}在职", name_of(per_ide));
            personnel_lines.extend(line(standard, n_persons, &who)?);
        } else if standard.std_type_code == STD_TYPE_PUBLIC_USE
            && (standard.agency_type.is_none() || standard.agency_type == facts.agency_type)
        {
            public_lines.extend(line(standard, n_in_service, "在职")?);
        }
    }
    let uncovered = facts
        .headcounts
        .iter()
        .filter(|count| count.n_persons > 0)
        .filter(|count| {
            !standards.iter().any(|standard| {
                standard.std_type_code == STD_TYPE_PERSONNEL
                    && standard
                        .per_ide_code
                        .as_ref()
                        .is_none_or(|code| *code == count.per_ide_code)
            })
        })
        .cloned()
        .collect();
    let personnel = project(
        facts,
        ProjectCategory::Personnel,
        personnel_lines,
        n_in_service,
    )?;
    let public_use = project(
        facts,
        ProjectCategory::Operation,
        public_lines,
        n_in_service,
    )?;
    if personnel.is_none() && public_use.is_none() {
        return Err(Rejection::BasicCalculationEmpty {
            fiscal_year: facts.fiscal_year.0,
        });
    }
    Ok(BasicCalculation {
        personnel,
        public_use,
        n_in_service,
        uncovered,
    })
}

/// Of the standards with one `std_code`, the one set nearest the unit; ordered by type,
/// identity or unit type, economic classification and code, so that lines come out stable.
fn nearest_standards(standards: &[StandardFact]) -> Vec<StandardFact> {
    let mut nearest: Vec<StandardFact> = Vec::new();
    for standard in standards {
        match nearest
            .iter_mut()
            .find(|kept| kept.std_code == standard.std_code)
        {
            Some(kept) if kept.region_path.len() < standard.region_path.len() => {
                *kept = standard.clone();
            }
            Some(_) => {}
            None => nearest.push(standard.clone()),
        }
    }
    nearest.sort_by(|a, b| {
        let key = |s: &StandardFact| {
            (
                s.std_type_code.clone(),
                s.per_ide_code.clone().unwrap_or_default(),
                s.agency_type.clone().unwrap_or_default(),
                s.dep_bgt_eco_code.clone(),
                s.std_code.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
    nearest
}

/// `n_persons` × the standard, or nothing when nobody is counted.
fn line(
    standard: &StandardFact,
    n_persons: i64,
    who: &str,
) -> Result<Option<EstimationLine>, Rejection> {
    if n_persons <= 0 || standard.amount_fen.0 <= 0 {
        return Ok(None);
    }
    let amount_fen =
        standard
            .amount_fen
            .checked_mul(n_persons)
            .ok_or(Rejection::AmountInvalid {
                field: "测算明细"
            })?;
    let basis = format!(
        "{} {}：{} 元/人·年 × {who} {n_persons} 人（经济分类 {}）",
        standard.std_code,
        standard.std_name,
        standard.amount_fen.to_yuan_string(),
        standard.dep_bgt_eco_code
    );
    Ok(Some(EstimationLine {
        item: bounded(&standard.std_name),
        quantity: n_persons,
        unit_price_fen: standard.amount_fen,
        amount_fen,
        basis: bounded(&basis),
    }))
}

fn bounded(text: &str) -> String {
    text.chars().take(LINE_TEXT_CHARS_MAX).collect()
}

/// The project of one category from its lines: one year, the plan equal to the lines' total,
/// and the targets every basic-expenditure project carries.
fn project(
    facts: &BasicFacts,
    category: ProjectCategory,
    estimation: Vec<EstimationLine>,
    n_in_service: i64,
) -> Result<Option<ProjectInput>, Rejection> {
    if estimation.is_empty() {
        return Ok(None);
    }
    let total_fen = Fen::sum(estimation.iter().map(|line| line.amount_fen)).ok_or(
        Rejection::AmountInvalid {
            field: "测算明细"
        },
    )?;
    let target = |level1, level2: &str, level3: &str, value: String, unit: &str| TargetLine {
        level1,
        level2: level2.into(),
        level3: level3.into(),
        target_value: value,
        unit: unit.into(),
    };
    let headcount = target(
        TargetLevel1::Output,
        "数量指标",
        "保障在职人员数",
        n_in_service.to_string(),
        "人",
    );
    let second = match category {
        ProjectCategory::Personnel => target(
            TargetLevel1::Output,
            "质量指标",
            "工资福利按标准足额发放率",
            "100%".into(),
            "",
        ),
        _ => target(
            TargetLevel1::Effect,
            "社会效益指标",
            "保障单位正常运转",
            "正常运转".into(),
            "",
        ),
    };
    let input = ProjectInput {
        pro_name: basic_project_name(category, facts.fiscal_year),
        agency_code: facts.agency_code.clone(),
        pro_cat_code: category,
        start_year: facts.fiscal_year,
        end_year: facts.fiscal_year,
        plan: vec![PlanLine {
            year: facts.fiscal_year.0,
            amount_fen: total_fen,
        }],
        estimation,
        targets: vec![headcount, second],
    };
    input.check().map(Some)
}

#[cfg(test)]
mod tests;
