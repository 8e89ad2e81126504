//! The storage suite of the indicator ledger, on SQLite and PostgreSQL alike: a property test
//! that replays random transfer batches on the store and on the reference model
//! (`fiscus_core::ledger::model`) and demands the same outcomes and balances, the
//! recompute-from-transfers invariant, and races — reservations beyond the balance,
//! retry storms of one transfer id, post against void — each in its own transaction.

// Tests fail loudly: `expect` is the assertion here.
// `transfer` takes every field of a spec.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::too_many_arguments)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use fiscus_core::Fen;
use fiscus_core::code::{FiscalYear, MofDivCode};
use fiscus_core::ledger::model::{Model, Outcome, deltas};
use fiscus_core::ledger::{
    AccountId, AccountKind, Balances, BgtId, CtrlLevel, ExeFlag, IndicatorElements, Reason,
    TransferId, TransferKind, TransferSpec,
};
use fiscus_core::masterdata::{Record, Value};
use fiscus_core::schema::REGION;
use fiscus_store::ledger::batch::{GroupRequest, apply_group};
use fiscus_store::ledger::{
    self as store, Applied, BatchMeta, NewIndicator, account_balances, all_balances,
    apply_transfers,
};
use fiscus_store::records;
use fiscus_store::testing::TestDb;
use fiscus_store::{Bind, Db, StoreError};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

fiscus_store::on_both_backends!(
    store_agrees_with_the_model,
    group_agrees_with_the_model,
    concurrent_reservations_stop_at_the_balance,
    retry_storm_of_one_reservation_applies_once,
    post_and_void_race_has_one_winner,
    rejections_write_nothing,
);

const NOW: &str = "2026-03-01T08:00:00Z";
const REGION_CODE: &str = "660100000";

// ---------------------------------------------------------------------------------------
// Fixture
// ---------------------------------------------------------------------------------------

async fn insert_region(db: &Db) {
    let mut tx = db.begin().await.expect("begin");
    let mut record = Record::new();
    record.insert("mof_div_code", Value::Text(REGION_CODE.into()));
    record.insert("mof_div_name", Value::Text("第一师".into()));
    record.insert("parent_mof_div_code", Value::Null);
    let system = vec![
        ("level_num", Bind::Int(Some(2))),
        ("region_path", Bind::text("/660100000/")),
        ("created_at", Bind::text(NOW)),
        ("updated_at", Bind::text(NOW)),
        ("updated_by", Bind::text("test")),
    ];
    records::insert(&mut tx, &REGION, &record, &system)
        .await
        .expect("region");
    tx.commit().await.expect("commit");
}

