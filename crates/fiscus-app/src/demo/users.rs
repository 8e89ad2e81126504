//! Demo users: the seven bureau roles in every region (the corps, each division and each
//! regiment: `corps_budget`, `div01_performance`, `reg0101_review` …), clerks and approvers in
//! every unit and a reviewer in every competent department; and the one demo login shown per
//! level (the other bureau users follow the same naming, so the list stays short).

use fiscus_core::Role;
use fiscus_core::rng::DemoRng;

use super::names::any_person_name;
use super::tree::{DemoRegion, DemoUnit};
use super::{DemoLogin, Scale, random_digits};

/// A user without a password: all demo users share one hash, added when rows are written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoUser {
    pub user_name: String,
    pub display_name: String,
    pub mof_div_code: String,
    pub agency_code: Option<String>,
    pub roles: &'static str,
    pub phone: String,
}

/// The roles of a finance bureau, each given to its own user, with the user-name suffix.
const BUREAU_ROLES: [(Role, &str); 7] = [
    (Role::SysAdmin, "admin"),
    (Role::BudgetDivision, "budget"),
    (Role::TreasuryDivision, "treasury"),
    (Role::BusinessDivision, "business"),
    (Role::PerformanceDivision, "performance"),
    (Role::ReviewCentre, "review"),
    (Role::Auditor, "auditor"),
];

/// The user-name prefix of a region's bureau: "corps", "div01", "reg0101".
pub fn bureau_prefix(region: &DemoRegion) -> String {
    match region.level_num {
        1 => "corps".to_owned(),
        2 => format!("div{:02}", region.division_number),
        _ => format!(
            "reg{:02}{:02}",
            region.division_number, region.regiment_number
        ),
    }
}

fn bureau_user_name(region: &DemoRegion, suffix: &str) -> String {
    // The corps administrator is simply "admin": the first account anyone tries.
    if region.level_num == 1 && suffix == "admin" {
        "admin".to_owned()
    } else {
        format!("{}_{suffix}", bureau_prefix(region))
    }
}

fn unit_user_name(unit: &DemoUnit, suffix: &str) -> String {
    format!("u{}_{suffix}", unit.agency_code)
}

fn phone(rng: &mut DemoRng) -> String {
    let prefixes = [
        "133", "135", "138", "139", "158", "180", "186", "189", "199",
    ];
    format!("{}{}", rng.pick(&prefixes), random_digits(rng, 8))
}

pub fn users(
    scale: Scale,
    regions: &[DemoRegion],
    units: &[DemoUnit],
    rng: &mut DemoRng,
) -> Vec<DemoUser> {
    let mut users = Vec::new();
    let mut push = |user_name: String,
                    mof_div_code: &str,
                    agency_code: Option<&str>,
                    role: Role,
                    rng: &mut DemoRng| {
        users.push(DemoUser {
            user_name,
            display_name: any_person_name(rng),
            mof_div_code: mof_div_code.to_owned(),
            agency_code: agency_code.map(str::to_owned),
            roles: role.code(),
            phone: phone(rng),
        });
    };
    for region in regions {
        for (role, suffix) in BUREAU_ROLES {
            push(
                bureau_user_name(region, suffix),
                &region.mof_div_code,
                None,
                role,
                rng,
            );
        }
    }
    for unit in units {
        let mut unit_roles = vec![(Role::UnitClerk, "clerk")];
        if scale == Scale::Corps {
            unit_roles.push((Role::UnitClerk, "clerk2"));
        }
        unit_roles.push((Role::UnitApprover, "approver"));
        if unit.depth == 1 && unit.has_children {
            unit_roles.push((Role::DeptReviewer, "reviewer"));
        }
        for (role, suffix) in unit_roles {
            push(
                unit_user_name(unit, suffix),
                &unit.mof_div_code,
                Some(&unit.agency_code),
                role,
                rng,
            );
        }
    }
    users
}

/// One login per level, from the generated data: the corps administrator, the budget
/// divisions of the first division and its first regiment, a clerk of a school under the
/// first division's education bureau, and that bureau's reviewer.
pub fn demo_logins(regions: &[DemoRegion], units: &[DemoUnit]) -> Vec<DemoLogin> {
    let mut logins = Vec::new();
    let region_login =
        |level: &'static str, region: &DemoRegion, suffix: &str, role: Role| DemoLogin {
            level,
            user_name: bureau_user_name(region, suffix),
            role: role.code(),
            org_name: region.mof_div_name.clone(),
        };
    if let Some(corps) = regions.iter().find(|region| region.level_num == 1) {
        logins.push(region_login("兵团", corps, "admin", Role::SysAdmin));
    }
    if let Some(division) = regions.iter().find(|region| region.level_num == 2) {
        logins.push(region_login("师", division, "budget", Role::BudgetDivision));
    }
    if let Some(regiment) = regions.iter().find(|region| region.level_num == 3) {
        logins.push(region_login("团", regiment, "budget", Role::BudgetDivision));
    }
    let first_division_code = regions
        .iter()
        .find(|region| region.level_num == 2)
        .map(|region| region.mof_div_code.as_str());
    let division_departments = units.iter().filter(|unit| {
        Some(unit.mof_div_code.as_str()) == first_division_code
            && unit.depth == 1
            && unit.has_children
    });
    let department = division_departments
        .clone()
        .find(|unit| unit.agency_abbreviation == "教育局")
        .or_else(|| division_departments.clone().next());
    if let Some(department) = department {
        if let Some(child) = units.iter().find(|unit| {
            unit.parent_agency_code.as_deref() == Some(department.agency_code.as_str())
        }) {
            logins.push(DemoLogin {
                level: "单位",
                user_name: unit_user_name(child, "clerk"),
                role: Role::UnitClerk.code(),
                org_name: child.agency_name.clone(),
            });
        }
        logins.push(DemoLogin {
            level: "主管部门",
            user_name: unit_user_name(department, "reviewer"),
            role: Role::DeptReviewer.code(),
            org_name: department.agency_name.clone(),
        });
    }
    logins
}
