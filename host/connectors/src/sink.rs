//! The sink interface every connector implements, the sinks that write
//! lines, and one that drops them.

mod discard;
mod file;
mod line_format;
mod lines;
mod stdout;

pub use discard::DiscardSink;
pub use file::FileSink;
pub use stdout::StdoutSink;

use weir_types::Record;

use crate::Result;

/// One subtask of a sink: a synchronous writer driven by its task thread.
///
/// Writes may be buffered; [`flush`](Sink::flush) pushes them out (the
/// runtime flushes before a checkpoint completes and when input pauses), and
/// [`close`](Sink::close) flushes and releases the output at the end of the
/// stream. Writing after `close` is an error; closing twice is not.
pub trait Sink: Send {
    /// Writes `records` in order.
    fn write(&mut self, records: &[Record]) -> Result<()>;

    /// Pushes everything written so far to the output.
    fn flush(&mut self) -> Result<()>;

    /// Flushes and releases the output; for files, also syncs them to disk.
    fn close(&mut self) -> Result<()>;
}
