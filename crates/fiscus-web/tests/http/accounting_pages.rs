//! The 会计核算 pages over HTTP, on both backends: a unit clerk's 凭证管理 list (filters,
//! search, sort, totals), a voucher's page with its 大写 total, 新增凭证 (a refusal keeps
//! what was typed), 审核 / 记账 / 红字冲销 by form posts (记账 of one's own voucher shows the
//! Chinese refusal), CSRF required, 总账, 明细账, 科目余额表 with its 平衡 banner, and 月末结账;
//! the navigation by role; another unit's clerk gets 404, the administrator 403.

use fiscus_app::RequestCtx;
use fiscus_app::accounting::{ManualLine, ManualVoucher};
use fiscus_core::Principal;
use fiscus_core::code::UserName;
use fiscus_store::testing::TestDb;
use reqwest::Method;

use crate::budget_pages::post_form;
use crate::helpers::{Api, Body, Reply, TestApp, spawn};
use crate::ledger::{CLERK, OTHER_CLERK, TREASURY};

fiscus_store::on_both_backends!(accounting_pages_for_a_unit_clerk);

pub const AUDITOR: &str = "div01_auditor";

/// The principal of a demo user, as the app sees it.
pub async fn principal(t: &TestApp, user_name: &str) -> Principal {
    let token = t
        .app
        .create_api_token(user_name, "accounting pages")
        .await
        .expect("token");
    t.app
        .token_principal(&token)
        .await
        .expect("principal")
        .expect("enabled user")
}

/// Another clerk of the same unit (vouchers are posted by someone other than their creator).
pub fn colleague(clerk: &Principal) -> Principal {
    Principal {
        user_name: UserName::parse("u660100101001_clerkb").expect("name"),
        display_name: "单位会计乙".into(),
        ..clerk.clone()
    }
}

/// A voucher of the unit's 预算会计: 行政支出 on the debit side, 财政拨款预算收入 credited.
pub fn manual(summary: &str, date: &str, yuan: &str) -> ManualVoucher {
    let line = |code: &str, debit: &str, credit: &str| ManualLine {
        account_code: code.into(),
        debit_yuan: debit.into(),
        credit_yuan: credit.into(),
        ..ManualLine::default()
    };
    ManualVoucher {
        book_type: "unit_budget".into(),
        voucher_date: date.into(),
        summary: summary.into(),
        lines: vec![line("710101", yuan, ""), line("6001", "", yuan)],
    }
}

/// Two vouchers entered by the colleague in March 2026 and a third left as a draft; the
/// first two reviewed and posted by the clerk. Returns (posted ids, draft id).
pub async fn seed(t: &TestApp) -> (Vec<String>, String) {
    let clerk = principal(t, CLERK).await;
    let other = colleague(&clerk);
    let ctx = RequestCtx::default();
    let mut posted = Vec::new();
    for (summary, date, yuan) in [
        ("购买办公用品", "2026-03-05", "1200.00"),
        ("支付差旅费", "2026-03-18", "860.50"),
    ] {
        let id = t
            .app
            .accounting_voucher_create(&other, &manual(summary, date, yuan), &ctx)
            .await
            .expect("create");
        t.app
            .accounting_voucher_review(&clerk, &id, &ctx)
            .await
            .expect("review");
        t.app
            .accounting_voucher_post(&clerk, &id, &ctx)
            .await
            .expect("post");
        posted.push(id);
    }
    let draft = t
        .app
        .accounting_voucher_create(&other, &manual("维修费", "2026-03-25", "300.00"), &ctx)
        .await
        .expect("create");
    (posted, draft)
}

/// Asserts a page came back with `status` and shows every one of `expected`.
pub fn shows(reply: &Reply, status: u16, expected: &[&str], context: &str) {
    let text = reply.text();
    assert_eq!(reply.status, status, "{context}: {text}");
    for needle in expected {
        assert!(text.contains(needle), "{context} shows {needle}: {text}");
    }
}

