//! Demo bank accounts of the units (a zero-balance account for every unit, a basic deposit
//! account for most) and the 2026 expenditure standards (支出标准) of the corps and a few
//! divisions.

use std::collections::HashMap;

use fiscus_core::masterdata::ACC_TYPE_ZERO_BALANCE;
use fiscus_core::rng::DemoRng;

use super::tree::{CORPS_CODE, DemoRegion, DemoUnit};
use super::{hex_id, random_digits};

/// 银行存款账户 (the unit's basic account) in the `acc_type` code table.
pub const ACC_TYPE_BANK_DEPOSIT: &str = "95";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoAccount {
    pub account_id: String,
    pub agency_code: String,
    pub mof_div_code: String,
    pub acc_type_code: &'static str,
    pub account_no: String,
    pub account_name: String,
    pub bank_name: String,
    pub bank_code: String,
}

struct Bank {
    name: &'static str,
    /// First three digits of its CNAPS codes.
    cnaps_class: &'static str,
    account_no_len: usize,
    /// Chance out of 100 of being a unit's agent bank.
    weight: u64,
}

const BANKS: &[Bank] = &[
    Bank {
        name: "中国农业银行",
        cnaps_class: "103",
        account_no_len: 19,
        weight: 50,
    },
    Bank {
        name: "中国建设银行",
        cnaps_class: "105",
        account_no_len: 16,
        weight: 25,
    },
    Bank {
        name: "中国工商银行",
        cnaps_class: "102",
        account_no_len: 19,
        weight: 15,
    },
    Bank {
        name: "中国银行",
        cnaps_class: "104",
        account_no_len: 17,
        weight: 10,
    },
];

fn pick_bank(rng: &mut DemoRng) -> &'static Bank {
    let mut draw = rng.range(0, 99);
    for bank in BANKS {
        if draw < bank.weight {
            return bank;
        }
        draw -= bank.weight;
    }
    &BANKS[0]
}

/// The 12-digit CNAPS-style code of a bank's branch: bank class, a city code of the 88xx
/// range by division, the branch number and a check digit.
fn bank_code(bank: &Bank, region: &DemoRegion) -> String {
    let body = format!(
        "{}{:04}{:04}",
        bank.cnaps_class,
        8810 + region.division_number,
        1 + region.division_number
    );
    let digit_sum: u32 = body.bytes().map(|byte| u32::from(byte - b'0')).sum();
    format!("{body}{}", digit_sum % 10)
}

fn account(
    unit: &DemoUnit,
    region: &DemoRegion,
    acc_type_code: &'static str,
    rng: &mut DemoRng,
) -> DemoAccount {
    let bank = pick_bank(rng);
    let first_digit = rng.range(1, 9);
    DemoAccount {
        account_id: hex_id(rng),
        agency_code: unit.agency_code.clone(),
        mof_div_code: unit.mof_div_code.clone(),
        acc_type_code,
        account_no: format!(
            "{first_digit}{}",
            random_digits(rng, bank.account_no_len - 1)
        ),
        account_name: unit.agency_name.clone(),
        bank_name: format!("{}兵团分行{}", bank.name, region.bank_branch),
        bank_code: bank_code(bank, region),
    }
}

