//! Twilio's Programmable Messaging, as Twilio documents it: a message is sent by
//! `POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json` (form-encoded, HTTP Basic with
//! the account SID and auth token), and Twilio posts inbound messages and delivery statuses to
//! us form-encoded, signed in `X-Twilio-Signature`.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha1::Sha1;
use subtle::ConstantTimeEq;
use switchboard_domain::outbound::OutboundUrl;
use switchboard_domain::secret::Secret;
use switchboard_domain::{Error, Result};
use url::form_urlencoded;

use super::{
    CarrierError, Carriers, DeliveryStatus, InboundMessage, Incoming, Media, OutboundMessage, Sent, StatusUpdate,
    code_text,
};

/// Where Twilio's REST API is, unless an account says otherwise (a test double, a proxy).
pub const DEFAULT_BASE: &str = "https://api.twilio.com";

/// The header Twilio signs its webhooks in.
pub const SIGNATURE_HEADER: &str = "X-Twilio-Signature";

/// The answer to an inbound message webhook that asks Twilio to do nothing more (no reply):
/// Twilio reads any other answer as TwiML too, and logs an error for one it cannot read.
pub const EMPTY_TWIML: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#;

/// A Twilio account: where its API is and its credentials.
#[derive(Debug, Clone)]
pub struct Account {
    base: OutboundUrl,
    account_sid: String,
    auth_token: Secret,
}

impl Account {
    /// `account_sid` is Twilio's: `AC` and 32 hexadecimal digits.
    pub fn new(base: OutboundUrl, account_sid: &str, auth_token: Secret) -> Result<Self> {
        let hex = account_sid.strip_prefix("AC").unwrap_or_default();
        if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::invalid_field(
                "account_sid",
                "must be a Twilio account SID: AC and 32 hexadecimal digits",
            ));
        }
        if auth_token.expose().is_empty() {
            return Err(Error::invalid_field("auth_token", "must not be empty"));
        }
        Ok(Self { base, account_sid: account_sid.to_owned(), auth_token })
    }

    pub fn account_sid(&self) -> &str {
        &self.account_sid
    }

    /// The key of the account's webhook signatures.
    pub fn auth_token(&self) -> &Secret {
        &self.auth_token
    }

    fn messages_url(&self) -> url::Url {
        let mut url = self.base.url().clone();
        url.set_query(None);
        url.path_segments_mut().expect("an http(s) URL has a path").pop_if_empty().extend([
            "2010-04-01",
            "Accounts",
            &self.account_sid,
            "Messages.json",
        ]);
        url
    }

    /// Creates the message at Twilio, which queues it; its delivery statuses follow at the
    /// message's status callback.
    pub async fn send(&self, carriers: &Carriers, message: &OutboundMessage) -> Result<Sent, CarrierError> {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("To", &message.to).append_pair("From", &message.from);
        // Twilio wants a body, media, or both.
        if !message.body.is_empty() || message.media_urls.is_empty() {
            form.append_pair("Body", &message.body);
        }
        for url in &message.media_urls {
            form.append_pair("MediaUrl", url.as_str());
        }
        if let Some(url) = &message.status_callback {
            form.append_pair("StatusCallback", url.as_str());
        }
        let request = carriers.client.request(reqwest::Method::POST, self.messages_url()).map_err(|refused| {
            CarrierError { code: None, message: format!("not sent: {refused}"), retryable: false }
        })?;
        let response = request
            .basic_auth(&self.account_sid, Some(self.auth_token.expose()))
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(form.finish())
            .send()
            .await
            .map_err(CarrierError::unanswered)?;
        let status = response.status();
        if status.is_success() {
            let created: Created =
                response.json().await.map_err(|e| CarrierError::unreadable("Twilio", crate::http::describe(e)))?;
            // Twilio accepted the message whatever its first status says; the callbacks follow it.
            let status = status_of(&created.status).unwrap_or(DeliveryStatus::Queued);
            return Ok(Sent { carrier_message_id: created.sid, status });
        }
        let code = status.as_u16();
        let body = response.bytes().await.unwrap_or_default();
        Err(match serde_json::from_slice::<Refusal>(&body) {
            Ok(Refusal { code: twilio_code, message: Some(text), more_info }) => {
                let text = match more_info {
                    Some(more) => format!("{text} ({more})"),
                    None => text,
                };
                CarrierError::answered(code, twilio_code.map(code_text), text)
            }
            _ => CarrierError::answered(code, None, format!("Twilio answered HTTP {code}")),
        })
    }
}

