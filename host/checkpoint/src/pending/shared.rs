//! Shared files of a pending checkpoint: uploaded once, reused by later
//! checkpoints of the same storage.

use std::path::Path;

use super::{PendingCheckpoint, SharedUse, Status};
use crate::error::{Error, Result};
use crate::layout;
use crate::metadata::{FileRef, SnapshotKind};

impl PendingCheckpoint {
    /// Stores an immutable file of backend instance `instance`: for a
    /// checkpoint at `shared/<instance>/<name>` under the storage root,
    /// uploaded only if no completed checkpoint already stored it there
    /// (incremental checkpoints); for a savepoint, copied into the
    /// savepoint's folder like any other file.
    pub fn put_shared(&self, instance: &str, name: &str, local_path: &Path) -> Result<FileRef> {
        layout::validate_name(name)?;
        layout::validate_name(instance)?;
        if instance.contains('/') {
            return Err(Error::InvalidFileName {
                name: instance.to_owned(),
                reason: "an instance must be one path segment",
            });
        }
        let path = layout::shared_path(instance, name);
        if self.inner.kind == SnapshotKind::Savepoint {
            self.reserve(&path)?;
            return self.finish_exclusive(path, |path| {
                self.inner
                    .storage
                    .root()
                    .put_file(path, local_path)
                    .map_err(self.put_file_error(path, local_path))
            });
        }

        {
            let state = self.state();
            if state.status != Status::Open {
                return Err(self.closed(state.status));
            }
            if let Some(used) = state.shared.get(&path) {
                return match used.size {
                    Some(size) => Ok(FileRef { path, size }),
                    None => Err(Error::DuplicateFile {
                        kind: self.inner.kind.as_str(),
                        id: self.inner.id,
                        path,
                    }),
                };
            }
            if state.files.contains_key(&path) {
                return Err(Error::DuplicateFile {
                    kind: self.inner.kind.as_str(),
                    id: self.inner.id,
                    path,
                });
            }
        }
        let reused = {
            let mut shared = self.inner.storage.shared();
            shared.hold(&path);
            shared.completed(&path)
        };
        let used = SharedUse {
            size: reused.as_ref().map(|file| file.size),
            uploaded: reused.is_none(),
        };
        {
            let mut state = self.state();
            if state.status != Status::Open {
                let status = state.status;
                drop(state);
                self.inner.storage.shared().release(&path);
                return Err(self.closed(status));
            }
            state.shared.insert(path.clone(), used);
        }
        if let Some(file) = reused {
            tracing::trace!(id = self.inner.id, path, "reusing shared file");
            return Ok(file);
        }

        let result = self
            .inner
            .storage
            .root()
            .put_file(&path, local_path)
            .map_err(self.put_file_error(&path, local_path));
        let mut state = self.state();
        match result {
            Ok(_) if state.status != Status::Open => {
                // Closed while uploading, which released our hold.
                let status = state.status;
                drop(state);
                let shared = self.inner.storage.shared();
                if !shared.is_referenced(&path) {
                    let _ = self.inner.storage.root().delete(&path);
                }
                Err(self.closed(status))
            }
            Ok(size) => {
                if let Some(used) = state.shared.get_mut(&path) {
                    used.size = Some(size);
                }
                state.uploaded_bytes += size;
                tracing::trace!(id = self.inner.id, path, size, "uploaded shared file");
                Ok(FileRef { path, size })
            }
            Err(error) => {
                // Still Open: forget it. Aborted meanwhile: abort released it.
                if state.shared.remove(&path).is_some() {
                    drop(state);
                    self.inner.storage.shared().release(&path);
                }
                Err(error)
            }
        }
    }
}
