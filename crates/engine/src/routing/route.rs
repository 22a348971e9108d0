//! Routing decisions: which Ready member of a queue with room for one more interaction of its
//! channel gets an offer, and why the others did not. Pure: [`choose`] is given what the
//! routing transaction read, so the rules are tested without a database.

use std::collections::HashMap;

use switchboard_domain::agent::{AgentChannel, Channel};
use switchboard_domain::routing::{Skipped, Strategy};
use switchboard_domain::{Timestamp, UserId};

/// What routing knows about an agent on one channel.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Seat {
    pub ready: bool,
    pub capacity: u32,
    /// Interactions offered to or accepted by the agent on this channel.
    pub load: u32,
    /// Since when the agent has had no new offer: their last offer, or becoming Ready.
    pub idle_since: Timestamp,
}

/// Every agent's seats, by agent and channel.
#[derive(Debug, Default, Clone)]
pub(crate) struct Seats {
    by_agent: HashMap<(UserId, Channel), Seat>,
}

impl Seats {
    pub fn new(agents: Vec<AgentChannel>) -> Self {
        let by_agent = agents
            .into_iter()
            .map(|a| {
                let seat = Seat { ready: a.is_ready(), capacity: a.capacity, load: 0, idle_since: a.updated_at };
                ((a.user_id, a.channel), seat)
            })
            .collect();
        Self { by_agent }
    }

    pub fn get(&self, user: &UserId, channel: Channel) -> Option<&Seat> {
        self.by_agent.get(&(user.clone(), channel))
    }

    /// Counts `n` interactions against the agent's capacity.
    pub fn hold(&mut self, user: &UserId, channel: Channel, n: u32) {
        if let Some(s) = self.by_agent.get_mut(&(user.clone(), channel)) {
            s.load += n;
        }
    }

    /// Records an offer made at `at`: one more held, and idle no more.
    pub fn offered(&mut self, user: &UserId, channel: Channel, at: Timestamp) {
        if let Some(s) = self.by_agent.get_mut(&(user.clone(), channel)) {
            s.load += 1;
            s.idle_since = s.idle_since.max(at);
        }
    }

    /// The agent was last offered something at `at`.
    pub fn last_offer(&mut self, user: &UserId, channel: Channel, at: Timestamp) {
        if let Some(s) = self.by_agent.get_mut(&(user.clone(), channel)) {
            s.idle_since = s.idle_since.max(at);
        }
    }

    /// How many more interactions of `channel` the Ready agents could take, all together.
    pub fn free(&self, channel: Channel) -> u32 {
        self.by_agent
            .iter()
            .filter(|((_, c), s)| *c == channel && s.ready)
            .map(|(_, s)| s.capacity.saturating_sub(s.load))
            .sum()
    }
}

/// A decision: the agent chosen and why, and who was passed over and why.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decision {
    pub chosen: Option<UserId>,
    pub reason: String,
    pub skipped: Vec<Skipped>,
}

