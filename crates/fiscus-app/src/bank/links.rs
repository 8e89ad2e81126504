//! Where finance's messages go and with which keys: the agency bank and the PBOC treasury,
//! each a `Channel` (our SM2 key, the peer's public key, the shared SM4 key) and a base URL,
//! and one HTTP client. `App::set_bank_links` installs them (at startup, or a test's bank-sim).

use std::sync::Arc;

use fiscus_core::Rejection;
use fiscus_core::payment::message::Message;

use super::client::{BankClient, SendError};
use super::codec::{Channel, open, seal, signer_of};
use super::outbox::DESTINATION_PBOC;
use crate::{App, AppError};

/// One peer: the channel to it and its base URL (`http://host:port`).
#[derive(Clone, Debug)]
pub struct PeerLink {
    pub channel: Channel,
    pub base_url: String,
}

/// Both peers of finance.
#[derive(Clone, Debug)]
pub struct BankLinks {
    /// Our name on the envelopes (`sender`).
    pub finance_code: String,
    pub bank: PeerLink,
    pub pboc: PeerLink,
    pub client: BankClient,
}

impl BankLinks {
    /// The links of `[bank]`, or `None` when no keys are configured. The simulated PBOC
    /// front-end sits with the bank (one key, one URL) until the treasury has its own keys.
    pub fn from_settings(
        settings: &crate::settings::BankSettings,
    ) -> Result<Option<BankLinks>, AppError> {
        if settings.private_key.expose().is_empty() || settings.bank_public_key.is_empty() {
            return Ok(None);
        }
        let channel = Channel::from_keys(
            &settings.name,
            &settings.private_key,
            &settings.bank_name,
            &settings.bank_public_key,
            &settings.shared_key,
        )?;
        let millis = |value: i64| std::time::Duration::from_millis(value.max(1) as u64);
        let client = BankClient::new(super::client::ClientTimeouts {
            connect: millis(settings.connect_timeout_ms),
            request: millis(settings.request_timeout_ms),
        })?;
        let base_url = settings.bank_url.trim_end_matches('/').to_owned();
        let peer = PeerLink { channel, base_url };
        Ok(Some(BankLinks {
            finance_code: settings.name.clone(),
            bank: peer.clone(),
            pboc: peer,
            client,
        }))
    }

    pub fn peer(&self, destination: &str) -> &PeerLink {
        if destination == DESTINATION_PBOC {
            &self.pboc
        } else {
            &self.bank
        }
    }

    pub fn peer_code(&self, destination: &str) -> &str {
        &self.peer(destination).channel.peer_name
    }

    /// The URL a message to `destination` is POSTed to.
    pub fn post_url(&self, destination: &str) -> String {
        if destination == DESTINATION_PBOC {
            format!("{}/pboc/v1/clearing-notice", self.pboc.base_url)
        } else {
            format!("{}/bank/v1/vouchers", self.bank.base_url)
        }
    }
}

/// The shared slot of the links on `App`.
pub type BankLinksSlot = Arc<std::sync::RwLock<Option<Arc<BankLinks>>>>;

impl App {
    /// Installs the links to the bank and the treasury.
    pub fn set_bank_links(&self, links: BankLinks) {
        if let Ok(mut slot) = self.bank_links.write() {
            *slot = Some(Arc::new(links));
        }
    }

    /// The links, or an internal error when none are configured.
    pub fn bank_links(&self) -> Result<Arc<BankLinks>, AppError> {
        self.bank_links
            .read()
            .ok()
            .and_then(|slot| slot.clone())
            .ok_or(AppError::Rejected(fiscus_core::Rejection::BankUnavailable))
    }

    /// Seals a message for `destination` (bank | pboc).
    pub(crate) fn bank_seal(
        &self,
        destination: &str,
        message: &Message,
    ) -> Result<String, AppError> {
        let links = self.bank_links()?;
        seal(&links.peer(destination).channel, message)
    }

    /// Opens an envelope from the bank or the treasury: the claimed signer chooses the
    /// channel, whose key then verifies the signature (an unknown signer does not verify).
    pub(crate) fn bank_open(&self, envelope: &str) -> Result<Message, AppError> {
        let links = self.bank_links()?;
        let signer = signer_of(envelope).unwrap_or_default();
        let channel = if signer == links.pboc.channel.peer_name {
            &links.pboc.channel
        } else if signer == links.bank.channel.peer_name {
            &links.bank.channel
        } else {
            return Err(Rejection::SignatureInvalid.into());
        };
        Ok(open(channel, envelope)?)
    }

    /// POSTs a sealed envelope to `destination`.
    pub(crate) async fn bank_post(
        &self,
        destination: &str,
        envelope: &str,
    ) -> Result<(), SendError> {
        let links = self
            .bank_links()
            .map_err(|e| SendError::Retryable(e.to_string()))?;
        links
            .client
            .send(&links.post_url(destination), envelope.to_owned())
            .await
            .map(|_| ())
    }

    /// GETs the bank's statement of one day (a signed envelope).
    pub(crate) async fn bank_fetch_statement(&self, date: &str) -> Result<String, AppError> {
        let links = self.bank_links()?;
        let url = format!("{}/bank/v1/statement?date={date}", links.bank.base_url);
        links.client.get(&url).await.map_err(|error| {
            tracing::warn!(%error, date, "bank statement not fetched");
            AppError::Rejected(fiscus_core::Rejection::BankUnavailable)
        })
    }
}
