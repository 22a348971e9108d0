//! Agent work sent to connectors (spec §3.5, §4.5): outbound contents through
//! `<collection>.create`, item actions (`delete`/`destroy`, `publish`, `unpublish`, custom
//! ones), and `messaging.queuing_update`.
//!
//! Each export or action is a job with the documented budget of 3 attempts: the first says
//! `retry: false`, later ones `retry: true`, all with the same `content_id`, so a connector can
//! recognise an attempt whose answer was lost.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use switchboard_domain::conversation::{Content, ContentKind, Export, ExportStatus};
use switchboard_domain::event::{ContentAction, ContentActionFailed, ContentFailed, ContentSnapshot, Event, Origin};
use switchboard_domain::job::{Job, JobOutcome, JobPayload, NewJob};
use switchboard_domain::source::{Source, SourceKind};
use switchboard_domain::text::TextRule;
use switchboard_domain::{CompanyId, ContentId, Error, Resource, Result, Timestamp};
use switchboard_store::{contents, events, identities, jobs, sources, threads};

use super::client::CallError;
use super::sync::import_in;
use super::{Protocol, collection, config, objects};
use crate::{Actor, Engine};

/// Attempts at exporting a content or performing an action, in all (the documented budget).
const ATTEMPTS: i32 = 3;

/// An `sdk.export` job: send an agent's content to its connector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportJob {
    pub content_id: ContentId,
}

impl JobPayload for ExportJob {
    const KIND: &'static str = "sdk.export";
    const MAX_ATTEMPTS: i32 = ATTEMPTS;
}

/// An `sdk.action` job: ask the connector to perform `action` on a content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionJob {
    pub content_id: ContentId,
    pub action: String,
    /// The connector-side id of the user the action is made for.
    pub user_id: String,
}

impl JobPayload for ActionJob {
    const KIND: &'static str = "sdk.action";
    const MAX_ATTEMPTS: i32 = ATTEMPTS;
}

/// An agent's content on an SDK source, as its events show it.
fn snapshot(c: &Content) -> ContentSnapshot {
    ContentSnapshot::new(c, SourceKind::Sdk, Origin::Agent, false)
}
/// Operations that are not per-item actions (spec §3.6); `reply` only gates the UI.
const NOT_ACTIONS: [&str; 5] = ["create", "list", "show", "reply", "mark_as_read"];

/// What `messaging.queuing_update` tells the connector about a waiting conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuingUpdate {
    /// Seconds.
    pub estimated_wait_time: u64,
    pub position: u64,
    pub thread_id: Option<String>,
    pub in_reply_to_id: Option<String>,
}

impl Engine {
    /// Runs an `sdk.export` job: one attempt at sending an outbound content.
    pub(crate) async fn export(&self, job: &Job, payload: ExportJob) -> Result<JobOutcome> {
        let company = job_company(job)?;
        let content_id = payload.content_id;
        let mut r = self.store.reader().await?;
        let Some(content) = contents::get(&mut r, &company, &content_id).await? else {
            return Ok(JobOutcome::Fatal { error: "the content no longer exists".into() });
        };
        if content.export.as_ref().is_none_or(|e| e.status != ExportStatus::Pending) {
            // Exported or given up already (a job run again after a lost lease).
            return Ok(JobOutcome::Done);
        }
        let Some(source) = sources::get(&mut r, &company, &content.source_id).await? else {
            return self
                .export_failed(&company, &content_id, job.attempts, "the source was deleted".into(), true)
                .await;
        };
        if source.base_uri().is_none() {
            return self
                .export_failed(
                    &company,
                    &content_id,
                    job.attempts,
                    "the source has no 'base_uri' to export to".into(),
                    true,
                )
                .await;
        }
        let params = create_params(&mut r, &source, &content, job.attempts > 1).await?;
        drop(r);
        let action = format!("{}.create", collection(content.kind));
        let answer = match self.sdk.connector.call(&source, &action, Some(&params)).await {
            Ok(reply) => match reply.body.as_object().map(|o| objects::id(o, "id")) {
                // The id is stored as the content's foreign id: it must be one (`domain::text`).
                Some(Ok(Some(id))) => {
                    TextRule::ID.check("id", &id).map(|()| id).map_err(|e| CallError::Unparsable(e.to_string()))
                }
                _ => Err(CallError::Unparsable("the answer has no 'id'".into())),
            },
            Err(e) => Err(e),
        };
        match answer {
            Ok(foreign_id) => self.exported(&company, &content_id, job.attempts, foreign_id).await,
            Err(e) => {
                let last = e.is_fatal() || job.attempts >= job.max_attempts.min(ATTEMPTS);
                self.export_failed(&company, &content_id, job.attempts, format!("{action}: {e}"), last).await
            }
        }
    }

