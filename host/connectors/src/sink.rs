//! The sink interface every connector implements, the sinks that write
//! lines, and one that drops them.

mod committing_file;
mod discard;
mod file;
mod line_format;
mod lines;
mod stdout;

pub use committing_file::{
    CommittingFileSink, FINAL_CHECKPOINT, FileSinkState, Segment, recover as recover_file_sink,
};
pub use discard::DiscardSink;
pub use file::FileSink;
pub use stdout::StdoutSink;

use weir_types::{PackedBatch, Record};

use crate::Result;

/// What a sink subtask pre-committed at a barrier: what a checkpoint
/// stores so that a restored job can finish (or redo) the commit.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SinkPrecommit {
    /// Connector-specific JSON, kept in the checkpoint's metadata: keep it
    /// small.
    pub state: serde_json::Value,
    /// Bulk bytes (for example records written ahead of a transaction),
    /// stored as a file of the checkpoint.
    pub data: Option<Vec<u8>>,
}

impl SinkPrecommit {
    /// A pre-commit that is only metadata.
    pub fn state(state: serde_json::Value) -> Self {
        SinkPrecommit { state, data: None }
    }
}

/// One subtask of a sink: a synchronous writer driven by its task thread.
///
/// Writes may be buffered; [`flush`](Sink::flush) pushes them out (the
/// runtime flushes before a checkpoint completes and when input pauses), and
/// [`close`](Sink::close) flushes and releases the output at the end of the
/// stream. Writing after `close` is an error; closing twice is not.
pub trait Sink: Send {
    /// Writes `records` in order.
    fn write(&mut self, records: &[Record]) -> Result<()>;

    /// Whether [`write_packed`](Sink::write_packed) writes a packed batch
    /// without making owned records of it first, so a chain with packed
    /// UDFs before the sink hands it their output as it is.
    fn takes_packed(&self) -> bool {
        false
    }

    /// [`write`](Sink::write) of a packed batch. By default decodes it and
    /// writes the records.
    fn write_packed(&mut self, batch: &PackedBatch) -> Result<()> {
        self.write(&batch.to_records())
    }

    /// Pushes everything written so far to the output.
    fn flush(&mut self) -> Result<()>;

    /// Flushes and releases the output; for files, also syncs them to disk.
    fn close(&mut self) -> Result<()>;

    /// First phase of a commit, at the barrier of checkpoint `checkpoint`:
    /// everything written so far becomes part of that checkpoint. Returns
    /// what the checkpoint must store to finish (or redo) the commit after a
    /// failure. The default flushes and stores nothing: the output is
    /// at-least-once.
    fn precommit(&mut self, checkpoint: u64) -> Result<Option<SinkPrecommit>> {
        let _ = checkpoint;
        self.flush()?;
        Ok(None)
    }

    /// Second phase: checkpoint `checkpoint` completed, so publish everything
    /// pre-committed up to it.
    fn commit(&mut self, checkpoint: u64) -> Result<()> {
        let _ = checkpoint;
        Ok(())
    }
}
