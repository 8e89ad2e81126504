//! Signing in and out, and changing one's own password (forced after the first login with an
//! initial password: the middleware sends such users here until they have).

use axum::Extension;
use axum::extract::{Form, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use fiscus_app::AppError;
use fiscus_core::Rejection;
use fiscus_core::masterdata::PASSWORD_LENGTH_MIN;
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{self, PRODUCT_NAME, bare_page, csrf_field, notice_error, notice_ok};
use crate::context::{CurrentUser, PageUser, RequestInfo, clear_session_cookie, session_cookie};
use crate::error::describe;
use crate::state::AppState;

/// Only a local path may be a redirect target: `/x`, never `//host` or `/\host`.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(char::is_control) =>
        {
            path
        }
        _ => "/",
    }
}

#[derive(Default, Deserialize)]
pub struct LoginParams {
    next: Option<String>,
    changed: Option<String>,
}

#[derive(Default, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    user_name: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

struct LoginView<'a> {
    user_name: &'a str,
    next: &'a str,
    error: Option<String>,
    info: Option<&'static str>,
    demo_mode: bool,
}

fn login_markup(view: &LoginView<'_>) -> Markup {
    let content = html! {
        main class="login-wrap" {
            div class="card login" {
                div class="login-brand" {
                    span class="brand-mark big" { "F" }
                    div {
                        div class="login-title" { (PRODUCT_NAME) }
                        div class="muted small" { "财政预算管理 · 基础信息管理" }
                    }
                }
                h1 { "用户登录" }
                @if let Some(info) = view.info { (notice_ok(info)) }
                @if let Some(error) = &view.error { (notice_error(error)) }
                form method="post" action="/login" class="stack" {
                    input type="hidden" name="next" value=(view.next);
                    label class="field" {
                        span class="label" { "用户名" }
                        input type="text" name="user_name" value=(view.user_name) autocomplete="username" required autofocus[view.user_name.is_empty()];
                    }
                    label class="field" {
                        span class="label" { "密码" }
                        input type="password" name="password" autocomplete="current-password" required autofocus[!view.user_name.is_empty()];
                    }
                    button type="submit" class="button primary block" { "登录" }
                }
                @if view.demo_mode {
                    p class="demo-note" { "演示环境：各级演示账号见启动输出" }
                }
                p class="muted small" { "连续输错密码将暂时锁定账户；忘记密码请联系本级系统管理员重置。" }
            }
        }
    };
    bare_page("用户登录", None, content)
}

pub async fn login_form(
    State(state): State<AppState>,
    Extension(user): Extension<Option<CurrentUser>>,
    Query(params): Query<LoginParams>,
) -> Response {
    let next = safe_next(params.next.as_deref());
    if user.is_some() {
        return Redirect::to(next).into_response();
    }
    let info = params
        .changed
        .is_some()
        .then_some("密码已修改，请使用新密码重新登录。");
    let view = LoginView {
        user_name: "",
        next,
        error: None,
        info,
        demo_mode: state.app.settings.demo_mode,
    };
    login_markup(&view).into_response()
}

pub async fn login(
    State(state): State<AppState>,
    info: RequestInfo,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let form = form.map(|Form(form)| form).unwrap_or_default();
    let next = safe_next(form.next.as_deref());
    match state
        .app
        .login(&form.user_name, &form.password, &info.ctx())
        .await
    {
        Ok(outcome) => {
            let cookie = session_cookie(
                &outcome.session_token,
                state.app.settings.session_hours * 3600,
            );
            let target = if outcome.must_change_password {
                "/account/password"
            } else {
                next
            };
            ([(header::SET_COOKIE, cookie)], Redirect::to(target)).into_response()
        }
        Err(error) => {
            let (status, _, message, _) = describe(&error, &info.request_id);
            let view = LoginView {
                user_name: form.user_name.trim(),
                next,
                error: Some(message),
                info: None,
                demo_mode: state.app.settings.demo_mode,
            };
            (status, login_markup(&view)).into_response()
        }
    }
}

pub async fn logout(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
) -> Response {
    if let Some(token) = &user.session_token
        && let Err(error) = state.app.logout(token, &user.principal, &info.ctx()).await
    {
        return super::error_page(&error, &info.request_id);
    }
    (
        [(header::SET_COOKIE, clear_session_cookie())],
        Redirect::to("/login"),
    )
        .into_response()
}

#[derive(Default, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    old_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_confirm: String,
}

