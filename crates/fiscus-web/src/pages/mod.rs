//! Server-rendered pages in Chinese (maud). Every page is a plain HTML form or link; the one
//! small script only enhances (confirmations, select-all, auto-submitting filters).
//!
//! Route map: static paths (`/login`, `/tree`, `/audit-log`, `/static/…`) are matched before
//! the generic record pages `/{entity}` and `/{entity}/{key}`, and `/{entity}/new` and
//! `/{entity}/import` before `/{entity}/{key}`: of all keys only a user name could be `new`
//! or `import`, and such a user's page would be shadowed. An unknown entity name gives the
//! 404 page.

mod accounting;
mod accounting_close;
pub(crate) mod accounting_statements;
mod assets;
mod audit;
mod auth;
pub(crate) mod budget;
mod budget_excel;
mod budget_summary;
mod final_accounts;
pub(crate) mod flow;
mod format;
mod home;
mod layout;
mod ledger;
pub(crate) mod payment;
pub(crate) mod project;
mod records;
mod tree;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use fiscus_app::AppError;
use fiscus_core::Rejection;
use fiscus_core::schema::EntitySpec;
use maud::{DOCTYPE, Markup, html};

use crate::state::AppState;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/static/app.css", get(assets::css))
        .route("/static/app.js", get(assets::js))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/logout", post(auth::logout))
        .route(
            "/account/password",
            get(auth::password_form).post(auth::change_password),
        )
        .route("/", get(home::home))
        .route("/tree", get(tree::region_tree))
        .route("/tree/{mof_div_code}", get(tree::agency_tree))
        .route("/audit-log", get(audit::audit_log))
        .merge(accounting::routes())
        .merge(accounting_statements::routes())
        .merge(accounting_close::routes())
        .merge(budget_summary::routes())
        .merge(final_accounts::routes())
        .merge(flow::routes())
        .merge(ledger::routes())
        .merge(payment::routes())
        .merge(project::routes())
        .merge(budget::routes())
        .merge(budget_excel::routes())
        .route("/{entity}", get(records::list::list))
        .route(
            "/{entity}/new",
            get(records::form::new_form).post(records::form::create),
        )
        .route(
            "/{entity}/import",
            get(records::import::import_form).post(records::import::import_upload),
        )
        .route("/{entity}/{key}", get(records::detail::detail))
        .route(
            "/{entity}/{key}/edit",
            get(records::form::edit_form).post(records::form::update),
        )
        .route("/{entity}/{key}/disable", post(records::detail::disable))
        .route("/{entity}/{key}/enable", post(records::detail::enable))
        .route(
            "/{entity}/{key}/identity",
            post(records::detail::reveal_identity),
        )
        .route(
            "/{entity}/{key}/reset-password",
            post(records::detail::reset_password),
        )
}

/// An error of a page handler, shown as the full error page.
pub struct PageError {
    pub error: AppError,
    pub request_id: String,
}

impl PageError {
    pub fn new(error: impl Into<AppError>, request_id: &str) -> PageError {
        PageError {
            error: error.into(),
            request_id: request_id.to_owned(),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        error_page(&self.error, &self.request_id)
    }
}

pub type PageResult = Result<Response, PageError>;

/// The record kind named in the path, or the 404 page.
fn spec_of(entity: &str, request_id: &str) -> Result<&'static EntitySpec, PageError> {
    EntitySpec::by_name(entity)
        .ok_or_else(|| PageError::new(Rejection::NotFound { what: "页面" }, request_id))
}

/// A full error page for page requests.
pub fn error_page(error: &AppError, request_id: &str) -> Response {
    let (status, code, message, _) = crate::error::describe(error, request_id);
    let markup = error_markup(&message, &code, request_id);
    (status, markup).into_response()
}

fn error_markup(message: &str, code: &str, request_id: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "出错了 - Fiscus 预算管理一体化系统" }
                link rel="stylesheet" href="/static/app.css";
            }
            body class="bare" {
                main class="card narrow" {
                    p class="brand-line" { "Fiscus 预算管理一体化系统" }
                    h1 { "操作未能完成" }
                    p class="notice error" { (message) }
                    p class="muted small" { "错误代码：" (code) " · 请求编号：" (request_id) }
                    p class="actions" {
                        a class="button primary" href="/" { "返回首页" }
                    }
                }
            }
        }
    }
}

pub async fn not_found() -> Response {
    let markup = error_markup(
        &Rejection::NotFound { what: "页面" }.message(),
        "not_found",
        "-",
    );
    (StatusCode::NOT_FOUND, markup).into_response()
}
