//! The envelope of bank messages: `seal` turns a `Message` into signed, encrypted XML text and
//! `open` turns such text back into a `Message`, verifying the signature before anything else.
//!
//! ```text
//! <?xml version="1.0" encoding="UTF-8"?>
//! <MOF><VoucherCount>n</VoucherCount>
//!   <VoucherBody VoucherNo AdmDivCode StYear VtCode MsgId Sender Receiver CreatedAt>
//!     <VoucherFlag>0</VoucherFlag>
//!     <Voucher>Base64(IV ‖ SM4-CTR(business XML, UTF-8) ‖ HMAC-SM3 tag)</Voucher>
//!     <SignatureList><Signature Position="…" Signer="…">Base64(SM2)</Signature>…</SignatureList>
//!   </VoucherBody> …
//! <Sign Signer="sender">Base64(SM2 r ‖ s)</Sign></MOF>
//! ```
//!
//! One signature covers the whole envelope: `Sign` is the sender's SM2 signature over the exact
//! bytes of the text before `<Sign ` (declaration, `<MOF>`, every `VoucherBody`). The text is
//! signed as sent, so there is no canonicalisation to get wrong, and the receiver verifies by
//! slicing the text before it parses any XML. A message is one envelope: a voucher message
//! has one `VoucherBody` per voucher, every other kind exactly one; the header (`MsgId`,
//! `Sender`, `Receiver`, `CreatedAt`) is repeated on each body. The `SignatureList` of a voucher
//! holds its position signatures (over `xml::voucher_xml`); other kinds leave it empty.

use std::fmt::Write as _;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use fiscus_core::Rejection;
use fiscus_core::payment::message::{
    Message, MessageBody, MessageKind, SignatureEntry, VoucherMsg,
};

use super::crypto::{SmCrypto, VoucherCrypto};
use super::xml::{self, Element, escape_into};
use crate::AppError;
use crate::settings::Secret;

/// Envelopes larger than this are refused before anything else is done.
pub const ENVELOPE_BYTES_MAX: usize = 32 * 1024 * 1024;
/// `VoucherBody` elements in one envelope (the worker sends up to 500 vouchers).
pub const VOUCHER_BODIES_MAX: usize = 1_000;

/// One side of the link between two parties: who we are, who the peer is, and the crypto that
/// signs as us, verifies the peer and encrypts with the key we share.
#[derive(Clone)]
pub struct Channel {
    pub our_name: String,
    pub peer_name: String,
    pub crypto: Arc<dyn VoucherCrypto>,
    pub envelope_bytes_max: usize,
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel")
            .field("our_name", &self.our_name)
            .field("peer_name", &self.peer_name)
            .finish_non_exhaustive()
    }
}

impl Channel {
    /// A channel with the software SM2/SM4 implementation and keys in hex (the settings).
    pub fn from_keys(
        our_name: &str,
        our_private_key: &Secret,
        peer_name: &str,
        peer_public_key: &str,
        sm4_key: &Secret,
    ) -> Result<Channel, AppError> {
        let crypto = SmCrypto::from_hex(our_private_key, peer_public_key, sm4_key)?;
        Ok(Channel {
            our_name: our_name.to_string(),
            peer_name: peer_name.to_string(),
            crypto: Arc::new(crypto),
            envelope_bytes_max: ENVELOPE_BYTES_MAX,
        })
    }

    /// Our signature at one position of a voucher (the server signs for the approver).
    pub fn sign_voucher(
        &self,
        voucher: &VoucherMsg,
        position: &str,
        signer: &str,
    ) -> Result<SignatureEntry, AppError> {
        let signature = self.crypto.sign(xml::voucher_xml(voucher).as_bytes())?;
        Ok(SignatureEntry {
            position: position.to_string(),
            signer: signer.to_string(),
            value: BASE64.encode(signature),
        })
    }

    /// Whether every position signature of a voucher is the peer's and there is at least one.
    pub fn verify_voucher_signatures(&self, voucher: &VoucherMsg) -> bool {
        let data = xml::voucher_xml(voucher);
        !voucher.signatures.is_empty()
            && voucher.signatures.iter().all(|entry| {
                BASE64
                    .decode(entry.value.as_bytes())
                    .is_ok_and(|bytes| self.crypto.verify_peer(data.as_bytes(), &bytes))
            })
    }
}

