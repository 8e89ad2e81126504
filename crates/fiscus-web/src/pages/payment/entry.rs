//! 支付申请录入 (and its correction): ① pick one of the unit's executable indicators, shown
//! with its available balance (search by title, document number or code); ② payee, amount
//! in 元, purpose, settlement mode, payment business type, and the procurement contract when
//! the indicator is 政府采购. 保存 keeps a draft; 保存并送审 reserves the amount and sends it
//! into the flow. On a refusal the form comes back with the Chinese message beside it and
//! what was typed; nothing is written.

use std::collections::BTreeMap;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use fiscus_app::AppError;
use fiscus_app::ledger::query::IndicatorQuery;
use fiscus_core::flow::Command;
use fiscus_core::ledger::ExeFlag;
use fiscus_core::payment::application::{
    ApplicationState, PAY_BUS_TYPE_CODES, PaymentDraft, SET_MODE_CODES,
};
use fiscus_core::{Fen, Rejection};
use fiscus_store::ledger::IndicatorRow;
use maud::{Markup, html};

use super::{is_treasury, is_unit_clerk};
use crate::context::{CurrentUser, PageUser, RequestInfo};
use crate::error::describe;
use crate::pages::flow::document_href;
use crate::pages::layout::{self, csrf_field, heading, notice_error};
use crate::pages::ledger::{indicator_href, indicator_title};
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

type Pairs = Vec<(String, String)>;

/// The picker lists at most this many indicators; a search narrows it.
const PICKER_ROWS_MAX: u32 = 50;

/// The text fields of the form after the indicator: name, label, hint, required.
const FIELDS: [(&str, &str, &str, bool); 5] = [
    ("payee_acct_name", "收款人全称", "单位或个人的全称", true),
    ("payee_acct_no", "收款人账号", "银行账号，只含数字", true),
    (
        "payee_acct_bank_name",
        "收款人开户银行",
        "如 中国工商银行石河子分行",
        true,
    ),
    (
        "payee_bank_code",
        "收款行行号",
        "12 位联行号，可不填",
        false,
    ),
    (
        "pay_app_amt",
        "支付金额（元）",
        "如 1234.50，最多两位小数",
        true,
    ),
];