    async fn exported(
        &self,
        company: &CompanyId,
        id: &ContentId,
        attempts: i32,
        foreign_id: String,
    ) -> Result<JobOutcome> {
        let mut tx = self.store.begin().await?;
        let Some(mut content) = contents::get(&mut tx, company, id).await? else { return Ok(JobOutcome::Done) };
        // A list may have imported the connector's copy before this answer was recorded: the
        // foreign id is then taken, and this content stays without one rather than fail.
        let taken = contents::get_many_by_foreign(&mut tx, &content.source_id, &[foreign_id.as_str()])
            .await?
            .into_iter()
            .find(|c| c.kind == content.kind && c.id != content.id);
        let note = taken.as_ref().map(|other| {
            format!("exported, but the connector's id '{foreign_id}' already belongs to content {}", other.id)
        });
        content.foreign_id = taken.is_none().then(|| foreign_id.clone());
        content.export = Some(Export { status: ExportStatus::Exported, attempts, last_error: note });
        content.updated_at = Timestamp::now();
        contents::update(&mut tx, &content).await?;
        // A new discussion's thread is known to the connector by its opener's id.
        if content.kind == ContentKind::ThreadOpener
            && taken.is_none()
            && threads::get_many_by_foreign_with_activity(&mut tx, &content.source_id, &[foreign_id.as_str()])
                .await?
                .is_empty()
            && let Some(mut thread) = threads::get(&mut tx, &content.thread_id).await?
            && thread.foreign_id.is_none()
        {
            thread.foreign_id = Some(foreign_id);
            thread.updated_at = content.updated_at;
            threads::update(&mut tx, &thread).await?;
        }
        events::append(&mut tx, company, vec![Event::ContentExported(snapshot(&content))]);
        tx.commit().await?;
        Ok(JobOutcome::Done)
    }

    async fn export_failed(
        &self,
        company: &CompanyId,
        id: &ContentId,
        attempts: i32,
        error: String,
        last: bool,
    ) -> Result<JobOutcome> {
        let mut tx = self.store.begin().await?;
        let Some(mut content) = contents::get(&mut tx, company, id).await? else { return Ok(JobOutcome::Done) };
        let status = if last { ExportStatus::Failed } else { ExportStatus::Pending };
        content.export = Some(Export { status, attempts, last_error: Some(error.clone()) });
        content.updated_at = Timestamp::now();
        contents::update(&mut tx, &content).await?;
        if last {
            let failed = ContentFailed { content: snapshot(&content), error: error.clone() };
            events::append(&mut tx, company, vec![Event::ContentExportFailed(failed)]);
        }
        tx.commit().await?;
        Ok(if last {
            JobOutcome::Fatal { error }
        } else {
            JobOutcome::Failed { error, retry_in: self.sdk.connector.options.retry_delay }
        })
    }

