//! Structured content for Channel SDK sources (spec §6): `select`, `rich_link`, `template` and
//! `carousel`, with their documented limits. The source must declare `view.messaging`.

use serde_json::{Map, Value};
use switchboard_domain::source::sdk::Capabilities;
use switchboard_domain::source::validate_http_url;
use switchboard_domain::{Error, Result};

use super::{invalid_resource, messages};

const SELECT_ITEMS: usize = 13;
const CAROUSEL_ITEMS: usize = 10;
const BUTTONS: usize = 4;

/// Checks a structured content and returns it as it will be stored.
pub fn validate(v: &Value, caps: &Capabilities) -> Result<Value> {
    if !caps.has_option("view.messaging") {
        return Err(Error::invalid(messages::NO_STRUCTURED_CONTENT));
    }
    let Value::Object(sc) = v else { return Err(invalid_resource("'structured_content' must be an object")) };
    let kind = match sc.get("type") {
        Some(Value::String(s)) if !s.is_empty() => s.as_str(),
        _ => return Err(Error::invalid(messages::STRUCTURED_TYPE_REQUIRED)),
    };
    match kind {
        "select" => select(sc)?,
        "rich_link" => rich_link(sc)?,
        "template" => card(sc, "")?,
        "carousel" => carousel(sc)?,
        _ => return Err(Error::invalid(messages::STRUCTURED_TYPE_UNSUPPORTED)),
    }
    Ok(v.clone())
}

fn select(sc: &Map<String, Value>) -> Result<()> {
    let items = required_items(sc, "items", "", SELECT_ITEMS)?;
    for (i, item) in items.iter().enumerate() {
        let path = format!("items[{i}].");
        let item = as_object(item, &path)?;
        required_text(item, "title", &path, 80)?;
        optional_text(item, "payload", &path, 1000)?;
    }
    Ok(())
}

fn rich_link(sc: &Map<String, Value>) -> Result<()> {
    let url = required_text(sc, "url", "", 2048)?;
    validate_http_url("structured_content.url", url)
        .map_err(|_| invalid_resource("'structured_content.url' must be an http or https URL"))?;
    required_text(sc, "title", "", 350)?;
    optional_text(sc, "url_text", "", 80)?;
    optional_text(sc, "subtitle", "", 1000)?;
    optional_url(sc, "attachment_url", "")
}

/// A template, or one card of a carousel (`path` says which).
fn card(sc: &Map<String, Value>, path: &str) -> Result<()> {
    required_text(sc, "title", path, 350)?;
    optional_text(sc, "subtitle", path, 1000)?;
    optional_text(sc, "url_text", path, 80)?;
    optional_url(sc, "url", path)?;
    optional_url(sc, "attachment_url", path)?;
    let buttons = match sc.get("items") {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Array(b)) => b,
        Some(_) => return Err(invalid_resource(format!("'structured_content.{path}items' must be an array"))),
    };
    if buttons.len() > BUTTONS {
        return Err(invalid_resource(format!("'structured_content.{path}items' has at most {BUTTONS} buttons")));
    }
    for (i, button) in buttons.iter().enumerate() {
        let path = format!("{path}items[{i}].");
        let button = as_object(button, &path)?;
        required_text(button, "title", &path, 80)?;
        match required_text(button, "type", &path, 16)? {
            "reply" => optional_text(button, "payload", &path, 1000)?,
            "url" => {
                let url = required_text(button, "url", &path, 2048)?;
                validate_http_url("url", url).map_err(|_| {
                    invalid_resource(format!("'structured_content.{path}url' must be an http or https URL"))
                })?;
            }
            other => {
                return Err(invalid_resource(format!(
                    "'structured_content.{path}type' must be 'url' or 'reply', got '{other}'"
                )));
            }
        }
    }
    Ok(())
}

fn carousel(sc: &Map<String, Value>) -> Result<()> {
    let items = required_items(sc, "items", "", CAROUSEL_ITEMS)?;
    for (i, item) in items.iter().enumerate() {
        let path = format!("items[{i}].");
        card(as_object(item, &path)?, &path)?;
    }
    Ok(())
}

fn empty(path: &str, key: &str) -> Error {
    Error::invalid(format!("structured_content: \"{path}{key}\" must not be empty"))
}

fn as_object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>> {
    v.as_object().ok_or_else(|| {
        invalid_resource(format!("'structured_content.{}' must be an object", path.trim_end_matches('.')))
    })
}

fn required_items<'a>(sc: &'a Map<String, Value>, key: &str, path: &str, max: usize) -> Result<&'a Vec<Value>> {
    match sc.get(key) {
        Some(Value::Array(a)) if !a.is_empty() => {
            if a.len() > max {
                return Err(invalid_resource(format!("'structured_content.{path}{key}' has at most {max} items")));
            }
            Ok(a)
        }
        None | Some(Value::Null) | Some(Value::Array(_)) => Err(empty(path, key)),
        Some(_) => Err(invalid_resource(format!("'structured_content.{path}{key}' must be an array"))),
    }
}

