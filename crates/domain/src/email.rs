use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::text::TextRule;

/// An email address that passed a deliberately simple check: one `@`, a non-empty local part,
/// a dotted domain, no whitespace or control characters, at most 254 characters. Stored as
/// given; compared case-insensitively.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Self, Error> {
        Self::parse_field("email", s)
    }

    /// Parses the value of `field`, whose name the error carries.
    pub fn parse_field(field: &str, s: &str) -> Result<Self, Error> {
        // The limit holds for the value as sent, surrounding whitespace included, as the
        // documents' `maxLength` says; the other checks are on the trimmed address.
        let limit = TextRule { single_line: false, ..TextRule::EMAIL };
        limit.check(field, s)?;
        let s = s.trim();
        TextRule::EMAIL.check(field, s)?;
        let valid = !s.chars().any(char::is_whitespace)
            && match s.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !domain.contains("..")
                }
                None => false,
            };
        if valid {
            Ok(Self(s.to_owned()))
        } else {
            Err(Error::invalid_field(field, format!("is not a valid email address: '{s}'")))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used for uniqueness and lookups.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl TryFrom<String> for Email {
    type Error = Error;
    fn try_from(s: String) -> Result<Self, Error> {
        Self::parse(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.0)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_rejects_malformed_ones() {
        assert!(Email::parse("janedoe@example.com").is_ok());
        assert!(Email::parse("a.b+c@mail.example.co.uk").is_ok());
        for bad in [
            "",
            "jane",
            "jane@",
            "@example.com",
            "jane@example",
            "ja ne@example.com",
            "a@b@c.com",
            "a@.com",
            "a@b..com",
            "jane\0@example.com",
            "ja\nne@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_name_the_field_and_the_limit_is_254_characters() {
        let err = Email::parse_field("billing_email", "nope").unwrap_err();
        assert_eq!(err.to_string(), "'billing_email' is not a valid email address: 'nope'");
        let at_limit = format!("{}@example.com", "a".repeat(254 - "@example.com".len()));
        assert!(Email::parse(&at_limit).is_ok());
        let over = format!("a{at_limit}");
        assert_eq!(Email::parse(&over).unwrap_err().to_string(), "'email' must be at most 254 characters");
    }

    #[test]
    fn the_254_character_limit_counts_the_whitespace_around_the_address() {
        let at_limit = format!("{}@example.com", "a".repeat(254 - "@example.com".len()));
        assert!(Email::parse(&format!(" {at_limit}")).is_err());
        assert!(Email::parse(&format!(" {}", &at_limit[1..])).is_ok());
    }

    #[test]
    fn the_254_character_limit_counts_characters_not_bytes() {
        let local = "é".repeat(242);
        assert!(Email::parse(&format!("{local}@example.com")).is_ok());
        assert!(Email::parse(&format!("{local}é@example.com")).is_err());
    }

    #[test]
    fn normalized_form_ignores_case() {
        assert_eq!(Email::parse("Jane@Example.COM").unwrap().normalized(), "jane@example.com");
    }
}
