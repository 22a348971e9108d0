use serde::{Deserialize, Serialize};

use crate::address::Address;
use crate::email::Email;
use crate::{CompanyId, Error, Result, Timestamp, UserId};

/// What a user may do in their company. RingPlan's `primary` user is the owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Primary,
    Admin,
    Agent,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Primary => "primary",
            Role::Admin => "admin",
            Role::Agent => "agent",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "primary" => Ok(Role::Primary),
            "admin" => Ok(Role::Admin),
            "agent" => Ok(Role::Agent),
            other => Err(Error::Internal(format!("unknown role {other:?}"))),
        }
    }
}

/// A member of staff of a company (RingPlan calls them contacts).
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub company_id: CompanyId,
    pub role: Role,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<Email>,
    pub activated: bool,
    pub profile: UserProfile,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub last_enter: Option<Timestamp>,
}

impl User {
    pub fn is_primary(&self) -> bool {
        self.role == Role::Primary
    }

    pub fn set_details(&mut self, d: UserDetails) {
        self.first_name = d.first_name;
        self.last_name = d.last_name;
        self.email = d.email;
        self.activated = d.activated;
        self.profile = d.profile;
    }

    pub fn validate(&self) -> Result<()> {
        for (field, value) in [("first_name", &self.first_name), ("last_name", &self.last_name)] {
            if let Some(v) = value
                && v.chars().count() > 200
            {
                return Err(Error::invalid_field(field, "must be at most 200 characters"));
            }
        }
        if let Some(b) = &self.profile.birthdate
            && chrono::NaiveDate::parse_from_str(b, "%Y-%m-%d").is_err()
            && chrono::DateTime::parse_from_rfc3339(b).is_err()
        {
            return Err(Error::invalid_field("birthdate", format!("must be a date (YYYY-MM-DD), got '{b}'")));
        }
        Ok(())
    }
}

/// The fields of a user that callers write, when adding or updating one; the engine assigns
/// identity, role and times.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserDetails {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<Email>,
    pub activated: bool,
    pub profile: UserProfile,
}

/// Which users a list shows; `None` matches everyone.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct UserFilter {
    /// Compared case-insensitively.
    pub first_name: Option<String>,
    /// Compared case-insensitively.
    pub email: Option<String>,
}

/// The descriptive fields of a user; stored as one JSON document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserProfile {
    pub address: Option<Address>,
    pub birthdate: Option<String>,
    pub description: Option<String>,
    pub emergency_contact_number: Option<String>,
    pub extension: Option<serde_json::Value>,
    pub fax: Option<String>,
    pub invitation: Option<serde_json::Value>,
    pub phones: Option<Phones>,
    pub primary_agent: Option<String>,
    pub timezone: Option<String>,
    pub title: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Phones {
    pub home: Option<String>,
    pub mobile: Option<String>,
    pub other: Option<String>,
    pub work: Option<String>,
}
