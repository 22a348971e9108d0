use serde::{Deserialize, Serialize};

use crate::address::Address;
use crate::email::Email;
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
        validate_name("name", &self.name)
    }
}

pub(crate) fn validate_name(field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid_field(field, "must not be empty"));
    }
    if value.chars().count() > 200 {
        return Err(Error::invalid_field(field, "must be at most 200 characters"));
    }
    Ok(())
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
        validate_name("name", &self.name)
    }
}
