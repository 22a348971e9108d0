//! The Channel SDK (ex "SMCC SDK"): connectors that Switchboard polls at their base URI and that
//! push to the Send API, each direction signed with the source's access token. Everything the
//! protocol says lives here: its collections and options, its objects, signing, importing what
//! connectors send (whichever way it arrives), polling, and exporting agents' contents.

pub mod client;
pub mod export;
pub mod ingest;
pub mod objects;
pub mod send_api;
pub mod signing;
pub mod structured;
pub mod sync;
pub(crate) mod writer;

use std::sync::Arc;

use switchboard_domain::conversation::{BodyFormat, Content, ContentKind};
use switchboard_domain::job::NewJob;
use switchboard_domain::source::sdk::Capabilities;
use switchboard_domain::source::{SdkConfig, Source, SourceConfig};
use switchboard_domain::{Error, Result};
use switchboard_store::Store;

use super::{Channel, Outbound};

/// What the SDK channel keeps while the engine runs: the client that calls connectors, and the
/// Send API's group-commit writer and source cache.
#[derive(Clone)]
pub(crate) struct Runtime {
    pub(crate) connector: client::Connector,
    pub(crate) ingest: writer::IngestQueue,
    pub(crate) sources: Arc<send_api::SourceCache>,
}

impl Runtime {
    /// Starts the Send API writer; call within a Tokio runtime.
    pub(crate) fn start(store: &Store, options: client::SdkOptions, guard: &crate::outbound::Guard) -> Result<Self> {
        Ok(Self {
            connector: client::Connector::new(options, guard)?,
            ingest: writer::IngestQueue::start(store.clone()),
            sources: Arc::default(),
        })
    }
}

/// The Send API's error texts (seeds/001), shared by every path that validates SDK input.
pub mod messages {
    pub const INVALID_ACTION: &str = "Invalid action";
    pub const INVALID_RESOURCE_FORMAT: &str = "Invalid resource format";
    pub const NO_STRUCTURED_CONTENT: &str = "Source doesn't support structured contents";
    pub const STRUCTURED_TYPE_REQUIRED: &str = "Type is required for structured contents";
    pub const STRUCTURED_TYPE_UNSUPPORTED: &str = "Source doesn't support this type of structured content";
    pub const AUTHOR_NOT_PUPPETIZABLE: &str = "The author must be puppetizable";
    pub const TOO_MANY_TYPING: &str = "too many typing requests, please try again in a few seconds";
}

/// `Invalid resource format`, with what is wrong after a colon.
pub(crate) fn invalid_resource(detail: impl std::fmt::Display) -> Error {
    Error::invalid(format!("{}: {detail}", messages::INVALID_RESOURCE_FORMAT))
}

/// The SDK configuration of `source`; other kinds of sources have none.
pub fn config(source: &Source) -> Result<&SdkConfig> {
    match &source.config {
        SourceConfig::Sdk(c) => Ok(c),
        SourceConfig::Sms(_) => Err(Error::Conflict("the source is not a Channel SDK source".into())),
    }
}

/// The collections `implementation.info` may declare operations for.
pub const COLLECTIONS: &[&str] = &["messages", "private_messages", "threads", "status", "users"];

/// Every option the Channel SDK documents (spec §3.2).
pub const KNOWN_OPTIONS: &[&str] = &[
    "messages.unthreaded",
    "messages.no_title",
    "private_messages.no_title",
    "threads.no_content",
    "messages.text",
    "messages.html",
    "private_messages.text",
    "private_messages.html",
    "threads.text",
    "threads.html",
    "messages.allow_survey",
    "view.messaging",
    "messaging.typing_indicator",
    "messaging.queuing_update",
    "messages.attachments",
    "private_messages.attachments",
    "threads.attachments",
];

/// The collection a content of `kind` belongs to.
pub fn collection(kind: ContentKind) -> &'static str {
    match kind {
        ContentKind::Message => "messages",
        ContentKind::PrivateMessage => "private_messages",
        ContentKind::ThreadOpener => "threads",
    }
}

