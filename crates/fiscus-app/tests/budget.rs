//! Budget compilation at the application level, on both backends: a whole 二上二下 cycle for
//! one unit (一上 → 一下 control numbers → 二上 → 预下达 → 批复 into indicators → 调剂), and
//! every rejection of the cycle leaving the stored budget unchanged.

// Tests fail loudly: `expect` is the assertion here.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "ledger/support.rs"]
mod support;

#[path = "budget/cycle.rs"]
mod cycle;
#[path = "budget/rejections.rs"]
mod rejections;
#[path = "budget/world.rs"]
mod world;
