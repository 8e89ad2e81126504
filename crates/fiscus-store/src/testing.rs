//! Fresh databases for tests, one per test, on either backend. PostgreSQL tests create a new
//! database on the server at `FISCUS_TEST_PG_URL` (default `postgres://root@127.0.0.1:5432/postgres`).
//! When that server cannot be reached the PostgreSQL half is skipped — unless `CI` or
//! `FISCUS_REQUIRE_POSTGRES` is set, in which case it fails. `cargo xtask test` reports which.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::{Db, StoreError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestBackend {
    Sqlite,
    Postgres,
}

pub struct TestDb {
    pub db: Db,
    pub url: String,
    sqlite_file: Option<std::path::PathBuf>,
    postgres_database: Option<String>,
}

impl Drop for TestDb {
    /// Removes the test's database: the SQLite files, or the PostgreSQL database (dropped with
    /// FORCE, since this test's own pool may still hold connections; it is ours alone).
    fn drop(&mut self) {
        if let Some(path) = &self.sqlite_file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
        if let Some(name) = self.postgres_database.take() {
            // Drop may run inside the test's runtime, so the cleanup gets a thread of its own.
            let cleanup = std::thread::spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(async {
                    if let Ok(Db::Postgres(pool)) = Db::connect(&postgres_admin_url()).await {
                        let statement = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                            .execute(&pool)
                            .await;
                        pool.close().await;
                    }
                });
            });
            let _ = cleanup.join();
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub const TEST_DATABASE_PREFIX: &str = "fiscus_t_";

fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// Runs one SQL statement with text binds in its own transaction: for test fixtures that
/// put a row in a state its own flow tests elsewhere (e.g. a project straight into the
/// reserve pool). Never used by the application.
pub async fn execute(db: &crate::Db, statement: &str, binds: &[&str]) -> Result<u64, StoreError> {
    let mut tx = db.begin().await?;
    let affected = crate::on_tx!(&mut tx, conn => {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(statement.to_owned()));
        for bind in binds {
            query = query.bind(bind.to_string());
        }
        query.execute(&mut *conn).await?.rows_affected()
    });
    tx.commit().await?;
    Ok(affected)
}

pub fn postgres_required() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false")
        || std::env::var_os("FISCUS_REQUIRE_POSTGRES").is_some()
}

pub fn postgres_admin_url() -> String {
    std::env::var("FISCUS_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/postgres".into())
}

/// A fresh, migrated database, or `None` when PostgreSQL is unavailable and not required.
pub async fn fresh(backend: TestBackend) -> Result<Option<TestDb>, StoreError> {
    let test_db = match backend {
        TestBackend::Sqlite => {
            let path = std::env::temp_dir().join(format!("fiscus-test-{}.db", unique_suffix()));
            let url = format!("sqlite://{}", path.display());
            let db = Db::connect(&url).await?;
            TestDb {
                db,
                url,
                sqlite_file: Some(path),
                postgres_database: None,
            }
        }
        TestBackend::Postgres => {
            if std::env::var("FISCUS_TEST_POSTGRES").as_deref() == Ok("skip")
                && !postgres_required()
            {
                return Ok(None);
            }
            let admin_url = postgres_admin_url();
            let admin = match Db::connect(&admin_url).await {
                Ok(admin) => admin,
                Err(error) if !postgres_required() => {
                    eprintln!(
                        "PostgreSQL not reachable at {admin_url} ({error}): skipping the PostgreSQL half of this test"
                    );
                    return Ok(None);
                }
                Err(error) => return Err(error),
            };
            let name = format!("{TEST_DATABASE_PREFIX}{}", unique_suffix());
            if let Db::Postgres(pool) = &admin {
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(pool)
                    .await?;
            }
            admin.close().await;
            let base = admin_url
                .rsplit_once('/')
                .map_or(admin_url.as_str(), |(base, _)| base);
            let url = format!("{base}/{name}");
            let db = Db::connect(&url).await?;
            TestDb {
                db,
                url,
                sqlite_file: None,
                postgres_database: Some(name),
            }
        }
    };
    crate::migrate::run(&test_db.db).await?;
    Ok(Some(test_db))
}

/// Generates `mod name { sqlite(), postgres() }` tests that run `name(db)` on each backend.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                use $crate::testing::{fresh, TestBackend};

                #[tokio::test]
                async fn sqlite() {
                    let test_db = fresh(TestBackend::Sqlite).await.map_err(|e| e.to_string());
                    match test_db {
                        Ok(Some(test_db)) => super::$name(test_db).await,
                        Ok(None) => {}
                        Err(error) => panic!("cannot create the SQLite test database: {error}"),
                    }
                }

                #[tokio::test]
                async fn postgres() {
                    let test_db = fresh(TestBackend::Postgres).await.map_err(|e| e.to_string());
                    match test_db {
                        Ok(Some(test_db)) => super::$name(test_db).await,
                        Ok(None) => {}
                        Err(error) => panic!("cannot create the PostgreSQL test database: {error}"),
                    }
                }
            }
        )*
    };
}