/// The envelope text of a message, encrypted for and signed by `channel`'s parties.
pub fn seal(channel: &Channel, message: &Message) -> Result<String, AppError> {
    let documents = xml::body_documents(&message.body);
    let empty: Vec<SignatureEntry> = Vec::new();
    let signatures_of = |index: usize| match &message.body {
        MessageBody::Voucher { vouchers } => vouchers.get(index).map_or(&empty, |v| &v.signatures),
        _ => &empty,
    };
    let mut out = String::with_capacity(256 + documents.len() * 2048);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<MOF>");
    let _ = write!(out, "<VoucherCount>{}</VoucherCount>", documents.len());
    let vt_code = message.body.kind().vt_code();
    for (index, (header, document)) in documents.iter().enumerate() {
        out.push_str("<VoucherBody");
        let year = header.fiscal_year.to_string();
        for (name, value) in [
            ("VoucherNo", header.voucher_no.as_str()),
            ("AdmDivCode", &header.mof_div_code),
            ("StYear", &year),
            ("VtCode", vt_code),
            ("MsgId", &message.msg_id),
            ("Sender", &message.sender),
            ("Receiver", &message.receiver),
            ("CreatedAt", &message.created_at),
        ] {
            attribute(&mut out, name, value);
        }
        out.push_str("><VoucherFlag>0</VoucherFlag><Voucher>");
        let sealed = channel.crypto.encrypt(document.as_bytes())?;
        out.push_str(&BASE64.encode(sealed));
        out.push_str("</Voucher><SignatureList>");
        for entry in signatures_of(index) {
            out.push_str("<Signature");
            attribute(&mut out, "Position", &entry.position);
            attribute(&mut out, "Signer", &entry.signer);
            out.push('>');
            escape_into(&mut out, &entry.value);
            out.push_str("</Signature>");
        }
        out.push_str("</SignatureList></VoucherBody>");
    }
    let signature = channel.crypto.sign(out.as_bytes())?;
    out.push_str("<Sign");
    attribute(&mut out, "Signer", &channel.our_name);
    out.push('>');
    out.push_str(&BASE64.encode(signature));
    out.push_str("</Sign></MOF>\n");
    Ok(out)
}

fn attribute(out: &mut String, name: &str, value: &str) {
    let _ = write!(out, " {name}=\"");
    escape_into(out, value);
    out.push('"');
}

/// The signed part, the `Signer` attribute and the signature bytes, by slicing the text.
fn split_signature(envelope: &str) -> Option<(&str, &str, Vec<u8>)> {
    let start = envelope.rfind("<Sign ")?;
    let (signed, rest) = envelope.split_at(start);
    let rest = rest.strip_prefix("<Sign Signer=\"")?;
    let (signer, rest) = rest.split_once("\">")?;
    let (value, rest) = rest.split_once("</Sign>")?;
    if rest.trim() != "</MOF>" {
        return None;
    }
    let signature = BASE64.decode(value.trim().as_bytes()).ok()?;
    Some((signed, signer, signature))
}

/// Who claims to have signed an envelope, unverified: only to choose the channel (the bank)
/// whose key then verifies it.
pub fn signer_of(envelope: &str) -> Option<&str> {
    split_signature(envelope).map(|(_, signer, _)| signer)
}

fn invalid(detail: &'static str) -> Rejection {
    Rejection::MessageInvalid { detail }
}

/// The message in an envelope from the channel's peer. The signature is checked first: when
/// it does not verify the answer is `SignatureInvalid` and nothing else is read.
pub fn open(channel: &Channel, envelope: &str) -> Result<Message, Rejection> {
    if envelope.len() > channel.envelope_bytes_max {
        return Err(invalid("报文超过大小上限"));
    }
    let (signed, signer, signature) =
        split_signature(envelope).ok_or(Rejection::SignatureInvalid)?;
    // `Signer` lies outside the signed bytes, so it must name the peer whose key verifies.
    if signer != channel.peer_name || !channel.crypto.verify_peer(signed.as_bytes(), &signature) {
        return Err(Rejection::SignatureInvalid);
    }
    let root = xml::parse(envelope)?;
    if root.name != "MOF" {
        return Err(invalid("根元素应为 MOF"));
    }
    let bodies: Vec<&Element> = root
        .children
        .iter()
        .filter(|child| child.name == "VoucherBody")
        .collect();
    let count: usize = root
        .text_of("VoucherCount", "缺少 VoucherCount")?
        .trim()
        .parse()
        .map_err(|_| invalid("VoucherCount 不是数字"))?;
    if bodies.is_empty() || count != bodies.len() || bodies.len() > VOUCHER_BODIES_MAX {
        return Err(invalid("VoucherCount 与 VoucherBody 数量不符"));
    }
    let header = |name: &'static str, detail: &'static str| {
        bodies[0]
            .attribute(name)
            .map(str::to_string)
            .ok_or_else(|| invalid(detail))
    };
    let message_header = [
        header("VtCode", "缺少 VtCode")?,
        header("MsgId", "缺少 MsgId")?,
        header("Sender", "缺少 Sender")?,
        header("Receiver", "缺少 Receiver")?,
        header("CreatedAt", "缺少 CreatedAt")?,
    ];
    for body in &bodies[1..] {
        let same = ["VtCode", "MsgId", "Sender", "Receiver", "CreatedAt"]
            .iter()
            .zip(&message_header)
            .all(|(name, value)| body.attribute(name) == Some(value.as_str()));
        if !same {
            return Err(invalid("各 VoucherBody 的报文头不一致"));
        }
    }
    let [vt_code, msg_id, sender, receiver, created_at] = message_header;
    let kind = MessageKind::from_vt_code(&vt_code).ok_or_else(|| invalid("未知的 VtCode"))?;
    if sender != channel.peer_name || receiver != channel.our_name {
        return Err(invalid("报文收发方与通道不符"));
    }
    if msg_id.is_empty() || msg_id.len() > 64 {
        return Err(invalid("MsgId 为空或过长"));
    }
    let body = read_bodies(channel, kind, &bodies)?;
    Ok(Message {
        msg_id,
        sender,
        receiver,
        created_at,
        body,
    })
}

