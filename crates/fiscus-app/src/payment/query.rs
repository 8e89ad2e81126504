//! The reads of the payment pages and API beyond the lists of `payment/mod.rs`: one voucher
//! by id, the voucher list with its filters and total, the voucher export, the batch-entry
//! template, and the 对账 page (mismatches and inbox conflicts), each scoped to the viewer.
//! The voucher filters run in the store (`fiscus_store::payment::search_vouchers`), scoped
//! like every read.

use std::collections::HashSet;

use fiscus_core::payment::message::VoucherMsg;
use fiscus_core::payment::voucher::VoucherState;
use fiscus_core::query::EXPORT_ROWS_MAX;
use fiscus_core::{Fen, Principal, Rejection, Role};
use fiscus_store::bank::{InboxRow, ReconItemRow};
use fiscus_store::payment::{self as store, ApplicationQuery, VoucherRow};
use fiscus_store::records::Viewer;
use rust_xlsxwriter::{Format, Workbook};

use super::ApplicationView;
use super::batch::SHEET_COLUMNS;
use crate::{App, AppError};

/// What the voucher list selects; `None` selects everything.
#[derive(Clone, Debug, Default)]
pub struct VoucherFilter {
    pub status: Option<VoucherState>,
    /// `YYYY-MM-DD`: the voucher date.
    pub vou_date: Option<String>,
    /// Substring of the voucher number, the payee name or the unit code.
    pub search: Option<String>,
}

/// A voucher with what its JSON holds for people: payee, purpose, signatures.
#[derive(Clone, Debug)]
pub struct VoucherView {
    pub row: VoucherRow,
    /// `None` when the stored JSON cannot be read (the row still shows).
    pub msg: Option<VoucherMsg>,
}

impl VoucherView {
    pub fn of(row: VoucherRow) -> VoucherView {
        let msg = serde_json::from_str(&row.voucher_json).ok();
        VoucherView { row, msg }
    }

    pub fn state_label(&self) -> &'static str {
        VoucherState::from_code(&self.row.status).map_or("未知", VoucherState::label)
    }

    pub fn payee_name(&self) -> &str {
        self.msg
            .as_ref()
            .map_or("", |msg| msg.payee_acct_name.as_str())
    }
}

/// One page of vouchers and how many the filter selects in all.
#[derive(Clone, Debug)]
pub struct VoucherPage {
    pub rows: Vec<VoucherView>,
    pub total: usize,
}

/// The 对账 page: mismatches of a date (or all open ones) and unresolved inbox conflicts.
#[derive(Clone, Debug, Default)]
pub struct Reconciliation {
    pub items: Vec<ReconItemRow>,
    pub conflicts: Vec<InboxRow>,
}

