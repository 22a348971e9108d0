//! Reading conversations and writing agent replies (the Advanced Messaging use cases).

use serde_json::json;
use switchboard_domain::conversation::{
    BodyFormat, Content, ContentDetails, ContentKind, Direction, Export, ExportStatus, Identity, Thread, ThreadDetails,
};
use switchboard_domain::event::NewEvent;
use switchboard_domain::job::NewJob;
use switchboard_domain::paging::Keyset;
use switchboard_domain::source::Source;
use switchboard_domain::{ContentId, Error, IdentityId, Resource, Result, SourceId, ThreadId, Timestamp};
use switchboard_store::{Tx, contents, events, identities, jobs, sources, threads};

use crate::sdk::objects::MAX_BODY_CHARS;
use crate::{Actor, Engine, snapshot};

/// The job kind that exports an outbound content to its connector.
pub const EXPORT_JOB: &str = "sdk.export";
/// Attempts at exporting a content, in all (the Channel SDK's documented budget).
pub const EXPORT_ATTEMPTS: i32 = 3;

/// A page of a newest-first list and where the next one starts.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Keyset>,
}

fn page<T>(mut items: Vec<T>, limit: usize, key: impl Fn(&T) -> Keyset) -> Page<T> {
    let next = (items.len() > limit).then(|| {
        items.truncate(limit);
        items.last().map(&key)
    });
    Page { next: next.flatten(), items }
}

/// An agent's message: a reply to a content, or the start of a new discussion on a source.
#[derive(Debug, Clone, Default)]
pub struct Compose {
    pub body: String,
    pub in_reply_to: Option<ContentId>,
    pub source_id: Option<SourceId>,
    pub author_identity_id: Option<IdentityId>,
}

impl Engine {
    pub async fn list_contents(
        &self,
        actor: &Actor,
        source: Option<&SourceId>,
        after: Option<Keyset>,
        limit: usize,
    ) -> Result<Page<Content>> {
        let after = after.unwrap_or(Keyset::START);
        let items =
            contents::list(&mut self.store.reader().await?, &actor.company_id, source, &after, limit as i64 + 1)
                .await?;
        Ok(page(items, limit, |c| Keyset { created_at: c.created_at.as_micros(), id: c.id.to_string() }))
    }

    pub async fn content(&self, actor: &Actor, id: &ContentId) -> Result<Content> {
        contents::get(&mut self.store.reader().await?, &actor.company_id, id)
            .await?
            .ok_or(Error::NotFound(Resource::Content))
    }

    pub async fn list_identities(&self, actor: &Actor, after: Option<Keyset>, limit: usize) -> Result<Page<Identity>> {
        let after = after.unwrap_or(Keyset::START);
        let items =
            identities::list(&mut self.store.reader().await?, &actor.company_id, &after, limit as i64 + 1).await?;
        Ok(page(items, limit, |i| Keyset { created_at: i.created_at.as_micros(), id: i.id.to_string() }))
    }

    pub async fn identity(&self, actor: &Actor, id: &IdentityId) -> Result<Identity> {
        identities::get(&mut self.store.reader().await?, &actor.company_id, id)
            .await?
            .ok_or(Error::NotFound(Resource::Identity))
    }

