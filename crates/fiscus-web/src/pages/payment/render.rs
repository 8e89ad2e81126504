//! A payment application as a reviewer sees it on the flow document page: amount, payee with
//! account and bank, the indicator it is paid from with its available balance, purpose,
//! settlement, contract, and the voucher once generated.

use fiscus_app::App;
use fiscus_core::ledger::BgtId;
use fiscus_core::payment::application::PaymentDraft;
use fiscus_core::{Fen, Principal};
use maud::{Markup, html};

use super::{application_badge, pay_bus_type_name, set_mode_name, voucher_href};
use crate::pages::ledger::{indicator_href, indicator_title};

pub fn is_payment_document(doc_type: &str) -> bool {
    doc_type == fiscus_core::flow::DocType::PaymentApplication.code()
}

fn line(label: &str, value: Markup) -> Markup {
    html! { div class="field-line" { dt { (label) } dd { (value) } } }
}

/// The card of a payment application document, or `None` when it cannot be read.
pub async fn payment_card(
    app: &App,
    who: &Principal,
    doc_id: &str,
    payload: &str,
) -> Option<Markup> {
    let draft: PaymentDraft = serde_json::from_str(payload).ok()?;
    let row = app.payment_application(who, doc_id).await.ok();
    let indicator = match BgtId::parse(&draft.bgt_id) {
        Ok(bgt_id) => app
            .indicators_by_ids(who, &[bgt_id])
            .await
            .ok()
            .and_then(|rows| rows.into_iter().next()),
        Err(_) => None,
    };
    let amount = row.as_ref().map_or_else(
        || draft.pay_app_amt.clone(),
        |r| Fen(r.pay_app_amt).to_yuan_string(),
    );
    let dash = |text: &str| {
        if text.is_empty() {
            "—".to_owned()
        } else {
            text.to_owned()
        }
    };
    Some(html! {
        div class="card payment-card" {
            h2 { "支付申请内容" }
            div class="payment-amount" {
                span class="label" { "支付金额" }
                span class="num big" { (amount) } " 元"
                @if let Some(row) = &row { " " (application_badge(&row.status)) }
            }
            dl class="fields" {
                @if let Some(row) = &row {
                    (line("申请编号", html! { span class="code" { (row.pay_app_no) } @if row.is_proxy { " " span class="tag" { "财政代编" } } }))
                    (line("预算单位", html! { span class="code" { (row.agency_code) } }))
                }
                (line("收款人全称", html! { strong { (draft.payee_acct_name) } }))
                (line("收款人账号", html! { span class="code" { (draft.payee_acct_no) } }))
                (line("收款人开户银行", html! { (draft.payee_acct_bank_name) @if !draft.payee_bank_code.is_empty() { " " span class="code muted small" { (draft.payee_bank_code) } } }))
                (line("用途", html! { (draft.use_des) }))
                (line("支付指标", html! {
                    @match &indicator {
                        Some(ind) => {
                            a href=(indicator_href(&ind.bgt_id.to_string())) { (indicator_title(ind)) }
                            @if ind.elements.is_gov_pur { " " span class="badge warn" { "政府采购" } }
                            br; span class="muted small" { "可用余额 " span class="num" { (Fen(ind.figures.available_fen).to_yuan_string()) } " 元 · 在途 " span class="num" { (Fen(ind.figures.reserved_fen).to_yuan_string()) } " 元" }
                        },
                        None => span class="code" { (draft.bgt_id) },
                    }
                }))
                (line("功能分类 / 经济分类", html! {
                    @match &row {
                        Some(r) => span class="code" { (r.exp_func_code) " / " (r.gov_bgt_eco_code) " / " (r.dep_bgt_eco_code) },
                        None => span class="muted" { "沿用指标" },
                    }
                }))
                (line("结算方式 / 业务类型", html! { (set_mode_name(&draft.set_mode_code)) " / " (pay_bus_type_name(&draft.pay_bus_type_code)) }))
                (line("采购合同编号", html! { (dash(&draft.contract_no)) }))
                @if let Some(pay_cert_id) = row.as_ref().and_then(|r| r.pay_cert_id.as_ref()) {
                    (line("支付凭证", html! { a href=(voucher_href(pay_cert_id)) { "查看支付凭证" } }))
                }
            }
        }
    })
}
