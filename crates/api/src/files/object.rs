//! The File object of seeds/003 ("File"): how the native API answers a file, and how RingPlan
//! resources that carry files (texting messages' `files`) show them. Both facades use this one
//! shape, so a file looks the same wherever it appears.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use switchboard_domain::file::File;
use switchboard_domain::{Result, Timestamp};
use switchboard_engine::Engine;
use utoipa::ToSchema;

/// An image at most this large is its own preview; larger ones have none (no image is decoded
/// or resized here).
pub const PREVIEW_MAX_BYTES: u64 = 64 * 1024;

/// A stored file, with a signed link to its bytes.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = File)]
pub struct FileObject {
    #[schema(example = "f4f2fdda269d44bc403de84a")]
    pub id: String,
    #[schema(example = "5cd2d3384368b16e31c454ff")]
    pub company_id: String,
    /// Textual description; files are stored without one.
    pub description: Option<String>,
    /// Sniffed from the bytes when the file was stored (`application/octet-stream` when not
    /// recognised), never taken from the uploader.
    #[schema(example = "image/jpeg")]
    pub mimetype: String,
    /// The name it was uploaded under, without any folder.
    #[schema(example = "cat_picture.jpg")]
    pub name: String,
    /// For an image of at most 64 KiB, the image itself; otherwise null.
    pub preview: Option<Preview>,
    /// In bytes.
    #[schema(example = 284821)]
    pub size: u64,
    #[schema(example = "2018-12-29T11:24:22.943306Z")]
    pub uploaded_at: String,
    #[schema(example = "cat_picture.jpg")]
    pub uploaded_name: String,
    /// The texting contact that sent it, for inbound media; null otherwise.
    pub user_id: Option<String>,
    /// A Switchboard addition: a signed link to the bytes under the server's public URL, for
    /// whoever holds it, until it expires (`files.link_ttl_secs`). Ask for the file again for a
    /// fresh one.
    #[schema(example = "https://sb.example.com/files/f4f2fdda269d44bc403de84a?expires=1767225600&signature=3f1a…")]
    pub url: String,
    /// A Switchboard addition: lowercase hex SHA-256 of the bytes (stored once per content).
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = FilePreview)]
pub struct Preview {
    /// The whole preview file in base64.
    pub base64: String,
    #[schema(example = "cat_picture_preview.jpg")]
    pub filename: String,
    #[schema(example = "image/jpeg")]
    pub mimetype: String,
}

impl FileObject {
    /// `file` with its link and, for a small image, its bytes as the preview.
    pub fn new(file: &File, url: String, preview: Option<&[u8]>) -> Self {
        FileObject {
            id: file.id.to_string(),
            company_id: file.company_id.to_string(),
            description: None,
            mimetype: file.content_type.clone(),
            name: file.name.clone(),
            preview: preview.map(|bytes| Preview {
                base64: STANDARD.encode(bytes),
                filename: preview_name(&file.name),
                mimetype: file.content_type.clone(),
            }),
            size: file.size,
            uploaded_at: file.created_at.to_rfc3339_micros(),
            uploaded_name: file.name.clone(),
            user_id: None,
            url,
            sha256: file.sha256.clone(),
        }
    }

    /// `file` as shown at `now`: a fresh signed link, and the preview read from the file store
    /// when the file is a small image.
    pub async fn render(engine: &Engine, file: &File, now: Timestamp) -> Result<Self> {
        let url = engine.signed_link(file, now)?;
        let preview =
            if file.is_image() && file.size <= PREVIEW_MAX_BYTES { Some(engine.read_file(file).await?) } else { None };
        Ok(Self::new(file, url, preview.as_deref()))
    }
}

/// `cat.jpg` → `cat_preview.jpg`, as RingPlan names previews.
fn preview_name(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem}_preview.{ext}"),
        _ => format!("{name}_preview"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_domain::{CompanyId, FileId};

    #[test]
    fn a_small_image_is_its_own_preview_named_as_ringplan_names_them() {
        let file = File {
            id: FileId::new(),
            company_id: CompanyId::new(),
            name: "cat_picture.jpg".into(),
            sha256: "ab".repeat(32),
            size: 3,
            content_type: "image/jpeg".into(),
            created_at: Timestamp::from_micros(1_546_082_662_943_306),
        };
        let object = FileObject::new(&file, "http://sb/files/x?expires=1&signature=ab".into(), Some(b"abc"));
        let json = serde_json::to_value(&object).unwrap();
        assert_eq!(json["mimetype"], "image/jpeg");
        assert_eq!(json["uploaded_at"], "2018-12-29T11:24:22.943306Z");
        assert_eq!(json["uploaded_name"], "cat_picture.jpg");
        assert_eq!(json["preview"]["base64"], "YWJj");
        assert_eq!(json["preview"]["filename"], "cat_picture_preview.jpg");
        assert_eq!(json["preview"]["mimetype"], "image/jpeg");
        assert_eq!(json["company_id"], file.company_id.as_str());
        assert_eq!(json["user_id"], serde_json::Value::Null);
        assert!(FileObject::new(&file, String::new(), None).preview.is_none());
        assert_eq!(preview_name("README"), "README_preview");
    }
}
