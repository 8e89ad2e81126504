//! An indicator's standard elements (DOMAIN.md §2.2, `BA_BGT_INFO`): where it belongs, how it
//! is classified, the document behind it, its lineage, flags and control switches. Parsed
//! once from text; code existence in the year's tables is checked by the application.

use serde::{Deserialize, Serialize};

use crate::code::{AgencyCode, FiscalYear, MofDivCode};
use crate::ledger::BgtId;
use crate::rejection::Rejection;

/// `bgt_exe_flag`: 1 可执行, 2 待分.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExeFlag {
    Executable,
    Pool,
}

impl ExeFlag {
    pub fn code(self) -> &'static str {
        match self {
            ExeFlag::Executable => "1",
            ExeFlag::Pool => "2",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ExeFlag::Executable => "可执行",
            ExeFlag::Pool => "待分",
        }
    }

    pub fn from_code(code: &str) -> Option<ExeFlag> {
        match code {
            "1" => Some(ExeFlag::Executable),
            "2" => Some(ExeFlag::Pool),
            _ => None,
        }
    }
}

/// Which pool a 待分 indicator is (DOMAIN.md §4.3 accounts 621 / 624 / 627).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolLevel {
    /// 总待分.
    Total,
    /// 处室待分.
    Division,
    /// 部门待分.
    Department,
}

impl PoolLevel {
    pub fn code(self) -> &'static str {
        match self {
            PoolLevel::Total => "total",
            PoolLevel::Division => "division",
            PoolLevel::Department => "department",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PoolLevel::Total => "总待分",
            PoolLevel::Division => "处室待分",
            PoolLevel::Department => "部门待分",
        }
    }

    pub fn from_code(code: &str) -> Option<PoolLevel> {
        [PoolLevel::Total, PoolLevel::Division, PoolLevel::Department]
            .into_iter()
            .find(|level| level.code() == code)
    }
}

/// `bgt_type_code` of an advance (预拨指标), the indicator a formal one writes off.
pub const BGT_TYPE_ADVANCE: &str = "11";

/// The stored elements of an indicator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndicatorElements {
    pub mof_div_code: MofDivCode,
    pub fiscal_year: FiscalYear,
    /// `None` for a pool held by finance.
    pub agency_code: Option<AgencyCode>,
    /// Classification; an empty code means "not yet assigned" (pools).
    pub pro_code: String,
    pub exp_func_code: String,
    pub gov_bgt_eco_code: String,
    pub dep_bgt_eco_code: String,
    pub fund_type_code: String,
    pub bgt_type_code: String,
    pub pay_type_code: String,
    pub source_type_code: String,
    /// Document.
    pub cor_bgt_doc_no: String,
    pub bgt_doc_title: String,
    /// `YYYY-MM-DD`.
    pub doc_date: String,
    pub bgt_dec: String,
    /// Lineage.
    pub sup_bgt_doc_no: String,
    pub ori_bgt_id: Option<BgtId>,
    pub bgt_exe_flag: ExeFlag,
    pub pool_level: Option<PoolLevel>,
    /// Policy flags: 直达资金, 三保, 三公经费, 政府采购.
    pub is_direct: bool,
    pub is_three_safe: bool,
    pub is_three_public: bool,
    pub is_gov_pur: bool,
    /// Control switches: 按用款计划控制, 不控制支付.
    pub is_contrlbyplan: bool,
    pub is_not_control_pay: bool,
}

/// The classification fields a split may refine, with their labels, in form order.
pub const CLASSIFICATION_FIELDS: [(&str, &str); 5] = [
    ("pro_code", "项目代码"),
    ("exp_func_code", "支出功能分类科目"),
    ("gov_bgt_eco_code", "政府预算支出经济分类"),
    ("dep_bgt_eco_code", "部门预算支出经济分类"),
    ("fund_type_code", "资金性质"),
];

impl IndicatorElements {
    pub fn classification(&self, field: &str) -> &str {
        match field {
            "pro_code" => &self.pro_code,
            "exp_func_code" => &self.exp_func_code,
            "gov_bgt_eco_code" => &self.gov_bgt_eco_code,
            "dep_bgt_eco_code" => &self.dep_bgt_eco_code,
            "fund_type_code" => &self.fund_type_code,
            _ => "",
        }
    }

