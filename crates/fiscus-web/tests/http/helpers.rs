//! Helpers of the HTTP suite: a real server on `127.0.0.1:0` over a fresh database with the
//! small demo loaded, API clients acting as demo users (bearer token or browser session with
//! its CSRF token), and the assertions every rejection must satisfy.

use std::future::IntoFuture;
use std::net::SocketAddr;

use fiscus_app::demo::{self, DEMO_PASSWORD, Scale};
use fiscus_app::settings::Secret;
use fiscus_app::{App, Settings};
use fiscus_store::Db;
use fiscus_store::testing::TestDb;
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// The server under test. Keeps the test database alive as long as it runs.
pub struct TestApp {
    pub app: App,
    /// `http://127.0.0.1:<port>`
    pub base: String,
    _test_db: TestDb,
}

/// Starts the real router over `test_db` after loading the small demo. `demo_mode` false
/// makes seeded users change their password first.
pub async fn spawn(test_db: TestDb, demo_mode: bool) -> TestApp {
    let settings = Settings {
        secret_key: Secret::new("ab".repeat(32)),
        demo_mode,
        ..Default::default()
    };
    spawn_with(test_db, settings).await
}

/// `spawn` with the given settings (the payment browser test sets `[bank]` keys).
pub async fn spawn_with(test_db: TestDb, settings: Settings) -> TestApp {
    let app = App::new(test_db.db.clone(), settings).expect("app");
    demo::run(&app, Scale::Small).await.expect("demo loads");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let service =
        fiscus_web::router(app.clone()).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(axum::serve(listener, service).into_future());
    TestApp {
        app,
        base: format!("http://{address}"),
        _test_db: test_db,
    }
}

/// What a request got back.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    pub fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The items of a list reply.
    pub fn items(&self) -> Vec<Value> {
        self.json()["items"].as_array().cloned().unwrap_or_default()
    }
}

/// A request body.
pub enum Body<'a> {
    None,
    Json(&'a Value),
    /// Sent as is with `Content-Type: application/json`.
    Raw(&'a str),
    /// Bytes sent as is with the given content type (an uploaded file).
    Bytes(&'a [u8], &'a str),
}

/// An API client acting as one user (or nobody).
#[derive(Clone, Debug)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub bearer: Option<String>,
    /// The session's CSRF token, sent on unsafe requests when set.
    pub csrf: Option<String>,
}

impl Api {
    pub async fn send(&self, method: Method, path: &str, body: Body<'_>) -> Reply {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(token) = &self.bearer {
            request = request.bearer_auth(token);
        }
        if let (Some(csrf), false) = (&self.csrf, method == Method::GET) {
            request = request.header("x-csrf-token", csrf);
        }
        request = match body {
            Body::None => request,
            Body::Json(value) => request.json(value),
            Body::Raw(text) => request
                .header("content-type", "application/json")
                .body(text.to_owned()),
            Body::Bytes(bytes, content_type) => request
                .header("content-type", content_type)
                .body(bytes.to_vec()),
        };
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body").to_vec();
        assert!(
            status < 500,
            "{method} {path} → {status}: {}",
            String::from_utf8_lossy(&bytes)
        );
        Reply {
            status,
            headers,
            bytes,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, Body::None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::POST, path, Body::Json(body)).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::PATCH, path, Body::Json(body)).await
    }

    /// Every row of a list, page by page.
    pub async fn all_rows(&self, entity: &str, filters: &str) -> Vec<Value> {
        let mut rows = Vec::new();
        for page in 1.. {
            let reply = self
                .get(&format!(
                    "/api/v1/{entity}?page_size=200&page={page}{filters}"
                ))
                .await;
            assert_eq!(reply.status, 200, "{entity}: {}", reply.text());
            let items = reply.items();
            let total = reply.json()["total"].as_u64().unwrap_or_default() as usize;
            let done = items.is_empty();
            rows.extend(items);
            if done || rows.len() >= total {
                break;
            }
        }
        rows
    }
}

impl TestApp {
    fn client(&self, cookies: bool) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(cookies)
            .build()
            .expect("http client")
    }

    /// Nobody signed in.
    pub fn anonymous(&self) -> Api {
        Api {
            http: self.client(true),
            base: self.base.clone(),
            bearer: None,
            csrf: None,
        }
    }

    /// A machine client with an API token of `user_name`: no cookie, no CSRF token.
    pub async fn as_user(&self, user_name: &str) -> Api {
        let token = self
            .app
            .create_api_token(user_name, "http test")
            .await
            .expect("token");
        Api {
            http: self.client(false),
            base: self.base.clone(),
            bearer: Some(token),
            csrf: None,
        }
    }

    /// Signs in over the API like a browser; the reply on failure.
    pub async fn login(&self, user_name: &str, password: &str) -> Result<Api, Reply> {
        let api = self.anonymous();
        let reply = api
            .post(
                "/api/v1/session",
                &serde_json::json!({ "user_name": user_name, "password": password }),
            )
            .await;
        if reply.status != 200 {
            return Err(reply);
        }
        let csrf = reply.json()["csrf_token"].as_str().map(str::to_owned);
        assert!(
            csrf.as_ref().is_some_and(|token| token.len() >= 16),
            "a CSRF token comes with the session"
        );
        Ok(Api { csrf, ..api })
    }

    /// Signs in with the demo password.
    pub async fn demo_login(&self, user_name: &str) -> Api {
        match self.login(user_name, DEMO_PASSWORD).await {
            Ok(api) => api,
            Err(reply) => panic!("{user_name} cannot sign in: {}", reply.text()),
        }
    }

    /// Rows of a table, read directly from the database.
    pub async fn count(&self, table: &str) -> i64 {
        count_rows(&self.app.db, table).await
    }
}

