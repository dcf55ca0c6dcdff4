//! Which shared files are referenced, by completed checkpoints and by
//! checkpoints still in flight: the bookkeeping that makes checkpoints
//! incremental and tells retention what it may delete. Pure: no I/O.

use std::collections::{BTreeMap, HashMap};

use crate::metadata::{CheckpointMetadata, FileRef};

/// Reference counts of shared files.
#[derive(Debug, Default)]
pub(crate) struct SharedFiles {
    /// Each completed checkpoint's shared files.
    by_checkpoint: BTreeMap<u64, Vec<FileRef>>,
    /// Shared path → (size, number of completed checkpoints referencing it).
    completed: HashMap<String, (u64, usize)>,
    /// Shared path → number of in-flight checkpoints holding it.
    in_flight: HashMap<String, usize>,
}

impl SharedFiles {
    /// Records a completed checkpoint's shared files (again: replaces).
    pub(crate) fn add_completed(&mut self, metadata: &CheckpointMetadata) {
        self.remove_completed(metadata.id);
        let files: Vec<FileRef> = metadata
            .files()
            .into_iter()
            .filter(|file| file.is_shared())
            .cloned()
            .collect();
        for file in &files {
            self.completed
                .entry(file.path.clone())
                .or_insert((file.size, 0))
                .1 += 1;
        }
        self.by_checkpoint.insert(metadata.id, files);
    }

    /// Forgets a completed checkpoint (it was subsumed).
    pub(crate) fn remove_completed(&mut self, id: u64) {
        for file in self.by_checkpoint.remove(&id).unwrap_or_default() {
            if let Some((_, count)) = self.completed.get_mut(&file.path) {
                *count -= 1;
                if *count == 0 {
                    self.completed.remove(&file.path);
                }
            }
        }
    }

    /// The checkpoints recorded as completed, oldest first.
    pub(crate) fn completed_ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.by_checkpoint.keys().copied()
    }

    /// The file a completed checkpoint already stored at `path`.
    pub(crate) fn completed(&self, path: &str) -> Option<FileRef> {
        self.completed.get(path).map(|&(size, _)| FileRef {
            path: path.to_owned(),
            size,
        })
    }

    /// An in-flight checkpoint uses `path`: keep it until [`Self::release`].
    pub(crate) fn hold(&mut self, path: &str) {
        *self.in_flight.entry(path.to_owned()).or_default() += 1;
    }

    /// An in-flight checkpoint no longer uses `path`.
    pub(crate) fn release(&mut self, path: &str) {
        if let Some(count) = self.in_flight.get_mut(path) {
            *count -= 1;
            if *count == 0 {
                self.in_flight.remove(path);
            }
        }
    }

    /// Whether anything still needs the file at `path`.
    pub(crate) fn is_referenced(&self, path: &str) -> bool {
        self.completed.contains_key(path) || self.in_flight.contains_key(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::{
        KeyedStateHandle, NativeFileRef, NativeHandle, NodeSnapshot, SnapshotKind, SubtaskSnapshot,
    };

    fn checkpoint(id: u64, paths: &[&str]) -> CheckpointMetadata {
        let mut metadata = CheckpointMetadata::new(SnapshotKind::Checkpoint, id, "j", 0, 8);
        let files = paths
            .iter()
            .map(|path| NativeFileRef {
                name: path.rsplit('/').next().unwrap().to_owned(),
                file: FileRef {
                    path: (*path).to_owned(),
                    size: 1,
                },
            })
            .collect();
        metadata.nodes.insert(
            "n".into(),
            NodeSnapshot {
                parallelism: 1,
                module: None,
                state_backend: Some("rocksdb".into()),
                subtasks: vec![SubtaskSnapshot {
                    keyed_state: Some(KeyedStateHandle::Native(NativeHandle {
                        format: "rocksdb-1".into(),
                        instance: "i".into(),
                        files,
                    })),
                    ..SubtaskSnapshot::default()
                }],
            },
        );
        metadata
    }

    #[test]
    fn a_file_lives_while_any_checkpoint_references_it() {
        let mut shared = SharedFiles::default();
        shared.add_completed(&checkpoint(1, &["shared/i/1.sst", "chk-1/MANIFEST"]));
        shared.add_completed(&checkpoint(2, &["shared/i/1.sst", "shared/i/2.sst"]));
        assert!(
            shared.completed("chk-1/MANIFEST").is_none(),
            "exclusive files are not tracked"
        );
        shared.remove_completed(1);
        assert!(shared.is_referenced("shared/i/1.sst"));
        shared.remove_completed(2);
        assert!(!shared.is_referenced("shared/i/1.sst"));
        assert_eq!(shared.completed_ids().count(), 0);
    }

    #[test]
    fn in_flight_holds_keep_files() {
        let mut shared = SharedFiles::default();
        shared.hold("shared/i/3.sst");
        shared.hold("shared/i/3.sst");
        shared.release("shared/i/3.sst");
        assert!(shared.is_referenced("shared/i/3.sst"));
        assert!(shared.completed("shared/i/3.sst").is_none());
        shared.release("shared/i/3.sst");
        assert!(!shared.is_referenced("shared/i/3.sst"));
    }

    #[test]
    fn adding_a_checkpoint_twice_counts_once() {
        let mut shared = SharedFiles::default();
        shared.add_completed(&checkpoint(1, &["shared/i/1.sst"]));
        shared.add_completed(&checkpoint(1, &["shared/i/1.sst"]));
        shared.remove_completed(1);
        assert!(!shared.is_referenced("shared/i/1.sst"));
    }
}
