//! The project library at the application level, on both backends: a draft declared through
//! the `project_declaration` flow into the reserve pool, rejection back to draft and a second
//! declaration, bad input, scope, termination, attachments, 基本支出一键测算 and the filtered
//! list. Set-up is shared with the ledger tests.

// Tests fail loudly: `expect` is the assertion here.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "ledger/support.rs"]
mod support;

#[path = "project/attachment.rs"]
mod attachment;
#[path = "project/basic.rs"]
mod basic;
#[path = "project/declare.rs"]
mod declare;
#[path = "project/rules.rs"]
mod rules;
#[path = "project/setup.rs"]
mod setup;