fn elements(fiscal_year: i32) -> IndicatorElements {
    IndicatorElements {
        mof_div_code: MofDivCode::parse(REGION_CODE).unwrap(),
        fiscal_year: FiscalYear(fiscal_year),
        agency_code: None,
        pro_code: String::new(),
        exp_func_code: "2010101".into(),
        gov_bgt_eco_code: "501".into(),
        dep_bgt_eco_code: "301".into(),
        fund_type_code: "111".into(),
        bgt_type_code: "12".into(),
        pay_type_code: "1".into(),
        source_type_code: "1".into(),
        cor_bgt_doc_no: "师财预〔2026〕1号".into(),
        bgt_doc_title: "测试指标".into(),
        doc_date: "2026-01-10".into(),
        bgt_dec: String::new(),
        sup_bgt_doc_no: String::new(),
        ori_bgt_id: None,
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

/// Writes indicators with their four empty accounts, in one committed transaction.
async fn insert_indicators(db: &Db, bgt_ids: &[BgtId], fiscal_year: i32) {
    let elements = elements(fiscal_year);
    let new: Vec<NewIndicator<'_>> = bgt_ids
        .iter()
        .map(|bgt_id| NewIndicator {
            bgt_id,
            elements: &elements,
            orig_amount: Fen::ZERO,
            doc_id: None,
            at: NOW,
        })
        .collect();
    let mut tx = db.begin().await.expect("begin");
    store::insert_indicators(&mut tx, &new)
        .await
        .expect("indicators");
    tx.commit().await.expect("commit");
}

fn meta(batch_id: &str) -> BatchMeta<'_> {
    BatchMeta {
        batch_id,
        doc_id: None,
        actor: "test",
        at: NOW,
    }
}

fn tid(text: &str) -> TransferId {
    TransferId::parse(text).unwrap()
}

fn account(bgt_id: &BgtId, kind: AccountKind) -> AccountId {
    AccountId::of(bgt_id, kind)
}

fn source(fiscal_year: i32) -> AccountId {
    AccountId::source(
        &MofDivCode::parse(REGION_CODE).unwrap(),
        FiscalYear(fiscal_year),
    )
}

fn transfer(
    id: &str,
    debit: AccountId,
    credit: AccountId,
    amount: i64,
    kind: TransferKind,
    pending_id: Option<&str>,
    reason: Reason,
    ctrl: CtrlLevel,
) -> TransferSpec {
    TransferSpec {
        kind,
        pending_id: pending_id.map(tid),
        ..TransferSpec::posted(tid(id), debit, credit, Fen(amount), reason, ctrl)
    }
}

fn reservation(id: &str, bgt_id: &BgtId, amount: i64) -> TransferSpec {
    transfer(
        id,
        account(bgt_id, AccountKind::Avail),
        account(bgt_id, AccountKind::Spent),
        amount,
        TransferKind::Pending,
        None,
        Reason::Payment,
        CtrlLevel::Strict,
    )
}

fn resolution(id: &str, pending: &TransferSpec, kind: TransferKind, amount: i64) -> TransferSpec {
    transfer(
        id,
        pending.debit.clone(),
        pending.credit.clone(),
        amount,
        kind,
        Some(pending.transfer_id.as_str()),
        Reason::Payment,
        pending.ctrl,
    )
}

/// Applies one batch in its own transaction: committed when it applies, rolled back when
/// it does not. A unique violation (a concurrent request inserted the same transfer id or
/// resolved the same pending first) is retried once, as the ledger writer does: the retry
/// then reports a repeat or the resolved pending.
async fn apply_committed(db: &Db, batch: &[TransferSpec]) -> Result<Vec<Applied>, StoreError> {
    let batch_id = batch
        .first()
        .map_or_else(String::new, |spec| spec.transfer_id.to_string());
    for attempt in 0..2 {
        let mut tx = db.begin().await?;
        match apply_transfers(&mut tx, batch, meta(&batch_id)).await {
            Ok(applied) => {
                tx.commit().await?;
                return Ok(applied);
            }
            Err(StoreError::UniqueViolation) if attempt == 0 => drop(tx),
            Err(error) => return Err(error),
        }
    }
    Err(StoreError::UniqueViolation)
}

fn rejection_code(result: &Result<Vec<Applied>, StoreError>) -> String {
    match result {
        Ok(_) => "ok".into(),
        Err(StoreError::Rejected(rejection)) => rejection.code(),
        Err(other) => format!("store error: {other}"),
    }
}

async fn balances_of(db: &Db, account: &AccountId) -> Balances {
    let mut tx = db.begin().await.expect("begin");
    account_balances(&mut tx, account)
        .await
        .expect("read")
        .expect("account exists")
}

/// Every transfer row as (debit, credit, kind, amount, pending amount), in `seq` order.
async fn transfer_rows(db: &Db) -> Vec<(String, String, String, i64, i64)> {
    const SQL: &str = "SELECT debit_account_id, credit_account_id, kind, amount_fen, pending_amount_fen FROM ledger_transfer ORDER BY seq";
    match db {
        Db::Sqlite { read, .. } => sqlx::query_as(SQL).fetch_all(read).await,
        Db::Postgres(pool) => sqlx::query_as(SQL).fetch_all(pool).await,
    }
    .expect("transfer rows")
}

/// The pair assertion of the ledger: every account's stored totals equal the sum of its
/// transfers, and over all accounts posted and pending amounts each net to zero.
async fn assert_balances_recompute(db: &Db) {
    let mut recomputed: BTreeMap<String, Balances> = BTreeMap::new();
    for (debit, credit, kind, amount, pending) in transfer_rows(db).await {
        let spec = TransferSpec {
            kind: TransferKind::from_code(&kind).expect("known kind"),
            ..TransferSpec::posted(
                tid("recompute"),
                AccountId::from_stored(debit),
                AccountId::from_stored(credit),
                Fen(amount),
                Reason::Payment,
                CtrlLevel::None,
            )
        };
        for (account, delta) in deltas(&spec, Fen(pending)) {
            let sum = recomputed.entry(account.as_str().to_owned()).or_default();
            sum.debits_posted += delta.debits_posted;
            sum.credits_posted += delta.credits_posted;
            sum.debits_pending += delta.debits_pending;
            sum.credits_pending += delta.credits_pending;
        }
    }
    let stored = all_balances(db).await.expect("balances");
    for (account, balances) in &stored {
        let expected = recomputed.get(account).copied().unwrap_or_default();
        assert_eq!(
            *balances, expected,
            "account {account}: stored ≠ its transfers"
        );
    }
    for account in recomputed.keys() {
        assert!(
            stored.contains_key(account),
            "transfer names a missing account {account}"
        );
    }
    let posted: i128 = stored.values().map(|b| i128::from(b.posted())).sum();
    let pending: i128 = stored
        .values()
        .map(|b| i128::from(b.credits_pending) - i128::from(b.debits_pending))
        .sum();
    assert_eq!((posted, pending), (0, 0), "the ledger does not net to zero");
}

// ---------------------------------------------------------------------------------------
// 1. The store against the reference model
// ---------------------------------------------------------------------------------------

/// Indicators of one property-test case.
const N_INDICATORS: usize = 3;
/// Cases per backend: each runs its steps as separate committed transactions.
const PROPERTY_CASES: u32 = 28;
/// Steps per case at most.
const STEPS_MAX: usize = 40;

/// One transfer, by indices that are resolved against the case's state when it runs.
#[derive(Clone, Debug)]
enum Leg {
    /// Source → indicator (录入); the source may go negative.
    Fund {
        to: usize,
        amount: i64,
        warn: bool,
    },
    /// A pending debit of 可用 towards 已支出 (预占).
    Reserve {
        on: usize,
        amount: i64,
        ctrl: CtrlLevel,
    },
    /// Posts one of the case's pending transfers (or any transfer id), in full or in part.
    Post {
        pick: usize,
        amount: i64,
        full: bool,
    },
    Void {
        pick: usize,
    },
    /// 已支出 → 可用.
    Refund {
        on: usize,
        amount: i64,
    },
    Freeze {
        on: usize,
        amount: i64,
        ctrl: CtrlLevel,
    },
    Unfreeze {
        on: usize,
        amount: i64,
    },
    Reallocate {
        from: usize,
        to: usize,
        amount: i64,
        ctrl: CtrlLevel,
    },
}

#[derive(Clone, Debug)]
enum Step {
    One(Leg),
    /// 2–3 transfers that apply together or not at all.
    Linked(Vec<Leg>),
    /// An earlier batch sent again unchanged.
    RepeatBatch {
        pick: usize,
    },
    /// An earlier transfer id with other content.
    ReuseId {
        pick: usize,
        amount_delta: i64,
    },
}

fn ctrl_strategy() -> impl Strategy<Value = CtrlLevel> {
    prop_oneof![
        6 => Just(CtrlLevel::Strict),
        2 => Just(CtrlLevel::Warn),
        1 => Just(CtrlLevel::None),
    ]
}

fn leg_strategy() -> impl Strategy<Value = Leg> {
    let on = 0..N_INDICATORS;
    let amount = 0_i64..800;
    prop_oneof![
        3 => (on.clone(), 1_i64..2_000, prop::bool::weighted(0.1))
            .prop_map(|(to, amount, warn)| Leg::Fund { to, amount, warn }),
        5 => (on.clone(), amount.clone(), ctrl_strategy())
            .prop_map(|(on, amount, ctrl)| Leg::Reserve { on, amount, ctrl }),
        3 => (any::<usize>(), amount.clone(), any::<bool>())
            .prop_map(|(pick, amount, full)| Leg::Post { pick, amount, full }),
        2 => any::<usize>().prop_map(|pick| Leg::Void { pick }),
        2 => (on.clone(), amount.clone()).prop_map(|(on, amount)| Leg::Refund { on, amount }),
        2 => (on.clone(), amount.clone(), ctrl_strategy())
            .prop_map(|(on, amount, ctrl)| Leg::Freeze { on, amount, ctrl }),
        2 => (on.clone(), amount.clone()).prop_map(|(on, amount)| Leg::Unfreeze { on, amount }),
        3 => (on.clone(), 1..N_INDICATORS, amount, ctrl_strategy()).prop_map(
            |(from, offset, amount, ctrl)| Leg::Reallocate {
                from,
                to: (from + offset) % N_INDICATORS,
                amount,
                ctrl,
            }
        ),
    ]
}

fn step_strategy() -> impl Strategy<Value = Step> {
    prop_oneof![
        10 => leg_strategy().prop_map(Step::One),
        3 => prop::collection::vec(leg_strategy(), 2..=3).prop_map(Step::Linked),
        2 => any::<usize>().prop_map(|pick| Step::RepeatBatch { pick }),
        2 => (any::<usize>(), 1_i64..50)
            .prop_map(|(pick, amount_delta)| Step::ReuseId { pick, amount_delta }),
    ]
}

/// Turns steps into transfer batches for one case, remembering what it sent.
struct Scenario {
    prefix: String,
    fiscal_year: i32,
    bgt_ids: Vec<BgtId>,
    n_transfers: usize,
    /// Every pending transfer ever sent (applied or not): posts and voids pick from these.
    pendings: Vec<TransferSpec>,
    /// Every batch ever sent.
    batches: Vec<Vec<TransferSpec>>,
}

impl Scenario {
    fn next_id(&mut self) -> TransferId {
        self.n_transfers += 1;
        tid(&format!("{}.t{}", self.prefix, self.n_transfers))
    }

    fn leg(&mut self, leg: &Leg) -> TransferSpec {
        let id = self.next_id();
        let bgt_ids = self.bgt_ids.clone();
        let avail = |on: usize| account(&bgt_ids[on], AccountKind::Avail);
        let of = |on: usize, kind| account(&bgt_ids[on], kind);
        let posted = |debit, credit, amount: i64, reason, ctrl| {
            TransferSpec::posted(id.clone(), debit, credit, Fen(amount), reason, ctrl)
        };
        match *leg {
            Leg::Fund { to, amount, warn } => posted(
                source(self.fiscal_year),
                avail(to),
                amount,
                Reason::Enter,
                if warn {
                    CtrlLevel::Warn
                } else {
                    CtrlLevel::None
                },
            ),
            Leg::Reserve { on, amount, ctrl } => {
                let spec = TransferSpec {
                    kind: TransferKind::Pending,
                    ..posted(
                        avail(on),
                        of(on, AccountKind::Spent),
                        amount,
                        Reason::Payment,
                        ctrl,
                    )
                };
                self.pendings.push(spec.clone());
                spec
            }
            Leg::Post { pick, amount, full } => self.resolve(id, pick, amount, full),
            Leg::Void { pick } => self.resolve(id, pick, 0, false),
            Leg::Refund { on, amount } => posted(
                of(on, AccountKind::Spent),
                avail(on),
                amount,
                Reason::Refund,
                CtrlLevel::Strict,
            ),
            Leg::Freeze { on, amount, ctrl } => posted(
                avail(on),
                of(on, AccountKind::Frozen),
                amount,
                Reason::Freeze,
                ctrl,
            ),
            Leg::Unfreeze { on, amount } => posted(
                of(on, AccountKind::Frozen),
                avail(on),
                amount,
                Reason::Unfreeze,
                CtrlLevel::Strict,
            ),
            Leg::Reallocate {
                from,
                to,
                amount,
                ctrl,
            } => posted(avail(from), avail(to), amount, Reason::Reallocate, ctrl),
        }
    }

    /// A post (`amount`, or the pending amount when `full`) or, with `amount = 0` and not
    /// `full`, every other time a void. One pick in seven names a transfer that is not
    /// pending at all (a posted one, or an id never sent).
    fn resolve(&mut self, id: TransferId, pick: usize, amount: i64, full: bool) -> TransferSpec {
        let is_void = amount == 0 && !full;
        let kind = if is_void {
            TransferKind::VoidPending
        } else {
            TransferKind::PostPending
        };
        let (pending_id, pending_amount, debit, credit) = match (pick % 7, self.pendings.len()) {
            (0, _) | (_, 0) => {
                let earlier = self.batches.iter().flatten().nth(pick % 5).cloned();
                match earlier {
                    Some(spec) => (spec.transfer_id, spec.amount.0, spec.debit, spec.credit),
                    None => (
                        tid(&format!("{}.none", self.prefix)),
                        0,
                        account(&self.bgt_ids[0], AccountKind::Avail),
                        account(&self.bgt_ids[0], AccountKind::Spent),
                    ),
                }
            }
            (_, n) => {
                let pending = &self.pendings[pick % n];
                (
                    pending.transfer_id.clone(),
                    pending.amount.0,
                    pending.debit.clone(),
                    pending.credit.clone(),
                )
            }
        };
        TransferSpec {
            kind,
            pending_id: Some(pending_id),
            ..TransferSpec::posted(
                id,
                debit,
                credit,
                Fen(if full { pending_amount } else { amount }),
                Reason::Payment,
                CtrlLevel::Strict,
            )
        }
    }

    fn batch(&mut self, step: &Step) -> Vec<TransferSpec> {
        let batch = match step {
            Step::One(leg) => vec![self.leg(leg)],
            Step::Linked(legs) => legs.iter().map(|leg| self.leg(leg)).collect(),
            Step::RepeatBatch { pick } => match self.batches.len() {
                0 => vec![self.leg(&Leg::Fund {
                    to: 0,
                    amount: 1,
                    warn: false,
                })],
                n => self.batches[pick % n].clone(),
            },
            Step::ReuseId { pick, amount_delta } => {
                let sent: Vec<&TransferSpec> = self.batches.iter().flatten().collect();
                match sent.len() {
                    0 => vec![self.leg(&Leg::Void { pick: *pick })],
                    n => {
                        let first = sent[pick % n];
                        // Other content: another amount, and for every other pick the
                        // credit of another indicator as well.
                        let mut changed = TransferSpec {
                            amount: Fen(first.amount.0 + amount_delta),
                            ..first.clone()
                        };
                        if pick % 2 == 0 && first.kind == TransferKind::Posted {
                            changed.reason = Reason::Reallocate;
                        }
                        vec![changed]
                    }
                }
            }
        };
        self.batches.push(batch.clone());
        batch
    }
}

/// Counts what the store answered, so the test can show the generator reaches every rule.
fn tally(seen: &Mutex<BTreeMap<String, usize>>, got: &Result<Vec<Applied>, StoreError>) {
    let mut names = vec![rejection_code(got)];
    if let Ok(applied) = got {
        names.extend(applied.iter().map(|applied| match applied {
            Applied::New { warned: true, .. } => "warned".to_owned(),
            Applied::New { .. } => "new".to_owned(),
            Applied::Repeat { .. } => "repeat".to_owned(),
        }));
    }
    let mut seen = seen.lock().unwrap();
    for name in names {
        *seen.entry(name).or_default() += 1;
    }
}

/// Runs one case: the steps on the store (each batch in its own transaction) and on the
/// model, with the same outcome per batch and the same balances at the end.
async fn run_case(
    db: &Db,
    case: u32,
    steps: &[Step],
    seen: &Mutex<BTreeMap<String, usize>>,
    group: bool,
) -> Result<(), TestCaseError> {
    let prefix = format!("c{case}");
    // Each case has its own year, so its own source account: cases share the database but
    // not a single account.
    let fiscal_year = 3000 + i32::try_from(case).unwrap();
    let bgt_ids: Vec<BgtId> = (0..N_INDICATORS)
        .map(|n| BgtId::parse(&format!("C{case}I{n}")).unwrap())
        .collect();
    insert_indicators(db, &bgt_ids, fiscal_year).await;
    let mut scenario = Scenario {
        prefix,
        fiscal_year,
        bgt_ids: bgt_ids.clone(),
        n_transfers: 0,
        pendings: Vec::new(),
        batches: Vec::new(),
    };
    let mut model = Model::default();
    let mut seqs: BTreeMap<TransferId, i64> = BTreeMap::new();
    // In group mode, consecutive batches go through `apply_group` together, GROUP_BATCHES at a
    // time, in one transaction: each must still end as the model says, on its own.
    let chunk = if group { GROUP_BATCHES } else { 1 };
    let mut planned = Vec::new();
    for step in steps {
        let batch = scenario.batch(step);
        let expected = model.apply(&batch);
        planned.push((batch, expected));
    }
    let mut results = Vec::new();
    for batches in planned.chunks(chunk) {
        if group {
            results.extend(
                apply_group_committed(db, batches.iter().map(|(batch, _)| batch.as_slice())).await,
            );
        } else {
            results.push(apply_committed(db, &batches[0].0).await);
        }
    }
    for (n_step, ((batch, expected), got)) in planned.iter().zip(results).enumerate() {
        tally(seen, &got);
        match (&expected, &got) {
            (Ok(outcomes), Ok(applied)) => {
                prop_assert_eq!(outcomes.len(), applied.len());
                for ((spec, outcome), applied) in batch.iter().zip(outcomes).zip(applied) {
                    match (outcome, applied) {
                        (Outcome::Applied { warned }, Applied::New { seq, warned: got }) => {
                            prop_assert_eq!(warned, got, "step {}: {:?}", n_step, spec);
                            seqs.insert(spec.transfer_id.clone(), *seq);
                        }
                        (Outcome::Repeat, Applied::Repeat { seq }) => {
                            prop_assert_eq!(
                                seqs.get(&spec.transfer_id),
                                Some(seq),
                                "a repeat reports the first seq"
                            );
                        }
                        _ => prop_assert!(
                            false,
                            "step {}: model {:?}, store {:?} for {:?}",
                            n_step,
                            outcome,
                            applied,
                            spec
                        ),
                    }
                }
            }
            (Err(expected), Err(StoreError::Rejected(got))) => {
                prop_assert_eq!(expected, got, "step {}: {:?}", n_step, batch);
            }
            _ => prop_assert!(
                false,
                "step {}: model {:?}, store {:?} for {:?}",
                n_step,
                expected,
                got,
                batch
            ),
        }
    }
    let stored = all_balances(db).await.expect("balances");
    let mut accounts: Vec<AccountId> = bgt_ids
        .iter()
        .flat_map(|bgt_id| {
            AccountKind::OF_INDICATOR
                .into_iter()
                .map(|kind| account(bgt_id, kind))
        })
        .collect();
    accounts.push(source(fiscal_year));
    for account in &accounts {
        let got = stored.get(account.as_str()).copied().unwrap_or_default();
        prop_assert_eq!(got, model.balances(account), "account {}", account);
    }
    for account in model.accounts.keys() {
        prop_assert!(accounts.contains(account), "model touched {}", account);
    }
    Ok(())
}

async fn store_agrees_with_the_model(test_db: TestDb) {
    agrees_with_the_model(test_db, false).await;
}

/// The same property through the writer's group path: several requests in one transaction.
async fn group_agrees_with_the_model(test_db: TestDb) {
    agrees_with_the_model(test_db, true).await;
}

/// Requests per group in the group property.
const GROUP_BATCHES: usize = 5;

/// Applies batches through `apply_group` in one committed transaction.
async fn apply_group_committed<'a>(
    db: &Db,
    batches: impl Iterator<Item = &'a [TransferSpec]>,
) -> Vec<Result<Vec<Applied>, StoreError>> {
    let batches: Vec<&[TransferSpec]> = batches.collect();
    let ids: Vec<String> = batches
        .iter()
        .map(|batch| {
            batch
                .first()
                .map_or_else(String::new, |spec| spec.transfer_id.to_string())
        })
        .collect();
    let requests: Vec<GroupRequest<'_>> = batches
        .iter()
        .zip(&ids)
        .map(|(batch, id)| GroupRequest {
            transfers: batch,
            meta: meta(id),
        })
        .collect();
    let mut tx = db.begin().await.expect("begin");
    let outcomes = apply_group(&mut tx, &requests)
        .await
        .expect("the group applies");
    tx.commit().await.expect("commit");
    outcomes
        .into_iter()
        .map(|outcome| outcome.map_err(StoreError::Rejected))
        .collect()
}

