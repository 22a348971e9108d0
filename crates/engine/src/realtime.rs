//! The realtime hub: a subscriber follows one company's event log from a seq. It wakes on this
//! node's commits and on other nodes' (NOTIFY), and reads the log rows after its cursor, so
//! what it gets is exactly the log, in order, with nothing missed across reconnections.

use std::time::Duration;

use switchboard_domain::event::LoggedEvent;
use switchboard_domain::{CompanyId, Result};
use switchboard_store::{Committed, events};
use tokio::sync::{broadcast, mpsc};

use crate::Engine;

/// Events read per query.
const BATCH: i64 = 200;
/// How often an idle subscriber looks at the log without being woken, in case a notice was
/// lost (a NOTIFY during a reconnection of the listener).
const IDLE_POLL: Duration = Duration::from_secs(5);

impl Engine {
    /// The company's events after `after` (from now when `None`), as they are committed. The
    /// channel closes when the log cannot be read; a client then resumes from its last seq.
    pub async fn follow_events(&self, company: &CompanyId, after: Option<i64>) -> Result<mpsc::Receiver<LoggedEvent>> {
        // Subscribe before reading the head, so a commit in between wakes the reader.
        let mut local = self.store.subscribe_committed();
        let mut remote = self.wakeups();
        let mut cursor = match after {
            Some(seq) => seq,
            None => events::last_seq(&mut self.store.reader().await?, company).await?,
        };
        let (tx, rx) = mpsc::channel(BATCH as usize);
        let mut closing = self.closing.subscribe();
        let (engine, company) = (self.clone(), company.clone());
        tokio::spawn(async move {
            while !*closing.borrow_and_update() {
                let batch = match engine.store.reader().await {
                    Ok(mut r) => events::read_after(&mut r, &company, cursor, BATCH).await,
                    Err(e) => Err(e),
                };
                let batch = match batch {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::warn!(error = %e, "a realtime subscriber cannot read the event log");
                        return;
                    }
                };
                let full = batch.len() as i64 == BATCH;
                for event in batch {
                    cursor = event.seq;
                    if tx.send(event).await.is_err() {
                        return;
                    }
                }
                if full {
                    continue;
                }
                let woken = async {
                    loop {
                        let notice = tokio::select! {
                            r = local.recv() => r,
                            r = remote.recv() => r,
                        };
                        if let Some(go_on) = wakes(notice, &company, cursor) {
                            return go_on;
                        }
                    }
                };
                tokio::select! {
                    go_on = woken => if !go_on { return },
                    () = tokio::time::sleep(IDLE_POLL) => {}
                    () = tx.closed() => return,
                    _ = closing.changed() => return,
                }
            }
        });
        Ok(rx)
    }
}

/// What a commit notice means to a subscriber at `cursor`: read on (`true`), stop (`false`, the
/// node is shutting down), or keep waiting (`None`, another company's or an older commit). A
/// lagging receiver may have missed the one that mattered, so it reads.
fn wakes(
    notice: std::result::Result<Committed, broadcast::error::RecvError>,
    company: &CompanyId,
    cursor: i64,
) -> Option<bool> {
    match notice {
        Ok(c) if c.company_id == *company && c.last_seq > cursor => Some(true),
        Ok(_) => None,
        Err(broadcast::error::RecvError::Lagged(_)) => Some(true),
        Err(broadcast::error::RecvError::Closed) => Some(false),
    }
}
