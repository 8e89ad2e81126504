//! Centralized treasury payment in the JSON API: payment applications (`/payments`: draft,
//! optionally sent for approval, corrected, listed, read, imported from Excel) and payment
//! vouchers (`/payment-vouchers`: listed with their send status and the bank's receipts,
//! read, exported). Handlers parse the wire body into a `PaymentDraft`; the use cases in
//! `fiscus_app::payment` check roles, scope and the rules. Money is integer fen on the wire;
//! an amount may also be given as 元 text (`"1234.50"`).

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use fiscus_app::ledger::query::parse_paging;
use fiscus_app::payment::PAYMENT_PAGE_ROWS_MAX;
use fiscus_app::payment::query::{VoucherFilter, VoucherView};
use fiscus_core::flow::Command;
use fiscus_core::payment::application::{ApplicationState, PaymentDraft};
use fiscus_core::payment::voucher::VoucherState;
use fiscus_core::{Fen, Rejection};
use fiscus_store::payment::ApplicationRow;
use serde::Deserialize;
use serde_json::{Value, json};

mod openapi;

pub use openapi::openapi_paths;

use super::{ApiJson, ApiResult, XLSX_CONTENT_TYPE, xlsx_file_response};
use crate::context::{ApiUser, RequestInfo};
use crate::error::ApiError;
use crate::state::AppState;

/// Rows of a list page when the request names none.
pub const PAYMENT_PAGE_ROWS_DEFAULT: u32 = 20;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/payments", get(list).post(create))
        .route("/api/v1/payments/import", axum::routing::post(import))
        .route(
            "/api/v1/payments/import-template.xlsx",
            get(import_template),
        )
        .route("/api/v1/payments/{pay_app_id}", get(detail).put(update))
        .route("/api/v1/payment-vouchers", get(vouchers))
        .route("/api/v1/payment-vouchers/export", get(export))
        .route("/api/v1/payment-vouchers/{pay_cert_id}", get(voucher))
}

/// The body of `POST /payments` and `PUT /payments/{id}`. Unknown fields are refused.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PaymentBody {
    pub bgt_id: String,
    pub payee_acct_name: String,
    pub payee_acct_no: String,
    pub payee_acct_bank_name: String,
    pub payee_bank_code: String,
    /// Integer fen, or 元 as text.
    pub pay_app_amt: Value,
    pub use_des: String,
    pub set_mode_code: String,
    pub pay_bus_type_code: String,
    pub contract_no: String,
    pub exp_func_code: String,
    pub gov_bgt_eco_code: String,
    pub dep_bgt_eco_code: String,
    /// Send for approval (送审) in the same request.
    pub submit: bool,
}

impl PaymentBody {
    pub fn draft(&self) -> Result<PaymentDraft, Rejection> {
        let field = "支付申请金额";
        let pay_app_amt = match &self.pay_app_amt {
            Value::Null => String::new(),
            Value::String(text) => text.clone(),
            Value::Number(number) => match number.as_i64() {
                Some(fen) => fiscus_core::ledger::check_amount(Fen(fen), field)?.to_yuan_string(),
                None => return Err(Rejection::AmountInvalid { field }),
            },
            _ => return Err(Rejection::AmountInvalid { field }),
        };
        Ok(PaymentDraft {
            bgt_id: self.bgt_id.clone(),
            payee_acct_name: self.payee_acct_name.clone(),
            payee_acct_no: self.payee_acct_no.clone(),
            payee_acct_bank_name: self.payee_acct_bank_name.clone(),
            payee_bank_code: self.payee_bank_code.clone(),
            pay_app_amt,
            use_des: self.use_des.clone(),
            set_mode_code: self.set_mode_code.clone(),
            pay_bus_type_code: self.pay_bus_type_code.clone(),
            contract_no: self.contract_no.clone(),
            exp_func_code: self.exp_func_code.clone(),
            gov_bgt_eco_code: self.gov_bgt_eco_code.clone(),
            dep_bgt_eco_code: self.dep_bgt_eco_code.clone(),
        })
    }
}

/// An application as JSON: its columns (money in fen) and its state's Chinese name.
pub fn application_json(row: &ApplicationRow) -> Value {
    let state_label = ApplicationState::from_code(&row.status).map_or("未知", |s| s.label());
    let mut value = serde_json::to_value(row).unwrap_or(Value::Null);
    if let Some(object) = value.as_object_mut() {
        object.insert("status_label".into(), json!(state_label));
    }
    value
}

