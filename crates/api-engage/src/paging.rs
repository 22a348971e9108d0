//! `perPage` and opaque `pageToken` cursors. A token is base64url of the position after the
//! last record shown, so pages stay stable while new records arrive at the top.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use switchboard_domain::is_valid_id;
use switchboard_domain::paging::Keyset;
use utoipa::ToSchema;

use crate::EngageError;

pub(crate) const DEFAULT_PER_PAGE: usize = 30;
pub(crate) const MAX_PER_PAGE: usize = 100;

#[derive(Serialize, Deserialize)]
struct Token {
    t: i64,
    id: String,
}

pub(crate) fn encode(k: &Keyset) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&Token { t: k.created_at, id: k.id.clone() }).unwrap_or_default())
}

pub(crate) fn decode(token: &str) -> Result<Keyset, EngageError> {
    let invalid = || EngageError::parameter("pageToken", "not a token this API issued");
    let bytes = URL_SAFE_NO_PAD.decode(token.trim_end_matches('=')).map_err(|_| invalid())?;
    let t: Token = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if !is_valid_id(&t.id) {
        return Err(invalid());
    }
    Ok(Keyset { created_at: t.t, id: t.id })
}

pub(crate) fn per_page(value: Option<&str>) -> Result<usize, EngageError> {
    match value {
        None => Ok(DEFAULT_PER_PAGE),
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_PER_PAGE).contains(&n) => Ok(n),
            _ => Err(EngageError::parameter(
                "perPage",
                format!("must be an integer between 1 and {MAX_PER_PAGE}, got '{v}'"),
            )),
        },
    }
}

/// The paging object of a list answer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Paging {
    #[schema(example = 30)]
    per_page: usize,
    /// The token this page was asked with.
    #[serde(skip_serializing_if = "Option::is_none")]
    page_token: Option<String>,
    /// The token of the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_page_token: Option<String>,
}

impl Paging {
    pub(crate) fn new(per_page: usize, page_token: Option<String>, next: Option<&Keyset>) -> Self {
        Self { per_page, page_token, next_page_token: next.map(encode) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_forgeries_are_refused() {
        let k = Keyset { created_at: 1_691_533_418_000_000, id: "6b021d147e06aad45d323bd8".into() };
        assert_eq!(decode(&encode(&k)).unwrap(), k);
        for bad in ["", "nope", "eyJ2YWx1ZSI6MTY5MTUzMzQxOC4wLCJmaWV", &URL_SAFE_NO_PAD.encode(br#"{"t":1,"id":"x"}"#)]
        {
            assert!(decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn per_page_defaults_to_30_and_stays_within_1_to_100() {
        assert_eq!(per_page(None).unwrap(), 30);
        assert_eq!(per_page(Some("100")).unwrap(), 100);
        for bad in ["0", "101", "-1", "ten", ""] {
            assert!(per_page(Some(bad)).is_err(), "{bad}");
        }
    }
}
