//! Flow definitions as data: nodes, the edges between them, who may act on each node and how
//! their votes combine. A definition is versioned; a running instance keeps the version it
//! started with, and the application loads the published versions from `data/flows/*.json`
//! or from its own tables with serde.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::code::UserName;
use crate::flow::condition::Condition;
use crate::rejection::Rejection;
use crate::role::Role;

/// A published flow: the nodes a document of one type passes between submission and the end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowDefinition {
    pub flow_code: FlowCode,
    pub doc_type: DocType,
    /// Starts at 1 and grows by one with each publication of the same `flow_code`.
    pub version: u32,
    /// Chinese name shown to administrators, e.g. `支付申请审核流程`.
    pub name: String,
    pub nodes: Vec<NodeDefinition>,
    /// The node a submitted document enters first. The submitter is not a node.
    pub start_node: NodeCode,
    /// May the submitter approve a task of their own document? Off by default (不相容岗位分离).
    #[serde(default)]
    pub allow_self_approval: bool,
    /// May the submitter send a rejected (驳回) document again, as a new round from the start
    /// node? Off by default: a rejection ends a payment for good. A project declaration turns
    /// it on, because its rejected project goes back to 草稿 and is declared again.
    #[serde(default)]
    pub resubmit_after_reject: bool,
}

/// One review step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeDefinition {
    pub node_code: NodeCode,
    /// Chinese name shown in the inbox and the history, e.g. `主管部门审核`.
    pub name: String,
    /// Who may act: the union of the users each rule resolves to, in rule order.
    pub actors: Vec<ActorRule>,
    pub mode: ApproverMode,
    /// Where the document goes once the node is approved. The first edge whose condition holds
    /// (or that has none) wins.
    pub next: Vec<Edge>,
    /// Earlier nodes this node may return the document to. Returning to the submitter is always
    /// allowed and is not listed.
    #[serde(default)]
    pub return_targets: Vec<NodeCode>,
    /// May the actor who approved this node pull the document back while the next node has not
    /// acted? (The submitter may always withdraw while the first node has not acted.)
    #[serde(default)]
    pub withdraw_allowed: bool,
    /// Codes of the checks the application runs before an approval on this node (the hook of
    /// the monitoring rules, e.g. `payment_warning_rules`). The core only lists them.
    #[serde(default)]
    pub pre_checks: Vec<String>,
    /// Hours after which an open task of this node is overdue and may be reminded (催办).
    #[serde(default)]
    pub due_hours: Option<u32>,
}

/// One way out of a node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edge {
    pub to: NodeTarget,
    #[serde(default)]
    pub condition: Option<Condition>,
}

/// Where an edge leads: `{"node": "budget_review"}` or `"end"` (the document is approved).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeTarget {
    Node(NodeCode),
    End,
}

/// A role held by users of an organization that stands in a relation to the document.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActorRule {
    pub role: Role,
    pub relation: OrgRelation,
}

/// Which organization, seen from the document.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgRelation {
    /// The document's own unit (单位).
    SubmitterUnit,
    /// The unit heading the document unit's competent-department tree (主管部门).
    CompetentDepartment,
    /// The finance bureau of the document's region (`levels_up: 0`), of its parent region (1),
    /// and so on up the tree.
    FinanceBureau { levels_up: u8 },
    /// One named user, who must also hold the rule's role.
    NamedUser(UserName),
}

/// How the tasks of one node combine into the node's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApproverMode {
    /// 或签: one approval is enough; the other tasks are cancelled.
    AnyOne,
    /// 会签: every candidate must approve.
    All,
    /// 票签: at least `numerator / denominator` of the candidates must approve. A rejection
    /// vote that makes the share unreachable rejects the document.
    Ratio { numerator: u32, denominator: u32 },
    /// 依次审批: candidates approve one after another, in the resolver's order.
    Sequential,
}

/// The kinds of document that run through flows. One default definition of each ships in
/// `data/flows/<code>.json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocType {
    UnitChange,
    PaymentApplication,
    IndicatorRelease,
    BudgetSubmission,
    Adjustment,
    ProjectDeclaration,
    IndicatorAdjust,
}

