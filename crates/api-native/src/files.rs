//! `/v1/files`: uploading a file and getting it back, as the File object of seeds/003 with a
//! fresh signed link. The bytes themselves are served by the signed link only
//! (`switchboard_api::files`).

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use futures::StreamExt;
use serde::Deserialize;
use switchboard_api::AppState;
use switchboard_api::files::FileObject;
use switchboard_api::problem::Problem;
use switchboard_domain::{Error, FileId, Resource, Result, Timestamp};
use utoipa::IntoParams;

use crate::NativeError;
use crate::auth::Caller;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct UploadParams {
    /// The file's name; only its last path component is kept. Default `file`.
    #[param(max_length = 255, example = "cat.png")]
    name: Option<String>,
}

fn file_id(id: &str) -> Result<FileId> {
    FileId::parse(id).map_err(|_| Error::NotFound(Resource::File))
}

/// Upload a file: the request body is its bytes, whatever its `Content-Type` (the media type
/// is sniffed from the bytes).
///
/// The bytes are stored once however many times they are uploaded; each upload is a file of
/// its own. A body over `files.max_bytes` is a 413 and stores nothing.
#[utoipa::path(
    post, path = "/v1/files", tag = "Native: Files",
    security(("api_key" = [])),
    params(UploadParams),
    request_body(content = Option<Vec<u8>>, content_type = "application/octet-stream", description = "The file's bytes; none is an empty file."),
    responses(
        (status = 201, body = FileObject),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 413, body = Problem)
    )
)]
pub(crate) async fn upload_file(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Query(params): Query<UploadParams>,
    body: Body,
) -> Result<(StatusCode, Json<FileObject>), NativeError> {
    // Read up to the limit and no further: a body is judged as it arrives, not buffered whole.
    let limit = s.engine.file_size_limit();
    let mut bytes = Vec::new();
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| NativeError::bad_request(format!("the request body could not be read: {e}")))?;
        if (bytes.len() + chunk.len()) as u64 > limit {
            return Err(s.engine.file_too_large().into());
        }
        bytes.extend_from_slice(&chunk);
    }
    let file = s.engine.store_file(&actor.company_id, params.name.as_deref(), bytes.into()).await?;
    let object = FileObject::render(&s.engine, &file, Timestamp::now()).await?;
    Ok((StatusCode::CREATED, Json(object)))
}

/// Get a file of the company, with a fresh signed link.
#[utoipa::path(
    get, path = "/v1/files/{file_id}", tag = "Native: Files",
    security(("api_key" = [])),
    params(("file_id" = String, Path, pattern = "^[0-9a-f]{24}$")),
    responses((status = 200, body = FileObject), (status = 401, body = Problem), (status = 404, body = Problem))
)]
pub(crate) async fn get_file(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<FileObject>, NativeError> {
    let file = s.engine.file(&actor.company_id, &file_id(&id)?).await?;
    Ok(Json(FileObject::render(&s.engine, &file, Timestamp::now()).await?))
}
