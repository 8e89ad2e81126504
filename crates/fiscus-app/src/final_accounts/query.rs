//! The list of organisations in scope with their sets, and the tie-out of the whole tree's
//! expenditure to the payments posted.

use fiscus_core::{Action, DataScope, Principal, Rejection, Resource};
use fiscus_store::final_accounts::{self as store, ListRow, Subject};

use super::check_year;
use crate::{App, AppError};

/// Units listed per page on the list.
pub const LIST_PAGE_SIZE: i64 = 50;

/// The list page: regions (for a finance bureau) and units in scope, with their sets.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ListView {
    pub fiscal_year: i64,
    pub regions: Vec<ListRow>,
    /// A department reviewer's own department (the unit and its sub-units).
    pub departments: Vec<ListRow>,
    pub units: Vec<ListRow>,
    pub n_units: i64,
    pub page: i64,
}

/// The tree's expenditure against the payments of the year.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TieOut {
    pub fiscal_year: i64,
    /// 本年支出合计 of the consolidated set of every region (财决01).
    pub expenditure_fen: i64,
    /// Σ 实际支付金额 of the vouchers the bank paid.
    pub paid_fen: i64,
    /// Σ 退款.
    pub refunded_fen: i64,
    /// paid − refunded.
    pub payments_fen: i64,
    pub ties: bool,
}

impl App {
    /// The regions and units in the viewer's scope with their sets of `fiscal_year`; units
    /// [`LIST_PAGE_SIZE`] per page (`page` from 1).
    pub async fn final_accounts_list(
        &self,
        who: &Principal,
        fiscal_year: i64,
        page: i64,
    ) -> Result<ListView, AppError> {
        if !who.can(Action::Read, Resource::FinalAccounts) {
            return Err(Rejection::Forbidden.into());
        }
        check_year(fiscal_year)?;
        let page = page.max(1);
        let mut departments = Vec::new();
        let (regions, subject) = match who.scope() {
            DataScope::RegionSubtree { region_path } => (
                store::regions_with_sets(&self.db, &region_path, fiscal_year).await?,
                Subject::RegionPath { region_path },
            ),
            DataScope::AgencySubtree { agency_path, .. } => {
                if let Some(own) = who.agency_code() {
                    departments =
                        store::department_with_set(&self.db, own.as_str(), fiscal_year).await?;
                }
                (Vec::new(), Subject::AgencyPath { agency_path })
            }
            DataScope::Agency { agency_code, .. } => (
                Vec::new(),
                Subject::Unit {
                    agency_code: agency_code.as_str().to_owned(),
                },
            ),
        };
        let (units, n_units) = store::units_with_sets(
            &self.db,
            &subject,
            fiscal_year,
            LIST_PAGE_SIZE,
            (page - 1) * LIST_PAGE_SIZE,
        )
        .await?;
        Ok(ListView {
            fiscal_year,
            regions,
            departments,
            units,
            n_units,
            page,
        })
    }

    /// Ties the consolidated expenditure of every region (the tree's root set, computed now
    /// and not stored) out to the payments posted in `fiscal_year` (paid less refunds). For
    /// the simulation and `fiscus verify`-style checks; no principal, no scope.
    pub async fn final_accounts_tie_out(&self, fiscal_year: i64) -> Result<TieOut, AppError> {
        check_year(fiscal_year)?;
        let subject = Subject::RegionPath {
            region_path: "/".to_owned(),
        };
        let (set, _, _) = self.compute(&subject, fiscal_year).await?;
        let expenditure_fen = set.cell("cj01", "ex.total", "amount");
        let (paid_fen, refunded_fen) = store::payments_posted(&self.db, fiscal_year).await?;
        let payments_fen = paid_fen - refunded_fen;
        Ok(TieOut {
            fiscal_year,
            expenditure_fen,
            paid_fen,
            refunded_fen,
            payments_fen,
            ties: expenditure_fen == payments_fen,
        })
    }
}
