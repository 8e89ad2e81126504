//! The shape of every master-data record kind, as data: fields, Chinese labels, types, which
//! may be searched, sorted, filtered and edited. The store builds its whitelisted SQL from it,
//! the web layer its lists, forms, Excel exports and OpenAPI schemas, the application its
//! Excel import templates, the validation its generic checks — so a field is declared once.

use crate::role::Resource;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    Int,
    /// An amount in fen; entered and shown in 元.
    Money,
    Bool,
    /// A code of the named element (code table) for the record's fiscal year.
    Code(&'static str),
    /// A `mof_div_code`.
    Region,
    /// An `agency_code`.
    Agency,
    Year,
    /// Write-only input that is never stored as entered (a password, an identity number).
    Secret,
    /// Role codes separated by commas.
    Roles,
    Timestamp,
}

/// When a field may be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edit {
    /// Derived or maintained by the system.
    Never,
    /// Given when the record is created, fixed afterwards (codes, keys).
    CreateOnly,
    /// May be changed by an edit.
    Always,
}

#[derive(Clone, Copy, Debug)]
pub struct FieldSpec {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: FieldKind,
    pub required: bool,
    pub length_max: usize,
    pub edit: Edit,
    /// Shown as a column of the list.
    pub list: bool,
    /// Matched by the list's free-text search.
    pub search: bool,
    /// The list may be sorted by it.
    pub sort: bool,
    /// The list may be filtered by exact value.
    pub filter: bool,
}

#[derive(Debug)]
pub struct EntitySpec {
    /// URL and API name: `agencies`.
    pub name: &'static str,
    pub label: &'static str,
    pub table: &'static str,
    pub key: &'static str,
    pub resource: Resource,
    pub fields: &'static [FieldSpec],
    /// Column the list is sorted by when the user asks for nothing else.
    pub default_sort: &'static str,
    pub scoping: Scoping,
}

/// How the data scope of a user applies to a record kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scoping {
    /// The region tree itself: a bureau sees its subtree, a unit its own region.
    RegionTree,
    /// Records of a region and optionally a unit (`mof_div_code`, `agency_code` columns).
    Org,
    /// Standards set at a level apply below it: visible in the subtree and on the path up.
    RegionAndAncestors,
    /// National code tables: everyone reads them.
    Global,
}

impl EntitySpec {
    pub fn field(&self, name: &str) -> Option<&'static FieldSpec> {
        self.fields.iter().find(|field| field.name == name)
    }

    /// Columns that exist in the table (everything but write-only inputs).
    pub fn stored_fields(&self) -> impl Iterator<Item = &'static FieldSpec> {
        self.fields
            .iter()
            .filter(|field| field.kind != FieldKind::Secret)
    }

    pub fn list_fields(&self) -> impl Iterator<Item = &'static FieldSpec> {
        self.fields.iter().filter(|field| field.list)
    }

    pub fn by_name(name: &str) -> Option<&'static EntitySpec> {
        ALL.iter().copied().find(|spec| spec.name == name)
    }
}

const fn field(name: &'static str, label: &'static str, kind: FieldKind) -> FieldSpec {
    let length_max = match kind {
        FieldKind::Region => 9,
        FieldKind::Agency => 21,
        FieldKind::Code(_) => 21,
        _ => 100,
    };
    FieldSpec {
        name,
        label,
        kind,
        required: false,
        length_max,
        edit: Edit::Always,
        list: false,
        search: false,
        sort: false,
        filter: false,
    }
}

impl FieldSpec {
    const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    const fn max(mut self, length_max: usize) -> Self {
        self.length_max = length_max;
        self
    }
    const fn create_only(mut self) -> Self {
        self.edit = Edit::CreateOnly;
        self
    }
    const fn derived(mut self) -> Self {
        self.edit = Edit::Never;
        self
    }
    /// Listed and sortable.
    const fn listed(mut self) -> Self {
        self.list = true;
        self.sort = true;
        self
    }
    const fn searched(mut self) -> Self {
        self.search = true;
        self
    }
    const fn filtered(mut self) -> Self {
        self.filter = true;
        self
    }
}

