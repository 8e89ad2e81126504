//! Validation of master-data commands: the generic field checks driven by `schema`, then the
//! rules of each record kind that need no database. Checks that need stored facts (does the
//! parent exist, is the code in that year's table) are made by the application with the
//! helpers at the bottom of this file.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::code::{
    AccountNo, AgencyCode, BankCode, FiscalYear, IdentityNumber, MofDivCode,
    UnifiedSocialCreditCode, UserName,
};
use crate::money::Fen;
use crate::rejection::Rejection;
use crate::role::{OrgKind, RoleSet};
use crate::schema::{Edit, EntitySpec, FieldKind, FieldSpec};

/// A stored value of one field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Null,
    Text(String),
    Int(i64),
    Bool(bool),
}

impl Value {
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(value) => Some(*value),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(value) => Some(*value),
            _ => None,
        }
    }

    /// Plain text for history, Excel and forms (money stays in fen here; views format it).
    pub fn display(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Text(text) => text.clone(),
            Value::Int(value) => value.to_string(),
            Value::Bool(true) => "是".into(),
            Value::Bool(false) => "否".into(),
        }
    }
}

/// A record as field name → value.
pub type Record = BTreeMap<&'static str, Value>;

/// Raw input from a form or a JSON body: field name → text as entered.
#[derive(Clone, Debug, Default)]
pub struct Input(pub BTreeMap<String, String>);

impl Input {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Create,
    Update,
}

/// Integers in master data (staffing numbers and the like) stay within this range.
pub const INT_FIELD_MAX: i64 = 1_000_000;

/// Parses the writable fields of `spec` from `input`. On create every writable field is read
/// (missing optional ones become null); on update only the fields present in the input and
/// editable after creation are read, so a partial edit leaves the others alone.
pub fn parse_fields(spec: &EntitySpec, input: &Input, mode: Mode) -> Result<Record, Rejection> {
    let mut record = Record::new();
    for field in spec.fields {
        let writable = match (mode, field.edit) {
            (_, Edit::Never) => false,
            (Mode::Create, _) => true,
            (Mode::Update, Edit::Always) => field.kind != FieldKind::Secret,
            (Mode::Update, Edit::CreateOnly) => false,
        };
        if !writable {
            continue;
        }
        let raw = input.get(field.name);
        if mode == Mode::Update && raw.is_none() {
            continue;
        }
        record.insert(field.name, parse_value(field, raw.unwrap_or(""))?);
    }
    Ok(record)
}

fn parse_value(field: &FieldSpec, raw: &str) -> Result<Value, Rejection> {
    let text = raw.trim();
    if text.is_empty() {
        // A checkbox that is not ticked is simply absent from a form.
        if field.kind == FieldKind::Bool {
            return Ok(Value::Bool(false));
        }
        if field.required {
            return Err(Rejection::FieldRequired { field: field.label });
        }
        return Ok(Value::Null);
    }
    if text.chars().count() > field.length_max {
        return Err(Rejection::FieldTooLong {
            field: field.label,
            length_max: field.length_max,
        });
    }
    let value = match field.kind {
        FieldKind::Text | FieldKind::Secret => {
            if text.chars().any(|c| c.is_control()) {
                return Err(Rejection::TextHasSpecialChars { field: field.label });
            }
            Value::Text(text.to_owned())
        }
        FieldKind::Int => {
            let number: i64 = text.parse().map_err(|_| Rejection::FieldInvalid {
                field: field.label,
                expected: "整数",
            })?;
            if !(0..=INT_FIELD_MAX).contains(&number) {
                return Err(Rejection::NumberOutOfRange {
                    field: field.label,
                    min: 0,
                    max: INT_FIELD_MAX,
                });
            }
            Value::Int(number)
        }
        FieldKind::Money => {
            let amount = Fen::parse_yuan(text, field.label)?;
            if amount < Fen::ZERO {
                return Err(Rejection::AmountNegative { field: field.label });
            }
            Value::Int(amount.0)
        }
        FieldKind::Bool => Value::Bool(parse_bool(text).ok_or(Rejection::FieldInvalid {
            field: field.label,
            expected: "是或否",
        })?),
        FieldKind::Code(_) => {
            if !text.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(Rejection::FieldInvalid {
                    field: field.label,
                    expected: "编码（字母或数字）",
                });
            }
            Value::Text(text.to_owned())
        }
        FieldKind::Region => Value::Text(MofDivCode::parse(text)?.into_string()),
        FieldKind::Agency => Value::Text(AgencyCode::parse(text)?.into_string()),
        FieldKind::Year => Value::Int(i64::from(FiscalYear::parse(text)?.0)),
        FieldKind::Roles => {
            let roles = RoleSet::parse_list(text)?;
            if roles.is_empty() {
                return Err(Rejection::FieldRequired { field: field.label });
            }
            Value::Text(roles.to_list())
        }
        FieldKind::Timestamp => Value::Text(text.to_owned()),
    };
    Ok(value)
}

pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim() {
        "1" | "true" | "on" | "yes" | "是" | "启用" => Some(true),
        "0" | "false" | "off" | "no" | "否" | "停用" => Some(false),
        _ => None,
    }
}

fn text<'a>(record: &'a Record, name: &str) -> Option<&'a str> {
    record.get(name).and_then(Value::as_text)
}

/// Rules of each record kind that need no stored facts, applied after `parse_fields`.
pub fn check_record(spec: &EntitySpec, record: &mut Record) -> Result<(), Rejection> {
    match spec.name {
        "agencies" => check_agency(record),
        "accounts" => check_account(record),
        "persons" => check_person(record),
        "users" => check_user(record),
        "codes" | "code-mappings" => Ok(()),
        "regions" | "standards" => Ok(()),
        _ => Ok(()),
    }
}

fn check_agency(record: &mut Record) -> Result<(), Rejection> {
    if let Some(uscc) = text(record, "unifsoc_cred_code") {
        let parsed = UnifiedSocialCreditCode::parse(uscc)?;
        record.insert("unifsoc_cred_code", Value::Text(parsed.into_string()));
    }
    if let Some(zip) = text(record, "zip")
        && (zip.len() != 6 || !zip.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(Rejection::FieldInvalid {
            field: "邮政编码",
            expected: "6 位数字",
        });
    }
    if let (Some(code), Some(parent)) = (
        text(record, "agency_code"),
        text(record, "parent_agency_code"),
    ) && code == parent
    {
        return Err(Rejection::AgencyParentCycle);
    }
    Ok(())
}

fn check_account(record: &mut Record) -> Result<(), Rejection> {
    if let Some(account_no) = text(record, "account_no") {
        let parsed = AccountNo::parse(account_no)?;
        record.insert("account_no", Value::Text(parsed.into_string()));
    }
    if let Some(bank_code) = text(record, "bank_code") {
        BankCode::parse(bank_code)?;
    }
    Ok(())
}

fn check_person(record: &mut Record) -> Result<(), Rejection> {
    let resident_id = text(record, "iden_type_code").is_none_or(|code| code == IDEN_TYPE_RESIDENT);
    if resident_id && let Some(iden_no) = text(record, "iden_no") {
        let parsed = IdentityNumber::parse(iden_no)?;
        record.insert("iden_no", Value::Text(parsed.into_string()));
    }
    if let Some(card) = text(record, "sala_card_no") {
        let parsed = AccountNo::parse(card)?;
        record.insert("sala_card_no", Value::Text(parsed.into_string()));
    }
    Ok(())
}

fn check_user(record: &mut Record) -> Result<(), Rejection> {
    if let Some(user_name) = text(record, "user_name") {
        UserName::parse(user_name)?;
    }
    if let Some(password) = text(record, "password") {
        check_password_strength(password)?;
    }
    // Only a create carries `agency_code` (it is fixed afterwards); an edit of the roles is
    // checked by the application against the stored user.
    if let (Some(roles), Some(agency_code)) = (text(record, "roles"), record.get("agency_code")) {
        check_roles_fit_org(RoleSet::parse_list(roles)?, *agency_code != Value::Null)?;
    }
    Ok(())
}

/// 居民身份证 in the `iden_type` code table.
pub const IDEN_TYPE_RESIDENT: &str = "01";
/// 单位零余额账户 in the `acc_type` code table.
pub const ACC_TYPE_ZERO_BALANCE: &str = "21";

pub const PASSWORD_LENGTH_MIN: usize = 10;