/// Twilio's answer to a created message (the fields we use of the Message resource).
#[derive(Deserialize)]
struct Created {
    sid: String,
    status: String,
}

/// Twilio's error answer: `{code, message, more_info, status}`.
#[derive(Deserialize)]
struct Refusal {
    code: Option<serde_json::Value>,
    message: Option<String>,
    more_info: Option<String>,
}

/// Twilio's message statuses, as far as an outbound message goes.
fn status_of(status: &str) -> Option<DeliveryStatus> {
    Some(match status {
        "accepted" | "scheduled" | "queued" => DeliveryStatus::Queued,
        "sending" | "sent" => DeliveryStatus::Sent,
        "delivered" | "read" => DeliveryStatus::Delivered,
        "undelivered" => DeliveryStatus::Undelivered,
        "failed" | "canceled" => DeliveryStatus::Failed,
        _ => return None,
    })
}

/// The parameters of a form-encoded webhook body, in order.
pub fn form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// `X-Twilio-Signature` as Twilio computes it: the URL it requested, then each POST parameter's
/// name and value, sorted by name (and values of one name sorted, a repeated pair once),
/// HMAC-SHA1 keyed with the auth token, in base64. This is what the official
/// `RequestValidator.compute_signature` does.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `signature` is Twilio's for a request to `url` (the public URL Twilio requested,
/// with its query string) with `params`. Twilio signs the URL with or without its port
/// depending on the service, so, like the official validator, both forms are accepted:
/// without a port, and with the explicit or the scheme's default one. Constant-time in the
/// signature's content.
pub fn verify(auth_token: &str, url: &str, params: &[(String, String)], signature: &str) -> bool {
    port_forms(url).iter().fold(false, |found, url| {
        found | bool::from(self::signature(auth_token, url, params).as_bytes().ct_eq(signature.as_bytes()))
    })
}

/// `url` without its port, and with its port (the scheme's default when it has none).
fn port_forms(url: &str) -> Vec<String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return vec![url.to_owned()];
    };
    let (authority, tail) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
    // In an IPv6 literal the port, if any, follows the closing bracket.
    let host_end = authority.rfind(']').map_or(0, |i| i + 1);
    let (host, port) = match authority[host_end..].rfind(':') {
        Some(i) => (&authority[..host_end + i], Some(&authority[host_end + i + 1..])),
        None => (authority, None),
    };
    let default = if scheme.eq_ignore_ascii_case("https") { "443" } else { "80" };
    let port = port.unwrap_or(default);
    vec![format!("{scheme}://{host}{tail}"), format!("{scheme}://{host}:{port}{tail}")]
}

/// A webhook Twilio posted to `url` (its full public URL, as Twilio requested it): its
/// signature checked, then read.
pub fn receive(auth_token: &Secret, url: &str, body: &[u8], signature: Option<&str>) -> Result<Incoming> {
    let params = form(body);
    match signature {
        Some(signature) if verify(auth_token.expose(), url, &params, signature) => parse(&params),
        Some(_) => Err(Error::forbidden(format!("the {SIGNATURE_HEADER} header does not match the request"))),
        None => Err(Error::forbidden(format!("the {SIGNATURE_HEADER} header is missing"))),
    }
}

