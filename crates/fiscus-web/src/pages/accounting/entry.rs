//! 新增凭证: a manual voucher of one of the user's own books: date, summary, and lines with
//! an account picker of the book's leaf accounts for the year, amounts in 元 on the 借 or 贷
//! side, and the optional 功能分类 / 经济分类 of a line. 保存 leads to the new voucher; a
//! refusal redraws the form with what was typed and the Chinese message. The script only
//! adds and removes rows and shows the live 借贷差额.

use std::collections::HashMap;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use fiscus_app::accounting::{ManualLine, ManualVoucher};
use fiscus_core::Rejection;
use fiscus_core::accounting::{BookType, Dimensions, period_of};
use fiscus_store::accounting::AccountRow;
use maud::{Markup, html};

use super::{own_book_types, today, voucher_href};
use crate::context::{CurrentUser, PageUser, RequestInfo};
use crate::error::describe;
use crate::pages::layout::{self, csrf_field, heading, notice_error, url};
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

/// Rows the empty form offers.
const ROWS_MIN: usize = 4;

/// The book types the user may write, or Forbidden.
fn writable(user: &CurrentUser, rid: &str) -> Result<Vec<BookType>, PageError> {
    let types = own_book_types(&user.principal);
    if types.is_empty() {
        return Err(PageError::new(Rejection::Forbidden, rid));
    }
    Ok(types)
}

pub async fn new_form(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let rid = &info.request_id;
    let types = writable(&user, rid)?;
    let book_type = params
        .get("book_type")
        .and_then(|t| BookType::parse(t).ok())
        .filter(|t| types.contains(t))
        .unwrap_or(types[0]);
    let input = ManualVoucher {
        book_type: book_type.code().to_owned(),
        voucher_date: today(),
        ..ManualVoucher::default()
    };
    render(&state, &user, rid, &types, &input, None).await
}

fn values<'a>(pairs: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
        .collect()
}

