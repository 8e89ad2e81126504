//! Shared set-up of the ledger tests: the small demo, the users around one unit, an
//! indicator draft for that unit with real 2026 codes, and small helpers.

#![allow(dead_code)]

use fiscus_app::demo::{self, Scale};
use fiscus_app::ledger::Reserve;
use fiscus_app::settings::Secret;
use fiscus_app::{App, AppError, RequestCtx, Settings};
use fiscus_core::flow::{Command, InstanceStatus, TaskId};
use fiscus_core::ledger::control::PaymentElements;
use fiscus_core::ledger::{BgtId, IndicatorDraft};
use fiscus_core::{Principal, Role};
use fiscus_store::testing::TestDb;

pub struct Cast {
    pub agency_code: String,
    pub mof_div_code: String,
    pub clerk: Principal,
    pub treasury: Principal,
    pub business: Principal,
    pub budget: Principal,
    pub outsider: Principal,
    pub admin: Principal,
}

pub fn ctx() -> RequestCtx {
    RequestCtx::default()
}

pub async fn demo_app(test_db: &TestDb) -> App {
    let settings = Settings {
        secret_key: Secret::new("ab".repeat(32)),
        demo_mode: true,
        ..Default::default()
    };
    let app = App::new(test_db.db.clone(), settings).expect("app");
    demo::run(&app, Scale::Small).await.expect("demo loads");
    app
}

pub async fn principal(app: &App, user_name: &str) -> Principal {
    let user = fiscus_store::auth::user_by_name(&app.db, user_name)
        .await
        .expect("read")
        .expect("demo user exists");
    fiscus_app::auth::principal_of(&user).expect("principal")
}

pub async fn cast(app: &App) -> Cast {
    let data = demo::generate(Scale::Small);
    let unit = data
        .units
        .iter()
        .find(|unit| unit.depth == 2)
        .expect("a unit under a department");
    let user_of = |agency: Option<&str>, region: &str, role: Role| {
        data.users
            .iter()
            .find(|user| {
                user.agency_code.as_deref() == agency
                    && user.mof_div_code == region
                    && user.roles == role.code()
            })
            .map(|user| user.user_name.clone())
            .expect("demo user")
    };
    let outsider = data
        .units
        .iter()
        .find(|other| other.depth == 2 && other.mof_div_code != unit.mof_div_code)
        .expect("a unit elsewhere");
    let region = unit.mof_div_code.as_str();
    Cast {
        agency_code: unit.agency_code.clone(),
        mof_div_code: unit.mof_div_code.clone(),
        clerk: principal(
            app,
            &user_of(Some(&unit.agency_code), region, Role::UnitClerk),
        )
        .await,
        treasury: principal(app, &user_of(None, region, Role::TreasuryDivision)).await,
        business: principal(app, &user_of(None, region, Role::BusinessDivision)).await,
        budget: principal(app, &user_of(None, region, Role::BudgetDivision)).await,
        outsider: principal(
            app,
            &user_of(
                Some(&outsider.agency_code),
                &outsider.mof_div_code,
                Role::UnitClerk,
            ),
        )
        .await,
        admin: principal(app, "admin").await,
    }
}

/// An executable indicator of the cast's unit, with codes from the 2026 tables.
pub fn unit_draft(cast: &Cast) -> IndicatorDraft {
    IndicatorDraft {
        mof_div_code: cast.mof_div_code.clone(),
        fiscal_year: "2026".into(),
        agency_code: cast.agency_code.clone(),
        pro_code: String::new(),
        exp_func_code: "2010101".into(),
        gov_bgt_eco_code: "501".into(),
        dep_bgt_eco_code: "301".into(),
        fund_type_code: "111".into(),
        bgt_type_code: "12".into(),
        pay_type_code: "1".into(),
        source_type_code: "1".into(),
        cor_bgt_doc_no: "师财预〔2026〕1号".into(),
        bgt_doc_title: "2026年年初预算指标".into(),
        doc_date: "2026-01-10".into(),
        ..IndicatorDraft::default()
    }
}

/// A 待分 pool of the cast's region.
pub fn pool_draft(cast: &Cast) -> IndicatorDraft {
    IndicatorDraft {
        agency_code: String::new(),
        exp_func_code: String::new(),
        gov_bgt_eco_code: String::new(),
        dep_bgt_eco_code: String::new(),
        bgt_type_code: "13".into(),
        bgt_exe_flag: "2".into(),
        pool_level: "total".into(),
        bgt_doc_title: "2026年总待分指标".into(),
        ..unit_draft(cast)
    }
}

/// Payment elements that fit `unit_draft` (economic classes refined one level).
pub fn payment_elements(cast: &Cast) -> PaymentElements {
    PaymentElements {
        agency_code: cast.agency_code.clone(),
        pro_code: String::new(),
        exp_func_code: "2010101".into(),
        gov_bgt_eco_code: "50101".into(),
        dep_bgt_eco_code: "30101".into(),
        fund_type_code: "111".into(),
    }
}

