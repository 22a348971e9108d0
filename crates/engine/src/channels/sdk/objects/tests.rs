use serde_json::json;

use super::*;

fn caps(objects: &[(&str, &[&str])], options: &[&str]) -> Capabilities {
    Capabilities {
        objects: objects.iter().map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect())).collect(),
        options: options.iter().map(|s| s.to_string()).collect(),
        locales: None,
    }
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

fn message_caps() -> Capabilities {
    caps(
        &[
            ("messages", &["create", "list"]),
            ("private_messages", &["create"]),
            ("threads", &["list"]),
            ("status", &["mark_as_read"]),
        ],
        &["messaging.typing_indicator"],
    )
}

#[test]
fn the_documented_message_parses_with_author_and_thread() {
    let params = obj(
        json!({"id": "890", "actions": ["reply", "show", "list"], "author": {"id": "666", "created_at": "07/11/2019", "screenname": "John Doe"}, "body": "Awesome post !", "format": "text", "thread_id": "42"}),
    );
    let Command::Content(m) = parse_action("messages.create", &params, &message_caps()).unwrap() else { panic!() };
    assert_eq!(
        (m.foreign_id.as_str(), m.thread_foreign_id.as_deref(), m.body.as_deref()),
        ("890", Some("42"), Some("Awesome post !"))
    );
    assert_eq!(m.author.foreign_id, "666");
    assert_eq!(m.author.screen_name.as_deref(), Some("John Doe"));
    assert_eq!(m.author.created_at.unwrap().to_rfc3339_micros(), "2019-07-11T00:00:00.000000Z");
    assert_eq!(m.format, BodyFormat::Text);
    assert_eq!(m.details.actions, vec!["reply", "show", "list"]);
}

#[test]
fn each_missing_required_field_is_named() {
    let c = message_caps();
    let cases = [
        (json!({"author": {"id": "1", "screenname": "A"}, "body": "x", "thread_id": "t"}), "'id'"),
        (json!({"id": "1", "body": "x", "thread_id": "t"}), "'author'"),
        (json!({"id": "1", "author": {"screenname": "A"}, "body": "x", "thread_id": "t"}), "'author.id'"),
        (
            json!({"id": "1", "author": {"id": "1", "screenname": ""}, "body": "x", "thread_id": "t"}),
            "'author.screenname'",
        ),
        (json!({"id": "1", "author": {"id": "1", "screenname": "A"}, "thread_id": "t"}), "'body' or 'attachments'"),
        (json!({"id": "1", "author": {"id": "1", "screenname": "A"}, "body": "x"}), "'thread_id'"),
        (json!({"id": "1", "author": {"id": "1", "screenname": "A"}, "body": "x", "thread_id": null}), "'thread_id'"),
    ];
    for (params, field) in cases {
        let err = parse_action("messages.create", &obj(params.clone()), &c).unwrap_err().to_string();
        assert!(err.starts_with("Invalid resource format") && err.contains(field), "{params}: {err}");
    }
    let err = parse_action(
        "private_messages.create",
        &obj(json!({"id": "1", "author": {"id": "1", "screenname": "A"}, "body": "x"})),
        &c,
    )
    .unwrap_err();
    assert!(err.to_string().contains("'recipient'"), "{err}");
}

