//! 批复下达 (二下) for the budget division of a region: how many unit budgets of the year are
//! in each stage and status (approval needs every one reviewed at 二上), the 批复 form (文号,
//! 标题) and the 预下达 form (比例 in %, read without floats into basis points, 文号, 标题),
//! and after either the summary of what it did (units, lines, indicators, total).

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use fiscus_app::AppError;
use fiscus_app::budget::{ApprovalDoc, ApprovalSummary};
use fiscus_core::budget::{SheetStatus, Stage};
use fiscus_core::{Fen, Rejection};
use fiscus_store::budget::SheetQuery;
use maud::{Markup, html};

use super::{
    Pairs, Refusal, default_year, form_pairs, is_budget_division, money, parse_year, style, value,
    year_options,
};
use crate::context::{CurrentUser, PageUser, RequestInfo};
use crate::pages::layout::{self, csrf_field, heading, notice_ok, url};
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

const STATUSES: [SheetStatus; 3] = [
    SheetStatus::Draft,
    SheetStatus::Submitted,
    SheetStatus::Reviewed,
];

/// The number of the region's unit budgets in each stage and status.
struct Readiness {
    counts: Vec<(Stage, SheetStatus, i64)>,
}

impl Readiness {
    fn count(&self, stage: Stage, status: SheetStatus) -> i64 {
        self.counts
            .iter()
            .find(|(s, t, _)| *s == stage && *t == status)
            .map_or(0, |(_, _, n)| *n)
    }

    fn ready(&self) -> i64 {
        self.count(Stage::TwoUp, SheetStatus::Reviewed)
    }

    fn approved(&self) -> i64 {
        STATUSES
            .into_iter()
            .map(|status| self.count(Stage::Approved, status))
            .sum()
    }

    fn pending(&self) -> i64 {
        self.counts
            .iter()
            .filter(|(stage, status, _)| {
                *stage != Stage::Approved
                    && !(*stage == Stage::TwoUp && *status == SheetStatus::Reviewed)
            })
            .map(|(_, _, n)| *n)
            .sum()
    }
}

async fn readiness(
    state: &AppState,
    user: &CurrentUser,
    year: i64,
    rid: &str,
) -> Result<Readiness, PageError> {
    let who = &user.principal;
    let mut counts = Vec::new();
    for stage in Stage::ALL {
        for status in STATUSES {
            let query = SheetQuery {
                fiscal_year: year,
                mof_div_code: Some(who.mof_div_code().as_str().to_owned()),
                stage: Some(stage.code().to_owned()),
                status: Some(status.code().to_owned()),
                limit: 1,
                ..SheetQuery::default()
            };
            let (_, n) = state
                .app
                .budget_sheets(who, query)
                .await
                .map_err(|e| PageError::new(e, rid))?;
            counts.push((stage, status, n));
        }
    }
    Ok(Readiness { counts })
}

