//! The project library (项目库, DOMAIN.md §1.3.2, §2.3, §6.2): a project's category, period,
//! multi-year spending plan, estimation detail (测算明细) and performance targets (绩效目标),
//! the rules a declaration must meet, its states and the `pro_code` format. No IO.

use serde::{Deserialize, Serialize};

use crate::code::{AgencyCode, FiscalYear, MofDivCode};
use crate::money::Fen;
use crate::payment::application::check_text;
use crate::rejection::Rejection;

pub mod attachment;
pub mod basic;
#[cfg(test)]
mod tests;

/// A project's name holds at most this many characters.
pub const PRO_NAME_CHARS_MAX: usize = 100;
/// A free text of a detail line (item, basis, indicator name) holds at most this many.
pub const LINE_TEXT_CHARS_MAX: usize = 200;
/// A project runs for at most this many years (start..=end).
pub const PRO_TERM_YEARS_MAX: i32 = 10;
/// Each table of a project (plan, estimation, targets) holds at most this many lines.
pub const PROJECT_LINES_MAX: usize = 500;

/// 支出项目类别 `pro_cat_code`. Codes 1/2/3 and the letters of `pro_code` are [I].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProjectCategory {
    /// 人员类 (code `1`, letter `R`).
    Personnel,
    /// 运转类 (code `2`, letter `Y`).
    Operation,
    /// 特定目标类 (code `3`, letter `P`).
    SpecificTarget,
}

impl ProjectCategory {
    pub const ALL: [ProjectCategory; 3] = [
        ProjectCategory::Personnel,
        ProjectCategory::Operation,
        ProjectCategory::SpecificTarget,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ProjectCategory::Personnel => "1",
            ProjectCategory::Operation => "2",
            ProjectCategory::SpecificTarget => "3",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ProjectCategory::Personnel => "人员类",
            ProjectCategory::Operation => "运转类",
            ProjectCategory::SpecificTarget => "特定目标类",
        }
    }

    /// The letter in `pro_code` after the year.
    pub fn letter(self) -> char {
        match self {
            ProjectCategory::Personnel => 'R',
            ProjectCategory::Operation => 'Y',
            ProjectCategory::SpecificTarget => 'P',
        }
    }

    pub fn parse(code: &str) -> Result<ProjectCategory, Rejection> {
        ProjectCategory::ALL
            .into_iter()
            .find(|category| category.code() == code.trim())
            .ok_or(Rejection::FieldInvalid {
                field: "项目类别",
                expected: "1（人员类）、2（运转类）或 3（特定目标类）",
            })
    }
}

/// 项目编码 [I]: `{mof_div_code:9}{yy:2}{letter}{seq:09}` — 21 characters, like
/// `42000024219P007000051` in DOMAIN.md (region + year + category letter + serial). The
/// serial counts per region, setup year and category.
pub fn pro_code(
    mof_div_code: &MofDivCode,
    setup_year: FiscalYear,
    category: ProjectCategory,
    seq: i64,
) -> String {
    format!(
        "{}{:02}{}{:09}",
        mof_div_code.as_str(),
        setup_year.0.rem_euclid(100),
        category.letter(),
        seq
    )
}

/// The life of a project in the library.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProjectState {
    /// 草稿: the unit writes it; a rejected declaration comes back here.
    Draft,
    /// 申报中: in the `project_declaration` flow.
    Declared,
    /// 入库: approved into the reserve pool (储备库); budgets may draw on it.
    Reserved,
    /// 终止: taken out of the library by the budget division, with a reason.
    Terminated,
}

impl ProjectState {
    pub const ALL: [ProjectState; 4] = [
        ProjectState::Draft,
        ProjectState::Declared,
        ProjectState::Reserved,
        ProjectState::Terminated,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ProjectState::Draft => "draft",
            ProjectState::Declared => "declared",
            ProjectState::Reserved => "reserved",
            ProjectState::Terminated => "terminated",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ProjectState::Draft => "草稿",
            ProjectState::Declared => "申报中",
            ProjectState::Reserved => "已入库",
            ProjectState::Terminated => "已终止",
        }
    }

    pub fn parse(code: &str) -> Option<ProjectState> {
        ProjectState::ALL
            .into_iter()
            .find(|state| state.code() == code)
    }

    /// The unit may change and declare a project only while it is a draft.
    pub fn is_editable(self) -> bool {
        self == ProjectState::Draft
    }

    /// Any project not yet terminated may be terminated (a declared one only after its flow
    /// ended: the app checks that the state is not `Declared`).
    pub fn may_terminate(self) -> bool {
        matches!(self, ProjectState::Draft | ProjectState::Reserved)
    }
}

/// 一级指标 of a performance target (§6.2): 产出 / 效益 / 满意度 (codes [I]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetLevel1 {
    /// 产出指标 (数量、质量、时效、成本).
    Output,
    /// 效益指标 (经济、社会、生态、可持续影响).
    Effect,
    /// 满意度指标.
    Satisfaction,
}

impl TargetLevel1 {
    pub fn label(self) -> &'static str {
        match self {
            TargetLevel1::Output => "产出指标",
            TargetLevel1::Effect => "效益指标",
            TargetLevel1::Satisfaction => "满意度指标",
        }
    }
}

