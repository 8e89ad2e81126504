//! 待办 and 已办: the viewer's open tasks by document type with title search and paging, the
//! notifications (抄送, 催办) and marking them read, and batch approval or batch return of the
//! ticked rows; the documents the viewer acted on or submitted; 我的申请, the documents the
//! viewer submitted (drafts included) by status.

use std::collections::{BTreeSet, HashMap};

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use fiscus_app::AppError;
use fiscus_app::flow::{BatchOutcome, MyDocumentsQuery};
use fiscus_core::flow::{Command, DocType, ReturnTarget, TaskId};
use fiscus_core::schema;
use fiscus_core::{Principal, Rejection};
use fiscus_store::flow::{InboxQuery, InboxRow, NoticeRow};
use maud::{Markup, html};

use super::{People, amount_cell, doc_type_name, document_href, node_names, overdue, status_badge};
use crate::context::{CSRF_FIELD, CurrentUser, PageUser, RequestInfo};
use crate::error::describe;
use crate::pages::format::{Names, beijing_time};
use crate::pages::layout::{self, csrf_field, heading, notice_error, notice_ok, url};
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

const PAGE_SIZE: u32 = 20;
/// Notifications shown above the list.
const NOTICES_SHOWN_MAX: usize = 10;

/// The filters of a list: document type, title search, page.
struct Filters {
    doc_type: String,
    q: String,
    page: u32,
}

impl Filters {
    fn of(params: &HashMap<String, String>) -> Filters {
        let get = |name: &str| params.get(name).map(|v| v.trim().to_owned());
        let doc_type = get("doc_type")
            .filter(|code| DocType::ALL.iter().any(|t| t.code() == code))
            .unwrap_or_default();
        Filters {
            doc_type,
            q: get("q").unwrap_or_default().chars().take(100).collect(),
            page: get("page")
                .and_then(|p| p.parse().ok())
                .filter(|p| *p >= 1)
                .unwrap_or(1),
        }
    }

    fn query(&self) -> InboxQuery {
        InboxQuery {
            user_name: String::new(),
            doc_type: (!self.doc_type.is_empty()).then(|| self.doc_type.clone()),
            search: (!self.q.is_empty()).then(|| self.q.clone()),
            page: self.page,
            page_size: PAGE_SIZE,
        }
    }

    fn href(&self, path: &str, doc_type: &str, page: u32) -> String {
        let page = if page > 1 {
            page.to_string()
        } else {
            String::new()
        };
        url(
            path,
            &[("doc_type", doc_type), ("q", &self.q), ("page", &page)],
        )
    }
}

/// What happened just before the inbox was drawn.
enum Notice {
    Done(String),
    Refused(String),
}

