//! A small SQL text builder that numbers `$N` placeholders and keeps typed binds, so that a
//! NULL is sent with its column's type (PostgreSQL refuses an untyped text NULL in a BIGINT).

use fiscus_core::masterdata::Value;
use fiscus_core::schema::FieldKind;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bind {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(Option<bool>),
}

impl Bind {
    pub fn of(kind: FieldKind, value: &Value) -> Bind {
        match kind {
            FieldKind::Int | FieldKind::Money | FieldKind::Year => Bind::Int(value.as_int()),
            FieldKind::Bool => Bind::Bool(value.as_bool()),
            _ => Bind::Text(value.as_text().map(str::to_owned)),
        }
    }

    pub fn text(value: impl Into<String>) -> Bind {
        Bind::Text(Some(value.into()))
    }
}

#[derive(Clone, Debug, Default)]
pub struct Sql {
    pub text: String,
    pub binds: Vec<Bind>,
}

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql {
            text: text.to_owned(),
            binds: Vec::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `bind`.
    pub fn bind(&mut self, bind: Bind) -> &mut Sql {
        self.binds.push(bind);
        self.text.push('$');
        self.text.push_str(&self.binds.len().to_string());
        self
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn like_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Builds a `sqlx::query` from an `Sql` with its binds applied, for either backend.
#[macro_export]
macro_rules! bound_query {
    ($sql:expr) => {{
        let sql: &$crate::sql::Sql = $sql;
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.text.clone()));
        for bind in &sql.binds {
            query = match bind {
                $crate::Bind::Text(value) => query.bind(value.clone()),
                $crate::Bind::Int(value) => query.bind(*value),
                $crate::Bind::Bool(value) => query.bind(*value),
            };
        }
        query
    }};
}
