//! The XML of bank messages: a small element tree read with quick-xml (bounded depth and
//! size), a writer that escapes everything it writes, amounts as 元 text without floats, and
//! the business XML of each message body with the Appendix B element names (DOMAIN.md §5.3).

use std::fmt::Write as _;

use fiscus_core::Rejection;
use fiscus_core::money::Fen;
use fiscus_core::payment::message::{
    ClearingNoticeMsg, ClearingReceiptMsg, MessageBody, MessageKind, ReceiptMsg, RefundMsg,
    ReturnMsg, ReturnReason, StatementLine, StatementMsg, VoucherMsg,
};
use quick_xml::events::Event;

/// Elements nested deeper than this are refused (the deepest message needs 4).
pub const XML_DEPTH_MAX: usize = 8;
/// Elements in one document; a statement of 100,000 lines fits.
pub const XML_ELEMENTS_MAX: usize = 1_000_000;

/// One element: its name, attributes, text and children, in document order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Element>,
}

fn malformed(detail: &'static str) -> Rejection {
    Rejection::MessageInvalid { detail }
}

impl Element {
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|child| child.name == name)
    }

    /// The text of a required child element.
    pub fn text_of(&self, name: &str, missing: &'static str) -> Result<&str, Rejection> {
        self.child(name)
            .map(|child| child.text.as_str())
            .ok_or_else(|| malformed(missing))
    }
}

/// Parses one document into its root element. Comments, declarations and processing
/// instructions are skipped; a DOCTYPE is refused (no entity expansion, ever).
pub fn parse(text: &str) -> Result<Element, Rejection> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut n_elements = 0usize;
    let bad = || malformed("XML 格式错误");
    loop {
        let event = reader.read_event().map_err(|_| bad())?;
        let closed = match event {
            Event::Start(start) => {
                n_elements += 1;
                if stack.len() >= XML_DEPTH_MAX || n_elements > XML_ELEMENTS_MAX {
                    return Err(malformed("XML 嵌套过深或元素过多"));
                }
                stack.push(open_element(&start)?);
                None
            }
            Event::Empty(start) => {
                n_elements += 1;
                Some(open_element(&start)?)
            }
            Event::End(_) => Some(stack.pop().ok_or_else(bad)?),
            Event::Text(text_event) => {
                push_text(&mut stack, &text_event.xml10_content())?;
                None
            }
            Event::CData(data) => {
                push_text(&mut stack, &data.xml10_content())?;
                None
            }
            Event::GeneralRef(reference) => {
                let name = reference.xml10_content();
                let reference = format!("&{name};");
                let resolved = quick_xml::escape::unescape(&reference)
                    .map_err(|_| malformed("XML 含未知实体"))?;
                push_text(&mut stack, &resolved)?;
                None
            }
            Event::DocType(_) => return Err(malformed("XML 不允许 DOCTYPE")),
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => None,
            Event::Eof => return Err(bad()),
        };
        if let Some(element) = closed {
            match stack.last_mut() {
                Some(parent) => parent.children.push(element),
                None => {
                    finish(&mut reader)?;
                    return Ok(element);
                }
            }
        }
    }
}

fn open_element(start: &quick_xml::events::BytesStart<'_>) -> Result<Element, Rejection> {
    let bad = || malformed("XML 属性格式错误");
    let mut element = Element {
        name: start.name().as_ref().to_string(),
        ..Element::default()
    };
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|_| bad())?;
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|_| bad())?;
        element
            .attributes
            .push((attribute.key.as_ref().to_string(), value.into_owned()));
    }
    Ok(element)
}

fn push_text(stack: &mut [Element], content: &str) -> Result<(), Rejection> {
    match stack.last_mut() {
        Some(element) => {
            element.text.push_str(content);
            Ok(())
        }
        // Whitespace around the root is allowed; anything else is not.
        None if content.trim().is_empty() => Ok(()),
        None => Err(malformed("XML 根元素外有内容")),
    }
}

