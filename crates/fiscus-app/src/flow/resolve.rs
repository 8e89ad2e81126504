//! Resolves a definition's actor rules (role × organization relation) to user names for one
//! document, with one query per rule, into the `CandidateTable` the core's `apply` reads.

use fiscus_core::code::UserName;
use fiscus_core::flow::{ActorRule, CandidateTable, FlowDefinition, OrgRelation};
use fiscus_store::Tx;
use fiscus_store::flow::{UserWhere, users_with_role};

use crate::AppError;

/// Where a document stands in the organization trees.
#[derive(Clone, Debug, Default)]
pub struct DocumentPlace {
    /// The document's unit, if it belongs to one.
    pub agency_code: Option<String>,
    /// `/660101101/660101101001/`: the first code is the competent department (主管部门).
    pub agency_path: Option<String>,
    /// `/660000000/660100000/`: one code per level, the document's region last.
    pub region_path: String,
}

impl DocumentPlace {
    /// The unit heading the document unit's competent-department tree.
    fn competent_department(&self) -> Option<&str> {
        self.agency_path
            .as_deref()
            .and_then(|path| path.split('/').find(|code| !code.is_empty()))
    }

    /// The region `levels_up` levels above the document's (0: its own).
    fn region_up(&self, levels_up: u8) -> Option<&str> {
        let codes: Vec<&str> = self
            .region_path
            .split('/')
            .filter(|code| !code.is_empty())
            .collect();
        let index = codes.len().checked_sub(1 + usize::from(levels_up))?;
        codes.get(index).copied()
    }
}

/// Resolves every actor rule of `definition` for a document at `place`.
pub async fn candidate_table(
    tx: &mut Tx,
    definition: &FlowDefinition,
    place: &DocumentPlace,
) -> Result<CandidateTable, AppError> {
    let mut table = CandidateTable::default();
    for rule in definition.actor_rules() {
        let users = resolve_rule(tx, &rule, place).await?;
        table.users_by_rule.insert(rule, users);
    }
    Ok(table)
}

async fn resolve_rule(
    tx: &mut Tx,
    rule: &ActorRule,
    place: &DocumentPlace,
) -> Result<Vec<UserName>, AppError> {
    let where_ = match &rule.relation {
        OrgRelation::SubmitterUnit => place.agency_code.as_deref().map(UserWhere::Agency),
        OrgRelation::CompetentDepartment => place.competent_department().map(UserWhere::Agency),
        OrgRelation::FinanceBureau { levels_up } => {
            place.region_up(*levels_up).map(UserWhere::Bureau)
        }
        OrgRelation::NamedUser(user_name) => Some(UserWhere::Named(user_name.as_str())),
    };
    let Some(where_) = where_ else {
        return Ok(Vec::new());
    };
    let names = users_with_role(tx, &where_, rule.role.code()).await?;
    names
        .iter()
        .map(|name| {
            UserName::parse(name)
                .map_err(|_| AppError::Internal(format!("stored user name {name:?} is invalid")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_in_the_trees() {
        let place = DocumentPlace {
            agency_code: Some("660101101001".into()),
            agency_path: Some("/660101101/660101101001/".into()),
            region_path: "/660000000/660100000/660101000/".into(),
        };
        assert_eq!(place.competent_department(), Some("660101101"));
        assert_eq!(place.region_up(0), Some("660101000"));
        assert_eq!(place.region_up(2), Some("660000000"));
        assert_eq!(place.region_up(3), None);
    }
}
