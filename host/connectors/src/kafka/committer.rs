//! [`Committer`]: a thread that runs one sink subtask's Kafka transactions,
//! in order, while the subtask goes on with the next checkpoint interval's
//! records.
//!
//! The subtask hands over each completed checkpoint's pending commit and
//! keeps it until the thread reports it committed: a checkpoint taken
//! meanwhile still records it, so a failure at any point redoes exactly
//! the commits the marker group does not cover.

use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::transactions::{Pending, Transactions};
use crate::{ConnectorError, Result};

/// What the thread has done.
#[derive(Debug, Default)]
struct Progress {
    /// The last checkpoint committed.
    committed: Option<u64>,
    /// Commits handed over and not finished.
    queued: usize,
    /// A commit failed; later ones are not tried.
    failed: bool,
    /// Its error, until reported to the subtask.
    failure: Option<ConnectorError>,
}

#[derive(Debug, Default)]
struct Shared {
    progress: Mutex<Progress>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Runs a subtask's transactions on a thread of its own.
#[derive(Debug)]
pub(crate) struct Committer {
    jobs: Sender<Arc<Pending>>,
    shared: Arc<Shared>,
    /// For errors: the sink, its brokers, its transactional id.
    id: String,
    brokers: String,
}

impl Committer {
    /// Starts the thread; it owns `txn` until the committer is dropped.
    pub(crate) fn start(txn: Transactions) -> Committer {
        let (jobs, receive) = mpsc::channel::<Arc<Pending>>();
        let shared = Arc::new(Shared::default());
        let id = txn.id.clone();
        let brokers = txn.spec.brokers.clone();
        let thread_shared = Arc::clone(&shared);
        let name = format!("kafka-txn-{}", txn.transactional_id);
        std::thread::Builder::new()
            .name(name)
            .spawn(move || {
                for pending in receive {
                    let failed = thread_shared.lock().failed;
                    let result = if failed {
                        Ok(0)
                    } else {
                        txn.commit(pending.checkpoint, &pending.data)
                    };
                    let mut progress = thread_shared.lock();
                    progress.queued -= 1;
                    match result {
                        Ok(_) if !failed => progress.committed = Some(pending.checkpoint),
                        Ok(_) => {}
                        Err(e) => {
                            progress.failed = true;
                            progress.failure = Some(e);
                        }
                    }
                    thread_shared.changed.notify_all();
                }
            })
            .expect("spawning a transaction thread");
        Committer {
            jobs,
            shared,
            id,
            brokers,
        }
    }

    /// Queues `pending`'s commit after those queued before.
    pub(crate) fn submit(&self, pending: Arc<Pending>) -> Result<()> {
        self.shared.lock().queued += 1;
        if self.jobs.send(pending).is_err() {
            self.shared.lock().queued -= 1;
            return Err(self.error("the transaction thread is gone".to_owned()));
        }
        Ok(())
    }

    /// The last checkpoint committed; `Err` once a commit failed.
    pub(crate) fn committed(&self) -> Result<Option<u64>> {
        let mut progress = self.shared.lock();
        self.check(&mut progress)?;
        Ok(progress.committed)
    }

    /// Waits until every queued commit is done; `Err` if one failed.
    pub(crate) fn wait(&self) -> Result<()> {
        let mut progress = self.shared.lock();
        while progress.queued > 0 {
            progress = self
                .shared
                .changed
                .wait(progress)
                .unwrap_or_else(PoisonError::into_inner);
        }
        self.check(&mut progress)
    }

    /// Waits until every queued commit is done or `limit` passed; says
    /// whether they are done.
    pub(crate) fn wait_at_most(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        let mut progress = self.shared.lock();
        while progress.queued > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            progress = self
                .shared
                .changed
                .wait_timeout(progress, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }

    fn check(&self, progress: &mut Progress) -> Result<()> {
        if !progress.failed {
            return Ok(());
        }
        Err(progress
            .failure
            .take()
            .unwrap_or_else(|| self.error("an earlier commit failed".to_owned())))
    }

    fn error(&self, message: String) -> ConnectorError {
        ConnectorError::Kafka {
            id: self.id.clone(),
            brokers: self.brokers.clone(),
            message,
        }
    }
}
