use std::fmt;

/// A value that must be used but never shown: an API key shown once, a header sent to a webhook
/// receiver (`X-Dimelo-Secret`, the verification token). Its `Debug` is redacted, so it cannot
/// reach a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: String) -> Self {
        Self(s)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_never_debug_printed() {
        let s = Secret::new("sbk_0123".into());
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(s.expose(), "sbk_0123");
    }
}
