//! 凭证打印: one payment voucher on an A4-like sheet with the standard elements (DOMAIN.md
//! §5.3): number, date, payer and payee with accounts and banks, the amount in figures and in
//! capital Chinese (大写), purpose, classifications, and the signature positions of the
//! flow (单位审核, 国库处审核) and of the agency bank, each marked 已签章 when signed.

use axum::extract::{Path, State};
use axum::response::IntoResponse;
use fiscus_core::Fen;
use maud::{Markup, html};

use super::{pay_bus_type_name, set_mode_name};
use crate::context::{PageUser, RequestInfo};
use crate::pages::layout::bare_page;
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

/// The Chinese name of a signature position (the flow node that signed).
pub fn position_name(code: &str) -> &str {
    match code {
        "unit_review" => "单位审核",
        "treasury_review" => "国库处审核",
        other => other,
    }
}

/// The positions printed on every voucher, in order.
const POSITIONS: [(&str, &str); 2] = [
    ("unit_review", "预算单位（盖章）"),
    ("treasury_review", "财政国库支付机构（盖章）"),
];

/// An amount in capital Chinese numerals (人民币大写), e.g. `壹仟贰佰叁拾肆元伍角整`.
pub fn capital_yuan(fen: i64) -> String {
    const DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
    const SMALL: [&str; 4] = ["", "拾", "佰", "仟"];
    const BIG: [&str; 5] = ["", "万", "亿", "万亿", "亿亿"];
    let negative = fen < 0;
    let magnitude = fen.unsigned_abs();
    let (mut whole, jiao, fen_digit) = (magnitude / 100, (magnitude / 10) % 10, magnitude % 10);
    let mut groups = Vec::new();
    while whole > 0 {
        groups.push(whole % 10_000);
        whole /= 10_000;
    }
    let mut text = String::new();
    let mut pending_zero = false;
    for (index, group) in groups.iter().enumerate().rev() {
        if *group == 0 {
            pending_zero = !text.is_empty();
            continue;
        }
        if (pending_zero || *group < 1000) && !text.is_empty() {
            text.push('零');
        }
        pending_zero = false;
        let digits = [
            group / 1000,
            (group / 100) % 10,
            (group / 10) % 10,
            group % 10,
        ];
        let mut zero = false;
        let mut started = false;
        for (position, digit) in digits.iter().enumerate() {
            if *digit == 0 {
                zero = started;
                continue;
            }
            if zero {
                text.push('零');
                zero = false;
            }
            started = true;
            text.push(DIGITS[*digit as usize]);
            text.push_str(SMALL[3 - position]);
        }
        text.push_str(BIG.get(index).copied().unwrap_or(""));
    }
    if !text.is_empty() {
        text.push('元');
    }
    match (jiao, fen_digit) {
        (0, 0) => {
            if text.is_empty() {
                text.push_str("零元");
            }
            text.push('整');
        }
        (0, f) => {
            if !text.is_empty() {
                text.push('零');
            }
            text.push(DIGITS[f as usize]);
            text.push('分');
        }
        (j, 0) => {
            text.push(DIGITS[j as usize]);
            text.push_str("角整");
        }
        (j, f) => {
            text.push(DIGITS[j as usize]);
            text.push('角');
            text.push(DIGITS[f as usize]);
            text.push('分');
        }
    }
    if negative { format!("负{text}") } else { text }
}

