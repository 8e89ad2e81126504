//! Flow definitions as the application stores them: the defaults shipped in
//! `data/flows/*.json` (loaded as published version 1 when a document type has none), the
//! list for the administration pages, and publishing a new version after validation.

use fiscus_core::flow::{DefinitionProblem, FlowDefinition, validate};
use fiscus_core::{Principal, Rejection, Role};
use fiscus_store::audit::{AuditEntry, append, now};
use fiscus_store::flow::{self as store, DefinitionRow};
use fiscus_store::{Db, Tx};

use crate::flow::checks;
use crate::{App, AppError, RequestCtx};

/// The default definition of each document type, as shipped.
pub const DEFAULT_FLOWS: [(&str, &str); 7] = [
    (
        "unit_change",
        include_str!("../../../../data/flows/unit_change.json"),
    ),
    (
        "payment_application",
        include_str!("../../../../data/flows/payment_application.json"),
    ),
    (
        "indicator_release",
        include_str!("../../../../data/flows/indicator_release.json"),
    ),
    (
        "budget_submission",
        include_str!("../../../../data/flows/budget_submission.json"),
    ),
    (
        "adjustment",
        include_str!("../../../../data/flows/adjustment.json"),
    ),
    (
        "project_declaration",
        include_str!("../../../../data/flows/project_declaration.json"),
    ),
    (
        "indicator_adjust",
        include_str!("../../../../data/flows/indicator_adjust.json"),
    ),
];

/// The author recorded on definitions the system loads.
const SYSTEM_AUTHOR: &str = "system";

/// Parses a definition from JSON (the format of `data/flows/*.json`).
pub fn parse_definition(json: &str) -> Result<FlowDefinition, Rejection> {
    serde_json::from_str(json).map_err(|_| Rejection::FieldInvalid {
        field: "流程定义",
        expected: "符合流程定义格式的 JSON（见 data/flows/README.md）",
    })
}

/// Everything that stops a definition from being published: the core's validation plus the
/// pre-checks this application does not know.
pub fn publication_problems(definition: &FlowDefinition) -> Vec<DefinitionProblem> {
    let mut problems = validate(definition).err().unwrap_or_default();
    for node in &definition.nodes {
        for check in &node.pre_checks {
            if checks::find(check).is_none() {
                problems.push(DefinitionProblem::PreCheckUnknown {
                    node: node.node_code.clone(),
                    check: check.clone(),
                });
            }
        }
    }
    problems
}

fn row_of(
    definition: &FlowDefinition,
    published_by: &str,
    at: &str,
) -> Result<DefinitionRow, AppError> {
    let definition_json = serde_json::to_string(definition)
        .map_err(|error| AppError::Internal(format!("definition serialization: {error}")))?;
    Ok(DefinitionRow {
        flow_code: definition.flow_code.to_string(),
        version: i64::from(definition.version),
        doc_type: definition.doc_type.code().to_owned(),
        name: definition.name.clone(),
        definition_json,
        status: "published".to_owned(),
        published_at: Some(at.to_owned()),
        published_by: Some(published_by.to_owned()),
    })
}

/// Loads the shipped default of every document type that has no definition yet, as published
/// version 1, inside the caller's transaction. Returns the flow codes loaded.
pub(crate) async fn ensure_defaults_in_tx(tx: &mut Tx) -> Result<Vec<String>, AppError> {
    let mut loaded = Vec::new();
    for (doc_type, json) in DEFAULT_FLOWS {
        if store::has_definition_for(tx, doc_type).await? {
            continue;
        }
        let definition = parse_definition(json)?;
        let problems = publication_problems(&definition);
        if !problems.is_empty() {
            return Err(Rejection::FlowDefinitionInvalid { problems }.into());
        }
        let at = now();
        store::insert_definition(tx, &row_of(&definition, SYSTEM_AUTHOR, &at)?, &at).await?;
        loaded.push(definition.flow_code.to_string());
    }
    Ok(loaded)
}

/// Loads the default flows of the document types that have none, in one transaction
/// (`fiscus migrate` and every command that migrates). Returns the flow codes loaded.
pub async fn ensure_default_flows(db: &Db) -> Result<Vec<String>, AppError> {
    let mut tx = db.begin().await?;
    let loaded = ensure_defaults_in_tx(&mut tx).await?;
    tx.commit().await?;
    Ok(loaded)
}

impl App {
    /// Loads the default flows of the document types that have none (migrate, demo, tests).
    pub async fn ensure_default_flows(&self) -> Result<Vec<String>, AppError> {
        ensure_default_flows(&self.db).await
    }

    /// Every stored version of every flow (administration page).
    pub async fn flow_definitions(&self, who: &Principal) -> Result<Vec<DefinitionRow>, AppError> {
        require_flow_admin(who)?;
        Ok(store::definitions(&self.db).await?)
    }

    /// Publishes `json` as the next version of its `flow_code` (the version in the JSON is
    /// ignored), after validation; `flow_definition_invalid` lists every problem. The other
    /// published flows of the document type are retired: new submissions use this one, running
    /// instances keep the version they started with. Returns the version published.
    pub async fn publish_flow(
        &self,
        who: &Principal,
        json: &str,
        ctx: &RequestCtx,
    ) -> Result<u32, AppError> {
        require_flow_admin(who)?;
        let mut definition = parse_definition(json)?;
        let mut tx = self.db.begin().await?;
        let version_max = store::max_version(&mut tx, definition.flow_code.as_str()).await?;
        definition.version = u32::try_from(version_max.unwrap_or(0) + 1)
            .map_err(|_| AppError::Internal("flow version out of range".into()))?;
        let problems = publication_problems(&definition);
        if !problems.is_empty() {
            return Err(Rejection::FlowDefinitionInvalid { problems }.into());
        }
        let at = now();
        let row = row_of(&definition, who.user_name.as_str(), &at)?;
        store::insert_definition(&mut tx, &row, &at).await?;
        store::retire_other_published(&mut tx, &row.doc_type, &row.flow_code, row.version, &at)
            .await?;
        let mut entry = AuditEntry::by(Some(who), "flow_publish");
        entry.entity = Some("flow_definition");
        entry.entity_key = Some(format!("{}@{}", row.flow_code, row.version));
        entry.ip = ctx.ip.clone();
        entry.request_id = ctx.request_id.clone();
        append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(definition.version)
    }
}

/// Flow definitions are administered by the system administrators.
fn require_flow_admin(who: &Principal) -> Result<(), AppError> {
    if who.roles.contains(Role::SysAdmin) {
        Ok(())
    } else {
        Err(Rejection::Forbidden.into())
    }
}
