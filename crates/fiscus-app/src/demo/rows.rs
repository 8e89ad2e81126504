//! Turns the generated demo data into table rows (binds) in the column order of migration
//! 0001. Identity numbers are encrypted here, and the one shared password hash is added.

use fiscus_store::Bind;

use super::DemoData;
use super::accounts::STANDARD_YEAR;
use crate::AppError;
use crate::crypto::FieldCipher;

/// Every demo row carries the same timestamps and author, so that reloads are identical.
pub const DEMO_TIMESTAMP: &str = "2026-01-01T00:00:00Z";
pub const DEMO_AUTHOR: &str = "system";

/// The rows of one table, ready for `insert_rows`.
pub struct TableRows {
    pub table: &'static str,
    pub columns: &'static [&'static str],
    pub rows: Vec<Vec<Bind>>,
}

fn text(value: &str) -> Bind {
    Bind::text(value)
}

fn optional_text(value: Option<&str>) -> Bind {
    Bind::Text(value.map(str::to_owned))
}

fn int(value: i64) -> Bind {
    Bind::Int(Some(value))
}

/// The trailing `is_enabled, created_at, updated_at, updated_by` of every master-data row.
fn push_system_columns(row: &mut Vec<Bind>) {
    row.extend([
        Bind::Bool(Some(true)),
        text(DEMO_TIMESTAMP),
        text(DEMO_TIMESTAMP),
        text(DEMO_AUTHOR),
    ]);
}

#[rustfmt::skip]
const REGION_COLUMNS: &[&str] = &[
    "mof_div_code", "mof_div_name", "parent_mof_div_code", "level_num", "region_path", "remark", "is_enabled", "created_at",
    "updated_at", "updated_by",
];

#[rustfmt::skip]
const AGENCY_COLUMNS: &[&str] = &[
    "agency_code", "agency_name", "agency_abbreviation", "mof_div_code", "parent_agency_code", "agency_type", "fund_guar",
    "unifsoc_cred_code", "agency_leader_per_name", "agency_add", "zip", "admin_staf_num", "inst_staf_num", "worker_staf_num",
    "actu_staf_num", "agency_path", "is_enabled", "created_at", "updated_at", "updated_by",
];

#[rustfmt::skip]
const ACCOUNT_COLUMNS: &[&str] = &[
    "account_id", "agency_code", "mof_div_code", "acc_type_code", "account_no", "account_name", "bank_name", "bank_code",
    "is_enabled", "created_at", "updated_at", "updated_by",
];

#[rustfmt::skip]
const PERSON_COLUMNS: &[&str] = &[
    "per_id", "agency_code", "mof_div_code", "per_name", "iden_type_code", "iden_no_cipher", "iden_no_masked", "sex_code",
    "nat_code", "per_ide_code", "per_sta_code", "pos_code", "gr_code", "is_auth", "is_uni_sala", "pos_sala", "grad_sala",
    "nation_reg_sub", "basc_perf", "inct_perf", "ret_subs", "ded_end_ins", "ded_med_ins", "ded_occ_ant", "ded_hos_fund",
    "sala_card_no", "is_enabled", "created_at", "updated_at", "updated_by",
];

#[rustfmt::skip]
const STANDARD_COLUMNS: &[&str] = &[
    "std_id", "mof_div_code", "region_path", "fiscal_year", "std_code", "std_name", "std_type_code", "dep_bgt_eco_code",
    "agency_type", "per_ide_code", "amount_fen", "remark", "is_enabled", "created_at", "updated_at", "updated_by",
];

#[rustfmt::skip]
const USER_COLUMNS: &[&str] = &[
    "user_name", "display_name", "mof_div_code", "agency_code", "roles", "phone", "password_hash", "must_change_password",
    "is_enabled", "created_at", "updated_at", "updated_by",
];

