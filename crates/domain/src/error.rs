use std::fmt;

/// The one error type of the core. Each facade maps it to its own wire error in one place, and
/// names fields and resources in its own words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Input that cannot be accepted. `field` names the input at fault, in the core's words
    /// (snake_case, as the domain types name it), when one field is; `reason` says what is wrong
    /// with it and is shown to the caller.
    #[error("{}", Invalid::text(.field.as_deref(), .reason))]
    Invalid { field: Option<String>, reason: String },
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
    /// The request, or what it names (a file to fetch), is larger than allowed; the message
    /// says the limit.
    #[error("{0}")]
    TooLarge(String),
    /// The request conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// The database refused a value of the request: a character or a length it cannot store,
    /// a broken constraint. The request is at fault, not the database, so trying it again cannot
    /// succeed; the statement was undone with its transaction. Details are logged, not shown.
    #[error("a value could not be stored: {0}")]
    Unstorable(String),
    /// The storage backend could not be reached or failed; details are logged, not shown.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unexpected state; details are logged, not shown.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How [`Error::Invalid`] reads.
struct Invalid;

impl Invalid {
    fn text(field: Option<&str>, reason: &str) -> String {
        match field {
            Some(f) => format!("'{f}' {reason}"),
            None => reason.to_owned(),
        }
    }
}

impl Error {
    /// Invalid input that no single field is to blame for.
    pub fn invalid(reason: impl Into<String>) -> Self {
        Self::Invalid { field: None, reason: reason.into() }
    }

    /// Invalid input in `field`: `reason` completes the sentence "'field' …".
    pub fn invalid_field(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid { field: Some(field.into()), reason: reason.into() }
    }

    pub fn forbidden(msg: impl Into<String>) -> Self {
        Self::Forbidden(msg.into())
    }

    /// For an invalid input, the same error read with `rename` applied to its field: how a
    /// facade tells the caller about its own parameter names.
    pub fn rename_field(self, rename: impl FnOnce(&str) -> String) -> Self {
        match self {
            Self::Invalid { field: Some(f), reason } => Self::Invalid { field: Some(rename(&f)), reason },
            other => other,
        }
    }
}

/// What a caller may ask for by id. Facades name these in their own words (a RingPlan
/// "contact" is a user).
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
    /// A subscription of a webhook endpoint to one event type.
    Subscription,
    File,
    Queue,
    Interaction,
}

impl Resource {
    /// The core's name for it.
    pub fn name(self) -> &'static str {
        match self {
            Resource::Company => "company",
            Resource::User => "user",
            Resource::Location => "location",
            Resource::Source => "source",
            Resource::Identity => "identity",
            Resource::Thread => "thread",
            Resource::Content => "content",
            Resource::SyncRun => "sync run",
            Resource::Webhook => "webhook",
            Resource::WebhookDelivery => "webhook delivery",
            Resource::Subscription => "subscription",
            Resource::File => "file",
            Resource::Queue => "queue",
            Resource::Interaction => "interaction",
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_field_reads_as_a_sentence_about_it_and_can_be_renamed() {
        let e = Error::invalid_field("source_id", "is required");
        assert_eq!(e.to_string(), "'source_id' is required");
        assert_eq!(e.rename_field(|f| f.replace("_id", "Id")).to_string(), "'sourceId' is required");
        assert_eq!(Error::invalid("nothing fits").to_string(), "nothing fits");
    }
}