/// Only whitespace, comments and processing instructions may follow the root.
fn finish(reader: &mut quick_xml::Reader<&[u8]>) -> Result<(), Rejection> {
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => return Ok(()),
            Ok(Event::Text(text)) if text.xml10_content().trim().is_empty() => {}
            Ok(Event::Comment(_) | Event::PI(_)) => {}
            _ => return Err(malformed("XML 根元素外有内容")),
        }
    }
}

/// Appends `text` with the five XML special characters escaped (text and attribute values).
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

/// `<Name>text</Name>`, escaped.
pub fn leaf(out: &mut String, name: &str, text: &str) {
    let _ = write!(out, "<{name}>");
    escape_into(out, text);
    let _ = write!(out, "</{name}>");
}

/// An amount as 元 with exactly two decimals and no separators: `1234.50`, `-3.10`.
pub fn yuan_text(amount: Fen) -> String {
    let magnitude = amount.0.unsigned_abs();
    let sign = if amount.0 < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", magnitude / 100, magnitude % 100)
}

/// The strict reverse of `yuan_text`: an optional `-`, 1–16 digits, `.`, two digits.
pub fn parse_yuan_text(text: &str) -> Result<Fen, Rejection> {
    let bad = || malformed("金额格式错误（应为两位小数的元）");
    let (negative, digits) = match text.trim().strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.trim()),
    };
    let (whole, fraction) = digits.split_once('.').ok_or_else(bad)?;
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || whole.len() > 16 || fraction.len() != 2 || !all_digits(fraction) {
        return Err(bad());
    }
    let whole_yuan: i64 = whole.parse().map_err(|_| bad())?;
    let fraction_fen: i64 = fraction.parse().map_err(|_| bad())?;
    let magnitude = whole_yuan
        .checked_mul(100)
        .and_then(|fen| fen.checked_add(fraction_fen))
        .ok_or_else(bad)?;
    Ok(Fen(if negative { -magnitude } else { magnitude }))
}

/// What the envelope's `VoucherBody` attributes say about one body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BodyHeader {
    pub voucher_no: String,
    pub mof_div_code: String,
    pub fiscal_year: i32,
}

/// The business XML of one voucher, without its signatures: what each signature position
/// signs, and what travels encrypted in `<Voucher>`.
pub fn voucher_xml(voucher: &VoucherMsg) -> String {
    let mut out = String::with_capacity(1024);
    out.push_str("<PayVoucher>");
    let year = voucher.fiscal_year.to_string();
    let amount = yuan_text(voucher.pay_amt);
    for (name, value) in [
        ("Id", voucher.pay_cert_id.as_str()),
        ("AdmDivCode", &voucher.mof_div_code),
        ("StYear", &year),
        ("VtCode", MessageKind::Voucher.vt_code()),
        ("VouDate", &voucher.vou_date),
        ("VoucherNo", &voucher.pay_cert_no),
        ("AgencyCode", &voucher.agency_code),
        ("FundTypeCode", &voucher.fund_type_code),
        ("ExpFuncCode", &voucher.exp_func_code),
        ("GovExpEcoCode", &voucher.gov_bgt_eco_code),
        ("DepExpEcoCode", &voucher.dep_bgt_eco_code),
        ("DepProCode", &voucher.pro_code),
        ("SetModeCode", &voucher.set_mode_code),
        ("BusinessTypeCode", &voucher.pay_bus_type_code),
        ("PayAcctName", &voucher.pay_acct_name),
        ("PayAcctNo", &voucher.pay_acct_no),
        ("PayAcctBankName", &voucher.pay_acct_bank_name),
        ("PayeeAcctName", &voucher.payee_acct_name),
        ("PayeeAcctNo", &voucher.payee_acct_no),
        ("PayeeAcctBankName", &voucher.payee_acct_bank_name),
        ("PayAmt", &amount),
        ("PaySummaryName", &voucher.use_des),
        ("GovProcurementID", &voucher.contract_no),
    ] {
        leaf(&mut out, name, value);
    }
    out.push_str("</PayVoucher>");
    out
}

