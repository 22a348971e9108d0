//! The Channel SDK protocol (ex "SMCC SDK"): connectors' objects, signing, and importing what
//! they send, whichever way it arrives (Send API push or polling).

pub mod client;
pub mod ingest;
pub mod objects;
pub mod signing;
pub mod structured;
pub(crate) mod writer;

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

use switchboard_domain::Error;

/// `Invalid resource format`, with what is wrong after a colon.
pub(crate) fn invalid_resource(detail: impl std::fmt::Display) -> Error {
    Error::Invalid(format!("{}: {detail}", messages::INVALID_RESOURCE_FORMAT))
}