pub fn check_password_strength(password: &str) -> Result<(), Rejection> {
    let long_enough = password.chars().count() >= PASSWORD_LENGTH_MIN;
    let has_letter = password.chars().any(|c| c.is_ascii_alphabetic());
    let has_digit = password.chars().any(|c| c.is_ascii_digit());
    if long_enough && has_letter && has_digit {
        Ok(())
    } else {
        Err(Rejection::PasswordTooWeak)
    }
}

/// Finance-bureau roles need a user without a unit; unit roles need one with a unit.
pub fn check_roles_fit_org(roles: RoleSet, at_agency: bool) -> Result<(), Rejection> {
    for role in roles.iter() {
        let fits = match role.org_kind() {
            OrgKind::FinanceBureau => !at_agency,
            OrgKind::Agency => at_agency,
            OrgKind::Any => true,
        };
        if !fits {
            return Err(Rejection::RoleOrgMismatch {
                role: role.name_zh(),
            });
        }
    }
    Ok(())
}

/// Region levels of the corps tree [I]: 1 兵团, 2 师, 3 团. A child's level is its parent's
/// plus one, and its code extends the parent's significant prefix (2, 4 or 6 digits).
pub const REGION_LEVEL_MAX: i64 = 3;

pub fn region_level_for_child(
    parent_level: Option<i64>,
    code: &str,
    parent_code: Option<&str>,
) -> Result<i64, Rejection> {
    let level = parent_level.map_or(1, |level| level + 1);
    if level > REGION_LEVEL_MAX {
        return Err(Rejection::RegionLevelInvalid {
            detail: "团级区划之下不能再设下级区划",
        });
    }
    if code.ends_with(crate::code::JURISDICTION_SUFFIX) {
        return Err(Rejection::RegionLevelInvalid {
            detail: "以 998 结尾的是辖区汇总代码，不能作为区划登记",
        });
    }
    if let Some(parent_code) = parent_code {
        let prefix_len = 2 * (level as usize - 1);
        let own_tail_zero = code[prefix_len + 2..].bytes().all(|b| b == b'0');
        if code[..prefix_len] != parent_code[..prefix_len] || !own_tail_zero || code == parent_code
        {
            return Err(Rejection::RegionLevelInvalid {
                detail: "下级区划代码须以上级区划代码的有效位开头，并在本级位上编号",
            });
        }
    }
    Ok(level)
}

/// Checks a code-table code against the element's segment lengths (`3+2+2`). National codes
/// must end exactly on a segment boundary; local extensions may add up to `local_extra_len_max`
/// characters below a national code.
pub fn check_code_segments(code: &str, segments: &str, local: bool) -> Result<usize, Rejection> {
    let bad = || Rejection::CodeSegmentInvalid {
        code: code.to_owned(),
        segments: segments.to_owned(),
    };
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(bad());
    }
    let mut boundaries = Vec::new();
    let mut total = 0usize;
    for part in segments.split('+') {
        total += part.trim().parse::<usize>().map_err(|_| bad())?;
        boundaries.push(total);
    }
    if let Some(level) = boundaries
        .iter()
        .position(|boundary| *boundary == code.len())
    {
        return Ok(level + 1);
    }
    if local && code.len() > total && code.len() <= total + LOCAL_EXTRA_LEN_MAX {
        return Ok(boundaries.len() + 1);
    }
    Err(bad())
}

