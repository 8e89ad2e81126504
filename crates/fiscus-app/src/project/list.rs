//! The project list and the reserve pool (储备库): filters by state, year (the project's
//! period includes it), category and unit, parsed once from the query parameters the page
//! and the API share; a page of rows with the count and total of every match; and the Excel
//! export of every match (bounded by `EXPORT_ROWS_MAX`, money in 元 text, a totals row).

use std::collections::BTreeMap;

use fiscus_core::project::{ProjectCategory, ProjectState};
use fiscus_core::query::EXPORT_ROWS_MAX;
use fiscus_core::{AgencyCode, Fen, FiscalYear, Principal, Rejection};
use fiscus_store::project::{self as store, PRO_SOURCE_BASIC_CALC, ProjectQuery};
use fiscus_store::records::Viewer;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::{PROJECT_PAGE_ROWS_MAX, ProjectView, may_read, view_of};
use crate::{App, AppError};

/// The filters of the project list, each valid on its own.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProjectFilter {
    pub status: Option<ProjectState>,
    pub category: Option<ProjectCategory>,
    /// Projects whose period (start..=end year) includes this year.
    pub year: Option<FiscalYear>,
    pub agency_code: Option<AgencyCode>,
}

/// The query parameters of the filters: `status`, `pro_cat_code`, `year`, `agency_code`.
pub const FILTER_PARAMS: [&str; 4] = ["status", "pro_cat_code", "year", "agency_code"];

impl ProjectFilter {
    /// Reads the filters from query parameters; empty ones are no filter, others must be
    /// valid codes. Other parameters are ignored.
    pub fn parse(params: &BTreeMap<String, String>) -> Result<ProjectFilter, Rejection> {
        let get = |name: &str| params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        let status = match get("status") {
            None => None,
            Some(code) => Some(ProjectState::parse(code).ok_or(Rejection::FieldInvalid {
                field: "状态",
                expected: "draft、declared、reserved 或 terminated",
            })?),
        };
        let category = get("pro_cat_code")
            .map(ProjectCategory::parse)
            .transpose()?;
        let year = match get("year") {
            None => None,
            Some(text) => Some(
                text.parse::<i32>()
                    .ok()
                    .and_then(|year| FiscalYear::new(year).ok())
                    .ok_or(Rejection::FieldInvalid {
                        field: "年度",
                        expected: "四位年度，如 2026",
                    })?,
            ),
        };
        let agency_code = get("agency_code").map(AgencyCode::parse).transpose()?;
        Ok(ProjectFilter {
            status,
            category,
            year,
            agency_code,
        })
    }

    /// The filters as query parameters (for links that keep them).
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        if let Some(status) = self.status {
            params.push(("status", status.code().to_owned()));
        }
        if let Some(category) = self.category {
            params.push(("pro_cat_code", category.code().to_owned()));
        }
        if let Some(year) = self.year {
            params.push(("year", year.0.to_string()));
        }
        if let Some(agency_code) = &self.agency_code {
            params.push(("agency_code", agency_code.as_str().to_owned()));
        }
        params
    }

    fn query(&self, limit: i64, offset: i64) -> ProjectQuery {
        ProjectQuery {
            status: self.status.map(|state| state.code().to_owned()),
            pro_cat_code: self.category.map(|category| category.code().to_owned()),
            year: self.year.map(|year| i64::from(year.0)),
            agency_code: self
                .agency_code
                .as_ref()
                .map(|code| code.as_str().to_owned()),
            limit,
            offset,
            ..ProjectQuery::default()
        }
    }
}

/// One page of the list, with the count and total amount of every matching project.
#[derive(Clone, Debug)]
pub struct ProjectPage {
    pub rows: Vec<ProjectView>,
    pub count: i64,
    pub total_fen: Fen,
}

impl ProjectPage {
    /// Does a page follow this one?
    pub fn has_more(&self, page: i64, page_rows: i64) -> bool {
        page.max(1) * page_rows.clamp(1, PROJECT_PAGE_ROWS_MAX) < self.count
    }
}

