//! Opening a RocksDB backend for an operator subtask, empty or restored.

use std::path::PathBuf;

use weir_state::KeyedStateBackend;
use weir_state_rocksdb::{NATIVE_FORMAT, NativeRestore, RocksDbBackend, RocksDbOptions};
use weir_types::KeyGroupRange;

use crate::error::{Result, RuntimeError};
use crate::restore::KeyedRestore;
use crate::task::JobShared;

/// Options for subtask `subtask` of operator `id` from the job's `state:`.
fn options(shared: &JobShared, id: &str, subtask: u32) -> RocksDbOptions {
    let state = &shared.spec.spec.state;
    let root = match &state.dir {
        Some(dir) => shared.spec.dir.join(dir),
        None => crate::durability::scratch_root(&shared.spec).join("rocksdb"),
    };
    let mut options = RocksDbOptions::new(
        root.join(&shared.spec.spec.name)
            .join(format!("{id}-{subtask}")),
    );
    if let Some(mb) = state.block_cache_mb {
        options.block_cache_bytes = mb << 20;
    }
    if let Some(mb) = state.write_buffer_mb {
        options.write_buffer_bytes = mb << 20;
    }
    if let Some(mb) = state.write_cache_mb {
        options.write_cache_bytes = mb << 20;
    }
    options
}

/// A RocksDB backend for `range`: from native snapshots when `restored`
/// has them, else empty (canonical blobs are restored by the caller).
pub(crate) fn open(
    shared: &JobShared,
    id: &str,
    subtask: u32,
    range: KeyGroupRange,
    restored: Option<&KeyedRestore>,
) -> Result<Box<dyn KeyedStateBackend>> {
    let options = options(shared, id, subtask);
    let dir: PathBuf = options.dir.clone();
    let err = |error| RuntimeError::RocksDb {
        operator: id.to_owned(),
        subtask,
        dir: dir.clone(),
        error: Box::new(error),
    };
    let native = restored.map(|r| &r.native[..]).unwrap_or_default();
    if native.is_empty() {
        return Ok(Box::new(RocksDbBackend::open(range, options).map_err(err)?));
    }
    if let Some(other) = native.iter().find(|p| p.format != NATIVE_FORMAT) {
        return Err(RuntimeError::Restore {
            what: format!("operator {id}"),
            message: format!(
                "its state is a `{}` snapshot; this build's RocksDB backend reads `{NATIVE_FORMAT}`",
                other.format
            ),
        });
    }
    let sources: Vec<NativeRestore> = native
        .iter()
        .map(|p| NativeRestore {
            key_groups: p.key_groups.clone(),
            dir: p.dir.clone(),
        })
        .collect();
    let backend = RocksDbBackend::restore_native(range, options, &sources).map_err(err)?;
    for p in native {
        crate::capture::remove_scratch(&p.dir);
    }
    Ok(Box::new(backend))
}
