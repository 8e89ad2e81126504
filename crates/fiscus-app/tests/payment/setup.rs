//! Set-up of the payment tests: a funded indicator of the cast's unit, its approver, a good
//! draft, and the approval of an application.

#![allow(dead_code)]

use fiscus_app::App;
use fiscus_app::demo::{self, Scale};
use fiscus_core::flow::{Command, InstanceStatus};
use fiscus_core::ledger::BgtId;
use fiscus_core::payment::application::PaymentDraft;
use fiscus_core::{Principal, Role};

use crate::support::*;

pub struct World {
    pub app: App,
    pub cast: Cast,
    pub approver: Principal,
    pub bgt_id: BgtId,
}

/// 100,000.00 元 on an executable indicator of the cast's unit.
pub const FUNDED_FEN: i64 = 10_000_000;

pub async fn world(test_db: &fiscus_store::testing::TestDb) -> World {
    let app = demo_app(test_db).await;
    let cast = cast(&app).await;
    let data = demo::generate(Scale::Small);
    let approver_name = data
        .users
        .iter()
        .find(|user| {
            user.agency_code.as_deref() == Some(cast.agency_code.as_str())
                && user.roles == Role::UnitApprover.code()
        })
        .map(|user| user.user_name.clone())
        .expect("a unit approver");
    let approver = principal(&app, &approver_name).await;
    let bgt_id = enter(&app, &cast, unit_draft(&cast), FUNDED_FEN).await;
    World {
        app,
        cast,
        approver,
        bgt_id,
    }
}

pub fn draft(world: &World, yuan: &str) -> PaymentDraft {
    PaymentDraft {
        bgt_id: world.bgt_id.to_string(),
        payee_acct_name: "石河子市文具有限公司".into(),
        payee_acct_no: "6222000012345678".into(),
        payee_acct_bank_name: "中国工商银行石河子分行".into(),
        pay_app_amt: yuan.into(),
        use_des: "购买办公用品".into(),
        gov_bgt_eco_code: "50101".into(),
        dep_bgt_eco_code: "30101".into(),
        ..PaymentDraft::default()
    }
}

/// Approves at the unit node (the only node below 1,000,000 元).
pub async fn approve_unit(world: &World, pay_app_id: &str) -> InstanceStatus {
    let task_id = task_of(&world.app, &world.approver, pay_app_id).await;
    world
        .app
        .flow_act(
            &world.approver,
            pay_app_id,
            Command::Approve {
                task_id,
                opinion: "同意".into(),
            },
            &ctx(),
        )
        .await
        .expect("approved")
}

pub async fn available(world: &World) -> (i64, i64, i64) {
    let figures = figures(&world.app, &world.bgt_id).await;
    (
        figures.available_fen,
        figures.reserved_fen,
        figures.spent_fen,
    )
}
