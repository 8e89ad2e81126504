//! One record: every field with its label (write-only fields never), the actions the user may
//! take on it (编辑, 停用/启用, 重置密码, 查看证件号码), links to related lists, and its change
//! history. Actions post back here; a refused action re-renders the page with the reason.

use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use fiscus_core::masterdata::{PASSWORD_LENGTH_MIN, Record, Value};
use fiscus_core::schema::{self, Edit, EntitySpec, FieldKind, FieldSpec};
use fiscus_core::{MofDivCode, Rejection};
use maud::{Markup, html};

use super::history::{changes_of, history_table, want_names};
use super::{can_write, module_of, record_title};
use crate::context::{CurrentUser, PageUser, RequestInfo};
use crate::error::describe;
use crate::pages::format::{Names, cell, enabled_badge, plain};
use crate::pages::layout::{self, csrf_field, heading, notice_error, notice_ok, record_href, url};
use crate::pages::{PageError, PageResult, spec_of};
use crate::state::AppState;

/// What happened just before the page was drawn.
enum Notice {
    Done(&'static str),
    Refused(String),
}

/// Messages after a redirect (`?ok=…`); only these fixed texts are ever shown.
fn done_message(ok: &str) -> Option<&'static str> {
    match ok {
        "created" => Some("已保存。"),
        "updated" => Some("修改已保存。"),
        "disabled" => Some("已停用。"),
        "enabled" => Some("已启用。"),
        "password_reset" => Some("密码已重置。请将新密码告知该用户，其下次登录时须修改密码。"),
        _ => None,
    }
}

pub async fn detail(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path((entity, key)): Path<(String, String)>,
    Query(params): Query<Vec<(String, String)>>,
) -> PageResult {
    let spec = spec_of(&entity, &info.request_id)?;
    let notice = params
        .iter()
        .find(|(name, _)| name == "ok")
        .and_then(|(_, ok)| done_message(ok))
        .map(Notice::Done);
    render(&state, &user, &info, spec, &key, notice).await
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    info: &RequestInfo,
    spec: &'static EntitySpec,
    key: &str,
    notice: Option<Notice>,
) -> PageResult {
    let rid = &info.request_id;
    let principal = &user.principal;
    let record = state
        .app
        .get_record(principal, spec, key)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let (history, total) = state
        .app
        .record_history(principal, spec, key, 1)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let changes: Vec<_> = history.iter().map(|row| changes_of(spec, row)).collect();
    let mut names = Names::default();
    names.want_record(spec.fields.iter(), &record);
    want_names(&changes, &mut names);
    names.fetch(&state.app, principal).await;

    let title = record_title(spec, &record, key);
    let enabled = record.get("is_enabled").and_then(Value::as_bool);
    let content = html! {
        (heading(&[("", module_of(spec)), (&format!("/{}", spec.name), spec.label)], &title, actions(user, spec, key, enabled)))
        @match &notice {
            Some(Notice::Done(message)) => (notice_ok(message)),
            Some(Notice::Refused(message)) => (notice_error(message)),
            None => {},
        }
        section class="card" {
            h2 { (spec.label) "信息" @if let Some(enabled) = enabled { " " (enabled_badge(enabled)) } }
            dl class="fields" {
                // The state is in the heading, the system's own columns in the footer;
                // write-only fields are never shown.
                @for field in spec.fields.iter().filter(|f| f.kind != FieldKind::Secret && f.name != "is_enabled" && !is_system_field(spec, f)) {
                    div class={ "field-line" @if field.kind == FieldKind::Text && field.length_max >= 200 { " wide" } } {
                        dt { (field.label) }
                        dd {
                            (value_line(spec, field, record.get(field.name).unwrap_or(&Value::Null), &names))
                            @if field.name == "iden_no_masked" {
                                (identity_button(user, spec, key))
                            }
                        }
                    }
                }
            }
            p class="record-footer muted small" {
                @for field in spec.fields.iter().filter(|f| is_system_field(spec, f)) {
                    span { (field.label) "：" (plain(field, record.get(field.name).unwrap_or(&Value::Null), &names)) }
                }
            }
        }
        (related(user, spec, key, &record))
        @if spec.name == "users" && can_write(principal, spec) {
            (reset_password_form(user, spec, key))
        }
        (history_table(&history, &changes, total, &names))
    };
    Ok(layout::page(user, &title, &format!("/{}", spec.name), content).into_response())
}

/// Columns kept by the system (a generated record id, who changed it last and when), shown
/// small under the record rather than among the fields people maintain.
fn is_system_field(spec: &EntitySpec, field: &FieldSpec) -> bool {
    matches!(field.name, "updated_at" | "updated_by")
        || (field.name == spec.key && field.edit == Edit::Never)
}

