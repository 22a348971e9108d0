//! Standard Webhooks signatures: `webhook-signature` is `v1,<base64 HMAC-SHA256 of
//! "id.timestamp.body">`, one per secret, separated by spaces. Webhook deliveries are signed
//! here, and so are the `http` SMS carrier's requests both ways.

use std::time::Duration;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use switchboard_domain::Timestamp;
use switchboard_domain::webhook::SigningSecret;

/// `webhook-signature`: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` per signing secret.
pub(crate) fn sign(secrets: &[&SigningSecret], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets.iter().map(|s| format!("v1,{}", digest(s, id, timestamp, body))).collect::<Vec<_>>().join(" ")
}

fn digest(secret: &SigningSecret, id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(&secret.key()).expect("HMAC takes keys of any length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Why a signed request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("its webhook-timestamp is not a number of seconds")]
    MalformedTimestamp,
    #[error("its webhook-timestamp is too far from the current time")]
    Stale,
    #[error("no webhook-signature matches its body")]
    Mismatch,
}

/// Whether `signature` (the `webhook-signature` header) holds a `v1` signature of `body` by
/// `secret`, made within `tolerance` of `now`: the window bounds the replay of a captured
/// request. Constant-time in the signatures' content.
pub(crate) fn verify(
    secret: &SigningSecret,
    id: &str,
    timestamp: &str,
    body: &[u8],
    signature: &str,
    now: Timestamp,
    tolerance: Duration,
) -> Result<(), Rejection> {
    let seconds: i64 = timestamp.trim().parse().map_err(|_| Rejection::MalformedTimestamp)?;
    let signed_at = Timestamp::from_micros(seconds.saturating_mul(1_000_000));
    if signed_at < now.minus(tolerance) || signed_at > now.plus(tolerance) {
        return Err(Rejection::Stale);
    }
    let expected = digest(secret, id, seconds, body);
    let matches = signature
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .fold(false, |found, given| found | bool::from(given.as_bytes().ct_eq(expected.as_bytes())));
    if matches { Ok(()) } else { Err(Rejection::Mismatch) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIVE_MINUTES: Duration = Duration::from_secs(300);

    fn example() -> (SigningSecret, &'static str, i64, &'static [u8]) {
        // The example of the Standard Webhooks specification's reference libraries.
        let secret = SigningSecret::from_stored("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into());
        (secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, br#"{"test": 2432232314}"#)
    }

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_micros(seconds * 1_000_000)
    }

    #[test]
    fn signature_matches_the_standard_webhooks_example() {
        let (secret, id, ts, body) = example();
        assert_eq!(sign(&[&secret], id, ts, body), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn what_is_signed_verifies_and_any_of_several_signatures_may_match() {
        let (secret, id, ts, body) = example();
        let other = SigningSecret::generate();
        let both = sign(&[&other, &secret], id, ts, body);
        assert_eq!(verify(&secret, id, &ts.to_string(), body, &both, at(ts), FIVE_MINUTES), Ok(()));
        assert_eq!(verify(&other, id, &ts.to_string(), body, &both, at(ts), FIVE_MINUTES), Ok(()));
    }

    #[test]
    fn a_changed_body_id_timestamp_or_secret_does_not_verify() {
        let (secret, id, ts, body) = example();
        let sig = sign(&[&secret], id, ts, body);
        let check = |secret: &SigningSecret, id: &str, ts: i64, body: &[u8]| {
            verify(secret, id, &ts.to_string(), body, &sig, at(ts), FIVE_MINUTES)
        };
        assert_eq!(check(&secret, id, ts, br#"{"test": 2432232315}"#), Err(Rejection::Mismatch));
        assert_eq!(check(&secret, "msg_other", ts, body), Err(Rejection::Mismatch));
        assert_eq!(check(&secret, id, ts + 1, body), Err(Rejection::Mismatch));
        assert_eq!(check(&SigningSecret::generate(), id, ts, body), Err(Rejection::Mismatch));
        let unversioned = sig.trim_start_matches("v1,");
        assert_eq!(
            verify(&secret, id, &ts.to_string(), body, unversioned, at(ts), FIVE_MINUTES),
            Err(Rejection::Mismatch)
        );
    }

    #[test]
    fn a_signature_is_accepted_only_within_the_tolerance() {
        let (secret, id, ts, body) = example();
        let sig = sign(&[&secret], id, ts, body);
        let check = |now: i64| verify(&secret, id, &ts.to_string(), body, &sig, at(now), FIVE_MINUTES);
        assert_eq!(check(ts + 300), Ok(()));
        assert_eq!(check(ts - 300), Ok(()));
        assert_eq!(check(ts + 301), Err(Rejection::Stale));
        assert_eq!(check(ts - 301), Err(Rejection::Stale));
        let malformed = verify(&secret, id, "yesterday", body, &sig, at(ts), FIVE_MINUTES);
        assert_eq!(malformed, Err(Rejection::MalformedTimestamp));
    }
}
