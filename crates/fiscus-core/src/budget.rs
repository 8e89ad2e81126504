//! Budget compilation (预算编制, DOMAIN.md §1.3.3, Appendix A.18): the stages of a unit's
//! budget in the 二上二下 cycle, the tables a unit compiles (expenditure lines by project ×
//! function class × economic classes × fund nature, income budget with the non-tax
//! collection plan, procurement budget, asset purchase plan), their field rules, the
//! cross-checks (勾稽) a submission must pass and the version diff of two compilations.
//! Adjustments after approval are in [`adjust`]. No IO.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::money::Fen;
use crate::payment::application::check_text;
use crate::project::ProjectCategory;
use crate::rejection::Rejection;

pub mod adjust;
pub mod checks;
pub mod diff;

#[cfg(test)]
mod tests;

/// A unit's tables hold at most this many lines each.
pub const TABLE_LINES_MAX: usize = 20_000;
/// A remark or item name holds at most this many characters.
pub const BUDGET_TEXT_CHARS_MAX: usize = 200;
/// The largest single amount on a budget line: 10 billion 元 [I, a plausibility bound].
pub const LINE_AMOUNT_MAX: Fen = Fen(1_000_000_000_000);

/// Where a unit's budget is in the cycle. 一下 (control numbers) and 二下 (approval) are the
/// finance side's moves between these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 一上: the unit states its needs (申报数) before control numbers exist.
    OneUp,
    /// 二上: the unit compiles within its control number (after 一下).
    TwoUp,
    /// 二下 done: approved (批复) into indicators; changes go through adjustments only.
    Approved,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::OneUp, Stage::TwoUp, Stage::Approved];

    pub fn code(self) -> &'static str {
        match self {
            Stage::OneUp => "one_up",
            Stage::TwoUp => "two_up",
            Stage::Approved => "approved",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Stage::OneUp => "一上",
            Stage::TwoUp => "二上",
            Stage::Approved => "已批复",
        }
    }

    pub fn parse(code: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|stage| stage.code() == code)
    }
}

/// The status of a unit's budget inside its stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SheetStatus {
    /// 编制中: the unit edits its tables.
    Draft,
    /// 审核中: in the `budget_submission` flow.
    Submitted,
    /// 审核通过: the flow approved this stage's submission.
    Reviewed,
}

impl SheetStatus {
    pub fn code(self) -> &'static str {
        match self {
            SheetStatus::Draft => "draft",
            SheetStatus::Submitted => "submitted",
            SheetStatus::Reviewed => "reviewed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SheetStatus::Draft => "编制中",
            SheetStatus::Submitted => "审核中",
            SheetStatus::Reviewed => "审核通过",
        }
    }

    pub fn parse(code: &str) -> Option<SheetStatus> {
        [
            SheetStatus::Draft,
            SheetStatus::Submitted,
            SheetStatus::Reviewed,
        ]
        .into_iter()
        .find(|status| status.code() == code)
    }
}

/// The label of a stage and status together, as lists show it.
pub fn sheet_label(stage: Stage, status: SheetStatus) -> String {
    match stage {
        Stage::Approved => "已批复".to_owned(),
        _ => format!("{}·{}", stage.label(), status.label()),
    }
}

/// Which move on a sheet is asked for, to say whether its stage and status allow it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SheetMove {
    Edit,
    Submit,
    /// 一下 reached the unit: a reviewed 一上 (or an untouched 一上 draft) opens 二上.
    OpenTwoUp,
    Approve,
    PreRelease,
}

impl SheetMove {
    fn label(self) -> &'static str {
        match self {
            SheetMove::Edit => "修改",
            SheetMove::Submit => "报送",
            SheetMove::OpenTwoUp => "进入二上",
            SheetMove::Approve => "批复",
            SheetMove::PreRelease => "预下达",
        }
    }

    /// Refuses a move the stage and status do not allow.
    pub fn check(self, stage: Stage, status: SheetStatus) -> Result<(), Rejection> {
        let allowed = match self {
            SheetMove::Edit | SheetMove::Submit => {
                stage != Stage::Approved && status == SheetStatus::Draft
            }
            SheetMove::OpenTwoUp => stage == Stage::OneUp && status != SheetStatus::Submitted,
            SheetMove::Approve => stage == Stage::TwoUp && status == SheetStatus::Reviewed,
            SheetMove::PreRelease => stage == Stage::TwoUp,
        };
        if allowed {
            Ok(())
        } else {
            Err(Rejection::BudgetStageForbids {
                action: self.label(),
                state: sheet_label(stage, status),
            })
        }
    }
}

/// 收入预算 kinds (部门收入总表 columns [K]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncomeKind {
    /// 财政拨款收入.
    Appropriation,
    /// 纳入专户管理的非税收入 (its collection plan is the non-tax table).
    NonTax,
    /// 事业收入.
    Business,
    /// 经营收入.
    Operating,
    /// 其他收入.
    Other,
    /// 上年结转.
    CarryOver,
}

