//! What the company's events become on CometD: one function, [`notifications`], with one arm per
//! event type a GWS client hears about.

use serde_json::{Value, json};
use switchboard_domain::UserId;
use switchboard_domain::event::{Event, LoggedEvent};

use crate::channels::channel_wire;

/// A message for a client, on its channel.
pub(crate) struct Notification {
    pub(crate) channel: &'static str,
    pub(crate) data: Value,
}

/// The messages an event makes for the signed-in `user`: most events make none.
pub(crate) fn notifications(event: &LoggedEvent, user: &UserId) -> Vec<Notification> {
    match &event.event {
        Event::AgentStateChanged(s) if s.user_id == *user => vec![Notification {
            channel: "/v2/me/channels",
            data: json!({
                "messageType": "ChannelStateChangeMessageV2",
                "notificationType": "StatusChange",
                "channels": [channel_wire(s.channel, s.state, s.reason.as_deref())],
            }),
        }],
        _ => Vec::new(),
    }
}
