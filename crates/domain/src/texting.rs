//! Texting (SMS) on the conversation core: a texting number is a source of kind `sms`, a
//! conversation a thread between one of the company's numbers and a texting contact (an
//! identity whose foreign id is its E.164 number), a message a content. This module holds what
//! is texting's own: phone numbers, the opt-out keywords carriers require, and the RingPlan
//! objects (seeds/003 Conversation, Message, Texting Contact) that its events carry as they are.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{CompanyId, ContentId, Error, IdentityId, Result, ThreadId};

/// A phone number in E.164 (`+15555550100`), parsed and formatted with libphonenumber's rules
/// (the `phonenumber` crate); a number written without a country code is read as a North
/// American one, as RingPlan does.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

/// How numbers are written in answers (`numformat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NumberFormat {
    /// `+15555550100`.
    #[default]
    E164,
    /// `+1 555-555-0100`.
    International,
    /// `(555) 555-0100`.
    National,
}

impl NumberFormat {
    pub fn parse(field: &str, s: &str) -> Result<Self> {
        match s {
            "international" => Ok(NumberFormat::International),
            "national" => Ok(NumberFormat::National),
            other => Err(Error::invalid_field(field, format!("must be 'national' or 'international', got '{other}'"))),
        }
    }
}

impl PhoneNumber {
    /// Parses the value of `field`, whose name the error carries. A number without `+` is a
    /// North American one: its 10 digits, or 11 starting with the country code 1, are read as
    /// `+1` and the 10 digits whatever their area code, as RingPlan's examples write them
    /// (libphonenumber's own reading of an unknown area code would move digits around).
    pub fn parse(field: &str, s: &str) -> Result<Self> {
        let bad = || Error::invalid_field(field, format!("is not a phone number: '{s}'"));
        let s = s.trim();
        if s.is_empty() || s.len() > 32 || !s.chars().any(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        let international = if s.starts_with('+') {
            s.to_owned()
        } else {
            let digits: String = s.chars().filter(char::is_ascii_digit).collect();
            let written_as_number = s.chars().all(|c| c.is_ascii_digit() || " ()-.".contains(c));
            match digits.len() {
                10 if written_as_number => format!("+1{digits}"),
                11 if written_as_number && digits.starts_with('1') => format!("+{digits}"),
                _ => return Err(bad()),
            }
        };
        let parsed = phonenumber::parse(None, &international).map_err(|_| bad())?;
        let e164 = parsed.format().mode(phonenumber::Mode::E164).to_string();
        let digits = e164.len().saturating_sub(1);
        // E.164 allows 15 digits; fewer than 8 is no number a carrier can text.
        if !(8..=15).contains(&digits) || !phonenumber::is_viable(&international) {
            return Err(bad());
        }
        Ok(Self(e164))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn format(&self, format: NumberFormat) -> String {
        let mode = match format {
            NumberFormat::E164 => return self.0.clone(),
            NumberFormat::International => phonenumber::Mode::International,
            NumberFormat::National => phonenumber::Mode::National,
        };
        match phonenumber::parse(None, &self.0) {
            Ok(n) => n.format().mode(mode).to_string(),
            Err(_) => self.0.clone(),
        }
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Self::parse("number", &s)
    }
}

impl From<PhoneNumber> for String {
    fn from(n: PhoneNumber) -> String {
        n.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.0)
    }
}

/// The keywords carriers require a number to honour (CTIA): an inbound message that is one of
/// them, whatever its case and surrounding blanks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    /// Opt out: nothing more may be sent to the contact from this number.
    Stop,
    /// Opt back in.
    Start,
    Help,
}

impl Keyword {
    pub fn of(text: &str) -> Option<Self> {
        match text.trim().to_ascii_uppercase().as_str() {
            "STOP" | "STOPALL" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" | "OPTOUT" | "REVOKE" => Some(Keyword::Stop),
            "START" | "YES" | "UNSTOP" | "OPTIN" => Some(Keyword::Start),
            "HELP" | "INFO" => Some(Keyword::Help),
            _ => None,
        }
    }
}

