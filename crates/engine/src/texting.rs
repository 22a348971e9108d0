//! Texting as the RingPlan API offers it: numbers (SMS sources), texting contacts (identities
//! with a number), conversations (threads of a number) and messages (contents), in the shapes
//! of seeds/003 that the `texting.*` events carry too. The SMS channel stores and sends
//! (`channels::sms`); this module reads, publishes and manages.

use switchboard_domain::conversation::{Content, Direction, ExportStatus, Identity, IdentityProfile, Thread};
use switchboard_domain::email::Email;
use switchboard_domain::event::{ContentSnapshot, Event, Origin};
use switchboard_domain::paging::{Page, Paged};
use switchboard_domain::source::{SmsConfig, SmsSetup, Source, SourceConfig, SourceDetails, SourceKind, SourceSetup};
use switchboard_domain::text::TextRule;
use switchboard_domain::texting::{
    PhoneNumber, TextContact, TextConversation, TextConversationDeleted, TextMessage, TextMessageDeleted,
    TextMessagesRead,
};
use switchboard_domain::user::Role;
use switchboard_domain::{CompanyId, ContentId, Error, IdentityId, Resource, Result, ThreadId, Timestamp};
use switchboard_store::{Conn, contents, events, identities, jobs, sources, texting, threads};

use crate::channels::Channel;
use crate::channels::sms::{self, NewText, SmsChannel};
use crate::{Actor, Engine};

/// Texts are written in UTC: Switchboard keeps no sender time zone.
const TIMEZONE: &str = "UTC";

/// Conversations a search answers at most.
const SEARCH_LIMIT: i64 = 100;

/// Who a new conversation is with: a texting contact, or a number (its contact is made if the
/// company has none).
#[derive(Debug, Clone)]
pub enum ContactRef {
    Id(IdentityId),
    Number(PhoneNumber),
}

/// A texting contact's writable fields.
#[derive(Debug, Clone, Default)]
pub struct ContactDetails {
    pub number: Option<PhoneNumber>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

impl ContactDetails {
    fn validate(&self) -> Result<()> {
        TextRule::NAME.check_opt("first_name", self.first_name.as_deref())?;
        TextRule::NAME.check_opt("last_name", self.last_name.as_deref())
    }
}

pub fn text_contact(i: &Identity) -> TextContact {
    TextContact {
        id: i.id.clone(),
        company_id: i.company_id.clone(),
        first_name: i.profile.first_name.clone(),
        last_name: i.profile.last_name.clone(),
        number: i.profile.mobile_phone.clone().unwrap_or_else(|| i.foreign_id.clone()),
    }
}

fn is_text(source: &Source) -> bool {
    source.kind() == SourceKind::Sms
}

fn sms(source: &Source) -> Result<&SmsConfig> {
    match &source.config {
        SourceConfig::Sms(c) => Ok(c),
        SourceConfig::Sdk(_) => Err(Error::NotFound(Resource::Source)),
    }
}

impl Engine {
    /// The seeds' Message of a text.
    pub(crate) fn text_message(&self, c: &Content) -> TextMessage {
        let (frm, to) = sms::numbers(c);
        let (success, status, error) = match &c.export {
            None => (Some(true), "received", None),
            Some(e) => match e.status {
                ExportStatus::Pending => (None, "queued", e.last_error.clone()),
                ExportStatus::Exported => (Some(true), "sent", None),
                ExportStatus::Failed => (Some(false), "failed", e.last_error.clone()),
            },
        };
        TextMessage {
            id: c.id.clone(),
            campaign_info: None,
            conversation_id: c.thread_id.clone(),
            conversation_type: "direct".into(),
            created_at: c.created_at.to_rfc3339_micros(),
            direction: c.direction.as_str().into(),
            files: Vec::new(),
            frm,
            is_read: c.read,
            is_visible: true,
            source_conversation_type: "direct".into(),
            stamp_id: sms::stamp_id(c),
            success,
            text: c.body.clone().unwrap_or_default(),
            timezone: TIMEZONE.into(),
            to,
            status: status.into(),
            error,
        }
    }