async fn agrees_with_the_model(test_db: TestDb, group: bool) {
    let db = test_db.db.clone();
    insert_region(&db).await;
    let handle = tokio::runtime::Handle::current();
    let runner_db = db.clone();
    // proptest's runner is synchronous: it runs on a blocking thread and drives each case on
    // this test's runtime. Every attempt (shrinking included) gets a fresh case number.
    let outcome = tokio::task::spawn_blocking(move || {
        let config = Config {
            cases: PROPERTY_CASES,
            max_shrink_iters: 256,
            failure_persistence: None,
            ..Config::default()
        };
        // A fixed seed: the same cases on every run and in CI.
        let rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
        let mut runner = TestRunner::new_with_rng(config, rng);
        let n_case = AtomicU32::new(0);
        let seen = Mutex::new(BTreeMap::new());
        let strategy = prop::collection::vec(step_strategy(), 1..=STEPS_MAX);
        runner
            .run(&strategy, |steps| {
                let case = n_case.fetch_add(1, Ordering::Relaxed);
                handle.block_on(run_case(&runner_db, case, &steps, &seen, group))
            })
            .map_err(|error| error.to_string())?;
        Ok::<_, String>(seen.into_inner().unwrap())
    })
    .await
    .expect("runner thread");
    let seen = match outcome {
        Ok(seen) => seen,
        Err(error) => panic!("{error}"),
    };
    // The generator reaches every outcome the model distinguishes.
    for name in [
        "ok",
        "new",
        "warned",
        "repeat",
        "exceeds_available_balance",
        "exceeds_frozen_amount",
        "exceeds_spent_amount",
        "exceeds_pending_amount",
        "pending_already_resolved",
        "idempotency_key_reused",
        "not_found",
    ] {
        assert!(seen.contains_key(name), "no batch ended {name}: {seen:?}");
    }
    assert_balances_recompute(&db).await;
}

