//! Connections: which backend, the SQLite writer, transactions and the one place where
//! database errors are translated.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPoolOptions, Postgres};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Sqlite, SqlitePool};
use thiserror::Error;

use fiscus_core::Rejection;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{0}")]
    Rejected(Rejection),
    /// A unique constraint refused the write; the caller knows which code it was.
    #[error("unique violation")]
    UniqueViolation,
    #[error("database: {0}")]
    Database(#[source] sqlx::Error),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}

impl From<Rejection> for StoreError {
    fn from(rejection: Rejection) -> Self {
        StoreError::Rejected(rejection)
    }
}

impl From<sqlx::Error> for StoreError {
    /// The one translation of database errors, for both backends.
    fn from(error: sqlx::Error) -> Self {
        if let Some(database_error) = error.as_database_error()
            && database_error.is_unique_violation()
        {
            return StoreError::UniqueViolation;
        }
        StoreError::Database(error)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A handle to the database. Cheap to clone.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite {
        /// Readers; WAL lets them run beside the writer.
        read: SqlitePool,
        /// The single writer connection: every write transaction queues here.
        write: SqlitePool,
    },
    Postgres(PgPool),
}

/// An open write transaction. Dropping it without `commit` rolls back.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

/// Runs `$body` with `$conn` bound to the concrete read pool of `$db`.
#[macro_export]
macro_rules! on_db {
    ($db:expr, $conn:ident => $body:expr) => {
        match $db {
            $crate::Db::Sqlite { read, .. } => {
                let $conn = read;
                $body
            }
            $crate::Db::Postgres(pool) => {
                let $conn = pool;
                $body
            }
        }
    };
}

/// Runs `$body` with `$conn` bound to the concrete connection of the transaction `$tx`.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(transaction) => {
                let $conn = &mut **transaction;
                $body
            }
            $crate::Tx::Postgres(transaction) => {
                let $conn = &mut **transaction;
                $body
            }
        }
    };
}

pub const SQLITE_READERS_MAX: u32 = 4;
pub const POSTGRES_CONNECTIONS_MAX: u32 = 16;
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

impl Db {
    /// Connects by URL: `sqlite://path` (created if missing) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Db, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(POSTGRES_CONNECTIONS_MAX)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            return Ok(Db::Postgres(pool));
        }
        if !url.starts_with("sqlite:") {
            return Err(StoreError::Corrupt(format!(
                "unsupported database URL: {url}"
            )));
        }
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .pragma("cache_size", "-16000")
            .pragma("temp_store", "memory");
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(options.clone())
            .await?;
        let read = SqlitePoolOptions::new()
            .max_connections(SQLITE_READERS_MAX)
            .connect_with(options.read_only(true))
            .await?;
        Ok(Db::Sqlite { read, write })
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Starts a write transaction. On SQLite it waits for the single writer connection and
    /// takes the write lock at once (`BEGIN IMMEDIATE`), so a transaction that reads then
    /// writes can never fail halfway with SQLITE_BUSY.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        match self {
            Db::Sqlite { write, .. } => Ok(Tx::Sqlite(write.begin_with("BEGIN IMMEDIATE").await?)),
            Db::Postgres(pool) => Ok(Tx::Postgres(pool.begin().await?)),
        }
    }

    /// Starts a read-only transaction for reads that share helpers with writes: on SQLite a
    /// deferred transaction on a reader connection (it never takes the write lock), on
    /// PostgreSQL a `READ ONLY` one. End it with `rollback`.
    pub async fn begin_read(&self) -> Result<Tx, StoreError> {
        match self {
            Db::Sqlite { read, .. } => Ok(Tx::Sqlite(read.begin().await?)),
            Db::Postgres(pool) => {
                let mut transaction = pool.begin().await?;
                sqlx::query("SET TRANSACTION READ ONLY")
                    .execute(&mut *transaction)
                    .await?;
                Ok(Tx::Postgres(transaction))
            }
        }
    }

    /// Is the database answering?
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_db!(self, pool => { sqlx::query("SELECT 1").execute(pool).await?; });
        Ok(())
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

impl Tx {
    /// Ends the transaction without writing (read transactions; dropping also rolls back).
    pub async fn rollback(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(transaction) => transaction.rollback().await?,
            Tx::Postgres(transaction) => transaction.rollback().await?,
        }
        Ok(())
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(transaction) => transaction.commit().await?,
            Tx::Postgres(transaction) => transaction.commit().await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }

    /// The clause that locks the rows a SELECT reads until the transaction ends: `FOR UPDATE`
    /// on PostgreSQL; nothing on SQLite, whose single writer already serializes.
    pub fn row_lock(&self) -> &'static str {
        match self {
            Tx::Sqlite(_) => "",
            Tx::Postgres(_) => " FOR UPDATE",
        }
    }

    /// One step of the row savepoint of an import: each row runs between `Set` and
    /// `Release`, and a refused row is undone with `RollBackTo` first. On PostgreSQL a failed
    /// statement aborts the whole transaction; rolling back to the savepoint is what lets
    /// the next row still be checked. Both backends know the same three statements.
    pub async fn savepoint(&mut self, step: Savepoint) -> Result<(), StoreError> {
        let statement = match step {
            Savepoint::Set => "SAVEPOINT import_row",
            Savepoint::RollBackTo => "ROLLBACK TO SAVEPOINT import_row",
            Savepoint::Release => "RELEASE SAVEPOINT import_row",
        };
        on_tx!(self, conn => { sqlx::query(statement).execute(&mut *conn).await?; });
        Ok(())
    }
}

/// The statements of [`Tx::savepoint`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Savepoint {
    Set,
    RollBackTo,
    Release,
}
