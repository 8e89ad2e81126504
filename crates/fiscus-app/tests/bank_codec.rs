//! The bank envelope codec: every message kind round-trips, tampering and wrong keys are
//! `signature_invalid`, malformed content is `message_invalid`, and no input panics.

use std::time::Instant;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use fiscus_app::AppError;
use fiscus_app::bank::crypto::{Sm2KeyPairHex, generate_sm2_key_pair};
use fiscus_app::bank::xml::{parse_yuan_text, yuan_text};
use fiscus_app::bank::{Channel, open, seal, signer_of};
use fiscus_app::settings::Secret;
use fiscus_core::Rejection;
use fiscus_core::money::Fen;
use fiscus_core::payment::message::*;

struct Parties {
    finance: Channel,
    bank: Channel,
    stranger: Sm2KeyPairHex,
}

fn parties() -> Result<Parties, AppError> {
    let finance_keys = generate_sm2_key_pair()?;
    let bank_keys = generate_sm2_key_pair()?;
    let shared = Secret::new("5a".repeat(32));
    let finance = Channel::from_keys(
        "finance",
        &finance_keys.private_key,
        "bank",
        &bank_keys.public_key,
        &shared,
    )?;
    let bank = Channel::from_keys(
        "bank",
        &bank_keys.private_key,
        "finance",
        &finance_keys.public_key,
        &shared,
    )?;
    Ok(Parties {
        finance,
        bank,
        stranger: generate_sm2_key_pair()?,
    })
}

fn voucher(n: usize) -> VoucherMsg {
    VoucherMsg {
        pay_cert_id: format!("id{n:06}"),
        pay_cert_no: format!("660000202600{n:06}"),
        mof_div_code: "660000".into(),
        fiscal_year: 2026,
        vou_date: "2026-03-15".into(),
        agency_code: "101001".into(),
        fund_type_code: "111".into(),
        exp_func_code: "2010101".into(),
        gov_bgt_eco_code: "50201".into(),
        dep_bgt_eco_code: "30201".into(),
        pro_code: "66000026000001".into(),
        set_mode_code: "2".into(),
        pay_bus_type_code: "1".into(),
        pay_acct_name: "第一师财政局零余额账户".into(),
        pay_acct_no: "6217000012345678".into(),
        pay_acct_bank_name: "中国农业银行阿拉尔分行".into(),
        payee_acct_name: "阿拉尔市<办公>用品&公司\"甲\"".into(),
        payee_acct_no: "6228480012345678".into(),
        payee_acct_bank_name: "中国建设银行".into(),
        pay_amt: Fen(1_234_567 + n as i64),
        use_des: "购买办公用品".into(),
        contract_no: String::new(),
        signatures: Vec::new(),
    }
}

fn message(body: MessageBody, sender: &str, receiver: &str) -> Message {
    Message {
        msg_id: format!("m-{}", body.kind().vt_code()),
        sender: sender.into(),
        receiver: receiver.into(),
        created_at: "2026-03-15T10:00:00+08:00".into(),
        body,
    }
}

fn bank_bodies() -> Vec<MessageBody> {
    vec![
        MessageBody::Receipt(ReceiptMsg {
            pay_cert_no: "660000202600000001".into(),
            mof_div_code: "660000".into(),
            fiscal_year: 2026,
            xpay_amt: Fen(1),
            xpay_date: "2026-03-15".into(),
            agent_business_no: "B0001".into(),
        }),
        MessageBody::Return(ReturnMsg {
            pay_cert_no: "660000202600000002".into(),
            mof_div_code: "660000".into(),
            fiscal_year: 2026,
            reason: ReturnReason::NameMismatch,
            reason_text: "户名不符".into(),
        }),
        MessageBody::RefundNotice(RefundMsg {
            pay_cert_no: "660000202600000003".into(),
            mof_div_code: "660000".into(),
            fiscal_year: 2026,
            refund_no: "R1".into(),
            refund_amt: Fen(50),
            refund_date: "2026-03-16".into(),
            reason_text: "账户已销户".into(),
        }),
        MessageBody::ClearingReceipt(ClearingReceiptMsg {
            notice_no: "N1".into(),
            lqd_cert_no: "L1".into(),
            act_lqd_date: "2026-03-15".into(),
            clear_amt: Fen(90_000_000_000),
        }),
        MessageBody::Statement(StatementMsg {
            statement_date: "2026-03-15".into(),
            bank_code: "ABC".into(),
            lines: vec![StatementLine {
                pay_cert_no: "660000202600000001".into(),
                xpay_amt: Fen(1),
                agent_business_no: "B0001".into(),
                status: "paid".into(),
            }],
        }),
        MessageBody::Statement(StatementMsg {
            statement_date: "2026-03-16".into(),
            bank_code: "ABC".into(),
            lines: Vec::new(),
        }),
    ]
}

