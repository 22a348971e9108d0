//! Bayeux channel names and subscription patterns: `/a/b`, `/a/*` (one more segment) and `/a/**`
//! (one or more segments).

/// Whether `name` is a channel name or pattern: absolute, no empty segment, wildcards only as
/// the last segment.
pub(crate) fn is_valid(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('/') else { return false };
    let segments: Vec<&str> = rest.split('/').collect();
    let last = segments.len() - 1;
    segments.iter().enumerate().all(|(i, s)| {
        !s.is_empty() && (i == last || (*s != "*" && *s != "**")) && (s.len() < 2 || !s.contains('*') || *s == "**")
    })
}

/// Whether a subscription `pattern` covers the channel `name` (which has no wildcard).
pub(crate) fn matches(pattern: &str, name: &str) -> bool {
    if let Some(prefix) = pattern.strip_suffix("/**") {
        return name.strip_prefix(prefix).is_some_and(|rest| rest.len() > 1 && rest.starts_with('/'));
    }
    if let Some(prefix) = pattern.strip_suffix("/*") {
        return name
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(|segment| !segment.is_empty() && !segment.contains('/'));
    }
    pattern == name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_star_is_one_segment_and_two_stars_are_any_depth() {
        assert!(matches("/v2/me/*", "/v2/me/channels"));
        assert!(!matches("/v2/me/*", "/v2/me/channels/chat"));
        assert!(!matches("/v2/me/*", "/v2/me"));
        assert!(!matches("/v2/me/*", "/v2/mechanics"));
        assert!(matches("/v2/**", "/v2/me/channels"));
        assert!(matches("/v2/**", "/v2/me"));
        assert!(!matches("/v2/**", "/v2"));
        assert!(!matches("/v2/**", "/v22/me"));
        assert!(matches("/v2/me/channels", "/v2/me/channels"));
        assert!(!matches("/v2/me/channels", "/v2/me/channel"));
    }

    #[test]
    fn names_are_absolute_with_wildcards_last() {
        for ok in ["/v2/me/*", "/v2/**", "/v2/me/channels", "/a"] {
            assert!(is_valid(ok), "{ok}");
        }
        for bad in ["", "/", "v2/me", "/v2//me", "/*/me", "/v2/me*", "/v2/***", "/v2/me/"] {
            assert!(!is_valid(bad), "{bad}");
        }
    }
}
