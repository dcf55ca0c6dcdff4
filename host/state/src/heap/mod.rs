//! The heap backend: all state in hash maps in process memory.

mod keyed;
mod restore;
mod table;
#[cfg(test)]
mod tests;

use weir_types::KeyGroupRange;

use crate::registry::Registry;
use crate::ttl::expired;
use crate::{Result, StateDescriptor, StateError, StateId};

use table::Table;

/// Limits of a [`HeapBackend`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeapOptions {
    /// Most bytes of state (as [`state_bytes`] counts them) the backend may
    /// hold; a write that would go over fails with
    /// [`StateError::QuotaExceeded`].
    ///
    /// [`state_bytes`]: crate::KeyedStateBackend::state_bytes
    pub max_state_bytes: Option<u64>,
}

/// Keyed state held in memory: per owned key group, per state, a hash map
/// from key bytes to the key's entry.
///
/// Lookups hash the borrowed key and never allocate; a key is copied only
/// when it is first written. Maps are ordered (`BTreeMap`) so
/// `map_entries` needs no sort.
pub struct HeapBackend {
    range: KeyGroupRange,
    registry: Registry,
    /// One per owned key group, indexed by `key_group - range.start`.
    groups: Vec<Group>,
    usage: Usage,
}

impl std::fmt::Debug for HeapBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeapBackend")
            .field("range", &self.range)
            .field("states", &self.registry.by_name())
            .field("state_bytes", &self.usage.total)
            .field("max_state_bytes", &self.usage.limit)
            .finish()
    }
}

/// The state of one key group.
#[derive(Debug)]
struct Group {
    /// One table per registered state, indexed by state id.
    tables: Vec<Table>,
    /// Bytes this group counts.
    bytes: u64,
}

/// Bytes held against the quota.
#[derive(Debug)]
struct Usage {
    total: u64,
    limit: Option<u64>,
}

impl Usage {
    /// Fails if replacing `removed` bytes by `added` takes the total over the
    /// limit. Writes that do not grow the total always pass.
    #[inline]
    fn admit(&self, removed: u64, added: u64) -> Result<()> {
        crate::quota::admit(self.limit, self.total, removed, added)
    }

    /// Books a change of `group`'s bytes.
    #[inline]
    fn apply(&mut self, group: &mut u64, removed: u64, added: u64) {
        *group = *group - removed + added;
        self.total = self.total - removed + added;
    }
}

impl HeapBackend {
    /// An empty backend owning key groups `range`.
    pub fn new(range: KeyGroupRange, options: HeapOptions) -> Self {
        let groups = range
            .clone()
            .map(|_| Group {
                tables: Vec::new(),
                bytes: 0,
            })
            .collect();
        HeapBackend {
            range,
            registry: Registry::default(),
            groups,
            usage: Usage {
                total: 0,
                limit: options.max_state_bytes,
            },
        }
    }

    /// The descriptor registered for `id`.
    pub fn descriptor(&self, id: StateId) -> Option<&StateDescriptor> {
        self.registry.get(id).ok()
    }

    /// The id of the state named `name`, if registered (or restored).
    pub fn state_id(&self, name: &str) -> Option<StateId> {
        self.registry.id_of(name)
    }

    /// Drops every entry that has expired at `now_ms` and returns the bytes
    /// freed. Reads drop expired entries lazily; this sweeps the ones that
    /// are never read again. It visits every entry of every state with a
    /// TTL, so call it off the hot path (for example before a snapshot).
    pub fn purge_expired(&mut self, now_ms: i64) -> u64 {
        let mut freed = 0;
        for (id, descriptor) in self.registry.by_name() {
            let Some(ttl) = descriptor.ttl_ms else {
                continue;
            };
            for group in &mut self.groups {
                let f = group.tables[id.0 as usize]
                    .purge(|written_at| expired(Some(ttl), written_at, now_ms));
                group.bytes -= f;
                freed += f;
            }
        }
        self.usage.total -= freed;
        freed
    }

    /// Index into `groups` of `key_group`, if owned.
    #[inline]
    fn group_index(&self, key_group: u32) -> Result<usize> {
        group_index(&self.range, key_group)
    }
}

/// Index of `key_group` among the key groups of `range` (a backend's
/// per-group tables), or `KeyGroupNotOwned`.
#[inline]
pub fn group_index(range: &KeyGroupRange, key_group: u32) -> Result<usize> {
    if range.contains(&key_group) {
        Ok((key_group - range.start) as usize)
    } else {
        Err(StateError::KeyGroupNotOwned {
            key_group,
            range: range.clone(),
        })
    }
}
