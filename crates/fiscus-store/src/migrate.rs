//! Embedded, append-only migrations, one directory per backend, applied in order and
//! recorded in `schema_migrations`. Each migration runs in its own transaction.

use crate::{Backend, Db, StoreError, on_tx};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "flow",
        sqlite: include_str!("../migrations/sqlite/0002_flow.sql"),
        postgres: include_str!("../migrations/postgres/0002_flow.sql"),
    },
    Migration {
        version: 3,
        name: "ledger",
        sqlite: include_str!("../migrations/sqlite/0003_ledger.sql"),
        postgres: include_str!("../migrations/postgres/0003_ledger.sql"),
    },
    Migration {
        version: 4,
        name: "payment",
        sqlite: include_str!("../migrations/sqlite/0004_payment.sql"),
        postgres: include_str!("../migrations/postgres/0004_payment.sql"),
    },
    Migration {
        version: 5,
        name: "bank",
        sqlite: include_str!("../migrations/sqlite/0005_bank.sql"),
        postgres: include_str!("../migrations/postgres/0005_bank.sql"),
    },
    Migration {
        version: 6,
        name: "project",
        sqlite: include_str!("../migrations/sqlite/0006_project.sql"),
        postgres: include_str!("../migrations/postgres/0006_project.sql"),
    },
    Migration {
        version: 7,
        name: "budget",
        sqlite: include_str!("../migrations/sqlite/0007_budget.sql"),
        postgres: include_str!("../migrations/postgres/0007_budget.sql"),
    },
    Migration {
        version: 8,
        name: "project_attachment",
        sqlite: include_str!("../migrations/sqlite/0008_project_attachment.sql"),
        postgres: include_str!("../migrations/postgres/0008_project_attachment.sql"),
    },
    Migration {
        version: 9,
        name: "accounting",
        sqlite: include_str!("../migrations/sqlite/0009_accounting.sql"),
        postgres: include_str!("../migrations/postgres/0009_accounting.sql"),
    },
    Migration {
        version: 10,
        name: "year_end",
        sqlite: include_str!("../migrations/sqlite/0010_year_end.sql"),
        postgres: include_str!("../migrations/postgres/0010_year_end.sql"),
    },
    Migration {
        version: 11,
        name: "accounting_close",
        sqlite: include_str!("../migrations/sqlite/0011_accounting_close.sql"),
        postgres: include_str!("../migrations/postgres/0011_accounting_close.sql"),
    },
    Migration {
        version: 12,
        name: "final_accounts",
        sqlite: include_str!("../migrations/sqlite/0012_final_accounts.sql"),
        postgres: include_str!("../migrations/postgres/0012_final_accounts.sql"),
    },
];

/// Applies pending migrations; returns the versions applied now.
pub async fn run(db: &Db) -> Result<Vec<i64>, StoreError> {
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, conn => {
        sqlx::raw_sql("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
            .execute(&mut *conn)
            .await?;
    });
    tx.commit().await?;
    let mut applied_now = Vec::new();
    for migration in MIGRATIONS {
        let mut tx = db.begin().await?;
        let backend = tx.backend();
        let already: i64 = on_tx!(&mut tx, conn => {
            use sqlx::Row;
            sqlx::query("SELECT COUNT(*) FROM schema_migrations WHERE version = $1")
                .bind(migration.version)
                .fetch_one(&mut *conn)
                .await?
                .try_get(0)?
        });
        if already > 0 {
            continue;
        }
        let script = match backend {
            Backend::Sqlite => migration.sqlite,
            Backend::Postgres => migration.postgres,
        };
        on_tx!(&mut tx, conn => {
            sqlx::raw_sql(sqlx::AssertSqlSafe(script)).execute(&mut *conn).await?;
            sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
                .bind(migration.version)
                .bind(migration.name)
                .bind(crate::audit::now())
                .execute(&mut *conn)
                .await?;
        });
        tx.commit().await?;
        applied_now.push(migration.version);
    }
    Ok(applied_now)
}
