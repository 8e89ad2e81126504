//! Control levels (控制级次) per control point and indicator type (DOMAIN.md §4.3: 0 不控制,
//! 1 警告控制, 2 严格控制), and the element-consistency rule of a reservation.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ledger::indicator::IndicatorElements;
use crate::rejection::Rejection;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CtrlLevel {
    /// 严格控制: refuse what would take the balance below zero.
    Strict,
    /// 警告控制: allow it and record a warning on the transfer.
    Warn,
    /// 不控制.
    None,
}

impl CtrlLevel {
    pub fn code(self) -> &'static str {
        match self {
            CtrlLevel::Strict => "strict",
            CtrlLevel::Warn => "warn",
            CtrlLevel::None => "none",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CtrlLevel::Strict => "严格控制",
            CtrlLevel::Warn => "警告控制",
            CtrlLevel::None => "不控制",
        }
    }

    pub fn from_code(code: &str) -> Option<CtrlLevel> {
        [CtrlLevel::Strict, CtrlLevel::Warn, CtrlLevel::None]
            .into_iter()
            .find(|level| level.code() == code)
    }
}

/// Where a balance or an element is checked. 追减 / 收回, 调剂, 解冻 and year-end are not
/// here: they may never take an indicator below what is reserved or spent, so they are
/// always strict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlPoint {
    /// 分解 / 分配 / 追加 from a pool or an indicator.
    Allocate,
    Freeze,
    /// A payment's reservation against the indicator's available balance.
    Reserve,
    WriteOff,
    /// Payment elements against the indicator's elements.
    ElementMatch,
}

impl ControlPoint {
    pub const ALL: [ControlPoint; 5] = [
        ControlPoint::Allocate,
        ControlPoint::Freeze,
        ControlPoint::Reserve,
        ControlPoint::WriteOff,
        ControlPoint::ElementMatch,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ControlPoint::Allocate => "allocate",
            ControlPoint::Freeze => "freeze",
            ControlPoint::Reserve => "reserve",
            ControlPoint::WriteOff => "write_off",
            ControlPoint::ElementMatch => "element_match",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ControlPoint::Allocate => "分解与追加",
            ControlPoint::Freeze => "冻结",
            ControlPoint::Reserve => "支付占用",
            ControlPoint::WriteOff => "核销",
            ControlPoint::ElementMatch => "支付要素一致",
        }
    }

    pub fn from_code(code: &str) -> Option<ControlPoint> {
        ControlPoint::ALL
            .into_iter()
            .find(|point| point.code() == code)
    }
}

/// How far a payment's economic class may refine its indicator's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EcoRefinement {
    /// The codes must be equal.
    Exact,
    /// The payment may use a lower-level code under the indicator's (30201 under 302).
    #[default]
    Prefix,
}

/// Levels by (indicator type, point). A missing pair falls back to the `*` type, then to
/// strict — the safe default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlTable {
    pub levels: BTreeMap<(String, ControlPoint), CtrlLevel>,
    pub eco_refinement: EcoRefinement,
}

/// The wildcard indicator type of the control table.
pub const ANY_TYPE: &str = "*";

impl ControlTable {
    pub fn level(&self, bgt_type_code: &str, point: ControlPoint) -> CtrlLevel {
        self.levels
            .get(&(bgt_type_code.to_owned(), point))
            .or_else(|| self.levels.get(&(ANY_TYPE.to_owned(), point)))
            .copied()
            .unwrap_or(CtrlLevel::Strict)
    }

    /// The level for an indicator: its `is_not_control_pay` switch turns payment control off.
    pub fn level_for(&self, indicator: &IndicatorElements, point: ControlPoint) -> CtrlLevel {
        if indicator.is_not_control_pay
            && matches!(point, ControlPoint::Reserve | ControlPoint::ElementMatch)
        {
            return CtrlLevel::None;
        }
        self.level(&indicator.bgt_type_code, point)
    }
}

/// The elements a payment carries, to be matched with its indicator.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentElements {
    pub agency_code: String,
    pub pro_code: String,
    pub exp_func_code: String,
    pub gov_bgt_eco_code: String,
    pub dep_bgt_eco_code: String,
    pub fund_type_code: String,
}

/// The first element of the payment that does not fit its indicator, if any. Unit, project,
/// function class and fund nature must be equal; the economic classes may refine the
/// indicator's under `EcoRefinement::Prefix`. An empty indicator element accepts anything.
pub fn element_mismatch(
    indicator: &IndicatorElements,
    payment: &PaymentElements,
    eco: EcoRefinement,
) -> Option<Rejection> {
    let equal = |field: &'static str, want: &str, got: &str| {
        (!want.is_empty() && want != got).then_some(Rejection::ElementMismatch { field })
    };
    let refines = |field: &'static str, want: &str, got: &str| {
        let fits = want.is_empty()
            || match eco {
                EcoRefinement::Exact => want == got,
                EcoRefinement::Prefix => got.starts_with(want),
            };
        (!fits).then_some(Rejection::ElementMismatch { field })
    };
    let agency = indicator
        .agency_code
        .as_ref()
        .map(|code| code.as_str())
        .unwrap_or_default();
    equal("预算单位", agency, &payment.agency_code)
        .or_else(|| equal("项目", &indicator.pro_code, &payment.pro_code))
        .or_else(|| {
            equal(
                "支出功能分类科目",
                &indicator.exp_func_code,
                &payment.exp_func_code,
            )
        })
        .or_else(|| {
            refines(
                "政府预算支出经济分类",
                &indicator.gov_bgt_eco_code,
                &payment.gov_bgt_eco_code,
            )
        })
        .or_else(|| {
            refines(
                "部门预算支出经济分类",
                &indicator.dep_bgt_eco_code,
                &payment.dep_bgt_eco_code,
            )
        })
        .or_else(|| {
            equal(
                "资金性质",
                &indicator.fund_type_code,
                &payment.fund_type_code,
            )
        })
}
