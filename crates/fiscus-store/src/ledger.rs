//! Storage of the indicator ledger: indicators, their accounts and the immutable transfers.
//! Architecture invariant: no code outside this module writes `ledger_account`,
//! `ledger_transfer` or `indicator` rows.
//!
//! A transfer is applied in the caller's transaction as: the idempotency check, then each
//! account's totals by one conditional UPDATE (a strict debit carries its balance condition
//! in the WHERE clause, so nothing is read and then written), then the transfer row. On
//! error the caller rolls back (the transaction, or its savepoint): a batch is all or nothing.
//! The semantics are those of `fiscus_core::ledger::model`, which the tests compare.

pub mod batch;
pub mod query;
pub mod seed;
pub mod verify;

use std::collections::BTreeMap;

use fiscus_core::code::{AgencyCode, FiscalYear, MofDivCode};
use fiscus_core::ledger::model::{overdraw, same_request};
use fiscus_core::ledger::operation::IndicatorFacts;
use fiscus_core::ledger::{
    AccountId, AccountKind, Balances, BgtId, ControlPoint, ControlTable, CtrlLevel, EcoRefinement,
    ExeFlag, Figures, IndicatorElements, PoolLevel, Reason, TransferId, TransferKind, TransferSpec,
};
use fiscus_core::{Fen, Rejection};
use sqlx::Row;

use crate::bulk::insert_rows;
use crate::sql::{Bind, Sql};
use crate::{Db, StoreError, Tx, bound_query, on_db, on_tx};

/// Who and why, for every transfer of one batch.
#[derive(Clone, Copy, Debug)]
pub struct BatchMeta<'a> {
    /// The request or document whose transfers succeed or fail together.
    pub batch_id: &'a str,
    pub doc_id: Option<&'a str>,
    pub actor: &'a str,
    pub at: &'a str,
}

/// How one transfer ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// Written now, at position `seq`. `warned`: a warned debit went below zero.
    New { seq: i64, warned: bool },
    /// Written before with the same content: nothing changed.
    Repeat { seq: i64 },
}

impl Applied {
    pub fn seq(self) -> i64 {
        match self {
            Applied::New { seq, .. } | Applied::Repeat { seq } => seq,
        }
    }
}

/// Applies the transfers in order. Any error leaves partial writes in `tx`: the caller must
/// roll back. A `StoreError::UniqueViolation` means a concurrent request inserted the same
/// transfer id first; rolling back and applying again reports it as a repeat.
pub async fn apply_transfers(
    tx: &mut Tx,
    transfers: &[TransferSpec],
    meta: BatchMeta<'_>,
) -> Result<Vec<Applied>, StoreError> {
    let mut outcomes = Vec::with_capacity(transfers.len());
    for spec in transfers {
        outcomes.push(apply_one(tx, spec, meta).await?);
    }
    Ok(outcomes)
}

pub(crate) const TRANSFER_COLUMNS: &str = "seq, transfer_id, batch_id, debit_account_id, credit_account_id, kind, amount_fen, pending_id, pending_amount_fen, reason, ctrl_level, warned, doc_id, actor, created_at";

/// One stored transfer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TransferRow {
    pub seq: i64,
    pub transfer_id: String,
    pub batch_id: String,
    pub debit_account_id: String,
    pub credit_account_id: String,
    pub kind: String,
    pub amount_fen: i64,
    pub pending_id: Option<String>,
    pub pending_amount_fen: i64,
    pub reason: String,
    pub ctrl_level: String,
    pub warned: bool,
    pub doc_id: Option<String>,
    pub actor: String,
    pub created_at: String,
}

