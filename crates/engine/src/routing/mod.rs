//! The routing engine, one for every channel: agents' states and capacities per channel
//! (`agents`), queues (`queues`), the interactions opened by inbound contents (`intake`) and
//! offered to agents (`pass`, by the rules of `route`), and what agents do with them
//! (`interactions`). Facades (GWS `/api/v2`, native `/v1`) call these use cases; nothing here
//! knows a facade or a carrier.
//!
//! Every routing decision of a company is made in a transaction holding the company's routing
//! lock (`store::routing::lock`), so an interaction is never offered twice at once, on any node.

mod agents;
mod intake;
mod interactions;
mod pass;
mod queues;
mod replies;
mod route;

use std::time::Duration;

use switchboard_domain::Result;
use switchboard_domain::event::Event;
use switchboard_domain::job::JobOutcome;
use switchboard_domain::routing::InteractionState;
use switchboard_store::routing;

pub use agents::AgentLoad;
pub use intake::Intake;
pub use interactions::{InteractionDetails, InteractionQuery, TransferTarget, UserDataChange};
pub use pass::{OfferTimeoutJob, RouteJob};
pub use queues::{Position, QueueFigures, QueuingUpdateJob};

use crate::Engine;

#[derive(Debug, Clone)]
pub struct RoutingOptions {
    /// How often intake looks for contents committed by other nodes (commits here wake it).
    pub poll: Duration,
}

impl Default for RoutingOptions {
    fn default() -> Self {
        Self { poll: Duration::from_secs(1) }
    }
}

impl Engine {
    /// Runs a `routing.offer_timeout` job: the offer is revoked and the interaction routed
    /// again, to another agent first, unless it was answered (or offered again) meanwhile.
    #[tracing::instrument(skip_all, fields(company = %job.company_id, interaction = %job.interaction_id))]
    pub async fn expire_offer(&self, job: &OfferTimeoutJob) -> Result<JobOutcome> {
        let mut tx = self.store.begin().await?;
        routing::lock(&mut tx, &job.company_id).await?;
        let Some(mut i) = routing::get_interaction(&mut tx, &job.company_id, &job.interaction_id).await? else {
            return Ok(JobOutcome::Done);
        };
        if i.state != InteractionState::Offered || i.offers != job.offer {
            return Ok(JobOutcome::Done);
        }
        let Some(agent) = i.agent_id.clone() else { return Ok(JobOutcome::Done) };
        interactions::requeue(&mut i, Some(agent.clone()));
        let name = match &i.queue_id {
            Some(q) => routing::get_queue(&mut tx, &job.company_id, q).await?.map(|q| q.name),
            None => None,
        };
        pass::changed(&mut tx, &i, name.as_deref(), Event::InteractionRevoked, Some("offer_timeout"), Some(&agent))
            .await?;
        pass::route(&mut tx, &job.company_id).await?;
        tx.commit().await?;
        Ok(JobOutcome::Done)
    }

    /// Runs a `routing.route` job: a routing pass (interactions that waited their queue's
    /// maximum overflow).
    pub async fn route_company(&self, job: &RouteJob) -> Result<JobOutcome> {
        let mut tx = self.store.begin().await?;
        routing::lock(&mut tx, &job.company_id).await?;
        pass::route(&mut tx, &job.company_id).await?;
        tx.commit().await?;
        Ok(JobOutcome::Done)
    }
}
