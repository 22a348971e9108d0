//! Importing what a connector sends: the one code path behind the Send API and polling, so an
//! item creates the same rows and events whichever way it arrives, and never twice.

use std::time::Duration;

use serde_json::json;
use switchboard_domain::conversation::{Content, ContentKind, Direction, Identity, IdentityProfile, Thread, ThreadDetails};
use switchboard_domain::event::NewEvent;
use switchboard_domain::source::Source;
use switchboard_domain::{ContentId, Error, IdentityId, Result, ThreadId, Timestamp};
use switchboard_store::{Tx, contents, events, identities, threads, typing};

use super::objects::{Command, InboundContent, InboundOpener, InboundThread, InboundUser, TypingTarget};
use super::{invalid_resource, messages};
use crate::snapshot;

/// One `typing.start` per thread in this window (a `typing.stop` ends it early).
pub const TYPING_WINDOW: Duration = Duration::from_secs(2);

/// How an item reached Switchboard; events carry it as `created_from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    SendApi,
    Synchronizer,
}

impl Origin {
    fn as_str(self) -> &'static str {
        match self {
            Origin::SendApi => "send_api",
            Origin::Synchronizer => "synchronizer",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// Applies `command` for `source` inside `tx`, appending the events it raises.
pub async fn apply(tx: &mut Tx, source: &Source, command: Command, origin: Origin) -> Result<Outcome> {
    let mut ctx = Ctx { source, origin, now: Timestamp::now(), events: Vec::new() };
    let outcome = match command {
        Command::Content(c) => ctx.content(tx, *c).await?,
        Command::Thread(t) => ctx.thread(tx, *t).await?,
        Command::User(u) => ctx.identity(tx, &u).await?.1,
        Command::MarkAsRead { foreign_id } => ctx.mark_as_read(tx, &foreign_id).await?,
        Command::TypingStart { target, preview } => ctx.typing(tx, target, Some(preview)).await?,
        Command::TypingStop { target } => ctx.typing(tx, target, None).await?,
    };
    events::append(tx, &source.company_id, ctx.events);
    Ok(outcome)
}

struct Ctx<'a> {
    source: &'a Source,
    origin: Origin,
    now: Timestamp,
    events: Vec<NewEvent>,
}

impl Ctx<'_> {
    async fn identity(&mut self, tx: &mut Tx, user: &InboundUser) -> Result<(Identity, Outcome)> {
        for _ in 0..2 {
            if let Some(mut existing) = identities::get_by_foreign(tx, &self.source.id, &user.foreign_id).await? {
                if !user.merge_into(&mut existing.profile) {
                    return Ok((existing, Outcome::Unchanged));
                }
                existing.updated_at = self.now;
                identities::update_profile(tx, &existing).await?;
                self.events.push(NewEvent::new("identity.updated", snapshot::identity(&existing)));
                return Ok((existing, Outcome::Updated));
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
                self.events.push(NewEvent::new("identity.created", snapshot::identity(&identity)));
                return Ok((identity, Outcome::Created));
            }
            // Another node imported it between our read and our insert: merge into theirs.
        }
        Err(Error::Internal(format!("identity {} could not be read back", user.foreign_id)))
    }

