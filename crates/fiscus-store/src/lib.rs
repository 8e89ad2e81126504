//! Storage of Fiscus on SQLite (embedded default) and PostgreSQL (production). The same SQL
//! text runs on both: runtime queries with `$N` placeholders, dispatched by the `on_db!` /
//! `on_tx!` macros to the concrete sqlx types (no `sqlx::Any`). On SQLite every write
//! transaction runs on one writer connection and starts with `BEGIN IMMEDIATE`.

pub mod accounting;
pub mod audit;
pub mod auth;
pub mod bank;
pub mod budget;
pub mod bulk;
pub mod codes;
mod db;
pub mod facts;
pub mod final_accounts;
pub mod flow;
pub mod ledger;
pub mod migrate;
pub mod payment;
pub mod project;
pub mod records;
pub mod sql;
pub mod testing;
pub mod tree;
pub mod verify;

pub use db::{Backend, Db, Savepoint, StoreError, Tx};
pub use sql::Bind;
