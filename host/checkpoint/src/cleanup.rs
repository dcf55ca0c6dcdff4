//! Deleting what is no longer needed: old checkpoints (retention) and
//! savepoints the user disposes of. The decisions are
//! [`retention::plan`] and the shared-file bookkeeping; this is the I/O.

use crate::error::{Error, Result};
use crate::layout;
use crate::location::{Location, StorageOptions};
use crate::metadata::SnapshotKind;
use crate::retention;
use crate::root::Root;
use crate::storage::{CheckpointStorage, FoundCheckpoint};

/// What [`CheckpointStorage::subsume`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SubsumeReport {
    /// Completed checkpoints kept, newest first.
    pub retained: Vec<u64>,
    /// `chk-<id>` folders deleted (completed and incomplete).
    pub deleted_checkpoints: Vec<u64>,
    /// Shared files deleted, relative to the root.
    pub deleted_shared: Vec<String>,
}

impl CheckpointStorage {
    /// Keeps the newest `retain` completed checkpoints: deletes older
    /// `chk-*` folders and incomplete ones older than the newest completed,
    /// then every shared file that neither a kept checkpoint nor one in
    /// flight references.
    pub fn subsume(&self, retain: usize) -> Result<SubsumeReport> {
        if retain == 0 {
            return Err(Error::RetainNone);
        }
        let found = self.checkpoints()?;
        let listed: Vec<retention::Found> = found
            .iter()
            .map(|f| retention::Found {
                id: f.id(),
                complete: matches!(f, FoundCheckpoint::Completed(_)),
            })
            .collect();
        let plan = retention::plan(&listed, retain);
        {
            let mut shared = self.shared();
            for checkpoint in &found {
                if let FoundCheckpoint::Completed(metadata) = checkpoint
                    && plan.retained.contains(&metadata.id)
                {
                    shared.add_completed(metadata);
                }
            }
        }
        for &id in &plan.delete {
            self.root().delete_dir(&layout::checkpoint_dir(id))?;
            self.shared().remove_completed(id);
            tracing::debug!(
                location = self.location(),
                id,
                "deleted subsumed checkpoint"
            );
        }
        // Hold the bookkeeping while deleting so that no checkpoint starts
        // to reuse a file being deleted.
        let mut shared = self.shared();
        let newest = plan.retained.first().copied().unwrap_or(0);
        let stale: Vec<u64> = shared
            .completed_ids()
            .filter(|id| *id < newest && !plan.retained.contains(id))
            .collect();
        for id in stale {
            // Recorded as completed but gone from storage (deleted by hand).
            shared.remove_completed(id);
        }
        let mut deleted_shared = Vec::new();
        for (path, _) in self.root().list_files(layout::SHARED_DIR)? {
            if !shared.is_referenced(&path) {
                self.root().delete(&path)?;
                deleted_shared.push(path);
            }
        }
        drop(shared);
        Ok(SubsumeReport {
            retained: plan.retained,
            deleted_checkpoints: plan.delete,
            deleted_shared,
        })
    }

    /// Deletes the savepoint at `location`. Refuses a folder whose
    /// `_metadata` is missing, unreadable, or says it is a checkpoint.
    pub fn dispose(location: &str, options: &StorageOptions) -> Result<()> {
        let location = Location::parse(location)?;
        let root = Root::open(location, options, Root::new_runtime()?, false)?;
        let storage = CheckpointStorage::from_root(root, options);
        let metadata = storage.read_metadata("")?;
        if metadata.kind != SnapshotKind::Savepoint {
            return Err(Error::NotASavepoint {
                location: storage.location().to_owned(),
                id: metadata.id,
            });
        }
        storage.root().delete_dir("")?;
        storage.remove_local_root();
        tracing::info!(
            location = storage.location(),
            id = metadata.id,
            "disposed savepoint"
        );
        Ok(())
    }
}
