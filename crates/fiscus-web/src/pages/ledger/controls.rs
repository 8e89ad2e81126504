//! 控制级次: the control level of each control point per indicator type (严格 / 警告 / 不控制)
//! and the economic-class rule. Everyone with a page may read it; the budget division edits.

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect};
use fiscus_core::ledger::control::ANY_TYPE;
use fiscus_core::ledger::{ControlPoint, ControlTable, CtrlLevel, EcoRefinement};
use fiscus_core::{Action, Rejection, Resource};
use maud::{Markup, html};

use super::ops_form::{Pairs, value};
use crate::context::{CurrentUser, PageUser, RequestInfo};
use crate::error::describe;
use crate::pages::layout::{self, csrf_field, heading, notice_error, notice_ok};
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

/// The indicator types shown as rows: every type, then the 2026 types.
const TYPES: [(&str, &str); 5] = [
    (ANY_TYPE, "全部类型（默认）"),
    ("11", "11 预拨指标"),
    ("12", "12 正式指标"),
    ("13", "13 待分指标"),
    ("14", "14 提前下达指标"),
];

const LEVELS: [CtrlLevel; 3] = [CtrlLevel::Strict, CtrlLevel::Warn, CtrlLevel::None];

pub async fn page(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(query): Query<Pairs>,
) -> PageResult {
    let table = state
        .app
        .ledger_controls()
        .await
        .map_err(|e| PageError::new(e, &info.request_id))?;
    let saved = value(&query, "ok") == "1";
    Ok(layout::page(
        &user,
        "控制级次",
        "/indicators/controls",
        render(&user, &table, saved, None),
    )
    .into_response())
}

pub async fn save(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    form: Result<Form<Pairs>, FormRejection>,
) -> PageResult {
    let rid = &info.request_id;
    let Form(pairs) = form.map_err(|_| {
        PageError::new(
            Rejection::FieldInvalid {
                field: "表单",
                expected: "网页表单提交的内容",
            },
            rid,
        )
    })?;
    let table = state
        .app
        .ledger_controls()
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let mut result = Ok(());
    for (bgt_type_code, _) in TYPES {
        for point in ControlPoint::ALL {
            let chosen = value(&pairs, &format!("{bgt_type_code}:{}", point.code()));
            if chosen.is_empty() || chosen == table.level(bgt_type_code, point).code() {
                continue;
            }
            result = state
                .app
                .set_ledger_control(
                    &user.principal,
                    bgt_type_code,
                    point.code(),
                    &chosen,
                    &info.ctx(),
                )
                .await;
            if result.is_err() {
                break;
            }
        }
    }
    let eco = value(&pairs, "eco_refinement");
    let current_eco = if table.eco_refinement == EcoRefinement::Exact {
        "exact"
    } else {
        "prefix"
    };
    if result.is_ok() && !eco.is_empty() && eco != current_eco {
        result = state
            .app
            .set_ledger_control(
                &user.principal,
                ANY_TYPE,
                fiscus_store::ledger::ECO_REFINEMENT_POINT,
                &eco,
                &info.ctx(),
            )
            .await;
    }
    match result {
        Ok(()) => Ok(Redirect::to("/indicators/controls?ok=1").into_response()),
        Err(error) => {
            let (status, _, message, _) = describe(&error, rid);
            let table = state
                .app
                .ledger_controls()
                .await
                .map_err(|e| PageError::new(e, rid))?;
            Ok((
                status,
                layout::page(
                    &user,
                    "控制级次",
                    "/indicators/controls",
                    render(&user, &table, false, Some(&message)),
                ),
            )
                .into_response())
        }
    }
}

fn render(user: &CurrentUser, table: &ControlTable, saved: bool, error: Option<&str>) -> Markup {
    let editable = user.principal.can(Action::Write, Resource::LedgerControl);
    let grid = html! {
        table class="data" {
            thead { tr { th { "指标类型" } @for point in ControlPoint::ALL { th { (point.label()) } } } }
            tbody {
                @for (code, label) in TYPES {
                    tr {
                        td { (label) }
                        @for point in ControlPoint::ALL {
                            @let level = table.level(code, point);
                            td {
                                @if editable {
                                    select name=(format!("{code}:{}", point.code())) aria-label=(format!("{label} {}", point.label())) {
                                        @for option in LEVELS { option value=(option.code()) selected[option == level] { (option.label()) } }
                                    }
                                } @else {
                                    span class={ "badge" @if level == CtrlLevel::Strict { " danger" } @else if level == CtrlLevel::Warn { " warn" } } { (level.label()) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let exact = table.eco_refinement == EcoRefinement::Exact;
    html! {
        (heading(&[("", "指标管理")], "控制级次", html! {}))
        @if saved { (notice_ok("控制级次已保存。")) }
        @if let Some(message) = error { (notice_error(message)) }
        p class="muted" { "严格控制：超出余额时拒绝；警告控制：允许但记录警告；不控制：不检查。未单独设置的指标类型按「全部类型」执行。" }
        @if editable {
            form method="post" action="/indicators/controls" class="card" {
                (csrf_field(user))
                (grid)
                label class="field" {
                    span class="label" { "支付经济分类与指标的一致性" }
                    select name="eco_refinement" {
                        option value="prefix" selected[!exact] { "允许细化到下级科目" }
                        option value="exact" selected[exact] { "必须完全一致" }
                    }
                }
                div class="form-actions" { button type="submit" class="button primary" { "保存" } }
            }
        } @else {
            div class="card" {
                (grid)
                p { "支付经济分类与指标的一致性：" @if exact { "必须完全一致" } @else { "允许细化到下级科目" } }
                p class="muted small" { "只有预算处室可以修改控制级次。" }
            }
        }
    }
}
