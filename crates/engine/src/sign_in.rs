//! Agents sign in themselves (the GWS facade): a password per user, kept as an argon2id hash,
//! and server-side sessions found by the hash of their token, so that every node serves them.
//!
//! Guessing is slowed down in the database, so alike on every node: past a few failed sign-ins
//! in a row for one account, or for one client address, the next attempt is refused until a
//! delay that doubles with each further failure has passed.

use std::net::IpAddr;
use std::sync::OnceLock;
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};
use switchboard_domain::email::Email;
use switchboard_domain::secret::Secret;
use switchboard_domain::session::{AgentSession, check_password};
use switchboard_domain::user::User;
use switchboard_domain::{CompanyId, Error, Resource, Result, Timestamp, UserId};
use switchboard_store::{events, passwords, sessions, users};

use crate::auth::UserRef;
use crate::{Actor, Engine};

#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// A session unused for this long has ended.
    pub idle: Duration,
    /// A session has ended this long after sign-in, however busy.
    pub absolute: Duration,
    /// Failed sign-ins in a row an account may have before the next attempt must wait.
    pub free_failures_per_account: u32,
    /// The same for one client address, which many honest users may share.
    pub free_failures_per_address: u32,
    /// The wait after the first failure past the free ones; it doubles with each further one.
    pub backoff: Duration,
    /// The longest wait; failures older than this are forgotten.
    pub backoff_max: Duration,
}

impl Default for SessionOptions {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(30 * 60),
            absolute: Duration::from_secs(12 * 3600),
            free_failures_per_account: 5,
            free_failures_per_address: 20,
            backoff: Duration::from_secs(1),
            backoff_max: Duration::from_secs(15 * 60),
        }
    }
}

/// A new session and the token its holder presents (the cookie); only its hash is stored.
#[derive(Debug)]
pub struct SignedIn {
    pub token: Secret,
    pub session: AgentSession,
    pub actor: Actor,
}

/// A session a request presented, with the user it acts as.
#[derive(Debug, Clone)]
pub struct SessionActor {
    pub session: AgentSession,
    pub actor: Actor,
}

/// argon2id with the parameters OWASP recommends (19 MiB, 2 passes, 1 lane).
fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

fn hash_password(password: &Secret) -> Result<String> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| Error::Internal(format!("cannot encode a salt: {e}")))?;
    hasher()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("cannot hash a password: {e}")))
}

/// Whether `password` is the one `hash` was made from; the comparison is constant-time.
fn verify_password(password: &Secret, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| hasher().verify_password(password.expose().as_bytes(), &h).is_ok())
}

/// A hash no password matches in practice, checked when nobody has the email given, so that a
/// wrong email costs what a wrong password costs.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let random = Secret::new(hex::encode(rand::random::<[u8; 32]>()));
        hash_password(&random).expect("hashing a random password")
    })
}

/// The stored id of a session: the SHA-256 of its token. Tokens carry 256 bits, so a fast hash
/// is as safe as a slow one.
fn session_id(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Runs the hasher off the async workers: one hash takes tens of milliseconds.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| Error::Internal(format!("password hashing task failed: {e}")))
}

impl Engine {
    /// Sets a user's password. The user themself or the company owner may; the user's sessions
    /// end, so that a stolen session does not outlive a changed password.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id, user = %user))]
    pub async fn set_password(&self, actor: &Actor, user: &UserId, password: Secret) -> Result<()> {
        if !actor.user.is_primary() && actor.user.id != *user {
            return Err(Error::forbidden("only the user themself or the company owner may set a user's password"));
        }
        self.store_password(&actor.company_id, &UserRef::Id(user.clone()), password).await.map(drop)
    }

    /// Sets a user's password as the operator of this server (the CLI): no caller to check.
    /// Returns the user.
    #[tracing::instrument(skip_all, fields(company = %company))]
    pub async fn set_password_as_operator(
        &self,
        company: &CompanyId,
        user: &UserRef,
        password: Secret,
    ) -> Result<User> {
        self.store_password(company, user, password).await
    }

