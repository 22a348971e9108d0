//! Channels (sources): their administration, and the Send API's way in.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use switchboard_domain::event::NewEvent;
use switchboard_domain::source::{AccessToken, Capabilities, SdkSettings, Source, SourceKind};
use switchboard_domain::{Error, Resource, Result, SourceId, Timestamp};
use switchboard_store::{events, sources};

use crate::sdk::ingest::Outcome;
use crate::sdk::objects;
use crate::{Actor, Engine};

/// How long the Send API trusts a source it read: a change made on another node (a rotated
/// token, a deletion) takes effect here within this time; changes made here, at once.
const CACHE_TTL: Duration = Duration::from_secs(1);

/// Sources the Send API looked up, since every call names one. Only sources that exist are
/// kept, so the cache is bounded by the number of sources.
#[derive(Default)]
pub(crate) struct SourceCache {
    entries: Mutex<HashMap<SourceId, (Arc<Source>, Instant)>>,
}

impl SourceCache {
    fn get(&self, id: &SourceId) -> Option<Arc<Source>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(id).filter(|(_, at)| at.elapsed() < CACHE_TTL).map(|(s, _)| s.clone())
    }

    fn put(&self, source: Arc<Source>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.insert(source.id.clone(), (source, Instant::now()));
    }

    fn forget(&self, id: &SourceId) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
    }
}

/// What an administrator gives to add a source.
#[derive(Debug, Clone)]
pub struct NewSource {
    pub name: String,
    pub kind: SourceKind,
    pub base_uri: Option<String>,
    pub capabilities: Capabilities,
    pub settings: SdkSettings,
}

fn snapshot(s: &Source) -> Value {
    json!({"id": s.id, "name": s.name, "kind": s.kind.as_str(), "base_uri": s.base_uri, "updated_at": s.updated_at.to_rfc3339_micros()})
}

impl Engine {
    pub async fn create_source(&self, actor: &Actor, new: NewSource) -> Result<Source> {
        actor.require_admin("add sources")?;
        let now = Timestamp::now();
        let source = Source {
            id: SourceId::new(),
            company_id: actor.company_id.clone(),
            name: new.name,
            kind: new.kind,
            base_uri: new.base_uri,
            access_token: AccessToken::generate(),
            capabilities: new.capabilities,
            settings: new.settings,
            created_at: now,
            updated_at: now,
        };
        source.validate()?;
        let mut tx = self.store.begin().await?;
        sources::insert(&mut tx, &source).await?;
        self.ensure_schedule(&mut tx, &source).await?;
        events::append(&mut tx, &actor.company_id, vec![NewEvent::new("source.created", snapshot(&source))]);
        tx.commit().await?;
        Ok(source)
    }

    pub async fn list_sources(&self, actor: &Actor) -> Result<Vec<Source>> {
        actor.require_admin("manage sources")?;
        sources::list(&mut self.store.reader().await?, &actor.company_id).await
    }

    pub async fn source(&self, actor: &Actor, id: &SourceId) -> Result<Source> {
        actor.require_admin("manage sources")?;
        sources::get(&mut self.store.reader().await?, &actor.company_id, id)
            .await?
            .ok_or(Error::NotFound(Resource::Source))
    }

    /// Applies `change` to a source. Identity, company, kind and token cannot change here.
    pub async fn update_source(
        &self,
        actor: &Actor,
        id: &SourceId,
        change: impl FnOnce(Source) -> Result<Source>,
    ) -> Result<Source> {
        actor.require_admin("manage sources")?;
        let mut tx = self.store.begin().await?;
        let current =
            sources::get_for_update(&mut tx, &actor.company_id, id).await?.ok_or(Error::NotFound(Resource::Source))?;
        let mut updated = change(current.clone())?;
        updated.id = current.id;
        updated.company_id = current.company_id;
        updated.kind = current.kind;
        updated.access_token = current.access_token;
        updated.created_at = current.created_at;
        updated.updated_at = Timestamp::now();
        updated.validate()?;
        sources::update(&mut tx, &updated).await?;
        self.ensure_schedule(&mut tx, &updated).await?;
        events::append(&mut tx, &actor.company_id, vec![NewEvent::new("source.updated", snapshot(&updated))]);
        tx.commit().await?;
        self.source_cache.forget(id);
        Ok(updated)
    }

    /// Replaces the access token; the old one stops working at once.
    pub async fn rotate_source_token(&self, actor: &Actor, id: &SourceId) -> Result<Source> {
        actor.require_admin("manage sources")?;
        let mut tx = self.store.begin().await?;
        let mut source =
            sources::get_for_update(&mut tx, &actor.company_id, id).await?.ok_or(Error::NotFound(Resource::Source))?;
        source.access_token = AccessToken::generate();
        source.updated_at = Timestamp::now();
        sources::update(&mut tx, &source).await?;
        events::append(&mut tx, &actor.company_id, vec![NewEvent::new("source.token_rotated", snapshot(&source))]);
        tx.commit().await?;
        self.source_cache.forget(id);
        Ok(source)
    }

    /// Deletes a source. Its conversations stay readable; it stops accepting and sending.
    pub async fn delete_source(&self, actor: &Actor, id: &SourceId) -> Result<()> {
        actor.require_admin("manage sources")?;
        let mut tx = self.store.begin().await?;
        let source =
            sources::get_for_update(&mut tx, &actor.company_id, id).await?.ok_or(Error::NotFound(Resource::Source))?;
        sources::delete(&mut tx, &actor.company_id, id).await?;
        events::append(&mut tx, &actor.company_id, vec![NewEvent::new("source.deleted", snapshot(&source))]);
        tx.commit().await?;
        self.source_cache.forget(id);
        Ok(())
    }

    /// Records what the connector declared in `implementation.info`, keeping any change an
    /// administrator made meanwhile to the rest of the source.
    pub(crate) async fn store_capabilities(&self, source: &Source, capabilities: Capabilities) -> Result<Source> {
        // Capabilities rarely change: no write transaction on every run to find that out.
        if source.capabilities == capabilities {
            return Ok(source.clone());
        }
        let mut tx = self.store.begin().await?;
        let mut current = sources::get_for_update(&mut tx, &source.company_id, &source.id)
            .await?
            .ok_or(Error::NotFound(Resource::Source))?;
        if current.capabilities == capabilities {
            return Ok(current);
        }
        current.capabilities = capabilities;
        current.updated_at = Timestamp::now();
        sources::update(&mut tx, &current).await?;
        events::append(&mut tx, &source.company_id, vec![NewEvent::new("source.updated", snapshot(&current))]);
        tx.commit().await?;
        self.source_cache.forget(&source.id);
        Ok(current)
    }

    /// The source a Send API call names. Its signature, not an API key, authenticates the call,
    /// so any company's source can be named here.
    pub async fn source_for_push(&self, id: &str) -> Result<Arc<Source>> {
        let id = SourceId::parse(id).map_err(|_| Error::NotFound(Resource::Source))?;
        if let Some(source) = self.source_cache.get(&id) {
            return Ok(source);
        }
        let source = Arc::new(
            sources::get_any_company(&mut self.store.reader().await?, &id)
                .await?
                .ok_or(Error::NotFound(Resource::Source))?,
        );
        self.source_cache.put(source.clone());
        Ok(source)
    }

    /// A Send API call, already authenticated for `source`: validated, then committed (with
    /// other calls arriving at the same time) before this returns.
    pub async fn push(&self, source: Arc<Source>, action: &str, params: &Map<String, Value>) -> Result<Outcome> {
        let command = objects::parse_action(action, params, &source.capabilities)?;
        self.ingest.submit(source, command).await
    }
}
