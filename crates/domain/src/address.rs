//! Value objects shared by companies, users and locations. They have no identity and are stored
//! as JSON inside their owner's row.

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::text::TextRule;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Address {
    #[cfg_attr(feature = "openapi", schema(max_length = 255))]
    pub address2: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 255))]
    pub city: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 255))]
    pub country: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 255))]
    pub number: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 255))]
    pub state: Option<String>,
    pub street: Option<Street>,
    #[cfg_attr(feature = "openapi", schema(max_length = 255))]
    pub zip: Option<String>,
}

impl Address {
    /// Checks every text of the address, naming fields after `prefix` (`address.`).
    pub fn validate(&self, prefix: &str) -> Result<()> {
        for (field, value) in [
            ("address2", &self.address2),
            ("city", &self.city),
            ("country", &self.country),
            ("number", &self.number),
            ("state", &self.state),
            ("zip", &self.zip),
        ] {
            TextRule::LABEL.check_opt(&format!("{prefix}{field}"), value.as_deref())?;
        }
        self.street.as_ref().map_or(Ok(()), |s| s.validate(&format!("{prefix}street.")))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Street {
    #[cfg_attr(feature = "openapi", schema(max_length = 255))]
    pub name: Option<String>,
    pub number: Option<i64>,
    #[serde(rename = "type")]
    #[cfg_attr(feature = "openapi", schema(max_length = 255))]
    pub kind: Option<String>,
}

impl Street {
    pub fn validate(&self, prefix: &str) -> Result<()> {
        TextRule::LABEL.check_opt(&format!("{prefix}name"), self.name.as_deref())?;
        TextRule::LABEL.check_opt(&format!("{prefix}type"), self.kind.as_deref())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Building {
    #[serde(rename = "type")]
    #[cfg_attr(feature = "openapi", schema(max_length = 255))]
    pub kind: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 255))]
    pub value: Option<String>,
}

impl Building {
    pub fn validate(&self, prefix: &str) -> Result<()> {
        TextRule::LABEL.check_opt(&format!("{prefix}type"), self.kind.as_deref())?;
        TextRule::LABEL.check_opt(&format!("{prefix}value"), self.value.as_deref())
    }
}