macro_rules! flow_code_newtype {
    ($(#[$meta:meta])* $name:ident, $field:literal, $extra:literal) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const LEN_MAX: usize = 40;

            /// 1–40 characters: a lowercase letter, then lowercase letters, digits, `_` (and
            /// the characters in `$extra`).
            pub fn parse(text: &str) -> Result<$name, Rejection> {
                let text = text.trim();
                let first_ok = text.bytes().next().is_some_and(|b| b.is_ascii_lowercase());
                let rest_ok = text.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || $extra.as_bytes().contains(&b)
                });
                if !first_ok || !rest_ok || text.len() > Self::LEN_MAX {
                    return Err(Rejection::FieldInvalid {
                        field: $field,
                        expected: "以小写字母开头、不超过 40 位的小写字母、数字或下划线",
                    });
                }
                Ok($name(text.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = Rejection;
            fn try_from(text: String) -> Result<$name, Rejection> {
                $name::parse(&text)
            }
        }

        impl From<$name> for String {
            fn from(code: $name) -> String {
                code.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

flow_code_newtype!(
    /// The code of a flow, e.g. `payment_application_default`. Versions share the code.
    FlowCode,
    "流程编码",
    "-."
);

flow_code_newtype!(
    /// The code of a node, unique inside its definition, e.g. `dept_review`.
    NodeCode,
    "节点编码",
    ""
);

impl FlowDefinition {
    pub fn node(&self, node_code: &NodeCode) -> Option<&NodeDefinition> {
        self.nodes.iter().find(|node| &node.node_code == node_code)
    }

    /// Every distinct actor rule of the definition, sorted. The application resolves them all
    /// before calling `apply` (see `CandidateTable`), so the core never waits on a database.
    pub fn actor_rules(&self) -> Vec<ActorRule> {
        let rules: BTreeSet<&ActorRule> = self.nodes.iter().flat_map(|node| &node.actors).collect();
        rules.into_iter().cloned().collect()
    }
}

impl DocType {
    pub const ALL: [DocType; 7] = [
        DocType::UnitChange,
        DocType::PaymentApplication,
        DocType::IndicatorRelease,
        DocType::BudgetSubmission,
        DocType::Adjustment,
        DocType::ProjectDeclaration,
        DocType::IndicatorAdjust,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DocType::UnitChange => "unit_change",
            DocType::PaymentApplication => "payment_application",
            DocType::IndicatorRelease => "indicator_release",
            DocType::BudgetSubmission => "budget_submission",
            DocType::Adjustment => "adjustment",
            DocType::ProjectDeclaration => "project_declaration",
            DocType::IndicatorAdjust => "indicator_adjust",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            DocType::UnitChange => "基础信息变更",
            DocType::PaymentApplication => "支付申请",
            DocType::IndicatorRelease => "指标下达",
            DocType::BudgetSubmission => "预算编制送审",
            DocType::Adjustment => "预算调整调剂",
            DocType::ProjectDeclaration => "项目申报",
            DocType::IndicatorAdjust => "指标调整",
        }
    }
}

impl ApproverMode {
    pub fn name_zh(self) -> &'static str {
        match self {
            ApproverMode::AnyOne => "或签",
            ApproverMode::All => "会签",
            ApproverMode::Ratio { .. } => "票签",
            ApproverMode::Sequential => "依次审批",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_at_the_edge() {
        let cases: &[(&str, bool)] = &[
            ("dept_review", true),
            ("n1", true),
            ("", false),
            ("1st", false),
            ("Dept", false),
            ("dept-review", false),
            ("a234567890123456789012345678901234567890", true),
            ("a2345678901234567890123456789012345678901", false),
        ];
        for (text, valid) in cases {
            assert_eq!(NodeCode::parse(text).is_ok(), *valid, "{text:?}");
        }
        assert!(FlowCode::parse("payment_application.v-2").is_ok());
        let from_json: Result<NodeCode, _> = "Bad Code".to_owned().try_into();
        assert!(matches!(
            from_json,
            Err(Rejection::FieldInvalid {
                field: "节点编码",
                ..
            })
        ));
    }

    #[test]
    fn doc_type_codes_match_serde() {
        for doc_type in DocType::ALL {
            let text = format!("{doc_type:?}");
            assert!(!doc_type.name_zh().is_empty(), "{text}");
            let snake: String = text
                .chars()
                .enumerate()
                .flat_map(|(index, c)| {
                    let sep = (index > 0 && c.is_ascii_uppercase()).then_some('_');
                    sep.into_iter()
                        .chain(std::iter::once(c.to_ascii_lowercase()))
                })
                .collect();
            assert_eq!(doc_type.code(), snake);
        }
    }
}
