//! The pages of the approval flow engine (流程引擎): the 待办 and 已办 lists with batch
//! approval and batch return, 我的申请 and marking notices read (`inbox`), one document with its actions and history, and the
//! 基础信息变更申请 form (`document`), and the administration of flow definitions
//! (`definitions`). Every action is a plain POST form; a refusal re-renders the page with the
//! Chinese message and the rejection's status.
//!
//! The open-task count beside 待办 in the navigation of every page comes from
//! `open_task_badge`, a middleware that runs one grouped count per signed-in page request
//! and hands it to the layout through a task-local.

mod definitions;
mod document;
pub(crate) mod inbox;

use std::collections::HashMap;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use fiscus_app::App;
use fiscus_core::Fen;
use fiscus_core::flow::{DocType, InstanceStatus};
use maud::{Markup, html};

use crate::context::CurrentUser;
use crate::state::AppState;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/flow/inbox", get(inbox::inbox))
        .route("/flow/done", get(inbox::done))
        .route("/flow/batch", post(inbox::batch))
        .route("/flow/mine", get(inbox::mine))
        .route("/flow/notices/read", post(inbox::mark_notices_read))
        .route("/flow/documents/{doc_id}", get(document::document))
        .route("/flow/documents/{doc_id}/act", post(document::act))
        .route(
            "/flow/documents/{doc_id}/edit",
            get(document::edit_form).post(document::update),
        )
        .route(
            "/flow/unit-change/new",
            get(document::new_form).post(document::create),
        )
        .route("/flow/definitions", get(definitions::list))
        .route("/flow/definitions/publish", post(definitions::publish))
        .route(
            "/flow/definitions/{flow_code}/{version}",
            get(definitions::version),
        )
}

/// Counts the viewer's open tasks once per page request, for the badge in the navigation.
/// API calls, static files and anonymous requests skip the query.
pub async fn open_task_badge(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let page = !path.starts_with("/api/")
        && !path.starts_with("/static/")
        && !matches!(path, "/healthz" | "/readyz" | "/metrics" | "/login");
    let user = request
        .extensions()
        .get::<Option<CurrentUser>>()
        .cloned()
        .flatten();
    match user {
        Some(user) if page && user.csrf_token.is_some() => {
            // A count that cannot be read leaves the badge out rather than failing the page.
            let count = state
                .app
                .flow_inbox_counts(&user.principal)
                .await
                .ok()
                .map(|counts| counts.iter().map(|(_, n)| *n).sum::<i64>());
            super::layout::OPEN_TASKS
                .scope(count, next.run(request))
                .await
        }
        _ => next.run(request).await,
    }
}

/// The Chinese name of a document type code.
pub fn doc_type_name(code: &str) -> &str {
    DocType::ALL
        .into_iter()
        .find(|doc_type| doc_type.code() == code)
        .map_or(code, |doc_type| doc_type.name_zh())
}

const STATUSES: [InstanceStatus; 6] = [
    InstanceStatus::Draft,
    InstanceStatus::InProgress,
    InstanceStatus::Returned,
    InstanceStatus::Approved,
    InstanceStatus::Rejected,
    InstanceStatus::Cancelled,
];

/// A document's status as a coloured badge.
pub fn status_badge(code: &str) -> Markup {
    let name = STATUSES
        .into_iter()
        .find(|status| status.code() == code)
        .map_or(code, |status| status.name_zh());
    let class = match code {
        "approved" => "badge ok",
        "in_progress" => "badge info",
        "returned" => "badge warn",
        "rejected" => "badge danger",
        _ => "badge off",
    };
    html! { span class=(class) { (name) } }
}

/// An amount in 元, or a dash for documents without one.
pub fn amount_cell(amount_fen: i64) -> Markup {
    if amount_fen == 0 {
        html! { span class="muted" { "—" } }
    } else {
        html! { span class="num" { (Fen(amount_fen).to_yuan_string()) } }
    }
}

/// Display names of the users a page mentions, `张三（zhangsan）`; unknown names as they are.
#[derive(Default)]
pub struct People {
    names: HashMap<String, String>,
}

impl People {
    pub async fn fetch(app: &App, user_names: Vec<String>) -> People {
        let mut names = HashMap::new();
        for user_name in user_names {
            if user_name.is_empty() || names.contains_key(&user_name) {
                continue;
            }
            if let Ok(Some(user)) = fiscus_store::auth::user_by_name(&app.db, &user_name).await {
                names.insert(user_name, user.display_name);
            }
        }
        People { names }
    }

    pub fn show(&self, user_name: &str) -> Markup {
        match self.names.get(user_name) {
            Some(name) => html! { (name) span class="muted small" { "（" (user_name) "）" } },
            None => html! { (user_name) },
        }
    }
}

/// Node names of every stored flow version by (document type, node code), the newest
/// version's name winning: the inbox shows where each task stands without loading each
/// instance. One query over the small definitions table.
pub async fn node_names(app: &App) -> HashMap<(String, String), String> {
    let mut names = HashMap::new();
    let rows = fiscus_store::flow::definitions(&app.db)
        .await
        .unwrap_or_default();
    for row in rows {
        if let Ok(definition) =
            fiscus_app::flow::definitions::parse_definition(&row.definition_json)
        {
            for node in definition.nodes {
                names.insert(
                    (row.doc_type.clone(), node.node_code.to_string()),
                    node.name,
                );
            }
        }
    }
    names
}

/// Is a stored due time already past?
pub fn overdue(due_at: Option<&str>) -> bool {
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;
    due_at
        .and_then(|due| OffsetDateTime::parse(due, &Rfc3339).ok())
        .is_some_and(|due| due < OffsetDateTime::now_utc())
}

/// The path of a document's page.
pub fn document_href(doc_id: &str) -> String {
    format!("/flow/documents/{}", crate::context::percent_encode(doc_id))
}

/// The short number a clerk reads out to tell documents of the same title apart: the first
/// eight characters of the document id, upper-case.
pub fn doc_number(doc_id: &str) -> String {
    doc_id.chars().take(8).collect::<String>().to_uppercase()
}
