//! The checkpoint coordinator's decisions: when to trigger, which
//! acknowledgements complete a checkpoint, what expires. Pure: no I/O and
//! no clock (the caller passes the time in), so every rule is a unit test.

mod config;
mod events;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

pub use config::CheckpointConfig;
pub use events::{Abort, AbortReason, AckOutcome, Completion, TaskId, Tick, Trigger};

use crate::error::{Error, Result};
use crate::metadata::SnapshotKind;

/// Decides when checkpoints start and end, for one job.
///
/// The caller calls [`tick`](Self::tick) whenever [`next_wakeup`](Self::next_wakeup)
/// says (or more often), starts the checkpoints it returns, forwards each
/// task's acknowledgement or decline, and acts on the [`Completion`] and
/// [`Abort`] values it gets back.
#[derive(Debug, Clone)]
pub struct CheckpointCoordinator {
    config: CheckpointConfig,
    tasks: BTreeSet<TaskId>,
    next_id: u64,
    in_flight: BTreeMap<u64, InFlight>,
    savepoints_requested: usize,
    /// When the coordinator started: the first periodic checkpoint is due
    /// one interval later.
    started: Instant,
    last_periodic_trigger: Option<Instant>,
    last_finished: Option<Instant>,
}

#[derive(Debug, Clone)]
struct InFlight {
    kind: SnapshotKind,
    started: Instant,
    waiting: BTreeSet<TaskId>,
}