use FieldKind::*;

const ENABLED: FieldSpec = field("is_enabled", "状态", Bool)
    .derived()
    .listed()
    .filtered();
const UPDATED_AT: FieldSpec = field("updated_at", "修改时间", Timestamp).derived();
const UPDATED_BY: FieldSpec = field("updated_by", "修改人", Text).derived();

pub static REGION: EntitySpec = EntitySpec {
    scoping: Scoping::RegionTree,
    name: "regions",
    label: "财政区划",
    table: "region",
    key: "mof_div_code",
    resource: Resource::Region,
    default_sort: "mof_div_code",
    fields: &[
        field("mof_div_code", "区划代码", Region)
            .required()
            .create_only()
            .listed()
            .searched(),
        field("mof_div_name", "区划名称", Text)
            .required()
            .max(60)
            .listed()
            .searched(),
        field("parent_mof_div_code", "上级区划", Region)
            .create_only()
            .listed()
            .filtered(),
        field("level_num", "层级", Int)
            .derived()
            .listed()
            .filtered(),
        field("remark", "备注", Text).max(200),
        ENABLED,
        UPDATED_AT,
        UPDATED_BY,
    ],
};

pub static AGENCY: EntitySpec = EntitySpec {
    scoping: Scoping::Org,
    name: "agencies",
    label: "预算单位",
    table: "agency",
    key: "agency_code",
    resource: Resource::Agency,
    default_sort: "agency_code",
    fields: &[
        field("agency_code", "单位代码", Agency)
            .required()
            .create_only()
            .listed()
            .searched(),
        field("agency_name", "单位名称", Text)
            .required()
            .listed()
            .searched(),
        field("agency_abbreviation", "单位简称", Text).max(30),
        field("mof_div_code", "财政区划", Region)
            .required()
            .create_only()
            .listed()
            .filtered(),
        field("parent_agency_code", "主管部门（上级单位）", Agency)
            .listed()
            .filtered(),
        field("agency_type", "单位类型", Code("agency_type"))
            .required()
            .listed()
            .filtered(),
        field("fund_guar", "经费供给方式", Code("fund_guar"))
            .required()
            .listed()
            .filtered(),
        field("unifsoc_cred_code", "统一社会信用代码", Text)
            .max(18)
            .searched(),
        field("agency_leader_per_name", "单位负责人", Text).max(30),
        field("agency_add", "单位地址", Text).max(200),
        field("zip", "邮政编码", Text).max(6),
        field("admin_staf_num", "行政编制数", Int),
        field("inst_staf_num", "事业编制数", Int),
        field("worker_staf_num", "工勤编制数", Int),
        field("actu_staf_num", "实有人数", Int).listed(),
        ENABLED,
        UPDATED_AT,
        UPDATED_BY,
    ],
};

pub static AGENCY_ACCOUNT: EntitySpec = EntitySpec {
    scoping: Scoping::Org,
    name: "accounts",
    label: "单位银行账户",
    table: "agency_account",
    key: "account_id",
    resource: Resource::AgencyAccount,
    default_sort: "agency_code",
    fields: &[
        field("account_id", "账户标识", Text).derived(),
        field("agency_code", "单位代码", Agency)
            .required()
            .create_only()
            .listed()
            .filtered(),
        field("mof_div_code", "财政区划", Region)
            .derived()
            .filtered(),
        field("acc_type_code", "账户类型", Code("acc_type"))
            .required()
            .listed()
            .filtered(),
        field("account_no", "账号", Text)
            .required()
            .max(32)
            .listed()
            .searched(),
        field("account_name", "户名", Text)
            .required()
            .listed()
            .searched(),
        field("bank_name", "开户银行", Text)
            .required()
            .listed()
            .searched(),
        field("bank_code", "银行行号", Text).max(12),
        ENABLED,
        UPDATED_AT,
        UPDATED_BY,
    ],
};

