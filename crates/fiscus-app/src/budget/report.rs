//! 预算汇总: a year's budget lines summed by region (consolidated up the region tree), by
//! department, unit, function class (类/款/项), economic class (类/款) or fund nature, with a
//! totals row; parsed from page or API parameters once, scoped to the viewer, and exported
//! to Excel with money in 元 as text (no float touches money).

use std::collections::BTreeMap;

use fiscus_core::query::EXPORT_ROWS_MAX;
use fiscus_core::{DataScope, Fen, Principal, Rejection};
use fiscus_store::budget::report::{
    self as store, ReportBy, ReportFigures, ReportFilter, ReportRow,
};
use fiscus_store::records::Viewer;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::{App, AppError};

/// The year a summary shows when none is asked for: the year being compiled.
pub const REPORT_YEAR_DEFAULT: i64 = 2027;

/// The dimensions a summary can be grouped by, as wire codes with their Chinese labels.
pub const REPORT_DIMENSIONS: [(&str, &str); 9] = [
    ("region", "按财政区划"),
    ("dept", "按主管部门"),
    ("unit", "按预算单位"),
    ("func3", "按功能分类（类）"),
    ("func5", "按功能分类（款）"),
    ("func7", "按功能分类（项）"),
    ("eco3", "按经济分类（类）"),
    ("eco5", "按经济分类（款）"),
    ("fund", "按资金性质"),
];

/// The wire code of a dimension.
pub fn by_code(by: ReportBy) -> &'static str {
    match by {
        ReportBy::Region => "region",
        ReportBy::Dept => "dept",
        ReportBy::Unit => "unit",
        ReportBy::Func(3) => "func3",
        ReportBy::Func(5) => "func5",
        ReportBy::Func(_) => "func7",
        ReportBy::Eco(3) => "eco3",
        ReportBy::Eco(_) => "eco5",
        ReportBy::Fund => "fund",
    }
}

/// The column heading of a dimension's key.
pub fn by_label(by: ReportBy) -> &'static str {
    match by {
        ReportBy::Region => "财政区划",
        ReportBy::Dept => "主管部门",
        ReportBy::Unit => "预算单位",
        ReportBy::Func(3) => "功能分类（类）",
        ReportBy::Func(5) => "功能分类（款）",
        ReportBy::Func(_) => "功能分类（项）",
        ReportBy::Eco(3) => "部门经济分类（类）",
        ReportBy::Eco(_) => "部门经济分类（款）",
        ReportBy::Fund => "资金性质",
    }
}

fn parse_by(code: &str) -> Result<ReportBy, Rejection> {
    match code {
        "" | "region" => Ok(ReportBy::Region),
        "dept" => Ok(ReportBy::Dept),
        "unit" => Ok(ReportBy::Unit),
        "func3" => Ok(ReportBy::Func(3)),
        "func5" => Ok(ReportBy::Func(5)),
        "func7" => Ok(ReportBy::Func(7)),
        "eco3" => Ok(ReportBy::Eco(3)),
        "eco5" => Ok(ReportBy::Eco(5)),
        "fund" => Ok(ReportBy::Fund),
        _ => Err(Rejection::FieldInvalid {
            field: "汇总方式",
            expected: "region、dept、unit、func3/5/7、eco3/5 或 fund",
        }),
    }
}

/// A summary as asked: the dimension and the filters, each checked for shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BudgetReportQuery {
    pub by: ReportBy,
    pub fiscal_year: i64,
    /// Region subtree (and, by region, the base whose children are the rows).
    pub region: Option<String>,
    /// Only the region's own level (本级), not its subtree.
    pub own_level: bool,
    pub dept_code: Option<String>,
    pub agency_code: Option<String>,
    pub exp_func: Option<String>,
    pub dep_bgt_eco: Option<String>,
    pub fund_type: Option<String>,
}

fn code_param(
    params: &BTreeMap<String, String>,
    name: &str,
    field: &'static str,
    length_max: usize,
) -> Result<Option<String>, Rejection> {
    let Some(text) = params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if text.len() > length_max || !text.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Rejection::FieldInvalid {
            field,
            expected: "字母或数字组成的代码",
        });
    }
    Ok(Some(text.to_owned()))
}

