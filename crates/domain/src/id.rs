//! Ids are 24 lowercase hex characters, laid out like the ids of the RingPlan API
//! (4 bytes of seconds, 5 random bytes fixed per process, a 3-byte counter), so they sort by
//! creation time and need no coordination between nodes.

use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

struct Generator {
    process: [u8; 5],
    counter: AtomicU32,
}

fn generator() -> &'static Generator {
    static GENERATOR: OnceLock<Generator> = OnceLock::new();
    GENERATOR.get_or_init(|| Generator {
        process: rand::random(),
        counter: AtomicU32::new(rand::random::<u32>() & 0x00ff_ffff),
    })
}

/// A new id, greater than every id this process made in an earlier second.
pub fn new_id() -> String {
    let g = generator();
    let seconds = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as u32).unwrap_or_default();
    let count = g.counter.fetch_add(1, Ordering::Relaxed) & 0x00ff_ffff;
    let mut bytes = [0u8; 12];
    bytes[..4].copy_from_slice(&seconds.to_be_bytes());
    bytes[4..9].copy_from_slice(&g.process);
    bytes[9..].copy_from_slice(&count.to_be_bytes()[1..]);
    let mut out = String::with_capacity(24);
    for b in bytes {
        out.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        out.push(char::from_digit(u32::from(b & 0xf), 16).unwrap_or('0'));
    }
    out
}

pub fn is_valid_id(s: &str) -> bool {
    s.len() == 24 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid id (24 lowercase hex characters expected)")]
pub struct InvalidId;

macro_rules! id_type {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            #[allow(clippy::new_without_default)]
            pub fn new() -> Self {
                Self(new_id())
            }

            pub fn parse(s: &str) -> Result<Self, InvalidId> {
                if is_valid_id(s) { Ok(Self(s.to_owned())) } else { Err(InvalidId) }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, InvalidId> {
                if is_valid_id(&s) { Ok(Self(s)) } else { Err(InvalidId) }
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    )*};
}

id_type!(
    CompanyId,
    UserId,
    LocationId,
    ApiKeyId,
    EventId,
    JobId,
    SourceId,
    IdentityId,
    ThreadId,
    ContentId,
    SyncRunId,
    WebhookEndpointId,
    WebhookDeliveryId,
    SubscriptionId,
    FileId,
    QueueId,
    InteractionId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_24_lowercase_hex_characters() {
        let id = new_id();
        assert!(is_valid_id(&id), "{id}");
    }

    #[test]
    fn ids_made_later_sort_after_earlier_ones() {
        let ids: Vec<String> = (0..1000).map(|_| new_id()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        let distinct: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len());
        // Within one second only the counter moves, so order holds unless it wrapped.
        assert!(ids.windows(2).filter(|w| w[0] > w[1]).count() <= 1);
    }

    #[test]
    fn parsing_rejects_uppercase_short_and_non_hex_ids() {
        assert!(CompanyId::parse("611ced1255c44a89f8df7cc0").is_ok());
        assert_eq!(CompanyId::parse("611CED1255C44A89F8DF7CC0"), Err(InvalidId));
        assert_eq!(CompanyId::parse("611ced1255c44a89f8df7cc"), Err(InvalidId));
        assert_eq!(CompanyId::parse("611ced1255c44a89f8df7ccz"), Err(InvalidId));
    }
}