fn voucher_path(id: &str) -> String {
    format!(
        "/accounting/vouchers/{}",
        fiscus_web::context::percent_encode(id)
    )
}

async fn accounting_pages_for_a_unit_clerk(test_db: TestDb) {
    let t = spawn(test_db, true).await;
    let (posted, draft) = seed(&t).await;
    let clerk = t.demo_login(CLERK).await;

    // Navigation: the clerk sees the group; the administrator does not, and is refused.
    shows(
        &clerk.get("/").await,
        200,
        &[
            "会计核算",
            "/accounting/vouchers",
            "/accounting/trial-balance",
            "/accounting/periods",
        ],
        "clerk's navigation",
    );
    let admin = t.demo_login("admin").await;
    let home = admin.get("/").await;
    assert!(
        !home.text().contains("/accounting/vouchers"),
        "admin's navigation"
    );
    assert_eq!(admin.get("/accounting/vouchers").await.status, 403);

    // 凭证管理: filters, totals, search, sort.
    let list = "/accounting/vouchers?book_type=unit_budget&fiscal_year=2026&period=3";
    shows(
        &clerk.get(list).await,
        200,
        &[
            "凭证管理",
            "购买办公用品",
            "支付差旅费",
            "维修费",
            "合计（符合条件的 3 张凭证）",
            "2,360.50",
            "已记账",
            "未审核",
        ],
        "voucher list",
    );
    let searched = clerk.get(&format!("{list}&q=差旅")).await;
    shows(
        &searched,
        200,
        &["合计（符合条件的 1 张凭证）", "860.50"],
        "search",
    );
    assert!(!searched.text().contains("购买办公用品"), "search narrows");
    shows(
        &clerk.get(&format!("{list}&status=draft")).await,
        200,
        &["合计（符合条件的 1 张凭证）", "维修费"],
        "status filter",
    );
    let by_date_desc = clerk.get(&format!("{list}&sort=-date")).await.text();
    let (first, second) = (
        by_date_desc.find("维修费").expect("draft listed"),
        by_date_desc.find("购买办公用品").expect("posted listed"),
    );
    assert!(first < second, "newest first");
    shows(
        &clerk.get("/accounting/vouchers").await,
        200,
        &["单位财务会计", "单位预算会计"],
        "default list",
    );

    // A posted voucher's page: header, lines, 大写, print, 红字冲销.
    let first_path = voucher_path(&posted[0]);
    shows(
        &clerk.get(&first_path).await,
        200,
        &[
            "记账凭证",
            "已记账",
            "710101",
            "行政支出—财政拨款支出",
            "6001",
            "1,200.00",
            "人民币 壹仟贰佰元整",
            "打印",
            "红字冲销",
            "u660100101001_clerkb",
        ],
        "voucher page",
    );
    let other = t.demo_login(OTHER_CLERK).await;
    assert_eq!(
        other.get(&first_path).await.status,
        404,
        "another unit's voucher"
    );
    assert_eq!(
        other.get(&format!("{first_path}x")).await.status,
        404,
        "unknown voucher"
    );
    let auditor = t.demo_login(AUDITOR).await;
    shows(
        &auditor.get(&first_path).await,
        200,
        &["记账凭证"],
        "auditor reads",
    );
    assert!(
        !auditor
            .get(&first_path)
            .await
            .text()
            .contains("红字冲销</button>"),
        "auditor has no actions"
    );

    // CSRF: a form post without the token changes nothing.
    let draft_path = voucher_path(&draft);
    let no_token = Api {
        csrf: None,
        ..clerk.clone()
    };
    let forged = no_token
        .send(
            Method::POST,
            &format!("{draft_path}/review"),
            Body::Bytes(b"", "application/x-www-form-urlencoded"),
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.text());
    shows(
        &clerk.get(&draft_path).await,
        200,
        &["未审核"],
        "still a draft",
    );

    // 审核 and 记账 of the colleague's draft by form posts.
    shows(
        &post_form(&clerk, &format!("{draft_path}/review"), &[]).await,
        200,
        &["凭证已审核", "已审核"],
        "review",
    );
    shows(
        &post_form(&clerk, &format!("{draft_path}/post"), &[]).await,
        200,
        &["凭证已记账", "已记账"],
        "post",
    );

    // 新增凭证: the form, a refusal keeping what was typed, then a saved voucher.
    shows(
        &clerk
            .get("/accounting/vouchers/new?book_type=unit_budget")
            .await,
        200,
        &[
            "新增凭证",
            "710101 行政支出—财政拨款支出",
            "单位预算会计",
            "增加一行",
        ],
        "the form",
    );
    let before = t.count("accounting_voucher").await;
    let mut fields = vec![
        ("book_type", "unit_budget"),
        ("voucher_date", "2026-03-26"),
        ("summary", "购买打印纸"),
    ];
    fields.extend([
        ("account_code", "710101"),
        ("debit_yuan", "100.00"),
        ("credit_yuan", ""),
        ("exp_func_code", "2010101"),
        ("dep_bgt_eco_code", ""),
        ("account_code", "6001"),
        ("debit_yuan", ""),
        ("credit_yuan", "90.00"),
        ("exp_func_code", ""),
        ("dep_bgt_eco_code", ""),
        ("account_code", ""),
        ("debit_yuan", ""),
        ("credit_yuan", ""),
        ("exp_func_code", ""),
        ("dep_bgt_eco_code", ""),
    ]);
    shows(
        &post_form(&clerk, "/accounting/vouchers/new", &fields).await,
        422,
        &[
            "凭证借贷不平衡：借方合计 100.00 元，贷方合计 90.00 元",
            "购买打印纸",
            "value=\"90.00\"",
            "value=\"2010101\"",
            "2026-03-26",
        ],
        "unbalanced",
    );
    assert_eq!(
        t.count("accounting_voucher").await,
        before,
        "a refusal writes nothing"
    );
    fields[10] = ("credit_yuan", "100.00");
    let saved = post_form(&clerk, "/accounting/vouchers/new", &fields).await;
    shows(
        &saved,
        200,
        &["凭证已保存", "购买打印纸", "未审核", "2010101"],
        "saved",
    );
    assert_eq!(t.count("accounting_voucher").await, before + 1);
    let own = find_id(&saved.text());
    let own_path = voucher_path(&own);
    shows(
        &post_form(&clerk, &format!("{own_path}/review"), &[]).await,
        200,
        &["凭证已审核"],
        "own review",
    );
    shows(
        &post_form(&clerk, &format!("{own_path}/post"), &[]).await,
        403,
        &["记账人不能是凭证的制单人", "已审核"],
        "the creator may not post",
    );

    // 红字冲销 of a posted voucher: the red voucher's page, amounts negative.
    shows(
        &post_form(
            &clerk,
            &format!("{first_path}/reverse"),
            &[("voucher_date", "2026-03-28")],
        )
        .await,
        200,
        &[
            "红字冲销凭证",
            "-1,200.00",
            "红字冲销凭证已生成",
            "冲销凭证",
        ],
        "reverse",
    );
    shows(
        &clerk.get(&first_path).await,
        200,
        &["已冲销", "查看红字凭证"],
        "original marked",
    );

    // The books: 科目余额表 balances; 总账 and 明细账 of 710101.
    let book = "book_type=unit_budget&fiscal_year=2026";
    shows(
        &clerk
            .get(&format!("/accounting/trial-balance?{book}&period=3"))
            .await,
        200,
        &[
            "科目余额表",
            "试算平衡",
            "合计",
            "2,360.50",
            "710101",
            "6001",
        ],
        "trial balance",
    );
    shows(
        &clerk
            .get(&format!(
                "/accounting/ledger/general?{book}&account_code=710101"
            ))
            .await,
        200,
        &["总账", "本年累计", "2,360.50", "借"],
        "general ledger",
    );
    shows(
        &clerk
            .get(&format!(
                "/accounting/ledger/subsidiary?{book}&account_code=710101"
            ))
            .await,
        200,
        &["明细账", "年初余额", "购买办公用品", "2,060.50", "本年累计"],
        "subsidiary ledger",
    );

    // 月末结账: January closes; March has unposted vouchers and is refused with the reason.
    shows(
        &clerk.get(&format!("/accounting/periods?{book}")).await,
        200,
        &["月末结账", "未结账", "结账"],
        "periods",
    );
    let close = |period: &'static str| {
        vec![
            ("book_type", "unit_budget"),
            ("fiscal_year", "2026"),
            ("period", period),
        ]
    };
    shows(
        &post_form(&clerk, "/accounting/periods/close", &close("1")).await,
        200,
        &["已结账。"],
        "close January",
    );
    shows(
        &post_form(&clerk, "/accounting/periods/close", &close("2")).await,
        200,
        &["已结账。"],
        "close February",
    );
    shows(
        &post_form(&clerk, "/accounting/periods/close", &close("3")).await,
        422,
        &["未记账，不能结账"],
        "March has unposted vouchers",
    );

    // The treasury keeps the region's 财政总会计; an auditor names a unit's book.
    let treasury = t.demo_login(TREASURY).await;
    shows(
        &treasury.get("/accounting/trial-balance").await,
        200,
        &["财政总会计"],
        "treasury",
    );
    shows(
        &treasury.get("/accounting/vouchers/new").await,
        200,
        &["财政总会计"],
        "treasury's form",
    );
    shows(
        &auditor
            .get(&format!("/accounting/trial-balance?{book}"))
            .await,
        400,
        &["单位代码"],
        "a unit book needs its unit",
    );
    shows(
        &auditor
            .get(&format!(
                "/accounting/trial-balance?{book}&agency_code=660100101001"
            ))
            .await,
        200,
        &["试算平衡"],
        "auditor's trial balance",
    );
    assert_eq!(
        auditor.get("/accounting/vouchers/new").await.status,
        403,
        "auditor writes nothing"
    );

    // Paging: 20 rows a page.
    let other_clerk = colleague(&principal(&t, CLERK).await);
    for day in 10..30 {
        let date = format!("2026-04-{day}");
        t.app
            .accounting_voucher_create(
                &other_clerk,
                &manual("四月杂费", &date, "1.00"),
                &RequestCtx::default(),
            )
            .await
            .expect("create");
    }
    let april = "/accounting/vouchers?book_type=unit_budget&fiscal_year=2026&period=4";
    shows(
        &clerk.get(april).await,
        200,
        &["共 <strong>20</strong> 张", "第 1 / 1 页"],
        "one page",
    );
    t.app
        .accounting_voucher_create(
            &other_clerk,
            &manual("四月杂费", "2026-04-30", "1.00"),
            &RequestCtx::default(),
        )
        .await
        .expect("create");
    shows(
        &clerk.get(april).await,
        200,
        &["第 1 / 2 页", "rel=\"next\""],
        "two pages",
    );
    let second = clerk.get(&format!("{april}&page=2")).await;
    shows(
        &second,
        200,
        &[
            "第 2 / 2 页",
            "2026-04-30",
            "合计（符合条件的 21 张凭证）",
            "21.00",
        ],
        "page two",
    );
}

/// The voucher number on a voucher page.
fn find_id(page: &str) -> String {
    let start = page
        .find("/accounting/vouchers/acc.")
        .expect("voucher link")
        + "/accounting/vouchers/".len();
    page[start..]
        .split(['"', '/', '?'])
        .next()
        .expect("id")
        .to_owned()
}
