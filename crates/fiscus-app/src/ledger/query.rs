//! Ledger queries for the pages and the API: indicator lists with totals, one indicator with
//! its lineage, documents and 账页 (running balances computed here, in ledger order), roll-ups
//! and (in `query/export.rs`) Excel export — each scoped to the viewer by the store.

mod entries;
mod export;

use entries::running_lines;

use std::collections::BTreeMap;

use fiscus_core::ledger::BgtId;
use fiscus_core::query::{PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX, SEARCH_TEXT_LENGTH_MAX};
use fiscus_core::{Action, Principal, Rejection, Resource};
use fiscus_store::ledger::IndicatorRow;
use fiscus_store::ledger::query::{
    self as store_query, DocumentRef, IndicatorFilter, IndicatorOrder, IndicatorTotals,
    SummaryGroup, SummaryRow,
};
use fiscus_store::records::Viewer;
use serde::Serialize;

use crate::{App, AppError};

/// Lines of one 账页 page when the request names no size.
pub const ENTRY_PAGE_SIZE_DEFAULT: u32 = 50;

/// The query parameters of an indicator list, with their labels (form order).
pub const FILTER_PARAMS: [(&str, &str); 14] = [
    ("mof_div_code", "财政区划"),
    ("fiscal_year", "预算年度"),
    ("agency_code", "预算单位"),
    ("pro_code", "项目代码"),
    ("exp_func_code", "支出功能分类"),
    ("gov_bgt_eco_code", "政府经济分类"),
    ("dep_bgt_eco_code", "部门经济分类"),
    ("fund_type_code", "资金性质"),
    ("bgt_type_code", "指标类型"),
    ("bgt_exe_flag", "指标可执行标志"),
    ("pool_level", "待分级次"),
    ("closed", "指标状态"),
    ("cor_bgt_doc_no", "指标文号"),
    ("q", "查询"),
];

/// A parsed indicator list request: filter, order, page.
#[derive(Clone, Debug)]
pub struct IndicatorQuery {
    pub filter: IndicatorFilter,
    /// A name from `INDICATOR_SORTS`.
    pub sort: &'static str,
    pub descending: bool,
    /// 1-based.
    pub page: u32,
    pub page_size: u32,
}

fn label_of(name: &str) -> &'static str {
    FILTER_PARAMS
        .iter()
        .find(|(param, _)| *param == name)
        .map_or("查询条件", |(_, label)| *label)
}

/// `page` and `page_size` of a request, bounded by `PAGE_SIZE_MAX`.
pub fn parse_paging(
    params: &BTreeMap<String, String>,
    page_size_default: u32,
) -> Result<(u32, u32), Rejection> {
    let number = |name: &str, field: &'static str| -> Result<Option<u32>, Rejection> {
        match params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|n| *n >= 1)
                .map(Some)
                .ok_or(Rejection::FieldInvalid {
                    field,
                    expected: "正整数",
                }),
        }
    };
    let page = number("page", "页码")?.unwrap_or(1);
    let page_size = number("page_size", "每页条数")?.unwrap_or(page_size_default);
    if page_size > PAGE_SIZE_MAX {
        return Err(Rejection::PageSizeExceeded {
            page_size_max: PAGE_SIZE_MAX,
        });
    }
    Ok((page, page_size))
}