const EXPORT_HEADERS: [&str; 13] = [
    "项目编码",
    "项目名称",
    "预算单位",
    "财政区划",
    "项目类别",
    "项目来源",
    "立项年度",
    "开始年度",
    "结束年度",
    "项目总额（元）",
    "状态",
    "创建人",
    "最后修改",
];

fn xlsx(error: XlsxError) -> AppError {
    AppError::Internal(format!("excel: {error}"))
}

impl App {
    /// A page of the projects the viewer may see that match `filter`, newest first.
    pub async fn project_list(
        &self,
        who: &Principal,
        filter: &ProjectFilter,
        page: i64,
        page_rows: i64,
    ) -> Result<ProjectPage, AppError> {
        may_read(who)?;
        let limit = page_rows.clamp(1, PROJECT_PAGE_ROWS_MAX);
        let query = filter.query(limit, (page.max(1) - 1) * limit);
        let viewer = Viewer::User(who);
        let (count, total_fen) = store::count_projects(&self.db, viewer, &query).await?;
        let rows = store::projects(&self.db, viewer, &query).await?;
        Ok(ProjectPage {
            rows: rows.into_iter().map(view_of).collect::<Result<_, _>>()?,
            count,
            total_fen: Fen(total_fen),
        })
    }

    /// Every project the viewer may see that matches `filter`, as an .xlsx with a totals row.
    pub async fn export_projects(
        &self,
        who: &Principal,
        filter: &ProjectFilter,
    ) -> Result<Vec<u8>, AppError> {
        may_read(who)?;
        let viewer = Viewer::User(who);
        let all = filter.query(i64::from(EXPORT_ROWS_MAX), 0);
        let (count, total_fen) = store::count_projects(&self.db, viewer, &all).await?;
        if count > i64::from(EXPORT_ROWS_MAX) {
            return Err(Rejection::ExportRowsExceeded {
                export_rows_max: EXPORT_ROWS_MAX,
            }
            .into());
        }
        let rows = store::projects(&self.db, viewer, &all).await?;
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.set_name("项目库").map_err(xlsx)?;
        let bold = Format::new().set_bold();
        for (column, label) in EXPORT_HEADERS.iter().enumerate() {
            let column = u16::try_from(column).unwrap_or(u16::MAX);
            sheet
                .write_string_with_format(0, column, *label, &bold)
                .map_err(xlsx)?;
            sheet.set_column_width(column, 16).map_err(xlsx)?;
        }
        sheet.set_column_width(1, 36).map_err(xlsx)?;
        sheet.set_freeze_panes(1, 0).map_err(xlsx)?;
        let mut at = 1_u32;
        for row in &rows {
            let category = ProjectCategory::parse(&row.pro_cat_code).map_or("", |c| c.label());
            let state = ProjectState::parse(&row.status).map_or("", |s| s.label());
            let source = if row.pro_source == PRO_SOURCE_BASIC_CALC {
                "一键测算"
            } else {
                "单位申报"
            };
            let cells = [
                row.pro_code.clone(),
                row.pro_name.clone(),
                row.agency_code.clone(),
                row.mof_div_code.clone(),
                category.to_owned(),
                source.to_owned(),
                row.setup_year.to_string(),
                row.pro_start_year.to_string(),
                row.pro_end_year.to_string(),
                Fen(row.pro_total_amt).to_yuan_string(),
                state.to_owned(),
                row.created_by.clone(),
                row.updated_at.clone(),
            ];
            for (column, text) in cells.iter().enumerate() {
                let column = u16::try_from(column).unwrap_or(u16::MAX);
                sheet.write_string(at, column, text).map_err(xlsx)?;
            }
            at += 1;
        }
        sheet
            .write_string(at, 0, format!("合计（{count} 个项目）"))
            .map_err(xlsx)?;
        sheet
            .write_string(at, 9, Fen(total_fen).to_yuan_string())
            .map_err(xlsx)?;
        workbook.save_to_buffer().map_err(xlsx)
    }
}
