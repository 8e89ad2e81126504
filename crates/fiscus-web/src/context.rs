//! Per-request context, resolved once by middleware: the request id, the client address, the
//! authenticated user (session cookie or bearer token), CSRF verification for every unsafe
//! request made with a cookie, the must-change-password gate, the tracing span and metrics.

use std::net::SocketAddr;
use std::time::Instant;

use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use fiscus_app::{AppError, RequestCtx};
use fiscus_core::{Principal, Rejection};
use tracing::Instrument;

use crate::error::ApiError;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "fiscus_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_FIELD: &str = "_csrf";
/// Largest urlencoded form body read for the CSRF check. Multipart bodies (file uploads) are
/// read up to `REQUEST_BODY_BYTES_MAX`.
pub const FORM_BODY_BYTES_MAX: usize = 1024 * 1024;

/// Where the request came from.
#[derive(Clone, Debug)]
pub struct RequestInfo {
    pub request_id: String,
    pub ip: Option<String>,
}

impl RequestInfo {
    pub fn ctx(&self) -> RequestCtx {
        RequestCtx {
            ip: self.ip.clone(),
            request_id: Some(self.request_id.clone()),
        }
    }
}

/// The authenticated user of a request.
#[derive(Clone)]
pub struct CurrentUser {
    pub principal: Principal,
    /// Present for browser sessions; bearer-token requests have none and need none.
    pub csrf_token: Option<String>,
    pub session_token: Option<String>,
    pub must_change_password: bool,
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name).then(|| value.to_owned())
        })
}

fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value
        .strip_prefix("Bearer ")
        .map(|token| token.trim().to_owned())
}

fn new_request_id() -> String {
    fiscus_app::crypto::random_bytes::<8>()
        .map(hex::encode)
        .unwrap_or_else(|_| "0000000000000000".into())
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// The inbound endpoint of the bank and the treasury: authenticated by the envelope's SM2
/// signature, not by a session, so cookies and CSRF tokens are not looked at. Exact match.
fn is_bank_inbound(path: &str) -> bool {
    path == crate::api::bank::BANK_MESSAGES_PATH
}

/// Paths a user who must change the password may still use.
fn allowed_before_password_change(path: &str) -> bool {
    matches!(
        path,
        "/account/password" | "/logout" | "/api/v1/me" | "/api/v1/me/password" | "/api/v1/session"
    ) || path.starts_with("/static/")
}

async fn resolve_user(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<CurrentUser>, AppError> {
    if let Some(token) = bearer_token(headers) {
        let principal = state.app.token_principal(&token).await?;
        return Ok(principal.map(|principal| CurrentUser {
            principal,
            csrf_token: None,
            session_token: None,
            must_change_password: false,
        }));
    }
    let Some(session_token) = cookie_value(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let session = state.app.session(&session_token).await?;
    Ok(session.map(|session| CurrentUser {
        principal: session.principal,
        csrf_token: Some(session.csrf_token),
        session_token: Some(session_token),
        must_change_password: session.must_change_password,
    }))
}

fn reject(path: &str, rejection: Rejection, request_id: &str) -> Response {
    if is_api(path) {
        return ApiError::new(rejection, request_id).into_response();
    }
    crate::pages::error_page(&AppError::Rejected(rejection), request_id)
}

/// An unsafe request from another origin is refused whatever its credentials.
fn cross_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let origin_host = origin.split("://").nth(1).unwrap_or(origin);
    origin != "null" && origin_host != host
}

/// Checks the session's CSRF token against the header or, for forms, the `_csrf` field: of
/// an urlencoded body, or the `_csrf` part of a multipart body (file uploads, where forms put
/// the field first). Returns the request, rebuilt with the same bytes when its body was read.
async fn verify_csrf(request: Request, expected: &str) -> Result<Request, Rejection> {
    if let Some(sent) = request
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        return if sent == expected {
            Ok(request)
        } else {
            Err(Rejection::CsrfTokenInvalid)
        };
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (parts, body) = request.into_parts();
    let (sent, bytes) = if content_type.starts_with("application/x-www-form-urlencoded") {
        let bytes = to_bytes(body, FORM_BODY_BYTES_MAX)
            .await
            .map_err(|_| Rejection::CsrfTokenInvalid)?;
        (form_urlencoded_value(&bytes, CSRF_FIELD), bytes)
    } else if let Some(boundary) = multipart_boundary(&content_type) {
        let bytes = to_bytes(body, crate::REQUEST_BODY_BYTES_MAX)
            .await
            .map_err(|_| Rejection::CsrfTokenInvalid)?;
        (multipart_value(&bytes, &boundary, CSRF_FIELD), bytes)
    } else {
        return Err(Rejection::CsrfTokenInvalid);
    };
    if sent.as_deref() != Some(expected) {
        return Err(Rejection::CsrfTokenInvalid);
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

fn form_urlencoded_value(body: &[u8], name: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    text.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| value.to_owned())
    })
}

/// The boundary of a `multipart/form-data` content type (RFC 7578), quotes removed.
fn multipart_boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    let essence = params.next()?.trim();
    if !essence.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.find_map(|param| {
        let (key, value) = param.trim().split_once('=')?;
        let value = value.trim().trim_matches('"');
        (key.trim().eq_ignore_ascii_case("boundary") && !value.is_empty()).then(|| value.to_owned())
    })
}