#[test]
fn every_kind_round_trips() -> Result<(), AppError> {
    let p = parties()?;
    let mut vouchers: Vec<VoucherMsg> = (0..3).map(voucher).collect();
    for v in &mut vouchers {
        let signature = p.finance.sign_voucher(v, "unit_review", "张三")?;
        v.signatures.push(signature);
    }
    let finance_bodies = vec![
        MessageBody::Voucher { vouchers },
        MessageBody::ClearingNotice(ClearingNoticeMsg {
            notice_no: "N1".into(),
            mof_div_code: "660000".into(),
            fiscal_year: 2026,
            clear_date: "2026-03-15".into(),
            bank_code: "ABC".into(),
            total_amt: Fen(3),
            pay_cert_nos: vec!["a".into(), "b".into()],
        }),
    ];
    let mut kinds = Vec::new();
    for body in finance_bodies {
        let sent = message(body, "finance", "bank");
        let envelope = seal(&p.finance, &sent)?;
        assert!(
            !envelope.contains("购买办公用品"),
            "bodies travel encrypted"
        );
        assert_eq!(signer_of(&envelope), Some("finance"));
        let received = open(&p.bank, &envelope)?;
        if let MessageBody::Voucher { vouchers } = &received.body {
            assert!(vouchers.iter().all(|v| p.bank.verify_voucher_signatures(v)));
        }
        kinds.push(received.body.kind());
        assert_eq!(received, sent);
    }
    for body in bank_bodies() {
        let sent = message(body, "bank", "finance");
        let received = open(&p.finance, &seal(&p.bank, &sent)?)?;
        kinds.push(received.body.kind());
        assert_eq!(received, sent);
    }
    kinds.sort();
    kinds.dedup();
    assert_eq!(kinds, MessageKind::ALL.to_vec());
    Ok(())
}

#[test]
fn amounts_are_yuan_with_two_decimals() {
    for (fen, text) in [
        (0, "0.00"),
        (5, "0.05"),
        (-310, "-3.10"),
        (123456, "1234.56"),
    ] {
        assert_eq!(yuan_text(Fen(fen)), text);
        assert_eq!(parse_yuan_text(text).ok(), Some(Fen(fen)));
    }
    for bad in [
        "", "1", "1.2", "1.234", "1e5", "-", ".50", "1,000.00", "NaN", "１.00",
    ] {
        assert!(parse_yuan_text(bad).is_err(), "{bad}");
    }
    assert!(parse_yuan_text("99999999999999999.00").is_err());
}

fn expect_signature_invalid(channel: &Channel, envelope: &str) {
    assert_eq!(open(channel, envelope), Err(Rejection::SignatureInvalid));
}

#[test]
fn tampering_and_wrong_keys_are_signature_invalid() -> Result<(), AppError> {
    let p = parties()?;
    let sent = message(
        MessageBody::Voucher {
            vouchers: vec![voucher(1)],
        },
        "finance",
        "bank",
    );
    let envelope = seal(&p.finance, &sent)?;
    // A byte of the encrypted body, of the signature, of a header attribute.
    let body_at = envelope.find("<Voucher>").map_or(0, |at| at + 20);
    let sign_at = envelope.rfind("</Sign>").map_or(0, |at| at - 10);
    let header_at = envelope.find("StYear=\"").map_or(0, |at| at + 9);
    for at in [body_at, sign_at, header_at] {
        let mut bytes = envelope.clone().into_bytes();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap_or_default();
        expect_signature_invalid(&p.bank, &tampered);
    }
    // Signed by someone else, or claimed to be from someone else.
    let stranger = Channel::from_keys(
        "finance",
        &p.stranger.private_key,
        "bank",
        &p.stranger.public_key,
        &Secret::new("5a".repeat(32)),
    )?;
    expect_signature_invalid(&p.bank, &seal(&stranger, &sent)?);
    expect_signature_invalid(
        &p.bank,
        &envelope.replace("Signer=\"finance\">", "Signer=\"x\">"),
    );
    // Our own envelope is not the peer's.
    expect_signature_invalid(&p.finance, &envelope);
    expect_signature_invalid(&p.bank, "");
    expect_signature_invalid(&p.bank, "<MOF></MOF>");
    // Every single-byte change anywhere is refused.
    for at in 0..envelope.len() {
        let mut bytes = envelope.clone().into_bytes();
        if !bytes[at].is_ascii() {
            continue;
        }
        bytes[at] = if bytes[at] == b'x' { b'y' } else { b'x' };
        let Ok(tampered) = String::from_utf8(bytes) else {
            continue;
        };
        assert!(open(&p.bank, &tampered).is_err(), "byte {at} changed");
    }
    Ok(())
}

