//! Texting is scoped by company on every endpoint: another company's numbers, contacts,
//! conversations and messages do not exist for a caller, and nothing of them changes.

use crate::texting::{add_contact, add_number, conversation, publish};
use crate::*;

e2e! {
    async fn another_companys_texting_resources_do_not_exist_for_a_caller(app: &TestApp) {
        let a = app.company.primary();
        add_number(app, &app.company, "+14155550199", &[]).await;
        let contact = add_contact(app, &a, "+12340009999").await;
        let conv = conversation(app, &a, "+14155550199", "+12340009999").await;
        let conv_id = conv["id"].as_str().unwrap();
        let message: Value = publish(app, &a, conv_id, json!({"text": "private"})).await.json().await.unwrap();
        let message_id = message["id"].as_str().unwrap();
        let contact_id = contact["id"].as_str().unwrap();

        let other = app.create_company("Other", "owner@other.example").await;
        let b = other.primary();
        add_number(app, &other, "+14155550111", &[]).await;
        let list = |path: &'static str| app.ringplan(Method::GET, path, &b).send();
        assert_eq!(list("/texting/conversations").await.unwrap().json::<Vec<Value>>().await.unwrap(), Vec::<Value>::new());
        assert_eq!(list("/texting/contacts").await.unwrap().json::<Vec<Value>>().await.unwrap(), Vec::<Value>::new());
        assert_eq!(list("/texting/conversations/search?text=private").await.unwrap().json::<Vec<Value>>().await.unwrap(), Vec::<Value>::new());
        let numbers: Vec<Value> = list("/texting/numbers").await.unwrap().json().await.unwrap();
        assert_eq!(numbers.iter().map(|n| n["number"].as_str().unwrap()).collect::<Vec<_>>(), ["+14155550111"]);

        let msgs = format!("/texting/conversations/{conv_id}/messages");
        let cases = [
            (Method::GET, msgs.clone(), None, "conversation"),
            (Method::DELETE, format!("/texting/conversations/{conv_id}"), None, "conversation"),
            (Method::DELETE, format!("{msgs}?ids={message_id}"), None, "conversation"),
            (Method::PATCH, format!("{msgs}/{message_id}"), Some(json!({"is_read": true})), "conversation"),
            (Method::POST, format!("{msgs}/publish"), Some(json!({"text": "hi"})), "conversation"),
            (Method::POST, format!("/texting/v2/conversations/{conv_id}/messages/publish"), Some(json!({"text": "hi"})), "conversation"),
            (Method::GET, format!("/texting/contacts/{contact_id}"), None, "texting contact"),
            (Method::PUT, format!("/texting/contacts/{contact_id}"), Some(json!({"number": "+12340001111"})), "texting contact"),
            (Method::PUT, "/texting/numbers/+14155550199".to_owned(), Some(json!(["x@other.example"])), "texting number"),
            (Method::POST, "/texting/conversations".to_owned(), Some(json!({"contact_id": contact_id, "from_number": "+14155550111"})), "texting contact"),
            (Method::POST, "/texting/conversations".to_owned(), Some(json!({"contact_id": contact_id, "from_number": "+14155550199"})), "texting number"),
            (Method::POST, "/texting/v2/conversations".to_owned(), Some(json!({"recipients": [{"number": "+12340009999"}], "from_number": "+14155550199"})), "texting number"),
        ];
        for (method, path, body, what) in cases {
            let mut req = app.ringplan(method.clone(), &path, &b);
            if let Some(body) = body {
                req = req.json(&body);
            }
            assert_problem(req.send().await.unwrap(), 404, what).await;
        }
        let native = ["/v1/texting/numbers/+14155550199", "/v1/texting/numbers/%2B14155550199"];
        for path in native {
            assert_eq!(app.native(Method::GET, path, &other).send().await.unwrap().status(), 404, "{path}");
            assert_eq!(app.native(Method::DELETE, path, &other).send().await.unwrap().status(), 404, "{path}");
            let res = app.native(Method::PATCH, path, &other).json(&json!({"owners": []})).send().await.unwrap();
            assert_eq!(res.status(), 404, "{path}");
        }
        let theirs: Vec<Value> = app.native(Method::GET, "/v1/texting/numbers", &other).send().await.unwrap().json().await.unwrap();
        assert_eq!(theirs.len(), 1);
        let res = app.native(Method::POST, "/v1/texting/numbers", &other)
            .json(&json!({"number": "+14155550199", "carrier": "loopback"})).send().await.unwrap();
        assert_eq!(res.status(), 409, "a number belongs to one company of the installation");

        // Nothing of company A changed.
        let still = app.ringplan(Method::GET, &msgs, &a).send().await.unwrap().json::<Vec<Value>>().await.unwrap();
        assert_eq!((still.len(), still[0]["is_read"].as_bool()), (1, Some(true)));
        let mine: Value = app.ringplan(Method::GET, &format!("/texting/contacts/{contact_id}"), &a).send().await.unwrap().json().await.unwrap();
        assert_eq!(mine["number"], "+12340009999");
        let numbers: Vec<Value> = app.ringplan(Method::GET, "/texting/numbers", &a).send().await.unwrap().json().await.unwrap();
        assert_eq!(numbers[0]["ownership"], json!([]));
        // The same number is a separate texting contact in each company.
        let theirs = add_contact(app, &b, "+12340009999").await;
        assert_ne!(theirs["id"], contact["id"]);
    }
}
