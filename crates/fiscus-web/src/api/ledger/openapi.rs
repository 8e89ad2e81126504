//! The OpenAPI description of the ledger endpoints (merged into `/api/openapi.json`).

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

fn body(properties: Value, required: &[&str]) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": {
        "type": "object", "additionalProperties": false, "properties": properties, "required": required } } } })
}

/// Adds the indicator and ledger paths.
pub fn openapi_paths(paths: &mut Map<String, Value>) {
    let tags = json!(["指标管理"]);
    let ok = |description: &str| errors(json!({ "200": { "description": description } }));
    let created = |description: &str| {
        errors(
            json!({ "201": { "description": description }, "200": { "description": "同一请求的重复提交：返回第一次的结果" } }),
        )
    };
    let text = |description: &str| json!({ "type": "string", "description": description });
    let fen = |description: &str| json!({ "type": "integer", "format": "int64", "description": description });
    let mut filters: Vec<Value> = fiscus_app::ledger::query::FILTER_PARAMS
        .iter()
        .map(|(name, label)| json!({ "name": name, "in": "query", "schema": { "type": "string" }, "description": label }))
        .collect();
    let sorts: Vec<&str> = fiscus_store::ledger::query::INDICATOR_SORTS
        .iter()
        .map(|(n, _)| *n)
        .collect();
    filters.push(
        json!({ "name": "sort", "in": "query", "schema": { "type": "string", "enum": sorts } }),
    );
    filters.push(json!({ "name": "dir", "in": "query", "schema": { "type": "string", "enum": ["asc", "desc"] } }));
    let mut paged = filters.clone();
    paged.push(
        json!({ "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 } }),
    );
    paged.push(json!({ "name": "page_size", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": fiscus_core::query::PAGE_SIZE_MAX } }));
    let mut summary = filters.clone();
    summary.push(json!({ "name": "by", "in": "query", "schema": { "type": "string", "enum": ["region", "agency", "func", "fund"] } }));
    summary.push(json!({ "name": "level", "in": "query", "schema": { "type": "string", "enum": ["3", "5", "7"] }, "description": "功能分类汇总级次：类/款/项" }));
    let bgt_id =
        json!({ "name": "bgt_id", "in": "path", "required": true, "schema": { "type": "string" } });
    let pending_id = json!({ "name": "pending_id", "in": "path", "required": true, "schema": { "type": "string" }, "description": "预占时的 transfer_id" });
    let xlsx = errors(
        json!({ "200": { "description": "Excel 文件", "content": { "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {} } } }),
    );
    let entries: Vec<(&str, Value)> = vec![
        (
            "/api/v1/indicators",
            json!({ "get": { "summary": "指标查询：按要素筛选、排序、分页，含全部符合条件指标的合计", "tags": tags, "parameters": paged,
            "responses": ok("{items, total, totals: {count, total_fen, frozen_fen, reserved_fen, spent_fen, written_off_fen, available_fen}, page, page_size}") } }),
        ),
        (
            "/api/v1/indicators/export",
            json!({ "get": { "summary": "按查询条件导出指标（含合计行）", "tags": tags, "parameters": filters, "responses": xlsx } }),
        ),
        (
            "/api/v1/indicators/summary",
            json!({ "get": { "summary": "指标汇总：按区划、单位、功能分类（类/款/项）或资金性质", "tags": tags, "parameters": summary,
            "responses": ok("{by, label, rows: [{key, count, total_fen, …}], totals}") } }),
        ),
        (
            "/api/v1/indicators/summary/export",
            json!({ "get": { "summary": "导出指标汇总", "tags": tags, "parameters": summary, "responses": xlsx } }),
        ),
        (
            "/api/v1/indicators/{bgt_id}",
            json!({ "get": { "summary": "指标详情：要素、金额、来源指标、分解出的指标、相关单据", "tags": tags, "parameters": [bgt_id],
            "responses": ok("{indicator, parent, children, documents}") } }),
        ),
        (
            "/api/v1/indicators/{bgt_id}/entries",
            json!({ "get": { "summary": "指标账页：按记账顺序的发生额与余额", "tags": tags,
            "parameters": [bgt_id, { "name": "page", "in": "query", "schema": { "type": "integer" } }, { "name": "page_size", "in": "query", "schema": { "type": "integer" } }],
            "responses": ok("{items: [{seq, created_at, reason, reason_label, doc_id, counter, available_change_fen, …, available_fen, frozen_fen, reserved_fen, spent_fen}], total, page, page_size}") } }),
        ),
        (
            "/api/v1/indicator-ops",
            json!({ "post": { "summary": "新建指标业务单据（录入、分解、追加、追减、调剂、冻结、解冻、核销、年终结转），可同时送审", "tags": tags,
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["op"], "properties": {
                "op": { "type": "string", "enum": ["enter", "split", "supplement", "cut", "reallocate", "freeze", "unfreeze", "write_off", "year_end"] },
                "submit": { "type": "boolean" } }, "description": "金额字段为整数（分），如 {\"op\":\"supplement\",\"to\":\"…\",\"from\":null,\"amount\":100000,\"submit\":true}" } } } },
            "responses": errors(json!({ "201": { "description": "{doc_id, submitted, op}" } })) } }),
        ),
        (
            "/api/v1/indicator-ops/year-end",
            json!({ "get": { "summary": "年终结转预览：按规则生成的结转单据内容", "tags": tags,
            "parameters": [{ "name": "mof_div_code", "in": "query", "schema": { "type": "string" } }, { "name": "fiscal_year", "in": "query", "schema": { "type": "integer" } },
                { "name": "rule", "in": "query", "schema": { "type": "string", "enum": ["all", "projects_only", "nothing"] } }],
            "responses": ok("{operation, amount_fen}") } }),
        ),
        (
            "/api/v1/ledger/reservations",
            json!({ "post": { "summary": "预占：支付申请占用指标可用余额（按 transfer_id 幂等）", "tags": tags,
            "requestBody": body(json!({ "transfer_id": text("幂等键"), "bgt_id": text("指标编号"), "amount_fen": fen("金额（分）"),
                "elements": { "type": "object", "description": "支付要素 agency_code, pro_code, exp_func_code, gov_bgt_eco_code, dep_bgt_eco_code, fund_type_code" },
                "doc_id": text("支付单据编号（可选）") }), &["transfer_id", "bgt_id", "amount_fen"]),
            "responses": created("{transfer_id, seq, repeat, warned}") } }),
        ),
        (
            "/api/v1/ledger/reservations/{pending_id}/post",
            json!({ "post": { "summary": "过账：预占转为已支出（可部分过账，其余释放）", "tags": tags, "parameters": [pending_id.clone()],
            "requestBody": body(json!({ "transfer_id": text("幂等键"), "amount_fen": fen("过账金额（分），不填为全额") }), &["transfer_id"]),
            "responses": created("{transfer_id, seq, repeat, warned}") } }),
        ),
        (
            "/api/v1/ledger/reservations/{pending_id}/void",
            json!({ "post": { "summary": "撤销预占：全额释放回可用余额", "tags": tags, "parameters": [pending_id],
            "requestBody": body(json!({ "transfer_id": text("幂等键") }), &["transfer_id"]),
            "responses": created("{transfer_id, seq, repeat, warned}") } }),
        ),
        (
            "/api/v1/ledger/refunds",
            json!({ "post": { "summary": "退款：已支出退回指标（当年）", "tags": tags,
            "requestBody": body(json!({ "transfer_id": text("幂等键"), "bgt_id": text("指标编号"), "amount_fen": fen("金额（分）"), "doc_id": text("单据编号（可选）") }), &["transfer_id", "bgt_id", "amount_fen"]),
            "responses": created("{transfer_id, seq, repeat, warned}") } }),
        ),
        (
            "/api/v1/ledger/year-end",
            json!({
            "get": { "summary": "年终结转记录：本辖区各区划的结转结余情况", "tags": tags,
                "parameters": [{ "name": "year", "in": "query", "schema": { "type": "integer" }, "description": "预算年度（可选）" }],
                "responses": ok("{items: [{mof_div_code, mof_div_name, fiscal_year, carry_rule, n_closed, n_carried, carried_fen, lapsed_fen, released_fen, n_transfers, batch_id, started_at, finished_at, closed_by}], total}") },
            "post": { "summary": "年终结转结余：本区划本年度执行中的指标解冻后按规则结转到下年度、其余结余收回总待分指标，该年度从此只读（本级预算处室）", "tags": tags,
                "requestBody": body(json!({ "mof_div_code": text("财政区划代码"), "fiscal_year": { "type": "integer", "description": "预算年度" },
                    "rule": text("projects（项目结转，默认）| all（全部结转）| nothing（全部结余收回）") }), &["mof_div_code", "fiscal_year"]),
                "responses": errors(json!({ "201": { "description": "{mof_div_code, fiscal_year, carry_rule, batch_id, totals: {n_closed, n_carried, carried_fen, lapsed_fen, released_fen, n_transfers}, elapsed_millis}" } })) } }),
        ),
        (
            "/api/v1/ledger/year-end/preview",
            json!({ "get": { "summary": "年终结转预览：执行中的指标数、拟结转与结余金额、在途支付", "tags": tags,
            "parameters": [{ "name": "mof_div_code", "in": "query", "schema": { "type": "string" }, "description": "默认本人所在区划" },
                { "name": "year", "in": "query", "required": true, "schema": { "type": "integer" } },
                { "name": "rule", "in": "query", "schema": { "type": "string", "enum": ["projects", "all", "nothing"] } }],
            "responses": ok("{mof_div_code, fiscal_year, n_open, n_pools, has_total_pool, carry_fen, lapse_fen, frozen_fen, n_blocking, blocking_fen, closed}") } }),
        ),
        (
            "/api/v1/ledger/controls",
            json!({
            "get": { "summary": "控制级次", "tags": tags, "responses": ok("{items, eco_refinement, control_points, default_level}") },
            "put": { "summary": "设置控制级次（预算处室）", "tags": tags,
                "requestBody": body(json!({ "bgt_type_code": text("指标类型，* 为全部"), "control_point": text("allocate | freeze | reserve | write_off | element_match | eco_refinement"),
                    "ctrl_level": text("strict | warn | none（eco_refinement 为 exact | prefix）") }), &["bgt_type_code", "control_point", "ctrl_level"]),
                "responses": ok("设置后的控制级次") } }),
        ),
    ];
    for (path, item) in entries {
        paths.insert(path.to_owned(), item);
    }
}
