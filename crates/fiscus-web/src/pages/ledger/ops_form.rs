//! The wire side of the 指标业务 forms: which operations there are, their field names, and how
//! submitted form fields (amounts in 元, parsed by `Fen::parse_yuan`, never floats) become an
//! `Operation`. No rule is decided here: the plan checks the operation.

use fiscus_core::ledger::operation::{FreezeBy, ReallocateLeg, SplitChild};
use fiscus_core::ledger::{BgtId, IndicatorDraft, IndicatorElements, Operation};
use fiscus_core::{Fen, Rejection};

pub type Pairs = Vec<(String, String)>;

/// Rows a 分解 or 调剂 form offers.
pub const ROWS_MAX: usize = 6;

/// The operations with a form: (path segment, title, what it does).
pub const OPS: [(&str, &str, &str); 9] = [
    (
        "enter",
        "指标录入",
        "按指标文件录入一条新指标（可执行指标或待分指标），审核通过后下达。",
    ),
    (
        "split",
        "分解分配",
        "把一条待分指标或上级指标分配给预算单位，每行生成一条下级指标。",
    ),
    (
        "supplement",
        "追加",
        "为指标追加金额：从待分指标调入，或按新的指标文件追加。",
    ),
    (
        "cut",
        "追减收回",
        "减少指标金额：收回到待分指标，或直接调减。不能超过可用余额。",
    ),
    (
        "reallocate",
        "调剂",
        "在指标之间调剂金额，各行一起生效或一起不生效。",
    ),
    (
        "freeze",
        "冻结",
        "冻结指标的一部分（按金额或按可用余额的比例），冻结部分不能支付。",
    ),
    ("unfreeze", "解冻", "解除冻结，金额回到可用余额。"),
    ("write_off", "核销", "用正式指标核销预拨指标已支出的金额。"),
    (
        "year_end",
        "年终结转",
        "年终把区划内执行中的指标结转到下一年度，其余结余收回到总待分指标。",
    ),
];

pub fn op_title(op: &str) -> Option<&'static str> {
    OPS.iter()
        .find(|(code, _, _)| *code == op)
        .map(|(_, title, _)| *title)
}

pub fn value(pairs: &Pairs, name: &str) -> String {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default()
}

fn checked(pairs: &Pairs, name: &str) -> bool {
    matches!(value(pairs, name).as_str(), "1" | "on" | "true")
}

/// An amount in 元; empty is "required".
pub fn yuan(pairs: &Pairs, name: &str, field: &'static str) -> Result<Fen, Rejection> {
    let text = value(pairs, name);
    if text.is_empty() {
        return Err(Rejection::FieldRequired { field });
    }
    Fen::parse_yuan(&text, field)
}

pub fn bgt_id(pairs: &Pairs, name: &str, field: &'static str) -> Result<BgtId, Rejection> {
    let text = value(pairs, name);
    if text.is_empty() {
        return Err(Rejection::FieldRequired { field });
    }
    BgtId::parse(&text)
}

fn optional_bgt_id(pairs: &Pairs, name: &str) -> Result<Option<BgtId>, Rejection> {
    let text = value(pairs, name);
    if text.is_empty() {
        Ok(None)
    } else {
        BgtId::parse(&text).map(Some)
    }
}

/// The draft fields of 指标录入, in form order: (name, label).
pub const DRAFT_FIELDS: [(&str, &str); 16] = [
    ("mof_div_code", "财政区划"),
    ("fiscal_year", "预算年度"),
    ("agency_code", "预算单位代码"),
    ("bgt_type_code", "指标类型"),
    ("bgt_exe_flag", "可执行标志"),
    ("pool_level", "待分级次"),
    ("pro_code", "项目代码"),
    ("exp_func_code", "支出功能分类"),
    ("gov_bgt_eco_code", "政府预算经济分类"),
    ("dep_bgt_eco_code", "部门预算经济分类"),
    ("fund_type_code", "资金性质"),
    ("pay_type_code", "支付方式"),
    ("source_type_code", "指标来源"),
    ("cor_bgt_doc_no", "本级指标文号"),
    ("bgt_doc_title", "指标文标题"),
    ("doc_date", "发文时间"),
];

/// The flags of a draft: (name, label).
pub const DRAFT_FLAGS: [(&str, &str); 6] = [
    ("is_direct", "直达资金"),
    ("is_three_safe", "三保支出"),
    ("is_three_public", "三公经费"),
    ("is_gov_pur", "政府采购"),
    ("is_contrlbyplan", "按用款计划控制"),
    ("is_not_control_pay", "不控制支付"),
];