    /// The seeds' Conversation of a thread, its counters read now.
    pub(crate) async fn text_conversation(&self, c: &mut impl Conn, thread: &Thread) -> Result<TextConversation> {
        let number = thread.foreign_id.clone().unwrap_or_default();
        let contact = identities::get_by_sms_number(c, &thread.company_id, &number)
            .await?
            .ok_or_else(|| Error::Internal(format!("conversation {} has no contact", thread.id)))?;
        let source = sources::get(c, &thread.company_id, &thread.source_id).await?;
        let from_number = match source.as_ref().map(sms) {
            Some(Ok(config)) => config.number.to_string(),
            _ => String::new(),
        };
        let unread = contents::unread_in_thread(c, &thread.id).await?;
        let last = contents::last_of_thread(c, &thread.id).await?;
        let info = text_contact(&contact);
        Ok(TextConversation {
            id: thread.id.clone(),
            company_id: thread.company_id.clone(),
            contact_id: contact.id.clone(),
            contactsinfo: vec![info.clone()],
            contactinfo: info,
            conversation_type: "direct".into(),
            countunreadmessages: unread,
            from_number,
            has_direct_msg: true,
            has_hidden_msg: false,
            created_at: thread.created_at.to_rfc3339_micros(),
            last_message_created_at: last.as_ref().map(|m| m.created_at.to_rfc3339_micros()),
            lastmessage: last.as_ref().map(|m| Box::new(self.text_message(m))),
            recipients: vec![contact.id],
            timezone: TIMEZONE.into(),
            unread_msg_count: unread,
            updated_at: thread.updated_at.to_rfc3339_micros(),
        })
    }

    async fn conversations_of(&self, c: &mut impl Conn, list: &[Thread]) -> Result<Vec<TextConversation>> {
        let mut out = Vec::with_capacity(list.len());
        for t in list {
            out.push(self.text_conversation(c, t).await?);
        }
        Ok(out)
    }

    /// The company's text conversation with this id (a thread of one of its SMS sources).
    async fn text_thread(&self, c: &mut impl Conn, actor: &Actor, id: &ThreadId) -> Result<Thread> {
        let thread = threads::get_of(c, &actor.company_id, id).await?.ok_or(Error::NotFound(Resource::Thread))?;
        let source = sources::get(c, &actor.company_id, &thread.source_id).await?;
        if source.as_ref().is_some_and(is_text) { Ok(thread) } else { Err(Error::NotFound(Resource::Thread)) }
    }

    pub async fn list_text_conversations(&self, actor: &Actor, page: Page) -> Result<Paged<TextConversation>> {
        let mut r = self.store.reader().await?;
        let (list, total) = threads::page_of_sms(&mut r, &actor.company_id, page.offset(), page.limit()).await?;
        Ok(Paged { items: self.conversations_of(&mut r, &list).await?, total, page })
    }

    /// The company's conversations whose messages match `text` (full-text, prefixes too), the
    /// best match first.
    pub async fn search_text_conversations(&self, actor: &Actor, text: &str) -> Result<Vec<TextConversation>> {
        TextRule::LABEL.check("text", text)?;
        let mut r = self.store.reader().await?;
        let ranked = texting::search(&mut r, &actor.company_id, text, SEARCH_LIMIT).await?;
        let ids: Vec<&str> = ranked.iter().map(ThreadId::as_str).collect();
        let mut found = threads::get_many(&mut r, &actor.company_id, &ids).await?;
        found.sort_by_key(|t| ranked.iter().position(|id| *id == t.id));
        self.conversations_of(&mut r, &found).await
    }

    /// The conversation between the company's number `from` and the contact: the existing one
    /// (false) or a new one (true).
    #[tracing::instrument(skip_all, fields(company = %actor.company_id))]
    pub async fn start_text_conversation(
        &self,
        actor: &Actor,
        from: &PhoneNumber,
        with: ContactRef,
    ) -> Result<(TextConversation, bool)> {
        let company = &actor.company_id;
        let mut tx = self.store.begin().await?;
        let source = sources::get_by_sms_number(&mut tx, from)
            .await?
            .filter(|s| s.company_id == *company)
            .ok_or(Error::NotFound(Resource::Source))?;
        let mut events = Vec::new();
        let contact = match with {
            ContactRef::Id(id) => texting_contact(&mut tx, company, &id).await?,
            ContactRef::Number(n) => self.contact_of(&mut tx, company, &source, &n, &mut events).await?.0,
        };
        let number = text_contact(&contact).number;
        let (thread, created) = self.conversation_of(&mut tx, &source, &number, &mut events).await?;
        let conversation = self.text_conversation(&mut tx, &thread).await?;
        if created {
            events.push(Event::TextingChatNew(conversation.clone()));
        }
        events::append(&mut tx, company, events);
        tx.commit().await?;
        Ok((conversation, created))
    }

