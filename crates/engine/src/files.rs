//! The one file store of the product: MMS attachments now, fax documents and voicemail audio
//! later. Bytes go to an object store (a local folder by default, any S3-compatible store by
//! configuration) once per content, keyed by their SHA-256; each upload is a `files` row of its
//! company pointing at them. A file is read only through a signed, expiring link
//! (`/files/{id}?expires=…&signature=…`): the link is the credential, so it can be handed to a
//! carrier or put in a message.
//!
//! The link key is derived from the installation's secrets keyring (no key of its own to
//! manage); after a key rotation, links signed with the older key verify while it is kept.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use hmac::{Hmac, Mac};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use sha2::{Digest, Sha256};
use switchboard_domain::file::{File, OCTET_STREAM, file_name};
use switchboard_domain::outbound::OutboundUrl;
use switchboard_domain::{CompanyId, Error, FileId, Resource, Result, Timestamp};
use switchboard_store::files;

use crate::Engine;
use crate::outbound::{Client, Guard, refusal_in};

/// What a derived link key is for; changing it invalidates every link.
pub(crate) const LINK_KEY_PURPOSE: &str = "file links v1";
/// How long fetching a remote file may take, from the request to its last byte.
const FETCH_TIMEOUT: Duration = Duration::from_secs(60);
/// Redirects followed when fetching a remote file.
const MAX_REDIRECTS: usize = 5;

/// HTTP Basic credentials for fetching a remote file. Its `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct BasicAuth {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicAuth").field("username", &self.username).field("password", &"***").finish()
    }
}

/// Where the bytes of files are kept.
#[derive(Clone, PartialEq, Eq)]
pub enum FileStoreOptions {
    /// A folder of this machine (one node, or a folder every node shares).
    Local {
        path: PathBuf,
    },
    S3(S3Options),
}

impl Default for FileStoreOptions {
    fn default() -> Self {
        Self::Local { path: PathBuf::from("files") }
    }
}

/// An S3-compatible bucket. Its `Debug` never shows the secret access key.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct S3Options {
    pub bucket: String,
    pub region: String,
    /// Empty for AWS itself; the URL of any other S3-compatible server.
    pub endpoint: String,
    /// Empty: the credentials of the environment (instance role, `AWS_*` variables).
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for S3Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Options")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &if self.secret_access_key.is_empty() { "" } else { "***" })
            .finish()
    }
}

impl std::fmt::Debug for FileStoreOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Local { path } => f.debug_struct("Local").field("path", path).finish(),
            Self::S3(s3) => s3.fmt(f),
        }
    }
}

#[derive(Debug, Clone)]
pub struct FileOptions {
    pub store: FileStoreOptions,
    /// The largest file stored, uploaded or fetched.
    pub max_bytes: u64,
    /// How long a signed link works.
    pub link_ttl: Duration,
}

impl Default for FileOptions {
    fn default() -> Self {
        Self {
            store: FileStoreOptions::default(),
            max_bytes: 25 * 1024 * 1024,
            link_ttl: Duration::from_secs(24 * 3600),
        }
    }
}

/// The file store, as the engine holds it.
pub(crate) struct Files {
    objects: Arc<dyn ObjectStore>,
    max_bytes: u64,
    link_ttl: Duration,
    /// The current key first; every one verifies.
    link_keys: Vec<[u8; 32]>,
    fetch: Client,
}

impl Files {
    pub(crate) fn new(options: FileOptions, link_keys: Vec<[u8; 32]>, guard: &Guard) -> Result<Self> {
        let objects: Arc<dyn ObjectStore> = match &options.store {
            FileStoreOptions::Local { path } => {
                std::fs::create_dir_all(path).map_err(|e| {
                    Error::Internal(format!("cannot create the file store folder {}: {e}", path.display()))
                })?;
                let local = object_store::local::LocalFileSystem::new_with_prefix(path).map_err(|e| {
                    Error::Internal(format!("cannot use the file store folder {}: {e}", path.display()))
                })?;
                Arc::new(local)
            }
            FileStoreOptions::S3(s3) => Arc::new(s3_store(s3)?),
        };
        let builder = reqwest::Client::builder().timeout(FETCH_TIMEOUT).user_agent("Switchboard-Files/1");
        let fetch = guard.client(builder, "file fetch")?;
        Ok(Self { objects, max_bytes: options.max_bytes, link_ttl: options.link_ttl, link_keys, fetch })
    }