/// A voucher as JSON: the bank's answers and what the voucher says (payee, purpose,
/// signature positions); the stored message itself stays inside.
pub fn voucher_json(view: &VoucherView) -> Value {
    let row = &view.row;
    let msg = view.msg.as_ref();
    json!({
        "pay_cert_id": row.pay_cert_id,
        "pay_cert_no": row.pay_cert_no,
        "pay_app_id": row.pay_app_id,
        "mof_div_code": row.mof_div_code,
        "fiscal_year": row.fiscal_year,
        "agency_code": row.agency_code,
        "bgt_id": row.bgt_id,
        "vou_date": row.vou_date,
        "pay_amt": row.pay_amt,
        "status": row.status,
        "status_label": view.state_label(),
        "bank_code": row.bank_code,
        "payee_acct_name": msg.map(|m| m.payee_acct_name.as_str()),
        "payee_acct_no": msg.map(|m| m.payee_acct_no.as_str()),
        "payee_acct_bank_name": msg.map(|m| m.payee_acct_bank_name.as_str()),
        "use_des": msg.map(|m| m.use_des.as_str()),
        "signature_positions": msg.map(|m| m.signatures.iter().map(|s| s.position.clone()).collect::<Vec<_>>()),
        "send_attempts": row.send_attempts,
        "sent_at": row.sent_at,
        "xpay_amt": row.xpay_amt,
        "xpay_date": row.xpay_date,
        "agent_business_no": row.agent_business_no,
        "return_reason": row.return_reason,
        "return_text": row.return_text,
        "refunded_amt": row.refunded_amt,
        "lqd_quota_notice_no": row.lqd_quota_notice_no,
        "lqd_cert_no": row.lqd_cert_no,
        "act_lqd_date": row.act_lqd_date,
        "created_at": row.created_at,
    })
}

fn params_of(params: HashMap<String, String>) -> BTreeMap<String, String> {
    params.into_iter().collect()
}

/// `page` and `page_size`, the size bounded by the payment lists' own limit.
fn paging(params: &BTreeMap<String, String>) -> Result<(i64, i64), Rejection> {
    let (page, page_size) = parse_paging(params, PAYMENT_PAGE_ROWS_DEFAULT)?;
    if i64::from(page_size) > PAYMENT_PAGE_ROWS_MAX {
        return Err(Rejection::PageSizeExceeded {
            page_size_max: PAYMENT_PAGE_ROWS_MAX as u32,
        });
    }
    Ok((i64::from(page), i64::from(page_size)))
}

/// An application status from a query: a known code or nothing.
pub fn application_status(text: Option<&String>) -> Result<Option<String>, Rejection> {
    match text.map(|t| t.trim()).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(code) => ApplicationState::from_code(code)
            .map(|state| Some(state.code().to_owned()))
            .ok_or(Rejection::FieldInvalid {
                field: "状态",
                expected: "draft、in_review、returned、approved、paid、rejected 或 cancelled",
            }),
    }
}

/// The voucher filters of a query string.
pub fn voucher_filter(params: &BTreeMap<String, String>) -> Result<VoucherFilter, Rejection> {
    let get = |name: &str| {
        params
            .get(name)
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
    };
    let status = match get("status") {
        None => None,
        Some(code) => Some(
            VoucherState::from_code(&code).ok_or(Rejection::FieldInvalid {
                field: "状态",
                expected: "approved、sent、paid、returned、refunded 或 partly_refunded",
            })?,
        ),
    };
    let vou_date = match get("vou_date") {
        None => None,
        Some(date) if is_date(&date) => Some(date),
        Some(_) => {
            return Err(Rejection::FieldInvalid {
                field: "凭证日期",
                expected: "日期，格式 YYYY-MM-DD",
            });
        }
    };
    let search = get("q");
    if search.as_ref().is_some_and(|q| q.chars().count() > 60) {
        return Err(Rejection::FieldTooLong {
            field: "查询条件",
            length_max: 60,
        });
    }
    Ok(VoucherFilter {
        status,
        vou_date,
        search,
    })
}

/// `YYYY-MM-DD` with plausible numbers.
pub fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    matches!(parts.as_slice(), [y, m, d]
        if y.len() == 4 && m.len() == 2 && d.len() == 2
        && [y, m, d].iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
        && (1..=12).contains(&m.parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&d.parse::<u32>().unwrap_or(0)))
}

