//! Channel SDK objects as connectors send them (spec §4), parsed into import commands.
//!
//! The rules are the documented ones: extra fields are ignored; `null`, empty and absent are the
//! same; an item missing a required field is refused with `Invalid resource format` naming the
//! field. Values are read leniently, as real connectors write them: ids may be numbers, dates
//! come in many forms (§4.8).

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde_json::{Map, Value};
use switchboard_domain::conversation::{
    Attachment, BodyFormat, ContentDetails, ContentKind, IdentityProfile, ThreadDetails,
};
use switchboard_domain::source::sdk::Capabilities;
use switchboard_domain::text::{TextRule, check_fields};
use switchboard_domain::{Error, Result, Timestamp};

use super::{Protocol, invalid_resource, messages, structured};

/// A person as the connector describes them. Fields left out are left as they are.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundUser {
    pub foreign_id: String,
    pub screen_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub avatar_url: Option<String>,
    pub puppetizable: Option<bool>,
    pub gender: Option<String>,
    pub home_phone: Option<String>,
    pub mobile_phone: Option<String>,
    pub context_data: Option<Value>,
    pub created_at: Option<Timestamp>,
    pub updated_at: Option<Timestamp>,
}

impl InboundUser {
    /// Overwrites the fields this import carries; reports whether anything changed.
    pub fn merge_into(&self, p: &mut IdentityProfile) -> bool {
        let before = p.clone();
        set(&mut p.screen_name, &self.screen_name);
        set(&mut p.first_name, &self.first_name);
        set(&mut p.last_name, &self.last_name);
        set(&mut p.email, &self.email);
        set(&mut p.avatar_url, &self.avatar_url);
        set(&mut p.gender, &self.gender);
        set(&mut p.home_phone, &self.home_phone);
        set(&mut p.mobile_phone, &self.mobile_phone);
        set(&mut p.context_data, &self.context_data);
        set(&mut p.foreign_created_at, &self.created_at);
        set(&mut p.foreign_updated_at, &self.updated_at);
        if let Some(v) = self.puppetizable {
            p.puppetizable = v;
        }
        *p != before
    }
}

fn set<T: Clone>(field: &mut Option<T>, value: &Option<T>) {
    if value.is_some() {
        field.clone_from(value);
    }
}

/// A message or private message.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundContent {
    pub kind: ContentKind,
    pub foreign_id: String,
    pub author: InboundUser,
    pub recipient: Option<InboundUser>,
    /// The channel's thread id; `None` on unthreaded sources and for private messages.
    pub thread_foreign_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub body: Option<String>,
    pub format: BodyFormat,
    pub attachments: Vec<Attachment>,
    pub structured_content: Option<Value>,
    pub details: ContentDetails,
}

/// A thread; with its opening post unless the source's threads carry no content.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundThread {
    pub foreign_id: String,
    pub title: Option<String>,
    pub details: ThreadDetails,
    pub opener: Option<InboundOpener>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InboundOpener {
    pub author: InboundUser,
    pub body: Option<String>,
    pub format: BodyFormat,
    pub attachments: Vec<Attachment>,
    pub details: ContentDetails,
}

