use switchboard_domain::conversation::{BodyFormat, Content, ContentKind, Direction, Export, ExportStatus};
use switchboard_domain::{CompanyId, ContentId, Error, Result, SourceId, Timestamp};

use crate::{Conn, Keyset, Tx, db_err, foreign_id_in_json_list, from_json, parse_id, run, to_json};

const COLUMNS: &str = "id, company_id, source_id, thread_id, foreign_id, kind, direction, author_identity_id, recipient_identity_id, \
                       in_reply_to_id, body, format, attachments, structured_content, details, is_read, export_status, export_attempts, \
                       export_error, created_at, updated_at";

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

fn rows_into(rows: Vec<Row>) -> Result<Vec<Content>> {
    rows.into_iter().map(Row::into_content).collect()
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
        struct Encoded {
            attachments: String,
            structured: Option<String>,
            details: String,
        }
        let encoded = chunk
            .iter()
            .map(|x| {
                Ok(Encoded {
                    attachments: to_json(&x.attachments)?,
                    structured: x.structured_content.as_ref().map(to_json).transpose()?,
                    details: to_json(&x.details)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let sql = format!(
            "INSERT INTO contents (id, company_id, source_id, thread_id, foreign_id, kind, direction, author_identity_id, recipient_identity_id, \
             in_reply_to_id, body, format, attachments, structured_content, details, is_read, export_status, export_attempts, export_error, created_at, updated_at) \
             VALUES {} ON CONFLICT (source_id, foreign_id, kind) DO NOTHING RETURNING id",
            crate::values_placeholders(chunk.len(), 21)
        );
        let ids: Vec<String> = run!(tx, |c| {
            let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str()));
            for (x, e) in chunk.iter().zip(&encoded) {
                let export = x.export.as_ref();
                q = q
                    .bind(x.id.as_str())
                    .bind(x.company_id.as_str())
                    .bind(x.source_id.as_str())
                    .bind(x.thread_id.as_str())
                    .bind(x.foreign_id.as_deref())
                    .bind(x.kind.as_str())
                    .bind(x.direction.as_str())
                    .bind(x.author_identity_id.as_ref().map(|i| i.as_str()))
                    .bind(x.recipient_identity_id.as_ref().map(|i| i.as_str()))
                    .bind(x.in_reply_to_id.as_ref().map(|i| i.as_str()))
                    .bind(x.body.as_deref())
                    .bind(x.format.as_str())
                    .bind(e.attachments.as_str())
                    .bind(e.structured.as_deref())
                    .bind(e.details.as_str())
                    .bind(x.read)
                    .bind(export.map(|e| e.status.as_str()))
                    .bind(export.map_or(0, |e| e.attempts))
                    .bind(export.and_then(|e| e.last_error.as_deref()))
                    .bind(x.created_at.as_micros())
                    .bind(x.updated_at.as_micros());
            }
            q.fetch_all(&mut *c).await.map_err(db_err)?
        });
        for id in ids {
            inserted.push(parse_id(id)?);
        }
    }
    Ok(inserted)
}

/// Rewrites what a re-import or an export may change.
pub async fn update(tx: &mut Tx<'_>, x: &Content) -> Result<()> {
    let attachments = to_json(&x.attachments)?;
    let structured = x.structured_content.as_ref().map(to_json).transpose()?;
    let details = to_json(&x.details)?;
    let export = x.export.as_ref();
    run!(tx, |c| {
        sqlx::query(
        "UPDATE contents SET foreign_id = $2, body = $3, format = $4, attachments = $5, structured_content = $6, details = $7, is_read = $8, \
         export_status = $9, export_attempts = $10, export_error = $11, updated_at = $12 WHERE id = $1"
    )
    .bind(x.id.as_str())
    .bind(x.foreign_id.as_deref())
    .bind(x.body.as_deref())
    .bind(x.format.as_str())
    .bind(&attachments)
    .bind(structured.as_deref())
    .bind(&details)
    .bind(x.read)
    .bind(export.map(|e| e.status.as_str()))
    .bind(export.map_or(0, |e| e.attempts))
    .bind(export.and_then(|e| e.last_error.as_deref()))
    .bind(x.updated_at.as_micros())
    .execute(&mut *c)
    .await
    .map_err(db_err)?
    .rows_affected()
    });
    Ok(())
}

/// The source's contents, of any kind, with these foreign ids.
pub async fn get_many_by_foreign(c: &mut impl Conn, source: &SourceId, foreign_ids: &[&str]) -> Result<Vec<Content>> {
    let sql = format!("SELECT {COLUMNS} FROM contents WHERE source_id = $1 AND {}", foreign_id_in_json_list(&c.conn()));
    let list = to_json(&foreign_ids)?;
    let rows: Vec<Row> = run!(c, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(source.as_str())
        .bind(&list)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?);
    rows_into(rows)
}

pub async fn get(c: &mut impl Conn, company: &CompanyId, id: &ContentId) -> Result<Option<Content>> {
    let row: Option<Row> = run!(c, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM contents WHERE company_id = $1 AND id = $2"
    )))
    .bind(company.as_str())
    .bind(id.as_str())
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?);
    row.map(Row::into_content).transpose()
}

/// A page of the company's contents (of one source, if given), newest first, after `after`.
pub async fn list(
    c: &mut impl Conn,
    company: &CompanyId,
    source: Option<&SourceId>,
    after: &Keyset,
    limit: i64,
) -> Result<Vec<Content>> {
    let rows: Vec<Row> = run!(c, |c| {
        match source {
        Some(source) => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM contents WHERE source_id = $1 AND company_id = $2 AND (created_at < $3 OR (created_at = $3 AND id < $4)) \
             ORDER BY created_at DESC, id DESC LIMIT $5"
        )))
        .bind(source.as_str())
        .bind(company.as_str())
        .bind(after.created_at)
        .bind(&after.id)
        .bind(limit)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?,
        None => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM contents WHERE company_id = $1 AND (created_at < $2 OR (created_at = $2 AND id < $3)) \
             ORDER BY created_at DESC, id DESC LIMIT $4"
        )))
        .bind(company.as_str())
        .bind(after.created_at)
        .bind(&after.id)
        .bind(limit)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?,
    }
    });
    rows_into(rows)
}
