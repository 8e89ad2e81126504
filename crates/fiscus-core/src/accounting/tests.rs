//! The voucher rules, red reversal, the state machines and the posting rules, as tables.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use super::rules::*;
use super::*;

const RULES: &str = include_str!("../../../../data/accounting/rules.csv");
const CHARTS: [(BookType, &str); 3] = [
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

fn chart(book_type: BookType) -> Vec<Account> {
    let csv = CHARTS
        .iter()
        .find(|(book, _)| *book == book_type)
        .map(|(_, csv)| *csv)
        .unwrap_or("");
    parse_chart(csv).expect("chart parses")
}

fn line(code: &str, debit: i64, credit: i64) -> VoucherLine {
    VoucherLine {
        account_code: code.into(),
        debit: Fen(debit),
        credit: Fen(credit),
        dimensions: Dimensions::default(),
    }
}

fn draft(lines: Vec<VoucherLine>) -> VoucherDraft {
    VoucherDraft {
        book_type: BookType::UnitBudget,
        fiscal_year: 2026,
        period: 3,
        voucher_date: "2026-03-05".into(),
        summary: "测试".into(),
        lines,
    }
}

#[test]
fn charts_parse_and_rules_name_leaves() {
    for (book_type, _) in CHARTS {
        assert!(chart(book_type).len() >= 10, "{book_type:?}");
    }
    assert!(!is_leaf(&chart(BookType::UnitBudget), "7101"));
    assert!(is_leaf(&chart(BookType::UnitBudget), "710101"));
    assert!(is_leaf(&chart(BookType::FiscalGeneral), "5001"));
    let rules = parse_rules(RULES).expect("rules parse");
    for rule in &rules {
        let accounts = chart(rule.book_type);
        assert!(is_leaf(&accounts, &rule.debit_code), "{rule:?}");
        assert!(is_leaf(&accounts, &rule.credit_code), "{rule:?}");
    }
    for event_type in EventType::ALL {
        assert!(rules.iter().any(|r| r.event_type == event_type));
    }
    assert!(parse_chart("h\n1,a,,中,资产").is_err());
    assert!(parse_chart("h\n11,a,1,借,资产").is_err());
}

#[test]
fn voucher_rules_in_order() {
    let accounts = chart(BookType::UnitBudget);
    let leaf = |code: &str| is_leaf(&accounts, code);
    let good = draft(vec![line("710101", 100, 0), line("6001", 0, 100)]);
    assert_eq!(check_voucher(&good, PeriodState::Open, leaf), Ok(()));
    let cases: Vec<(VoucherDraft, PeriodState, &str)> = vec![
        (good.clone(), PeriodState::Closed, "period_closed"),
        (
            draft(vec![line("710101", 100, 0)]),
            PeriodState::Open,
            "voucher_invalid",
        ),
        (
            draft(vec![line("710101", 100, 100), line("6001", 0, 100)]),
            PeriodState::Open,
            "voucher_invalid",
        ),
        (
            draft(vec![line("710101", -100, 0), line("6001", 0, -100)]),
            PeriodState::Open,
            "voucher_invalid",
        ),
        (
            draft(vec![line("7101", 100, 0), line("6001", 0, 100)]),
            PeriodState::Open,
            "account_not_postable",
        ),
        (
            draft(vec![line("9999", 100, 0), line("6001", 0, 100)]),
            PeriodState::Open,
            "account_not_postable",
        ),
        (
            draft(vec![line("710101", 100, 0), line("6001", 0, 90)]),
            PeriodState::Open,
            "voucher_unbalanced",
        ),
    ];
    for (voucher, period_state, code) in cases {
        let result = check_voucher(&voucher, period_state, leaf);
        assert_eq!(
            result.map_err(|r| r.code()),
            Err(code.to_owned()),
            "{voucher:?}"
        );
    }
}

#[test]
fn reversal_negates_and_needs_a_posted_original() {
    let original = draft(vec![line("710101", 100, 0), line("6001", 0, 100)]);
    let red = reversal_of(&original, VoucherState::Posted, "2026-04-01").expect("reversal");
    assert_eq!(red.period, 4);
    assert_eq!(red.lines[0].debit, Fen(-100));
    assert_eq!(red.lines[1].credit, Fen(-100));
    assert_eq!(totals(&red.lines), (-100, -100));
    assert!(red.summary.starts_with("红字冲销"));
    assert_eq!(
        reversal_of(&original, VoucherState::Reviewed, "2026-04-01").map_err(|r| r.code()),
        Err("voucher_state_forbids".to_owned())
    );
}

#[test]
fn voucher_and_period_states() {
    use VoucherState::*;
    assert_eq!(Draft.review(), Ok(Reviewed));
    assert!(Reviewed.review().is_err());
    assert!(Posted.review().is_err());
    assert_eq!(
        Reviewed.post("a", "b", PeriodState::Open, "2026-03"),
        Ok(Posted)
    );
    assert_eq!(
        Reviewed.post("a", "a", PeriodState::Open, "2026-03"),
        Err(Rejection::PosterIsCreator)
    );
    assert!(Draft.post("a", "b", PeriodState::Open, "2026-03").is_err());
    assert!(Posted.post("a", "b", PeriodState::Open, "2026-03").is_err());
    assert_eq!(
        Reviewed
            .post("a", "b", PeriodState::Closed, "2026-03")
            .map_err(|r| r.code()),
        Err("period_closed".to_owned())
    );
    assert_eq!(
        PeriodState::Open.close("2026-03", 2),
        Err(Rejection::PeriodHasUnposted { n_unposted: 2 })
    );
    assert_eq!(
        PeriodState::Open.close("2026-03", 0),
        Ok(PeriodState::Closed)
    );
    assert!(PeriodState::Closed.close("2026-03", 0).is_err());
    assert_eq!(period_of("2026-03-05"), Some((2026, 3)));
    assert_eq!(period_of("2026-13-05"), None);
}

fn event(event_type: EventType, fund: &str, eco: &str) -> BusinessEvent {
    BusinessEvent {
        event_id: "E1".into(),
        event_type,
        amount: Fen(80_000),
        fiscal_year: 2026,
        event_date: "2026-03-01".into(),
        summary: "购买办公用品".into(),
        dimensions: Dimensions {
            fund_type_code: fund.into(),
            dep_bgt_eco_code: eco.into(),
            ..Dimensions::default()
        },
    }
}

#[test]
fn posting_rules_pick_the_most_specific_row() {
    let rules = parse_rules(RULES).expect("rules");
    let entries = |e: &BusinessEvent| -> Vec<(BookType, String, String)> {
        vouchers_for_event(e, &rules)
            .expect("vouchers")
            .into_iter()
            .map(|v| {
                assert_eq!(totals(&v.lines), (80_000, 80_000));
                (
                    v.book_type,
                    v.lines[0].account_code.clone(),
                    v.lines[1].account_code.clone(),
                )
            })
            .collect()
    };
    let s = |t: &str| t.to_owned();
    type Entries = Vec<(BookType, String, String)>;
    let cases: Vec<(BusinessEvent, Entries)> = vec![
        (
            event(EventType::PaymentPosted, "11", "30201"),
            vec![
                (BookType::UnitFinancial, s("5001"), s("4001")),
                (BookType::UnitBudget, s("710101"), s("6001")),
            ],
        ),
        (
            event(EventType::PaymentPosted, "11", "31002"),
            vec![
                (BookType::UnitFinancial, s("1601"), s("4001")),
                (BookType::UnitBudget, s("710101"), s("6001")),
            ],
        ),
        (
            event(EventType::Refund, "11", "30201"),
            vec![
                (BookType::UnitFinancial, s("4001"), s("5001")),
                (BookType::UnitBudget, s("6001"), s("710101")),
            ],
        ),
        (
            event(EventType::Clearing, "11", "30201"),
            vec![(BookType::FiscalGeneral, s("5001"), s("1001"))],
        ),
        (
            event(EventType::Clearing, "21", "30201"),
            vec![(BookType::FiscalGeneral, s("5002"), s("1001"))],
        ),
        (
            event(EventType::TransferAllocation, "11", ""),
            vec![(BookType::FiscalGeneral, s("5011"), s("1001"))],
        ),
        (
            event(EventType::Revenue, "21", ""),
            vec![(BookType::FiscalGeneral, s("1001"), s("4002"))],
        ),
    ];
    for (e, expected) in cases {
        assert_eq!(entries(&e), expected, "{e:?}");
    }
    let mut zero = event(EventType::Clearing, "11", "");
    zero.amount = Fen(0);
    assert!(vouchers_for_event(&zero, &rules).is_err());
}

#[test]
fn closing_lines_split_the_carried_part_and_balance() {
    use super::close::{closing_lines, parse_closing_rules};
    let rules = parse_closing_rules(include_str!("../../../../data/accounting/closing.csv"))
        .expect("closing rules");
    // 6001 credit 1000 (800 paid + 200 carried), 710101 debit 800.
    let balances = vec![("6001".to_owned(), -100_000), ("710101".to_owned(), 80_000)];
    let lines = closing_lines(BookType::UnitBudget, 1, &balances, &rules, 20_000).expect("lines");
    let entries: Vec<(&str, i64, i64)> = lines
        .iter()
        .map(|l| (l.account_code.as_str(), l.debit.0, l.credit.0))
        .collect();
    assert_eq!(
        entries,
        vec![
            ("6001", 100_000, 0),
            ("710101", 0, 80_000),
            ("8101", 0, 20_000),
        ],
        "nothing lapses: 1000 received, 800 spent, 200 carried"
    );
    let lines = closing_lines(BookType::UnitBudget, 1, &balances, &rules, 5_000).expect("lines");
    assert!(
        lines
            .iter()
            .any(|l| l.account_code == "8102" && l.credit.0 == 15_000)
    );
    let financial = vec![("4001".to_owned(), -100_000), ("5001".to_owned(), 80_000)];
    let lines = closing_lines(BookType::UnitFinancial, 1, &financial, &rules, 0).expect("lines");
    assert!(
        lines
            .iter()
            .any(|l| l.account_code == "3301" && l.credit.0 == 20_000)
    );
    assert!(
        closing_lines(BookType::UnitFinancial, 2, &financial, &rules, 0)
            .expect("nothing at step 2")
            .is_empty()
    );
}
