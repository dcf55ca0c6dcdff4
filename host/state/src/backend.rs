//! The interface every keyed state backend implements.

use std::path::Path;

use weir_types::KeyGroupRange;

use crate::{
    BackendSnapshot, KeyGroupBlob, KeyScope, Result, SnapshotKind, StateDescriptor, StateId,
};

/// Keyed state of one operator subtask, partitioned by key group.
///
/// Everything is bytes; guests serialize. Every keyed call names its
/// [`KeyScope`]; a scope outside [`key_groups`](Self::key_groups) fails with
/// [`StateError::KeyGroupNotOwned`](crate::StateError::KeyGroupNotOwned). Using
/// a state as another kind than it was registered as fails with
/// [`KindMismatch`](crate::StateError::KindMismatch), an id never handed out
/// with [`UnknownState`](crate::StateError::UnknownState). A call that fails
/// changes nothing.
///
/// `now_ms` is the processing time (milliseconds since the Unix epoch) used
/// for TTL: writes stamp entries with it, reads treat entries older than the
/// state's TTL as absent (see the crate docs).
///
/// The trait is object safe and maps onto an ordered key-value store whose
/// keys are `key group | state | key [| map key]`, so a RocksDB backend can
/// implement it as well as the heap one.
pub trait KeyedStateBackend: Send {
    /// Registers a state, or returns the id it already has. The same name
    /// with another kind or TTL fails with
    /// [`Conflict`](crate::StateError::Conflict).
    fn register(&mut self, descriptor: &StateDescriptor) -> Result<StateId>;

    /// Removes the scope's entry of state `id`, whatever its kind.
    fn clear(&mut self, id: StateId, scope: KeyScope<'_>) -> Result<()>;

    /// The scope's value, if set and not expired.
    fn value_get(
        &mut self,
        id: StateId,
        scope: KeyScope<'_>,
        now_ms: i64,
    ) -> Result<Option<Vec<u8>>>;

    /// Sets the scope's value.
    fn value_set(
        &mut self,
        id: StateId,
        scope: KeyScope<'_>,
        value: Vec<u8>,
        now_ms: i64,
    ) -> Result<()>;

    /// The value under `map_key` in the scope's map, if present and not
    /// expired.
    fn map_get(
        &mut self,
        id: StateId,
        scope: KeyScope<'_>,
        map_key: &[u8],
        now_ms: i64,
    ) -> Result<Option<Vec<u8>>>;

    /// Puts `value` under `map_key` in the scope's map.
    fn map_put(
        &mut self,
        id: StateId,
        scope: KeyScope<'_>,
        map_key: Vec<u8>,
        value: Vec<u8>,
        now_ms: i64,
    ) -> Result<()>;

    /// Removes `map_key` from the scope's map; absent keys are fine.
    fn map_remove(&mut self, id: StateId, scope: KeyScope<'_>, map_key: &[u8]) -> Result<()>;

    /// All live entries of the scope's map, ordered by map key bytes.
    fn map_entries(
        &mut self,
        id: StateId,
        scope: KeyScope<'_>,
        now_ms: i64,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>>;

    /// The live elements of the scope's list, in insertion order (empty when
    /// there is none).
    fn list_get(&mut self, id: StateId, scope: KeyScope<'_>, now_ms: i64) -> Result<Vec<Vec<u8>>>;

    /// Appends `value` to the scope's list.
    fn list_add(
        &mut self,
        id: StateId,
        scope: KeyScope<'_>,
        value: Vec<u8>,
        now_ms: i64,
    ) -> Result<()>;

    /// Replaces the scope's list; an empty `values` removes it.
    fn list_update(
        &mut self,
        id: StateId,
        scope: KeyScope<'_>,
        values: Vec<Vec<u8>>,
        now_ms: i64,
    ) -> Result<()>;

    /// The key groups this backend owns.
    fn key_groups(&self) -> KeyGroupRange;

    /// Approximate bytes of state held: keys, map keys and values, plus
    /// [`ENTRY_OVERHEAD`](crate::ENTRY_OVERHEAD) per stored element. This is
    /// what the state quota limits.
    fn state_bytes(&self) -> u64;

    /// Appends key group `key_group`'s state to `out` in the snapshot format
    /// (see the crate docs). The snapshot names its states, so it can be
    /// restored into a backend whose ids differ.
    fn snapshot_key_group(&self, key_group: u32, out: &mut Vec<u8>) -> Result<()>;

    /// Replaces key group `key_group`'s state with a snapshot of it,
    /// registering states it names that are not registered yet. Any owned
    /// key group can be restored, whatever range the snapshot came from.
    fn restore_key_group(&mut self, key_group: u32, bytes: &[u8]) -> Result<()>;

    /// A snapshot of every owned key group, for a checkpoint or a savepoint.
    ///
    /// `scratch` is an empty local folder the backend may write a native
    /// snapshot into. A savepoint must be canonical
    /// ([`BackendSnapshot::KeyGroups`]). The default takes a canonical
    /// snapshot of every owned key group.
    fn snapshot(&mut self, kind: SnapshotKind, scratch: &Path) -> Result<BackendSnapshot> {
        let _ = (kind, scratch);
        let mut blobs = Vec::with_capacity(self.key_groups().len());
        for key_group in self.key_groups() {
            let mut bytes = Vec::new();
            self.snapshot_key_group(key_group, &mut bytes)?;
            blobs.push(KeyGroupBlob { key_group, bytes });
        }
        Ok(BackendSnapshot::KeyGroups(blobs))
    }
}
