//! JSON helpers shared by the facades: bodies read whatever their content type, typed
//! conversion that names the offending field, and RFC 7396 merge patches.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use switchboard_domain::Error;
use switchboard_domain::text::check_json;

/// The largest request body the REST facades read; each sets it on its routes (the Send API
/// documents its own, 20 MiB).
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Why a request body was not taken. Each facade answers both in its own error format.
#[derive(Debug)]
pub enum BodyError {
    /// Larger than the route's limit: 413.
    TooLarge,
    /// Unreadable, not a JSON object, or holding a text no field may hold: 400.
    Invalid(Error),
}

/// Reads a request body as a JSON object, whatever its content type.
pub async fn read_object<S: Send + Sync>(req: Request, state: &S) -> Result<Value, BodyError> {
    let bytes = Bytes::from_request(req, state).await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            BodyError::TooLarge
        } else {
            BodyError::Invalid(Error::invalid(e.body_text()))
        }
    })?;
    parse_object(&bytes).map_err(BodyError::Invalid)
}

/// Parses a request body as a JSON object. No string or key of it may hold U+0000, whichever
/// field it is in: no text stored can hold one (`domain::text`), and refusing it here covers the
/// fields nobody checks one by one.
pub fn parse_object(body: &[u8]) -> Result<Value, Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::invalid("the request body is empty; a JSON object is expected"));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(v @ Value::Object(_)) => check_json("", &v).map(|()| v),
        Ok(_) => Err(Error::invalid("the request body must be a JSON object")),
        Err(e) => Err(Error::invalid(format!("the request body is not valid JSON: {e}"))),
    }
}

/// Converts a JSON value to `T`, naming the field at fault when it does not fit.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        if path == "." { e.inner().to_string() } else { format!("'{path}': {}", e.inner()) }
    })
}

/// Writes whole floats (`3.0`) as integers. JSON Schema counts them as integers, so a client
/// may send one where the document says `integer`; serde's integer types refuse them.
pub fn whole_floats_as_integers(value: &mut Value) {
    match value {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|f| n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e18) {
                *n = (f as i64).into();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_floats_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_floats_as_integers),
        _ => {}
    }
}

pub fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// Applies an RFC 7396 merge patch: objects merge key by key, `null` removes, anything else
/// replaces.
pub fn merge_patch(target: &mut Value, patch: Value) {
    match patch {
        Value::Object(fields) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            if let Value::Object(t) = target {
                for (k, v) in fields {
                    if v.is_null() {
                        t.remove(&k);
                    } else {
                        merge_patch(t.entry(k).or_insert(Value::Null), v);
                    }
                }
            }
        }
        other => *target = other,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn merge_patch_merges_nested_objects_removes_nulls_and_replaces_the_rest() {
        let mut doc = json!({"a": 1, "b": {"c": 2, "d": 3}, "e": [1, 2]});
        merge_patch(&mut doc, json!({"a": null, "b": {"c": 20}, "e": [9], "f": "new"}));
        assert_eq!(doc, json!({"b": {"c": 20, "d": 3}, "e": [9], "f": "new"}));
    }

    #[test]
    fn whole_floats_become_integers_and_others_stay() {
        let mut doc = json!({"a": -1315295.0, "b": [2.0, 2.5], "c": {"d": 1e300}, "e": 7});
        whole_floats_as_integers(&mut doc);
        assert_eq!(doc, json!({"a": -1315295, "b": [2, 2.5], "c": {"d": 1e300}, "e": 7}));
        assert!(doc["a"].is_i64());
    }

    #[test]
    fn bodies_must_be_json_objects() {
        assert!(parse_object(br#"{"a":1}"#).is_ok());
        assert!(parse_object(b"").unwrap_err().to_string().contains("empty"));
        assert!(parse_object(b"[1]").unwrap_err().to_string().contains("JSON object"));
        assert!(parse_object(b"{nope").unwrap_err().to_string().contains("not valid JSON"));
    }

    #[test]
    fn a_nul_in_any_string_of_a_body_is_refused_naming_where() {
        let err = parse_object(br#"{"a": {"b": ["x", "y\u0000"]}}"#).unwrap_err();
        assert_eq!(err, Error::invalid_field("a.b[1]", "must not contain the character U+0000 (NUL)"));
    }

    #[test]
    fn conversion_errors_name_the_field() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct T {
            inner: Inner,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Inner {
            n: i64,
        }
        let err = from_value::<T>(json!({"inner": {"n": "x"}})).unwrap_err();
        assert!(err.starts_with("'inner.n': invalid type"), "{err}");
    }
}
