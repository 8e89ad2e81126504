//! The HTTP suite, one test binary: the real router on `127.0.0.1:0` over a fresh database per
//! test (both backends through `on_both_backends!`, the browser test on SQLite only), spoken
//! to over HTTP as a browser or a machine client would.

// The modules live in `tests/http/`; a crate root finds submodules beside itself, hence the
// paths.

// Tests fail loudly: `expect` is the assertion here. Table rows are plain tuples on purpose.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::type_complexity)]

#[path = "http/helpers.rs"]
mod helpers;

#[path = "http/accounting.rs"]
mod accounting;
#[path = "http/accounting_browser.rs"]
mod accounting_browser;
#[path = "http/accounting_pages.rs"]
mod accounting_pages;
#[path = "http/accounting_reports.rs"]
mod accounting_reports;
#[path = "http/api.rs"]
mod api;
#[path = "http/auth.rs"]
mod auth;
#[path = "http/bad_input.rs"]
mod bad_input;
#[path = "http/browser.rs"]
mod browser;
#[path = "http/budget_api.rs"]
mod budget_api;
#[path = "http/budget_browser.rs"]
mod budget_browser;
#[path = "http/budget_excel.rs"]
mod budget_excel;
#[path = "http/budget_pages.rs"]
mod budget_pages;
#[path = "http/budget_summary.rs"]
mod budget_summary;
#[path = "http/chrome.rs"]
mod chrome;
#[path = "http/final_accounts.rs"]
mod final_accounts;
#[path = "http/flow.rs"]
mod flow;
#[path = "http/flow_browser.rs"]
mod flow_browser;
#[path = "http/import.rs"]
mod import;
#[path = "http/ledger.rs"]
mod ledger;
#[path = "http/ledger_browser.rs"]
mod ledger_browser;
#[path = "http/ledger_writes.rs"]
mod ledger_writes;
#[path = "http/payment.rs"]
mod payment;
#[path = "http/payment_browser.rs"]
mod payment_browser;
#[path = "http/project.rs"]
mod project;
#[path = "http/project_browser.rs"]
mod project_browser;
#[path = "http/scope.rs"]
mod scope;
#[path = "http/year_end.rs"]
mod year_end;