    pub fn is_advance(&self) -> bool {
        self.bgt_type_code == BGT_TYPE_ADVANCE
    }

    /// Checks the combination rules that need no stored facts.
    pub fn check(&self) -> Result<(), Rejection> {
        match (self.bgt_exe_flag, self.pool_level, &self.agency_code) {
            (ExeFlag::Executable, None, Some(_)) => {}
            (ExeFlag::Executable, _, _) => {
                return Err(Rejection::FieldInvalid {
                    field: "预算单位",
                    expected: "可执行指标必须属于一个预算单位，且不是待分指标",
                });
            }
            (ExeFlag::Pool, None, _) => {
                return Err(Rejection::FieldRequired {
                    field: "待分级次"
                });
            }
            (ExeFlag::Pool, Some(PoolLevel::Department), None) => {
                return Err(Rejection::FieldRequired {
                    field: "预算单位"
                });
            }
            (ExeFlag::Pool, Some(_), _) => {}
        }
        if self.bgt_exe_flag == ExeFlag::Executable && self.fund_type_code.is_empty() {
            return Err(Rejection::FieldRequired {
                field: "资金性质"
            });
        }
        Ok(())
    }
}

/// An indicator as entered on a form or in an API call: text fields, parsed by [`IndicatorDraft::parse`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IndicatorDraft {
    pub mof_div_code: String,
    pub fiscal_year: String,
    pub agency_code: String,
    pub pro_code: String,
    pub exp_func_code: String,
    pub gov_bgt_eco_code: String,
    pub dep_bgt_eco_code: String,
    pub fund_type_code: String,
    pub bgt_type_code: String,
    pub pay_type_code: String,
    pub source_type_code: String,
    pub cor_bgt_doc_no: String,
    pub bgt_doc_title: String,
    pub doc_date: String,
    pub bgt_dec: String,
    pub sup_bgt_doc_no: String,
    /// "1" 可执行 (default) or "2" 待分.
    pub bgt_exe_flag: String,
    /// total | division | department, for 待分 only.
    pub pool_level: String,
    pub is_direct: bool,
    pub is_three_safe: bool,
    pub is_three_public: bool,
    pub is_gov_pur: bool,
    pub is_contrlbyplan: bool,
    pub is_not_control_pay: bool,
}

fn code_text(
    text: &str,
    field: &'static str,
    length_max: usize,
    required: bool,
) -> Result<String, Rejection> {
    let text = text.trim();
    if text.is_empty() {
        return if required {
            Err(Rejection::FieldRequired { field })
        } else {
            Ok(String::new())
        };
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

fn free_text(text: &str, field: &'static str, length_max: usize) -> Result<String, Rejection> {
    let text = text.trim();
    if text.chars().count() > length_max {
        return Err(Rejection::FieldTooLong { field, length_max });
    }
    if text
        .chars()
        .any(|c| c.is_control() || matches!(c, '<' | '>'))
    {
        return Err(Rejection::TextHasSpecialChars { field });
    }
    Ok(text.to_owned())
}

fn date_text(text: &str) -> Result<String, Rejection> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(String::new());
    }
    let bytes = text.as_bytes();
    let shape = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    let month = text.get(5..7).and_then(|m| m.parse::<u8>().ok());
    let day = text.get(8..10).and_then(|d| d.parse::<u8>().ok());
    if !shape
        || !month.is_some_and(|m| (1..=12).contains(&m))
        || !day.is_some_and(|d| (1..=31).contains(&d))
    {
        return Err(Rejection::FieldInvalid {
            field: "发文日期",
            expected: "YYYY-MM-DD",
        });
    }
    Ok(text.to_owned())
}

