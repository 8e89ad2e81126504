//! 指标业务办理: one form per operation (录入, 分解分配, 追加, 追减收回, 调剂, 冻结/解冻, 核销,
//! 年终结转 with its preview). A form is saved as an operation document (暂存) or saved and
//! sent for approval (送审); the document page then shows it. On a refusal the form comes back
//! with the Chinese message and what was typed, and nothing is written.

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use fiscus_app::AppError;
use fiscus_core::ledger::Operation;
use fiscus_core::{Action, Fen, Rejection, Resource};
use fiscus_store::records::Viewer;
use maud::{Markup, html};

use super::ops_form::{
    DRAFT_FIELDS, DRAFT_FLAGS, OPS, Pairs, ROWS_MAX, op_title, operation_of, value,
};
use super::{indicator_href, money};
use crate::api::ledger::carry_rule;
use crate::context::{CurrentUser, PageUser, RequestInfo};
use crate::error::describe;
use crate::pages::flow::document_href;
use crate::pages::layout::{self, csrf_field, heading, notice_error};
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

fn require_writer(user: &CurrentUser, rid: &str) -> Result<(), PageError> {
    if user.principal.can(Action::Write, Resource::Indicator) {
        Ok(())
    } else {
        Err(PageError::new(Rejection::Forbidden, rid))
    }
}

pub async fn form(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path(op): Path<String>,
    Query(query): Query<Pairs>,
) -> PageResult {
    let rid = &info.request_id;
    require_writer(&user, rid)?;
    let title =
        op_title(&op).ok_or_else(|| PageError::new(Rejection::NotFound { what: "页面" }, rid))?;
    let mut pairs = query;
    if op == "enter" && value(&pairs, "fiscal_year").is_empty() {
        pairs.push(("fiscal_year".into(), "2026".into()));
        pairs.push((
            "mof_div_code".into(),
            user.principal.mof_div_code().as_str().to_owned(),
        ));
    }
    let preview = if op == "year_end" && !value(&pairs, "fiscal_year").is_empty() {
        match year_end(&state, &user, &pairs).await {
            Ok(operation) => Some(Ok(operation)),
            Err(error) => Some(Err(error)),
        }
    } else {
        None
    };
    let (status, error) = match &preview {
        Some(Err(error)) => {
            let (status, _, message, _) = describe(error, rid);
            (status, Some(message))
        }
        _ => (StatusCode::OK, None),
    };
    let preview = match preview.and_then(Result::ok) {
        Some(operation) => {
            let ids = operation.referenced();
            let rows = state
                .app
                .indicators_by_ids(&user.principal, &ids)
                .await
                .map_err(|e| PageError::new(e, rid))?;
            Some(Preview {
                operation,
                rows: rows
                    .into_iter()
                    .map(|row| (row.bgt_id.clone(), row))
                    .collect(),
            })
        }
        None => None,
    };
    let content = page(
        &user,
        &op,
        title,
        &pairs,
        error.as_deref(),
        preview.as_ref(),
    );
    Ok((
        status,
        layout::page(&user, title, "/indicators/ops/enter", content),
    )
        .into_response())
}

async fn year_end(
    state: &AppState,
    user: &CurrentUser,
    pairs: &Pairs,
) -> Result<Operation, AppError> {
    let rule = carry_rule(Some(&value(pairs, "rule")))?;
    let year = value(pairs, "fiscal_year")
        .parse::<i32>()
        .map_err(|_| Rejection::FieldInvalid {
            field: "预算年度",
            expected: "四位年份",
        })?;
    state
        .app
        .year_end_operation(&user.principal, &value(pairs, "mof_div_code"), year, rule)
        .await
}

