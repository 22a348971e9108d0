//! What the company's events become on CometD: one function, [`notifications`], with one arm per
//! event type a GWS client hears about.

use std::collections::HashMap;

use serde_json::{Value, json};
use switchboard_domain::conversation::Direction;
use switchboard_domain::event::{Event, InteractionSnapshot, LoggedEvent};
use switchboard_domain::routing::{Interaction, InteractionState, Workbin};
use switchboard_domain::{InteractionId, ThreadId, UserId};

use crate::channels::channel_wire;
use crate::interactions::{current, from_event, workbin_id};

/// A message for a client, on its channel.
pub(crate) struct Notification {
    pub(crate) channel: &'static str,
    pub(crate) data: Value,
}

/// What a client knows beyond the event at hand: who it is, the threads of the interactions
/// its agent has accepted (whose new customer messages it is sent), and the API's base URI.
pub(crate) struct Context<'a> {
    pub(crate) user: &'a UserId,
    pub(crate) threads: &'a mut HashMap<ThreadId, InteractionId>,
    pub(crate) base: &'a str,
}

/// The messages an event makes for the signed-in user: most events make none.
pub(crate) fn notifications(event: &LoggedEvent, cx: &mut Context<'_>) -> Vec<Notification> {
    let user = cx.user;
    match &event.event {
        Event::AgentStateChanged(s) if s.user_id == *user => vec![Notification {
            channel: "/v2/me/channels",
            data: json!({
                "messageType": "ChannelStateChangeMessageV2",
                "notificationType": "StatusChange",
                "channels": [channel_wire(s.channel, s.state, s.reason.as_deref())],
            }),
        }],
        Event::ContentImported(c) if c.direction == Direction::Inbound => match cx.threads.get(&c.thread_id) {
            Some(id) => vec![Notification {
                channel: "/v2/me/interactions",
                data: json!({
                    "messageType": "MessageLogUpdated",
                    "notificationType": "NewMessages",
                    "interactionId": id,
                    "interactionUri": format!("{}/interactions/{id}", cx.base),
                    "messages": [{
                        "id": c.id,
                        "from": { "type": "Customer", "participantId": c.author_id },
                        "type": "Text",
                        "text": c.body,
                        "visibility": "All",
                        "timestamp": c.date.to_rfc3339_millis(),
                        "timestampSeconds": c.date.as_micros() / 1000,
                    }],
                }),
            }],
            None => Vec::new(),
        },
        e => match e.interaction() {
            Some(i) => interaction_notifications(i, e.kind(), cx),
            None => Vec::new(),
        },
    }
}

/// An `interaction.*` event: an `InteractionStateMessage` for the agent it concerns (and a
/// `WorkbinStateChangeMessage` when it went into a workbin); the threads followed for
/// `MessageLogUpdated` are kept up to date.
fn interaction_notifications(i: &InteractionSnapshot, kind: &str, cx: &mut Context<'_>) -> Vec<Notification> {
    let mine = i.agent_id.as_ref() == Some(cx.user);
    if mine && i.state == InteractionState::Accepted {
        cx.threads.insert(i.thread_id.clone(), i.id.clone());
    } else if cx.threads.get(&i.thread_id) == Some(&i.id) {
        cx.threads.remove(&i.thread_id);
    }
    if !mine {
        return Vec::new();
    }
    let interaction = from_event(i, kind, cx.base);
    let mut out = vec![Notification {
        channel: "/v2/me/interactions",
        data: json!({
            "messageType": "InteractionStateMessage",
            "messageTypeName": "InteractionStateMessage",
            "notificationType": "StatusChange",
            "interaction": interaction.clone(),
        }),
    }];
    if kind == "interaction.placed_in_workbin"
        && let Some(w) = &i.workbin
    {
        out.push(Notification {
            channel: "/v2/me/workbins",
            data: json!({
                "messageType": "WorkbinStateChangeMessage",
                "id": workbin_id(w),
                "action": "ItemAdded",
                "interaction": interaction,
            }),
        });
    }
    out
}

/// One interaction of a workbin, as `GetWorkbinContent` sends it.
pub(crate) fn workbin_item(i: &Interaction, workbin: &Workbin, base: &str) -> (&'static str, Value) {
    (
        "/v2/me/interactions",
        json!({
            "messageType": "InteractionStateMessage",
            "messageTypeName": "InteractionStateMessage",
            "notificationType": "WorkbinContent",
            "workbin": workbin_id(workbin),
            "interaction": current(i, None, base),
        }),
    )
}
