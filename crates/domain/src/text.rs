//! What a stored text may be, in one place, so that both backends take exactly the same values:
//!
//! - no text holds U+0000. PostgreSQL cannot store it in a `text` column (the whole transaction
//!   fails) while SQLite stores it, so it is refused before anything is written;
//! - every text has a maximum length for its kind of value. The kinds that key a unique index
//!   (foreign ids in `(source_id, foreign_id)`, emails) stay under PostgreSQL's btree row limit
//!   (about 2,700 bytes) even at 4 bytes per character: 512 characters is at most 2,048 bytes;
//! - single-line kinds (ids, names, emails, phone numbers, URLs, labels, titles) also refuse line
//!   breaks and the other control characters but tab: they are matched, dialled, fetched and
//!   shown on one line, where a control character is never meant. Multi-line kinds
//!   (descriptions, bodies) keep every character but U+0000, as people wrote them.
//!
//! Lengths count characters (Unicode scalar values), as JSON Schema's `maxLength` does.

use serde_json::{Map, Value};

use crate::{Error, Result};

/// The rule for one kind of text value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextRule {
    pub max_chars: usize,
    pub single_line: bool,
}

/// Why a text holding U+0000 is refused.
pub const NUL_REASON: &str = "must not contain the character U+0000 (NUL)";

impl TextRule {
    /// An id another system gave (a connector's message, thread or user id), or any other key
    /// matched as it is.
    pub const ID: Self = Self::line(512);
    /// What a person, company, location or source is called.
    pub const NAME: Self = Self::line(200);
    /// An email address (RFC 5321's limit on a path).
    pub const EMAIL: Self = Self::line(254);
    /// A phone or fax number, as written (with spaces, dashes, an extension).
    pub const PHONE: Self = Self::line(64);
    /// A URL.
    pub const URL: Self = Self::line(2048);
    /// Any other short single-line value: a city, a zip code, a time zone, a category, a gender.
    pub const LABEL: Self = Self::line(255);
    /// The title of a thread or content.
    pub const TITLE: Self = Self::line(1000);
    /// A free-form description.
    pub const TEXT: Self = Self::lines(10_000);
    /// The body of a content.
    pub const BODY: Self = Self::lines(20_000);

    /// Every kind, each with its own maximum: a document that states only a maximum length
    /// (OpenAPI's `maxLength`) thereby names the kind.
    pub const KINDS: [Self; 9] =
        [Self::ID, Self::NAME, Self::EMAIL, Self::PHONE, Self::URL, Self::LABEL, Self::TITLE, Self::TEXT, Self::BODY];

    /// The single-line rule as a JSON Schema (ECMA-262) pattern: no control character but tab.
    /// U+0000 is a control character too.
    pub const SINGLE_LINE_PATTERN: &str = r"^[^\x00-\x08\x0a-\x1f\x7f-\x9f]*$";

    /// The kind whose maximum is `max_chars`.
    pub fn of_max(max_chars: usize) -> Option<Self> {
        Self::KINDS.into_iter().find(|k| k.max_chars == max_chars)
    }

    const fn line(max_chars: usize) -> Self {
        Self { max_chars, single_line: true }
    }

    const fn lines(max_chars: usize) -> Self {
        Self { max_chars, single_line: false }
    }

    /// Checks `value`, given as `field`: `Error::Invalid` naming the field when it breaks the
    /// rule.
    pub fn check(self, field: &str, value: &str) -> Result<()> {
        if value.contains('\0') {
            return Err(Error::invalid_field(field, NUL_REASON));
        }
        // Bytes bound characters from above, so most values are never counted.
        if value.len() > self.max_chars && value.chars().count() > self.max_chars {
            return Err(Error::invalid_field(field, format!("must be at most {} characters", self.max_chars)));
        }
        if self.single_line && value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(Error::invalid_field(field, "must be a single line without control characters"));
        }
        Ok(())
    }

    /// [`TextRule::check`] for an optional value.
    pub fn check_opt(self, field: &str, value: Option<&str>) -> Result<()> {
        value.map_or(Ok(()), |v| self.check(field, v))
    }

    /// Checks every text of `values`, naming each by its position (`field[2]`).
    pub fn check_all(self, field: &str, values: &[String]) -> Result<()> {
        values.iter().enumerate().try_for_each(|(i, v)| self.check(&format!("{field}[{i}]"), v))
    }
}