/// How many characters a local extension may add below the deepest national level.
pub const LOCAL_EXTRA_LEN_MAX: usize = 6;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{AGENCY, PERSON, USER};

    fn input(pairs: &[(&str, &str)]) -> Input {
        Input(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn check(spec: &EntitySpec, pairs: &[(&str, &str)], mode: Mode) -> Result<Record, Rejection> {
        let mut record = parse_fields(spec, &input(pairs), mode)?;
        check_record(spec, &mut record)?;
        Ok(record)
    }

    #[test]
    fn agency_rules() {
        let good: &[(&str, &str)] = &[
            ("agency_code", "660101101"),
            ("agency_name", "第一师教育局"),
            ("mof_div_code", "660101000"),
            ("agency_type", "1"),
            ("fund_guar", "1"),
            ("unifsoc_cred_code", "91350100M000100Y43"),
            ("admin_staf_num", "12"),
        ];
        assert!(check(&AGENCY, good, Mode::Create).is_ok());
        let cases: &[(&str, &str, &str)] = &[
            ("agency_name", "", "field_required"),
            ("agency_code", "1", "agency_code_invalid"),
            ("mof_div_code", "6601", "mof_div_code_invalid"),
            (
                "unifsoc_cred_code",
                "91350100M000100Y44",
                "uscc_check_char_wrong",
            ),
            ("unifsoc_cred_code", "ABC", "uscc_format_invalid"),
            ("admin_staf_num", "-1", "number_out_of_range"),
            ("admin_staf_num", "x", "field_invalid"),
            ("zip", "83000", "field_invalid"),
            ("parent_agency_code", "660101101", "agency_parent_cycle"),
            ("agency_type", "1;drop", "field_invalid"),
        ];
        for (name, value, code) in cases {
            let mut pairs: Vec<(&str, &str)> =
                good.iter().filter(|(k, _)| k != name).copied().collect();
            pairs.push((name, value));
            let result = check(&AGENCY, &pairs, Mode::Create);
            assert_eq!(
                result.err().map(|r| r.code()),
                Some(code.to_string()),
                "{name}={value}"
            );
        }
    }

    #[test]
    fn partial_update_reads_only_given_editable_fields() {
        let record = check(
            &AGENCY,
            &[("agency_name", "新名称"), ("agency_code", "999999")],
            Mode::Update,
        );
        let record = record.unwrap_or_default();
        assert_eq!(record.len(), 1);
        assert_eq!(
            record.get("agency_name"),
            Some(&Value::Text("新名称".into()))
        );
    }

    #[test]
    fn person_and_user_rules() {
        let person: &[(&str, &str)] = &[
            ("agency_code", "660101101"),
            ("per_name", "张三"),
            ("iden_type_code", "01"),
            ("iden_no", "11010519491231002X"),
            ("sex_code", "1"),
            ("per_ide_code", "1"),
            ("per_sta_code", "1"),
            ("pos_sala", "3,250.50"),
        ];
        let record = check(&PERSON, person, Mode::Create).unwrap_or_default();
        assert_eq!(record.get("pos_sala"), Some(&Value::Int(325_050)));
        let mut bad = person.to_vec();
        bad[3] = ("iden_no", "110105194912310021");
        assert_eq!(
            check(&PERSON, &bad, Mode::Create).err(),
            Some(Rejection::IdentityCheckCharWrong)
        );
        let mut bad = person.to_vec();
        bad[7] = ("pos_sala", "-1");
        assert_eq!(
            check(&PERSON, &bad, Mode::Create).err().map(|r| r.code()),
            Some("amount_negative".into())
        );

        let user: &[(&str, &str)] = &[
            ("user_name", "clerk01"),
            ("display_name", "王五"),
            ("mof_div_code", "660101000"),
            ("agency_code", "660101101"),
            ("roles", "unit_clerk"),
            ("password", "abcdefgh12"),
        ];
        assert!(check(&USER, user, Mode::Create).is_ok());
        let mut bad = user.to_vec();
        bad[4] = ("roles", "budget_division");
        assert_eq!(
            check(&USER, &bad, Mode::Create).err().map(|r| r.code()),
            Some("role_org_mismatch".into())
        );
        let mut bad = user.to_vec();
        bad[5] = ("password", "short1");
        assert_eq!(
            check(&USER, &bad, Mode::Create).err(),
            Some(Rejection::PasswordTooWeak)
        );
    }

    #[test]
    fn region_levels() {
        assert_eq!(region_level_for_child(None, "660000000", None), Ok(1));
        assert_eq!(
            region_level_for_child(Some(1), "660100000", Some("660000000")),
            Ok(2)
        );
        assert_eq!(
            region_level_for_child(Some(2), "660101000", Some("660100000")),
            Ok(3)
        );
        assert!(region_level_for_child(Some(3), "660101010", Some("660101000")).is_err());
        assert!(region_level_for_child(Some(2), "660201000", Some("660100000")).is_err());
        assert!(region_level_for_child(Some(1), "660100998", Some("660000000")).is_err());
    }

    #[test]
    fn code_segments() {
        assert_eq!(check_code_segments("201", "3+2+2", false), Ok(1));
        assert_eq!(check_code_segments("2010101", "3+2+2", false), Ok(3));
        assert!(check_code_segments("2010", "3+2+2", false).is_err());
        assert_eq!(check_code_segments("201010101", "3+2+2", true), Ok(4));
        assert!(check_code_segments("20101010101010", "3+2+2", true).is_err());
    }
}