pub(crate) fn transfer_of<R>(row: &R) -> Result<TransferRow, sqlx::Error>
where
    R: Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(TransferRow {
        seq: row.try_get(0)?,
        transfer_id: row.try_get(1)?,
        batch_id: row.try_get(2)?,
        debit_account_id: row.try_get(3)?,
        credit_account_id: row.try_get(4)?,
        kind: row.try_get(5)?,
        amount_fen: row.try_get(6)?,
        pending_id: row.try_get(7)?,
        pending_amount_fen: row.try_get(8)?,
        reason: row.try_get(9)?,
        ctrl_level: row.try_get(10)?,
        warned: row.try_get(11)?,
        doc_id: row.try_get(12)?,
        actor: row.try_get(13)?,
        created_at: row.try_get(14)?,
    })
}

impl TransferRow {
    /// The spec this row was written from (for the idempotency comparison).
    pub fn spec(&self) -> Result<TransferSpec, StoreError> {
        let corrupt =
            |what: &str| StoreError::Corrupt(format!("transfer {}: {what}", self.transfer_id));
        Ok(TransferSpec {
            transfer_id: TransferId::parse(&self.transfer_id).map_err(|_| corrupt("id"))?,
            debit: AccountId::from_stored(self.debit_account_id.clone()),
            credit: AccountId::from_stored(self.credit_account_id.clone()),
            amount: Fen(self.amount_fen),
            kind: TransferKind::from_code(&self.kind).ok_or_else(|| corrupt("kind"))?,
            pending_id: match &self.pending_id {
                Some(id) => Some(TransferId::parse(id).map_err(|_| corrupt("pending_id"))?),
                None => None,
            },
            reason: Reason::from_code(&self.reason).ok_or_else(|| corrupt("reason"))?,
            ctrl: CtrlLevel::from_code(&self.ctrl_level).ok_or_else(|| corrupt("ctrl_level"))?,
        })
    }
}

/// One transfer by id.
pub async fn transfer(tx: &mut Tx, transfer_id: &str) -> Result<Option<TransferRow>, StoreError> {
    let sql = format!("SELECT {TRANSFER_COLUMNS} FROM ledger_transfer WHERE transfer_id = $1");
    let row = on_tx!(tx, conn => match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(transfer_id).fetch_optional(&mut *conn).await? {
        Some(row) => Some(transfer_of(&row)?),
        None => None,
    });
    Ok(row)
}

/// One transfer by id, outside a transaction.
pub async fn transfer_read(db: &Db, transfer_id: &str) -> Result<Option<TransferRow>, StoreError> {
    let sql = format!("SELECT {TRANSFER_COLUMNS} FROM ledger_transfer WHERE transfer_id = $1");
    let row = on_db!(db, pool => match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(transfer_id).fetch_optional(pool).await? {
        Some(row) => Some(transfer_of(&row)?),
        None => None,
    });
    Ok(row)
}

