//! The JSON API under `/api/v1`: the same generic operations for every master-data kind
//! (list, read, create, edit, disable, enable, history, export), plus sessions, the current
//! user, the trees, the audit log and code-table roll-over.

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use fiscus_core::masterdata::{Input, Record, Value};
use fiscus_core::query::ListQuery;
use fiscus_core::schema::{EntitySpec, FieldKind};
use fiscus_core::{Fen, FiscalYear, Rejection};
use fiscus_store::audit::AuditQuery;
use serde_json::{Map, json};

use crate::context::{ApiUser, RequestInfo, clear_session_cookie, session_cookie};
use crate::error::ApiError;
use crate::state::AppState;

pub mod accounting;
pub mod accounting_reports;
pub mod bank;
pub mod budget;
pub mod final_accounts;
mod flow;
mod import;
pub mod ledger;
pub mod payment;
pub mod project;

pub use import::XLSX_CONTENT_TYPE;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .merge(accounting::routes())
        .merge(accounting_reports::routes())
        .merge(final_accounts::routes())
        .merge(bank::routes())
        .merge(budget::routes())
        .merge(flow::routes())
        .merge(ledger::routes())
        .merge(payment::routes())
        .merge(project::routes())
        .route("/api/v1/session", post(login).delete(logout))
        .route("/api/v1/me", get(me))
        .route("/api/v1/me/password", post(change_password))
        .route("/api/v1/regions/tree", get(region_tree))
        .route("/api/v1/agencies/tree", get(agency_tree))
        .route("/api/v1/audit-log", get(audit_log))
        .route("/api/v1/codes/copy-year", post(copy_year))
        .route("/api/v1/code-names/{element}", get(code_names))
        .route("/api/v1/users/{key}/reset-password", post(reset_password))
        .route("/api/v1/persons/{key}/identity", get(reveal_identity))
        .route("/api/v1/{entity}", get(list).post(create))
        .route("/api/v1/{entity}/export.xlsx", get(export))
        .route(
            "/api/v1/{entity}/import-template.xlsx",
            get(import::template),
        )
        .route("/api/v1/{entity}/import", post(import::upload))
        .route(
            "/api/v1/{entity}/{key}",
            get(read).patch(update).put(update),
        )
        .route("/api/v1/{entity}/{key}/disable", post(disable))
        .route("/api/v1/{entity}/{key}/enable", post(enable))
        .route("/api/v1/{entity}/{key}/history", get(history))
}

pub fn spec_of(entity: &str, request_id: &str) -> Result<&'static EntitySpec, ApiError> {
    EntitySpec::by_name(entity)
        .ok_or_else(|| ApiError::new(Rejection::NotFound { what: "资源" }, request_id))
}

/// A record as JSON: money stays integer fen, flags are booleans.
pub fn record_json(record: &Record) -> serde_json::Value {
    let object: Map<String, serde_json::Value> = record
        .iter()
        .map(|(name, value)| {
            let json = match value {
                Value::Null => serde_json::Value::Null,
                Value::Text(text) => json!(text),
                Value::Int(number) => json!(number),
                Value::Bool(flag) => json!(flag),
            };
            ((*name).to_owned(), json)
        })
        .collect();
    serde_json::Value::Object(object)
}

/// A JSON body as raw input. Integers given for money fields are fen; strings are 元.
pub fn json_input(spec: &EntitySpec, body: &serde_json::Value) -> Result<Input, Rejection> {
    let object = body.as_object().ok_or(Rejection::FieldInvalid {
        field: "请求体",
        expected: "JSON 对象",
    })?;
    let mut input = BTreeMap::new();
    for (name, value) in object {
        let kind = spec.field(name).map(|field| field.kind);
        let text = match (value, kind) {
            (serde_json::Value::Null, _) => String::new(),
            (serde_json::Value::String(text), _) => text.clone(),
            (serde_json::Value::Bool(flag), _) => flag.to_string(),
            (serde_json::Value::Number(number), Some(FieldKind::Money)) => match number.as_i64() {
                Some(fen) => Fen(fen).to_yuan_string(),
                None => {
                    return Err(Rejection::AmountInvalid {
                        field: spec.field(name).map_or("金额", |f| f.label),
                    });
                }
            },
            (serde_json::Value::Number(number), _) => match number.as_i64() {
                Some(integer) => integer.to_string(),
                None => {
                    return Err(Rejection::FieldInvalid {
                        field: spec.field(name).map_or("数值", |f| f.label),
                        expected: "整数",
                    });
                }
            },
            _ => {
                return Err(Rejection::FieldInvalid {
                    field: spec.field(name).map_or("字段", |f| f.label),
                    expected: "文本、数字或布尔值",
                });
            }
        };
        input.insert(name.clone(), text);
    }
    Ok(Input(input))
}

