//! Instants are integer microseconds since the Unix epoch, UTC: the storage format on both
//! backends, and exact enough for every wire format we speak.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};

/// Serialized as the integer microseconds it holds (for JSON columns, not for wire formats:
/// facades format instants their own way).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn now() -> Self {
        Self(Utc::now().timestamp_micros())
    }

    pub const fn from_micros(micros: i64) -> Self {
        Self(micros)
    }

    pub const fn as_micros(self) -> i64 {
        self.0
    }

    pub fn from_datetime(dt: DateTime<Utc>) -> Self {
        Self(dt.timestamp_micros())
    }

    pub fn to_datetime(self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.0).unwrap_or_default()
    }

    pub fn plus(self, d: Duration) -> Self {
        Self(self.0.saturating_add(i64::try_from(d.as_micros()).unwrap_or(i64::MAX)))
    }

    pub fn minus(self, d: Duration) -> Self {
        Self(self.0.saturating_sub(i64::try_from(d.as_micros()).unwrap_or(i64::MAX)))
    }

    /// `2021-08-18T11:20:51.510000Z`, the form RingPlan uses.
    pub fn to_rfc3339_micros(self) -> String {
        self.to_datetime().to_rfc3339_opts(SecondsFormat::Micros, true)
    }

    /// `2021-08-18T11:20:51.510Z`, the form webhooks and most JSON APIs use.
    pub fn to_rfc3339_millis(self) -> String {
        self.to_datetime().to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}

/// Serde for an instant written `2021-08-18T11:20:51.510000Z` (event payloads).
pub mod rfc3339_micros {
    use super::Timestamp;

    pub fn serialize<S: serde::Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.to_rfc3339_micros())
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        super::parse_rfc3339(d)
    }

    /// The same for an instant that may be absent (`null`).
    pub mod option {
        use super::super::Timestamp;

        pub fn serialize<S: serde::Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => s.serialize_some(&t.to_rfc3339_micros()),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
            let s = <Option<String> as serde::Deserialize>::deserialize(d)?;
            s.map(|s| super::super::parse_str(&s).map_err(serde::de::Error::custom)).transpose()
        }
    }
}

/// Serde for an instant written `2021-08-18T11:20:51.510Z` (event payloads).
pub mod rfc3339_millis {
    use super::Timestamp;

    pub fn serialize<S: serde::Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.to_rfc3339_millis())
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        super::parse_rfc3339(d)
    }
}

fn parse_rfc3339<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
    let s = <String as serde::Deserialize>::deserialize(d)?;
    parse_str(&s).map_err(serde::de::Error::custom)
}

fn parse_str(s: &str) -> Result<Timestamp, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|dt| Timestamp::from_datetime(dt.with_timezone(&Utc)))
        .map_err(|e| format!("'{s}' is not an RFC 3339 instant: {e}"))
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339_micros())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_microseconds_and_a_z_suffix() {
        let t = Timestamp::from_micros(1_629_285_651_510_000);
        assert_eq!(t.to_rfc3339_micros(), "2021-08-18T11:20:51.510000Z");
        assert_eq!(t.to_rfc3339_millis(), "2021-08-18T11:20:51.510Z");
    }
}
