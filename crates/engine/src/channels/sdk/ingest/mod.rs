//! Importing what a connector sends: the one code path behind the Send API and polling, so an
//! item creates the same rows and events whichever way it arrives, and never twice.
//!
//! Commands are applied in a [`Batch`]: many share one transaction. Every command reads and
//! checks what it needs before it writes anything, so a refused command leaves no trace and
//! needs no savepoint. What the commands look up is read in bulk up front ([`Lookups`]), and
//! their new contents are inserted together when the batch finishes, so a message that joins a
//! known thread costs no statement of its own.

mod lookups;

use std::time::Duration;

use switchboard_domain::conversation::{
    Content, ContentDetails, ContentKind, Direction, Identity, IdentityProfile, Thread, ThreadDetails,
};
use switchboard_domain::event::{ContentSnapshot, Event, Origin, Typing};
use switchboard_domain::source::Source;
use switchboard_domain::{CompanyId, ContentId, Error, IdentityId, Result, ThreadId, Timestamp};
use switchboard_store::{Tx, contents, events, identities, threads, typing};

use lookups::Lookups;

use super::objects::{Command, InboundContent, InboundOpener, InboundThread, InboundUser, TypingTarget};
use super::{invalid_resource, messages};

/// One `typing.start` per conversation in this window (a `typing.stop` ends it early).
pub const TYPING_WINDOW: Duration = Duration::from_secs(2);

/// Kinds a foreign id given without its collection (`in_reply_to_id`, `status.mark_as_read`)
/// is looked up as, in this order.
const ANY_KIND: [ContentKind; 3] = [ContentKind::Message, ContentKind::PrivateMessage, ContentKind::ThreadOpener];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// Commands applied together in one transaction. Nothing reaches the transaction's event log
/// until [`Batch::finish`], which also inserts the batch's new contents.
pub struct Batch<'t, 'c> {
    tx: &'t mut Tx<'c>,
    lookups: Lookups,
    events: Vec<(CompanyId, Vec<Event>)>,
}

impl<'t, 'c> Batch<'t, 'c> {
    /// Starts a batch for `commands`, reading in bulk what they will look up.
    pub async fn begin(tx: &'t mut Tx<'c>, commands: &[(&Source, &Command)]) -> Result<Self> {
        let lookups = Lookups::prefetch(tx, commands).await?;
        Ok(Self { tx, lookups, events: Vec::new() })
    }

    /// Applies `command` for `source`. A refused command (a validation error) has changed
    /// nothing; any other error leaves the transaction unusable.
    pub async fn apply(&mut self, source: &Source, command: Command, origin: Origin) -> Result<Outcome> {
        let mut ctx = Ctx { source, origin, now: Timestamp::now(), events: Vec::new(), lookups: &mut self.lookups };
        let tx = &mut *self.tx;
        let outcome = match command {
            Command::Content(c) => ctx.content(tx, *c).await?,
            Command::Thread(t) => ctx.thread(tx, *t).await?,
            Command::User(u) => {
                let existing = ctx.lookups.identity(tx, &source.id, &u.foreign_id).await?;
                ctx.save_identity(tx, &u, existing).await?.1
            }
            Command::MarkAsRead { foreign_id } => ctx.mark_as_read(tx, &foreign_id).await?,
            Command::TypingStart { target, preview } => ctx.typing(tx, target, Some(preview)).await?,
            Command::TypingStop { target } => ctx.typing(tx, target, None).await?,
        };
        self.events.push((source.company_id.clone(), ctx.events));
        Ok(outcome)
    }

    /// Inserts the new contents and appends the events. If another writer imported one of the
    /// contents meanwhile, this fails with a conflict and the batch must be applied again, in a
    /// new transaction, where the lookups will see it.
    pub async fn finish(self) -> Result<()> {
        let inserted = contents::insert_many(self.tx, &self.lookups.pending).await?;
        if inserted.len() != self.lookups.pending.len() {
            return Err(Error::Conflict("a content of this batch was imported concurrently".into()));
        }
        for (company, events) in self.events {
            events::append(self.tx, &company, events);
        }
        Ok(())
    }
}

struct Ctx<'a> {
    source: &'a Source,
    origin: Origin,
    now: Timestamp,
    events: Vec<Event>,
    lookups: &'a mut Lookups,
}

