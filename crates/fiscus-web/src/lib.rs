//! HTTP face of Fiscus: the JSON API under `/api/v1`, its OpenAPI document, server-rendered
//! Chinese pages, sessions with CSRF protection, health, readiness and metrics. Only this
//! crate knows HTTP.

pub mod api;
pub mod context;
pub mod error;
pub mod metrics;
pub mod openapi;
pub mod pages;
pub mod state;

use std::sync::Arc;

use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use fiscus_app::App;
use tower_http::limit::RequestBodyLimitLayer;

use crate::state::AppState;

/// Largest request body accepted: forms, JSON and Excel uploads (.xlsx files for import).
pub const REQUEST_BODY_BYTES_MAX: usize = 8 * 1024 * 1024;

/// The whole application as an axum router.
pub fn router(app: App) -> axum::Router {
    let state = AppState {
        app,
        metrics: Arc::new(metrics::Metrics::default()),
    };
    axum::Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .route("/api/openapi.json", get(openapi_json))
        .merge(api::routes())
        .merge(pages::routes())
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            pages::flow::open_task_badge,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            context::middleware,
        ))
        .layer(RequestBodyLimitLayer::new(REQUEST_BODY_BYTES_MAX))
        // axum's extractors (raw bytes, multipart) apply their own 2 MB default unless told:
        // one limit for the whole server.
        .layer(DefaultBodyLimit::max(REQUEST_BODY_BYTES_MAX))
        .with_state(state)
}

/// Liveness: the process answers.
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.app.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(error) => {
            tracing::warn!(error = %error, "database not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

async fn metrics_text(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}

async fn openapi_json() -> impl IntoResponse {
    Json(openapi::document())
}

/// Serves until SIGINT or SIGTERM, then finishes in-flight requests and returns.
pub async fn serve(app: App, listener: tokio::net::TcpListener) -> Result<(), std::io::Error> {
    axum::serve(
        listener,
        router(app).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received, finishing in-flight requests");
}
