//! The demo organisation: the region tree of the corps (1 兵团, 14 师, 149 团) and the
//! competent-department trees of budget units in every region.

use fiscus_core::UnifiedSocialCreditCode;
use fiscus_core::rng::DemoRng;

use super::Scale;
use super::names::{STREETS, chinese_numeral, nationality_code, person_name};
use super::templates::{
    DepartmentTemplate, HIGHER_DEPARTMENTS, REGIMENT_DEPARTMENTS, SubUnitTemplate,
};

/// One region (财政区划) with the facts the rest of the generator derives names from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoRegion {
    pub mof_div_code: String,
    pub mof_div_name: String,
    pub parent_mof_div_code: Option<String>,
    pub level_num: i64,
    pub region_path: String,
    /// Prefix of unit names: "兵团", "第一师", "一团".
    pub short_name: String,
    /// 1..=14, 0 for the corps itself.
    pub division_number: usize,
    /// 1.., 0 above regiment level.
    pub regiment_number: usize,
    /// Where its units are: "乌鲁木齐市", "阿拉尔市" ….
    pub city: &'static str,
    /// The bank branch of its units' accounts: "营业部", "阿拉尔支行" ….
    pub bank_branch: &'static str,
    /// Administrative area code most of its people were born in (identity numbers).
    pub birth_area_code: &'static str,
    pub zip: String,
}

/// How a unit's people are made up; decided with the unit so that its staffing numbers
/// (编制数, 实有人数) agree with the persons generated for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StaffPlan {
    /// 人员身份 of the unit's main staff: 1 公务员, 2 参公人员, 3 事业人员.
    pub main_per_ide_code: &'static str,
    pub n_main_authorized: usize,
    /// Main staff outside the establishment (编外).
    pub n_main_unauthorized: usize,
    /// 工勤人员.
    pub n_worker: usize,
    /// 退休人员 still paid through the unit.
    pub n_retired: usize,
    /// The leader (first person) as decided with the unit.
    pub leader_male: bool,
    pub leader_nat_code: &'static str,
}

impl StaffPlan {
    pub fn n_persons(&self) -> usize {
        self.n_main_authorized + self.n_main_unauthorized + self.n_worker + self.n_retired
    }
}

/// One budget unit (预算单位).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoUnit {
    pub agency_code: String,
    pub agency_name: String,
    pub agency_abbreviation: String,
    pub mof_div_code: String,
    pub parent_agency_code: Option<String>,
    pub agency_type: &'static str,
    pub fund_guar: &'static str,
    pub unifsoc_cred_code: String,
    pub agency_leader_per_name: String,
    pub agency_add: String,
    pub zip: String,
    pub admin_staf_num: i64,
    pub inst_staf_num: i64,
    pub worker_staf_num: i64,
    pub actu_staf_num: i64,
    pub agency_path: String,
    /// 1 for a department (一级预算单位), 2 for its units, 3 for their branches.
    pub depth: usize,
    /// Level of its region: 1 兵团, 2 师, 3 团.
    pub region_level: i64,
    pub has_children: bool,
    pub staff: StaffPlan,
}

struct DivisionFacts {
    /// Appended to "第一师" in the region name; empty where no city shares the division.
    city_in_name: &'static str,
    city: &'static str,
    bank_branch: &'static str,
    n_regiments: usize,
    birth_area_code: &'static str,
    zip: &'static str,
}

const fn division(
    city_in_name: &'static str,
    city: &'static str,
    bank_branch: &'static str,
    n_regiments: usize,
    birth_area_code: &'static str,
    zip: &'static str,
) -> DivisionFacts {
    DivisionFacts {
        city_in_name,
        city,
        bank_branch,
        n_regiments,
        birth_area_code,
        zip,
    }
}

/// The 14 divisions in order, with the regiment counts of the demo (149 in total, roughly
/// proportional to the real ones) and the 师市合一 city where there is one.
const DIVISIONS: [DivisionFacts; 14] = [
    division("阿拉尔市", "阿拉尔市", "阿拉尔支行", 16, "659002", "843300"),
    division("铁门关市", "铁门关市", "铁门关支行", 14, "659006", "841000"),
    division(
        "图木舒克市",
        "图木舒克市",
        "图木舒克支行",
        14,
        "659003",
        "843900",
    ),
    division(
        "可克达拉市",
        "可克达拉市",
        "可克达拉支行",
        15,
        "659008",
        "835000",
    ),
    division("双河市", "双河市", "双河支行", 10, "659007", "833400"),
    division("五家渠市", "五家渠市", "五家渠支行", 13, "659004", "831300"),
    division("胡杨河市", "胡杨河市", "胡杨河支行", 10, "659010", "833000"),
    division("石河子市", "石河子市", "石河子支行", 14, "659001", "832000"),
    division("白杨市", "白杨市", "白杨支行", 10, "659012", "834600"),
    division("北屯市", "北屯市", "北屯支行", 10, "659005", "836000"),
    division("", "乌鲁木齐市", "乌鲁木齐支行", 3, "650102", "830000"),
    division("", "乌鲁木齐市", "头屯河支行", 5, "650106", "830000"),
    division("新星市", "新星市", "新星支行", 8, "659011", "839000"),
    division("昆玉市", "昆玉市", "昆玉支行", 7, "659009", "848000"),
];