async fn apply_one(
    tx: &mut Tx,
    spec: &TransferSpec,
    meta: BatchMeta<'_>,
) -> Result<Applied, StoreError> {
    fiscus_core::ledger::model::check_shape(spec)?;
    if let Some(first) = transfer(tx, spec.transfer_id.as_str()).await? {
        if same_request(&first.spec()?, spec) {
            return Ok(Applied::Repeat { seq: first.seq });
        }
        return Err(Rejection::IdempotencyKeyReused {
            key: spec.transfer_id.to_string(),
        }
        .into());
    }
    let mut spec = spec.clone();
    let mut pending_amount = 0_i64;
    // A post or void without a document of its own belongs to its reservation's.
    let mut doc_id = meta.doc_id.map(str::to_owned);
    if matches!(
        spec.kind,
        TransferKind::PostPending | TransferKind::VoidPending
    ) {
        let pending_id = spec
            .pending_id
            .clone()
            .ok_or(Rejection::NotFound { what: "预占" })?;
        let pending = transfer(tx, pending_id.as_str())
            .await?
            .filter(|row| row.kind == TransferKind::Pending.code())
            .ok_or(Rejection::NotFound { what: "预占" })?;
        let resolved: Option<i64> = on_tx!(tx, conn => sqlx::query_scalar("SELECT seq FROM ledger_transfer WHERE pending_id = $1")
            .bind(pending_id.as_str())
            .fetch_optional(&mut *conn)
            .await?);
        if resolved.is_some() {
            return Err(Rejection::PendingAlreadyResolved {
                transfer_id: pending_id.to_string(),
            }
            .into());
        }
        pending_amount = pending.amount_fen;
        if doc_id.is_none() {
            doc_id.clone_from(&pending.doc_id);
        }
        if spec.kind == TransferKind::VoidPending {
            spec.amount = Fen(pending_amount);
        } else if spec.amount.0 > pending_amount {
            return Err(Rejection::ExceedsPendingAmount {
                pending_fen: pending_amount,
            }
            .into());
        }
        let pending_spec = pending.spec()?;
        spec.debit = pending_spec.debit;
        spec.credit = pending_spec.credit;
        spec.ctrl = pending_spec.ctrl;
    }
    for account in [&spec.debit, &spec.credit] {
        if account.kind() == Some(AccountKind::Source) {
            ensure_source_account(tx, account).await?;
        }
    }
    let [(debit, debit_delta), (credit, credit_delta)] =
        fiscus_core::ledger::model::deltas(&spec, Fen(pending_amount));
    let opens_debit = matches!(spec.kind, TransferKind::Posted | TransferKind::Pending);
    let condition = (opens_debit && spec.debit_is_strict()).then_some(spec.amount.0);
    let available_after = add_to_account(tx, &debit, &debit_delta, condition).await?;
    let Some(available_after) = available_after else {
        let available = account_balances(tx, &debit)
            .await?
            .ok_or(Rejection::NotFound {
                what: "指标账户"
            })?
            .available();
        return Err(overdraw(&spec, available).into());
    };
    add_to_account(tx, &credit, &credit_delta, None)
        .await?
        .ok_or(Rejection::NotFound {
            what: "指标账户"
        })?;
    let warned = opens_debit && spec.ctrl == CtrlLevel::Warn && available_after < 0;
    let seq: i64 = on_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO ledger_transfer (transfer_id, batch_id, debit_account_id, credit_account_id, kind, amount_fen, pending_id, pending_amount_fen, reason, ctrl_level, warned, doc_id, actor, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING seq")
        .bind(spec.transfer_id.as_str())
        .bind(meta.batch_id)
        .bind(debit.as_str())
        .bind(credit.as_str())
        .bind(spec.kind.code())
        .bind(spec.amount.0)
        .bind(spec.pending_id.as_ref().map(|id| id.as_str().to_owned()))
        .bind(pending_amount)
        .bind(spec.reason.code())
        .bind(spec.ctrl.code())
        .bind(warned)
        .bind(doc_id)
        .bind(meta.actor)
        .bind(meta.at)
        .fetch_one(&mut *conn)
        .await?);
    Ok(Applied::New { seq, warned })
}

/// Adds `delta` to the account's totals in one statement; with `condition = Some(amount)`
/// only when `amount` is still available. Returns the available balance after, or `None`
/// when no row matched (no such account, or the condition failed).
async fn add_to_account(
    tx: &mut Tx,
    account: &AccountId,
    delta: &Balances,
    condition: Option<i64>,
) -> Result<Option<i64>, StoreError> {
    let mut sql = Sql::new(
        "UPDATE ledger_account SET debits_posted = debits_posted + $1, credits_posted = credits_posted + $2, \
         debits_pending = debits_pending + $3, credits_pending = credits_pending + $4 WHERE account_id = $5",
    );
    sql.binds = vec![
        Bind::Int(Some(delta.debits_posted)),
        Bind::Int(Some(delta.credits_posted)),
        Bind::Int(Some(delta.debits_pending)),
        Bind::Int(Some(delta.credits_pending)),
        Bind::text(account.as_str()),
    ];
    if let Some(amount) = condition {
        sql.push(" AND credits_posted - debits_posted - debits_pending >= ")
            .bind(Bind::Int(Some(amount)));
    }
    sql.push(" RETURNING credits_posted - debits_posted - debits_pending");
    let available = on_tx!(tx, conn => match bound_query!(&sql).fetch_optional(&mut *conn).await? {
        Some(row) => Some(row.try_get::<i64, _>(0)?),
        None => None,
    });
    Ok(available)
}