/// One year of the multi-year spending plan (分年支出计划).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanLine {
    pub year: i32,
    pub amount_fen: Fen,
}

/// One line of the estimation detail (测算明细): quantity × unit price = amount.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EstimationLine {
    pub item: String,
    pub quantity: i64,
    pub unit_price_fen: Fen,
    pub amount_fen: Fen,
    /// 测算依据.
    pub basis: String,
}

/// One three-level indicator of the performance-target table (绩效目标表).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetLine {
    pub level1: TargetLevel1,
    /// 二级指标, e.g. 数量指标.
    pub level2: String,
    /// 三级指标, e.g. 培训人次.
    pub level3: String,
    /// 指标值, e.g. `≥500`.
    pub target_value: String,
    /// 计量单位, e.g. 人次 (may be empty for a qualitative target).
    pub unit: String,
}

/// A project as the unit writes it, after parsing: every field valid on its own. Rules across
/// fields are in [`ProjectInput::check`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectInput {
    pub pro_name: String,
    pub agency_code: AgencyCode,
    pub pro_cat_code: ProjectCategory,
    pub start_year: FiscalYear,
    pub end_year: FiscalYear,
    pub plan: Vec<PlanLine>,
    pub estimation: Vec<EstimationLine>,
    pub targets: Vec<TargetLine>,
}

impl ProjectInput {
    /// The rules of a declarable project, in this order: name; period; table sizes; each
    /// plan year inside start..=end, once, positive; each estimation line's texts and
    /// quantity × price = amount; each target's texts; plan total = estimation total;
    /// a 特定目标类 project has at least one output and one effect target.
    pub fn check(&self) -> Result<ProjectInput, Rejection> {
        let mut project = self.clone();
        project.pro_name = check_text("项目名称", &self.pro_name, PRO_NAME_CHARS_MAX)?;
        let (start, end) = (self.start_year.0, self.end_year.0);
        if end < start || end - start >= PRO_TERM_YEARS_MAX {
            return Err(Rejection::FieldInvalid {
                field: "项目期限",
                expected: "结束年度不早于开始年度，期限不超过10年",
            });
        }
        for (field, n_lines) in [
            ("分年支出计划", self.plan.len()),
            ("测算明细", self.estimation.len()),
            ("绩效目标", self.targets.len()),
        ] {
            if n_lines == 0 {
                return Err(Rejection::FieldRequired { field });
            }
            if n_lines > PROJECT_LINES_MAX {
                return Err(Rejection::FieldTooLong {
                    field,
                    length_max: PROJECT_LINES_MAX,
                });
            }
        }
        let mut years = Vec::new();
        for line in &self.plan {
            if line.year < start || line.year > end || years.contains(&line.year) {
                return Err(Rejection::FieldInvalid {
                    field: "分年支出计划",
                    expected: "年度在项目期限之内且各不相同",
                });
            }
            if line.amount_fen.0 <= 0 {
                return Err(Rejection::AmountInvalid {
                    field: "分年支出计划金额",
                });
            }
            years.push(line.year);
        }
        for line in &mut project.estimation {
            line.item = check_text("测算项目", &line.item, LINE_TEXT_CHARS_MAX)?;
            line.basis = check_text("测算依据", &line.basis, LINE_TEXT_CHARS_MAX)?;
            if line.quantity <= 0 || line.unit_price_fen.0 <= 0 {
                return Err(Rejection::AmountInvalid {
                    field: "测算明细"
                });
            }
            if line.unit_price_fen.checked_mul(line.quantity) != Some(line.amount_fen) {
                return Err(Rejection::FieldInvalid {
                    field: "测算明细金额",
                    expected: "数量×单价",
                });
            }
        }
        for line in &mut project.targets {
            line.level2 = check_text("二级指标", &line.level2, LINE_TEXT_CHARS_MAX)?;
            line.level3 = check_text("三级指标", &line.level3, LINE_TEXT_CHARS_MAX)?;
            line.target_value = check_text("指标值", &line.target_value, LINE_TEXT_CHARS_MAX)?;
            line.unit = line.unit.trim().to_owned();
            if !line.unit.is_empty() {
                line.unit = check_text("计量单位", &line.unit, 20)?;
            }
        }
        let plan_total = Fen::sum(self.plan.iter().map(|line| line.amount_fen));
        let estimation_total = Fen::sum(self.estimation.iter().map(|line| line.amount_fen));
        if plan_total.is_none() || plan_total != estimation_total {
            return Err(Rejection::FieldInvalid {
                field: "分年支出计划",
                expected: "合计等于测算明细合计",
            });
        }
        if self.pro_cat_code == ProjectCategory::SpecificTarget {
            let has = |level| self.targets.iter().any(|line| line.level1 == level);
            if !has(TargetLevel1::Output) || !has(TargetLevel1::Effect) {
                return Err(Rejection::FieldInvalid {
                    field: "绩效目标",
                    expected: "特定目标类项目至少一项产出指标和一项效益指标",
                });
            }
        }
        Ok(project)
    }

    /// 项目总额: the plan's total (equal to the estimation's after `check`).
    pub fn total_fen(&self) -> Fen {
        Fen::sum(self.plan.iter().map(|line| line.amount_fen)).unwrap_or(Fen::ZERO)
    }
}
