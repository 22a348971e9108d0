use serde_json::{Value, json};
use switchboard_domain::event::{Event, LoggedEvent, WebhookDisabled};
use switchboard_domain::{CompanyId, WebhookEndpointId};
use switchboard_store::{Store, events, store_test};

async fn company(store: &Store) -> CompanyId {
    let c = switchboard_store::testing::company("Acme");
    let mut tx = store.begin().await.unwrap();
    switchboard_store::companies::insert(&mut tx, &c).await.unwrap();
    tx.commit().await.unwrap();
    c.id
}

/// An event carrying a test's own label and data (in a real event type's free-text field: the
/// log stores whatever type it is given the same way).
fn note(label: &str, data: Value) -> Event {
    let reason = json!({"label": label, "data": data}).to_string();
    Event::WebhookDisabled(WebhookDisabled { id: WebhookEndpointId::new(), reason })
}

fn noted(e: &LoggedEvent) -> Value {
    match &e.event {
        Event::WebhookDisabled(d) => serde_json::from_str(&d.reason).unwrap(),
        other => panic!("not a test note: {other:?}"),
    }
}

fn label(e: &LoggedEvent) -> String {
    noted(e)["label"].as_str().unwrap().to_owned()
}

fn data(e: &LoggedEvent) -> Value {
    noted(e)["data"].clone()
}

store_test! {
    async fn concurrent_writers_get_a_gapless_strictly_increasing_seq(store: Store) {
        let company = company(&store).await;
        let writers = (0..8).map(|w| {
            let store = store.clone();
            let company = company.clone();
            tokio::spawn(async move {
                for i in 0..250 {
                    let mut tx = store.begin().await.unwrap();
                    events::append(&mut tx, &company, vec![note("test.event", json!({"writer": w, "i": i}))]);
                    tx.commit().await.unwrap();
                }
            })
        });
        for w in futures::future::join_all(writers).await {
            w.unwrap();
        }
        let mut r = store.reader().await.unwrap();
        let log = events::read_after(&mut r, &company, 0, 10_000).await.unwrap();
        let seqs: Vec<i64> = log.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=2000).collect::<Vec<_>>());
        for w in 0..8 {
            let mine: Vec<i64> = log.iter().filter(|e| data(e)["writer"] == w).map(|e| data(e)["i"].as_i64().unwrap()).collect();
            assert_eq!(mine, (0..250).collect::<Vec<_>>(), "writer {w} events out of order");
        }
        assert_eq!(events::last_seq(&mut r, &company).await.unwrap(), 2000);
    }

    async fn read_after_returns_only_newer_events_up_to_the_limit(store: Store) {
        let company = company(&store).await;
        let mut tx = store.begin().await.unwrap();
        let batch = (0..5).map(|i| note("test.event", json!({"i": i}))).collect();
        events::append(&mut tx, &company, batch);
        tx.commit().await.unwrap();

        let mut r = store.reader().await.unwrap();
        let all = events::read_after(&mut r, &company, 0, 100).await.unwrap();
        assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2, 3, 4, 5]);
        let page = events::read_after(&mut r, &company, 2, 2).await.unwrap();
        assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![3, 4]);
        assert_eq!(data(&page[0]), json!({"i": 2}));
        assert_eq!(label(&page[0]), "test.event");
        assert_eq!(page[0].kind(), "webhook.disabled", "the stored type reads back");
        assert!(events::read_after(&mut r, &company, 5, 10).await.unwrap().is_empty());
    }

    async fn each_company_has_its_own_sequence_and_sees_only_its_events(store: Store) {
        let a = company(&store).await;
        let b = company(&store).await;
        let mut tx = store.begin().await.unwrap();
        events::append(&mut tx, &a, vec![note("a.one", json!({})), note("a.two", json!({}))]);
        events::append(&mut tx, &b, vec![note("b.one", json!({}))]);
        tx.commit().await.unwrap();
        let mut r = store.reader().await.unwrap();
        let of_b = events::read_after(&mut r, &b, 0, 100).await.unwrap();
        assert_eq!(of_b.len(), 1);
        assert_eq!((of_b[0].seq, label(&of_b[0]).as_str()), (1, "b.one"));
        assert_eq!(events::read_after(&mut r, &a, 0, 100).await.unwrap().len(), 2);
    }

    async fn a_rolled_back_append_leaves_no_gap(store: Store) {
        let company = company(&store).await;
        let mut tx = store.begin().await.unwrap();
        events::append(&mut tx, &company, vec![note("lost", json!({}))]);
        drop(tx);
        let mut tx = store.begin().await.unwrap();
        events::append(&mut tx, &company, vec![note("kept", json!({}))]);
        tx.commit().await.unwrap();
        let log = events::read_after(&mut store.reader().await.unwrap(), &company, 0, 10).await.unwrap();
        assert_eq!(log.iter().map(|e| (e.seq, label(e))).collect::<Vec<_>>(), vec![(1, "kept".to_owned())]);
    }

    async fn a_large_batch_of_events_is_written_in_order(store: Store) {
        let company = company(&store).await;
        let mut tx = store.begin().await.unwrap();
        for i in 0..1203 {
            events::append(&mut tx, &company, vec![note("bulk", json!({"i": i}))]);
        }
        tx.commit().await.unwrap();
        let log = events::read_after(&mut store.reader().await.unwrap(), &company, 0, 5000).await.unwrap();
        assert_eq!(log.len(), 1203);
        assert!(log.iter().enumerate().all(|(i, e)| e.seq == i as i64 + 1 && data(e)["i"] == i));
    }

    async fn an_event_this_binary_cannot_read_is_read_back_as_it_was_stored(store: Store) {
        let company = company(&store).await;
        let mut tx = store.begin().await.unwrap();
        events::append(&mut tx, &company, vec![note("before", json!(1))]);
        tx.commit().await.unwrap();
        // As a newer node would write a type this one does not know.
        let mut tx = store.begin().await.unwrap();
        let sql = "INSERT INTO events (company_id, seq, id, kind, payload, created_at) VALUES ($1, 2, $2, 'call.teleported', '{\"to\":\"mars\"}', 0)";
        switchboard_store::testing::execute(&mut tx, sql, &[company.as_str(), switchboard_domain::EventId::new().as_str()]).await;
        switchboard_store::testing::execute(&mut tx, "UPDATE company_counters SET event_seq = 2 WHERE company_id = $1", &[company.as_str()]).await;
        tx.commit().await.unwrap();
        let mut tx = store.begin().await.unwrap();
        events::append(&mut tx, &company, vec![note("after", json!(3))]);
        tx.commit().await.unwrap();
        let log = events::read_after(&mut store.reader().await.unwrap(), &company, 0, 10).await.unwrap();
        assert_eq!(log.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3], "one unreadable row stops nothing");
        assert_eq!(log[1].event, Event::Unreadable { kind: "call.teleported".into(), payload: json!({"to": "mars"}) });
        assert_eq!((log[1].kind(), &log[1].payload), ("call.teleported", &json!({"to": "mars"})));
        assert_eq!(label(&log[2]), "after");
    }

    async fn committing_an_append_notifies_subscribers_with_the_last_seq(store: Store) {
        let company = company(&store).await;
        let mut rx = store.subscribe_committed();
        let mut tx = store.begin().await.unwrap();
        events::append(&mut tx, &company, vec![note("x", json!({})), note("y", json!({}))]);
        tx.commit().await.unwrap();
        let notice = rx.recv().await.unwrap();
        assert_eq!((notice.company_id, notice.last_seq), (company, 2));
    }
}
