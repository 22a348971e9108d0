//! Agents signing in themselves (the GWS facade): their passwords and their HTTP sessions.

use crate::secret::Secret;
use crate::{CompanyId, Error, Result, Timestamp, UserId};

/// The fewest and most characters a password may have. The upper bound keeps one sign-in from
/// costing the hasher more than any other.
pub const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 8..=256;

/// Checks a new password; the password itself is never part of the error.
pub fn check_password(password: &Secret) -> Result<()> {
    let chars = password.expose().chars().count();
    if !PASSWORD_CHARS.contains(&chars) {
        return Err(Error::invalid_field(
            "password",
            format!("must have {} to {} characters", PASSWORD_CHARS.start(), PASSWORD_CHARS.end()),
        ));
    }
    if password.expose().chars().any(char::is_control) {
        return Err(Error::invalid_field("password", "must not contain control characters"));
    }
    Ok(())
}

/// A signed-in user's session. The caller holds its token (the cookie); the store keeps only the
/// token's hash, as `id`.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentSession {
    pub id: String,
    pub company_id: CompanyId,
    pub user_id: UserId,
    /// Bound to the session; writes must carry it when CSRF protection is on.
    pub csrf_token: String,
    /// The company's event seq up to which the session's notifications were delivered.
    pub delivered_seq: i64,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_have_a_length_and_no_control_characters() {
        assert!(check_password(&Secret::new("correct horse".into())).is_ok());
        assert!(check_password(&Secret::new("short".into())).is_err());
        assert!(check_password(&Secret::new("x".repeat(257))).is_err());
        let err = check_password(&Secret::new("tab\there!".into())).unwrap_err();
        assert!(!err.to_string().contains("tab"));
    }
}
