//! The 指标管理 pages: 指标查询 (`list`), 指标详情 with its 账页 (`detail`), 指标汇总
//! (`summary`), the forms that draft operation documents (`ops`, `ops_form`), 控制级次
//! (`controls`), 年终结转 (`year_end`), and the readable rendering of an operation document on the flow page
//! (`render`). Shared here: code and organisation names, money cells, indicator links.

mod controls;
mod detail;
mod list;
mod ops;
pub(crate) mod ops_form;
pub(crate) mod render;
mod summary;
mod year_end;

use std::collections::{BTreeMap, HashMap};

use axum::routing::get;
use fiscus_app::App;
use fiscus_core::masterdata::Value;
use fiscus_core::schema;
use fiscus_core::{Fen, Principal};
use fiscus_store::ledger::IndicatorRow;
use fiscus_store::ledger::query::IndicatorTotals;
use maud::{Markup, html};

use crate::context::percent_encode;
use crate::state::AppState;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/indicators", get(list::list))
        .route("/indicators/summary", get(summary::summary))
        .route(
            "/indicators/controls",
            get(controls::page).post(controls::save),
        )
        .route(
            "/indicators/year-end",
            get(year_end::page).post(year_end::confirm),
        )
        .route("/indicators/ops/{op}", get(ops::form).post(ops::submit))
        .route("/indicators/{bgt_id}", get(detail::detail))
}

/// The navigation links of the 指标管理 group that `principal` may use.
pub fn nav_links(principal: &Principal) -> Vec<(&'static str, &'static str)> {
    use fiscus_core::{Action, Resource};
    let mut links = vec![
        ("/indicators", "指标查询"),
        ("/indicators/summary", "指标汇总"),
    ];
    if principal.can(Action::Write, Resource::Indicator) {
        links.push(("/indicators/ops/enter", "指标业务办理"));
    }
    links.push(("/indicators/controls", "控制级次"));
    if principal.agency_code().is_none() {
        links.push(("/indicators/year-end", "年终结转"));
    }
    links
}

/// The page of one indicator.
pub fn indicator_href(bgt_id: &str) -> String {
    format!("/indicators/{}", percent_encode(bgt_id))
}

/// 元 with two decimals; zero as a dash.
pub fn money(fen: i64) -> Markup {
    if fen == 0 {
        html! { span class="num muted" { "0.00" } }
    } else if fen < 0 {
        html! { span class="num negative" { (Fen(fen).to_yuan_string()) } }
    } else {
        html! { span class="num" { (Fen(fen).to_yuan_string()) } }
    }
}

/// A signed change: `+1,000.00` / `-300.00`, blank when nothing moved.
pub fn change(fen: i64) -> Markup {
    if fen == 0 {
        html! {}
    } else if fen > 0 {
        html! { span class="num increase" { "+" (Fen(fen).to_yuan_string()) } }
    } else {
        html! { span class="num negative" { (Fen(fen).to_yuan_string()) } }
    }
}

/// The five figures of an indicator (or of a selection) as a card of big numbers.
pub fn figures_card(total: i64, frozen: i64, reserved: i64, spent: i64, available: i64) -> Markup {
    let stat = |label: &str, fen: i64, hint: &str| {
        html! {
            div class="stat" title=(hint) {
                div class="stat-label" { (label) }
                div class="stat-value" { (Fen(fen).to_yuan_string()) }
                div class="stat-unit" { "元" }
            }
        }
    };
    html! {
        div class="stats ledger-figures" {
            (stat("指标金额", total, "下达的全部金额，扣除追减、调出"))
            (stat("冻结", frozen, "已冻结，暂不能支付"))
            (stat("在途", reserved, "已申请支付、银行尚未支付"))
            (stat("已支出", spent, "已支付"))
            (stat("可用余额", available, "还可申请支付或调剂的金额"))
        }
    }
}

pub fn totals_figures(totals: &IndicatorTotals) -> Markup {
    figures_card(
        totals.total_fen,
        totals.frozen_fen,
        totals.reserved_fen,
        totals.spent_fen,
        totals.available_fen,
    )
}

/// The code tables an indicator shows, by element.
pub const ELEMENTS: [(&str, &str); 7] = [
    ("exp_func_code", "exp_func"),
    ("gov_bgt_eco_code", "gov_bgt_eco"),
    ("dep_bgt_eco_code", "dep_bgt_eco"),
    ("fund_type_code", "fund_type"),
    ("bgt_type_code", "bgt_type"),
    ("pay_type_code", "pay_type"),
    ("source_type_code", "source_type"),
];

/// Names of the codes, regions and units a ledger page shows, looked up once per request.
/// A missing name (outside the viewer's scope, say) leaves the bare code.
#[derive(Default)]
pub struct LedgerNames {
    codes: HashMap<&'static str, BTreeMap<String, String>>,
    regions: HashMap<String, String>,
    agencies: HashMap<String, String>,
}