/// Which conversation a typing indicator is about.
#[derive(Debug, Clone, PartialEq)]
pub enum TypingTarget {
    Thread(String),
    InReplyTo(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Content(Box<InboundContent>),
    Thread(Box<InboundThread>),
    User(Box<InboundUser>),
    MarkAsRead { foreign_id: String },
    TypingStart { target: TypingTarget, preview: String },
    TypingStop { target: TypingTarget },
}

/// Parses a Send API call. An action the Send API does not have, or that the source did not
/// declare, is `Invalid action`.
pub fn parse_action(action: &str, params: &Map<String, Value>, caps: &Capabilities) -> Result<Command> {
    let command = action_command(action, params, caps)?;
    check(params, &command)?;
    Ok(command)
}

fn action_command(action: &str, params: &Map<String, Value>, caps: &Capabilities) -> Result<Command> {
    let invalid_action = || Error::invalid(messages::INVALID_ACTION);
    match action {
        "messages.create" if caps.declares("messages", "create") => item_command("messages", params, caps),
        "private_messages.create" if caps.declares("private_messages", "create") => {
            item_command("private_messages", params, caps)
        }
        "threads.create" if caps.declares("threads", "create") && !caps.unthreaded() => {
            item_command("threads", params, caps)
        }
        // `implementation.info` declares no operations for users, so any source may push them.
        "users.create" => parse_user(params, "").map(|u| Command::User(Box::new(u))),
        "status.mark_as_read" if caps.declares("status", "mark_as_read") => {
            Ok(Command::MarkAsRead { foreign_id: required_id(params, "id")? })
        }
        "typing.start" | "typing.stop" if caps.has_option("messaging.typing_indicator") => {
            let target = match (id(params, "thread_id")?, id(params, "in_reply_to_id")?) {
                (Some(t), _) => TypingTarget::Thread(t),
                (None, Some(r)) => TypingTarget::InReplyTo(r),
                (None, None) => return Err(invalid_resource("'thread_id' or 'in_reply_to_id' is required")),
            };
            if action == "typing.start" {
                let preview = text(params, "preview")?.ok_or_else(|| invalid_resource("'preview' is required"))?;
                Ok(Command::TypingStart { target, preview })
            } else {
                Ok(Command::TypingStop { target })
            }
        }
        _ => Err(invalid_action()),
    }
}

/// Parses one object of a collection (an item of `<collection>.list`, or the params of a Send
/// API `create`).
pub fn parse_item(collection: &str, item: &Map<String, Value>, caps: &Capabilities) -> Result<Command> {
    let command = item_command(collection, item, caps)?;
    check(item, &command)?;
    Ok(command)
}

fn item_command(collection: &str, item: &Map<String, Value>, caps: &Capabilities) -> Result<Command> {
    match collection {
        "messages" | "private_messages" => parse_content(collection, item, caps).map(|c| Command::Content(Box::new(c))),
        "threads" => parse_thread(item, caps).map(|t| Command::Thread(Box::new(t))),
        other => Err(Error::invalid(format!("unknown collection '{other}'"))),
    }
}

fn parse_content(collection: &str, item: &Map<String, Value>, caps: &Capabilities) -> Result<InboundContent> {
    let private = collection == "private_messages";
    let foreign_id = required_id(item, "id")?;
    let author = parse_user(required_object(item, "author")?, "author.")?;
    let recipient = if private { Some(parse_user(required_object(item, "recipient")?, "recipient.")?) } else { None };
    let thread_foreign_id = if private || caps.unthreaded() { None } else { Some(required_id(item, "thread_id")?) };
    let (body, attachments) = body_and_attachments(item)?;
    let structured_content = match item.get("structured_content") {
        None | Some(Value::Null) => None,
        Some(v) => Some(structured::validate(v, caps)?),
    };
    Ok(InboundContent {
        kind: if private { ContentKind::PrivateMessage } else { ContentKind::Message },
        foreign_id,
        author,
        recipient,
        thread_foreign_id,
        in_reply_to: id(item, "in_reply_to_id")?,
        body,
        format: format(item),
        attachments,
        structured_content,
        details: content_details(item)?,
    })
}

fn parse_thread(item: &Map<String, Value>, caps: &Capabilities) -> Result<InboundThread> {
    let foreign_id = required_id(item, "id")?;
    let title = text(item, "title")?;
    if caps.threads_no_content() {
        return Ok(InboundThread { foreign_id, title, details: ThreadDetails::default(), opener: None });
    }
    let author = parse_user(required_object(item, "author")?, "author.")?;
    let (body, attachments) = body_and_attachments(item)?;
    let details = ThreadDetails {
        actions: strings(item, "actions"),
        categories: strings(item, "categories"),
        context_data: object(item, "context_data"),
        display_url: text(item, "display_url")?,
        foreign_created_at: date(item, "created_at"),
    };
    Ok(InboundThread {
        foreign_id,
        title,
        details,
        opener: Some(InboundOpener {
            author,
            body,
            format: format(item),
            attachments,
            details: content_details(item)?,
        }),
    })
}

/// A User object (§4.4); `prefix` names where it sits, for error messages.
pub fn parse_user(obj: &Map<String, Value>, prefix: &str) -> Result<InboundUser> {
    let foreign_id = id(obj, "id")?.ok_or_else(|| invalid_resource(format!("'{prefix}id' is required")))?;
    let screen_name =
        text(obj, "screenname")?.ok_or_else(|| invalid_resource(format!("'{prefix}screenname' is required")))?;
    Ok(InboundUser {
        foreign_id,
        screen_name: Some(screen_name),
        first_name: text(obj, "firstname")?,
        last_name: text(obj, "lastname")?,
        email: text(obj, "email")?,
        avatar_url: text(obj, "avatar_url")?,
        puppetizable: match obj.get("puppetizable") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::String(s)) if s == "true" || s == "false" => Some(s == "true"),
            Some(_) => return Err(invalid_resource(format!("'{prefix}puppetizable' must be a boolean"))),
        },
        gender: text(obj, "gender")?,
        home_phone: text(obj, "home_phone")?,
        mobile_phone: text(obj, "mobile_phone")?,
        context_data: object(obj, "context_data"),
        created_at: date(obj, "created_at"),
        updated_at: date(obj, "updated_at"),
    })
}