/// Every unit's zero-balance account, and a basic account for about nine units in ten.
pub fn accounts(units: &[DemoUnit], regions: &[DemoRegion], rng: &mut DemoRng) -> Vec<DemoAccount> {
    let regions_by_code: HashMap<&str, &DemoRegion> = regions
        .iter()
        .map(|region| (region.mof_div_code.as_str(), region))
        .collect();
    let mut accounts = Vec::with_capacity(units.len() * 2);
    for unit in units {
        let Some(region) = regions_by_code.get(unit.mof_div_code.as_str()) else {
            continue;
        };
        accounts.push(account(unit, region, ACC_TYPE_ZERO_BALANCE, rng));
        if rng.chance(9, 10) {
            accounts.push(account(unit, region, ACC_TYPE_BANK_DEPOSIT, rng));
        }
    }
    accounts
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoStandard {
    pub std_id: String,
    pub mof_div_code: String,
    pub region_path: String,
    pub std_code: String,
    pub std_name: String,
    pub std_type_code: &'static str,
    pub dep_bgt_eco_code: &'static str,
    pub agency_type: Option<&'static str>,
    pub per_ide_code: Option<&'static str>,
    pub amount_fen: i64,
    pub remark: Option<String>,
}

pub const STANDARD_YEAR: i64 = 2026;

/// One row of a standard: department economic classification, its name, 元 per person per year.
type StandardItem = (&'static str, &'static str, i64);

/// The standards of one kind for one group: a 人员身份 (personnel) or an 单位类型 (public use).
struct StandardGroup {
    std_type_code: &'static str,
    /// Prefix of the std_code: RY 人员经费, GY 公用经费.
    code_prefix: &'static str,
    /// per_ide_code for personnel standards, agency_type for public-use standards.
    applies_to: &'static str,
    applies_to_name: &'static str,
    items: &'static [StandardItem],
}

const fn personnel(
    per_ide_code: &'static str,
    name: &'static str,
    items: &'static [StandardItem],
) -> StandardGroup {
    StandardGroup {
        std_type_code: "1",
        code_prefix: "RY",
        applies_to: per_ide_code,
        applies_to_name: name,
        items,
    }
}

const fn public_use(
    agency_type: &'static str,
    name: &'static str,
    items: &'static [StandardItem],
) -> StandardGroup {
    StandardGroup {
        std_type_code: "2",
        code_prefix: "GY",
        applies_to: agency_type,
        applies_to_name: name,
        items,
    }
}

/// The corps-level standards of 2026 (人员经费 by 人员身份, then 公用经费 by 单位类型).
#[rustfmt::skip]
const CORPS_STANDARDS: &[StandardGroup] = &[
    personnel("1", "公务员", &[
        ("30101", "基本工资", 48_000), ("30102", "津贴补贴", 36_000), ("30103", "奖金", 4_000),
        ("30108", "基本养老保险缴费", 7_700), ("30110", "职工基本医疗保险缴费", 3_400), ("30113", "住房公积金", 5_800),
    ]),
    personnel("2", "参公人员", &[
        ("30101", "基本工资", 46_000), ("30102", "津贴补贴", 34_000), ("30103", "奖金", 3_800),
        ("30108", "基本养老保险缴费", 7_400), ("30110", "职工基本医疗保险缴费", 3_200), ("30113", "住房公积金", 5_500),
    ]),
    personnel("3", "事业人员", &[
        ("30101", "基本工资", 44_000), ("30102", "津贴补贴", 18_000), ("30107", "绩效工资", 30_000),
        ("30108", "基本养老保险缴费", 7_000), ("30110", "职工基本医疗保险缴费", 3_000), ("30113", "住房公积金", 5_300),
    ]),
    personnel("4", "工勤人员", &[
        ("30101", "基本工资", 36_000), ("30102", "津贴补贴", 15_000), ("30107", "绩效工资", 20_000),
        ("30108", "基本养老保险缴费", 5_700), ("30110", "职工基本医疗保险缴费", 2_500), ("30113", "住房公积金", 4_300),
    ]),
    public_use("1", "行政单位", &[("30201", "办公费", 3_000), ("30211", "差旅费", 2_500), ("30229", "福利费", 1_200), ("30231", "公务用车运行维护费", 1_500)]),
    public_use("2", "参公管理事业单位", &[("30201", "办公费", 2_600), ("30211", "差旅费", 2_000), ("30229", "福利费", 1_100), ("30231", "公务用车运行维护费", 1_000)]),
    public_use("3", "事业单位", &[("30201", "办公费", 2_000), ("30211", "差旅费", 1_500), ("30229", "福利费", 1_000)]),
];

/// Divisions whose standards differ from the corps's, and by how much (in percent).
const DIVISION_OVERRIDES: &[(&str, i64, &str)] = &[
    (
        "660800000",
        105,
        "师市合一城区物价水平较高，津贴补贴标准上浮 5%",
    ),
    ("661400000", 110, "南疆艰苦边远地区，津贴补贴标准上浮 10%"),
];

/// The corps-level standards, then each division override of the 津贴补贴 rows.
pub fn standards(rng: &mut DemoRng) -> Vec<DemoStandard> {
    let corps_path = format!("/{CORPS_CODE}/");
    let mut standards = Vec::new();
    let mut numbers: HashMap<&str, usize> = HashMap::new();
    for group in CORPS_STANDARDS {
        let personnel = group.std_type_code == "1";
        for (eco_code, eco_name, yuan) in group.items {
            let number = numbers.entry(group.code_prefix).or_insert(0);
            *number += 1;
            standards.push(DemoStandard {
                std_id: hex_id(rng),
                mof_div_code: CORPS_CODE.to_owned(),
                region_path: corps_path.clone(),
                std_code: format!("{}{number:03}", group.code_prefix),
                std_name: format!("{}{eco_name}标准", group.applies_to_name),
                std_type_code: group.std_type_code,
                dep_bgt_eco_code: eco_code,
                agency_type: (!personnel).then_some(group.applies_to),
                per_ide_code: personnel.then_some(group.applies_to),
                amount_fen: yuan * 100,
                remark: None,
            });
        }
    }
    let allowance_rows: Vec<DemoStandard> = standards
        .iter()
        .filter(|standard| standard.dep_bgt_eco_code == "30102")
        .cloned()
        .collect();
    for (division_code, percent, remark) in DIVISION_OVERRIDES {
        for corps_row in &allowance_rows {
            standards.push(DemoStandard {
                std_id: hex_id(rng),
                mof_div_code: (*division_code).to_owned(),
                region_path: format!("{corps_path}{division_code}/"),
                amount_fen: corps_row.amount_fen * percent / 100,
                remark: Some((*remark).to_owned()),
                ..corps_row.clone()
            });
        }
    }
    standards
}
