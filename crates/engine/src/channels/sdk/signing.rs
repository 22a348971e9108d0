//! Channel SDK signatures: lowercase hex HMAC-SHA512 of the exact body bytes, keyed with the
//! source's access token. Used for the Send API (verify) and for polling (sign requests,
//! verify responses).

use hmac::{Hmac, Mac};
use sha2::Sha512;
use subtle::ConstantTimeEq;

type HmacSha512 = Hmac<Sha512>;

pub fn sign(token: &str, body: &[u8]) -> String {
    let mut mac = HmacSha512::new_from_slice(token.as_bytes()).expect("HMAC accepts any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `signature` (hex, any case) is the signature of `body`. Constant-time in the
/// signature's content.
pub fn verify(token: &str, body: &[u8], signature: &str) -> bool {
    let expected = sign(token, body);
    let given = signature.trim().to_ascii_lowercase();
    expected.as_bytes().ct_eq(given.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checked test vector of the spec (§2): only the compact body reproduces it.
    #[test]
    fn the_documented_test_vector_verifies() {
        let token = "3YJZzqMJ5Ec7i2JGvnt8TgvleD7dtpwpmag4S6MuRA2GQdfvV4STIsxDRJ4fEjO8";
        let body = br#"{"action":"implementation.info","time":"2012-10-01T17:18:40Z"}"#;
        let expected = "826b61e7939505b2e773ef43a2aad53ec0385dd9d783fbd1c8fea00d0e2a3e2fb0ae0a5b2eb342356b61c41b5f19baec4c1f7e7e37a5b486fe9b593942017ff9";
        assert_eq!(sign(token, body), expected);
        assert!(verify(token, body, expected));
        assert!(verify(token, body, &expected.to_uppercase()));
        let spaced = br#"{"action": "implementation.info", "time": "2012-10-01T17:18:40Z"}"#;
        assert!(!verify(token, spaced, expected));
    }

    #[test]
    fn a_wrong_token_or_signature_does_not_verify() {
        let sig = sign("token-a", b"body");
        assert!(!verify("token-b", b"body", &sig));
        assert!(!verify("token-a", b"body", &sig[..64]));
        assert!(!verify("token-a", b"body", ""));
    }
}