fn content_details(item: &Map<String, Value>) -> Result<ContentDetails> {
    Ok(ContentDetails {
        actions: strings(item, "actions"),
        categories: strings(item, "categories"),
        context_data: object(item, "context_data"),
        display_url: text(item, "display_url")?,
        ip: text(item, "ip")?,
        language: text(item, "language")?,
        title: text(item, "title")?,
        structured_reply: object(item, "structured_reply"),
        foreign_created_at: date(item, "created_at"),
        foreign_updated_at: date(item, "updated_at"),
        author_user_id: None,
        sender_name: None,
    })
}

/// Body and attachments; at least one of them is required.
fn body_and_attachments(item: &Map<String, Value>) -> Result<(Option<String>, Vec<Attachment>)> {
    let body = text(item, "body")?;
    let attachments = attachments(item)?;
    if body.is_none() && attachments.is_empty() {
        return Err(invalid_resource("'body' or 'attachments' is required"));
    }
    Ok((body, attachments))
}

/// Attachments in the documented shapes (`{url}` or `{content, filename}`, optional `type`);
/// other shapes are ignored, as connectors invent their own keys.
fn attachments(item: &Map<String, Value>) -> Result<Vec<Attachment>> {
    let Some(Value::Array(items)) = item.get("attachments") else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for a in items {
        let Value::Object(a) = a else { continue };
        let url = text(a, "url")?;
        let content = text(a, "content")?;
        let filename = text(a, "filename")?;
        let kind = text(a, "type")?;
        if content.is_some() && filename.is_none() {
            return Err(invalid_resource("an attachment with 'content' needs a 'filename'"));
        }
        if url.is_some() || content.is_some() {
            out.push(Attachment { url, content, filename, kind });
        }
    }
    Ok(out)
}

/// Refuses an object holding a text that no stored text may be (`domain::text`), as `Invalid
/// resource format` naming the field as the connector wrote it: U+0000 anywhere in the object
/// (custom data included), and each field the command keeps against the rule for its kind.
fn check(object: &Map<String, Value>, command: &Command) -> Result<()> {
    let checked = check_fields(object).and_then(|()| match command {
        Command::Content(c) => check_content(c),
        Command::Thread(t) => check_thread(t),
        Command::User(u) => check_user(u, ""),
        Command::MarkAsRead { foreign_id } => TextRule::ID.check("id", foreign_id),
        Command::TypingStart { target, preview } => {
            check_target(target).and_then(|()| TextRule::BODY.check("preview", preview))
        }
        Command::TypingStop { target } => check_target(target),
    });
    checked.map_err(invalid_resource)
}

fn check_user(u: &InboundUser, prefix: &str) -> Result<()> {
    let field = |name: &str| format!("{prefix}{name}");
    TextRule::ID.check(&field("id"), &u.foreign_id)?;
    for (name, value) in [("screenname", &u.screen_name), ("firstname", &u.first_name), ("lastname", &u.last_name)] {
        TextRule::NAME.check_opt(&field(name), value.as_deref())?;
    }
    TextRule::EMAIL.check_opt(&field("email"), u.email.as_deref())?;
    TextRule::URL.check_opt(&field("avatar_url"), u.avatar_url.as_deref())?;
    TextRule::LABEL.check_opt(&field("gender"), u.gender.as_deref())?;
    TextRule::PHONE.check_opt(&field("home_phone"), u.home_phone.as_deref())?;
    TextRule::PHONE.check_opt(&field("mobile_phone"), u.mobile_phone.as_deref())
}

fn check_content(c: &InboundContent) -> Result<()> {
    TextRule::ID.check("id", &c.foreign_id)?;
    check_user(&c.author, "author.")?;
    if let Some(r) = &c.recipient {
        check_user(r, "recipient.")?;
    }
    TextRule::ID.check_opt("thread_id", c.thread_foreign_id.as_deref())?;
    TextRule::ID.check_opt("in_reply_to_id", c.in_reply_to.as_deref())?;
    check_post(c.body.as_deref(), &c.attachments, &c.details)
}

fn check_thread(t: &InboundThread) -> Result<()> {
    TextRule::ID.check("id", &t.foreign_id)?;
    TextRule::TITLE.check_opt("title", t.title.as_deref())?;
    TextRule::LABEL.check_all("actions", &t.details.actions)?;
    TextRule::LABEL.check_all("categories", &t.details.categories)?;
    TextRule::URL.check_opt("display_url", t.details.display_url.as_deref())?;
    match &t.opener {
        Some(o) => {
            check_user(&o.author, "author.")?;
            check_post(o.body.as_deref(), &o.attachments, &o.details)
        }
        None => Ok(()),
    }
}