fn value(pairs: &Pairs, name: &str) -> String {
    pairs
        .iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

fn draft_of(pairs: &Pairs) -> PaymentDraft {
    PaymentDraft {
        bgt_id: value(pairs, "bgt_id"),
        payee_acct_name: value(pairs, "payee_acct_name"),
        payee_acct_no: value(pairs, "payee_acct_no"),
        payee_acct_bank_name: value(pairs, "payee_acct_bank_name"),
        payee_bank_code: value(pairs, "payee_bank_code"),
        pay_app_amt: value(pairs, "pay_app_amt"),
        use_des: value(pairs, "use_des"),
        set_mode_code: value(pairs, "set_mode_code"),
        pay_bus_type_code: value(pairs, "pay_bus_type_code"),
        contract_no: value(pairs, "contract_no"),
        ..PaymentDraft::default()
    }
}

fn pairs_of(draft: &PaymentDraft) -> Pairs {
    [
        ("bgt_id", &draft.bgt_id),
        ("payee_acct_name", &draft.payee_acct_name),
        ("payee_acct_no", &draft.payee_acct_no),
        ("payee_acct_bank_name", &draft.payee_acct_bank_name),
        ("payee_bank_code", &draft.payee_bank_code),
        ("pay_app_amt", &draft.pay_app_amt),
        ("use_des", &draft.use_des),
        ("set_mode_code", &draft.set_mode_code),
        ("pay_bus_type_code", &draft.pay_bus_type_code),
        ("contract_no", &draft.contract_no),
    ]
    .into_iter()
    .map(|(name, text)| (name.to_owned(), text.clone()))
    .collect()
}

fn require_writer(user: &CurrentUser, rid: &str) -> Result<(), PageError> {
    if is_unit_clerk(&user.principal) || is_treasury(&user.principal) {
        Ok(())
    } else {
        Err(PageError::new(Rejection::Forbidden, rid))
    }
}

fn form_pairs(form: Result<Form<Pairs>, FormRejection>, rid: &str) -> Result<Pairs, PageError> {
    form.map(|Form(pairs)| pairs).map_err(|_| {
        PageError::new(
            Rejection::FieldInvalid {
                field: "表单",
                expected: "网页表单提交的内容",
            },
            rid,
        )
    })
}

/// The executable, open indicators the viewer may pay from, matching `search`.
async fn choices(
    state: &AppState,
    user: &CurrentUser,
    search: &str,
) -> Result<(Vec<IndicatorRow>, i64), AppError> {
    let mut params = BTreeMap::new();
    params.insert(
        "bgt_exe_flag".to_owned(),
        ExeFlag::Executable.code().to_owned(),
    );
    params.insert("closed".to_owned(), "open".to_owned());
    params.insert("q".to_owned(), search.to_owned());
    params.insert("page_size".to_owned(), PICKER_ROWS_MAX.to_string());
    let query = IndicatorQuery::parse(&params)?;
    let page = state.app.indicator_list(&user.principal, &query).await?;
    Ok((page.rows, page.totals.count))
}

/// Where the form posts: a new application, or the correction of one.
enum Target<'a> {
    New,
    Edit {
        pay_app_id: &'a str,
        pay_app_no: &'a str,
    },
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    rid: &str,
    target: Target<'_>,
    pairs: &Pairs,
    search: &str,
    error: Option<(StatusCode, String)>,
) -> PageResult {
    let (rows, n_matching, search_error) = match choices(state, user, search).await {
        Ok((rows, n_matching)) => (rows, n_matching, None),
        Err(error @ AppError::Rejected(_)) => {
            let (_, _, message, _) = describe(&error, rid);
            (Vec::new(), 0, Some(message))
        }
        Err(error) => return Err(PageError::new(error, rid)),
    };
    let (status, message) = match error {
        Some((status, message)) => (status, Some(message)),
        None if search_error.is_some() => (StatusCode::BAD_REQUEST, search_error),
        None => (StatusCode::OK, None),
    };
    let action = match &target {
        Target::New => "/payments/new".to_owned(),
        Target::Edit { pay_app_id, .. } => format!(
            "/payments/{}/edit",
            crate::context::percent_encode(pay_app_id)
        ),
    };
    let chosen = value(pairs, "bgt_id");
    let content = html! {
        @if let Some(message) = &message { (notice_error(message)) }
        @if matches!(target, Target::New) {
            form method="get" action="/payments/new" class="filters payment-search" {
                label class="field" {
                    span class="label" { "查找指标" }
                    input type="search" name="q" value=(search) placeholder="指标文件标题、文号或指标编号";
                }
                button type="submit" class="button" { "查找" }
                @if !search.is_empty() { a class="button ghost" href="/payments/new" { "显示全部" } }
            }
        }
        form method="post" action=(action) class="card record-form payment-form" {
            (csrf_field(user))
            h2 { "① 选择支付的指标" }
            (picker(&rows, n_matching, &chosen))
            h2 { "② 填写收款人和金额" }
            div class="form-grid" {
                @for (name, label, hint, required) in FIELDS {
                    label class="field" {
                        span class="label" { (label) @if required { span class="req" { " *" } } }
                        input type="text" name=(name) value=(value(pairs, name)) placeholder=(hint)
                            inputmode=[(name == "pay_app_amt" || name == "payee_acct_no").then_some(if name == "pay_app_amt" { "decimal" } else { "numeric" })];
                    }
                }
                (select(pairs, "set_mode_code", "结算方式", &SET_MODE_CODES))
                (select(pairs, "pay_bus_type_code", "支付业务类型", &PAY_BUS_TYPE_CODES))
                label class="field" {
                    span class="label" { "采购合同编号" }
                    input type="text" name="contract_no" value=(value(pairs, "contract_no")) placeholder="政府采购指标必填";
                }
                label class="field wide" {
                    span class="label" { "用途" span class="req" { " *" } }
                    input type="text" name="use_des" value=(value(pairs, "use_des")) placeholder="写明具体用途，如：购买办公用品（打印纸、墨盒）";
                }
            }
            p class="muted small" { "送审时按支付金额预占指标的可用余额；审核通过后生成支付凭证发送代理银行。被退回的申请可修改后重新送审。" }
            div class="form-actions" {
                button type="submit" name="action" value="submit" class="button primary" { "保存并送审" }
                " "
                button type="submit" name="action" value="draft" class="button" { "保存" }
                " "
                a class="button ghost" href="/payments" { "取消" }
            }
        }
    };
    Ok(html_response(user, &target, status, content))
}