/// Chooses among `members` for an interaction of `channel`. Agents who declined it before are
/// offered it only when no other member can take it.
pub(crate) fn choose(
    strategy: Strategy,
    members: &[UserId],
    channel: Channel,
    seats: &Seats,
    declined: &[UserId],
    last_offered: Option<&UserId>,
) -> Decision {
    let mut skipped = Vec::new();
    let mut fresh = Vec::new();
    let mut again = Vec::new();
    for m in members {
        let seat = seats.get(m, channel);
        let why = match seat {
            None => Some("not_ready"),
            Some(s) if !s.ready => Some("not_ready"),
            Some(s) if s.load >= s.capacity => Some("at_capacity"),
            Some(_) => None,
        };
        match (why, seat) {
            (Some(why), _) => skipped.push(Skipped { user_id: m.clone(), reason: why.into() }),
            (None, Some(seat)) if declined.contains(m) => again.push((m, seat)),
            (None, Some(seat)) => fresh.push((m, seat)),
            (None, None) => {}
        }
    }
    let (pool, repeat) = if fresh.is_empty() {
        (again, true)
    } else {
        skipped.extend(again.iter().map(|(m, _)| Skipped { user_id: (*m).clone(), reason: "rejected_before".into() }));
        (fresh, false)
    };
    let picked = match strategy {
        Strategy::LongestIdle => pool.iter().min_by(|a, b| a.1.idle_since.cmp(&b.1.idle_since).then(a.0.cmp(b.0))),
        Strategy::LeastBusy => pool.iter().min_by(|a, b| {
            // Compare load / capacity without floating point: a.load * b.cap vs b.load * a.cap.
            (u64::from(a.1.load) * u64::from(b.1.capacity))
                .cmp(&(u64::from(b.1.load) * u64::from(a.1.capacity)))
                .then(a.1.idle_since.cmp(&b.1.idle_since))
                .then(a.0.cmp(b.0))
        }),
        Strategy::RoundRobin => {
            // Members in their listed order, starting after the one offered last.
            let start = last_offered.and_then(|l| members.iter().position(|m| m == l)).map_or(0, |i| i + 1);
            let order = |m: &UserId| {
                let i = members.iter().position(|x| x == m).unwrap_or(0);
                (i + members.len() - start) % members.len().max(1)
            };
            pool.iter().min_by_key(|(m, _)| order(m))
        }
    };
    match picked {
        Some((m, seat)) => {
            let mut reason = match strategy {
                Strategy::LongestIdle => format!("longest_idle: idle since {}", seat.idle_since.to_rfc3339_millis()),
                Strategy::LeastBusy => format!("least_busy: {} of {} in use", seat.load, seat.capacity),
                Strategy::RoundRobin => "round_robin: next in turn".to_owned(),
            };
            if repeat {
                reason.push_str("; every other member is unavailable, so offered again to an agent who declined it");
            }
            Decision { chosen: Some((*m).clone()), reason, skipped }
        }
        None => Decision { chosen: None, reason: "no member is ready with room".into(), skipped },
    }
}

#[cfg(test)]
mod tests {
    use switchboard_domain::agent::AgentState;

    use super::*;

    fn agent(user: &UserId, ready: bool, capacity: u32, at: i64) -> AgentChannel {
        AgentChannel {
            user_id: user.clone(),
            channel: Channel::Chat,
            state: if ready { AgentState::Ready } else { AgentState::NotReady },
            reason: None,
            capacity,
            updated_at: Timestamp::from_micros(at),
        }
    }

    #[test]
    fn skipped_agents_are_named_with_their_reason_and_decliners_come_last() {
        let (a, b, c, d) = (UserId::new(), UserId::new(), UserId::new(), UserId::new());
        let mut seats = Seats::new(vec![
            agent(&a, false, 3, 0),
            agent(&b, true, 1, 0),
            agent(&c, true, 3, 5),
            agent(&d, true, 3, 1),
        ]);
        seats.hold(&b, Channel::Chat, 1);
        let members = vec![a.clone(), b.clone(), c.clone(), d.clone()];
        let decision = choose(Strategy::LongestIdle, &members, Channel::Chat, &seats, std::slice::from_ref(&d), None);
        assert_eq!(decision.chosen, Some(c.clone()));
        let reasons: Vec<(UserId, &str)> =
            decision.skipped.iter().map(|s| (s.user_id.clone(), s.reason.as_str())).collect();
        assert_eq!(reasons, vec![(a.clone(), "not_ready"), (b.clone(), "at_capacity"), (d.clone(), "rejected_before")]);
        // With nobody else left, the agent who declined is offered it again.
        let decision =
            choose(Strategy::LongestIdle, &[a, d.clone()], Channel::Chat, &seats, std::slice::from_ref(&d), None);
        assert_eq!(decision.chosen, Some(d));
    }

    #[test]
    fn round_robin_goes_on_after_the_last_offered_member_and_least_busy_picks_the_emptiest() {
        let (a, b, c) = (UserId::new(), UserId::new(), UserId::new());
        let mut seats = Seats::new(vec![agent(&a, true, 3, 0), agent(&b, true, 3, 0), agent(&c, true, 10, 0)]);
        let members = vec![a.clone(), b.clone(), c.clone()];
        let next = |last: Option<&UserId>, seats: &Seats| {
            choose(Strategy::RoundRobin, &members, Channel::Chat, seats, &[], last).chosen.unwrap()
        };
        assert_eq!(next(None, &seats), a);
        assert_eq!(next(Some(&a), &seats), b);
        assert_eq!(next(Some(&c), &seats), a);
        seats.hold(&a, Channel::Chat, 1);
        seats.hold(&b, Channel::Chat, 1);
        seats.hold(&c, Channel::Chat, 2);
        // a: 1/3, b: 1/3, c: 2/10.
        assert_eq!(choose(Strategy::LeastBusy, &members, Channel::Chat, &seats, &[], None).chosen, Some(c));
    }
}