/// What a message and a thread's opening post both carry.
fn check_post(body: Option<&str>, attachments: &[Attachment], d: &ContentDetails) -> Result<()> {
    TextRule::BODY.check_opt("body", body)?;
    for (i, a) in attachments.iter().enumerate() {
        TextRule::URL.check_opt(&format!("attachments[{i}].url"), a.url.as_deref())?;
        TextRule::LABEL.check_opt(&format!("attachments[{i}].filename"), a.filename.as_deref())?;
        TextRule::LABEL.check_opt(&format!("attachments[{i}].type"), a.kind.as_deref())?;
    }
    TextRule::LABEL.check_all("actions", &d.actions)?;
    TextRule::LABEL.check_all("categories", &d.categories)?;
    TextRule::URL.check_opt("display_url", d.display_url.as_deref())?;
    TextRule::LABEL.check_opt("ip", d.ip.as_deref())?;
    TextRule::LABEL.check_opt("language", d.language.as_deref())?;
    TextRule::TITLE.check_opt("title", d.title.as_deref())
}

fn check_target(target: &TypingTarget) -> Result<()> {
    match target {
        TypingTarget::Thread(id) => TextRule::ID.check("thread_id", id),
        TypingTarget::InReplyTo(id) => TextRule::ID.check("in_reply_to_id", id),
    }
}

fn format(item: &Map<String, Value>) -> BodyFormat {
    item.get("format").and_then(Value::as_str).and_then(BodyFormat::parse).unwrap_or(BodyFormat::Html)
}

fn required_object<'a>(item: &'a Map<String, Value>, key: &str) -> Result<&'a Map<String, Value>> {
    match item.get(key) {
        Some(Value::Object(o)) if !o.is_empty() => Ok(o),
        None | Some(Value::Null) | Some(Value::Object(_)) => Err(invalid_resource(format!("'{key}' is required"))),
        Some(_) => Err(invalid_resource(format!("'{key}' must be an object"))),
    }
}

fn required_id(item: &Map<String, Value>, key: &str) -> Result<String> {
    id(item, key)?.ok_or_else(|| invalid_resource(format!("'{key}' is required")))
}

/// An id: a string, or a number (PHP connectors emit numbers), as a string.
pub fn id(item: &Map<String, Value>, key: &str) -> Result<Option<String>> {
    match item.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(invalid_resource(format!("'{key}' must be a string"))),
    }
}

fn text(item: &Map<String, Value>, key: &str) -> Result<Option<String>> {
    match item.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(_) => Err(invalid_resource(format!("'{key}' must be a string"))),
    }
}

fn strings(item: &Map<String, Value>, key: &str) -> Vec<String> {
    match item.get(key) {
        Some(Value::Array(a)) => {
            a.iter().filter_map(|v| v.as_str().filter(|s| !s.is_empty()).map(str::to_owned)).collect()
        }
        _ => Vec::new(),
    }
}

fn object(item: &Map<String, Value>, key: &str) -> Option<Value> {
    match item.get(key) {
        Some(v @ Value::Object(o)) if !o.is_empty() => Some(v.clone()),
        _ => None,
    }
}

fn date(item: &Map<String, Value>, key: &str) -> Option<Timestamp> {
    item.get(key).and_then(parse_date)
}

/// Dates as connectors send them (§4.8): RFC 3339 (any offset, fractions), ISO 8601 basic
/// offsets (`+0200`), `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS` (UTC), `MM/DD/YYYY`, and epoch
/// milliseconds (or seconds, for small numbers). Anything else is treated as absent.
pub fn parse_date(v: &Value) -> Option<Timestamp> {
    let from_epoch = |n: i64| {
        let millis = if n.abs() >= 100_000_000_000 { n } else { n.saturating_mul(1000) };
        Utc.timestamp_millis_opt(millis).single().map(Timestamp::from_datetime)
    };
    match v {
        Value::Number(n) => n.as_i64().and_then(from_epoch),
        Value::String(s) => {
            let s = s.trim();
            if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
                return Some(Timestamp::from_datetime(dt.with_timezone(&Utc)));
            }
            for f in ["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%z"] {
                if let Ok(dt) = DateTime::parse_from_str(s, f) {
                    return Some(Timestamp::from_datetime(dt.with_timezone(&Utc)));
                }
            }
            for f in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
                if let Ok(dt) = NaiveDateTime::parse_from_str(s, f) {
                    return Some(Timestamp::from_datetime(dt.and_utc()));
                }
            }
            for f in ["%Y-%m-%d", "%m/%d/%Y"] {
                if let Ok(d) = NaiveDate::parse_from_str(s, f) {
                    return d.and_hms_opt(0, 0, 0).map(|dt| Timestamp::from_datetime(dt.and_utc()));
                }
            }
            s.parse::<i64>().ok().and_then(from_epoch)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
