//! Starting a job from a checkpoint or savepoint: checking that the
//! snapshot fits the job, and handing each subtask its part — a source's
//! position, a sink's pending commits, and an operator's keyed state and
//! timers redistributed by key group when the parallelism changed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use weir_checkpoint::{
    CheckpointMetadata, CheckpointStorage, KeyGroupsHandle, KeyedStateHandle, LoadedSnapshot,
    NodeSnapshot,
};
use weir_connectors::{SinkPrecommit, SourcePosition};
use weir_spec::{JobSpec, NodeRef};
use weir_state::KeyGroupBlob;
use weir_types::KeyGroupRange;
use weir_wasm::Module;

use crate::error::{Result, RuntimeError};

/// A checked snapshot to start from, with the storage holding its files.
pub struct Restore {
    storage: CheckpointStorage,
    metadata: CheckpointMetadata,
    /// Where native state files are downloaded to.
    scratch: PathBuf,
}

impl std::fmt::Debug for Restore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Restore")
            .field("id", &self.metadata.id)
            .field("kind", &self.metadata.kind)
            .finish()
    }
}

/// Keyed state for one operator subtask, gathered from the old subtasks
/// whose key groups overlap its own.
#[derive(Debug, Default)]
pub(crate) struct KeyedRestore {
    /// Canonical blobs of the key groups in range.
    pub(crate) blobs: Vec<KeyGroupBlob>,
    /// Native snapshots (downloaded folders) overlapping the range.
    pub(crate) native: Vec<NativePart>,
    /// Timer blobs of the key groups in range.
    pub(crate) timers: Vec<KeyGroupBlob>,
}

/// One old subtask's native snapshot, downloaded.
#[derive(Debug)]
pub(crate) struct NativePart {
    pub(crate) format: String,
    pub(crate) key_groups: KeyGroupRange,
    pub(crate) dir: PathBuf,
}

impl Restore {
    /// Checks `metadata` against the job about to run and keeps it for the
    /// tasks. Everything that can be checked without reading state is
    /// checked here, before anything runs.
    pub fn new(
        loaded: LoadedSnapshot,
        spec: &JobSpec,
        modules: &HashMap<String, std::sync::Arc<Module>>,
        scratch: PathBuf,
    ) -> Result<Restore> {
        let what = format!("{} {}", loaded.metadata.kind.as_str(), loaded.metadata.id);
        let fail = |message: String| RuntimeError::Restore {
            what: what.clone(),
            message,
        };
        loaded.verify().map_err(|e| fail(e.to_string()))?;
        let LoadedSnapshot {
            metadata, storage, ..
        } = loaded;
        if metadata.max_parallelism != spec.max_parallelism {
            return Err(fail(format!(
                "it has max_parallelism {} and the job {}: key groups cannot be mapped",
                metadata.max_parallelism, spec.max_parallelism
            )));
        }
        for (id, node) in &metadata.nodes {
            let has_state = node.subtasks.iter().any(|s| s.keyed_state.is_some());
            match spec.node(id) {
                None if has_state => {
                    return Err(fail(format!(
                        "it holds keyed state of operator `{id}`, which the job does not have"
                    )));
                }
                None => {}
                Some(NodeRef::Operator(op)) => {
                    let module = &modules[&op.id];
                    if let Some(info) = &node.module {
                        if !weir_wasm::WIT_PACKAGES.contains(&info.wit.as_str()) {
                            return Err(fail(format!(
                                "operator `{id}` was built against {}, this build runs {}",
                                info.wit,
                                weir_wasm::WIT_PACKAGES.join(" and ")
                            )));
                        }
                        if info.world != module.world().to_string() {
                            return Err(fail(format!(
                                "operator `{id}` was a `{}` component, its module now is a `{}` component",
                                info.world,
                                module.world()
                            )));
                        }
                        if info.sha256 != module.hash_hex() {
                            tracing::info!(operator = %id, old = %&info.sha256[..12.min(info.sha256.len())], new = %&module.hash_hex()[..12], "module changed since the snapshot; its state is kept");
                        }
                    }
                }
                Some(NodeRef::Source(src)) => {
                    same_parallelism(node, src.parallelism, "source", id).map_err(fail)?
                }
                Some(NodeRef::Sink(sink)) => {
                    let stateful = node.subtasks.iter().any(|s| s.sink.is_some());
                    if stateful {
                        same_parallelism(node, sink.parallelism, "sink", id).map_err(fail)?;
                    }
                }
            }
        }
        Ok(Restore {
            storage,
            metadata,
            scratch,
        })
    }

    /// The snapshot's metadata.
    pub fn metadata(&self) -> &CheckpointMetadata {
        &self.metadata
    }

