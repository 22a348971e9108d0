//! Who is calling. RingPlan-style: a company API key (`Authorization: Bearer`) names the
//! company, and `X-User-Id` names the acting user (a user id, or `primary`).

use switchboard_domain::user::User;
use switchboard_domain::{CompanyId, Error, Result, UserId};
use switchboard_store::{api_keys, users};

use crate::Engine;

/// An authenticated caller: a user acting within their company.
#[derive(Debug, Clone)]
pub struct Actor {
    pub company_id: CompanyId,
    pub user: User,
}

impl Actor {
    /// The owner or an administrator: may configure the company's channels.
    pub fn require_admin(&self, action: &str) -> Result<()> {
        if matches!(self.user.role, switchboard_domain::user::Role::Primary | switchboard_domain::user::Role::Admin) {
            Ok(())
        } else {
            Err(Error::forbidden(format!("only the company owner or an administrator may {action}")))
        }
    }

    pub fn require_primary(&self, action: &str) -> Result<()> {
        if self.user.is_primary() {
            Ok(())
        } else {
            Err(Error::forbidden(format!("only the company owner (the primary user) may {action}")))
        }
    }
}

/// Which user a request acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserRef {
    Primary,
    Id(UserId),
}

impl UserRef {
    /// Parses an `X-User-Id` value. Anything that is neither `primary` nor an id cannot name a
    /// user, which is an authentication failure like an unknown id.
    pub fn parse(s: &str) -> Result<Self> {
        if s == "primary" {
            Ok(UserRef::Primary)
        } else {
            UserId::parse(s).map(UserRef::Id).map_err(|_| Error::Unauthenticated)
        }
    }
}

/// A new random API key: `sbk_` and 64 hex characters (256 bits), plus a short prefix that
/// identifies it in listings without revealing it.
pub fn generate_api_key() -> (String, String) {
    let bytes: [u8; 32] = rand::random();
    let key = format!("sbk_{}", hex::encode(bytes));
    let prefix = key[..12].to_owned();
    (key, prefix)
}

impl Engine {
    /// Resolves an API key and a user reference to an actor. Every failure is the same
    /// `Unauthenticated`, so callers learn nothing about which part was wrong.
    pub async fn authenticate(&self, api_key: &str, user: &UserRef) -> Result<Actor> {
        let mut r = self.store.reader().await?;
        let company_id = api_keys::company_of(&mut r, api_key).await?.ok_or(Error::Unauthenticated)?;
        let user = match user {
            UserRef::Primary => users::get_primary(&mut r, &company_id).await?,
            UserRef::Id(id) => users::get(&mut r, &company_id, id).await?,
        };
        let user = user.filter(|u| u.activated).ok_or(Error::Unauthenticated)?;
        Ok(Actor { company_id, user })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_keys_are_long_random_and_distinct() {
        let (a, prefix) = generate_api_key();
        let (b, _) = generate_api_key();
        assert_ne!(a, b);
        assert_eq!(a.len(), 4 + 64);
        assert!(a.starts_with(&prefix));
    }

    #[test]
    fn user_reference_is_primary_or_an_id() {
        assert_eq!(UserRef::parse("primary").unwrap(), UserRef::Primary);
        assert!(matches!(UserRef::parse("60190ce750fe88ed1a544a7a").unwrap(), UserRef::Id(_)));
        assert_eq!(UserRef::parse("nobody").unwrap_err(), Error::Unauthenticated);
    }
}
