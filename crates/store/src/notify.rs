//! Waking other nodes: on PostgreSQL each commit that appended events is announced with
//! `NOTIFY`, and each node listens. The notices only wake readers; the log rows stay the
//! truth, so a lost notice delays nothing longer than a reader's poll.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::postgres::{PgConnection, PgListener, PgPool};
use tokio::sync::broadcast;

use crate::{Committed, Store, parse_id};

const CHANNEL: &str = "switchboard_events";

/// Starts relaying this node's commits to the other nodes and theirs to the returned channel.
/// On SQLite there are no other nodes and nothing is ever sent on it.
pub fn relay(store: &Store) -> broadcast::Sender<Committed> {
    let (remote, _) = broadcast::channel(4096);
    let Some(pool) = store.postgres_pool().cloned() else { return remote };

    let mut local = store.subscribe_committed();
    let announcer = pool.clone();
    // This node's own notices come back to its listener; they are dropped there, since local
    // readers were woken at commit already.
    let own_pid = Arc::new(AtomicU32::new(0));
    let announcer_pid = own_pid.clone();
    // After the commit, on its own task: the writer that committed never waits for this.
    tokio::spawn(async move {
        let mut conn: Option<PgConnection> = None;
        loop {
            match local.recv().await {
                Ok(first) => {
                    if announcer.is_closed() {
                        break;
                    }
                    // Under load, commits queue up while one notice is sent: announce only the
                    // newest seq of each company among them, in one statement.
                    let mut newest = vec![first];
                    while let Ok(c) = local.try_recv() {
                        match newest.iter_mut().find(|n| n.company_id == c.company_id) {
                            Some(n) => n.last_seq = n.last_seq.max(c.last_seq),
                            None => newest.push(c),
                        }
                    }
                    let payloads: Vec<String> =
                        newest.iter().map(|c| format!("{}:{}", c.company_id, c.last_seq)).collect();
                    if let Err(e) = announce(&announcer, &mut conn, &announcer_pid, &payloads).await {
                        conn = None;
                        tracing::debug!(error = %e, "cannot announce a commit to other nodes");
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    });

    let sender = remote.clone();
    tokio::spawn(async move {
        while !pool.is_closed() {
            let mut listener = match PgListener::connect_with(&pool).await {
                Ok(l) => l,
                Err(_) => {
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    continue;
                }
            };
            if listener.listen(CHANNEL).await.is_err() {
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;
            }
            while let Ok(n) = listener.recv().await {
                if n.process_id() == own_pid.load(Ordering::Relaxed) {
                    continue;
                }
                let Some((company, seq)) = n.payload().split_once(':') else { continue };
                if let (Ok(company_id), Ok(last_seq)) = (parse_id(company.to_owned()), seq.parse()) {
                    let _ = sender.send(Committed { company_id, last_seq });
                }
            }
        }
    });
    remote
}

/// Sends the notices on the announcer's own connection. A NOTIFY is a transaction: with
/// `synchronous_commit` off it does not wait for a WAL flush of its own (which would cost as
/// much as a write), and losing one in a crash loses nothing, since readers poll the log.
async fn announce(
    pool: &PgPool,
    conn: &mut Option<PgConnection>,
    pid: &AtomicU32,
    payloads: &[String],
) -> sqlx::Result<()> {
    if conn.is_none() {
        let mut c = pool.acquire().await?.detach();
        sqlx::query("SET synchronous_commit TO off").execute(&mut c).await?;
        let backend: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&mut c).await?;
        pid.store(backend.unsigned_abs(), Ordering::Relaxed);
        *conn = Some(c);
    }
    let c = conn.as_mut().expect("connected above");
    sqlx::query("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p").bind(CHANNEL).bind(payloads).execute(c).await?;
    Ok(())
}
