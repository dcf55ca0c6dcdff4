//! [`CheckpointStorage`]: one storage root holding checkpoints (or one
//! savepoint), and what can be done with it.

use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use tokio::runtime::Runtime;

use crate::error::{Error, Result};
use crate::layout::{self, METADATA};
use crate::location::{Location, StorageOptions};
use crate::metadata::{CheckpointMetadata, FileRef, SnapshotKind};
use crate::pending::PendingCheckpoint;
use crate::pointer::SnapshotPointer;
use crate::root::Root;
use crate::shared::SharedFiles;

/// Where a job's checkpoints live (or, opened at a savepoint's folder, where
/// one savepoint lives).
///
/// Methods block; call them from plain threads, not from inside an async
/// runtime. The type is cheap to clone and may be used from many threads at
/// once (each subtask uploading its own files).
#[derive(Clone)]
pub struct CheckpointStorage {
    inner: Arc<Inner>,
}

struct Inner {
    root: Root,
    options: StorageOptions,
    shared: Mutex<SharedFiles>,
    /// Whether native snapshots share files across checkpoints.
    incremental: AtomicBool,
}

impl std::fmt::Debug for CheckpointStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointStorage")
            .field("location", &self.location())
            .field("options", &self.inner.options)
            .finish()
    }
}

/// A `chk-<id>` folder as found by [`CheckpointStorage::checkpoints`].
#[derive(Debug)]
pub enum FoundCheckpoint {
    /// It has valid metadata.
    Completed(CheckpointMetadata),
    /// It has no `_metadata` (it never completed, or is still in flight).
    Incomplete(u64),
    /// Its `_metadata` is corrupt, of an unknown format, or contradicts the
    /// folder; it is never restored.
    Invalid(u64, Error),
}

impl FoundCheckpoint {
    /// The folder's id.
    pub fn id(&self) -> u64 {
        match self {
            FoundCheckpoint::Completed(metadata) => metadata.id,
            FoundCheckpoint::Incomplete(id) | FoundCheckpoint::Invalid(id, _) => *id,
        }
    }
}

/// A checkpoint or savepoint read back for restoring.
#[derive(Debug, Clone)]
pub struct LoadedSnapshot {
    /// Its metadata.
    pub metadata: CheckpointMetadata,
    /// The URL of its folder.
    pub location: String,
    /// The storage its [`FileRef`]s are relative to (for a checkpoint the
    /// checkpoints' root, for a savepoint the savepoint's folder).
    pub storage: CheckpointStorage,
}

impl LoadedSnapshot {
    /// Reads a file of the snapshot.
    pub fn read(&self, file: &FileRef) -> Result<Bytes> {
        self.storage.read(file)
    }

    /// Copies a file of the snapshot to a local path.
    pub fn download(&self, file: &FileRef, local_path: &Path) -> Result<()> {
        self.storage.download(file, local_path)
    }