// ---------------------------------------------------------------------------------------
// 2. Concurrency
// ---------------------------------------------------------------------------------------

const RESERVATION_FEN: i64 = 1_250;
const RESERVATIONS_FIT: i64 = 37;
const RESERVATIONS_SENT: usize = 200;

/// A funded indicator of 2026.
async fn funded(db: &Db, key: &str, amount: i64) -> BgtId {
    let bgt_id = BgtId::parse(key).unwrap();
    insert_indicators(db, std::slice::from_ref(&bgt_id), 2026).await;
    let fund = TransferSpec::posted(
        tid(&format!("{key}.fund")),
        source(2026),
        account(&bgt_id, AccountKind::Avail),
        Fen(amount),
        Reason::Enter,
        CtrlLevel::None,
    );
    apply_committed(db, &[fund]).await.expect("funded");
    bgt_id
}

/// 200 reservations race for room for 37, each in its own transaction on its own task: the
/// conditional update lets exactly 37 through (on PostgreSQL under real concurrency; on
/// SQLite behind the single writer).
async fn concurrent_reservations_stop_at_the_balance(test_db: TestDb) {
    let db = test_db.db.clone();
    insert_region(&db).await;
    let bgt_id = funded(&db, "RACE", RESERVATIONS_FIT * RESERVATION_FEN).await;
    let mut tasks = Vec::new();
    for n in 0..RESERVATIONS_SENT {
        let db = db.clone();
        let spec = reservation(&format!("race.r{n}"), &bgt_id, RESERVATION_FEN);
        tasks.push(tokio::spawn(async move {
            rejection_code(&apply_committed(&db, &[spec]).await)
        }));
    }
    let mut codes: BTreeMap<String, usize> = BTreeMap::new();
    for task in tasks {
        *codes.entry(task.await.expect("task ran")).or_default() += 1;
    }
    let expected: BTreeMap<String, usize> = [
        ("ok".to_owned(), 37),
        ("exceeds_available_balance".to_owned(), 163),
    ]
    .into_iter()
    .collect();
    assert_eq!(codes, expected);
    let avail = balances_of(&db, &account(&bgt_id, AccountKind::Avail)).await;
    assert_eq!(avail.available(), 0);
    assert_eq!(avail.debits_pending, RESERVATIONS_FIT * RESERVATION_FEN);
    assert_balances_recompute(&db).await;
}

