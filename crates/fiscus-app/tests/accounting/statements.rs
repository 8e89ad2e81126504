//! Vouchers generated in the payment's own transaction; the statements (balance sheet,
//! income and expense statement, budget execution statement) and the indicator accounting
//! book, tied to the ledger's own figures; and the scope of every read.

use fiscus_app::accounting::{ManualLine, ManualVoucher};
use fiscus_app::ledger::query::SummaryBy;
use fiscus_core::accounting::BookType;
use fiscus_store::accounting::{ExecutionGroup, ExecutionScope};
use fiscus_store::ledger::query::IndicatorFilter;
use fiscus_store::testing::TestDb;

use crate::drive::*;
use crate::setup::*;
use crate::support::*;

fiscus_store::on_both_backends!(
    vouchers_follow_the_payment_in_its_transaction,
    statements_balance_and_tie_to_the_ledger,
);

/// A second clerk of the cast's unit (the small demo has one): the same unit and roles
/// under another name, so that what one clerk enters the other may post.
pub fn second_clerk(world: &World) -> fiscus_core::Principal {
    let mut other = world.cast.clerk.clone();
    other.user_name =
        fiscus_core::code::UserName::parse(&format!("{}.b", world.cast.clerk.user_name.as_str()))
            .expect("user name");
    other
}

/// Reviews and posts every voucher of the cast's two unit books not yet posted, each by a
/// clerk who did not create it.
pub async fn post_unit_books(world: &World) {
    let app = &world.app;
    let clerk = &world.cast.clerk;
    let other = second_clerk(world);
    for book_type in [BookType::UnitFinancial, BookType::UnitBudget] {
        for voucher in vouchers_of(app, clerk, &unit_book(world, book_type)).await {
            let who = if voucher.created_by == clerk.user_name.as_str() {
                &other
            } else {
                clerk
            };
            if voucher.status == "draft" {
                app.accounting_voucher_review(who, &voucher.voucher_id, &ctx())
                    .await
                    .expect("review");
            }
            if voucher.status != "posted" {
                app.accounting_voucher_post(who, &voucher.voucher_id, &ctx())
                    .await
                    .expect("post");
            }
        }
    }
}

pub fn line(code: &str, debit: &str, credit: &str) -> ManualLine {
    ManualLine {
        account_code: code.into(),
        debit_yuan: debit.into(),
        credit_yuan: credit.into(),
        ..ManualLine::default()
    }
}

pub fn manual(book_type: BookType, date: &str, lines: Vec<ManualLine>) -> ManualVoucher {
    ManualVoucher {
        book_type: book_type.code().into(),
        voucher_date: date.into(),
        summary: "手工凭证".into(),
        lines,
    }
}

async fn vouchers_follow_the_payment_in_its_transaction(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    pay(
        &world,
        "1000.00",
        80_000,
        30_000,
        "2026-03-01",
        "2026-03-02",
        "N1",
    )
    .await;
    let clerk = &world.cast.clerk;
    let financial = vouchers_of(app, clerk, &unit_book(&world, BookType::UnitFinancial)).await;
    let budget = vouchers_of(app, clerk, &unit_book(&world, BookType::UnitBudget)).await;
    let general = vouchers_of(app, &world.cast.treasury, &fiscal_book(&world)).await;
    assert_eq!(
        (financial.len(), budget.len(), general.len()),
        (2, 2, 1),
        "payment, refund and clearing booked without the catch-up"
    );
    let before = snapshot(app).await;
    let summary = app.accounting_generate_pending().await.expect("catch-up");
    assert_eq!(
        (summary.n_events, summary.n_vouchers),
        (0, 0),
        "{summary:?}"
    );
    assert_eq!(snapshot(app).await, before);
}