pub const CORPS_CODE: &str = "660000000";
pub const CORPS_NAME: &str = "新疆生产建设兵团";
/// 1 corps, 14 divisions, 149 regiments.
pub const N_REGIONS: usize = 1 + 14 + 149;

/// The region tree, parents before children. Needs no randomness.
pub fn regions() -> Vec<DemoRegion> {
    let corps_path = format!("/{CORPS_CODE}/");
    let mut regions = vec![DemoRegion {
        mof_div_code: CORPS_CODE.to_owned(),
        mof_div_name: CORPS_NAME.to_owned(),
        parent_mof_div_code: None,
        level_num: 1,
        region_path: corps_path.clone(),
        short_name: "兵团".to_owned(),
        division_number: 0,
        regiment_number: 0,
        city: "乌鲁木齐市",
        bank_branch: "营业部",
        birth_area_code: "650102",
        zip: "830002".to_owned(),
    }];
    for (index, facts) in DIVISIONS.iter().enumerate() {
        let division_number = index + 1;
        let division_code = format!("66{division_number:02}00000");
        let division_short = format!("第{}师", chinese_numeral(division_number));
        let division_path = format!("{corps_path}{division_code}/");
        for regiment_number in 1..=facts.n_regiments {
            let regiment_short = format!("{}团", chinese_numeral(regiment_number));
            let regiment_code = format!("66{division_number:02}{regiment_number:02}000");
            regions.push(DemoRegion {
                mof_div_code: regiment_code.clone(),
                mof_div_name: format!("{division_short}{regiment_short}"),
                parent_mof_div_code: Some(division_code.clone()),
                level_num: 3,
                region_path: format!("{division_path}{regiment_code}/"),
                short_name: regiment_short,
                division_number,
                regiment_number,
                city: facts.city,
                bank_branch: facts.bank_branch,
                birth_area_code: facts.birth_area_code,
                zip: format!("{}{regiment_number:02}", &facts.zip[..4]),
            });
        }
        regions.push(DemoRegion {
            mof_div_code: division_code,
            mof_div_name: format!("{division_short}{}", facts.city_in_name),
            parent_mof_div_code: Some(CORPS_CODE.to_owned()),
            level_num: 2,
            region_path: division_path,
            short_name: division_short,
            division_number,
            regiment_number: 0,
            city: facts.city,
            bank_branch: facts.bank_branch,
            birth_area_code: facts.birth_area_code,
            zip: facts.zip.to_owned(),
        });
    }
    // Parents first (for the foreign keys of chunked inserts), then by code.
    regions.sort_by(|a, b| (a.level_num, &a.mof_div_code).cmp(&(b.level_num, &b.mof_div_code)));
    debug_assert_eq!(regions.len(), N_REGIONS);
    regions
}

/// How many units a region of a level gets at a scale.
struct LevelShape {
    departments_min: u64,
    departments_max: u64,
    children_min: u64,
    children_max: u64,
    /// Chance (numerator, denominator) that a unit with branch templates gets branches.
    branch_chance: (u64, u64),
    branches_max: u64,
    persons_min: u64,
    persons_max: u64,
}

fn level_shape(scale: Scale, level_num: i64) -> LevelShape {
    let (persons_min, persons_max) = match scale {
        Scale::Small => (3, 4),
        Scale::Corps => (3, 17),
    };
    let shape = |departments: (u64, u64),
                 children: (u64, u64),
                 branch_chance: (u64, u64),
                 branches_max: u64| LevelShape {
        departments_min: departments.0,
        departments_max: departments.1,
        children_min: children.0,
        children_max: children.1,
        branch_chance,
        branches_max,
        persons_min,
        persons_max,
    };
    match (scale, level_num) {
        (Scale::Small, 1) => shape((6, 6), (1, 2), (1, 3), 1),
        (Scale::Small, 2) => shape((4, 4), (1, 2), (1, 8), 1),
        (Scale::Small, _) => shape((1, 1), (1, 1), (0, 1), 0),
        (Scale::Corps, 1) => shape((32, 32), (2, 6), (1, 3), 2),
        (Scale::Corps, 2) => shape((22, 26), (1, 4), (1, 6), 2),
        (Scale::Corps, _) => shape((8, 10), (1, 3), (0, 1), 0),
    }
}

