//! The accounting books (会计核算) as use cases: the charts and posting rules shipped under
//! `data/accounting/`, vouchers generated from the payment module's `accounting_event` rows
//! (idempotent per event and book), manual vouchers, review, posting, red reversal, the
//! monthly close (`entry.rs`), and the general ledger, subsidiary ledger and trial balance
//! (`ledgers.rs`). Who may touch which book is decided here, once (`book_for_writer`).

pub mod close;
pub mod entry;
pub mod indicator_book;
pub mod ledgers;
pub mod statements;

use fiscus_core::accounting::rules::{BusinessEvent, EventType, PostingRule, parse_rules};
use fiscus_core::accounting::{
    BookType, Dimensions, PeriodState, VoucherDraft, check_voucher, is_leaf, parse_chart,
    period_label,
};
use fiscus_core::{Action, Fen, OrgNode, Principal, Rejection, Resource, Role};
use fiscus_store::accounting::{self as store, BookKey, LineRow, VoucherInsert};
use fiscus_store::audit::{AuditEntry, now};
use fiscus_store::bulk::insert_rows;
use fiscus_store::{Bind, Tx};

use crate::{App, AppError};

pub use close::{AccountingCloseSummary, BookCloseSummary};
pub use entry::{ManualLine, ManualVoucher};
pub use ledgers::{GeneralLedgerRow, PeriodStatus, SubsidiaryRow, TrialBalance};

/// The fiscal year whose charts are shipped. A year without its own folder under
/// `data/accounting/` takes the charts of the latest shipped year before it (`load_charts`).
pub const SHIPPED_CHART_YEAR: i32 = 2026;

/// The shipped charts of `SHIPPED_CHART_YEAR`, per book type.
pub const CHARTS: [(BookType, &str); 3] = [
    (
        BookType::FiscalGeneral,
        include_str!("../../../../data/accounting/2026/fiscal_general.csv"),
    ),
    (
        BookType::UnitFinancial,
        include_str!("../../../../data/accounting/2026/unit_financial.csv"),
    ),
    (
        BookType::UnitBudget,
        include_str!("../../../../data/accounting/2026/unit_budget.csv"),
    ),
];

/// The shipped chart years, oldest first, each with its charts. Add a year here (and its
/// folder) to change a chart from that year on; later years copy the latest one before them.
const SHIPPED_CHARTS: [(i32, [(BookType, &str); 3]); 1] = [(SHIPPED_CHART_YEAR, CHARTS)];

const RULES_CSV: &str = include_str!("../../../../data/accounting/rules.csv");