impl CheckpointCoordinator {
    /// A coordinator for `tasks`, each of which must acknowledge every
    /// checkpoint. Ids continue after `restored_id` (the checkpoint the job
    /// was restored from), else start at 1.
    pub fn new(
        config: CheckpointConfig,
        tasks: impl IntoIterator<Item = TaskId>,
        restored_id: Option<u64>,
        now: Instant,
    ) -> Result<Self> {
        config.validate()?;
        let tasks: BTreeSet<TaskId> = tasks.into_iter().collect();
        if tasks.is_empty() {
            return Err(Error::InvalidConfig {
                reason: "a checkpoint needs at least one task to acknowledge it".into(),
            });
        }
        Ok(CheckpointCoordinator {
            config,
            tasks,
            next_id: restored_id.map_or(1, |id| id + 1),
            in_flight: BTreeMap::new(),
            savepoints_requested: 0,
            started: now,
            last_periodic_trigger: None,
            last_finished: None,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &CheckpointConfig {
        &self.config
    }

    /// The id the next checkpoint will get.
    pub fn next_id(&self) -> u64 {
        self.next_id
    }

    /// Checkpoints in flight, oldest first.
    pub fn in_flight(&self) -> impl Iterator<Item = (u64, SnapshotKind)> + '_ {
        self.in_flight.iter().map(|(&id, f)| (id, f.kind))
    }

    /// Asks for a savepoint. It is triggered by the first
    /// [`tick`](Self::tick) at which nothing is in flight, ahead of any
    /// periodic checkpoint and regardless of interval and pause. Several
    /// requests give several savepoints, in order.
    pub fn request_savepoint(&mut self) {
        self.savepoints_requested += 1;
    }

    /// Expires checkpoints past the timeout and decides whether to start
    /// one now.
    pub fn tick(&mut self, now: Instant) -> Tick {
        let aborted = self.expire(now);
        let trigger = self.due(now).then(|| self.start(now));
        Tick { aborted, trigger }
    }

    fn expire(&mut self, now: Instant) -> Vec<Abort> {
        let timeout = self.config.timeout;
        let expired: Vec<u64> = self
            .in_flight
            .iter()
            .filter(|(_, f)| now.saturating_duration_since(f.started) >= timeout)
            .map(|(&id, _)| id)
            .collect();
        expired
            .into_iter()
            .map(|id| {
                let missing = self.in_flight[&id].waiting.len();
                self.finish_aborted(id, AbortReason::Expired { timeout, missing }, now)
            })
            .collect()
    }

    /// When the next checkpoint may start, ignoring the in-flight limit.
    fn next_start(&self) -> Option<Instant> {
        if self.savepoints_requested > 0 {
            return self.in_flight.is_empty().then_some(self.started);
        }
        let interval = self.config.interval?;
        let due = self.last_periodic_trigger.unwrap_or(self.started) + interval;
        let after_pause = self
            .last_finished
            .map_or(due, |finished| finished + self.config.min_pause);
        Some(due.max(after_pause))
    }

    fn due(&self, now: Instant) -> bool {
        !self.tasks.is_empty()
            && self.in_flight.len() < self.config.max_concurrent
            && self.next_start().is_some_and(|start| start <= now)
    }

    fn start(&mut self, now: Instant) -> Trigger {
        let kind = if self.savepoints_requested > 0 {
            self.savepoints_requested -= 1;
            SnapshotKind::Savepoint
        } else {
            self.last_periodic_trigger = Some(now);
            SnapshotKind::Checkpoint
        };
        let id = self.next_id;
        self.next_id += 1;
        self.in_flight.insert(
            id,
            InFlight {
                kind,
                started: now,
                waiting: self.tasks.clone(),
            },
        );
        tracing::debug!(id, %kind, "triggering");
        Trigger { id, kind }
    }

    /// When to call [`tick`](Self::tick) next: the earliest of a timeout
    /// and the next start (`now` or earlier if one is due already); `None`
    /// when nothing will happen without a request or acknowledgement.
    pub fn next_wakeup(&self) -> Option<Instant> {
        let expiry = self
            .in_flight
            .values()
            .map(|f| f.started + self.config.timeout)
            .min();
        let start = (self.in_flight.len() < self.config.max_concurrent)
            .then(|| self.next_start())
            .flatten();
        expiry.into_iter().chain(start).min()
    }

    /// Task `task` has snapshotted checkpoint `id`.
    pub fn ack(&mut self, id: u64, task: TaskId, now: Instant) -> AckOutcome {
        let Some(in_flight) = self.in_flight.get_mut(&id) else {
            tracing::debug!(id, task = task.0, "ack for a checkpoint not in flight");
            return AckOutcome::Unknown;
        };
        // A finished task still acknowledges the checkpoints it took part
        // in before it finished.
        if !self.tasks.contains(&task) && !in_flight.waiting.contains(&task) {
            tracing::warn!(id, task = task.0, "ack from an unknown task");
            return AckOutcome::Unknown;
        }
        in_flight.waiting.remove(&task);
        if !in_flight.waiting.is_empty() {
            return AckOutcome::Pending {
                remaining: in_flight.waiting.len(),
            };
        }
        let InFlight { kind, started, .. } = self.in_flight.remove(&id).expect("in flight");
        self.last_finished = Some(now);
        AckOutcome::Complete(Completion {
            id,
            kind,
            duration: now.saturating_duration_since(started),
        })
    }

    /// Task `task` could not snapshot checkpoint `id`: the checkpoint is
    /// aborted. `None` if it is not in flight (or the task is unknown).
    pub fn decline(
        &mut self,
        id: u64,
        task: TaskId,
        reason: impl Into<String>,
        now: Instant,
    ) -> Option<Abort> {
        if !self.in_flight.contains_key(&id) || !self.tasks.contains(&task) {
            return None;
        }
        let reason = AbortReason::Declined {
            task,
            reason: reason.into(),
        };
        Some(self.finish_aborted(id, reason, now))
    }

    /// Task `task` has finished for good (a bounded source at its end) and
    /// its last state stands for it from now on: later checkpoints do not
    /// wait for it, nor do those in flight after `took_part_up_to` (the last
    /// checkpoint it took part in, whose acknowledgement may still be on its
    /// way). Returns the in-flight ones that thereby completed, oldest
    /// first. When no task is left, no checkpoint starts any more.
    pub fn task_finished(
        &mut self,
        task: TaskId,
        took_part_up_to: Option<u64>,
        now: Instant,
    ) -> Vec<Completion> {
        if !self.tasks.remove(&task) {
            return Vec::new();
        }
        let done: Vec<u64> = self
            .in_flight
            .iter_mut()
            .filter(|(id, _)| took_part_up_to.is_none_or(|last| **id > last))
            .filter_map(|(&id, f)| {
                f.waiting.remove(&task);
                f.waiting.is_empty().then_some(id)
            })
            .collect();
        done.into_iter()
            .map(|id| {
                let InFlight { kind, started, .. } = self.in_flight.remove(&id).expect("in flight");
                self.last_finished = Some(now);
                Completion {
                    id,
                    kind,
                    duration: now.saturating_duration_since(started),
                }
            })
            .collect()
    }

    /// Aborts checkpoint `id` for a reason of the caller's own, as a
    /// decline does. `None` if it is not in flight.
    pub fn abort(&mut self, id: u64, reason: impl Into<String>, now: Instant) -> Option<Abort> {
        if !self.in_flight.contains_key(&id) {
            return None;
        }
        Some(self.finish_aborted(id, AbortReason::Failed(reason.into()), now))
    }

    /// Aborts everything in flight (the job is failing over or stopping).
    /// Requested savepoints stay requested.
    pub fn cancel_all(&mut self, now: Instant) -> Vec<Abort> {
        let ids: Vec<u64> = self.in_flight.keys().copied().collect();
        ids.into_iter()
            .map(|id| self.finish_aborted(id, AbortReason::Cancelled, now))
            .collect()
    }

    fn finish_aborted(&mut self, id: u64, reason: AbortReason, now: Instant) -> Abort {
        let in_flight = self.in_flight.remove(&id).expect("in flight");
        self.last_finished = Some(now);
        tracing::debug!(id, kind = %in_flight.kind, %reason, "aborting");
        Abort {
            id,
            kind: in_flight.kind,
            reason,
        }
    }
}
