use switchboard_domain::event::Event;
use switchboard_domain::paging::{Page, Paged};
use switchboard_domain::user::{Role, User, UserDetails, UserFilter};
use switchboard_domain::{Error, Resource, Result, Timestamp, UserId};
use switchboard_store::{Tx, events, users};

use crate::{Actor, Engine};

impl Engine {
    pub async fn list_users(&self, actor: &Actor, filter: &UserFilter, page: Page) -> Result<Paged<User>> {
        filter.validate()?;
        let mut r = self.store.reader().await?;
        let (items, total) = users::list(&mut r, &actor.company_id, filter, page.limit(), page.offset()).await?;
        Ok(Paged { items, total: total.max(0) as u64, page })
    }

    #[tracing::instrument(skip_all, fields(company = %actor.company_id))]
    pub async fn create_user(&self, actor: &Actor, new: UserDetails) -> Result<User> {
        actor.require_primary("add users")?;
        let now = Timestamp::now();
        let mut user = User {
            id: UserId::new(),
            company_id: actor.company_id.clone(),
            role: Role::Agent,
            first_name: None,
            last_name: None,
            email: None,
            activated: true,
            profile: Default::default(),
            created_at: now,
            updated_at: now,
            last_enter: None,
        };
        user.set_details(new);
        user.validate()?;
        let mut tx = self.store.begin().await?;
        ensure_email_free(&mut tx, &user).await?;
        users::insert(&mut tx, &user).await.map_err(duplicate_email)?;
        events::append(&mut tx, &actor.company_id, vec![Event::UserCreated((&user).into())]);
        tx.commit().await?;
        Ok(user)
    }

    /// Changes a user's details to what `change` makes of them, on the locked current row.
    /// Users may change themselves; the primary user may change anyone. The primary user stays
    /// active.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id))]
    pub async fn update_user(
        &self,
        actor: &Actor,
        id: &UserId,
        change: impl FnOnce(&User) -> Result<UserDetails>,
    ) -> Result<User> {
        let mut tx = self.store.begin().await?;
        let current =
            users::get_for_update(&mut tx, &actor.company_id, id).await?.ok_or(Error::NotFound(Resource::User))?;
        if !actor.user.is_primary() && actor.user.id != current.id {
            return Err(Error::forbidden("only the user themself or the company owner may update a user"));
        }
        let details = change(&current)?;
        let mut updated = User { updated_at: Timestamp::now(), ..current };
        updated.set_details(details);
        if updated.is_primary() && !updated.activated {
            return Err(Error::Conflict("the primary user cannot be deactivated".into()));
        }
        updated.validate()?;
        ensure_email_free(&mut tx, &updated).await?;
        users::update(&mut tx, &updated).await.map_err(duplicate_email)?;
        events::append(&mut tx, &actor.company_id, vec![Event::UserUpdated((&updated).into())]);
        tx.commit().await?;
        Ok(updated)
    }

    /// Gives a user another role. Only the primary user may; the owner's role is neither given
    /// nor taken.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id))]
    pub async fn set_user_role(&self, actor: &Actor, id: &UserId, role: Role) -> Result<User> {
        actor.require_primary("change users' roles")?;
        if role == Role::Primary {
            return Err(Error::invalid_field("role", "the primary role cannot be given"));
        }
        let mut tx = self.store.begin().await?;
        let current =
            users::get_for_update(&mut tx, &actor.company_id, id).await?.ok_or(Error::NotFound(Resource::User))?;
        if current.is_primary() {
            return Err(Error::Conflict("the primary user's role cannot be changed".into()));
        }
        let updated = User { role, updated_at: Timestamp::now(), ..current };
        users::update(&mut tx, &updated).await?;
        events::append(&mut tx, &actor.company_id, vec![Event::UserUpdated((&updated).into())]);
        tx.commit().await?;
        Ok(updated)
    }

    /// Deletes a user and returns what it was. Only the primary user may, and not themself.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id))]
    pub async fn delete_user(&self, actor: &Actor, id: &UserId) -> Result<User> {
        actor.require_primary("delete users")?;
        let mut tx = self.store.begin().await?;
        let user =
            users::get_for_update(&mut tx, &actor.company_id, id).await?.ok_or(Error::NotFound(Resource::User))?;
        if user.is_primary() {
            return Err(Error::Conflict("the primary user cannot be deleted; a company always keeps its owner".into()));
        }
        users::delete(&mut tx, &actor.company_id, id).await?;
        events::append(&mut tx, &actor.company_id, vec![Event::UserDeleted((&user).into())]);
        tx.commit().await?;
        Ok(user)
    }
}

async fn ensure_email_free(tx: &mut Tx<'_>, user: &User) -> Result<()> {
    if let Some(email) = &user.email
        && users::email_taken(tx, &user.company_id, email, Some(&user.id)).await?
    {
        return Err(Error::Conflict(format!("a user with email '{email}' already exists in this company")));
    }
    Ok(())
}

/// A concurrent insert can still win the race past [`ensure_email_free`]; the unique index
/// catches it, and the caller gets the same answer as if it had lost the check.
fn duplicate_email(e: Error) -> Error {
    match e {
        Error::Conflict(_) => Error::Conflict("a user with this email already exists in this company".into()),
        other => other,
    }
}
