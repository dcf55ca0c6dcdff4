//! What is stored per element, and what it counts against the quota.

use std::collections::BTreeMap;

/// Bytes counted per stored element (value, map entry or list element) on
/// top of its payload: the write time every element carries for TTL. It also
/// keeps empty values from being free.
pub const ENTRY_OVERHEAD: u64 = 8;

/// A stored value with the processing time of its last write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stamped {
    pub(crate) written_at: i64,
    pub(crate) value: Vec<u8>,
}

impl Stamped {
    pub(crate) fn new(value: Vec<u8>, written_at: i64) -> Self {
        Stamped { written_at, value }
    }

    /// Bytes this element counts, without any key.
    #[inline]
    pub(crate) fn size(&self) -> u64 {
        crate::quota::element_bytes(self.value.len())
    }
}

/// One key's map: ordered by map key bytes.
pub(crate) type MapEntry = BTreeMap<Vec<u8>, Stamped>;

/// Bytes one map item of a key `key_len` bytes long counts
/// ([`crate::quota::map_entry_bytes`]).
#[inline]
pub(crate) fn map_item_size(key_len: usize, map_key: &[u8], item: &Stamped) -> u64 {
    crate::quota::map_entry_bytes(key_len, map_key.len(), item.value.len())
}

/// Bytes a whole map of a key `key_len` bytes long counts, its key
/// included (once per entry).
pub(crate) fn map_size(key_len: usize, map: &MapEntry) -> u64 {
    map.iter().map(|(k, v)| map_item_size(key_len, k, v)).sum()
}

/// Bytes a whole list counts, without its key.
pub(crate) fn list_size(list: &[Stamped]) -> u64 {
    list.iter().map(Stamped::size).sum()
}