/// The text of the part named `name` in a multipart body: just enough of RFC 7578 to read
/// a small text field. Parts are `--boundary CRLF headers CRLF CRLF content CRLF`, and the
/// body ends with `--boundary--`. The scan stops at the wanted part.
fn multipart_value(body: &[u8], boundary: &str, name: &str) -> Option<String> {
    let delimiter = format!("--{boundary}");
    let next_part = format!("\r\n--{boundary}");
    let mut rest = &body[find(body, delimiter.as_bytes())? + delimiter.len()..];
    while !rest.starts_with(b"--") {
        let headers_end = find(rest, b"\r\n\r\n")?;
        let headers = std::str::from_utf8(&rest[..headers_end]).ok()?;
        let content = &rest[headers_end + 4..];
        let content_end = find(content, next_part.as_bytes())?;
        if part_name(headers) == Some(name) {
            return std::str::from_utf8(&content[..content_end])
                .ok()
                .map(str::to_owned);
        }
        rest = &content[content_end + next_part.len()..];
    }
    None
}

/// The `name` parameter of a part's `Content-Disposition: form-data; name="…"` header.
fn part_name(headers: &str) -> Option<&str> {
    let disposition = headers.split("\r\n").find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case("content-disposition")
            .then_some(value)
    })?;
    disposition.split(';').find_map(|param| {
        let (key, value) = param.trim().split_once('=')?;
        (key.trim() == "name").then(|| value.trim().trim_matches('"'))
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

pub async fn middleware(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        .map_or_else(new_request_id, str::to_owned);
    let mut response = handle(&state, request, next, &request_id).await;
    state
        .metrics
        .record(response.status().as_u16(), started.elapsed());
    tracing::info!(request_id = %request_id, status = response.status().as_u16(), elapsed_ms = started.elapsed().as_millis() as u64, "request done");
    // Every response carries the request id, the early refusals included.
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// Authentication, CSRF and the password gate, then the handler inside the request's span.
async fn handle(state: &AppState, mut request: Request, next: Next, request_id: &str) -> Response {
    let ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip().to_string());
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    // The bank's endpoint runs as nobody whatever cookie comes along: no session, no CSRF.
    let user = if is_bank_inbound(&path) {
        None
    } else {
        match resolve_user(state, request.headers()).await {
            Ok(user) => user,
            Err(error) => return crate::pages::error_page(&error, request_id),
        }
    };
    let unsafe_method = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && cross_origin(request.headers()) {
        return reject(&path, Rejection::CsrfTokenInvalid, request_id);
    }
    if unsafe_method && let Some(expected) = user.as_ref().and_then(|u| u.csrf_token.clone()) {
        request = match verify_csrf(request, &expected).await {
            Ok(request) => request,
            Err(rejection) => return reject(&path, rejection, request_id),
        };
    }
    if user.as_ref().is_some_and(|u| u.must_change_password)
        && !allowed_before_password_change(&path)
    {
        if is_api(&path) {
            return ApiError::new(Rejection::PasswordChangeRequired, request_id).into_response();
        }
        return Redirect::to("/account/password").into_response();
    }
    let (user_name, org) = user.as_ref().map_or((String::new(), String::new()), |u| {
        (
            u.principal.user_name.to_string(),
            u.principal.mof_div_code().to_string(),
        )
    });
    request.extensions_mut().insert(RequestInfo {
        request_id: request_id.to_owned(),
        ip,
    });
    request.extensions_mut().insert(user);
    let span = tracing::info_span!("request", request_id = %request_id, method = %method, path = %path, user = %user_name, org = %org);
    next.run(request).instrument(span).await
}

impl<S: Send + Sync> FromRequestParts<S> for RequestInfo {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<RequestInfo>()
            .cloned()
            .unwrap_or(RequestInfo {
                request_id: new_request_id(),
                ip: None,
            }))
    }
}