/// Every unit of every region, each department followed by its subtree.
pub fn units(scale: Scale, regions: &[DemoRegion], rng: &mut DemoRng) -> Vec<DemoUnit> {
    let mut units = Vec::new();
    for region in regions {
        let shape = level_shape(scale, region.level_num);
        let templates = if region.level_num == 3 {
            REGIMENT_DEPARTMENTS
        } else {
            HIGHER_DEPARTMENTS
        };
        let n_departments =
            (rng.range(shape.departments_min, shape.departments_max) as usize).min(templates.len());
        let mut builder = TreeBuilder {
            region,
            shape: &shape,
            rng: &mut *rng,
            units: &mut units,
        };
        for (department_index, template) in templates.iter().take(n_departments).enumerate() {
            builder.department(template, department_index);
        }
    }
    units
}

/// Builds the unit trees of one region.
struct TreeBuilder<'a> {
    region: &'a DemoRegion,
    shape: &'a LevelShape,
    rng: &'a mut DemoRng,
    units: &'a mut Vec<DemoUnit>,
}

impl TreeBuilder<'_> {
    /// Adds a unit and returns its position.
    fn push(&mut self, facts: UnitFacts) -> usize {
        let unit = new_unit(self.region, facts, self.shape, self.rng);
        self.units.push(unit);
        self.units.len() - 1
    }

    /// A department, numbered from 101 in its region, and its subtree.
    fn department(&mut self, template: &DepartmentTemplate, department_index: usize) {
        let stem = if self.region.level_num == 1 {
            template.corps_stem
        } else {
            template.stem
        };
        let code = format!(
            "{}{:03}",
            &self.region.mof_div_code[..6],
            101 + department_index
        );
        let path = format!("/{code}/");
        let department = UnitFacts {
            code: code.clone(),
            name: format!("{}{stem}", self.region.short_name),
            abbreviation: stem.to_owned(),
            parent: None,
            agency_type: template.agency_type,
            fund_guar: template.fund_guar,
            path: path.clone(),
            depth: 1,
        };
        let position = self.push(department);
        let n_children_wanted =
            self.rng
                .range(self.shape.children_min, self.shape.children_max) as usize;
        let children = child_templates(template, n_children_wanted);
        self.units[position].has_children = !children.is_empty();
        for (child_index, (child, ordinal)) in children.into_iter().enumerate() {
            self.child(&code, &path, child, child_index, ordinal);
        }
    }

    /// A unit under a department, numbered from 001, and its branches if it gets any.
    fn child(
        &mut self,
        department_code: &str,
        department_path: &str,
        child: &SubUnitTemplate,
        child_index: usize,
        ordinal: Option<usize>,
    ) {
        let code = format!("{department_code}{:03}", child_index + 1);
        let stem = match ordinal {
            Some(ordinal) => format!("第{}{}", chinese_numeral(ordinal), child.stem),
            None => child.stem.to_owned(),
        };
        let name = format!("{}{stem}", self.region.short_name);
        let path = format!("{department_path}{code}/");
        let (chance_numerator, chance_denominator) = self.shape.branch_chance;
        let n_branches = if child.branches.is_empty()
            || !self.rng.chance(chance_numerator, chance_denominator)
        {
            0
        } else {
            self.rng
                .range(1, self.shape.branches_max.max(1))
                .min(child.branches.len() as u64) as usize
        };
        let facts = UnitFacts {
            code: code.clone(),
            name: name.clone(),
            abbreviation: stem,
            parent: Some(department_code.to_owned()),
            agency_type: child.agency_type,
            fund_guar: child.fund_guar,
            path: path.clone(),
            depth: 2,
        };
        let position = self.push(facts);
        self.units[position].has_children = n_branches > 0;
        for (branch_index, suffix) in child.branches.iter().take(n_branches).enumerate() {
            let branch_code = format!("{code}{:03}", branch_index + 1);
            let branch = UnitFacts {
                code: branch_code.clone(),
                name: format!("{name}{suffix}"),
                abbreviation: (*suffix).to_owned(),
                parent: Some(code.clone()),
                agency_type: child.agency_type,
                fund_guar: child.fund_guar,
                path: format!("{path}{branch_code}/"),
                depth: 3,
            };
            self.push(branch);
        }
    }
}

