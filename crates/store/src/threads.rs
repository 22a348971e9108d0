use switchboard_domain::conversation::Thread;
use switchboard_domain::{CompanyId, Result, SourceId, ThreadId, Timestamp};

use crate::sql::Sql;
use crate::table::table;
use crate::{Conn, Tx, from_json, parse_id, to_json};

table! {
    THREADS = "threads", Thread as |t| {
        Key id: t.id.as_str(),
        Fixed company_id: t.company_id.as_str(),
        Fixed source_id: t.source_id.as_str(),
        Fixed foreign_id: t.foreign_id.as_deref(),
        Set title: t.title.as_deref(),
        Set details: to_json(&t.details)?,
        Fixed created_at: t.created_at,
        Set updated_at: t.updated_at,
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    company_id: String,
    source_id: String,
    foreign_id: Option<String>,
    title: Option<String>,
    details: String,
    created_at: i64,
    updated_at: i64,
}

impl Row {
    fn into_thread(self) -> Result<Thread> {
        Ok(Thread {
            id: parse_id(self.id)?,
            company_id: parse_id(self.company_id)?,
            source_id: parse_id(self.source_id)?,
            foreign_id: self.foreign_id,
            title: self.title,
            details: from_json(&self.details)?,
            created_at: Timestamp::from_micros(self.created_at),
            updated_at: Timestamp::from_micros(self.updated_at),
        })
    }
}

#[derive(sqlx::FromRow)]
struct WithActivity {
    #[sqlx(flatten)]
    thread: Row,
    has_contents: bool,
}

impl WithActivity {
    fn into_pair(self) -> Result<(Thread, bool)> {
        Ok((self.thread.into_thread()?, self.has_contents))
    }
}

/// The source's threads among these foreign ids (those that exist), each with whether it has
/// any content yet.
pub async fn get_many_by_foreign_with_activity(
    c: &mut impl Conn,
    source: &SourceId,
    foreign_ids: &[&str],
) -> Result<Vec<(Thread, bool)>> {
    let sql = format!(
        "SELECT {}, EXISTS (SELECT 1 FROM contents WHERE contents.thread_id = threads.id) AS has_contents \
         FROM threads WHERE source_id = $1",
        THREADS.columns()
    );
    Sql::new(sql)
        .bind(source.as_str())
        .and_in(c.backend(), "foreign_id", foreign_ids)?
        .list(c, WithActivity::into_pair)
        .await
}

pub async fn get(c: &mut impl Conn, id: &ThreadId) -> Result<Option<Thread>> {
    THREADS.select("WHERE id = $1").bind(id.as_str()).get(c, Row::into_thread).await
}

/// Inserts the thread unless the source already has one with its foreign id. True when inserted.
pub async fn insert(tx: &mut Tx<'_>, t: &Thread) -> Result<bool> {
    let n = Sql::insert(t)?.append(" ON CONFLICT (source_id, foreign_id) DO NOTHING").execute(tx).await?;
    Ok(n == 1)
}

pub async fn update(tx: &mut Tx<'_>, t: &Thread) -> Result<()> {
    Sql::update(t)?.execute(tx).await.map(drop)
}

/// The company's thread with this id.
pub async fn get_of(c: &mut impl Conn, company: &CompanyId, id: &ThreadId) -> Result<Option<Thread>> {
    THREADS.one(company, id.as_str()).get(c, Row::into_thread).await
}

/// The source's thread with this foreign id.
pub async fn get_by_foreign(c: &mut impl Conn, source: &SourceId, foreign_id: &str) -> Result<Option<Thread>> {
    THREADS
        .select("WHERE source_id = $1 AND foreign_id = $2")
        .bind(source.as_str())
        .bind(foreign_id)
        .get(c, Row::into_thread)
        .await
}

/// A page of the company's texting conversations (threads of its SMS sources), the latest
/// active first, and how many there are.
pub async fn page_of_sms(
    c: &mut impl Conn,
    company: &CompanyId,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Thread>, u64)> {
    const SMS: &str =
        "company_id = $1 AND source_id IN (SELECT id FROM sources WHERE company_id = $1 AND kind = 'sms')";
    let total: i64 =
        Sql::new(format!("SELECT COUNT(*) FROM threads WHERE {SMS}")).bind(company.as_str()).scalar(c).await?;
    let items = THREADS
        .select(&format!("WHERE {SMS} ORDER BY updated_at DESC, id DESC LIMIT $2 OFFSET $3"))
        .bind(company.as_str())
        .bind(limit)
        .bind(offset)
        .list(c, Row::into_thread)
        .await?;
    Ok((items, u64::try_from(total).unwrap_or_default()))
}

/// The company's threads among these ids (those that exist).
pub async fn get_many(c: &mut impl Conn, company: &CompanyId, ids: &[&str]) -> Result<Vec<Thread>> {
    THREADS
        .select("WHERE company_id = $1")
        .bind(company.as_str())
        .and_in(c.backend(), "id", ids)?
        .list(c, Row::into_thread)
        .await
}

/// Moves the thread's activity time (conversations are listed by it).
pub async fn touch(tx: &mut Tx<'_>, id: &ThreadId, at: Timestamp) -> Result<()> {
    Sql::new("UPDATE threads SET updated_at = $1 WHERE id = $2").bind(at).bind(id.as_str()).execute(tx).await.map(drop)
}

/// Deletes the thread (its contents first: see [`crate::contents::delete_thread_contents`]).
pub async fn delete(tx: &mut Tx<'_>, company: &CompanyId, id: &ThreadId) -> Result<bool> {
    Ok(THREADS.delete_one(company, id.as_str()).execute(tx).await? == 1)
}

/// Whether the company has a thread with this foreign id, on any source.
pub async fn exists_with_foreign(c: &mut impl Conn, company: &CompanyId, foreign_id: &str) -> Result<bool> {
    let n: i64 = Sql::new("SELECT COUNT(*) FROM threads WHERE company_id = $1 AND foreign_id = $2")
        .bind(company.as_str())
        .bind(foreign_id)
        .scalar(c)
        .await?;
    Ok(n > 0)
}
