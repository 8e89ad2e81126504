//! Excel for budget compilation over HTTP: the budget template, import page and upload
//! (`/budget/excel/import`, multipart, refused rows shown as a table and offered as an .xlsx
//! download), the exports of a unit's tables or of the lines a viewer may see, the
//! department disclosure workbook, and the project declaration template and import. Who may
//! do what is decided by `fiscus_app::budget::excel`; these handlers only parse the wire.

use std::collections::BTreeMap;

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use fiscus_app::AppError;
use fiscus_app::budget::excel::{ImportReport, errors_workbook_base64};
use fiscus_core::query::IMPORT_ROWS_MAX;
use fiscus_core::{FiscalYear, Rejection};
use maud::{Markup, html};

use crate::api::{XLSX_CONTENT_TYPE, xlsx_file_response};
use crate::context::{CurrentUser, PageUser, RequestInfo};
use crate::error::describe;
use crate::pages::layout::{self, csrf_field, heading, notice_error, notice_ok, url};
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

type Params = Query<BTreeMap<String, String>>;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/budget/excel/template", get(budget_template))
        .route(
            "/budget/excel/import",
            get(budget_import_form).post(budget_import),
        )
        .route("/budget/excel/export", get(export))
        .route("/budget/excel/disclosure", get(disclosure))
        .route("/projects/excel/template", get(project_template))
        .route(
            "/projects/excel/import",
            get(project_import_form).post(project_import),
        )
}

/// The two imports of this module, as the shared page parts need them.
#[derive(Clone, Copy)]
enum Kind {
    Budget,
    Projects,
}

impl Kind {
    fn title(self) -> &'static str {
        match self {
            Kind::Budget => "单位预算 Excel 导入",
            Kind::Projects => "项目申报 Excel 导入",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Kind::Budget => "/budget/excel/import",
            Kind::Projects => "/projects/excel/import",
        }
    }

    fn template(self) -> &'static str {
        match self {
            Kind::Budget => "/budget/excel/template",
            Kind::Projects => "/projects/excel/template",
        }
    }

    fn written(self, report: &ImportReport) -> String {
        match self {
            Kind::Budget => format!(
                "已导入 {} 行，替换了 {} 个单位的预算表。",
                report.n_rows, report.n_written
            ),
            Kind::Projects => format!(
                "已创建 {} 个项目草稿，可在项目库中逐个申报。",
                report.n_written
            ),
        }
    }
}

/// `?year=`, or this year when absent.
fn year_of(params: &BTreeMap<String, String>, rid: &str) -> Result<i64, PageError> {
    match params
        .get("year")
        .map(|text| text.trim())
        .filter(|t| !t.is_empty())
    {
        Some(text) => FiscalYear::parse(text)
            .map(|year| i64::from(year.0))
            .map_err(|rejection| PageError::new(rejection, rid)),
        None => Ok(i64::from(time::OffsetDateTime::now_utc().year())),
    }
}

fn param<'p>(params: &'p BTreeMap<String, String>, name: &str) -> Option<&'p str> {
    params
        .get(name)
        .map(|text| text.trim())
        .filter(|text| !text.is_empty())
}

async fn budget_template(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Params,
) -> PageResult {
    let rid = &info.request_id;
    let year = year_of(&params, rid)?;
    let bytes = state
        .app
        .budget_template(&user.principal, year)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let name = format!("{year}年单位预算导入模板");
    Ok(xlsx_file_response(
        &format!("budget-template-{year}"),
        &name,
        bytes,
    ))
}

async fn project_template(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
) -> PageResult {
    let rid = &info.request_id;
    let bytes = state
        .app
        .project_template(&user.principal)
        .map_err(|e| PageError::new(e, rid))?;
    Ok(xlsx_file_response(
        "project-template",
        "项目申报导入模板",
        bytes,
    ))
}

async fn budget_import_form(
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Params,
) -> PageResult {
    let year = year_of(&params, &info.request_id)?;
    Ok(page(&user, Kind::Budget, year, html! {}).into_response())
}

