//! The list page of any record kind: free-text search, a filter for every filterable field,
//! sortable column headers, paging, Excel export of the same query, Excel import, and 新增.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use fiscus_app::AppError;
use fiscus_core::masterdata::{Input, Value};
use fiscus_core::query::ListQuery;
use fiscus_core::schema::{EntitySpec, FieldKind, FieldSpec};
use fiscus_core::{Action, Rejection, Role};
use fiscus_store::records::Page;
use maud::{Markup, html};

use super::{can_write, link_field, module_of};
use crate::context::{CurrentUser, PageUser, RequestInfo};
use crate::error::describe;
use crate::pages::format::{Names, cell};
use crate::pages::layout::{self, heading, notice_error, record_href, url};
use crate::pages::{PageError, PageResult, spec_of};
use crate::state::AppState;

/// Page sizes offered; any size up to `PAGE_SIZE_MAX` is accepted in the URL.
const PAGE_SIZES: [u32; 3] = [20, 50, 100];

/// The element the code-table list opens on.
const CODES_ELEMENT_DEFAULT: &str = "exp_func";

/// Parameters that belong to paging and sorting, not to what is selected.
const VIEW_PARAMS: [&str; 4] = ["sort", "dir", "page", "page_size"];

pub async fn list(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path(entity): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> PageResult {
    let rid = &info.request_id;
    let spec = spec_of(&entity, rid)?;
    let principal = &user.principal;
    if !principal.can(Action::Read, spec.resource) {
        return Err(PageError::new(Rejection::Forbidden, rid));
    }
    // Two dozen code tables of two years, all mixed, make a confusing first page: the bare
    // list opens on this year's 支出功能分类科目; any submitted query (say, with the year box
    // cleared) is taken as it is.
    let bare = params.is_empty();
    let mut params: BTreeMap<String, String> = params
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect();
    if spec.name == "codes" && bare {
        params.insert("element_code".into(), CODES_ELEMENT_DEFAULT.into());
        params.insert("fiscal_year".into(), this_year().to_string());
    }
    let input = Input(params.clone());
    let result = match ListQuery::parse(spec, &input) {
        Ok(query) => state
            .app
            .list_records(principal, spec, &query)
            .await
            .map(|page| (query, page)),
        Err(rejection) => Err(AppError::Rejected(rejection)),
    };
    let mut names = Names::default();
    for field in spec.fields.iter().filter(|field| field.filter) {
        if let FieldKind::Code(element) = field.kind {
            names.want_element(element);
        }
    }
    match result {
        Ok((query, page)) => {
            for record in &page.rows {
                names.want_record(spec.list_fields(), record);
            }
            names.fetch(&state.app, principal).await;
            let view = ListView {
                spec,
                params: &params,
                names: &names,
            };
            let content = html! { (view.filters()) (view.table(&user, &query, &page)) };
            Ok(layout::page(
                &user,
                spec.label,
                &format!("/{}", spec.name),
                view.frame(&user, content),
            )
            .into_response())
        }
        Err(error @ AppError::Rejected(_)) => {
            // A bad parameter: show the list's frame with the message, so the user can fix it.
            let (status, _, message, _) = describe(&error, rid);
            names.fetch(&state.app, principal).await;
            let view = ListView {
                spec,
                params: &params,
                names: &names,
            };
            let content = html! {
                (notice_error(&message))
                (view.filters())
                p { a href=(format!("/{}", spec.name)) { "清除全部查询条件" } }
            };
            let status = if status.is_client_error() {
                status
            } else {
                StatusCode::BAD_REQUEST
            };
            Ok((
                status,
                layout::page(
                    &user,
                    spec.label,
                    &format!("/{}", spec.name),
                    view.frame(&user, content),
                ),
            )
                .into_response())
        }
        Err(error) => Err(PageError::new(error, rid)),
    }
}

struct ListView<'a> {
    spec: &'static EntitySpec,
    params: &'a BTreeMap<String, String>,
    names: &'a Names,
}

