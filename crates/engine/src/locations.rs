use switchboard_domain::event::NewEvent;
use switchboard_domain::location::{Location, NewLocation};
use switchboard_domain::{Error, LocationId, Resource, Result, Timestamp};
use switchboard_store::{events, locations};

use crate::{Actor, Engine, snapshot};

impl Engine {
    pub async fn list_locations(&self, actor: &Actor) -> Result<Vec<Location>> {
        locations::list(&mut self.store.reader().await?, &actor.company_id).await
    }

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
        events::append(
            &mut tx,
            &actor.company_id,
            vec![NewEvent::new("location.created", snapshot::location(&location))],
        );
        tx.commit().await?;
        Ok(location)
    }

    pub async fn update_location(
        &self,
        actor: &Actor,
        id: &LocationId,
        change: impl FnOnce(Location) -> Result<Location>,
    ) -> Result<Location> {
        let mut tx = self.store.begin().await?;
        let current = locations::get_for_update(&mut tx, &actor.company_id, id)
            .await?
            .ok_or(Error::NotFound(Resource::Location))?;
        actor.require_primary("edit locations")?;
        let mut updated = change(current.clone())?;
        updated.id = current.id;
        updated.company_id = current.company_id;
        updated.created_at = current.created_at;
        updated.updated_at = Timestamp::now();
        updated.validate()?;
        locations::update(&mut tx, &updated).await?;
        events::append(
            &mut tx,
            &actor.company_id,
            vec![NewEvent::new("location.updated", snapshot::location(&updated))],
        );
        tx.commit().await?;
        Ok(updated)
    }

    /// Deletes a location and returns what it was. A company always keeps at least one.
    pub async fn delete_location(&self, actor: &Actor, id: &LocationId) -> Result<Location> {
        actor.require_primary("delete locations")?;
        let mut tx = self.store.begin().await?;
        let remaining = locations::count_for_update(&mut tx, &actor.company_id).await?;
        let location =
            locations::get(&mut tx, &actor.company_id, id).await?.ok_or(Error::NotFound(Resource::Location))?;
        if remaining <= 1 {
            return Err(Error::invalid("a company must keep at least one location; this is its last one"));
        }
        locations::delete(&mut tx, &actor.company_id, id).await?;
        events::append(
            &mut tx,
            &actor.company_id,
            vec![NewEvent::new("location.deleted", snapshot::location(&location))],
        );
        tx.commit().await?;
        Ok(location)
    }
}