pub(crate) async fn ensure_source_account(
    tx: &mut Tx,
    account: &AccountId,
) -> Result<(), StoreError> {
    let mut parts = account.as_str().split('.');
    let (Some(_), Some(region), Some(year)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(StoreError::Corrupt(format!("source account {account}")));
    };
    let year: i64 = year
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("source account {account}")))?;
    on_tx!(tx, conn => { sqlx::query(
        "INSERT INTO ledger_account (account_id, kind, bgt_id, mof_div_code, fiscal_year) VALUES ($1, 'src', NULL, $2, $3) ON CONFLICT (account_id) DO NOTHING")
        .bind(account.as_str())
        .bind(region)
        .bind(year)
        .execute(&mut *conn)
        .await?; });
    Ok(())
}

/// The four totals of one account.
pub async fn account_balances(
    tx: &mut Tx,
    account: &AccountId,
) -> Result<Option<Balances>, StoreError> {
    let row = on_tx!(tx, conn => match sqlx::query("SELECT debits_posted, credits_posted, debits_pending, credits_pending FROM ledger_account WHERE account_id = $1")
        .bind(account.as_str())
        .fetch_optional(&mut *conn)
        .await? {
        Some(row) => Some(Balances {
            debits_posted: row.try_get(0)?,
            credits_posted: row.try_get(1)?,
            debits_pending: row.try_get(2)?,
            credits_pending: row.try_get(3)?,
        }),
        None => None,
    });
    Ok(row)
}

/// The four totals of every account, by id (tests and the reference-model comparison).
pub async fn all_balances(db: &Db) -> Result<BTreeMap<String, Balances>, StoreError> {
    let rows = on_db!(db, pool => {
        let rows = sqlx::query("SELECT account_id, debits_posted, credits_posted, debits_pending, credits_pending FROM ledger_account")
            .fetch_all(pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok::<_, sqlx::Error>((row.try_get::<String, _>(0)?, Balances {
                    debits_posted: row.try_get(1)?,
                    credits_posted: row.try_get(2)?,
                    debits_pending: row.try_get(3)?,
                    credits_pending: row.try_get(4)?,
                }))
            })
            .collect::<Result<BTreeMap<_, _>, _>>()?
    });
    Ok(rows)
}

// ---------------------------------------------------------------------------------------------
// Indicators

/// The columns of an indicator's elements, in `IndicatorElements` order.
pub const ELEMENT_COLUMNS: [&str; 26] = [
    "mof_div_code",
    "fiscal_year",
    "agency_code",
    "pro_code",
    "exp_func_code",
    "gov_bgt_eco_code",
    "dep_bgt_eco_code",
    "fund_type_code",
    "bgt_type_code",
    "pay_type_code",
    "source_type_code",
    "cor_bgt_doc_no",
    "bgt_doc_title",
    "doc_date",
    "bgt_dec",
    "sup_bgt_doc_no",
    "ori_bgt_id",
    "bgt_exe_flag",
    "pool_level",
    "is_direct",
    "is_three_safe",
    "is_three_public",
    "is_gov_pur",
    "is_contrlbyplan",
    "is_not_control_pay",
    "is_closed",
];

/// A new indicator to write.
#[derive(Clone, Debug)]
pub struct NewIndicator<'a> {
    pub bgt_id: &'a BgtId,
    pub elements: &'a IndicatorElements,
    pub orig_amount: Fen,
    pub doc_id: Option<&'a str>,
    pub at: &'a str,
}

