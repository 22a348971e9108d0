//! Waking other nodes: on PostgreSQL each commit that appended events is announced with
//! `NOTIFY`, and each node listens. The notices only wake readers; the log rows stay the
//! truth, so a lost notice delays nothing longer than a reader's poll.

use sqlx::postgres::PgListener;
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
    // After the commit, on its own task: the writer that committed never waits for this.
    tokio::spawn(async move {
        loop {
            match local.recv().await {
                Ok(first) => {
                    if announcer.is_closed() {
                        break;
                    }
                    // Under load, commits queue up while one notice is sent: announce only the
                    // newest seq of each company among them, one notice per company.
                    let mut newest = vec![first];
                    while let Ok(c) = local.try_recv() {
                        match newest.iter_mut().find(|n| n.company_id == c.company_id) {
                            Some(n) => n.last_seq = n.last_seq.max(c.last_seq),
                            None => newest.push(c),
                        }
                    }
                    for c in newest {
                        let payload = format!("{}:{}", c.company_id, c.last_seq);
                        if let Err(e) = sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(payload).execute(&announcer).await {
                            tracing::debug!(error = %e, "cannot announce a commit to other nodes");
                        }
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
                let Some((company, seq)) = n.payload().split_once(':') else { continue };
                if let (Ok(company_id), Ok(last_seq)) = (parse_id(company.to_owned()), seq.parse()) {
                    let _ = sender.send(Committed { company_id, last_seq });
                }
            }
        }
    });
    remote
}
