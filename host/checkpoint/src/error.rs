//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong storing or reading checkpoints and
/// savepoints. Each variant names where: the storage URL or file URL, the
/// checkpoint id and the local path involved.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The storage location is not `file:///abs/path`, an absolute or
    /// relative local path, or `s3://bucket/prefix`.
    #[error("invalid checkpoint location `{location}`: {reason}")]
    InvalidLocation {
        /// The location as given.
        location: String,
        /// Why it was rejected.
        reason: String,
    },

    /// A [`StorageOptions`](crate::StorageOptions) key is not understood by
    /// the location's object store, or its value is invalid.
    #[error("invalid storage option `{key}` for `{location}`: {reason}")]
    InvalidOption {
        /// The storage location.
        location: String,
        /// The option key.
        key: String,
        /// Why it was rejected.
        reason: String,
    },

    /// The object store for a location could not be set up.
    #[error("cannot open checkpoint storage `{location}`: {source}")]
    Open {
        /// The storage location.
        location: String,
        /// The underlying cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// Uploading a file of a checkpoint or savepoint failed.
    #[error("cannot upload `{file}` of {kind} {id}: {source}")]
    Upload {
        /// `checkpoint` or `savepoint`.
        kind: &'static str,
        /// The checkpoint id.
        id: u64,
        /// The URL of the file being written.
        file: String,
        /// The underlying cause.
        #[source]
        source: object_store::Error,
    },

    /// A local file could not be read (for upload) or written (for
    /// download).
    #[error("cannot {action} local file `{}`: {source}", path.display())]
    LocalFile {
        /// `read` or `write`.
        action: &'static str,
        /// The local path.
        path: PathBuf,
        /// The underlying cause.
        #[source]
        source: std::io::Error,
    },

    /// Reading, listing or deleting in the store failed.
    #[error("cannot {action} `{url}`: {source}")]
    Store {
        /// `read`, `list`, `delete` or `check`.
        action: &'static str,
        /// The URL of the file or folder.
        url: String,
        /// The underlying cause.
        #[source]
        source: object_store::Error,
    },

    /// A folder has no `_metadata`: the checkpoint never completed (or the
    /// location holds no checkpoint or savepoint at all).
    #[error("no `_metadata` at `{url}`: not a completed checkpoint or savepoint")]
    MetadataMissing {
        /// The URL of the missing `_metadata`.
        url: String,
    },

    /// A `_metadata` file is not valid JSON of the expected shape.
    #[error("corrupt checkpoint metadata `{url}`: {source}")]
    MetadataCorrupt {
        /// The URL of the `_metadata` file.
        url: String,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },

    /// A `_metadata` file is of another format or a newer version than
    /// this build reads.
    #[error(
        "unsupported checkpoint metadata `{url}`: format `{format}` version {version} \
         (this build reads format `weir-checkpoint` up to version {supported})"
    )]
    UnsupportedFormat {
        /// The URL of the `_metadata` file.
        url: String,
        /// The format it declares.
        format: String,
        /// The version it declares.
        version: u32,
        /// The newest version this build reads.
        supported: u32,
    },

    /// A `_metadata` file contradicts where it was found (another id, or a
    /// checkpoint where a savepoint was expected).
    #[error("checkpoint metadata `{url}` does not match its location: {reason}")]
    MetadataMismatch {
        /// The URL of the `_metadata` file.
        url: String,
        /// What does not match.
        reason: String,
    },

    /// `load(latest)` found no completed checkpoint.
    #[error("no completed checkpoint in `{location}`")]
    NoCheckpoint {
        /// The storage location.
        location: String,
    },

    /// A checkpoint or savepoint with this id (or at this location) has
    /// already been completed.
    #[error("`{url}` already exists: refusing to overwrite a completed {kind}")]
    AlreadyExists {
        /// `checkpoint` or `savepoint`.
        kind: &'static str,
        /// The URL of the existing `_metadata`.
        url: String,
    },

    /// A file name given to a pending checkpoint is not usable.
    #[error("invalid file name `{name}`: {reason}")]
    InvalidFileName {
        /// The name as given.
        name: String,
        /// Why it was rejected.
        reason: &'static str,
    },

    /// The same file name was put twice into one checkpoint.
    #[error("{kind} {id} already has a file `{path}`")]
    DuplicateFile {
        /// `checkpoint` or `savepoint`.
        kind: &'static str,
        /// The checkpoint id.
        id: u64,
        /// The file's path relative to the storage root.
        path: String,
    },

    /// Metadata given to `commit` references a file that this pending
    /// checkpoint did not upload and no completed checkpoint shares.
    #[error("{kind} {id} metadata references `{path}`, which was not uploaded for it")]
    UnknownFile {
        /// `checkpoint` or `savepoint`.
        kind: &'static str,
        /// The checkpoint id.
        id: u64,
        /// The referenced path.
        path: String,
    },

    /// The pending checkpoint was already committed or aborted.
    #[error("{kind} {id} is already {state}")]
    Closed {
        /// `checkpoint` or `savepoint`.
        kind: &'static str,
        /// The checkpoint id.
        id: u64,
        /// `committed` or `aborted`.
        state: &'static str,
    },

    /// A file a snapshot references is not in the storage.
    #[error("`{url}` is missing: the snapshot cannot be restored")]
    FileMissing {
        /// The URL of the file.
        url: String,
    },

    /// A file a snapshot references does not have the size its metadata
    /// recorded: it was cut short, overwritten or replaced.
    #[error("`{url}` is damaged: it has {found} bytes where the snapshot recorded {recorded}")]
    FileDamaged {
        /// The URL of the file.
        url: String,
        /// The size in the metadata.
        recorded: u64,
        /// The size found.
        found: u64,
    },

    /// `dispose` was asked to delete something that is not a savepoint.
    #[error(
        "refusing to dispose `{location}`: its metadata says it is checkpoint {id}, not a \
         savepoint (checkpoints are removed by retention)"
    )]
    NotASavepoint {
        /// The location given to `dispose`.
        location: String,
        /// The checkpoint's id.
        id: u64,
    },

    /// A key group was asked for that a [`KeyGroupsHandle`](crate::KeyGroupsHandle)
    /// does not hold, or its span lies outside the file.
    #[error("key group {key_group} in `{path}`: {reason}")]
    KeyGroup {
        /// The key group.
        key_group: u32,
        /// The file's path relative to the storage root.
        path: String,
        /// What is wrong.
        reason: String,
    },

    /// `subsume` was asked to keep no checkpoint at all.
    #[error("retention must keep at least one completed checkpoint")]
    RetainNone,

    /// A [`CheckpointConfig`](crate::CheckpointConfig) or the coordinator's
    /// task set makes no sense.
    #[error("invalid checkpoint configuration: {reason}")]
    InvalidConfig {
        /// What is wrong.
        reason: String,
    },

    /// The internal I/O runtime could not be started.
    #[error("cannot start the checkpoint storage I/O runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

impl Error {
    /// Whether trying the same operation again may succeed: store and
    /// local-file I/O failures may be transient (network, a full disk being
    /// cleaned up); everything else is a mistake or corrupt data that a retry
    /// does not fix.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Store {
                source: object_store::Error::NotFound { .. },
                ..
            } => false,
            Error::Upload { .. } | Error::Store { .. } | Error::LocalFile { .. } => true,
            _ => false,
        }
    }
}

/// Shorthand for this crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
