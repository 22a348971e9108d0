use std::path::Path;

use switchboard::config::{FileStoreKind, PublicUrl, S3Config};
use switchboard_domain::file::File;
use switchboard_domain::outbound::OutboundUrl;
use switchboard_domain::{CompanyId, FileId, Timestamp};
use switchboard_engine::files::BasicAuth;
use switchboard_tests::moto::Moto;
use switchboard_tests::{Backend, Tenant};

use base64::Engine as _;

use super::*;

/// The start of a PNG file: what sniffing recognises, whatever the upload is called.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

async fn upload(app: &TestApp, tenant: &Tenant, name: &str, bytes: &[u8]) -> Value {
    let res = app
        .native(Method::POST, &format!("/v1/files?name={name}"), tenant)
        .header("Content-Type", "text/plain")
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "uploading {name}");
    res.json().await.unwrap()
}

/// Every file under `dir`, however deep.
fn stored_objects(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { out.extend(stored_objects(&path)) } else { out.push(path) }
    }
    out
}

async fn stored(app: &TestApp, tenant: &Tenant, id: &str) -> File {
    let company = CompanyId::parse(&tenant.id).unwrap();
    app.engine.file(&company, &FileId::parse(id).unwrap()).await.unwrap()
}

/// The file's bytes and content type through its signed link, checking what every answer
/// carries.
async fn download(app: &TestApp, url: &str) -> (String, Vec<u8>) {
    let res = app.client.get(url).send().await.unwrap();
    assert_eq!(res.status(), 200, "{url}");
    let header = |name: &str| res.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    assert_eq!(header("cache-control"), "private, max-age=3600");
    assert_eq!(header("x-content-type-options"), "nosniff");
    let content_type = header("content-type");
    let length: usize = header("content-length").parse().unwrap();
    let bytes = res.bytes().await.unwrap().to_vec();
    assert_eq!(bytes.len(), length);
    (content_type, bytes)
}

/// Checks that one store keeps the same bytes once and serves them by signed links only.
async fn stores_once_and_serves_by_signed_links(app: &TestApp, objects: impl AsyncFn() -> usize) {
    let first = upload(app, &app.company, "x.txt", PNG).await;
    let second = upload(app, &app.company, "again.png", PNG).await;
    assert_ne!(first["id"], second["id"]);
    assert_eq!(first["sha256"], second["sha256"]);
    assert_eq!(objects().await, 1, "the same bytes are stored once");
    let (content_type, bytes) = download(app, second["url"].as_str().unwrap()).await;
    assert_eq!((content_type.as_str(), bytes.as_slice()), ("image/png", PNG));
    let tampered = first["url"].as_str().unwrap().replace("signature=", "signature=00");
    assert_problem(app.client.get(&tampered).send().await.unwrap(), 403, "not valid").await;
}