pub(crate) fn element_binds(elements: &IndicatorElements) -> Vec<Bind> {
    let text = |value: &str| Bind::text(value);
    vec![
        text(elements.mof_div_code.as_str()),
        Bind::Int(Some(i64::from(elements.fiscal_year.0))),
        Bind::Text(
            elements
                .agency_code
                .as_ref()
                .map(|code| code.as_str().to_owned()),
        ),
        text(&elements.pro_code),
        text(&elements.exp_func_code),
        text(&elements.gov_bgt_eco_code),
        text(&elements.dep_bgt_eco_code),
        text(&elements.fund_type_code),
        text(&elements.bgt_type_code),
        text(&elements.pay_type_code),
        text(&elements.source_type_code),
        text(&elements.cor_bgt_doc_no),
        text(&elements.bgt_doc_title),
        text(&elements.doc_date),
        text(&elements.bgt_dec),
        text(&elements.sup_bgt_doc_no),
        Bind::Text(
            elements
                .ori_bgt_id
                .as_ref()
                .map(|id| id.as_str().to_owned()),
        ),
        text(elements.bgt_exe_flag.code()),
        Bind::Text(elements.pool_level.map(|level| level.code().to_owned())),
        Bind::Bool(Some(elements.is_direct)),
        Bind::Bool(Some(elements.is_three_safe)),
        Bind::Bool(Some(elements.is_three_public)),
        Bind::Bool(Some(elements.is_gov_pur)),
        Bind::Bool(Some(elements.is_contrlbyplan)),
        Bind::Bool(Some(elements.is_not_control_pay)),
        Bind::Bool(Some(false)),
    ]
}

/// Writes indicators and their four empty accounts (the money arrives by transfers).
pub async fn insert_indicators(
    tx: &mut Tx,
    indicators: &[NewIndicator<'_>],
) -> Result<(), StoreError> {
    let mut columns: Vec<&str> = vec!["bgt_id"];
    columns.extend(ELEMENT_COLUMNS);
    columns.extend(["orig_amount_fen", "doc_id", "created_at"]);
    let rows = indicators
        .iter()
        .map(|new| {
            let mut row = vec![Bind::text(new.bgt_id.as_str())];
            row.extend(element_binds(new.elements));
            row.extend([
                Bind::Int(Some(new.orig_amount.0)),
                Bind::Text(new.doc_id.map(str::to_owned)),
                Bind::text(new.at),
            ]);
            row
        })
        .collect();
    insert_rows(tx, "indicator", &columns, rows).await?;
    let accounts = indicators
        .iter()
        .flat_map(|new| {
            AccountKind::OF_INDICATOR.into_iter().map(|kind| {
                vec![
                    Bind::text(AccountId::of(new.bgt_id, kind).as_str()),
                    Bind::text(kind.code()),
                    Bind::text(new.bgt_id.as_str()),
                    Bind::text(new.elements.mof_div_code.as_str()),
                    Bind::Int(Some(i64::from(new.elements.fiscal_year.0))),
                ]
            })
        })
        .collect();
    insert_rows(
        tx,
        "ledger_account",
        &[
            "account_id",
            "kind",
            "bgt_id",
            "mof_div_code",
            "fiscal_year",
        ],
        accounts,
    )
    .await?;
    Ok(())
}

/// Marks indicators closed by a year-end.
pub async fn close_indicators(tx: &mut Tx, bgt_ids: &[BgtId]) -> Result<(), StoreError> {
    for chunk in bgt_ids.chunks(200) {
        let mut sql = Sql::new("UPDATE indicator SET is_closed = TRUE WHERE bgt_id IN (");
        for (index, bgt_id) in chunk.iter().enumerate() {
            if index > 0 {
                sql.push(", ");
            }
            sql.bind(Bind::text(bgt_id.as_str()));
        }
        sql.push(")");
        on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    }
    Ok(())
}

/// SELECT list of an indicator with its figures: `i` is the indicator, `a f s w` its accounts.
pub const INDICATOR_SELECT: &str = "SELECT i.bgt_id, i.mof_div_code, i.fiscal_year, i.agency_code, i.pro_code, i.exp_func_code, \
    i.gov_bgt_eco_code, i.dep_bgt_eco_code, i.fund_type_code, i.bgt_type_code, i.pay_type_code, i.source_type_code, \
    i.cor_bgt_doc_no, i.bgt_doc_title, i.doc_date, i.bgt_dec, i.sup_bgt_doc_no, i.ori_bgt_id, i.bgt_exe_flag, i.pool_level, \
    i.is_direct, i.is_three_safe, i.is_three_public, i.is_gov_pur, i.is_contrlbyplan, i.is_not_control_pay, i.is_closed, \
    a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending, \
    f.credits_posted - f.debits_posted, s.credits_posted - s.debits_posted, w.credits_posted - w.debits_posted, \
    i.orig_amount_fen, i.doc_id, i.created_at \
    FROM indicator i \
    JOIN ledger_account a ON a.account_id = i.bgt_id || '.a' \
    JOIN ledger_account f ON f.account_id = i.bgt_id || '.f' \
    JOIN ledger_account s ON s.account_id = i.bgt_id || '.s' \
    JOIN ledger_account w ON w.account_id = i.bgt_id || '.w'";

/// An indicator with its figures, as every query returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndicatorRow {
    pub bgt_id: BgtId,
    pub elements: IndicatorElements,
    pub closed: bool,
    pub figures: Figures,
    pub orig_amount_fen: i64,
    pub doc_id: Option<String>,
    pub created_at: String,
}

