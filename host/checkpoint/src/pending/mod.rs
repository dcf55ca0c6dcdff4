//! [`PendingCheckpoint`]: a checkpoint or savepoint being uploaded, and
//! [`CompletedCheckpoint`], what committing it gives back.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::layout::{self, METADATA};
use crate::metadata::{CheckpointMetadata, FORMAT, FileRef, SnapshotKind, VERSION};
use crate::root::PutFileError;
use crate::storage::CheckpointStorage;

mod shared;

/// A checkpoint or savepoint whose files are being uploaded. Clones share
/// it, so every subtask thread can upload its own files; one of them (the
/// coordinator) commits once all are done, or aborts.
#[derive(Clone, Debug)]
pub struct PendingCheckpoint {
    inner: Arc<Inner>,
}

struct Inner {
    storage: CheckpointStorage,
    id: u64,
    kind: SnapshotKind,
    /// The folder of `_metadata` and exclusive files, relative to the root.
    dir: String,
    state: Mutex<State>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingCheckpoint")
            .field("location", &self.storage.root().url_of(&self.dir))
            .field("id", &self.id)
            .field("kind", &self.kind)
            .finish()
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Status {
    #[default]
    Open,
    Committed,
    Aborted,
}

/// A shared file a pending checkpoint uses.
#[derive(Debug, Clone, Copy)]
struct SharedUse {
    /// `None` while uploading.
    size: Option<u64>,
    /// This checkpoint uploaded it (rather than reusing an earlier copy).
    uploaded: bool,
}

#[derive(Debug, Default)]
struct State {
    status: Status,
    /// Files only this snapshot references: path → size (`None` while
    /// uploading).
    files: BTreeMap<String, Option<u64>>,
    /// Shared files of a checkpoint, held in the storage's bookkeeping.
    shared: BTreeMap<String, SharedUse>,
    /// Bytes this snapshot uploaded.
    uploaded_bytes: u64,
}

/// A committed checkpoint or savepoint.
#[derive(Clone, Debug, PartialEq)]
pub struct CompletedCheckpoint {
    /// What was written to `_metadata`.
    pub metadata: CheckpointMetadata,
    /// The URL of its folder.
    pub location: String,
    /// The bytes uploaded for it: for an incremental checkpoint less than
    /// [`Self::checkpointed_bytes`], as earlier checkpoints' shared files
    /// were reused. Excludes `_metadata`.
    pub uploaded_bytes: u64,
}

impl CompletedCheckpoint {
    /// The total size of the files it references (see
    /// [`CheckpointMetadata::checkpointed_bytes`]).
    pub fn checkpointed_bytes(&self) -> u64 {
        self.metadata.checkpointed_bytes()
    }
}

impl PendingCheckpoint {
    pub(crate) fn new(storage: CheckpointStorage, id: u64, kind: SnapshotKind) -> Self {
        PendingCheckpoint {
            inner: Arc::new(Inner {
                storage,
                id,
                kind,
                dir: layout::snapshot_dir(kind, id),
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// The checkpoint id.
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// Checkpoint or savepoint.
    pub fn kind(&self) -> SnapshotKind {
        self.inner.kind
    }

    /// The URL of the folder being written.
    pub fn location(&self) -> String {
        self.inner.storage.root().url_of(&self.inner.dir)
    }

    /// Whether native snapshots share files with earlier checkpoints.
    pub(crate) fn is_incremental(&self) -> bool {
        self.inner.storage.is_incremental()
    }

    /// Bytes uploaded so far.
    pub fn uploaded_bytes(&self) -> u64 {
        self.state().uploaded_bytes
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    fn closed(&self, status: Status) -> Error {
        Error::Closed {
            kind: self.inner.kind.as_str(),
            id: self.inner.id,
            state: match status {
                Status::Committed => "committed",
                _ => "aborted",
            },
        }
    }

    fn upload_error(&self, path: &str) -> impl FnOnce(object_store::Error) -> Error {
        let (kind, id) = (self.inner.kind.as_str(), self.inner.id);
        let file = self.inner.storage.root().url_of(path);
        move |source| Error::Upload {
            kind,
            id,
            file,
            source,
        }
    }

    fn put_file_error(&self, path: &str, local: &Path) -> impl FnOnce(PutFileError) -> Error {
        let upload = self.upload_error(path);
        let local = local.to_path_buf();
        move |error| match error {
            PutFileError::Store(source) => upload(source),
            PutFileError::Local(source) => Error::LocalFile {
                action: "read",
                path: local,
                source,
            },
        }
    }

    /// Uploads an exclusive file `name` (relative to the snapshot's folder;
    /// `/` makes subfolders) with the given bytes.
    pub fn put(&self, name: &str, bytes: impl Into<Bytes>) -> Result<FileRef> {
        let bytes = bytes.into();
        self.put_exclusive(name, |path| {
            let size = bytes.len() as u64;
            self.inner
                .storage
                .root()
                .put(path, bytes)
                .map(|()| size)
                .map_err(self.upload_error(path))
        })
    }

    /// Uploads the local file at `local_path` as exclusive file `name`,
    /// streaming it (in parts when it is large).
    pub fn put_file(&self, name: &str, local_path: &Path) -> Result<FileRef> {
        self.put_exclusive(name, |path| {
            self.inner
                .storage
                .root()
                .put_file(path, local_path)
                .map_err(self.put_file_error(path, local_path))
        })
    }

    /// Reserves `name`, runs `upload` with its path, records the result.
    fn put_exclusive(
        &self,
        name: &str,
        upload: impl FnOnce(&str) -> Result<u64>,
    ) -> Result<FileRef> {
        layout::validate_name(name)?;
        let path = layout::join(&self.inner.dir, name);
        self.reserve(&path)?;
        self.finish_exclusive(path, upload)
    }

    fn reserve(&self, path: &str) -> Result<()> {
        let mut state = self.state();
        if state.status != Status::Open {
            return Err(self.closed(state.status));
        }
        if state.files.contains_key(path) || state.shared.contains_key(path) {
            return Err(Error::DuplicateFile {
                kind: self.inner.kind.as_str(),
                id: self.inner.id,
                path: path.to_owned(),
            });
        }
        state.files.insert(path.to_owned(), None);
        Ok(())
    }

    fn finish_exclusive(
        &self,
        path: String,
        upload: impl FnOnce(&str) -> Result<u64>,
    ) -> Result<FileRef> {
        let result = upload(&path);
        let mut state = self.state();
        let size = match result {
            Ok(size) => size,
            Err(error) => {
                state.files.remove(&path);
                return Err(error);
            }
        };
        if state.status != Status::Open {
            // Aborted while uploading: abort did not see this file.
            let status = state.status;
            drop(state);
            let _ = self.inner.storage.root().delete(&path);
            return Err(self.closed(status));
        }
        state.files.insert(path.clone(), Some(size));
        state.uploaded_bytes += size;
        tracing::trace!(id = self.inner.id, path, size, "uploaded");
        Ok(FileRef { path, size })
    }

    /// Writes `_metadata`, completing the snapshot. `metadata` must name
    /// this snapshot's id and kind, and reference only files uploaded for it
    /// (or, for a checkpoint, shared files reused through
    /// [`Self::put_shared`]). If writing fails the snapshot stays pending
    /// (commit again or abort); no `_metadata` is left behind.
    pub fn commit(&self, metadata: CheckpointMetadata) -> Result<CompletedCheckpoint> {
        let inner = &*self.inner;
        let metadata_path = layout::join(&inner.dir, METADATA);
        let mut state = self.state();
        if state.status != Status::Open {
            return Err(self.closed(state.status));
        }
        let mismatch = |reason: String| Error::MetadataMismatch {
            url: inner.storage.root().url_of(&metadata_path),
            reason,
        };
        if metadata.format != FORMAT || metadata.version != VERSION {
            return Err(mismatch(format!(
                "format `{}` version {} given; this build writes `{FORMAT}` version {VERSION}",
                metadata.format, metadata.version
            )));
        }
        if metadata.kind != inner.kind || metadata.id != inner.id {
            return Err(mismatch(format!(
                "{} {} given for pending {} {}",
                metadata.kind, metadata.id, inner.kind, inner.id
            )));
        }
        for file in metadata.files() {
            let uploaded = state.files.get(&file.path).copied().flatten().is_some()
                || state
                    .shared
                    .get(&file.path)
                    .is_some_and(|used| used.size.is_some());
            if !uploaded {
                return Err(Error::UnknownFile {
                    kind: inner.kind.as_str(),
                    id: inner.id,
                    path: file.path.clone(),
                });
            }
        }

        inner
            .storage
            .root()
            .put(&metadata_path, Bytes::from(metadata.to_json()))
            .map_err(self.upload_error(&metadata_path))?;
        state.status = Status::Committed;
        let held: Vec<String> = std::mem::take(&mut state.shared).into_keys().collect();
        let uploaded_bytes = state.uploaded_bytes;
        drop(state);

        let mut shared = inner.storage.shared();
        if inner.kind == SnapshotKind::Checkpoint {
            shared.add_completed(&metadata);
        }
        for path in &held {
            shared.release(path);
        }
        drop(shared);
        let completed = CompletedCheckpoint {
            location: self.location(),
            uploaded_bytes,
            metadata,
        };
        tracing::info!(
            location = completed.location,
            id = inner.id,
            kind = %inner.kind,
            checkpointed_bytes = completed.checkpointed_bytes(),
            uploaded_bytes,
            "completed"
        );
        Ok(completed)
    }

    /// Gives the snapshot up: deletes every file it uploaded that nothing
    /// else references. Aborting twice is fine; aborting a committed
    /// snapshot is an error. Returns the first deletion error after trying
    /// every file.
    pub fn abort(&self) -> Result<()> {
        let inner = &*self.inner;
        let (files, shared_used) = {
            let mut state = self.state();
            match state.status {
                Status::Aborted => return Ok(()),
                Status::Committed => return Err(self.closed(Status::Committed)),
                Status::Open => {}
            }
            state.status = Status::Aborted;
            (
                std::mem::take(&mut state.files),
                std::mem::take(&mut state.shared),
            )
        };
        let root = inner.storage.root();
        let mut first_error = None;
        for (path, size) in files {
            if size.is_some()
                && let Err(error) = root.delete(&path)
            {
                first_error.get_or_insert(error);
            }
        }
        let mut shared = inner.storage.shared();
        for path in shared_used.keys() {
            shared.release(path);
        }
        for (path, used) in &shared_used {
            if used.uploaded
                && used.size.is_some()
                && !shared.is_referenced(path)
                && let Err(error) = root.delete(path)
            {
                first_error.get_or_insert(error);
            }
        }
        drop(shared);
        if inner.kind == SnapshotKind::Savepoint {
            inner.storage.remove_local_root();
        }
        tracing::info!(location = self.location(), id = inner.id, kind = %inner.kind, "aborted");
        first_error.map_or(Ok(()), Err)
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Dropped without commit or abort: its files stay until retention
        // deletes them, but its holds on shared files end now.
        let state = self.state.get_mut().unwrap_or_else(|p| p.into_inner());
        if state.status == Status::Open && !state.shared.is_empty() {
            let mut shared = self.storage.shared();
            for path in state.shared.keys() {
                shared.release(path);
            }
        }
    }
}
