//! `docs/events.md` documents every event type with its payload's fields, and nothing else: an
//! event cannot be added, renamed or given another field without its documentation.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use switchboard_domain::event::Event;

const DOC: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/events.md"));

/// The documented rows: each type with the text of its payload column.
fn documented() -> BTreeMap<String, String> {
    let mut rows = BTreeMap::new();
    for line in DOC.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // `| `type` | raised when | payload |`
        if cells.len() < 5 || !cells[1].starts_with('`') || !cells[1].ends_with('`') {
            continue;
        }
        let kind = cells[1].trim_matches('`');
        if kind.contains('.') {
            let previous = rows.insert(kind.to_owned(), cells[3].to_owned());
            assert!(previous.is_none(), "{kind} is documented twice");
        }
    }
    rows
}

/// Names in backticks in `text`.
fn quoted(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// The fields a documented payload has: `{a, b}`, or "same as `type`" with "plus `c`".
fn fields(kind: &str, rows: &BTreeMap<String, String>) -> BTreeSet<String> {
    let text = &rows[kind];
    if let Some(list) = text.strip_prefix("`{").and_then(|t| t.split_once("}`")).map(|(l, _)| l) {
        return list.split(',').map(|f| f.trim().to_owned()).collect();
    }
    let rest = text.strip_prefix("same as ").unwrap_or_else(|| panic!("{kind}: cannot read its payload '{text}'"));
    let names = quoted(rest);
    let mut out = fields(names[0], rows);
    if let Some((_, plus)) = rest.split_once("plus ") {
        out.extend(quoted(plus).into_iter().map(str::to_owned));
    }
    out
}

/// An event of `kind` with every field filled: payloads ignore fields that are not theirs, so
/// one of a few generous documents reads as any type.
fn example(kind: &str) -> Event {
    let common: Value = serde_json::from_str(
        r#"{
            "id": "0123456789abcdef01234567", "company_id": "0123456789abcdef01234567",
            "source_id": "0123456789abcdef01234567", "thread_id": "0123456789abcdef01234567",
            "author_id": "0123456789abcdef01234567", "foreign_id": "f1", "name": "n", "role": "agent",
            "first_name": "F", "last_name": "L", "email": "a@example.com", "activated": true, "base_uri": null,
            "kind": "sdk", "screen_name": "S", "puppetizable": false, "title": "T", "source_type": "sdk",
            "type": "message", "private": false, "direction": "inbound", "recipient_id": null,
            "in_reply_to_id": null, "body": "b", "body_input_format": "text", "has_attachment": false,
            "foreign_categories": [], "language": null, "structured_content": null,
            "date": "2026-01-02T03:04:05.678Z", "created_from": "send_api", "creator_id": null,
            "first_in_thread": true, "error": "e", "action": "publish", "user_id": "u", "thread_foreign_id": "t",
            "preview": "p", "url": "https://x.example", "events": ["*"], "reason": "r",
            "channel": "chat", "state": "ready", "capabilities": [], "user_data": {},
            "updated_at": "2026-01-02T03:04:05.678901Z"
        }"#,
    )
    .unwrap();
    // Where payloads give one field different types or formats, one variant each.
    let variants = [
        ("status", json!("active")),
        ("status", json!("imported")),
        ("user_id", json!("0123456789abcdef01234567")),
        ("state", json!("queued")),
    ];
    variants
        .iter()
        .find_map(|(field, value)| {
            let mut doc: Value = common.clone();
            doc[*field] = value.clone();
            Event::decode(kind, doc).ok()
        })
        .or_else(|| Event::decode(kind, texting()).ok())
        .unwrap_or_else(|| panic!("no example reads as {kind}"))
}

/// A document that reads as any `texting.*` event: the seeds' Message and Conversation fields.
fn texting() -> Value {
    let id = "0123456789abcdef01234567";
    let contact = json!({"id": id, "company_id": id, "first_name": null, "last_name": null, "number": "+15555550100"});
    let message = json!({
        "id": id, "campaign_info": null, "conversation_id": id, "conversation_type": "direct",
        "created_at": "2026-01-02T03:04:05.678901Z", "direction": "inbound", "files": [], "frm": "+15555550100",
        "is_read": false, "is_visible": true, "source_conversation_type": "direct", "stamp_id": null,
        "success": true, "text": "t", "timezone": "UTC", "to": "+15555550101", "status": "received", "error": null
    });
    let mut doc = message.clone();
    for (k, v) in [
        ("company_id", json!(id)),
        ("contact_id", json!(id)),
        ("contactinfo", contact.clone()),
        ("contactsinfo", json!([contact])),
        ("countunreadmessages", json!(1)),
        ("from_number", json!("+15555550101")),
        ("has_direct_msg", json!(true)),
        ("has_hidden_msg", json!(false)),
        ("last_message_created_at", json!(null)),
        ("lastmessage", message),
        ("recipients", json!([id])),
        ("unread_msg_count", json!(1)),
        ("updated_at", json!("2026-01-02T03:04:05.678901Z")),
        ("messagesIds", json!([id])),
    ] {
        doc[k] = v;
    }
    doc
}

#[test]
fn every_event_type_is_documented_and_every_documented_type_exists() {
    let rows = documented();
    let documented: BTreeSet<&str> = rows.keys().map(String::as_str).collect();
    let declared: BTreeSet<&str> = Event::TYPES.iter().copied().collect();
    assert_eq!(
        declared.difference(&documented).collect::<Vec<_>>(),
        Vec::<&&str>::new(),
        "event types missing from docs/events.md"
    );
    assert_eq!(
        documented.difference(&declared).collect::<Vec<_>>(),
        Vec::<&&str>::new(),
        "docs/events.md documents types that do not exist"
    );
}

#[test]
fn every_documented_payload_lists_exactly_the_fields_the_event_carries() {
    let rows = documented();
    for kind in Event::TYPES {
        let event = example(kind);
        let carried: BTreeSet<String> = event.payload().as_object().unwrap().keys().cloned().collect();
        assert_eq!(fields(kind, &rows), carried, "the payload of {kind} in docs/events.md");
    }
}