impl IndicatorRow {
    pub fn facts(&self) -> IndicatorFacts {
        IndicatorFacts {
            elements: self.elements.clone(),
            figures: self.figures,
            closed: self.closed,
        }
    }
}

pub(crate) fn indicator_of<R>(row: &R) -> Result<IndicatorRow, StoreError>
where
    R: Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let text = |index: usize| row.try_get::<String, _>(index);
    let flag = |index: usize| row.try_get::<bool, _>(index);
    let bgt_id: String = text(0)?;
    let corrupt = |what: &str| StoreError::Corrupt(format!("indicator {bgt_id}: {what}"));
    let fiscal_year: i64 = row.try_get(2)?;
    let agency_code: Option<String> = row.try_get(3)?;
    let ori_bgt_id: Option<String> = row.try_get(17)?;
    let pool_level: Option<String> = row.try_get(19)?;
    let elements = IndicatorElements {
        mof_div_code: MofDivCode::parse(&text(1)?).map_err(|_| corrupt("mof_div_code"))?,
        fiscal_year: FiscalYear(i32::try_from(fiscal_year).map_err(|_| corrupt("fiscal_year"))?),
        agency_code: match agency_code {
            Some(code) => Some(AgencyCode::parse(&code).map_err(|_| corrupt("agency_code"))?),
            None => None,
        },
        pro_code: text(4)?,
        exp_func_code: text(5)?,
        gov_bgt_eco_code: text(6)?,
        dep_bgt_eco_code: text(7)?,
        fund_type_code: text(8)?,
        bgt_type_code: text(9)?,
        pay_type_code: text(10)?,
        source_type_code: text(11)?,
        cor_bgt_doc_no: text(12)?,
        bgt_doc_title: text(13)?,
        doc_date: text(14)?,
        bgt_dec: text(15)?,
        sup_bgt_doc_no: text(16)?,
        ori_bgt_id: match ori_bgt_id {
            Some(id) => Some(BgtId::parse(&id).map_err(|_| corrupt("ori_bgt_id"))?),
            None => None,
        },
        bgt_exe_flag: ExeFlag::from_code(&text(18)?).ok_or_else(|| corrupt("bgt_exe_flag"))?,
        pool_level: match pool_level {
            Some(code) => Some(PoolLevel::from_code(&code).ok_or_else(|| corrupt("pool_level"))?),
            None => None,
        },
        is_direct: flag(20)?,
        is_three_safe: flag(21)?,
        is_three_public: flag(22)?,
        is_gov_pur: flag(23)?,
        is_contrlbyplan: flag(24)?,
        is_not_control_pay: flag(25)?,
    };
    let avail = Balances {
        debits_posted: row.try_get(27)?,
        credits_posted: row.try_get(28)?,
        debits_pending: row.try_get(29)?,
        credits_pending: row.try_get(30)?,
    };
    let posted = |value: i64| Balances {
        credits_posted: value,
        ..Balances::default()
    };
    let figures = Figures::of(
        &avail,
        &posted(row.try_get(31)?),
        &posted(row.try_get(32)?),
        &posted(row.try_get(33)?),
    );
    Ok(IndicatorRow {
        bgt_id: BgtId::parse(&bgt_id).map_err(|_| corrupt("bgt_id"))?,
        elements,
        closed: flag(26)?,
        figures,
        orig_amount_fen: row.try_get(34)?,
        doc_id: row.try_get(35)?,
        created_at: row.try_get(36)?,
    })
}

