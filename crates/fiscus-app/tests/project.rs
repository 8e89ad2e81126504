//! The project library at the application level, on both backends: a draft declared through
//! the `project_declaration` flow into the reserve pool, rejection back to draft, bad input,
//! scope and termination. Set-up is shared with the ledger tests.

// Tests fail loudly: `expect` is the assertion here.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "ledger/support.rs"]
mod support;

#[path = "project/declare.rs"]
mod declare;
#[path = "project/rules.rs"]
mod rules;
#[path = "project/setup.rs"]
mod setup;