fn query_input(params: HashMap<String, String>) -> Input {
    Input(params.into_iter().collect())
}

type ApiResult = Result<Response, ApiError>;

/// A JSON body whose syntax errors come back in our error format (code and Chinese message).
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(
        request: axum::extract::Request,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let request_id = request
            .extensions()
            .get::<RequestInfo>()
            .map(|info| info.request_id.clone())
            .unwrap_or_default();
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(_) => Err(ApiError::new(
                Rejection::FieldInvalid {
                    field: "请求体",
                    expected: "符合接口说明的 JSON",
                },
                &request_id,
            )),
        }
    }
}

async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path(entity): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let spec = spec_of(&entity, rid)?;
    let query = ListQuery::parse(spec, &query_input(params)).map_err(|e| ApiError::new(e, rid))?;
    let page = state
        .app
        .list_records(&user.principal, spec, &query)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    let items: Vec<_> = page.rows.iter().map(record_json).collect();
    Ok(Json(json!({ "items": items, "total": page.total, "page": query.page, "page_size": query.page_size })).into_response())
}

async fn export(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path(entity): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let spec = spec_of(&entity, rid)?;
    let query = ListQuery::parse(spec, &query_input(params)).map_err(|e| ApiError::new(e, rid))?;
    let bytes = state
        .app
        .export_records(&user.principal, spec, &query)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(xlsx_response(spec, bytes))
}

pub fn xlsx_response(spec: &EntitySpec, bytes: Vec<u8>) -> Response {
    xlsx_file_response(spec.name, spec.label, bytes)
}

