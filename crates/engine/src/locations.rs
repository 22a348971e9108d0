use switchboard_domain::event::Event;
use switchboard_domain::location::{Location, NewLocation};
use switchboard_domain::{Error, LocationId, Resource, Result, Timestamp};
use switchboard_store::{events, locations};

use crate::{Actor, Engine};

impl Engine {
    pub async fn list_locations(&self, actor: &Actor) -> Result<Vec<Location>> {
        locations::list(&mut self.store.reader().await?, &actor.company_id).await
    }

    #[tracing::instrument(skip_all, fields(company = %actor.company_id))]
    pub async fn create_location(&self, actor: &Actor, new: NewLocation) -> Result<Location> {
        actor.require_primary("add locations")?;
        let now = Timestamp::now();
        let location = Location {
            id: LocationId::new(),
            company_id: actor.company_id.clone(),
            name: new.name,
            details: new.details,
            created_at: now,
            updated_at: now,
        };
        location.validate()?;
        let mut tx = self.store.begin().await?;
        locations::insert(&mut tx, &location).await?;
        events::append(&mut tx, &actor.company_id, vec![Event::LocationCreated((&location).into())]);
        tx.commit().await?;
        Ok(location)
    }

    /// Changes a location to what `change` makes of it, on the locked current row.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id))]
    pub async fn update_location(
        &self,
        actor: &Actor,
        id: &LocationId,
        change: impl FnOnce(&Location) -> Result<NewLocation>,
    ) -> Result<Location> {
        let mut tx = self.store.begin().await?;
        let current = locations::get_for_update(&mut tx, &actor.company_id, id)
            .await?
            .ok_or(Error::NotFound(Resource::Location))?;
        actor.require_primary("edit locations")?;
        let NewLocation { name, details } = change(&current)?;
        let updated = Location { name, details, updated_at: Timestamp::now(), ..current };
        updated.validate()?;
        locations::update(&mut tx, &updated).await?;
        events::append(&mut tx, &actor.company_id, vec![Event::LocationUpdated((&updated).into())]);
        tx.commit().await?;
        Ok(updated)
    }

    /// Deletes a location and returns what it was. A company always keeps at least one.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id))]
    pub async fn delete_location(&self, actor: &Actor, id: &LocationId) -> Result<Location> {
        actor.require_primary("delete locations")?;
        let mut tx = self.store.begin().await?;
        let remaining = locations::count_for_update(&mut tx, &actor.company_id).await?;
        let location =
            locations::get(&mut tx, &actor.company_id, id).await?.ok_or(Error::NotFound(Resource::Location))?;
        if remaining <= 1 {
            return Err(Error::Conflict("a company must keep at least one location; this is its last one".into()));
        }
        locations::delete(&mut tx, &actor.company_id, id).await?;
        events::append(&mut tx, &actor.company_id, vec![Event::LocationDeleted((&location).into())]);
        tx.commit().await?;
        Ok(location)
    }
}
