//! Writing the books: manual vouchers, review (审核), posting (记账), red reversal (红字冲销)
//! and the monthly close (结账). Each is one transaction with its audit row; a rejection
//! writes nothing.

use fiscus_core::accounting::{
    BookType, Dimensions, VoucherDraft, VoucherLine, VoucherState, period_label, period_of,
    reversal_of,
};
use fiscus_core::{Fen, Principal, Rejection};
use fiscus_store::accounting::{self as store, BookKey, VoucherRow};
use fiscus_store::audit::{AuditEntry, now};
use fiscus_store::{Tx, records::Viewer};

use super::{VoucherHeader, book_for_writer, check_writer, insert_checked, period_state};
use crate::{App, AppError, RequestCtx};

/// A manual voucher as entered: amounts in 元 text, an empty side is zero.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct ManualVoucher {
    pub book_type: String,
    /// `YYYY-MM-DD`: the voucher's year and month.
    pub voucher_date: String,
    pub summary: String,
    pub lines: Vec<ManualLine>,
}

/// One line of a manual voucher.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct ManualLine {
    pub account_code: String,
    #[serde(default)]
    pub debit_yuan: String,
    #[serde(default)]
    pub credit_yuan: String,
    #[serde(default)]
    pub dimensions: Dimensions,
}

fn yuan_or_zero(text: &str, field: &'static str) -> Result<Fen, Rejection> {
    match text.trim() {
        "" => Ok(Fen(0)),
        text => Fen::parse_yuan(text, field),
    }
}

impl ManualVoucher {
    /// Parses the wire form into a draft: the book type, the date and the amounts.
    pub fn parse(&self) -> Result<VoucherDraft, Rejection> {
        let book_type = BookType::parse(&self.book_type)?;
        let (fiscal_year, period) =
            period_of(&self.voucher_date).ok_or(Rejection::FieldInvalid {
                field: "凭证日期",
                expected: "YYYY-MM-DD",
            })?;
        let summary = self.summary.trim();
        if summary.is_empty() {
            return Err(Rejection::FieldRequired { field: "摘要" });
        }
        let mut lines = Vec::with_capacity(self.lines.len());
        for line in &self.lines {
            lines.push(VoucherLine {
                account_code: line.account_code.trim().to_owned(),
                debit: yuan_or_zero(&line.debit_yuan, "借方金额")?,
                credit: yuan_or_zero(&line.credit_yuan, "贷方金额")?,
                dimensions: line.dimensions.clone(),
            });
        }
        Ok(VoucherDraft {
            book_type,
            fiscal_year,
            period,
            voucher_date: self.voucher_date.clone(),
            summary: summary.to_owned(),
            lines,
        })
    }
}

async fn audit(
    tx: &mut Tx,
    who: &Principal,
    action: &'static str,
    key: &str,
    changes: serde_json::Value,
    ctx: &RequestCtx,
) -> Result<(), AppError> {
    let mut entry = AuditEntry::by(Some(who), action);
    entry.entity = Some("accounting_voucher");
    entry.entity_key = Some(key.to_owned());
    entry.changes = Some(changes.to_string());
    entry.ip = ctx.ip.clone();
    entry.request_id = ctx.request_id.clone();
    fiscus_store::audit::append(tx, &entry).await?;
    Ok(())
}

/// The voucher `voucher_id` of a book `who` writes, locked for the transaction.
async fn writable_voucher(
    tx: &mut Tx,
    who: &Principal,
    voucher_id: &str,
) -> Result<(VoucherRow, VoucherState), AppError> {
    let voucher = store::voucher_for_update(tx, voucher_id)
        .await?
        .ok_or(Rejection::NotFound {
            what: "会计凭证"
        })?;
    check_writer(who, &voucher.book())?;
    super::check_year_open(tx, &voucher.mof_div_code, voucher.fiscal_year).await?;
    let state = VoucherState::from_code(&voucher.status)
        .ok_or_else(|| AppError::Internal(format!("voucher status {}", voucher.status)))?;
    Ok((voucher, state))
}