    async fn store_password(&self, company: &CompanyId, user: &UserRef, password: Secret) -> Result<User> {
        check_password(&password)?;
        let hash = blocking(move || hash_password(&password)).await??;
        let mut tx = self.store.begin().await?;
        let user = match user {
            UserRef::Primary => users::get_primary(&mut tx, company).await?,
            UserRef::Id(id) => users::get_for_update(&mut tx, company, id).await?,
        }
        .ok_or(Error::NotFound(Resource::User))?;
        passwords::set(&mut tx, company, &user.id, &hash).await?;
        sessions::delete_for_user(&mut tx, company, &user.id).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Signs a user in with their email and password. `username` is the email, or
    /// `<company id>/<email>` where one email and password open accounts in several companies.
    /// Every failure is `Unauthenticated`, whichever part was wrong, and costs the same time; a
    /// client past its free failures is `RateLimited` without its password being checked.
    #[tracing::instrument(skip_all, fields(client = ?client))]
    pub async fn sign_in(&self, username: &str, password: Secret, client: Option<IpAddr>) -> Result<SignedIn> {
        let options = &self.sessions;
        let (company, email) = match username.split_once('/') {
            Some((company, email)) => (CompanyId::parse(company).ok(), email),
            None => (None, username),
        };
        let email = Email::parse(email).ok();
        let subjects = failure_subjects(email.as_ref(), client, options);
        self.check_not_throttled(&subjects, options).await?;

        let mut candidates = match &email {
            Some(email) => passwords::candidates(&mut self.store.reader().await?, &email.normalized()).await?,
            None => Vec::new(),
        };
        candidates.retain(|(user, _)| company.as_ref().is_none_or(|c| *c == user.company_id));
        let hashes: Vec<String> = if candidates.is_empty() {
            vec![dummy_hash().to_owned()]
        } else {
            candidates.iter().map(|(_, hash)| hash.clone()).collect()
        };
        let matches =
            blocking(move || hashes.iter().map(|h| verify_password(&password, h)).collect::<Vec<_>>()).await?;
        let mut matching = candidates.into_iter().zip(matches).filter(|(_, ok)| *ok).map(|((user, _), _)| user);
        let (Some(user), None) = (matching.next(), matching.next()) else {
            self.record_failure(&subjects, options).await?;
            return Err(Error::Unauthenticated);
        };

        let now = Timestamp::now();
        let token = Secret::new(hex::encode(rand::random::<[u8; 32]>()));
        let mut tx = self.store.begin().await?;
        let session = AgentSession {
            id: session_id(token.expose()),
            company_id: user.company_id.clone(),
            user_id: user.id.clone(),
            csrf_token: uuid_v4(),
            delivered_seq: events::last_seq(&mut tx, &user.company_id).await?,
            created_at: now,
            last_seen_at: now,
        };
        // Sessions nobody presents again are removed here, when another one starts.
        sessions::delete_expired(&mut tx, now.minus(options.idle), now.minus(options.absolute)).await?;
        sessions::insert(&mut tx, &session).await?;
        for (subject, _) in subjects.iter().filter(|(s, _)| s.starts_with("account:")) {
            passwords::clear_failures(&mut tx, subject).await?;
        }
        tx.commit().await?;
        tracing::info!(company = %user.company_id, user = %user.id, "signed in");
        Ok(SignedIn { token, session, actor: Actor { company_id: user.company_id.clone(), user } })
    }

    async fn check_not_throttled(&self, subjects: &[(String, u32)], options: &SessionOptions) -> Result<()> {
        let now = Timestamp::now();
        let mut r = self.store.reader().await?;
        for (subject, free) in subjects {
            let Some((failures, last)) = passwords::failures(&mut r, subject).await? else { continue };
            if last < now.minus(options.backoff_max) {
                continue;
            }
            // The free failures are had without waiting; the attempt after the last of them
            // waits `backoff`, and each further failure doubles that.
            let Some(past_free) = u32::try_from(failures).unwrap_or(0).checked_sub(*free) else { continue };
            let wait = options.backoff.saturating_mul(1 << past_free.min(20)).min(options.backoff_max);
            let until = last.plus(wait);
            if now < until {
                let secs = u64::try_from(until.as_micros() - now.as_micros()).unwrap_or(0).div_ceil(1_000_000);
                return Err(Error::RateLimited(format!(
                    "too many failed sign-ins; try again in {secs} second{}",
                    if secs == 1 { "" } else { "s" }
                )));
            }
        }
        Ok(())
    }

    async fn record_failure(&self, subjects: &[(String, u32)], options: &SessionOptions) -> Result<()> {
        let now = Timestamp::now();
        let mut tx = self.store.begin().await?;
        for (subject, _) in subjects {
            passwords::record_failure(&mut tx, subject, now, now.minus(options.backoff_max)).await?;
        }
        tx.commit().await
    }

    /// The session a token opens, with its user, if it has not ended: a session past its idle
    /// or absolute time-out is removed. Any failure is `Unauthenticated`.
    pub async fn session(&self, token: &str) -> Result<SessionActor> {
        let options = &self.sessions;
        let id = session_id(token);
        let now = Timestamp::now();
        let session = sessions::get(&mut self.store.reader().await?, &id).await?.ok_or(Error::Unauthenticated)?;
        if now >= session.last_seen_at.plus(options.idle) || now >= session.created_at.plus(options.absolute) {
            let mut tx = self.store.begin().await?;
            sessions::delete(&mut tx, &id).await?;
            tx.commit().await?;
            return Err(Error::Unauthenticated);
        }
        let user = users::get(&mut self.store.reader().await?, &session.company_id, &session.user_id)
            .await?
            .filter(|u| u.activated)
            .ok_or(Error::Unauthenticated)?;
        // Written at most every tenth of the idle time: a busy agent's every request need not
        // write.
        if now >= session.last_seen_at.plus(options.idle / 10) {
            let mut tx = self.store.begin().await?;
            sessions::touch(&mut tx, &id, now).await?;
            tx.commit().await?;
        }
        Ok(SessionActor { actor: Actor { company_id: session.company_id.clone(), user }, session })
    }

    /// Ends a session (sign-out); its token opens nothing afterwards.
    #[tracing::instrument(skip_all, fields(company = %session.company_id))]
    pub async fn end_session(&self, session: &AgentSession) -> Result<()> {
        let mut tx = self.store.begin().await?;
        sessions::delete(&mut tx, &session.id).await?;
        tx.commit().await
    }

    /// Records that the session's notifications were delivered up to `seq`.
    pub async fn session_delivered(&self, session: &AgentSession, seq: i64) -> Result<()> {
        let mut tx = self.store.begin().await?;
        sessions::advance_delivered(&mut tx, &session.id, seq).await?;
        tx.commit().await
    }
}

/// What failed sign-ins are counted against, each with its free failures: the account named,
/// and the client's address.
fn failure_subjects(email: Option<&Email>, client: Option<IpAddr>, options: &SessionOptions) -> Vec<(String, u32)> {
    let mut subjects = Vec::with_capacity(2);
    if let Some(email) = email {
        subjects.push((format!("account:{}", email.normalized()), options.free_failures_per_account));
    }
    if let Some(ip) = client {
        subjects.push((format!("address:{ip}"), options.free_failures_per_address));
    }
    subjects
}

/// A random UUID (version 4), as GWS writes CSRF tokens.
fn uuid_v4() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let hash = hash_password(&Secret::new("correct horse".into())).unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&Secret::new("correct horse".into()), &hash));
        assert!(!verify_password(&Secret::new("correct horsf".into()), &hash));
        assert!(!verify_password(&Secret::new("correct horse".into()), dummy_hash()));
    }

    #[test]
    fn csrf_tokens_are_version_4_uuids() {
        let t = uuid_v4();
        assert_eq!(t.len(), 36);
        assert_eq!(&t[14..15], "4");
        assert_ne!(t, uuid_v4());
    }
}
