//! Secrets at rest: what a copy of the database holds, what a node with the wrong key is told,
//! rotating the key, and sealing what an older version stored in clear.

use switchboard_domain::outbound::OutboundUrl;
use switchboard_domain::source::sdk::{AccessToken, SdkConfig};
use switchboard_domain::source::{Source, SourceConfig};
use switchboard_domain::webhook::{
    EndpointStatus, EventPattern, Secret, SigningSecret, WebhookEndpoint, WebhookFormat,
};
use switchboard_domain::{CompanyId, SourceId, Timestamp, WebhookEndpointId};
use switchboard_store::testing::{execute, read_texts};
use switchboard_store::{Keyring, Prepared, Store, StoreOptions, sources, store_test, webhooks};

const TOKEN: &str = "tok3nOfTheConnectorThatMustNeverBeReadableInADumpOfTheDatabase00";
const SIGNING: &str = "whsec_c2lnbmluZy1zZWNyZXQtb2YtdGhlLWVuZHBvaW50";
const PREVIOUS: &str = "whsec_cHJldmlvdXMtc2lnbmluZy1zZWNyZXQ";
const VERIFY: &str = "verify-token-sent-to-the-receiver";
const DIMELO: &str = "x-dimelo-secret-sent-as-is";

/// Every secret column of every row, as stored.
async fn stored_secrets(store: &Store) -> Vec<String> {
    let mut all = Vec::new();
    for sql in [
        "SELECT access_token FROM sources",
        "SELECT verify_token FROM webhook_endpoints",
        "SELECT secret FROM webhook_endpoints",
        "SELECT signing_secret FROM webhook_endpoints",
        "SELECT previous_signing_secret FROM webhook_endpoints",
    ] {
        all.extend(read_texts(store, sql).await.into_iter().flatten());
    }
    all
}

/// A store on the same database with other keys: another node, or this one restarted.
async fn node(store: &Store, keys: &str) -> Store {
    let opts = StoreOptions { secrets: Keyring::parse(keys).unwrap(), ..StoreOptions::default() };
    Store::connect(store.url(), &opts).await.unwrap()
}

/// A company with a source and a webhook endpoint holding every kind of secret.
async fn company_with_secrets(store: &Store) -> (CompanyId, SourceId, WebhookEndpointId) {
    let now = Timestamp::now();
    let company = switchboard_store::testing::company("Acme");
    let source = Source {
        id: SourceId::new(),
        company_id: company.id.clone(),
        name: "Forum".into(),
        config: SourceConfig::Sdk(SdkConfig {
            base_uri: None,
            access_token: AccessToken::from_stored(TOKEN.into()),
            capabilities: Default::default(),
            settings: Default::default(),
        }),
        created_at: now,
        updated_at: now,
    };
    let endpoint = WebhookEndpoint {
        id: WebhookEndpointId::new(),
        company_id: company.id.clone(),
        url: OutboundUrl::parse("url", "https://receiver.example/hook").unwrap(),
        format: WebhookFormat::Native,
        events: vec![EventPattern::parse("content.*").unwrap()],
        source_ids: None,
        verify_token: Some(Secret::new(VERIFY.into())),
        secret: Some(Secret::new(DIMELO.into())),
        signing_secret: SigningSecret::from_stored(SIGNING.into()),
        previous_signing_secret: Some((SigningSecret::from_stored(PREVIOUS.into()), now)),
        status: EndpointStatus::Active,
        disabled_reason: None,
        start_seq: 0,
        created_at: now,
        updated_at: now,
    };
    let mut tx = store.begin().await.unwrap();
    switchboard_store::companies::insert(&mut tx, &company).await.unwrap();
    sources::insert(&mut tx, &source).await.unwrap();
    webhooks::insert_endpoint(&mut tx, &endpoint).await.unwrap();
    tx.commit().await.unwrap();
    (company.id, source.id, endpoint.id)
}

/// Reads the secrets back through the store and checks each.
async fn assert_readable(store: &Store, (company, source, endpoint): &(CompanyId, SourceId, WebhookEndpointId)) {
    let mut r = store.reader().await.unwrap();
    let source = sources::get(&mut r, company, source).await.unwrap().unwrap();
    let SourceConfig::Sdk(sdk) = &source.config else { panic!("an SDK source was stored") };
    assert_eq!(sdk.access_token.expose(), TOKEN);
    let e = webhooks::get_endpoint(&mut r, company, endpoint).await.unwrap().unwrap();
    assert_eq!(e.signing_secret.expose(), SIGNING);
    assert_eq!(e.previous_signing_secret.unwrap().0.expose(), PREVIOUS);
    assert_eq!(e.verify_token.unwrap().expose(), VERIFY);
    assert_eq!(e.secret.unwrap().expose(), DIMELO);
}

fn key_id_of(stored: &str) -> &str {
    stored
        .strip_prefix("enc:v1:")
        .and_then(|rest| rest.split(':').next())
        .unwrap_or_else(|| panic!("not sealed: {stored}"))
}