pub async fn submit(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path(op): Path<String>,
    form: Result<Form<Pairs>, FormRejection>,
) -> PageResult {
    let rid = &info.request_id;
    require_writer(&user, rid)?;
    let title =
        op_title(&op).ok_or_else(|| PageError::new(Rejection::NotFound { what: "页面" }, rid))?;
    let Form(pairs) = form.map_err(|_| {
        PageError::new(
            Rejection::FieldInvalid {
                field: "表单",
                expected: "网页表单提交的内容",
            },
            rid,
        )
    })?;
    let send = value(&pairs, "action") == "submit";
    let result = async {
        let operation = if op == "year_end" {
            year_end(&state, &user, &pairs).await?
        } else {
            let parent = if op == "split" {
                let from = super::ops_form::bgt_id(&pairs, "from", "来源指标")?;
                Some(
                    state
                        .app
                        .visible_indicator(Viewer::User(&user.principal), &from)
                        .await?
                        .elements,
                )
            } else {
                None
            };
            operation_of(&op, &pairs, parent.as_ref())?
        };
        state
            .app
            .create_indicator_op(&user.principal, &operation, send, &info.ctx())
            .await
    }
    .await;
    match result {
        Ok(doc_id) => Ok(Redirect::to(&document_href(&doc_id)).into_response()),
        Err(error @ AppError::Rejected(_)) => {
            let (status, _, message, _) = describe(&error, rid);
            let content = page(&user, &op, title, &pairs, Some(&message), None);
            Ok((
                status,
                layout::page(&user, title, "/indicators/ops/enter", content),
            )
                .into_response())
        }
        Err(error) => Err(PageError::new(error, rid)),
    }
}

fn input(pairs: &Pairs, name: &str, label: &str, hint: &str, required: bool) -> Markup {
    html! {
        label class="field" {
            span class="label" { (label) @if required { span class="req" { " *" } } }
            input type="text" name=(name) value=(value(pairs, name)) placeholder=(hint);
        }
    }
}

fn amount_input(pairs: &Pairs, name: &str, label: &str) -> Markup {
    input(pairs, name, label, "金额（元），如 10000.00", true)
}

fn buttons(op: &str) -> Markup {
    html! {
        div class="form-actions" {
            button type="submit" name="action" value="submit" class="button primary" { "保存并送审" }
            " "
            @if op != "year_end" {
                button type="submit" name="action" value="draft" class="button" { "暂存" }
                " "
            }
            a class="button ghost" href="/indicators" { "取消" }
        }
    }
}

fn page(
    user: &CurrentUser,
    op: &str,
    title: &str,
    pairs: &Pairs,
    error: Option<&str>,
    preview: Option<&Preview>,
) -> Markup {
    let intro = OPS
        .iter()
        .find(|(code, _, _)| *code == op)
        .map_or("", |(_, _, text)| *text);
    html! {
        (heading(&[("/indicators", "指标管理")], title, html! {}))
        div class="tabs" {
            @for (code, label, _) in OPS {
                a href=(format!("/indicators/ops/{code}")) class=[(code == op).then_some("active")] { (label) }
            }
        }
        p class="muted" { (intro) " 金额以元为单位填写，最多两位小数。单据需经业务处室、预算处室审核通过后才生效。" }
        @if let Some(message) = error { (notice_error(message)) }
        @if op == "year_end" {
            (year_end_form(user, pairs, preview))
        } @else {
            form method="post" action=(format!("/indicators/ops/{op}")) class="card record-form ledger-op" {
                (csrf_field(user))
                (fields(op, pairs))
                (buttons(op))
            }
        }
    }
}

