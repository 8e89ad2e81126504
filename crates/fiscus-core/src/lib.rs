//! The pure domain of Fiscus: typed codes, money, the organization tree, roles, data scope,
//! validation of master-data commands and the closed set of business rejections. No IO.

pub mod accounting;
pub mod budget;
pub mod code;
pub mod final_accounts;
pub mod flow;
pub mod ledger;
pub mod masterdata;
pub mod money;
pub mod payment;
pub mod project;
pub mod query;
pub mod rejection;
pub mod rng;
pub mod role;
pub mod schema;
pub mod scope;

pub use code::{AgencyCode, FiscalYear, IdentityNumber, MofDivCode, UnifiedSocialCreditCode};
pub use money::Fen;
pub use rejection::Rejection;
pub use role::{Action, Resource, Role, RoleSet};
pub use scope::{DataScope, OrgNode, Principal};