/// An envelope around `documents` (business XML, encrypted here) signed with the bank's key,
/// so that the content checks behind the signature can be reached.
fn signed_by_bank(p: &Parties, vt_code: &str, documents: &[&str], count: usize) -> String {
    let mut out = format!("<MOF><VoucherCount>{count}</VoucherCount>");
    for document in documents {
        let sealed = p
            .bank
            .crypto
            .encrypt(document.as_bytes())
            .unwrap_or_default();
        out.push_str(&format!(
            "<VoucherBody VoucherNo=\"1\" AdmDivCode=\"660000\" StYear=\"2026\" VtCode=\"{vt_code}\" \
             MsgId=\"m1\" Sender=\"bank\" Receiver=\"finance\" CreatedAt=\"t\"><VoucherFlag>0</VoucherFlag>\
             <Voucher>{}</Voucher><SignatureList/></VoucherBody>",
            BASE64.encode(sealed)
        ));
    }
    sign_raw(&p.bank, out)
}

fn sign_raw(channel: &Channel, mut text: String) -> String {
    let signature = channel.crypto.sign(text.as_bytes()).unwrap_or_default();
    text.push_str(&format!(
        "<Sign Signer=\"{}\">{}</Sign></MOF>",
        channel.our_name,
        BASE64.encode(signature)
    ));
    text
}

#[test]
fn malformed_content_is_message_invalid() -> Result<(), AppError> {
    let p = parties()?;
    let receipt = "<PayReceipt><AdmDivCode>660000</AdmDivCode><StYear>2026</StYear>\
        <VtCode>2201</VtCode><VoucherNo>1</VoucherNo><XPayAmt>{AMT}</XPayAmt>\
        <XPayDate>2026-03-15</XPayDate><XAgentBusinessNo>B1</XAgentBusinessNo></PayReceipt>";
    let good = receipt.replace("{AMT}", "1.00");
    assert!(open(&p.finance, &signed_by_bank(&p, "2201", &[&good], 1)).is_ok());
    let missing = good.replace("<VoucherNo>1</VoucherNo>", "");
    let cases: Vec<(String, String)> = vec![
        ("unknown VtCode".into(), signed_by_bank(&p, "9999", &[&good], 1)),
        ("count".into(), signed_by_bank(&p, "2201", &[&good], 2)),
        ("two receipts".into(), signed_by_bank(&p, "2201", &[&good, &good], 2)),
        ("no bodies".into(), signed_by_bank(&p, "2201", &[], 0)),
        ("missing VoucherNo".into(), signed_by_bank(&p, "2201", &[&missing], 1)),
        ("root".into(), signed_by_bank(&p, "2202", &[&good], 1)),
        ("not xml".into(), signed_by_bank(&p, "2201", &["<PayReceipt>"], 1)),
        ("doctype".into(), signed_by_bank(&p, "2201", &["<!DOCTYPE x><x/>"], 1)),
        ("entity".into(), signed_by_bank(&p, "2201", &["<x>&bogus;</x>"], 1)),
        ("outer xml".into(), sign_raw(&p.bank, "<MOF><VoucherCount>1</Voucher".into())),
        ("root name".into(), sign_raw(&p.bank, "<FOM><VoucherCount>0</VoucherCount>".into()).replace("</MOF>", "</FOM>")),
        ("not base64".into(), sign_raw(&p.bank, "<MOF><VoucherCount>1</VoucherCount><VoucherBody VtCode=\"2201\" MsgId=\"m\" Sender=\"bank\" Receiver=\"finance\" CreatedAt=\"t\"><Voucher>***</Voucher></VoucherBody>".into())),
        ("wrong receiver".into(), signed_by_bank(&p, "2201", &[&good], 1).replace("Receiver=\"finance\"", "Receiver=\"finance2\"")),
    ];
    for amount in ["1", "1.5", "abc", "1e3", "", "99999999999999999999.00"] {
        let document = receipt.replace("{AMT}", amount);
        let envelope = signed_by_bank(&p, "2201", &[&document], 1);
        assert!(
            matches!(
                open(&p.finance, &envelope),
                Err(Rejection::MessageInvalid { .. })
            ),
            "amount {amount:?}"
        );
    }
    for (name, envelope) in cases {
        let result = open(&p.finance, &envelope);
        // The receiver case changes signed bytes: the signature catches it first.
        let expected_signature = name == "wrong receiver" || name == "root name";
        match result {
            Err(Rejection::MessageInvalid { .. }) => assert!(!expected_signature, "{name}"),
            Err(Rejection::SignatureInvalid) => assert!(expected_signature, "{name}"),
            other => panic!("{name}: {other:?}"),
        }
    }
    let mut small = p.finance.clone();
    small.envelope_bytes_max = 100;
    let envelope = signed_by_bank(&p, "2201", &[&good], 1);
    assert!(matches!(
        open(&small, &envelope),
        Err(Rejection::MessageInvalid { .. })
    ));
    Ok(())
}