impl IndicatorDraft {
    /// Parses every field in form order and checks the combination rules. `ori_bgt_id` is
    /// set by the operation that creates the indicator, never by the client.
    pub fn parse(&self) -> Result<IndicatorElements, Rejection> {
        let mof_div_code = MofDivCode::parse(&self.mof_div_code)?;
        let fiscal_year = FiscalYear::parse(&self.fiscal_year)?;
        let agency_code = match self.agency_code.trim() {
            "" => None,
            code => Some(AgencyCode::parse(code)?),
        };
        let bgt_exe_flag = match self.bgt_exe_flag.trim() {
            "" => ExeFlag::Executable,
            code => ExeFlag::from_code(code).ok_or(Rejection::FieldInvalid {
                field: "指标可执行标志",
                expected: "1 可执行 或 2 待分",
            })?,
        };
        let pool_level = match self.pool_level.trim() {
            "" => None,
            code => Some(PoolLevel::from_code(code).ok_or(Rejection::FieldInvalid {
                field: "待分级次",
                expected: "total 总待分、division 处室待分 或 department 部门待分",
            })?),
        };
        let elements = IndicatorElements {
            mof_div_code,
            fiscal_year,
            agency_code,
            pro_code: code_text(&self.pro_code, "项目代码", 21, false)?,
            exp_func_code: code_text(&self.exp_func_code, "支出功能分类科目", 13, false)?,
            gov_bgt_eco_code: code_text(&self.gov_bgt_eco_code, "政府预算支出经济分类", 11, false)?,
            dep_bgt_eco_code: code_text(&self.dep_bgt_eco_code, "部门预算支出经济分类", 20, false)?,
            fund_type_code: code_text(&self.fund_type_code, "资金性质", 10, false)?,
            bgt_type_code: code_text(&self.bgt_type_code, "指标类型", 10, true)?,
            pay_type_code: code_text(&self.pay_type_code, "支付方式", 10, false)?,
            source_type_code: code_text(&self.source_type_code, "指标来源", 10, false)?,
            cor_bgt_doc_no: free_text(&self.cor_bgt_doc_no, "本级指标文号", 100)?,
            bgt_doc_title: free_text(&self.bgt_doc_title, "指标文标题", 200)?,
            doc_date: date_text(&self.doc_date)?,
            bgt_dec: free_text(&self.bgt_dec, "指标说明", 500)?,
            sup_bgt_doc_no: free_text(&self.sup_bgt_doc_no, "上级指标文号", 100)?,
            ori_bgt_id: None,
            bgt_exe_flag,
            pool_level,
            is_direct: self.is_direct,
            is_three_safe: self.is_three_safe,
            is_three_public: self.is_three_public,
            is_gov_pur: self.is_gov_pur,
            is_contrlbyplan: self.is_contrlbyplan,
            is_not_control_pay: self.is_not_control_pay,
        };
        if elements.bgt_doc_title.is_empty() {
            return Err(Rejection::FieldRequired {
                field: "指标文标题",
            });
        }
        elements.check()?;
        Ok(elements)
    }

    /// The draft of stored elements (to prefill a form or derive a child).
    pub fn of(elements: &IndicatorElements) -> IndicatorDraft {
        IndicatorDraft {
            mof_div_code: elements.mof_div_code.as_str().to_owned(),
            fiscal_year: elements.fiscal_year.0.to_string(),
            agency_code: elements
                .agency_code
                .as_ref()
                .map(|code| code.as_str().to_owned())
                .unwrap_or_default(),
            pro_code: elements.pro_code.clone(),
            exp_func_code: elements.exp_func_code.clone(),
            gov_bgt_eco_code: elements.gov_bgt_eco_code.clone(),
            dep_bgt_eco_code: elements.dep_bgt_eco_code.clone(),
            fund_type_code: elements.fund_type_code.clone(),
            bgt_type_code: elements.bgt_type_code.clone(),
            pay_type_code: elements.pay_type_code.clone(),
            source_type_code: elements.source_type_code.clone(),
            cor_bgt_doc_no: elements.cor_bgt_doc_no.clone(),
            bgt_doc_title: elements.bgt_doc_title.clone(),
            doc_date: elements.doc_date.clone(),
            bgt_dec: elements.bgt_dec.clone(),
            sup_bgt_doc_no: elements.sup_bgt_doc_no.clone(),
            bgt_exe_flag: elements.bgt_exe_flag.code().to_owned(),
            pool_level: elements
                .pool_level
                .map(|level| level.code().to_owned())
                .unwrap_or_default(),
            is_direct: elements.is_direct,
            is_three_safe: elements.is_three_safe,
            is_three_public: elements.is_three_public,
            is_gov_pur: elements.is_gov_pur,
            is_contrlbyplan: elements.is_contrlbyplan,
            is_not_control_pay: elements.is_not_control_pay,
        }
    }
}