fn require_budget_division(user: &CurrentUser, rid: &str) -> Result<(), PageError> {
    if is_budget_division(&user.principal) {
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
    require_budget_division(&user, rid)?;
    let year = match parse_year(&value(&query, "year")) {
        Some(year) => year,
        None => default_year(&state.app, &user.principal).await,
    };
    let ready = readiness(&state, &user, year, rid).await?;
    let done = value(&query, "done");
    let summary = (!done.is_empty()).then(|| {
        let n = |name: &str| value(&query, name).parse::<i64>().unwrap_or(0);
        (
            done.clone(),
            ApprovalSummary {
                units: usize::try_from(n("units")).unwrap_or(0),
                lines: usize::try_from(n("lines")).unwrap_or(0),
                indicators_created: usize::try_from(n("created")).unwrap_or(0),
                indicators_changed: usize::try_from(n("changed")).unwrap_or(0),
                total_fen: n("total"),
            },
        )
    });
    Ok(render(
        &user,
        year,
        &ready,
        &Vec::new(),
        None,
        summary.as_ref(),
    ))
}

fn render(
    user: &CurrentUser,
    year: i64,
    ready: &Readiness,
    typed: &Pairs,
    refusal: Option<&Refusal>,
    summary: Option<&(String, ApprovalSummary)>,
) -> Response {
    let title = format!("{year} 年预算批复下达");
    let year_text = year.to_string();
    let region = user.principal.org_name.clone();
    let typed_or = |name: &str, default: &str| {
        let typed = value(typed, name);
        if typed.is_empty() {
            default.to_owned()
        } else {
            typed
        }
    };
    let content = html! {
        (style())
        (heading(&[("/budget", "预算编制")], &title, html! {
            form method="get" action="/budget/approve" class="inline" {
                select name="year" data-autosubmit aria-label="预算年度" {
                    @for option in year_options(year) {
                        option value=(option) selected[option == year] { (option) " 年" }
                    }
                }
                noscript { button type="submit" class="button small" { "切换年度" } }
            }
            a class="button ghost" href=(url("/budget/summary", &[("year", &year_text)])) { "预算汇总" }
        }))
        @if let Some((done, summary)) = summary { (summary_card(done, summary)) }
        @if let Some(refusal) = refusal { (refusal.notice("")) }
        div class="card table-card" {
            h2 class="card-title" { (region) " 单位预算进度" }
            table class="data" {
                thead { tr { th { "阶段" } @for status in STATUSES { th class="num" { (status.label()) } } th class="num" { "合计" } } }
                tbody {
                    @for stage in Stage::ALL {
                        tr {
                            td { (stage.label()) }
                            @for status in STATUSES {
                                @let n = ready.count(stage, status);
                                td class="num" {
                                    @if n > 0 {
                                        a href=(url("/budget", &[("year", &year_text), ("stage", stage.code()), ("status", status.code())])) { (n) }
                                    } @else { span class="muted" { "0" } }
                                }
                            }
                            td class="num" { (STATUSES.into_iter().map(|status| ready.count(stage, status)).sum::<i64>()) }
                        }
                    }
                }
            }
            p class="muted small" {
                "可批复：" strong { (ready.ready()) } " 个（二上审核通过）· 尚未审核通过：" strong { (ready.pending()) } " 个 · 已批复：" (ready.approved()) " 个。"
                "批复要求本区划全部单位预算在二上审核通过。"
            }
        }
        form method="post" action="/budget/approve" class="card record-form" {
            (csrf_field(user))
            input type="hidden" name="year" value=(year);
            input type="hidden" name="action" value="approve";
            h2 { "批复（二下）" }
            p class="muted small" { "每条预算明细的财政审核数成为年初批复数，并生成正式指标。" }
            div class="form-grid" {
                label class="field" { span class="label" { "批复文号" span class="req" { " *" } } input type="text" name="doc_no" value=(typed_or("doc_no", "")) placeholder=(format!("如 兵财预〔{year}〕1号")); }
                label class="field wide" { span class="label" { "批复标题" span class="req" { " *" } } input type="text" name="doc_title" value=(typed_or("doc_title", "")) placeholder=(format!("如 关于批复{year}年部门预算的通知")); }
            }
            div class="form-actions" {
                button type="submit" class="button primary" data-confirm="确定批复本区划全部单位预算并生成指标吗？" { "批复并生成指标" }
            }
        }
        form method="post" action="/budget/approve" class="card record-form" {
            (csrf_field(user))
            input type="hidden" name="year" value=(year);
            input type="hidden" name="action" value="pre_release";
            h2 { "预下达" }
            p class="muted small" { "人代会批准前，按比例把二上预算的一部分先下达为指标（按分向下取整）；已预下达的明细不再重复。" }
            div class="form-grid" {
                label class="field" { span class="label" { "预下达比例（%）" span class="req" { " *" } } input type="text" inputmode="decimal" name="ratio" value=(typed_or("ratio", "")) placeholder="如 30 或 12.5"; }
                label class="field" { span class="label" { "文号" span class="req" { " *" } } input type="text" name="doc_no" value=(typed_or("pre_doc_no", "")) placeholder=(format!("如 兵财预〔{year}〕2号")); }
                label class="field wide" { span class="label" { "标题" span class="req" { " *" } } input type="text" name="doc_title" value=(typed_or("pre_doc_title", "")) placeholder="如 关于提前下达部分预算的通知"; }
            }
            div class="form-actions" {
                button type="submit" class="button" data-confirm="确定按此比例预下达吗？" { "预下达" }
            }
        }
    };
    let status = refusal.map_or(StatusCode::OK, |r| r.status);
    (
        status,
        layout::page(user, &title, "/budget/approve", content),
    )
        .into_response()
}

fn summary_card(done: &str, summary: &ApprovalSummary) -> Markup {
    let what = if done == "pre_release" {
        "预下达"
    } else {
        "批复"
    };
    html! {
        (notice_ok(&format!("{what}完成。")))
        div class="card" {
            h2 class="card-title" { (what) "结果" }
            dl class="fields" {
                div class="field-line" { dt { "单位" } dd { (summary.units) " 个" } }
                div class="field-line" { dt { "预算明细" } dd { (summary.lines) " 条" } }
                div class="field-line" { dt { "新生成指标" } dd { (summary.indicators_created) " 条" } }
                div class="field-line" { dt { "调整的指标" } dd { (summary.indicators_changed) " 条" } }
                div class="field-line" { dt { "金额合计（元）" } dd { (money(summary.total_fen)) } }
            }
            p { a href="/indicators" { "到指标查询查看生成的指标" } }
        }
    }
}

/// A percentage with at most two decimals as basis points (`12.5` → 1250), without floats.
fn basis_points(text: &str) -> Result<i64, Rejection> {
    let invalid = Rejection::FieldInvalid {
        field: "预下达比例",
        expected: "百分比，最多两位小数，如 30 或 12.5",
    };
    let cleaned = text.trim().trim_end_matches(['%', '％']).trim();
    if cleaned.is_empty() {
        return Err(Rejection::FieldRequired {
            field: "预下达比例",
        });
    }
    // A percentage with two decimals is read exactly like 元 with two decimals: ×100.
    Fen::parse_yuan(cleaned, "预下达比例")
        .map(|hundredths| hundredths.0)
        .map_err(|_| invalid)
}

pub async fn act(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    form: Result<Form<Pairs>, FormRejection>,
) -> PageResult {
    let rid = &info.request_id;
    require_budget_division(&user, rid)?;
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
    let who = &user.principal;
    let region = who.mof_div_code().as_str().to_owned();
    let doc = ApprovalDoc {
        doc_no: value(&pairs, "doc_no"),
        doc_title: value(&pairs, "doc_title"),
    };
    let action = value(&pairs, "action");
    let outcome = if action == "pre_release" {
        match basis_points(&value(&pairs, "ratio")) {
            Ok(ratio_bp) => {
                state
                    .app
                    .budget_pre_release(who, year, &region, ratio_bp, &doc, &info.ctx())
                    .await
            }
            Err(rejection) => Err(AppError::Rejected(rejection)),
        }
    } else {
        state
            .app
            .budget_approve_region(who, year, &region, &doc, &info.ctx())
            .await
    };
    match outcome {
        Ok(summary) => {
            let done = if action == "pre_release" {
                "pre_release"
            } else {
                "approve"
            };
            let to = url(
                "/budget/approve",
                &[
                    ("year", &year.to_string()),
                    ("done", done),
                    ("units", &summary.units.to_string()),
                    ("lines", &summary.lines.to_string()),
                    ("created", &summary.indicators_created.to_string()),
                    ("changed", &summary.indicators_changed.to_string()),
                    ("total", &summary.total_fen.to_string()),
                ],
            );
            Ok(Redirect::to(&to).into_response())
        }
        Err(error @ AppError::Rejected(_)) => {
            let refusal = Refusal::of(&error, rid);
            let ready = readiness(&state, &user, year, rid).await?;
            // The two forms share field names; keep what was typed in the one posted.
            let mut typed = Pairs::new();
            if action == "pre_release" {
                typed.push(("ratio".into(), value(&pairs, "ratio")));
                typed.push(("pre_doc_no".into(), doc.doc_no.clone()));
                typed.push(("pre_doc_title".into(), doc.doc_title.clone()));
            } else {
                typed.push(("doc_no".into(), doc.doc_no.clone()));
                typed.push(("doc_title".into(), doc.doc_title.clone()));
            }
            Ok(render(&user, year, &ready, &typed, Some(&refusal), None))
        }
        Err(error) => Err(PageError::new(error, rid)),
    }
}

#[cfg(test)]
mod tests {
    use super::basis_points;

    #[test]
    fn percentages_become_basis_points_without_floats() {
        assert_eq!(basis_points("30"), Ok(3_000));
        assert_eq!(basis_points("12.5%"), Ok(1_250));
        assert_eq!(basis_points(" 0.01 "), Ok(1));
        assert!(basis_points("12.345").is_err());
        assert!(basis_points("三成").is_err());
        assert!(basis_points("").is_err());
    }
}