/// A value on the detail page: the key bare, a unit or region linked to its own page.
fn value_line(spec: &EntitySpec, field: &FieldSpec, value: &Value, names: &Names) -> Markup {
    let shown = cell(field, value, names);
    match (field.kind, value) {
        (_, Value::Text(key)) if field.name == spec.key => html! { span class="code" { (key) } },
        (FieldKind::Agency, Value::Text(code)) => {
            html! { a href=(record_href(&schema::AGENCY, code)) { (shown) } }
        }
        (FieldKind::Region, Value::Text(code)) => {
            html! { a href=(record_href(&schema::REGION, code)) { (shown) } }
        }
        _ => shown,
    }
}

fn actions(
    user: &CurrentUser,
    spec: &'static EntitySpec,
    key: &str,
    enabled: Option<bool>,
) -> Markup {
    // A unit clerk changes their own unit's information through an approval flow.
    let principal = &user.principal;
    let change_request = spec.name == schema::AGENCY.name
        && principal.roles.contains(fiscus_core::Role::UnitClerk)
        && principal
            .agency_code()
            .is_some_and(|own| own.as_str() == key);
    let change_link = html! {
        @if change_request {
            a class="button primary" href="/flow/unit-change/new" { "申请变更本单位信息" } " "
        }
    };
    if !can_write(principal, spec) {
        return change_link;
    }
    let editable = spec
        .fields
        .iter()
        .any(|f| f.edit == Edit::Always && f.kind != FieldKind::Secret);
    let href = record_href(spec, key);
    html! {
        (change_link)
        @if editable {
            a class="button primary" href=(format!("{href}/edit")) { "编辑" }
        }
        @match enabled {
            Some(true) => {
                " "
                form method="post" action=(format!("{href}/disable")) class="inline" {
                    (csrf_field(user))
                    button type="submit" class="button danger" data-confirm=(format!("确定停用该{}吗？停用后不能再被选用，但历史数据保留，可随时重新启用。", spec.label)) { "停用" }
                }
            }
            Some(false) => {
                " "
                form method="post" action=(format!("{href}/enable")) class="inline" {
                    (csrf_field(user))
                    button type="submit" class="button" data-confirm=(format!("确定重新启用该{}吗？", spec.label)) { "启用" }
                }
            }
            None => {},
        }
    }
}

fn identity_button(user: &CurrentUser, spec: &EntitySpec, key: &str) -> Markup {
    html! {
        form method="post" action=(format!("{}/identity", record_href(spec, key))) class="inline reveal" {
            (csrf_field(user))
            button type="submit" class="button small" data-confirm="查看完整证件号码将记入审计日志，确定查看吗？" { "查看证件号码" }
        }
    }
}

/// Links to the lists and trees around a unit or a region.
fn related(user: &CurrentUser, spec: &EntitySpec, key: &str, record: &Record) -> Markup {
    let text = |name: &str| {
        record
            .get(name)
            .and_then(Value::as_text)
            .unwrap_or_default()
            .to_owned()
    };
    let mut links: Vec<(String, String)> = Vec::new();
    match spec.name {
        "agencies" => {
            links.push((
                url("/persons", &[("agency_code", key)]),
                "本单位人员".into(),
            ));
            links.push((
                url("/accounts", &[("agency_code", key)]),
                "本单位银行账户".into(),
            ));
            links.push((
                url("/agencies", &[("parent_agency_code", key)]),
                "下级单位".into(),
            ));
            let region = text("mof_div_code");
            if !region.is_empty() {
                links.push((format!("/tree/{region}"), "所在区划的单位树".into()));
            }
            if can_write(&user.principal, &schema::PERSON) {
                links.push((
                    url("/persons/new", &[("agency_code", key)]),
                    "为本单位新增人员".into(),
                ));
            }
        }
        "regions" => {
            links.push((
                url("/agencies", &[("mof_div_code", key)]),
                "本级单位".into(),
            ));
            if let Ok(code) = MofDivCode::parse(key) {
                links.push((
                    url(
                        "/agencies",
                        &[("mof_div_code", code.jurisdiction().as_str())],
                    ),
                    "辖区单位（含下级区划）".into(),
                ));
            }
            links.push((
                url("/regions", &[("parent_mof_div_code", key)]),
                "下级区划".into(),
            ));
            links.push((format!("/tree/{key}"), "单位树".into()));
        }
        "persons" | "accounts" => {
            let agency = text("agency_code");
            if !agency.is_empty() {
                links.push((record_href(&schema::AGENCY, &agency), "所在单位".into()));
                links.push((
                    url(&format!("/{}", spec.name), &[("agency_code", &agency)]),
                    format!("同单位的{}", spec.label),
                ));
            }
        }
        _ => {}
    }
    if links.is_empty() {
        return html! {};
    }
    html! {
        section class="card related" {
            h2 { "相关信息" }
            ul class="quick-links inline-list" { @for (href, label) in &links { li { a href=(href) { (label) } } } }
        }
    }
}

