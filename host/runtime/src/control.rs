//! Messages between the tasks of a job and its checkpoint coordinator.
//!
//! Each task has a command inbox the coordinator writes to; every task
//! reports to the coordinator on one shared event channel. Commands reach a
//! task between elements, on the task's own thread, so a sink commits and a
//! source injects a barrier without any locking.

use crossbeam_channel::{Receiver, Sender, unbounded};
use weir_checkpoint::SubtaskSnapshot;
use weir_types::Barrier;

/// Index of a subtask among all subtasks of the job (the unit that
/// acknowledges checkpoints).
pub(crate) type TaskIndex = u32;

/// What the coordinator tells a task.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TaskCommand {
    /// Sources only: snapshot the position and send this barrier.
    Trigger(Barrier),
    /// Checkpoint `id` is complete: publish what sinks pre-committed up to
    /// it.
    Commit(u64),
    /// Stop now, without finishing the stream (after a stop-with-savepoint).
    Stop,
}

/// What a task tells the coordinator.
#[derive(Debug)]
pub(crate) enum TaskEvent {
    /// The task's snapshots for checkpoint `id` are stored.
    Ack {
        id: u64,
        task: TaskIndex,
        snapshots: Vec<(String, u32, SubtaskSnapshot)>,
    },
    /// The task could not take or store its part of checkpoint `id`.
    Decline {
        id: u64,
        task: TaskIndex,
        reason: String,
    },
    /// A source task whose chain keeps no state read all its input: its
    /// last position (`snapshot`, of source `node` subtask `subtask`)
    /// stands for it in every later checkpoint, which go on without it.
    SourceFinished {
        task: TaskIndex,
        node: String,
        subtask: u32,
        snapshot: Box<SubtaskSnapshot>,
        /// The last checkpoint whose barrier it sent (its acknowledgement
        /// may still come).
        last_barrier: Option<u64>,
    },
    /// The task has ended (its input is finished, or it stopped): it takes
    /// part in no further checkpoint. Unless it was a source that reported
    /// [`TaskEvent::SourceFinished`] first, no checkpoint completes after
    /// this.
    Finished { task: TaskIndex },
}

/// The command inboxes of every task, indexed by [`TaskIndex`].
#[derive(Debug, Clone)]
pub(crate) struct Commands {
    senders: Vec<Sender<TaskCommand>>,
}

impl Commands {
    /// One inbox per task; returns the senders and each task's receiver.
    pub(crate) fn new(tasks: usize) -> (Commands, Vec<Receiver<TaskCommand>>) {
        let (senders, receivers) = (0..tasks).map(|_| unbounded()).unzip();
        (Commands { senders }, receivers)
    }

    /// Sends `command` to task `task`; a task that has ended ignores it.
    pub(crate) fn send(&self, task: TaskIndex, command: TaskCommand) {
        let _ = self.senders[task as usize].send(command);
    }

    /// Sends `command` to every task.
    pub(crate) fn broadcast(&self, command: &TaskCommand) {
        for tx in &self.senders {
            let _ = tx.send(command.clone());
        }
    }
}
