//! Indicators in the store: their elements (the columns of `indicator`), new indicators with
//! their four empty accounts, closing at year-end, and the one SELECT of an indicator with its
//! figures that every query shares.

use fiscus_core::Fen;
use fiscus_core::code::{AgencyCode, FiscalYear, MofDivCode};
use fiscus_core::ledger::operation::IndicatorFacts;
use fiscus_core::ledger::{
    AccountId, AccountKind, Balances, BgtId, ExeFlag, Figures, IndicatorElements, PoolLevel,
};
use sqlx::Row;

use crate::bulk::insert_rows;
use crate::sql::{Bind, Sql};
use crate::{StoreError, Tx, bound_query, on_tx};

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
    i.orig_amount_fen, i.doc_id, i.created_at, i.bgt_pman_id \
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
    /// The budget line (BGT_PM_ANNUAL) this indicator was approved from, if any.
    pub bgt_pman_id: Option<String>,
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
        bgt_pman_id: row.try_get(37)?,
    })
}

/// Indicators by id inside a transaction (the facts of an operation), unscoped: the caller
/// has checked the scope.
pub async fn indicators_in_tx(
    tx: &mut Tx,
    bgt_ids: &[BgtId],
) -> Result<Vec<IndicatorRow>, StoreError> {
    super::scope::visible_indicators_in_tx(tx, crate::records::Viewer::System, bgt_ids).await
}
