//! 指标详情: the indicator's elements in groups, its figures (指标金额 / 冻结 / 在途 / 已支出 /
//! 可用), lineage (the indicator it came from and those split from it), the documents behind
//! it, and its 账页 — every movement in ledger order with running balances. Printable.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use fiscus_app::ledger::query::{ENTRY_PAGE_SIZE_DEFAULT, EntryLine, EntryPage, parse_paging};
use fiscus_core::Rejection;
use fiscus_core::ledger::BgtId;
use fiscus_store::ledger::IndicatorRow;
use maud::{Markup, html};

use super::{
    LedgerNames, change, figures_card, indicator_href, indicator_title, money, state_badge,
};
use crate::context::{PageUser, RequestInfo};
use crate::pages::flow::{doc_type_name, document_href, status_badge};
use crate::pages::format::beijing_time;
use crate::pages::layout::{self, heading, url};
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

pub async fn detail(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path(bgt_id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let rid = &info.request_id;
    let bgt_id = BgtId::parse(&bgt_id)
        .map_err(|_| PageError::new(Rejection::NotFound { what: "指标" }, rid))?;
    let principal = &user.principal;
    let detail = state
        .app
        .indicator_detail(principal, &bgt_id)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let (page, page_size) = parse_paging(&params.into_iter().collect(), ENTRY_PAGE_SIZE_DEFAULT)
        .map_err(|e| PageError::new(e, rid))?;
    let entries = state
        .app
        .indicator_entries(principal, &bgt_id, page, page_size)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let mut rows: Vec<&IndicatorRow> = vec![&detail.row];
    rows.extend(detail.parent.iter());
    rows.extend(detail.children.iter());
    let names = LedgerNames::fetch(&state.app, principal, &rows).await;
    let row = &detail.row;
    let f = &row.figures;
    let title = indicator_title(row);
    // Finance users act on the indicator from here, with it filled in on the form.
    let can_act =
        principal.can(fiscus_core::Action::Write, fiscus_core::Resource::Indicator) && !row.closed;
    let id = row.bgt_id.as_str();
    let operations: [(&str, String); 5] = [
        ("分解", format!("/indicators/ops/split?from={id}")),
        ("追加", format!("/indicators/ops/supplement?to={id}")),
        ("追减收回", format!("/indicators/ops/cut?from={id}")),
        ("冻结", format!("/indicators/ops/freeze?bgt_id={id}")),
        ("解冻", format!("/indicators/ops/unfreeze?bgt_id={id}")),
    ];
    let actions = html! {
        @if can_act {
            @for (label, href) in &operations {
                a class="button ghost" href=(href) { (label) }
                " "
            }
        }
        button type="button" class="button" onclick="window.print()" { "打印" }
        " "
        a class="button ghost" href="/indicators" { "返回指标查询" }
    };
    let content = html! {
        (heading(&[("/indicators", "指标查询")], &title, actions))
        p class="muted" { "指标编号 " span class="code" { (row.bgt_id) } " " (state_badge(row)) }
        (figures_card(f.total_fen, f.frozen_fen, f.reserved_fen, f.spent_fen, f.available_fen))
        @if f.written_off_fen != 0 {
            p class="muted small" { "其中已核销 " (money(f.written_off_fen)) " 元（预拨指标由正式指标核销的部分）。" }
        }
        (elements_cards(row, &names))
        (lineage_card(&detail.parent, &detail.children, &names))
        (documents_card(&detail.documents))
        (entries_card(row.bgt_id.as_str(), &entries))
    };
    Ok(layout::page(&user, &title, "/indicators", content).into_response())
}

fn line(label: &str, value: Markup) -> Markup {
    html! { div class="field-line" { dt { (label) } dd { (value) } } }
}

fn text(value: &str) -> Markup {
    if value.is_empty() {
        html! { span class="muted" { "—" } }
    } else {
        html! { (value) }
    }
}

fn yes_no(flag: bool) -> Markup {
    html! { @if flag { "是" } @else { span class="muted" { "否" } } }
}

fn elements_cards(row: &IndicatorRow, names: &LedgerNames) -> Markup {
    let e = &row.elements;
    html! {
        div class="grid-2" {
            section class="card" {
                h2 { "归属与类型" }
                dl class="fields one-col" {
                    (line("财政区划", names.show_region(e.mof_div_code.as_str())))
                    (line("预算年度", html! { (e.fiscal_year.0) }))
                    (line("预算单位", names.show_agency(e.agency_code.as_ref().map(|c| c.as_str()))))
                    (line("指标类型", names.show_code("bgt_type_code", &e.bgt_type_code)))
                    (line("可执行标志", html! { (e.bgt_exe_flag.label()) @if let Some(level) = e.pool_level { "（" (level.label()) "）" } }))
                    (line("支付方式", names.show_code("pay_type_code", &e.pay_type_code)))
                    (line("指标来源", names.show_code("source_type_code", &e.source_type_code)))
                    (line("原始金额", html! { (money(row.orig_amount_fen)) " 元" }))
                }
            }
            section class="card" {
                h2 { "分类" }
                dl class="fields one-col" {
                    (line("项目代码", text(&e.pro_code)))
                    (line("支出功能分类", names.show_code("exp_func_code", &e.exp_func_code)))
                    (line("政府预算经济分类", names.show_code("gov_bgt_eco_code", &e.gov_bgt_eco_code)))
                    (line("部门预算经济分类", names.show_code("dep_bgt_eco_code", &e.dep_bgt_eco_code)))
                    (line("资金性质", names.show_code("fund_type_code", &e.fund_type_code)))
                }
            }
            section class="card" {
                h2 { "指标文件" }
                dl class="fields one-col" {
                    (line("本级指标文号", text(&e.cor_bgt_doc_no)))
                    (line("指标文标题", text(&e.bgt_doc_title)))
                    (line("发文时间", text(&e.doc_date)))
                    (line("上级指标文号", text(&e.sup_bgt_doc_no)))
                    (line("指标说明", text(&e.bgt_dec)))
                    (line("登记时间", html! { (beijing_time(&row.created_at)) }))
                }
            }
            section class="card" {
                h2 { "标志与控制" }
                dl class="fields one-col" {
                    (line("直达资金", yes_no(e.is_direct)))
                    (line("三保支出", yes_no(e.is_three_safe)))
                    (line("三公经费", yes_no(e.is_three_public)))
                    (line("政府采购", yes_no(e.is_gov_pur)))
                    (line("按用款计划控制", yes_no(e.is_contrlbyplan)))
                    (line("不控制支付", yes_no(e.is_not_control_pay)))
                }
            }
        }
    }
}

fn lineage_card(
    parent: &Option<IndicatorRow>,
    children: &[IndicatorRow],
    names: &LedgerNames,
) -> Markup {
    html! {
        section class="card" {
            h2 { "指标来源与去向" }
            p {
                "来源指标："
                @match parent {
                    Some(parent) => { a href=(indicator_href(parent.bgt_id.as_str())) { (indicator_title(parent)) } " " span class="code muted small" { (parent.bgt_id) } },
                    None => span class="muted" { "无（由指标文件直接下达，或来源指标不在您的查看范围内）" },
                }
            }
            @if children.is_empty() {
                p class="muted" { "尚未从本指标分解出下级指标。" }
            } @else {
                table class="data" {
                    thead { tr { th { "分解出的指标" } th { "预算单位" } th { "功能分类" } th class="num" { "指标金额" } th class="num" { "可用余额" } } }
                    tbody {
                        @for child in children {
                            tr {
                                td { a href=(indicator_href(child.bgt_id.as_str())) { (indicator_title(child)) } div class="code muted small" { (child.bgt_id) } }
                                td { (names.show_agency(child.elements.agency_code.as_ref().map(|c| c.as_str()))) }
                                td { (names.show_code("exp_func_code", &child.elements.exp_func_code)) }
                                td class="num" { (money(child.figures.total_fen)) }
                                td class="num" { (money(child.figures.available_fen)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn documents_card(documents: &[fiscus_store::ledger::query::DocumentRef]) -> Markup {
    html! {
        section class="card" {
            h2 { "相关单据" }
            @if documents.is_empty() {
                p class="muted" { "没有相关单据。" }
            } @else {
                ul class="plain-list" {
                    @for doc in documents {
                        li {
                            a href=(document_href(&doc.doc_id)) { (doc.title) } " "
                            span class="muted small" { (doc_type_name(&doc.doc_type)) " · " (beijing_time(&doc.created_at)) } " "
                            (status_badge(&doc.status))
                        }
                    }
                }
            }
        }
    }
}

fn counter_cell(bgt_id: &str, line: &EntryLine) -> Markup {
    let counter = &line.counter;
    match counter.bgt_id.as_deref() {
        Some(other) if other == bgt_id => html! { "本指标" (counter.account_label) },
        Some(other) => {
            html! { a href=(indicator_href(other)) class="code" { (other) } " " span class="muted small" { (counter.account_label) } }
        }
        None => {
            let place = counter
                .account_id
                .strip_prefix("src.")
                .unwrap_or(&counter.account_id);
            html! { (counter.account_label) " " span class="code muted small" { (place) } }
        }
    }
}

fn entries_card(bgt_id: &str, entries: &EntryPage) -> Markup {
    let page_size = i64::from(entries.page_size);
    let n_pages = ((entries.total + page_size - 1) / page_size).max(1);
    let current = i64::from(entries.page);
    let href = |page: i64| {
        url(
            &indicator_href(bgt_id),
            &[
                ("page", &page.to_string()),
                ("page_size", &entries.page_size.to_string()),
            ],
        )
    };
    html! {
        section class="card table-card" id="ledger" {
            h2 { "指标账页" span class="muted small" { "（按记账顺序；余额为该笔业务之后的余额，金额单位：元）" } }
            @if entries.lines.is_empty() {
                p class="muted pad" { "本指标还没有发生额。" }
            } @else {
                div class="table-scroll" {
                    table class="data ledger-entries" {
                        thead {
                            tr {
                                th rowspan="2" { "序号" } th rowspan="2" { "日期" } th rowspan="2" { "摘要" } th rowspan="2" { "单据" } th rowspan="2" { "对方" }
                                th colspan="4" class="group" { "本笔发生额" }
                                th colspan="4" class="group" { "余额" }
                            }
                            tr {
                                th class="num" { "可用" } th class="num" { "冻结" } th class="num" { "在途" } th class="num" { "已支出" }
                                th class="num" { "可用" } th class="num" { "冻结" } th class="num" { "在途" } th class="num" { "已支出" }
                            }
                        }
                        tbody {
                            @for line in &entries.lines {
                                tr {
                                    td class="num" { (line.seq) }
                                    td class="nowrap" { (beijing_time(&line.created_at)) }
                                    td class="nowrap" { (line.reason_label) @if line.kind == "pending" { span class="muted small" { "（预占）" } } @else if line.kind == "post_pending" { span class="muted small" { "（过账）" } } @else if line.kind == "void_pending" { span class="muted small" { "（撤销预占）" } } }
                                    td class="nowrap" {
                                        @match &line.doc_id {
                                            Some(doc_id) => a href=(document_href(doc_id)) class="code" { (crate::pages::flow::doc_number(doc_id)) },
                                            None => span class="muted" { "—" },
                                        }
                                    }
                                    td { (counter_cell(bgt_id, line)) }
                                    td class="num" { (change(line.available_change_fen)) }
                                    td class="num" { (change(line.frozen_change_fen)) }
                                    td class="num" { (change(line.reserved_change_fen)) }
                                    td class="num" { (change(line.spent_change_fen)) }
                                    td class="num" { strong { (money(line.available_fen)) } }
                                    td class="num" { (money(line.frozen_fen)) }
                                    td class="num" { (money(line.reserved_fen)) }
                                    td class="num" { (money(line.spent_fen)) }
                                }
                            }
                        }
                    }
                }
            }
            div class="pager" {
                span { "共 " strong { (entries.total) } " 笔 · 第 " (current) " / " (n_pages) " 页" }
                span class="pager-links" {
                    @if current > 1 { a href=(href(current - 1)) rel="prev" { "‹ 上一页" } } @else { span class="disabled" { "‹ 上一页" } }
                    @if current < n_pages { a href=(href(current + 1)) rel="next" { "下一页 ›" } } @else { span class="disabled" { "下一页 ›" } }
                }
            }
        }
    }
}
