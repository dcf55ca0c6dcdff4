//! Where a job's checkpoints and savepoints go, and what it restores from.

use std::path::{Path, PathBuf};
use std::time::Duration;

use weir_checkpoint::{
    CheckpointConfig, CheckpointMetadata, CheckpointStorage, SnapshotKind, SnapshotPointer,
    StorageOptions, SubtaskSnapshot,
};
use weir_connectors::SinkPrecommit;
use weir_spec::{LoadedSpec, NodeRef};

use crate::checkpointer::{CheckpointReport, CheckpointSettings};
use crate::error::{Result, RuntimeError};
use crate::restore::Restore;
use crate::task::JobShared;

/// The durability side of a job run: checkpoint storage (when the job
/// takes checkpoints or restores), settings, and a local scratch folder.
pub(crate) struct Durability {
    /// The checkpoint storage; present with `checkpoints:` or a restore.
    pub(crate) storage: Option<CheckpointStorage>,
    /// Present when the job takes checkpoints.
    pub(crate) settings: Option<CheckpointSettings>,
    /// Local folder for native snapshots and restore downloads.
    pub(crate) scratch: PathBuf,
}

/// `.weir/<what>/<job>` beside the spec file, as a path.
fn default_location(spec: &LoadedSpec, what: &str) -> String {
    spec.dir
        .join(".weir")
        .join(what)
        .join(&spec.spec.name)
        .display()
        .to_string()
}

/// A location as written in the spec: relative paths are relative to the
/// spec's folder; URLs stay as they are.
fn resolve(spec: &LoadedSpec, location: &str) -> String {
    if location.contains("://") || Path::new(location).is_absolute() {
        location.to_owned()
    } else {
        spec.dir.join(location).display().to_string()
    }
}

/// This process's local scratch folder for job `spec`: native snapshots,
/// restore downloads and (by default) RocksDB working files. Removed when
/// the job ends.
pub(crate) fn scratch_root(spec: &LoadedSpec) -> PathBuf {
    std::env::temp_dir().join(format!("{}{}", scratch_prefix(spec), std::process::id()))
}

/// `weir-<job>-`: what every scratch folder of the job starts with.
fn scratch_prefix(spec: &LoadedSpec) -> String {
    format!(
        "weir-{}-",
        spec.spec
            .name
            .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_"),
    )
}

/// Removes the scratch folders of job `spec` left by runs that were killed
/// (their process no longer exists). Where `/proc` is not there to tell,
/// nothing is removed.
pub(crate) fn remove_stale_scratch(spec: &LoadedSpec) {
    for folder in stale_scratch(&std::env::temp_dir(), &scratch_prefix(spec)) {
        tracing::info!(folder = %folder.display(), "removing the scratch folder of a run that was killed");
        crate::capture::remove_scratch(&folder);
    }
}

/// The folders `<prefix><pid>` in `dir` whose process is gone.
fn stale_scratch(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    if !Path::new("/proc/self").exists() {
        return Vec::new();
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|entry| {
            let name = entry.file_name();
            let pid = name
                .to_str()
                .and_then(|n| n.strip_prefix(prefix))
                .and_then(|pid| pid.parse::<u32>().ok());
            pid.is_some_and(|pid| {
                pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists()
            })
        })
        .map(|entry| entry.path())
        .collect()
}

impl Durability {
    /// Opens the storage the job needs: for checkpoints, or to restore
    /// (`restoring`).
    pub(crate) fn open(spec: &LoadedSpec, restoring: bool) -> Result<Durability> {
        remove_stale_scratch(spec);
        let scratch = scratch_root(spec);
        let checkpoints = spec.spec.checkpoints.as_ref();
        if checkpoints.is_none() && !restoring {
            return Ok(Durability {
                storage: None,
                settings: None,
                scratch,
            });
        }
        let (location, options) = match checkpoints {
            Some(c) => (
                c.storage.as_deref().map_or_else(
                    || default_location(spec, "checkpoints"),
                    |l| resolve(spec, l),
                ),
                c.storage_options
                    .iter()
                    .fold(StorageOptions::new(), |o, (k, v)| o.with(k, v)),
            ),
            None => (default_location(spec, "checkpoints"), StorageOptions::new()),
        };
        let storage = CheckpointStorage::open(&location, &options)?;
        storage.set_incremental(checkpoints.is_none_or(|c| c.incremental));
        let settings = checkpoints.map(|c| CheckpointSettings {
            storage: storage.clone(),
            config: CheckpointConfig {
                interval: Some(Duration::from_millis(c.interval_ms)),
                timeout: Duration::from_millis(c.timeout_ms),
                min_pause: Duration::from_millis(c.min_pause_ms),
                max_concurrent: 1,
            },
            retain: c.retain,
            savepoints: c.savepoints.as_deref().map_or_else(
                || default_location(spec, "savepoints"),
                |l| resolve(spec, l),
            ),
            scratch: scratch.clone(),
            observer: None,
        });
        Ok(Durability {
            storage: Some(storage),
            settings,
            scratch,
        })
    }