/// Refuses a JSON document holding U+0000 in any string or key, naming where (`a.b[0].c`,
/// after `prefix`). JSON documents are stored as text whatever fields they have, so this is the
/// guard for fields nobody checks one by one (custom data, structured content).
pub fn check_json(prefix: &str, value: &Value) -> Result<()> {
    match nul_path(value) {
        Some(path) => Err(Error::invalid_field(join(prefix, &path), NUL_REASON)),
        None => Ok(()),
    }
}

/// [`check_json`] for the fields of an object, named from the object.
pub fn check_fields(fields: &Map<String, Value>) -> Result<()> {
    match nul_in_fields(fields) {
        Some(path) => Err(Error::invalid_field(path, NUL_REASON)),
        None => Ok(()),
    }
}

/// Where the first U+0000 of `value` is, as a path from it (empty for `value` itself).
fn nul_path(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => s.contains('\0').then(String::new),
        Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, v)| nul_path(v).map(|rest| format!("[{i}]{}", dotted(&rest))))
        }
        Value::Object(fields) => nul_in_fields(fields),
        Value::Null | Value::Bool(_) | Value::Number(_) => None,
    }
}

fn nul_in_fields(fields: &Map<String, Value>) -> Option<String> {
    fields.iter().find_map(|(k, v)| {
        if k.contains('\0') {
            return Some(k.replace('\0', "\\u0000"));
        }
        nul_path(v).map(|rest| format!("{k}{}", dotted(&rest)))
    })
}

/// A path continued after a segment: `[i]…` as it is, a key after a dot.
fn dotted(rest: &str) -> String {
    if rest.is_empty() || rest.starts_with('[') { rest.to_owned() } else { format!(".{rest}") }
}

fn join(prefix: &str, path: &str) -> String {
    match (prefix.is_empty(), path.is_empty()) {
        (true, _) => path.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) => format!("{prefix}{}", dotted(path)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn each_kind_has_its_own_maximum_so_a_maximum_names_its_kind() {
        for kind in TextRule::KINDS {
            assert_eq!(TextRule::of_max(kind.max_chars), Some(kind));
        }
    }

    fn reason(r: Result<()>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn a_nul_is_refused_in_every_kind_of_text() {
        for rule in [TextRule::ID, TextRule::NAME, TextRule::TEXT, TextRule::BODY] {
            assert_eq!(reason(rule.check("body", "a\0b")), "'body' must not contain the character U+0000 (NUL)");
        }
    }

    #[test]
    fn the_limit_counts_characters_and_accepts_exactly_the_maximum() {
        let at_limit = "😀".repeat(512);
        assert_eq!(at_limit.len(), 2048, "four bytes each");
        assert!(TextRule::ID.check("id", &at_limit).is_ok());
        let over = format!("{at_limit}a");
        assert_eq!(reason(TextRule::ID.check("id", &over)), "'id' must be at most 512 characters");
    }

    #[test]
    fn single_line_values_refuse_line_breaks_and_controls_but_keep_tabs() {
        assert!(TextRule::NAME.check("name", "Jane\tDoe").is_ok());
        for bad in ["Jane\nDoe", "Jane\rDoe", "Jane\u{7}", "Jane\u{7f}", "Jane\u{85}"] {
            assert_eq!(
                reason(TextRule::NAME.check("name", bad)),
                "'name' must be a single line without control characters",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn multi_line_values_keep_line_breaks_and_other_controls() {
        assert!(TextRule::BODY.check("body", "Hello,\r\n\tworld\u{c}").is_ok());
    }

    #[test]
    fn indexed_kinds_fit_a_postgresql_btree_row_at_four_bytes_a_character() {
        for rule in [TextRule::ID, TextRule::EMAIL] {
            assert!(rule.max_chars * 4 <= 2048, "{rule:?}");
        }
    }

    #[test]
    fn a_nul_anywhere_in_a_json_document_is_found_and_its_path_named() {
        assert!(check_json("params", &json!({"a": [1, "b", {"c": null}]})).is_ok());
        let at = |v: Value| reason(check_json("params", &v));
        assert_eq!(
            at(json!({"author": {"id": "x\u{0}"}})),
            "'params.author.id' must not contain the character U+0000 (NUL)"
        );
        assert_eq!(
            at(json!({"a": [1, {"b": ["", "\u{0}"]}]})),
            "'params.a[1].b[1]' must not contain the character U+0000 (NUL)"
        );
        assert_eq!(at(json!({"k\u{0}": 1})), "'params.k\\u0000' must not contain the character U+0000 (NUL)");
        assert_eq!(reason(check_json("", &json!({"a": "\u{0}"}))), "'a' must not contain the character U+0000 (NUL)");
        assert_eq!(reason(check_json("", &json!(["\u{0}"]))), "'[0]' must not contain the character U+0000 (NUL)");
    }
}
