//! The rows of stored files. Their bytes are not here but in the file store (the engine's
//! `files`), under each row's `sha256`.

use switchboard_domain::file::File;
use switchboard_domain::{CompanyId, FileId, Result, Timestamp};

use crate::sql::Sql;
use crate::table::table;
use crate::{Conn, Tx, parse_id};

table! {
    FILES = "files", File as |f| {
        Key id: f.id.as_str(),
        Fixed company_id: f.company_id.as_str(),
        Fixed name: &f.name,
        Fixed sha256: &f.sha256,
        Fixed size: f.size as i64,
        Fixed content_type: &f.content_type,
        Fixed created_at: f.created_at,
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    company_id: String,
    name: String,
    sha256: String,
    size: i64,
    content_type: String,
    created_at: i64,
}

impl Row {
    fn into_file(self) -> Result<File> {
        Ok(File {
            id: parse_id(self.id)?,
            company_id: parse_id(self.company_id)?,
            name: self.name,
            sha256: self.sha256,
            size: self.size as u64,
            content_type: self.content_type,
            created_at: Timestamp::from_micros(self.created_at),
        })
    }
}

pub async fn insert(tx: &mut Tx<'_>, f: &File) -> Result<()> {
    Sql::insert(f)?.execute(tx).await.map(drop)
}

pub async fn get(c: &mut impl Conn, company: &CompanyId, id: &FileId) -> Result<Option<File>> {
    FILES.one(company, id.as_str()).get(c, Row::into_file).await
}

/// A file by its id alone, for a signed link: the link's signature, made for this id by the
/// company's own request, stands for the company.
pub async fn get_linked(c: &mut impl Conn, id: &FileId) -> Result<Option<File>> {
    FILES.select("WHERE id = $1").bind(id.as_str()).get(c, Row::into_file).await
}