/// An .xlsx download named `{ascii_name}.xlsx`, or `{chinese_name}.xlsx` where the browser
/// understands RFC 5987 names.
pub fn xlsx_file_response(ascii_name: &str, chinese_name: &str, bytes: Vec<u8>) -> Response {
    let disposition = format!(
        "attachment; filename=\"{ascii_name}.xlsx\"; filename*=UTF-8''{}.xlsx",
        crate::context::percent_encode(chinese_name)
    );
    (
        [
            (header::CONTENT_TYPE, XLSX_CONTENT_TYPE.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

async fn read(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path((entity, key)): Path<(String, String)>,
) -> ApiResult {
    let rid = &info.request_id;
    let spec = spec_of(&entity, rid)?;
    let record = state
        .app
        .get_record(&user.principal, spec, &key)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(record_json(&record)).into_response())
}

async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path(entity): Path<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult {
    let rid = &info.request_id;
    let spec = spec_of(&entity, rid)?;
    let input = json_input(spec, &body).map_err(|e| ApiError::new(e, rid))?;
    let key = state
        .app
        .create_record(&user.principal, spec, &input, &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    let record = state
        .app
        .get_record(&user.principal, spec, &key)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok((StatusCode::CREATED, Json(record_json(&record))).into_response())
}

async fn update(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path((entity, key)): Path<(String, String)>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult {
    let rid = &info.request_id;
    let spec = spec_of(&entity, rid)?;
    let input = json_input(spec, &body).map_err(|e| ApiError::new(e, rid))?;
    state
        .app
        .update_record(&user.principal, spec, &key, &input, &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    let record = state
        .app
        .get_record(&user.principal, spec, &key)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(record_json(&record)).into_response())
}

async fn set_enabled(
    state: AppState,
    user: ApiUser,
    info: RequestInfo,
    entity: String,
    key: String,
    enabled: bool,
) -> ApiResult {
    let rid = &info.request_id;
    let spec = spec_of(&entity, rid)?;
    state
        .app
        .set_record_enabled(&user.0.principal, spec, &key, enabled, &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    let record = state
        .app
        .get_record(&user.0.principal, spec, &key)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(record_json(&record)).into_response())
}

async fn disable(
    State(state): State<AppState>,
    user: ApiUser,
    info: RequestInfo,
    Path((entity, key)): Path<(String, String)>,
) -> ApiResult {
    set_enabled(state, user, info, entity, key, false).await
}

async fn enable(
    State(state): State<AppState>,
    user: ApiUser,
    info: RequestInfo,
    Path((entity, key)): Path<(String, String)>,
) -> ApiResult {
    set_enabled(state, user, info, entity, key, true).await
}

async fn history(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path((entity, key)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let spec = spec_of(&entity, rid)?;
    let page = params.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let (rows, total) = state
        .app
        .record_history(&user.principal, spec, &key, page)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(json!({ "items": rows, "total": total })).into_response())
}

#[derive(serde::Deserialize)]
struct LoginBody {
    user_name: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    info: RequestInfo,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult {
    let rid = &info.request_id;
    let outcome = state
        .app
        .login(&body.user_name, &body.password, &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    let cookie = session_cookie(
        &outcome.session_token,
        state.app.settings.session_hours * 3600,
    );
    let body = json!({ "csrf_token": outcome.csrf_token, "must_change_password": outcome.must_change_password });
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

async fn logout(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
) -> ApiResult {
    if let Some(token) = &user.session_token {
        state
            .app
            .logout(token, &user.principal, &info.ctx())
            .await
            .map_err(|e| ApiError::new(e, &info.request_id))?;
    }
    Ok((
        [(header::SET_COOKIE, clear_session_cookie())],
        StatusCode::NO_CONTENT,
    )
        .into_response())
}

pub fn me_json(user: &crate::context::CurrentUser) -> serde_json::Value {
    let principal = &user.principal;
    json!({
        "user_name": principal.user_name,
        "display_name": principal.display_name,
        "roles": principal.roles.iter().map(|r| r.code()).collect::<Vec<_>>(),
        "role_names": principal.roles.names_zh(),
        "mof_div_code": principal.mof_div_code(),
        "agency_code": principal.agency_code(),
        "org_name": principal.org_name,
        "must_change_password": user.must_change_password,
    })
}

async fn me(ApiUser(user): ApiUser) -> ApiResult {
    Ok(Json(me_json(&user)).into_response())
}

#[derive(serde::Deserialize)]
struct PasswordBody {
    old_password: String,
    new_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    ApiJson(body): ApiJson<PasswordBody>,
) -> ApiResult {
    let rid = &info.request_id;
    state
        .app
        .change_password(
            &user.principal,
            &body.old_password,
            &body.new_password,
            &info.ctx(),
        )
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(serde::Deserialize)]
struct ResetBody {
    new_password: String,
}

async fn reset_password(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<ResetBody>,
) -> ApiResult {
    let rid = &info.request_id;
    state
        .app
        .reset_password(&user.principal, &key, &body.new_password, &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn reveal_identity(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path(key): Path<String>,
) -> ApiResult {
    let rid = &info.request_id;
    let iden_no = state
        .app
        .reveal_identity(&user.principal, &key, &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(json!({ "iden_no": iden_no })).into_response())
}

async fn region_tree(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
) -> ApiResult {
    let nodes = state
        .app
        .region_tree(&user.principal)
        .await
        .map_err(|e| ApiError::new(e, &info.request_id))?;
    Ok(Json(json!({ "items": nodes })).into_response())
}

async fn agency_tree(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let region = params
        .get("mof_div_code")
        .cloned()
        .unwrap_or_else(|| user.principal.mof_div_code().to_string());
    let nodes = state
        .app
        .agency_tree(&user.principal, &region)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(json!({ "items": nodes })).into_response())
}

async fn code_names(
    State(state): State<AppState>,
    ApiUser(_user): ApiUser,
    info: RequestInfo,
    Path(element): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let year = match params.get("fiscal_year") {
        Some(year) => Some(i64::from(
            FiscalYear::parse(year)
                .map_err(|e| ApiError::new(e, rid))?
                .0,
        )),
        None => None,
    };
    let pairs = state
        .app
        .code_names(&element, year)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    let items: Vec<_> = pairs
        .into_iter()
        .map(|(code, name)| json!({ "code": code, "name": name }))
        .collect();
    Ok(Json(json!({ "items": items })).into_response())
}

async fn audit_log(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let query = audit_query(&params);
    let (rows, total) = state
        .app
        .audit_log(&user.principal, query)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(json!({ "items": rows, "total": total })).into_response())
}

pub fn audit_query(params: &HashMap<String, String>) -> AuditQuery {
    let non_empty = |name: &str| {
        params
            .get(name)
            .filter(|v| !v.trim().is_empty())
            .map(|v| v.trim().to_owned())
    };
    AuditQuery {
        entity: non_empty("entity"),
        entity_key: non_empty("entity_key"),
        user_name: non_empty("user_name"),
        action: non_empty("action"),
        actor_region_path: None,
        page: params
            .get("page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1)
            .max(1),
        page_size: params
            .get("page_size")
            .and_then(|p| p.parse().ok())
            .unwrap_or(50)
            .clamp(1, fiscus_core::query::PAGE_SIZE_MAX),
    }
}

#[derive(serde::Deserialize)]
struct CopyYearBody {
    from_year: i32,
    to_year: i32,
}

async fn copy_year(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    ApiJson(body): ApiJson<CopyYearBody>,
) -> ApiResult {
    let rid = &info.request_id;
    let from = FiscalYear::new(body.from_year).map_err(|e| ApiError::new(e, rid))?;
    let to = FiscalYear::new(body.to_year).map_err(|e| ApiError::new(e, rid))?;
    let copied = fiscus_app::codes::copy_year(&state.app, &user.principal, from, to, &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(json!({ "copied": copied })).into_response())
}