/// What the protocol's options mean for a connector's declared capabilities.
pub trait Protocol {
    /// Messages have no threads: conversations are linked by `in_reply_to_id`.
    fn unthreaded(&self) -> bool;
    /// Threads are structure only: just `id` and `title` are parsed.
    fn threads_no_content(&self) -> bool;
    /// Only known collections and options are declared.
    fn check(&self) -> Result<()>;
}

impl Protocol for Capabilities {
    fn unthreaded(&self) -> bool {
        self.has_option("messages.unthreaded")
    }

    fn threads_no_content(&self) -> bool {
        self.has_option("threads.no_content")
    }

    fn check(&self) -> Result<()> {
        if let Some(c) = self.objects.keys().find(|c| !COLLECTIONS.contains(&c.as_str())) {
            return Err(Error::invalid_field(
                "objects",
                format!("names an unknown collection '{c}' (known: {})", COLLECTIONS.join(", ")),
            ));
        }
        if let Some(o) = self.options.iter().find(|o| !KNOWN_OPTIONS.contains(&o.as_str())) {
            return Err(Error::invalid_field(
                "options",
                format!("names an unknown option '{o}' (known: {})", KNOWN_OPTIONS.join(", ")),
            ));
        }
        Ok(())
    }
}

/// An SDK source seen through the [`Channel`] interface.
pub(crate) struct SdkChannel<'a> {
    source: &'a Source,
    config: &'a SdkConfig,
}

impl<'a> SdkChannel<'a> {
    pub(crate) fn new(source: &'a Source, config: &'a SdkConfig) -> Self {
        Self { source, config }
    }

    fn body_format(&self, kind: ContentKind) -> BodyFormat {
        let html = format!("{}.html", collection(kind));
        if self.config.capabilities.has_option(&html) { BodyFormat::Html } else { BodyFormat::Text }
    }
}

impl Channel for SdkChannel<'_> {
    /// A reply goes where its parent is, through the collection of its kind.
    fn reply_to(&self, parent: &Content) -> Result<Outbound> {
        if parent.foreign_id.is_none() {
            return Err(Error::Conflict("the content replied to is not synchronized with its source yet".into()));
        }
        let kind =
            if parent.kind == ContentKind::PrivateMessage { ContentKind::PrivateMessage } else { ContentKind::Message };
        let collection = collection(kind);
        let caps = &self.config.capabilities;
        if !caps.declares(collection, "create") {
            return Err(Error::Conflict(format!(
                "source {} does not accept replies ({collection}.create is not implemented)",
                self.source.id
            )));
        }
        if caps.declares(collection, "reply") && !parent.details.actions.iter().any(|a| a == "reply") {
            return Err(Error::Conflict(
                "this content cannot be replied to (its source does not allow 'reply' on it)".into(),
            ));
        }
        let recipient = if kind == ContentKind::PrivateMessage { parent.author_identity_id.clone() } else { None };
        Ok(Outbound { kind, format: self.body_format(kind), recipient, context_data: None })
    }

    /// A new discussion opens a thread where the source names threads, else a lone message.
    fn start_conversation(&self) -> Result<Outbound> {
        let caps = &self.config.capabilities;
        let kind = if !caps.unthreaded() && caps.declares("threads", "create") {
            ContentKind::ThreadOpener
        } else if caps.unthreaded() && caps.declares("messages", "create") {
            ContentKind::Message
        } else {
            return Err(Error::Conflict(format!("source {} does not support starting discussions", self.source.id)));
        };
        Ok(Outbound { kind, format: self.body_format(kind), recipient: None, context_data: None })
    }

    async fn delivery(&self, _tx: &mut switchboard_store::Tx<'_>, content: &Content) -> Result<NewJob> {
        Ok(NewJob::of(&export::ExportJob { content_id: content.id.clone() }).for_company(content.company_id.clone()))
    }
}
