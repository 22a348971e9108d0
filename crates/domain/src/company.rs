use serde::{Deserialize, Serialize};

use crate::address::Address;
use crate::email::Email;
use crate::text::TextRule;
use crate::{CompanyId, Error, Result, Timestamp};

/// A tenant. Everything else belongs to exactly one company.
#[derive(Debug, Clone, PartialEq)]
pub struct Company {
    pub id: CompanyId,
    pub name: String,
    pub status: String,
    pub profile: CompanyProfile,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The descriptive fields of a company; stored as one JSON document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CompanyProfile {
    pub address: Option<Address>,
    pub affiliate: Option<bool>,
    pub billing_email: Option<Email>,
    pub description: Option<String>,
    pub email: Option<Email>,
    pub emergency_contact_number: Option<String>,
    pub fax: Option<String>,
    pub onboarding: Option<bool>,
    pub partner_id: Option<String>,
    pub phone: Option<String>,
    pub revenue: Option<i64>,
    pub website: Option<String>,
}

/// What the owner writes of a company.
#[derive(Debug, Clone, PartialEq)]
pub struct CompanyDetails {
    pub name: String,
    pub profile: CompanyProfile,
}

impl Company {
    pub fn validate(&self) -> Result<()> {
        validate_name("name", &self.name)?;
        self.profile.validate()
    }
}

impl CompanyProfile {
    /// Checks every text; the emails were checked when they were parsed.
    pub fn validate(&self) -> Result<()> {
        if let Some(a) = &self.address {
            a.validate("address.")?;
        }
        TextRule::TEXT.check_opt("description", self.description.as_deref())?;
        TextRule::PHONE.check_opt("emergency_contact_number", self.emergency_contact_number.as_deref())?;
        TextRule::PHONE.check_opt("fax", self.fax.as_deref())?;
        TextRule::ID.check_opt("partner_id", self.partner_id.as_deref())?;
        TextRule::PHONE.check_opt("phone", self.phone.as_deref())?;
        TextRule::URL.check_opt("website", self.website.as_deref())
    }
}

/// A name that must be given: not blank, and a [`TextRule::NAME`].
pub(crate) fn validate_name(field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid_field(field, "must not be empty"));
    }
    TextRule::NAME.check(field, value)
}

/// What `switchboard company create` and the first start need to make a working company.
#[derive(Debug, Clone)]
pub struct NewCompany {
    pub name: String,
    /// The company's and its primary user's address.
    pub email: Option<Email>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

impl NewCompany {
    pub fn validate(&self) -> Result<()> {
        validate_name("name", &self.name)?;
        TextRule::NAME.check_opt("first_name", self.first_name.as_deref())?;
        TextRule::NAME.check_opt("last_name", self.last_name.as_deref())
    }
}