    /// Stores an agent's message as outbound content waiting for export, and queues its export.
    pub async fn compose(&self, actor: &Actor, c: Compose) -> Result<Content> {
        let body = c.body.trim_end().to_owned();
        if body.is_empty() {
            return Err(Error::invalid("'body' must not be empty"));
        }
        if body.chars().count() > MAX_BODY_CHARS {
            return Err(Error::invalid(format!("'body' must be at most {MAX_BODY_CHARS} characters")));
        }
        let mut tx = self.store.begin().await?;
        let target = match &c.in_reply_to {
            Some(parent) => reply_target(&mut tx, actor, parent, c.source_id.as_ref()).await?,
            None => {
                let source_id = c.source_id.as_ref().ok_or_else(|| {
                    Error::invalid("'sourceId' is required to start a discussion (or give 'inReplyToId' to reply)")
                })?;
                discussion_target(&mut tx, actor, source_id).await?
            }
        };
        let author = match &c.author_identity_id {
            Some(id) => {
                let identity = identities::get(&mut tx, &actor.company_id, id)
                    .await?
                    .ok_or_else(|| Error::invalid(format!("'authorIdentityId' {id} does not exist")))?;
                if identity.source_id != target.source.id || !identity.profile.puppetizable {
                    return Err(Error::invalid(
                        "'authorIdentityId' must be a puppetizable identity of the content's source",
                    ));
                }
                Some(identity.id)
            }
            None => None,
        };
        let now = Timestamp::now();
        let thread_id = match target.thread {
            Some(t) => t,
            None => {
                let thread = Thread {
                    id: ThreadId::new(),
                    company_id: actor.company_id.clone(),
                    source_id: target.source.id.clone(),
                    foreign_id: None,
                    title: None,
                    details: ThreadDetails::default(),
                    created_at: now,
                    updated_at: now,
                };
                threads::insert(&mut tx, &thread).await?;
                events::append(
                    &mut tx,
                    &actor.company_id,
                    vec![NewEvent::new("thread.created", snapshot::thread(&thread))],
                );
                thread.id
            }
        };
        let sender = [actor.user.first_name.as_deref(), actor.user.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let content = Content {
            id: ContentId::new(),
            company_id: actor.company_id.clone(),
            source_id: target.source.id.clone(),
            thread_id,
            foreign_id: None,
            kind: target.kind,
            direction: Direction::Outbound,
            author_identity_id: author,
            recipient_identity_id: target.recipient,
            in_reply_to_id: c.in_reply_to.clone(),
            body: Some(body),
            format: if target.source.capabilities.has_option(&format!("{}.html", target.kind.collection())) {
                BodyFormat::Html
            } else {
                BodyFormat::Text
            },
            attachments: Vec::new(),
            structured_content: None,
            details: ContentDetails {
                author_user_id: Some(actor.user.id.clone()),
                sender_name: (!sender.is_empty()).then_some(sender),
                ..ContentDetails::default()
            },
            read: false,
            export: Some(Export { status: ExportStatus::Pending, attempts: 0, last_error: None }),
            created_at: now,
            updated_at: now,
        };
        contents::insert(&mut tx, &content).await?;
        let kind = if c.in_reply_to.is_some() { "content.replied" } else { "content.discussion_initiated" };
        events::append(
            &mut tx,
            &actor.company_id,
            vec![NewEvent::new(kind, snapshot::content(&content, "agent", target.new_discussion))],
        );
        let job = NewJob::new(EXPORT_JOB, json!({"content_id": content.id}))
            .for_company(actor.company_id.clone())
            .max_attempts(EXPORT_ATTEMPTS);
        jobs::enqueue(&mut tx, &job).await?;
        tx.commit().await?;
        Ok(content)
    }
}

struct Target {
    source: Source,
    kind: ContentKind,
    thread: Option<ThreadId>,
    recipient: Option<IdentityId>,
    new_discussion: bool,
}

async fn live_source(tx: &mut Tx<'_>, actor: &Actor, id: &SourceId) -> Result<Source> {
    sources::get(tx, &actor.company_id, id).await?.ok_or_else(|| Error::invalid(format!("source {id} does not exist")))
}

/// A reply goes where its parent is, through the collection of its kind.
async fn reply_target(
    tx: &mut Tx<'_>,
    actor: &Actor,
    parent: &ContentId,
    source_id: Option<&SourceId>,
) -> Result<Target> {
    let parent = contents::get(tx, &actor.company_id, parent)
        .await?
        .ok_or_else(|| Error::invalid(format!("'inReplyToId' {parent} does not exist")))?;
    if parent.foreign_id.is_none() {
        return Err(Error::invalid("the content replied to is not synchronized with its source yet"));
    }
    if source_id.is_some_and(|s| *s != parent.source_id) {
        return Err(Error::invalid("'sourceId' is not the source of the content replied to"));
    }
    let source = live_source(tx, actor, &parent.source_id).await?;
    let kind =
        if parent.kind == ContentKind::PrivateMessage { ContentKind::PrivateMessage } else { ContentKind::Message };
    let collection = kind.collection();
    if !source.capabilities.declares(collection, "create") {
        return Err(Error::invalid(format!(
            "source {} does not accept replies ({collection}.create is not implemented)",
            source.id
        )));
    }
    if source.capabilities.declares(collection, "reply") && !parent.details.actions.iter().any(|a| a == "reply") {
        return Err(Error::invalid("this content cannot be replied to (its source does not allow 'reply' on it)"));
    }
    let recipient = if kind == ContentKind::PrivateMessage { parent.author_identity_id.clone() } else { None };
    Ok(Target { source, kind, thread: Some(parent.thread_id), recipient, new_discussion: false })
}

/// A new discussion opens a thread where the source names threads, else a lone message.
async fn discussion_target(tx: &mut Tx<'_>, actor: &Actor, source_id: &SourceId) -> Result<Target> {
    let source = live_source(tx, actor, source_id).await?;
    let caps = &source.capabilities;
    let kind = if !caps.unthreaded() && caps.declares("threads", "create") {
        ContentKind::ThreadOpener
    } else if caps.unthreaded() && caps.declares("messages", "create") {
        ContentKind::Message
    } else {
        return Err(Error::invalid(format!("source {} does not support starting discussions", source.id)));
    };
    Ok(Target { source, kind, thread: None, recipient: None, new_discussion: true })
}