fn required_text<'a>(o: &'a Map<String, Value>, key: &str, path: &str, max: usize) -> Result<&'a str> {
    match o.get(key) {
        Some(Value::String(s)) if !s.is_empty() => check_len(s, key, path, max).map(|()| s.as_str()),
        None | Some(Value::Null) | Some(Value::String(_)) => Err(empty(path, key)),
        Some(_) => Err(invalid_resource(format!("'structured_content.{path}{key}' must be a string"))),
    }
}

fn optional_text(o: &Map<String, Value>, key: &str, path: &str, max: usize) -> Result<()> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(s)) => check_len(s, key, path, max),
        Some(_) => Err(invalid_resource(format!("'structured_content.{path}{key}' must be a string"))),
    }
}

fn optional_url(o: &Map<String, Value>, key: &str, path: &str) -> Result<()> {
    optional_text(o, key, path, 2048)?;
    match o.get(key) {
        Some(Value::String(s)) if !s.is_empty() => validate_http_url(key, s)
            .map_err(|_| invalid_resource(format!("'structured_content.{path}{key}' must be an http or https URL"))),
        _ => Ok(()),
    }
}

fn check_len(s: &str, key: &str, path: &str, max: usize) -> Result<()> {
    if s.chars().count() > max {
        return Err(invalid_resource(format!("'structured_content.{path}{key}' must be at most {max} characters")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn messaging() -> Capabilities {
        Capabilities { options: vec!["view.messaging".into()], ..Default::default() }
    }

    fn err(v: Value) -> String {
        validate(&v, &messaging()).unwrap_err().to_string()
    }

    #[test]
    fn every_documented_type_is_accepted_in_its_documented_shape() {
        let ok = [
            json!({"type": "select", "items": [{"title": "Yes", "payload": "YES"}, {"title": "No"}]}),
            json!({"type": "rich_link", "url": "https://example.com/p", "title": "A page", "url_text": "example.com", "attachment_url": "https://example.com/i.png"}),
            json!({"type": "template", "title": "Order", "subtitle": "#42", "items": [{"type": "url", "title": "Track", "url": "https://t.example/42"}, {"type": "reply", "title": "Help", "payload": "HELP"}]}),
            json!({"type": "carousel", "items": [{"title": "One", "items": [{"type": "reply", "title": "Pick"}]}, {"title": "Two"}]}),
        ];
        for v in ok {
            assert_eq!(validate(&v, &messaging()).unwrap(), v);
        }
    }

    #[test]
    fn a_source_without_the_messaging_view_refuses_structured_content() {
        let e = validate(&json!({"type": "select"}), &Capabilities::default()).unwrap_err().to_string();
        assert_eq!(e, "Source doesn't support structured contents");
    }

    #[test]
    fn the_type_is_required_and_must_be_supported() {
        assert_eq!(err(json!({"items": []})), "Type is required for structured contents");
        assert_eq!(err(json!({"type": ""})), "Type is required for structured contents");
        assert_eq!(err(json!({"type": "form"})), "Source doesn't support this type of structured content");
    }

    #[test]
    fn empty_required_attributes_are_named_in_the_documented_form() {
        assert_eq!(err(json!({"type": "select", "items": []})), "structured_content: \"items\" must not be empty");
        assert_eq!(
            err(json!({"type": "select", "items": [{"payload": "x"}]})),
            "structured_content: \"items[0].title\" must not be empty"
        );
        assert_eq!(err(json!({"type": "rich_link", "title": "t"})), "structured_content: \"url\" must not be empty");
        assert_eq!(err(json!({"type": "template", "title": ""})), "structured_content: \"title\" must not be empty");
        assert_eq!(
            err(json!({"type": "template", "title": "t", "items": [{"type": "url", "title": "Go"}]})),
            "structured_content: \"items[0].url\" must not be empty"
        );
        assert_eq!(
            err(json!({"type": "carousel", "items": [{"subtitle": "s"}]})),
            "structured_content: \"items[0].title\" must not be empty"
        );
    }

    #[test]
    fn limits_are_enforced() {
        let fourteen: Vec<Value> = (0..14).map(|i| json!({"title": format!("o{i}")})).collect();
        assert!(err(json!({"type": "select", "items": fourteen})).contains("at most 13"));
        assert!(err(json!({"type": "select", "items": [{"title": "x".repeat(81)}]})).contains("at most 80 characters"));
        assert!(err(json!({"type": "rich_link", "url": "ftp://x", "title": "t"})).contains("http or https"));
        let five: Vec<Value> = (0..5).map(|_| json!({"type": "reply", "title": "b"})).collect();
        assert!(err(json!({"type": "template", "title": "t", "items": five})).contains("at most 4"));
        let eleven: Vec<Value> = (0..11).map(|_| json!({"title": "c"})).collect();
        assert!(err(json!({"type": "carousel", "items": eleven})).contains("at most 10"));
        assert!(
            err(json!({"type": "template", "title": "t", "items": [{"type": "call", "title": "b"}]}))
                .contains("'url' or 'reply'")
        );
    }
}