e2e! {
    async fn an_upload_is_typed_by_its_bytes_not_its_name_and_served_by_its_signed_link(app: &TestApp) {
        let file = upload(app, &app.company, "x.txt", PNG).await;
        assert_eq!(file["mimetype"], "image/png");
        assert_eq!((&file["name"], &file["uploaded_name"]), (&json!("x.txt"), &json!("x.txt")));
        assert_eq!(file["size"], PNG.len());
        assert_eq!(file["company_id"], app.company.id);
        let url = file["url"].as_str().unwrap();
        let under_listen_address = app.url(&format!("/files/{}?expires=", file["id"].as_str().unwrap()));
        assert!(url.starts_with(&under_listen_address), "{url}");
        let res = app.client.get(url).send().await.unwrap();
        assert_eq!(res.headers()["content-disposition"], "inline; filename=\"x.txt\"; filename*=UTF-8''x.txt");
        assert!(res.headers()["content-security-policy"].to_str().unwrap().contains("sandbox"));
        let (content_type, bytes) = download(app, url).await;
        assert_eq!((content_type.as_str(), bytes.as_slice()), ("image/png", PNG));

        let text = upload(app, &app.company, "../notes/readme.png", b"<html><script>alert(1)</script>").await;
        assert_eq!(text["mimetype"], "text/plain", "a name does not make an image, nor markup a page");
        assert_eq!(text["name"], "readme.png");
        assert_eq!(text["preview"], Value::Null);
        let res = app.client.get(text["url"].as_str().unwrap()).send().await.unwrap();
        assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment;"));
        assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");

        let binary = upload(app, &app.company, "blob", b"\x00\x01\x02").await;
        assert_eq!(binary["mimetype"], "application/octet-stream");
    }

    async fn the_same_bytes_uploaded_twice_are_stored_once(app: &TestApp) {
        stores_once_and_serves_by_signed_links(app, async || stored_objects(app.files_dir.path()).len()).await;
        let other = upload(app, &app.company, "other.bin", b"other bytes").await;
        assert_eq!(stored_objects(app.files_dir.path()).len(), 2);
        let sha = other["sha256"].as_str().unwrap();
        assert!(app.files_dir.path().join(&sha[..2]).join(sha).is_file(), "stored under its hash");
    }

    async fn a_tampered_expired_unsigned_or_borrowed_link_is_a_403(app: &TestApp) {
        let file = upload(app, &app.company, "cat.png", PNG).await;
        let other = upload(app, &app.company, "dog.png", b"dog").await;
        let url = file["url"].as_str().unwrap().to_owned();
        let (path, query) = url.split_once('?').unwrap();
        let expires: u64 = query.split('&').find_map(|p| p.strip_prefix("expires=")).unwrap().parse().unwrap();
        let signature = query.split('&').find_map(|p| p.strip_prefix("signature=")).unwrap();
        let flipped = format!("{}{}", if signature.starts_with('0') { '1' } else { '0' }, &signature[1..]);
        let other_path = app.url(&format!("/files/{}", other["id"].as_str().unwrap()));
        for (link, detail) in [
            (format!("{path}?expires={expires}&signature={flipped}"), "not valid"),
            (format!("{path}?expires={}&signature={signature}", expires + 1), "not valid"),
            (format!("{other_path}?{query}"), "not valid"),
            (format!("{path}?expires={expires}&signature=zz"), "not valid"),
            (format!("{path}?expires={expires}"), "not signed"),
            (format!("{path}?signature={signature}"), "not signed"),
            (path.to_owned(), "not signed"),
        ] {
            assert_problem(app.client.get(&link).send().await.unwrap(), 403, detail).await;
        }
        let record = stored(app, &app.company, file["id"].as_str().unwrap()).await;
        let long_ago = Timestamp::now().minus(std::time::Duration::from_secs(3 * 24 * 3600));
        let expired = app.engine.signed_link(&record, long_ago).unwrap();
        assert_problem(app.client.get(&expired).send().await.unwrap(), 403, "expired").await;
        download(app, &url).await;
    }

    async fn a_right_link_to_a_file_that_does_not_exist_is_a_404(app: &TestApp) {
        let file = upload(app, &app.company, "cat.png", PNG).await;
        let ghost = File { id: FileId::new(), ..stored(app, &app.company, file["id"].as_str().unwrap()).await };
        let link = app.engine.signed_link(&ghost, Timestamp::now()).unwrap();
        assert_problem(app.client.get(&link).send().await.unwrap(), 404, "file").await;
    }

    async fn a_company_gets_its_own_files_with_a_fresh_link_and_never_another_companys(app: &TestApp) {
        let file = upload(app, &app.company, "cat.png", PNG).await;
        let path = format!("/v1/files/{}", file["id"].as_str().unwrap());
        let got: Value = app.native(Method::GET, &path, &app.company).send().await.unwrap().json().await.unwrap();
        assert_eq!((&got["id"], &got["sha256"], &got["name"]), (&file["id"], &file["sha256"], &file["name"]));
        download(app, got["url"].as_str().unwrap()).await;
        // A small image is its own preview, as the File object of seeds/003 shows one.
        assert_eq!(got["preview"]["filename"], "cat_preview.png");
        assert_eq!(got["preview"]["mimetype"], "image/png");
        let preview = base64::engine::general_purpose::STANDARD.decode(got["preview"]["base64"].as_str().unwrap());
        assert_eq!(preview.unwrap(), PNG);

        let other = app.create_company("Other", "owner@other.example").await;
        assert_problem(app.native(Method::GET, &path, &other).send().await.unwrap(), 404, "file").await;
        assert_problem(app.native(Method::GET, "/v1/files/nope", &app.company).send().await.unwrap(), 404, "file").await;
        let unknown = format!("/v1/files/{}", FileId::new());
        assert_problem(app.native(Method::GET, &unknown, &app.company).send().await.unwrap(), 404, "file").await;
        let res = app.request(Method::POST, "/v1/files?name=a.png").body(PNG.to_vec()).send().await.unwrap();
        assert_problem(res, 401, "API key").await;
        assert_problem(app.request(Method::GET, &path).send().await.unwrap(), 401, "API key").await;
    }

    async fn a_name_with_a_control_character_is_a_400_and_nothing_is_stored(app: &TestApp) {
        let res = app.native(Method::POST, "/v1/files?name=a%0Ab.png", &app.company).body(PNG.to_vec()).send().await.unwrap();
        assert_problem(res, 400, "'name'").await;
        assert!(stored_objects(app.files_dir.path()).is_empty());
    }

    async fn a_remote_file_is_fetched_through_the_outbound_guard_and_stored(app: &TestApp) {
        let server = serve_bytes(Router::new().route("/media/cat.png", axum::routing::get(|| async { PNG.to_vec() }))).await;
        let company = CompanyId::parse(&app.company.id).unwrap();
        let url = OutboundUrl::parse("url", &format!("http://{server}/media/cat.png")).unwrap();
        let file = app.engine.fetch_remote(&company, &url, None, None).await.unwrap();
        assert_eq!((file.name.as_str(), file.content_type.as_str(), file.size), ("cat.png", "image/png", PNG.len() as u64));
        let (_, bytes) = download(app, &app.engine.signed_link(&file, Timestamp::now()).unwrap()).await;
        assert_eq!(bytes, PNG);

        let missing = OutboundUrl::parse("url", &format!("http://{server}/media/none.png")).unwrap();
        let err = app.engine.fetch_remote(&company, &missing, None, None).await.unwrap_err().to_string();
        assert!(err.contains("404"), "{err}");
    }
}

