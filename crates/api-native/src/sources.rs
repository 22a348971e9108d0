use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use switchboard_domain::outbound::OutboundUrl;
use switchboard_domain::source::sdk::{Capabilities, SdkSettings};
use switchboard_domain::source::{SdkSetup, Source, SourceConfig, SourceDetails, SourceKind, SourceSetup};
use switchboard_domain::sync::SyncRun;
use switchboard_domain::text::TextRule;
use switchboard_domain::{Error, Resource, Result, SourceId, SyncRunId};
use switchboard_engine::channels::sdk::{COLLECTIONS, KNOWN_OPTIONS};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AdditionalProperties, ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::auth::Caller;
use crate::{JsonObject, NativeError};
use switchboard_api::AppState;
use switchboard_api::json::{from_value, merge_patch, to_value};
use switchboard_api::problem::Problem;

/// A source (channel). `access_token` appears only when the source is created and when its
/// token is rotated. What the server sets (`id`, `kind`, `locales`, `send_api_path`,
/// `created_at`, `updated_at`, `last_sync`, `access_token`) is ignored in an update.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SourceWire {
    #[schema(example = "6b021d147e06aad45d323bd8")]
    id: Option<String>,
    /// Not blank; it cannot be removed.
    #[schema(value_type = String, required = false, max_length = 200, pattern = r"^[^\x00-\x08\x0a-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x08\x0a-\x1f\x7f-\x9f]*$", example = "Support forum")]
    name: Option<String>,
    #[schema(example = "sdk")]
    kind: Option<String>,
    /// The connector's endpoint, an absolute http(s) URL; without it the source only receives
    /// pushes (Send API).
    #[schema(
        max_length = 2048,
        pattern = r"^https?://[^/\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$",
        example = "http://127.0.0.1:9898/"
    )]
    base_uri: Option<String>,
    /// Operations per collection, as `implementation.info` declares them; in an update, `null`
    /// removes a collection.
    #[schema(value_type = Option<ObjectsPatchWire>, example = json!({"messages": ["create", "list", "show"], "status": ["mark_as_read"]}))]
    objects: Option<BTreeMap<String, Vec<String>>>,
    #[schema(value_type = Option<Vec<SdkOptionWire>>, example = json!(["view.messaging"]))]
    options: Option<Vec<String>>,
    /// Labels of custom actions by UI language, from `implementation.info`.
    locales: Option<Value>,
    /// Where the connector pushes (Send API), relative to this server.
    #[schema(example = "/realtime/sdk/6b021d147e06aad45d323bd8")]
    send_api_path: Option<String>,
    created_at: Option<String>,
    updated_at: Option<String>,
    /// How request bodies write non-ASCII text: `utf8` (default; JavaScript connectors) or
    /// `ascii` (`\uXXXX` escapes; Python connectors, which verify `json.dumps` output).
    #[schema(value_type = Option<JsonEscaping>)]
    json_escaping: Option<String>,
    /// Where requests carry their signature: `header` (default), `query` or `both`.
    #[schema(value_type = Option<SignatureIn>)]
    signature_in: Option<String>,
    /// What a connector's wrongly signed answer means: `lenient` (default: accepted, logged
    /// and counted), `strict` (a failed attempt) or `off` (not checked).
    #[schema(value_type = Option<ResponseSignature>)]
    response_signature: Option<String>,
    /// The latest synchronisation run (`GET /v1/sources/{id}` only).
    #[schema(value_type = Option<Value>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    last_sync: Option<Value>,
    /// The shared secret that signs requests both ways: 64 alphanumeric characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    access_token: Option<String>,
}

impl SourceWire {
    fn new(s: &Source, with_token: bool) -> Self {
        let mut wire = SourceWire {
            id: Some(s.id.to_string()),
            name: Some(s.name.clone()),
            kind: Some(s.kind().as_str().to_owned()),
            base_uri: None,
            objects: None,
            options: None,
            locales: None,
            send_api_path: None,
            created_at: Some(s.created_at.to_rfc3339_micros()),
            updated_at: Some(s.updated_at.to_rfc3339_micros()),
            json_escaping: None,
            signature_in: None,
            response_signature: None,
            last_sync: None,
            access_token: None,
        };
        // An SMS number's settings are read and written at /v1/texting/numbers.
        if let SourceConfig::Sdk(c) = &s.config {
            wire.base_uri = c.base_uri.as_ref().map(ToString::to_string);
            wire.objects = Some(c.capabilities.objects.clone());
            wire.options = Some(c.capabilities.options.clone());
            wire.locales = c.capabilities.locales.clone();
            wire.send_api_path = Some(format!("/realtime/sdk/{}", s.id));
            wire.json_escaping = Some(setting_name(c.settings.json_escaping));
            wire.signature_in = Some(setting_name(c.settings.signature_in));
            wire.response_signature = Some(setting_name(c.settings.response_signature));
            wire.access_token = with_token.then(|| c.access_token.expose().to_owned());
        }
        wire
    }
}

