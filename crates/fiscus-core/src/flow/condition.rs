//! Conditions on document facts that choose a node's outgoing edge: the amount, the region
//! level and a few string attributes, compared with `ge`/`gt`/`le`/`lt`/`eq`/`ne`/`in` and
//! combined with `all`/`any`/`not`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::flow::definition::DocType;
use crate::money::Fen;

/// What the flow may know about a document. The application builds it from the document row
/// each time it calls `apply`, so a condition sees the document as it is now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentFacts {
    pub doc_type: DocType,
    pub amount_fen: Fen,
    /// Level of the document's region: 1 兵团, 2 师, 3 团.
    pub region_level: i64,
    /// A few more fields by name, e.g. `fund_type_code`. Kept small on purpose.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

/// `{"amount_fen": {"ge": 100000000}}`, `{"region_level": {"in": [2, 3]}}`,
/// `{"attribute": {"name": "fund_type_code", "comparison": {"eq": "11"}}}`,
/// `{"all": [...]}`, `{"any": [...]}`, `{"not": {...}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    AmountFen(Comparison<Fen>),
    RegionLevel(Comparison<i64>),
    /// A missing attribute never matches; write `not` around an `eq` to test for absence.
    Attribute {
        name: String,
        comparison: Comparison<String>,
    },
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
}

/// One comparison of a fact against constants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison<T> {
    Ge(T),
    Gt(T),
    Le(T),
    Lt(T),
    Eq(T),
    Ne(T),
    In(Vec<T>),
}

impl Condition {
    pub fn matches(&self, facts: &DocumentFacts) -> bool {
        match self {
            Condition::AmountFen(comparison) => comparison.holds(&facts.amount_fen),
            Condition::RegionLevel(comparison) => comparison.holds(&facts.region_level),
            Condition::Attribute { name, comparison } => facts
                .attributes
                .get(name)
                .is_some_and(|value| comparison.holds(value)),
            Condition::All(conditions) => conditions.iter().all(|c| c.matches(facts)),
            Condition::Any(conditions) => conditions.iter().any(|c| c.matches(facts)),
            Condition::Not(condition) => !condition.matches(facts),
        }
    }

    /// The condition in Chinese, for the definition page and the history (`金额 ≥ 1,000,000.00 元`).
    pub fn describe(&self) -> String {
        let join = |conditions: &[Condition], word: &str| {
            let parts: Vec<String> = conditions.iter().map(Condition::describe).collect();
            format!("（{}）", parts.join(word))
        };
        match self {
            Condition::AmountFen(comparison) => {
                comparison.describe("金额", |fen| format!("{} 元", fen.to_yuan_string()))
            }
            Condition::RegionLevel(comparison) => comparison.describe("区划级次", i64::to_string),
            Condition::Attribute { name, comparison } => {
                comparison.describe(name, |value| format!("「{value}」"))
            }
            Condition::All(conditions) => join(conditions, " 且 "),
            Condition::Any(conditions) => join(conditions, " 或 "),
            Condition::Not(condition) => format!("非{}", condition.describe()),
        }
    }
}

impl<T: Ord> Comparison<T> {
    pub fn holds(&self, value: &T) -> bool {
        match self {
            Comparison::Ge(limit) => value >= limit,
            Comparison::Gt(limit) => value > limit,
            Comparison::Le(limit) => value <= limit,
            Comparison::Lt(limit) => value < limit,
            Comparison::Eq(limit) => value == limit,
            Comparison::Ne(limit) => value != limit,
            Comparison::In(values) => values.contains(value),
        }
    }