impl IncomeKind {
    pub const ALL: [IncomeKind; 6] = [
        IncomeKind::Appropriation,
        IncomeKind::NonTax,
        IncomeKind::Business,
        IncomeKind::Operating,
        IncomeKind::Other,
        IncomeKind::CarryOver,
    ];

    pub fn code(self) -> &'static str {
        match self {
            IncomeKind::Appropriation => "appropriation",
            IncomeKind::NonTax => "non_tax",
            IncomeKind::Business => "business",
            IncomeKind::Operating => "operating",
            IncomeKind::Other => "other",
            IncomeKind::CarryOver => "carry_over",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            IncomeKind::Appropriation => "财政拨款收入",
            IncomeKind::NonTax => "非税收入",
            IncomeKind::Business => "事业收入",
            IncomeKind::Operating => "经营收入",
            IncomeKind::Other => "其他收入",
            IncomeKind::CarryOver => "上年结转",
        }
    }

    /// By code or by label, as forms and workbooks write it.
    pub fn parse(text: &str) -> Result<IncomeKind, Rejection> {
        let text = text.trim();
        IncomeKind::ALL
            .into_iter()
            .find(|kind| kind.code() == text || kind.label() == text)
            .ok_or(Rejection::FieldInvalid {
                field: "收入类型",
                expected: "财政拨款收入、非税收入、事业收入、经营收入、其他收入或上年结转",
            })
    }
}

/// The classification key of an expenditure line: one line per key in a unit's budget.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LineKey {
    pub pro_code: String,
    pub exp_func_code: String,
    pub gov_bgt_eco_code: String,
    pub dep_bgt_eco_code: String,
    pub fund_type_code: String,
}

impl LineKey {
    /// `项目/功能/政府经济/部门经济/资金性质`, as version history and messages show it.
    pub fn text(&self) -> String {
        format!(
            "{}/{}/{}/{}/{}",
            self.pro_code,
            self.exp_func_code,
            self.gov_bgt_eco_code,
            self.dep_bgt_eco_code,
            self.fund_type_code
        )
    }
}

/// One expenditure line (项目支出预算 row).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpenseLine {
    pub key: LineKey,
    pub amount: Fen,
    pub is_gov_pur: bool,
    pub remark: String,
}

/// One income line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomeLine {
    pub kind: IncomeKind,
    pub fund_type_code: String,
    pub amount: Fen,
    pub remark: String,
}

/// One line of the non-tax collection plan (非税征收计划).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NonTaxLine {
    pub item_code: String,
    pub item_name: String,
    pub amount: Fen,
}

/// One line of the procurement budget (政府采购预算).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcurementLine {
    pub pro_code: String,
    /// 政府采购品目 code, e.g. `A02010104`.
    pub item_code: String,
    pub item_name: String,
    pub quantity: i64,
    pub amount: Fen,
}

/// One line of the asset purchase plan (资产购置计划).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetLine {
    pub pro_code: String,
    /// 资产分类 code.
    pub asset_class: String,
    pub asset_name: String,
    pub quantity: i64,
    pub unit_price: Fen,
    pub amount: Fen,
}

/// Everything a unit compiles for one year.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetTables {
    pub expenses: Vec<ExpenseLine>,
    pub incomes: Vec<IncomeLine>,
    pub non_tax: Vec<NonTaxLine>,
    pub procurement: Vec<ProcurementLine>,
    pub assets: Vec<AssetLine>,
}

fn code_field(text: &str, field: &'static str, length_max: usize) -> Result<String, Rejection> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Rejection::FieldRequired { field });
    }
    if text.len() > length_max {
        return Err(Rejection::FieldTooLong { field, length_max });
    }
    if !text.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Rejection::FieldInvalid {
            field,
            expected: "字母或数字组成的代码",
        });
    }
    Ok(text.to_owned())
}

fn optional_text(text: &str, field: &'static str) -> Result<String, Rejection> {
    if text.trim().is_empty() {
        Ok(String::new())
    } else {
        check_text(field, text, BUDGET_TEXT_CHARS_MAX)
    }
}

fn amount_field(amount: Fen, field: &'static str) -> Result<Fen, Rejection> {
    if amount.0 < 0 {
        return Err(Rejection::AmountNegative { field });
    }
    if amount > LINE_AMOUNT_MAX {
        return Err(Rejection::AmountTooLarge {
            field,
            yuan_max: "100亿",
        });
    }
    Ok(amount)
}

impl LineKey {
    /// Trims and checks the shape of each code (existence in the year's tables is the
    /// application's check).
    pub fn checked(&self) -> Result<LineKey, Rejection> {
        Ok(LineKey {
            pro_code: code_field(&self.pro_code, "项目代码", 21)?,
            exp_func_code: code_field(&self.exp_func_code, "支出功能分类科目", 13)?,
            gov_bgt_eco_code: code_field(&self.gov_bgt_eco_code, "政府预算支出经济分类", 11)?,
            dep_bgt_eco_code: code_field(&self.dep_bgt_eco_code, "部门预算支出经济分类", 20)?,
            fund_type_code: code_field(&self.fund_type_code, "资金性质", 4)?,
        })
    }
}

