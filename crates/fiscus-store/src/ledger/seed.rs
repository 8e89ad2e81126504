//! Bulk load of a ledger that is consistent by construction, for demo data and benchmarks:
//! the transfers are replayed through the reference model (`fiscus_core::ledger::model`)
//! first, which refuses anything the ledger would refuse and yields every account's totals;
//! then indicators, accounts and transfers are written with multi-row inserts in the
//! caller's transaction. `fiscus verify` proves the result like any other ledger.

use std::collections::BTreeMap;

use fiscus_core::Fen;
use fiscus_core::ledger::model::{Model, Outcome};
use fiscus_core::ledger::{
    AccountId, AccountKind, BgtId, IndicatorElements, TransferKind, TransferSpec,
};

use crate::bulk::insert_rows;
use crate::ledger::{ELEMENT_COLUMNS, element_binds};
use crate::sql::Bind;
use crate::{StoreError, Tx};

/// An indicator to load.
#[derive(Clone, Debug)]
pub struct SeedIndicator {
    pub bgt_id: BgtId,
    pub elements: IndicatorElements,
    pub orig_amount: Fen,
    pub doc_id: Option<String>,
}

/// What was written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeedCounts {
    pub n_indicators: u64,
    pub n_accounts: u64,
    pub n_transfers: u64,
}

/// Loads `indicators` and `transfers` (each transfer its own batch, in order). Fails without
/// writing when the model refuses a transfer.
pub async fn seed(
    tx: &mut Tx,
    indicators: &[SeedIndicator],
    transfers: &[TransferSpec],
    actor: &str,
    at: &str,
) -> Result<SeedCounts, StoreError> {
    let mut model = Model::default();
    let mut warned = Vec::with_capacity(transfers.len());
    for transfer in transfers {
        let outcome = model
            .apply(std::slice::from_ref(transfer))
            .map_err(|rejection| {
                StoreError::Corrupt(format!(
                    "seed transfer {} refused: {}",
                    transfer.transfer_id,
                    rejection.message()
                ))
            })?;
        warned.push(matches!(
            outcome.first(),
            Some(Outcome::Applied { warned: true })
        ));
    }
    let mut columns: Vec<&str> = vec!["bgt_id"];
    columns.extend(ELEMENT_COLUMNS);
    columns.extend(["orig_amount_fen", "doc_id", "created_at"]);
    let rows = indicators
        .iter()
        .map(|indicator| {
            let mut row = vec![Bind::text(indicator.bgt_id.as_str())];
            row.extend(element_binds(&indicator.elements));
            row.extend([
                Bind::Int(Some(indicator.orig_amount.0)),
                Bind::Text(indicator.doc_id.clone()),
                Bind::text(at),
            ]);
            row
        })
        .collect();
    let n_indicators = insert_rows(tx, "indicator", &columns, rows).await?;

    // Every account of every indicator, plus the sources the transfers touched.
    let mut accounts: BTreeMap<String, (AccountKind, Option<&str>, String, i64)> = BTreeMap::new();
    for indicator in indicators {
        for kind in AccountKind::OF_INDICATOR {
            accounts.insert(
                AccountId::of(&indicator.bgt_id, kind).as_str().to_owned(),
                (
                    kind,
                    Some(indicator.bgt_id.as_str()),
                    indicator.elements.mof_div_code.as_str().to_owned(),
                    i64::from(indicator.elements.fiscal_year.0),
                ),
            );
        }
    }
    for account in model.accounts.keys() {
        if account.kind() == Some(AccountKind::Source) {
            let mut parts = account.as_str().split('.').skip(1);
            let region = parts.next().unwrap_or_default().to_owned();
            let year = parts
                .next()
                .and_then(|year| year.parse().ok())
                .unwrap_or_default();
            accounts.insert(
                account.as_str().to_owned(),
                (AccountKind::Source, None, region, year),
            );
        }
    }
    let account_rows = accounts
        .iter()
        .map(|(account_id, (kind, bgt_id, region, year))| {
            let balances = model.balances(&AccountId::from_stored(account_id.clone()));
            vec![
                Bind::text(account_id.as_str()),
                Bind::text(kind.code()),
                Bind::Text(bgt_id.map(str::to_owned)),
                Bind::text(region.as_str()),
                Bind::Int(Some(*year)),
                Bind::Int(Some(balances.debits_posted)),
                Bind::Int(Some(balances.credits_posted)),
                Bind::Int(Some(balances.debits_pending)),
                Bind::Int(Some(balances.credits_pending)),
            ]
        })
        .collect();
    let n_accounts = insert_rows(
        tx,
        "ledger_account",
        &[
            "account_id",
            "kind",
            "bgt_id",
            "mof_div_code",
            "fiscal_year",
            "debits_posted",
            "credits_posted",
            "debits_pending",
            "credits_pending",
        ],
        account_rows,
    )
    .await?;

    let transfer_rows = transfers
        .iter()
        .zip(warned)
        .map(|(transfer, warned)| {
            // The model stored the resolved form: accounts and amount taken from the pending.
            let stored = model
                .transfers
                .get(&transfer.transfer_id)
                .map_or(transfer, |stored| &stored.spec);
            let pending_amount = match (stored.kind, &stored.pending_id) {
                (TransferKind::PostPending | TransferKind::VoidPending, Some(pending_id)) => model
                    .transfers
                    .get(pending_id)
                    .map_or(0, |pending| pending.spec.amount.0),
                _ => 0,
            };
            vec![
                Bind::text(stored.transfer_id.as_str()),
                Bind::text(stored.transfer_id.as_str()),
                Bind::text(stored.debit.as_str()),
                Bind::text(stored.credit.as_str()),
                Bind::text(stored.kind.code()),
                Bind::Int(Some(stored.amount.0)),
                Bind::Text(stored.pending_id.as_ref().map(|id| id.as_str().to_owned())),
                Bind::Int(Some(pending_amount)),
                Bind::text(stored.reason.code()),
                Bind::text(stored.ctrl.code()),
                Bind::Bool(Some(warned)),
                Bind::Text(None),
                Bind::text(actor),
                Bind::text(at),
            ]
        })
        .collect();
    let n_transfers = insert_rows(
        tx,
        "ledger_transfer",
        &[
            "transfer_id",
            "batch_id",
            "debit_account_id",
            "credit_account_id",
            "kind",
            "amount_fen",
            "pending_id",
            "pending_amount_fen",
            "reason",
            "ctrl_level",
            "warned",
            "doc_id",
            "actor",
            "created_at",
        ],
        transfer_rows,
    )
    .await?;
    Ok(SeedCounts {
        n_indicators,
        n_accounts,
        n_transfers,
    })
}
