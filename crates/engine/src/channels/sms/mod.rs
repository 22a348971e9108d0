//! SMS: a source of kind `sms` is one phone number of the company. An inbound text lands in the
//! core rows like any channel's content: the sender is the company's texting contact of that
//! number (an identity, shared by all the company's numbers), the conversation a thread of the
//! number whose foreign id is the contact's number, the text a content. Outbound texts are
//! queued as `sms.send` jobs at the number's rate and sent by its carrier ([`carriers`]).
//!
//! Opt-out, as carriers require: an inbound STOP (or a synonym) opts the contact out of the
//! number, START opts back in, HELP is answered with [`HELP_ANSWER`]; publishing to an opted-out
//! contact is refused and sends nothing.

pub mod carriers;

use serde::{Deserialize, Serialize};
use serde_json::json;
use switchboard_domain::conversation::{
    BodyFormat, Content, ContentDetails, ContentKind, Direction, Export, ExportStatus, Identity, IdentityProfile,
    Thread, ThreadDetails,
};
use switchboard_domain::event::{ContentFailed, ContentSnapshot, Event, Origin};
use switchboard_domain::job::{Job, JobOutcome, JobPayload, NewJob};
use switchboard_domain::source::sms::CarrierKind;
use switchboard_domain::source::{SmsConfig, Source, SourceConfig, SourceKind};
use switchboard_domain::texting::{Keyword, PhoneNumber};
use switchboard_domain::{CompanyId, ContentId, Error, IdentityId, Resource, Result, ThreadId, Timestamp};
use switchboard_store::{Tx, contents, events, identities, jobs, sources, texting, threads};

use self::carriers::{Carrier, CarrierEvent, InboundAnswer, InboundRequest, InboundSms, OutboundSms};
use super::{Channel, Outbound};
use crate::Engine;

/// What a number answers to HELP.
pub const HELP_ANSWER: &str = "Reply STOP to stop receiving messages from this number, START to receive them again.";

/// Attempts at sending a text before it is given up (`success: false`).
const ATTEMPTS: i32 = 4;

/// An `sms.send` job: send an outbound text through its number's carrier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendJob {
    pub content_id: ContentId,
}

impl JobPayload for SendJob {
    const KIND: &'static str = "sms.send";
    const MAX_ATTEMPTS: i32 = ATTEMPTS;
}

pub(crate) struct SmsChannel<'a> {
    source: &'a Source,
}

impl<'a> SmsChannel<'a> {
    pub(crate) fn new(source: &'a Source) -> Self {
        Self { source }
    }
}

impl Channel for SmsChannel<'_> {
    fn reply_to(&self, parent: &Content) -> Result<Outbound> {
        let contact = match parent.direction {
            Direction::Inbound => parent.author_identity_id.clone(),
            Direction::Outbound => parent.recipient_identity_id.clone(),
        };
        // The reply goes back between the same two numbers.
        let (frm, to) = numbers(parent);
        let (ours, theirs) = match parent.direction {
            Direction::Inbound => (to, frm),
            Direction::Outbound => (frm, to),
        };
        Ok(Outbound {
            kind: ContentKind::Message,
            format: BodyFormat::Text,
            recipient: contact,
            context_data: Some(json!({"frm": ours, "to": theirs, "stamp_id": null})),
        })
    }

    fn start_conversation(&self) -> Result<Outbound> {
        Err(Error::Conflict(
            "a text conversation starts with the contact's number: create it with POST /texting/conversations".into(),
        ))
    }

    async fn delivery(&self, tx: &mut Tx<'_>, content: &Content) -> Result<NewJob> {
        let SourceConfig::Sms(config) = &self.source.config else {
            return Err(Error::Internal("an SMS channel on another kind of source".into()));
        };
        // Every way out (RingPlan's publish, a reply through Advanced Messaging or GWS) comes
        // through here, so this is where a contact's STOP is kept.
        if let Some(contact) = &content.recipient_identity_id
            && texting::opted_out(tx, &self.source.id, contact).await?
        {
            return Err(Error::Conflict(
                "the contact opted out (STOP) of messages from this number; nothing was sent. It opts back in by texting START."
                    .into(),
            ));
        }
        let interval = 60_000_000 / i64::from(config.rate_per_minute.max(1));
        let slot = texting::take_send_slot(tx, &self.source.id, Timestamp::now(), interval).await?;
        Ok(NewJob::of(&SendJob { content_id: content.id.clone() }).for_company(content.company_id.clone()).run_at(slot))
    }
}

/// The numbers a text went between, kept in its details' context data.
pub(crate) fn numbers(c: &Content) -> (String, String) {
    let field = |k: &str| {
        c.details.context_data.as_ref().and_then(|d| d.get(k)).and_then(|v| v.as_str()).unwrap_or_default().to_owned()
    };
    (field("frm"), field("to"))
}