fn reset_password_form(user: &CurrentUser, spec: &EntitySpec, key: &str) -> Markup {
    html! {
        section class="card" {
            h2 { "重置密码" }
            form method="post" action=(format!("{}/reset-password", record_href(spec, key))) class="row-form" {
                (csrf_field(user))
                label class="field" {
                    span class="label" { "新的初始密码" span class="req" { "*" } }
                    input type="password" name="new_password" autocomplete="new-password" required minlength=(PASSWORD_LENGTH_MIN);
                }
                button type="submit" class="button" data-confirm="确定重置该用户的密码吗？其当前登录将被注销。" { "重置密码" }
            }
            p class="hint" { "至少 " (PASSWORD_LENGTH_MIN) " 位，须同时包含字母和数字。重置后该用户的登录会话全部失效，下次登录时须修改密码。" }
        }
    }
}

async fn set_enabled(
    state: AppState,
    user: CurrentUser,
    info: RequestInfo,
    entity: String,
    key: String,
    enabled: bool,
) -> PageResult {
    let spec = spec_of(&entity, &info.request_id)?;
    match state
        .app
        .set_record_enabled(&user.principal, spec, &key, enabled, &info.ctx())
        .await
    {
        Ok(()) => {
            let ok = if enabled { "enabled" } else { "disabled" };
            Ok(Redirect::to(&url(&record_href(spec, &key), &[("ok", ok)])).into_response())
        }
        Err(error) => refused(&state, &user, &info, spec, &key, error).await,
    }
}

/// Re-renders the record with the reason an action was refused, under that reason's status.
async fn refused(
    state: &AppState,
    user: &CurrentUser,
    info: &RequestInfo,
    spec: &'static EntitySpec,
    key: &str,
    error: fiscus_app::AppError,
) -> PageResult {
    let (status, _, message, _) = describe(&error, &info.request_id);
    if !status.is_client_error() || status == StatusCode::NOT_FOUND {
        return Err(PageError::new(error, &info.request_id));
    }
    let mut response = render(state, user, info, spec, key, Some(Notice::Refused(message))).await?;
    *response.status_mut() = status;
    Ok(response)
}

pub async fn disable(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path((entity, key)): Path<(String, String)>,
) -> PageResult {
    set_enabled(state, user, info, entity, key, false).await
}

pub async fn enable(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path((entity, key)): Path<(String, String)>,
) -> PageResult {
    set_enabled(state, user, info, entity, key, true).await
}

pub async fn reset_password(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path((entity, key)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let spec = spec_of(&entity, &info.request_id)?;
    if spec.name != "users" {
        return Err(PageError::new(
            Rejection::NotFound { what: "页面" },
            &info.request_id,
        ));
    }
    let new_password = form
        .iter()
        .find(|(name, _)| name == "new_password")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    match state
        .app
        .reset_password(&user.principal, &key, new_password, &info.ctx())
        .await
    {
        Ok(()) => Ok(
            Redirect::to(&url(&record_href(spec, &key), &[("ok", "password_reset")]))
                .into_response(),
        ),
        Err(error) => refused(&state, &user, &info, spec, &key, error).await,
    }
}

/// Shows a person's clear identity number on its own page; the read is audited by the app.
pub async fn reveal_identity(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path((entity, key)): Path<(String, String)>,
) -> PageResult {
    let rid = &info.request_id;
    let spec = spec_of(&entity, rid)?;
    if spec.name != "persons" {
        return Err(PageError::new(Rejection::NotFound { what: "页面" }, rid));
    }
    let record = state
        .app
        .get_record(&user.principal, spec, &key)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let iden_no = state
        .app
        .reveal_identity(&user.principal, &key, &info.ctx())
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let mut names = Names::default();
    names.want_record(spec.fields.iter(), &record);
    names.fetch(&state.app, &user.principal).await;
    let title = record_title(spec, &record, &key);
    let field = |name: &str| {
        spec.field(name)
            .map(|field| cell(field, record.get(name).unwrap_or(&Value::Null), &names))
    };
    let content = html! {
        (heading(&[("", "基础信息"), ("/persons", spec.label), (&record_href(spec, &key), &title)], "查看证件号码", html! {}))
        div class="notice warn" { "本次查看已记入审计日志。请勿截屏、抄录或外传个人身份信息。" }
        section class="card narrow-card" {
            dl class="fields one-col" {
                div class="field-line" { dt { "姓名" } dd { (title) } }
                div class="field-line" { dt { "所在单位" } dd { (field("agency_code").unwrap_or_default()) } }
                div class="field-line" { dt { "证件类型" } dd { (field("iden_type_code").unwrap_or_default()) } }
                div class="field-line" { dt { "证件号码" } dd { span class="secret-value" { (iden_no) } } }
            }
            p { a class="button" href=(record_href(spec, &key)) { "返回人员信息" } }
        }
    };
    let mut response = layout::page(&user, "查看证件号码", "/persons", content).into_response();
    // The clear number must not linger in caches.
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}
