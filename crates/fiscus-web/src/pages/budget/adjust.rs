//! 调整调剂: the form that drafts an adjustment document (追加, 追减, 调剂, 预算调整; reason,
//! 文号, legs — each an approved line picked by `bgt_pman_id` or a new line, with a signed
//! amount in 元) and submits it into the `adjustment` flow, where it is reviewed on the
//! generic flow document pages; the viewer's own adjustment documents; and the readable card
//! of an adjustment on the flow document page.

use std::collections::BTreeSet;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use fiscus_app::AppError;
use fiscus_app::flow::MyDocumentsQuery;
use fiscus_core::budget::LineKey;
use fiscus_core::budget::adjust::{AdjustKind, AdjustLeg, Adjustment, NewLine};
use fiscus_core::flow::DocType;
use fiscus_core::{Fen, Rejection};
use fiscus_store::budget::{LineQuery, LineRow};
use fiscus_store::flow::DoneRow;
use maud::{Markup, PreEscaped, html};

use super::edit::ADD_ROW_JS;
use super::{
    Pairs, Refusal, default_year, form_pairs, is_dept_reviewer, is_unit_clerk, money, parse_year,
    sheet_href, style, value, year_options,
};
use crate::context::{CurrentUser, PageUser, RequestInfo};
use crate::pages::flow::{amount_cell, document_href, status_badge};
use crate::pages::layout::{self, csrf_field, heading};
use crate::pages::payment::when;
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

/// Leg rows the form shows before any is typed.
const LEG_ROWS: usize = 4;
/// Approved lines offered in the picker.
const LINES_SHOWN_MAX: i64 = 500;
/// The viewer's adjustment documents listed under the form.
const DOCUMENTS_SHOWN: u32 = 20;

/// The fields of a leg row that make it non-blank.
const LEG_FIELDS: [&str; 8] = ["line", "agency", "pro", "func", "gov", "dep", "fund", "amt"];

fn require_author(user: &CurrentUser, rid: &str) -> Result<(), PageError> {
    if is_unit_clerk(&user.principal) || is_dept_reviewer(&user.principal) {
        Ok(())
    } else {
        Err(PageError::new(Rejection::Forbidden, rid))
    }
}

pub async fn page(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(query): Query<Pairs>,
) -> PageResult {
    let rid = &info.request_id;
    require_author(&user, rid)?;
    let year = match parse_year(&value(&query, "year")) {
        Some(year) => year,
        None => default_year(&state.app, &user.principal).await,
    };
    let (lines, documents) = load(&state, &user, year, rid).await?;
    Ok(render(&user, year, &lines, &documents, &query, None))
}

async fn load(
    state: &AppState,
    user: &CurrentUser,
    year: i64,
    rid: &str,
) -> Result<(Vec<LineRow>, Vec<DoneRow>), PageError> {
    let who = &user.principal;
    let query = LineQuery {
        fiscal_year: year,
        agency_code: who
            .agency_code()
            .filter(|_| !is_dept_reviewer(who))
            .map(|code| code.as_str().to_owned()),
        approved_only: true,
        limit: LINES_SHOWN_MAX,
        ..LineQuery::default()
    };
    let (lines, _) = state
        .app
        .budget_lines(who, query)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let documents = state
        .app
        .flow_my_documents(
            who,
            MyDocumentsQuery {
                status: None,
                doc_type: Some(DocType::Adjustment.code().to_owned()),
                search: None,
                page: 1,
                page_size: DOCUMENTS_SHOWN,
            },
        )
        .await
        .map_err(|e| PageError::new(e, rid))?
        .rows;
    Ok((lines, documents))
}

fn line_label(line: &LineRow) -> String {
    format!(
        "{} · {} · {}/{}/{}/{} · 变动后 {} 元",
        line.agency_code,
        line.pro_code,
        line.exp_func_code,
        line.gov_bgt_eco_code,
        line.dep_bgt_eco_code,
        line.fund_type_code,
        Fen(line.cur_amt).to_yuan_string()
    )
}

