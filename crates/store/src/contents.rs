use switchboard_domain::conversation::{BodyFormat, Content, ContentKind, Direction, Export, ExportStatus};
use switchboard_domain::{CompanyId, ContentId, Error, Result, SourceId, ThreadId, Timestamp};

use crate::sql::Sql;
use crate::table::table;
use crate::{Conn, Keyset, Tx, from_json, parse_id, to_json};

table! {
    CONTENTS = "contents", Content as |x| {
        Key id: x.id.as_str(),
        Fixed company_id: x.company_id.as_str(),
        Fixed source_id: x.source_id.as_str(),
        Fixed thread_id: x.thread_id.as_str(),
        Set foreign_id: x.foreign_id.as_deref(),
        Fixed kind: x.kind.as_str(),
        Fixed direction: x.direction.as_str(),
        Fixed author_identity_id: x.author_identity_id.as_ref().map(|i| i.as_str()),
        Fixed recipient_identity_id: x.recipient_identity_id.as_ref().map(|i| i.as_str()),
        Fixed in_reply_to_id: x.in_reply_to_id.as_ref().map(|i| i.as_str()),
        Set body: x.body.as_deref(),
        Set format: x.format.as_str(),
        Set attachments: to_json(&x.attachments)?,
        Set structured_content: x.structured_content.as_ref().map(to_json).transpose()?,
        Set details: to_json(&x.details)?,
        Set is_read: x.read,
        Set export_status: x.export.as_ref().map(|e| e.status.as_str()),
        Set export_attempts: x.export.as_ref().map_or(0, |e| e.attempts),
        Set export_error: x.export.as_ref().and_then(|e| e.last_error.as_deref()),
        Fixed created_at: x.created_at,
        Set updated_at: x.updated_at,
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    company_id: String,
    source_id: String,
    thread_id: String,
    foreign_id: Option<String>,
    kind: String,
    direction: String,
    author_identity_id: Option<String>,
    recipient_identity_id: Option<String>,
    in_reply_to_id: Option<String>,
    body: Option<String>,
    format: String,
    attachments: String,
    structured_content: Option<String>,
    details: String,
    is_read: bool,
    export_status: Option<String>,
    export_attempts: i32,
    export_error: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl Row {
    fn into_content(self) -> Result<Content> {
        let export = match self.export_status {
            Some(s) => Some(Export {
                status: ExportStatus::parse(&s)?,
                attempts: self.export_attempts,
                last_error: self.export_error,
            }),
            None => None,
        };
        Ok(Content {
            id: parse_id(self.id)?,
            company_id: parse_id(self.company_id)?,
            source_id: parse_id(self.source_id)?,
            thread_id: parse_id(self.thread_id)?,
            foreign_id: self.foreign_id,
            kind: ContentKind::parse(&self.kind)?,
            direction: Direction::parse(&self.direction)?,
            author_identity_id: self.author_identity_id.map(parse_id).transpose()?,
            recipient_identity_id: self.recipient_identity_id.map(parse_id).transpose()?,
            in_reply_to_id: self.in_reply_to_id.map(parse_id).transpose()?,
            body: self.body,
            format: BodyFormat::parse(&self.format)
                .ok_or_else(|| Error::Internal(format!("unknown format {:?}", self.format)))?,
            attachments: from_json(&self.attachments)?,
            structured_content: self.structured_content.as_deref().map(from_json).transpose()?,
            details: from_json(&self.details)?,
            read: self.is_read,
            export,
            created_at: Timestamp::from_micros(self.created_at),
            updated_at: Timestamp::from_micros(self.updated_at),
        })
    }
}

/// Rows per multi-row INSERT: 21 parameters each, within both backends' limits.
const INSERT_CHUNK: usize = 1000;

/// Inserts the content unless the source already has one of its kind with its foreign id. True
/// when inserted.
pub async fn insert(tx: &mut Tx<'_>, x: &Content) -> Result<bool> {
    Ok(insert_many(tx, std::slice::from_ref(x)).await?.len() == 1)
}

/// Inserts the contents in one statement per chunk, skipping those whose source already has
/// one of that kind and foreign id; returns the ids of those inserted.
pub async fn insert_many(tx: &mut Tx<'_>, xs: &[Content]) -> Result<Vec<ContentId>> {
    let mut inserted = Vec::with_capacity(xs.len());
    for chunk in xs.chunks(INSERT_CHUNK) {
        let ids: Vec<String> = Sql::insert_many(chunk)?
            .append(" ON CONFLICT (source_id, foreign_id, kind) DO NOTHING RETURNING id")
            .scalars(tx)
            .await?;
        for id in ids {
            inserted.push(parse_id(id)?);
        }
    }
    Ok(inserted)
}

/// Rewrites what a re-import or an export may change.
pub async fn update(tx: &mut Tx<'_>, x: &Content) -> Result<()> {
    Sql::update(x)?.execute(tx).await.map(drop)
}

/// The source's contents, of any kind, with these foreign ids.
pub async fn get_many_by_foreign(c: &mut impl Conn, source: &SourceId, foreign_ids: &[&str]) -> Result<Vec<Content>> {
    CONTENTS
        .select("WHERE source_id = $1")
        .bind(source.as_str())
        .and_in(c.backend(), "foreign_id", foreign_ids)?
        .list(c, Row::into_content)
        .await
}

pub async fn get(c: &mut impl Conn, company: &CompanyId, id: &ContentId) -> Result<Option<Content>> {
    CONTENTS.one(company, id.as_str()).get(c, Row::into_content).await
}

/// The thread's latest inbound content: what an agent's answer in the thread replies to.
pub async fn latest_inbound_of_thread(
    c: &mut impl Conn,
    company: &CompanyId,
    thread: &ThreadId,
) -> Result<Option<Content>> {
    CONTENTS
        .select("WHERE thread_id = $1 AND company_id = $2 AND direction = 'inbound' ORDER BY created_at DESC, id DESC LIMIT 1")
        .bind(thread.as_str())
        .bind(company.as_str())
        .get(c, Row::into_content)
        .await
}

/// A page of the company's contents (of one source, if given), newest first, after `after`.
pub async fn list(
    c: &mut impl Conn,
    company: &CompanyId,
    source: Option<&SourceId>,
    after: &Keyset,
    limit: i64,
) -> Result<Vec<Content>> {
    let sql = match source {
        Some(source) => CONTENTS.select("WHERE source_id = $1 AND company_id = $2").bind(source.as_str()),
        None => CONTENTS.select("WHERE company_id = $1"),
    };
    sql.bind(company.as_str()).page_after(after, limit).list(c, Row::into_content).await
}

/// A page of a thread's contents, newest first, and how many it has in all.
pub async fn page_of_thread(
    c: &mut impl Conn,
    company: &CompanyId,
    thread: &ThreadId,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Content>, u64)> {
    let total: i64 = Sql::new("SELECT COUNT(*) FROM contents WHERE company_id = $1 AND thread_id = $2")
        .bind(company.as_str())
        .bind(thread.as_str())
        .scalar(c)
        .await?;
    let items = CONTENTS
        .select("WHERE company_id = $1 AND thread_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4")
        .bind(company.as_str())
        .bind(thread.as_str())
        .bind(limit)
        .bind(offset)
        .list(c, Row::into_content)
        .await?;
    Ok((items, u64::try_from(total).unwrap_or_default()))
}

/// The thread's latest content.
pub async fn last_of_thread(c: &mut impl Conn, thread: &ThreadId) -> Result<Option<Content>> {
    CONTENTS
        .select("WHERE thread_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1")
        .bind(thread.as_str())
        .get(c, Row::into_content)
        .await
}

/// Inbound contents of the thread not read yet: counted when asked, so the count is exact
/// whatever arrives and is read meanwhile.
pub async fn unread_in_thread(c: &mut impl Conn, thread: &ThreadId) -> Result<u64> {
    let n: i64 =
        Sql::new("SELECT COUNT(*) FROM contents WHERE thread_id = $1 AND direction = 'inbound' AND is_read = $2")
            .bind(thread.as_str())
            .bind(false)
            .scalar(c)
            .await?;
    Ok(u64::try_from(n).unwrap_or_default())
}

/// The thread's contents among these ids (those that exist).
pub async fn get_many_in_thread(
    c: &mut impl Conn,
    company: &CompanyId,
    thread: &ThreadId,
    ids: &[&str],
) -> Result<Vec<Content>> {
    CONTENTS
        .select("WHERE company_id = $1 AND thread_id = $2")
        .bind(company.as_str())
        .bind(thread.as_str())
        .and_in(c.backend(), "id", ids)?
        .list(c, Row::into_content)
        .await
}

/// Marks these contents read (or unread); returns those whose flag changed.
pub async fn set_read(tx: &mut Tx<'_>, thread: &ThreadId, ids: &[&str], read: bool) -> Result<Vec<ContentId>> {
    let changed: Vec<String> =
        Sql::new("UPDATE contents SET is_read = $1, updated_at = $2 WHERE thread_id = $3 AND is_read <> $4")
            .bind(read)
            .bind(Timestamp::now())
            .bind(thread.as_str())
            .bind(read)
            .and_in(tx.backend(), "id", ids)?
            .append(" RETURNING id")
            .scalars(tx)
            .await?;
    changed.into_iter().map(parse_id).collect()
}

/// Deletes these contents of the thread.
pub async fn delete_in_thread(tx: &mut Tx<'_>, thread: &ThreadId, ids: &[&str]) -> Result<u64> {
    // A reply outlives the message it answered, which its reference would otherwise forbid.
    Sql::new("UPDATE contents SET in_reply_to_id = NULL WHERE thread_id = $1")
        .bind(thread.as_str())
        .and_in(tx.backend(), "in_reply_to_id", ids)?
        .execute(tx)
        .await?;
    Sql::new("DELETE FROM contents WHERE thread_id = $1")
        .bind(thread.as_str())
        .and_in(tx.backend(), "id", ids)?
        .execute(tx)
        .await
}

/// Deletes every content of the thread.
pub async fn delete_thread_contents(tx: &mut Tx<'_>, thread: &ThreadId) -> Result<u64> {
    Sql::new("DELETE FROM contents WHERE thread_id = $1").bind(thread.as_str()).execute(tx).await
}

/// The content the source stored for this `stamp_id` (a publish repeated).
pub async fn get_by_stamp(c: &mut impl Conn, source: &SourceId, stamp_id: &str) -> Result<Option<Content>> {
    CONTENTS
        .select("WHERE source_id = $1 AND stamp_id = $2")
        .bind(source.as_str())
        .bind(stamp_id)
        .get(c, Row::into_content)
        .await
}

/// Records the `stamp_id` a publish gave the content (unique per source).
pub async fn set_stamp(tx: &mut Tx<'_>, id: &ContentId, stamp_id: &str) -> Result<()> {
    Sql::new("UPDATE contents SET stamp_id = $1 WHERE id = $2")
        .bind(stamp_id)
        .bind(id.as_str())
        .execute(tx)
        .await
        .map(drop)
}