impl IndicatorQuery {
    /// Reads the filters of [`FILTER_PARAMS`], `sort`, `dir`, `page` and `page_size`;
    /// other parameters are ignored.
    pub fn parse(params: &BTreeMap<String, String>) -> Result<IndicatorQuery, Rejection> {
        let mut values: BTreeMap<&str, String> = BTreeMap::new();
        for (name, _) in FILTER_PARAMS {
            if let Some(value) = params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
                if value.chars().count() > SEARCH_TEXT_LENGTH_MAX {
                    return Err(Rejection::FieldTooLong {
                        field: label_of(name),
                        length_max: SEARCH_TEXT_LENGTH_MAX,
                    });
                }
                values.insert(name, value.to_owned());
            }
        }
        let code = |name: &'static str| -> Result<Option<String>, Rejection> {
            match values.get(name) {
                None => Ok(None),
                Some(value) if value.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                    Ok(Some(value.clone()))
                }
                Some(_) => Err(Rejection::FieldInvalid {
                    field: label_of(name),
                    expected: "字母或数字组成的代码",
                }),
            }
        };
        let fiscal_year = match values.get("fiscal_year") {
            None => None,
            Some(text) => Some(
                text.parse::<i64>()
                    .ok()
                    .filter(|year| (2000..=2100).contains(year))
                    .ok_or(Rejection::FieldInvalid {
                        field: "预算年度",
                        expected: "四位年份",
                    })?,
            ),
        };
        let closed = match values.get("closed").map(String::as_str) {
            None => None,
            Some("open" | "0") => Some(false),
            Some("closed" | "1") => Some(true),
            Some(_) => {
                return Err(Rejection::FieldInvalid {
                    field: "指标状态",
                    expected: "open（执行中）或 closed（已结转关闭）",
                });
            }
        };
        let pool_level = code("pool_level")?;
        if let Some(level) = &pool_level
            && fiscus_core::ledger::PoolLevel::from_code(level).is_none()
        {
            return Err(Rejection::FieldInvalid {
                field: "待分级次",
                expected: "total、division 或 department",
            });
        }
        let filter = IndicatorFilter {
            mof_div_code: code("mof_div_code")?,
            fiscal_year,
            agency_code: code("agency_code")?,
            pro_code: code("pro_code")?,
            exp_func_code: code("exp_func_code")?,
            gov_bgt_eco_code: code("gov_bgt_eco_code")?,
            dep_bgt_eco_code: code("dep_bgt_eco_code")?,
            fund_type_code: code("fund_type_code")?,
            bgt_type_code: code("bgt_type_code")?,
            bgt_exe_flag: code("bgt_exe_flag")?,
            pool_level,
            closed,
            cor_bgt_doc_no: values.get("cor_bgt_doc_no").cloned(),
            search: values.get("q").cloned(),
        };
        let sort = match params
            .get("sort")
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
        {
            None => "created_at",
            Some(name) => store_query::INDICATOR_SORTS
                .iter()
                .find(|(wire, _)| *wire == name)
                .map(|(wire, _)| *wire)
                .ok_or_else(|| Rejection::SortFieldUnknown {
                    value: name.to_owned(),
                })?,
        };
        let descending = params.get("dir").map(String::as_str) == Some("desc");
        let (page, page_size) = parse_paging(params, PAGE_SIZE_DEFAULT)?;
        Ok(IndicatorQuery {
            filter,
            sort,
            descending,
            page,
            page_size,
        })
    }

    fn order(&self, limit: u64, offset: u64) -> IndicatorOrder {
        IndicatorOrder {
            sort_sql: store_query::indicator_sort_sql(self.sort).unwrap_or("i.created_at"),
            descending: self.descending,
            limit,
            offset,
        }
    }
}

/// One page of indicators and the totals over every selected row.
#[derive(Clone, Debug)]
pub struct IndicatorPage {
    pub rows: Vec<IndicatorRow>,
    pub totals: IndicatorTotals,
}

/// How a roll-up groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SummaryBy {
    Region,
    Agency,
    /// 类 (3), 款 (5) or 项 (7).
    Func(u8),
    Fund,
}

impl SummaryBy {
    /// `by` = region | agency | func | fund, `level` = 3 | 5 | 7 for func (default 3).
    pub fn parse(by: Option<&str>, level: Option<&str>) -> Result<SummaryBy, Rejection> {
        let level = match level.map(str::trim).filter(|l| !l.is_empty()) {
            None | Some("3") => 3,
            Some("5") => 5,
            Some("7") => 7,
            Some(_) => {
                return Err(Rejection::FieldInvalid {
                    field: "科目级次",
                    expected: "3（类）、5（款）或 7（项）",
                });
            }
        };
        match by.map(str::trim).unwrap_or("region") {
            "" | "region" => Ok(SummaryBy::Region),
            "agency" => Ok(SummaryBy::Agency),
            "func" => Ok(SummaryBy::Func(level)),
            "fund" => Ok(SummaryBy::Fund),
            _ => Err(Rejection::FieldInvalid {
                field: "汇总方式",
                expected: "region、agency、func 或 fund",
            }),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            SummaryBy::Region => "region",
            SummaryBy::Agency => "agency",
            SummaryBy::Func(_) => "func",
            SummaryBy::Fund => "fund",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SummaryBy::Region => "财政区划",
            SummaryBy::Agency => "预算单位",
            SummaryBy::Func(3) => "功能分类（类）",
            SummaryBy::Func(5) => "功能分类（款）",
            SummaryBy::Func(_) => "功能分类（项）",
            SummaryBy::Fund => "资金性质",
        }
    }

    /// The list filter that selects one group's rows (for drill-down links).
    pub fn filter_param(self) -> &'static str {
        match self {
            SummaryBy::Region => "mof_div_code",
            SummaryBy::Agency => "agency_code",
            SummaryBy::Func(_) => "exp_func_code",
            SummaryBy::Fund => "fund_type_code",
        }
    }

    fn group(self) -> SummaryGroup {
        match self {
            SummaryBy::Region => SummaryGroup::Region,
            SummaryBy::Agency => SummaryGroup::Agency,
            SummaryBy::Func(level) => SummaryGroup::Func(level),
            SummaryBy::Fund => SummaryGroup::Fund,
        }
    }
}