fn render(
    user: &CurrentUser,
    year: i64,
    lines: &[LineRow],
    documents: &[DoneRow],
    typed: &Pairs,
    refusal: Option<&Refusal>,
) -> Response {
    let kind = value(typed, "kind");
    let n_legs = typed
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .filter_map(|(key, _)| {
            key.strip_prefix("leg_")?
                .rsplit_once('_')?
                .1
                .parse::<usize>()
                .ok()
        })
        .max()
        .map_or(LEG_ROWS, |last| (last + 2).max(LEG_ROWS));
    let own_agency = user
        .principal
        .agency_code()
        .map(|code| code.as_str().to_owned())
        .unwrap_or_default();
    let input = |name: String, hint: &str, class: &str| {
        let current = value(typed, &name);
        html! { td { input type="text" class=(class) name=(name) value=(current) placeholder=(hint) aria-label=(hint); } }
    };
    let title = "预算调整调剂";
    let content = html! {
        (style())
        (heading(&[("/budget", "预算编制")], title, html! {
            form method="get" action="/budget/adjust" class="inline" {
                select name="year" data-autosubmit aria-label="预算年度" {
                    @for option in year_options(year) {
                        option value=(option) selected[option == year] { (option) " 年" }
                    }
                }
                noscript { button type="submit" class="button small" { "切换年度" } }
            }
            @if !own_agency.is_empty() && is_unit_clerk(&user.principal) {
                a class="button ghost" href=(sheet_href(year, &own_agency)) { "本单位预算" }
            }
        }))
        @if let Some(refusal) = refusal { (refusal.notice("调整单未保存，请修改后重新提交")) }
        form method="post" action="/budget/adjust" class="card record-form budget-form" {
            (csrf_field(user))
            input type="hidden" name="year" value=(year);
            h2 { "新建调整调剂单（" (year) " 年）" }
            div class="form-grid" {
                label class="field" {
                    span class="label" { "调整类型" span class="req" { " *" } }
                    select name="kind" {
                        @for option in AdjustKind::ALL {
                            option value=(option.code()) selected[option.code() == kind] { (option.label()) }
                        }
                    }
                }
                label class="field" {
                    span class="label" { "调整文号" }
                    input type="text" name="doc_no" value=(value(typed, "doc_no")) placeholder="预算调整必填";
                }
                label class="field wide" {
                    span class="label" { "调整理由" span class="req" { " *" } }
                    input type="text" name="reason" value=(value(typed, "reason")) placeholder="写明调整或调剂的原因";
                }
            }
            h2 { "调整明细" }
            p class="muted small" {
                "每行选一条已批复的预算明细，或不选而填写新增明细（单位、项目和分类代码）。"
                "金额以元为单位：增加填正数，减少填负数（如 -5000）。追加只能为正、追减只能为负，调剂的调出与调入合计须为零。"
            }
            @if lines.is_empty() {
                p class="notice warn" { (year) " 年还没有已批复的预算明细可供调整。" }
            }
            div class="table-wrap" {
                table class="data edit-rows" {
                    thead { tr {
                        th { "已批复预算明细" } th { "或新增：单位代码" } th { "项目代码" } th { "功能分类" } th { "政府经济分类" } th { "部门经济分类" } th { "资金性质" } th { "金额（元，±）" }
                    } }
                    tbody id="rows-leg" {
                        @for i in 0..n_legs {
                            @let chosen = value(typed, &format!("leg_line_{i}"));
                            tr {
                                td {
                                    select name=(format!("leg_line_{i}")) aria-label="已批复预算明细" {
                                        option value="" { "（新增明细）" }
                                        @for line in lines {
                                            option value=(line.bgt_pman_id) selected[line.bgt_pman_id == chosen] { (line_label(line)) }
                                        }
                                    }
                                }
                                (input(format!("leg_agency_{i}"), "单位代码", "short"))
                                (input(format!("leg_pro_{i}"), "项目代码", ""))
                                (input(format!("leg_func_{i}"), "功能分类", "short"))
                                (input(format!("leg_gov_{i}"), "政府经济", "short"))
                                (input(format!("leg_dep_{i}"), "部门经济", "short"))
                                (input(format!("leg_fund_{i}"), "资金性质", "short"))
                                (input(format!("leg_amt_{i}"), "如 5000 或 -5000", "num"))
                            }
                        }
                    }
                }
            }
            p class="add-row" { button type="button" class="button small" data-add-row="rows-leg" hidden { "＋ 添加一行" } }
            div class="form-actions" {
                button type="submit" name="submit" value="1" class="button primary" { "提交审核" }
                " "
                button type="submit" name="submit" value="0" class="button" { "保存草稿" }
            }
        }
        script { (PreEscaped(ADD_ROW_JS)) }
        div class="card table-card" {
            h2 class="card-title" { "我的调整调剂单" }
            @if documents.is_empty() {
                div class="empty" { div class="empty-title" { "还没有调整调剂单" } }
            } @else {
                table class="data" {
                    thead { tr { th { "单据" } th { "状态" } th class="num" { "金额（元）" } th { "更新时间" } } }
                    tbody {
                        @for row in documents {
                            tr {
                                td { a href=(document_href(&row.doc_id)) { (row.title) } }
                                td { (status_badge(&row.status)) }
                                td class="num" { (amount_cell(row.amount_fen)) }
                                td { (when(Some(&row.updated_at))) }
                            }
                        }
                    }
                }
                p class="muted small" { "审核在「待办」中办理；全部单据见 " a href="/flow/mine" { "我的申请" } "。" }
            }
        }
    };
    let status = refusal.map_or(StatusCode::OK, |r| r.status);
    (status, layout::page(user, title, "/budget/adjust", content)).into_response()
}