/// The voucher as typed: every row carries every line field, so the n-th values belong
/// together; rows left wholly empty are dropped.
fn input_of(pairs: &[(String, String)]) -> ManualVoucher {
    let one = |name: &str| {
        values(pairs, name)
            .first()
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    let accounts = values(pairs, "account_code");
    let debits = values(pairs, "debit_yuan");
    let credits = values(pairs, "credit_yuan");
    let funcs = values(pairs, "exp_func_code");
    let ecos = values(pairs, "dep_bgt_eco_code");
    let at = |list: &[&str], index: usize| {
        list.get(index)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let n = accounts.len().max(debits.len()).max(credits.len());
    let lines = (0..n)
        .map(|index| ManualLine {
            account_code: at(&accounts, index),
            debit_yuan: at(&debits, index),
            credit_yuan: at(&credits, index),
            dimensions: Dimensions {
                exp_func_code: at(&funcs, index),
                dep_bgt_eco_code: at(&ecos, index),
                ..Dimensions::default()
            },
        })
        .filter(|line| {
            !(line.account_code.is_empty()
                && line.debit_yuan.is_empty()
                && line.credit_yuan.is_empty()
                && line.dimensions.exp_func_code.is_empty()
                && line.dimensions.dep_bgt_eco_code.is_empty())
        })
        .collect();
    ManualVoucher {
        book_type: one("book_type"),
        voucher_date: one("voucher_date").trim().to_owned(),
        summary: one("summary"),
        lines,
    }
}

pub async fn create(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> PageResult {
    let rid = &info.request_id;
    let types = writable(&user, rid)?;
    let Form(pairs) = form.map_err(|_| {
        PageError::new(
            Rejection::FieldInvalid {
                field: "表单",
                expected: "网页表单提交的内容",
            },
            rid,
        )
    })?;
    let input = input_of(&pairs);
    match state
        .app
        .accounting_voucher_create(&user.principal, &input, &info.ctx())
        .await
    {
        Ok(voucher_id) => Ok(
            Redirect::to(&url(&voucher_href(&voucher_id), &[("ok", "created")])).into_response(),
        ),
        Err(error) => {
            let (status, _, message, _) = describe(&error, rid);
            if !status.is_client_error() {
                return Err(PageError::new(error, rid));
            }
            render(&state, &user, rid, &types, &input, Some((status, message))).await
        }
    }
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    rid: &str,
    types: &[BookType],
    input: &ManualVoucher,
    error: Option<(StatusCode, String)>,
) -> PageResult {
    let book_type = BookType::parse(&input.book_type)
        .ok()
        .filter(|t| types.contains(t))
        .unwrap_or(types[0]);
    let year = period_of(&input.voucher_date)
        .map(|(year, _)| year)
        .unwrap_or_else(super::this_year);
    let chart = state
        .app
        .accounting_chart(&user.principal, book_type.code(), year)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let leaves: Vec<&AccountRow> = chart.iter().filter(|a| a.is_leaf).collect();
    let mut lines = input.lines.clone();
    while lines.len() < ROWS_MIN {
        lines.push(ManualLine::default());
    }
    let (status, message) = match error {
        Some((status, message)) => (status, Some(message)),
        None => (StatusCode::OK, None),
    };
    let content = html! {
        (heading(&[("/accounting/vouchers", "凭证管理")], "新增凭证", html! {
            a class="button ghost" href="/accounting/vouchers" { "返回凭证列表" }
        }))
        @if let Some(message) = &message { (notice_error(message)) }
        @if types.len() > 1 {
            form method="get" action="/accounting/vouchers/new" class="card filters no-print" {
                label class="field" { span class="label" { "账套" }
                    select name="book_type" data-autosubmit {
                        @for t in types {
                            option value=(t.code()) selected[*t == book_type] { (t.name_zh()) }
                        }
                    }
                }
                noscript { button type="submit" class="button" { "切换账套" } }
                span class="muted small" { "切换账套会换用该账套的会计科目，已填内容不保留。" }
            }
        }
        @if leaves.is_empty() {
            div class="notice warn" { (year) " 年度的" (book_type.name_zh()) "会计科目尚未载入，暂不能录入凭证。" }
        }
        form method="post" action="/accounting/vouchers/new" class="card record-form voucher-form" {
            (csrf_field(user))
            input type="hidden" name="book_type" value=(book_type.code());
            div class="form-grid" {
                @if types.len() == 1 {
                    label class="field" { span class="label" { "账套" } input type="text" value=(book_type.name_zh()) disabled; }
                }
                label class="field" { span class="label" { "凭证日期" span class="req" { "*" } }
                    input type="date" name="voucher_date" value=(input.voucher_date) required;
                    span class="hint" { "决定凭证所属的会计期间（年、月）" }
                }
                label class="field grow" { span class="label" { "摘要" span class="req" { "*" } }
                    input type="text" name="summary" value=(input.summary) maxlength="200" required placeholder="如 购买办公用品";
                }
            }
            div class="table-wrap" {
                table class="data voucher-lines" {
                    thead { tr {
                        th { "会计科目（末级）" } th class="num" { "借方金额（元）" } th class="num" { "贷方金额（元）" }
                        th { "功能分类" } th { "经济分类" } th class="no-print" {}
                    } }
                    tbody {
                        @for line in &lines { (row(&leaves, line)) }
                    }
                    tfoot {
                        tr class="totals-row" {
                            td { "合计" }
                            td class="num" data-total="debit" { "—" }
                            td class="num" data-total="credit" { "—" }
                            td colspan="3" data-balance { "借贷差额由系统在保存时核对" }
                        }
                    }
                }
            }
            p class="actions" {
                button type="button" class="button ghost" data-add-line { "＋ 增加一行" }
                " "
                button type="submit" class="button primary" { "保存" }
            }
            p class="muted small" { "每行只填借方或贷方一侧，金额最多两位小数；借方合计须等于贷方合计，至少两行。保存后凭证为「未审核」，审核并由制单人以外的人员记账后计入账簿。" }
        }
    };
    let mut response =
        layout::page(user, "新增凭证", "/accounting/vouchers/new", content).into_response();
    *response.status_mut() = status;
    Ok(response)
}

fn row(leaves: &[&AccountRow], line: &ManualLine) -> Markup {
    let known = leaves.iter().any(|a| a.account_code == line.account_code);
    html! {
        tr class="voucher-line" {
            td {
                select name="account_code" {
                    option value="" { "请选择科目" }
                    @if !known && !line.account_code.is_empty() {
                        option value=(line.account_code) selected { (line.account_code) "（不是本账套的末级科目）" }
                    }
                    @for a in leaves {
                        option value=(a.account_code) selected[a.account_code == line.account_code] { (a.account_code) " " (a.account_name) }
                    }
                }
            }
            td { input type="text" name="debit_yuan" value=(line.debit_yuan) inputmode="decimal" class="num w-money" placeholder="0.00"; }
            td { input type="text" name="credit_yuan" value=(line.credit_yuan) inputmode="decimal" class="num w-money" placeholder="0.00"; }
            td { input type="text" name="exp_func_code" value=(line.dimensions.exp_func_code) size="9" placeholder="可不填"; }
            td { input type="text" name="dep_bgt_eco_code" value=(line.dimensions.dep_bgt_eco_code) size="7" placeholder="可不填"; }
            td class="no-print" { button type="button" class="button small ghost" data-remove-line title="删除本行" { "删除" } }
        }
    }
}