fn html_response(
    user: &CurrentUser,
    target: &Target<'_>,
    status: StatusCode,
    content: Markup,
) -> axum::response::Response {
    let title = match target {
        Target::New if is_unit_clerk(&user.principal) => "支付申请录入".to_owned(),
        Target::New => "代编支付申请".to_owned(),
        Target::Edit { pay_app_no, .. } => format!("修改支付申请 {pay_app_no}"),
    };
    let page = html! {
        (heading(&[("/payments", "支付管理")], &title, html! { a class="button" href="/payments/batch" { "批量录入" } }))
        (content)
    };
    (status, layout::page(user, &title, "/payments/new", page)).into_response()
}

fn picker(rows: &[IndicatorRow], n_matching: i64, chosen: &str) -> Markup {
    html! {
        @if rows.is_empty() {
            p class="notice" { "没有可用于支付的指标（可执行、未结转的本单位指标）。请换个查找条件，或联系财政部门下达指标。" }
        } @else {
            div class="table-wrap picker" {
                table class="data" {
                    thead { tr { th { "选择" } th { "指标" } th { "功能分类" } th { "经济分类" } th { "项目" } th class="num" { "可用余额（元）" } } }
                    tbody {
                        @for row in rows {
                            @let id = row.bgt_id.to_string();
                            @let e = &row.elements;
                            tr class=[(id == chosen).then_some("chosen")] {
                                td {
                                    input type="radio" name="bgt_id" value=(id) id=(format!("bgt-{id}")) checked[id == chosen]
                                        disabled[row.figures.available_fen <= 0] aria-label=(indicator_title(row));
                                }
                                td {
                                    label for=(format!("bgt-{id}")) { strong { (indicator_title(row)) } }
                                    @if e.is_gov_pur { " " span class="badge warn" title="须填写采购合同编号" { "政府采购" } }
                                    br;
                                    a class="code muted small" href=(indicator_href(&id)) target="_blank" { (id) }
                                }
                                td class="code" { (e.exp_func_code) }
                                td class="code" { (e.gov_bgt_eco_code) " / " (e.dep_bgt_eco_code) }
                                td class="code" { @if e.pro_code.is_empty() { span class="muted" { "—" } } @else { (e.pro_code) } }
                                td class="num" { strong { (Fen(row.figures.available_fen).to_yuan_string()) } }
                            }
                        }
                    }
                }
            }
            @if n_matching > rows.len() as i64 {
                p class="muted small" { "共 " (n_matching) " 条指标，只列出前 " (rows.len()) " 条；请用上方「查找指标」缩小范围。" }
            }
        }
    }
}

fn select(pairs: &Pairs, name: &str, label: &str, codes: &[(&str, &str)]) -> Markup {
    let current = value(pairs, name);
    let current = if current.is_empty() {
        "1".to_owned()
    } else {
        current
    };
    html! {
        label class="field" {
            span class="label" { (label) }
            select name=(name) {
                @for (code, text) in codes {
                    option value=(code) selected[*code == current] { (code) " " (text) }
                }
            }
        }
    }
}

pub async fn new_form(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Query(query): Query<Pairs>,
) -> PageResult {
    let rid = &info.request_id;
    require_writer(&user, rid)?;
    let search = value(&query, "q");
    render(&state, &user, rid, Target::New, &query, search.trim(), None).await
}

