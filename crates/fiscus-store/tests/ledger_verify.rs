//! The ledger checks of `fiscus verify`, on SQLite and PostgreSQL: a ledger written by real
//! transfers (entry, split, reservations posted in part and voided, a freeze, a warned
//! overdraft) and the generated benchmark ledger both pass; then each kind of damage, done
//! directly in SQL, is reported under its own check, and undoing it makes the ledger clean.

// Tests fail loudly: `expect` is the assertion here.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use fiscus_core::Fen;
use fiscus_core::code::{FiscalYear, MofDivCode};
use fiscus_core::ledger::{
    AccountId, AccountKind, BgtId, CtrlLevel, ExeFlag, IndicatorElements, Reason, TransferId,
    TransferKind, TransferSpec,
};
use fiscus_store::ledger::verify::bench::{BulkLedger, ensure_region, insert_bulk_ledger};
use fiscus_store::ledger::verify::{Check, LedgerReport, verify_ledger};
use fiscus_store::ledger::{BatchMeta, NewIndicator, apply_transfers, insert_indicators};
use fiscus_store::testing::TestDb;
use fiscus_store::{Db, on_tx};

fiscus_store::on_both_backends!(
    clean_ledger_passes_and_each_damage_is_reported,
    generated_ledger_passes,
);

const NOW: &str = "2026-03-01T08:00:00Z";
const REGION_CODE: &str = "660100000";

fn elements(ori_bgt_id: Option<&BgtId>) -> IndicatorElements {
    IndicatorElements {
        mof_div_code: MofDivCode::parse(REGION_CODE).unwrap(),
        fiscal_year: FiscalYear(2026),
        agency_code: None,
        pro_code: String::new(),
        exp_func_code: String::new(),
        gov_bgt_eco_code: String::new(),
        dep_bgt_eco_code: String::new(),
        fund_type_code: String::new(),
        bgt_type_code: "12".into(),
        pay_type_code: String::new(),
        source_type_code: "1".into(),
        cor_bgt_doc_no: String::new(),
        bgt_doc_title: String::new(),
        doc_date: String::new(),
        bgt_dec: String::new(),
        sup_bgt_doc_no: String::new(),
        ori_bgt_id: ori_bgt_id.cloned(),
        bgt_exe_flag: ExeFlag::Executable,
        pool_level: None,
        is_direct: false,
        is_three_safe: false,
        is_three_public: false,
        is_gov_pur: false,
        is_contrlbyplan: false,
        is_not_control_pay: false,
    }
}

fn id(text: &str) -> TransferId {
    TransferId::parse(text).unwrap()
}

fn account(bgt_id: &BgtId, kind: AccountKind) -> AccountId {
    AccountId::of(bgt_id, kind)
}

fn transfer(
    transfer_id: &str,
    debit: AccountId,
    credit: AccountId,
    amount: i64,
    reason: Reason,
    ctrl: CtrlLevel,
) -> TransferSpec {
    TransferSpec::posted(id(transfer_id), debit, credit, Fen(amount), reason, ctrl)
}

fn resolve(
    transfer_id: &str,
    pending: &TransferSpec,
    kind: TransferKind,
    amount: i64,
) -> TransferSpec {
    TransferSpec {
        kind,
        pending_id: Some(pending.transfer_id.clone()),
        amount: Fen(amount),
        transfer_id: id(transfer_id),
        ..pending.clone()
    }
}

async fn apply(db: &Db, batch_id: &str, specs: &[TransferSpec]) {
    let mut tx = db.begin().await.unwrap();
    let meta = BatchMeta {
        batch_id,
        doc_id: None,
        actor: "test",
        at: NOW,
    };
    apply_transfers(&mut tx, specs, meta).await.expect(batch_id);
    tx.commit().await.unwrap();
}

