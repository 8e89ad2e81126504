//! Table-driven tests of the payment rules: every field rule through one `check` helper,
//! the states and their verdicts on bank messages, voucher numbers and accounting entries.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use super::application::{ApplicationState, PaymentDraft};
use super::voucher::{AccountingKind, Verdict, VoucherState, voucher_no};
use crate::code::{FiscalYear, MofDivCode};
use crate::money::Fen;

type Edit = Box<dyn FnOnce(&mut PaymentDraft)>;

fn good() -> PaymentDraft {
    PaymentDraft {
        bgt_id: "B1".into(),
        payee_acct_name: "石河子市文具有限公司".into(),
        payee_acct_no: "6222 0000 1234 5678".into(),
        payee_acct_bank_name: "中国工商银行石河子分行".into(),
        payee_bank_code: String::new(),
        pay_app_amt: "1234.50".into(),
        use_des: "购买办公用品".into(),
        ..PaymentDraft::default()
    }
}

/// Applies `edit` to a good draft and returns the rejection code, or "ok".
fn check(edit: impl FnOnce(&mut PaymentDraft)) -> String {
    let mut draft = good();
    edit(&mut draft);
    match draft.parse() {
        Ok(_) => "ok".into(),
        Err(rejection) => rejection.code(),
    }
}

#[test]
fn field_rules() {
    let cases: Vec<(&str, Edit, &str)> = vec![
        ("good", Box::new(|_| {}), "ok"),
        (
            "empty bgt_id",
            Box::new(|d| d.bgt_id.clear()),
            "field_required",
        ),
        (
            "name empty",
            Box::new(|d| d.payee_acct_name = "  ".into()),
            "field_required",
        ),
        (
            "name script",
            Box::new(|d| d.payee_acct_name = "<script>alert(1)</script>".into()),
            "text_has_special_chars",
        ),
        (
            "name digits",
            Box::new(|d| d.payee_acct_name = "12345".into()),
            "field_invalid",
        ),
        (
            "name control",
            Box::new(|d| d.payee_acct_name = "某公司\u{7}".into()),
            "text_has_special_chars",
        ),
        (
            "name too long",
            Box::new(|d| d.payee_acct_name = "公".repeat(101)),
            "field_too_long",
        ),
        (
            "name foreign",
            Box::new(|d| d.payee_acct_name = "ACME Ltd.".into()),
            "ok",
        ),
        (
            "account letters",
            Box::new(|d| d.payee_acct_no = "62220000ABCD".into()),
            "account_no_invalid",
        ),
        (
            "account chinese",
            Box::new(|d| d.payee_acct_no = "6222中国0000".into()),
            "account_no_invalid",
        ),
        (
            "account short",
            Box::new(|d| d.payee_acct_no = "123".into()),
            "account_no_invalid",
        ),
        (
            "account empty",
            Box::new(|d| d.payee_acct_no.clear()),
            "field_required",
        ),
        (
            "bank digits",
            Box::new(|d| d.payee_acct_bank_name = "102".into()),
            "field_invalid",
        ),
        (
            "bank code bad",
            Box::new(|d| d.payee_bank_code = "12AB".into()),
            "bank_code_invalid",
        ),
        (
            "bank code good",
            Box::new(|d| d.payee_bank_code = "102881000015".into()),
            "ok",
        ),
        (
            "amount zero",
            Box::new(|d| d.pay_app_amt = "0".into()),
            "amount_not_positive",
        ),
        (
            "amount negative",
            Box::new(|d| d.pay_app_amt = "-5".into()),
            "amount_not_positive",
        ),
        (
            "amount text",
            Box::new(|d| d.pay_app_amt = "一百".into()),
            "amount_invalid",
        ),
        (
            "amount 3 decimals",
            Box::new(|d| d.pay_app_amt = "1.234".into()),
            "amount_invalid",
        ),
        (
            "amount overflow",
            Box::new(|d| d.pay_app_amt = "99999999999999999999".into()),
            "amount_too_large",
        ),
        (
            "amount over max",
            Box::new(|d| d.pay_app_amt = "10000000000001".into()),
            "amount_too_large",
        ),
        (
            "amount empty",
            Box::new(|d| d.pay_app_amt.clear()),
            "field_required",
        ),
        (
            "purpose 无",
            Box::new(|d| d.use_des = "无".into()),
            "field_invalid",
        ),
        (
            "purpose 其他",
            Box::new(|d| d.use_des = " 其他 ".into()),
            "field_invalid",
        ),
        (
            "purpose digits",
            Box::new(|d| d.use_des = "2026".into()),
            "field_invalid",
        ),
        (
            "purpose latin",
            Box::new(|d| d.use_des = "office".into()),
            "field_invalid",
        ),
        (
            "purpose special",
            Box::new(|d| d.use_des = "采购'; DROP TABLE".into()),
            "text_has_special_chars",
        ),
        (
            "purpose too long",
            Box::new(|d| d.use_des = "用".repeat(201)),
            "field_too_long",
        ),
        (
            "set mode label",
            Box::new(|d| d.set_mode_code = "公务卡".into()),
            "ok",
        ),
        (
            "set mode unknown",
            Box::new(|d| d.set_mode_code = "9".into()),
            "field_invalid",
        ),
        (
            "bus type unknown",
            Box::new(|d| d.pay_bus_type_code = "2".into()),
            "field_invalid",
        ),
        (
            "eco class letters",
            Box::new(|d| d.gov_bgt_eco_code = "50A".into()),
            "field_invalid",
        ),
        (
            "contract special",
            Box::new(|d| d.contract_no = "HT<1>".into()),
            "text_has_special_chars",
        ),
    ];
    for (name, edit, expected) in cases {
        assert_eq!(check(edit), expected, "{name}");
    }
}