fn decrypt_document(channel: &Channel, body: &Element) -> Result<Element, Rejection> {
    let encoded = body.text_of("Voucher", "缺少 Voucher")?;
    let sealed = BASE64
        .decode(encoded.trim().as_bytes())
        .map_err(|_| invalid("Voucher 不是 Base64"))?;
    let plain = channel
        .crypto
        .decrypt(&sealed)
        .ok_or_else(|| invalid("Voucher 解密失败"))?;
    let text = String::from_utf8(plain).map_err(|_| invalid("业务报文不是 UTF-8"))?;
    xml::parse(&text)
}

fn read_bodies(
    channel: &Channel,
    kind: MessageKind,
    bodies: &[&Element],
) -> Result<MessageBody, Rejection> {
    if kind != MessageKind::Voucher {
        let [body] = bodies else {
            return Err(invalid("此类报文只能有一个 VoucherBody"));
        };
        return xml::read_single(kind, &decrypt_document(channel, body)?);
    }
    let mut vouchers = Vec::with_capacity(bodies.len());
    for body in bodies {
        let mut voucher = xml::read_voucher(&decrypt_document(channel, body)?)?;
        if let Some(list) = body.child("SignatureList") {
            for entry in &list.children {
                voucher.signatures.push(SignatureEntry {
                    position: entry.attribute("Position").unwrap_or_default().to_string(),
                    signer: entry.attribute("Signer").unwrap_or_default().to_string(),
                    value: entry.text.trim().to_string(),
                });
            }
        }
        vouchers.push(voucher);
    }
    Ok(MessageBody::Voucher { vouchers })
}

/// The signed acknowledgement of a received envelope: `<MOF><Ack MsgId="…" VoucherCount="n"/>
/// <Sign …/></MOF>`, signed like an envelope. It says the peer took the message, not what it
/// decided (that comes later, as messages of its own).
pub fn seal_ack(channel: &Channel, msg_id: &str, n_vouchers: usize) -> Result<String, AppError> {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<MOF><Ack");
    attribute(&mut out, "MsgId", msg_id);
    attribute(&mut out, "VoucherCount", &n_vouchers.to_string());
    out.push_str("/>");
    let signature = channel.crypto.sign(out.as_bytes())?;
    out.push_str("<Sign");
    attribute(&mut out, "Signer", &channel.our_name);
    out.push('>');
    out.push_str(&BASE64.encode(signature));
    out.push_str("</Sign></MOF>\n");
    Ok(out)
}

/// The message id an acknowledgement from the peer confirms, after verifying its signature.
pub fn open_ack(channel: &Channel, ack: &str) -> Result<String, Rejection> {
    if ack.len() > 64 * 1024 {
        return Err(invalid("回执过大"));
    }
    let (signed, signer, signature) = split_signature(ack).ok_or(Rejection::SignatureInvalid)?;
    if signer != channel.peer_name || !channel.crypto.verify_peer(signed.as_bytes(), &signature) {
        return Err(Rejection::SignatureInvalid);
    }
    let root = xml::parse(ack)?;
    root.child("Ack")
        .and_then(|element| element.attribute("MsgId"))
        .map(str::to_string)
        .ok_or_else(|| invalid("回执缺少 MsgId"))
}