#[test]
fn unthreaded_sources_need_no_thread_id() {
    let c = caps(&[("messages", &["create"])], &["messages.unthreaded"]);
    let Command::Content(m) = parse_action(
        "messages.create",
        &obj(json!({"id": 5, "author": {"id": 7, "screenname": "A"}, "body": "x", "thread_id": "ignored"})),
        &c,
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!((m.foreign_id.as_str(), m.author.foreign_id.as_str(), m.thread_foreign_id), ("5", "7", None));
    assert_eq!(parse_action("threads.create", &obj(json!({"id": "1"})), &c).unwrap_err().to_string(), "Invalid action");
}

#[test]
fn undeclared_or_unknown_actions_are_invalid() {
    let c = caps(&[("messages", &["create"]), ("private_messages", &["list"])], &[]);
    for action in [
        "private_messages.create",
        "threads.create",
        "status.mark_as_read",
        "typing.start",
        "messages.delete",
        "nonsense",
        "",
    ] {
        assert_eq!(
            parse_action(action, &obj(json!({"id": "1"})), &c).unwrap_err().to_string(),
            "Invalid action",
            "{action}"
        );
    }
    assert!(
        matches!(parse_action("users.create", &obj(json!({"id": "1", "screenname": "U", "puppetizable": true})), &c).unwrap(), Command::User(u) if u.puppetizable == Some(true))
    );
}

#[test]
fn typing_needs_a_target_and_a_preview_to_start() {
    let c = message_caps();
    assert_eq!(
        parse_action("typing.start", &obj(json!({"thread_id": "42", "in_reply_to_id": "890", "preview": "Hello"})), &c)
            .unwrap(),
        Command::TypingStart { target: TypingTarget::Thread("42".into()), preview: "Hello".into() }
    );
    assert_eq!(
        parse_action("typing.stop", &obj(json!({"in_reply_to_id": "890"})), &c).unwrap(),
        Command::TypingStop { target: TypingTarget::InReplyTo("890".into()) }
    );
    assert!(
        parse_action("typing.start", &obj(json!({"thread_id": "42"})), &c)
            .unwrap_err()
            .to_string()
            .contains("'preview'")
    );
    assert!(
        parse_action("typing.stop", &obj(json!({})), &c)
            .unwrap_err()
            .to_string()
            .contains("'thread_id' or 'in_reply_to_id'")
    );
}

#[test]
fn attachments_may_replace_the_body_and_unknown_shapes_are_ignored() {
    let c = message_caps();
    let item = obj(
        json!({"id": "1", "author": {"id": "1", "screenname": "A"}, "thread_id": "t", "attachments": [{"url": "https://x/a.png", "type": "image"}, {"imageUri": "https://x/b.png"}]}),
    );
    let Command::Content(m) = parse_item("messages", &item, &c).unwrap() else { panic!() };
    assert_eq!(
        m.attachments,
        vec![Attachment { url: Some("https://x/a.png".into()), kind: Some("image".into()), ..Default::default() }]
    );
    let only_unknown = obj(
        json!({"id": "1", "author": {"id": "1", "screenname": "A"}, "thread_id": "t", "attachments": [{"imageUri": "x"}]}),
    );
    assert!(parse_item("messages", &only_unknown, &c).is_err());
}

#[test]
fn bodies_over_twenty_thousand_characters_are_refused() {
    let item = obj(
        json!({"id": "1", "author": {"id": "1", "screenname": "A"}, "thread_id": "t", "body": "é".repeat(TextRule::BODY.max_chars + 1)}),
    );
    assert!(parse_item("messages", &item, &message_caps()).unwrap_err().to_string().contains("20000"));
}

#[test]
fn items_holding_a_nul_or_an_over_long_id_are_refused_naming_the_field_so_a_sync_skips_them() {
    let c = message_caps();
    let cases = [
        (json!({"id": "1", "author": {"id": "1", "screenname": "A"}, "thread_id": "t", "body": "a\u{0}b"}), "'body'"),
        (
            json!({"id": "1", "author": {"id": "1", "screenname": "A"}, "thread_id": "t", "body": "x", "context_data": {"k": "\u{0}"}}),
            "'context_data.k'",
        ),
        (
            json!({"id": "1".repeat(513), "author": {"id": "1", "screenname": "A"}, "thread_id": "t", "body": "x"}),
            "'id' must be at most 512",
        ),
        (
            json!({"id": "1", "author": {"id": "1", "screenname": "A"}, "thread_id": "t\nu", "body": "x"}),
            "'thread_id' must be a single line",
        ),
        (
            json!({"id": "1", "author": {"id": "1", "screenname": "A", "avatar_url": "u".repeat(2049)}, "thread_id": "t", "body": "x"}),
            "'author.avatar_url'",
        ),
    ];
    for (item, field) in cases {
        let err = parse_item("messages", &obj(item), &c).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{}: {field}", messages::INVALID_RESOURCE_FORMAT)), "{err}");
    }
    let at_limit =
        obj(json!({"id": "😀".repeat(512), "author": {"id": "1", "screenname": "A"}, "thread_id": "t", "body": "x"}));
    assert!(parse_item("messages", &at_limit, &c).is_ok());
}

#[test]
fn dates_are_read_in_every_form_connectors_use() {
    let at = |v: Value| parse_date(&v).map(|t| t.to_rfc3339_millis());
    assert_eq!(at(json!("2012-10-01T17:18:40Z")).unwrap(), "2012-10-01T17:18:40.000Z");
    assert_eq!(at(json!("2012-10-01T19:18:40+02:00")).unwrap(), "2012-10-01T17:18:40.000Z");
    assert_eq!(at(json!("2012-10-01T19:18:40+0200")).unwrap(), "2012-10-01T17:18:40.000Z");
    assert_eq!(at(json!("2012-10-01T17:18:40.123Z")).unwrap(), "2012-10-01T17:18:40.123Z");
    assert_eq!(at(json!("2012-10-01 17:18:40")).unwrap(), "2012-10-01T17:18:40.000Z");
    assert_eq!(at(json!("2012-02-10")).unwrap(), "2012-02-10T00:00:00.000Z");
    assert_eq!(at(json!("06/11/2017")).unwrap(), "2017-06-11T00:00:00.000Z");
    assert_eq!(at(json!(1622426621537_i64)).unwrap(), "2021-05-31T02:03:41.537Z");
    assert_eq!(at(json!("1622426621537")).unwrap(), "2021-05-31T02:03:41.537Z");
    assert_eq!(at(json!("soon")), None);
}