/// The user the middleware resolved for this request, if any.
fn signed_in(parts: &Parts) -> Option<CurrentUser> {
    parts
        .extensions
        .get::<Option<CurrentUser>>()
        .cloned()
        .flatten()
}

/// The user of an API request; 401 JSON when there is none.
pub struct ApiUser(pub CurrentUser);

impl<S: Send + Sync> FromRequestParts<S> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match signed_in(parts) {
            Some(user) => Ok(ApiUser(user)),
            None => {
                let request_id = parts
                    .extensions
                    .get::<RequestInfo>()
                    .map(|info| info.request_id.clone())
                    .unwrap_or_default();
                Err(ApiError::new(Rejection::NotAuthenticated, &request_id))
            }
        }
    }
}

/// The user of a page request; a redirect to the login page when there is none.
pub struct PageUser(pub CurrentUser);

impl<S: Send + Sync> FromRequestParts<S> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match signed_in(parts) {
            Some(user) => Ok(PageUser(user)),
            None => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|pq| pq.as_str())
                    .unwrap_or("/");
                let target = format!("/login?next={}", percent_encode(next));
                Err(Redirect::to(&target).into_response())
            }
        }
    }
}

/// Percent-encodes everything but unreserved characters (for `next=` and similar).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The `Set-Cookie` value of a new session.
pub fn session_cookie(token: &str, max_age_seconds: i64) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_seconds}"
    )
}

pub fn clear_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csrf_part_is_read_from_a_multipart_body() {
        let content_type = "multipart/form-data; boundary=\"----b0undary\"";
        let boundary = multipart_boundary(content_type).unwrap_or_default();
        assert_eq!(boundary, "----b0undary");
        assert_eq!(multipart_boundary("application/json"), None);
        let body = concat!(
            "preamble\r\n",
            "------b0undary\r\n",
            "Content-Disposition: form-data; name=\"file\"; filename=\"_csrf.xlsx\"\r\n",
            "Content-Type: application/octet-stream\r\n\r\n",
            "PK\u{3}\u{4} name=\"_csrf\"\r\n",
            "------b0undary\r\n",
            "content-disposition: form-data; name=\"_csrf\"\r\n\r\n",
            "abc123\r\n",
            "------b0undary--\r\n"
        );
        let value = multipart_value(body.as_bytes(), &boundary, CSRF_FIELD);
        assert_eq!(value.as_deref(), Some("abc123"));
        assert_eq!(multipart_value(body.as_bytes(), &boundary, "other"), None);
        assert_eq!(
            multipart_value(b"no parts at all", &boundary, CSRF_FIELD),
            None
        );
    }
}
