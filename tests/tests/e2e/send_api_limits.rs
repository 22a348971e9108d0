//! The Send API and polled items refuse, before writing, a value no stored text may be
//! (`domain::text`): a U+0000 anywhere or an over-long id, so that PostgreSQL never refuses the
//! shared commit over one call (issue 10, defect 1a). A value of exactly the maximum length is
//! stored and read back, which on PostgreSQL proves its indexes take it.

use super::*;
use switchboard_domain::text::TextRule;
use switchboard_tests::{TestSource, full_capabilities, message};

/// `n` characters of four bytes each: the most bytes a value of that length can take.
fn wide(n: usize) -> String {
    "😀".repeat(n)
}

/// One character more than `rule` allows.
fn over(rule: TextRule) -> String {
    "a".repeat(rule.max_chars + 1)
}

const NUL: &str = "a\u{0}b";

async fn push_ok(app: &TestApp, src: &TestSource, params: Value) {
    let (status, text) = app.push(src, "messages.create", params).await;
    assert_eq!((status, text.as_str()), (200, "ok"));
}

e2e! {
    async fn a_send_api_call_with_a_nul_or_an_over_long_value_is_refused_naming_the_field_and_stores_nothing(app: &TestApp) {
        let src = app.create_source(&app.company, full_capabilities()).await;
        let long_id = over(TextRule::ID);
        let cases = [
            ("messages.create", json!({"id": "n1", "thread_id": "t", "body": "a\u{0}b", "author": {"id": "a", "screenname": "s"}}), "'body' must not contain the character U+0000"),
            ("messages.create", json!({"id": long_id, "thread_id": "t", "body": "x", "author": {"id": "a", "screenname": "s"}}), "'id' must be at most 512 characters"),
            ("messages.create", json!({"id": "n1", "thread_id": long_id, "body": "x", "author": {"id": "a", "screenname": "s"}}), "'thread_id' must be at most 512 characters"),
            ("messages.create", json!({"id": "n1", "thread_id": "t", "body": "x", "author": {"id": long_id, "screenname": "s"}}), "'author.id' must be at most 512 characters"),
            ("messages.create", json!({"id": "n1", "thread_id": "t", "body": "x", "author": {"id": "a", "screenname": NUL}}), "'author.screenname' must not contain"),
            ("messages.create", json!({"id": "n1", "thread_id": "t", "body": "x", "author": {"id": "a", "screenname": "s"}, "context_data": {"k": [NUL]}}), "'context_data.k[0]' must not contain"),
            ("messages.create", json!({"id": "n1", "thread_id": "t", "body": over(TextRule::BODY), "author": {"id": "a", "screenname": "s"}}), "'body' must be at most 20000 characters"),
            ("messages.create", json!({"id": "n\n1", "thread_id": "t", "body": "x", "author": {"id": "a", "screenname": "s"}}), "'id' must be a single line"),
            ("threads.create", json!({"id": "t1", "title": over(TextRule::TITLE), "body": "x", "author": {"id": "a", "screenname": "s"}}), "'title' must be at most 1000 characters"),
            ("private_messages.create", json!({"id": "p1", "body": "x", "author": {"id": "a", "screenname": "s"}, "recipient": {"id": long_id, "screenname": "r"}}), "'recipient.id' must be at most"),
            ("users.create", json!({"id": "u1", "screenname": over(TextRule::NAME)}), "'screenname' must be at most 200 characters"),
            ("typing.start", json!({"thread_id": long_id, "preview": "x"}), "'thread_id' must be at most"),
            ("status.mark_as_read", json!({"id": NUL}), "'id' must not contain"),
            ("messages.create", json!({"id": "n1", "thread_id": "t", "body": "x", "author": {"id": "a", "screenname": "s", "email": over(TextRule::EMAIL)}}), "'author.email' must be at most 254 characters"),
        ];
        for (action, params, error) in cases {
            let (status, text) = app.push(&src, action, params).await;
            assert_eq!(status, 422, "{action}: {text}");
            assert!(text.starts_with(&format!("Invalid resource format: {error}")), "{action}: {text}");
        }
        assert!(app.contents(&app.company, "").await.is_empty());
        let identities: Value = app.engage(Method::GET, "/identities", &app.company).send().await.unwrap().json().await.unwrap();
        assert_eq!(identities["records"], json!([]));
        assert!(app.events(&app.company).await.iter().all(|e| !e.kind.starts_with("content.") && !e.kind.starts_with("thread.") && !e.kind.starts_with("identity.")));
    }

    async fn refused_send_api_calls_of_one_company_never_fail_another_companys_calls_made_at_the_same_time(app: &TestApp) {
        let theirs = app.create_company("Other", "owner@other.example").await;
        let bad_source = app.create_source(&theirs, full_capabilities()).await;
        let good_source = app.create_source(&app.company, full_capabilities()).await;
        let bad = (0..20).map(|i| app.push(&bad_source, "messages.create", json!({"id": format!("b{i}"), "thread_id": "t", "body": "a\u{0}b", "author": {"id": "a", "screenname": "s"}})));
        let good = (0..20).map(|i| app.push(&good_source, "messages.create", message(&format!("g{i}"), "t", "fine")));
        let (bad, good) = futures::future::join(futures::future::join_all(bad), futures::future::join_all(good)).await;
        assert!(bad.iter().all(|(status, text)| *status == 422 && text.contains("'body'")), "{bad:?}");
        assert!(good.iter().all(|(status, text)| (*status, text.as_str()) == (200, "ok")), "{good:?}");
        assert_eq!(app.contents(&app.company, "").await.len(), 20);
        assert!(app.contents(&theirs, "").await.is_empty());
    }

    async fn send_api_values_of_exactly_the_maximum_length_are_stored_and_read_back(app: &TestApp) {
        let src = app.create_source(&app.company, full_capabilities()).await;
        let (id, thread, author) = (wide(512), format!("t{}", wide(511)), format!("a{}", wide(511)));
        let body = wide(TextRule::BODY.max_chars);
        push_ok(app, &src, json!({"id": id, "thread_id": thread, "body": body, "author": {"id": author, "screenname": wide(200)}})).await;
        push_ok(app, &src, json!({"id": format!("b{}", wide(511)), "thread_id": thread, "body": "second", "author": {"id": author, "screenname": "s"}})).await;
        let stored = app.contents(&app.company, "").await;
        assert_eq!(stored.len(), 2);
        assert_eq!(stored[1]["foreignId"], id.as_str());
        assert_eq!(stored[1]["body"], body.as_str());
        assert_eq!(stored[0]["threadId"], stored[1]["threadId"], "the long thread id was found again");
        assert_eq!(stored[0]["authorIdentityId"], stored[1]["authorIdentityId"], "the long author id was found again");
        let identities: Value = app.engage(Method::GET, "/identities", &app.company).send().await.unwrap().json().await.unwrap();
        assert_eq!(identities["records"][0]["foreignId"], author.as_str());
    }
}
