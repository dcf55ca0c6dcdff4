//! The error type of opening and restoring a RocksDB backend.

use std::path::PathBuf;

use weir_state::StateError;

/// Result of opening or restoring a [`RocksDbBackend`](crate::RocksDbBackend).
pub type Result<T> = std::result::Result<T, RocksDbError>;

/// What can go wrong when a RocksDB backend is opened or restored.
///
/// The per-record operations of
/// [`KeyedStateBackend`](weir_state::KeyedStateBackend) return
/// [`StateError`]; a RocksDB failure there is reported as
/// [`StateError::InvalidSnapshot`] with a message starting `RocksDB` (the
/// state interface has no storage variant yet), which the runtime treats
/// as fatal for the subtask.
#[derive(Debug, thiserror::Error)]
pub enum RocksDbError {
    /// RocksDB failed (open, read, write, flush or checkpoint).
    #[error("RocksDB failed to {action} in {}: {source}", dir.display())]
    Rocks {
        /// What the backend was doing.
        action: &'static str,
        /// The database or snapshot folder.
        dir: PathBuf,
        /// RocksDB's error, which names the file when one is at fault.
        source: rocksdb::Error,
    },

    /// A file or folder could not be read, written, linked or removed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },

    /// A native snapshot was written in a format this build does not read.
    #[error(
        "native snapshot in {} has format `{found}`; this build reads `{}`",
        dir.display(),
        crate::NATIVE_FORMAT
    )]
    UnknownFormat {
        /// The snapshot's folder.
        dir: PathBuf,
        /// The format it names.
        found: String,
    },

    /// A file the native snapshot lists is not in its folder.
    #[error("native snapshot file {} is missing", path.display())]
    MissingFile {
        /// The missing file.
        path: PathBuf,
    },

    /// A file of a native snapshot does not have the size it was written
    /// with (truncated or replaced).
    #[error("native snapshot file {} has {found} bytes, expected {expected}", path.display())]
    CorruptFile {
        /// The file.
        path: PathBuf,
        /// Size recorded when the snapshot was taken.
        expected: u64,
        /// Size found.
        found: u64,
    },

    /// A native snapshot's contents are not what this backend writes.
    #[error("native snapshot in {} is malformed: {reason}", dir.display())]
    Malformed {
        /// The snapshot's folder.
        dir: PathBuf,
        /// What is wrong.
        reason: String,
    },

    /// The sources of a restore do not hold every key group of the new
    /// range exactly once.
    #[error("cannot restore key groups {}..{}: {reason}", range.start, range.end)]
    Sources {
        /// The range being restored.
        range: weir_types::KeyGroupRange,
        /// What is wrong with the sources.
        reason: String,
    },

    /// A state rule was broken while restoring: two sources name a state
    /// with different kinds, or the state is over the quota.
    #[error(transparent)]
    State(#[from] StateError),
}

impl RocksDbError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| RocksDbError::Io { path, source }
    }

    pub(crate) fn rocks(
        action: &'static str,
        dir: impl Into<PathBuf>,
    ) -> impl FnOnce(rocksdb::Error) -> Self {
        let dir = dir.into();
        move |source| RocksDbError::Rocks {
            action,
            dir,
            source,
        }
    }
}

/// A RocksDB failure during a keyed-state call, as the state interface
/// reports it.
pub(crate) fn storage(e: impl std::fmt::Display) -> StateError {
    StateError::InvalidSnapshot(format!("RocksDB state backend: {e}"))
}

/// A stored record this backend cannot read.
pub(crate) fn corrupt(what: &str) -> StateError {
    storage(format!("corrupt {what} record"))
}