impl App {
    /// One page (1-based) of the applications `who` may see, newest first, and whether
    /// another page follows.
    pub async fn payment_application_page(
        &self,
        who: &Principal,
        status: Option<&str>,
        page: i64,
        page_rows: i64,
    ) -> Result<(Vec<ApplicationView>, bool), AppError> {
        let limit = page_rows.clamp(1, super::PAYMENT_PAGE_ROWS_MAX);
        let query = ApplicationQuery {
            status: status.map(str::to_owned),
            // One row more than the page tells whether another page follows.
            limit: limit + 1,
            offset: (page.max(1) - 1).saturating_mul(limit),
        };
        let mut rows = store::applications(&self.db, Viewer::User(who), &query).await?;
        let has_more = rows.len() as i64 > limit;
        rows.truncate(usize::try_from(limit).unwrap_or(0));
        let views = rows
            .into_iter()
            .map(|row| {
                let state_label = super::state_of(&row)?.label();
                Ok(ApplicationView { row, state_label })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        Ok((views, has_more))
    }

    /// Every voucher `who` may see that `filter` selects, newest first (at most the export
    /// limit).
    pub async fn payment_voucher_search(
        &self,
        who: &Principal,
        filter: &VoucherFilter,
    ) -> Result<Vec<VoucherView>, AppError> {
        let (rows, total) = self
            .search_vouchers(who, filter, None, i64::from(EXPORT_ROWS_MAX), 0)
            .await?;
        if total > i64::from(EXPORT_ROWS_MAX) {
            return Err(Rejection::ExportRowsExceeded {
                export_rows_max: EXPORT_ROWS_MAX,
            }
            .into());
        }
        Ok(rows)
    }

    /// One page (1-based) of [`App::payment_voucher_search`].
    pub async fn payment_voucher_page(
        &self,
        who: &Principal,
        filter: &VoucherFilter,
        page: i64,
        page_rows: i64,
    ) -> Result<VoucherPage, AppError> {
        let limit = page_rows.clamp(1, super::PAYMENT_PAGE_ROWS_MAX);
        let offset = (page.max(1) - 1).saturating_mul(limit);
        let (rows, total) = self
            .search_vouchers(who, filter, None, limit, offset)
            .await?;
        Ok(VoucherPage {
            rows,
            total: usize::try_from(total).unwrap_or(0),
        })
    }

    /// One voucher `who` may see (`not_found` otherwise).
    pub async fn payment_voucher(
        &self,
        who: &Principal,
        pay_cert_id: &str,
    ) -> Result<VoucherView, AppError> {
        let (rows, _) = self
            .search_vouchers(who, &VoucherFilter::default(), Some(pay_cert_id), 1, 0)
            .await?;
        rows.into_iter().next().ok_or_else(|| {
            Rejection::NotFound {
                what: "支付凭证"
            }
            .into()
        })
    }

    async fn search_vouchers(
        &self,
        who: &Principal,
        filter: &VoucherFilter,
        pay_cert_id: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<VoucherView>, i64), AppError> {
        let query = store::VoucherSearch {
            pay_cert_id,
            status: filter.status.map(VoucherState::code),
            vou_date: filter.vou_date.as_deref(),
            search: filter.search.as_deref(),
            limit,
            offset,
        };
        let (rows, total) = store::search_vouchers(&self.db, Viewer::User(who), &query).await?;
        Ok((rows.into_iter().map(VoucherView::of).collect(), total))
    }

    /// The vouchers `filter` selects as an .xlsx workbook, money in 元 as text.
    pub async fn payment_voucher_export(
        &self,
        who: &Principal,
        filter: &VoucherFilter,
    ) -> Result<Vec<u8>, AppError> {
        let views = self.payment_voucher_search(who, filter).await?;
        let header = [
            "凭证号",
            "凭证日期",
            "预算单位",
            "收款人",
            "收款人账号",
            "金额（元）",
            "状态",
            "发送时间",
            "实际支付金额（元）",
            "支付日期",
            "银行交易流水号",
            "退款金额（元）",
            "清算额度通知单号",
            "划款凭证号",
            "清算日期",
            "退回原因",
        ];
        let money = |fen: i64| Fen(fen).to_yuan_string();
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        let rows: Vec<Vec<String>> = views
            .iter()
            .map(|view| {
                let row = &view.row;
                vec![
                    row.pay_cert_no.clone(),
                    row.vou_date.clone(),
                    row.agency_code.clone(),
                    view.payee_name().to_owned(),
                    view.msg
                        .as_ref()
                        .map(|msg| msg.payee_acct_no.clone())
                        .unwrap_or_default(),
                    money(row.pay_amt),
                    view.state_label().to_owned(),
                    text(&row.sent_at),
                    row.xpay_amt.map(money).unwrap_or_default(),
                    text(&row.xpay_date),
                    text(&row.agent_business_no),
                    money(row.refunded_amt),
                    text(&row.lqd_quota_notice_no),
                    text(&row.lqd_cert_no),
                    text(&row.act_lqd_date),
                    text(&row.return_text),
                ]
            })
            .collect();
        workbook("支付凭证", &header, &rows)
    }

    /// The batch-entry template: the header row of `read_payment_sheet` and one example row.
    pub fn payment_batch_template(&self) -> Result<Vec<u8>, AppError> {
        let header: Vec<&str> = SHEET_COLUMNS.iter().map(|(label, _)| *label).collect();
        let example: Vec<String> = [
            "（指标主键，见支付申请录入页的指标列表）",
            "石河子市文具有限公司",
            "6222000012345678",
            "中国工商银行石河子分行",
            "",
            "1234.50",
            "购买办公用品",
            "1",
            "1",
            "",
        ]
        .iter()
        .map(|text| (*text).to_owned())
        .collect();
        workbook("支付申请", &header, &[example])
    }

    /// The 对账 page of the treasury division: the mismatches of `recon_date` (all open ones
    /// when `None`) and the open inbox conflicts, both limited to the viewer's vouchers.
    /// 立即对账: fetches the bank's statement of `recon_date` now and compares (the treasury
    /// division; the daily job does the same for yesterday).
    pub async fn payment_reconcile_now(
        &self,
        who: &Principal,
        recon_date: &str,
    ) -> Result<crate::bank::reconcile::ReconcileReport, AppError> {
        if !who.roles.contains(Role::TreasuryDivision) {
            return Err(Rejection::Forbidden.into());
        }
        self.bank_reconcile(recon_date, time::OffsetDateTime::now_utc())
            .await
    }

    pub async fn payment_reconciliation(
        &self,
        who: &Principal,
        recon_date: Option<&str>,
    ) -> Result<Reconciliation, AppError> {
        if !who.roles.contains(Role::TreasuryDivision) {
            return Err(Rejection::Forbidden.into());
        }
        let (vouchers, _) = self
            .search_vouchers(
                who,
                &VoucherFilter::default(),
                None,
                i64::from(EXPORT_ROWS_MAX),
                0,
            )
            .await?;
        let visible: HashSet<String> = vouchers
            .into_iter()
            .map(|view| view.row.pay_cert_no)
            .collect();
        let own_region = who.mof_div_code().as_str().to_owned();
        // A number the bank reports that we do not hold is ours when it carries our region.
        let ours = |pay_cert_no: &str| {
            visible.contains(pay_cert_no) || pay_cert_no.starts_with(&own_region)
        };
        let items = self
            .bank_reconciliation_items(recon_date, recon_date.is_none())
            .await?
            .into_iter()
            .filter(|item| ours(&item.pay_cert_no))
            .collect();
        let conflicts = self
            .bank_open_conflicts()
            .await?
            .into_iter()
            .filter(|row| ours(row.subject.split('/').next().unwrap_or_default()))
            .collect();
        Ok(Reconciliation { items, conflicts })
    }
}

fn workbook(sheet_name: &str, header: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, AppError> {
    let xlsx = |e: rust_xlsxwriter::XlsxError| AppError::Internal(format!("excel: {e}"));
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name).map_err(xlsx)?;
    let bold = Format::new().set_bold();
    for (column, label) in header.iter().enumerate() {
        let column = u16::try_from(column).map_err(|_| AppError::Internal("columns".into()))?;
        sheet
            .write_string_with_format(0, column, *label, &bold)
            .map_err(xlsx)?;
        sheet.set_column_width(column, 18).map_err(xlsx)?;
    }
    for (index, cells) in rows.iter().enumerate() {
        let row = u32::try_from(index + 1).map_err(|_| AppError::Internal("rows".into()))?;
        for (column, cell) in cells.iter().enumerate() {
            let column = u16::try_from(column).map_err(|_| AppError::Internal("columns".into()))?;
            sheet.write_string(row, column, cell).map_err(xlsx)?;
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(xlsx)?;
    workbook.save_to_buffer().map_err(xlsx)
}
