//! Agents' channels (`agent_channels`): a row per agent and channel once the agent's state or
//! capacity there was first set; readers fill in the missing channels with
//! [`AgentChannel::initial`].

use switchboard_domain::agent::{AgentChannel, AgentState, Channel};
use switchboard_domain::{CompanyId, Result, Timestamp, UserId};

use crate::sql::Sql;
use crate::table::table;
use crate::{Conn, Tx, parse_id};

/// A row with its company, which the domain value does not carry.
struct Stored<'a> {
    company: &'a CompanyId,
    agent: &'a AgentChannel,
}

table! {
    AGENT_CHANNELS = "agent_channels", Stored<'_> as |s| {
        Key company_id: s.company.as_str(),
        Key user_id: s.agent.user_id.as_str(),
        Key channel: s.agent.channel.as_str(),
        Set state: s.agent.state.as_str(),
        Set reason: s.agent.reason.as_deref(),
        Set capacity: i32::try_from(s.agent.capacity).unwrap_or(i32::MAX),
        Set updated_at: s.agent.updated_at,
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    user_id: String,
    channel: String,
    state: String,
    reason: Option<String>,
    capacity: i32,
    updated_at: i64,
}

impl Row {
    fn into_agent(self) -> Result<AgentChannel> {
        Ok(AgentChannel {
            user_id: parse_id(self.user_id)?,
            channel: Channel::parse(&self.channel)?,
            state: AgentState::parse(&self.state)?,
            reason: self.reason,
            capacity: self.capacity.max(0) as u32,
            updated_at: Timestamp::from_micros(self.updated_at),
        })
    }
}

/// Writes the agent's channel, inserting its row the first time.
pub async fn put(tx: &mut Tx<'_>, company: &CompanyId, agent: &AgentChannel) -> Result<()> {
    Sql::upsert(&Stored { company, agent })?.execute(tx).await.map(drop)
}

/// The agent's stored channels, in channel-name order; channels never set have no row.
pub async fn of_user(c: &mut impl Conn, company: &CompanyId, user: &UserId) -> Result<Vec<AgentChannel>> {
    AGENT_CHANNELS
        .select("WHERE company_id = $1 AND user_id = $2 ORDER BY channel")
        .bind(company.as_str())
        .bind(user.as_str())
        .list(c, Row::into_agent)
        .await
}

/// Like [`of_user`], locking the agent's rows until the transaction ends, so that state changes
/// of one agent and routing decisions about them happen one after the other.
pub async fn of_user_for_update(tx: &mut Tx<'_>, company: &CompanyId, user: &UserId) -> Result<Vec<AgentChannel>> {
    AGENT_CHANNELS
        .select("WHERE company_id = $1 AND user_id = $2 ORDER BY channel")
        .bind(company.as_str())
        .bind(user.as_str())
        .for_update()
        .list(tx, Row::into_agent)
        .await
}

/// Every stored agent channel of the company, by user then channel.
pub async fn list(c: &mut impl Conn, company: &CompanyId) -> Result<Vec<AgentChannel>> {
    AGENT_CHANNELS
        .select("WHERE company_id = $1 ORDER BY user_id, channel")
        .bind(company.as_str())
        .list(c, Row::into_agent)
        .await
}
