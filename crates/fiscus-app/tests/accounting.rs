//! The accounting books at the application level, on both backends: vouchers generated from
//! payments driven through the bank messages (three books, balanced, idempotent), manual
//! vouchers and their rejections, review and posting, red reversal, the monthly close, the
//! trial balance, the statements, the indicator book and the year-end close. Set-up is shared with the payment and ledger tests.

// Tests fail loudly: `expect` is the assertion here.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "ledger/support.rs"]
mod support;

#[path = "payment/setup.rs"]
mod setup;

#[path = "accounting/books.rs"]
mod books;
#[path = "accounting/close.rs"]
mod close;
#[path = "accounting/drive.rs"]
mod drive;
#[path = "accounting/entry.rs"]
mod entry;
#[path = "accounting/statements.rs"]
mod statements;
