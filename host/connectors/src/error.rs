//! The one error type of this crate.

use std::io;
use std::path::PathBuf;

/// What can go wrong opening, reading or writing a connector.
///
/// Every message names the source or sink id and where the problem is (a file
/// and line, a path, or `stdout`), so it can be shown to the job's owner as is.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    /// The spec or the subtask layout asks for something the connector cannot
    /// do, e.g. a generator with zero keys or a subtask index out of range.
    #[error("{id}: {message}")]
    Config {
        /// Source or sink id.
        id: String,
        /// What is wrong.
        message: String,
    },

    /// Listing, opening or reading a source's files failed.
    #[error("source {id}: cannot read {}: {source}", path.display())]
    SourceIo {
        /// Source id.
        id: String,
        /// The file or folder involved.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },

    /// A line could not be decoded into a record (with
    /// [`DecodeErrorPolicy::Fail`](weir_spec::DecodeErrorPolicy::Fail)).
    #[error("source {source_id}: cannot decode {}:{line}: {message}", file.display())]
    Decode {
        /// Source id.
        source_id: String,
        /// The file holding the line.
        file: PathBuf,
        /// The line number in that file, counting from 1.
        line: u64,
        /// What is wrong with the line.
        message: String,
    },

    /// A position passed to [`Source::seek`](crate::Source::seek) does not
    /// belong to this source subtask.
    #[error("source {id}: cannot resume at {position}: {message}")]
    Seek {
        /// Source id.
        id: String,
        /// The rejected position, as text.
        position: String,
        /// Why it was rejected.
        message: String,
    },

    /// Creating, writing, flushing or closing a sink's output failed (disk
    /// full, permission denied, broken pipe, …).
    #[error("sink {id}: cannot write {target}: {source}")]
    SinkIo {
        /// Sink id.
        id: String,
        /// The output: a file path, or `stdout`.
        target: String,
        /// The underlying error.
        source: io::Error,
    },

    /// A Kafka client call failed (brokers unreachable, a topic missing,
    /// authentication refused, …).
    #[error("{id}: kafka at {brokers}: {message}")]
    Kafka {
        /// Source or sink id.
        id: String,
        /// The bootstrap servers.
        brokers: String,
        /// What failed and why.
        message: String,
    },

    /// A Kafka record could not be decoded (with
    /// [`DecodeErrorPolicy::Fail`](weir_spec::DecodeErrorPolicy::Fail)).
    #[error("source {source_id}: cannot decode {topic}/{partition} offset {offset}: {message}")]
    KafkaDecode {
        /// Source id.
        source_id: String,
        /// The record's topic.
        topic: String,
        /// Its partition.
        partition: i32,
        /// Its offset.
        offset: i64,
        /// What is wrong with it.
        message: String,
    },

    /// A sink was written to after [`Sink::close`](crate::Sink::close).
    #[error("sink {id}: write to {target} after close")]
    SinkClosed {
        /// Sink id.
        id: String,
        /// The output: a file path, `stdout` or `discard`.
        target: String,
    },
}

/// `Result` with [`ConnectorError`].
pub type Result<T, E = ConnectorError> = std::result::Result<T, E>;
