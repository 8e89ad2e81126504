//! The OpenAPI 3.1 document of `/api/v1`, generated from the same `EntitySpec` tables that
//! drive the storage and the pages, so it cannot drift from what the server accepts.

use fiscus_core::schema::{ALL, Edit, EntitySpec, FieldKind, FieldSpec};
use serde_json::{Map, Value, json};

const XLSX: &str = crate::api::XLSX_CONTENT_TYPE;

fn field_schema(field: &FieldSpec) -> Value {
    let mut schema = match field.kind {
        FieldKind::Int | FieldKind::Year => json!({ "type": "integer" }),
        FieldKind::Money => {
            json!({ "type": "integer", "description": format!("{}（单位：分；写入时也可传 元 字符串）", field.label) })
        }
        FieldKind::Bool => json!({ "type": "boolean" }),
        FieldKind::Code(element) => {
            json!({ "type": "string", "description": format!("{}（要素 {element} 的编码）", field.label) })
        }
        _ => json!({ "type": "string", "maxLength": field.length_max }),
    };
    if let Some(object) = schema.as_object_mut() {
        object
            .entry("description")
            .or_insert_with(|| json!(field.label));
        if field.edit == Edit::Never {
            object.insert("readOnly".into(), json!(true));
        }
        if field.kind == FieldKind::Secret {
            object.insert("writeOnly".into(), json!(true));
        }
    }
    schema
}

fn record_schema(spec: &EntitySpec, writable_on_update: bool) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for field in spec.fields {
        let include = if writable_on_update {
            field.edit == Edit::Always && field.kind != FieldKind::Secret
        } else {
            true
        };
        if include {
            properties.insert(field.name.into(), field_schema(field));
        }
        if !writable_on_update && field.required && field.edit != Edit::Never {
            required.push(field.name);
        }
    }
    json!({ "type": "object", "properties": properties, "required": required, "description": spec.label })
}