e2e! {
    async fn a_remote_file_behind_basic_auth_is_fetched_and_the_credentials_stay_with_its_origin(app: &TestApp) {
        // Twilio's way: the media URL wants the account's credentials, then redirects to a
        // storage host that must not receive them.
        let storage = serve_bytes(Router::new().route(
            "/bucket/ME1",
            axum::routing::get(|headers: axum::http::HeaderMap| async move {
                if headers.contains_key("authorization") { Err(axum::http::StatusCode::BAD_REQUEST) } else { Ok(PNG.to_vec()) }
            }),
        ))
        .await;
        let media = serve_bytes(
            Router::new()
                .route(
                    "/Media/ME1",
                    axum::routing::get(move |headers: axum::http::HeaderMap| async move {
                        let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("AC1:token"));
                        if headers.get("authorization").is_none_or(|v| v != expected.as_str()) {
                            return Err(axum::http::StatusCode::UNAUTHORIZED);
                        }
                        Ok(axum::response::Redirect::temporary(&format!("http://{storage}/bucket/ME1?X-Amz-Signature=abc")))
                    }),
                )
                .route("/Media/metadata", axum::routing::get(|| async {
                    axum::response::Redirect::temporary("http://169.254.169.254/latest/meta-data")
                })),
        )
        .await;
        let company = CompanyId::parse(&app.company.id).unwrap();
        let url = OutboundUrl::parse("url", &format!("http://{media}/Media/ME1")).unwrap();
        let auth = BasicAuth { username: "AC1".into(), password: "token".into() };
        let file = app.engine.fetch_remote(&company, &url, Some(&auth), Some("cat.png")).await.unwrap();
        assert_eq!((file.name.as_str(), file.content_type.as_str()), ("cat.png", "image/png"));
        assert_eq!(download(app, &app.engine.signed_link(&file, Timestamp::now()).unwrap()).await.1, PNG);

        let wrong = BasicAuth { password: "nope".into(), ..auth.clone() };
        let err = app.engine.fetch_remote(&company, &url, Some(&wrong), None).await.unwrap_err().to_string();
        assert!(err.contains("401"), "{err}");
        let inward = OutboundUrl::parse("url", &format!("http://{media}/Media/metadata")).unwrap();
        let err = app.engine.fetch_remote(&company, &inward, Some(&auth), None).await.unwrap_err().to_string();
        assert!(err.contains("169.254.169.254"), "each redirect passes the outbound guard: {err}");
    }
}