/// How request bodies write non-ASCII text.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub(crate) enum JsonEscaping {
    Utf8,
    Ascii,
}

/// Where requests carry their signature.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub(crate) enum SignatureIn {
    Header,
    Query,
    Both,
}

/// What a connector's wrongly signed answer means.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub(crate) enum ResponseSignature {
    Lenient,
    Strict,
    Off,
}

/// The kinds of source added here: texting numbers (`sms`, listed here too) are added at
/// `/v1/texting/numbers`.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub(crate) enum SourceKindWire {
    /// A Channel SDK connector.
    Sdk,
}

/// Operations per collection; only the protocol's collections.
pub(crate) struct ObjectsWire;

impl PartialSchema for ObjectsWire {
    fn schema() -> RefOr<Schema> {
        objects_schema(false)
    }
}

impl ToSchema for ObjectsWire {}

/// Operations per collection, in an update: `null` removes a collection (a merge patch).
pub(crate) struct ObjectsPatchWire;

impl PartialSchema for ObjectsPatchWire {
    fn schema() -> RefOr<Schema> {
        objects_schema(true)
    }
}

impl ToSchema for ObjectsPatchWire {}

fn objects_schema(removable: bool) -> RefOr<Schema> {
    let types = if removable { vec![Type::Array, Type::Null] } else { vec![Type::Array] };
    let operations = ArrayBuilder::new()
        .schema_type(SchemaType::from_iter(types))
        .items(ObjectBuilder::new().schema_type(Type::String).max_length(Some(TextRule::LABEL.max_chars)))
        .build();
    COLLECTIONS
        .iter()
        .fold(ObjectBuilder::new().additional_properties(Some(AdditionalProperties::FreeForm(false))), |o, c| {
            o.property(*c, operations.clone())
        })
        .into()
}

/// An option of `implementation.info` that Switchboard knows.
pub(crate) struct SdkOptionWire;

impl PartialSchema for SdkOptionWire {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new().schema_type(Type::String).enum_values(Some(KNOWN_OPTIONS.iter().copied())).into()
    }
}

impl ToSchema for SdkOptionWire {}

fn setting_name<T: Serialize>(v: T) -> String {
    to_value(&v).as_str().unwrap_or_default().to_owned()
}

/// Reads a setting by its wire name; `None` keeps `current`.
fn setting<T: serde::de::DeserializeOwned>(field: &str, given: Option<String>, current: T, allowed: &str) -> Result<T> {
    match given {
        None => Ok(current),
        Some(v) => serde_json::from_value(Value::String(v.clone()))
            .map_err(|_| Error::invalid_field(field, format!("must be one of {allowed}, got '{v}'"))),
    }
}

fn settings(
    json_escaping: Option<String>,
    signature_in: Option<String>,
    response_signature: Option<String>,
    current: SdkSettings,
) -> Result<SdkSettings> {
    Ok(SdkSettings {
        json_escaping: setting("json_escaping", json_escaping, current.json_escaping, "utf8, ascii")?,
        signature_in: setting("signature_in", signature_in, current.signature_in, "header, query, both")?,
        response_signature: setting(
            "response_signature",
            response_signature,
            current.response_signature,
            "lenient, strict, off",
        )?,
    })
}

/// A synchronisation run of a source.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SyncRunWire {
    #[schema(example = "6b021d147e06aad45d323bd8")]
    id: String,
    source_id: String,
    /// `schedule` or `manual`.
    trigger: &'static str,
    /// `queued`, `running`, `succeeded` or `failed`.
    status: &'static str,
    /// Why the run failed.
    error: Option<String>,
    /// `pages`, `fetched`, `imported`, `skipped`, `signature_mismatches`.
    #[schema(value_type = Object)]
    counts: Value,
    created_at: String,
    started_at: Option<String>,
    finished_at: Option<String>,
}

impl From<&SyncRun> for SyncRunWire {
    fn from(r: &SyncRun) -> Self {
        SyncRunWire {
            id: r.id.to_string(),
            source_id: r.source_id.to_string(),
            trigger: r.trigger.as_str(),
            status: r.status.as_str(),
            error: r.error.clone(),
            counts: to_value(&r.counts),
            created_at: r.created_at.to_rfc3339_micros(),
            started_at: r.started_at.map(|t| t.to_rfc3339_micros()),
            finished_at: r.finished_at.map(|t| t.to_rfc3339_micros()),
        }
    }
}

