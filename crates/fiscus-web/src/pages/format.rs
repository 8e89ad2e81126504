//! How values look on a page: money in 元, flags as 是/否 or a 启用/停用 badge, timestamps in
//! Beijing time, and codes with their names (`1 全额拨款`). Names are looked up once per
//! request: a page first says which codes it will show (`Names::want…`), then fetches them.

use std::collections::{BTreeSet, HashMap};

use fiscus_app::App;
use fiscus_core::masterdata::{Record, Value};
use fiscus_core::schema::{self, FieldKind, FieldSpec};
use fiscus_core::{Fen, Principal, RoleSet};
use maud::{Markup, html};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::{format_description, offset};

/// A stored UTC timestamp as Beijing time, `2026-11-27 16:35`; unparsable text as it is.
pub fn beijing_time(stamp: &str) -> String {
    let Ok(parsed) = OffsetDateTime::parse(stamp, &Rfc3339) else {
        return stamp.to_owned();
    };
    parsed
        .to_offset(offset!(+8))
        .format(format_description!("[year]-[month]-[day] [hour]:[minute]"))
        .unwrap_or_else(|_| stamp.to_owned())
}

/// Names of the codes, regions, units and elements a page shows.
#[derive(Default)]
pub struct Names {
    elements_wanted: BTreeSet<&'static str>,
    regions_wanted: BTreeSet<String>,
    agencies_wanted: BTreeSet<String>,
    element_names_wanted: bool,
    codes: HashMap<&'static str, HashMap<String, String>>,
    regions: HashMap<String, String>,
    agencies: HashMap<String, String>,
    element_names: HashMap<String, String>,
}

/// Names are a convenience; a page is still right with bare codes, so look-ups that fail
/// (a region outside the viewer's scope, say) are left out.
impl Names {
    /// Notes that `value` of `field` will be shown.
    pub fn want(&mut self, field: &FieldSpec, value: &str) {
        if value.is_empty() {
            return;
        }
        match field.kind {
            FieldKind::Code(element) => {
                self.elements_wanted.insert(element);
            }
            FieldKind::Region => {
                self.regions_wanted.insert(value.to_owned());
            }
            FieldKind::Agency => {
                self.agencies_wanted.insert(value.to_owned());
            }
            _ if field.name == "element_code" => self.element_names_wanted = true,
            _ => {}
        }
    }

    /// Notes every value of `fields` in `record`.
    pub fn want_record<'a>(
        &mut self,
        fields: impl IntoIterator<Item = &'a FieldSpec>,
        record: &Record,
    ) {
        for field in fields {
            if let Some(Value::Text(text)) = record.get(field.name) {
                self.want(field, text);
            }
        }
    }

    /// Notes every code of an element (for a picker).
    pub fn want_element(&mut self, element: &'static str) {
        self.elements_wanted.insert(element);
    }

    pub async fn fetch(&mut self, app: &App, who: &Principal) {
        for element in std::mem::take(&mut self.elements_wanted) {
            if self.codes.contains_key(element) {
                continue;
            }
            let pairs = app.code_names(element, None).await.unwrap_or_default();
            self.codes.insert(element, pairs.into_iter().collect());
        }
        for code in std::mem::take(&mut self.regions_wanted) {
            if let Ok(record) = app.get_record(who, &schema::REGION, &code).await
                && let Some(Value::Text(name)) = record.get("mof_div_name")
            {
                self.regions.insert(code, name.clone());
            }
        }
        for code in std::mem::take(&mut self.agencies_wanted) {
            if let Ok(record) = app.get_record(who, &schema::AGENCY, &code).await
                && let Some(Value::Text(name)) = record.get("agency_name")
            {
                self.agencies.insert(code, name.clone());
            }
        }
        if std::mem::take(&mut self.element_names_wanted) && self.element_names.is_empty() {
            self.element_names = fiscus_app::codes::elements()
                .into_iter()
                .map(|e| (e.element_code, e.element_name))
                .collect();
        }
    }

    /// The codes of an element as (code, name), in code order, for a picker.
    pub fn options(&self, element: &str) -> Vec<(&str, &str)> {
        let mut options: Vec<_> = self
            .codes
            .get(element)
            .map(|m| m.iter().map(|(c, n)| (c.as_str(), n.as_str())).collect())
            .unwrap_or_default();
        options.sort_unstable();
        options
    }

    /// The name shown beside a code of `field`, when known.
    pub fn name_of(&self, field: &FieldSpec, code: &str) -> Option<&str> {
        let name = match field.kind {
            FieldKind::Code(element) => self.codes.get(element).and_then(|m| m.get(code)),
            FieldKind::Region => self.regions.get(code),
            FieldKind::Agency => self.agencies.get(code),
            _ if field.name == "element_code" => self.element_names.get(code),
            _ => None,
        };
        name.map(String::as_str)
    }
}