/// The same reservation sent 50 times at once: one is applied, 49 are repeats that report
/// its seq, and the balance moves once. The same id with another amount is refused.
async fn retry_storm_of_one_reservation_applies_once(test_db: TestDb) {
    let db = test_db.db.clone();
    insert_region(&db).await;
    let bgt_id = funded(&db, "STORM", 10_000).await;
    let spec = reservation("storm.r1", &bgt_id, 3_000);
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let db = db.clone();
        let spec = spec.clone();
        tasks.push(tokio::spawn(async move {
            apply_committed(&db, &[spec])
                .await
                .expect("applied or repeat")[0]
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.expect("task ran"));
    }
    let new: Vec<&Applied> = outcomes
        .iter()
        .filter(|applied| matches!(applied, Applied::New { .. }))
        .collect();
    assert_eq!(new.len(), 1, "{outcomes:?}");
    let seq = new[0].seq();
    assert!(outcomes.iter().all(|applied| applied.seq() == seq));
    let avail = balances_of(&db, &account(&bgt_id, AccountKind::Avail)).await;
    assert_eq!(avail.available(), 7_000);
    assert_eq!(avail.debits_pending, 3_000);
    let other = reservation("storm.r1", &bgt_id, 3_001);
    assert_eq!(
        rejection_code(&apply_committed(&db, &[other]).await),
        "idempotency_key_reused"
    );
    assert_eq!(
        balances_of(&db, &account(&bgt_id, AccountKind::Avail)).await,
        avail
    );
    assert_balances_recompute(&db).await;
}

/// A post and a void of the same pending transfer, raced: exactly one wins, the other is
/// told the pending is already resolved. Twenty rounds, so the race is really run.
async fn post_and_void_race_has_one_winner(test_db: TestDb) {
    const ROUNDS: usize = 20;
    let db = test_db.db.clone();
    insert_region(&db).await;
    let bgt_id = funded(&db, "DUEL", 100_000).await;
    let pendings: Vec<TransferSpec> = (0..ROUNDS)
        .map(|n| reservation(&format!("duel.r{n}"), &bgt_id, 1_000))
        .collect();
    for pending in &pendings {
        apply_committed(&db, std::slice::from_ref(pending))
            .await
            .expect("reserved");
    }
    let mut posted = 0_i64;
    for (n, pending) in pendings.iter().enumerate() {
        let post = resolution(
            &format!("duel.p{n}"),
            pending,
            TransferKind::PostPending,
            600,
        );
        let void = resolution(&format!("duel.v{n}"), pending, TransferKind::VoidPending, 0);
        let (db_a, db_b) = (db.clone(), db.clone());
        let barrier = Arc::new(tokio::sync::Barrier::new(2));
        let (barrier_a, barrier_b) = (barrier.clone(), barrier);
        let post_task = tokio::spawn(async move {
            barrier_a.wait().await;
            rejection_code(&apply_committed(&db_a, &[post]).await)
        });
        let void_task = tokio::spawn(async move {
            barrier_b.wait().await;
            rejection_code(&apply_committed(&db_b, &[void]).await)
        });
        let codes = [
            post_task.await.expect("post ran"),
            void_task.await.expect("void ran"),
        ];
        let mut sorted = codes.clone();
        sorted.sort();
        assert_eq!(
            sorted,
            ["ok".to_owned(), "pending_already_resolved".to_owned()],
            "round {n}"
        );
        if codes[0] == "ok" {
            posted += 600;
        }
    }
    let avail = balances_of(&db, &account(&bgt_id, AccountKind::Avail)).await;
    let spent = balances_of(&db, &account(&bgt_id, AccountKind::Spent)).await;
    assert_eq!(avail.debits_pending, 0, "every pending is resolved once");
    assert_eq!(spent.credits_pending, 0);
    assert_eq!(spent.posted(), posted);
    assert_eq!(avail.available(), 100_000 - posted);
    assert_balances_recompute(&db).await;
}

/// Refused batches leave no trace: a linked batch whose last leg fails, a post beyond its
/// pending amount, an unknown pending, an unknown account.
async fn rejections_write_nothing(test_db: TestDb) {
    let db = test_db.db.clone();
    insert_region(&db).await;
    let a = funded(&db, "KEEP-A", 1_000).await;
    let b = funded(&db, "KEEP-B", 1_000).await;
    let pending = reservation("keep.r1", &a, 400);
    apply_committed(&db, std::slice::from_ref(&pending))
        .await
        .expect("reserved");
    let before = all_balances(&db).await.expect("balances");
    let leg = |id: &str, from: &BgtId, to: &BgtId, amount: i64| {
        TransferSpec::posted(
            tid(id),
            account(from, AccountKind::Avail),
            account(to, AccountKind::Avail),
            Fen(amount),
            Reason::Reallocate,
            CtrlLevel::Strict,
        )
    };
    let missing = BgtId::parse("MISSING").unwrap();
    let cases: Vec<(Vec<TransferSpec>, &str)> = vec![
        (
            vec![leg("keep.l1", &a, &b, 600), leg("keep.l2", &b, &a, 1_601)],
            "exceeds_available_balance",
        ),
        (
            vec![
                leg("keep.l3", &b, &a, 10),
                resolution("keep.p1", &pending, TransferKind::PostPending, 401),
            ],
            "exceeds_pending_amount",
        ),
        (
            vec![TransferSpec {
                pending_id: Some(tid("keep.nothing")),
                ..resolution("keep.p2", &pending, TransferKind::VoidPending, 0)
            }],
            "not_found",
        ),
        (vec![leg("keep.l4", &b, &missing, 1)], "not_found"),
        (
            vec![TransferSpec::posted(
                tid("keep.s1"),
                account(&b, AccountKind::Spent),
                account(&b, AccountKind::Avail),
                Fen(1),
                Reason::Refund,
                CtrlLevel::Warn,
            )],
            "exceeds_spent_amount",
        ),
    ];
    for (batch, code) in cases {
        let got = apply_committed(&db, &batch).await;
        assert_eq!(rejection_code(&got), code, "{batch:?}");
        assert_eq!(all_balances(&db).await.expect("balances"), before);
        for spec in &batch {
            assert_eq!(
                store::transfer_read(&db, spec.transfer_id.as_str())
                    .await
                    .expect("read"),
                None,
                "{} was not kept",
                spec.transfer_id
            );
        }
    }
    // A pending posted in the same batch that holds it: both apply.
    let reserve = reservation("keep.r2", &b, 300);
    let post = resolution("keep.p3", &reserve, TransferKind::PostPending, 100);
    apply_committed(&db, &[reserve, post])
        .await
        .expect("reserve and post together");
    let avail_b = balances_of(&db, &account(&b, AccountKind::Avail)).await;
    assert_eq!((avail_b.available(), avail_b.debits_pending), (900, 0));
    assert_balances_recompute(&db).await;
}