/// Parent `P` (1,000 from the source) split into child `C` (300); `C` reserves 100 and
/// posts 60 of it, reserves 50 and voids it; `P` freezes 100; `W` gets 10 and a warned
/// reservation of 50 takes its `.a` below zero, which is allowed.
async fn real_ledger(db: &Db) {
    let [parent, child, warned] = ["P", "C", "W"].map(|text| BgtId::parse(text).unwrap());
    let mut tx = db.begin().await.unwrap();
    ensure_region(&mut tx, REGION_CODE, NOW).await.unwrap();
    let plain = elements(None);
    let split_off = elements(Some(&parent));
    let new = |bgt_id, elements, amount| NewIndicator {
        bgt_id,
        elements,
        orig_amount: Fen(amount),
        doc_id: None,
        at: NOW,
    };
    insert_indicators(
        &mut tx,
        &[
            new(&parent, &plain, 1_000),
            new(&child, &split_off, 300),
            new(&warned, &plain, 10),
        ],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let source = AccountId::source(&plain.mof_div_code, plain.fiscal_year);
    let avail = |bgt_id| account(bgt_id, AccountKind::Avail);
    let spent = |bgt_id| account(bgt_id, AccountKind::Spent);
    apply(
        db,
        "enter",
        &[
            transfer(
                "enter.1",
                source.clone(),
                avail(&parent),
                1_000,
                Reason::Enter,
                CtrlLevel::None,
            ),
            transfer(
                "enter.2",
                source,
                avail(&warned),
                10,
                Reason::Enter,
                CtrlLevel::None,
            ),
        ],
    )
    .await;
    let split = transfer(
        "split.1",
        avail(&parent),
        avail(&child),
        300,
        Reason::Split,
        CtrlLevel::Strict,
    );
    apply(db, "split", &[split]).await;
    let pending = |key, bgt_id, amount, ctrl| TransferSpec {
        kind: TransferKind::Pending,
        ..transfer(
            key,
            avail(bgt_id),
            spent(bgt_id),
            amount,
            Reason::Payment,
            ctrl,
        )
    };
    let r1 = pending("r1", &child, 100, CtrlLevel::Strict);
    let r2 = pending("r2", &child, 50, CtrlLevel::Strict);
    apply(db, "r1", std::slice::from_ref(&r1)).await;
    apply(db, "r2", std::slice::from_ref(&r2)).await;
    apply(
        db,
        "p1",
        &[resolve("p1", &r1, TransferKind::PostPending, 60)],
    )
    .await;
    apply(
        db,
        "v2",
        &[resolve("v2", &r2, TransferKind::VoidPending, 0)],
    )
    .await;
    let freeze = transfer(
        "f1",
        avail(&parent),
        account(&parent, AccountKind::Frozen),
        100,
        Reason::Freeze,
        CtrlLevel::Strict,
    );
    apply(db, "f1", &[freeze]).await;
    apply(db, "rw", &[pending("rw", &warned, 50, CtrlLevel::Warn)]).await;
}

/// Runs statements in one write transaction (the damage, or its undoing).
async fn sql(db: &Db, statements: &[&str]) {
    let mut tx = db.begin().await.unwrap();
    for statement in statements {
        on_tx!(&mut tx, conn => {
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_string()))
                .execute(&mut *conn)
                .await
                .expect(statement);
        });
    }
    tx.commit().await.unwrap();
}

fn has(report: &LedgerReport, check: Check, subject: &str) -> bool {
    report
        .violations
        .iter()
        .any(|violation| violation.check == check && violation.subject == subject)
}

async fn assert_clean(db: &Db, after: &str) {
    let report = verify_ledger(db).await.unwrap();
    assert!(
        report.violations.is_empty(),
        "{after}: {:#?}",
        report.violations
    );
}

/// Damages the ledger, expects each `(check, subject)` among the violations, then undoes it.
async fn damage(db: &Db, damage: &[&str], expected: &[(Check, &str)], undo: &[&str]) {
    sql(db, damage).await;
    let report = verify_ledger(db).await.unwrap();
    for (check, subject) in expected {
        assert!(
            has(&report, *check, subject),
            "{damage:?} should report {} on {subject}: {:#?}",
            check.code(),
            report.violations
        );
    }
    sql(db, undo).await;
    assert_clean(db, &format!("undoing {damage:?}")).await;
}