async fn project_import_form(
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Params,
) -> PageResult {
    let year = year_of(&params, &info.request_id)?;
    Ok(page(&user, Kind::Projects, year, html! {}).into_response())
}

async fn budget_import(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Params,
    multipart: Result<Multipart, MultipartRejection>,
) -> PageResult {
    import(&state, &user, &info, &params, multipart, Kind::Budget).await
}

async fn project_import(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Params,
    multipart: Result<Multipart, MultipartRejection>,
) -> PageResult {
    import(&state, &user, &info, &params, multipart, Kind::Projects).await
}

/// Either upload: the year from the form (else the query), the file, the import, the page.
async fn import(
    state: &AppState,
    user: &CurrentUser,
    info: &RequestInfo,
    params: &BTreeMap<String, String>,
    multipart: Result<Multipart, MultipartRejection>,
    kind: Kind,
) -> PageResult {
    let rid = &info.request_id;
    let (file, fields) = read_upload(multipart).await;
    let year = year_of(
        if fields.contains_key("year") {
            &fields
        } else {
            params
        },
        rid,
    )?;
    let Some(bytes) = file else {
        return Ok(no_file(user, kind, year));
    };
    let (who, ctx) = (&user.principal, info.ctx());
    let result = match kind {
        Kind::Budget => state.app.budget_import(who, year, &bytes, &ctx).await,
        Kind::Projects => {
            let setup_year = FiscalYear::new(i32::try_from(year).unwrap_or_default())
                .map_err(|rejection| PageError::new(rejection, rid))?;
            state
                .app
                .project_import(who, setup_year, &bytes, &ctx)
                .await
        }
    };
    outcome(user, info, kind, year, result)
}

/// The uploaded file (`None` when none came) and the form's text fields (`year`; others
/// such as `agency_code` are ignored: the rows name their units).
async fn read_upload(
    multipart: Result<Multipart, MultipartRejection>,
) -> (Option<Vec<u8>>, BTreeMap<String, String>) {
    let (mut file, mut fields) = (None, BTreeMap::new());
    let Ok(mut multipart) = multipart else {
        return (file, fields);
    };
    while let Ok(Some(field)) = multipart.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            file = field
                .bytes()
                .await
                .ok()
                .filter(|b| !b.is_empty())
                .map(|b| b.to_vec());
        } else if let Ok(text) = field.text().await {
            fields.insert(name, text);
        }
    }
    (file, fields)
}

fn no_file(user: &CurrentUser, kind: Kind, year: i64) -> axum::response::Response {
    let content = notice_error("请选择要上传的 Excel 文件（.xlsx）。");
    (StatusCode::BAD_REQUEST, page(user, kind, year, content)).into_response()
}

/// 200 with what was written, 422 with the refused rows, or the whole-file refusal.
fn outcome(
    user: &CurrentUser,
    info: &RequestInfo,
    kind: Kind,
    year: i64,
    result: Result<ImportReport, AppError>,
) -> PageResult {
    let rid = &info.request_id;
    match result {
        Ok(report) if report.errors.is_empty() => {
            let content = notice_ok(&kind.written(&report));
            Ok(page(user, kind, year, content).into_response())
        }
        Ok(report) => {
            let download = errors_workbook_base64(&report).map_err(|e| PageError::new(e, rid))?;
            let content = refused_rows(&report, &download);
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                page(user, kind, year, content),
            )
                .into_response())
        }
        Err(error @ AppError::Rejected(_)) => {
            let (status, _, message, _) = describe(&error, rid);
            let content = notice_error(&format!("{message}。文件未导入。"));
            Ok((status, page(user, kind, year, content)).into_response())
        }
        Err(error) => Err(PageError::new(error, rid)),
    }
}

