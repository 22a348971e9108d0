//! An agent's answer to the customer of an interaction they hold (GWS `SendMessage`): a reply
//! to the thread's latest inbound content, exported through that content's own source like any
//! other reply (`Engine::compose`).

use switchboard_domain::conversation::Content;
use switchboard_domain::routing::InteractionState;
use switchboard_domain::{Error, InteractionId, Resource, Result};
use switchboard_store::{contents, routing};

use crate::conversations::Compose;
use crate::{Actor, Engine};

impl Engine {
    /// Sends `text` to the customer of the interaction, which the actor must have accepted.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id, interaction = %id))]
    pub async fn send_interaction_message(&self, actor: &Actor, id: &InteractionId, text: String) -> Result<Content> {
        let mut r = self.store.reader().await?;
        let i = routing::get_interaction(&mut r, &actor.company_id, id)
            .await?
            .ok_or(Error::NotFound(Resource::Interaction))?;
        if i.agent_id.as_ref() != Some(&actor.user.id) {
            return Err(Error::forbidden("only the interaction's agent may send a message in it"));
        }
        if i.state != InteractionState::Accepted {
            return Err(Error::Conflict(format!(
                "cannot send a message in an interaction that is {}",
                i.state.as_str()
            )));
        }
        let parent = contents::latest_inbound_of_thread(&mut r, &actor.company_id, &i.thread_id)
            .await?
            .ok_or_else(|| Error::Conflict("the interaction's thread has no customer message to answer".into()))?;
        drop(r);
        self.compose(
            actor,
            Compose { body: text, in_reply_to: Some(parent.id), source_id: None, author_identity_id: None },
        )
        .await
    }
}
