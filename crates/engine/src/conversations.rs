//! Reading conversations and writing agent replies (the Advanced Messaging use cases).

use switchboard_domain::conversation::{
    Content, ContentDetails, Direction, Export, ExportStatus, Identity, Thread, ThreadDetails,
};
use switchboard_domain::event::{ContentSnapshot, Event, Origin};
use switchboard_domain::paging::Keyset;
use switchboard_domain::source::Source;
use switchboard_domain::text::TextRule;
use switchboard_domain::{ContentId, Error, IdentityId, Resource, Result, SourceId, ThreadId, Timestamp};
use switchboard_store::{Tx, contents, events, identities, jobs, sources, threads};

use crate::channels::{self, Channel};
use crate::{Actor, Engine};

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

    /// Stores an agent's message as outbound content waiting for delivery, and queues its
    /// delivery through the source's channel.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id))]
    pub async fn compose(&self, actor: &Actor, c: Compose) -> Result<Content> {
        let body = c.body.trim_end().to_owned();
        if body.is_empty() {
            return Err(Error::invalid_field("body", "must not be empty"));
        }
        TextRule::BODY.check("body", &body)?;
        let mut tx = self.store.begin().await?;
        let (source, parent) = match &c.in_reply_to {
            Some(parent) => {
                let parent = contents::get(&mut tx, &actor.company_id, parent)
                    .await?
                    .ok_or(Error::NotFound(Resource::Content))?;
                if c.source_id.as_ref().is_some_and(|s| *s != parent.source_id) {
                    return Err(Error::Conflict("'source_id' is not the source of the content replied to".into()));
                }
                (live_source(&mut tx, actor, &parent.source_id).await?, Some(parent))
            }
            None => {
                let source_id = c.source_id.as_ref().ok_or_else(|| {
                    Error::invalid_field("source_id", "is required to start a discussion (or reply to a content)")
                })?;
                (live_source(&mut tx, actor, source_id).await?, None)
            }
        };
        let channel = channels::of(&source);
        let outbound = match &parent {
            Some(p) => channel.reply_to(p)?,
            None => channel.start_conversation()?,
        };
        let author = match &c.author_identity_id {
            Some(id) => {
                let identity = identities::get(&mut tx, &actor.company_id, id)
                    .await?
                    .ok_or(Error::NotFound(Resource::Identity))?;
                if identity.source_id != source.id || !identity.profile.puppetizable {
                    return Err(Error::Conflict(
                        "'author_identity_id' must be a puppetizable identity of the content's source".into(),
                    ));
                }
                Some(identity.id)
            }
            None => None,
        };
        let now = Timestamp::now();
        let mut events = Vec::new();
        let thread_id = match &parent {
            Some(p) => p.thread_id.clone(),
            None => {
                let thread = Thread {
                    id: ThreadId::new(),
                    company_id: actor.company_id.clone(),
                    source_id: source.id.clone(),
                    foreign_id: None,
                    title: None,
                    details: ThreadDetails::default(),
                    created_at: now,
                    updated_at: now,
                };
                threads::insert(&mut tx, &thread).await?;
                events.push(Event::ThreadCreated((&thread).into()));
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
            source_id: source.id.clone(),
            thread_id,
            foreign_id: None,
            kind: outbound.kind,
            direction: Direction::Outbound,
            author_identity_id: author,
            recipient_identity_id: outbound.recipient,
            in_reply_to_id: c.in_reply_to.clone(),
            body: Some(body),
            format: outbound.format,
            attachments: Vec::new(),
            structured_content: None,
            details: ContentDetails {
                context_data: outbound.context_data.clone(),
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
        let snapshot = ContentSnapshot::new(&content, source.kind(), Origin::Agent, parent.is_none());
        events.push(match parent {
            Some(_) => Event::ContentReplied(snapshot),
            None => Event::ContentDiscussionInitiated(snapshot),
        });
        events::append(&mut tx, &actor.company_id, events);
        let job = channel.delivery(&mut tx, &content).await?;
        jobs::enqueue(&mut tx, &job).await?;
        tx.commit().await?;
        Ok(content)
    }
}

async fn live_source(tx: &mut Tx<'_>, actor: &Actor, id: &SourceId) -> Result<Source> {
    sources::get(tx, &actor.company_id, id).await?.ok_or(Error::NotFound(Resource::Source))
}