/// The business documents of a body, one per `VoucherBody`, with their headers.
pub fn body_documents(body: &MessageBody) -> Vec<(BodyHeader, String)> {
    let header = |voucher_no: &str, mof_div_code: &str, fiscal_year: i32| BodyHeader {
        voucher_no: voucher_no.to_string(),
        mof_div_code: mof_div_code.to_string(),
        fiscal_year,
    };
    let vt = body.kind().vt_code();
    let mut out = String::with_capacity(512);
    let common = |out: &mut String, root: &str, mof: &str, year: i32| {
        let _ = write!(out, "<{root}>");
        leaf(out, "AdmDivCode", mof);
        leaf(out, "StYear", &year.to_string());
        leaf(out, "VtCode", vt);
    };
    match body {
        MessageBody::Voucher { vouchers } => vouchers
            .iter()
            .map(|v| {
                let head = header(&v.pay_cert_no, &v.mof_div_code, v.fiscal_year);
                (head, voucher_xml(v))
            })
            .collect(),
        MessageBody::Receipt(m) => {
            common(&mut out, "PayReceipt", &m.mof_div_code, m.fiscal_year);
            leaf(&mut out, "VoucherNo", &m.pay_cert_no);
            leaf(&mut out, "XPayAmt", &yuan_text(m.xpay_amt));
            leaf(&mut out, "XPayDate", &m.xpay_date);
            leaf(&mut out, "XAgentBusinessNo", &m.agent_business_no);
            out.push_str("</PayReceipt>");
            vec![(header(&m.pay_cert_no, &m.mof_div_code, m.fiscal_year), out)]
        }
        MessageBody::Return(m) => {
            common(&mut out, "PayReturn", &m.mof_div_code, m.fiscal_year);
            leaf(&mut out, "VoucherNo", &m.pay_cert_no);
            leaf(&mut out, "XReturnCode", m.reason.code());
            leaf(&mut out, "XAddWord", &m.reason_text);
            out.push_str("</PayReturn>");
            vec![(header(&m.pay_cert_no, &m.mof_div_code, m.fiscal_year), out)]
        }
        MessageBody::RefundNotice(m) => {
            common(&mut out, "RefundNotice", &m.mof_div_code, m.fiscal_year);
            leaf(&mut out, "OriginalVoucherNo", &m.pay_cert_no);
            leaf(&mut out, "RefundNo", &m.refund_no);
            // The 2252 notice shows the money coming back as a negative amount.
            leaf(&mut out, "PayAmt", &yuan_text(Fen(-m.refund_amt.0)));
            leaf(&mut out, "PayDate", &m.refund_date);
            leaf(&mut out, "XAddWord", &m.reason_text);
            out.push_str("</RefundNotice>");
            vec![(header(&m.pay_cert_no, &m.mof_div_code, m.fiscal_year), out)]
        }
        MessageBody::ClearingNotice(m) => {
            common(&mut out, "ClearingNotice", &m.mof_div_code, m.fiscal_year);
            leaf(&mut out, "VoucherNo", &m.notice_no);
            leaf(&mut out, "ClearDate", &m.clear_date);
            leaf(&mut out, "PayBankCode", &m.bank_code);
            leaf(&mut out, "PayAmt", &yuan_text(m.total_amt));
            out.push_str("<DetailList>");
            for no in &m.pay_cert_nos {
                out.push_str("<Detail>");
                leaf(&mut out, "VoucherBillNo", no);
                out.push_str("</Detail>");
            }
            out.push_str("</DetailList></ClearingNotice>");
            vec![(header(&m.notice_no, &m.mof_div_code, m.fiscal_year), out)]
        }
        MessageBody::ClearingReceipt(m) => {
            let _ = write!(out, "<ClearingReceipt>");
            leaf(&mut out, "VtCode", vt);
            leaf(&mut out, "VoucherNo", &m.lqd_cert_no);
            leaf(&mut out, "OriVoucherNo", &m.notice_no);
            leaf(&mut out, "XClearDate", &m.act_lqd_date);
            leaf(&mut out, "XPayAmt", &yuan_text(m.clear_amt));
            out.push_str("</ClearingReceipt>");
            vec![(header(&m.lqd_cert_no, "", 0), out)]
        }
        MessageBody::Statement(m) => {
            let _ = write!(out, "<Statement>");
            leaf(&mut out, "VtCode", vt);
            leaf(&mut out, "VouDate", &m.statement_date);
            leaf(&mut out, "PayBankCode", &m.bank_code);
            out.push_str("<DetailList>");
            for line in &m.lines {
                out.push_str("<Detail>");
                leaf(&mut out, "VoucherBillNo", &line.pay_cert_no);
                leaf(&mut out, "XPayAmt", &yuan_text(line.xpay_amt));
                leaf(&mut out, "XAgentBusinessNo", &line.agent_business_no);
                leaf(&mut out, "XPayStatus", &line.status);
                out.push_str("</Detail>");
            }
            out.push_str("</DetailList></Statement>");
            vec![(header(&m.statement_date, "", 0), out)]
        }
    }
}