#[test]
fn parsed_fields_are_clean() {
    let parsed = good().parse().expect("valid");
    assert_eq!(parsed.payee_acct_no.as_str(), "6222000012345678");
    assert_eq!(parsed.pay_app_amt, Fen(123_450));
    assert_eq!(parsed.set_mode_code, "1");
    assert_eq!(parsed.pay_bus_type_code, "1");
    assert_eq!(parsed.to_draft().parse().expect("round trip"), parsed);
}

#[test]
fn procurement_needs_a_contract() {
    let mut parsed = good().parse().expect("valid");
    assert!(parsed.check_contract(false).is_ok());
    assert_eq!(
        parsed.check_contract(true).map_err(|r| r.code()),
        Err("procurement_contract_required".to_owned())
    );
    parsed.contract_no = "HT-2026-001".into();
    assert!(parsed.check_contract(true).is_ok());
}

#[test]
fn states_have_codes_and_labels() {
    for state in ApplicationState::ALL {
        assert_eq!(ApplicationState::from_code(state.code()), Some(state));
        assert!(!state.label().is_empty());
    }
    for state in VoucherState::ALL {
        assert_eq!(VoucherState::from_code(state.code()), Some(state));
        assert!(!state.label().is_empty());
    }
}

#[test]
fn verdicts_depend_only_on_the_state() {
    use VoucherState::*;
    let conflict = |verdict: Verdict| matches!(verdict, Verdict::Conflict(_));
    let cases = [
        (Approved, Verdict::Apply, Verdict::Apply),
        (Sent, Verdict::Apply, Verdict::Apply),
        (Paid, Verdict::Repeat, Verdict::Conflict(String::new())),
        (Returned, Verdict::Conflict(String::new()), Verdict::Repeat),
        (
            PartlyRefunded,
            Verdict::Repeat,
            Verdict::Conflict(String::new()),
        ),
    ];
    for (state, receipt, ret) in cases {
        let got = (state.on_receipt(), state.on_return());
        assert_eq!(
            conflict(got.0.clone()),
            conflict(receipt.clone()),
            "{state:?}"
        );
        assert_eq!(conflict(got.1.clone()), conflict(ret.clone()), "{state:?}");
        if !conflict(receipt.clone()) {
            assert_eq!(got.0, receipt, "{state:?}");
        }
        if !conflict(ret.clone()) {
            assert_eq!(got.1, ret, "{state:?}");
        }
    }
    assert_eq!(Paid.on_refund(100, 0, 40, false), Verdict::Apply);
    assert_eq!(PartlyRefunded.on_refund(100, 40, 60, false), Verdict::Apply);
    assert!(conflict(PartlyRefunded.on_refund(100, 40, 61, false)));
    // A refund before its receipt is not a conflict: it is delivered again later.
    assert!(matches!(
        Sent.on_refund(100, 0, 1, false),
        Verdict::NotYet(_)
    ));
    assert!(conflict(Returned.on_refund(100, 0, 1, false)));
    assert_eq!(Refunded.on_refund(100, 100, 1, true), Verdict::Repeat);
    assert_eq!(VoucherState::after_refunds(100, 40), PartlyRefunded);
    assert_eq!(VoucherState::after_refunds(100, 100), Refunded);
}

#[test]
fn voucher_numbers_are_region_year_sequence() {
    let region = MofDivCode::parse("660100000").expect("code");
    assert_eq!(
        voucher_no(&region, FiscalYear(2026), 7),
        "660100000202600000007"
    );
}

#[test]
fn every_event_balances_in_each_book() {
    for kind in [
        AccountingKind::PaymentPosted,
        AccountingKind::Refund,
        AccountingKind::Clearing,
    ] {
        let entries = kind.entries();
        assert!(!entries.is_empty());
        assert!(
            entries
                .iter()
                .all(|e| e.debit != e.credit && !e.book.is_empty())
        );
    }
}
