use switchboard_domain::conversation::Thread;
use switchboard_domain::{Result, SourceId, ThreadId, Timestamp};

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
