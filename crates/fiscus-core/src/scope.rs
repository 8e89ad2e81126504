//! Who is asking (`Principal`) and which records they may see (`DataScope`). The store turns a
//! scope into a SQL predicate; nothing else decides visibility.

use serde::Serialize;

use crate::code::{AgencyCode, MofDivCode, UserName};
use crate::role::{Action, Resource, Role, RoleSet};

/// The organization node a user belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum OrgNode {
    /// A region's finance bureau.
    FinanceBureau { mof_div_code: MofDivCode },
    /// A budget unit inside a region.
    Agency {
        mof_div_code: MofDivCode,
        agency_code: AgencyCode,
    },
}

/// An authenticated user (or API token acting as that user).
#[derive(Clone, Debug)]
pub struct Principal {
    pub user_name: UserName,
    pub display_name: String,
    pub roles: RoleSet,
    pub org: OrgNode,
    /// `/660000000/660100000/` — materialized path of the user's region.
    pub region_path: String,
    /// Materialized path of the user's unit in the competent-department tree, if any.
    pub agency_path: Option<String>,
    pub org_name: String,
}

/// Which records a principal may see. Records outside it do not exist for that user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataScope {
    /// A finance bureau sees its region and every region below it.
    RegionSubtree { region_path: String },
    /// A competent-department reviewer sees its unit and the units under it.
    AgencySubtree {
        mof_div_code: MofDivCode,
        agency_path: String,
    },
    /// A unit user sees its own unit only.
    Agency {
        mof_div_code: MofDivCode,
        agency_code: AgencyCode,
    },
}

impl Principal {
    pub fn scope(&self) -> DataScope {
        match &self.org {
            OrgNode::FinanceBureau { .. } => DataScope::RegionSubtree {
                region_path: self.region_path.clone(),
            },
            OrgNode::Agency {
                mof_div_code,
                agency_code,
            } => match (&self.agency_path, self.roles.contains(Role::DeptReviewer)) {
                (Some(agency_path), true) => DataScope::AgencySubtree {
                    mof_div_code: mof_div_code.clone(),
                    agency_path: agency_path.clone(),
                },
                _ => DataScope::Agency {
                    mof_div_code: mof_div_code.clone(),
                    agency_code: agency_code.clone(),
                },
            },
        }
    }

    pub fn can(&self, action: Action, resource: Resource) -> bool {
        self.roles.allows(action, resource)
    }

    pub fn mof_div_code(&self) -> &MofDivCode {
        match &self.org {
            OrgNode::FinanceBureau { mof_div_code } | OrgNode::Agency { mof_div_code, .. } => {
                mof_div_code
            }
        }
    }

    pub fn agency_code(&self) -> Option<&AgencyCode> {
        match &self.org {
            OrgNode::FinanceBureau { .. } => None,
            OrgNode::Agency { agency_code, .. } => Some(agency_code),
        }
    }

    /// The top of the tree: the corps finance bureau. Only it maintains national code tables.
    pub fn is_root_bureau(&self) -> bool {
        matches!(self.org, OrgNode::FinanceBureau { .. })
            && self.region_path.matches('/').count() == 2
    }
}

impl DataScope {
    /// Is a region (given by its path) inside this scope?
    pub fn contains_region_path(&self, region_path: &str) -> bool {
        match self {
            DataScope::RegionSubtree { region_path: own } => region_path.starts_with(own.as_str()),
            DataScope::AgencySubtree { .. } | DataScope::Agency { .. } => false,
        }
    }

    /// Is a unit (given by its region path, code and agency path) inside this scope?
    pub fn contains_agency(&self, region_path: &str, agency_code: &str, agency_path: &str) -> bool {
        match self {
            DataScope::RegionSubtree { region_path: own } => region_path.starts_with(own.as_str()),
            DataScope::AgencySubtree {
                agency_path: own, ..
            } => agency_path.starts_with(own.as_str()),
            DataScope::Agency {
                agency_code: own, ..
            } => own.as_str() == agency_code,
        }
    }
}

/// Builds a materialized path from the parent's path and the node's code.
pub fn child_path(parent_path: Option<&str>, code: &str) -> String {
    format!("{}{}/", parent_path.unwrap_or("/"), code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtree_containment() {
        let division = DataScope::RegionSubtree {
            region_path: child_path(Some("/660000000/"), "660100000"),
        };
        assert!(division.contains_region_path("/660000000/660100000/660101000/"));
        assert!(!division.contains_region_path("/660000000/660200000/"));
        assert!(!division.contains_region_path("/660000000/"));
        let unit = DataScope::Agency {
            mof_div_code: MofDivCode::parse("660101000").unwrap_or_else(|_| unreachable!()),
            agency_code: AgencyCode::parse("660101101").unwrap_or_else(|_| unreachable!()),
        };
        assert!(unit.contains_agency("/x/", "660101101", "/660101101/"));
        assert!(!unit.contains_agency("/x/", "660101102", "/660101102/"));
    }
}
