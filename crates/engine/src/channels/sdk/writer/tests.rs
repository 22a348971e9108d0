//! The writer's batches, applied as the writer task applies them: each test hands one batch to
//! [`apply_isolating`], so which calls share a transaction does not depend on their timing.

use serde_json::{Value, json};
use switchboard_domain::company::NewCompany;
use switchboard_domain::paging::Keyset;
use switchboard_domain::source::sdk::Capabilities;
use switchboard_domain::source::{SdkSetup, SourceDetails, SourceSetup};
use switchboard_domain::{CompanyId, SourceId};
use switchboard_store::{Backend, contents, events, store_test};

use super::*;
use crate::Engine;
use crate::auth::UserRef;
use crate::channels::sdk::objects::parse_action;

fn caps() -> Capabilities {
    Capabilities { objects: [("messages".to_owned(), vec!["create".to_owned()])].into(), ..Default::default() }
}

/// A company with one SDK source.
async fn company_with_source(engine: &Engine, name: &str) -> Arc<Source> {
    let new = NewCompany { name: name.into(), email: None, first_name: None, last_name: None };
    let created = engine.create_company(new).await.unwrap();
    let actor = engine.authenticate(created.api_key.expose(), &UserRef::Primary).await.unwrap();
    let setup = SourceSetup::Sdk(SdkSetup { base_uri: None, capabilities: caps(), settings: Default::default() });
    Arc::new(engine.create_source(&actor, SourceDetails { name: "s".into(), setup }).await.unwrap())
}

fn message(source: &Arc<Source>, params: Value) -> Call {
    let command = parse_action("messages.create", params.as_object().unwrap(), &caps()).unwrap();
    Call { source: source.clone(), command }
}

fn hello(source: &Arc<Source>, id: &str) -> Call {
    message(source, json!({"id": id, "author": {"id": "a", "screenname": "A"}, "body": "hello", "thread_id": "t"}))
}

/// A message whose body holds NUL, which PostgreSQL cannot store in text (SQLite can). It is
/// written past the Send API's checks, as a value they do not cover would be.
fn with_nul_body(source: &Arc<Source>, id: &str) -> Call {
    let mut call = hello(source, id);
    let Command::Content(content) = &mut call.command else { unreachable!("a message is a content") };
    content.body = Some("a\u{0}b".into());
    call
}

async fn stored_ids(store: &Store, company: &CompanyId, source: &SourceId) -> Vec<String> {
    let mut r = store.reader().await.unwrap();
    let mut ids: Vec<String> = contents::list(&mut r, company, Some(source), &Keyset::START, 100)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|c| c.foreign_id)
        .collect();
    ids.sort();
    ids
}

store_test! {
    async fn a_call_whose_value_the_database_refuses_is_refused_alone_and_the_calls_batched_with_it_are_committed(store: Store) {
        let engine = Engine::new(store.clone(), Default::default()).unwrap();
        let good = company_with_source(&engine, "Good").await;
        let bad = company_with_source(&engine, "Bad").await;
        // A source whose row is gone: every row written for it breaks a foreign key, on both
        // backends.
        let gone = Arc::new(Source { id: SourceId::new(), ..(*bad).clone() });

        let calls = vec![
            hello(&good, "g1"),
            with_nul_body(&bad, "nul"),
            hello(&good, "g2"),
            hello(&gone, "orphan"),
            // A reply to a message of the same batch, which the split must have committed first.
            message(&good, json!({"id": "g3", "author": {"id": "a", "screenname": "A"}, "body": "re", "thread_id": "t", "in_reply_to_id": "g1"})),
            hello(&bad, "b1"),
        ];
        let answers = apply_isolating(&store, &mut None, &calls).await;

        assert_eq!(answers[0], Ok(Outcome::Created));
        assert_eq!(answers[2], Ok(Outcome::Created));
        assert_eq!(answers[4], Ok(Outcome::Created));
        assert_eq!(answers[5], Ok(Outcome::Created), "the refused call's own company's other calls are committed too");
        assert!(matches!(&answers[3], Err(Error::Unstorable(_))), "{:?}", answers[3]);
        match store.backend() {
            Backend::Postgres => assert!(matches!(&answers[1], Err(Error::Unstorable(_))), "{:?}", answers[1]),
            Backend::Sqlite => assert_eq!(answers[1], Ok(Outcome::Created), "SQLite stores NUL in text"),
        }

        assert_eq!(stored_ids(&store, &good.company_id, &good.id).await, ["g1", "g2", "g3"]);
        let bad_ids = stored_ids(&store, &bad.company_id, &bad.id).await;
        match store.backend() {
            Backend::Postgres => assert_eq!(bad_ids, ["b1"]),
            Backend::Sqlite => assert_eq!(bad_ids, ["b1", "nul"]),
        }
        let log = events::read_after(&mut store.reader().await.unwrap(), &good.company_id, 0, 100).await.unwrap();
        let imported = log.iter().filter(|e| e.kind() == "content.imported").count();
        assert_eq!(imported, 3, "each committed call's event is in the log once");
    }

    async fn when_the_database_cannot_be_reached_every_call_of_the_batch_is_told_to_retry(store: Store) {
        let engine = Engine::new(store.clone(), Default::default()).unwrap();
        let source = company_with_source(&engine, "Acme").await;
        let calls = vec![hello(&source, "m1"), with_nul_body(&source, "m2"), hello(&source, "m3")];
        store.close().await;

        let answers = apply_isolating(&store, &mut None, &calls).await;

        assert_eq!(answers.len(), 3);
        for answer in answers {
            assert!(matches!(answer, Err(Error::Unavailable(_))), "{answer:?}");
        }
    }
}
