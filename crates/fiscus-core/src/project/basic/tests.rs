//! The one-click calculation on small hand-made facts: persons × standards per line, the
//! nearest standard winning, public-use standards by unit type, and the empty case.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use super::*;

fn standard(
    std_code: &str,
    std_type_code: &str,
    applies_to: Option<&str>,
    eco: &str,
    yuan: i64,
    region_path: &str,
) -> StandardFact {
    let personnel = std_type_code == STD_TYPE_PERSONNEL;
    StandardFact {
        std_code: std_code.into(),
        std_name: format!("{std_code}标准"),
        std_type_code: std_type_code.into(),
        dep_bgt_eco_code: eco.into(),
        agency_type: (!personnel)
            .then(|| applies_to.map(str::to_owned))
            .flatten(),
        per_ide_code: personnel.then(|| applies_to.map(str::to_owned)).flatten(),
        amount_fen: Fen(yuan * 100),
        region_path: region_path.into(),
    }
}

const CORPS: &str = "/660000000/";
const DIVISION: &str = "/660000000/660100000/";

fn facts() -> BasicFacts {
    BasicFacts {
        agency_code: AgencyCode::parse("660101101001").expect("code"),
        agency_type: Some("1".into()),
        fiscal_year: FiscalYear(2026),
        headcounts: vec![
            Headcount {
                per_ide_code: "1".into(),
                per_ide_name: "公务员".into(),
                n_persons: 12,
            },
            Headcount {
                per_ide_code: "4".into(),
                per_ide_name: "工勤人员".into(),
                n_persons: 3,
            },
        ],
        standards: vec![
            standard("RY001", "1", Some("1"), "30101", 48_000, CORPS),
            standard("RY002", "1", Some("1"), "30102", 36_000, CORPS),
            // The division raises the corps's 津贴补贴 by 10 %.
            standard("RY002", "1", Some("1"), "30102", 39_600, DIVISION),
            standard("RY019", "1", Some("4"), "30101", 36_000, CORPS),
            // For 事业人员: nobody of the unit.
            standard("RY013", "1", Some("3"), "30101", 44_000, CORPS),
            standard("GY001", "2", Some("1"), "30201", 3_000, CORPS),
            standard("GY002", "2", Some("1"), "30211", 2_500, CORPS),
            // For 事业单位: not this unit's type.
            standard("GY009", "2", Some("3"), "30201", 2_000, CORPS),
        ],
    }
}

/// The lines of a project as `item quantity × price = amount` in fen.
fn lines(input: &ProjectInput) -> Vec<String> {
    input
        .estimation
        .iter()
        .map(|l| {
            format!(
                "{} {}×{}={}",
                l.item, l.quantity, l.unit_price_fen.0, l.amount_fen.0
            )
        })
        .collect()
}

#[test]
fn persons_times_standards() {
    let calculation = calculate(&facts()).expect("calculated");
    let personnel = calculation.personnel.expect("personnel");
    assert_eq!(
        lines(&personnel),
        [
            "RY001标准 12×4800000=57600000",
            "RY002标准 12×3960000=47520000",
            "RY019标准 3×3600000=10800000",
        ]
    );
    assert_eq!(personnel.pro_cat_code, ProjectCategory::Personnel);
    assert_eq!(personnel.pro_name, "2026年人员经费（基本支出）");
    assert_eq!(personnel.total_fen(), Fen(115_920_000));
    assert_eq!(
        personnel.plan,
        [PlanLine {
            year: 2026,
            amount_fen: Fen(115_920_000)
        }]
    );
    assert!(
        personnel.estimation[1]
            .basis
            .contains("39,600.00 元/人·年 × 公务员在职 12 人"),
        "{}",
        personnel.estimation[1].basis
    );
    let public_use = calculation.public_use.expect("public use");
    assert_eq!(public_use.pro_cat_code, ProjectCategory::Operation);
    assert_eq!(
        lines(&public_use),
        ["GY001标准 15×300000=4500000", "GY002标准 15×250000=3750000"]
    );
    assert_eq!(public_use.targets[0].target_value, "15");
    assert_eq!(calculation.n_in_service, 15);
    assert!(calculation.uncovered.is_empty());
    // Both pass the rules of any project, and calculating again gives the same.
    assert_eq!(personnel.check().as_ref(), Ok(&personnel));
    assert_eq!(
        calculate(&facts()).expect("again").public_use,
        Some(public_use)
    );
}

#[test]
fn persons_without_a_standard_are_reported() {
    let mut facts = facts();
    facts.headcounts.push(Headcount {
        per_ide_code: "9".into(),
        per_ide_name: "其他".into(),
        n_persons: 2,
    });
    let calculation = calculate(&facts).expect("calculated");
    assert_eq!(calculation.uncovered.len(), 1);
    assert_eq!(calculation.uncovered[0].per_ide_name, "其他");
    // They still count for the per-capita public-use standards.
    assert_eq!(calculation.n_in_service, 17);
    let public_use = calculation.public_use.expect("public use");
    assert_eq!(public_use.estimation[0].quantity, 17);
}

#[test]
fn one_category_or_none() {
    let mut no_public = facts();
    no_public.agency_type = Some("4".into());
    let calculation = calculate(&no_public).expect("calculated");
    assert!(calculation.personnel.is_some());
    assert_eq!(calculation.public_use, None);

    let mut nobody = facts();
    nobody.headcounts.clear();
    assert_eq!(
        calculate(&nobody).map(|_| ()),
        Err(Rejection::BasicCalculationEmpty { fiscal_year: 2026 })
    );
    let mut no_standards = facts();
    no_standards.standards.clear();
    assert_eq!(
        calculate(&no_standards).map(|_| ()).map_err(|r| r.code()),
        Err("basic_calculation_empty".to_owned())
    );
}

#[test]
fn an_overflowing_amount_is_refused_not_wrapped() {
    let mut facts = facts();
    facts.standards = vec![standard("RY001", "1", None, "30101", i64::MAX / 100, CORPS)];
    assert_eq!(
        calculate(&facts).map(|_| ()).map_err(|r| r.code()),
        Err("amount_invalid".to_owned())
    );
}