    async fn new_thread(&mut self, tx: &mut Tx, foreign_id: Option<String>, title: Option<String>, details: ThreadDetails) -> Result<Option<Thread>> {
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
            self.events.push(NewEvent::new("thread.created", snapshot::thread(&thread)));
            Ok(Some(thread))
        } else {
            Ok(None)
        }
    }

    /// The thread with this foreign id, created if new. True when this call created it.
    async fn thread_by_foreign(&mut self, tx: &mut Tx, foreign_id: &str) -> Result<(Thread, bool)> {
        for _ in 0..2 {
            if let Some(t) = threads::get_by_foreign(tx, &self.source.id, foreign_id).await? {
                return Ok((t, false));
            }
            if let Some(t) = self.new_thread(tx, Some(foreign_id.to_owned()), None, ThreadDetails::default()).await? {
                return Ok((t, true));
            }
        }
        Err(Error::Internal(format!("thread {foreign_id} could not be read back")))
    }

    async fn content(&mut self, tx: &mut Tx, c: InboundContent) -> Result<Outcome> {
        let (author, _) = self.identity(tx, &c.author).await?;
        if c.structured_content.is_some() && !author.profile.puppetizable {
            return Err(Error::invalid(messages::AUTHOR_NOT_PUPPETIZABLE));
        }
        let recipient = match &c.recipient {
            Some(r) => Some(self.identity(tx, r).await?.0),
            None => None,
        };
        let parent = match &c.in_reply_to {
            Some(foreign) => Some(
                contents::find_by_foreign(tx, &self.source.id, foreign, &[c.kind, ContentKind::Message, ContentKind::ThreadOpener, ContentKind::PrivateMessage])
                    .await?
                    .ok_or_else(|| invalid_resource(format!("'in_reply_to_id' {foreign} is not a known content of this source")))?,
            ),
            None => None,
        };
        let (thread_id, new_thread) = match (&c.thread_foreign_id, &parent) {
            (Some(foreign), _) => {
                let (t, created) = self.thread_by_foreign(tx, foreign).await?;
                (t.id, created)
            }
            // Unthreaded sources and private messages: a reply joins its parent's conversation,
            // anything else starts one the channel does not name.
            (None, Some(p)) => (p.thread_id.clone(), false),
            (None, None) => {
                let t = self.new_thread(tx, None, None, ThreadDetails::default()).await?.ok_or_else(|| Error::Internal("unnamed thread collided".into()))?;
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
        self.store_content(tx, content, new_thread).await
    }

    /// Inserts a new content, or brings an already imported one up to date.
    async fn store_content(&mut self, tx: &mut Tx, content: Content, new_thread: bool) -> Result<Outcome> {
        let foreign_id = content.foreign_id.clone().unwrap_or_default();
        for _ in 0..2 {
            if let Some(existing) = contents::get_by_foreign(tx, &self.source.id, content.kind, &foreign_id).await? {
                let mut updated = existing.clone();
                updated.body.clone_from(&content.body);
                updated.format = content.format;
                updated.attachments.clone_from(&content.attachments);
                updated.structured_content.clone_from(&content.structured_content);
                updated.details = switchboard_domain::conversation::ContentDetails {
                    author_user_id: existing.details.author_user_id.clone(),
                    sender_name: existing.details.sender_name.clone(),
                    ..content.details.clone()
                };
                if updated == existing {
                    return Ok(Outcome::Unchanged);
                }
                updated.updated_at = self.now;
                contents::update(tx, &updated).await?;
                self.events.push(NewEvent::new("content.updated", snapshot::content(&updated, self.origin.as_str(), false)));
                return Ok(Outcome::Updated);
            }
            let first_in_thread = new_thread || !contents::thread_has_contents(tx, &content.thread_id).await?;
            if contents::insert(tx, &content).await? {
                self.events.push(NewEvent::new("content.imported", snapshot::content(&content, self.origin.as_str(), first_in_thread)));
                return Ok(Outcome::Created);
            }
        }
        Err(Error::Internal(format!("content {foreign_id} could not be read back")))
    }

    async fn thread(&mut self, tx: &mut Tx, t: InboundThread) -> Result<Outcome> {
        let (thread, mut outcome) = match threads::get_by_foreign(tx, &self.source.id, &t.foreign_id).await? {
            Some(mut existing) => {
                let before = existing.clone();
                if t.title.is_some() {
                    existing.title.clone_from(&t.title);
                }
                if t.details != ThreadDetails::default() {
                    existing.details = t.details.clone();
                }
                if existing == before {
                    (existing, Outcome::Unchanged)
                } else {
                    existing.updated_at = self.now;
                    threads::update(tx, &existing).await?;
                    self.events.push(NewEvent::new("thread.updated", snapshot::thread(&existing)));
                    (existing, Outcome::Updated)
                }
            }
            None => match self.new_thread(tx, Some(t.foreign_id.clone()), t.title.clone(), t.details.clone()).await? {
                Some(created) => (created, Outcome::Created),
                None => self.thread_by_foreign(tx, &t.foreign_id).await.map(|(th, _)| (th, Outcome::Unchanged))?,
            },
        };
        if let Some(opener) = t.opener {
            let opened = self.opener(tx, &thread, t.foreign_id, opener).await?;
            if outcome == Outcome::Unchanged {
                outcome = opened;
            }
        }
        Ok(outcome)
    }

    async fn opener(&mut self, tx: &mut Tx, thread: &Thread, foreign_id: String, o: InboundOpener) -> Result<Outcome> {
        let (author, _) = self.identity(tx, &o.author).await?;
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
        self.store_content(tx, content, true).await
    }

    async fn mark_as_read(&mut self, tx: &mut Tx, foreign_id: &str) -> Result<Outcome> {
        let mut content = contents::find_by_foreign(tx, &self.source.id, foreign_id, &[ContentKind::Message, ContentKind::PrivateMessage, ContentKind::ThreadOpener])
            .await?
            .ok_or_else(|| invalid_resource(format!("'id' {foreign_id} is not a known content of this source")))?;
        if content.read {
            return Ok(Outcome::Unchanged);
        }
        content.read = true;
        content.updated_at = self.now;
        contents::update(tx, &content).await?;
        self.events.push(NewEvent::new(
            "content.read",
            json!({"id": content.id, "source_id": content.source_id, "thread_id": content.thread_id, "foreign_id": content.foreign_id}),
        ));
        Ok(Outcome::Updated)
    }

    /// Typing is not stored, only announced; starts are rate limited per conversation.
    async fn typing(&mut self, tx: &mut Tx, target: TypingTarget, preview: Option<String>) -> Result<Outcome> {
        let (thread, thread_foreign_id, in_reply_to) = match &target {
            TypingTarget::Thread(f) => (threads::get_by_foreign(tx, &self.source.id, f).await?.map(|t| t.id), Some(f.clone()), None),
            TypingTarget::InReplyTo(f) => (
                contents::find_by_foreign(tx, &self.source.id, f, &[ContentKind::Message, ContentKind::PrivateMessage, ContentKind::ThreadOpener]).await?.map(|c| c.thread_id),
                None,
                Some(f.clone()),
            ),
        };
        // The conversation a known thread or content belongs to; otherwise what the connector
        // named (a conversation can show typing before its first message).
        let key = match (&thread, &target) {
            (Some(id), _) => id.to_string(),
            (None, TypingTarget::Thread(f)) => format!("thread:{f}"),
            (None, TypingTarget::InReplyTo(f)) => format!("reply:{f}"),
        };
        let payload = json!({"source_id": self.source.id, "thread_id": thread, "thread_foreign_id": thread_foreign_id, "in_reply_to_id": in_reply_to, "preview": preview});
        match preview {
            Some(_) => {
                if !typing::try_start(tx, &self.source.id, &key, self.now, TYPING_WINDOW).await? {
                    return Err(Error::RateLimited(messages::TOO_MANY_TYPING.into()));
                }
                self.events.push(NewEvent::new("typing.started", payload));
            }
            None => {
                typing::stop(tx, &self.source.id, &key).await?;
                self.events.push(NewEvent::new("typing.stopped", payload));
            }
        }
        Ok(Outcome::Unchanged)
    }
}
