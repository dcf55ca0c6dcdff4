//! What the coordinator tells its caller to do.

use std::time::Duration;

use crate::metadata::SnapshotKind;

/// A task that must acknowledge every checkpoint (opaque to the
/// coordinator; the runtime numbers its subtasks).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(pub u32);

/// Start checkpoint `id`: inject barriers at the sources.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trigger {
    /// The new checkpoint's id.
    pub id: u64,
    /// Checkpoint or savepoint.
    pub kind: SnapshotKind,
}

/// Every task acknowledged checkpoint `id`: write its metadata, then tell
/// the sinks to commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Completion {
    /// The checkpoint id.
    pub id: u64,
    /// Checkpoint or savepoint.
    pub kind: SnapshotKind,
    /// From trigger to the last acknowledgement.
    pub duration: Duration,
}

/// Checkpoint `id` will not complete: discard what it uploaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Abort {
    /// The checkpoint id.
    pub id: u64,
    /// Checkpoint or savepoint.
    pub kind: SnapshotKind,
    /// Why.
    pub reason: AbortReason,
}

/// Why a checkpoint was aborted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AbortReason {
    /// A task could not take its snapshot.
    Declined {
        /// The task.
        task: TaskId,
        /// Its explanation.
        reason: String,
    },
    /// Not every task acknowledged within the timeout.
    Expired {
        /// The configured timeout.
        timeout: Duration,
        /// How many tasks had not acknowledged.
        missing: usize,
    },
    /// The caller cancelled everything in flight (the job is failing over
    /// or stopping).
    Cancelled,
    /// The caller could not go on with it (for example the storage would
    /// not start it).
    Failed(String),
}

impl std::fmt::Display for AbortReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AbortReason::Declined { task, reason } => {
                write!(f, "declined by task {}: {reason}", task.0)
            }
            AbortReason::Expired { timeout, missing } => write!(
                f,
                "expired after {timeout:?} with {missing} task(s) not acknowledged"
            ),
            AbortReason::Cancelled => f.write_str("cancelled"),
            AbortReason::Failed(reason) => f.write_str(reason),
        }
    }
}

/// The answer to an acknowledgement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckOutcome {
    /// Recorded; this many tasks have yet to acknowledge.
    Pending {
        /// Tasks still missing.
        remaining: usize,
    },
    /// That was the last one: the checkpoint is complete.
    Complete(Completion),
    /// No such checkpoint in flight (it completed, was aborted or expired,
    /// or was never triggered), or the task is not one of the coordinator's:
    /// ignore it.
    Unknown,
}

/// What [`CheckpointCoordinator::tick`](super::CheckpointCoordinator::tick)
/// decided.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tick {
    /// Checkpoints that expired.
    pub aborted: Vec<Abort>,
    /// A checkpoint to start now.
    pub trigger: Option<Trigger>,
}
