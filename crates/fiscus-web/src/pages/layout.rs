//! The frame of every signed-in page: the top bar (product, user, roles, organization, 退出),
//! the left navigation by module — only what the user may read — and the content area. Also
//! the small shared pieces: the CSRF field, notices, URLs with query strings.

use fiscus_core::schema::{self, EntitySpec};
use fiscus_core::{Action, Principal, Resource};
use maud::{DOCTYPE, Markup, html};

use crate::context::{CSRF_FIELD, CurrentUser, percent_encode};

pub const PRODUCT_NAME: &str = "Fiscus 预算管理一体化系统";

tokio::task_local! {
    /// The viewer's open-task count for the 待办 badge, set per page request by
    /// `flow::open_task_badge`; `None` when it could not be read.
    pub static OPEN_TASKS: Option<i64>;
}

/// A link of the left navigation.
struct NavItem {
    href: String,
    label: &'static str,
    /// A count shown beside the label (open tasks).
    badge: Option<i64>,
}

struct NavGroup {
    title: &'static str,
    items: Vec<NavItem>,
}

fn spec_item(principal: &Principal, spec: &'static EntitySpec, items: &mut Vec<NavItem>) {
    if principal.can(Action::Read, spec.resource) {
        items.push(NavItem {
            href: format!("/{}", spec.name),
            label: spec.label,
            badge: None,
        });
    }
}

fn nav_groups(principal: &Principal) -> Vec<NavGroup> {
    let mut basic = Vec::new();
    spec_item(principal, &schema::REGION, &mut basic);
    if principal.can(Action::Read, Resource::Region) {
        basic.push(NavItem {
            href: "/tree".into(),
            label: "区划树",
            badge: None,
        });
    }
    for spec in [
        &schema::AGENCY,
        &schema::AGENCY_ACCOUNT,
        &schema::PERSON,
        &schema::CODE_ITEM,
        &schema::CODE_MAPPING,
        &schema::STANDARD,
    ] {
        spec_item(principal, spec, &mut basic);
    }
    let open_tasks = OPEN_TASKS.try_with(|count| *count).ok().flatten();
    let mut work = vec![
        NavItem {
            href: "/".into(),
            label: "首页",
            badge: None,
        },
        NavItem {
            href: "/flow/inbox".into(),
            label: "待办",
            badge: open_tasks.filter(|n| *n > 0),
        },
        NavItem {
            href: "/flow/done".into(),
            label: "已办",
            badge: None,
        },
    ];
    if principal.roles.contains(fiscus_core::Role::UnitClerk) && principal.agency_code().is_some() {
        work.push(NavItem {
            href: "/flow/mine".into(),
            label: "我的申请",
            badge: None,
        });
        work.push(NavItem {
            href: "/flow/unit-change/new".into(),
            label: "单位信息变更申请",
            badge: None,
        });
    }
    let mut groups = vec![NavGroup {
        title: "工作台",
        items: work,
    }];
    if principal.can(Action::Read, Resource::Indicator) {
        groups.push(NavGroup {
            title: "指标管理",
            items: crate::pages::ledger::nav_links(principal)
                .into_iter()
                .map(|(href, label)| NavItem {
                    href: href.into(),
                    label,
                    badge: None,
                })
                .collect(),
        });
    }
    push_links(
        &mut groups,
        "项目库",
        crate::pages::project::nav_links(principal),
    );
    push_links(
        &mut groups,
        "预算编制",
        crate::pages::budget::nav_links(principal),
    );
    push_links(
        &mut groups,
        "支付管理",
        crate::pages::payment::nav_links(principal),
    );
    push_links(
        &mut groups,
        "会计核算",
        crate::pages::accounting::nav_links(principal),
    );
    push_links(
        &mut groups,
        "会计报表",
        crate::pages::accounting_statements::nav_links(principal),
    );
    push_links(
        &mut groups,
        "决算和报告",
        crate::pages::final_accounts::nav_links(principal),
    );
    if !basic.is_empty() {
        groups.push(NavGroup {
            title: "基础信息",
            items: basic,
        });
    }
    if principal.can(Action::Read, Resource::User) {
        let mut system = Vec::new();
        spec_item(principal, &schema::USER, &mut system);
        if principal.can(Action::Read, Resource::AuditLog) {
            system.push(NavItem {
                href: "/audit-log".into(),
                label: "审计日志",
                badge: None,
            });
        }
        if principal.roles.contains(fiscus_core::Role::SysAdmin) {
            system.push(NavItem {
                href: "/flow/definitions".into(),
                label: "审批流程定义",
                badge: None,
            });
        }
        groups.push(NavGroup {
            title: "系统管理",
            items: system,
        });
    }
    groups.push(NavGroup {
        title: "帮助",
        items: vec![
            NavItem {
                href: "/account/password".into(),
                label: "修改密码",
                badge: None,
            },
            NavItem {
                href: "/api/openapi.json".into(),
                label: "API 文档",
                badge: None,
            },
        ],
    });
    groups
}

