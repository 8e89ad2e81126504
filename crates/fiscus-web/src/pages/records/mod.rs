//! The generic master-data pages, one set for every `EntitySpec`: the list with search,
//! filters, sorting and paging (`list`), a record with its change history (`detail`,
//! `history`), the create and edit forms (`form`), and the Excel import (`import`).

pub mod detail;
pub mod form;
pub mod history;
pub mod import;
pub mod list;

use fiscus_core::masterdata::{Record, Value};
use fiscus_core::schema::EntitySpec;
use fiscus_core::{Action, Principal};

/// May this user change records of this kind? National code tables and their mappings are
/// maintained by the corps finance bureau only.
pub fn can_write(principal: &Principal, spec: &EntitySpec) -> bool {
    let root_only = matches!(spec.name, "codes" | "code-mappings");
    principal.can(Action::Write, spec.resource) && (!root_only || principal.is_root_bureau())
}

/// Fields that name a record to people, in order of preference.
const TITLE_FIELDS: [&str; 7] = [
    "agency_name",
    "per_name",
    "account_name",
    "display_name",
    "mof_div_name",
    "std_name",
    "name",
];

/// What a record is called in headings: its name, else its key.
pub fn record_title(spec: &EntitySpec, record: &Record, key: &str) -> String {
    if spec.name == "code-mappings" {
        let text = |name: &str| record.get(name).map(Value::display).unwrap_or_default();
        return format!("{} → {}", text("from_code"), text("to_code"));
    }
    TITLE_FIELDS
        .iter()
        .find_map(|name| record.get(name).and_then(Value::as_text).map(str::to_owned))
        .unwrap_or_else(|| key.to_owned())
}

/// The column of a list that links to the record: the key when it is shown, else the first
/// searchable column (a name or a number people recognise).
pub fn link_field(spec: &EntitySpec) -> Option<&'static str> {
    if spec.list_fields().any(|field| field.name == spec.key) {
        return Some(spec.key);
    }
    spec.list_fields()
        .find(|field| field.search)
        .map(|field| field.name)
}

/// The "module" a record page belongs to, for the breadcrumb.
pub fn module_of(spec: &EntitySpec) -> &'static str {
    if spec.name == "users" {
        "系统管理"
    } else {
        "基础信息"
    }
}