/// One indicator with what surrounds it.
#[derive(Clone, Debug)]
pub struct IndicatorDetail {
    pub row: IndicatorRow,
    /// The indicator it was split or carried from, when the viewer may see it.
    pub parent: Option<IndicatorRow>,
    pub children: Vec<IndicatorRow>,
    pub documents: Vec<DocumentRef>,
}

/// The other side of a 账页 line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Counter {
    pub account_id: String,
    /// The other indicator, or this one (a freeze moves between its own accounts).
    pub bgt_id: Option<String>,
    pub account_label: &'static str,
}

/// One line of an indicator's 账页: what moved and the balances after it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntryLine {
    pub seq: i64,
    pub created_at: String,
    pub transfer_id: String,
    pub kind: String,
    pub reason: String,
    pub reason_label: &'static str,
    pub doc_id: Option<String>,
    pub counter: Counter,
    pub available_change_fen: i64,
    pub frozen_change_fen: i64,
    pub reserved_change_fen: i64,
    pub spent_change_fen: i64,
    pub written_off_change_fen: i64,
    pub available_fen: i64,
    pub frozen_fen: i64,
    pub reserved_fen: i64,
    pub spent_fen: i64,
    pub written_off_fen: i64,
}

/// A page of the 账页 and the number of lines in all.
#[derive(Clone, Debug, Serialize)]
pub struct EntryPage {
    pub lines: Vec<EntryLine>,
    pub total: i64,
    pub page: u32,
    pub page_size: u32,
}

fn may_read(who: &Principal) -> Result<(), Rejection> {
    if who.can(Action::Read, Resource::Indicator) {
        Ok(())
    } else {
        Err(Rejection::Forbidden)
    }
}

impl App {
    /// One page of the indicators `who` may see that `query` selects, with totals.
    pub async fn indicator_list(
        &self,
        who: &Principal,
        query: &IndicatorQuery,
    ) -> Result<IndicatorPage, AppError> {
        may_read(who)?;
        let viewer = Viewer::User(who);
        let offset = u64::from(query.page - 1) * u64::from(query.page_size);
        let order = query.order(u64::from(query.page_size), offset);
        let rows = store_query::list_indicators(&self.db, viewer, &query.filter, order).await?;
        let totals = store_query::indicator_totals(&self.db, viewer, &query.filter).await?;
        Ok(IndicatorPage { rows, totals })
    }

    /// One indicator with its parent, children and documents; `not_found` outside the scope.
    pub async fn indicator_detail(
        &self,
        who: &Principal,
        bgt_id: &BgtId,
    ) -> Result<IndicatorDetail, AppError> {
        may_read(who)?;
        let viewer = Viewer::User(who);
        let row = self.visible_indicator(viewer, bgt_id).await?;
        let parent = match &row.elements.ori_bgt_id {
            Some(ori) => fiscus_store::ledger::visible_indicators(
                &self.db,
                viewer,
                std::slice::from_ref(ori),
            )
            .await?
            .into_iter()
            .next(),
            None => None,
        };
        let children = store_query::children_of(&self.db, viewer, bgt_id.as_str()).await?;
        let documents = store_query::documents_of_indicator(&self.db, bgt_id.as_str()).await?;
        Ok(IndicatorDetail {
            row,
            parent,
            children,
            documents,
        })
    }

    /// A page of the indicator's 账页 with running balances; `not_found` outside the scope.
    pub async fn indicator_entries(
        &self,
        who: &Principal,
        bgt_id: &BgtId,
        page: u32,
        page_size: u32,
    ) -> Result<EntryPage, AppError> {
        may_read(who)?;
        self.visible_indicator(Viewer::User(who), bgt_id).await?;
        let total = store_query::entry_count(&self.db, bgt_id.as_str()).await?;
        let offset = u64::from(page.max(1) - 1) * u64::from(page_size);
        let rows =
            store_query::entries_of(&self.db, bgt_id.as_str(), offset + u64::from(page_size))
                .await?;
        let lines = running_lines(bgt_id.as_str(), &rows);
        let skip = usize::try_from(offset).unwrap_or(usize::MAX);
        Ok(EntryPage {
            lines: lines.into_iter().skip(skip).collect(),
            total,
            page,
            page_size,
        })
    }

    /// Sums of the selected indicators grouped by `by`, with a grand total.
    pub async fn indicator_summary(
        &self,
        who: &Principal,
        filter: &IndicatorFilter,
        by: SummaryBy,
    ) -> Result<(Vec<SummaryRow>, IndicatorTotals), AppError> {
        may_read(who)?;
        let viewer = Viewer::User(who);
        let rows = store_query::indicator_summary(&self.db, viewer, filter, by.group()).await?;
        let totals = store_query::indicator_totals(&self.db, viewer, filter).await?;
        Ok((rows, totals))
    }
}