/// The hidden CSRF field every form of a signed-in page carries.
pub fn csrf_field(user: &CurrentUser) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(user.csrf_token.as_deref().unwrap_or_default()); }
}

fn head(title: &str, user: Option<&CurrentUser>) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            @if let Some(token) = user.and_then(|u| u.csrf_token.as_deref()) {
                meta name="csrf-token" content=(token);
            }
            title { (title) " - " (PRODUCT_NAME) }
            link rel="stylesheet" href="/static/app.css";
            script src="/static/app.js" defer {}
        }
    }
}

/// A signed-in page. `active` is the navigation link to highlight (`/agencies`).
pub fn page(user: &CurrentUser, title: &str, active: &str, content: Markup) -> Markup {
    let principal = &user.principal;
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            (head(title, Some(user)))
            body {
                header class="topbar" {
                    a class="brand" href="/" { span class="brand-mark" { "F" } (PRODUCT_NAME) }
                    div class="who" {
                        span class="org" title="所属机构" { (principal.org_name) }
                        span class="sep" { "|" }
                        span class="user" title=(format!("用户名 {}", principal.user_name)) { (principal.display_name) }
                        span class="roles" title="角色" { (principal.roles.names_zh()) }
                        form method="post" action="/logout" class="inline" {
                            (csrf_field(user))
                            button type="submit" class="button small ghost" { "退出" }
                        }
                    }
                }
                div class="shell" {
                    nav class="sidenav" aria-label="功能导航" {
                        @for group in nav_groups(principal) {
                            div class="nav-group" {
                                div class="nav-title" { (group.title) }
                                ul {
                                    @for item in &group.items {
                                        li {
                                            a href=(item.href) class=[(item.href == active).then_some("active")] {
                                                (item.label)
                                                @if let Some(count) = item.badge { " " span class="nav-badge" title=(format!("{count} 项待办")) { (count) } }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    main class="content" { (content) }
                }
            }
        }
    }
}

/// A page without the frame (login, password change before anything else).
pub fn bare_page(title: &str, user: Option<&CurrentUser>, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            (head(title, user))
            body class="bare" { (content) }
        }
    }
}

/// The heading of a page with its breadcrumb trail and the actions on the right.
pub fn heading(trail: &[(&str, &str)], title: &str, actions: Markup) -> Markup {
    html! {
        div class="page-head" {
            div {
                @if !trail.is_empty() {
                    div class="crumbs" {
                        @for (href, label) in trail {
                            @if href.is_empty() { span { (label) } } @else { a href=(href) { (label) } }
                            span class="crumb-sep" { "/" }
                        }
                    }
                }
                h1 { (title) }
            }
            div class="page-actions" { (actions) }
        }
    }
}

pub fn notice_ok(message: &str) -> Markup {
    html! { div class="notice ok" role="status" { (message) } }
}

pub fn notice_error(message: &str) -> Markup {
    html! { div class="notice error" role="alert" { (message) } }
}

/// `path?a=1&b=2` with every value percent-encoded; empty values are left out.
pub fn url(path: &str, params: &[(&str, &str)]) -> String {
    let query: Vec<String> = params
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{}={}", percent_encode(name), percent_encode(value)))
        .collect();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

/// The path of one record's page: keys may hold `:` and other reserved characters.
pub fn record_href(spec: &EntitySpec, key: &str) -> String {
    format!("/{}/{}", spec.name, percent_encode(key))
}

/// Adds a module's navigation group when the principal may see any of its links.
fn push_links(
    groups: &mut Vec<NavGroup>,
    title: &'static str,
    links: Vec<(&'static str, &'static str)>,
) {
    if links.is_empty() {
        return;
    }
    groups.push(NavGroup {
        title,
        items: links
            .into_iter()
            .map(|(href, label)| NavItem {
                href: href.into(),
                label,
                badge: None,
            })
            .collect(),
    });
}