/// The `stamp_id` a publish gave a text.
pub(crate) fn stamp_id(c: &Content) -> Option<String> {
    c.details.context_data.as_ref().and_then(|d| d.get("stamp_id")).and_then(|v| v.as_str()).map(str::to_owned)
}

fn sms_config(source: &Source) -> Result<&SmsConfig> {
    match &source.config {
        SourceConfig::Sms(c) => Ok(c),
        SourceConfig::Sdk(_) => Err(Error::NotFound(Resource::Source)),
    }
}

/// A text of the company, as the core stores it.
pub(crate) struct NewText<'a> {
    pub company: &'a CompanyId,
    pub source: &'a Source,
    pub thread: &'a ThreadId,
    pub contact: &'a IdentityId,
    pub direction: Direction,
    pub from: &'a str,
    pub to: &'a str,
    pub text: String,
    pub foreign_id: Option<String>,
    pub stamp_id: Option<String>,
    pub author_user: Option<switchboard_domain::UserId>,
}

impl Engine {
    /// Stores a text, indexes it for search and moves its conversation up; the caller appends
    /// its events.
    pub(crate) async fn store_text(&self, tx: &mut Tx<'_>, t: NewText<'_>) -> Result<Content> {
        let now = Timestamp::now();
        let (author, recipient, export) = match t.direction {
            Direction::Inbound => (Some(t.contact.clone()), None, None),
            Direction::Outbound => (
                None,
                Some(t.contact.clone()),
                Some(Export { status: ExportStatus::Pending, attempts: 0, last_error: None }),
            ),
        };
        let content = Content {
            id: ContentId::new(),
            company_id: t.company.clone(),
            source_id: t.source.id.clone(),
            thread_id: t.thread.clone(),
            foreign_id: t.foreign_id,
            kind: ContentKind::Message,
            direction: t.direction,
            author_identity_id: author,
            recipient_identity_id: recipient,
            in_reply_to_id: None,
            body: Some(t.text),
            format: BodyFormat::Text,
            attachments: Vec::new(),
            structured_content: None,
            details: ContentDetails {
                context_data: Some(json!({"frm": t.from, "to": t.to, "stamp_id": t.stamp_id})),
                author_user_id: t.author_user,
                ..ContentDetails::default()
            },
            read: t.direction == Direction::Outbound,
            export,
            created_at: now,
            updated_at: now,
        };
        if !contents::insert(tx, &content).await? {
            // The same carrier id arrived twice at once: the other delivery stores it.
            return Err(Error::Conflict("the message is being stored by another delivery of it; try again".into()));
        }
        if let Some(stamp) = &t.stamp_id {
            contents::set_stamp(tx, &content.id, stamp).await?;
        }
        texting::index(tx, &content).await?;
        threads::touch(tx, t.thread, now).await?;
        Ok(content)
    }

    /// The company's texting contact of `number`, made (on `source`) if it has none yet; true
    /// when made.
    pub(crate) async fn contact_of(
        &self,
        tx: &mut Tx<'_>,
        company: &CompanyId,
        source: &Source,
        number: &PhoneNumber,
        events: &mut Vec<Event>,
    ) -> Result<(Identity, bool)> {
        if let Some(found) = identities::get_by_sms_number(tx, company, number.as_str()).await? {
            return Ok((found, false));
        }
        let now = Timestamp::now();
        let contact = Identity {
            id: IdentityId::new(),
            company_id: company.clone(),
            source_id: source.id.clone(),
            foreign_id: number.as_str().to_owned(),
            profile: IdentityProfile { mobile_phone: Some(number.as_str().to_owned()), ..IdentityProfile::default() },
            created_at: now,
            updated_at: now,
        };
        if !identities::insert(tx, &contact).await? {
            return Err(Error::Conflict(format!("the contact {number} was just added; try again")));
        }
        identities::set_sms_number(tx, &contact.id, number.as_str()).await?;
        events.push(Event::IdentityCreated((&contact).into()));
        Ok((contact, true))
    }

    /// The conversation between `source`'s number and the contact, made if there is none yet;
    /// true when made.
    pub(crate) async fn conversation_of(
        &self,
        tx: &mut Tx<'_>,
        source: &Source,
        contact_number: &str,
        events: &mut Vec<Event>,
    ) -> Result<(Thread, bool)> {
        if let Some(found) = threads::get_by_foreign(tx, &source.id, contact_number).await? {
            return Ok((found, false));
        }
        let now = Timestamp::now();
        let thread = Thread {
            id: ThreadId::new(),
            company_id: source.company_id.clone(),
            source_id: source.id.clone(),
            foreign_id: Some(contact_number.to_owned()),
            title: None,
            details: ThreadDetails::default(),
            created_at: now,
            updated_at: now,
        };
        if !threads::insert(tx, &thread).await? {
            return Err(Error::Conflict("the conversation was just created; try again".into()));
        }
        events.push(Event::ThreadCreated((&thread).into()));
        Ok((thread, true))
    }