pub static PERSON: EntitySpec = EntitySpec {
    scoping: Scoping::Org,
    name: "persons",
    label: "人员",
    table: "person",
    key: "per_id",
    resource: Resource::Person,
    default_sort: "agency_code",
    fields: &[
        field("per_id", "人员标识", Text).derived(),
        field("agency_code", "所在单位", Agency)
            .required()
            .listed()
            .filtered(),
        field("mof_div_code", "财政区划", Region)
            .derived()
            .filtered(),
        field("per_name", "姓名", Text)
            .required()
            .max(50)
            .listed()
            .searched(),
        field("iden_type_code", "证件类型", Code("iden_type")).required(),
        field("iden_no", "证件号码", Secret).required().max(30),
        field("iden_no_masked", "证件号码", Text).derived().listed(),
        field("sex_code", "性别", Code("sex"))
            .required()
            .listed()
            .filtered(),
        field("nat_code", "民族", Code("nat")),
        field("per_ide_code", "人员身份", Code("per_ide"))
            .required()
            .listed()
            .filtered(),
        field("per_sta_code", "人员状态", Code("per_sta"))
            .required()
            .listed()
            .filtered(),
        field("pos_code", "职务", Code("pos_code")),
        field("gr_code", "职级", Code("gr_code")),
        field("is_auth", "是否在编", Bool).listed().filtered(),
        field("is_uni_sala", "是否工资统发", Bool),
        field("pos_sala", "职务（岗位）工资（元/月）", Money),
        field("grad_sala", "级别（薪级）工资（元/月）", Money),
        field("nation_reg_sub", "国家规定津补贴（元/月）", Money),
        field("basc_perf", "基础性绩效（元/月）", Money),
        field("inct_perf", "奖励性绩效（元/月）", Money),
        field("ret_subs", "保留补贴（元/月）", Money),
        field("ded_end_ins", "养老保险个人缴费（元/月）", Money),
        field("ded_med_ins", "医疗保险个人缴费（元/月）", Money),
        field("ded_occ_ant", "职业年金个人缴费（元/月）", Money),
        field("ded_hos_fund", "住房公积金个人缴费（元/月）", Money),
        field("sala_card_no", "工资卡号", Text).max(32),
        ENABLED,
        UPDATED_AT,
        UPDATED_BY,
    ],
};

pub static CODE_ITEM: EntitySpec = EntitySpec {
    scoping: Scoping::Global,
    name: "codes",
    label: "要素编码",
    table: "code_item",
    key: "item_id",
    resource: Resource::CodeItem,
    default_sort: "code",
    fields: &[
        field("item_id", "编码标识", Text).derived(),
        field("element_code", "要素", Text)
            .required()
            .create_only()
            .max(30)
            .listed()
            .filtered(),
        field("fiscal_year", "年度", Year)
            .required()
            .create_only()
            .listed()
            .filtered(),
        field("code", "编码", Text)
            .required()
            .create_only()
            .max(21)
            .listed()
            .searched(),
        field("name", "名称", Text).required().listed().searched(),
        field("parent_code", "上级编码", Text)
            .create_only()
            .max(21)
            .listed()
            .filtered(),
        field("level_num", "级次", Int)
            .derived()
            .listed()
            .filtered(),
        field("is_local", "地方扩展", Bool)
            .derived()
            .listed()
            .filtered(),
        ENABLED,
        UPDATED_AT,
        UPDATED_BY,
    ],
};

pub static CODE_MAPPING: EntitySpec = EntitySpec {
    scoping: Scoping::Global,
    name: "code-mappings",
    label: "新旧科目对照",
    table: "code_mapping",
    key: "mapping_id",
    resource: Resource::CodeMapping,
    default_sort: "from_code",
    fields: &[
        field("mapping_id", "对照标识", Text).derived(),
        field("element_code", "要素", Text)
            .required()
            .create_only()
            .max(30)
            .listed()
            .filtered(),
        field("from_year", "原年度", Year)
            .required()
            .create_only()
            .listed()
            .filtered(),
        field("from_code", "原编码", Text)
            .required()
            .max(21)
            .listed()
            .searched(),
        field("to_year", "新年度", Year)
            .required()
            .create_only()
            .listed()
            .filtered(),
        field("to_code", "新编码", Text)
            .required()
            .max(21)
            .listed()
            .searched(),
        field("remark", "说明", Text).max(200).listed(),
        ENABLED,
        UPDATED_AT,
        UPDATED_BY,
    ],
};