fn text(element: &Element, name: &'static str) -> Result<String, Rejection> {
    element
        .child(name)
        .map(|child| child.text.clone())
        .ok_or(Rejection::MessageInvalid {
            detail: missing_detail(name),
        })
}

/// A static Chinese detail per element name, since rejection details are `&'static str`.
fn missing_detail(name: &'static str) -> &'static str {
    match name {
        "VoucherNo" => "缺少 VoucherNo",
        "AdmDivCode" => "缺少 AdmDivCode",
        "StYear" => "缺少 StYear",
        "PayAmt" => "缺少 PayAmt",
        "XPayAmt" => "缺少 XPayAmt",
        _ => "缺少必填元素",
    }
}

fn amount(element: &Element, name: &'static str) -> Result<Fen, Rejection> {
    parse_yuan_text(&text(element, name)?)
}

fn year(element: &Element) -> Result<i32, Rejection> {
    text(element, "StYear")?
        .trim()
        .parse::<i32>()
        .map_err(|_| malformed("StYear 不是年度"))
}

fn details(element: &Element) -> Result<&[Element], Rejection> {
    element
        .child("DetailList")
        .map(|list| list.children.as_slice())
        .ok_or_else(|| malformed("缺少 DetailList"))
}

/// Reads one voucher's business XML (without its signatures).
pub fn read_voucher(doc: &Element) -> Result<VoucherMsg, Rejection> {
    if doc.name != "PayVoucher" {
        return Err(malformed("凭证根元素应为 PayVoucher"));
    }
    let pay_amt = amount(doc, "PayAmt")?;
    if pay_amt.0 <= 0 {
        return Err(malformed("PayAmt 应为正数"));
    }
    Ok(VoucherMsg {
        pay_cert_id: text(doc, "Id")?,
        pay_cert_no: text(doc, "VoucherNo")?,
        mof_div_code: text(doc, "AdmDivCode")?,
        fiscal_year: year(doc)?,
        vou_date: text(doc, "VouDate")?,
        agency_code: text(doc, "AgencyCode")?,
        fund_type_code: text(doc, "FundTypeCode")?,
        exp_func_code: text(doc, "ExpFuncCode")?,
        gov_bgt_eco_code: text(doc, "GovExpEcoCode")?,
        dep_bgt_eco_code: text(doc, "DepExpEcoCode")?,
        pro_code: text(doc, "DepProCode")?,
        set_mode_code: text(doc, "SetModeCode")?,
        pay_bus_type_code: text(doc, "BusinessTypeCode")?,
        pay_acct_name: text(doc, "PayAcctName")?,
        pay_acct_no: text(doc, "PayAcctNo")?,
        pay_acct_bank_name: text(doc, "PayAcctBankName")?,
        payee_acct_name: text(doc, "PayeeAcctName")?,
        payee_acct_no: text(doc, "PayeeAcctNo")?,
        payee_acct_bank_name: text(doc, "PayeeAcctBankName")?,
        pay_amt,
        use_des: text(doc, "PaySummaryName")?,
        contract_no: text(doc, "GovProcurementID")?,
        signatures: Vec::new(),
    })
}

/// Reads the single business document of a non-voucher message of `kind`.
pub fn read_single(kind: MessageKind, doc: &Element) -> Result<MessageBody, Rejection> {
    let expect_root = |root: &str| {
        if doc.name == root {
            Ok(())
        } else {
            Err(malformed("业务报文根元素与 VtCode 不符"))
        }
    };
    Ok(match kind {
        MessageKind::Voucher => return Err(malformed("凭证须逐张读取")),
        MessageKind::Receipt => {
            expect_root("PayReceipt")?;
            MessageBody::Receipt(ReceiptMsg {
                pay_cert_no: text(doc, "VoucherNo")?,
                mof_div_code: text(doc, "AdmDivCode")?,
                fiscal_year: year(doc)?,
                xpay_amt: amount(doc, "XPayAmt")?,
                xpay_date: text(doc, "XPayDate")?,
                agent_business_no: text(doc, "XAgentBusinessNo")?,
            })
        }
        MessageKind::Return => {
            expect_root("PayReturn")?;
            let reason = match text(doc, "XReturnCode")?.as_str() {
                "account_closed" => ReturnReason::AccountClosed,
                "name_mismatch" => ReturnReason::NameMismatch,
                "data_error" => ReturnReason::DataError,
                _ => return Err(malformed("未知的退回原因")),
            };
            MessageBody::Return(ReturnMsg {
                pay_cert_no: text(doc, "VoucherNo")?,
                mof_div_code: text(doc, "AdmDivCode")?,
                fiscal_year: year(doc)?,
                reason,
                reason_text: text(doc, "XAddWord")?,
            })
        }
        MessageKind::RefundNotice => {
            expect_root("RefundNotice")?;
            let shown = amount(doc, "PayAmt")?;
            if shown.0 >= 0 {
                return Err(malformed("退款金额应为负数"));
            }
            MessageBody::RefundNotice(RefundMsg {
                pay_cert_no: text(doc, "OriginalVoucherNo")?,
                mof_div_code: text(doc, "AdmDivCode")?,
                fiscal_year: year(doc)?,
                refund_no: text(doc, "RefundNo")?,
                refund_amt: Fen(-shown.0),
                refund_date: text(doc, "PayDate")?,
                reason_text: text(doc, "XAddWord")?,
            })
        }
        MessageKind::ClearingNotice => {
            expect_root("ClearingNotice")?;
            let pay_cert_nos = details(doc)?
                .iter()
                .map(|detail| text(detail, "VoucherBillNo"))
                .collect::<Result<Vec<_>, _>>()?;
            MessageBody::ClearingNotice(ClearingNoticeMsg {
                notice_no: text(doc, "VoucherNo")?,
                mof_div_code: text(doc, "AdmDivCode")?,
                fiscal_year: year(doc)?,
                clear_date: text(doc, "ClearDate")?,
                bank_code: text(doc, "PayBankCode")?,
                total_amt: amount(doc, "PayAmt")?,
                pay_cert_nos,
            })
        }
        MessageKind::ClearingReceipt => {
            expect_root("ClearingReceipt")?;
            MessageBody::ClearingReceipt(ClearingReceiptMsg {
                notice_no: text(doc, "OriVoucherNo")?,
                lqd_cert_no: text(doc, "VoucherNo")?,
                act_lqd_date: text(doc, "XClearDate")?,
                clear_amt: amount(doc, "XPayAmt")?,
            })
        }
        MessageKind::Statement => {
            expect_root("Statement")?;
            let lines = details(doc)?
                .iter()
                .map(|detail| {
                    Ok(StatementLine {
                        pay_cert_no: text(detail, "VoucherBillNo")?,
                        xpay_amt: amount(detail, "XPayAmt")?,
                        agent_business_no: text(detail, "XAgentBusinessNo")?,
                        status: text(detail, "XPayStatus")?,
                    })
                })
                .collect::<Result<Vec<_>, Rejection>>()?;
            MessageBody::Statement(StatementMsg {
                statement_date: text(doc, "VouDate")?,
                bank_code: text(doc, "PayBankCode")?,
                lines,
            })
        }
    })
}
