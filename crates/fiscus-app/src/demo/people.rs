//! Demo persons (人员) of every unit, following each unit's staff plan: names, valid identity
//! numbers (GB 11643), codes of the shipped tables, and monthly pay in fen.

use std::collections::{HashMap, HashSet};

use fiscus_core::IdentityNumber;
use fiscus_core::rng::DemoRng;

use super::names::{OTHER_BIRTH_AREAS, nationality_code, person_name};
use super::tree::{DemoRegion, DemoUnit};
use super::{hex_id, random_digits};

/// One person. The identity number is kept in clear only in memory; it is stored encrypted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoPerson {
    pub per_id: String,
    pub agency_code: String,
    pub mof_div_code: String,
    pub per_name: String,
    pub iden_no: IdentityNumber,
    pub sex_code: &'static str,
    pub nat_code: &'static str,
    pub per_ide_code: &'static str,
    pub per_sta_code: &'static str,
    pub pos_code: Option<String>,
    pub gr_code: Option<String>,
    pub is_auth: bool,
    pub pay: MonthlyPay,
    pub sala_card_no: String,
}

/// Pay items per month, in fen. Deductions are percentages of post plus grade salary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MonthlyPay {
    pub pos_sala_fen: Option<i64>,
    pub grad_sala_fen: Option<i64>,
    pub nation_reg_sub_fen: Option<i64>,
    pub basc_perf_fen: Option<i64>,
    pub inct_perf_fen: Option<i64>,
    pub ret_subs_fen: Option<i64>,
    pub ded_end_ins_fen: Option<i64>,
    pub ded_med_ins_fen: Option<i64>,
    pub ded_occ_ant_fen: Option<i64>,
    pub ded_hos_fund_fen: Option<i64>,
}

/// Personal contribution rates, in percent of post plus grade salary.
pub const PENSION_PERCENT: i64 = 8;
pub const MEDICAL_PERCENT: i64 = 2;
pub const OCCUPATIONAL_ANNUITY_PERCENT: i64 = 4;
pub const HOUSING_FUND_PERCENT: i64 = 12;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PersonKind {
    Leader,
    Deputy,
    Staff,
    Unauthorized,
    Worker,
    Retired,
}

/// Card BINs of the payroll banks (农行, 建行, 工行, 中行).
const SALARY_CARD_BINS: &[&str] = &["622848", "621700", "622202", "621661"];

/// Every person of every unit, unit by unit.
pub fn persons(units: &[DemoUnit], regions: &[DemoRegion], rng: &mut DemoRng) -> Vec<DemoPerson> {
    let regions_by_code: HashMap<&str, &DemoRegion> = regions
        .iter()
        .map(|region| (region.mof_div_code.as_str(), region))
        .collect();
    let mut identity_numbers_seen = HashSet::new();
    let mut persons = Vec::new();
    for unit in units {
        let birth_area_code = regions_by_code
            .get(unit.mof_div_code.as_str())
            .map_or("650102", |region| region.birth_area_code);
        for kind in person_kinds(unit) {
            persons.push(person(
                unit,
                kind,
                birth_area_code,
                &mut identity_numbers_seen,
                rng,
            ));
        }
    }
    persons
}

fn person_kinds(unit: &DemoUnit) -> Vec<PersonKind> {
    let plan = &unit.staff;
    let mut kinds = Vec::with_capacity(plan.n_persons());
    for index in 0..plan.n_main_authorized {
        kinds.push(match index {
            0 => PersonKind::Leader,
            1 if plan.n_main_authorized >= 3 => PersonKind::Deputy,
            _ => PersonKind::Staff,
        });
    }
    kinds.extend(std::iter::repeat_n(
        PersonKind::Unauthorized,
        plan.n_main_unauthorized,
    ));
    kinds.extend(std::iter::repeat_n(PersonKind::Worker, plan.n_worker));
    kinds.extend(std::iter::repeat_n(PersonKind::Retired, plan.n_retired));
    kinds
}

fn person(
    unit: &DemoUnit,
    kind: PersonKind,
    birth_area_code: &str,
    seen: &mut HashSet<String>,
    rng: &mut DemoRng,
) -> DemoPerson {
    let per_id = hex_id(rng);
    let (male, nat_code, per_name) = if kind == PersonKind::Leader {
        (
            unit.staff.leader_male,
            unit.staff.leader_nat_code,
            unit.agency_leader_per_name.clone(),
        )
    } else {
        let male = rng.chance(11, 20);
        let nat_code = nationality_code(rng);
        (male, nat_code, person_name(rng, nat_code, male))
    };
    let birth_area_code = if rng.chance(13, 20) {
        birth_area_code
    } else {
        rng.pick(OTHER_BIRTH_AREAS)
    };
    let iden_no = identity_number(
        birth_area_code,
        birth_year(kind, male, rng),
        male,
        seen,
        rng,
    );
    let (per_ide_code, per_sta_code) = match kind {
        PersonKind::Worker => ("4", "1"),
        PersonKind::Retired => ("6", "3"),
        _ => (unit.staff.main_per_ide_code, "1"),
    };
    let (pos_code, gr_code) = position_and_grade(unit, kind, rng);
    let bin = rng.pick(SALARY_CARD_BINS);
    DemoPerson {
        per_id,
        agency_code: unit.agency_code.clone(),
        mof_div_code: unit.mof_div_code.clone(),
        per_name,
        iden_no,
        sex_code: if male { "1" } else { "2" },
        nat_code,
        per_ide_code,
        per_sta_code,
        pos_code,
        gr_code,
        is_auth: kind != PersonKind::Unauthorized,
        pay: monthly_pay(kind, rng),
        sala_card_no: with_luhn_digit(&format!("{bin}{}", random_digits(rng, 12))),
    }
}

