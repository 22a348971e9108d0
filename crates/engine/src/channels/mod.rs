//! Channels: how contents reach the outside world. Each kind of source has its module here
//! (the Channel SDK now; SMS, fax, voice later) and offers the rest of the engine the small
//! [`Channel`] interface, so that replying, routing, the event log and the facades never depend
//! on which channel a content came from. Inbound traffic enters through each channel's own
//! ways in (the SDK's Send API and polling) and always lands in the same core rows and events.

pub mod sdk;
pub mod sms;
pub mod sms_carriers;

use serde_json::Value;
use switchboard_domain::conversation::{BodyFormat, Content, ContentKind};
use switchboard_domain::job::NewJob;
use switchboard_domain::source::{SdkConfig, SmsConfig, Source, SourceConfig, SourceSetup};
use switchboard_domain::{IdentityId, Result, SourceId};
use switchboard_store::Tx;

use crate::Engine;

/// How an agent's content is written on a channel: its kind, its body's format, and who it is
/// addressed to when the channel needs it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Outbound {
    pub kind: ContentKind,
    pub format: BodyFormat,
    pub recipient: Option<IdentityId>,
    /// What the channel keeps of the content besides its body (an SMS's numbers).
    pub context_data: Option<Value>,
}

/// What the core asks of every channel.
pub(crate) trait Channel {
    /// How an agent's reply to `parent` is sent on this channel, or why it cannot be.
    fn reply_to(&self, parent: &Content) -> Result<Outbound>;
    /// How an agent starts a new conversation on this channel, or why it cannot.
    fn start_conversation(&self) -> Result<Outbound>;
    /// The job that delivers an outbound content, queued in the transaction that stores it.
    fn delivery(&self, tx: &mut Tx<'_>, content: &Content) -> impl Future<Output = Result<NewJob>> + Send;
}

/// The channel of a source, whichever its kind.
pub(crate) enum AnyChannel<'a> {
    Sdk(sdk::SdkChannel<'a>),
    Sms(sms::SmsChannel<'a>),
}

impl Channel for AnyChannel<'_> {
    fn reply_to(&self, parent: &Content) -> Result<Outbound> {
        match self {
            AnyChannel::Sdk(c) => c.reply_to(parent),
            AnyChannel::Sms(c) => c.reply_to(parent),
        }
    }

    fn start_conversation(&self) -> Result<Outbound> {
        match self {
            AnyChannel::Sdk(c) => c.start_conversation(),
            AnyChannel::Sms(c) => c.start_conversation(),
        }
    }

    async fn delivery(&self, tx: &mut Tx<'_>, content: &Content) -> Result<NewJob> {
        match self {
            AnyChannel::Sdk(c) => c.delivery(tx, content).await,
            AnyChannel::Sms(c) => c.delivery(tx, content).await,
        }
    }
}

/// The channel of `source`.
pub(crate) fn of(source: &Source) -> AnyChannel<'_> {
    match &source.config {
        SourceConfig::Sdk(config) => AnyChannel::Sdk(sdk::SdkChannel::new(source, config)),
        SourceConfig::Sms(_) => AnyChannel::Sms(sms::SmsChannel::new(source)),
    }
}

/// The configuration of a source set up with `setup`: a new one, with fresh secrets, or
/// `current` with `setup` written over it, keeping its secrets.
pub(crate) fn configure(setup: SourceSetup, current: Option<&SourceConfig>) -> Result<SourceConfig> {
    match (setup, current) {
        (SourceSetup::Sdk(setup), current) => {
            sdk::Protocol::check(&setup.capabilities)?;
            Ok(SourceConfig::Sdk(match current {
                Some(SourceConfig::Sdk(c)) => c.with(setup),
                _ => SdkConfig::new(setup),
            }))
        }
        (SourceSetup::Sms(setup), current) => {
            let current = match current {
                Some(SourceConfig::Sms(c)) => Some(c),
                _ => None,
            };
            Ok(SourceConfig::Sms(SmsConfig::with(setup, current)?))
        }
    }
}

impl Engine {
    /// What a source's channel needs when the source is added or changed, in that transaction.
    pub(crate) async fn source_saved(&self, tx: &mut Tx<'_>, source: &Source) -> Result<()> {
        match &source.config {
            SourceConfig::Sdk(_) => self.ensure_schedule(tx, source).await,
            SourceConfig::Sms(_) => Ok(()),
        }
    }

    /// Forgets what this node keeps of a source that was changed or deleted.
    pub(crate) fn source_changed(&self, id: &SourceId) {
        self.sdk.sources.forget(id);
    }
}