/// A value as plain text: what a cell, a detail line or a history entry says.
pub fn plain(field: &FieldSpec, value: &Value, names: &Names) -> String {
    match (field.kind, value) {
        (_, Value::Null) => String::new(),
        (FieldKind::Money, Value::Int(fen)) => format!("{} 元", Fen(*fen).to_yuan_string()),
        (FieldKind::Bool, Value::Bool(flag)) if field.name == "is_enabled" => {
            if *flag { "启用" } else { "停用" }.to_owned()
        }
        (FieldKind::Timestamp, Value::Text(stamp)) => beijing_time(stamp),
        (FieldKind::Roles, Value::Text(list)) => RoleSet::parse_list(list)
            .map(RoleSet::names_zh)
            .unwrap_or_else(|_| list.clone()),
        (_, Value::Text(text)) => code_with_name(field, text, names),
        _ => value.display(),
    }
}

/// `code 名称` when the name is known, else the code.
pub fn code_with_name(field: &FieldSpec, code: &str, names: &Names) -> String {
    match names.name_of(field, code) {
        Some(name) => format!("{code} {name}"),
        None => code.to_owned(),
    }
}

/// A value for a table cell or a detail line: badges for the state, amounts right-aligned.
pub fn cell(field: &FieldSpec, value: &Value, names: &Names) -> Markup {
    match (field.kind, value) {
        (_, Value::Null) => html! { span class="muted" { "—" } },
        (FieldKind::Bool, Value::Bool(flag)) if field.name == "is_enabled" => enabled_badge(*flag),
        (FieldKind::Money, Value::Int(fen)) => {
            html! { span class="num" { (Fen(*fen).to_yuan_string()) } }
        }
        (FieldKind::Code(_) | FieldKind::Region | FieldKind::Agency, Value::Text(code)) => {
            match names.name_of(field, code) {
                Some(name) => html! { span class="code" { (code) } " " (name) },
                None => html! { span class="code" { (code) } },
            }
        }
        _ => html! { (plain(field, value, names)) },
    }
}

pub fn enabled_badge(enabled: bool) -> Markup {
    if enabled {
        html! { span class="badge ok" { "启用" } }
    } else {
        html! { span class="badge off" { "停用" } }
    }
}

/// The Chinese name of an audit action.
pub fn action_name(action: &str) -> &str {
    match action {
        "create" => "新增",
        "update" => "修改",
        "disable" => "停用",
        "enable" => "启用",
        "password_reset" => "重置密码",
        "password_changed" => "修改密码",
        "identity_viewed" => "查看证件号码",
        "login_succeeded" => "登录成功",
        "login_failed" => "登录失败",
        "logout" => "退出登录",
        "token_created" => "创建接口令牌",
        "copy_year" => "要素跨年度复制",
        "demo_loaded" => "载入演示数据",
        other => other,
    }
}

/// Audit actions offered as a filter, in the order people look for them.
pub const ACTIONS: [&str; 13] = [
    "create",
    "update",
    "disable",
    "enable",
    "login_succeeded",
    "login_failed",
    "logout",
    "password_changed",
    "password_reset",
    "identity_viewed",
    "token_created",
    "copy_year",
    "demo_loaded",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_shown_in_beijing_time() {
        assert_eq!(beijing_time("2026-11-27T08:35:00Z"), "2026-11-27 16:35");
        assert_eq!(beijing_time("2026-12-31T20:00:00Z"), "2027-01-01 04:00");
        assert_eq!(beijing_time("not a time"), "not a time");
    }
}