store_test! {
    async fn a_copy_of_the_database_holds_no_secret_in_clear_and_the_store_reads_each_back(store: Store) {
        store.prepare_secrets().await.unwrap();
        let ids = company_with_secrets(&store).await;

        let stored = stored_secrets(&store).await;
        assert_eq!(stored.len(), 5);
        for value in &stored {
            assert_eq!(key_id_of(value), store.secrets().current_id().unwrap());
            for plain in [TOKEN, SIGNING, PREVIOUS, VERIFY, DIMELO] {
                assert!(!value.contains(plain) && !value.contains(&plain[..12]), "{value} holds {plain}");
            }
        }
        assert_readable(&store, &ids).await;
    }

    async fn a_node_without_the_key_the_secrets_are_sealed_with_is_refused_by_name_and_cannot_read_them(store: Store) {
        store.prepare_secrets().await.unwrap();
        let ids = company_with_secrets(&store).await;
        let sealed_with = store.secrets().current_id().unwrap().to_owned();

        let stranger = node(&store, &Keyring::generate_key()).await;
        let err = stranger.prepare_secrets().await.unwrap_err().to_string();
        assert!(err.contains(&sealed_with) && err.contains("5 secret(s)") && err.contains("does not have"), "{err}");
        let err = sources::get(&mut stranger.reader().await.unwrap(), &ids.0, &ids.1).await.unwrap_err().to_string();
        assert!(err.contains(&sealed_with) && err.contains("sources.access_token"), "{err}");
        assert_readable(&store, &ids).await;
    }

    async fn a_node_with_another_key_is_refused_even_before_any_secret_is_stored_and_leaves_no_trace(store: Store) {
        store.prepare_secrets().await.unwrap();
        let stranger = node(&store, &Keyring::generate_key()).await;

        let err = stranger.prepare_secrets().await.unwrap_err().to_string();
        assert!(err.contains(store.secrets().current_id().unwrap()) && err.contains("another node"), "{err}");
        let registered = read_texts(&store, "SELECT id FROM secret_keys").await;
        assert_eq!(registered, [Some(store.secrets().current_id().unwrap().to_owned())]);
        store.prepare_secrets().await.expect("the refused node registered nothing that stops the others");
    }

    async fn rotation_seals_every_secret_with_the_new_key_after_which_the_old_key_can_go(store: Store) {
        let (old, new) = (Keyring::generate_key(), Keyring::generate_key());
        let new_id = Keyring::parse(&new).unwrap().current_id().unwrap().to_owned();
        let before = node(&store, &old).await;
        before.prepare_secrets().await.unwrap();
        let ids = company_with_secrets(&before).await;

        // Every node is given the new key first and the old one after it, and restarts: the
        // secrets still open, and what is written from then on is sealed with the new key.
        let both = node(&store, &format!("{new}\n{old}")).await;
        assert_eq!(both.prepare_secrets().await.unwrap(), Prepared { sealed: 0, under_older_keys: 5 });
        assert_readable(&both, &ids).await;

        assert_eq!(both.rotate_secrets().await.unwrap(), 5);
        for value in stored_secrets(&both).await {
            assert_eq!(key_id_of(&value), new_id);
        }
        assert_eq!(read_texts(&both, "SELECT id FROM secret_keys").await, [Some(new_id.clone())]);
        assert_eq!(both.rotate_secrets().await.unwrap(), 0, "nothing is left to seal again");

        let after = node(&store, &new).await;
        assert_eq!(after.prepare_secrets().await.unwrap(), Prepared::default());
        assert_readable(&after, &ids).await;
    }

    async fn secrets_an_older_version_stored_in_clear_are_sealed_by_the_first_start(store: Store) {
        let company = "c0000000000000000000000c";
        let (source, endpoint) = ("5000000000000000000000a5", "e000000000000000000000e1");
        let mut tx = store.begin().await.unwrap();
        for (sql, binds) in [
            ("INSERT INTO companies (id, name, status, profile, created_at, updated_at) VALUES ($1, 'Acme', 'active', '{}', 0, 0)", vec![company]),
            (
                "INSERT INTO sources (id, company_id, name, kind, access_token, capabilities, sdk_settings, created_at, updated_at) \
                 VALUES ($1, $2, 'Forum', 'sdk', $3, '{\"objects\":{},\"options\":[],\"locales\":null}', '{}', 0, 0)",
                vec![source, company, TOKEN],
            ),
            (
                "INSERT INTO webhook_endpoints (id, company_id, url, events, verify_token, secret, signing_secret, \
                 previous_signing_secret, previous_until, status, start_seq, created_at, updated_at) \
                 VALUES ($1, $2, 'https://x.example/', '[\"*\"]', $3, $4, $5, $6, 0, 'active', 0, 0, 0)",
                vec![endpoint, company, VERIFY, DIMELO, SIGNING, PREVIOUS],
            ),
        ] {
            execute(&mut tx, sql, &binds).await;
        }
        tx.commit().await.unwrap();

        let prepared = store.prepare_secrets().await.unwrap();

        assert_eq!(prepared, Prepared { sealed: 5, under_older_keys: 0 });
        for value in stored_secrets(&store).await {
            assert_eq!(key_id_of(&value), store.secrets().current_id().unwrap());
        }
        let ids = (CompanyId::parse(company).unwrap(), SourceId::parse(source).unwrap(), WebhookEndpointId::parse(endpoint).unwrap());
        assert_readable(&store, &ids).await;
        assert_eq!(store.prepare_secrets().await.unwrap(), Prepared::default(), "a later start has nothing to seal");
    }
}
