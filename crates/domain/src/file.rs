//! Files: MMS attachments now, fax documents and voicemail audio later. The bytes are kept once
//! per content (by their SHA-256) in the file store; a `File` is one upload of them by a
//! company, under the name it was given.

use crate::text::TextRule;
use crate::{CompanyId, FileId, Result, Timestamp};

/// The media type of bytes nothing recognises.
pub const OCTET_STREAM: &str = "application/octet-stream";

/// A file a company stored.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    pub id: FileId,
    pub company_id: CompanyId,
    /// The name it was uploaded under, without any folder.
    pub name: String,
    /// Lowercase hex SHA-256 of the bytes: the key of the stored object.
    pub sha256: String,
    pub size: u64,
    /// Sniffed from the bytes, never taken from the uploader.
    pub content_type: String,
    pub created_at: Timestamp,
}

impl File {
    pub fn is_image(&self) -> bool {
        self.content_type.starts_with("image/")
    }
}

/// The name a file is kept under: the last component of what the uploader sent (a browser or
/// a carrier may send a whole path), checked as a label; `file` when nothing is left.
pub fn file_name(given: Option<&str>) -> Result<String> {
    let given = given.unwrap_or_default();
    let last = given.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    let name = if last.is_empty() || last == "." || last == ".." { "file" } else { last };
    TextRule::LABEL.check("name", name)?;
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_name_keeps_its_last_component_and_refuses_control_characters() {
        assert_eq!(file_name(Some("C:\\Users\\me\\cat.png")).unwrap(), "cat.png");
        assert_eq!(file_name(Some("../../etc/passwd")).unwrap(), "passwd");
        assert_eq!(file_name(Some("folder/")).unwrap(), "file");
        assert_eq!(file_name(None).unwrap(), "file");
        assert!(file_name(Some("a\nb")).unwrap_err().to_string().contains("'name'"));
    }
}
