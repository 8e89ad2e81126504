//! 年终结账 (`/accounting/year-close`): the status of a region's accounting year, a preview
//! of the close (the books, the carried amounts, the closing vouchers and opening balances
//! it would write, or why it cannot run yet), and the confirm button of the treasury
//! division of that region.

use std::collections::HashMap;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use fiscus_app::AppError;
use fiscus_app::accounting::close::check_closer;
use fiscus_core::Rejection;
use fiscus_core::accounting::BookType;
use maud::{Markup, html};

use super::accounting_statements::with_year;
use super::ledger::money;
use crate::api::accounting_reports::{region_of, year_of};
use crate::context::{CurrentUser, PageUser, RequestInfo};
use crate::error::describe;
use crate::pages::layout::{self, csrf_field, heading, notice_error, notice_ok, url};
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/accounting/year-close", get(page).post(confirm))
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    region: &str,
    year: i32,
    message: Option<Markup>,
    rid: &str,
) -> Result<Markup, PageError> {
    let who = &user.principal;
    let closed = state
        .app
        .accounting_year_close_status(who, region, year)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let preview = match (&closed, check_closer(who, region)) {
        (None, Ok(())) => Some(
            state
                .app
                .accounting_year_close_preview(who, region, year)
                .await,
        ),
        _ => None,
    };
    let year_text = year.to_string();
    Ok(html! {
        (heading(&[("", "会计核算")], "年终结账", html! {}))
        @if let Some(message) = message { (message) }
        form method="get" action="/accounting/year-close" class="card filters no-print" {
            label class="field" { span class="label" { "财政区划" } input type="text" name="mof_div_code" value=(region) size="10"; }
            label class="field" { span class="label" { "会计年度" } input type="text" name="fiscal_year" value=(year_text) size="6"; }
            button type="submit" { "查询" }
        }
        div class="card" {
            p {
                "年终结账对本区划的财政总会计和本区划各单位的财务会计、预算会计账套：先将指标账的结转数记入财政应返还额度，"
                "再在 12 月生成结账凭证（收入、支出结转至结转结余 / 本期盈余 / 累计盈余，财政拨款结转与结余分列），"
                "关闭全年各月，并把年末余额写入下一年度的年初余额。结账后本年度账簿只读，不能再录入、审核、记账或冲销凭证。"
            }
            p class="muted small" { "由本区划国库处执行；须先将本年度全部凭证记账。" }
        }
        @if let Some(row) = &closed {
            (notice_ok(&format!("{} 年度已于 {} 由 {} 年终结账：{} 个账套，{} 张结账凭证。", row.fiscal_year, row.closed_at, row.closed_by, row.n_books, row.n_vouchers)))
            p { a href=(url("/accounting/balance-sheet", &[("fiscal_year", &(year + 1).to_string())])) { "查看下一年度资产负债表（含年初余额）" } }
        }
        @match &preview {
            Some(Ok(summary)) => {
                div class="card table-card" {
                    h2 { "结账预览" }
                    table class="data" {
                        thead { tr { th { "账套" } th { "单位" } th class="num" { "结转额（财政应返还）" } th class="num" { "结账凭证" } th class="num" { "年初余额科目数" } } }
                        tbody {
                            @for book in &summary.books {
                                tr {
                                    td { (BookType::parse(&book.book.book_type).map_or("", |b| b.name_zh())) }
                                    td { (book.book.agency_code.as_deref().unwrap_or("（本级财政）")) }
                                    td class="num" { (money(book.carried_fen)) }
                                    td class="num" { (book.n_vouchers) }
                                    td class="num" { (book.n_openings) }
                                }
                            }
                        }
                        tfoot { tr class="totals-row" {
                            td { strong { "合计 " (summary.n_books) " 个账套" } } td {} td {}
                            td class="num" { strong { (summary.n_vouchers) } } td class="num" { strong { (summary.n_openings) } }
                        } }
                    }
                    form method="post" action="/accounting/year-close" class="no-print"
                        onsubmit="return confirm('年终结账后本年度账簿只读且不能撤销，确定结账？')" {
                        (csrf_field(user))
                        input type="hidden" name="mof_div_code" value=(region);
                        input type="hidden" name="fiscal_year" value=(year_text);
                        button type="submit" class="primary" { "确认年终结账" }
                    }
                }
            }
            Some(Err(AppError::Rejected(rejection))) => {
                (notice_error(&format!("暂不能结账：{}", rejection.message())))
            }
            Some(Err(error)) => { (notice_error(&describe(error, rid).2)) }
            None => {
                @if closed.is_none() {
                    p class="muted" { "本年度尚未结账。年终结账由该区划国库处执行。" }
                }
            }
        }
    })
}

async fn page(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let rid = &info.request_id;
    let params = with_year(params);
    let year = year_of(&params).map_err(|e| PageError::new(e, rid))?;
    let region = region_of(&user.principal, &params);
    let message =
        (params.get("ok").map(String::as_str) == Some("1")).then(|| notice_ok("年终结账完成。"));
    let content = render(&state, &user, &region, year, message, rid).await?;
    Ok(layout::page(&user, "年终结账", "/accounting/year-close", content).into_response())
}

async fn confirm(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let rid = &info.request_id;
    let Form(params) = form.map_err(|_| {
        PageError::new(
            Rejection::FieldInvalid {
                field: "表单",
                expected: "网页表单提交的内容",
            },
            rid,
        )
    })?;
    let year = year_of(&params).map_err(|e| PageError::new(e, rid))?;
    let region = region_of(&user.principal, &params);
    match state
        .app
        .accounting_year_close_with(&user.principal, &region, year, &info.ctx())
        .await
    {
        Ok(_) => Ok(Redirect::to(&url(
            "/accounting/year-close",
            &[
                ("mof_div_code", &region),
                ("fiscal_year", &year.to_string()),
                ("ok", "1"),
            ],
        ))
        .into_response()),
        Err(error) => {
            let (status, _, message, _) = describe(&error, rid);
            let content = render(
                &state,
                &user,
                &region,
                year,
                Some(notice_error(&message)),
                rid,
            )
            .await?;
            Ok((
                status,
                layout::page(&user, "年终结账", "/accounting/year-close", content),
            )
                .into_response())
        }
    }
}