/// The charts `fiscal_year` uses: those of the latest shipped year not after it. None before
/// the first shipped year.
pub fn shipped_charts_for(fiscal_year: i32) -> Option<(i32, [(BookType, &'static str); 3])> {
    SHIPPED_CHARTS
        .iter()
        .rev()
        .find(|(year, _)| *year <= fiscal_year)
        .copied()
}

/// The most events one catch-up run turns into vouchers.
pub const GENERATE_EVENTS_MAX: i64 = 10_000;

/// The posting rules shipped in `data/accounting/rules.csv`.
pub fn rules() -> Result<Vec<PostingRule>, AppError> {
    parse_rules(RULES_CSV).map_err(|error| AppError::Internal(format!("rules.csv: {error}")))
}

/// Loads the charts of `fiscal_year` (the demo, next to the code tables; the year-end close,
/// for the next year): the shipped charts of the latest shipped year not after it, copied
/// as that year (`shipped_charts_for`). Nothing is loaded for a book type whose charts of
/// that year are there already, nor for a year before the first shipped one. Returns the
/// accounts inserted.
pub async fn load_charts(tx: &mut Tx, fiscal_year: i32) -> Result<u64, AppError> {
    let year = i64::from(fiscal_year);
    let Some((_, charts)) = shipped_charts_for(fiscal_year) else {
        return Ok(0);
    };
    let mut rows = Vec::new();
    for (book_type, csv) in charts {
        if !store::leaf_accounts(tx, year, book_type.code())
            .await?
            .is_empty()
        {
            continue;
        }
        let accounts = parse_chart(csv)
            .map_err(|error| AppError::Internal(format!("chart {}: {error}", book_type.code())))?;
        for account in &accounts {
            rows.push(vec![
                Bind::Int(Some(year)),
                Bind::text(book_type.code()),
                Bind::text(account.code.as_str()),
                Bind::text(account.name.as_str()),
                Bind::Text(account.parent_code.clone()),
                Bind::text(account.direction.name_zh()),
                Bind::text(account.category.as_str()),
                Bind::Bool(Some(is_leaf(&accounts, &account.code))),
            ]);
        }
    }
    let columns = [
        "fiscal_year",
        "book_type",
        "account_code",
        "account_name",
        "parent_code",
        "direction",
        "category",
        "is_leaf",
    ];
    Ok(insert_rows(tx, "accounting_account", &columns, rows).await?)
}

/// The book a principal writes for `book_type`: the treasury division its own region's
/// 财政总会计, a unit's clerk its own unit's two books. Anything else is forbidden.
pub fn book_for_writer(who: &Principal, book_type: BookType) -> Result<BookKey, Rejection> {
    if !who.can(Action::Write, Resource::Accounting) {
        return Err(Rejection::Forbidden);
    }
    match (&who.org, book_type.is_unit()) {
        (OrgNode::FinanceBureau { mof_div_code }, false)
            if who.roles.contains(Role::TreasuryDivision) =>
        {
            Ok(BookKey {
                book_type: book_type.code().to_owned(),
                mof_div_code: mof_div_code.to_string(),
                agency_code: None,
            })
        }
        (
            OrgNode::Agency {
                mof_div_code,
                agency_code,
            },
            true,
        ) if who.roles.contains(Role::UnitClerk) => Ok(BookKey {
            book_type: book_type.code().to_owned(),
            mof_div_code: mof_div_code.to_string(),
            agency_code: Some(agency_code.to_string()),
        }),
        _ => Err(Rejection::Forbidden),
    }
}

/// Checks that `who` may write `book` (the voucher's book is the writer's own).
pub fn check_writer(who: &Principal, book: &BookKey) -> Result<(), Rejection> {
    let book_type = BookType::parse(&book.book_type)?;
    if book_for_writer(who, book_type)? != *book {
        return Err(Rejection::NotFound {
            what: "会计凭证"
        });
    }
    Ok(())
}

/// The state of a month of a book.
pub(crate) async fn period_state(
    tx: &mut Tx,
    book: &BookKey,
    fiscal_year: i64,
    period: i64,
) -> Result<PeriodState, AppError> {
    Ok(
        match store::period_closed(tx, book, fiscal_year, period).await? {
            true => PeriodState::Closed,
            false => PeriodState::Open,
        },
    )
}

/// Refuses any write to the books of a region's year once it is closed (年终结账).
pub(crate) async fn check_year_open(
    tx: &mut Tx,
    mof_div_code: &str,
    fiscal_year: i64,
) -> Result<(), AppError> {
    if store::year_closed(tx, mof_div_code, fiscal_year).await? {
        return Err(Rejection::AccountingYearClosed {
            fiscal_year: i32::try_from(fiscal_year).unwrap_or(i32::MAX),
        }
        .into());
    }
    Ok(())
}

/// Checks `draft` against its book's chart and period, then inserts it with its lines.
/// Returns false when a voucher with that id (or for that event and book) exists already.
pub(crate) async fn insert_checked(
    tx: &mut Tx,
    book: &BookKey,
    draft: &VoucherDraft,
    header: VoucherHeader,
) -> Result<bool, AppError> {
    let fiscal_year = i64::from(draft.fiscal_year);
    let period = i64::from(draft.period);
    check_year_open(tx, &book.mof_div_code, fiscal_year).await?;
    let state = period_state(tx, book, fiscal_year, period).await?;
    let leaves = store::leaf_accounts(tx, fiscal_year, &book.book_type).await?;
    let is_postable = |code: &str| leaves.iter().any(|leaf| leaf == code);
    if header.reverses_voucher_id.is_some() {
        // A red reversal carries negated amounts: only the period and balance rules apply.
        if state == PeriodState::Closed {
            return Err(Rejection::PeriodClosed {
                period: period_label(draft.fiscal_year, draft.period),
            }
            .into());
        }
        fiscus_core::accounting::check_balanced(&draft.lines)?;
    } else {
        check_voucher(draft, state, is_postable)?;
    }
    let (debit_total, _) = fiscus_core::accounting::totals(&draft.lines);
    let voucher = VoucherInsert {
        voucher_id: header.voucher_id,
        book: book.clone(),
        fiscal_year,
        period,
        voucher_date: draft.voucher_date.clone(),
        summary: draft.summary.clone(),
        total_fen: i64::try_from(debit_total).map_err(|_| Rejection::AmountTooLarge {
            field: "金额",
            yuan_max: "92233720368547758.07",
        })?,
        event_id: header.event_id,
        reverses_voucher_id: header.reverses_voucher_id,
        status: header.status.to_owned(),
        created_by: header.created_by,
        created_at: now(),
    };
    let lines: Vec<LineRow> = draft
        .lines
        .iter()
        .enumerate()
        .map(|(index, line)| LineRow {
            line_no: index as i64 + 1,
            account_code: line.account_code.clone(),
            debit_fen: line.debit.0,
            credit_fen: line.credit.0,
            agency_code: line.dimensions.agency_code.clone(),
            exp_func_code: line.dimensions.exp_func_code.clone(),
            dep_bgt_eco_code: line.dimensions.dep_bgt_eco_code.clone(),
            fund_type_code: line.dimensions.fund_type_code.clone(),
            pro_code: line.dimensions.pro_code.clone(),
            bgt_id: line.dimensions.bgt_id.clone(),
        })
        .collect();
    Ok(store::insert_voucher(tx, &voucher, &lines).await?)
}

/// What a new voucher carries besides its draft.
pub(crate) struct VoucherHeader {
    pub voucher_id: String,
    pub event_id: Option<String>,
    pub reverses_voucher_id: Option<String>,
    pub status: &'static str,
    pub created_by: String,
}

/// The vouchers of one accounting event, inside the caller's transaction (the event's own
/// or a catch-up's): one per book with a rule, each with the id `<event_id>.<book_type>`.
/// Running it again inserts nothing. Returns the vouchers inserted now.
pub async fn generate_for_event(
    tx: &mut Tx,
    event_id: &str,
    rules: &[PostingRule],
) -> Result<usize, AppError> {
    let Some(facts) = store::event_by_id(tx, event_id).await? else {
        return Err(Rejection::NotFound {
            what: "会计事件"
        }
        .into());
    };
    let event_type = EventType::from_code(&facts.kind)
        .ok_or_else(|| AppError::Internal(format!("event kind {}", facts.kind)))?;
    let event = BusinessEvent {
        event_id: facts.event_id.clone(),
        event_type,
        amount: Fen(facts.amount_fen),
        fiscal_year: i32::try_from(facts.fiscal_year)
            .map_err(|_| AppError::Internal(format!("year {}", facts.fiscal_year)))?,
        event_date: facts.event_date.clone(),
        summary: format!("支付凭证 {}", facts.pay_cert_no),
        dimensions: Dimensions {
            agency_code: facts.agency_code.clone(),
            exp_func_code: facts.exp_func_code.clone(),
            dep_bgt_eco_code: facts.dep_bgt_eco_code.clone(),
            fund_type_code: facts.fund_type_code.clone(),
            pro_code: facts.pro_code.clone(),
            bgt_id: facts.bgt_id.clone(),
        },
    };
    let mut n_inserted = 0;
    for draft in fiscus_core::accounting::rules::vouchers_for_event(&event, rules)? {
        let book = BookKey {
            book_type: draft.book_type.code().to_owned(),
            mof_div_code: facts.mof_div_code.clone(),
            agency_code: draft.book_type.is_unit().then(|| facts.agency_code.clone()),
        };
        let header = VoucherHeader {
            voucher_id: format!("{}.{}", facts.event_id, draft.book_type.code()),
            event_id: Some(facts.event_id.clone()),
            reverses_voucher_id: None,
            status: "draft",
            created_by: "system".to_owned(),
        };
        if insert_checked(tx, &book, &draft, header).await? {
            n_inserted += 1;
        }
    }
    if n_inserted > 0 {
        let mut entry = AuditEntry::by(None, "accounting_generate");
        entry.entity = Some("accounting_voucher");
        entry.entity_key = Some(facts.event_id.clone());
        entry.changes = Some(serde_json::json!({ "n_vouchers": n_inserted }).to_string());
        fiscus_store::audit::append(tx, &entry).await?;
    }
    Ok(n_inserted)
}

/// The hook of the payment module: the vouchers of a new accounting event, in the event's
/// own transaction, when the charts of the event's year are loaded. A business refusal (a
/// closed month or year, an account the chart lacks) does not fail the payment: the attempt
/// runs inside a savepoint that is rolled back, and the event stays pending for
/// `App::accounting_generate_pending`, like an event of a year without charts. A database
/// error fails the transaction, as any other would. Returns the vouchers inserted.
pub async fn generate_in_event_tx(tx: &mut Tx, event_id: &str) -> Result<usize, AppError> {
    let Some(facts) = store::event_by_id(tx, event_id).await? else {
        return Ok(0);
    };
    if store::leaf_accounts(tx, facts.fiscal_year, BookType::UnitBudget.code())
        .await?
        .is_empty()
    {
        return Ok(0);
    }
    let rules = rules()?;
    tx.savepoint(fiscus_store::Savepoint::Set).await?;
    match generate_for_event(tx, event_id, &rules).await {
        Ok(n_inserted) => {
            tx.savepoint(fiscus_store::Savepoint::Release).await?;
            Ok(n_inserted)
        }
        Err(AppError::Rejected(_)) => {
            tx.savepoint(fiscus_store::Savepoint::RollBackTo).await?;
            tx.savepoint(fiscus_store::Savepoint::Release).await?;
            Ok(0)
        }
        Err(error) => Err(error),
    }
}

/// What a catch-up run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct GenerateSummary {
    pub n_events: usize,
    pub n_vouchers: usize,
    /// Events refused by a rule (for example a closed month), with the reason; they stay
    /// pending.
    pub skipped: Vec<(String, String)>,
}

impl App {
    /// Turns the accounting events that have no voucher yet into vouchers, one transaction
    /// per event, at most `GENERATE_EVENTS_MAX` events a run. A refused event is skipped and
    /// reported; it stays pending.
    pub async fn accounting_generate_pending(&self) -> Result<GenerateSummary, AppError> {
        let rules = rules()?;
        let events = {
            let mut tx = self.db.begin().await?;
            store::pending_events(&mut tx, GENERATE_EVENTS_MAX).await?
        };
        let mut summary = GenerateSummary::default();
        for event in events {
            let mut tx = self.db.begin().await?;
            match generate_for_event(&mut tx, &event.event_id, &rules).await {
                Ok(n) => {
                    tx.commit().await?;
                    summary.n_events += 1;
                    summary.n_vouchers += n;
                }
                Err(AppError::Rejected(rejection)) => {
                    summary.skipped.push((event.event_id, rejection.message()));
                }
                Err(error) => return Err(error),
            }
        }
        Ok(summary)
    }
}