impl BudgetTables {
    /// Field rules of every line, and one line per classification key. Returns the tables
    /// trimmed. Cross-table rules are [`checks::cross_check`]'s.
    pub fn checked(&self) -> Result<BudgetTables, Rejection> {
        for (field, n_lines) in [
            ("支出预算", self.expenses.len()),
            ("收入预算", self.incomes.len()),
            ("非税征收计划", self.non_tax.len()),
            ("政府采购预算", self.procurement.len()),
            ("资产购置计划", self.assets.len()),
        ] {
            if n_lines > TABLE_LINES_MAX {
                return Err(Rejection::FieldTooLong {
                    field,
                    length_max: TABLE_LINES_MAX,
                });
            }
        }
        let mut tables = BudgetTables::default();
        let mut keys = BTreeMap::new();
        for line in &self.expenses {
            let key = line.key.checked()?;
            if keys.insert(key.clone(), ()).is_some() {
                return Err(Rejection::DuplicateCode {
                    what: "预算明细（项目、功能分类、经济分类、资金性质相同）",
                    value: key.text(),
                });
            }
            tables.expenses.push(ExpenseLine {
                key,
                amount: amount_field(line.amount, "预算金额")?,
                is_gov_pur: line.is_gov_pur,
                remark: optional_text(&line.remark, "备注")?,
            });
        }
        for line in &self.incomes {
            tables.incomes.push(IncomeLine {
                kind: line.kind,
                fund_type_code: code_field(&line.fund_type_code, "资金性质", 4)?,
                amount: amount_field(line.amount, "收入金额")?,
                remark: optional_text(&line.remark, "备注")?,
            });
        }
        for line in &self.non_tax {
            tables.non_tax.push(NonTaxLine {
                item_code: code_field(&line.item_code, "非税收入项目代码", 20)?,
                item_name: check_text("非税收入项目名称", &line.item_name, BUDGET_TEXT_CHARS_MAX)?,
                amount: amount_field(line.amount, "征收计划金额")?,
            });
        }
        for line in &self.procurement {
            if line.quantity <= 0 {
                return Err(Rejection::AmountNotPositive {
                    field: "采购数量"
                });
            }
            tables.procurement.push(ProcurementLine {
                pro_code: code_field(&line.pro_code, "项目代码", 21)?,
                item_code: code_field(&line.item_code, "政府采购品目", 20)?,
                item_name: check_text("采购品目名称", &line.item_name, BUDGET_TEXT_CHARS_MAX)?,
                quantity: line.quantity,
                amount: amount_field(line.amount, "采购金额")?,
            });
        }
        for line in &self.assets {
            if line.quantity <= 0 {
                return Err(Rejection::AmountNotPositive {
                    field: "购置数量"
                });
            }
            let unit_price = amount_field(line.unit_price, "单价")?;
            if unit_price.checked_mul(line.quantity) != Some(line.amount) {
                return Err(Rejection::FieldInvalid {
                    field: "购置金额",
                    expected: "数量×单价",
                });
            }
            tables.assets.push(AssetLine {
                pro_code: code_field(&line.pro_code, "项目代码", 21)?,
                asset_class: code_field(&line.asset_class, "资产分类", 20)?,
                asset_name: check_text("资产名称", &line.asset_name, BUDGET_TEXT_CHARS_MAX)?,
                quantity: line.quantity,
                unit_price,
                amount: amount_field(line.amount, "购置金额")?,
            });
        }
        Ok(tables)
    }

    /// 支出合计.
    pub fn expense_total(&self) -> Fen {
        Fen::sum(self.expenses.iter().map(|line| line.amount)).unwrap_or(Fen::ZERO)
    }

    /// 收入合计.
    pub fn income_total(&self) -> Fen {
        Fen::sum(self.incomes.iter().map(|line| line.amount)).unwrap_or(Fen::ZERO)
    }

    /// Each project's total over the expenditure lines.
    pub fn totals_by_project(&self) -> BTreeMap<&str, Fen> {
        let mut totals: BTreeMap<&str, Fen> = BTreeMap::new();
        for line in &self.expenses {
            let total = totals.entry(line.key.pro_code.as_str()).or_default();
            *total = Fen(total.0.saturating_add(line.amount.0));
        }
        totals
    }
}

/// The economic classes (部门预算支出经济分类 类 codes, first three digits) a project of a
/// category may use [I: the usual rule of 基本支出 vs 项目支出; DOMAIN.md §3.3 gives the
/// classes, not this table — change it here].
pub fn eco_classes_allowed(category: ProjectCategory) -> &'static [&'static str] {
    match category {
        // 工资福利支出, 对个人和家庭的补助.
        ProjectCategory::Personnel => &["301", "303"],
        // 商品和服务支出, 资本性支出 (办公设备购置).
        ProjectCategory::Operation => &["302", "310"],
        // Everything but 工资福利支出.
        ProjectCategory::SpecificTarget => &[
            "302", "303", "307", "309", "310", "311", "312", "313", "399",
        ],
    }
}

/// 资本性支出 classes an asset purchase must be budgeted under [I].
pub const ASSET_ECO_CLASSES: [&str; 2] = ["310", "309"];