    fn error(&self, message: String) -> RuntimeError {
        RuntimeError::Restore {
            what: format!("{} {}", self.metadata.kind.as_str(), self.metadata.id),
            message,
        }
    }

    /// Where subtask `subtask` of source `id` continues, if recorded.
    pub(crate) fn source_position(&self, id: &str, subtask: u32) -> Result<Option<SourcePosition>> {
        let Some(value) = self
            .subtask(id, subtask)
            .and_then(|s| s.source_position.clone())
        else {
            return Ok(None);
        };
        serde_json::from_value(value).map(Some).map_err(|e| {
            self.error(format!(
                "source `{id}` subtask {subtask}: bad position: {e}"
            ))
        })
    }

    /// What subtask `subtask` of sink `id` pre-committed, if anything.
    pub(crate) fn sink_state(&self, id: &str, subtask: u32) -> Result<Option<SinkPrecommit>> {
        match self.subtask(id, subtask) {
            Some(snapshot) => sink_precommit(&self.storage, snapshot),
            None => Ok(None),
        }
    }

    /// The storage holding the snapshot's files.
    pub(crate) fn storage(&self) -> &CheckpointStorage {
        &self.storage
    }

    fn subtask(&self, id: &str, subtask: u32) -> Option<&weir_checkpoint::SubtaskSnapshot> {
        self.metadata
            .nodes
            .get(id)
            .and_then(|n| n.subtasks.get(subtask as usize))
    }

    /// Keyed state and timers of operator `id` for key groups `range`.
    pub(crate) fn keyed(
        &self,
        id: &str,
        subtask: u32,
        range: &KeyGroupRange,
    ) -> Result<KeyedRestore> {
        let mut out = KeyedRestore::default();
        let Some(node) = self.metadata.nodes.get(id) else {
            return Ok(out);
        };
        for (old, snap) in node.subtasks.iter().enumerate() {
            let Some((start, end)) = snap.key_groups else {
                continue;
            };
            if end <= range.start || start >= range.end {
                continue;
            }
            match &snap.keyed_state {
                None => {}
                Some(KeyedStateHandle::KeyGroups(handle)) => {
                    out.blobs.extend(self.read_groups(handle, range)?);
                }
                Some(KeyedStateHandle::Native(native)) => {
                    let dir = self
                        .scratch
                        .join(format!("restore-{}", self.metadata.id))
                        .join(format!("{id}-{old}-for-{subtask}"));
                    self.download_native(native, &dir)?;
                    out.native.push(NativePart {
                        format: native.format.clone(),
                        key_groups: start..end,
                        dir,
                    });
                }
            }
            if let Some(timers) = &snap.timers {
                out.timers.extend(self.read_groups(timers, range)?);
            }
        }
        Ok(out)
    }

    fn read_groups(
        &self,
        handle: &KeyGroupsHandle,
        range: &KeyGroupRange,
    ) -> Result<Vec<KeyGroupBlob>> {
        let groups = handle.read_groups(&self.storage, range.clone())?;
        Ok(groups
            .into_iter()
            .map(|(key_group, bytes)| KeyGroupBlob {
                key_group,
                bytes: bytes.to_vec(),
            })
            .collect())
    }

    fn download_native(&self, native: &weir_checkpoint::NativeHandle, dir: &Path) -> Result<()> {
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(|error| RuntimeError::Scratch {
                path: dir.to_owned(),
                error,
            })?;
        }
        std::fs::create_dir_all(dir).map_err(|error| RuntimeError::Scratch {
            path: dir.to_owned(),
            error,
        })?;
        for f in &native.files {
            self.storage.download(&f.file, &dir.join(&f.name))?;
        }
        Ok(())
    }
}

fn same_parallelism(node: &NodeSnapshot, now: u32, what: &str, id: &str) -> Result<(), String> {
    if node.parallelism == now {
        Ok(())
    } else {
        Err(format!(
            "{what} `{id}` had parallelism {} and now has {now}: only keyed operators can change parallelism",
            node.parallelism
        ))
    }
}
/// What a subtask's snapshot records a sink pre-committed, with the bulk
/// bytes read back from `storage`.
pub(crate) fn sink_precommit(
    storage: &CheckpointStorage,
    snapshot: &weir_checkpoint::SubtaskSnapshot,
) -> Result<Option<SinkPrecommit>> {
    let Some(state) = &snapshot.sink else {
        return Ok(None);
    };
    let data = match &snapshot.sink_data {
        Some(file) => Some(storage.read(file)?.to_vec()),
        None => None,
    };
    Ok(Some(SinkPrecommit {
        state: state.clone(),
        data,
    }))
}