pub async fn inbox(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let filters = Filters::of(&params);
    let n: usize = params.get("n").and_then(|n| n.parse().ok()).unwrap_or(0);
    let notice = match params.get("ok").map(String::as_str) {
        Some("approved") => Some(Notice::Done(format!(
            "已审核通过 {n} 份单据，已送往下一环节。"
        ))),
        Some("returned") => Some(Notice::Done(format!("已退回 {n} 份单据。"))),
        Some("read") => Some(Notice::Done(format!("已将 {n} 条通知标记为已读。"))),
        _ => None,
    };
    render(&state, &user, &info, &filters, notice, StatusCode::OK).await
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    info: &RequestInfo,
    filters: &Filters,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let rid = &info.request_id;
    let principal = &user.principal;
    let app = &state.app;
    let counts = app
        .flow_inbox_counts(principal)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let all: i64 = counts.iter().map(|(_, n)| n).sum();
    let (rows, total) = app
        .flow_inbox(principal, filters.query())
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let notices = app.flow_notices(principal).await.unwrap_or_default();
    let nodes = node_names(app).await;
    let mut names = Names::default();
    for row in &rows {
        want_agency(&mut names, row.agency_code.as_deref());
    }
    names.fetch(app, principal).await;
    let notice_titles = notice_titles(state, principal, &notices).await;
    let people = People::fetch(app, notices.iter().map(|n| n.actor.clone()).collect()).await;
    let (returned, n_returned) = returned_to_me(state, principal).await;

    let n_pages = page_count(total);
    // Documents without an amount (基础信息变更) make the column a row of dashes.
    let amounts = rows.iter().any(|row| row.amount_fen != 0);
    let content = html! {
        (heading(&[("/", "工作台")], "待办事项", html! {
            a class="button" href="/flow/done" { "已办事项" }
        }))
        @match &notice {
            Some(Notice::Done(message)) => (notice_ok(message)),
            Some(Notice::Refused(message)) => (notice_error(message)),
            None => {},
        }
        @if !returned.is_empty() {
            (returned_card(&returned, n_returned))
        }
        @if !notices.is_empty() {
            (notices_card(user, &notices, &notice_titles, &people))
        }
        nav class="tabs" aria-label="按单据类型" {
            a href=(filters.href("/flow/inbox", "", 1)) class=[filters.doc_type.is_empty().then_some("active")] {
                "全部" span class="tab-count" { (all) }
            }
            @for doc_type in DocType::ALL {
                @let count = counts.iter().find(|(code, _)| code == doc_type.code()).map_or(0, |(_, n)| *n);
                @if count > 0 || filters.doc_type == doc_type.code() {
                    a href=(filters.href("/flow/inbox", doc_type.code(), 1)) class=[(filters.doc_type == doc_type.code()).then_some("active")] {
                        (doc_type.name_zh()) span class="tab-count" { (count) }
                    }
                }
            }
        }
        form method="get" action="/flow/inbox" class="card filters" {
            @if !filters.doc_type.is_empty() { input type="hidden" name="doc_type" value=(filters.doc_type); }
            label class="field grow" {
                span class="label" { "单据标题" }
                input type="search" name="q" value=(filters.q) placeholder="输入标题中的文字（部分匹配）";
            }
            div class="filter-actions" {
                button type="submit" class="button primary" { "查询" }
                " "
                a class="button ghost" href="/flow/inbox" { "重置" }
            }
        }
        form method="post" action="/flow/batch" class="card table-card batch-form" {
            (csrf_field(user))
            input type="hidden" name="doc_type" value=(filters.doc_type);
            input type="hidden" name="q" value=(filters.q);
            @if rows.is_empty() {
                div class="empty" {
                    div class="empty-title" { "暂无待办事项" }
                    @if filters.q.is_empty() && filters.doc_type.is_empty() {
                        p { "需要您审核的单据送达后会列在这里。" }
                    } @else {
                        p { "没有符合条件的待办，" a href="/flow/inbox" { "查看全部待办" } "。" }
                    }
                }
            } @else {
                div class="batch-bar" {
                    span class="muted small" { "勾选单据后可批量办理：" }
                    label class="field batch-opinion" {
                        span class="label" { "审核意见" }
                        input type="text" name="opinion" maxlength="500" placeholder="审核通过可不填（默认“同意”）；退回必须填写原因";
                    }
                    label class="field" {
                        span class="label" { "退回时退回至" }
                        select name="return_to" {
                            option value="submitter" { "送审人（经办人）" }
                            option value="previous" { "上一环节" }
                        }
                    }
                    div class="filter-actions" {
                        button type="submit" name="action" value="approve" class="button primary" data-confirm="确定将勾选的单据全部审核通过吗？" { "批量审核通过" }
                        button type="submit" name="action" value="return" class="button danger" data-confirm="确定将勾选的单据全部退回吗？" { "批量退回" }
                    }
                }
                div class="table-scroll" {
                    table class="data inbox" {
                        thead { tr {
                            th class="w-check" { input type="checkbox" data-select-all="item" title="全选本页" aria-label="全选本页"; }
                            th { "单据" } th class="nowrap" { "类型" } th { "单位" }
                            @if amounts { th class="num" { "金额（元）" } }
                            th class="nowrap" { "当前环节" } th class="w-time" { "到达时间" } th class="nowrap" { "办理时限" }
                        } }
                        tbody {
                            @for row in &rows {
                                tr {
                                    td class="w-check" { input type="checkbox" name="item" value=(format!("{}:{}", row.doc_id, row.task_id)) aria-label=(format!("选择 {}", row.title)); }
                                    td { a href=(document_href(&row.doc_id)) { (row.title) } br; span class="muted small" { "单据编号 " (super::doc_number(&row.doc_id)) } }
                                    td class="nowrap" { span class="tag" { (doc_type_name(&row.doc_type)) } }
                                    td { (agency_cell(&names, row.agency_code.as_deref())) }
                                    @if amounts { td class="num" { (amount_cell(row.amount_fen)) } }
                                    td class="nowrap" { (nodes.get(&(row.doc_type.clone(), row.node_code.clone())).map_or(row.node_code.as_str(), String::as_str)) }
                                    td class="nowrap" { (beijing_time(&row.created_at)) }
                                    td class="nowrap" { (due_cell(row)) }
                                }
                            }
                        }
                    }
                }
            }
            (pager(total, filters.page, n_pages, |page| filters.href("/flow/inbox", &filters.doc_type, page)))
        }
    };
    Ok((
        status,
        layout::page(user, "待办事项", "/flow/inbox", content),
    )
        .into_response())
}

