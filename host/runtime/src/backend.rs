//! Opening an operator subtask's keyed state backend and timer service,
//! empty or from a snapshot.

use weir_spec::StateBackendKind;
use weir_state::{HeapBackend, HeapOptions, KeyedStateBackend, TimerOptions, TimerService};
use weir_types::KeyGroupRange;

use crate::error::{Result, RuntimeError};
use crate::restore::Restore;
use crate::task::JobShared;

/// The backend and timers of subtask `subtask` of operator `id`, owning
/// key groups `range` (empty for operators without a key).
pub(crate) fn open(
    shared: &JobShared,
    id: &str,
    subtask: u32,
    range: KeyGroupRange,
    restore: Option<&Restore>,
) -> Result<(Box<dyn KeyedStateBackend>, TimerService)> {
    let state_err = |source| RuntimeError::State {
        operator: id.to_owned(),
        subtask,
        source: Box::new(source),
    };
    let mut timers = TimerService::new(range.clone(), TimerOptions::default());
    let restored = match restore {
        Some(r) if !range.is_empty() => Some(r.keyed(id, subtask, &range)?),
        _ => None,
    };
    let kind = shared.spec.spec.state.backend;
    let mut backend: Box<dyn KeyedStateBackend> = match kind {
        StateBackendKind::Heap => {
            if let Some(part) = restored.as_ref().and_then(|r| r.native.first()) {
                return Err(RuntimeError::Restore {
                    what: format!("operator {id}"),
                    message: format!(
                        "its state is a native `{}` snapshot, which only `state: rocksdb` reads; restore from a savepoint to change backends",
                        part.format
                    ),
                });
            }
            Box::new(HeapBackend::new(range.clone(), HeapOptions::default()))
        }
        StateBackendKind::Rocksdb => {
            crate::rocksdb::open(shared, id, subtask, range.clone(), restored.as_ref())?
        }
    };
    if let Some(r) = &restored {
        for blob in &r.blobs {
            backend
                .restore_key_group(blob.key_group, &blob.bytes)
                .map_err(state_err)?;
        }
        for blob in &r.timers {
            timers
                .restore_key_group(blob.key_group, &blob.bytes)
                .map_err(state_err)?;
        }
    }
    Ok((backend, timers))
}
