//! Centralized treasury payment (国库集中支付), pure: payment applications and vouchers, their
//! rules and states, and the messages exchanged with the agency bank and the PBOC treasury.
//! See ADR 0009.

pub mod application;
pub mod message;
pub mod voucher;

#[cfg(test)]
mod tests;
