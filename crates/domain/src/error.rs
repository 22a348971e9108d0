use std::fmt;

/// The one error type of the core. Each facade maps it to its own wire error in one place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Input that cannot be accepted; the message says what is wrong and is shown to the caller.
    #[error("{0}")]
    Invalid(String),
    /// The thing does not exist for this company (or at all: callers cannot tell the difference).
    #[error("{0} not found")]
    NotFound(Resource),
    /// The caller is known but may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The caller could not be identified.
    #[error("unauthorized")]
    Unauthenticated,
    /// Too many requests of this kind; try again later. The message says which.
    #[error("{0}")]
    RateLimited(String),
    /// The request conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// The storage backend could not be reached or failed; details are logged, not shown.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unexpected state; details are logged, not shown.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(msg: impl Into<String>) -> Self {
        Self::Invalid(msg.into())
    }

    pub fn forbidden(msg: impl Into<String>) -> Self {
        Self::Forbidden(msg.into())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Company,
    User,
    Location,
    Source,
    Identity,
    Thread,
    Content,
    SyncRun,
    Webhook,
    WebhookDelivery,
    Callback,
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Resource::Company => "company",
            Resource::User => "contact",
            Resource::Location => "location",
            Resource::Source => "source",
            Resource::Identity => "identity",
            Resource::Thread => "thread",
            Resource::Content => "content",
            Resource::SyncRun => "sync run",
            Resource::Webhook => "webhook",
            Resource::WebhookDelivery => "webhook delivery",
            Resource::Callback => "webhook event",
        })
    }
}