fn list_parameters(spec: &EntitySpec) -> Value {
    let mut parameters = vec![
        json!({ "name": "q", "in": "query", "schema": { "type": "string" }, "description": "模糊查询" }),
        json!({ "name": "sort", "in": "query", "schema": { "type": "string", "enum": spec.fields.iter().filter(|f| f.sort).map(|f| f.name).collect::<Vec<_>>() } }),
        json!({ "name": "dir", "in": "query", "schema": { "type": "string", "enum": ["asc", "desc"] } }),
        json!({ "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 } }),
        json!({ "name": "page_size", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": fiscus_core::query::PAGE_SIZE_MAX } }),
    ];
    for field in spec.fields.iter().filter(|f| f.filter) {
        parameters.push(json!({ "name": field.name, "in": "query", "schema": { "type": "string" }, "description": format!("按{}筛选", field.label) }));
    }
    Value::Array(parameters)
}

fn error_responses() -> Value {
    json!({
        "400": { "$ref": "#/components/responses/Error" },
        "401": { "$ref": "#/components/responses/Error" },
        "403": { "$ref": "#/components/responses/Error" },
        "404": { "$ref": "#/components/responses/Error" },
        "409": { "$ref": "#/components/responses/Error" },
        "422": { "$ref": "#/components/responses/Error" }
    })
}

fn with_errors(mut responses: Value) -> Value {
    if let (Some(target), Some(errors)) = (responses.as_object_mut(), error_responses().as_object())
    {
        for (status, response) in errors {
            target.entry(status.clone()).or_insert(response.clone());
        }
    }
    responses
}

pub fn document() -> Value {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    for spec in ALL {
        let name = spec.name;
        let schema_ref = json!({ "$ref": format!("#/components/schemas/{name}") });
        schemas.insert(name.into(), record_schema(spec, false));
        schemas.insert(format!("{name}_update"), record_schema(spec, true));
        let key = json!([{ "name": "key", "in": "path", "required": true, "schema": { "type": "string" } }]);
        paths.insert(format!("/api/v1/{name}"), json!({
            "get": { "summary": format!("{}列表", spec.label), "tags": [spec.label], "parameters": list_parameters(spec),
                     "responses": with_errors(json!({ "200": { "description": "一页记录", "content": { "application/json": { "schema": {
                         "type": "object", "properties": { "items": { "type": "array", "items": schema_ref }, "total": { "type": "integer" },
                         "page": { "type": "integer" }, "page_size": { "type": "integer" } } } } } } })) },
            "post": { "summary": format!("新增{}", spec.label), "tags": [spec.label],
                      "requestBody": { "required": true, "content": { "application/json": { "schema": schema_ref } } },
                      "responses": with_errors(json!({ "201": { "description": "已创建", "content": { "application/json": { "schema": schema_ref } } } })) }
        }));
        paths.insert(format!("/api/v1/{name}/export.xlsx"), json!({
            "get": { "summary": format!("导出{}（Excel）", spec.label), "tags": [spec.label], "parameters": list_parameters(spec),
                     "responses": with_errors(json!({ "200": { "description": "xlsx 文件", "content": { "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {} } } })) }
        }));
        paths.insert(format!("/api/v1/{name}/import-template.xlsx"), json!({
            "get": { "summary": format!("下载{}导入模板（Excel）", spec.label), "tags": [spec.label],
                     "responses": with_errors(json!({ "200": { "description": "xlsx 模板：第 1 张表为表头（字段中文名），「说明」表逐列说明填写要求", "content": { XLSX: {} } } })) }
        }));
        paths.insert(format!("/api/v1/{name}/import"), json!({
            "post": { "summary": format!("导入{}（Excel，全部成功或全部不导入）", spec.label), "tags": [spec.label],
                      "description": format!("请求体为 xlsx 文件本身，第 1 张表第 1 行为表头（字段中文名或字段名）。最多 {} 行数据，文件不超过 {} 字节。", fiscus_core::query::IMPORT_ROWS_MAX, crate::REQUEST_BODY_BYTES_MAX),
                      "requestBody": { "required": true, "content": { XLSX: { "schema": { "type": "string", "format": "binary" } }, "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } },
                      "responses": with_errors(json!({
                          "200": { "description": "全部导入", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ImportReport" } } } },
                          "422": { "description": "有行未通过检查，全部未导入；errors 列出每一行的错误", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ImportReport" } } } }
                      })) }
        }));
        paths.insert(format!("/api/v1/{name}/{{key}}"), json!({
            "get": { "summary": format!("{}详情", spec.label), "tags": [spec.label], "parameters": key,
                     "responses": with_errors(json!({ "200": { "description": "记录", "content": { "application/json": { "schema": schema_ref } } } })) },
            "patch": { "summary": format!("修改{}（只改给出的字段）", spec.label), "tags": [spec.label], "parameters": key,
                       "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{name}_update") } } } },
                       "responses": with_errors(json!({ "200": { "description": "修改后的记录" } })) }
        }));
        for (action, label) in [("disable", "停用"), ("enable", "启用")] {
            paths.insert(format!("/api/v1/{name}/{{key}}/{action}"), json!({
                "post": { "summary": format!("{label}{}", spec.label), "tags": [spec.label], "parameters": key,
                          "responses": with_errors(json!({ "200": { "description": "修改后的记录" } })) }
            }));
        }
        paths.insert(format!("/api/v1/{name}/{{key}}/history"), json!({
            "get": { "summary": format!("{}变更历史", spec.label), "tags": [spec.label], "parameters": key,
                     "responses": with_errors(json!({ "200": { "description": "变更记录（新在前）" } })) }
        }));
    }
    schemas.insert(
        "ImportReport".into(),
        json!({
            "type": "object", "description": "导入结果",
            "properties": {
                "n_imported": { "type": "integer", "description": "导入的记录数；有错误时为 0" },
                "errors": { "type": "array", "items": { "type": "object", "properties": {
                    "row": { "type": "integer", "description": "Excel 中的行号（表头为第 1 行）" },
                    "field": { "type": ["string", "null"], "description": "出错字段的中文名" },
                    "code": { "type": "string" }, "message": { "type": "string" } } } }
            }
        }),
    );
    let simple = |summary: &str, method: &str| json!({ method: { "summary": summary, "tags": ["系统"], "responses": with_errors(json!({ "200": { "description": "成功" } })) } });
    paths.insert("/api/v1/session".into(), json!({
        "post": { "summary": "登录（设置会话 Cookie，返回 CSRF 令牌）", "tags": ["系统"], "security": [],
                  "requestBody": { "content": { "application/json": { "schema": { "type": "object", "required": ["user_name", "password"],
                      "properties": { "user_name": { "type": "string" }, "password": { "type": "string" } } } } } },
                  "responses": with_errors(json!({ "200": { "description": "已登录" } })) },
        "delete": { "summary": "退出登录", "tags": ["系统"], "responses": { "204": { "description": "已退出" } } }
    }));
    paths.insert("/api/v1/me".into(), simple("当前用户", "get"));
    paths.insert("/api/v1/me/password".into(), simple("修改本人密码", "post"));
    paths.insert(
        "/api/v1/regions/tree".into(),
        simple("区划树（含本级单位数）", "get"),
    );
    paths.insert(
        "/api/v1/agencies/tree".into(),
        simple("某区划的单位树（主管部门层级）", "get"),
    );
    paths.insert("/api/v1/audit-log".into(), simple("审计日志", "get"));
    paths.insert(
        "/api/v1/codes/copy-year".into(),
        simple("复制上年要素并生成同码对照", "post"),
    );
    paths.insert(
        "/api/v1/code-names/{element}".into(),
        simple("要素编码与名称", "get"),
    );
    paths.insert(
        "/api/v1/users/{key}/reset-password".into(),
        simple("重置用户密码", "post"),
    );
    paths.insert(
        "/api/v1/persons/{key}/identity".into(),
        simple("查看人员证件号码明文（记入审计）", "get"),
    );
    flow_paths(&mut paths, &mut schemas);
    crate::api::accounting::openapi_paths(&mut paths);
    crate::api::accounting_reports::openapi_paths(&mut paths);
    crate::api::final_accounts::openapi_paths(&mut paths);
    crate::api::ledger::openapi_paths(&mut paths);
    crate::api::payment::openapi_paths(&mut paths);
    crate::api::project::openapi_paths(&mut paths);
    crate::api::budget::openapi_paths(&mut paths);
    json!({
        "openapi": "3.1.0",
        "info": { "title": "Fiscus 预算管理一体化系统 API", "version": env!("CARGO_PKG_VERSION"),
                  "description": "金额字段为整数（分）。浏览器会话的写请求须带 X-CSRF-Token 头；机器客户端用 Authorization: Bearer 令牌。错误体：{\"error\":{\"code\",\"message\",\"field\",\"request_id\"}}。" },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }, { "session": [] }],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer" },
                "session": { "type": "apiKey", "in": "cookie", "name": crate::context::SESSION_COOKIE }
            },
            "responses": { "Error": { "description": "业务拒绝或错误", "content": { "application/json": { "schema": {
                "type": "object", "properties": { "error": { "type": "object", "properties": {
                    "code": { "type": "string" }, "message": { "type": "string" }, "field": { "type": ["string", "null"] }, "request_id": { "type": "string" } } } } } } } } }
        }
    })
}

/// The approval flow under `/api/v1/flow`.
fn flow_paths(paths: &mut Map<String, Value>, schemas: &mut Map<String, Value>) {
    let tags = json!(["审批流程"]);
    let ok = |description: &str| with_errors(json!({ "200": { "description": description } }));
    let body = |schema: &str| json!({ "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } });
    let doc_id = json!({ "name": "doc_id", "in": "path", "required": true, "schema": { "type": "string" }, "description": "单据编号" });
    let inbox_parameters = json!([
        { "name": "doc_type", "in": "query", "schema": { "type": "string" }, "description": "单据类型，如 unit_change" },
        { "name": "q", "in": "query", "schema": { "type": "string" }, "description": "按标题模糊查询" },
        { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 } },
        { "name": "page_size", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": fiscus_core::query::PAGE_SIZE_MAX } }
    ]);
    let actions: Vec<&str> = fiscus_core::flow::ActionKind::ALL
        .iter()
        .map(|kind| kind.code())
        .collect();
    schemas.insert("FlowDocumentCreate".into(), json!({
        "type": "object", "required": ["doc_type", "changes"], "description": "新建单据（目前为基础信息变更申请）",
        "properties": {
            "doc_type": { "type": "string", "enum": ["unit_change"] },
            "title": { "type": "string", "description": "可不填；标题由单位名称与变更字段生成" },
            "changes": { "type": "object", "description": "字段名 → 新值（单位信息中可修改的字段，至少一项）", "additionalProperties": true },
            "submit": { "type": "boolean", "description": "为 true 时保存后立即送审" }
        }
    }));
    schemas.insert("FlowDocumentUpdate".into(), json!({
        "type": "object", "required": ["changes"], "description": "修改草稿或被退回的单据（仅提交人）",
        "properties": { "changes": { "type": "object", "additionalProperties": true } }
    }));
    schemas.insert("FlowAction".into(), json!({
        "type": "object", "required": ["action"], "description": "对单据办理一项操作",
        "properties": {
            "action": { "type": "string", "enum": actions },
            "task_id": { "type": "integer", "description": "办理的任务编号（审核通过、退回、驳回、委派、转办、加签、催办必填）" },
            "opinion": { "type": "string", "description": "审批意见（退回、驳回必填）" },
            "to": { "type": "string", "description": "退回目标：submitter（提交人，默认）、previous（上一节点）或节点编码" },
            "user": { "type": "string", "description": "委派、转办、加签的对象用户名" },
            "users": { "type": "array", "items": { "type": "string" }, "description": "抄送对象用户名" },
            "position": { "type": "string", "enum": ["before", "after"], "description": "加签位置" }
        }
    }));
    schemas.insert("FlowBatch".into(), json!({
        "type": "object", "required": ["action", "items"], "description": "批量审核通过或退回：全部成功或全部不办理",
        "properties": {
            "action": { "type": "string", "enum": ["approve", "return"] },
            "items": { "type": "array", "items": { "type": "object", "required": ["doc_id", "task_id"],
                "properties": { "doc_id": { "type": "string" }, "task_id": { "type": "integer" } } } },
            "opinion": { "type": "string", "description": "审批意见（退回必填）" },
            "to": { "type": "string", "description": "退回目标，默认 submitter" }
        }
    }));
    paths.insert("/api/v1/flow/inbox".into(), json!({
        "get": { "summary": "待办：本人的未办任务", "tags": tags, "parameters": inbox_parameters,
                 "responses": ok("一页待办 {items, total, page, page_size}") }
    }));
    paths.insert(
        "/api/v1/flow/inbox/counts".into(),
        json!({
            "get": { "summary": "待办数量（按单据类型及合计）", "tags": tags,
                     "responses": ok("{by_doc_type: {单据类型: 数量}, total}") }
        }),
    );
    paths.insert("/api/v1/flow/done".into(), json!({
        "get": { "summary": "已办：本人办理过或提交的单据", "tags": tags, "parameters": inbox_parameters,
                 "responses": ok("一页已办 {items, total, page, page_size}") }
    }));
    paths.insert(
        "/api/v1/flow/notices".into(),
        json!({
            "get": { "summary": "未读通知（抄送、催办）", "tags": tags, "responses": ok("{items}") }
        }),
    );
    paths.insert(
        "/api/v1/flow/notices/read".into(),
        json!({
            "post": { "summary": "标记通知已读（本人的通知）", "tags": tags,
                      "requestBody": { "required": true, "content": { "application/json": { "schema": {
                          "type": "object", "description": "notice_ids 与 all 二选一",
                          "properties": {
                              "notice_ids": { "type": "array", "maxItems": fiscus_app::flow::NOTICE_IDS_MAX, "items": { "type": "integer" }, "description": "要标记的通知编号（他人的通知被忽略）" },
                              "all": { "type": "boolean", "description": "为 true 时标记本人全部未读通知" }
                          } } } } },
                      "responses": ok("{n_marked}") }
        }),
    );
    let mut mine_parameters = inbox_parameters.as_array().cloned().unwrap_or_default();
    mine_parameters.insert(0, json!({ "name": "status", "in": "query", "schema": { "type": "string",
        "enum": fiscus_store::flow::MY_DOCUMENT_STATUSES }, "description": "单据状态；不填为全部" }));
    paths.insert("/api/v1/flow/mine".into(), json!({
        "get": { "summary": "我的申请：本人提交的单据（含草稿），最新在前", "tags": tags, "parameters": mine_parameters,
                 "responses": ok("一页单据 {items, total, page, page_size, by_status: {状态: 数量}}") }
    }));
    paths.insert("/api/v1/flow/documents".into(), json!({
        "post": { "summary": "新建基础信息变更申请（可同时送审）", "tags": tags, "requestBody": body("FlowDocumentCreate"),
                  "responses": with_errors(json!({ "201": { "description": "已创建的单据（同单据详情）" } })) }
    }));
    paths.insert("/api/v1/flow/documents/{doc_id}".into(), json!({
        "get": { "summary": "单据详情：表头、内容、流程位置、任务、历史、可办理的操作", "tags": tags, "parameters": [doc_id],
                 "responses": ok("{document, flow, tasks, history, document_actions, task_actions}") },
        "patch": { "summary": "修改草稿或被退回的单据", "tags": tags, "parameters": [doc_id], "requestBody": body("FlowDocumentUpdate"),
                   "responses": ok("修改后的单据详情") }
    }));
    paths.insert("/api/v1/flow/documents/{doc_id}/history".into(), json!({
        "get": { "summary": "单据审批历史", "tags": tags, "parameters": [doc_id], "responses": ok("{items}") }
    }));
    paths.insert("/api/v1/flow/documents/{doc_id}/actions".into(), json!({
        "post": { "summary": "办理：送审、审核通过、退回、驳回、撤回、作废、委派、转办、加签、抄送、催办", "tags": tags,
                  "parameters": [doc_id], "requestBody": body("FlowAction"),
                  "responses": ok("{doc_id, status}；任务已被他人办理时 409 task_already_handled") }
    }));
    paths.insert("/api/v1/flow/batch".into(), json!({
        "post": { "summary": "批量审核通过或退回（全部成功或全部不办理）", "tags": tags, "requestBody": body("FlowBatch"),
                  "responses": ok("{n_done}；被拒绝时返回该拒绝的状态码与 {error, doc_id}，doc_id 为出错的单据") }
    }));
    paths.insert("/api/v1/flow/definitions".into(), json!({
        "get": { "summary": "流程定义列表（系统管理员）", "tags": tags, "responses": ok("{items}") },
        "post": { "summary": "发布流程定义新版本（系统管理员）", "tags": tags,
                  "description": "请求体为流程定义 JSON（格式见 data/flows/README.md），其中的 version 被忽略。定义有误时返回 422 flow_definition_invalid，消息逐条列出问题。",
                  "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object" } } } },
                  "responses": with_errors(json!({ "201": { "description": "{flow_code, version}" } })) }
    }));
    paths.insert("/api/v1/flow/definitions/{flow_code}/{version}".into(), json!({
        "get": { "summary": "某一版本的流程定义（系统管理员）", "tags": tags,
                 "parameters": [
                     { "name": "flow_code", "in": "path", "required": true, "schema": { "type": "string" } },
                     { "name": "version", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 1 } }
                 ],
                 "responses": ok("定义摘要与 definition") }
    }));
}