    /// Deletes a conversation with its messages.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id))]
    pub async fn delete_text_conversation(&self, actor: &Actor, id: &ThreadId) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let thread = self.text_thread(&mut tx, actor, id).await?;
        texting::unindex_thread(&mut tx, &thread.id).await?;
        contents::delete_thread_contents(&mut tx, &thread.id).await?;
        threads::delete(&mut tx, &actor.company_id, &thread.id).await?;
        events::append(
            &mut tx,
            &actor.company_id,
            vec![Event::TextingChatDelete(TextConversationDeleted { id: thread.id })],
        );
        tx.commit().await
    }

    pub async fn list_text_messages(&self, actor: &Actor, id: &ThreadId, page: Page) -> Result<Paged<TextMessage>> {
        let mut r = self.store.reader().await?;
        let thread = self.text_thread(&mut r, actor, id).await?;
        let (items, total) =
            contents::page_of_thread(&mut r, &actor.company_id, &thread.id, page.offset(), page.limit()).await?;
        Ok(Paged { items: items.iter().map(|c| self.text_message(c)).collect(), total, page })
    }

    /// Marks messages of a conversation read (or unread). Every id must be one of its messages,
    /// or nothing changes (`NotFound`).
    #[tracing::instrument(skip_all, fields(company = %actor.company_id))]
    pub async fn mark_texts_read(
        &self,
        actor: &Actor,
        id: &ThreadId,
        ids: &[ContentId],
        read: bool,
    ) -> Result<Vec<TextMessage>> {
        let mut tx = self.store.begin().await?;
        let thread = self.text_thread(&mut tx, actor, id).await?;
        let wanted: Vec<&str> = ids.iter().map(ContentId::as_str).collect();
        let found = contents::get_many_in_thread(&mut tx, &actor.company_id, &thread.id, &wanted).await?;
        if wanted.iter().any(|w| !found.iter().any(|c| c.id.as_str() == *w)) {
            return Err(Error::NotFound(Resource::Content));
        }
        let changed = contents::set_read(&mut tx, &thread.id, &wanted, read).await?;
        if read && !changed.is_empty() {
            let notice = TextMessagesRead {
                conversation_id: thread.id.clone(),
                messages_ids: changed,
                timezone: TIMEZONE.into(),
            };
            events::append(&mut tx, &actor.company_id, vec![Event::TextingMessagesRead(notice)]);
        }
        let now = contents::get_many_in_thread(&mut tx, &actor.company_id, &thread.id, &wanted).await?;
        tx.commit().await?;
        Ok(now.iter().map(|c| self.text_message(c)).collect())
    }

    /// Sends a text in a conversation: stored at once (`queued`), sent by the number's carrier
    /// in its turn. A `stamp_id` already used on the number gives back the message it made
    /// (false) instead of a second one. Refused, with nothing sent, when the contact opted out.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id))]
    pub async fn publish_text(
        &self,
        actor: &Actor,
        id: &ThreadId,
        text: &str,
        stamp_id: Option<&str>,
    ) -> Result<(TextMessage, bool)> {
        let text = text.trim_end();
        if text.trim().is_empty() {
            return Err(Error::invalid_field("text", "must not be empty"));
        }
        TextRule::BODY.check("text", text)?;
        if let Some(stamp) = stamp_id {
            TextRule::ID.check("stamp_id", stamp)?;
        }
        let company = &actor.company_id;
        let mut tx = self.store.begin().await?;
        let thread = self.text_thread(&mut tx, actor, id).await?;
        let source = sources::get_for_update(&mut tx, company, &thread.source_id)
            .await?
            .ok_or_else(|| Error::Conflict("the conversation's number was removed".into()))?;
        if let Some(stamp) = stamp_id
            && let Some(known) = contents::get_by_stamp(&mut tx, &source.id, stamp).await?
        {
            if known.thread_id != thread.id {
                return Err(Error::Conflict(format!(
                    "stamp_id '{stamp}' was already used for a message of another conversation of this number"
                )));
            }
            return Ok((self.text_message(&known), false));
        }
        let number = thread.foreign_id.clone().unwrap_or_default();
        let contact = identities::get_by_sms_number(&mut tx, company, &number)
            .await?
            .ok_or_else(|| Error::Internal(format!("conversation {} has no contact", thread.id)))?;
        if texting::opted_out(&mut tx, &source.id, &contact.id).await? {
            return Err(Error::Conflict(format!(
                "{number} opted out (STOP) of messages from this number; nothing was sent. It opts back in by texting START."
            )));
        }
        let ours = sms(&source)?.number.to_string();
        let new = NewText {
            company,
            source: &source,
            thread: &thread.id,
            contact: &contact.id,
            direction: Direction::Outbound,
            from: &ours,
            to: &number,
            text: text.to_owned(),
            foreign_id: None,
            stamp_id: stamp_id.map(str::to_owned),
            author_user: Some(actor.user.id.clone()),
        };
        let content = self.store_text(&mut tx, new).await?;
        let message = self.text_message(&content);
        let snapshot = ContentSnapshot::new(&content, SourceKind::Sms, Origin::Agent, false);
        events::append(
            &mut tx,
            company,
            vec![Event::ContentReplied(snapshot), Event::TextingMessageNew(message.clone())],
        );
        let job = SmsChannel::new(&source).delivery(&mut tx, &content).await?;
        jobs::enqueue(&mut tx, &job).await?;
        tx.commit().await?;
        Ok((message, true))
    }

