//! RingPlan's socket.io texting events: the client's `texting.message.markAsRead` marks the
//! messages read and every socket of the company hears it; a socket that has not
//! authenticated is told `unauthorized`.

use switchboard_tests::socketio::{Packet, SocketIoClient};

use crate::texting::{add_number, conversation};
use crate::*;

async fn authenticated(app: &TestApp) -> SocketIoClient {
    let socket = SocketIoClient::connect(&app.url(""), &json!({"token": app.company.key})).await;
    assert_eq!(socket.next().await, Packet::Connected);
    socket.next_event("authenticated").await;
    socket
}

e2e! {
    async fn a_clients_mark_as_read_marks_the_messages_read_for_every_socket_of_the_company(app: &TestApp) {
        let owner = app.company.primary();
        add_number(app, &app.company, "+14155550199", &[]).await;
        let socket = authenticated(app).await;
        let inbound = app.native(Method::POST, "/carriers/loopback/+14155550199/inbound", &app.company)
            .json(&json!({"id": "m-1", "from": "+12340009999", "text": "Hello?"})).send().await.unwrap();
        assert_eq!(inbound.status(), 200);
        let message = socket.next_event("texting.message.new").await;
        let chat = socket.next_event("texting.chat.new").await;
        assert_eq!((message["text"].as_str(), message["is_read"].as_bool()), (Some("Hello?"), Some(false)));
        assert_eq!(message["conversation_id"], chat["id"]);

        socket.emit("texting.message.markAsRead", &json!({"conversation_id": chat["id"], "messagesIds": [message["id"]]})).await;
        let read = socket.next_event("texting.message.markAsRead").await;
        assert_eq!(read["conversation_id"], chat["id"]);
        assert_eq!(read["messagesIds"], json!([message["id"]]));
        let conv = conversation(app, &owner, "+14155550199", "+12340009999").await;
        assert_eq!(conv["countunreadmessages"], 0, "marked read for the REST API too");
        assert_eq!(conv["lastmessage"]["is_read"], true);
        socket.close().await;
    }

    async fn a_socket_that_emits_before_authenticating_is_told_unauthorized(app: &TestApp) {
        let socket = SocketIoClient::connect(&app.url(""), &json!({})).await;
        assert_eq!(socket.next().await, Packet::Connected);
        socket.emit("texting.message.markAsRead", &json!({"conversation_id": "0123456789abcdef01234567", "messagesIds": []})).await;
        let told = socket.next_event("unauthorized").await;
        assert!(told["message"].as_str().unwrap().contains("authenticate"), "{told}");
    }
}