    /// Checks that every file the snapshot references is in the storage
    /// with the size its metadata recorded, so that a restore can refuse a
    /// damaged snapshot before anything runs. (Reads and downloads check
    /// sizes again.)
    pub fn verify(&self) -> Result<()> {
        let root = self.storage.root();
        for file in self.metadata.files() {
            match root.size(&file.path)? {
                None => {
                    return Err(Error::FileMissing {
                        url: root.url_of(&file.path),
                    });
                }
                Some(found) if found != file.size => {
                    return Err(self.storage.damaged(file, found));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}

impl CheckpointStorage {
    /// Opens the storage at `location`: `file:///abs/path`, a local path, or
    /// `s3://bucket/prefix`. A local folder is created if missing. Reads the
    /// metadata of every completed checkpoint there to learn which shared
    /// files are in use.
    pub fn open(location: &str, options: &StorageOptions) -> Result<Self> {
        let location = Location::parse(location)?;
        Self::open_on(location, options, Root::new_runtime()?, true)
    }

    /// A storage on `root` whose bookkeeping starts empty.
    pub(crate) fn from_root(root: Root, options: &StorageOptions) -> Self {
        CheckpointStorage {
            inner: Arc::new(Inner {
                root,
                options: options.clone(),
                shared: Mutex::new(SharedFiles::default()),
                incremental: AtomicBool::new(true),
            }),
        }
    }

    fn open_on(
        location: Location,
        options: &StorageOptions,
        runtime: Arc<Runtime>,
        create: bool,
    ) -> Result<Self> {
        let root = Root::open(location, options, runtime, create)?;
        let storage = Self::from_root(root, options);
        let found = storage.checkpoints()?;
        let mut shared = storage.shared();
        for checkpoint in &found {
            if let FoundCheckpoint::Completed(metadata) = checkpoint {
                shared.add_completed(metadata);
            }
        }
        drop(shared);
        tracing::debug!(
            location = storage.location(),
            checkpoints = found.len(),
            "opened checkpoint storage"
        );
        Ok(storage)
    }

    /// Opens another location with the same options and I/O runtime.
    fn open_other(&self, location: Location, create: bool) -> Result<Self> {
        Self::open_on(
            location,
            &self.inner.options,
            self.inner.root.runtime().clone(),
            create,
        )
    }

    /// Whether checkpoints upload only the immutable files of a native
    /// snapshot that no earlier checkpoint stored (the default), or every
    /// file every time (`false`: "full" checkpoints, each one standing on
    /// its own, as Flink's `execution.checkpointing.incremental: false`).
    /// Applies to this storage and every clone of it.
    pub fn set_incremental(&self, incremental: bool) {
        self.inner.incremental.store(incremental, Ordering::Relaxed);
    }

    /// See [`Self::set_incremental`].
    pub fn is_incremental(&self) -> bool {
        self.inner.incremental.load(Ordering::Relaxed)
    }

    /// The root's URL (`file:///…` or `s3://…`).
    pub fn location(&self) -> &str {
        self.inner.root.url()
    }

    pub(crate) fn root(&self) -> &Root {
        &self.inner.root
    }

    pub(crate) fn shared(&self) -> MutexGuard<'_, SharedFiles> {
        // The bookkeeping stays consistent across a panic elsewhere.
        self.inner
            .shared
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Starts checkpoint or savepoint `id` in this storage. A savepoint
    /// fills the storage's root (open the storage at the savepoint's folder,
    /// or use [`Self::begin_savepoint`]). Fails if it already completed.
    pub fn begin(&self, id: u64, kind: SnapshotKind) -> Result<PendingCheckpoint> {
        let metadata_path = layout::join(&layout::snapshot_dir(kind, id), METADATA);
        if self.root().exists(&metadata_path)? {
            return Err(Error::AlreadyExists {
                kind: kind.as_str(),
                url: self.root().url_of(&metadata_path),
            });
        }
        tracing::debug!(location = self.location(), id, %kind, "begin");
        Ok(PendingCheckpoint::new(self.clone(), id, kind))
    }

    /// Starts savepoint `id` in the folder `target` (any location, opened
    /// with this storage's options).
    pub fn begin_savepoint(&self, id: u64, target: &str) -> Result<PendingCheckpoint> {
        self.open_other(Location::parse(target)?, true)?
            .begin(id, SnapshotKind::Savepoint)
    }

    /// Reads and checks the `_metadata` in folder `dir` (relative to the
    /// root).
    pub(crate) fn read_metadata(&self, dir: &str) -> Result<CheckpointMetadata> {
        let path = layout::join(dir, METADATA);
        let url = self.root().url_of(&path);
        let bytes = match self.root().get(&path) {
            Ok(bytes) => bytes,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(Error::MetadataMissing { url });
            }
            Err(e) => return Err(self.root().error("read", &path)(e)),
        };
        CheckpointMetadata::from_json(&bytes, &url)
    }

    /// Reads `chk-<id>/_metadata` and checks it describes checkpoint `id`.
    fn read_checkpoint(&self, id: u64) -> Result<CheckpointMetadata> {
        let dir = layout::checkpoint_dir(id);
        let metadata = self.read_metadata(&dir)?;
        if metadata.kind != SnapshotKind::Checkpoint || metadata.id != id {
            return Err(Error::MetadataMismatch {
                url: self.root().url_of(&layout::join(&dir, METADATA)),
                reason: format!(
                    "the folder is {dir} but the metadata describes {} {}",
                    metadata.kind, metadata.id
                ),
            });
        }
        Ok(metadata)
    }

    /// Every `chk-<id>` folder, newest first, with its state. Store errors
    /// (other than a missing `_metadata`) fail the whole listing rather
    /// than make a checkpoint look incomplete.
    pub fn checkpoints(&self) -> Result<Vec<FoundCheckpoint>> {
        let mut ids: Vec<u64> = self
            .root()
            .list_dirs("")?
            .iter()
            .filter_map(|name| layout::parse_checkpoint_dir(name))
            .collect();
        ids.sort_unstable_by(|a, b| b.cmp(a));
        ids.into_iter()
            .map(|id| match self.read_checkpoint(id) {
                Ok(metadata) => Ok(FoundCheckpoint::Completed(metadata)),
                Err(Error::MetadataMissing { .. }) => Ok(FoundCheckpoint::Incomplete(id)),
                Err(e @ (Error::Store { .. } | Error::Runtime(_))) => Err(e),
                Err(e) => Ok(FoundCheckpoint::Invalid(id, e)),
            })
            .collect()
    }

    /// The completed checkpoint with the highest id. Folders without
    /// `_metadata` are skipped; corrupt metadata is skipped with a warning.
    pub fn latest(&self) -> Result<Option<CheckpointMetadata>> {
        for found in self.checkpoints()? {
            match found {
                FoundCheckpoint::Completed(metadata) => return Ok(Some(metadata)),
                FoundCheckpoint::Incomplete(id) => {
                    tracing::debug!(
                        location = self.location(),
                        id,
                        "skipping incomplete checkpoint"
                    );
                }
                FoundCheckpoint::Invalid(id, error) => {
                    tracing::warn!(location = self.location(), id, %error, "skipping checkpoint with unreadable metadata");
                }
            }
        }
        Ok(None)
    }

    /// Reads the checkpoint or savepoint `pointer` names: the latest
    /// checkpoint here, checkpoint `<id>` here, or a folder (a `chk-<id>`
    /// folder of any checkpoint storage, or a savepoint's folder: its
    /// `_metadata` says which).
    pub fn load(&self, pointer: &SnapshotPointer) -> Result<LoadedSnapshot> {
        let (metadata, storage) = match pointer {
            SnapshotPointer::Latest => {
                let metadata = self.latest()?.ok_or_else(|| Error::NoCheckpoint {
                    location: self.location().to_owned(),
                })?;
                (metadata, self.clone())
            }
            SnapshotPointer::Id(id) => (self.read_checkpoint(*id)?, self.clone()),
            SnapshotPointer::Location(location) => {
                let location = Location::parse(location)?;
                let folder = self.open_other(location.clone(), false)?;
                let metadata = folder.read_metadata("")?;
                match metadata.kind {
                    SnapshotKind::Savepoint => (metadata, folder),
                    SnapshotKind::Checkpoint => {
                        let url = folder.root().url_of(METADATA);
                        let Some((parent, name)) = location.parent() else {
                            return Err(Error::MetadataMismatch {
                                url,
                                reason: "a checkpoint must be in a chk-<id> folder".into(),
                            });
                        };
                        if layout::parse_checkpoint_dir(&name) != Some(metadata.id) {
                            return Err(Error::MetadataMismatch {
                                url,
                                reason: format!(
                                    "checkpoint {} found in folder `{name}`",
                                    metadata.id
                                ),
                            });
                        }
                        (metadata, self.open_other(parent, false)?)
                    }
                }
            }
        };
        let dir = layout::snapshot_dir(metadata.kind, metadata.id);
        Ok(LoadedSnapshot {
            location: storage.root().url_of(&dir),
            metadata,
            storage,
        })
    }

    /// Reads a whole file; it must have the size `file` records.
    pub fn read(&self, file: &FileRef) -> Result<Bytes> {
        let bytes = self
            .root()
            .get(&file.path)
            .map_err(self.root().error("read", &file.path))?;
        if bytes.len() as u64 != file.size {
            return Err(self.damaged(file, bytes.len() as u64));
        }
        Ok(bytes)
    }

    fn damaged(&self, file: &FileRef, found: u64) -> Error {
        Error::FileDamaged {
            url: self.root().url_of(&file.path),
            recorded: file.size,
            found,
        }
    }

    /// Reads `range` (byte offsets) of a file.
    pub fn read_range(&self, file: &FileRef, range: Range<u64>) -> Result<Bytes> {
        self.root()
            .get_range(&file.path, range)
            .map_err(self.root().error("read", &file.path))
    }

    /// Copies a file to `local_path` (replacing it; parent folders are
    /// created); it must have the size `file` records.
    pub fn download(&self, file: &FileRef, local_path: &Path) -> Result<()> {
        let written = self.root().download(&file.path, local_path)?;
        if written != file.size {
            let _ = std::fs::remove_file(local_path);
            return Err(self.damaged(file, written));
        }
        Ok(())
    }

    /// Removes the root folder of a local storage if it is empty.
    pub(crate) fn remove_local_root(&self) {
        if let Some(path) = self.root().location().local_path() {
            let _ = std::fs::remove_dir(path);
        }
    }
}