    /// Stores a text a carrier delivered to one of this installation's numbers (once per
    /// carrier id), with its events, and applies the opt-out keywords. `NotFound` when no
    /// company has the number.
    #[tracing::instrument(skip_all, fields(to = %sms.to))]
    pub async fn receive_sms(&self, sms: &InboundSms) -> Result<Content> {
        let mut tx = self.store.begin().await?;
        let source = sources::get_by_sms_number(&mut tx, &sms.to).await?.ok_or(Error::NotFound(Resource::Source))?;
        if let Some(known) = contents::get_many_by_foreign(&mut tx, &source.id, &[sms.carrier_id.as_str()]).await?.pop()
        {
            return Ok(known);
        }
        let company = source.company_id.clone();
        let mut events = Vec::new();
        let (contact, _) = self.contact_of(&mut tx, &company, &source, &sms.from, &mut events).await?;
        let (thread, new_thread) = self.conversation_of(&mut tx, &source, sms.from.as_str(), &mut events).await?;
        let text = NewText {
            company: &company,
            source: &source,
            thread: &thread.id,
            contact: &contact.id,
            direction: Direction::Inbound,
            from: sms.from.as_str(),
            to: sms.to.as_str(),
            text: sms.text.clone(),
            foreign_id: Some(sms.carrier_id.clone()),
            stamp_id: None,
            author_user: None,
        };
        let content = self.store_text(&mut tx, text).await?;
        events.push(Event::ContentImported(ContentSnapshot::new(
            &content,
            SourceKind::Sms,
            Origin::Carrier,
            new_thread,
        )));
        let message = self.text_message(&content);
        events.push(Event::TextingMessageNew(message.clone()));
        events.push(Event::TextingMessageInbound(message));
        if new_thread {
            events.push(Event::TextingChatNew(self.text_conversation(&mut tx, &thread).await?));
        }
        match Keyword::of(&sms.text) {
            Some(Keyword::Stop) => texting::set_opted_out(&mut tx, &source.id, &contact.id, true).await?,
            Some(Keyword::Start) => texting::set_opted_out(&mut tx, &source.id, &contact.id, false).await?,
            Some(Keyword::Help) => {
                let answer = NewText {
                    company: &company,
                    source: &source,
                    thread: &thread.id,
                    contact: &contact.id,
                    direction: Direction::Outbound,
                    from: sms.to.as_str(),
                    to: sms.from.as_str(),
                    text: HELP_ANSWER.to_owned(),
                    foreign_id: None,
                    stamp_id: None,
                    author_user: None,
                };
                let reply = self.store_text(&mut tx, answer).await?;
                events.push(Event::TextingMessageNew(self.text_message(&reply)));
                let job = SmsChannel::new(&source).delivery(&mut tx, &reply).await?;
                jobs::enqueue(&mut tx, &job).await?;
            }
            None => {}
        }
        events::append(&mut tx, &company, events);
        tx.commit().await?;
        Ok(content)
    }

    /// A carrier's webhook to `POST /carriers/{kind}/{number_or_account}/inbound`: what it tells
    /// is stored, and the answer the carrier expects returned. `company` is the caller's, for
    /// carriers that do not sign their webhooks (loopback): the number must be that company's.
    #[tracing::instrument(skip_all, fields(kind))]
    pub async fn carrier_inbound(
        &self,
        kind: &str,
        request: &InboundRequest<'_>,
        company: Option<&CompanyId>,
    ) -> Result<InboundAnswer> {
        let kind = CarrierKind::parse("kind", kind).map_err(|_| Error::NotFound(Resource::Source))?;
        // Nothing signs loopback's webhooks: only a caller with the company's API key may post one.
        if kind == CarrierKind::Loopback && company.is_none() {
            return Err(Error::Unauthenticated);
        }
        let (told, answer) = carriers::of(kind).parse_inbound(request)?;
        for event in told {
            match event {
                CarrierEvent::Message(sms) => {
                    let mut r = self.store.reader().await?;
                    let source = sources::get_by_sms_number(&mut r, &sms.to).await?;
                    drop(r);
                    let ours = source.is_some_and(|s| {
                        company.is_none_or(|c| *c == s.company_id) && sms_config(&s).is_ok_and(|c| c.carrier == kind)
                    });
                    if !ours {
                        return Err(Error::NotFound(Resource::Source));
                    }
                    self.receive_sms(&sms).await?;
                }
                CarrierEvent::Status { carrier_id, from, error } => self.sms_status(&from, &carrier_id, error).await?,
            }
        }
        Ok(answer)
    }