fn password_markup(user: &CurrentUser, error: Option<(&str, Option<&str>)>) -> Markup {
    let field_error =
        |label: &str| error.and_then(|(message, field)| (field == Some(label)).then_some(message));
    let form = html! {
        @if user.must_change_password {
            div class="notice warn" {
                strong { "首次登录须修改初始密码。" }
                " 管理员设置的初始密码只用于第一次登录；修改后才能使用系统的其他功能。"
            }
        }
        @if let Some((message, _)) = error { (notice_error(message)) }
        form method="post" action="/account/password" class="stack narrow-form" {
            (csrf_field(user))
            (password_input("old_password", "原密码", "current-password", field_error("原密码")))
            (password_input("new_password", "新密码", "new-password", field_error("新密码")))
            (password_input("new_password_confirm", "再次输入新密码", "new-password", field_error("再次输入新密码")))
            p class="hint" { "新密码至少 " (PASSWORD_LENGTH_MIN) " 位，须同时包含字母和数字，且不能与原密码相同。修改后须重新登录。" }
            div class="form-actions" {
                button type="submit" class="button primary" { "确认修改" }
            }
        }
    };
    if user.must_change_password {
        let content = html! {
            main class="login-wrap" {
                div class="card login" {
                    div class="login-title" { (PRODUCT_NAME) }
                    h1 { "修改密码" }
                    p class="muted small" { (user.principal.display_name) "（" (user.principal.user_name) "）· " (user.principal.org_name) }
                    (form)
                    form method="post" action="/logout" class="logout-line" {
                        (csrf_field(user))
                        span class="muted small" { "暂不修改？" }
                        button type="submit" class="button ghost small" { "退出登录" }
                    }
                }
            }
        };
        bare_page("修改密码", Some(user), content)
    } else {
        let content = html! {
            (layout::heading(&[("/", "首页")], "修改密码", html! {}))
            div class="card" { (form) }
        };
        layout::page(user, "修改密码", "/account/password", content)
    }
}

fn password_input(name: &str, label: &str, autocomplete: &str, error: Option<&str>) -> Markup {
    html! {
        label class={ "field" @if error.is_some() { " has-error" } } {
            span class="label" { (label) span class="req" { "*" } }
            input type="password" name=(name) autocomplete=(autocomplete) required;
            @if let Some(error) = error { span class="field-error" { (error) } }
        }
    }
}

pub async fn password_form(PageUser(user): PageUser) -> Response {
    password_markup(&user, None).into_response()
}

pub async fn change_password(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    form: Result<Form<PasswordForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let form = form.map(|Form(form)| form).unwrap_or_default();
    if form.new_password != form.new_password_confirm {
        let message = "两次输入的新密码不一致";
        return (
            StatusCode::BAD_REQUEST,
            password_markup(&user, Some((message, Some("再次输入新密码")))),
        )
            .into_response();
    }
    match state
        .app
        .change_password(
            &user.principal,
            &form.old_password,
            &form.new_password,
            &info.ctx(),
        )
        .await
    {
        Ok(()) => (
            [(header::SET_COOKIE, clear_session_cookie())],
            Redirect::to("/login?changed=1"),
        )
            .into_response(),
        Err(error) => {
            let (status, _, message, field) = describe(&error, &info.request_id);
            // A wrong old password is reported by the login rule; say which field it was.
            let (message, field) = match &error {
                AppError::Rejected(Rejection::LoginFailed) => {
                    ("原密码不正确".to_owned(), Some("原密码"))
                }
                AppError::Rejected(Rejection::PasswordTooWeak | Rejection::PasswordReused) => {
                    (message, Some("新密码"))
                }
                _ => (message, field),
            };
            let status = if status == StatusCode::UNAUTHORIZED {
                StatusCode::BAD_REQUEST
            } else {
                status
            };
            (status, password_markup(&user, Some((&message, field)))).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_redirect_targets() {
        let cases: &[(Option<&str>, &str)] = &[
            (None, "/"),
            (Some("/agencies?q=1"), "/agencies?q=1"),
            (Some("//evil.example"), "/"),
            (Some("/\\evil.example"), "/"),
            (Some("https://evil.example"), "/"),
            (Some("/a\nb"), "/"),
            (Some(""), "/"),
        ];
        for (next, expected) in cases {
            assert_eq!(safe_next(*next), *expected, "{next:?}");
        }
    }
}
