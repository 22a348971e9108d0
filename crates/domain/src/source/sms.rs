//! The configuration of an SMS source: one phone number of the company, the carrier that
//! carries its messages (and the credentials it needs, kept sealed and never shown), the emails
//! of the users who own it, and how fast it may send. What carriers do is the SMS channel's
//! business (`engine::channels::sms`).

use std::fmt;

use serde_json::{Map, Value};

use crate::email::Email;
use crate::texting::PhoneNumber;
use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct SmsConfig {
    pub number: PhoneNumber,
    pub carrier: CarrierKind,
    pub credentials: CarrierCredentials,
    pub owners: Vec<Email>,
    /// Messages the number may send per minute: carriers enforce about one a second on a long
    /// code, more on toll-free numbers and short codes.
    pub rate_per_minute: u32,
}

impl SmsConfig {
    /// The configuration `setup` gives; credentials it leaves out are kept from `current`.
    pub fn with(setup: SmsSetup, current: Option<&SmsConfig>) -> Result<Self> {
        let SmsSetup { number, carrier, credentials, owners, rate_per_minute } = setup;
        let credentials = match (credentials, current) {
            (Some(c), _) => c,
            (None, Some(current)) if current.carrier == carrier => current.credentials.clone(),
            (None, _) => CarrierCredentials::default(),
        };
        let config = Self { number, carrier, credentials, owners, rate_per_minute };
        config.validate()?;
        Ok(config)
    }

    pub fn setup(&self) -> SmsSetup {
        SmsSetup {
            number: self.number.clone(),
            carrier: self.carrier,
            credentials: None,
            owners: self.owners.clone(),
            rate_per_minute: self.rate_per_minute,
        }
    }

    pub fn validate(&self) -> Result<()> {
        if !(1..=6000).contains(&self.rate_per_minute) {
            return Err(Error::invalid_field("rate_per_minute", "must be between 1 and 6000"));
        }
        match self.carrier {
            CarrierKind::Loopback if !self.credentials.0.is_empty() => {
                Err(Error::invalid_field("credentials", "must be empty: the loopback carrier takes none"))
            }
            CarrierKind::Loopback => Ok(()),
        }
    }

    /// Whether `email` is one of the owners (case-insensitively).
    pub fn owned_by(&self, email: &Email) -> bool {
        self.owners.iter().any(|o| o.normalized() == email.normalized())
    }
}

/// What an administrator sets of an SMS source. `credentials: None` keeps the current ones.
#[derive(Debug, Clone, PartialEq)]
pub struct SmsSetup {
    pub number: PhoneNumber,
    pub carrier: CarrierKind,
    pub credentials: Option<CarrierCredentials>,
    pub owners: Vec<Email>,
    pub rate_per_minute: u32,
}

/// The long-code rate: one message a second.
pub const DEFAULT_RATE_PER_MINUTE: u32 = 60;

/// Who carries a number's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CarrierKind {
    /// Between numbers of this installation: demos and tests.
    Loopback,
}

impl CarrierKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CarrierKind::Loopback => "loopback",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self> {
        match s {
            "loopback" => Ok(CarrierKind::Loopback),
            other => Err(Error::invalid_field(field, format!("is an unknown carrier '{other}' (supported: loopback)"))),
        }
    }
}

/// A carrier's credentials (an account id and token, a signing secret): written by
/// administrators, stored sealed, never shown or logged.
#[derive(Clone, Default, PartialEq)]
pub struct CarrierCredentials(pub Map<String, Value>);

impl fmt::Debug for CarrierCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CarrierCredentials(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_never_printed_and_kept_when_not_given() {
        let mut secret = Map::new();
        secret.insert("token".into(), Value::String("s3cret".into()));
        let creds = CarrierCredentials(secret);
        assert_eq!(format!("{creds:?}"), "CarrierCredentials(***)");
        let setup = SmsSetup {
            number: PhoneNumber::parse("number", "+15555550100").unwrap(),
            carrier: CarrierKind::Loopback,
            credentials: Some(creds),
            owners: vec![],
            rate_per_minute: 60,
        };
        assert!(SmsConfig::with(setup.clone(), None).is_err(), "loopback takes no credentials");
        let ok = SmsConfig::with(SmsSetup { credentials: None, ..setup.clone() }, None).unwrap();
        assert_eq!(ok.setup().credentials, None);
        assert!(SmsConfig::with(SmsSetup { rate_per_minute: 0, credentials: None, ..setup }, None).is_err());
    }
}