async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    ApiJson(body): ApiJson<PaymentBody>,
) -> ApiResult {
    let rid = &info.request_id;
    let draft = body.draft().map_err(|e| ApiError::new(e, rid))?;
    let pay_app_id = state
        .app
        .payment_create(&user.principal, &draft, body.submit, &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    let row = state
        .app
        .payment_application(&user.principal, &pay_app_id)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok((StatusCode::CREATED, Json(application_json(&row))).into_response())
}

async fn update(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path(pay_app_id): Path<String>,
    ApiJson(body): ApiJson<PaymentBody>,
) -> ApiResult {
    let rid = &info.request_id;
    let draft = body.draft().map_err(|e| ApiError::new(e, rid))?;
    let app = &state.app;
    app.payment_update(&user.principal, &pay_app_id, &draft, &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    if body.submit {
        app.flow_act(&user.principal, &pay_app_id, Command::Submit, &info.ctx())
            .await
            .map_err(|e| ApiError::new(e, rid))?;
    }
    let row = app
        .payment_application(&user.principal, &pay_app_id)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(application_json(&row)).into_response())
}

async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let params = params_of(params);
    let (page, page_size) = paging(&params).map_err(|e| ApiError::new(e, rid))?;
    let status = application_status(params.get("status")).map_err(|e| ApiError::new(e, rid))?;
    let (rows, has_more) = state
        .app
        .payment_application_page(&user.principal, status.as_deref(), page, page_size)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    let items: Vec<Value> = rows
        .iter()
        .map(|view| application_json(&view.row))
        .collect();
    Ok(
        Json(json!({ "items": items, "page": page, "page_size": page_size, "has_more": has_more }))
            .into_response(),
    )
}

async fn detail(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path(pay_app_id): Path<String>,
) -> ApiResult {
    let rid = &info.request_id;
    let row = state
        .app
        .payment_application(&user.principal, &pay_app_id)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    let mut value = application_json(&row);
    if let (Some(object), Some(pay_cert_id)) = (value.as_object_mut(), &row.pay_cert_id) {
        object.insert(
            "voucher_href".into(),
            json!(format!("/api/v1/payment-vouchers/{pay_cert_id}")),
        );
    }
    Ok(Json(value).into_response())
}

async fn import(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let rid = &info.request_id;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if ![XLSX_CONTENT_TYPE, "application/octet-stream"].contains(&content_type.as_str()) {
        return Err(ApiError::new(
            Rejection::FieldInvalid {
                field: "Content-Type",
                expected: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet 或 application/octet-stream",
            },
            rid,
        ));
    }
    let bytes = body.map_err(|_| {
        ApiError::new(
            Rejection::FieldInvalid {
                field: "文件",
                expected: "不超过 8 MB 的 Excel .xlsx 文件",
            },
            rid,
        )
    })?;
    let submit = matches!(params.get("submit").map(String::as_str), Some("true" | "1"));
    let rows =
        fiscus_app::payment::read_payment_sheet(&bytes).map_err(|e| ApiError::new(e, rid))?;
    let report = state
        .app
        .payment_batch(&user.principal, rows, submit, &info.ctx())
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    let errors: Vec<Value> = report
        .errors
        .iter()
        .map(|error| {
            json!({
                "row": error.row,
                "field": error.rejection.field(),
                "code": error.rejection.code(),
                "message": error.rejection.message(),
            })
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        Json(json!({ "pay_app_ids": report.pay_app_ids, "n_created": report.pay_app_ids.len(), "errors": errors })),
    )
        .into_response())
}

async fn import_template(
    State(state): State<AppState>,
    ApiUser(_user): ApiUser,
    info: RequestInfo,
) -> ApiResult {
    let bytes = state
        .app
        .payment_batch_template()
        .map_err(|e| ApiError::new(e, &info.request_id))?;
    Ok(xlsx_file_response(
        "payment-import-template",
        "支付申请批量录入模板",
        bytes,
    ))
}

async fn vouchers(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let params = params_of(params);
    let (page, page_size) = paging(&params).map_err(|e| ApiError::new(e, rid))?;
    let filter = voucher_filter(&params).map_err(|e| ApiError::new(e, rid))?;
    let found = state
        .app
        .payment_voucher_page(&user.principal, &filter, page, page_size)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    let items: Vec<Value> = found.rows.iter().map(voucher_json).collect();
    Ok(
        Json(json!({ "items": items, "total": found.total, "page": page, "page_size": page_size }))
            .into_response(),
    )
}

async fn voucher(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Path(pay_cert_id): Path<String>,
) -> ApiResult {
    let rid = &info.request_id;
    let view = state
        .app
        .payment_voucher(&user.principal, &pay_cert_id)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(Json(voucher_json(&view)).into_response())
}

async fn export(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    info: RequestInfo,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let rid = &info.request_id;
    let filter = voucher_filter(&params_of(params)).map_err(|e| ApiError::new(e, rid))?;
    let bytes = state
        .app
        .payment_voucher_export(&user.principal, &filter)
        .await
        .map_err(|e| ApiError::new(e, rid))?;
    Ok(xlsx_file_response("payment-vouchers", "支付凭证", bytes))
}