    /// Loads and checks what `pointer` names (`latest`, an id, a folder).
    pub(crate) fn load(&self, shared: &JobShared, pointer: &str) -> Result<Restore> {
        let storage = self.storage.as_ref().expect("opened for restoring");
        let pointer: SnapshotPointer = pointer.parse().expect("infallible");
        let pointer = match pointer {
            // A relative folder is relative to where `weir` runs.
            SnapshotPointer::Location(l) if !l.contains("://") => {
                let path = std::path::absolute(&l).unwrap_or_else(|_| PathBuf::from(&l));
                SnapshotPointer::Location(path.display().to_string())
            }
            p => p,
        };
        let loaded = storage.load(&pointer)?;
        tracing::info!(location = %loaded.location, kind = %loaded.metadata.kind, id = loaded.metadata.id, "restoring");
        Restore::new(
            loaded,
            &shared.spec.spec,
            &shared.modules,
            self.scratch.clone(),
        )
    }

    /// The latest completed checkpoint, to restart from.
    pub(crate) fn latest(&self, shared: &JobShared) -> Result<Option<Restore>> {
        let Some(storage) = &self.storage else {
            return Ok(None);
        };
        match storage.latest()? {
            None => Ok(None),
            Some(_) => self.load(shared, "latest").map(Some),
        }
    }

    /// After every task finished: records the sinks' final pre-commits in a
    /// last checkpoint marked finished (so a failure during the commits can
    /// be finished by restoring it), then commits them.
    pub(crate) fn finish(
        &self,
        shared: &JobShared,
        next_id: u64,
        finals: Vec<(String, u32, SinkPrecommit)>,
    ) -> Result<Option<CheckpointReport>> {
        let Some(settings) = &self.settings else {
            return Ok(None);
        };
        // After every id already in the storage (see `attempt::run`).
        let highest = settings
            .storage
            .checkpoints()?
            .iter()
            .map(|c| c.id())
            .max()
            .unwrap_or(0);
        let next_id = next_id.max(highest + 1);
        let started = std::time::Instant::now();
        let pending = settings.storage.begin(next_id, SnapshotKind::Checkpoint)?;
        let mut snapshots = Vec::with_capacity(finals.len());
        for (node, subtask, precommit) in finals {
            let dir = format!("{node}/{subtask}");
            let (sink, sink_data) = crate::capture::store_sink(&pending, &dir, Some(precommit))?;
            let snapshot = SubtaskSnapshot {
                sink,
                sink_data,
                ..SubtaskSnapshot::default()
            };
            snapshots.push((node, subtask, snapshot));
        }
        let mut metadata =
            crate::checkpointer::metadata(shared, SnapshotKind::Checkpoint, next_id, snapshots);
        metadata.finished = true;
        let completed = pending.commit(metadata.clone())?;
        commit_finished(shared, &metadata, &settings.storage)?;
        if let Err(e) = settings.storage.subsume(settings.retain) {
            tracing::warn!(error = %e, "cannot delete old checkpoints");
        }
        Ok(Some(CheckpointReport {
            id: next_id,
            savepoint: false,
            duration: started.elapsed(),
            size: completed.checkpointed_bytes(),
            uploaded: completed.uploaded_bytes,
            location: completed.location,
        }))
    }

    /// Removes the scratch folder.
    pub(crate) fn cleanup(&self) {
        crate::capture::remove_scratch(&self.scratch);
    }
}

/// Commits what the sinks of a finished job's last checkpoint recorded.
pub(crate) fn commit_finished(
    shared: &JobShared,
    metadata: &CheckpointMetadata,
    storage: &CheckpointStorage,
) -> Result<()> {
    for (id, node) in &metadata.nodes {
        let Some(NodeRef::Sink(sink)) = shared.spec.spec.node(id) else {
            continue;
        };
        for (subtask, s) in node.subtasks.iter().enumerate() {
            if let Some(precommit) = crate::restore::sink_precommit(storage, s)? {
                weir_connectors::recover_sink(sink, &precommit).map_err(|error| {
                    RuntimeError::Connector {
                        node: id.clone(),
                        subtask: subtask as u32,
                        error,
                    }
                })?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::stale_scratch;

    #[test]
    fn only_folders_of_processes_that_are_gone_are_stale() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let gone = child.id();
        child.wait().unwrap();
        let alive = std::process::id();
        for name in [
            format!("weir-job-{gone}"),
            format!("weir-job-{alive}"),
            format!("weir-other-{gone}"),
            "weir-job-notapid".to_owned(),
        ] {
            std::fs::create_dir(dir.path().join(name)).unwrap();
        }
        let stale = stale_scratch(dir.path(), "weir-job-");
        assert_eq!(stale, [dir.path().join(format!("weir-job-{gone}"))]);
    }
}
