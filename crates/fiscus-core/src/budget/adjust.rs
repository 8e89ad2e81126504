//! Budget adjustments after approval (预算调整调剂, DOMAIN.md §1.3.4): 追加, 追减, 调剂
//! between projects, classes and units, and the formal 预算调整. One document carries legs;
//! each leg changes one approved budget line (or adds a new one) by a signed amount. On final
//! approval the application changes the lines and their indicators in one transaction.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::LineKey;
use crate::money::Fen;
use crate::payment::application::check_text;
use crate::rejection::Rejection;

/// An adjustment holds at most this many legs.
pub const ADJUST_LEGS_MAX: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjustKind {
    /// 追加: lines grow; the money is new.
    Supplement,
    /// 追减 / 收回: lines shrink; the money leaves the budget.
    Cut,
    /// 调剂: money moves between lines; the total stays.
    Reallocate,
    /// 预算调整: the formal adjustment approved by the people's congress; any sign, with the
    /// approval document number.
    Formal,
}

impl AdjustKind {
    pub const ALL: [AdjustKind; 4] = [
        AdjustKind::Supplement,
        AdjustKind::Cut,
        AdjustKind::Reallocate,
        AdjustKind::Formal,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AdjustKind::Supplement => "supplement",
            AdjustKind::Cut => "cut",
            AdjustKind::Reallocate => "reallocate",
            AdjustKind::Formal => "formal",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AdjustKind::Supplement => "追加",
            AdjustKind::Cut => "追减",
            AdjustKind::Reallocate => "调剂",
            AdjustKind::Formal => "预算调整",
        }
    }

    pub fn parse(text: &str) -> Option<AdjustKind> {
        AdjustKind::ALL
            .into_iter()
            .find(|kind| kind.code() == text.trim() || kind.label() == text.trim())
    }

    /// Does this kind count as 调剂 (`dis_amt`) rather than 调整 (`adj_amt`) on a line?
    pub fn is_reallocation(self) -> bool {
        self == AdjustKind::Reallocate
    }
}

/// A line an adjustment adds (a project, class or unit the budget did not have).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewLine {
    pub agency_code: String,
    pub key: LineKey,
    #[serde(default)]
    pub is_gov_pur: bool,
}

/// One leg: an existing line (`bgt_pman_id`) or a new one, changed by `delta` fen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdjustLeg {
    #[serde(default)]
    pub bgt_pman_id: Option<String>,
    #[serde(default)]
    pub new_line: Option<NewLine>,
    pub delta: Fen,
}

/// The adjustment document's payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjustment {
    pub kind: AdjustKind,
    pub fiscal_year: i32,
    /// 调整文号 (required for 预算调整, optional otherwise).
    #[serde(default)]
    pub doc_no: String,
    pub reason: String,
    pub legs: Vec<AdjustLeg>,
}

fn invalid(detail: &'static str) -> Rejection {
    Rejection::AdjustmentInvalid { detail }
}

impl Adjustment {
    /// The rules of a well-formed adjustment, in this order: reason and document number;
    /// 1..=200 legs; each leg names exactly one line, a non-zero amount, a new line only
    /// with an increase, no line twice; the signs the kind requires (调剂 sums to zero).
    pub fn checked(&self) -> Result<Adjustment, Rejection> {
        let mut adjustment = self.clone();
        adjustment.reason = check_text("调整理由", &self.reason, 200)?;
        adjustment.doc_no = self.doc_no.trim().to_owned();
        if self.kind == AdjustKind::Formal && adjustment.doc_no.is_empty() {
            return Err(Rejection::FieldRequired {
                field: "调整文号"
            });
        }
        if !adjustment.doc_no.is_empty() {
            adjustment.doc_no = check_text("调整文号", &self.doc_no, 60)?;
        }
        if self.legs.is_empty() {
            return Err(invalid("至少需要一条调整明细"));
        }
        if self.legs.len() > ADJUST_LEGS_MAX {
            return Err(Rejection::FieldTooLong {
                field: "调整明细",
                length_max: ADJUST_LEGS_MAX,
            });
        }
        let mut seen = BTreeSet::new();
        for leg in &mut adjustment.legs {
            if leg.delta.0 == 0 {
                return Err(Rejection::AmountNotPositive {
                    field: "调整金额"
                });
            }
            match (&leg.bgt_pman_id, &mut leg.new_line) {
                (Some(id), None) => {
                    if !seen.insert(id.trim().to_owned()) {
                        return Err(invalid("同一预算明细不能出现两次"));
                    }
                    leg.bgt_pman_id = Some(id.trim().to_owned());
                }
                (None, Some(new_line)) => {
                    if leg.delta.0 < 0 {
                        return Err(invalid("新增的预算明细只能增加金额"));
                    }
                    new_line.key = new_line.key.checked()?;
                    new_line.agency_code = new_line.agency_code.trim().to_owned();
                    if !seen.insert(format!("{}/{}", new_line.agency_code, new_line.key.text())) {
                        return Err(invalid("同一预算明细不能出现两次"));
                    }
                }
                _ => return Err(invalid("每条明细须指定一条已批复的预算明细或一条新增明细")),
            }
        }
        let ups = self.legs.iter().filter(|leg| leg.delta.0 > 0).count();
        let downs = self.legs.len() - ups;
        match self.kind {
            AdjustKind::Supplement if downs > 0 => return Err(invalid("追加的金额须为正数")),
            AdjustKind::Cut if ups > 0 => return Err(invalid("追减的金额须为负数")),
            AdjustKind::Reallocate => {
                if ups == 0 || downs == 0 {
                    return Err(invalid("调剂须有调出和调入两方"));
                }
                if self.net() != Some(Fen::ZERO) {
                    return Err(invalid("调剂的调出与调入金额须相等"));
                }
            }
            _ => {}
        }
        if self.net().is_none() {
            return Err(invalid("金额合计超出范围"));
        }
        Ok(adjustment)
    }

    /// The net change of the budget total.
    pub fn net(&self) -> Option<Fen> {
        Fen::sum(self.legs.iter().map(|leg| leg.delta))
    }

    /// The document's amount as lists show it: the increases (调入 for 调剂).
    pub fn gross(&self) -> Fen {
        Fen::sum(self.legs.iter().map(|leg| Fen(leg.delta.0.abs()))).map_or(Fen::ZERO, |total| {
            if self.kind == AdjustKind::Reallocate {
                Fen(total.0 / 2)
            } else {
                total
            }
        })
    }
}