fn draft_of(pairs: &Pairs) -> IndicatorDraft {
    let v = |name: &str| value(pairs, name);
    IndicatorDraft {
        mof_div_code: v("mof_div_code"),
        fiscal_year: v("fiscal_year"),
        agency_code: v("agency_code"),
        pro_code: v("pro_code"),
        exp_func_code: v("exp_func_code"),
        gov_bgt_eco_code: v("gov_bgt_eco_code"),
        dep_bgt_eco_code: v("dep_bgt_eco_code"),
        fund_type_code: v("fund_type_code"),
        bgt_type_code: v("bgt_type_code"),
        pay_type_code: v("pay_type_code"),
        source_type_code: v("source_type_code"),
        cor_bgt_doc_no: v("cor_bgt_doc_no"),
        bgt_doc_title: v("bgt_doc_title"),
        doc_date: v("doc_date"),
        bgt_dec: v("bgt_dec"),
        sup_bgt_doc_no: v("sup_bgt_doc_no"),
        bgt_exe_flag: v("bgt_exe_flag"),
        pool_level: v("pool_level"),
        is_direct: checked(pairs, "is_direct"),
        is_three_safe: checked(pairs, "is_three_safe"),
        is_three_public: checked(pairs, "is_three_public"),
        is_gov_pur: checked(pairs, "is_gov_pur"),
        is_contrlbyplan: checked(pairs, "is_contrlbyplan"),
        is_not_control_pay: checked(pairs, "is_not_control_pay"),
    }
}

/// A child of a split: the parent's elements, refined by the row's unit and classification.
fn child_draft(parent: &IndicatorElements, pairs: &Pairs, n: usize) -> IndicatorDraft {
    let row = |name: &str, inherited: &str| {
        let text = value(pairs, &format!("{name}_{n}"));
        if text.is_empty() {
            inherited.to_owned()
        } else {
            text
        }
    };
    let parent_agency = parent
        .agency_code
        .as_ref()
        .map(|c| c.as_str())
        .unwrap_or_default();
    IndicatorDraft {
        mof_div_code: parent.mof_div_code.as_str().to_owned(),
        fiscal_year: parent.fiscal_year.0.to_string(),
        agency_code: row("agency_code", parent_agency),
        pro_code: row("pro_code", &parent.pro_code),
        exp_func_code: row("exp_func_code", &parent.exp_func_code),
        gov_bgt_eco_code: row("gov_bgt_eco_code", &parent.gov_bgt_eco_code),
        dep_bgt_eco_code: row("dep_bgt_eco_code", &parent.dep_bgt_eco_code),
        fund_type_code: row("fund_type_code", &parent.fund_type_code),
        // A split makes executable unit indicators of a formal type.
        bgt_type_code: row(
            "bgt_type_code",
            if parent.bgt_type_code == "13" {
                "12"
            } else {
                &parent.bgt_type_code
            },
        ),
        pay_type_code: parent.pay_type_code.clone(),
        source_type_code: parent.source_type_code.clone(),
        cor_bgt_doc_no: parent.cor_bgt_doc_no.clone(),
        bgt_doc_title: parent.bgt_doc_title.clone(),
        doc_date: parent.doc_date.clone(),
        bgt_dec: String::new(),
        sup_bgt_doc_no: parent.sup_bgt_doc_no.clone(),
        bgt_exe_flag: "1".into(),
        pool_level: String::new(),
        is_direct: parent.is_direct,
        is_three_safe: parent.is_three_safe,
        is_three_public: parent.is_three_public,
        is_gov_pur: parent.is_gov_pur,
        is_contrlbyplan: parent.is_contrlbyplan,
        is_not_control_pay: parent.is_not_control_pay,
    }
}

/// Whether row `n` of a multi-row form was filled in at all.
fn row_used(pairs: &Pairs, n: usize, names: &[&str]) -> bool {
    names
        .iter()
        .any(|name| !value(pairs, &format!("{name}_{n}")).is_empty())
}

fn reason_text(pairs: &Pairs) -> Result<String, Rejection> {
    let reason = value(pairs, "reason");
    if reason.is_empty() {
        return Err(Rejection::FieldRequired { field: "原因" });
    }
    Ok(reason)
}