/// Indicators by id inside a transaction (the facts of an operation), unscoped: the caller
/// has checked the scope.
pub async fn indicators_in_tx(
    tx: &mut Tx,
    bgt_ids: &[BgtId],
) -> Result<Vec<IndicatorRow>, StoreError> {
    let mut rows = Vec::new();
    for chunk in bgt_ids.chunks(200) {
        let mut sql = Sql::new(INDICATOR_SELECT);
        sql.push(" WHERE i.bgt_id IN (");
        for (index, bgt_id) in chunk.iter().enumerate() {
            if index > 0 {
                sql.push(", ");
            }
            sql.bind(Bind::text(bgt_id.as_str()));
        }
        sql.push(")");
        on_tx!(tx, conn => {
            for row in &bound_query!(&sql).fetch_all(&mut *conn).await? {
                rows.push(indicator_of(row)?);
            }
        });
    }
    Ok(rows)
}

// ---------------------------------------------------------------------------------------------
// Control levels

/// The control table: levels by (type, point) and the economic-class refinement rule.
pub async fn controls(tx: &mut Tx) -> Result<ControlTable, StoreError> {
    let rows: Vec<(String, String, String)> = on_tx!(tx, conn => sqlx::query_as("SELECT bgt_type_code, control_point, ctrl_level FROM ledger_control")
        .fetch_all(&mut *conn)
        .await?);
    Ok(control_table(rows))
}

/// The same, outside a transaction.
pub async fn controls_read(db: &Db) -> Result<ControlTable, StoreError> {
    let rows: Vec<(String, String, String)> = on_db!(db, pool => sqlx::query_as("SELECT bgt_type_code, control_point, ctrl_level FROM ledger_control")
        .fetch_all(pool)
        .await?);
    Ok(control_table(rows))
}

/// The control point row that holds the economic-class rule.
pub const ECO_REFINEMENT_POINT: &str = "eco_refinement";

fn control_table(rows: Vec<(String, String, String)>) -> ControlTable {
    let mut table = ControlTable::default();
    for (bgt_type_code, point, level) in rows {
        if point == ECO_REFINEMENT_POINT {
            table.eco_refinement = if level == "exact" {
                EcoRefinement::Exact
            } else {
                EcoRefinement::Prefix
            };
            continue;
        }
        if let (Some(point), Some(level)) = (
            ControlPoint::from_code(&point),
            CtrlLevel::from_code(&level),
        ) {
            table.levels.insert((bgt_type_code, point), level);
        }
    }
    table
}