/// What a webhook's parameters say: a status callback carries `MessageStatus`, an inbound
/// message does not (or says it is `received`).
pub fn parse(params: &[(String, String)]) -> Result<Incoming> {
    let get = |name: &str| params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty());
    let required = |name: &str| get(name).ok_or_else(|| Error::invalid_field(name, "is required"));
    let carrier_message_id = required("MessageSid")?.to_owned();
    match get("MessageStatus") {
        Some(status) if status != "received" && status != "receiving" => {
            let status = status_of(status).ok_or_else(|| {
                Error::invalid_field("MessageStatus", format!("'{status}' is not a status of an outbound message"))
            })?;
            Ok(Incoming::Status(StatusUpdate {
                carrier_message_id,
                status,
                error_code: get("ErrorCode").map(str::to_owned),
                error_message: get("ErrorMessage").map(str::to_owned),
            }))
        }
        _ => {
            let count: usize = get("NumMedia")
                .unwrap_or("0")
                .parse()
                .map_err(|_| Error::invalid_field("NumMedia", "must be a number of media"))?;
            // Each medium is checked before the next is looked for: a huge NumMedia costs nothing.
            let mut media = Vec::new();
            for i in 0..count {
                let field = format!("MediaUrl{i}");
                let url = url::Url::parse(required(&field)?)
                    .map_err(|_| Error::invalid_field(field.as_str(), "must be an absolute URL"))?;
                media.push(Media { url, content_type: get(&format!("MediaContentType{i}")).map(str::to_owned) });
            }
            Ok(Incoming::Message(InboundMessage {
                carrier_message_id,
                from: required("From")?.to_owned(),
                to: required("To")?.to_owned(),
                body: get("Body").unwrap_or_default().to_owned(),
                media,
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::extract::{Path, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::{IntoResponse, Response};
    use axum::routing::post;
    use serde_json::json;

    use super::*;
    use crate::outbound::OutboundOptions;

    /// The vector of twilio-python's own tests (tests/unit/test_request_validator.py): the
    /// token, URL and parameters it signs, and the signatures it expects.
    const TOKEN: &str = "12345";
    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
    const EXPECTED: &str = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";

    fn pairs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
    }

    fn params() -> Vec<(String, String)> {
        pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
            ("Caller", "+14158675309"),
        ])
    }

    #[test]
    fn the_signature_is_the_one_of_twilios_own_tests() {
        assert_eq!(signature(TOKEN, URL, &params()), EXPECTED);
        assert!(verify(TOKEN, URL, &params(), EXPECTED));
        // test_compute_signature_duplicate_multi_dict: a name given twice, each value signed.
        let repeated = pairs(&[("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234")]);
        assert_eq!(signature(TOKEN, URL, &repeated), "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
    }

    #[test]
    fn the_url_is_accepted_with_or_without_its_port_as_twilios_validator_accepts_it() {
        // test_validation_removes_port_on_https: signed without the port, requested with it.
        assert!(verify(TOKEN, "https://mycompany.com:1234/myapp.php?foo=1&bar=2", &params(), EXPECTED));
        // test_validation_removes_port_on_http: the signature of the URL with port 1234.
        let http = "http://mycompany.com:1234/myapp.php?foo=1&bar=2";
        assert!(verify(TOKEN, http, &params(), "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="));
        // test_validation_adds_port_on_https / _on_http: signed with the scheme's default port.
        assert!(verify(TOKEN, URL, &params(), "kvajT1Ptam85bY51eRf/AJRuM3w="));
        assert!(verify(TOKEN, "http://mycompany.com/myapp.php?foo=1&bar=2", &params(), "0ZXoZLH/DfblKGATFgpif+LLRf4="));
        assert_eq!(
            port_forms("http://[::1]:8080/in?x=1"),
            ["http://[::1]/in?x=1", "http://[::1]:8080/in?x=1"].map(String::from)
        );
    }

    #[test]
    fn an_inbound_webhook_with_a_port_and_unicode_is_signed_as_the_official_package_signs_it() {
        // Computed with the official `twilio` package (9.13.0, pinned in
        // conformance/requirements.txt): RequestValidator(token).compute_signature(url, params).
        let token = "f3a1c2d4e5b6a7980f1e2d3c4b5a6978";
        let url = "https://sms.example.com:8443/carriers/twilio/AC0123456789abcdef0123456789abcdef/inbound?tenant=acme&x=%2B1";
        let params = pairs(&[
            ("MessageSid", "MM0123456789abcdef0123456789abcdef"),
            ("AccountSid", "AC0123456789abcdef0123456789abcdef"),
            ("From", "+14155550100"),
            ("To", "+14155550199"),
            ("Body", "Olá — 你好 🎉 & =+"),
            ("NumMedia", "1"),
            (
                "MediaUrl0",
                "https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages/MM0123456789abcdef0123456789abcdef/Media/ME0123456789abcdef0123456789abcdef",
            ),
            ("MediaContentType0", "image/jpeg"),
            ("SmsStatus", "received"),
            ("ApiVersion", "2010-04-01"),
        ]);
        assert_eq!(signature(token, url, &params), "HCQeZj1o+NlZgEe++hsl8eBZXHU=");
        // Signed without the port, as some of Twilio's services do, and requested with it.
        assert!(verify(token, url, &params, "MWZ0iBJX81J318uSchv5wezLOlw="));
        // Through the form encoding it travels in.
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(&params).finish();
        let incoming = receive(&Secret::new(token.into()), url, body.as_bytes(), Some("HCQeZj1o+NlZgEe++hsl8eBZXHU="));
        let Ok(Incoming::Message(message)) = incoming else { panic!("{incoming:?}") };
        assert_eq!(message.body, "Olá — 你好 🎉 & =+");
    }

    #[test]
    fn a_wrong_token_a_tampered_parameter_or_another_url_is_refused() {
        assert!(!verify("54321", URL, &params(), EXPECTED));
        let mut tampered = params();
        tampered[1].1 = "4321".into();
        assert!(!verify(TOKEN, URL, &tampered, EXPECTED));
        let mut added = params();
        added.push(("Body".into(), "hi".into()));
        assert!(!verify(TOKEN, URL, &added, EXPECTED));
        for url in [
            "https://mycompany.com/myapp.php?foo=1&bar=3",
            "https://mycompany.com/myapp.php",
            "https://othercompany.com/myapp.php?foo=1&bar=2",
            "http://mycompany.com/myapp.php?foo=1&bar=2",
        ] {
            assert!(!verify(TOKEN, url, &params(), EXPECTED), "{url}");
        }
        assert!(!verify(TOKEN, URL, &params(), ""));
        assert!(!verify(TOKEN, URL, &params(), &EXPECTED[..EXPECTED.len() - 1]));
    }

    fn signed(url: &str, params: &[(&str, &str)]) -> (Vec<u8>, String) {
        let params = pairs(params);
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(&params).finish();
        (body.into_bytes(), signature(TOKEN, url, &params))
    }

    #[test]
    fn an_inbound_message_is_read_with_its_media() {
        let url = "https://sms.example.com/carriers/twilio/AC0123/inbound";
        let (body, sig) = signed(
            url,
            &[
                ("MessageSid", "MM0123456789abcdef0123456789abcdef"),
                ("AccountSid", "AC0123"),
                ("From", "+14155550100"),
                ("To", "+14155550199"),
                ("Body", "Hello & welcome"),
                ("NumMedia", "2"),
                ("MediaUrl0", "https://api.twilio.com/media/ME1"),
                ("MediaContentType0", "image/jpeg"),
                ("MediaUrl1", "https://api.twilio.com/media/ME2"),
                ("SmsStatus", "received"),
            ],
        );
        let incoming = receive(&Secret::new(TOKEN.into()), url, &body, Some(&sig)).unwrap();
        assert_eq!(
            incoming,
            Incoming::Message(InboundMessage {
                carrier_message_id: "MM0123456789abcdef0123456789abcdef".into(),
                from: "+14155550100".into(),
                to: "+14155550199".into(),
                body: "Hello & welcome".into(),
                media: vec![
                    Media {
                        url: "https://api.twilio.com/media/ME1".parse().unwrap(),
                        content_type: Some("image/jpeg".into())
                    },
                    Media { url: "https://api.twilio.com/media/ME2".parse().unwrap(), content_type: None },
                ],
            })
        );
    }

    #[test]
    fn a_status_callback_is_read_with_its_error() {
        let params = pairs(&[
            ("MessageSid", "SM1"),
            ("MessageStatus", "undelivered"),
            ("ErrorCode", "30003"),
            ("ErrorMessage", "Unreachable destination handset"),
        ]);
        assert_eq!(
            parse(&params).unwrap(),
            Incoming::Status(StatusUpdate {
                carrier_message_id: "SM1".into(),
                status: DeliveryStatus::Undelivered,
                error_code: Some("30003".into()),
                error_message: Some("Unreachable destination handset".into()),
            })
        );
        let sent = parse(&pairs(&[("MessageSid", "SM1"), ("MessageStatus", "sending"), ("ErrorCode", "")])).unwrap();
        let Incoming::Status(sent) = sent else { panic!("{sent:?}") };
        assert_eq!((sent.status, sent.error_code), (DeliveryStatus::Sent, None));
    }

    #[test]
    fn a_webhook_unsigned_badly_signed_or_incomplete_is_refused() {
        let token = Secret::new(TOKEN.into());
        let url = "https://sms.example.com/in";
        let (body, sig) = signed(url, &[("MessageSid", "SM1"), ("From", "+14155550100"), ("To", "+14155550199")]);
        let refused = |r: Result<Incoming>| r.unwrap_err().to_string();
        assert_eq!(refused(receive(&token, url, &body, None)), "the X-Twilio-Signature header is missing");
        let other = "https://sms.example.com/in?x=1";
        assert_eq!(
            refused(receive(&token, other, &body, Some(&sig))),
            "the X-Twilio-Signature header does not match the request"
        );
        let mut tampered = body.clone();
        *tampered.last_mut().unwrap() = b'8';
        assert!(matches!(receive(&token, url, &tampered, Some(&sig)), Err(Error::Forbidden(_))));

        let read = |p: &[(&str, &str)]| parse(&pairs(p)).unwrap_err().to_string();
        assert_eq!(read(&[("From", "+1"), ("To", "+2")]), "'MessageSid' is required");
        assert_eq!(read(&[("MessageSid", "SM1"), ("To", "+2")]), "'From' is required");
        assert_eq!(
            read(&[("MessageSid", "SM1"), ("From", "+1"), ("To", "+2"), ("NumMedia", "x")]),
            "'NumMedia' must be a number of media"
        );
        assert_eq!(
            read(&[("MessageSid", "SM1"), ("From", "+1"), ("To", "+2"), ("NumMedia", "1")]),
            "'MediaUrl0' is required"
        );
        let status = read(&[("MessageSid", "SM1"), ("MessageStatus", "teleported")]);
        assert_eq!(status, "'MessageStatus' 'teleported' is not a status of an outbound message");
    }

    const SID: &str = "AC0123456789abcdef0123456789abcdef";

    /// What the test Twilio received: the account in the path, the Basic credentials, the form.
    type Received = Arc<Mutex<Vec<(String, Option<String>, Vec<(String, String)>)>>>;

    /// A receiver in Twilio's shape: `To` chooses its answer.
    async fn messages(
        State(received): State<Received>,
        Path(account): Path<String>,
        headers: HeaderMap,
        body: String,
    ) -> Response {
        let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let params = form(body.as_bytes());
        let to = params.iter().find(|(n, _)| n == "To").map(|(_, v)| v.clone()).unwrap_or_default();
        received.lock().unwrap().push((account, auth, params));
        let error = |status: StatusCode, code: u32, message: &str| {
            let more_info = format!("https://www.twilio.com/docs/errors/{code}");
            let body = json!({"code": code, "message": message, "more_info": more_info, "status": status.as_u16()});
            (status, axum::Json(body)).into_response()
        };
        match to.as_str() {
            "+15005550001" => {
                error(StatusCode::BAD_REQUEST, 21211, "The 'To' number +15005550001 is not a valid phone number.")
            }
            "+15005550002" => error(StatusCode::TOO_MANY_REQUESTS, 20429, "Too Many Requests"),
            "+15005550003" => (StatusCode::BAD_GATEWAY, "<html>bad gateway</html>").into_response(),
            _ => {
                let sid = "SM0123456789abcdef0123456789abcdef";
                (StatusCode::CREATED, axum::Json(json!({"sid": sid, "status": "queued", "to": to}))).into_response()
            }
        }
    }

    async fn twilio() -> (Account, Received) {
        let received = Received::default();
        let app = axum::Router::new()
            .route("/base/2010-04-01/Accounts/{account}/Messages.json", post(messages))
            .with_state(received.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://127.0.0.1:{}/base/", listener.local_addr().unwrap().port());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let account =
            Account::new(OutboundUrl::parse("base", &base).unwrap(), SID, Secret::new("token".into())).unwrap();
        (account, received)
    }

    fn carriers() -> Carriers {
        Carriers::new(&OutboundOptions { allowed_networks: vec!["127.0.0.0/8".parse().unwrap()] }).unwrap()
    }

    fn message(to: &str) -> OutboundMessage {
        OutboundMessage {
            id: "msg_1".into(),
            from: "+14155550199".into(),
            to: to.into(),
            body: "Your table is ready".into(),
            media_urls: vec![
                "https://sms.example.com/files/1?signature=a%2Bb".parse().unwrap(),
                "https://sms.example.com/files/2".parse().unwrap(),
            ],
            status_callback: Some("https://sms.example.com/carriers/twilio/AC01/status?m=1".parse().unwrap()),
        }
    }

    #[tokio::test]
    async fn a_message_is_posted_as_twilio_documents_it_and_its_sid_read() {
        let (account, received) = twilio().await;
        let sent = account.send(&carriers(), &message("+14155550100")).await.unwrap();
        assert_eq!(
            sent,
            Sent { carrier_message_id: "SM0123456789abcdef0123456789abcdef".into(), status: DeliveryStatus::Queued }
        );
        let (path_account, auth, params) = received.lock().unwrap().pop().unwrap();
        assert_eq!(path_account, SID);
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{SID}:token"));
        assert_eq!(auth, Some(format!("Basic {basic}")));
        assert_eq!(
            params,
            pairs(&[
                ("To", "+14155550100"),
                ("From", "+14155550199"),
                ("Body", "Your table is ready"),
                ("MediaUrl", "https://sms.example.com/files/1?signature=a%2Bb"),
                ("MediaUrl", "https://sms.example.com/files/2"),
                ("StatusCallback", "https://sms.example.com/carriers/twilio/AC01/status?m=1"),
            ])
        );
    }

    #[tokio::test]
    async fn twilios_errors_are_read_and_only_the_passing_ones_retried() {
        let (account, _) = twilio().await;
        let carriers = carriers();
        let refused = account.send(&carriers, &message("+15005550001")).await.unwrap_err();
        assert_eq!(
            refused,
            CarrierError {
                code: Some("21211".into()),
                message: "The 'To' number +15005550001 is not a valid phone number. (https://www.twilio.com/docs/errors/21211)"
                    .into(),
                retryable: false,
            }
        );
        let limited = account.send(&carriers, &message("+15005550002")).await.unwrap_err();
        assert_eq!((limited.code.as_deref(), limited.retryable), (Some("20429"), true));
        let down = account.send(&carriers, &message("+15005550003")).await.unwrap_err();
        assert_eq!(down, CarrierError { code: None, message: "Twilio answered HTTP 502".into(), retryable: true });
    }

    #[tokio::test]
    async fn the_outbound_guard_stops_a_request_to_an_address_it_does_not_allow() {
        let (account, received) = twilio().await;
        let strict = Carriers::new(&OutboundOptions::default()).unwrap();
        let err = account.send(&strict, &message("+14155550100")).await.unwrap_err();
        assert!(err.message.starts_with("not sent: 127.0.0.1 is a special-purpose address"), "{}", err.message);
        assert!(!err.retryable);
        assert!(received.lock().unwrap().is_empty());
    }

    #[test]
    fn an_account_sid_is_twilios() {
        let base = OutboundUrl::parse("base", DEFAULT_BASE).unwrap();
        let account = |sid: &str| Account::new(base.clone(), sid, Secret::new("t".into())).map(|a| a.messages_url());
        assert_eq!(
            account(SID).unwrap().as_str(),
            "https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json"
        );
        for bad in ["", "AC123", "XX0123456789abcdef0123456789abcdef", "AC0123456789abcdef0123456789abcdeg"] {
            assert!(account(bad).is_err(), "{bad}");
        }
    }
}