/// The operation a submitted form describes. `parent` is the source of a split, read by the
/// caller (in the viewer's scope).
pub fn operation_of(
    op: &str,
    pairs: &Pairs,
    parent: Option<&IndicatorElements>,
) -> Result<Operation, Rejection> {
    Ok(match op {
        "enter" => Operation::Enter {
            indicator: draft_of(pairs),
            amount: yuan(pairs, "amount", "指标金额")?,
        },
        "split" => {
            let from = bgt_id(pairs, "from", "来源指标")?;
            let parent = parent.ok_or(Rejection::NotFound { what: "指标" })?;
            let mut children = Vec::new();
            for n in 1..=ROWS_MAX {
                if !row_used(
                    pairs,
                    n,
                    &[
                        "agency_code",
                        "exp_func_code",
                        "gov_bgt_eco_code",
                        "dep_bgt_eco_code",
                        "pro_code",
                        "amount",
                    ],
                ) {
                    continue;
                }
                children.push(SplitChild {
                    indicator: child_draft(parent, pairs, n),
                    amount: yuan(pairs, &format!("amount_{n}"), "分配金额")?,
                });
            }
            Operation::Split { from, children }
        }
        "supplement" => Operation::Supplement {
            to: bgt_id(pairs, "to", "追加的指标")?,
            from: optional_bgt_id(pairs, "from")?,
            amount: yuan(pairs, "amount", "追加金额")?,
        },
        "cut" => Operation::Cut {
            from: bgt_id(pairs, "from", "追减的指标")?,
            to: optional_bgt_id(pairs, "to")?,
            amount: yuan(pairs, "amount", "追减金额")?,
        },
        "reallocate" => {
            let mut legs = Vec::new();
            for n in 1..=ROWS_MAX {
                if !row_used(pairs, n, &["from", "to", "amount"]) {
                    continue;
                }
                legs.push(ReallocateLeg {
                    from: bgt_id(pairs, &format!("from_{n}"), "调出指标")?,
                    to: bgt_id(pairs, &format!("to_{n}"), "调入指标")?,
                    amount: yuan(pairs, &format!("amount_{n}"), "调剂金额")?,
                });
            }
            if legs.is_empty() {
                return Err(Rejection::FieldRequired {
                    field: "调剂明细"
                });
            }
            Operation::Reallocate { legs }
        }
        "freeze" => {
            let by = if value(pairs, "by") == "ratio" {
                // A percentage with up to two decimals: 12.5 % = 1250 basis points.
                let points = yuan(pairs, "ratio", "冻结比例")?.0;
                if !(1..=10_000).contains(&points) {
                    return Err(Rejection::FieldInvalid {
                        field: "冻结比例",
                        expected: "0.01 到 100 之间的百分比",
                    });
                }
                FreezeBy::Ratio(u32::try_from(points).unwrap_or(0))
            } else {
                FreezeBy::Amount(yuan(pairs, "amount", "冻结金额")?)
            };
            Operation::Freeze {
                bgt_id: bgt_id(pairs, "bgt_id", "指标")?,
                by,
                reason: reason_text(pairs)?,
            }
        }
        "unfreeze" => Operation::Unfreeze {
            bgt_id: bgt_id(pairs, "bgt_id", "指标")?,
            amount: yuan(pairs, "amount", "解冻金额")?,
            reason: reason_text(pairs)?,
        },
        "write_off" => Operation::WriteOff {
            formal: bgt_id(pairs, "formal", "正式指标")?,
            advance: bgt_id(pairs, "advance", "预拨指标")?,
            amount: yuan(pairs, "amount", "核销金额")?,
        },
        _ => return Err(Rejection::NotFound { what: "页面" }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Pairs {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn code(result: Result<Operation, Rejection>) -> String {
        result.map_or_else(|r| r.code(), |op| op.code().to_owned())
    }

    #[test]
    fn forms_become_operations() {
        assert_eq!(
            code(operation_of(
                "supplement",
                &pairs(&[("to", "B1"), ("amount", "1,000.50")]),
                None
            )),
            "supplement"
        );
        assert_eq!(
            code(operation_of(
                "supplement",
                &pairs(&[("to", "B1"), ("amount", "1.234")]),
                None
            )),
            "amount_invalid"
        );
        assert_eq!(
            code(operation_of("cut", &pairs(&[("amount", "1")]), None)),
            "field_required"
        );
        assert_eq!(
            code(operation_of(
                "freeze",
                &pairs(&[
                    ("bgt_id", "B1"),
                    ("by", "ratio"),
                    ("ratio", "150"),
                    ("reason", "审计")
                ]),
                None
            )),
            "field_invalid"
        );
        assert_eq!(
            code(operation_of("reallocate", &pairs(&[]), None)),
            "field_required"
        );
        let freeze = operation_of(
            "freeze",
            &pairs(&[
                ("bgt_id", "B1"),
                ("by", "ratio"),
                ("ratio", "12.5"),
                ("reason", "审计"),
            ]),
            None,
        );
        assert!(matches!(
            freeze,
            Ok(Operation::Freeze {
                by: FreezeBy::Ratio(1250),
                ..
            })
        ));
    }
}
