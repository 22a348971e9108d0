//! Agents' channels as GWS writes them (spec §A.9): `{channel, userState: {state, displayName,
//! reason?}}`, in `GET /me?subresources=*` and in `ChannelStateChangeMessageV2`.

use serde_json::{Value, json};
use switchboard_domain::agent::{AgentState, Channel, StateChange};

use crate::error::{Code, GwsError};

/// GWS's name and display name of a state.
fn state_names(state: AgentState) -> (&'static str, &'static str) {
    match state {
        AgentState::Ready => ("Ready", "Ready"),
        AgentState::NotReady => ("NotReady", "Not Ready"),
    }
}

/// One channel's state, as GWS writes it.
pub(crate) fn channel_wire(channel: Channel, state: AgentState, reason: Option<&str>) -> Value {
    let (name, display) = state_names(state);
    let mut user_state = json!({ "state": name, "displayName": display });
    if let Some(r) = reason {
        user_state["reason"] = Value::String(r.to_owned());
    }
    json!({ "channel": channel.as_str(), "userState": user_state })
}

/// A channel named in a path.
pub(crate) fn parse_channel(name: &str) -> Result<Channel, GwsError> {
    Channel::parse(name).map_err(|_| GwsError::new(Code::NotFound, format!("Unknown channel '{name}'")))
}

/// `Ready`, or `NotReady` with the body's optional `reason`.
pub(crate) fn state_change(ready: bool, body: &Value) -> Result<StateChange, GwsError> {
    let reason = match body.get("reason") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(GwsError::new(Code::OutOfRange, "'reason' must be a string")),
    };
    let change = if ready {
        if reason.is_some() {
            return Err(GwsError::invalid("Ready takes no 'reason'"));
        }
        StateChange::ready()
    } else {
        StateChange::not_ready(reason)
    };
    change.validate()?;
    Ok(change)
}

/// The channels of `StartContactCenterSession`: the ones Switchboard routes, and the names it
/// does not know (a partial success when there are some). Every channel when none is named.
pub(crate) fn session_channels(body: &Value) -> Result<(Vec<Channel>, Vec<String>), GwsError> {
    let names = match body.get("channels") {
        None | Some(Value::Null) => return Ok((Channel::ALL.to_vec(), Vec::new())),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(GwsError::new(Code::OutOfRange, "'channels' must be an array of channel names")),
    };
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for name in names {
        let Some(name) = name.as_str() else {
            return Err(GwsError::new(Code::OutOfRange, "'channels' must be an array of channel names"));
        };
        match Channel::parse(name) {
            Ok(c) if !known.contains(&c) => known.push(c),
            Ok(_) => {}
            Err(_) => unknown.push(name.to_owned()),
        }
    }
    if known.is_empty() {
        return Err(GwsError::new(Code::OutOfRange, "'channels' names none of chat, sms, email"));
    }
    Ok((known, unknown))
}
