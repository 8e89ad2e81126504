//! The rules of a project through one table-driven `check`, and the `pro_code` format.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use super::*;

fn good() -> ProjectInput {
    ProjectInput {
        pro_name: "团场职工技能培训项目".into(),
        agency_code: AgencyCode::parse("660101101001").expect("code"),
        pro_cat_code: ProjectCategory::SpecificTarget,
        start_year: FiscalYear(2026),
        end_year: FiscalYear(2027),
        plan: vec![
            PlanLine {
                year: 2026,
                amount_fen: Fen(6_000_000),
            },
            PlanLine {
                year: 2027,
                amount_fen: Fen(4_000_000),
            },
        ],
        estimation: vec![EstimationLine {
            item: "培训费".into(),
            quantity: 500,
            unit_price_fen: Fen(20_000),
            amount_fen: Fen(10_000_000),
            basis: "每人次200元".into(),
        }],
        targets: vec![
            target(TargetLevel1::Output, "数量指标", "培训人次", "≥500", "人次"),
            target(
                TargetLevel1::Effect,
                "社会效益指标",
                "就业率提升",
                "≥5%",
                "",
            ),
            target(
                TargetLevel1::Satisfaction,
                "服务对象满意度指标",
                "学员满意度",
                "≥90%",
                "",
            ),
        ],
    }
}

fn target(level1: TargetLevel1, level2: &str, level3: &str, value: &str, unit: &str) -> TargetLine {
    TargetLine {
        level1,
        level2: level2.into(),
        level3: level3.into(),
        target_value: value.into(),
        unit: unit.into(),
    }
}

/// Each case changes the good project and names the rejection code expected ("" = accepted).
fn check(name: &str, change: impl FnOnce(&mut ProjectInput), expected: &str) {
    let mut input = good();
    change(&mut input);
    let got = match input.check() {
        Ok(_) => String::new(),
        Err(rejection) => rejection.to_string(),
    };
    assert_eq!(got, expected, "case {name}");
}

#[test]
fn rules_of_a_project() {
    check("good", |_| {}, "");
    check("name empty", |p| p.pro_name = " ".into(), "field_required");
    check(
        "name special",
        |p| p.pro_name = "培训<script>".into(),
        "text_has_special_chars",
    );
    check(
        "end before start",
        |p| p.end_year = FiscalYear(2025),
        "field_invalid",
    );
    check(
        "term too long",
        |p| p.end_year = FiscalYear(2036),
        "field_invalid",
    );
    check("no plan", |p| p.plan.clear(), "field_required");
    check("no estimation", |p| p.estimation.clear(), "field_required");
    check("no targets", |p| p.targets.clear(), "field_required");
    check(
        "plan year before start",
        |p| p.plan[0].year = 2025,
        "field_invalid",
    );
    check(
        "plan year after end",
        |p| p.plan[1].year = 2028,
        "field_invalid",
    );
    check(
        "plan year twice",
        |p| p.plan[1].year = 2026,
        "field_invalid",
    );
    check(
        "plan amount zero",
        |p| p.plan[0].amount_fen = Fen(0),
        "amount_invalid",
    );
    check(
        "estimation quantity zero",
        |p| p.estimation[0].quantity = 0,
        "amount_invalid",
    );
    check(
        "estimation product wrong",
        |p| p.estimation[0].amount_fen = Fen(10_000_001),
        "field_invalid",
    );
    check(
        "estimation basis empty",
        |p| p.estimation[0].basis.clear(),
        "field_required",
    );
    check(
        "plan total differs",
        |p| p.plan[1].amount_fen = Fen(3_999_999),
        "field_invalid",
    );
    check(
        "target value empty",
        |p| p.targets[0].target_value.clear(),
        "field_required",
    );
    check(
        "specific without effect",
        |p| p.targets.retain(|t| t.level1 != TargetLevel1::Effect),
        "field_invalid",
    );
    check(
        "specific without output",
        |p| p.targets.retain(|t| t.level1 != TargetLevel1::Output),
        "field_invalid",
    );
    check(
        "operation needs no effect target",
        |p| {
            p.pro_cat_code = ProjectCategory::Operation;
            p.targets.retain(|t| t.level1 == TargetLevel1::Satisfaction);
        },
        "",
    );
}

#[test]
fn pro_code_is_21_characters() {
    let region = MofDivCode::parse("660101000").expect("region");
    let code = pro_code(
        &region,
        FiscalYear(2026),
        ProjectCategory::SpecificTarget,
        51,
    );
    assert_eq!(code, "66010100026P000000051");
    assert_eq!(code.len(), 21);
    assert_eq!(
        ProjectCategory::parse("1").map(ProjectCategory::letter),
        Ok('R')
    );
}

#[test]
fn states_round_trip() {
    for state in ProjectState::ALL {
        assert_eq!(ProjectState::parse(state.code()), Some(state));
    }
    assert!(!ProjectState::Declared.may_terminate());
}
