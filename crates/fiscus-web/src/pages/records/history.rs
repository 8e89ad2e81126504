//! A record's change history, read from the audit log: who did what when, and each changed
//! field as `字段名: 旧值 → 新值` in the labels people see on the form.

use fiscus_core::RoleSet;
use fiscus_core::schema::{EntitySpec, FieldKind, FieldSpec};
use fiscus_store::audit::AuditRow;
use maud::{Markup, html};

use crate::pages::format::{Names, action_name, beijing_time, code_with_name};

/// One changed field of one entry.
pub struct Change {
    label: String,
    field: Option<&'static FieldSpec>,
    old: Option<String>,
    new: String,
}

/// Reads the `changes` JSON of an entry: `{"f": ["old", "new"]}` for edits, `{"f": "v"}` for
/// creates, in the order of the form. Columns the system keeps beside a field (cipher text, hashes) get that field's label.
pub fn changes_of(spec: &EntitySpec, row: &AuditRow) -> Vec<Change> {
    let Some(parsed) = row
        .changes
        .as_deref()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok())
    else {
        return Vec::new();
    };
    let Some(object) = parsed.as_object() else {
        return Vec::new();
    };
    let as_text = |value: &serde_json::Value| match value {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    let position = |name: &str| {
        spec.fields
            .iter()
            .position(|field| field.name == name)
            .unwrap_or(usize::MAX)
    };
    let mut entries: Vec<_> = object.iter().collect();
    entries.sort_by_key(|(name, _)| position(name));
    entries
        .into_iter()
        .map(|(name, value)| {
            let field = spec.field(name);
            let label = match (field, name.as_str()) {
                (Some(field), _) => field.label.to_owned(),
                (None, "iden_no_cipher" | "iden_no_masked") => "证件号码".to_owned(),
                (None, "password_hash") => "密码".to_owned(),
                (None, other) => other.to_owned(),
            };
            match value {
                serde_json::Value::Array(pair) if pair.len() == 2 => Change {
                    label,
                    field,
                    old: Some(as_text(&pair[0])),
                    new: as_text(&pair[1]),
                },
                other => Change {
                    label,
                    field,
                    old: None,
                    new: as_text(other),
                },
            }
        })
        .collect()
}

/// Notes the codes in the changes, so that they are shown with their names.
pub fn want_names(changes: &[Vec<Change>], names: &mut Names) {
    for change in changes.iter().flatten() {
        if let Some(field) = change.field {
            names.want(field, &change.new);
            if let Some(old) = &change.old {
                names.want(field, old);
            }
        }
    }
}

fn shown(field: Option<&FieldSpec>, text: &str, names: &Names) -> String {
    if text.is_empty() {
        return "（空）".to_owned();
    }
    match field {
        Some(field) if field.kind == FieldKind::Roles => RoleSet::parse_list(text)
            .map(RoleSet::names_zh)
            .unwrap_or_else(|_| text.to_owned()),
        Some(field) => code_with_name(field, text, names),
        None => text.to_owned(),
    }
}

pub fn changes_markup(changes: &[Change], names: &Names) -> Markup {
    html! {
        @if changes.is_empty() {
            span class="muted" { "—" }
        } @else {
            ul class="changes" {
                @for change in changes {
                    li {
                        span class="change-label" { (change.label) "：" }
                        @if let Some(old) = &change.old {
                            span class="old" { (shown(change.field, old, names)) }
                            " → "
                        }
                        span class="new" { (shown(change.field, &change.new, names)) }
                    }
                }
            }
        }
    }
}

pub fn history_table(
    rows: &[AuditRow],
    changes: &[Vec<Change>],
    total: i64,
    names: &Names,
) -> Markup {
    html! {
        section class="card" {
            h2 { "变更记录" span class="muted small" { "（共 " (total) " 条，最近的在前）" } }
            @if rows.is_empty() {
                p class="muted" { "暂无变更记录。" }
            } @else {
                div class="table-scroll" {
                    table class="data history" {
                        thead { tr { th class="w-time" { "时间" } th class="w-user" { "操作人" } th class="w-action" { "操作" } th { "变更内容" } } }
                        tbody {
                            @for (row, row_changes) in rows.iter().zip(changes) {
                                tr {
                                    td class="nowrap" { (beijing_time(&row.at)) }
                                    td { (row.user_name) }
                                    td { span class="tag" { (action_name(&row.action)) } }
                                    td { (changes_markup(row_changes, names)) }
                                }
                            }
                        }
                    }
                }
                @if total > rows.len() as i64 {
                    p class="muted small" { "仅显示最近 " (rows.len()) " 条；更早的记录请在审计日志中查询。" }
                }
            }
        }
    }
}
