//! Value objects shared by companies, users and locations. They have no identity and are stored
//! as JSON inside their owner's row.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub address2: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub number: Option<String>,
    pub state: Option<String>,
    pub street: Option<Street>,
    pub zip: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Street {
    pub name: Option<String>,
    pub number: Option<i64>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Building {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub value: Option<String>,
}