pub async fn count_rows(db: &Db, table: &str) -> i64 {
    let mut tx = db.begin().await.expect("begin");
    fiscus_store::bulk::count_rows(&mut tx, table)
        .await
        .expect("count")
}

pub fn has_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// A rejection has the agreed status and code, a Chinese message and the request id that
/// is also in the `x-request-id` header.
pub fn assert_rejected(reply: &Reply, status: u16, code: &str, context: &str) {
    let body = reply.json();
    assert_eq!(
        (reply.status, reply.error_code().as_str()),
        (status, code),
        "{context}: {}",
        reply.text()
    );
    let error = &body["error"];
    let message = error["message"].as_str().unwrap_or_default();
    assert!(has_chinese(message), "{context}: message {message:?}");
    let request_id = error["request_id"].as_str().unwrap_or_default();
    assert!(!request_id.is_empty(), "{context}: request id");
    assert_eq!(
        request_id,
        reply.header("x-request-id"),
        "{context}: request id in body and header"
    );
}

/// A key as a path segment.
pub fn segment(key: &str) -> String {
    fiscus_web::context::percent_encode(key)
}

/// A record's field as text (strings as is, numbers and flags printed, null empty).
pub fn text_of(value: &Value, name: &str) -> String {
    match &value[name] {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A valid new record of one kind and one edit of it, for round trips and bad-input tables.
pub struct Sample {
    pub entity: &'static str,
    pub create: Value,
    pub edit_field: &'static str,
    pub edit_value: Value,
    /// How the history shows the edited field before and after.
    pub shown_before: &'static str,
    pub shown_after: &'static str,
}

/// A valid USCC of a unit in the first division.
pub fn valid_uscc() -> String {
    fiscus_core::UnifiedSocialCreditCode::with_check_char("12660100MB0000001")
        .expect("valid body")
        .into_string()
}

/// One sample per writable kind, in `schema::ALL` order.
pub fn samples() -> Vec<Sample> {
    use serde_json::json;
    let sample = |entity, create, edit_field, edit_value, shown_before, shown_after| Sample {
        entity,
        create,
        edit_field,
        edit_value,
        shown_before,
        shown_after,
    };
    vec![
        sample(
            "regions",
            json!({ "mof_div_code": "660117000", "mof_div_name": "第一师十七团", "parent_mof_div_code": "660100000", "remark": "新设团场" }),
            "mof_div_name",
            json!("第一师十七团（改）"),
            "第一师十七团",
            "第一师十七团（改）",
        ),
        sample(
            "agencies",
            json!({ "agency_code": "660100990", "agency_name": "第一师测试中心", "mof_div_code": "660100000", "parent_agency_code": "660100101",
                    "agency_type": "3", "fund_guar": "1", "unifsoc_cred_code": valid_uscc(), "zip": "843300", "admin_staf_num": 0, "inst_staf_num": 12 }),
            "agency_name",
            json!("第一师测试服务中心"),
            "第一师测试中心",
            "第一师测试服务中心",
        ),
        sample(
            "accounts",
            json!({ "agency_code": "660100101", "acc_type_code": "95", "account_no": "6217 0000 1234 5678", "account_name": "第一师教育局",
                    "bank_name": "中国农业银行阿拉尔支行", "bank_code": "103881000015" }),
            "bank_name",
            json!("中国建设银行阿拉尔支行"),
            "中国农业银行阿拉尔支行",
            "中国建设银行阿拉尔支行",
        ),
        sample(
            "persons",
            json!({ "agency_code": "660100101", "per_name": "张三", "iden_type_code": "01", "iden_no": "11010519491231002X", "sex_code": "1",
                    "per_ide_code": "1", "per_sta_code": "1", "is_auth": true, "pos_sala": 325_050 }),
            "pos_sala",
            json!("4000"),
            "3,250.50",
            "4,000.00",
        ),
        sample(
            "codes",
            json!({ "element_code": "exp_func", "fiscal_year": 2026, "code": "201010101", "name": "地方人大行政运行", "parent_code": "2010101" }),
            "name",
            json!("地方人大机关运行"),
            "地方人大行政运行",
            "地方人大机关运行",
        ),
        sample(
            "code-mappings",
            json!({ "element_code": "exp_func", "from_year": 2026, "from_code": "2010101", "to_year": 2027, "to_code": "2010102", "remark": "测试对照" }),
            "to_code",
            json!("2010103"),
            "2010102",
            "2010103",
        ),
        sample(
            "standards",
            json!({ "mof_div_code": "660100000", "fiscal_year": 2026, "std_code": "GY901", "std_name": "测试公用经费标准", "std_type_code": "2",
                    "dep_bgt_eco_code": "30201", "agency_type": "1", "amount_fen": "3000" }),
            "amount_fen",
            json!(350_000),
            "3,000.00",
            "3,500.00",
        ),
        sample(
            "users",
            json!({ "user_name": "test_budget", "display_name": "测试用户", "mof_div_code": "660100000", "roles": "budget_division",
                    "phone": "13800000000", "password": "Passw0rd2026" }),
            "display_name",
            json!("测试用户（改）"),
            "测试用户",
            "测试用户（改）",
        ),
    ]
}

/// The key of a record as the API returns it.
pub fn key_of(entity: &str, record: &Value) -> String {
    let spec = fiscus_core::schema::EntitySpec::by_name(entity).expect("known entity");
    text_of(record, spec.key)
}