/// All tables in foreign-key order. Persons' identity numbers go through `cipher`; every user
/// gets `password_hash` and must change the password (the server waives it in demo mode).
pub fn table_rows(
    data: &DemoData,
    cipher: &dyn FieldCipher,
    password_hash: &str,
) -> Result<Vec<TableRows>, AppError> {
    let regions = data.regions.iter().map(|region| {
        let mut row = vec![
            text(&region.mof_div_code),
            text(&region.mof_div_name),
            optional_text(region.parent_mof_div_code.as_deref()),
            int(region.level_num),
            text(&region.region_path),
            Bind::Text(None),
        ];
        push_system_columns(&mut row);
        row
    });
    let agencies = data.units.iter().map(|unit| {
        let mut row = vec![
            text(&unit.agency_code),
            text(&unit.agency_name),
            text(&unit.agency_abbreviation),
            text(&unit.mof_div_code),
            optional_text(unit.parent_agency_code.as_deref()),
            text(unit.agency_type),
            text(unit.fund_guar),
            text(&unit.unifsoc_cred_code),
            text(&unit.agency_leader_per_name),
            text(&unit.agency_add),
            text(&unit.zip),
            int(unit.admin_staf_num),
            int(unit.inst_staf_num),
            int(unit.worker_staf_num),
            int(unit.actu_staf_num),
            text(&unit.agency_path),
        ];
        push_system_columns(&mut row);
        row
    });
    let accounts = data.accounts.iter().map(|account| {
        let mut row = vec![
            text(&account.account_id),
            text(&account.agency_code),
            text(&account.mof_div_code),
            text(account.acc_type_code),
            text(&account.account_no),
            text(&account.account_name),
            text(&account.bank_name),
            text(&account.bank_code),
        ];
        push_system_columns(&mut row);
        row
    });
    let tables = vec![
        TableRows {
            table: "region",
            columns: REGION_COLUMNS,
            rows: regions.collect(),
        },
        TableRows {
            table: "agency",
            columns: AGENCY_COLUMNS,
            rows: agencies.collect(),
        },
        TableRows {
            table: "agency_account",
            columns: ACCOUNT_COLUMNS,
            rows: accounts.collect(),
        },
        TableRows {
            table: "person",
            columns: PERSON_COLUMNS,
            rows: person_rows(data, cipher)?,
        },
        TableRows {
            table: "exp_standard",
            columns: STANDARD_COLUMNS,
            rows: standard_rows(data),
        },
        TableRows {
            table: "app_user",
            columns: USER_COLUMNS,
            rows: user_rows(data, password_hash),
        },
    ];
    Ok(tables)
}

fn person_rows(data: &DemoData, cipher: &dyn FieldCipher) -> Result<Vec<Vec<Bind>>, AppError> {
    let mut rows = Vec::with_capacity(data.persons.len());
    for person in &data.persons {
        let pay = &person.pay;
        let mut row = vec![
            text(&person.per_id),
            text(&person.agency_code),
            text(&person.mof_div_code),
            text(&person.per_name),
            text(fiscus_core::masterdata::IDEN_TYPE_RESIDENT),
            Bind::text(cipher.encrypt(person.iden_no.as_str())?),
            Bind::text(person.iden_no.masked()),
            text(person.sex_code),
            text(person.nat_code),
            text(person.per_ide_code),
            text(person.per_sta_code),
            optional_text(person.pos_code.as_deref()),
            optional_text(person.gr_code.as_deref()),
            Bind::Bool(Some(person.is_auth)),
            Bind::Bool(Some(true)),
        ];
        row.extend(
            [
                pay.pos_sala_fen,
                pay.grad_sala_fen,
                pay.nation_reg_sub_fen,
                pay.basc_perf_fen,
                pay.inct_perf_fen,
                pay.ret_subs_fen,
                pay.ded_end_ins_fen,
                pay.ded_med_ins_fen,
                pay.ded_occ_ant_fen,
                pay.ded_hos_fund_fen,
            ]
            .map(Bind::Int),
        );
        row.push(text(&person.sala_card_no));
        push_system_columns(&mut row);
        rows.push(row);
    }
    Ok(rows)
}

fn standard_rows(data: &DemoData) -> Vec<Vec<Bind>> {
    data.standards
        .iter()
        .map(|standard| {
            let mut row = vec![
                text(&standard.std_id),
                text(&standard.mof_div_code),
                text(&standard.region_path),
                int(STANDARD_YEAR),
                text(&standard.std_code),
                text(&standard.std_name),
                text(standard.std_type_code),
                text(standard.dep_bgt_eco_code),
                optional_text(standard.agency_type),
                optional_text(standard.per_ide_code),
                int(standard.amount_fen),
                optional_text(standard.remark.as_deref()),
            ];
            push_system_columns(&mut row);
            row
        })
        .collect()
}

fn user_rows(data: &DemoData, password_hash: &str) -> Vec<Vec<Bind>> {
    data.users
        .iter()
        .map(|user| {
            let mut row = vec![
                text(&user.user_name),
                text(&user.display_name),
                text(&user.mof_div_code),
                optional_text(user.agency_code.as_deref()),
                text(user.roles),
                text(&user.phone),
                text(password_hash),
                Bind::Bool(Some(true)),
            ];
            push_system_columns(&mut row);
            row
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_lists_match_the_rows() -> Result<(), AppError> {
        let data = super::super::generate(super::super::Scale::Small);
        let cipher = crate::crypto::Sm4FieldCipher::from_hex_key(&"ab".repeat(32))?;
        for table in table_rows(&data, &cipher, "hash")? {
            assert!(!table.rows.is_empty(), "{}", table.table);
            for row in &table.rows {
                assert_eq!(row.len(), table.columns.len(), "{}", table.table);
            }
        }
        Ok(())
    }
}
