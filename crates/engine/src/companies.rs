use switchboard_domain::company::{Company, CompanyDetails, CompanyProfile, NewCompany};
use switchboard_domain::event::{CompanyCreated, Event};
use switchboard_domain::location::{Location, LocationDetails, MAIN_LOCATION_NAME};
use switchboard_domain::secret::Secret;
use switchboard_domain::user::{Role, User, UserProfile};
use switchboard_domain::{ApiKeyId, CompanyId, Error, LocationId, Resource, Result, Timestamp, UserId};
use switchboard_store::{Tx, api_keys, companies, events, locations, users};

use crate::auth::generate_api_key;
use crate::{Actor, Engine};

/// A new company, with what its owner needs to start: the primary user and an API key that
/// is shown this once and stored only hashed.
#[derive(Debug, Clone)]
pub struct CreatedCompany {
    pub company: Company,
    pub primary_user: User,
    pub main_location: Location,
    pub api_key: Secret,
}

/// A company as the API shows it, with its derived head count.
#[derive(Debug, Clone)]
pub struct CompanyView {
    pub company: Company,
    pub employees: i64,
}

pub const DEFAULT_COMPANY_NAME: &str = "Default";

impl Engine {
    pub async fn create_company(&self, new: NewCompany) -> Result<CreatedCompany> {
        new.validate()?;
        let mut tx = self.store.begin().await?;
        let created = insert_company(&mut tx, new).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// On the first start against an empty database, makes the "Default" company so that a
    /// new install can be used at once. `None` when the database already has a company, or
    /// another node bootstrapped it first.
    pub async fn bootstrap(&self) -> Result<Option<CreatedCompany>> {
        if companies::exists_any(&mut self.store.reader().await?).await? {
            return Ok(None);
        }
        let mut tx = self.store.begin().await?;
        let new = NewCompany {
            name: DEFAULT_COMPANY_NAME.into(),
            email: None,
            first_name: Some("Admin".into()),
            last_name: None,
        };
        let created = insert_company(&mut tx, new).await?;
        if !companies::claim_bootstrap(&mut tx, &created.company.id).await? {
            return Ok(None);
        }
        tx.commit().await?;
        Ok(Some(created))
    }

    pub async fn company(&self, actor: &Actor) -> Result<CompanyView> {
        let mut r = self.store.reader().await?;
        let company = companies::get(&mut r, &actor.company_id).await?.ok_or(Error::NotFound(Resource::Company))?;
        let employees = users::count(&mut r, &actor.company_id).await?;
        Ok(CompanyView { company, employees })
    }

    /// Changes the actor's company to what `change` makes of it, on the locked current row.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id))]
    pub async fn update_company(
        &self,
        actor: &Actor,
        change: impl FnOnce(&Company) -> Result<CompanyDetails>,
    ) -> Result<CompanyView> {
        actor.require_primary("update the company")?;
        let mut tx = self.store.begin().await?;
        let current =
            companies::get_for_update(&mut tx, &actor.company_id).await?.ok_or(Error::NotFound(Resource::Company))?;
        let CompanyDetails { name, profile } = change(&current)?;
        let updated = Company { name, profile, updated_at: Timestamp::now(), ..current };
        updated.validate()?;
        companies::update(&mut tx, &updated).await?;
        events::append(&mut tx, &actor.company_id, vec![Event::CompanyUpdated((&updated).into())]);
        let employees = users::count(&mut tx, &actor.company_id).await?;
        tx.commit().await?;
        Ok(CompanyView { company: updated, employees })
    }
}

async fn insert_company(tx: &mut Tx<'_>, new: NewCompany) -> Result<CreatedCompany> {
    let now = Timestamp::now();
    let company = Company {
        id: CompanyId::new(),
        name: new.name,
        status: "active".into(),
        profile: CompanyProfile { email: new.email.clone(), ..CompanyProfile::default() },
        created_at: now,
        updated_at: now,
    };
    let primary_user = User {
        id: UserId::new(),
        company_id: company.id.clone(),
        role: Role::Primary,
        first_name: new.first_name,
        last_name: new.last_name,
        email: new.email,
        activated: true,
        profile: UserProfile::default(),
        created_at: now,
        updated_at: now,
        last_enter: None,
    };
    let main_location = Location {
        id: LocationId::new(),
        company_id: company.id.clone(),
        name: MAIN_LOCATION_NAME.into(),
        details: LocationDetails::default(),
        created_at: now,
        updated_at: now,
    };
    let (api_key, prefix) = generate_api_key();
    companies::insert(tx, &company).await?;
    users::insert(tx, &primary_user).await?;
    locations::insert(tx, &main_location).await?;
    api_keys::insert(
        tx,
        &api_keys::NewApiKey {
            id: ApiKeyId::new(),
            company_id: &company.id,
            key: &api_key,
            prefix: &prefix,
            name: "initial",
        },
    )
    .await?;
    events::append(
        tx,
        &company.id,
        vec![
            Event::CompanyCreated(CompanyCreated { id: company.id.clone(), name: company.name.clone() }),
            Event::UserCreated((&primary_user).into()),
            Event::LocationCreated((&main_location).into()),
        ],
    );
    Ok(CreatedCompany { company, primary_user, main_location, api_key: Secret::new(api_key) })
}