impl Ctx<'_> {
    fn snapshot(&self, c: &Content, first_in_thread: bool) -> ContentSnapshot {
        ContentSnapshot::new(c, self.source.kind(), self.origin, first_in_thread)
    }

    /// Creates the identity, or brings `existing` up to date with what this import says.
    async fn save_identity(
        &mut self,
        tx: &mut Tx<'_>,
        user: &InboundUser,
        existing: Option<Identity>,
    ) -> Result<(Identity, Outcome)> {
        let mut existing = existing;
        for _ in 0..2 {
            if let Some(mut identity) = existing.take() {
                if !user.merge_into(&mut identity.profile) {
                    return Ok((identity, Outcome::Unchanged));
                }
                identity.updated_at = self.now;
                identities::update_profile(tx, &identity).await?;
                self.lookups.saw_identity(&identity);
                self.events.push(Event::IdentityUpdated((&identity).into()));
                return Ok((identity, Outcome::Updated));
            }
            let mut profile = IdentityProfile::default();
            user.merge_into(&mut profile);
            let identity = Identity {
                id: IdentityId::new(),
                company_id: self.source.company_id.clone(),
                source_id: self.source.id.clone(),
                foreign_id: user.foreign_id.clone(),
                profile,
                created_at: self.now,
                updated_at: self.now,
            };
            if identities::insert(tx, &identity).await? {
                self.lookups.saw_identity(&identity);
                self.events.push(Event::IdentityCreated((&identity).into()));
                return Ok((identity, Outcome::Created));
            }
            // Another node imported it between our read and our insert: merge into theirs.
            existing = identities::get_many_by_foreign(tx, &self.source.id, &[&user.foreign_id]).await?.pop();
        }
        Err(Error::Internal(format!("identity {} could not be read back", user.foreign_id)))
    }

    async fn insert_thread(
        &mut self,
        tx: &mut Tx<'_>,
        foreign_id: Option<String>,
        title: Option<String>,
        details: ThreadDetails,
    ) -> Result<Option<Thread>> {
        let thread = Thread {
            id: ThreadId::new(),
            company_id: self.source.company_id.clone(),
            source_id: self.source.id.clone(),
            foreign_id,
            title,
            details,
            created_at: self.now,
            updated_at: self.now,
        };
        if threads::insert(tx, &thread).await? {
            self.lookups.saw_thread(&thread);
            self.events.push(Event::ThreadCreated((&thread).into()));
            Ok(Some(thread))
        } else {
            Ok(None)
        }
    }

    /// The thread with this foreign id, created if new, and whether the next content is its
    /// first.
    async fn named_thread(&mut self, tx: &mut Tx<'_>, foreign_id: &str) -> Result<(ThreadId, bool)> {
        if let Some(t) = self.lookups.thread(tx, &self.source.id, foreign_id).await? {
            return Ok((t.id.clone(), !self.lookups.active.contains(&t.id)));
        }
        if let Some(t) = self.insert_thread(tx, Some(foreign_id.to_owned()), None, ThreadDetails::default()).await? {
            return Ok((t.id, true));
        }
        // Another node created it between our read and our insert.
        let raced = threads::get_many_by_foreign_with_activity(tx, &self.source.id, &[foreign_id]).await?.pop();
        let (t, has_contents) =
            raced.ok_or_else(|| Error::Internal(format!("thread {foreign_id} could not be read back")))?;
        self.lookups.saw_thread(&t);
        Ok((t.id, !has_contents))
    }

    async fn content(&mut self, tx: &mut Tx<'_>, c: InboundContent) -> Result<Outcome> {
        // Read and check everything first.
        let author = self.lookups.identity(tx, &self.source.id, &c.author.foreign_id).await?;
        if c.structured_content.is_some() {
            let mut profile = author.as_ref().map(|a| a.profile.clone()).unwrap_or_default();
            c.author.merge_into(&mut profile);
            if !profile.puppetizable {
                return Err(Error::invalid(messages::AUTHOR_NOT_PUPPETIZABLE));
            }
        }
        let parent = match &c.in_reply_to {
            Some(foreign) => {
                let mut kinds = vec![c.kind];
                kinds.extend(ANY_KIND.iter().filter(|k| **k != c.kind));
                Some(self.lookups.content(tx, &self.source.id, foreign, &kinds).await?.ok_or_else(|| {
                    invalid_resource(format!("'in_reply_to_id' {foreign} is not a known content of this source"))
                })?)
            }
            None => None,
        };
        let recipient = match &c.recipient {
            Some(r) => Some((r, self.lookups.identity(tx, &self.source.id, &r.foreign_id).await?)),
            None => None,
        };

        // Then write.
        let (author, _) = self.save_identity(tx, &c.author, author).await?;
        let recipient = match recipient {
            Some((r, existing)) => Some(self.save_identity(tx, r, existing).await?.0),
            None => None,
        };
        let (thread_id, first_in_thread) = match (&c.thread_foreign_id, &parent) {
            (Some(foreign), _) => self.named_thread(tx, foreign).await?,
            // Unthreaded sources and private messages: a reply joins its parent's conversation,
            // anything else starts one the channel does not name.
            (None, Some(p)) => (p.thread_id.clone(), false),
            (None, None) => {
                let t = self
                    .insert_thread(tx, None, None, ThreadDetails::default())
                    .await?
                    .ok_or_else(|| Error::Internal("an unnamed thread collided".into()))?;
                (t.id, true)
            }
        };
        let content = Content {
            id: ContentId::new(),
            company_id: self.source.company_id.clone(),
            source_id: self.source.id.clone(),
            thread_id,
            foreign_id: Some(c.foreign_id),
            kind: c.kind,
            direction: Direction::Inbound,
            author_identity_id: Some(author.id),
            recipient_identity_id: recipient.map(|r| r.id),
            in_reply_to_id: parent.map(|p| p.id),
            body: c.body,
            format: c.format,
            attachments: c.attachments,
            structured_content: c.structured_content,
            details: c.details,
            read: false,
            export: None,
            created_at: self.now,
            updated_at: self.now,
        };
        self.save_content(tx, content, first_in_thread).await
    }

    /// Queues a new content for the batch's insert, or brings an already imported one up to
    /// date.
    async fn save_content(&mut self, tx: &mut Tx<'_>, content: Content, first_in_thread: bool) -> Result<Outcome> {
        let foreign_id = content.foreign_id.as_deref().unwrap_or_default();
        let existing = match self.lookups.content(tx, &self.source.id, foreign_id, &[content.kind]).await? {
            Some(c) if c.kind == content.kind => c,
            _ => {
                self.events.push(Event::ContentImported(self.snapshot(&content, first_in_thread)));
                self.lookups.queue_insert(content);
                return Ok(Outcome::Created);
            }
        };
        let updated = Content {
            body: content.body,
            format: content.format,
            attachments: content.attachments,
            structured_content: content.structured_content,
            details: ContentDetails {
                author_user_id: existing.details.author_user_id.clone(),
                sender_name: existing.details.sender_name.clone(),
                ..content.details
            },
            ..existing.clone()
        };
        if updated == existing {
            return Ok(Outcome::Unchanged);
        }
        let updated = Content { updated_at: self.now, ..updated };
        self.lookups.update_content(tx, &updated).await?;
        self.events.push(Event::ContentUpdated(self.snapshot(&updated, false)));
        Ok(Outcome::Updated)
    }

    async fn thread(&mut self, tx: &mut Tx<'_>, t: InboundThread) -> Result<Outcome> {
        let existing = self.lookups.thread(tx, &self.source.id, &t.foreign_id).await?;
        let author = match &t.opener {
            Some(o) => Some(self.lookups.identity(tx, &self.source.id, &o.author.foreign_id).await?),
            None => None,
        };
        let (thread, mut outcome) = match existing {
            Some(mut thread) => {
                let before = thread.clone();
                if t.title.is_some() {
                    thread.title.clone_from(&t.title);
                }
                if t.details != ThreadDetails::default() {
                    thread.details = t.details.clone();
                }
                if thread == before {
                    (thread, Outcome::Unchanged)
                } else {
                    thread.updated_at = self.now;
                    threads::update(tx, &thread).await?;
                    self.lookups.saw_thread(&thread);
                    self.events.push(Event::ThreadUpdated((&thread).into()));
                    (thread, Outcome::Updated)
                }
            }
            None => match self.insert_thread(tx, Some(t.foreign_id.clone()), t.title.clone(), t.details.clone()).await?
            {
                Some(created) => (created, Outcome::Created),
                None => {
                    let raced =
                        threads::get_many_by_foreign_with_activity(tx, &self.source.id, &[&t.foreign_id]).await?.pop();
                    (
                        raced
                            .ok_or_else(|| Error::Internal(format!("thread {} could not be read back", t.foreign_id)))?
                            .0,
                        Outcome::Unchanged,
                    )
                }
            },
        };
        if let (Some(opener), Some(author)) = (t.opener, author) {
            let opened = self.opener(tx, &thread, t.foreign_id, opener, author).await?;
            if outcome == Outcome::Unchanged {
                outcome = opened;
            }
        }
        Ok(outcome)
    }

    async fn opener(
        &mut self,
        tx: &mut Tx<'_>,
        thread: &Thread,
        foreign_id: String,
        o: InboundOpener,
        author: Option<Identity>,
    ) -> Result<Outcome> {
        let (author, _) = self.save_identity(tx, &o.author, author).await?;
        let content = Content {
            id: ContentId::new(),
            company_id: self.source.company_id.clone(),
            source_id: self.source.id.clone(),
            thread_id: thread.id.clone(),
            foreign_id: Some(foreign_id),
            kind: ContentKind::ThreadOpener,
            direction: Direction::Inbound,
            author_identity_id: Some(author.id),
            recipient_identity_id: None,
            in_reply_to_id: None,
            body: o.body,
            format: o.format,
            attachments: o.attachments,
            structured_content: None,
            details: o.details,
            read: false,
            export: None,
            created_at: self.now,
            updated_at: self.now,
        };
        self.save_content(tx, content, true).await
    }

    async fn mark_as_read(&mut self, tx: &mut Tx<'_>, foreign_id: &str) -> Result<Outcome> {
        let mut content = self
            .lookups
            .content(tx, &self.source.id, foreign_id, &ANY_KIND)
            .await?
            .ok_or_else(|| invalid_resource(format!("'id' {foreign_id} is not a known content of this source")))?;
        if content.read {
            return Ok(Outcome::Unchanged);
        }
        content.read = true;
        content.updated_at = self.now;
        self.lookups.update_content(tx, &content).await?;
        self.events.push(Event::ContentRead((&content).into()));
        Ok(Outcome::Updated)
    }

    /// Typing is not stored, only announced; starts are rate limited per conversation. A
    /// conversation the channel names is keyed by that name whether or not it exists yet, so
    /// creating it between two starts does not reset the limit.
    async fn typing(&mut self, tx: &mut Tx<'_>, target: TypingTarget, preview: Option<String>) -> Result<Outcome> {
        let (key, thread_id, thread_foreign_id, in_reply_to) = match target {
            TypingTarget::Thread(f) => {
                let known = self.lookups.thread(tx, &self.source.id, &f).await?;
                (format!("thread:{f}"), known.map(|t| t.id), Some(f), None)
            }
            TypingTarget::InReplyTo(f) => {
                let thread = match self.lookups.content(tx, &self.source.id, &f, &ANY_KIND).await? {
                    Some(c) => threads::get(tx, &c.thread_id).await?,
                    None => None,
                };
                match thread {
                    Some(t) => {
                        let key =
                            t.foreign_id.as_ref().map_or_else(|| format!("id:{}", t.id), |tf| format!("thread:{tf}"));
                        (key, Some(t.id), t.foreign_id, Some(f))
                    }
                    None => (format!("reply:{f}"), None, None, Some(f)),
                }
            }
        };
        let typing = Typing {
            source_id: self.source.id.clone(),
            thread_id,
            thread_foreign_id,
            in_reply_to_id: in_reply_to,
            preview,
        };
        if typing.preview.is_some() {
            if !typing::try_start(tx, &self.source.id, &key, self.now, TYPING_WINDOW).await? {
                return Err(Error::RateLimited(messages::TOO_MANY_TYPING.into()));
            }
            self.events.push(Event::TypingStarted(typing));
        } else {
            typing::stop(tx, &self.source.id, &key).await?;
            self.events.push(Event::TypingStopped(typing));
        }
        Ok(Outcome::Unchanged)
    }
}