#[test]
fn truncations_and_garbage_never_panic() -> Result<(), AppError> {
    let p = parties()?;
    let sent = message(
        MessageBody::Voucher {
            vouchers: (0..2).map(voucher).collect(),
        },
        "finance",
        "bank",
    );
    let envelope = seal(&p.finance, &sent)?;
    for end in 0..envelope.trim_end().len() {
        if let Some(prefix) = envelope.get(..end) {
            assert!(open(&p.bank, prefix).is_err(), "prefix {end}");
        }
    }
    // Truncated content behind a valid signature reaches the parser.
    let inner = envelope
        .split("<Sign ")
        .next()
        .unwrap_or_default()
        .to_string();
    for end in (0..inner.len()).step_by(7) {
        if let Some(prefix) = inner.get(..end) {
            let resigned = sign_raw(&p.finance, prefix.to_string());
            assert!(open(&p.bank, &resigned).is_err(), "prefix {end}");
        }
    }
    let mut seed = 7u64;
    for _ in 0..200 {
        let mut text = String::new();
        for _ in 0..(seed % 300) {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let pool = b"<>/=\"' &;#xMOFSignVoucherBody0123456789ABC";
            text.push(pool[(seed >> 33) as usize % pool.len()] as char);
        }
        let _ = open(&p.bank, &sign_raw(&p.finance, text));
    }
    Ok(())
}

/// Rates for the report: run with `--release -- --nocapture rates`.
#[test]
fn rates() -> Result<(), AppError> {
    let p = parties()?;
    let vouchers: Vec<VoucherMsg> = (0..500).map(voucher).collect();
    let sent = message(MessageBody::Voucher { vouchers }, "finance", "bank");
    let rounds = 4;
    let started = Instant::now();
    let mut envelope = String::new();
    for _ in 0..rounds {
        envelope = seal(&p.finance, &sent)?;
    }
    let seal_elapsed = started.elapsed();
    let started = Instant::now();
    for _ in 0..rounds {
        assert_eq!(open(&p.bank, &envelope).as_ref(), Ok(&sent));
    }
    let open_elapsed = started.elapsed();
    let n_signatures = 200;
    let started = Instant::now();
    let mut signature = Vec::new();
    for n in 0..n_signatures {
        signature = p.finance.crypto.sign(format!("voucher {n}").as_bytes())?;
    }
    let sign_elapsed = started.elapsed();
    let started = Instant::now();
    for _ in 0..n_signatures {
        assert!(p.bank.crypto.verify_peer(
            format!("voucher {}", n_signatures - 1).as_bytes(),
            &signature
        ));
    }
    let verify_elapsed = started.elapsed();
    let per_second = |n: usize, elapsed: std::time::Duration| {
        (n as u128 * 1_000_000) / elapsed.as_micros().max(1)
    };
    eprintln!(
        "bank codec: envelope of 500 vouchers {} bytes; seal {} vouchers/s, open {} vouchers/s; \
         SM2 sign {}/s, verify {}/s",
        envelope.len(),
        per_second(500 * rounds, seal_elapsed),
        per_second(500 * rounds, open_elapsed),
        per_second(n_signatures, sign_elapsed),
        per_second(n_signatures, verify_elapsed),
    );
    Ok(())
}