    fn too_large(&self) -> Error {
        Error::TooLarge(format!("the file is larger than the limit of {} bytes", self.max_bytes))
    }

    fn mac(key: &[u8; 32], id: &FileId, expires: u64) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(id.as_str().as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        mac
    }
}

fn s3_store(s3: &S3Options) -> Result<object_store::aws::AmazonS3> {
    if s3.bucket.trim().is_empty() {
        return Err(Error::invalid_field("files.s3.bucket", "is required when files.store is \"s3\""));
    }
    let mut builder = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(&s3.bucket);
    if !s3.region.is_empty() {
        builder = builder.with_region(&s3.region);
    }
    if !s3.endpoint.is_empty() {
        // Servers other than AWS name buckets in the path, and may run on plain HTTP inside the
        // operator's network: the endpoint is the operator's own configuration.
        builder = builder
            .with_endpoint(&s3.endpoint)
            .with_virtual_hosted_style_request(false)
            .with_allow_http(s3.endpoint.starts_with("http://"));
    }
    if !s3.access_key_id.is_empty() {
        builder = builder.with_access_key_id(&s3.access_key_id).with_secret_access_key(&s3.secret_access_key);
    }
    builder.build().map_err(|e| Error::invalid(format!("the S3 file store cannot be used: {e}")))
}

/// Where the bytes of `sha256` are kept: fanned out by their first two hex digits, so that no
/// folder of a local store grows too large.
fn object_path(sha256: &str) -> ObjectPath {
    ObjectPath::from(format!("{}/{sha256}", &sha256[..2]))
}

fn storage_error(e: object_store::Error) -> Error {
    Error::Unavailable(format!("file store: {e}"))
}

/// The media type of `bytes`, from their content alone. Binary formats are known by their magic
/// numbers; text has none, so UTF-8 without control characters is plain text (served as
/// UTF-8), and the vCards and calendar entries phones attach to MMS are named by their first
/// line. Nothing is marked HTML, XML or script: stored bytes are never a page of this server.
fn sniff(bytes: &[u8]) -> String {
    if let Some(known) = infer::get(bytes).filter(|t| t.matcher_type() != infer::MatcherType::Text) {
        return known.mime_type().to_owned();
    }
    let Ok(text) = std::str::from_utf8(bytes) else { return OCTET_STREAM.to_owned() };
    if text.is_empty() || text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n')) {
        return OCTET_STREAM.to_owned();
    }
    let first_line = text.trim_start_matches('\u{feff}').lines().next().unwrap_or_default().trim();
    let kind = if first_line.eq_ignore_ascii_case("BEGIN:VCARD") {
        "text/vcard"
    } else if first_line.eq_ignore_ascii_case("BEGIN:VCALENDAR") {
        "text/calendar"
    } else {
        "text/plain"
    };
    kind.to_owned()
}

/// The bytes of a stored file, as they are read.
pub type FileBytes = BoxStream<'static, Result<Bytes>>;

/// A signed link's parts, as a request gives them.
#[derive(Debug, Clone, Copy)]
pub struct LinkQuery<'a> {
    pub id: &'a str,
    pub expires: Option<&'a str>,
    pub signature: Option<&'a str>,
}

impl Engine {
    /// Stores `bytes` as a file of `company` named `name` (only its last path component is
    /// kept). The bytes are written once per content; the row is written after them, so a
    /// file that exists can always be read.
    #[tracing::instrument(skip_all, fields(company = %company, size = bytes.len()))]
    pub async fn store_file(&self, company: &CompanyId, name: Option<&str>, bytes: Bytes) -> Result<File> {
        let files = &self.files;
        if bytes.len() as u64 > files.max_bytes {
            return Err(files.too_large());
        }
        let name = file_name(name)?;
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let file = File {
            id: FileId::new(),
            company_id: company.clone(),
            name,
            size: bytes.len() as u64,
            content_type: sniff(&bytes),
            sha256,
            created_at: Timestamp::now(),
        };
        let path = object_path(&file.sha256);
        match files.objects.head(&path).await {
            // Same key, same bytes: a second upload of them writes nothing.
            Ok(_) => {}
            Err(object_store::Error::NotFound { .. }) => {
                files.objects.put(&path, bytes.into()).await.map_err(storage_error)?;
            }
            Err(e) => return Err(storage_error(e)),
        }
        let mut tx = self.store.begin().await?;
        files::insert(&mut tx, &file).await?;
        tx.commit().await?;
        Ok(file)
    }

