//! An indicator operation document (指标下达 / 指标调整) as a reader sees it on the flow page:
//! what the operation does, every amount in 元, and links to the indicators it touches.

use fiscus_core::Fen;
use fiscus_core::ledger::operation::FreezeBy;
use fiscus_core::ledger::{IndicatorDraft, Operation};
use maud::{Markup, html};

use super::indicator_href;

/// Whether a document type carries an `Operation` payload.
pub fn is_operation_document(doc_type: &str) -> bool {
    matches!(doc_type, "indicator_release" | "indicator_adjust")
}

fn yuan(fen: Fen) -> Markup {
    html! { span class="num" { (fen.to_yuan_string()) } " 元" }
}

fn link(bgt_id: &impl std::fmt::Display) -> Markup {
    let id = bgt_id.to_string();
    html! { a href=(indicator_href(&id)) class="code" { (id) } }
}

fn line(label: &str, value: Markup) -> Markup {
    html! { div class="field-line" { dt { (label) } dd { (value) } } }
}

fn draft_lines(draft: &IndicatorDraft) -> Markup {
    let or_dash = |text: &str| {
        if text.is_empty() {
            "—".to_owned()
        } else {
            text.to_owned()
        }
    };
    html! {
        (line("财政区划 / 年度", html! { (draft.mof_div_code) " / " (draft.fiscal_year) }))
        (line("预算单位", html! { (or_dash(&draft.agency_code)) }))
        (line("指标类型", html! { (or_dash(&draft.bgt_type_code)) @if draft.bgt_exe_flag == "2" { "（待分：" (draft.pool_level) "）" } }))
        (line("功能分类 / 经济分类", html! { (or_dash(&draft.exp_func_code)) " / " (or_dash(&draft.gov_bgt_eco_code)) " / " (or_dash(&draft.dep_bgt_eco_code)) }))
        (line("资金性质 / 项目", html! { (or_dash(&draft.fund_type_code)) " / " (or_dash(&draft.pro_code)) }))
        (line("指标文件", html! { (or_dash(&draft.cor_bgt_doc_no)) " " (draft.bgt_doc_title) }))
    }
}

/// The card of an operation document, or `None` when the payload is not an operation.
pub fn operation_card(payload: &str) -> Option<Markup> {
    let operation: Operation = serde_json::from_str(payload).ok()?;
    let body = match &operation {
        Operation::Enter { indicator, amount } => html! {
            p { "按指标文件录入一条新指标，金额 " strong { (yuan(*amount)) } "，审核通过后下达。" }
            dl class="fields one-col" { (draft_lines(indicator)) }
        },
        Operation::Split { from, children } => html! {
            p { "从指标 " (link(from)) " 分配 " (children.len()) " 条下级指标，合计 " strong { (yuan(operation.amount())) } "。" }
            table class="data" {
                thead { tr { th { "预算单位" } th { "功能分类" } th { "经济分类" } th { "项目" } th class="num" { "金额（元）" } } }
                tbody {
                    @for child in children {
                        tr {
                            td class="code" { (child.indicator.agency_code) }
                            td class="code" { (child.indicator.exp_func_code) }
                            td class="code" { (child.indicator.gov_bgt_eco_code) " / " (child.indicator.dep_bgt_eco_code) }
                            td class="code" { (child.indicator.pro_code) }
                            td class="num" { (child.amount.to_yuan_string()) }
                        }
                    }
                }
            }
        },
        Operation::Supplement { to, from, amount } => html! {
            p { "为指标 " (link(to)) " 追加 " strong { (yuan(*amount)) } "，资金来源："
                @match from { Some(pool) => { "待分指标 " (link(pool)) }, None => "新的指标文件", } "。" }
        },
        Operation::Cut { from, to, amount } => html! {
            p { "从指标 " (link(from)) " 追减 " strong { (yuan(*amount)) } "，"
                @match to { Some(pool) => { "收回到待分指标 " (link(pool)) }, None => "直接调减（退出预算）", } "。" }
        },
        Operation::Reallocate { legs } => html! {
            p { "调剂 " (legs.len()) " 笔，合计 " strong { (yuan(operation.amount())) } "，各笔一起生效。" }
            table class="data" {
                thead { tr { th { "调出指标" } th { "调入指标" } th class="num" { "金额（元）" } } }
                tbody { @for leg in legs { tr { td { (link(&leg.from)) } td { (link(&leg.to)) } td class="num" { (leg.amount.to_yuan_string()) } } } }
            }
        },
        Operation::Freeze { bgt_id, by, reason } => html! {
            p { "冻结指标 " (link(bgt_id)) " "
                @match by {
                    FreezeBy::Amount(amount) => { "金额 " strong { (yuan(*amount)) } },
                    FreezeBy::Ratio(points) => { "可用余额的 " strong { (points / 100) "." (format!("{:02}", points % 100)) "%" } },
                }
                "。原因：" (reason) }
        },
        Operation::Unfreeze {
            bgt_id,
            amount,
            reason,
        } => html! {
            p { "解冻指标 " (link(bgt_id)) " 金额 " strong { (yuan(*amount)) } "。原因：" (reason) }
        },
        Operation::WriteOff {
            formal,
            advance,
            amount,
        } => html! {
            p { "用正式指标 " (link(formal)) " 核销预拨指标 " (link(advance)) " 已支出的 " strong { (yuan(*amount)) } "。" }
        },
        Operation::YearEnd { pool, lines } => html! {
            p { "年终结转：" (lines.len()) " 条指标结转下一年度合计 " strong { (yuan(operation.amount())) } "，其余结余收回到总待分指标 " (link(pool)) "；审核通过后原指标关闭。" }
            table class="data" {
                thead { tr { th { "指标" } th class="num" { "结转金额（元）" } } }
                tbody { @for l in lines { tr { td { (link(&l.bgt_id)) } td class="num" { (l.carry.to_yuan_string()) } } } }
            }
        },
    };
    Some(html! {
        section class="card ledger-op-card" {
            h2 { "业务内容：" (operation.label()) }
            (body)
        }
    })
}