    /// Queues `action` on a content (`POST /v1/contents/{id}/actions/{action}`). Allowed only
    /// when the connector declares it for the collection and the item lists it.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id))]
    pub async fn request_action(
        &self,
        actor: &Actor,
        content_id: &ContentId,
        action: &str,
        user_id: &str,
    ) -> Result<()> {
        actor.require_admin("perform actions on contents")?;
        if user_id.trim().is_empty() {
            return Err(Error::invalid_field("user_id", "must not be empty"));
        }
        TextRule::ID.check("user_id", user_id)?;
        TextRule::LABEL.check("action", action)?;
        let mut tx = self.store.begin().await?;
        let content =
            contents::get(&mut tx, &actor.company_id, content_id).await?.ok_or(Error::NotFound(Resource::Content))?;
        let source = sources::get(&mut tx, &actor.company_id, &content.source_id)
            .await?
            .ok_or(Error::NotFound(Resource::Source))?;
        let collection = collection(content.kind);
        let caps = &config(&source)?.capabilities;
        let declared = |a: &str| caps.declares(collection, a) && content.details.actions.iter().any(|x| x == a);
        // `delete` and `destroy` are one action under two names: send the connector's.
        let name = match action {
            "delete" | "destroy" => ["delete", "destroy"].into_iter().find(|a| declared(a)),
            a if NOT_ACTIONS.contains(&a) => None,
            a => Some(a).filter(|a| declared(a)),
        };
        let Some(name) = name else {
            return Err(Error::invalid(format!(
                "'{action}' is not an action the source allows on this content (it must be declared for {collection} and in the content's actions)"
            )));
        };
        if content.foreign_id.is_none() {
            return Err(Error::invalid("the content is not synchronised with its source yet"));
        }
        let job = ActionJob { content_id: content.id.clone(), action: name.to_owned(), user_id: user_id.to_owned() };
        jobs::enqueue(&mut tx, &NewJob::of(&job).for_company(actor.company_id.clone())).await?;
        tx.commit().await
    }

    /// Runs an `sdk.action` job: one attempt at `<collection>.<action>`.
    pub(crate) async fn perform_action(&self, job: &Job, payload: ActionJob) -> Result<JobOutcome> {
        let company = job_company(job)?;
        let ActionJob { content_id, action, user_id } = payload;
        let mut r = self.store.reader().await?;
        let Some(content) = contents::get(&mut r, &company, &content_id).await? else {
            return Ok(JobOutcome::Fatal { error: "the content no longer exists".into() });
        };
        let Some(source) = sources::get(&mut r, &company, &content.source_id).await? else {
            return Ok(JobOutcome::Fatal { error: "the source was deleted".into() });
        };
        drop(r);
        let foreign_id = content.foreign_id.clone().unwrap_or_default();
        let standard = matches!(action.as_str(), "delete" | "destroy" | "publish" | "unpublish");
        let params = item_params(&foreign_id, (!standard).then_some(("user_id", user_id.as_str())));
        let name = format!("{}.{action}", collection(content.kind));
        let result = self.sdk.connector.call(&source, &name, Some(&params)).await;
        let last = result.as_ref().err().is_some_and(|e| e.is_fatal()) || job.attempts >= job.max_attempts;
        if let Ok(reply) = &result {
            self.import_action_answer(&source, collection(content.kind), &reply.body).await;
        }
        let performed = ContentAction { content: snapshot(&content), action, user_id };
        let (event, outcome) = match result {
            Ok(_) => (Event::ContentActionPerformed(performed), JobOutcome::Done),
            Err(e) if last => {
                let error = format!("{name}: {e}");
                let failed = ContentActionFailed { action: performed, error: error.clone() };
                (Event::ContentActionFailed(failed), JobOutcome::Fatal { error })
            }
            Err(e) => {
                let retry_in = self.sdk.connector.options.retry_delay;
                return Ok(JobOutcome::Failed { error: format!("{name}: {e}"), retry_in });
            }
        };
        let mut tx = self.store.begin().await?;
        events::append(&mut tx, &company, vec![event]);
        tx.commit().await?;
        Ok(outcome)
    }

    /// An action's answer is the whole item as it now is (new `actions`, a changed body…):
    /// imported like a listed item. Answers that are not a full item (`{"id"}` only) change
    /// nothing, and a failure here does not undo the action the connector performed.
    async fn import_action_answer(&self, source: &Source, collection: &str, answer: &Value) {
        let Ok(caps) = config(source).map(|c| &c.capabilities) else { return };
        let Some(Ok(command)) = answer.as_object().map(|o| objects::parse_item(collection, o, caps)) else { return };
        let imported = async {
            let mut tx = self.store.begin().await?;
            import_in(&mut tx, source, &[command]).await?;
            tx.commit().await
        };
        if let Err(e) = imported.await {
            tracing::warn!(source = %source.id, error = %e, "cannot import an action's answer");
        }
    }