/// The sub-unit templates a department gets, `n_wanted` at most: each template once, then
/// more of the numbered kinds (schools, clinics) with their ordinal (第一, 第二 …).
fn child_templates(
    template: &DepartmentTemplate,
    n_wanted: usize,
) -> Vec<(&SubUnitTemplate, Option<usize>)> {
    let numbered: Vec<&SubUnitTemplate> = template
        .children
        .iter()
        .filter(|child| child.numbered)
        .collect();
    let mut chosen: Vec<(&SubUnitTemplate, Option<usize>)> = template
        .children
        .iter()
        .take(n_wanted)
        .map(|child| (child, child.numbered.then_some(1)))
        .collect();
    let mut round = 2;
    while chosen.len() < n_wanted && !numbered.is_empty() {
        for child in numbered.iter().take(n_wanted - chosen.len()) {
            chosen.push((child, Some(round)));
        }
        round += 1;
    }
    chosen
}

struct UnitFacts {
    code: String,
    name: String,
    abbreviation: String,
    parent: Option<String>,
    agency_type: &'static str,
    fund_guar: &'static str,
    path: String,
    depth: usize,
}

/// The 31 characters of GB 32100 codes.
const USCC_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

fn new_unit(
    region: &DemoRegion,
    facts: UnitFacts,
    shape: &LevelShape,
    rng: &mut DemoRng,
) -> DemoUnit {
    let staff = staff_plan(
        facts.agency_type,
        rng.range(shape.persons_min, shape.persons_max) as usize,
        rng,
    );
    let leader_name = person_name(rng, staff.leader_nat_code, staff.leader_male);
    let registration = if facts.agency_type == "1" { "11" } else { "12" };
    let body: String = (0..9).map(|_| *rng.pick(USCC_ALPHABET) as char).collect();
    let first17 = format!("{registration}{}{body}", &region.mof_div_code[..6]);
    let unifsoc_cred_code = UnifiedSocialCreditCode::with_check_char(&first17)
        .map(|code| code.into_string())
        .unwrap_or_default();
    let street_address = format!("{}{}号", rng.pick(STREETS), rng.range(1, 300));
    let agency_add = match region.level_num {
        3 => format!("新疆{}{}{street_address}", region.city, region.short_name),
        _ => format!("新疆{}{street_address}", region.city),
    };
    let vacancies = rng.range(0, 2) as usize;
    let main_establishment = (staff.n_main_authorized + vacancies) as i64;
    let is_administrative = facts.agency_type == "1";
    DemoUnit {
        agency_code: facts.code,
        agency_name: facts.name,
        agency_abbreviation: facts.abbreviation,
        mof_div_code: region.mof_div_code.clone(),
        parent_agency_code: facts.parent,
        agency_type: facts.agency_type,
        fund_guar: facts.fund_guar,
        unifsoc_cred_code,
        agency_leader_per_name: leader_name,
        agency_add,
        zip: region.zip.clone(),
        admin_staf_num: if is_administrative {
            main_establishment
        } else {
            0
        },
        inst_staf_num: if is_administrative {
            0
        } else {
            main_establishment
        },
        worker_staf_num: staff.n_worker as i64,
        actu_staf_num: (staff.n_main_authorized + staff.n_main_unauthorized + staff.n_worker)
            as i64,
        agency_path: facts.path,
        depth: facts.depth,
        region_level: region.level_num,
        has_children: false,
        staff,
    }
}

fn staff_plan(agency_type: &str, n_persons: usize, rng: &mut DemoRng) -> StaffPlan {
    let main_per_ide_code = match agency_type {
        "1" => "1",
        "2" => "2",
        _ => "3",
    };
    let n_retired = if n_persons >= 5 && rng.chance(1, 4) {
        1
    } else {
        0
    };
    let n_worker = rng.range(0, (n_persons / 5) as u64) as usize;
    let n_main_unauthorized = rng.range(0, (n_persons / 7) as u64) as usize;
    let leader_male = rng.chance(7, 10);
    let leader_nat_code = nationality_code(rng);
    StaffPlan {
        main_per_ide_code,
        n_main_authorized: n_persons - n_retired - n_worker - n_main_unauthorized,
        n_main_unauthorized,
        n_worker,
        n_retired,
        leader_male,
        leader_nat_code,
    }
}
