//! Roles and what each may do. The matrix here is the single place that says which role may
//! read or write which kind of record; the data scope (which records) is in `scope.rs`.

use serde::{Deserialize, Serialize};

use crate::rejection::Rejection;

/// The kind of organization node a role belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrgKind {
    /// A region's finance bureau (财政部门).
    FinanceBureau,
    /// A budget unit (预算单位).
    Agency,
    /// Either.
    Any,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    SysAdmin,
    BudgetDivision,
    TreasuryDivision,
    BusinessDivision,
    /// 绩效处: reviews the performance targets of project declarations (项目绩效审核).
    PerformanceDivision,
    /// 评审中心: the finance review centre, the last review before a project enters the pool.
    ReviewCentre,
    UnitClerk,
    UnitApprover,
    DeptReviewer,
    Auditor,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Role::SysAdmin,
        Role::BudgetDivision,
        Role::TreasuryDivision,
        Role::BusinessDivision,
        Role::PerformanceDivision,
        Role::ReviewCentre,
        Role::UnitClerk,
        Role::UnitApprover,
        Role::DeptReviewer,
        Role::Auditor,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::SysAdmin => "sys_admin",
            Role::BudgetDivision => "budget_division",
            Role::TreasuryDivision => "treasury_division",
            Role::BusinessDivision => "business_division",
            Role::PerformanceDivision => "performance_division",
            Role::ReviewCentre => "review_centre",
            Role::UnitClerk => "unit_clerk",
            Role::UnitApprover => "unit_approver",
            Role::DeptReviewer => "dept_reviewer",
            Role::Auditor => "auditor",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Role::SysAdmin => "系统管理员",
            Role::BudgetDivision => "预算处",
            Role::TreasuryDivision => "国库处",
            Role::BusinessDivision => "业务处",
            Role::PerformanceDivision => "绩效处",
            Role::ReviewCentre => "评审中心",
            Role::UnitClerk => "单位经办",
            Role::UnitApprover => "单位审核",
            Role::DeptReviewer => "主管部门审核",
            Role::Auditor => "审计查询（只读）",
        }
    }

    pub fn org_kind(self) -> OrgKind {
        match self {
            Role::SysAdmin
            | Role::BudgetDivision
            | Role::TreasuryDivision
            | Role::BusinessDivision
            | Role::PerformanceDivision
            | Role::ReviewCentre => OrgKind::FinanceBureau,
            Role::UnitClerk | Role::UnitApprover | Role::DeptReviewer => OrgKind::Agency,
            Role::Auditor => OrgKind::Any,
        }
    }

    pub fn parse(text: &str) -> Result<Role, Rejection> {
        let text = text.trim();
        Role::ALL
            .into_iter()
            .find(|role| role.code() == text || role.name_zh() == text)
            .ok_or_else(|| Rejection::RoleUnknown {
                value: text.to_owned(),
            })
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// The roles of one user, as a small bit set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RoleSet(u16);

impl RoleSet {
    pub fn of(roles: &[Role]) -> RoleSet {
        RoleSet(roles.iter().fold(0, |bits, role| bits | role.bit()))
    }

    pub fn contains(self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL
            .into_iter()
            .filter(move |role| self.contains(*role))
    }

    /// Parses the stored form: role codes separated by commas.
    pub fn parse_list(text: &str) -> Result<RoleSet, Rejection> {
        let mut roles = Vec::new();
        for part in text
            .split([',', '，', ' '])
            .filter(|part| !part.trim().is_empty())
        {
            roles.push(Role::parse(part)?);
        }
        Ok(RoleSet::of(&roles))
    }

    pub fn to_list(self) -> String {
        self.iter().map(Role::code).collect::<Vec<_>>().join(",")
    }

    pub fn names_zh(self) -> String {
        self.iter()
            .map(Role::name_zh)
            .collect::<Vec<_>>()
            .join("、")
    }

    /// May a user holding these roles do `action` on records of kind `resource`?
    pub fn allows(self, action: Action, resource: Resource) -> bool {
        self.iter().any(|role| role_allows(role, action, resource))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Read,
    Write,
}

/// Kinds of records, one per master-data concept plus the system ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resource {
    Region,
    Agency,
    AgencyAccount,
    Person,
    CodeItem,
    CodeMapping,
    Standard,
    User,
    AuditLog,
    /// Budget indicators (指标) and their 账页. Written only through operation documents.
    Indicator,
    /// Reservations against indicators (预占 / 过账 / 撤销 / 退款): the payment interface.
    Reservation,
    /// Control levels of the ledger (控制级次).
    LedgerControl,
    /// Projects of the project library (项目库) and their attachments: a unit's clerk writes
    /// its unit's projects, the budget division terminates them; reviewers act through the
    /// declaration flow, not by writing the project.
    Project,
    /// Budget compilation (预算编制): a unit's clerk writes its unit's tables and adjustments,
    /// a competent department distributes control numbers and adjusts across its units, the
    /// budget division issues control numbers, pre-releases and approves. Reviews act through
    /// the flow, not by writing the budget.
    Budget,
    /// The accounting books (会计核算): the treasury division keeps its region's 财政总会计,
    /// a unit's clerk keeps the unit's 财务会计 and 预算会计; auditors and the other finance
    /// and unit roles read. Which book a writer may touch follows from its organisation.
    Accounting,
    /// Final accounts (决算): a unit's clerk (or its department's reviewer) generates and
    /// submits its unit's or department's set, the budget division generates region sets
    /// and accepts the sets of its subtree; auditors and the other finance and unit roles
    /// read. Which set a writer may touch follows from its organisation.
    FinalAccounts,
}

/// The permission matrix. Reads of master data are open to every role inside its scope;
/// writes belong to the roles that maintain that data in real systems (DOMAIN.md §1.3.1).
fn role_allows(role: Role, action: Action, resource: Resource) -> bool {
    use Resource::*;
    use Role::*;
    let master_data = matches!(
        resource,
        Region | Agency | AgencyAccount | Person | CodeItem | CodeMapping | Standard
    );
    match action {
        Action::Read => match resource {
            User | AuditLog => matches!(role, SysAdmin | Auditor),
            Indicator | Reservation | LedgerControl | Project | Budget => true,
            Accounting | FinalAccounts => {
                !matches!(role, SysAdmin | PerformanceDivision | ReviewCentre)
            }
            _ => master_data,
        },
        Action::Write => match (role, resource) {
            (SysAdmin, _) => !matches!(
                resource,
                AuditLog | Indicator | Reservation | Project | Budget | Accounting | FinalAccounts
            ),
            (BudgetDivision, Agency | Person | Standard) => true,
            (TreasuryDivision, AgencyAccount) => true,
            (UnitClerk, Agency | Person) => true,
            (BudgetDivision | BusinessDivision | TreasuryDivision, Indicator) => true,
            (TreasuryDivision | UnitClerk, Reservation) => true,
            (BudgetDivision, LedgerControl) => true,
            (UnitClerk | BudgetDivision, Project) => true,
            (UnitClerk | DeptReviewer | BudgetDivision, Budget) => true,
            (TreasuryDivision | UnitClerk, Accounting) => true,
            (UnitClerk | DeptReviewer | BudgetDivision, FinalAccounts) => true,
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_matrix() {
        use Action::*;
        use Resource::*;
        let cases: &[(Role, Action, Resource, bool)] = &[
            (Role::SysAdmin, Write, Region, true),
            (Role::SysAdmin, Write, AuditLog, false),
            (Role::SysAdmin, Read, AuditLog, true),
            (Role::Auditor, Read, AuditLog, true),
            (Role::Auditor, Read, Agency, true),
            (Role::Auditor, Write, Agency, false),
            (Role::BudgetDivision, Write, Standard, true),
            (Role::BudgetDivision, Write, Region, false),
            (Role::BudgetDivision, Read, User, false),
            (Role::TreasuryDivision, Write, AgencyAccount, true),
            (Role::TreasuryDivision, Write, Person, false),
            (Role::BusinessDivision, Write, Agency, false),
            (Role::UnitClerk, Write, Person, true),
            (Role::UnitClerk, Write, CodeItem, false),
            (Role::UnitApprover, Write, Person, false),
            (Role::UnitApprover, Read, Person, true),
            (Role::DeptReviewer, Read, Agency, true),
            (Role::DeptReviewer, Write, Agency, false),
            (Role::PerformanceDivision, Read, Agency, true),
            (Role::PerformanceDivision, Write, Standard, false),
            (Role::ReviewCentre, Read, Person, true),
            (Role::ReviewCentre, Write, Indicator, false),
            (Role::UnitClerk, Write, Project, true),
            (Role::UnitClerk, Write, Budget, true),
            (Role::DeptReviewer, Write, Budget, true),
            (Role::BusinessDivision, Write, Budget, false),
            (Role::SysAdmin, Write, Budget, false),
            (Role::Auditor, Read, Budget, true),
            (Role::BudgetDivision, Write, Project, true),
            (Role::SysAdmin, Write, Project, false),
            (Role::BusinessDivision, Write, Project, false),
            (Role::PerformanceDivision, Write, Project, false),
            (Role::ReviewCentre, Write, Project, false),
            (Role::UnitApprover, Write, Project, false),
            (Role::DeptReviewer, Write, Project, false),
            (Role::Auditor, Write, Project, false),
            (Role::Auditor, Read, Project, true),
            (Role::DeptReviewer, Read, Project, true),
            (Role::ReviewCentre, Read, Project, true),
            (Role::TreasuryDivision, Write, Accounting, true),
            (Role::UnitClerk, Write, Accounting, true),
            (Role::UnitApprover, Write, Accounting, false),
            (Role::BudgetDivision, Write, Accounting, false),
            (Role::SysAdmin, Write, Accounting, false),
            (Role::Auditor, Write, Accounting, false),
            (Role::Auditor, Read, Accounting, true),
            (Role::SysAdmin, Read, Accounting, false),
            (Role::UnitClerk, Write, FinalAccounts, true),
            (Role::DeptReviewer, Write, FinalAccounts, true),
            (Role::BudgetDivision, Write, FinalAccounts, true),
            (Role::TreasuryDivision, Write, FinalAccounts, false),
            (Role::UnitApprover, Write, FinalAccounts, false),
            (Role::SysAdmin, Write, FinalAccounts, false),
            (Role::Auditor, Write, FinalAccounts, false),
            (Role::Auditor, Read, FinalAccounts, true),
            (Role::UnitApprover, Read, FinalAccounts, true),
            (Role::SysAdmin, Read, FinalAccounts, false),
            (Role::ReviewCentre, Read, FinalAccounts, false),
        ];
        for (role, action, resource, expected) in cases {
            assert_eq!(
                RoleSet::of(&[*role]).allows(*action, *resource),
                *expected,
                "{role:?} {action:?} {resource:?}"
            );
        }
    }

    #[test]
    fn every_role_has_a_code_a_name_and_a_bit() {
        let all = RoleSet::of(&Role::ALL);
        assert_eq!(all.iter().count(), Role::ALL.len(), "bits are distinct");
        for role in Role::ALL {
            assert_eq!(Role::parse(role.code()), Ok(role));
            assert_eq!(Role::parse(role.name_zh()), Ok(role));
        }
        assert_eq!(Role::PerformanceDivision.org_kind(), OrgKind::FinanceBureau);
        assert_eq!(Role::ReviewCentre.org_kind(), OrgKind::FinanceBureau);
    }

    #[test]
    fn role_list_round_trip() {
        let roles = RoleSet::of(&[Role::UnitClerk, Role::UnitApprover]);
        assert_eq!(roles.to_list(), "unit_clerk,unit_approver");
        assert_eq!(RoleSet::parse_list("unit_clerk, 单位审核"), Ok(roles));
        assert!(RoleSet::parse_list("boss").is_err());
    }
}