async fn statements_balance_and_tie_to_the_ledger(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    pay(
        &world,
        "1000.00",
        80_000,
        30_000,
        "2026-03-01",
        "2026-03-02",
        "N1",
    )
    .await;
    pay(
        &world,
        "500.00",
        50_000,
        0,
        "2026-04-03",
        "2026-04-04",
        "N2",
    )
    .await;
    let clerk = &world.cast.clerk;
    let treasury = &world.cast.treasury;
    // Assets and a liability besides the payments: 事业收入 into the bank, stock on credit.
    for lines in [
        vec![line("1002", "500.00", ""), line("4101", "", "500.00")],
        vec![line("1302", "200.00", ""), line("2302", "", "200.00")],
    ] {
        app.accounting_voucher_create(
            clerk,
            &manual(BookType::UnitFinancial, "2026-05-06", lines),
            &ctx(),
        )
        .await
        .expect("manual voucher");
    }
    post_unit_books(&world).await;
    let financial = unit_book(&world, BookType::UnitFinancial);
    let sheet = app
        .accounting_balance_sheet(clerk, &financial, 2026, 12)
        .await
        .expect("资产负债表");
    assert!(sheet.balanced, "{sheet:?}");
    assert_eq!(sheet.assets_fen, 70_000);
    assert_eq!(sheet.liabilities_fen, 20_000);
    assert_eq!(
        sheet.net_assets_fen, 50_000,
        "本期盈余 = 1500 + 500 − 1500 − 0"
    );
    let income = app
        .accounting_income_statement(clerk, &financial, 2026, 12)
        .await
        .expect("收入费用表");
    assert_eq!((income.revenue_fen, income.expense_fen), (150_000, 100_000));
    assert_eq!(income.surplus_fen, 50_000);
    let april = app
        .accounting_income_statement(clerk, &financial, 2026, 4)
        .await
        .expect("April");
    assert_eq!(
        (april.revenue_month_fen, april.revenue_fen),
        (50_000, 100_000)
    );
    let budget = app
        .accounting_income_statement(clerk, &unit_book(&world, BookType::UnitBudget), 2026, 12)
        .await
        .expect("预算收入支出表");
    assert_eq!((budget.revenue_fen, budget.expense_fen), (100_000, 100_000));
    assert_eq!(
        code(
            &app.accounting_balance_sheet(&world.cast.outsider, &financial, 2026, 12)
                .await
        ),
        "not_found",
        "another unit does not see this unit's statements"
    );
    assert_eq!(
        code(
            &app.accounting_balance_sheet(
                clerk,
                &unit_book(&world, BookType::UnitBudget),
                2026,
                12
            )
            .await
        ),
        "field_invalid",
        "a balance sheet is of the 财务会计 book"
    );

    // The execution statement equals the ledger's own roll-up.
    let unit_scope = ExecutionScope::AgencySubtree {
        agency_code: world.cast.agency_code.clone(),
    };
    let region_scope = ExecutionScope::RegionSubtree {
        mof_div_code: world.cast.mof_div_code.clone(),
    };
    let filter = IndicatorFilter {
        fiscal_year: Some(2026),
        agency_code: Some(world.cast.agency_code.clone()),
        ..IndicatorFilter::default()
    };
    let (_, ledger) = app
        .indicator_summary(treasury, &filter, SummaryBy::Region)
        .await
        .expect("ledger roll-up");
    for (who, scope) in [
        (clerk, &unit_scope),
        (treasury, &unit_scope),
        (treasury, &region_scope),
    ] {
        for group in [
            ExecutionGroup::Func(3),
            ExecutionGroup::Func(5),
            ExecutionGroup::Eco(3),
        ] {
            let statement = app
                .accounting_execution_statement(who, scope, 2026, group)
                .await
                .expect("预算执行情况表");
            let total = &statement.total;
            assert_eq!(total.spent_fen, ledger.spent_fen, "{scope:?} {group:?}");
            assert_eq!(total.spent_fen, 100_000);
            assert_eq!(total.total_fen, ledger.total_fen);
            assert_eq!(total.available_fen, ledger.available_fen);
            assert_eq!(total.initial_fen + total.adjusted_fen, total.total_fen);
            assert_eq!(total.rate_bp, 100_000 * 10_000 / FUNDED_FEN);
            let rows_spent: i64 = statement.rows.iter().map(|r| r.spent_fen).sum();
            assert_eq!(rows_spent, total.spent_fen);
        }
    }
    // The department sees its subtree, the unit among it, and not the region.
    let data = fiscus_app::demo::generate(fiscus_app::demo::Scale::Small);
    let department = data
        .units
        .iter()
        .find(|u| u.agency_code == world.cast.agency_code)
        .and_then(|u| u.parent_agency_code.clone())
        .expect("the unit's department");
    let reviewer_name = data
        .users
        .iter()
        .find(|u| {
            u.agency_code.as_deref() == Some(department.as_str())
                && u.roles == fiscus_core::Role::DeptReviewer.code()
        })
        .map(|u| u.user_name.clone())
        .expect("the department's reviewer");
    let reviewer = principal(app, &reviewer_name).await;
    let dept_scope = ExecutionScope::AgencySubtree {
        agency_code: department,
    };
    for scope in [&dept_scope, &unit_scope] {
        let statement = app
            .accounting_execution_statement(&reviewer, scope, 2026, ExecutionGroup::Func(3))
            .await
            .expect("the department's statement");
        assert_eq!(statement.total.spent_fen, 100_000, "{scope:?}");
    }
    assert_eq!(
        code(
            &app.accounting_execution_statement(
                &reviewer,
                &region_scope,
                2026,
                ExecutionGroup::Func(3)
            )
            .await
        ),
        "not_found"
    );
    assert_eq!(
        code(
            &app.accounting_execution_statement(
                &world.cast.outsider,
                &unit_scope,
                2026,
                ExecutionGroup::Func(3)
            )
            .await
        ),
        "not_found"
    );
    assert_eq!(
        code(
            &app.accounting_execution_statement(
                clerk,
                &region_scope,
                2026,
                ExecutionGroup::Func(3)
            )
            .await
        ),
        "not_found",
        "a unit does not see its region's statement"
    );

    // The indicator book balances and its 已支出 row is the ledger's 已支出.
    let book = app
        .accounting_indicator_book(treasury, &world.cast.mof_div_code, 2026)
        .await
        .expect("指标核算");
    assert!(book.balanced, "{book:?}");
    assert_eq!(book.total.debit_fen, book.total.credit_fen);
    let spent = book.rows.iter().find(|r| r.kind == "s").expect("已支出");
    let (_, region_ledger) = app
        .indicator_summary(
            treasury,
            &IndicatorFilter {
                fiscal_year: Some(2026),
                mof_div_code: Some(world.cast.mof_div_code.clone()),
                ..IndicatorFilter::default()
            },
            SummaryBy::Region,
        )
        .await
        .expect("region roll-up");
    assert_eq!(-spent.closing_fen, region_ledger.spent_fen);
    let avail = book.rows.iter().find(|r| r.kind == "a").expect("可用");
    assert_eq!(
        -avail.closing_fen,
        region_ledger.available_fen + region_ledger.reserved_fen,
        "posted 可用 includes what is reserved"
    );
    assert_eq!(
        code(
            &app.accounting_indicator_book(clerk, &world.cast.mof_div_code, 2026)
                .await
        ),
        "not_found",
        "the indicator book is the finance bureau's"
    );
}