fn fields(op: &str, pairs: &Pairs) -> Markup {
    match op {
        "enter" => html! {
            div class="form-grid" {
                @for (name, label) in DRAFT_FIELDS {
                    @let required = matches!(name, "mof_div_code" | "fiscal_year" | "bgt_type_code");
                    @let hint = match name {
                        "bgt_exe_flag" => "1 可执行 / 2 待分",
                        "pool_level" => "待分指标填 total / division / department",
                        "bgt_type_code" => "11 预拨 12 正式 13 待分 14 提前下达",
                        "doc_date" => "YYYY-MM-DD",
                        _ => "",
                    };
                    (input(pairs, name, label, hint, required))
                }
                (amount_input(pairs, "amount", "指标金额"))
                label class="field wide" { span class="label" { "指标说明" } input type="text" name="bgt_dec" value=(value(pairs, "bgt_dec")); }
            }
            div class="checks" {
                @for (name, label) in DRAFT_FLAGS {
                    label class="check" { input type="checkbox" name=(name) value="1" checked[value(pairs, name) == "1"]; " " (label) }
                }
            }
        },
        "split" => html! {
            div class="form-grid" { (input(pairs, "from", "来源指标编号", "待分指标或上级指标的编号", true)) }
            p class="muted small" { "每行生成一条下级指标；未填写的分类沿用来源指标。各行金额合计不能超过来源指标的可用余额。" }
            table class="data rows-form" {
                thead { tr { th { "#" } th { "预算单位代码" } th { "项目代码" } th { "功能分类" } th { "政府经济分类" } th { "部门经济分类" } th { "金额（元）" } } }
                tbody {
                    @for n in 1..=ROWS_MAX {
                        tr {
                            td { (n) }
                            @for name in ["agency_code", "pro_code", "exp_func_code", "gov_bgt_eco_code", "dep_bgt_eco_code", "amount"] {
                                @let key = format!("{name}_{n}");
                                td { input type="text" name=(key) value=(value(pairs, &key)) size="10" aria-label=(format!("第{n}行 {name}")); }
                            }
                        }
                    }
                }
            }
        },
        "supplement" => html! { div class="form-grid" {
            (input(pairs, "to", "追加的指标编号", "", true))
            (input(pairs, "from", "资金来源（待分指标编号）", "留空表示按新的指标文件追加", false))
            (amount_input(pairs, "amount", "追加金额"))
        } },
        "cut" => html! { div class="form-grid" {
            (input(pairs, "from", "追减的指标编号", "", true))
            (input(pairs, "to", "收回到（待分指标编号）", "留空表示直接调减", false))
            (amount_input(pairs, "amount", "追减金额"))
        } },
        "reallocate" => html! {
            p class="muted small" { "每行从调出指标减少、调入指标增加同样的金额；所有行一起生效。" }
            table class="data rows-form" {
                thead { tr { th { "#" } th { "调出指标编号" } th { "调入指标编号" } th { "金额（元）" } } }
                tbody {
                    @for n in 1..=ROWS_MAX {
                        tr {
                            td { (n) }
                            @for name in ["from", "to", "amount"] {
                                @let key = format!("{name}_{n}");
                                td { input type="text" name=(key) value=(value(pairs, &key)) size="16"; }
                            }
                        }
                    }
                }
            }
        },
        "freeze" => html! { div class="form-grid" {
            (input(pairs, "bgt_id", "指标编号", "", true))
            label class="field" {
                span class="label" { "冻结方式" }
                select name="by" {
                    option value="amount" selected[value(pairs, "by") != "ratio"] { "按金额" }
                    option value="ratio" selected[value(pairs, "by") == "ratio"] { "按可用余额比例" }
                }
            }
            (input(pairs, "amount", "冻结金额（元）", "按金额冻结时填写", false))
            (input(pairs, "ratio", "冻结比例（%）", "按比例冻结时填写，如 25", false))
            (input(pairs, "reason", "冻结原因", "如：待绩效评价", true))
        } },
        "unfreeze" => html! { div class="form-grid" {
            (input(pairs, "bgt_id", "指标编号", "", true))
            (amount_input(pairs, "amount", "解冻金额"))
            (input(pairs, "reason", "解冻原因", "", true))
        } },
        "write_off" => html! { div class="form-grid" {
            (input(pairs, "formal", "正式指标编号", "", true))
            (input(pairs, "advance", "预拨指标编号", "指标类型为 11 预拨", true))
            (amount_input(pairs, "amount", "核销金额"))
        } },
        _ => html! {},
    }
}

/// A year-end as it would be submitted, with the indicators it names.
struct Preview {
    operation: Operation,
    rows:
        std::collections::BTreeMap<fiscus_core::ledger::BgtId, fiscus_store::ledger::IndicatorRow>,
}

/// Preview lines shown on the page; the document carries them all.
const PREVIEW_LINES_MAX: usize = 200;

