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
    /// The sender has finished; nothing follows.
    End,
}