/// Reads the adjustment from the form; blank leg rows are left out. A refusal says where.
fn adjustment_of(
    pairs: &Pairs,
    year: i64,
    own_agency: &str,
) -> Result<Adjustment, (String, Rejection)> {
    let kind = AdjustKind::parse(&value(pairs, "kind")).ok_or((
        String::new(),
        Rejection::FieldInvalid {
            field: "调整类型",
            expected: "追加、追减、调剂或预算调整",
        },
    ))?;
    let rows: BTreeSet<usize> = pairs
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .filter_map(|(key, _)| {
            let (field, index) = key.strip_prefix("leg_")?.rsplit_once('_')?;
            LEG_FIELDS.contains(&field).then_some(())?;
            index.parse::<usize>().ok()
        })
        .collect();
    let mut legs = Vec::new();
    for i in rows {
        let v = |field: &str| value(pairs, &format!("leg_{field}_{i}"));
        let place = || format!("调整明细第 {} 行", i + 1);
        let text = v("amt");
        if text.trim().is_empty() {
            return Err((
                place(),
                Rejection::FieldRequired {
                    field: "调整金额"
                },
            ));
        }
        let delta = Fen::parse_yuan(&text, "调整金额").map_err(|r| (place(), r))?;
        let line = v("line");
        let leg = if line.trim().is_empty() {
            let agency = v("agency");
            AdjustLeg {
                bgt_pman_id: None,
                new_line: Some(NewLine {
                    agency_code: if agency.trim().is_empty() {
                        own_agency.to_owned()
                    } else {
                        agency
                    },
                    key: LineKey {
                        pro_code: v("pro"),
                        exp_func_code: v("func"),
                        gov_bgt_eco_code: v("gov"),
                        dep_bgt_eco_code: v("dep"),
                        fund_type_code: v("fund"),
                    },
                    is_gov_pur: false,
                }),
                delta,
            }
        } else {
            AdjustLeg {
                bgt_pman_id: Some(line),
                new_line: None,
                delta,
            }
        };
        legs.push(leg);
    }
    Ok(Adjustment {
        kind,
        fiscal_year: i32::try_from(year).unwrap_or_default(),
        doc_no: value(pairs, "doc_no"),
        reason: value(pairs, "reason"),
        legs,
    })
}

pub async fn create(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    form: Result<Form<Pairs>, FormRejection>,
) -> PageResult {
    let rid = &info.request_id;
    require_author(&user, rid)?;
    let pairs = form_pairs(form, rid)?;
    let year = parse_year(&value(&pairs, "year")).ok_or_else(|| {
        PageError::new(
            Rejection::FieldInvalid {
                field: "预算年度",
                expected: "四位年份",
            },
            rid,
        )
    })?;
    let own_agency = user
        .principal
        .agency_code()
        .map(|code| code.as_str().to_owned())
        .unwrap_or_default();
    let submit = value(&pairs, "submit") != "0";
    let refusal = match adjustment_of(&pairs, year, &own_agency) {
        Err((place, rejection)) => Refusal::at(&place, rejection, rid),
        Ok(adjustment) => match state
            .app
            .budget_adjust_create(&user.principal, &adjustment, submit, &info.ctx())
            .await
        {
            Ok(doc_id) => return Ok(Redirect::to(&document_href(&doc_id)).into_response()),
            Err(error @ AppError::Rejected(_)) => Refusal::of(&error, rid),
            Err(error) => return Err(PageError::new(error, rid)),
        },
    };
    let (lines, documents) = load(&state, &user, year, rid).await?;
    Ok(render(
        &user,
        year,
        &lines,
        &documents,
        &pairs,
        Some(&refusal),
    ))
}

/// The card of an adjustment document on the flow document page.
pub(super) fn card(payload: &str) -> Option<Markup> {
    let adjustment: Adjustment = serde_json::from_str(payload).ok()?;
    Some(html! {
        div class="card table-card" {
            h2 class="card-title" { "调整调剂内容" }
            dl class="fields" {
                div class="field-line" { dt { "调整类型" } dd { (adjustment.kind.label()) } }
                div class="field-line" { dt { "预算年度" } dd { (adjustment.fiscal_year) } }
                div class="field-line" { dt { "调整文号" } dd { @if adjustment.doc_no.is_empty() { span class="muted" { "—" } } @else { (adjustment.doc_no) } } }
                div class="field-line wide" { dt { "调整理由" } dd { (adjustment.reason) } }
                div class="field-line" { dt { "净变动（元）" } dd { (money(adjustment.net().map_or(0, |fen| fen.0))) } }
            }
            table class="data" {
                thead { tr { th { "#" } th { "预算明细" } th class="num" { "金额（元）" } } }
                tbody {
                    @for (index, leg) in adjustment.legs.iter().enumerate() {
                        tr {
                            td { (index + 1) }
                            td {
                                @if let Some(id) = &leg.bgt_pman_id { "已批复明细 " span class="code small" { (id) } }
                                @if let Some(new_line) = &leg.new_line { "新增：" (new_line.agency_code) " " span class="code small" { (new_line.key.text()) } }
                            }
                            td class="num" { (crate::pages::ledger::change(leg.delta.0)) }
                        }
                    }
                }
            }
        }
    })
}
