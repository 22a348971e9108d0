//! Commands sharing one batch see each other's effects, including contents that are still
//! waiting for the batch's insert.

use serde_json::{Map, Value, json};
use switchboard_domain::company::NewCompany;
use switchboard_domain::event::Origin;
use switchboard_domain::source::sdk::Capabilities;
use switchboard_domain::source::{SdkSetup, SourceDetails, SourceSetup};
use switchboard_engine::Engine;
use switchboard_engine::auth::UserRef;
use switchboard_engine::channels::sdk::ingest::{Batch, Outcome};
use switchboard_engine::channels::sdk::objects::{Command, parse_action};
use switchboard_store::{contents, events, store_test};

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

store_test! {
    async fn a_batch_can_create_read_and_edit_the_same_message(store: Store) {
        let engine = Engine::new(store.clone(), Default::default()).unwrap();
        let created = engine.create_company(NewCompany { name: "Acme".into(), email: None, first_name: None, last_name: None }).await.unwrap();
        let actor = engine.authenticate(created.api_key.expose(), &UserRef::Primary).await.unwrap();
        let caps = Capabilities { objects: [("messages".to_owned(), vec!["create".to_owned()]), ("status".to_owned(), vec!["mark_as_read".to_owned()])].into(), ..Default::default() };
        let source = engine.create_source(&actor, SourceDetails { name: "s".into(), setup: SourceSetup::Sdk(SdkSetup { base_uri: None, capabilities: caps.clone(), settings: Default::default() }) }).await.unwrap();

        let msg = |body: &str| obj(json!({"id": "m1", "author": {"id": "a", "screenname": "A"}, "body": body, "thread_id": "t"}));
        let commands: Vec<Command> = vec![
            parse_action("messages.create", &msg("first"), &caps).unwrap(),
            parse_action("status.mark_as_read", &obj(json!({"id": "m1"})), &caps).unwrap(),
            parse_action("messages.create", &msg("edited"), &caps).unwrap(),
            parse_action("messages.create", &obj(json!({"id": "m2", "author": {"id": "a", "screenname": "A"}, "body": "reply", "thread_id": "t", "in_reply_to_id": "m1"})), &caps).unwrap(),
            parse_action("messages.create", &obj(json!({"id": "m3", "author": {"id": "a", "screenname": "A"}, "body": "x", "thread_id": "t", "in_reply_to_id": "nope"})), &caps).unwrap(),
        ];
        let mut tx = store.begin().await.unwrap();
        let pairs: Vec<_> = commands.iter().map(|c| (&source, c)).collect();
        let mut batch = Batch::begin(&mut tx, &pairs).await.unwrap();
        let mut outcomes = Vec::new();
        for c in &commands {
            outcomes.push(batch.apply(&source, c.clone(), Origin::SendApi).await.map_err(|e| e.to_string()));
        }
        batch.finish().await.unwrap();
        tx.commit().await.unwrap();

        assert_eq!(outcomes[..4], [Ok(Outcome::Created), Ok(Outcome::Updated), Ok(Outcome::Updated), Ok(Outcome::Created)]);
        assert!(outcomes[4].as_ref().unwrap_err().contains("'in_reply_to_id'"));
        let mut r = store.reader().await.unwrap();
        let stored = contents::list(&mut r, &actor.company_id, Some(&source.id), &switchboard_domain::paging::Keyset::START, 10).await.unwrap();
        assert_eq!(stored.len(), 2);
        let m1 = stored.iter().find(|c| c.foreign_id.as_deref() == Some("m1")).unwrap();
        let m2 = stored.iter().find(|c| c.foreign_id.as_deref() == Some("m2")).unwrap();
        assert_eq!((m1.body.as_deref(), m1.read), (Some("edited"), true));
        assert_eq!(m2.in_reply_to_id.as_ref(), Some(&m1.id));
        let log = events::read_after(&mut r, &actor.company_id, 0, 100).await.unwrap();
        let kinds: Vec<&str> = log.iter().map(|e| e.kind()).filter(|k| k.starts_with("content.")).collect();
        assert_eq!(kinds, vec!["content.imported", "content.read", "content.updated", "content.imported"]);
    }
}