/// Sets one level (or the refinement rule with `point = "eco_refinement"`).
pub async fn set_control(
    tx: &mut Tx,
    bgt_type_code: &str,
    point: &str,
    level: &str,
    actor: &str,
    at: &str,
) -> Result<(), StoreError> {
    on_tx!(tx, conn => { sqlx::query(
        "INSERT INTO ledger_control (bgt_type_code, control_point, ctrl_level, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (bgt_type_code, control_point) DO UPDATE SET ctrl_level = $3, updated_by = $4, updated_at = $5")
        .bind(bgt_type_code)
        .bind(point)
        .bind(level)
        .bind(actor)
        .bind(at)
        .execute(&mut *conn)
        .await?; });
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Scope

/// Limits a query on `indicator i` to what `viewer` may see: a bureau its region subtree
/// (pools included), a department its unit subtree, a unit its own indicators.
pub fn push_indicator_scope(sql: &mut Sql, viewer: crate::records::Viewer<'_>) {
    use fiscus_core::DataScope;

    use crate::sql::like_escape;
    let crate::records::Viewer::User(principal) = viewer else {
        return;
    };
    match principal.scope() {
        DataScope::RegionSubtree { region_path } => {
            sql.push(
                " AND i.mof_div_code IN (SELECT mof_div_code FROM region WHERE region_path LIKE ",
            )
            .bind(Bind::text(format!("{}%", like_escape(&region_path))))
            .push(" ESCAPE '\\')");
        }
        DataScope::AgencySubtree { agency_path, .. } => {
            sql.push(
                " AND i.agency_code IN (SELECT agency_code FROM agency WHERE agency_path LIKE ",
            )
            .bind(Bind::text(format!("{}%", like_escape(&agency_path))))
            .push(" ESCAPE '\\')");
        }
        DataScope::Agency { agency_code, .. } => {
            sql.push(" AND i.agency_code = ")
                .bind(Bind::text(agency_code.as_str()));
        }
    }
}

/// The indicators among `bgt_ids` that `viewer` may see (outside a transaction).
pub async fn visible_indicators(
    db: &Db,
    viewer: crate::records::Viewer<'_>,
    bgt_ids: &[BgtId],
) -> Result<Vec<IndicatorRow>, StoreError> {
    let mut rows = Vec::new();
    for chunk in bgt_ids.chunks(200) {
        let mut sql = Sql::new(INDICATOR_SELECT);
        sql.push(" WHERE i.bgt_id IN (");
        for (index, bgt_id) in chunk.iter().enumerate() {
            if index > 0 {
                sql.push(", ");
            }
            sql.bind(Bind::text(bgt_id.as_str()));
        }
        sql.push(")");
        push_indicator_scope(&mut sql, viewer);
        on_db!(db, pool => {
            for row in &bound_query!(&sql).fetch_all(pool).await? {
                rows.push(indicator_of(row)?);
            }
        });
    }
    Ok(rows)
}

/// The same inside a transaction: a use case that holds one connection must not wait for a
/// second from the pool (under load the pool can run dry with every holder waiting).
pub async fn visible_indicators_in_tx(
    tx: &mut Tx,
    viewer: crate::records::Viewer<'_>,
    bgt_ids: &[BgtId],
) -> Result<Vec<IndicatorRow>, StoreError> {
    let mut rows = Vec::new();
    for chunk in bgt_ids.chunks(200) {
        let mut sql = Sql::new(INDICATOR_SELECT);
        sql.push(" WHERE i.bgt_id IN (");
        for (index, bgt_id) in chunk.iter().enumerate() {
            if index > 0 {
                sql.push(", ");
            }
            sql.bind(Bind::text(bgt_id.as_str()));
        }
        sql.push(")");
        push_indicator_scope(&mut sql, viewer);
        on_tx!(tx, conn => {
            for row in &bound_query!(&sql).fetch_all(&mut *conn).await? {
                rows.push(indicator_of(row)?);
            }
        });
    }
    Ok(rows)
}
