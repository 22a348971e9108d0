//! Polling synchronisation of Channel SDK sources (spec §3): every run asks the connector what
//! it implements, then lists each collection from its `since_id` cursor and imports the items
//! through the same [`Batch`] as the Send API, so an item arriving both ways is stored once.
//!
//! Each polled source has one scheduled `sdk.sync` job, which queues its successor before it
//! runs. The `sync_schedules` row names the current one, and a job only carries on the schedule
//! when it is that job: a job run again after a lost lease, or a second node scheduling the same
//! source, never doubles the polling.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use switchboard_domain::event::{Event, Origin};
use switchboard_domain::job::{Job, JobPayload, JobStatus, NewJob};
use switchboard_domain::source::sdk::Capabilities;
use switchboard_domain::source::{Source, SourceConfig};
use switchboard_domain::sync::{SyncCounts, SyncRun, SyncStatus, SyncTrigger};
use switchboard_domain::{CompanyId, Error, Resource, Result, SourceId, SyncRunId, Timestamp};
use switchboard_store::{Tx, events, jobs, sources, sync};

use super::client::CallError;
use super::ingest::{Batch, Outcome};
use super::objects::{self, Command};
use super::{Protocol, config};
use crate::{Actor, Engine};

/// An `sdk.sync` job: a run an administrator asked for, or the next run of a source's schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SyncJob {
    Manual { run_id: SyncRunId },
    Scheduled { source_id: SourceId },
}

impl JobPayload for SyncJob {
    const KIND: &'static str = "sdk.sync";
    const MAX_ATTEMPTS: i32 = 3;
}
/// List pages fetched per collection in one run; the rest waits for the next run.
pub const MAX_PAGES: usize = 20;
/// Time between syncs of a source that implements no `list` (spec §3.1: about 3 minutes).
const UNLISTED_INTERVAL_FACTOR: u32 = 3;
/// Collections listed in a run, in the documented order.
const LISTED: [&str; 3] = ["threads", "messages", "private_messages"];
/// Tries of a page whose import raced with a Send API push of the same item.
const PAGE_TRIES: usize = 3;
/// After this long a run asks for no more pages (the next run goes on from the cursors), so
/// that a run with a slow connector ends well within its job's lease, 120 s: past the lease,
/// another worker would take the job for abandoned.
const RUN_BUDGET: Duration = Duration::from_secs(60);
/// How long sync runs are kept.
const RUN_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

impl Engine {
    /// Queues a sync of the source now (`POST /v1/sources/{id}/sync`).
    #[tracing::instrument(skip_all, fields(company = %actor.company_id))]
    pub async fn start_sync(&self, actor: &Actor, source_id: &SourceId) -> Result<SyncRun> {
        actor.require_admin("synchronise sources")?;
        let mut tx = self.store.begin().await?;
        let source = sources::get_for_update(&mut tx, &actor.company_id, source_id)
            .await?
            .ok_or(Error::NotFound(Resource::Source))?;
        if source.base_uri().is_none() {
            return Err(Error::Conflict(
                "the source has no 'base_uri': there is no connector to synchronise from".into(),
            ));
        }
        let run = new_run(&source, SyncTrigger::Manual, SyncStatus::Queued);
        sync::insert_run(&mut tx, &run).await?;
        // A manual run is tried once: its outcome is on the run, which a second try would hide.
        let job = NewJob::of(&SyncJob::Manual { run_id: run.id.clone() }).for_company(actor.company_id.clone());
        jobs::enqueue(&mut tx, &job.max_attempts(1)).await?;
        tx.commit().await?;
        Ok(run)
    }

    pub async fn sync_run(&self, actor: &Actor, source_id: &SourceId, id: &SyncRunId) -> Result<SyncRun> {
        actor.require_admin("synchronise sources")?;
        sync::get_run(&mut self.store.reader().await?, &actor.company_id, id)
            .await?
            .filter(|r| &r.source_id == source_id)
            .ok_or(Error::NotFound(Resource::SyncRun))
    }