fn due_cell(row: &InboxRow) -> Markup {
    match row.due_at.as_deref() {
        Some(due) if overdue(Some(due)) => {
            html! { span class="badge danger" title=(format!("应于 {} 前办理", beijing_time(due))) { "已超时" } }
        }
        Some(due) => html! { span class="muted small" { (beijing_time(due)) " 前" } },
        None => html! { span class="muted" { "—" } },
    }
}

fn want_agency(names: &mut Names, agency_code: Option<&str>) {
    if let (Some(code), Some(field)) = (agency_code, schema::AGENCY.field("agency_code")) {
        names.want(field, code);
    }
}

fn agency_cell(names: &Names, agency_code: Option<&str>) -> Markup {
    let Some(code) = agency_code else {
        return html! { span class="muted" { "—" } };
    };
    match schema::AGENCY
        .field("agency_code")
        .and_then(|field| names.name_of(field, code))
    {
        Some(name) => html! { (name) " " span class="code muted small" { (code) } },
        None => html! { span class="code" { (code) } },
    }
}

fn page_count(total: i64) -> u32 {
    let pages = (total + i64::from(PAGE_SIZE) - 1) / i64::from(PAGE_SIZE);
    u32::try_from(pages.max(1)).unwrap_or(u32::MAX)
}

fn pager(total: i64, page: u32, n_pages: u32, href: impl Fn(u32) -> String) -> Markup {
    html! {
        div class="pager" {
            span { "共 " strong { (total) } " 条 · 第 " (page) " / " (n_pages) " 页" }
            span class="pager-links" {
                @if page > 1 { a href=(href(page - 1)) rel="prev" { "‹ 上一页" } } @else { span class="disabled" { "‹ 上一页" } }
                @if page < n_pages { a href=(href(page + 1)) rel="next" { "下一页 ›" } } @else { span class="disabled" { "下一页 ›" } }
            }
        }
    }
}

/// Titles of the documents the shown notifications are about, where the viewer may see them.
async fn notice_titles(
    state: &AppState,
    principal: &Principal,
    notices: &[NoticeRow],
) -> HashMap<String, String> {
    let mut titles = HashMap::new();
    let wanted: BTreeSet<&str> = notices
        .iter()
        .take(NOTICES_SHOWN_MAX)
        .map(|n| n.doc_id.as_str())
        .collect();
    for doc_id in wanted {
        if let Ok(history) = state.app.flow_document(principal, doc_id).await {
            titles.insert(doc_id.to_owned(), history.document.title);
        }
    }
    titles
}

fn notices_card(
    user: &CurrentUser,
    notices: &[NoticeRow],
    titles: &HashMap<String, String>,
    people: &People,
) -> Markup {
    html! {
        section class="card notices" {
            h2 { "通知" span class="muted small" { "（抄送给您的单据和催办提醒）" } }
            form method="post" action="/flow/notices/read" class="notices-read" {
                (csrf_field(user))
                @for notice in notices.iter().take(NOTICES_SHOWN_MAX) {
                    input type="hidden" name="notice_id" value=(notice.notice_id);
                }
                button type="submit" class="button small" { "标记已读" }
                @if notices.len() > NOTICES_SHOWN_MAX {
                    " "
                    button type="submit" name="all" value="1" class="button small ghost" { "全部标记已读" }
                }
            }
            ul class="notice-list" {
                @for notice in notices.iter().take(NOTICES_SHOWN_MAX) {
                    li {
                        @if notice.kind == "remind" {
                            span class="badge danger" { "催办" }
                        } @else {
                            span class="badge info" { "抄送" }
                        }
                        " "
                        @if notice.actor == fiscus_app::flow::SYSTEM_ACTOR { "系统" } @else { (people.show(&notice.actor)) }
                        @if notice.kind == "remind" { " 催您尽快办理：" } @else { " 抄送给您：" }
                        a href=(document_href(&notice.doc_id)) { (titles.get(&notice.doc_id).map_or("查看单据", String::as_str)) }
                        span class="muted small" { " · " (beijing_time(&notice.at)) }
                    }
                }
            }
            @if notices.len() > NOTICES_SHOWN_MAX {
                p class="muted small" { "另有 " (notices.len() - NOTICES_SHOWN_MAX) " 条较早的通知。" }
            }
        }
    }
}