fn page(user: &CurrentUser, kind: Kind, year: i64, content: Markup) -> Markup {
    let year_text = year.to_string();
    let template = url(kind.template(), &[("year", &year_text)]);
    let action = url(kind.path(), &[("year", &year_text)]);
    let actions = html! { a class="button" href=(template) { "下载导入模板" } };
    let title = format!("{}（{year} 年）", kind.title());
    layout::page(
        user,
        &title,
        kind.path(),
        html! {
            (heading(&[], &title, actions))
            (content)
            div class="card" {
                h2 { "如何导入" }
                ol class="steps" {
                    li { "下载 " a href=(template) { "导入模板" } "，各列的填写要求见模板中的「说明」工作表。" }
                    @match kind {
                        Kind::Budget => li { "每行填写单位代码；工作簿中出现的每个单位，其支出预算、收入预算、非税征收计划、政府采购预算和资产购置计划都以文件内容整体替换。单位经办只能导入本单位，主管部门可为所属单位代编。" },
                        Kind::Projects => li { "「项目」表每行一个项目，其他表以序号对应所属项目；导入的项目为本单位草稿。" },
                    }
                    li { "选择文件并点击「上传并导入」。" }
                }
                p class="hint" {
                    "只要有一行有错，整个文件都不导入，并列出每一行的错误。一个文件最多 " (IMPORT_ROWS_MAX) " 行数据、不超过 8 MB。"
                }
            }
            // The CSRF field comes first: the server reads it before the file.
            form method="post" action=(action) enctype="multipart/form-data" class="card record-form" {
                (csrf_field(user))
                div class="field" {
                    label class="label" for="f-file" { "Excel 文件" span class="req" { "*" } }
                    input type="file" id="f-file" name="file" required accept=".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
                }
                div class="form-actions" {
                    button type="submit" class="button primary" { "上传并导入" }
                }
            }
        },
    )
}

fn refused_rows(report: &ImportReport, download_base64: &str) -> Markup {
    let href = format!("data:{XLSX_CONTENT_TYPE};base64,{download_base64}");
    html! {
        (notice_error(&format!("文件中有 {} 处错误，全部未导入，请修改后重新上传。", report.errors.len())))
        p class="actions" { a class="button" href=(href) download="导入错误.xlsx" { "下载错误清单（Excel）" } }
        div class="card table-card" {
            div class="table-scroll" {
                table class="data" {
                    thead { tr { th { "工作表" } th class="num" { "行号" } th { "列" } th { "错误说明" } } }
                    tbody {
                        @for error in &report.errors {
                            tr {
                                td class="nowrap" { (error.sheet) }
                                td class="num" { (error.row) }
                                td class="nowrap" { @if error.column.is_empty() { "—" } @else { (error.column) } }
                                td { (error.message()) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `?year=&agency=` one unit's tables; `?year=&dept=` or `?year=&region=` (or neither) the
/// lines the viewer may see.
async fn export(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Params,
) -> PageResult {
    let rid = &info.request_id;
    let year = year_of(&params, rid)?;
    let who = &user.principal;
    let (bytes, ascii, name) = if let Some(agency) = param(&params, "agency") {
        let bytes = state.app.budget_export_unit(who, year, agency).await;
        (
            bytes,
            format!("budget-{agency}-{year}"),
            format!("{year}年单位预算-{agency}"),
        )
    } else {
        let dept = param(&params, "dept");
        let region = param(&params, "region");
        let bytes = state.app.budget_export_lines(who, year, dept, region).await;
        (
            bytes,
            format!("budget-lines-{year}"),
            format!("{year}年预算明细"),
        )
    };
    let bytes = bytes.map_err(|e| PageError::new(e, rid))?;
    Ok(xlsx_file_response(&ascii, &name, bytes))
}

async fn disclosure(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Params,
) -> PageResult {
    let rid = &info.request_id;
    let year = year_of(&params, rid)?;
    let dept = param(&params, "dept").ok_or_else(|| {
        PageError::new(
            Rejection::FieldRequired {
                field: "主管部门"
            },
            rid,
        )
    })?;
    let bytes = state
        .app
        .budget_disclosure(&user.principal, year, dept)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let name = format!("{year}年部门预算公开表-{dept}");
    Ok(xlsx_file_response(
        &format!("disclosure-{dept}-{year}"),
        &name,
        bytes,
    ))
}
