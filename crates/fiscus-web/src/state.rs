//! Shared state of the web layer: the application and the metrics.

use std::sync::Arc;

use fiscus_app::App;

use crate::metrics::Metrics;

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub metrics: Arc<Metrics>,
}
