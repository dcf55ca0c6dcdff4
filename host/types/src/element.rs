use crate::{Millis, Record};

/// What flows on a channel between two subtasks.
///
/// Records travel in batches so that every hop (a channel, a crossing into
/// Wasm) is paid per batch. Control elements keep their order relative to the
/// records around them.
#[derive(Clone, Debug, PartialEq)]
pub enum Element {
    /// Records in arrival order.
    Records(Vec<Record>),
    /// No record with an event time at or below this will follow.
    Watermark(Millis),
    /// The sender has gone idle: leave it out of the watermark minimum until
    /// it sends again.
    Idle,
    /// Everything before this belongs to checkpoint (or savepoint)
    /// `barrier.id`; everything after, to a later one.
    Barrier(Barrier),
    /// The sender has finished; nothing follows.
    End,
}

/// A checkpoint barrier, injected at the sources and aligned at every
/// subtask with several inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Barrier {
    /// The checkpoint id; ids grow over a job's life.
    pub id: u64,
    /// A savepoint: state is snapshotted in the canonical format.
    pub savepoint: bool,
}
