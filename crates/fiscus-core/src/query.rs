//! A list request — free-text search, exact filters, sort, page — parsed and bounded once.

use crate::masterdata::Input;
use crate::rejection::Rejection;
use crate::schema::EntitySpec;

pub const PAGE_SIZE_DEFAULT: u32 = 20;
pub const PAGE_SIZE_MAX: u32 = 200;
pub const EXPORT_ROWS_MAX: u32 = 100_000;
/// Data rows of one Excel import: all of them are checked and written in one transaction.
pub const IMPORT_ROWS_MAX: u32 = 10_000;
pub const SEARCH_TEXT_LENGTH_MAX: usize = 60;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListQuery {
    /// Matched as a substring of every searchable field.
    pub search: Option<String>,
    /// Exact matches on filterable fields. A 辖区 region code (`…998`) on `mof_div_code`
    /// selects the whole subtree.
    pub filters: Vec<(&'static str, String)>,
    pub sort: &'static str,
    pub descending: bool,
    /// 1-based.
    pub page: u32,
    pub page_size: u32,
}

impl ListQuery {
    pub fn first_page(spec: &EntitySpec) -> ListQuery {
        ListQuery {
            search: None,
            filters: Vec::new(),
            sort: spec.default_sort,
            descending: false,
            page: 1,
            page_size: PAGE_SIZE_DEFAULT,
        }
    }

    /// Reads `q`, `sort`, `dir`, `page`, `page_size` and any filterable field name.
    pub fn parse(spec: &EntitySpec, params: &Input) -> Result<ListQuery, Rejection> {
        let mut query = ListQuery::first_page(spec);
        if let Some(search) = params.get("q").map(str::trim).filter(|q| !q.is_empty()) {
            if search.chars().count() > SEARCH_TEXT_LENGTH_MAX {
                return Err(Rejection::FieldTooLong {
                    field: "查询条件",
                    length_max: SEARCH_TEXT_LENGTH_MAX,
                });
            }
            query.search = Some(search.to_owned());
        }
        if let Some(sort) = params.get("sort").filter(|sort| !sort.is_empty()) {
            let field = spec.field(sort).filter(|field| field.sort).ok_or_else(|| {
                Rejection::SortFieldUnknown {
                    value: sort.to_owned(),
                }
            })?;
            query.sort = field.name;
        }
        query.descending = params.get("dir") == Some("desc");
        if let Some(page) = params.get("page").filter(|page| !page.is_empty()) {
            query.page = page.parse::<u32>().ok().filter(|page| *page >= 1).ok_or(
                Rejection::FieldInvalid {
                    field: "页码",
                    expected: "正整数",
                },
            )?;
        }
        if let Some(page_size) = params.get("page_size").filter(|size| !size.is_empty()) {
            let page_size = page_size
                .parse::<u32>()
                .ok()
                .filter(|size| *size >= 1)
                .ok_or(Rejection::FieldInvalid {
                    field: "每页条数",
                    expected: "正整数",
                })?;
            if page_size > PAGE_SIZE_MAX {
                return Err(Rejection::PageSizeExceeded {
                    page_size_max: PAGE_SIZE_MAX,
                });
            }
            query.page_size = page_size;
        }
        for field in spec.fields.iter().filter(|field| field.filter) {
            if let Some(value) = params
                .get(field.name)
                .map(str::trim)
                .filter(|value| !value.is_empty())
            {
                if value.chars().count() > SEARCH_TEXT_LENGTH_MAX {
                    return Err(Rejection::FieldTooLong {
                        field: field.label,
                        length_max: SEARCH_TEXT_LENGTH_MAX,
                    });
                }
                query.filters.push((field.name, value.to_owned()));
            }
        }
        Ok(query)
    }

    pub fn offset(&self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.page_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::AGENCY;

    fn params(pairs: &[(&str, &str)]) -> Input {
        Input(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn parse_bounds() {
        let query = ListQuery::parse(
            &AGENCY,
            &params(&[
                ("q", " 教育 "),
                ("sort", "agency_name"),
                ("dir", "desc"),
                ("page", "3"),
                ("fund_guar", "1"),
            ]),
        );
        let query = query.unwrap_or_else(|_| ListQuery::first_page(&AGENCY));
        assert_eq!(query.search.as_deref(), Some("教育"));
        assert_eq!(query.sort, "agency_name");
        assert!(query.descending);
        assert_eq!(query.offset(), 40);
        assert_eq!(query.filters, vec![("fund_guar", "1".to_string())]);
        let rejected: &[(&str, &str, &str)] = &[
            ("sort", "unifsoc_cred_code", "sort_field_unknown"),
            ("page_size", "500", "page_size_exceeded"),
            ("page", "0", "field_invalid"),
        ];
        for (name, value, code) in rejected {
            assert_eq!(
                ListQuery::parse(&AGENCY, &params(&[(name, value)]))
                    .err()
                    .map(|r| r.code()),
                Some(code.to_string())
            );
        }
    }
}