    /// The source's latest started run, if any.
    pub async fn last_sync(&self, actor: &Actor, source_id: &SourceId) -> Result<Option<SyncRun>> {
        actor.require_admin("manage sources")?;
        sync::last_run(&mut self.store.reader().await?, &actor.company_id, source_id).await
    }

    /// Runs an `sdk.sync` job. A run's own failures are recorded on the run; an error here is
    /// the store failing, and the job is tried again.
    pub(crate) async fn sync_job(&self, job: &Job, payload: SyncJob) -> Result<()> {
        let company = job.company_id.clone().ok_or_else(|| Error::Internal("a sync job without a company".into()))?;
        match payload {
            SyncJob::Manual { run_id } => self.manual_sync(&company, &run_id).await,
            SyncJob::Scheduled { source_id } => self.scheduled_sync(&company, &source_id, job).await,
        }
    }

    async fn manual_sync(&self, company: &CompanyId, id: &SyncRunId) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let Some(mut run) = sync::get_run(&mut tx, company, id).await? else { return Ok(()) };
        if run.status == SyncStatus::Running {
            // Claimed again after its lease ran out: the node running it stopped mid-run.
            finish(&mut run, Err("the run was interrupted (its node stopped before it finished)".into()));
            sync::update_run(&mut tx, &run).await?;
            return tx.commit().await;
        }
        if run.status != SyncStatus::Queued {
            return Ok(());
        }
        let Some(source) = sources::get(&mut tx, company, &run.source_id).await? else {
            finish(&mut run, Err("the source was deleted".into()));
            sync::update_run(&mut tx, &run).await?;
            return tx.commit().await;
        };
        run.status = SyncStatus::Running;
        run.started_at = Some(Timestamp::now());
        sync::update_run(&mut tx, &run).await?;
        tx.commit().await?;
        self.perform(source, run).await
    }

    async fn scheduled_sync(&self, company: &CompanyId, source_id: &SourceId, job: &Job) -> Result<()> {
        let mut tx = self.store.begin().await?;
        // The schedule ends with the source or its connector; adding a base URI again starts a
        // new one.
        let Some(source) = sources::get(&mut tx, company, source_id).await?.filter(|s| s.base_uri().is_some()) else {
            return Ok(());
        };
        let next_id =
            jobs::enqueue(&mut tx, &self.next_scheduled_sync(&source, &config(&source)?.capabilities)).await?;
        if !sync::pass_schedule(&mut tx, &source.id, &job.id, &next_id).await? {
            // Not the scheduled job (any more): dropping the transaction drops `next` too.
            return Ok(());
        }
        let run = new_run(&source, SyncTrigger::Schedule, SyncStatus::Running);
        sync::insert_run(&mut tx, &run).await?;
        // A run a minute per source adds up: keep a week of history.
        sync::prune_runs(&mut tx, &source.id, run.created_at.minus(RUN_RETENTION)).await?;
        tx.commit().await?;
        self.perform(source, run).await
    }

    fn sync_interval(&self, caps: &Capabilities) -> Duration {
        interval(self.sdk.connector.options.sync_interval, caps)
    }

    /// Runs a started run to its end and records the outcome on it.
    async fn perform(&self, source: Source, mut run: SyncRun) -> Result<()> {
        let outcome = self.synchronise(source, &mut run.counts).await;
        if let Err(e) = &outcome {
            tracing::warn!(source = %run.source_id, run = %run.id, error = %e, "sync run failed");
        }
        finish(&mut run, outcome);
        let mut tx = self.store.begin().await?;
        sync::update_run(&mut tx, &run).await?;
        tx.commit().await
    }

    async fn synchronise(&self, source: Source, counts: &mut SyncCounts) -> std::result::Result<(), String> {
        let deadline = std::time::Instant::now() + RUN_BUDGET;
        let info = self
            .sdk
            .connector
            .call(&source, "implementation.info", None)
            .await
            .map_err(|e| format!("implementation.info failed: {e}"))?;
        counts.signature_mismatches += u64::from(info.signature_mismatch);
        let caps = parse_info(&info.body).map_err(|e| format!("malformed implementation.info answer: {e}"))?;
        let source = self.store_capabilities(&source, caps).await.map_err(|e| e.to_string())?;
        let caps = config(&source).map_err(|e| e.to_string())?.capabilities.clone();
        for collection in LISTED {
            if !caps.declares(collection, "list") || (collection == "threads" && caps.unthreaded()) {
                continue;
            }
            self.list_collection(&source, collection, counts, deadline)
                .await
                .map_err(|e| format!("{collection}.list failed: {e}"))?;
        }
        Ok(())
    }

    /// Lists a collection page by page from its cursor, importing each page and then moving the
    /// cursor past it in the same transaction.
    async fn list_collection(
        &self,
        source: &Source,
        collection: &str,
        counts: &mut SyncCounts,
        deadline: std::time::Instant,
    ) -> std::result::Result<(), String> {
        let action = format!("{collection}.list");
        // Read once, then carried from page to page: this run wrote it. A run beside this one on
        // the same source may make either fetch a page again, which imports nothing twice.
        let mut since =
            sync::cursor(&mut self.store.reader().await.map_err(|e| e.to_string())?, &source.id, collection)
                .await
                .map_err(|e| e.to_string())?;
        for _ in 0..MAX_PAGES {
            if std::time::Instant::now() >= deadline {
                return Ok(());
            }
            let params = match &since {
                Some(s) => json!({"since_id": s}),
                None => json!({}),
            };
            let reply =
                self.sdk.connector.call(source, &action, Some(&params)).await.map_err(|e: CallError| e.to_string())?;
            counts.signature_mismatches += u64::from(reply.signature_mismatch);
            let items = match reply.body {
                Value::Array(items) => items,
                Value::Null => Vec::new(),
                other => return Err(format!("the answer must be a JSON array, got {}", kind_of(&other))),
            };
            if items.is_empty() {
                return Ok(());
            }
            counts.pages += 1;
            counts.fetched += items.len() as u64;
            // Newest first: the first item with an id is where the next page starts.
            let newest = items.iter().find_map(|i| i.as_object().and_then(|o| objects::id(o, "id").ok().flatten()));
            let caps = &config(source).map_err(|e| e.to_string())?.capabilities;
            let mut commands = Vec::with_capacity(items.len());
            for item in &items {
                match item.as_object().map(|o| objects::parse_item(collection, o, caps)) {
                    Some(Ok(command)) => commands.push(command),
                    _ => counts.skipped += 1,
                }
            }
            let (imported, refused) =
                self.import_page(source, collection, &commands, newest.as_deref()).await.map_err(|e| e.to_string())?;
            counts.imported += imported;
            counts.skipped += refused;
            // A connector that ignores since_id answers the same page again.
            if newest.is_none() || newest == since {
                return Ok(());
            }
            since = newest;
        }
        Ok(())
    }

    /// Imports a page's items and advances the cursor, all in one transaction. Returns how
    /// many items were new and how many were refused.
    async fn import_page(
        &self,
        source: &Source,
        collection: &str,
        commands: &[Command],
        newest: Option<&str>,
    ) -> Result<(u64, u64)> {
        let mut last = Error::Internal("no attempt".into());
        for _ in 0..PAGE_TRIES {
            let mut tx = self.store.begin().await?;
            match import_in(&mut tx, source, commands).await {
                Ok(counts) => {
                    if let Some(id) = newest {
                        sync::set_cursor(&mut tx, &source.id, collection, id).await?;
                    }
                    tx.commit().await?;
                    return Ok(counts);
                }
                // The same item was pushed through the Send API meanwhile: the next try sees it.
                Err(e @ Error::Conflict(_)) => last = e,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    /// Makes sure every polled source has its scheduled sync (at start-up: sources saved
    /// before polling existed, or whose schedule was lost). Nodes starting together may both
    /// schedule a source; the schedule row keeps one job and the other drops out.
    pub async fn schedule_polled_sources(&self) -> Result<()> {
        let polled = sources::list_polled(&mut self.store.reader().await?).await?;
        for source in polled {
            let mut tx = self.store.begin().await?;
            self.ensure_schedule(&mut tx, &source).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Makes sure a polled source has a scheduled sync job. Called wherever a source may have
    /// gained a base URI.
    pub(crate) async fn ensure_schedule(&self, tx: &mut Tx<'_>, source: &Source) -> Result<()> {
        let Ok(sdk) = config(source) else { return Ok(()) };
        if sdk.base_uri.is_none() {
            return Ok(());
        }
        if let Some(current) = sync::scheduled_job_for_update(tx, &source.id).await?
            && jobs::get(tx, &current).await?.is_some_and(|j| j.status == JobStatus::Pending)
        {
            return Ok(());
        }
        // The first run waits one interval too: `POST /v1/sources/{id}/sync` is the way to
        // synchronise at once, and a run started by each save would race with it.
        let job = jobs::enqueue(tx, &self.next_scheduled_sync(source, &sdk.capabilities)).await?;
        sync::set_scheduled_job(tx, &source.company_id, &source.id, &job).await
    }

    /// The source's next scheduled sync job, one interval from now.
    fn next_scheduled_sync(&self, source: &Source, caps: &Capabilities) -> NewJob {
        NewJob::of(&SyncJob::Scheduled { source_id: source.id.clone() })
            .for_company(source.company_id.clone())
            .run_at(Timestamp::now().plus(self.sync_interval(caps)))
    }

    /// Records what the connector declared in `implementation.info`, keeping any change an
    /// administrator made meanwhile to the rest of the source.
    async fn store_capabilities(&self, source: &Source, capabilities: Capabilities) -> Result<Source> {
        // Capabilities rarely change: no write transaction on every run to find that out.
        if config(source)?.capabilities == capabilities {
            return Ok(source.clone());
        }
        let mut tx = self.store.begin().await?;
        let mut current = sources::get_for_update(&mut tx, &source.company_id, &source.id)
            .await?
            .ok_or(Error::NotFound(Resource::Source))?;
        let SourceConfig::Sdk(sdk) = &mut current.config else { return Err(Error::NotFound(Resource::Source)) };
        if sdk.capabilities == capabilities {
            return Ok(current);
        }
        sdk.capabilities = capabilities;
        current.updated_at = Timestamp::now();
        sources::update(&mut tx, &current).await?;
        events::append(&mut tx, &source.company_id, vec![Event::SourceUpdated((&current).into())]);
        tx.commit().await?;
        self.source_changed(&source.id);
        Ok(current)
    }
}

/// Imports items as the Send API does; returns how many were new and how many refused.
pub(crate) async fn import_in(tx: &mut Tx<'_>, source: &Source, commands: &[Command]) -> Result<(u64, u64)> {
    let pairs: Vec<(&Source, &Command)> = commands.iter().map(|c| (source, c)).collect();
    let mut batch = Batch::begin(tx, &pairs).await?;
    let (mut imported, mut refused) = (0, 0);
    for command in commands {
        match batch.apply(source, command.clone(), Origin::Synchronizer).await {
            Ok(Outcome::Created) => imported += 1,
            Ok(_) => {}
            // Refused items (an unknown in_reply_to_id, invalid structured content) changed
            // nothing and are skipped like items missing a field.
            Err(e) if super::writer::refuses_only_the_call(&e) => refused += 1,
            Err(e) => return Err(e),
        }
    }
    batch.finish().await?;
    Ok((imported, refused))
}

/// Time to the next scheduled run: `base`, or three times it for a connector that lists
/// nothing (spec §3.1: about 1 minute, 3 minutes without `list`).
fn interval(base: Duration, caps: &Capabilities) -> Duration {
    if LISTED.iter().any(|c| caps.declares(c, "list")) { base } else { base * UNLISTED_INTERVAL_FACTOR }
}

fn new_run(source: &Source, trigger: SyncTrigger, status: SyncStatus) -> SyncRun {
    let now = Timestamp::now();
    SyncRun {
        id: SyncRunId::new(),
        company_id: source.company_id.clone(),
        source_id: source.id.clone(),
        trigger,
        status,
        error: None,
        counts: SyncCounts::default(),
        created_at: now,
        started_at: (status == SyncStatus::Running).then_some(now),
        finished_at: None,
    }
}

fn finish(run: &mut SyncRun, outcome: std::result::Result<(), String>) {
    run.finished_at = Some(Timestamp::now());
    match outcome {
        Ok(()) => run.status = SyncStatus::Succeeded,
        Err(e) => {
            run.status = SyncStatus::Failed;
            run.error = Some(e);
        }
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads an `implementation.info` answer (spec §3.2): `objects` maps collections to operation
/// names; `options` is a list of names; `locales` is an optional map of label maps.
pub fn parse_info(body: &Value) -> std::result::Result<Capabilities, String> {
    let obj = body.as_object().ok_or_else(|| format!("expected a JSON object, got {}", kind_of(body)))?;
    let objects = match obj.get("objects") {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(collection, ops)| Ok((collection.clone(), strings(ops, &format!("objects.{collection}"))?)))
            .collect::<std::result::Result<_, String>>()?,
        Some(Value::Null) | None => return Err("'objects' is missing".into()),
        Some(other) => return Err(format!("'objects' must be an object, got {}", kind_of(other))),
    };
    let options = match obj.get("options") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => strings(v, "options")?,
    };
    let locales = match obj.get("locales") {
        None | Some(Value::Null) => None,
        Some(v @ Value::Object(m)) if m.values().all(Value::is_object) => Some(v.clone()),
        Some(_) => return Err("'locales' must map languages to objects of labels".into()),
    };
    let caps = Capabilities { objects, options, locales };
    // Stored as the source's configuration, so its texts follow the rules of every stored text.
    caps.validate().map_err(|e| e.to_string())?;
    Ok(caps)
}

fn strings(v: &Value, field: &str) -> std::result::Result<Vec<String>, String> {
    let list = v.as_array().ok_or_else(|| format!("'{field}' must be an array of strings, got {}", kind_of(v)))?;
    list.iter()
        .map(|s| s.as_str().map(str::to_owned).ok_or_else(|| format!("'{field}' must be an array of strings")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_implementation_info_shape_parses() {
        let caps = parse_info(&json!({
            "objects": {"messages": ["create", "list", "spam"], "status": ["mark_as_read"]},
            "options": ["messages.no_title"],
            "locales": {"default": {"spam": "Spam"}, "fr": {"spam": "Pourriel"}}
        }))
        .unwrap();
        assert!(caps.declares("messages", "spam"));
        assert!(caps.has_option("messages.no_title"));
        assert_eq!(caps.locales.unwrap()["fr"]["spam"], "Pourriel");
    }

    #[test]
    fn connectors_that_list_nothing_are_polled_three_times_less_often() {
        let base = Duration::from_secs(60);
        let caps = |objects: Value| parse_info(&json!({"objects": objects})).unwrap();
        assert_eq!(interval(base, &caps(json!({"messages": ["list", "create"]}))), base);
        assert_eq!(interval(base, &caps(json!({"private_messages": ["list"]}))), base);
        assert_eq!(interval(base, &caps(json!({"messages": ["create", "show"]}))), Duration::from_secs(180));
    }

    #[test]
    fn malformed_implementation_info_answers_say_what_is_wrong() {
        assert!(parse_info(&json!([])).unwrap_err().contains("object"));
        assert!(parse_info(&json!({})).unwrap_err().contains("'objects' is missing"));
        assert!(parse_info(&json!({"objects": ["messages"]})).unwrap_err().contains("'objects' must be an object"));
        assert!(parse_info(&json!({"objects": {"messages": "create"}})).unwrap_err().contains("objects.messages"));
        assert!(parse_info(&json!({"objects": {}, "options": "x"})).unwrap_err().contains("options"));
        assert!(parse_info(&json!({"objects": {}, "locales": {"fr": 1}})).unwrap_err().contains("locales"));
        let long = "x".repeat(256);
        assert!(parse_info(&json!({"objects": {"messages": [long]}})).unwrap_err().contains("'objects.messages[0]'"));
        let nul = json!({"objects": {}, "locales": {"fr": {"spam": "a\u{0}"}}});
        assert!(parse_info(&nul).unwrap_err().contains("'locales.fr.spam' must not contain"));
    }
}