fn year_end_form(user: &CurrentUser, pairs: &Pairs, preview: Option<&Preview>) -> Markup {
    let rule = value(pairs, "rule");
    let region = if value(pairs, "mof_div_code").is_empty() {
        user.principal.mof_div_code().as_str().to_owned()
    } else {
        value(pairs, "mof_div_code")
    };
    let rule_select = html! {
        label class="field" {
            span class="label" { "结转规则" }
            select name="rule" {
                option value="all" selected[rule.is_empty() || rule == "all"] { "全部结转" }
                option value="projects_only" selected[rule == "projects_only"] { "只结转项目指标，基本支出结余收回" }
                option value="nothing" selected[rule == "nothing"] { "全部结余收回" }
            }
        }
    };
    html! {
        form method="get" action="/indicators/ops/year_end" class="card filters" {
            label class="field" { span class="label" { "财政区划" } input type="text" name="mof_div_code" value=(region) size="11"; }
            label class="field" { span class="label" { "预算年度" } input type="text" name="fiscal_year" value=(value(pairs, "fiscal_year")) size="6" placeholder="如 2026"; }
            (rule_select)
            div class="filter-actions" { button type="submit" class="button" { "预览" } }
        }
        @if let Some(Preview { operation: Operation::YearEnd { pool, lines }, rows }) = preview {
            @let carry: i128 = lines.iter().map(|l| i128::from(l.carry.0)).sum();
            @let open: i128 = lines.iter().filter_map(|l| rows.get(&l.bgt_id)).map(|r| i128::from(r.figures.available_fen + r.figures.frozen_fen)).sum();
            @let to_fen = |total: i128| Fen(i64::try_from(total).unwrap_or(i64::MAX)).to_yuan_string();
            div class="card table-card" {
                h2 { "结转预览" }
                p { "共 " strong { (lines.len()) } " 条执行中的指标，未用余额 " strong { (to_fen(open)) } " 元，其中结转到下一年度 " strong { (to_fen(carry)) } " 元，结余 " strong { (to_fen(open - carry)) } " 元收回到总待分指标 "
                    a href=(indicator_href(pool.as_str())) { (rows.get(pool).map_or_else(|| pool.to_string(), |row| row.elements.bgt_doc_title.clone())) } "。" }
                table class="data" {
                    thead { tr { th { "指标" } th { "预算单位" } th { "项目代码" } th class="num" { "未用余额（元）" } th class="num" { "结转（元）" } th class="num" { "结余收回（元）" } } }
                    tbody {
                        @for line in lines.iter().take(PREVIEW_LINES_MAX) {
                            @let row = rows.get(&line.bgt_id);
                            @let open_fen = row.map_or(0, |r| r.figures.available_fen + r.figures.frozen_fen);
                            tr {
                                td { a href=(indicator_href(line.bgt_id.as_str())) { (row.map_or_else(|| line.bgt_id.to_string(), |r| r.elements.bgt_doc_title.clone())) } }
                                td class="code" { (row.and_then(|r| r.elements.agency_code.as_ref()).map_or("—", |code| code.as_str())) }
                                td class="code" { (row.map_or("", |r| r.elements.pro_code.as_str())) }
                                td class="num" { (money(open_fen)) }
                                td class="num" { (money(line.carry.0)) }
                                td class="num" { (money(open_fen - line.carry.0)) }
                            }
                        }
                    }
                }
                @if lines.len() > PREVIEW_LINES_MAX {
                    p class="muted small pad" { "此处只列出前 " (PREVIEW_LINES_MAX) " 条；送审的单据包含全部 " (lines.len()) " 条。" }
                }
                form method="post" action="/indicators/ops/year_end" class="pad" {
                    (csrf_field(user))
                    input type="hidden" name="mof_div_code" value=(region);
                    input type="hidden" name="fiscal_year" value=(value(pairs, "fiscal_year"));
                    input type="hidden" name="rule" value=(if rule.is_empty() { "all" } else { rule.as_str() });
                    p class="muted small" { "送审时按当时的余额重新计算。审核通过后，原指标关闭。" }
                    (buttons("year_end"))
                }
            }
        }
    }
}