e2e! {
    @with |config| config.http.public_url = PublicUrl::try_from("https://sb.example.com/switchboard/".to_owned()).unwrap();

    async fn links_are_made_under_the_configured_public_url(app: &TestApp) {
        assert_eq!(app.engine.public_url().url().as_str(), "https://sb.example.com/switchboard/");
        let file = upload(app, &app.company, "cat.png", PNG).await;
        let url = file["url"].as_str().unwrap();
        let prefix = format!("https://sb.example.com/switchboard/files/{}?expires=", file["id"].as_str().unwrap());
        assert!(url.starts_with(&prefix), "{url}");
        // The proxy strips its path and forwards the rest here.
        let forwarded = app.url(url.strip_prefix("https://sb.example.com/switchboard").unwrap());
        assert_eq!(download(app, &forwarded).await.1, PNG);
    }
}

e2e! {
    @with |config| config.files.max_bytes = 1024;

    async fn a_file_over_the_limit_is_a_413_and_nothing_is_stored(app: &TestApp) {
        let res = app.native(Method::POST, "/v1/files?name=big.bin", &app.company).body(vec![7u8; 1025]).send().await.unwrap();
        assert_problem(res, 413, "1024 bytes").await;
        assert!(stored_objects(app.files_dir.path()).is_empty());
        upload(app, &app.company, "fits.bin", &[7u8; 1024]).await;
        assert_eq!(stored_objects(app.files_dir.path()).len(), 1);
    }

    async fn a_remote_file_over_the_limit_is_cut_off_and_not_stored(app: &TestApp) {
        // The second answer has no length: the limit holds while its bytes arrive.
        let endless = futures::stream::repeat_with(|| Ok::<_, std::io::Error>(axum::body::Bytes::from_static(&[1u8; 512])));
        let router = Router::new()
            .route("/big", axum::routing::get(|| async { vec![0u8; 2048] }))
            .route("/endless", axum::routing::get(move || async move { axum::body::Body::from_stream(endless) }));
        let server = serve_bytes(router).await;
        let company = CompanyId::parse(&app.company.id).unwrap();
        for path in ["/big", "/endless"] {
            let url = OutboundUrl::parse("url", &format!("http://{server}{path}")).unwrap();
            let err = app.engine.fetch_remote(&company, &url, None, None).await.unwrap_err();
            assert!(matches!(err, switchboard_domain::Error::TooLarge(_)), "{path}: {err}");
        }
        assert!(stored_objects(app.files_dir.path()).is_empty());
    }
}

use axum::Router;

/// Serves `router` on a random loopback port.
async fn serve_bytes(router: Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

/// The S3 store, against a real S3-compatible server (`moto_server`).
mod s3 {
    use super::*;

    const BUCKET: &str = "switchboard-files";

    async fn on(backend: Backend) {
        let Some(moto) = Moto::start().await else { return };
        moto.create_bucket(BUCKET).await;
        let endpoint = moto.endpoint.clone();
        let configure = move |config: &mut switchboard::config::Config| {
            config.files.store = FileStoreKind::S3;
            config.files.s3 = S3Config {
                bucket: BUCKET.into(),
                region: "us-east-1".into(),
                endpoint,
                access_key_id: "test".into(),
                secret_access_key: "test".into(),
            };
        };
        let moto = &moto;
        switchboard_tests::run(backend, configure, |app| async move {
            stores_once_and_serves_by_signed_links(&app, async || moto.keys(BUCKET).await.len()).await;
            assert!(stored_objects(app.files_dir.path()).is_empty(), "nothing in the local folder");
            let sha = upload(&app, &app.company, "n.bin", b"s3 bytes").await["sha256"].as_str().unwrap().to_owned();
            assert!(moto.keys(BUCKET).await.contains(&format!("{}/{sha}", &sha[..2])));
            app
        })
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        on(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        on(Backend::Postgres).await;
    }
}