pub async fn page(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path(pay_cert_id): Path<String>,
) -> PageResult {
    let rid = &info.request_id;
    let view = state
        .app
        .payment_voucher(&user.principal, &pay_cert_id)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let row = &view.row;
    let Some(msg) = view.msg.as_ref() else {
        return Err(PageError::new(
            fiscus_app::AppError::Internal(format!("voucher {} without content", row.pay_cert_no)),
            rid,
        ));
    };
    let signed = |position: &str| msg.signatures.iter().find(|s| s.position == position);
    let cell = |label: &str, value: Markup| html! { th { (label) } td { (value) } };
    let title = format!("支付凭证 {}", row.pay_cert_no);
    let content = html! {
        div class="print-toolbar no-print" {
            a class="button ghost" href=(super::voucher_href(&row.pay_cert_id)) { "‹ 返回凭证" }
            span class="muted" { "按 Ctrl+P（Mac 为 ⌘+P）打印，纸张选 A4 纵向。" }
        }
        article class="voucher-sheet" {
            header class="voucher-head" {
                h1 { "国库集中支付凭证" }
                div class="voucher-meta" {
                    span { "凭证号：" span class="code" { (row.pay_cert_no) } }
                    span { "凭证日期：" (row.vou_date) }
                    span { "财政区划：" span class="code" { (row.mof_div_code) } }
                    span { "预算年度：" (row.fiscal_year) }
                }
            }
            table class="voucher-grid" {
                tbody {
                    tr { th rowspan="3" class="side" { "付款人" } (cell("全称", html! { (msg.pay_acct_name) }))
                         th rowspan="3" class="side" { "收款人" } (cell("全称", html! { (msg.payee_acct_name) })) }
                    tr { (cell("账号", html! { span class="code" { (msg.pay_acct_no) } })) (cell("账号", html! { span class="code" { (msg.payee_acct_no) } })) }
                    tr { (cell("开户银行", html! { (msg.pay_acct_bank_name) })) (cell("开户银行", html! { (msg.payee_acct_bank_name) })) }
                    tr { th colspan="2" { "金额（大写）" } td colspan="2" class="amount-words" { "人民币 " (capital_yuan(row.pay_amt)) }
                         th { "（小写）" } td class="amount-figures" { "¥ " (Fen(row.pay_amt).to_yuan_string()) } }
                    tr { th colspan="2" { "用途" } td colspan="4" { (msg.use_des) } }
                    tr { th colspan="2" { "预算单位" } td { span class="code" { (msg.agency_code) } } th { "项目" } td colspan="2" { span class="code" { (dash(&msg.pro_code)) } } }
                    tr { th colspan="2" { "支出功能分类" } td { span class="code" { (msg.exp_func_code) } } th { "经济分类" } td colspan="2" { span class="code" { (msg.gov_bgt_eco_code) " / " (msg.dep_bgt_eco_code) } } }
                    tr { th colspan="2" { "资金性质" } td { span class="code" { (msg.fund_type_code) } } th { "结算方式" } td colspan="2" { (set_mode_name(&msg.set_mode_code)) " · " (pay_bus_type_name(&msg.pay_bus_type_code)) } }
                    tr { th colspan="2" { "采购合同编号" } td { (dash(&msg.contract_no)) } th { "代理银行" } td colspan="2" { span class="code" { (row.bank_code) } } }
                }
            }
            div class="voucher-signs" {
                @for (code, label) in POSITIONS {
                    div class="sign-box" {
                        div class="sign-label" { (label) }
                        @match signed(code) {
                            Some(s) => div class="sign-mark" { "已电子签章" br; span class="small" { (s.signer) } },
                            None => div class="sign-mark empty" { "未签章" },
                        }
                    }
                }
                div class="sign-box" {
                    div class="sign-label" { "代理银行（盖章）" }
                    @match (&row.xpay_date, &row.agent_business_no) {
                        (Some(date), Some(serial)) => div class="sign-mark" { "已支付 " (date) br; span class="small code" { (serial) } },
                        _ => div class="sign-mark empty" { "待银行回单" },
                    }
                }
            }
            footer class="voucher-foot small" {
                span { "第一联：财政国库支付机构留存" }
                span { "打印人：" (user.principal.display_name) }
            }
        }
    };
    Ok(bare_page(&title, Some(&user), content).into_response())
}

fn dash(text: &str) -> &str {
    if text.is_empty() { "—" } else { text }
}

#[cfg(test)]
mod tests {
    use super::capital_yuan;

    #[test]
    fn amounts_in_capital_numerals() {
        for (fen, expected) in [
            (0, "零元整"),
            (5, "伍分"),
            (150, "壹元伍角整"),
            (123_450, "壹仟贰佰叁拾肆元伍角整"),
            (1_000_001, "壹万元零壹分"),
            (100_050_000, "壹佰万零伍佰元整"),
            (10_000_000_000, "壹亿元整"),
            (1_000_010_000_000, "壹佰亿零壹拾万元整"),
            (20_304, "贰佰零叁元零肆分"),
        ] {
            assert_eq!(capital_yuan(fen), expected, "{fen}");
        }
    }
}