/// Retirement ages (60 for men, 55 for women cadres) bound the birth years in 2026.
fn birth_year(kind: PersonKind, male: bool, rng: &mut DemoRng) -> u64 {
    match (kind, male) {
        (PersonKind::Retired, true) => rng.range(1965, 1966),
        (PersonKind::Retired, false) => rng.range(1965, 1970),
        (PersonKind::Leader | PersonKind::Deputy, true) => rng.range(1967, 1986),
        (PersonKind::Leader | PersonKind::Deputy, false) => rng.range(1972, 1986),
        (_, true) => rng.range(1967, 2000),
        (_, false) => rng.range(1972, 2000),
    }
}

/// A valid, not yet used identity number: area, birth date, a sequence whose last digit is
/// odd for men and even for women, and the check character.
fn identity_number(
    area_code: &str,
    year: u64,
    male: bool,
    seen: &mut HashSet<String>,
    rng: &mut DemoRng,
) -> IdentityNumber {
    loop {
        let month = rng.range(1, 12);
        let days_max = match month {
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        let day = rng.range(1, days_max);
        let sequence = rng.range(0, 499) * 2 + u64::from(male);
        let first17 = format!("{area_code}{year:04}{month:02}{day:02}{sequence:03}");
        if let Some(number) = IdentityNumber::with_check_char(&first17)
            && seen.insert(number.as_str().to_owned())
        {
            return number;
        }
    }
}

/// 职务 and 职级: leaders by the rank of their unit (厅局级 at corps level, 县处级 at division
/// level, 乡科级 at regiment level, one step lower below the department); civil servants
/// without a post get a 职级; other staff "99".
fn position_and_grade(
    unit: &DemoUnit,
    kind: PersonKind,
    rng: &mut DemoRng,
) -> (Option<String>, Option<String>) {
    let leader_rank = match unit.region_level {
        1 => 3,
        2 => 5,
        _ => 7,
    } + if unit.depth > 1 { 2 } else { 0 };
    let civil_servant = matches!(unit.staff.main_per_ide_code, "1" | "2");
    match kind {
        PersonKind::Leader => (Some(format!("{:02}", leader_rank.min(8))), None),
        PersonKind::Deputy => (Some(format!("{:02}", (leader_rank + 1).min(8))), None),
        PersonKind::Staff | PersonKind::Unauthorized if civil_servant => {
            let lowest_grade = match unit.region_level {
                1 => 4,
                2 => 5,
                _ => 7,
            };
            (
                Some("99".to_owned()),
                Some(format!("{:02}", rng.range(lowest_grade, 12))),
            )
        }
        PersonKind::Retired => (None, None),
        _ => (Some("99".to_owned()), Some("99".to_owned())),
    }
}

fn yuan(rng: &mut DemoRng, low_yuan: u64, high_yuan: u64) -> Option<i64> {
    Some(rng.range(low_yuan, high_yuan) as i64 * 100)
}

/// `percent` of `base_fen`, rounded half up to the fen.
pub fn percent_of_fen(base_fen: i64, percent: i64) -> i64 {
    (base_fen * percent + 50) / 100
}

fn monthly_pay(kind: PersonKind, rng: &mut DemoRng) -> MonthlyPay {
    let (pos_sala_fen, grad_sala_fen) = match kind {
        PersonKind::Retired => {
            return MonthlyPay {
                nation_reg_sub_fen: yuan(rng, 500, 1500),
                ret_subs_fen: yuan(rng, 1000, 3000),
                ..MonthlyPay::default()
            };
        }
        PersonKind::Leader => (yuan(rng, 4000, 6000), yuan(rng, 2500, 4000)),
        PersonKind::Deputy => (yuan(rng, 3000, 5000), yuan(rng, 2000, 3500)),
        PersonKind::Worker => (yuan(rng, 1500, 3000), yuan(rng, 1000, 2500)),
        PersonKind::Staff | PersonKind::Unauthorized => {
            (yuan(rng, 1500, 4500), yuan(rng, 1000, 4000))
        }
    };
    let base_fen = pos_sala_fen.unwrap_or(0) + grad_sala_fen.unwrap_or(0);
    MonthlyPay {
        pos_sala_fen,
        grad_sala_fen,
        nation_reg_sub_fen: yuan(rng, 800, 2500),
        basc_perf_fen: yuan(rng, 1000, 3000),
        inct_perf_fen: yuan(rng, 300, 2000),
        ret_subs_fen: if rng.chance(1, 5) {
            yuan(rng, 50, 300)
        } else {
            Some(0)
        },
        ded_end_ins_fen: Some(percent_of_fen(base_fen, PENSION_PERCENT)),
        ded_med_ins_fen: Some(percent_of_fen(base_fen, MEDICAL_PERCENT)),
        ded_occ_ant_fen: Some(percent_of_fen(base_fen, OCCUPATIONAL_ANNUITY_PERCENT)),
        ded_hos_fund_fen: Some(percent_of_fen(base_fen, HOUSING_FUND_PERCENT)),
    }
}

/// Appends the Luhn check digit that bank cards carry.
fn with_luhn_digit(digits: &str) -> String {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(index, byte)| {
            let digit = u32::from(byte - b'0');
            if index % 2 == 0 {
                let doubled = digit * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                digit
            }
        })
        .sum();
    format!("{digits}{}", (10 - sum % 10) % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_and_percent() {
        // A published Luhn example: 7992739871 → check digit 3.
        assert_eq!(with_luhn_digit("7992739871"), "79927398713");
        assert_eq!(percent_of_fen(500_000, PENSION_PERCENT), 40_000);
        assert_eq!(percent_of_fen(12_345, MEDICAL_PERCENT), 247);
    }
}