/// What creating a source takes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewSourceWire {
    /// Not blank.
    #[schema(
        max_length = 200,
        pattern = r"^[^\x00-\x08\x0a-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x08\x0a-\x1f\x7f-\x9f]*$",
        example = "Support forum"
    )]
    name: String,
    #[schema(value_type = SourceKindWire)]
    kind: String,
    #[schema(
        max_length = 2048,
        pattern = r"^https?://[^/\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$",
        example = "http://127.0.0.1:9898/"
    )]
    base_uri: Option<String>,
    /// Operations per collection, as `implementation.info` declares them.
    #[schema(value_type = Option<ObjectsWire>)]
    objects: Option<BTreeMap<String, Vec<String>>>,
    #[schema(value_type = Option<Vec<SdkOptionWire>>)]
    options: Option<Vec<String>>,
    #[schema(value_type = Option<JsonEscaping>)]
    json_escaping: Option<String>,
    #[schema(value_type = Option<SignatureIn>)]
    signature_in: Option<String>,
    #[schema(value_type = Option<ResponseSignature>)]
    response_signature: Option<String>,
}

fn capabilities(
    objects: Option<BTreeMap<String, Vec<String>>>,
    options: Option<Vec<String>>,
    locales: Option<Value>,
) -> Capabilities {
    Capabilities { objects: objects.unwrap_or_default(), options: options.unwrap_or_default(), locales }
}

/// A base URI as written back by a merge patch: the current one, as it is shown (an old one
/// without its password), stays what it is.
fn base_uri(given: Option<String>, current: Option<&OutboundUrl>) -> Result<Option<OutboundUrl>> {
    match (given, current) {
        (Some(given), Some(current)) if given == current.to_string() => Ok(Some(current.clone())),
        (given, _) => given.as_deref().map(|u| OutboundUrl::parse("base_uri", u)).transpose(),
    }
}

/// Texting numbers have their own endpoints, which know their settings.
fn sms_elsewhere() -> Error {
    Error::invalid_field("kind", "'sms' sources (texting numbers) are added and changed at /v1/texting/numbers")
}

fn source_id(id: &str) -> Result<SourceId> {
    SourceId::parse(id).map_err(|_| Error::NotFound(Resource::Source))
}

/// List the company's sources.
#[utoipa::path(
    get, path = "/v1/sources", tag = "Native: Sources",
    security(("api_key" = [])),
    responses((status = 200, body = Vec<SourceWire>), (status = 401, body = Problem), (status = 403, body = Problem))
)]
pub(crate) async fn list_sources(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Vec<SourceWire>>, NativeError> {
    Ok(Json(s.engine.list_sources(&actor).await?.iter().map(|x| SourceWire::new(x, false)).collect()))
}

/// Add a source. The answer carries its access token, which is shown again only on rotation.
#[utoipa::path(
    post, path = "/v1/sources", tag = "Native: Sources",
    security(("api_key" = [])),
    request_body = NewSourceWire,
    responses(
        (status = 201, description = "The new source, with its access token.", body = SourceWire),
        (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, description = "Only the owner or an administrator may add sources.", body = Problem)
    )
)]
pub(crate) async fn create_source(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<SourceWire>), NativeError> {
    actor.require_admin("add sources")?;
    let w: NewSourceWire = from_value(body).map_err(NativeError::bad_request)?;
    let setup = match SourceKind::parse(&w.kind)? {
        SourceKind::Sdk => SourceSetup::Sdk(SdkSetup {
            base_uri: w.base_uri.as_deref().map(|u| OutboundUrl::parse("base_uri", u)).transpose()?,
            capabilities: capabilities(w.objects, w.options, None),
            settings: settings(w.json_escaping, w.signature_in, w.response_signature, SdkSettings::default())?,
        }),
        SourceKind::Sms => return Err(sms_elsewhere().into()),
    };
    let new = SourceDetails { name: w.name, setup };
    let source = s.engine.create_source(&actor, new).await?;
    Ok((StatusCode::CREATED, Json(SourceWire::new(&source, true))))
}