    /// The largest file stored, in bytes.
    pub fn file_size_limit(&self) -> u64 {
        self.files.max_bytes
    }

    /// The error of a file over [`Engine::file_size_limit`], for a caller that stops reading
    /// one before it reaches the store.
    pub fn file_too_large(&self) -> Error {
        self.files.too_large()
    }

    /// One of the company's files.
    #[tracing::instrument(skip(self))]
    pub async fn file(&self, company: &CompanyId, id: &FileId) -> Result<File> {
        files::get(&mut self.store.reader().await?, company, id).await?.ok_or(Error::NotFound(Resource::File))
    }

    /// The bytes of `file`, streamed from the store.
    pub async fn open_file(&self, file: &File) -> Result<FileBytes> {
        let got = self.files.objects.get(&object_path(&file.sha256)).await.map_err(|e| match e {
            object_store::Error::NotFound { .. } => Error::Internal(format!(
                "the bytes of file {} ({}) are missing from the file store",
                file.id, file.sha256
            )),
            e => storage_error(e),
        })?;
        Ok(got.into_stream().map(|chunk| chunk.map_err(storage_error)).boxed())
    }

    /// The whole content of `file`, for callers that need it at once (a preview, an upload).
    pub async fn read_file(&self, file: &File) -> Result<Bytes> {
        let mut stream = self.open_file(file).await?;
        let mut out = Vec::with_capacity(file.size as usize);
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out.into())
    }

    /// A link to `file` that works until `link_ttl` after `now`, for whoever has it, under the
    /// public base URL: `{public_url}/files/{id}?expires=<unix seconds>&signature=<hex
    /// HMAC-SHA256 of the id and expires>`.
    pub fn signed_link(&self, file: &File, now: Timestamp) -> Result<String> {
        let files = &self.files;
        let expires = now.plus(files.link_ttl).as_micros().div_euclid(1_000_000).max(0) as u64;
        let key = files
            .link_keys
            .first()
            .ok_or_else(|| Error::invalid("no secrets key is configured: file links cannot be signed"))?;
        let signature = hex::encode(Files::mac(key, &file.id, expires).finalize().into_bytes());
        Ok(self.public_url.join(&format!("/files/{}?expires={expires}&signature={signature}", file.id)))
    }

    /// The file a signed link names, if its signature is right and it has not expired at
    /// `now`: `Forbidden` when the link is missing a part, was altered or has expired,
    /// `NotFound` when it is right but the file is gone.
    // The signature is not recorded: with the id, it is the credential.
    #[tracing::instrument(skip_all, fields(file = link.id))]
    pub async fn linked_file(&self, link: LinkQuery<'_>, now: Timestamp) -> Result<File> {
        let refused = |why: &str| Error::forbidden(format!("this file link {why}; ask for a new link"));
        let (Some(expires), Some(signature)) = (link.expires, link.signature) else {
            return Err(refused("is not signed: 'expires' and 'signature' are required"));
        };
        let id = FileId::parse(link.id).map_err(|_| refused("is not valid"))?;
        let expires: u64 = expires.parse().map_err(|_| refused("is not valid"))?;
        let signature = hex::decode(signature).map_err(|_| refused("is not valid"))?;
        // `verify_slice` compares in constant time.
        let signed =
            self.files.link_keys.iter().any(|key| Files::mac(key, &id, expires).verify_slice(&signature).is_ok());
        if !signed {
            return Err(refused("is not valid"));
        }
        if (expires as i64).saturating_mul(1_000_000) < now.as_micros() {
            return Err(refused("has expired"));
        }
        files::get_linked(&mut self.store.reader().await?, &id).await?.ok_or(Error::NotFound(Resource::File))
    }

    /// Downloads `url` through the outbound guard, like every request to a URL someone gave,
    /// and stores it as a file of `company`: how inbound MMS media is kept. `auth` is sent to
    /// `url`'s own origin only (Twilio's media URLs want the account's credentials, then
    /// redirect to a storage host that must not see them); redirects are followed, each hop
    /// checked by the guard. The size limit holds while the bytes arrive, so an endless answer
    /// is cut off at the limit. The name is the URL's last path segment unless one is given.
    ///
    /// A 4xx answer is `Invalid` (asking again will not help); a 5xx or an unreachable host is
    /// `Unavailable` (a job may retry).
    #[tracing::instrument(skip_all, fields(company = %company))]
    pub async fn fetch_remote(
        &self,
        company: &CompanyId,
        url: &OutboundUrl,
        auth: Option<&BasicAuth>,
        name: Option<&str>,
    ) -> Result<File> {
        let files = &self.files;
        let unreachable = |why: String| Error::Unavailable(format!("cannot fetch the file: {why}"));
        let mut at = url.clone();
        let mut res = None;
        for _ in 0..=MAX_REDIRECTS {
            let mut request = files
                .fetch
                .request(reqwest::Method::GET, at.url().clone())
                .map_err(|refused| Error::invalid_field("url", refused.to_string()))?;
            if let Some(auth) = auth.filter(|_| at.url().origin() == url.url().origin()) {
                request = request.basic_auth(&auth.username, Some(&auth.password));
            }
            let answer = request.send().await.map_err(|e| match refusal_in(&e) {
                Some(refused) => Error::invalid_field("url", refused.to_string()),
                None => unreachable(crate::http::describe(e)),
            })?;
            if !answer.status().is_redirection() {
                res = Some(answer);
                break;
            }
            let location = answer.headers().get(reqwest::header::LOCATION).and_then(|l| l.to_str().ok());
            let next = location.and_then(|l| at.url().join(l).ok()).ok_or_else(|| {
                Error::invalid_field("url", format!("answered {} without a usable Location", answer.status()))
            })?;
            at = OutboundUrl::parse("url", next.as_str())?;
        }
        let Some(mut res) = res else {
            return Err(Error::invalid_field("url", format!("redirected more than {MAX_REDIRECTS} times")));
        };
        let status = res.status();
        if status.is_client_error() {
            return Err(Error::invalid_field("url", format!("answered {status} when the file was fetched")));
        }
        if !status.is_success() {
            return Err(unreachable(format!("answered {status}")));
        }
        if res.content_length().is_some_and(|n| n > files.max_bytes) {
            return Err(files.too_large());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(|e| unreachable(crate::http::describe(e)))? {
            if (bytes.len() + chunk.len()) as u64 > files.max_bytes {
                return Err(files.too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        let from_url = url.url().path_segments().and_then(|mut s| s.next_back()).filter(|s| !s.is_empty());
        self.store_file(company, name.or(from_url), bytes.into()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_sniffed_text_is_plain_and_unknown_bytes_are_octet_streams() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(sniff(png), "image/png");
        assert_eq!(sniff(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(sniff("just some text, caf\u{e9}\r\n".as_bytes()), "text/plain");
        assert_eq!(sniff(b"<html><script>alert(1)</script>"), "text/plain");
        assert_eq!(sniff(b"<?xml version=\"1.0\"?><svg/>"), "text/plain");
        assert_eq!(sniff(b"BEGIN:VCARD\r\nVERSION:3.0\r\nEND:VCARD\r\n"), "text/vcard");
        assert_eq!(sniff(b"begin:vcalendar\n"), "text/calendar");
        assert_eq!(sniff(b"\x00\x01\x02binary"), OCTET_STREAM);
        assert_eq!(sniff(b"\xff\xfe not utf-8"), OCTET_STREAM);
        assert_eq!(sniff(b""), OCTET_STREAM);
    }

    #[test]
    fn objects_are_keyed_by_their_hash_under_its_first_two_digits() {
        let sha = hex::encode(Sha256::digest(b"x"));
        assert_eq!(object_path(&sha).as_ref(), format!("{}/{sha}", &sha[..2]));
    }
}
