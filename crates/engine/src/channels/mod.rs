//! Channels: how contents reach the outside world. Each kind of source has its module here
//! (the Channel SDK now; SMS, fax, voice later) and offers the rest of the engine the small
//! [`Channel`] interface, so that replying, routing, the event log and the facades never depend
//! on which channel a content came from. Inbound traffic enters through each channel's own
//! ways in (the SDK's Send API and polling) and always lands in the same core rows and events.

pub mod sdk;
pub mod sms_carriers;

use switchboard_domain::conversation::{BodyFormat, Content, ContentKind};
use switchboard_domain::job::NewJob;
use switchboard_domain::source::{SdkConfig, Source, SourceConfig, SourceSetup};
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
}

/// What the core asks of every channel.
pub(crate) trait Channel {
    /// How an agent's reply to `parent` is sent on this channel, or why it cannot be.
    fn reply_to(&self, parent: &Content) -> Result<Outbound>;
    /// How an agent starts a new conversation on this channel, or why it cannot.
    fn start_conversation(&self) -> Result<Outbound>;
    /// The job that delivers an outbound content, queued in the transaction that stores it.
    fn delivery(&self, content: &Content) -> NewJob;
}

/// The channel of `source`.
pub(crate) fn of(source: &Source) -> impl Channel + '_ {
    match &source.config {
        SourceConfig::Sdk(config) => sdk::SdkChannel::new(source, config),
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
                None => SdkConfig::new(setup),
            }))
        }
    }
}

impl Engine {
    /// What a source's channel needs when the source is added or changed, in that transaction.
    pub(crate) async fn source_saved(&self, tx: &mut Tx<'_>, source: &Source) -> Result<()> {
        match &source.config {
            SourceConfig::Sdk(_) => self.ensure_schedule(tx, source).await,
        }
    }

    /// Forgets what this node keeps of a source that was changed or deleted.
    pub(crate) fn source_changed(&self, id: &SourceId) {
        self.sdk.sources.forget(id);
    }
}