/// The ticked rows of the inbox and what to do with them.
pub async fn batch(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> PageResult {
    let rid = &info.request_id;
    let Ok(Form(pairs)) = form else {
        return Err(PageError::new(
            Rejection::FieldInvalid {
                field: "表单",
                expected: "网页表单提交的内容",
            },
            rid,
        ));
    };
    let value = |name: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let params: HashMap<String, String> = pairs
        .iter()
        .filter(|(key, _)| key == "doc_type" || key == "q")
        .cloned()
        .collect();
    let filters = Filters::of(&params);
    let action = value("action");
    let opinion = value("opinion");
    let mut items: Vec<(String, TaskId)> = Vec::new();
    for (key, item) in &pairs {
        if key != "item" || key == CSRF_FIELD {
            continue;
        }
        let parsed = item
            .rsplit_once(':')
            .and_then(|(doc_id, task)| Some((doc_id.to_owned(), TaskId(task.parse().ok()?))));
        match parsed {
            Some(pair) => items.push(pair),
            None => {
                return Err(PageError::new(
                    Rejection::FieldInvalid {
                        field: "勾选的单据",
                        expected: "待办列表中的单据",
                    },
                    rid,
                ));
            }
        }
    }
    if items.is_empty() {
        return refused(
            &state,
            &user,
            &info,
            &filters,
            "请先勾选要办理的单据（每行最左侧的方框）。".into(),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    let (commands, ok): (Vec<(String, Command)>, &str) = match action.as_str() {
        "approve" => {
            let opinion = if opinion.is_empty() {
                "同意".to_owned()
            } else {
                opinion
            };
            (
                items
                    .iter()
                    .map(|(doc_id, task_id)| {
                        (
                            doc_id.clone(),
                            Command::Approve {
                                task_id: *task_id,
                                opinion: opinion.clone(),
                            },
                        )
                    })
                    .collect(),
                "approved",
            )
        }
        "return" => {
            if opinion.is_empty() {
                return refused(
                    &state,
                    &user,
                    &info,
                    &filters,
                    "批量退回须填写审核意见，说明退回的原因。".into(),
                    StatusCode::BAD_REQUEST,
                )
                .await;
            }
            let to = if value("return_to") == "previous" {
                ReturnTarget::ToPrevious
            } else {
                ReturnTarget::ToSubmitter
            };
            (
                items
                    .iter()
                    .map(|(doc_id, task_id)| {
                        (
                            doc_id.clone(),
                            Command::Return {
                                task_id: *task_id,
                                to: to.clone(),
                                opinion: opinion.clone(),
                            },
                        )
                    })
                    .collect(),
                "returned",
            )
        }
        _ => {
            return refused(
                &state,
                &user,
                &info,
                &filters,
                "请点击「批量审核通过」或「批量退回」按钮。".into(),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    match state
        .app
        .flow_batch(&user.principal, &commands, &info.ctx())
        .await
    {
        Ok(BatchOutcome::Applied { n_documents }) => Ok(Redirect::to(&url(
            "/flow/inbox",
            &[
                ("doc_type", &filters.doc_type),
                ("ok", ok),
                ("n", &n_documents.to_string()),
            ],
        ))
        .into_response()),
        Ok(BatchOutcome::Refused { doc_id, rejection }) => {
            let number = super::doc_number(&doc_id);
            let title = state
                .app
                .flow_document(&user.principal, &doc_id)
                .await
                .map(|view| view.document.title)
                .unwrap_or(doc_id);
            let error = AppError::Rejected(rejection);
            let (status, _, message, _) = describe(&error, rid);
            refused(
                &state,
                &user,
                &info,
                &filters,
                format!(
                    "单据「{title}」（编号 {number}）不能办理：{message}。本批单据均未办理，请取消勾选该单据后重试。"
                ),
                status,
            )
            .await
        }
        Err(error @ AppError::Rejected(_)) => {
            let (status, _, message, _) = describe(&error, rid);
            refused(&state, &user, &info, &filters, message, status).await
        }
        Err(error) => Err(PageError::new(error, rid)),
    }
}

async fn refused(
    state: &AppState,
    user: &CurrentUser,
    info: &RequestInfo,
    filters: &Filters,
    message: String,
    status: StatusCode,
) -> PageResult {
    render(
        state,
        user,
        info,
        filters,
        Some(Notice::Refused(message)),
        status,
    )
    .await
}

pub async fn done(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let rid = &info.request_id;
    let principal = &user.principal;
    let filters = Filters::of(&params);
    let (rows, total) = state
        .app
        .flow_done(principal, filters.query())
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let mut names = Names::default();
    for row in &rows {
        want_agency(&mut names, row.agency_code.as_deref());
    }
    names.fetch(&state.app, principal).await;
    let n_pages = page_count(total);
    let amounts = rows.iter().any(|row| row.amount_fen != 0);
    let content = html! {
        (heading(&[("/", "工作台")], "已办事项", html! {
            a class="button" href="/flow/inbox" { "待办事项" }
        }))
        p class="muted small" { "您送审过或办理过的单据，按最近变动排列。点击标题可查看单据当前状态和审批记录。" }
        form method="get" action="/flow/done" class="card filters" {
            label class="field" {
                span class="label" { "单据类型" }
                select name="doc_type" data-autosubmit {
                    option value="" { "全部" }
                    @for doc_type in DocType::ALL {
                        option value=(doc_type.code()) selected[filters.doc_type == doc_type.code()] { (doc_type.name_zh()) }
                    }
                }
            }
            label class="field grow" {
                span class="label" { "单据标题" }
                input type="search" name="q" value=(filters.q) placeholder="输入标题中的文字（部分匹配）";
            }
            div class="filter-actions" {
                button type="submit" class="button primary" { "查询" }
                " "
                a class="button ghost" href="/flow/done" { "重置" }
            }
        }
        div class="card table-card" {
            @if rows.is_empty() {
                div class="empty" {
                    div class="empty-title" { "暂无已办事项" }
                    p { "您送审或审核过的单据会列在这里。" }
                }
            } @else {
                div class="table-scroll" {
                    table class="data" {
                        thead { tr {
                            th { "单据" } th class="nowrap" { "类型" } th { "单位" }
                            @if amounts { th class="num" { "金额（元）" } }
                            th class="nowrap" { "状态" } th class="w-time" { "最近变动" }
                        } }
                        tbody {
                            @for row in &rows {
                                tr {
                                    td { a href=(document_href(&row.doc_id)) { (row.title) } br; span class="muted small" { "单据编号 " (super::doc_number(&row.doc_id)) } }
                                    td class="nowrap" { span class="tag" { (doc_type_name(&row.doc_type)) } }
                                    td { (agency_cell(&names, row.agency_code.as_deref())) }
                                    @if amounts { td class="num" { (amount_cell(row.amount_fen)) } }
                                    td class="nowrap" { (status_badge(&row.status)) }
                                    td class="nowrap" { (beijing_time(&row.updated_at)) }
                                }
                            }
                        }
                    }
                }
            }
            (pager(total, filters.page, n_pages, |page| filters.href("/flow/done", &filters.doc_type, page)))
        }
    };
    Ok(layout::page(&user, "已办事项", "/flow/done", content).into_response())
}

/// A document returned to the viewer for correction.
pub struct Returned {
    pub doc_id: String,
    pub title: String,
    pub updated_at: String,
}

/// Documents returned to the viewer, their submitter, for correction: they hold no task, so
/// the 待办 list alone would not show them. The newest few of 我的申请 with status returned.
pub async fn returned_to_me(state: &AppState, principal: &Principal) -> (Vec<Returned>, i64) {
    const SHOWN_MAX: u32 = 5;
    let query = MyDocumentsQuery {
        status: Some("returned".into()),
        page: 1,
        page_size: SHOWN_MAX,
        ..Default::default()
    };
    let Ok(mine) = state.app.flow_my_documents(principal, query).await else {
        return (Vec::new(), 0);
    };
    let returned = mine
        .rows
        .into_iter()
        .map(|row| Returned {
            doc_id: row.doc_id,
            title: row.title,
            updated_at: row.updated_at,
        })
        .collect();
    (returned, mine.total)
}

/// The card listing the documents returned for correction.
pub fn returned_card(returned: &[Returned], total: i64) -> Markup {
    html! {
        section class="card returned" {
            h2 { "被退回，待修改后重新送审" span class="muted small" { "（请按退回意见修改后再次送审，或作废）" } }
            ul class="notice-list" {
                @for doc in returned {
                    li {
                        span class="badge warn" { "被退回" } " "
                        a href=(document_href(&doc.doc_id)) { (doc.title) }
                        span class="muted small" { " · " (beijing_time(&doc.updated_at)) }
                    }
                }
            }
            @if total > i64::try_from(returned.len()).unwrap_or(i64::MAX) {
                p class="more-link" { a href="/flow/mine?status=returned" { "查看全部被退回的单据（共 " (total) " 份）" } }
            }
        }
    }
}

/// Marks the shown notices read (the hidden `notice_id` fields), or all with `all=1`.
pub async fn mark_notices_read(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> PageResult {
    let rid = &info.request_id;
    let Ok(Form(pairs)) = form else {
        return Err(PageError::new(
            Rejection::FieldInvalid {
                field: "表单",
                expected: "网页表单提交的内容",
            },
            rid,
        ));
    };
    let all = pairs
        .iter()
        .any(|(key, value)| key == "all" && value == "1");
    let mut ids = Vec::new();
    for (key, value) in &pairs {
        if key == "notice_id" {
            let id = value.trim().parse::<i64>().map_err(|_| {
                PageError::new(
                    Rejection::FieldInvalid {
                        field: "通知",
                        expected: "通知列表中的通知",
                    },
                    rid,
                )
            })?;
            ids.push(id);
        }
    }
    let marked = state
        .app
        .flow_mark_notices_read(&user.principal, (!all).then_some(ids.as_slice()))
        .await
        .map_err(|e| PageError::new(e, rid))?;
    Ok(Redirect::to(&url(
        "/flow/inbox",
        &[("ok", "read"), ("n", &marked.to_string())],
    ))
    .into_response())
}

/// The tabs of 我的申请: status code and its name there.
const MINE_TABS: [(&str, &str); 6] = [
    ("draft", "草稿"),
    ("returned", "被退回"),
    ("in_progress", "审批中"),
    ("approved", "已通过"),
    ("rejected", "已驳回"),
    ("cancelled", "已作废"),
];

/// 我的申请: the documents the viewer submitted, drafts included, by status, newest first.
pub async fn mine(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let rid = &info.request_id;
    let principal = &user.principal;
    let filters = Filters::of(&params);
    let status = params
        .get("status")
        .map(|s| s.trim())
        .and_then(|s| MINE_TABS.iter().find(|(code, _)| *code == s))
        .map_or("", |(code, _)| *code);
    let query = MyDocumentsQuery {
        status: (!status.is_empty()).then(|| status.to_owned()),
        doc_type: None,
        search: (!filters.q.is_empty()).then(|| filters.q.clone()),
        page: filters.page,
        page_size: PAGE_SIZE,
    };
    let mine = state
        .app
        .flow_my_documents(principal, query)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let all: i64 = mine.counts.iter().map(|(_, n)| n).sum();
    let count_of = |code: &str| {
        mine.counts
            .iter()
            .find(|(status, _)| status == code)
            .map_or(0, |(_, n)| *n)
    };
    let href = |status: &str, page: u32| {
        let page = if page > 1 {
            page.to_string()
        } else {
            String::new()
        };
        url(
            "/flow/mine",
            &[("status", status), ("q", &filters.q), ("page", &page)],
        )
    };
    let n_pages = page_count(mine.total);
    let amounts = mine.rows.iter().any(|row| row.amount_fen != 0);
    let can_write =
        principal.roles.contains(fiscus_core::Role::UnitClerk) && principal.agency_code().is_some();
    let content = html! {
        (heading(&[("/", "工作台")], "我的申请", html! {
            @if can_write { a class="button primary" href="/flow/unit-change/new" { "新建单位信息变更申请" } }
        }))
        p class="muted small" { "您填写的单据（含未送审的草稿），最新在前。被退回的单据请修改后重新送审。" }
        nav class="tabs" aria-label="按状态" {
            a href=(href("", 1)) class=[status.is_empty().then_some("active")] {
                "全部" span class="tab-count" { (all) }
            }
            @for (code, name) in MINE_TABS {
                a href=(href(code, 1)) class=[(status == code).then_some("active")] {
                    (name) span class="tab-count" { (count_of(code)) }
                }
            }
        }
        form method="get" action="/flow/mine" class="card filters" {
            @if !status.is_empty() { input type="hidden" name="status" value=(status); }
            label class="field grow" {
                span class="label" { "单据标题" }
                input type="search" name="q" value=(filters.q) placeholder="输入标题中的文字（部分匹配）";
            }
            div class="filter-actions" {
                button type="submit" class="button primary" { "查询" }
                " "
                a class="button ghost" href="/flow/mine" { "重置" }
            }
        }
        div class="card table-card" {
            @if mine.rows.is_empty() {
                div class="empty" {
                    div class="empty-title" { "暂无单据" }
                    p { "您保存或送审的单据会列在这里。" }
                }
            } @else {
                div class="table-scroll" {
                    table class="data" {
                        thead { tr {
                            th { "单据" } th class="nowrap" { "类型" }
                            @if amounts { th class="num" { "金额（元）" } }
                            th class="nowrap" { "状态" } th class="w-time" { "最近变动" }
                        } }
                        tbody {
                            @for row in &mine.rows {
                                tr {
                                    td { a href=(document_href(&row.doc_id)) { (row.title) } br; span class="muted small" { "单据编号 " (super::doc_number(&row.doc_id)) } }
                                    td class="nowrap" { span class="tag" { (doc_type_name(&row.doc_type)) } }
                                    @if amounts { td class="num" { (amount_cell(row.amount_fen)) } }
                                    td class="nowrap" {
                                        @match row.status.as_str() {
                                            "draft" => span class="badge off" { "草稿" },
                                            "returned" => span class="badge warn" { "被退回，待修改后重新送审" },
                                            other => (status_badge(other)),
                                        }
                                    }
                                    td class="nowrap" { (beijing_time(&row.updated_at)) }
                                }
                            }
                        }
                    }
                }
            }
            (pager(mine.total, filters.page, n_pages, |page| href(status, page)))
        }
    };
    Ok(layout::page(&user, "我的申请", "/flow/mine", content).into_response())
}

/// The first open tasks of the viewer, for the home page.
pub async fn first_tasks(
    state: &AppState,
    principal: &Principal,
    n: u32,
) -> (Vec<InboxRow>, i64, HashMap<(String, String), String>) {
    let query = InboxQuery {
        page: 1,
        page_size: n,
        ..Default::default()
    };
    match state.app.flow_inbox(principal, query).await {
        Ok((rows, total)) if !rows.is_empty() => {
            let nodes = node_names(&state.app).await;
            (rows, total, nodes)
        }
        _ => (Vec::new(), 0, HashMap::new()),
    }
}

/// The home page's 待办 card content: the first open tasks and a link to the inbox.
pub fn home_tasks(
    rows: &[InboxRow],
    total: i64,
    nodes: &HashMap<(String, String), String>,
) -> Markup {
    html! {
        table class="data compact" {
            thead { tr { th { "单据" } th class="nowrap" { "当前环节" } th class="w-time" { "到达时间" } } }
            tbody {
                @for row in rows {
                    tr {
                        td {
                            a href=(document_href(&row.doc_id)) { (row.title) }
                            " " span class="tag" { (doc_type_name(&row.doc_type)) }
                            @if overdue(row.due_at.as_deref()) { " " span class="badge danger" { "已超时" } }
                        }
                        td class="nowrap" { (nodes.get(&(row.doc_type.clone(), row.node_code.clone())).map_or(row.node_code.as_str(), String::as_str)) }
                        td class="nowrap" { (beijing_time(&row.created_at)) }
                    }
                }
            }
        }
        p class="more-link" { a class="button primary" href="/flow/inbox" { "办理全部待办（共 " (total) " 项）" } }
    }
}
