//! The Send API's way in (seeds/001): a connector pushes an action for one source, signed with
//! that source's access token; it is parsed, then committed with the calls arriving at the same
//! time (see [`super::writer`]) before it is answered.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use switchboard_domain::source::Source;
use switchboard_domain::{Error, Resource, Result, SourceId};
use switchboard_store::sources;

use super::ingest::Outcome;
use super::{config, objects, signing};
use crate::Engine;

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

    pub(crate) fn forget(&self, id: &SourceId) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
    }
}

impl Engine {
    /// The SDK source a Send API call names. Its signature, not an API key, authenticates the
    /// call, so any company's source can be named here.
    pub async fn source_for_push(&self, id: &str) -> Result<Arc<Source>> {
        let id = SourceId::parse(id).map_err(|_| Error::NotFound(Resource::Source))?;
        if let Some(source) = self.sdk.sources.get(&id) {
            return Ok(source);
        }
        let source = sources::get_any_company(&mut self.store.reader().await?, &id)
            .await?
            .filter(|s| config(s).is_ok())
            .ok_or(Error::NotFound(Resource::Source))?;
        let source = Arc::new(source);
        self.sdk.sources.put(source.clone());
        Ok(source)
    }

    /// Checks that `body` was signed with the source's access token (`Unauthenticated` if not).
    pub fn verify_push(&self, source: &Source, body: &[u8], signature: Option<&str>) -> Result<()> {
        let token = config(source)?.access_token.expose();
        match signature {
            Some(sig) if signing::verify(token, body, sig) => Ok(()),
            _ => Err(Error::Unauthenticated),
        }
    }

    /// A Send API call, already authenticated for `source`: validated, then committed (with
    /// other calls arriving at the same time) before this returns.
    #[tracing::instrument(skip_all, fields(company = %source.company_id, source = %source.id, action = %action))]
    pub async fn push(&self, source: Arc<Source>, action: &str, params: &Map<String, Value>) -> Result<Outcome> {
        let command = objects::parse_action(action, params, &config(&source)?.capabilities)?;
        self.sdk.ingest.submit(source, command).await
    }
}