impl App {
    /// Enters a manual voucher into `who`'s own book; returns its id.
    pub async fn accounting_voucher_create(
        &self,
        who: &Principal,
        input: &ManualVoucher,
        ctx: &RequestCtx,
    ) -> Result<String, AppError> {
        let draft = input.parse()?;
        let book = book_for_writer(who, draft.book_type)?;
        let voucher_id = crate::bank::jobs::new_id("acc.")?;
        let mut tx = self.db.begin().await?;
        let header = VoucherHeader {
            voucher_id: voucher_id.clone(),
            event_id: None,
            reverses_voucher_id: None,
            status: VoucherState::Draft.code(),
            created_by: who.user_name.to_string(),
        };
        if !insert_checked(&mut tx, &book, &draft, header).await? {
            return Err(AppError::Internal(format!("voucher id {voucher_id} taken")));
        }
        let changes = serde_json::json!({ "book": book, "draft": draft });
        audit(&mut tx, who, "create", &voucher_id, changes, ctx).await?;
        tx.commit().await?;
        Ok(voucher_id)
    }

    /// 审核: a draft of `who`'s book becomes reviewed.
    pub async fn accounting_voucher_review(
        &self,
        who: &Principal,
        voucher_id: &str,
        ctx: &RequestCtx,
    ) -> Result<(), AppError> {
        let mut tx = self.db.begin().await?;
        let (_, state) = writable_voucher(&mut tx, who, voucher_id).await?;
        let next = state.review()?;
        self.advance(&mut tx, who, voucher_id, state, next, ctx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// 记账: a reviewed voucher becomes posted, by someone other than its creator, into an
    /// open month.
    pub async fn accounting_voucher_post(
        &self,
        who: &Principal,
        voucher_id: &str,
        ctx: &RequestCtx,
    ) -> Result<(), AppError> {
        let mut tx = self.db.begin().await?;
        let (voucher, state) = writable_voucher(&mut tx, who, voucher_id).await?;
        let period = period_state(
            &mut tx,
            &voucher.book(),
            voucher.fiscal_year,
            voucher.period,
        )
        .await?;
        let label = format!("{}-{:02}", voucher.fiscal_year, voucher.period);
        let next = state.post(&voucher.created_by, who.user_name.as_str(), period, &label)?;
        self.advance(&mut tx, who, voucher_id, state, next, ctx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn advance(
        &self,
        tx: &mut Tx,
        who: &Principal,
        voucher_id: &str,
        from: VoucherState,
        to: VoucherState,
        ctx: &RequestCtx,
    ) -> Result<(), AppError> {
        let moved = store::advance_voucher(
            tx,
            voucher_id,
            from.code(),
            to.code(),
            who.user_name.as_str(),
            &now(),
        )
        .await?;
        if !moved {
            return Err(Rejection::StaleVersion.into());
        }
        let changes = serde_json::json!({ "status": [from.code(), to.code()] });
        audit(tx, who, to.code(), voucher_id, changes, ctx).await
    }

    /// 红字冲销: a new draft voucher in the same book, dated `voucher_date`, negating every
    /// line of the posted voucher `voucher_id`, which stays as it is. Returns the new id.
    pub async fn accounting_voucher_reverse(
        &self,
        who: &Principal,
        voucher_id: &str,
        voucher_date: &str,
        ctx: &RequestCtx,
    ) -> Result<String, AppError> {
        let mut tx = self.db.begin().await?;
        let (voucher, state) = writable_voucher(&mut tx, who, voucher_id).await?;
        let lines = store::lines_in_tx(&mut tx, voucher_id).await?;
        let original = VoucherDraft {
            book_type: BookType::parse(&voucher.book_type)?,
            fiscal_year: i32::try_from(voucher.fiscal_year)
                .map_err(|_| AppError::Internal("year".into()))?,
            period: u8::try_from(voucher.period)
                .map_err(|_| AppError::Internal("period".into()))?,
            voucher_date: voucher.voucher_date.clone(),
            summary: voucher.summary.clone(),
            lines: lines
                .iter()
                .map(|line| VoucherLine {
                    account_code: line.account_code.clone(),
                    debit: Fen(line.debit_fen),
                    credit: Fen(line.credit_fen),
                    dimensions: Dimensions {
                        agency_code: line.agency_code.clone(),
                        exp_func_code: line.exp_func_code.clone(),
                        dep_bgt_eco_code: line.dep_bgt_eco_code.clone(),
                        fund_type_code: line.fund_type_code.clone(),
                        pro_code: line.pro_code.clone(),
                        bgt_id: line.bgt_id.clone(),
                    },
                })
                .collect(),
        };
        if voucher.reverses_voucher_id.is_some() {
            return Err(Rejection::VoucherStateForbids {
                action: "红字冲销",
                state: "红字凭证",
            }
            .into());
        }
        let red = reversal_of(&original, state, voucher_date)?;
        let red_id = format!("{voucher_id}.red");
        let header = VoucherHeader {
            voucher_id: red_id.clone(),
            event_id: None,
            reverses_voucher_id: Some(voucher_id.to_owned()),
            status: VoucherState::Draft.code(),
            created_by: who.user_name.to_string(),
        };
        if !insert_checked(&mut tx, &voucher.book(), &red, header).await? {
            return Err(Rejection::VoucherStateForbids {
                action: "红字冲销",
                state: "已冲销",
            }
            .into());
        }
        let changes = serde_json::json!({ "reverses": voucher_id });
        audit(&mut tx, who, "reverse", &red_id, changes, ctx).await?;
        tx.commit().await?;
        Ok(red_id)
    }

    /// 结账: closes a month of `who`'s book of `book_type`; refused while vouchers of the
    /// month are not posted, or when it is closed already.
    pub async fn accounting_period_close(
        &self,
        who: &Principal,
        book_type: BookType,
        fiscal_year: i32,
        period: u8,
        ctx: &RequestCtx,
    ) -> Result<(), AppError> {
        if !(1..=12).contains(&period) {
            return Err(Rejection::FieldInvalid {
                field: "会计期间",
                expected: "1 至 12 月",
            }
            .into());
        }
        let book = book_for_writer(who, book_type)?;
        let year = i64::from(fiscal_year);
        let month = i64::from(period);
        let label = period_label(fiscal_year, period);
        let mut tx = self.db.begin().await?;
        super::check_year_open(&mut tx, &book.mof_div_code, year).await?;
        let state = period_state(&mut tx, &book, year, month).await?;
        let n_unposted = store::count_unposted(&mut tx, &book, year, month).await?;
        state.close(&label, n_unposted)?;
        if !store::insert_period_close(&mut tx, &book, year, month, who.user_name.as_str(), &now())
            .await?
        {
            return Err(Rejection::PeriodClosed { period: label }.into());
        }
        let mut entry = AuditEntry::by(Some(who), "close_period");
        entry.entity = Some("accounting_period");
        entry.entity_key = Some(format!("{}:{}:{label}", book.book_type, book.owner()));
        entry.ip = ctx.ip.clone();
        entry.request_id = ctx.request_id.clone();
        fiscus_store::audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Vouchers `who` may see, filtered, one page (at most `PAGE_SIZE_MAX`).
    pub async fn accounting_vouchers(
        &self,
        who: &Principal,
        filter: &store::VoucherFilter,
        page: i64,
        page_size: i64,
    ) -> Result<Vec<VoucherRow>, AppError> {
        if !who.can(fiscus_core::Action::Read, fiscus_core::Resource::Accounting) {
            return Err(Rejection::Forbidden.into());
        }
        let page_size = page_size.clamp(1, i64::from(fiscus_core::query::PAGE_SIZE_MAX));
        Ok(store::list_vouchers(&self.db, Viewer::User(who), filter, page, page_size).await?)
    }

    /// One voucher `who` may see, with its lines.
    pub async fn accounting_voucher(
        &self,
        who: &Principal,
        voucher_id: &str,
    ) -> Result<(VoucherRow, Vec<store::LineRow>), AppError> {
        if !who.can(fiscus_core::Action::Read, fiscus_core::Resource::Accounting) {
            return Err(Rejection::Forbidden.into());
        }
        let voucher = store::voucher(&self.db, Viewer::User(who), voucher_id)
            .await?
            .ok_or(Rejection::NotFound {
                what: "会计凭证"
            })?;
        let lines = store::voucher_lines(&self.db, voucher_id).await?;
        Ok((voucher, lines))
    }
}

/// The book of `book_type` that `who` keeps, for callers that name a book by its type only.
pub fn own_book(who: &Principal, book_type: BookType) -> Result<BookKey, Rejection> {
    book_for_writer(who, book_type)
}