pub static STANDARD: EntitySpec = EntitySpec {
    scoping: Scoping::RegionAndAncestors,
    name: "standards",
    label: "支出标准",
    table: "exp_standard",
    key: "std_id",
    resource: Resource::Standard,
    default_sort: "std_code",
    fields: &[
        field("std_id", "标准标识", Text).derived(),
        field("mof_div_code", "财政区划", Region)
            .required()
            .create_only()
            .listed()
            .filtered(),
        field("fiscal_year", "年度", Year)
            .required()
            .create_only()
            .listed()
            .filtered(),
        field("std_code", "标准编码", Text)
            .required()
            .create_only()
            .max(20)
            .listed()
            .searched(),
        field("std_name", "标准名称", Text)
            .required()
            .listed()
            .searched(),
        field("std_type_code", "标准类别", Code("std_type"))
            .required()
            .listed()
            .filtered(),
        field("dep_bgt_eco_code", "部门经济分类", Code("dep_bgt_eco"))
            .required()
            .listed()
            .filtered(),
        field("agency_type", "适用单位类型", Code("agency_type"))
            .listed()
            .filtered(),
        field("per_ide_code", "适用人员身份", Code("per_ide"))
            .listed()
            .filtered(),
        field("amount_fen", "标准金额（元/人·年）", Money)
            .required()
            .listed(),
        field("remark", "说明", Text).max(200),
        ENABLED,
        UPDATED_AT,
        UPDATED_BY,
    ],
};

pub static USER: EntitySpec = EntitySpec {
    scoping: Scoping::Org,
    name: "users",
    label: "用户",
    table: "app_user",
    key: "user_name",
    resource: Resource::User,
    default_sort: "user_name",
    fields: &[
        field("user_name", "用户名", Text)
            .required()
            .create_only()
            .max(32)
            .listed()
            .searched(),
        field("display_name", "姓名", Text)
            .required()
            .max(50)
            .listed()
            .searched(),
        field("mof_div_code", "所属区划", Region)
            .required()
            .create_only()
            .listed()
            .filtered(),
        field("agency_code", "所属单位", Agency)
            .create_only()
            .listed()
            .filtered(),
        field("roles", "角色", Roles)
            .required()
            .max(200)
            .listed()
            .filtered(),
        field("phone", "联系电话", Text).max(20),
        field("password", "初始密码", Secret).required().max(128),
        field("must_change_password", "须修改密码", Bool).derived(),
        field("last_login_at", "最近登录", Timestamp)
            .derived()
            .listed(),
        ENABLED,
        UPDATED_AT,
        UPDATED_BY,
    ],
};

pub static ALL: [&EntitySpec; 8] = [
    &REGION,
    &AGENCY,
    &AGENCY_ACCOUNT,
    &PERSON,
    &CODE_ITEM,
    &CODE_MAPPING,
    &STANDARD,
    &USER,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_are_consistent() {
        for spec in ALL {
            assert!(spec.field(spec.key).is_some(), "{}: key", spec.name);
            assert!(
                spec.field(spec.default_sort)
                    .is_some_and(|field| field.sort),
                "{}: default sort",
                spec.name
            );
            let mut names: Vec<_> = spec.fields.iter().map(|field| field.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(
                names.len(),
                spec.fields.len(),
                "{}: duplicate field",
                spec.name
            );
            for field in spec.fields {
                assert!(
                    !(field.kind == FieldKind::Secret && field.list),
                    "{}.{} secret listed",
                    spec.name,
                    field.name
                );
            }
        }
    }
}
