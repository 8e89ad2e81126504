//! The stylesheet and the one small script, embedded in the binary and served with long cache
//! headers (there is no CDN and no build step; both files are plain text under `static/`).

use axum::http::header;
use axum::response::{IntoResponse, Response};

const APP_CSS: &str = include_str!("../../static/app.css");
const APP_JS: &str = include_str!("../../static/app.js");

/// A day: long enough to spare requests, short enough that an upgrade is picked up soon
/// (the URLs carry no content hash).
const CACHE_CONTROL: &str = "public, max-age=86400";

pub async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE_CONTROL),
        ],
        APP_CSS,
    )
        .into_response()
}

pub async fn js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE_CONTROL),
        ],
        APP_JS,
    )
        .into_response()
}