/// Get a source, with its latest synchronisation run.
#[utoipa::path(
    get, path = "/v1/sources/{source_id}", tag = "Native: Sources",
    security(("api_key" = [])),
    params(("source_id" = String, Path, pattern = "^[0-9a-f]{24}$")),
    responses((status = 200, body = SourceWire), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem))
)]
pub(crate) async fn get_source(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<SourceWire>, NativeError> {
    let id = source_id(&id)?;
    let mut wire = SourceWire::new(&s.engine.source(&actor, &id).await?, false);
    wire.last_sync = s.engine.last_sync(&actor, &id).await?.map(|r| to_value(&SyncRunWire::from(&r)));
    Ok(Json(wire))
}

/// Partially update a source (JSON merge patch of `name`, `base_uri`, `objects`, `options`).
#[utoipa::path(
    patch, path = "/v1/sources/{source_id}", tag = "Native: Sources",
    security(("api_key" = [])),
    params(("source_id" = String, Path, pattern = "^[0-9a-f]{24}$")),
    request_body = SourceWire,
    responses((status = 200, body = SourceWire), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, description = "The source is a texting number, changed at /v1/texting/numbers.", body = Problem))
)]
pub(crate) async fn update_source(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonObject(patch): JsonObject,
) -> Result<Json<SourceWire>, NativeError> {
    let source = s
        .engine
        .update_source(&actor, &source_id(&id)?, |current| {
            let mut doc = to_value(&SourceWire::new(current, false));
            merge_patch(&mut doc, patch.clone());
            let w: SourceWire = from_value(doc).map_err(Error::invalid)?;
            let SourceConfig::Sdk(c) = &current.config else {
                return Err(Error::Conflict(
                    "this source is a texting number: change it at /v1/texting/numbers".into(),
                ));
            };
            let setup = SourceSetup::Sdk(SdkSetup {
                base_uri: base_uri(w.base_uri, c.base_uri.as_ref())?,
                capabilities: capabilities(w.objects, w.options, c.capabilities.locales.clone()),
                settings: settings(w.json_escaping, w.signature_in, w.response_signature, c.settings)?,
            });
            Ok(SourceDetails { name: w.name.ok_or_else(|| Error::invalid_field("name", "must not be empty"))?, setup })
        })
        .await?;
    Ok(Json(SourceWire::new(&source, false)))
}

/// Delete a source. Its conversations stay readable; it stops accepting pushes.
#[utoipa::path(
    delete, path = "/v1/sources/{source_id}", tag = "Native: Sources",
    security(("api_key" = [])),
    params(("source_id" = String, Path, pattern = "^[0-9a-f]{24}$")),
    responses((status = 204, description = "Deleted."), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem))
)]
pub(crate) async fn delete_source(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, NativeError> {
    s.engine.delete_source(&actor, &source_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace a source's access token. The old token stops working at once; the answer carries
/// the new one.
#[utoipa::path(
    post, path = "/v1/sources/{source_id}/rotate-token", tag = "Native: Sources",
    security(("api_key" = [])),
    params(("source_id" = String, Path, pattern = "^[0-9a-f]{24}$")),
    responses((status = 200, description = "The source, with its new access token.", body = SourceWire), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem))
)]
pub(crate) async fn rotate_token(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<SourceWire>, NativeError> {
    Ok(Json(SourceWire::new(&s.engine.rotate_source_token(&actor, &source_id(&id)?).await?, true)))
}

/// Synchronise a source now: queue a run and answer with it. Poll
/// `GET /v1/sources/{source_id}/syncs/{run_id}` for its outcome.
#[utoipa::path(
    post, path = "/v1/sources/{source_id}/sync", tag = "Native: Sources",
    security(("api_key" = [])),
    params(("source_id" = String, Path, pattern = "^[0-9a-f]{24}$")),
    responses(
        (status = 202, description = "The queued run.", body = SyncRunWire),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The source has no base URI.", body = Problem)
    )
)]
pub(crate) async fn start_sync(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<SyncRunWire>), NativeError> {
    let run = s.engine.start_sync(&actor, &source_id(&id)?).await?;
    Ok((StatusCode::ACCEPTED, Json(SyncRunWire::from(&run))))
}

/// Get a synchronisation run of a source.
#[utoipa::path(
    get, path = "/v1/sources/{source_id}/syncs/{run_id}", tag = "Native: Sources",
    security(("api_key" = [])),
    params(("source_id" = String, Path, pattern = "^[0-9a-f]{24}$"), ("run_id" = String, Path, pattern = "^[0-9a-f]{24}$")),
    responses((status = 200, body = SyncRunWire), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem))
)]
pub(crate) async fn get_sync(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path((id, run)): Path<(String, String)>,
) -> Result<Json<SyncRunWire>, NativeError> {
    let run = SyncRunId::parse(&run).map_err(|_| Error::NotFound(Resource::SyncRun))?;
    Ok(Json(SyncRunWire::from(&s.engine.sync_run(&actor, &source_id(&id)?, &run).await?)))
}
