//! Messages with the agency bank and the PBOC treasury (ADR 0009): SM2/SM3/SM4 behind
//! `VoucherCrypto` (`crypto`), the XML of the bodies (`xml`), the signed and encrypted envelope
//! (`codec`), and the HTTP client (`client`).

pub mod clearing;
pub mod client;
pub mod codec;
pub mod crypto;
pub mod inbox;
pub mod jobs;
pub mod links;
pub mod outbox;
pub mod reconcile;
pub mod xml;

pub use client::{BankClient, ClientTimeouts, SendError};
pub use codec::{Channel, open, open_ack, seal, seal_ack, signer_of};
pub use crypto::{SmCrypto, VoucherCrypto};
