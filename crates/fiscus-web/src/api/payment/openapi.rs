//! The OpenAPI description of the payment endpoints (merged into `/api/openapi.json`).

use serde_json::{Map, Value, json};

fn errors(mut responses: Value) -> Value {
    if let Some(target) = responses.as_object_mut() {
        for status in ["400", "401", "403", "404", "409", "422"] {
            target
                .entry(status)
                .or_insert(json!({ "$ref": "#/components/responses/Error" }));
        }
    }
    responses
}

/// Adds the payment application and voucher paths.
pub fn openapi_paths(paths: &mut Map<String, Value>) {
    let tags = json!(["支付管理"]);
    let ok = |description: &str| errors(json!({ "200": { "description": description } }));
    let text = |description: &str| json!({ "type": "string", "description": description });
    let query = |name: &str, description: &str| json!({ "name": name, "in": "query", "schema": { "type": "string" }, "description": description });
    let page =
        json!({ "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 } });
    let page_size = json!({ "name": "page_size", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": fiscus_app::payment::PAYMENT_PAGE_ROWS_MAX } });
    let id = |name: &str| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } });
    let properties = json!({
        "bgt_id": text("指标主键（单位的可执行指标）"),
        "payee_acct_name": text("收款人全称"),
        "payee_acct_no": text("收款人账号"),
        "payee_acct_bank_name": text("收款人开户银行"),
        "payee_bank_code": text("收款行行号（可选）"),
        "pay_app_amt": { "description": "支付申请金额：整数为分，字符串为元（如 \"1234.50\"）", "oneOf": [{ "type": "integer", "format": "int64" }, { "type": "string" }] },
        "use_des": text("用途"),
        "set_mode_code": text("结算方式代码（1 电子转账支付 …），空为 1"),
        "pay_bus_type_code": text("支付业务类型代码（1 普通业务 …），空为 1"),
        "contract_no": text("采购合同编号：政府采购指标必填"),
        "exp_func_code": text("支出功能分类，空为指标的分类"),
        "gov_bgt_eco_code": text("政府预算支出经济分类，空为指标的分类"),
        "dep_bgt_eco_code": text("部门预算支出经济分类，空为指标的分类"),
        "submit": { "type": "boolean", "description": "同时送审（预占指标）" },
    });
    let body = json!({ "required": true, "content": { "application/json": { "schema": {
        "type": "object", "additionalProperties": false, "properties": properties,
        "required": ["bgt_id", "payee_acct_name", "payee_acct_no", "payee_acct_bank_name", "pay_app_amt", "use_des"] } } } });
    let voucher_filters = vec![
        query(
            "status",
            "approved | sent | paid | returned | refunded | partly_refunded",
        ),
        query("vou_date", "凭证日期 YYYY-MM-DD"),
        query("q", "凭证号、收款人或单位编码包含的文字"),
    ];
    let mut voucher_paged = voucher_filters.clone();
    voucher_paged.push(page.clone());
    voucher_paged.push(page_size.clone());
    let xlsx_type = fiscus_web_xlsx();
    let entries: Vec<(&str, Value)> = vec![
        (
            "/api/v1/payments",
            json!({
                "get": { "summary": "支付申请列表（本人可见范围），新的在前", "tags": tags,
                    "parameters": [query("status", "draft | in_review | returned | approved | paid | rejected | cancelled"), page, page_size],
                    "responses": ok("{items, page, page_size, has_more}") },
                "post": { "summary": "录入支付申请（单位录入或财政代编），可同时送审", "tags": tags, "requestBody": body,
                    "responses": errors(json!({ "201": { "description": "新建的支付申请" } })) } }),
        ),
        (
            "/api/v1/payments/{pay_app_id}",
            json!({
                "get": { "summary": "一条支付申请；已生成凭证时带 voucher_href", "tags": tags, "parameters": [id("pay_app_id")], "responses": ok("支付申请") },
                "put": { "summary": "修改未送审或被退回的支付申请，可同时送审", "tags": tags, "parameters": [id("pay_app_id")], "requestBody": body, "responses": ok("修改后的支付申请") } }),
        ),
        (
            "/api/v1/payments/import",
            json!({ "post": { "summary": "Excel 批量录入支付申请：任一行有错则全部不录入，返回每个错误行", "tags": tags,
                "parameters": [query("submit", "true：录入后全部送审")],
                "requestBody": { "required": true, "content": { xlsx_type.clone(): {}, "application/octet-stream": {} } },
                "responses": ok("{pay_app_ids, n_created, errors: [{row, field, code, message}]}（有错误行时 422）") } }),
        ),
        (
            "/api/v1/payments/import-template.xlsx",
            json!({ "get": { "summary": "批量录入模板", "tags": tags, "responses": errors(json!({ "200": { "description": "Excel 文件", "content": { xlsx_type.clone(): {} } } })) } }),
        ),
        (
            "/api/v1/payment-vouchers",
            json!({ "get": { "summary": "支付凭证列表：发送状态、回单（实际支付金额、日期、银行流水号）、退款、清算", "tags": tags,
                "parameters": voucher_paged, "responses": ok("{items, total, page, page_size}") } }),
        ),
        (
            "/api/v1/payment-vouchers/export",
            json!({ "get": { "summary": "按条件导出支付凭证", "tags": tags, "parameters": voucher_filters,
                "responses": errors(json!({ "200": { "description": "Excel 文件", "content": { xlsx_type: {} } } })) } }),
        ),
        (
            "/api/v1/payment-vouchers/{pay_cert_id}",
            json!({ "get": { "summary": "一张支付凭证", "tags": tags, "parameters": [id("pay_cert_id")], "responses": ok("支付凭证") } }),
        ),
    ];
    for (path, item) in entries {
        paths.insert(path.to_owned(), item);
    }
}

fn fiscus_web_xlsx() -> String {
    crate::api::XLSX_CONTENT_TYPE.to_owned()
}