async fn clean_ledger_passes_and_each_damage_is_reported(test_db: TestDb) {
    let db = &test_db.db;
    real_ledger(db).await;
    let report = verify_ledger(db).await.unwrap();
    assert!(report.violations.is_empty(), "{:#?}", report.violations);
    assert_eq!(
        (report.n_indicators, report.n_accounts, report.n_transfers),
        (3, 13, 9)
    );

    // (a) and (b): a stored total changed without a transfer.
    damage(
        db,
        &["UPDATE ledger_account SET credits_posted = credits_posted + 1 WHERE account_id = 'C.a'"],
        &[
            (Check::BalanceMismatch, "C.a"),
            (Check::LedgerUnbalanced, "posted"),
        ],
        &["UPDATE ledger_account SET credits_posted = credits_posted - 1 WHERE account_id = 'C.a'"],
    )
    .await;
    damage(
        db,
        &["UPDATE ledger_account SET debits_pending = debits_pending + 5 WHERE account_id = 'C.a'"],
        &[
            (Check::BalanceMismatch, "C.a"),
            (Check::LedgerUnbalanced, "pending"),
        ],
        &["UPDATE ledger_account SET debits_pending = debits_pending - 5 WHERE account_id = 'C.a'"],
    )
    .await;
    // (a) and (b): a lopsided transfer row, written without its balances, and malformed.
    let insert = |values: &str| {
        format!(
            "INSERT INTO ledger_transfer (transfer_id, batch_id, debit_account_id, credit_account_id, kind, \
             amount_fen, pending_id, pending_amount_fen, reason, ctrl_level, warned, doc_id, actor, created_at) \
             VALUES ({values}, FALSE, NULL, 'test', '{NOW}')"
        )
    };
    damage(
        db,
        &[&insert(
            "'x1', 'x1', 'P.a', 'C.a', 'posted', 5, NULL, 7, 'supplement', 'strict'",
        )],
        &[
            (Check::BalanceMismatch, "P.a"),
            (Check::BalanceMismatch, "C.a"),
            (Check::TransferMalformed, "x1"),
        ],
        &["DELETE FROM ledger_transfer WHERE transfer_id = 'x1'"],
    )
    .await;
    // (c): frozen below zero; a strictly controlled `.a` below zero. `W.a` (warned) is not.
    damage(
        db,
        &[
            "UPDATE ledger_account SET debits_posted = debits_posted + 500 WHERE account_id = 'P.f'",
            "UPDATE ledger_account SET debits_posted = debits_posted + 5000 WHERE account_id = 'C.a'",
        ],
        &[(Check::NegativeBalance, "P.f"), (Check::NegativeBalance, "C.a")],
        &[
            "UPDATE ledger_account SET debits_posted = debits_posted - 500 WHERE account_id = 'P.f'",
            "UPDATE ledger_account SET debits_posted = debits_posted - 5000 WHERE account_id = 'C.a'",
        ],
    )
    .await;
    // (d): more spent than was ever released into the indicator.
    damage(
        db,
        &["UPDATE ledger_account SET credits_posted = credits_posted + 1000 WHERE account_id = 'C.s'"],
        &[(Check::Overspent, "C")],
        &["UPDATE ledger_account SET credits_posted = credits_posted - 1000 WHERE account_id = 'C.s'"],
    )
    .await;
    // (e): a child's original amount that its lineage transfers do not add up to; a parent
    // that gave more than it received.
    damage(
        db,
        &["UPDATE indicator SET orig_amount_fen = 301 WHERE bgt_id = 'C'"],
        &[(Check::LineageSum, "C")],
        &["UPDATE indicator SET orig_amount_fen = 300 WHERE bgt_id = 'C'"],
    )
    .await;
    damage(
        db,
        &["UPDATE ledger_transfer SET amount_fen = 200 WHERE transfer_id = 'enter.1'"],
        &[(Check::LineageOvergiven, "P")],
        &["UPDATE ledger_transfer SET amount_fen = 1000 WHERE transfer_id = 'enter.1'"],
    )
    .await;
    // (f): a reservation resolved twice; a post beyond its reservation.
    damage(
        db,
        &[
            "DROP INDEX ledger_transfer_resolves",
            &insert("'v1', 'v1', 'C.a', 'C.s', 'void_pending', 100, 'r1', 100, 'payment', 'strict'"),
        ],
        &[(Check::PendingResolvedTwice, "r1")],
        &[
            "DELETE FROM ledger_transfer WHERE transfer_id = 'v1'",
            "CREATE UNIQUE INDEX ledger_transfer_resolves ON ledger_transfer (pending_id) WHERE pending_id IS NOT NULL",
        ],
    )
    .await;
    damage(
        db,
        &["UPDATE ledger_transfer SET amount_fen = 150 WHERE transfer_id = 'p1'"],
        &[(Check::PendingResolutionInvalid, "p1")],
        &["UPDATE ledger_transfer SET amount_fen = 60 WHERE transfer_id = 'p1'"],
    )
    .await;
    // Accounts that break the naming.
    damage(
        db,
        &["INSERT INTO ledger_account (account_id, kind, bgt_id, mof_div_code, fiscal_year) VALUES ('P.q', 'q', 'P', '660100000', 2026)"],
        &[(Check::AccountMalformed, "P.q")],
        &["DELETE FROM ledger_account WHERE account_id = 'P.q'"],
    )
    .await;
}

async fn generated_ledger_passes(test_db: TestDb) {
    let db = &test_db.db;
    let shape = BulkLedger {
        prefix: "bv",
        mof_div_code: REGION_CODE,
        fiscal_year: 2026,
        n_indicators: 6,
        posts_per_indicator: 3,
        at: NOW,
    };
    insert_bulk_ledger(db, shape).await.unwrap();
    let report = verify_ledger(db).await.unwrap();
    assert!(report.violations.is_empty(), "{:#?}", report.violations);
    assert_eq!(report.n_transfers, shape.n_transfers());
    assert_eq!(report.n_accounts, 6 * 4 + 1);
    // The generated ledger is an ordinary one: the store keeps applying transfers to it.
    let reservation = TransferSpec {
        kind: TransferKind::Pending,
        ..transfer(
            "after.1",
            AccountId::from_stored("bv1.a".into()),
            AccountId::from_stored("bv1.s".into()),
            100,
            Reason::Payment,
            CtrlLevel::Strict,
        )
    };
    apply(db, "after", &[reservation]).await;
    assert_clean(db, "a reservation after the generated ledger").await;
}
