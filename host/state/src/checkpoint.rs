//! What a backend hands over when a checkpoint or savepoint is taken.
//!
//! Two shapes exist. **Canonical** snapshots are one blob per key group in
//! the [`snapshot`](crate::snapshot) format: every backend can write and
//! read them, so savepoints (and heap checkpoints) use them and can be
//! restored into any backend at any parallelism. **Native** snapshots are a
//! backend's own files (for RocksDB: a RocksDB checkpoint); a backend of the
//! same kind restores them, and immutable files among them let checkpoints
//! be incremental.

use std::path::PathBuf;

/// Which snapshot the runtime asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SnapshotKind {
    /// A periodic checkpoint: may be native and incremental.
    Checkpoint,
    /// A savepoint: always canonical and self-contained.
    Savepoint,
}

/// A snapshot of all key groups a backend owns.
#[derive(Debug)]
pub enum BackendSnapshot {
    /// One canonical blob per owned key group, in key-group order.
    KeyGroups(Vec<KeyGroupBlob>),
    /// The backend's own files, written to a local folder.
    Native(NativeSnapshot),
}

/// The canonical snapshot of one key group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyGroupBlob {
    /// The key group.
    pub key_group: u32,
    /// Its snapshot in the [`snapshot`](crate::snapshot) format.
    pub bytes: Vec<u8>,
}

/// A native snapshot: files in a local folder that the caller uploads and
/// then deletes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeSnapshot {
    /// Names the file format, with its version (for example `rocksdb-1`);
    /// only a backend that reads this format can restore the snapshot.
    pub format: String,
    /// Unique per backend instance (a fresh random id whenever a backend is
    /// opened or restored). With a file name it identifies a shared file's
    /// contents across checkpoints.
    pub instance: String,
    /// The local folder holding the files.
    pub dir: PathBuf,
    /// The files, relative to `dir`.
    pub files: Vec<NativeFile>,
}

/// One file of a [`NativeSnapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeFile {
    /// Path relative to the snapshot's folder (a plain file name).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// The file is immutable: for the same `instance`, a file of this name
    /// always has these bytes, so a checkpoint may reference the copy an
    /// earlier checkpoint uploaded instead of uploading it again.
    pub shared: bool,
}
