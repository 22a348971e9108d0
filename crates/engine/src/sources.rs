//! Sources (channels) as administrators manage them. What each kind of source needs when it is
//! saved, changed or deleted is its channel's business (see [`crate::channels`]).

use switchboard_domain::event::Event;
use switchboard_domain::outbound::OutboundUrl;
use switchboard_domain::source::sdk::AccessToken;
use switchboard_domain::source::{Source, SourceConfig, SourceDetails};
use switchboard_domain::{Error, Resource, Result, SourceId, Timestamp};
use switchboard_store::{events, sources};

use crate::channels;
use crate::{Actor, Engine};

impl Engine {
    #[tracing::instrument(skip_all, fields(company = %actor.company_id))]
    pub async fn create_source(&self, actor: &Actor, new: SourceDetails) -> Result<Source> {
        actor.require_admin("add sources")?;
        let now = Timestamp::now();
        let source = Source {
            id: SourceId::new(),
            company_id: actor.company_id.clone(),
            name: new.name,
            config: channels::configure(new.setup, None)?,
            created_at: now,
            updated_at: now,
        };
        source.validate()?;
        self.check_outbound(&source, None).await?;
        let mut tx = self.store.begin().await?;
        sources::insert(&mut tx, &source).await?;
        self.source_saved(&mut tx, &source).await?;
        events::append(&mut tx, &actor.company_id, vec![Event::SourceCreated((&source).into())]);
        tx.commit().await?;
        Ok(source)
    }

    pub async fn list_sources(&self, actor: &Actor) -> Result<Vec<Source>> {
        actor.require_admin("manage sources")?;
        sources::list(&mut self.store.reader().await?, &actor.company_id).await
    }

    pub async fn source(&self, actor: &Actor, id: &SourceId) -> Result<Source> {
        actor.require_admin("manage sources")?;
        sources::get(&mut self.store.reader().await?, &actor.company_id, id)
            .await?
            .ok_or(Error::NotFound(Resource::Source))
    }

    /// Changes a source to what `change` makes of it, on the locked current row. Secrets (an
    /// access token) are kept; they change only by rotation. A new URL to call is checked first,
    /// outside the transaction (resolving a name can take seconds), on what `change` makes of
    /// the source as it is read; should a concurrent change make the locked row lead elsewhere,
    /// this one fails rather than save a URL nobody checked.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id, source = %id))]
    pub async fn update_source(
        &self,
        actor: &Actor,
        id: &SourceId,
        change: impl Fn(&Source) -> Result<SourceDetails>,
    ) -> Result<Source> {
        let read = self.source(actor, id).await?;
        let checked = Self::changed(&read, change(&read)?)?;
        self.check_outbound(&checked, Some(&read)).await?;
        let mut tx = self.store.begin().await?;
        let current =
            sources::get_for_update(&mut tx, &actor.company_id, id).await?.ok_or(Error::NotFound(Resource::Source))?;
        let updated = Self::changed(&current, change(&current)?)?;
        let unchecked = |(field, url): &(&str, &OutboundUrl)| {
            !current.outbound_urls().contains(&(field, url)) && !checked.outbound_urls().contains(&(field, url))
        };
        if updated.outbound_urls().iter().any(unchecked) {
            return Err(Error::Conflict("the source was changed meanwhile; try again".into()));
        }
        sources::update(&mut tx, &updated).await?;
        self.source_saved(&mut tx, &updated).await?;
        events::append(&mut tx, &actor.company_id, vec![Event::SourceUpdated((&updated).into())]);
        tx.commit().await?;
        self.source_changed(id);
        Ok(updated)
    }

    /// `current` with `details` written over it.
    fn changed(current: &Source, details: SourceDetails) -> Result<Source> {
        let updated = Source {
            name: details.name,
            config: channels::configure(details.setup, Some(&current.config))?,
            updated_at: Timestamp::now(),
            ..current.clone()
        };
        updated.validate()?;
        Ok(updated)
    }

    /// Puts every URL the source is to call, but those it had already, through the outbound
    /// guard.
    async fn check_outbound(&self, source: &Source, before: Option<&Source>) -> Result<()> {
        let known = before.map(Source::outbound_urls).unwrap_or_default();
        for (field, url) in source.outbound_urls() {
            if !known.contains(&(field, url)) {
                self.outbound.check(field, url).await?;
            }
        }
        Ok(())
    }

    /// Replaces the access token; the old one stops working at once.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id, source = %id))]
    pub async fn rotate_source_token(&self, actor: &Actor, id: &SourceId) -> Result<Source> {
        actor.require_admin("manage sources")?;
        let mut tx = self.store.begin().await?;
        let mut source =
            sources::get_for_update(&mut tx, &actor.company_id, id).await?.ok_or(Error::NotFound(Resource::Source))?;
        match &mut source.config {
            SourceConfig::Sdk(c) => c.access_token = AccessToken::generate(),
            SourceConfig::Sms(_) => return Err(Error::Conflict("an SMS source has no access token".into())),
        }
        source.updated_at = Timestamp::now();
        sources::update(&mut tx, &source).await?;
        events::append(&mut tx, &actor.company_id, vec![Event::SourceTokenRotated((&source).into())]);
        tx.commit().await?;
        self.source_changed(id);
        Ok(source)
    }

    /// Deletes a source. Its conversations stay readable; it stops accepting and sending.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id, source = %id))]
    pub async fn delete_source(&self, actor: &Actor, id: &SourceId) -> Result<()> {
        actor.require_admin("manage sources")?;
        let mut tx = self.store.begin().await?;
        let source =
            sources::get_for_update(&mut tx, &actor.company_id, id).await?.ok_or(Error::NotFound(Resource::Source))?;
        sources::delete(&mut tx, &actor.company_id, id).await?;
        events::append(&mut tx, &actor.company_id, vec![Event::SourceDeleted((&source).into())]);
        tx.commit().await?;
        self.source_changed(id);
        Ok(())
    }
}
