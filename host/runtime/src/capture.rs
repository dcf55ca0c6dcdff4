//! What one subtask captures at a barrier, and storing it.
//!
//! Capturing happens on the task thread, between two elements: heap state
//! is serialized and RocksDB takes a local checkpoint (hard links), which is
//! quick. Storing (uploading) happens on a separate thread so the task goes
//! on with the next records at once; when every capture of a task is
//! stored, the task's acknowledgement goes to the coordinator.

use std::path::{Path, PathBuf};

use weir_checkpoint::{
    FileRef, KeyGroupsHandle, KeyedStateHandle, PendingCheckpoint, SubtaskSnapshot,
};
use weir_connectors::SinkPrecommit;
use weir_state::{BackendSnapshot, KeyGroupBlob};
use weir_wasm::StateSnapshot;

/// What one node of a chain captured for one checkpoint.
#[derive(Debug, Default)]
pub(crate) struct NodeCapture {
    /// Key groups the subtask owns (keyed operators).
    pub(crate) key_groups: Option<(u32, u32)>,
    /// Keyed state and timers (keyed operators).
    pub(crate) state: Option<StateSnapshot>,
    /// Where a source continues.
    pub(crate) source_position: Option<serde_json::Value>,
    /// What a sink pre-committed.
    pub(crate) sink: Option<SinkPrecommit>,
}

/// A capture with the node and subtask it belongs to.
#[derive(Debug)]
pub(crate) struct Captured {
    pub(crate) node: String,
    pub(crate) subtask: u32,
    pub(crate) capture: NodeCapture,
    /// Local folder the capture's native files are in, removed once stored.
    pub(crate) scratch: Option<PathBuf>,
}

/// Stores one capture under `<node>/<subtask>/` of the pending checkpoint.
pub(crate) fn store(
    pending: &PendingCheckpoint,
    captured: Captured,
) -> Result<SubtaskSnapshot, weir_checkpoint::Error> {
    let Captured {
        node,
        subtask,
        capture,
        scratch,
    } = captured;
    let dir = format!("{node}/{subtask}");
    let (keyed_state, timers) = match capture.state {
        None => (None, None),
        Some(StateSnapshot { keyed, timers }) => {
            let keyed = match keyed {
                BackendSnapshot::KeyGroups(blobs) => KeyedStateHandle::KeyGroups(
                    KeyGroupsHandle::write(pending, &format!("{dir}/keyed"), groups(&blobs))?,
                ),
                BackendSnapshot::Native(native) => {
                    KeyedStateHandle::Native(pending.put_native(&native)?)
                }
            };
            let timers =
                KeyGroupsHandle::write(pending, &format!("{dir}/timers"), groups(&timers))?;
            (Some(keyed), Some(timers))
        }
    };
    if let Some(scratch) = scratch {
        remove_scratch(&scratch);
    }
    let (sink, sink_data) = store_sink(pending, &dir, capture.sink)?;
    Ok(SubtaskSnapshot {
        key_groups: capture.key_groups,
        keyed_state,
        timers,
        source_position: capture.source_position,
        sink,
        sink_data,
    })
}

/// Splits a sink's pre-commit into the metadata's JSON and a file
/// `<dir>/sink` for its bulk bytes.
pub(crate) fn store_sink(
    pending: &PendingCheckpoint,
    dir: &str,
    precommit: Option<SinkPrecommit>,
) -> Result<(Option<serde_json::Value>, Option<FileRef>), weir_checkpoint::Error> {
    let Some(SinkPrecommit { state, data }) = precommit else {
        return Ok((None, None));
    };
    let data = match data {
        Some(bytes) => Some(pending.put(&format!("{dir}/sink"), bytes)?),
        None => None,
    };
    Ok((Some(state), data))
}

fn groups(blobs: &[KeyGroupBlob]) -> impl Iterator<Item = (u32, &[u8])> {
    blobs.iter().map(|b| (b.key_group, b.bytes.as_slice()))
}

/// Removes a scratch folder; failing to is only worth a warning.
pub(crate) fn remove_scratch(dir: &Path) {
    if let Err(e) = std::fs::remove_dir_all(dir)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(dir = %dir.display(), error = %e, "cannot remove checkpoint scratch folder");
    }
}