    /// Tells the connector where a waiting conversation stands in its queue. Sent only when the
    /// source declares `messaging.queuing_update`; returns whether it was delivered. A failure
    /// is logged and otherwise ignored: it must never hold up routing or synchronisation.
    pub async fn queuing_update(&self, source: &Source, update: &QueuingUpdate) -> bool {
        let Ok(sdk) = config(source) else { return false };
        if !sdk.capabilities.has_option("messaging.queuing_update") || sdk.base_uri.is_none() {
            return false;
        }
        let mut params = Map::new();
        params.insert("estimated_wait_time".into(), json!(update.estimated_wait_time));
        params.insert("position".into(), json!(update.position));
        if let Some(t) = &update.thread_id {
            params.insert("thread_id".into(), json!(t));
        }
        if let Some(r) = &update.in_reply_to_id {
            params.insert("in_reply_to_id".into(), json!(r));
        }
        match self.sdk.connector.call(source, "messaging.queuing_update", Some(&Value::Object(params))).await {
            Ok(_) => true,
            Err(e) => {
                tracing::warn!(source = %source.id, error = %e, "messaging.queuing_update was not delivered");
                false
            }
        }
    }
}

fn job_company(job: &Job) -> Result<CompanyId> {
    job.company_id.clone().ok_or_else(|| Error::Internal(format!("a {} job without a company", job.kind)))
}

/// The params of a request about one item (`id`, plus `user_id` for custom actions).
fn item_params(foreign_id: &str, extra: Option<(&str, &str)>) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), Value::String(foreign_id.to_owned()));
    if let Some((k, v)) = extra {
        m.insert(k.into(), Value::String(v.to_owned()));
    }
    Value::Object(m)
}

/// The attributes of `<collection>.create` (spec §4.5), ids given as the connector's.
async fn create_params(
    r: &mut impl switchboard_store::Conn,
    source: &Source,
    c: &Content,
    retry: bool,
) -> Result<Value> {
    let mut p = Map::new();
    let mut put = |k: &str, v: Value| {
        if !v.is_null() {
            p.insert(k.to_owned(), v);
        }
    };
    put("content_id", json!(c.id));
    put("retry", json!(retry));
    put("body", json!(c.body));
    put("format", json!(c.format.as_str()));
    put("created_at", json!(c.created_at.to_rfc3339_millis()));
    put("updated_at", json!(c.updated_at.to_rfc3339_millis()));
    put("sender_name", json!(c.details.sender_name));
    if !c.attachments.is_empty() {
        put("attachments", json!(c.attachments));
    }
    put("structured_content", json!(c.structured_content));
    if let Some(author) = &c.author_identity_id {
        put("author_id", json!(identities::get(r, &c.company_id, author).await?.map(|i| i.foreign_id)));
    }
    match c.kind {
        ContentKind::ThreadOpener => put("title", json!(c.details.title)),
        ContentKind::Message | ContentKind::PrivateMessage => {
            if let Some(parent) = &c.in_reply_to_id {
                put("in_reply_to_id", json!(contents::get(r, &c.company_id, parent).await?.and_then(|p| p.foreign_id)));
            }
            if c.kind == ContentKind::PrivateMessage {
                if let Some(recipient) = &c.recipient_identity_id {
                    put(
                        "recipient_id",
                        json!(identities::get(r, &c.company_id, recipient).await?.map(|i| i.foreign_id)),
                    );
                }
            } else if !config(source)?.capabilities.unthreaded() {
                put("thread_id", json!(threads::get(r, &c.thread_id).await?.and_then(|t| t.foreign_id)));
            }
        }
    }
    Ok(Value::Object(p))
}