    /// Deletes messages of a conversation. Every id must be one of its messages, or nothing is
    /// deleted (`NotFound`).
    #[tracing::instrument(skip_all, fields(company = %actor.company_id))]
    pub async fn delete_texts(&self, actor: &Actor, id: &ThreadId, ids: &[ContentId]) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let thread = self.text_thread(&mut tx, actor, id).await?;
        let wanted: Vec<&str> = ids.iter().map(ContentId::as_str).collect();
        let found = contents::get_many_in_thread(&mut tx, &actor.company_id, &thread.id, &wanted).await?;
        if wanted.is_empty() || wanted.iter().any(|w| !found.iter().any(|c| c.id.as_str() == *w)) {
            return Err(Error::NotFound(Resource::Content));
        }
        texting::unindex(&mut tx, &wanted).await?;
        contents::delete_in_thread(&mut tx, &thread.id, &wanted).await?;
        let deleted = found
            .iter()
            .map(|c| {
                Event::TextingMessageDelete(TextMessageDeleted { id: c.id.clone(), conversation_id: thread.id.clone() })
            })
            .collect();
        events::append(&mut tx, &actor.company_id, deleted);
        tx.commit().await
    }

    /// Adds a texting contact; the company's contact of that number if it has one (false).
    #[tracing::instrument(skip_all, fields(company = %actor.company_id))]
    pub async fn create_text_contact(&self, actor: &Actor, details: ContactDetails) -> Result<(TextContact, bool)> {
        details.validate()?;
        let number = details.number.clone().ok_or_else(|| Error::invalid_field("number", "is required"))?;
        let company = &actor.company_id;
        let mut tx = self.store.begin().await?;
        if let Some(found) = identities::get_by_sms_number(&mut tx, company, number.as_str()).await? {
            return Ok((text_contact(&found), false));
        }
        let source = sources::list_sms(&mut tx, company).await?.into_iter().next().ok_or_else(|| {
            Error::Conflict("the company has no texting number yet: add one before texting contacts".into())
        })?;
        let mut events = Vec::new();
        let (mut contact, _) = self.contact_of(&mut tx, company, &source, &number, &mut events).await?;
        contact.profile.first_name = details.first_name;
        contact.profile.last_name = details.last_name;
        identities::update_profile(&mut tx, &contact).await?;
        events.push(Event::IdentityUpdated((&contact).into()));
        events::append(&mut tx, company, events);
        tx.commit().await?;
        Ok((text_contact(&contact), true))
    }

    /// The company's texting contacts whose name or number holds `search` (case-insensitively).
    pub async fn text_contacts(&self, actor: &Actor, search: Option<&str>) -> Result<Vec<TextContact>> {
        let all = identities::list_sms(&mut self.store.reader().await?, &actor.company_id).await?;
        let needle = search.map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty());
        Ok(all
            .iter()
            .map(text_contact)
            .filter(|c| {
                needle.as_ref().is_none_or(|n| {
                    [c.first_name.as_deref(), c.last_name.as_deref(), Some(c.number.as_str())]
                        .into_iter()
                        .flatten()
                        .any(|v| v.to_lowercase().contains(n.as_str()))
                })
            })
            .collect())
    }

    pub async fn text_contact(&self, actor: &Actor, id: &IdentityId) -> Result<TextContact> {
        Ok(text_contact(&texting_contact(&mut self.store.reader().await?, &actor.company_id, id).await?))
    }

    /// Replaces a texting contact's name and number.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id))]
    pub async fn replace_text_contact(
        &self,
        actor: &Actor,
        id: &IdentityId,
        details: ContactDetails,
    ) -> Result<TextContact> {
        details.validate()?;
        let company = &actor.company_id;
        let mut tx = self.store.begin().await?;
        let mut contact = texting_contact(&mut tx, company, id).await?;
        let current = text_contact(&contact).number;
        if let Some(number) = &details.number
            && current != number.as_str()
        {
            if identities::get_by_sms_number(&mut tx, company, number.as_str()).await?.is_some() {
                return Err(Error::Conflict(format!("another texting contact has the number {number}")));
            }
            // Conversations are kept by the contact's number: a contact that has some keeps it.
            if threads::exists_with_foreign(&mut tx, company, &current).await? {
                return Err(Error::Conflict(format!(
                    "{current} has conversations: its number cannot change (add a contact for {number})"
                )));
            }
            identities::set_sms_number(&mut tx, &contact.id, number.as_str()).await?;
            contact.profile.mobile_phone = Some(number.to_string());
        }
        contact.profile =
            IdentityProfile { first_name: details.first_name, last_name: details.last_name, ..contact.profile };
        contact.updated_at = Timestamp::now();
        identities::update_profile(&mut tx, &contact).await?;
        events::append(&mut tx, company, vec![Event::IdentityUpdated((&contact).into())]);
        tx.commit().await?;
        Ok(text_contact(&contact))
    }

    /// The texting numbers the acting user owns; the primary user sees them all.
    pub async fn texting_numbers(&self, actor: &Actor) -> Result<Vec<Source>> {
        let all = sources::list_sms(&mut self.store.reader().await?, &actor.company_id).await?;
        if actor.user.role == Role::Primary {
            return Ok(all);
        }
        Ok(all
            .into_iter()
            .filter(|s| actor.user.email.as_ref().is_some_and(|e| sms(s).is_ok_and(|c| c.owned_by(e))))
            .collect())
    }

    /// The company's texting number.
    pub async fn texting_number(&self, actor: &Actor, number: &PhoneNumber) -> Result<Source> {
        sources::get_by_sms_number(&mut self.store.reader().await?, number)
            .await?
            .filter(|s| s.company_id == actor.company_id)
            .ok_or(Error::NotFound(Resource::Source))
    }

    /// Sets the emails that own a number.
    pub async fn set_number_owners(&self, actor: &Actor, number: &PhoneNumber, owners: Vec<Email>) -> Result<Source> {
        let source = self.texting_number(actor, number).await?;
        self.update_source(actor, &source.id, |current| {
            let mut setup = sms(current)?.setup();
            setup.owners = owners.clone();
            Ok(SourceDetails { name: current.name.clone(), setup: SourceSetup::Sms(setup) })
        })
        .await
    }

    /// Adds a number to the company. A number belongs to one company of the installation.
    pub async fn add_texting_number(&self, actor: &Actor, name: String, setup: SmsSetup) -> Result<Source> {
        actor.require_admin("add texting numbers")?;
        if sources::get_by_sms_number(&mut self.store.reader().await?, &setup.number).await?.is_some() {
            return Err(Error::Conflict(format!("the number {} is already in use", setup.number)));
        }
        self.create_source(actor, SourceDetails { name, setup: SourceSetup::Sms(setup) }).await
    }

    /// Changes a number's settings (its number stays).
    pub async fn update_texting_number(
        &self,
        actor: &Actor,
        number: &PhoneNumber,
        change: impl Fn(&Source, &SmsConfig) -> Result<SourceDetails>,
    ) -> Result<Source> {
        let source = self.texting_number(actor, number).await?;
        self.update_source(actor, &source.id, |current| change(current, sms(current)?)).await
    }

    /// Removes a number; its conversations stay readable.
    pub async fn remove_texting_number(&self, actor: &Actor, number: &PhoneNumber) -> Result<()> {
        let source = self.texting_number(actor, number).await?;
        self.delete_source(actor, &source.id).await
    }
}

/// The company's texting contact with this id: an identity that is its company's contact of its
/// number (identities of other channels are not).
async fn texting_contact(c: &mut impl Conn, company: &CompanyId, id: &IdentityId) -> Result<Identity> {
    let found = identities::get(c, company, id).await?.ok_or(Error::NotFound(Resource::Identity))?;
    let number = found.profile.mobile_phone.clone().unwrap_or_default();
    match identities::get_by_sms_number(c, company, &number).await? {
        Some(contact) if contact.id == found.id => Ok(contact),
        _ => Err(Error::NotFound(Resource::Identity)),
    }
}