    /// A carrier's word on a sent text: a delivery error makes it failed.
    async fn sms_status(&self, from: &PhoneNumber, carrier_id: &str, error: Option<String>) -> Result<()> {
        let Some(error) = error else { return Ok(()) };
        let mut r = self.store.reader().await?;
        let Some(source) = sources::get_by_sms_number(&mut r, from).await? else { return Ok(()) };
        let Some(sent) = contents::get_many_by_foreign(&mut r, &source.id, &[carrier_id]).await?.pop() else {
            return Ok(());
        };
        drop(r);
        self.text_failed(&source.company_id, &sent.id, ATTEMPTS, error).await.map(drop)
    }

    /// Runs an `sms.send` job: one attempt at sending a text.
    pub(crate) async fn send_sms(&self, job: &Job, payload: SendJob) -> Result<JobOutcome> {
        let company =
            job.company_id.clone().ok_or_else(|| Error::Internal("an sms.send job without a company".into()))?;
        let mut r = self.store.reader().await?;
        let Some(content) = contents::get(&mut r, &company, &payload.content_id).await? else {
            return Ok(JobOutcome::Fatal { error: "the message no longer exists".into() });
        };
        if content.export.as_ref().is_none_or(|e| e.status != ExportStatus::Pending) {
            return Ok(JobOutcome::Done);
        }
        let Some(source) = sources::get(&mut r, &company, &content.source_id).await? else {
            return self.text_failed(&company, &content.id, job.attempts, "the number was removed".into()).await;
        };
        drop(r);
        let config = sms_config(&source)?;
        let (_, to) = numbers(&content);
        let to = match PhoneNumber::parse("to", &to) {
            Ok(to) => to,
            Err(e) => return self.text_failed(&company, &content.id, job.attempts, e.to_string()).await,
        };
        let sms = OutboundSms {
            content_id: content.id.clone(),
            from: config.number.clone(),
            to,
            text: content.body.clone().unwrap_or_default(),
        };
        match carriers::of(config.carrier).send(self, &sms).await {
            Ok(carrier_id) => self.text_sent(&company, &content.id, job.attempts, carrier_id).await,
            Err(e) if e.fatal || job.attempts >= job.max_attempts.min(ATTEMPTS) => {
                self.text_failed(&company, &content.id, job.attempts, e.message).await
            }
            Err(e) => {
                let mut tx = self.store.begin().await?;
                if let Some(mut c) = contents::get(&mut tx, &company, &content.id).await? {
                    c.export = Some(Export {
                        status: ExportStatus::Pending,
                        attempts: job.attempts,
                        last_error: Some(e.message.clone()),
                    });
                    c.updated_at = Timestamp::now();
                    contents::update(&mut tx, &c).await?;
                }
                tx.commit().await?;
                let retry_in = crate::jobs::backoff(
                    job.attempts,
                    self.sdk.connector.options.retry_delay,
                    std::time::Duration::from_secs(600),
                );
                Ok(JobOutcome::Failed { error: e.message, retry_in })
            }
        }
    }

    async fn text_sent(
        &self,
        company: &CompanyId,
        id: &ContentId,
        attempts: i32,
        carrier_id: String,
    ) -> Result<JobOutcome> {
        let mut tx = self.store.begin().await?;
        let Some(mut content) = contents::get(&mut tx, company, id).await? else { return Ok(JobOutcome::Done) };
        content.foreign_id = Some(carrier_id);
        content.export = Some(Export { status: ExportStatus::Exported, attempts, last_error: None });
        content.updated_at = Timestamp::now();
        contents::update(&mut tx, &content).await?;
        let snapshot = ContentSnapshot::new(&content, SourceKind::Sms, Origin::Agent, false);
        events::append(&mut tx, company, vec![Event::ContentExported(snapshot)]);
        tx.commit().await?;
        Ok(JobOutcome::Done)
    }

    /// Gives a text up: `success: false` with the error, and its events.
    async fn text_failed(
        &self,
        company: &CompanyId,
        id: &ContentId,
        attempts: i32,
        error: String,
    ) -> Result<JobOutcome> {
        let mut tx = self.store.begin().await?;
        let Some(mut content) = contents::get(&mut tx, company, id).await? else { return Ok(JobOutcome::Done) };
        content.export = Some(Export { status: ExportStatus::Failed, attempts, last_error: Some(error.clone()) });
        content.updated_at = Timestamp::now();
        contents::update(&mut tx, &content).await?;
        let failed = ContentFailed {
            content: ContentSnapshot::new(&content, SourceKind::Sms, Origin::Agent, false),
            error: error.clone(),
        };
        let message = self.text_message(&content);
        events::append(
            &mut tx,
            company,
            vec![Event::ContentExportFailed(failed), Event::TextingMessageFailed(message)],
        );
        tx.commit().await?;
        Ok(JobOutcome::Fatal { error })
    }
}
