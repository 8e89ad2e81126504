//! The default definitions shipped in `data/flows/`: each parses with serde, validates, is
//! named after its document type, survives a round trip, and can be walked to approval. The
//! annotated example in `data/flows/README.md` is checked too.

use super::*;
use crate::flow::validate;

/// Every default definition file with its document type, as the application loads them.
pub fn default_files() -> Vec<(DocType, &'static str)> {
    vec![
        (
            DocType::UnitChange,
            include_str!("../../../../../data/flows/unit_change.json"),
        ),
        (
            DocType::PaymentApplication,
            include_str!("../../../../../data/flows/payment_application.json"),
        ),
        (
            DocType::IndicatorRelease,
            include_str!("../../../../../data/flows/indicator_release.json"),
        ),
        (
            DocType::BudgetSubmission,
            include_str!("../../../../../data/flows/budget_submission.json"),
        ),
        (
            DocType::Adjustment,
            include_str!("../../../../../data/flows/adjustment.json"),
        ),
        (
            DocType::ProjectDeclaration,
            include_str!("../../../../../data/flows/project_declaration.json"),
        ),
        (
            DocType::IndicatorAdjust,
            include_str!("../../../../../data/flows/indicator_adjust.json"),
        ),
    ]
}

pub fn parse(text: &str) -> FlowDefinition {
    serde_json::from_str(text).unwrap_or_else(|error| panic!("{error}"))
}

#[test]
fn every_default_definition_is_valid() {
    let files = default_files();
    assert_eq!(
        files.len(),
        DocType::ALL.len(),
        "one file per document type"
    );
    for (doc_type, text) in files {
        let flow = parse(text);
        assert_eq!(flow.doc_type, doc_type);
        assert_eq!(
            flow.flow_code.as_str(),
            format!("{}_default", doc_type.code())
        );
        assert_eq!(flow.version, 1);
        assert!(
            !flow.allow_self_approval,
            "{}: separation of duties is on",
            doc_type.code()
        );
        assert_eq!(validate(&flow), Ok(()), "{}", doc_type.code());
        assert_eq!(
            flow.resubmit_after_reject,
            doc_type == DocType::ProjectDeclaration,
            "{}: only a rejected project declaration is declared again",
            doc_type.code()
        );
        let written = serde_json::to_string(&flow).unwrap_or_default();
        assert_eq!(parse(&written), flow, "{}: round trip", doc_type.code());
    }
}

/// The nodes each default passes for a small amount at 师 level and a large amount at 团 level.
#[test]
fn every_default_definition_walks_to_approval() {
    let expected: &[(DocType, &[&str], &[&str])] = &[
        (
            DocType::UnitChange,
            &[
                "unit_review",
                "dept_review",
                "business_review",
                "budget_review",
            ],
            &[],
        ),
        (
            DocType::PaymentApplication,
            &["unit_review"],
            &["unit_review", "treasury_review"],
        ),
        (
            DocType::IndicatorRelease,
            &["business_review", "indicator_review", "release"],
            &[],
        ),
        (
            DocType::BudgetSubmission,
            &[
                "unit_review",
                "dept_review",
                "business_review",
                "budget_review",
            ],
            &[],
        ),
        (
            DocType::Adjustment,
            &[
                "unit_review",
                "dept_review",
                "business_review",
                "budget_review",
            ],
            &[],
        ),
        (
            DocType::ProjectDeclaration,
            &[
                "dept_review",
                "business_review",
                "performance_review",
                "review_centre",
            ],
            &[],
        ),
        (
            DocType::IndicatorAdjust,
            &["business_review", "indicator_review"],
            &[],
        ),
    ];
    for ((doc_type, text), (expected_type, small, large)) in
        default_files().into_iter().zip(expected)
    {
        assert_eq!(doc_type, *expected_type);
        let large = if large.is_empty() { small } else { large };
        for (amount_fen, region_level, nodes) in [(100, 2, small), (500_000_000, 3, large)] {
            let mut world = World::new(parse(text));
            world.facts = facts(amount_fen, region_level);
            world.step("clerk", Command::Submit);
            let mut passed = Vec::new();
            while world.state.status == InstanceStatus::InProgress {
                passed.push(
                    world
                        .state
                        .current_node
                        .as_ref()
                        .map(|n| n.to_string())
                        .unwrap_or_default(),
                );
                let task = world
                    .state
                    .current_tasks()
                    .find(|t| t.status == TaskStatus::Open)
                    .cloned();
                let task = task
                    .unwrap_or_else(|| panic!("{}: nobody holds the document", doc_type.code()));
                world.step(task.assignee.as_str(), approve(task.task_id.0));
            }
            assert_eq!(world.state.status, InstanceStatus::Approved);
            assert_eq!(
                passed,
                *nodes,
                "{} at {amount_fen} fen, level {region_level}",
                doc_type.code()
            );
        }
    }
}

#[test]
fn loading_is_strict() {
    let text = default_files()[0].1;
    let unknown_field = text.replacen("\"version\": 1,", "\"version\": 1, \"colour\": \"red\",", 1);
    assert!(serde_json::from_str::<FlowDefinition>(&unknown_field).is_err());
    let bad_code = text.replacen("\"unit_review\"", "\"Unit Review\"", 1);
    assert!(serde_json::from_str::<FlowDefinition>(&bad_code).is_err());
}

#[test]
fn the_readme_example_is_valid() {
    let readme = include_str!("../../../../../data/flows/README.md");
    let example = readme
        .split("```json")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap_or_default();
    // The README annotates fields with `//` comments, which JSON does not allow: strip them.
    let json: String = example
        .lines()
        .map(|line| line.split(" //").next().unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n");
    let flow = parse(&json);
    assert_eq!(validate(&flow), Ok(()));
    assert_eq!(
        flow,
        parse(default_files()[1].1),
        "the example is the payment application default"
    );
}
