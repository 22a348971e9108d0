use serde::{Deserialize, Serialize};

use crate::address::Address;
use crate::email::Email;
use crate::text::TextRule;
use crate::{CompanyId, Error, Result, Timestamp, UserId};

/// What a user may do in their company. RingPlan's `primary` user is the owner; a supervisor
/// watches the contact centre's agents and interactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Primary,
    Admin,
    Supervisor,
    Agent,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Primary => "primary",
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Agent => "agent",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "primary" => Ok(Role::Primary),
            "admin" => Ok(Role::Admin),
            "supervisor" => Ok(Role::Supervisor),
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

    /// Checks every text; the email was checked when it was parsed. Fields are named as the
    /// core names them (`phones.mobile`, `address.city`).
    pub fn validate(&self) -> Result<()> {
        TextRule::NAME.check_opt("first_name", self.first_name.as_deref())?;
        TextRule::NAME.check_opt("last_name", self.last_name.as_deref())?;
        self.profile.validate()
    }
}

impl UserProfile {
    pub fn validate(&self) -> Result<()> {
        if let Some(a) = &self.address {
            a.validate("address.")?;
        }
        if let Some(b) = &self.birthdate {
            TextRule::LABEL.check("birthdate", b)?;
            if chrono::NaiveDate::parse_from_str(b, "%Y-%m-%d").is_err()
                && chrono::DateTime::parse_from_rfc3339(b).is_err()
            {
                return Err(Error::invalid_field("birthdate", format!("must be a date (YYYY-MM-DD), got '{b}'")));
            }
        }
        TextRule::TEXT.check_opt("description", self.description.as_deref())?;
        TextRule::PHONE.check_opt("emergency_contact_number", self.emergency_contact_number.as_deref())?;
        TextRule::PHONE.check_opt("fax", self.fax.as_deref())?;
        if let Some(p) = &self.phones {
            p.validate("phones.")?;
        }
        TextRule::ID.check_opt("primary_agent", self.primary_agent.as_deref())?;
        TextRule::LABEL.check_opt("timezone", self.timezone.as_deref())?;
        TextRule::LABEL.check_opt("title", self.title.as_deref())
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

impl UserFilter {
    /// A filter holds what a stored value may hold: PostgreSQL refuses a U+0000 even in a query.
    pub fn validate(&self) -> Result<()> {
        TextRule::NAME.check_opt("first_name", self.first_name.as_deref())?;
        TextRule::EMAIL.check_opt("email", self.email.as_deref())
    }
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
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub home: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub mobile: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub other: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub work: Option<String>,
}

impl Phones {
    pub fn validate(&self, prefix: &str) -> Result<()> {
        for (field, value) in
            [("home", &self.home), ("mobile", &self.mobile), ("other", &self.other), ("work", &self.work)]
        {
            TextRule::PHONE.check_opt(&format!("{prefix}{field}"), value.as_deref())?;
        }
        Ok(())
    }
}