impl LedgerNames {
    /// Names for `rows`: every code table of [`ELEMENTS`], their regions and units.
    pub async fn fetch(app: &App, who: &Principal, rows: &[&IndicatorRow]) -> LedgerNames {
        let mut names = LedgerNames::default();
        names.load_codes(app).await;
        let (regions, agencies) = orgs_of(rows);
        names.load_orgs(app, who, regions, agencies).await;
        names
    }

    pub async fn load_codes(&mut self, app: &App) {
        for (_, element) in ELEMENTS {
            if self.codes.contains_key(element) {
                continue;
            }
            let pairs = app.code_names(element, None).await.unwrap_or_default();
            self.codes.insert(element, pairs.into_iter().collect());
        }
    }

    pub async fn load_orgs(
        &mut self,
        app: &App,
        who: &Principal,
        regions: Vec<String>,
        agencies: Vec<String>,
    ) {
        for code in regions {
            if self.regions.contains_key(&code) {
                continue;
            }
            if let Ok(record) = app.get_record(who, &schema::REGION, &code).await
                && let Some(Value::Text(name)) = record.get("mof_div_name")
            {
                self.regions.insert(code, name.clone());
            }
        }
        for code in agencies {
            if code.is_empty() || self.agencies.contains_key(&code) {
                continue;
            }
            if let Ok(record) = app.get_record(who, &schema::AGENCY, &code).await
                && let Some(Value::Text(name)) = record.get("agency_name")
            {
                self.agencies.insert(code, name.clone());
            }
        }
    }

    /// The name of `code` in the table behind `field` (`exp_func_code` …).
    pub fn code(&self, field: &str, code: &str) -> Option<&str> {
        let element = ELEMENTS.iter().find(|(f, _)| *f == field)?.1;
        self.codes.get(element)?.get(code).map(String::as_str)
    }

    /// The codes of a table, for a picker.
    pub fn options(&self, field: &str) -> Vec<(&str, &str)> {
        ELEMENTS
            .iter()
            .find(|(f, _)| *f == field)
            .and_then(|(_, element)| self.codes.get(element))
            .map(|m| m.iter().map(|(c, n)| (c.as_str(), n.as_str())).collect())
            .unwrap_or_default()
    }

    pub fn region(&self, code: &str) -> Option<&str> {
        self.regions.get(code).map(String::as_str)
    }

    pub fn agency(&self, code: &str) -> Option<&str> {
        self.agencies.get(code).map(String::as_str)
    }

    /// `code name`, or the bare code; a dash when empty.
    pub fn show_code(&self, field: &str, code: &str) -> Markup {
        if code.is_empty() {
            return html! { span class="muted" { "—" } };
        }
        match self.code(field, code) {
            Some(name) => html! { span class="code" { (code) } " " (name) },
            None => html! { span class="code" { (code) } },
        }
    }

    pub fn show_region(&self, code: &str) -> Markup {
        match self.region(code) {
            Some(name) => html! { (name) " " span class="code muted small" { (code) } },
            None => html! { span class="code" { (code) } },
        }
    }

    /// A unit by name, or 「财政待分」 for a pool without one.
    pub fn show_agency(&self, code: Option<&str>) -> Markup {
        match code {
            None | Some("") => html! { span class="muted" { "（财政待分）" } },
            Some(code) => match self.agency(code) {
                Some(name) => html! { (name) " " span class="code muted small" { (code) } },
                None => html! { span class="code" { (code) } },
            },
        }
    }
}

/// The region and unit codes of some indicators (collected before any await).
pub fn orgs_of(rows: &[&IndicatorRow]) -> (Vec<String>, Vec<String>) {
    let regions = rows
        .iter()
        .map(|r| r.elements.mof_div_code.as_str().to_owned())
        .collect();
    let agencies = rows
        .iter()
        .filter_map(|r| {
            r.elements
                .agency_code
                .as_ref()
                .map(|c| c.as_str().to_owned())
        })
        .collect();
    (regions, agencies)
}

/// What an indicator is called in a list or a link: its title, else its document number.
pub fn indicator_title(row: &IndicatorRow) -> String {
    let e = &row.elements;
    if !e.bgt_doc_title.is_empty() {
        e.bgt_doc_title.clone()
    } else if !e.cor_bgt_doc_no.is_empty() {
        e.cor_bgt_doc_no.clone()
    } else {
        row.bgt_id.to_string()
    }
}

/// 可执行 / 待分（总待分）/ 已结转关闭.
pub fn state_badge(row: &IndicatorRow) -> Markup {
    let e = &row.elements;
    if row.closed {
        return html! { span class="badge" { "已结转关闭" } };
    }
    match e.pool_level {
        Some(level) => html! { span class="badge warn" { (level.label()) } },
        None => html! { span class="badge ok" { (e.bgt_exe_flag.label()) } },
    }
}
