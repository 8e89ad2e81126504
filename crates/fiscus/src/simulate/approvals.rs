//! Working through the 待办: every user who holds open tasks of a document type approves
//! them a page at a time with `App::flow_batch` (one transaction per page), round after
//! round, until no task of that type is open. Each flow step of each document is a real
//! approval by the user the flow engine assigned it to.

use anyhow::{Result, bail};
use fiscus_app::RequestCtx;
use fiscus_app::flow::BatchOutcome;
use fiscus_core::flow::Command;
use fiscus_store::flow::InboxQuery;

use super::{Progress, World};
use crate::app_error;

/// Pages per user per round (`flow_batch` takes at most 500 documents; the inbox 200).
const APPROVAL_PAGE: u32 = 200;
/// Rounds before giving up: a flow has a handful of steps.
const ROUNDS_MAX: usize = 50;

/// Approves every open task of `doc_type`; returns the approvals made.
pub async fn approve_all(
    world: &mut World,
    doc_type: &str,
    progress: &mut Progress,
) -> Result<usize> {
    let ctx = RequestCtx::default();
    let mut n_approved = 0;
    for _ in 0..ROUNDS_MAX {
        let assignees = fiscus_store::flow::open_task_assignees(&world.app.db, doc_type).await?;
        if assignees.is_empty() {
            return Ok(n_approved);
        }
        let open: i64 = assignees.iter().map(|(_, n)| n).sum();
        for (user_name, _) in assignees {
            let who = world.principal(&user_name).await?;
            loop {
                let query = InboxQuery {
                    user_name: String::new(),
                    doc_type: Some(doc_type.to_owned()),
                    search: None,
                    page: 1,
                    page_size: APPROVAL_PAGE,
                };
                let (tasks, _) = world.app.flow_inbox(&who, query).await.map_err(app_error)?;
                if tasks.is_empty() {
                    break;
                }
                let items = tasks
                    .iter()
                    .map(|task| {
                        Ok((
                            task.doc_id.clone(),
                            Command::Approve {
                                task_id: fiscus_app::flow::task_id_of(task).map_err(app_error)?,
                                opinion: "同意".into(),
                            },
                        ))
                    })
                    .collect::<Result<Vec<_>>>()?;
                match world
                    .app
                    .flow_batch(&who, &items, &ctx)
                    .await
                    .map_err(app_error)?
                {
                    BatchOutcome::Applied { n_documents } => n_approved += n_documents,
                    BatchOutcome::Refused { doc_id, rejection } => bail!(
                        "{user_name} could not approve {doc_id}: {} ({})",
                        rejection.message(),
                        rejection.code()
                    ),
                }
            }
        }
        progress.tick(
            &format!("审批 {doc_type}"),
            n_approved,
            n_approved + usize::try_from(open).unwrap_or(0),
        );
    }
    bail!("open {doc_type} tasks remain after {ROUNDS_MAX} rounds of approvals")
}