pub fn code<T: std::fmt::Debug>(result: &Result<T, AppError>) -> String {
    match result {
        Ok(_) => "ok".into(),
        Err(AppError::Rejected(rejection)) => rejection.code(),
        Err(other) => format!("internal: {other}"),
    }
}

pub async fn task_of(app: &App, who: &Principal, doc_id: &str) -> TaskId {
    let view = app.flow_document(who, doc_id).await.expect("visible");
    TaskId(view.task_actions.first().expect("an open task").0)
}

pub async fn approve(app: &App, who: &Principal, doc_id: &str) -> Result<InstanceStatus, AppError> {
    let task_id = task_of(app, who, doc_id).await;
    let command = Command::Approve {
        task_id,
        opinion: "同意".into(),
    };
    app.flow_act(who, doc_id, command, &ctx()).await
}

/// Drafts, submits and approves an operation through its whole flow; returns the document.
pub async fn run_operation(
    app: &App,
    cast: &Cast,
    operation: &fiscus_core::ledger::Operation,
) -> Result<String, AppError> {
    let doc_id = app
        .create_indicator_op(&cast.treasury, operation, true, &ctx())
        .await?;
    while approve_next(app, cast, &doc_id).await? == InstanceStatus::InProgress {}
    Ok(doc_id)
}

async fn approve_next(app: &App, cast: &Cast, doc_id: &str) -> Result<InstanceStatus, AppError> {
    for who in [&cast.business, &cast.budget] {
        let view = app.flow_document(who, doc_id).await?;
        if let Some((task_id, _)) = view.task_actions.first() {
            let command = Command::Approve {
                task_id: TaskId(*task_id),
                opinion: "同意".into(),
            };
            return app.flow_act(who, doc_id, command, &ctx()).await;
        }
    }
    panic!("nobody holds {doc_id}");
}

/// The indicators an approved document created.
pub async fn indicators_of_doc(app: &App, doc_id: &str) -> Vec<BgtId> {
    fiscus_store::ledger::query::indicators_of_document(&app.db, doc_id)
        .await
        .expect("read")
}

/// The figures of one indicator, read unscoped.
pub async fn figures(app: &App, bgt_id: &BgtId) -> fiscus_core::ledger::Figures {
    app.visible_indicator(fiscus_store::records::Viewer::System, bgt_id)
        .await
        .expect("indicator exists")
        .figures
}

/// Every account's totals: what a refused request must leave exactly as it was.
pub async fn all_balances(
    app: &App,
) -> std::collections::BTreeMap<String, fiscus_core::ledger::Balances> {
    fiscus_store::ledger::all_balances(&app.db)
        .await
        .expect("balances")
}

/// Runs `operation` through its whole flow and returns the one indicator it created.
pub async fn create_one(
    app: &App,
    cast: &Cast,
    operation: &fiscus_core::ledger::Operation,
) -> BgtId {
    let doc_id = run_operation(app, cast, operation)
        .await
        .expect("operation approved");
    let mut created = indicators_of_doc(app, &doc_id).await;
    assert_eq!(created.len(), 1, "{operation:?}");
    created.pop().expect("one indicator")
}

/// 录入 of `draft` with `amount_fen`, through the flow.
pub async fn enter(app: &App, cast: &Cast, draft: IndicatorDraft, amount_fen: i64) -> BgtId {
    let operation = fiscus_core::ledger::Operation::Enter {
        indicator: draft,
        amount: fiscus_core::Fen(amount_fen),
    };
    create_one(app, cast, &operation).await
}

/// A reservation of `amount_fen` on `bgt_id` with elements that fit `unit_draft`.
pub fn reserve(cast: &Cast, key: &str, bgt_id: &BgtId, amount_fen: i64) -> Reserve {
    Reserve {
        transfer_id: fiscus_core::ledger::TransferId::parse(key).expect("transfer id"),
        bgt_id: bgt_id.clone(),
        amount: fiscus_core::Fen(amount_fen),
        elements: payment_elements(cast),
        doc_id: None,
    }
}

pub fn tid(key: &str) -> fiscus_core::ledger::TransferId {
    fiscus_core::ledger::TransferId::parse(key).expect("transfer id")
}

/// The posted balances of every account sum to zero, and pending debits equal pending
/// credits (the pair assertion of the ledger).
pub async fn assert_ledger_nets_to_zero(app: &App) {
    let balances = all_balances(app).await;
    let posted: i128 = balances.values().map(|b| i128::from(b.posted())).sum();
    let pending: i128 = balances
        .values()
        .map(|b| i128::from(b.credits_pending) - i128::from(b.debits_pending))
        .sum();
    assert_eq!((posted, pending), (0, 0));
}