/// The RingPlan Texting Contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TextContact {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: IdentityId,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub company_id: CompanyId,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub number: String,
}

/// The RingPlan Message. `status` and `error` are Switchboard's: where an outbound message
/// stands (`queued` while it waits its turn or a retry, `sent`, `failed`; `received` inbound),
/// and why it failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TextMessage {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: ContentId,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub campaign_info: Option<serde_json::Value>,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub conversation_id: ThreadId,
    pub conversation_type: String,
    pub created_at: String,
    pub direction: String,
    /// Attached files (MMS); none until the file store comes.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub files: Vec<serde_json::Value>,
    pub frm: String,
    pub is_read: bool,
    pub is_visible: bool,
    pub source_conversation_type: String,
    pub stamp_id: Option<String>,
    pub success: Option<bool>,
    pub text: String,
    pub timezone: String,
    pub to: String,
    pub status: String,
    pub error: Option<String>,
}

/// The RingPlan Conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TextConversation {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: ThreadId,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub company_id: CompanyId,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub contact_id: IdentityId,
    pub contactinfo: TextContact,
    pub contactsinfo: Vec<TextContact>,
    pub conversation_type: String,
    pub countunreadmessages: u64,
    pub from_number: String,
    pub has_direct_msg: bool,
    pub has_hidden_msg: bool,
    pub created_at: String,
    pub last_message_created_at: Option<String>,
    /// Boxed: a conversation event would otherwise be the largest by far.
    pub lastmessage: Option<Box<TextMessage>>,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub recipients: Vec<IdentityId>,
    pub timezone: String,
    pub unread_msg_count: u64,
    pub updated_at: String,
}

/// `texting.message.delete`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextMessageDeleted {
    pub id: ContentId,
    pub conversation_id: ThreadId,
}

/// `texting.message.markAsRead`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextMessagesRead {
    pub conversation_id: ThreadId,
    #[serde(rename = "messagesIds")]
    pub messages_ids: Vec<ContentId>,
    pub timezone: String,
}

/// `texting.chat.delete`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextConversationDeleted {
    pub id: ThreadId,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_stored_in_e164_and_formatted_on_demand() {
        for written in ["+1 (951) 336-0234", "9513360234", "1-951-336-0234", "+19513360234", "(951) 336.0234"] {
            assert_eq!(PhoneNumber::parse("n", written).unwrap().as_str(), "+19513360234", "{written}");
        }
        // RingPlan's examples use area codes that do not exist; they keep their digits.
        assert_eq!(PhoneNumber::parse("n", "11235554321").unwrap().as_str(), "+11235554321");
        assert_eq!(PhoneNumber::parse("n", "1235551234").unwrap().as_str(), "+11235551234");
        let n = PhoneNumber::parse("n", "+33 1 42 68 53 00").unwrap();
        assert_eq!(n.as_str(), "+33142685300");
        assert_eq!(n.format(NumberFormat::International), "+33 1 42 68 53 00");
        let us = PhoneNumber::parse("n", "9513360234").unwrap();
        assert_eq!(us.format(NumberFormat::National), "(951) 336-0234");
        for bad in ["", "abc", "12", "+1", "555-CALL-NOW-PLEASE-NOW-NOW-NOW-NOW", "21235554321", "33 1 42 68 53 00"] {
            let e = PhoneNumber::parse("number", bad).unwrap_err();
            assert!(e.to_string().starts_with("'number'"), "{bad}: {e}");
        }
    }

    #[test]
    fn opt_out_keywords_and_their_synonyms_are_recognised_whatever_their_case() {
        assert_eq!(Keyword::of(" stop "), Some(Keyword::Stop));
        assert_eq!(Keyword::of("Unsubscribe"), Some(Keyword::Stop));
        assert_eq!(Keyword::of("START"), Some(Keyword::Start));
        assert_eq!(Keyword::of("help"), Some(Keyword::Help));
        assert_eq!(Keyword::of("please stop"), None);
    }
}
