//! Treasury payment at the application level, on both backends: applications through their
//! flow with the reservation, vouchers at approval, the bank's messages and their repeats
//! and conflicts, bad input, and batch entry. Set-up is shared with the ledger tests.

// Tests fail loudly: `expect` is the assertion here.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "ledger/support.rs"]
mod support;

#[path = "payment/bad_input.rs"]
mod bad_input;
#[path = "payment/messages.rs"]
mod messages;
#[path = "payment/review.rs"]
mod review;
#[path = "payment/setup.rs"]
mod setup;
#[path = "payment/sheet.rs"]
mod sheet;
