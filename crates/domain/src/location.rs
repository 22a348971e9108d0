use serde::{Deserialize, Serialize};

use crate::address::{Building, Street};
use crate::company::validate_name;
use crate::email::Email;
use crate::text::TextRule;
use crate::{CompanyId, Error, LocationId, Result, Timestamp};

/// A physical site of a company. Every company keeps at least one.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub id: LocationId,
    pub company_id: CompanyId,
    pub name: String,
    pub details: LocationDetails,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What the caller writes of a location, to add it or change it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewLocation {
    pub name: String,
    pub details: LocationDetails,
}

pub const MAIN_LOCATION_NAME: &str = "Main location";

/// The descriptive fields of a location; stored as one JSON document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LocationDetails {
    pub address2: Option<String>,
    pub building: Option<Building>,
    pub callerid: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub e911_provisioned: Option<bool>,
    pub email: Option<Email>,
    pub fax: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub pbx_id: Option<String>,
    pub phone: Option<String>,
    pub state: Option<String>,
    pub street: Option<Street>,
    pub zip: Option<String>,
}

impl Location {
    pub fn validate(&self) -> Result<()> {
        validate_name("name", &self.name)?;
        self.details.validate()?;
        if let Some(lat) = self.details.latitude
            && !(-90.0..=90.0).contains(&lat)
        {
            return Err(Error::invalid_field("latitude", "must be between -90 and 90"));
        }
        if let Some(lon) = self.details.longitude
            && !(-180.0..=180.0).contains(&lon)
        {
            return Err(Error::invalid_field("longitude", "must be between -180 and 180"));
        }
        Ok(())
    }
}

impl LocationDetails {
    /// Checks every text; the email was checked when it was parsed.
    pub fn validate(&self) -> Result<()> {
        for (field, value) in [
            ("address2", &self.address2),
            ("city", &self.city),
            ("country", &self.country),
            ("state", &self.state),
            ("zip", &self.zip),
        ] {
            TextRule::LABEL.check_opt(field, value.as_deref())?;
        }
        if let Some(b) = &self.building {
            b.validate("building.")?;
        }
        if let Some(s) = &self.street {
            s.validate("street.")?;
        }
        TextRule::PHONE.check_opt("callerid", self.callerid.as_deref())?;
        TextRule::PHONE.check_opt("fax", self.fax.as_deref())?;
        TextRule::ID.check_opt("pbx_id", self.pbx_id.as_deref())?;
        TextRule::PHONE.check_opt("phone", self.phone.as_deref())
    }
}