impl BudgetReportQuery {
    /// `by`, `year`, `region`, `own` (1 = 本级 only), `dept`, `agency`, `func`, `eco`, `fund`.
    pub fn parse(params: &BTreeMap<String, String>) -> Result<BudgetReportQuery, Rejection> {
        let by = parse_by(params.get("by").map_or("", |v| v.trim()))?;
        let fiscal_year = match params
            .get("year")
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
        {
            None => REPORT_YEAR_DEFAULT,
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|year| (2000..=2100).contains(year))
                .ok_or(Rejection::FieldInvalid {
                    field: "预算年度",
                    expected: "四位年份",
                })?,
        };
        Ok(BudgetReportQuery {
            by,
            fiscal_year,
            region: code_param(params, "region", "财政区划", 9)?,
            own_level: params.get("own").is_some_and(|v| v.trim() == "1"),
            dept_code: code_param(params, "dept", "主管部门", 30)?,
            agency_code: code_param(params, "agency", "预算单位", 30)?,
            exp_func: code_param(params, "func", "支出功能分类", 13)?,
            dep_bgt_eco: code_param(params, "eco", "部门经济分类", 20)?,
            fund_type: code_param(params, "fund", "资金性质", 4)?,
        })
    }

    /// The filters as wire parameters (for links and export), without `by`.
    pub fn filter_params(&self) -> Vec<(&'static str, String)> {
        let mut params = vec![("year", self.fiscal_year.to_string())];
        for (name, value) in [
            ("region", &self.region),
            ("dept", &self.dept_code),
            ("agency", &self.agency_code),
            ("func", &self.exp_func),
            ("eco", &self.dep_bgt_eco),
            ("fund", &self.fund_type),
        ] {
            if let Some(value) = value {
                params.push((name, value.clone()));
            }
        }
        if self.own_level {
            params.push(("own", "1".to_owned()));
        }
        params
    }
}

/// A computed summary: the base region (by region), the groups and the totals row.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BudgetReport {
    #[serde(skip)]
    pub by: ReportBy,
    pub fiscal_year: i64,
    /// The region whose subtree is summed: (code, name).
    pub base_region: Option<(String, String)>,
    pub rows: Vec<ReportRow>,
    pub totals: ReportFigures,
}

impl App {
    /// The summary `query` asks for, over the lines `who` may see. A region outside the
    /// viewer's scope does not exist for them.
    pub async fn budget_report(
        &self,
        who: &Principal,
        query: &BudgetReportQuery,
    ) -> Result<BudgetReport, AppError> {
        let base_code = query
            .region
            .clone()
            .unwrap_or_else(|| who.mof_div_code().as_str().to_owned());
        let (base_path, base_name) = store::region_of(&self.db, &base_code)
            .await?
            .filter(|(path, _)| region_visible(who, path))
            .ok_or(Rejection::NotFound {
                what: "财政区划"
            })?;
        // A bureau's summaries cover its subtree; a department's or unit's are cut by the
        // scope predicate alone (their lines may sit in one region only).
        let filter = ReportFilter {
            fiscal_year: query.fiscal_year,
            region_path: Some(base_path),
            region_exact: query.own_level.then(|| base_code.clone()),
            dept_code: query.dept_code.clone(),
            agency_code: query.agency_code.clone(),
            exp_func_prefix: query.exp_func.clone(),
            dep_bgt_eco_prefix: query.dep_bgt_eco.clone(),
            fund_type_code: query.fund_type.clone(),
        };
        let viewer = Viewer::User(who);
        let rows = store::summary(&self.db, viewer, &filter, query.by).await?;
        let totals = store::totals(&self.db, viewer, &filter).await?;
        Ok(BudgetReport {
            by: query.by,
            fiscal_year: query.fiscal_year,
            base_region: Some((base_code, base_name)),
            rows,
            totals,
        })
    }

