use switchboard_domain::conversation::Thread;
use switchboard_domain::{Result, SourceId, ThreadId, Timestamp};

use crate::{Conn, Tx, db_err, foreign_id_in_json_list, from_json, parse_id, run, to_json};

const COLUMNS: &str = "id, company_id, source_id, foreign_id, title, details, created_at, updated_at";

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

/// The source's threads among these foreign ids (those that exist), each with whether it has
/// any content yet.
pub async fn get_many_by_foreign_with_activity(
    c: &mut impl Conn,
    source: &SourceId,
    foreign_ids: &[&str],
) -> Result<Vec<(Thread, bool)>> {
    let sql = format!(
        "SELECT {COLUMNS}, EXISTS (SELECT 1 FROM contents WHERE contents.thread_id = threads.id) AS has_contents \
         FROM threads WHERE source_id = $1 AND {}",
        foreign_id_in_json_list(&c.conn())
    );
    let list = to_json(&foreign_ids)?;
    let rows: Vec<WithActivity> = run!(c, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(source.as_str())
        .bind(&list)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?);
    rows.into_iter().map(|r| r.thread.into_thread().map(|t| (t, r.has_contents))).collect()
}

pub async fn get(c: &mut impl Conn, id: &ThreadId) -> Result<Option<Thread>> {
    let row: Option<Row> =
        run!(c, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM threads WHERE id = $1")))
            .bind(id.as_str())
            .fetch_optional(&mut *c)
            .await
            .map_err(db_err)?);
    row.map(Row::into_thread).transpose()
}

/// Inserts the thread unless the source already has one with its foreign id. True when inserted.
pub async fn insert(tx: &mut Tx<'_>, t: &Thread) -> Result<bool> {
    let details = to_json(&t.details)?;
    let n = run!(tx, |c| {
        sqlx::query("INSERT INTO threads (id, company_id, source_id, foreign_id, title, details, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (source_id, foreign_id) DO NOTHING")
        .bind(t.id.as_str())
        .bind(t.company_id.as_str())
        .bind(t.source_id.as_str())
        .bind(t.foreign_id.as_deref())
        .bind(t.title.as_deref())
        .bind(&details)
        .bind(t.created_at.as_micros())
        .bind(t.updated_at.as_micros())
        .execute(&mut *c)
        .await
        .map_err(db_err)?
        .rows_affected()
    });
    Ok(n == 1)
}

pub async fn update(tx: &mut Tx<'_>, t: &Thread) -> Result<()> {
    let details = to_json(&t.details)?;
    run!(tx, |c| sqlx::query("UPDATE threads SET title = $2, details = $3, updated_at = $4 WHERE id = $1")
        .bind(t.id.as_str())
        .bind(t.title.as_deref())
        .bind(&details)
        .bind(t.updated_at.as_micros())
        .execute(&mut *c)
        .await
        .map_err(db_err)?
        .rows_affected());
    Ok(())
}
