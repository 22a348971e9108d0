//! `GET /files/{file_id}?expires=…&signature=…`: a stored file, for whoever holds a signed link
//! to it. It belongs to no facade: RingPlan messages, native uploads and carriers (an MMS's
//! `MediaUrl`) all hand out the same links, and the link is the only credential, so no facade's
//! authentication applies. Errors are RFC 7807 problems.
//!
//! The File object every facade shows is [`FileObject`].

mod object;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use switchboard_domain::file::File;
use switchboard_domain::{Error, Timestamp};
use switchboard_engine::files::LinkQuery;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::problem::Problem;

pub use object::{FileObject, PREVIEW_MAX_BYTES, Preview};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(download))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Link {
    /// When the link stops working, in Unix seconds.
    expires: Option<String>,
    /// Lowercase hex HMAC-SHA256 of the file id and `expires`, made by this server.
    signature: Option<String>,
}

/// Download a file through its signed link.
///
/// The link (as the File object's `url` gives it) is the credential: no other authentication.
/// A link that is altered, expired or unsigned is a 403.
#[utoipa::path(
    get, path = "/files/{file_id}", tag = "Files",
    params(("file_id" = String, Path, pattern = "^[0-9a-f]{24}$"), Link),
    responses(
        (status = 200, description = "The file's bytes, with the media type sniffed from them when it was stored", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 403, description = "The link is altered, expired or unsigned", body = Problem),
        (status = 404, description = "The link is right but the file no longer exists", body = Problem),
    )
)]
async fn download(State(state): State<AppState>, Path(id): Path<String>, Query(link): Query<Link>) -> Response {
    let query = LinkQuery { id: &id, expires: link.expires.as_deref(), signature: link.signature.as_deref() };
    let file = match state.engine.linked_file(query, Timestamp::now()).await {
        Ok(file) => file,
        Err(e) => return problem(e),
    };
    let bytes = match state.engine.open_file(&file).await {
        Ok(bytes) => bytes,
        Err(e) => return problem(e),
    };
    let mut res = Body::from_stream(bytes).into_response();
    let headers = res.headers_mut();
    let header =
        |v: &str| HeaderValue::from_str(v).unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    // Only UTF-8 is sniffed as text.
    let content_type = if file.content_type.starts_with("text/") {
        format!("{}; charset=utf-8", file.content_type)
    } else {
        file.content_type.clone()
    };
    headers.insert(header::CONTENT_TYPE, header(&content_type));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(file.size));
    if let Ok(v) = HeaderValue::from_str(&content_disposition(&file)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    // Whoever has the link may read it, but no shared cache should keep it for others.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Uploaded bytes are not this server's pages: even opened in a browser, they run nothing.
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    res
}

fn problem(e: Error) -> Response {
    Problem::from_error(e, "A signed link is required.", |r| r.name()).into_response()
}

/// Images, audio, video and PDF are shown in place; anything else is saved. The name is given
/// plain (ASCII, quotes and controls replaced) and exactly (RFC 5987) for clients that read it.
fn content_disposition(file: &File) -> String {
    let shown = ["image/", "audio/", "video/", "application/pdf"].iter().any(|p| file.content_type.starts_with(p))
        && file.content_type != "image/svg+xml";
    let disposition = if shown { "inline" } else { "attachment" };
    let plain: String = file
        .name
        .chars()
        .map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' })
        .collect();
    let mut exact = String::new();
    for b in file.name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            exact.push(b as char);
        } else {
            exact.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{disposition}; filename=\"{plain}\"; filename*=UTF-8''{exact}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, content_type: &str) -> File {
        File {
            id: switchboard_domain::FileId::new(),
            company_id: switchboard_domain::CompanyId::new(),
            name: name.into(),
            sha256: String::new(),
            size: 0,
            content_type: content_type.into(),
            created_at: Timestamp::now(),
        }
    }

    #[test]
    fn a_file_name_is_given_plain_and_exactly_and_only_media_are_shown_in_place() {
        assert_eq!(
            content_disposition(&file("chat \"é\".png", "image/png")),
            "inline; filename=\"chat ___.png\"; filename*=UTF-8''chat%20%22%C3%A9%22.png"
        );
        assert!(content_disposition(&file("a.bin", "application/octet-stream")).starts_with("attachment;"));
        assert!(content_disposition(&file("a.svg", "image/svg+xml")).starts_with("attachment;"));
    }
}