pub async fn create(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    form: Result<Form<Pairs>, FormRejection>,
) -> PageResult {
    let rid = &info.request_id;
    require_writer(&user, rid)?;
    let pairs = form_pairs(form, rid)?;
    let submit = value(&pairs, "action") == "submit";
    let result = state
        .app
        .payment_create(&user.principal, &draft_of(&pairs), submit, &info.ctx())
        .await;
    match result {
        Ok(pay_app_id) => {
            let ok = if submit { "submit" } else { "created" };
            Ok(Redirect::to(&format!("{}?ok={ok}", document_href(&pay_app_id))).into_response())
        }
        Err(error @ AppError::Rejected(_)) => {
            let (status, _, message, _) = describe(&error, rid);
            render(
                &state,
                &user,
                rid,
                Target::New,
                &pairs,
                "",
                Some((status, refused(&message))),
            )
            .await
        }
        Err(error) => Err(PageError::new(error, rid)),
    }
}

fn refused(message: &str) -> String {
    format!("{message}。申请未保存，请修改后重新提交。")
}

pub async fn edit_form(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path(pay_app_id): Path<String>,
) -> PageResult {
    let rid = &info.request_id;
    let row = editable(&state, &user, &pay_app_id, rid).await?;
    let draft = PaymentDraft {
        bgt_id: row.bgt_id.clone(),
        payee_acct_name: row.payee_acct_name.clone(),
        payee_acct_no: row.payee_acct_no.clone(),
        payee_acct_bank_name: row.payee_acct_bank_name.clone(),
        payee_bank_code: row.payee_bank_code.clone(),
        pay_app_amt: Fen(row.pay_app_amt).to_yuan_string().replace(',', ""),
        use_des: row.use_des.clone(),
        set_mode_code: row.set_mode_code.clone(),
        pay_bus_type_code: row.pay_bus_type_code.clone(),
        contract_no: row.contract_no.clone(),
        ..PaymentDraft::default()
    };
    let target = Target::Edit {
        pay_app_id: &row.pay_app_id,
        pay_app_no: &row.pay_app_no,
    };
    render(&state, &user, rid, target, &pairs_of(&draft), "", None).await
}

pub async fn update(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path(pay_app_id): Path<String>,
    form: Result<Form<Pairs>, FormRejection>,
) -> PageResult {
    let rid = &info.request_id;
    let row = editable(&state, &user, &pay_app_id, rid).await?;
    let pairs = form_pairs(form, rid)?;
    let submit = value(&pairs, "action") == "submit";
    let app = &state.app;
    let result = async {
        app.payment_update(&user.principal, &pay_app_id, &draft_of(&pairs), &info.ctx())
            .await?;
        if submit {
            app.flow_act(&user.principal, &pay_app_id, Command::Submit, &info.ctx())
                .await?;
        }
        Ok::<(), AppError>(())
    }
    .await;
    match result {
        Ok(()) => {
            let ok = if submit { "submit" } else { "saved" };
            Ok(Redirect::to(&format!("{}?ok={ok}", document_href(&pay_app_id))).into_response())
        }
        Err(error @ AppError::Rejected(_)) => {
            let (status, _, message, _) = describe(&error, rid);
            let target = Target::Edit {
                pay_app_id: &row.pay_app_id,
                pay_app_no: &row.pay_app_no,
            };
            render(
                &state,
                &user,
                rid,
                target,
                &pairs,
                "",
                Some((status, format!("{message}。修改未保存。"))),
            )
            .await
        }
        Err(error) => Err(PageError::new(error, rid)),
    }
}

/// The viewer's own application in a state that may still change.
async fn editable(
    state: &AppState,
    user: &CurrentUser,
    pay_app_id: &str,
    rid: &str,
) -> Result<fiscus_store::payment::ApplicationRow, PageError> {
    require_writer(user, rid)?;
    let row = state
        .app
        .payment_application(&user.principal, pay_app_id)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    if row.created_by != user.principal.user_name.as_str() {
        return Err(PageError::new(
            Rejection::NotFound {
                what: "支付申请"
            },
            rid,
        ));
    }
    let state = ApplicationState::from_code(&row.status).unwrap_or(ApplicationState::Cancelled);
    if !state.is_editable() {
        return Err(PageError::new(
            Rejection::PaymentStateForbids {
                action: "修改",
                state: state.label(),
            },
            rid,
        ));
    }
    Ok(row)
}