impl ListView<'_> {
    fn param(&self, name: &str) -> &str {
        self.params.get(name).map_or("", String::as_str)
    }

    /// The current URL with some parameters replaced (an empty value removes one).
    fn href_with(&self, changes: &[(&str, &str)]) -> String {
        let mut params: Vec<(&str, &str)> = self
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .filter(|(k, _)| !changes.iter().any(|(name, _)| name == k))
            .collect();
        params.extend(changes.iter().copied());
        url(&format!("/{}", self.spec.name), &params)
    }

    fn frame(&self, user: &CurrentUser, content: Markup) -> Markup {
        let spec = self.spec;
        let selection: Vec<(&str, &str)> = self
            .params
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "page" | "page_size"))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let export = url(&format!("/api/v1/{}/export.xlsx", spec.name), &selection);
        let actions = html! {
            a class="button" href=(export) title="按当前查询条件导出全部记录" { "导出 Excel" }
            @if can_write(&user.principal, spec) {
                " "
                a class="button" href=(format!("/{}/import", spec.name)) title="按模板填写 Excel 后批量新增" { "导入 Excel" }
                " "
                a class="button primary" href=(format!("/{}/new", spec.name)) { "新增" (spec.label) }
            }
        };
        html! {
            (heading(&[("", module_of(spec))], spec.label, actions))
            (content)
        }
    }

    fn filters(&self) -> Markup {
        let spec = self.spec;
        let search_labels: Vec<&str> = spec
            .fields
            .iter()
            .filter(|f| f.search)
            .map(|f| f.label)
            .collect();
        html! {
            form method="get" action=(format!("/{}", spec.name)) class="card filters" {
                label class="field grow" {
                    span class="label" { "查询" }
                    input type="search" name="q" value=(self.param("q")) placeholder=(format!("{}（部分匹配）", search_labels.join("、")));
                }
                @for field in spec.fields.iter().filter(|f| f.filter) {
                    label class="field" {
                        span class="label" { (field.label) }
                        (self.filter_input(field))
                    }
                }
                label class="field" {
                    span class="label" { "每页" }
                    select name="page_size" data-autosubmit {
                        @for size in PAGE_SIZES {
                            option value=(size) selected[self.param("page_size") == size.to_string()] { (size) " 条" }
                        }
                    }
                }
                @if !self.param("sort").is_empty() {
                    input type="hidden" name="sort" value=(self.param("sort"));
                    input type="hidden" name="dir" value=(self.param("dir"));
                }
                div class="filter-actions" {
                    button type="submit" class="button primary" { "查询" }
                    " "
                    a class="button ghost" href=(format!("/{}", spec.name)) { "重置" }
                }
            }
        }
    }

    fn filter_input(&self, field: &FieldSpec) -> Markup {
        let current = self.param(field.name);
        let select = |options: Vec<(String, String)>| {
            html! {
                select name=(field.name) data-autosubmit {
                    option value="" { "全部" }
                    @for (value, text) in &options {
                        option value=(value) selected[current == value] { (text) }
                    }
                }
            }
        };
        match field.kind {
            FieldKind::Bool if field.name == "is_enabled" => select(vec![
                ("1".into(), "启用".into()),
                ("0".into(), "停用".into()),
            ]),
            FieldKind::Bool => select(vec![("1".into(), "是".into()), ("0".into(), "否".into())]),
            FieldKind::Code(element) => select(
                self.names
                    .options(element)
                    .into_iter()
                    .map(|(c, n)| (c.to_owned(), format!("{c} {n}")))
                    .collect(),
            ),
            FieldKind::Roles => select(
                Role::ALL
                    .iter()
                    .map(|r| (r.code().to_owned(), r.name_zh().to_owned()))
                    .collect(),
            ),
            _ if field.name == "element_code" => select(
                fiscus_app::codes::elements()
                    .into_iter()
                    .map(|e| {
                        (
                            e.element_code.clone(),
                            format!("{} {}", e.element_name, e.element_code),
                        )
                    })
                    .collect(),
            ),
            FieldKind::Region => html! {
                input type="text" name=(field.name) value=(current) size="11" maxlength="9" inputmode="numeric" placeholder="9 位代码" title="9 位区划代码；以 998 结尾表示含全部下级区划（辖区）";
            },
            FieldKind::Int | FieldKind::Year => {
                html! { input type="text" name=(field.name) value=(current) size="6" inputmode="numeric"; }
            }
            _ => html! { input type="text" name=(field.name) value=(current) size="14"; },
        }
    }

    fn sort_header(&self, field: &FieldSpec, query: &ListQuery) -> Markup {
        if !field.sort {
            return html! { (field.label) };
        }
        let current = query.sort == field.name;
        let next_dir = if current && !query.descending {
            "desc"
        } else {
            "asc"
        };
        let href = self.href_with(&[("sort", field.name), ("dir", next_dir), ("page", "")]);
        let arrow = match (current, query.descending) {
            (false, _) => "",
            (true, false) => " ▲",
            (true, true) => " ▼",
        };
        let title = if next_dir == "asc" {
            "点击按此列升序排列"
        } else {
            "点击按此列降序排列"
        };
        html! { a class={ "sort" @if current { " current" } } href=(href) title=(title) { (field.label) (arrow) } }
    }

    fn table(&self, user: &CurrentUser, query: &ListQuery, page: &Page) -> Markup {
        let spec = self.spec;
        let fields: Vec<&FieldSpec> = spec.list_fields().collect();
        let link = link_field(spec);
        let filtered = self
            .params
            .keys()
            .any(|k| !VIEW_PARAMS.contains(&k.as_str()));
        html! {
            div class="card table-card" {
                @if page.rows.is_empty() {
                    div class="empty" {
                        div class="empty-title" { "没有符合条件的" (spec.label) }
                        @if filtered {
                            p { "请调整查询条件，或 " a href=(format!("/{}", spec.name)) { "清除全部条件" } "。" }
                        } @else if can_write(&user.principal, spec) {
                            p { "可点击右上角「新增" (spec.label) "」登记第一条记录。" }
                        }
                    }
                } @else {
                    div class="table-scroll" {
                        table class="data" {
                            thead { tr { @for field in &fields { th class=[cell_class(field)] { (self.sort_header(field, query)) } } } }
                            tbody {
                                @for record in &page.rows {
                                    @let key = record.get(spec.key).map(Value::display).unwrap_or_default();
                                    tr {
                                        @for field in &fields {
                                            @let value = record.get(field.name).unwrap_or(&Value::Null);
                                            td class=[cell_class(field)] {
                                                @if field.name == spec.key {
                                                    a href=(record_href(spec, &key)) { (key) }
                                                } @else if Some(field.name) == link {
                                                    a href=(record_href(spec, &key)) { (cell(field, value, self.names)) }
                                                } @else {
                                                    (cell(field, value, self.names))
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                (self.pager(query, page.total))
            }
        }
    }

    fn pager(&self, query: &ListQuery, total: i64) -> Markup {
        let page_size = i64::from(query.page_size);
        let n_pages = ((total + page_size - 1) / page_size).max(1);
        let current = i64::from(query.page);
        let page_href = |page: i64| self.href_with(&[("page", &page.to_string())]);
        html! {
            div class="pager" {
                span { "共 " strong { (total) } " 条 · 第 " (current) " / " (n_pages) " 页" }
                span class="pager-links" {
                    @if current > 1 {
                        a href=(page_href(1)) { "首页" }
                        a href=(page_href(current - 1)) rel="prev" { "‹ 上一页" }
                    } @else {
                        span class="disabled" { "首页" } span class="disabled" { "‹ 上一页" }
                    }
                    @if current < n_pages {
                        a href=(page_href(current + 1)) rel="next" { "下一页 ›" }
                        a href=(page_href(n_pages)) { "末页" }
                    } @else {
                        span class="disabled" { "下一页 ›" } span class="disabled" { "末页" }
                    }
                }
            }
        }
    }
}

/// The calendar year in Beijing, the default fiscal year of the code-table list.
fn this_year() -> i32 {
    time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+8))
        .year()
}

/// Amounts and counts align right; short codes, flags and times never wrap.
fn cell_class(field: &FieldSpec) -> Option<&'static str> {
    match field.kind {
        FieldKind::Money | FieldKind::Int => Some("num"),
        FieldKind::Code(_)
        | FieldKind::Bool
        | FieldKind::Timestamp
        | FieldKind::Year
        | FieldKind::Roles => Some("nowrap"),
        _ => None,
    }
}