    /// The same summary as an .xlsx: one row per group, then the totals row.
    pub async fn export_budget_report(
        &self,
        who: &Principal,
        query: &BudgetReportQuery,
    ) -> Result<Vec<u8>, AppError> {
        let report = self.budget_report(who, query).await?;
        if report.rows.len() > EXPORT_ROWS_MAX as usize {
            return Err(Rejection::ExportRowsExceeded {
                export_rows_max: EXPORT_ROWS_MAX,
            }
            .into());
        }
        report_workbook(&report)
    }
}

/// May `who` name this region in a summary? A bureau its subtree; anyone else only their own
/// region or a region above it (their lines are cut by the scope predicate anyway).
fn region_visible(who: &Principal, region_path: &str) -> bool {
    match who.scope() {
        DataScope::RegionSubtree { region_path: own } => region_path.starts_with(own.as_str()),
        DataScope::AgencySubtree { .. } | DataScope::Agency { .. } => {
            who.region_path.starts_with(region_path)
        }
    }
}

/// The figure headings, in the order of [`figure_cells`].
pub const FIGURE_HEADINGS: [&str; 7] = [
    "单位数",
    "申报数",
    "财政审核数",
    "年初批复数",
    "调整调剂",
    "变动后",
    "编制数",
];

/// The figures of a row as text: the count, then money in 元 with two decimals.
pub fn figure_cells(figures: &ReportFigures) -> [String; 7] {
    let yuan = |fen: i64| Fen(fen).to_yuan_string();
    [
        figures.n_units.to_string(),
        yuan(figures.apply_up_fen),
        yuan(figures.fin_audit_fen),
        yuan(figures.reply_fen),
        yuan(figures.adjust_fen),
        yuan(figures.current_fen),
        yuan(figures.amount_fen),
    ]
}

/// The name of a group as a summary shows it.
pub fn row_label(by: ReportBy, row: &ReportRow, base_name: &str) -> String {
    if row.key.is_empty() {
        return match by {
            ReportBy::Region => format!("{base_name}（本级）"),
            _ => "（未填写）".to_owned(),
        };
    }
    if row.name.is_empty() {
        row.key.clone()
    } else {
        format!("{} {}", row.key, row.name)
    }
}

fn xlsx(error: XlsxError) -> AppError {
    AppError::Internal(format!("excel: {error}"))
}

fn report_workbook(report: &BudgetReport) -> Result<Vec<u8>, AppError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("预算汇总").map_err(xlsx)?;
    let bold = Format::new().set_bold();
    let base_name = report
        .base_region
        .as_ref()
        .map_or("", |(_, name)| name.as_str());
    let mut headings = vec![by_label(report.by)];
    headings.extend(FIGURE_HEADINGS);
    for (column, heading) in headings.iter().enumerate() {
        let column = u16::try_from(column).unwrap_or(u16::MAX);
        // The key and the unit count have no money unit.
        let text = if column <= 1 {
            (*heading).to_owned()
        } else {
            format!("{heading}（元）")
        };
        sheet
            .write_string_with_format(0, column, &text, &bold)
            .map_err(xlsx)?;
        sheet
            .set_column_width(column, if column == 0 { 36 } else { 18 })
            .map_err(xlsx)?;
    }
    let mut at = 1_u32;
    for row in &report.rows {
        sheet
            .write_string(at, 0, row_label(report.by, row, base_name))
            .map_err(xlsx)?;
        for (column, cell) in figure_cells(&row.figures).iter().enumerate() {
            let column = u16::try_from(column + 1).unwrap_or(u16::MAX);
            sheet.write_string(at, column, cell).map_err(xlsx)?;
        }
        at += 1;
    }
    sheet
        .write_string_with_format(at, 0, "合计", &bold)
        .map_err(xlsx)?;
    for (column, cell) in figure_cells(&report.totals).iter().enumerate() {
        let column = u16::try_from(column + 1).unwrap_or(u16::MAX);
        sheet
            .write_string_with_format(at, column, cell, &bold)
            .map_err(xlsx)?;
    }
    sheet.set_freeze_panes(1, 1).map_err(xlsx)?;
    workbook.save_to_buffer().map_err(xlsx)
}