    fn describe(&self, subject: &str, show: impl Fn(&T) -> String) -> String {
        let (operator, shown) = match self {
            Comparison::Ge(limit) => ("≥", show(limit)),
            Comparison::Gt(limit) => (">", show(limit)),
            Comparison::Le(limit) => ("≤", show(limit)),
            Comparison::Lt(limit) => ("<", show(limit)),
            Comparison::Eq(limit) => ("=", show(limit)),
            Comparison::Ne(limit) => ("≠", show(limit)),
            Comparison::In(values) => {
                let parts: Vec<String> = values.iter().map(&show).collect();
                ("属于", format!("［{}］", parts.join("、")))
            }
        };
        format!("{subject} {operator} {shown}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(amount_fen: i64, region_level: i64, attributes: &[(&str, &str)]) -> DocumentFacts {
        DocumentFacts {
            doc_type: DocType::PaymentApplication,
            amount_fen: Fen(amount_fen),
            region_level,
            attributes: attributes
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect(),
        }
    }

    const MILLION_YUAN_FEN: i64 = 100_000_000;

    #[test]
    fn every_operator_on_every_fact() {
        use Comparison::*;
        let amount = |c: Comparison<i64>| {
            Condition::AmountFen(match c {
                Ge(v) => Ge(Fen(v)),
                Gt(v) => Gt(Fen(v)),
                Le(v) => Le(Fen(v)),
                Lt(v) => Lt(Fen(v)),
                Eq(v) => Eq(Fen(v)),
                Ne(v) => Ne(Fen(v)),
                In(vs) => In(vs.into_iter().map(Fen).collect()),
            })
        };
        let fund = |comparison: Comparison<String>| Condition::Attribute {
            name: "fund_type_code".into(),
            comparison,
        };
        let at_limit = facts(MILLION_YUAN_FEN, 3, &[("fund_type_code", "11")]);
        let cases: Vec<(Condition, bool)> = vec![
            (amount(Ge(MILLION_YUAN_FEN)), true),
            (amount(Gt(MILLION_YUAN_FEN)), false),
            (amount(Le(MILLION_YUAN_FEN)), true),
            (amount(Lt(MILLION_YUAN_FEN)), false),
            (amount(Eq(MILLION_YUAN_FEN)), true),
            (amount(Ne(MILLION_YUAN_FEN)), false),
            (amount(In(vec![1, MILLION_YUAN_FEN])), true),
            (Condition::RegionLevel(Eq(3)), true),
            (Condition::RegionLevel(In(vec![1, 2])), false),
            (Condition::RegionLevel(Lt(3)), false),
            (fund(Eq("11".into())), true),
            (fund(Ne("11".into())), false),
            (fund(In(vec!["12".into(), "11".into()])), true),
            (
                Condition::Attribute {
                    name: "missing".into(),
                    comparison: Ne("x".into()),
                },
                false,
            ),
            (
                Condition::Not(Box::new(Condition::Attribute {
                    name: "missing".into(),
                    comparison: Eq("x".into()),
                })),
                true,
            ),
            (
                Condition::All(vec![amount(Ge(1)), Condition::RegionLevel(Eq(3))]),
                true,
            ),
            (
                Condition::All(vec![amount(Ge(1)), Condition::RegionLevel(Eq(2))]),
                false,
            ),
            (
                Condition::Any(vec![amount(Lt(1)), Condition::RegionLevel(Eq(3))]),
                true,
            ),
            (Condition::Any(vec![]), false),
            (Condition::All(vec![]), true),
        ];
        for (condition, expected) in cases {
            assert_eq!(
                condition.matches(&at_limit),
                expected,
                "{}",
                condition.describe()
            );
        }
        assert!(!amount(Ge(MILLION_YUAN_FEN)).matches(&facts(MILLION_YUAN_FEN - 1, 3, &[])));
    }

    #[test]
    fn describe_in_chinese() {
        let condition = Condition::All(vec![
            Condition::AmountFen(Comparison::Ge(Fen(MILLION_YUAN_FEN))),
            Condition::Not(Box::new(Condition::RegionLevel(Comparison::In(vec![1, 2])))),
        ]);
        assert_eq!(
            condition.describe(),
            "（金额 ≥ 1,000,000.00 元 且 非区划级次 属于 ［1、2］）"
        );
    }
}
